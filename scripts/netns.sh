#!/usr/bin/env bash
# Several "hosts" on one machine for Gluon's cross-host tests: one network namespace per host,
# each with one veth link to a bridge that lives in its own hub namespace. Addresses are in
# 10.201.0.0/24 and exist only inside these namespaces; nothing is added to the machine's own
# network namespace, so nothing outside can be reached or disturbed.
#
#   scripts/netns.sh check                      say namespaces can be made here (exit 0), else say why (exit 1)
#   scripts/netns.sh up ID HOST=ADDR[:relay]... create hub + hosts, e.g. up t42 sched=10.201.0.1 w1=10.201.0.11
#   scripts/netns.sh down ID                    kill every process in ID's namespaces, delete them (idempotent)
#   scripts/netns.sh link ID HOST up|down       the host's cable: its port on the bridge goes down or up
#   scripts/netns.sh netem ID HOST "SPEC"|clear  delay and loss on both directions of the host's link
#                                               (e.g. "delay 50ms loss 2%", "delay 20ms 5ms loss 1%"
#                                               for 20 ms ± 5): tc netem, or the relay (a host made without
#                                               one, where the kernel has no netem, is refused saying so)
#   scripts/netns.sh netem-check                say tc netem works here (exit 0), else say why (exit 1)
#   scripts/netns.sh relay-stats ID HOST        a relayed host's cable: {"forwarded":N,"dropped":N,...}
#
# Namespaces are named gluon-ID-HOST (and gluon-ID-hub); processes are run in a host with
# `ip netns exec gluon-ID-HOST cmd`. `down` removes everything by name; it is also what a test's
# teardown and this script's own failure path call, so a failed `up` leaves nothing behind.
# An ID is lowercase letters, digits and dashes (the tests' NetLab: CHECKOUT-HASH-PID-N, so two
# checkouts' labs on one machine are told apart); a HOST has no dash, so `down ID` takes exactly
# gluon-ID-HOST, never another lab's whose ID merely begins with ID.
#
# A host given as ADDR:relay gets a cable through user space instead of a veth pair, for kernels
# without sch_netem: its eth0 and its port on the bridge are VXLAN devices whose UDP goes through
# scripts/netem-relay.mjs in a namespace of its own (gluon-ID-rHOST), and `netem` on that host
# restarts the relay with the delay and loss asked for (only `delay Nms [Jms]` and `loss N%`).
set -euo pipefail

SUBNET_BITS=24
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NODE=${NODE:-node}

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

# The commands say so on success too: a bare exit 0 left a new user unsure anything was checked.
cmd_check() {
  check
  echo "netns.sh: network namespaces with veth pairs and bridges can be made here"
}

cmd_netem_check() {
  netem_check
  echo "netns.sh: network namespaces can be made here and tc netem works in them"
}

# Every namespace of an ID (gluon-ID-HOST, gluon-ID-rHOST for a relay), hub last.
namespaces() {
  ip netns list 2>/dev/null | awk '{print $1}' | grep -Ex -- "gluon-$1-[a-z0-9]{1,9}" | grep -vx -- "gluon-$1-hub" || true
  ip netns list 2>/dev/null | awk '{print $1}' | grep -Ex -- "gluon-$1-hub" || true
}

# IDs: lowercase letters, digits and dashes, a letter or digit at each end.
valid_id() { [[ "$1" =~ ^[a-z0-9]([a-z0-9-]{0,46}[a-z0-9])?$ ]] || die "ID must be 1-48 lowercase letters, digits or dashes (not at either end), got '$1'"; }

# Where a lab's relays keep their stats.
statedir() { echo "${TMPDIR:-/tmp}/gluon-netns-$1"; }

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
  rm -rf "$(statedir "$id")"
}

# Underlay addresses of the K-th relayed host (1-based): host↔relay and relay↔hub /30 links,
# inside 10.201.0.0/16 like everything else here.
relay_addr() { # K SIDE(host|relay-a|relay-b|hub)
  case $2 in
    host) echo "10.201.$((100 + $1)).2" ;; relay-a) echo "10.201.$((100 + $1)).1" ;;
    relay-b) echo "10.201.$((150 + $1)).1" ;; hub) echo "10.201.$((150 + $1)).2" ;;
  esac
}

