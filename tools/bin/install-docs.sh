#!/usr/bin/env bash
# Installs Debian's linux-doc-6.12 (/usr/share/doc/linux-doc-6.12/Documentation, gzipped rst)
# when it is missing and we are root: the tables cite documents the revision beside the project
# (../shared/docs/linux) lacks, such as the admin guide, and `mmspec cite` reads a document the
# first tree lacks from this one (tools/cite/docs.ts). Otherwise says why not and carries on: the
# citations of those documents are then reported as not found. Never fails the caller.
set -u
tree=/usr/share/doc/linux-doc-6.12/Documentation
if [ -d "$tree" ]; then
  echo "linux-doc-6.12: $tree"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "linux-doc-6.12 missing and not root: documents only it ships cannot be checked (apt-get install linux-doc-6.12)"
  exit 0
fi
if ! "$(dirname "$0")/apt-install.sh" linux-doc-6.12; then
  echo "linux-doc-6.12 could not be installed: documents only it ships cannot be checked"
  exit 0
fi
if [ -d "$tree" ]; then echo "linux-doc-6.12: $tree"; else echo "linux-doc-6.12 installed, but $tree is missing (is /usr/share/doc excluded from dpkg?)"; fi
