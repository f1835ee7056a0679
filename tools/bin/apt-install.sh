#!/usr/bin/env bash
# apt-install.sh PACKAGE: installs a Debian package, refreshing the package lists once if the
# first try fails (stale lists). apt's output goes to a log that is removed on success; on
# failure the log is kept and its path printed on stderr. Exit status: apt's.
set -u
log=$(mktemp "${TMPDIR:-/tmp}/mmspec-apt-$1-XXXXXX.log")
export DEBIAN_FRONTEND=noninteractive
if apt-get install -y --no-install-recommends "$1" >"$log" 2>&1 \
  || { apt-get update >>"$log" 2>&1 && apt-get install -y --no-install-recommends "$1" >>"$log" 2>&1; }; then
  rm -f "$log"
  exit 0
fi
echo "apt-get install $1 failed: see $log" >&2
exit 1
