#!/usr/bin/env bash
# Starts a one-node Slurm cluster on this host (munged, slurmctld, slurmd) with a partition
# named `bench` holding this machine's real CPUs and memory, then waits until the node is
# idle. The Slurm tests and `--machine slurm://bench` run against it.
# Idempotent: exits at once when the cluster answers. Installs slurm-wlm and munge when
# they are missing. Needs root (or sudo). Starts the daemons directly (no systemd needed).
#
#   scripts/start-slurm.sh
#   SLURM_WAIT_S=120 scripts/start-slurm.sh
#
# Exit status: 0 the cluster answers; 2 it cannot be installed here (no root, no package
# mirror), said on stderr; 1 anything else (the daemons' logs are shown).
set -euo pipefail

partition="${SLURM_PARTITION:-bench}"
wait_s="${SLURM_WAIT_S:-60}"
conf=/etc/slurm/slurm.conf
logdir=/var/log/slurm
ctld_pid=/run/slurmctld.pid
slurmd_pid=/run/slurmd.pid
munge_pid=/run/munge/munged.pid
marker="# jitskit one-node test cluster, written by scripts/start-slurm.sh"

say() { echo "start-slurm: $*" >&2; }

# The node of our partition is up: idle, or running jobs (a `*` suffix means not responding).
answers() {
  command -v sinfo >/dev/null 2>&1 || return 1
  local states
  states="$(timeout 10 sinfo --noheader --partition "$partition" --format '%T' 2>/dev/null)" \
    || return 1
  [ -n "$states" ] && ! grep -qvE '^(idle|mixed|allocated|completing)$' <<<"$states"
}

if answers; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo -n"
  else
    say "the cluster is not running and starting it needs root (or sudo without a password)"
    exit 2
  fi
fi

missing=()
for pkg in slurm-wlm munge; do
  if ! dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    say "${missing[*]} missing and this is not a Debian-like system; install Slurm and munge"
    exit 2
  fi
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! { $sudo apt-get update -qq && \
         $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }; then
    say "could not install ${missing[*]} (is the package mirror reachable?)"
    exit 2
  fi
fi

# A daemon runs when its pid file names a live process of that name (a pid file left by a
# killed earlier run names a dead or reused pid).
running() {
  local name="$1" pidfile="$2" pid
  [ -f "$pidfile" ] || return 1
  pid="$(cat "$pidfile" 2>/dev/null)"
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ]
}

stop() {
  local name="$1" pidfile="$2"
  if running "$name" "$pidfile"; then
    say "restarting $name for the new configuration"
    $sudo kill "$(cat "$pidfile")"
    for _ in $(seq 50); do running "$name" "$pidfile" || break; sleep 0.1; done
  fi
  $sudo rm -f "$pidfile"
}

# The node as slurmd sees it (CPUs, sockets, cores, memory): configured exactly so, the
# controller accepts its registration and jobs may ask for all of it.
node="$(hostname -s)"
hardware="$(slurmd -C | head -n 1 | sed -E 's/^NodeName=[^ ]+ //')"
slurm_user=root
id slurm >/dev/null 2>&1 && slurm_user=slurm

wanted="$(cat <<EOF
$marker
ClusterName=jitskit
SlurmctldHost=${node}(127.0.0.1)
SlurmUser=${slurm_user}
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd
SlurmctldPidFile=${ctld_pid}
SlurmdPidFile=${slurmd_pid}
SlurmctldLogFile=${logdir}/slurmctld.log
SlurmdLogFile=${logdir}/slurmd.log
KillWait=5
MinJobAge=60
NodeName=${node} NodeAddr=127.0.0.1 ${hardware} State=UNKNOWN
PartitionName=${partition} Nodes=${node} Default=YES MaxTime=INFINITE State=UP
EOF
)"

if [ -f "$conf" ] && ! head -n 1 "$conf" | grep -qF "$marker"; then
  say "$conf exists and was not written by this script, and its cluster does not answer"
  say "with a '$partition' partition; start that cluster, or move the file away to use a"
  say "one-node test cluster"
  exit 1
fi
if [ "$(cat "$conf" 2>/dev/null)" != "$wanted" ]; then
  stop slurmd "$slurmd_pid"
  stop slurmctld "$ctld_pid"
  $sudo mkdir -p "$(dirname "$conf")"
  printf '%s\n' "$wanted" | $sudo tee "$conf" >/dev/null
fi

$sudo mkdir -p "$logdir" /var/lib/slurm/slurmctld /var/lib/slurm/slurmd \
  /run/munge /var/log/munge /var/lib/munge
$sudo chown "$slurm_user" "$logdir" /var/lib/slurm/slurmctld
$sudo chown munge:munge /run/munge /var/log/munge /var/lib/munge
if [ ! -s /etc/munge/munge.key ]; then
  $sudo mkdir -p /etc/munge
  $sudo sh -c 'umask 077; dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2>/dev/null'
  $sudo chown munge:munge /etc/munge/munge.key
fi

if ! running munged "$munge_pid"; then
  say "starting munged"
  # --force: a socket left by a killed munged would otherwise stop it from starting.
  $sudo runuser -u munge -- munged --force
fi
for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done

if ! running slurmctld "$ctld_pid"; then
  say "starting slurmctld"
  # -i: state files from a killed earlier run that cannot be read are set aside, not fatal.
  $sudo slurmctld -i
fi
if ! running slurmd "$slurmd_pid"; then
  say "starting slurmd"
  $sudo slurmd
fi

resumed=""
deadline=$((SECONDS + wait_s))
until answers; do
  state="$(timeout 10 sinfo --noheader --nodes "$node" --format '%T' 2>/dev/null || true)"
  # A node drained or downed in a killed earlier run stays so until told otherwise.
  if [ -z "$resumed" ] && grep -qE 'drain|down|fail' <<<"$state"; then
    $sudo scontrol update NodeName="$node" State=RESUME >/dev/null 2>&1 || true
    resumed=1
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    say "node $node is not idle in partition $partition within ${wait_s}s (state: ${state:-none})"
    for log in "$logdir/slurmctld.log" "$logdir/slurmd.log" /var/log/munge/munged.log; do
      echo "--- $log" >&2
      tail -n 15 "$log" >&2 2>/dev/null || true
    done
    exit 1
  fi
  sleep 0.5
done
say "partition $partition: node $node idle ($hardware)"
