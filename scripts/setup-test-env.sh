#!/usr/bin/env bash
# Installs what the test suite needs beyond npm packages, from Debian: chromium (the dashboard's
# browser tests), nginx (the dashboard's reverse-proxy tests; each test runs its own nginx, on its
# own port, from a config it writes), iproute2 (`ip` and `tc`, for the cross-host tests in network
# namespaces, scripts/netns.sh) and openssh-server + openssh-client (the SSHCluster test runs one
# sshd per namespace host itself, on keys it makes). No service is started: the install runs under
# a policy-rc.d that forbids starting any (invoke-rc.d(8), Debian's way for chroots and image
# builds), so Debian's nginx does not take port 80 and no system sshd runs. Idempotent; installs
# only what is missing. Tests whose tool is still missing skip with a message.
#
# `--dry-run`: print what is missing (one name a line) and install nothing. SETUP_TEST_ENV_ROOT
# (default empty) prefixes the absolute paths looked at, so the check can be tried on an empty tree.
set -euo pipefail
root=${SETUP_TEST_ENV_ROOT:-}
missing=()
[ -x "$root/usr/bin/chromium" ] || missing+=(chromium)
[ -x "$root/usr/sbin/nginx" ] || missing+=(nginx)
{ command -v ip >/dev/null && command -v tc >/dev/null; } || missing+=(iproute2)
[ -x "$root/usr/sbin/sshd" ] || missing+=(openssh-server)
{ command -v ssh >/dev/null && command -v ssh-keygen >/dev/null; } || missing+=(openssh-client)
# Said when nothing is missing too: a bare exit 0 (and, dry, no output at all) left a new user unsure
# anything was checked, as netns.sh check's did. The dry run's stdout stays the list alone.
present="chromium, nginx, iproute2 (ip, tc), openssh-server (sshd), openssh-client (ssh, ssh-keygen)"
if [ "${1:-}" = --dry-run ]; then
  if [ ${#missing[@]} = 0 ]; then echo "setup-test-env: nothing is missing: $present are here" >&2; else printf '%s\n' "${missing[@]}"; fi
  exit 0
fi
if [ ${#missing[@]} = 0 ]; then echo "setup-test-env: nothing to install: $present are here"; exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "setup-test-env: missing ${missing[*]} and this is not root; run: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
# A policy-rc.d already there (Docker images ship one that forbids all) is the machine's own: kept
# as it is. Otherwise one forbidding every start (exit 101) is put there for the install only.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  trap 'rm -f "$policy"' EXIT
  printf '#!/bin/sh\n# setup-test-env.sh: no service starts during its install; removed after.\nexit 101\n' > "$policy"
  chmod 755 "$policy"
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
echo "setup-test-env: installed ${missing[*]}"
