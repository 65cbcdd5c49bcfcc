#!/usr/bin/env bash
# Several "hosts" on one machine for Gluon's cross-host tests: one network namespace per host,
# each with one veth link to a bridge that lives in its own hub namespace. Addresses are in
# 10.201.0.0/24 and exist only inside these namespaces; nothing is added to the machine's own
# network namespace, so nothing outside can be reached or disturbed.
#
#   scripts/netns.sh check                      exit 0 if namespaces can be made here, else say why (exit 1)
#   scripts/netns.sh up ID HOST=ADDR...         create hub + hosts, e.g. up t42 sched=10.201.0.1 w1=10.201.0.11
#   scripts/netns.sh down ID                    kill every process in ID's namespaces, delete them (idempotent)
#   scripts/netns.sh link ID HOST up|down       the host's cable: its port on the bridge goes down or up
#   scripts/netns.sh netem ID HOST "SPEC"|clear  tc netem on both ends of the host's link (e.g. "delay 50ms loss 2%")
#   scripts/netns.sh netem-check                exit 0 if tc netem works here, else say why
#
# Namespaces are named gluon-ID-HOST (and gluon-ID-hub); processes are run in a host with
# `ip netns exec gluon-ID-HOST cmd`. `down` removes everything by name; it is also what a test's
# teardown and this script's own failure path call, so a failed `up` leaves nothing behind.
set -euo pipefail

SUBNET_BITS=24

ns() { echo "gluon-$1-$2"; }

die() { echo "netns.sh: $*" >&2; exit 1; }

check() {
  [ "$(id -u)" = 0 ] || die "not root (uid $(id -u)): network namespaces need root"
  command -v ip >/dev/null || die "the ip command is missing (Debian: apt-get install iproute2)"
  local probe="gluon-probe-$$"
  ip netns add "$probe" 2>/dev/null || die "cannot create a network namespace (ip netns add failed; a container without CAP_SYS_ADMIN?)"
  local ok=0
  ip -n "$probe" link add p0 type veth peer name p1 2>/dev/null && ip -n "$probe" link add b0 type bridge 2>/dev/null && ok=1
  ip netns del "$probe" 2>/dev/null || true
  [ "$ok" = 1 ] || die "cannot create veth pairs or bridges inside a namespace"
}

netem_check() {
  check
  local probe="gluon-probe-$$"
  ip netns add "$probe"
  local ok=0
  ip -n "$probe" link add p0 type veth peer name p1 && ip -n "$probe" link set p0 up &&
    ip netns exec "$probe" tc qdisc add dev p0 root netem delay 1ms 2>/dev/null && ok=1
  ip netns del "$probe" 2>/dev/null || true
  [ "$ok" = 1 ] || die "tc netem is not available (no sch_netem kernel module, or tc missing: apt-get install iproute2)"
}

# Every namespace of an ID, hub last.
namespaces() {
  ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^gluon-$1-" | grep -v -- "-hub$" || true
  ip netns list 2>/dev/null | awk '{print $1}' | grep -Ex "gluon-$1-hub" || true
}

down() {
  local id=$1 n pids
  for n in $(namespaces "$id"); do
    # Bounded: processes get SIGKILL, then the namespace goes; a few rounds at most.
    for _ in 1 2 3 4 5; do
      pids=$(ip netns pids "$n" 2>/dev/null || true)
      [ -z "$pids" ] && break
      kill -9 $pids 2>/dev/null || true
      sleep 0.1
    done
    ip netns del "$n" 2>/dev/null || true
  done
}

up() {
  local id=$1; shift
  [[ "$id" =~ ^[a-z0-9]{1,8}$ ]] || die "ID must be 1-8 lowercase letters or digits, got '$id'"
  [ $# -ge 1 ] || die "up needs at least one HOST=ADDR"
  check
  trap 'down "$id"' ERR
  local hub; hub=$(ns "$id" hub)
  ip netns add "$hub"
  ip -n "$hub" link set lo up
  ip -n "$hub" link add br0 type bridge
  ip -n "$hub" link set br0 up
  local spec host addr n
  for spec in "$@"; do
    host=${spec%%=*}; addr=${spec#*=}
    [[ "$host" =~ ^[a-z0-9]{1,8}$ ]] || die "host names are 1-8 lowercase letters or digits, got '$host'"
    [[ "$addr" =~ ^10\.201\.[0-9]{1,3}\.[0-9]{1,3}$ ]] || die "addresses must be in 10.201.0.0/16 (private, only inside these namespaces), got '$addr'"
    n=$(ns "$id" "$host")
    ip netns add "$n"
    ip -n "$n" link set lo up
    # One cable: eth0 in the host, p-HOST plugged into the bridge in the hub.
    ip link add eth0 netns "$n" type veth peer name "p-$host" netns "$hub"
    ip -n "$n" addr add "$addr/$SUBNET_BITS" dev eth0
    ip -n "$n" link set eth0 up
    ip -n "$hub" link set "p-$host" master br0
    ip -n "$hub" link set "p-$host" up
  done
  trap - ERR
}

link() {
  local id=$1 host=$2 state=$3
  [[ "$state" = up || "$state" = down ]] || die "link state must be up or down, got '$state'"
  ip -n "$(ns "$id" hub)" link set "p-$host" "$state"
}

netem() {
  local id=$1 host=$2 spec=$3
  if [ "$spec" = clear ]; then
    ip netns exec "$(ns "$id" hub)" tc qdisc del dev "p-$host" root 2>/dev/null || true
    ip netns exec "$(ns "$id" "$host")" tc qdisc del dev eth0 root 2>/dev/null || true
    return
  fi
  # Both directions of the link: what the host sends and what it receives.
  # shellcheck disable=SC2086
  ip netns exec "$(ns "$id" hub)" tc qdisc replace dev "p-$host" root netem $spec
  # shellcheck disable=SC2086
  ip netns exec "$(ns "$id" "$host")" tc qdisc replace dev eth0 root netem $spec
}

cmd=${1:-}
shift || true
case "$cmd" in
  check) check ;;
  netem-check) netem_check ;;
  up) up "$@" ;;
  down) [ $# = 1 ] || die "usage: down ID"; down "$1" ;;
  link) [ $# = 3 ] || die "usage: link ID HOST up|down"; link "$@" ;;
  netem) [ $# = 3 ] || die "usage: netem ID HOST SPEC|clear"; netem "$@" ;;
  *) sed -n '2,18p' "$0" >&2; exit 2 ;;
esac
