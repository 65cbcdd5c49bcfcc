#!/usr/bin/env bash
# A one-node Slurm on this host for the SlurmCluster tests: Debian's slurm-wlm and munge,
# slurmctld + slurmd as root, one node (this host) cut into SLICES (4) partitions of 2 CPUs each:
# "debug" (the default) and "debug1", "debug2", … Each test file that runs jobs holds one slice to
# itself (packages/deploy/test/helpers.ts, holdSlurm), so files in different slices run at once.
# Idempotent: installs what is missing, rewrites the config only when it changes, starts only what
# is not running. The daemons' PIDs go to $STATE/pids so that `stop` stops exactly them.
#
# The Slurm is machine-wide, so several checkouts (and their test runs) share it: whoever runs
# this script or `hold` takes a lease ($STATE/leases/PID, the holder's pid and start time), and
# `stop` releases the caller's lease and stops the daemons only when no live process still holds
# one. A checkout's CI run stopping "its" Slurm therefore never kills it under another one's tests.
# The holder is $GLUON_SLURM_HOLDER, or the calling process ($PPID). Needs root to start.
#
#   bash scripts/setup-slurm.sh          # install, configure, start, wait for the node to be idle; lease for the caller
#   bash scripts/setup-slurm.sh hold PID # a lease for PID (a test process) on a running Slurm; ends with PID
#   bash scripts/setup-slurm.sh stop     # release the caller's lease; stop the daemons if no lease is left
set -euo pipefail
STATE=${GLUON_SLURM_STATE:-/run/gluon-slurm}
PIDS=$STATE/pids
LEASES=$STATE/leases
HOLDER=${GLUON_SLURM_HOLDER:-$PPID}
say() { echo "setup-slurm: $*"; }
die() { echo "setup-slurm: $*" >&2; exit 1; }
alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
# Alive and not a zombie: a daemon that has exited but is not yet reaped by its parent is gone.
running() { alive "$1" && [ "$(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null)" != Z ]; }
# A process's start time (clock ticks since boot): with the pid, it names the process even after
# the pid is reused.
started() { awk '{ sub(/^.*\) /, ""); print $20 }' "/proc/$1/stat" 2>/dev/null || true; }

# Leases and pids change under one lock, so a stop and a start (or two stops) cannot interleave.
mkdir -p "$LEASES"
exec 9>"$STATE/lock"
flock -w 900 9 || die "another setup-slurm.sh has held $STATE/lock for 900 s"

take_lease() {
  [[ "$1" =~ ^[0-9]+$ ]] && alive "$1" || die "no process $1 to hold a lease"
  started "$1" > "$LEASES/$1"
}
# Live holders, one pid a line; removes the leases of processes that have ended.
live_leases() {
  local f pid
  for f in "$LEASES"/*; do
    [ -e "$f" ] || continue
    pid=${f##*/}
    if alive "$pid" && [ "$(started "$pid")" = "$(cat "$f")" ]; then echo "$pid"; else rm -f "$f"; fi
  done
}

case "${1:-}" in
  stop)
    # This process's own lease too: `bash -c 'bash setup-slurm.sh && tests; bash setup-slurm.sh stop'`
    # execs its last command, so the stop is the very process that took the lease (the shell), and
    # its $PPID another: that lease, alive, kept Slurm running, and munged, started under the
    # caller's `flock FILE` with its descriptor, held that lock after the hold had ended.
    rm -f "$LEASES/$HOLDER" "$LEASES/$$"
    holders=$(live_leases | tr '\n' ' ')
    if [ -n "$holders" ]; then say "still held by process(es) ${holders% }: leaving Slurm running"; exit 0; fi
    [ -s "$PIDS" ] || { say "nothing recorded in $PIDS"; exit 0; }
    # Wait for each daemon to be gone before saying so and letting go of the lock: a setup that
    # came next saw a slurmctld still exiting as running, started none, and waited for a node
    # that never came back. slurmctld writes its state on the way out, so it gets 60 s.
    while read -r name pid; do
      running "$pid" || continue
      kill "$pid"
      for _ in $(seq 600); do running "$pid" || break; sleep 0.1; done
      if running "$pid"; then kill -KILL "$pid"; say "$name ($pid) still running 60 s after SIGTERM: sent SIGKILL"; fi
      say "stopped $name ($pid)"
    done < "$PIDS"
    rm -f "$PIDS"
    exit 0 ;;
  hold)
    take_lease "${2:-$HOLDER}"
    say "lease for process ${2:-$HOLDER}"
    exit 0 ;;
  '') ;;
  *) sed -n '2,17p' "$0" >&2; exit 2 ;;
