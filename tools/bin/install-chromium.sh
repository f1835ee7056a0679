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
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends chromium >/tmp/mmspec-install-chromium.log 2>&1; then
  # Stale package lists: refresh once and try again.
  apt-get update >>/tmp/mmspec-install-chromium.log 2>&1 && apt-get install -y --no-install-recommends chromium >>/tmp/mmspec-install-chromium.log 2>&1 \
    || { echo "chromium could not be installed (see /tmp/mmspec-install-chromium.log): the report's browser test will be skipped"; exit 0; }
fi
echo "chromium: $(chromium --version 2>/dev/null || echo installed)"
