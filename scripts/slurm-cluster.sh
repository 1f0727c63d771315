#!/usr/bin/env bash
# A real two-node Slurm cluster on this one host, for wharf's job tests and benchmarks.
#
#   scripts/slurm-cluster.sh start    # install (root, apt-get) if missing, configure, start, wait idle
#   scripts/slurm-cluster.sh status   # exit 0 when both nodes answer; prints sinfo
#   scripts/slurm-cluster.sh stop     # stop what start started (by pid files), keep the config
#   scripts/slurm-cluster.sh env      # the `export` lines to reach it (SLURM_CONF, WHARF_TEST_SLURM_CONF)
#
# Everything lives under .cache/slurm/: etc/slurm.conf, state, spool/<node>, logs, pids, and
# tmp/<node>/<jobid>, the per-node scratch a TaskProlog exports as SLURM_TMPDIR (plain Slurm
# does not set it; the Alliance's clusters do, on each node's local disk). Debian's slurmd
# runs several daemons on one host: nodes n1 and n2 are `slurmd -N n1` and `slurmd -N n2` on
# ports 17001-17002, the controller on 16817, so a system Slurm (6817/6818) is not disturbed.
# No cgroups (proctrack/linuxproc, task/none), no accounting. Idempotent.
# Exit status: 0 done, 1 the cluster did not come up (logs named), 3 Slurm is not installed
# and cannot be (not root, or no apt-get).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
state="$repo/.cache/slurm"
conf="$state/etc/slurm.conf"
host=$(hostname)
nodes=(n1 n2)
action=${1:-status}

say() { echo "slurm-cluster: $*" >&2; }