# Starts (or restarts) HOST's relay with DELAY_MS, LOSS_PERCENT and JITTER_MS; waits for it to listen.
relay_start() {
  local id=$1 host=$2 delay=$3 loss=$4 jitter=${5:-0} k r stats pids
  r=$(ns "$id" "r$host")
  k=$(cat "$(statedir "$id")/$host.k")
  stats="$(statedir "$id")/$host.json"
  pids=$(ip netns pids "$r" 2>/dev/null || true)
  # shellcheck disable=SC2086
  [ -z "$pids" ] || { kill -9 $pids 2>/dev/null || true; }
  for _ in $(seq 1 50); do [ -z "$(ip netns pids "$r" 2>/dev/null)" ] && break; sleep 0.1; done
  rm -f "$stats"
  ip netns exec "$r" setsid "$NODE" "$HERE/netem-relay.mjs" "$(relay_addr "$k" relay-a)" "$(relay_addr "$k" host)" \
    "$(relay_addr "$k" relay-b)" "$(relay_addr "$k" hub)" "$delay" "$loss" "$stats" "$jitter" \
    </dev/null >"$(statedir "$id")/$host.log" 2>&1 &
  # Bounded: the relay writes its stats once both of its sockets listen.
  for _ in $(seq 1 200); do [ -s "$stats" ] && return 0; sleep 0.1; done
  die "the relay of $host did not start within 20 s: $(cat "$(statedir "$id")/$host.log" 2>/dev/null)"
}

# HOST's cable through a relay namespace: VXLAN in the host and on the bridge, UDP via the relay.
relayed_cable() {
  local id=$1 host=$2 addr=$3 k=$4 hub n r
  hub=$(ns "$id" hub); n=$(ns "$id" "$host"); r=$(ns "$id" "r$host")
  mkdir -p "$(statedir "$id")"
  echo "$k" >"$(statedir "$id")/$host.k"
  ip netns add "$r"
  ip -n "$r" link set lo up
  # Underlay links (MTU 1600, so the 1500-byte frames fit with VXLAN's 50 bytes around them).
  ip link add u0 netns "$n" mtu 1600 type veth peer name a0 netns "$r" mtu 1600
  ip link add "u-$host" netns "$hub" mtu 1600 type veth peer name b0 netns "$r" mtu 1600
  ip -n "$n" addr add "$(relay_addr "$k" host)/30" dev u0
  ip -n "$r" addr add "$(relay_addr "$k" relay-a)/30" dev a0
  ip -n "$r" addr add "$(relay_addr "$k" relay-b)/30" dev b0
  ip -n "$hub" addr add "$(relay_addr "$k" hub)/30" dev "u-$host"
  ip -n "$n" link set u0 up; ip -n "$r" link set a0 up; ip -n "$r" link set b0 up; ip -n "$hub" link set "u-$host" up
  ip -n "$n" link add eth0 mtu 1500 type vxlan id "$k" local "$(relay_addr "$k" host)" remote "$(relay_addr "$k" relay-a)" dstport 4789 dev u0
  ip -n "$hub" link add "p-$host" mtu 1500 type vxlan id "$k" local "$(relay_addr "$k" hub)" remote "$(relay_addr "$k" relay-b)" dstport 4789 dev "u-$host"
  # Frames leave one at a time, never as a TCP super-segment for the card to cut (there is no
  # card: in user space one would arrive whole, bigger than the link's MTU).
  ip -n "$n" link set dev u0 gso_max_segs 1; ip -n "$n" link set dev eth0 gso_max_segs 1
  ip -n "$hub" link set dev "u-$host" gso_max_segs 1; ip -n "$hub" link set dev "p-$host" gso_max_segs 1
  ip -n "$n" addr add "$addr/$SUBNET_BITS" dev eth0
  ip -n "$n" link set eth0 up
  ip -n "$hub" link set "p-$host" master br0
  ip -n "$hub" link set "p-$host" up
  relay_start "$id" "$host" 0 0
}

