#!/usr/bin/env bash
# Installs what the test suite needs beyond npm packages, from Debian: chromium (the dashboard's
# browser tests), iproute2 (`ip` and `tc`, for the cross-host tests in network namespaces,
# scripts/netns.sh) and openssh-server + openssh-client (the SSHCluster test runs one sshd per
# namespace host itself, on keys it makes; no sshd service is started here). Idempotent; installs
# only what is missing. Tests whose tool is still missing skip with a message.
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
{ command -v ip >/dev/null && command -v tc >/dev/null; } || missing+=(iproute2)
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
{ command -v ssh >/dev/null && command -v ssh-keygen >/dev/null; } || missing+=(openssh-client)
[ ${#missing[@]} = 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "setup-test-env: missing ${missing[*]} and this is not root; run: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
echo "setup-test-env: installed ${missing[*]}"