alive() { # pid file → whether that process runs
  [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

install_slurm() {
  if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null; then
    return 0
  fi
  if [ "$(id -u)" != 0 ]; then
    say "Slurm (slurm-wlm, munge) is not installed and installing it needs root: run as root, or apt-get install -y slurm-wlm munge"
    exit 3
  fi
  if ! command -v apt-get >/dev/null; then
    say "Slurm is not installed and there is no apt-get here: install slurm-wlm and munge"
    exit 3
  fi
  say "installing slurm-wlm and munge (apt-get)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge >&2 ||
    { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge >&2; }
}

write_config() {
  mkdir -p "$state"/{etc,state,log,run,tmp} "$state/spool/n1" "$state/spool/n2"
  local cpus
  cpus=$(nproc)
  # The nodes' memory (MB, 90% of this host's: slurmd drains a node that has less than it
  # claims): jobs may then ask for memory as the site's scripts do (`--mem-per-cpu=2000M`);
  # memory is not a consumable resource here (CR_Core), the two nodes share it.
  local memory
  memory=$(awk '/^MemTotal:/ { print int($2 / 1024 * 0.9) }' /proc/meminfo)
  # TaskProlog: runs as the job's user before every task (the batch script's too); what it
  # prints as `export NAME=VALUE` enters the task's environment.
  cat >"$state/etc/task-prolog.sh" <<EOF
#!/bin/sh
dir="$state/tmp/\$SLURMD_NODENAME/\$SLURM_JOB_ID"
mkdir -p "\$dir"
echo "export SLURM_TMPDIR=\$dir"
EOF
  # Epilog: runs as root on each node when the job ends; the scratch goes, as on a real cluster.
  cat >"$state/etc/epilog.sh" <<EOF
#!/bin/sh
[ -n "\$SLURMD_NODENAME" ] && [ -n "\$SLURM_JOB_ID" ] || exit 0
dir="$state/tmp/\$SLURMD_NODENAME/\$SLURM_JOB_ID"
# A benchmark may ask that nothing is deleted while it times (scripts/bench-jobs.sh): the
# scratch is then moved aside, as on a fresh node-local disk, and removed by the benchmark.
if [ -e "$state/keep-scratch" ]; then
  mkdir -p "$state/trash" && mv "\$dir" "$state/trash/\$SLURMD_NODENAME.\$SLURM_JOB_ID" 2>/dev/null && exit 0
fi
rm -rf "\$dir"
exit 0
EOF
  chmod 755 "$state/etc/task-prolog.sh" "$state/etc/epilog.sh"
  local new="$conf.new"
  cat >"$new" <<EOF
# Written by scripts/slurm-cluster.sh: two nodes on one host, for wharf's tests.
ClusterName=wharftest
SlurmctldHost=$host
SlurmctldPort=16817
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$state/state
SlurmdSpoolDir=$state/spool/%n
SlurmctldPidFile=$state/run/slurmctld.pid
SlurmdPidFile=$state/run/slurmd.%n.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
SlurmdTimeout=60
InactiveLimit=0
KillWait=5
MinJobAge=60
TaskProlog=$state/etc/task-prolog.sh
Epilog=$state/etc/epilog.sh
NodeName=n[1-2] NodeHostname=$host NodeAddr=127.0.0.1 Port=17001-17002 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=n[1-2] Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
EOF
  if ! cmp -s "$new" "$conf"; then
    mv "$new" "$conf"
    return 0 # changed: running daemons must restart
  fi
  rm -f "$new"
  return 1
}

start_munge() {
  if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    return 0
  fi
  [ -f /etc/munge/munge.key ] || {
    mkdir -p /etc/munge
    dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
  }
  chown munge:munge /etc/munge/munge.key 2>/dev/null || true
  chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge 2>/dev/null || true
  say "starting munged"
  if id munge >/dev/null 2>&1; then
    runuser -u munge -- /usr/sbin/munged
  else
    /usr/sbin/munged --force
  fi
  pgrep -n -x munged >"$state/run/munged.pid" || true
  for _ in $(seq 50); do
    munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  say "munged does not answer"
  exit 1
}

both_idle() {
  local out
  out=$(SLURM_CONF="$conf" sinfo -h -N -o '%N %t' 2>/dev/null) || return 1
  for node in "${nodes[@]}"; do
    echo "$out" | grep -Eq "^$node (idle|mix|alloc)\$" || return 1
  done
}

stop_daemons() {
  for pidfile in "$state"/run/slurmd.n1.pid "$state"/run/slurmd.n2.pid "$state"/run/slurmctld.pid; do
    if alive "$pidfile"; then
      kill "$(cat "$pidfile")"
      for _ in $(seq 50); do alive "$pidfile" || break; sleep 0.1; done
    fi
    rm -f "$pidfile"
  done
}

case "$action" in
  start)
    install_slurm
    if write_config; then
      say "configuration written: $conf"
      stop_daemons
    fi
    start_munge
    export SLURM_CONF="$conf"
    if ! alive "$state/run/slurmctld.pid"; then
      say "starting slurmctld"
      /usr/sbin/slurmctld -f "$conf"
    fi
    for node in "${nodes[@]}"; do
      if ! alive "$state/run/slurmd.$node.pid"; then
        say "starting slurmd -N $node"
        /usr/sbin/slurmd -f "$conf" -N "$node"
      fi
    done
    for _ in $(seq 300); do
      if both_idle; then
        # A node left down or drained by an earlier run comes back.
        say "up: $(sinfo -h -N -o '%N:%t' | tr '\n' ' ')"
        exit 0
      fi
      if SLURM_CONF="$conf" sinfo -h -N -o '%N %t' 2>/dev/null | grep -Eq ' (down|drain|drng|fail)'; then
        SLURM_CONF="$conf" scontrol update nodename=n[1-2] state=resume 2>/dev/null || true
      fi
      sleep 0.2
    done
    say "the nodes did not become idle in 60 s; see $state/log/"
    SLURM_CONF="$conf" sinfo -N >&2 || true
    exit 1
    ;;
  stop)
    stop_daemons
    if alive "$state/run/munged.pid"; then
      kill "$(cat "$state/run/munged.pid")"
    fi
    rm -f "$state/run/munged.pid"
    say "stopped"
    ;;
  status)
    if [ -f "$conf" ] && both_idle; then
      SLURM_CONF="$conf" sinfo -N
      exit 0
    fi
    say "not running (scripts/slurm-cluster.sh start)"
    exit 1
    ;;
  env)
    echo "export SLURM_CONF=$conf"
    echo "export WHARF_TEST_SLURM_CONF=$conf"
    ;;
  *)
    echo "usage: $0 start|stop|status|env" >&2
    exit 2
    ;;
esac
