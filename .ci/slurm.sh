#!/usr/bin/env bash
# A real single-node Slurm cluster for the Slurm executor's tests (test/slurm): Debian's slurm-wlm
# and munge, run as root without systemd or cgroups, every file under one private directory.
# `.ci/slurm.sh start` installs the packages when missing, starts munged, slurmctld and slurmd,
# waits until the node is idle and prints the slurm.conf path (for SLURM_CONF and
# CTFLOW_TEST_SLURM); `.ci/slurm.sh stop` stops the daemons by their pid files (never by name).
set -euo pipefail
DIR="${CTFLOW_SLURM_DIR:-${TMPDIR:-/tmp}/ctflow-slurm}"

install() {
  if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq slurm-wlm munge >&2
  fi
}

munge_up() {
  if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then return 0; fi
  mkdir -p /etc/munge /run/munge /var/lib/munge /var/log/munge
  [ -f /etc/munge/munge.key ] || mungekey -c
  chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge
  chmod 400 /etc/munge/munge.key
  su -s /bin/sh munge -c "/usr/sbin/munged --force --pid-file=/run/munge/ctflow-munged.pid"
  for _ in $(seq 1 50); do
    if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "munged did not answer within 5 s" >&2
  return 1
}

write_conf() {
  local host cpus
  host="$(hostname)"
  cpus="$(nproc)"
  mkdir -p "$DIR/state" "$DIR/spool" "$DIR/log"
  cat > "$DIR/slurm.conf" <<EOF
ClusterName=ctflow
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/ctld.log
SlurmdLogFile=$DIR/log/d.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/log/jobcomp.txt
MinJobAge=600
KillWait=5
MpiDefault=none
ReturnToService=2
NodeName=$host CPUs=$cpus RealMemory=20000 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
}

start() {
  stop
  install
  munge_up
  write_conf
  export SLURM_CONF="$DIR/slurm.conf"
  # -c: no jobs recovered from an earlier cluster's state (this one is for tests alone).
  slurmctld -c -f "$SLURM_CONF" >&2
  slurmd -f "$SLURM_CONF" >&2
  for _ in $(seq 1 100); do
    if sinfo -h -o '%T' 2>/dev/null | grep -qx 'idle'; then
      echo "$SLURM_CONF"
      return 0
    fi
    sleep 0.2
  done
  echo "the Slurm node did not become idle within 20 s; logs in $DIR/log" >&2
  return 1
}

stop() {
  for f in "$DIR/slurmd.pid" "$DIR/slurmctld.pid" /run/munge/ctflow-munged.pid; do
    if [ -f "$f" ]; then
      kill "$(cat "$f")" 2>/dev/null || true
      rm -f "$f"
    fi
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
