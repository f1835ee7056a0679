#!/usr/bin/env bash
# Installs Debian's chromium (the headless browser suites/report/report.test.ts renders the
# HTML report with) when it is missing and we are root; otherwise says why not and carries on:
# the browser test then skips with the reason. Never fails the caller.
set -u
if command -v chromium >/dev/null 2>&1; then
  echo "chromium: $(chromium --version 2>/dev/null || echo present)"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "chromium missing and not root: the report's browser test will be skipped (apt-get install chromium to run it)"
  exit 0
fi
if ! "$(dirname "$0")/apt-install.sh" chromium; then
  echo "chromium could not be installed: the report's browser test will be skipped"
  exit 0
fi
echo "chromium: $(chromium --version 2>/dev/null || echo installed)"
