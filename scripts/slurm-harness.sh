#!/usr/bin/env bash
# A throwaway single-node Slurm cluster (Debian's slurm-wlm + munge, run as root, no systemd) under one directory,
# for testing the SLURM recipes (scripts/slurm-search.sh, scripts/slurm-cv.sh) against a real scheduler.
#
#   scripts/slurm-harness.sh up DIR     # writes DIR/env (source it: SLURM_CONF=...), prints the bring-up seconds
#   scripts/slurm-harness.sh down DIR   # stops the daemons it started, by the PIDs in DIR/*.pid
#
# munge gets its own key, socket and run directory (mode 755: slurmstepd refuses a socket dir it cannot traverse);
# slurm.conf is minimal: linuxproc process tracking (no cgroups), no task plugin, cons_tres with CR_CPU, this machine's
# CPU count, no accounting, no mail. cred_expire=5 with sched_interval=2: a requeued job is held for the credential's
# lifetime before it may start again (default 120 s), so a requeue restarts in about 7 s here.
set -euo pipefail

die() { echo "error: $*" >&2; exit 1; }

up() {
  local dir=$1 t0 host cpus port
  t0=$(date +%s.%N)
  for b in munged mungekey slurmctld slurmd sbatch; do command -v "$b" >/dev/null || die "$b not found (apt-get install -y slurm-wlm munge)"; done
  [[ $(id -u) == 0 ]] || die "the harness runs slurmd as root (it must switch to the job's user)"
  mkdir -p "$dir"/{munge,spool/ctld,spool/d,log}
  dir=$(cd "$dir" && pwd)
  chmod 755 "$dir" "$dir/munge"
  mungekey --create --keyfile="$dir/munge/munge.key" --bits=1024 --force
  chmod 600 "$dir/munge/munge.key"
  munged --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munge.seed" --force
  host=$(hostname -s)
  cpus=$(nproc --all)
  port=$((20000 + RANDOM % 20000))
  cat >"$dir/slurm.conf" <<EOF
ClusterName=cgnn-test
SlurmctldHost=$host
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket,cred_expire=5
StateSaveLocation=$dir/spool/ctld
SlurmdSpoolDir=$dir/spool/d
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MailProg=/bin/true
ReturnToService=2
MinJobAge=300
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  printf 'export SLURM_CONF=%q\n' "$dir/slurm.conf" >"$dir/env"
  export SLURM_CONF="$dir/slurm.conf"
  slurmctld -i -f "$SLURM_CONF"
  slurmd -f "$SLURM_CONF"
  for _ in $(seq 1 120); do
    if [[ -s $dir/slurmd.pid ]] && sinfo -h -o '%T' 2>/dev/null | grep -qx 'idle'; then
      awk -v t0="$t0" -v t1="$(date +%s.%N)" 'BEGIN { printf "slurm up in %.1f s (%s)\n", t1 - t0, ENVIRON["SLURM_CONF"] }'
      return 0
    fi
    sleep 0.5
  done
  tail -5 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 || true
  die "the node did not become idle in 60 s (logs in $dir/log)"
}

down() {
  local dir=$1 f pid
  for f in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
    [[ -s $f ]] || continue
    pid=$(cat "$f")
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
  done
}

case "${1:-}" in
  up) up "${2:?directory}" ;;
  down) down "${2:?directory}" ;;
  *) die "usage: $0 up|down DIR" ;;
esac