up() {
  local id=$1; shift
  valid_id "$id"
  [ $# -ge 1 ] || die "up needs at least one HOST=ADDR"
  check
  trap 'down "$id"' ERR
  local hub; hub=$(ns "$id" hub)
  ip netns add "$hub"
  ip -n "$hub" link set lo up
  ip -n "$hub" link add br0 type bridge
  ip -n "$hub" link set br0 up
  local spec host addr n relayed k=0
  for spec in "$@"; do
    host=${spec%%=*}; addr=${spec#*=}; relayed=0
    if [[ "$addr" == *:relay ]]; then addr=${addr%:relay}; relayed=1; fi
    [[ "$host" =~ ^[a-z0-9]{1,8}$ ]] || die "host names are 1-8 lowercase letters or digits, got '$host'"
    [[ "$addr" =~ ^10\.201\.[0-9]{1,3}\.[0-9]{1,3}$ ]] || die "addresses must be in 10.201.0.0/16 (private, only inside these namespaces), got '$addr'"
    n=$(ns "$id" "$host")
    ip netns add "$n"
    ip -n "$n" link set lo up
    if [ "$relayed" = 1 ]; then
      k=$((k + 1)); [ "$k" -le 40 ] || die "at most 40 relayed hosts"
      relayed_cable "$id" "$host" "$addr" "$k"
      continue
    fi
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

# Whether HOST's cable goes through a relay.
relayed() { [ -f "$(statedir "$1")/$2.k" ]; }

# `delay Nms`, optionally with a jitter (`delay 20ms 5ms`: 15-25 ms, as netem), and `loss N%`
# (either, both, or `clear`) for the relay.
relay_netem() {
  local id=$1 host=$2 spec=$3 delay=0 loss=0 jitter=0 rest
  [ "$spec" = clear ] && spec=
  rest=$spec
  if [[ "$rest" =~ (^|[[:space:]])delay[[:space:]]+([0-9]+)ms([[:space:]]+([0-9]+)ms)?($|[[:space:]]) ]]; then
    delay=${BASH_REMATCH[2]}; jitter=${BASH_REMATCH[4]:-0}; rest=${rest/${BASH_REMATCH[0]}/ }
  fi
  if [[ "$rest" =~ (^|[[:space:]])loss[[:space:]]+([0-9]+(\.[0-9]+)?)%($|[[:space:]]) ]]; then loss=${BASH_REMATCH[2]}; rest=${rest/${BASH_REMATCH[0]}/ }; fi
  [[ "$rest" =~ ^[[:space:]]*$ ]] || die "the relay of $host understands only 'delay Nms', 'delay Nms Jms' (a jitter) and 'loss N%', not '$rest' (in '$spec')"
  relay_start "$id" "$host" "$delay" "$loss" "$jitter"
}

netem() {
  local id=$1 host=$2 spec=$3
  if relayed "$id" "$host"; then relay_netem "$id" "$host" "$spec"; return; fi
  if [ "$spec" = clear ]; then
    ip netns exec "$(ns "$id" hub)" tc qdisc del dev "p-$host" root 2>/dev/null || true
    ip netns exec "$(ns "$id" "$host")" tc qdisc del dev eth0 root 2>/dev/null || true
    return
  fi
  # Both directions of the link: what the host sends and what it receives.
  local out
  # shellcheck disable=SC2086
  out=$(ip netns exec "$(ns "$id" hub)" tc qdisc replace dev "p-$host" root netem $spec 2>&1) || netem_failed "$id" "$host" "$spec" "$out"
  # shellcheck disable=SC2086
  out=$(ip netns exec "$(ns "$id" "$host")" tc qdisc replace dev eth0 root netem $spec 2>&1) || netem_failed "$id" "$host" "$spec" "$out"
}

# tc refused netem on a veth host's link. Where the kernel has no netem at all, tc says only
# "Error: Specified qdisc kind is unknown." (exit 2), which did not tell a user following
# docs/across-hosts.md that the host must be made with a relayed cable instead.
netem_failed() {
  local id=$1 host=$2 spec=$3 out=$4
  if ! (netem_check) >/dev/null 2>&1; then
    local addr
    addr=$(ip -n "$(ns "$id" "$host")" -4 -o addr show dev eth0 2>/dev/null | awk '{split($4, a, "/"); print a[1]; exit}')
    die "tc netem is not available on this kernel (no sch_netem module; tc said: ${out//$'\n'/ }), so $host's link cannot be slowed as it was made: make the lab again with $host's cable through the user-space relay ('down $id', then 'up $id … $host=${addr:-ADDR}:relay …'), whose netem takes 'delay Nms', 'delay Nms Jms' and 'loss N%'; 'netem-check' says whether tc netem works here"
  fi
  die "tc netem on $host's link refused '$spec': ${out//$'\n'/ }"
}

cmd=${1:-}
shift || true
case "$cmd" in
  check) cmd_check ;;
  netem-check) cmd_netem_check ;;
  up) up "$@" ;;
  down) [ $# = 1 ] || die "usage: down ID"; valid_id "$1"; down "$1" ;;
  link) [ $# = 3 ] || die "usage: link ID HOST up|down"; link "$@" ;;
  netem) [ $# = 3 ] || die "usage: netem ID HOST SPEC|clear"; netem "$@" ;;
  relay-stats) [ $# = 2 ] || die "usage: relay-stats ID HOST"; relayed "$1" "$2" || die "$2 has no relay"; cat "$(statedir "$1")/$2.json" ;;
  *) sed -n '2,25p' "$0" >&2; exit 2 ;;
esac
