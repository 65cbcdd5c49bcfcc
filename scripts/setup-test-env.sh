#!/usr/bin/env bash
# Installs what the test suite needs beyond npm packages: Debian's chromium for the dashboard's
# browser tests. Idempotent; does nothing when chromium is already there.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "setup-test-env: /usr/bin/chromium is missing and this is not root; run: sudo apt-get install -y chromium" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
echo "setup-test-env: installed $(/usr/bin/chromium --version)"