esac

[ "$(id -u)" = 0 ] || die "needs root (installs packages and starts slurmctld, slurmd and munged)"
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null || ! command -v sbatch >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq slurm-wlm munge >/dev/null
  say "installed $(slurmctld -V)"
fi
touch "$PIDS"
take_lease "$HOLDER"

# munge: a key, its directories owned by munge, the daemon.
mkdir -p /etc/munge /run/munge /var/lib/munge /var/log/munge
[ -s /etc/munge/munge.key ] || mungekey -c
chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge
chmod 0700 /etc/munge /var/lib/munge /var/log/munge
chmod 0755 /run/munge
chmod 0600 /etc/munge/munge.key
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  # Daemons must not inherit the lock's descriptor (9): munged kept it open for its whole life,
  # so every later call, `stop` included, waited the full 900 s for the lock.
  runuser -u munge -- munged 9>&-
  for _ in $(seq 50); do [ -s /run/munge/munged.pid ] && break; sleep 0.1; done
  echo "munged $(cat /run/munge/munged.pid)" >> "$PIDS"
  munge -n | unmunge >/dev/null || die "munged started but a credential does not round-trip"
  say "munged running (pid $(cat /run/munge/munged.pid))"
fi

# slurm.conf: this host as controller and only node. The node has 2 CPUs for each slice, whatever
# the host has (SlurmdParameters=config_overrides: slurmd would otherwise report the host's count
# and the node be refused as INVALID): the test jobs mostly wait (on Slurm, on a worker's lifetime),
# and a slice (MaxCPUsPerNode=2) is what a test file counts on, two jobs running and a third pending.
# batch_sched_delay=0: a job submitted or freed while Slurm could not start it at once (its CPUs
# still held by a job ending) is started at the next second of slurmctld's loop, not up to 3 s later.
SLICES=4
host=$(hostname -s)
mem_mb=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 2 ))
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
conf=$(cat <<EOF
# Written by gluon's scripts/setup-slurm.sh: a one-node cluster for tests.
ClusterName=gluon
SlurmctldHost=$host
AuthType=auth/munge
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SlurmctldTimeout=30
SlurmdTimeout=60
MinJobAge=10
KillWait=5
SchedulerParameters=batch_sched_delay=0
SlurmdParameters=config_overrides
NodeName=$host CPUs=$((2 * SLICES)) RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP MaxCPUsPerNode=2
$(for i in $(seq 1 $((SLICES - 1))); do echo "PartitionName=debug$i Nodes=$host MaxTime=INFINITE State=UP MaxCPUsPerNode=2"; done)
EOF
)
restart=0
if [ "$(cat /etc/slurm/slurm.conf 2>/dev/null)" != "$conf" ]; then
  echo "$conf" > /etc/slurm/slurm.conf
  restart=1
  say "wrote /etc/slurm/slurm.conf (node $host, $SLICES slices of 2 CPUs, ${mem_mb} MB)"
fi

pidof_file() { cat "$1" 2>/dev/null || true; }
for daemon in slurmctld slurmd; do
  pid=$(pidof_file /run/$daemon.pid)
  if alive "$pid" && [ $restart = 1 ]; then kill "$pid"; for _ in $(seq 100); do alive "$pid" || break; sleep 0.1; done; fi
  pid=$(pidof_file /run/$daemon.pid)
  if ! alive "$pid"; then
    rm -f /run/$daemon.pid
    $daemon 9>&-
    for _ in $(seq 100); do [ -s /run/$daemon.pid ] && break; sleep 0.1; done
    pid=$(pidof_file /run/$daemon.pid)
    alive "$pid" || die "$daemon did not start; see /var/log/slurm/$daemon.log"
    echo "$daemon $pid" >> "$PIDS"
    say "$daemon running (pid $pid)"
  fi
done

# The node must come up idle (resume it if an earlier run left it down or drained).
for i in $(seq 120); do
  st=$(sinfo -h -n "$host" -o %T 2>/dev/null | head -n 1 || true)
  case "$st" in
    idle|mixed|allocated) say "node $host is $st"; exit 0 ;;
    down*|drain*|fail*) scontrol update nodename="$host" state=resume 2>/dev/null || true ;;
  esac
  sleep 0.5
done
die "node $host did not become idle within 60 s (state: ${st:-unknown}); see /var/log/slurm/"
