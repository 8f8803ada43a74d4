#!/usr/bin/env bash
# A single-node SLURM on this host for tests/study/test_slurm.py: installs Debian's slurm-wlm
# and munge (apt-get) if sbatch/slurmctld/munged are missing, writes a minimal slurm.conf
# (one node = this host, select/cons_tres by core, proctrack/linuxproc, task/none, no
# cgroups, state under /var/spool/abm-slurm), starts munged, slurmctld and slurmd (no
# systemd needed), and waits until `sinfo` shows the node idle. Idempotent: daemons already
# up are left alone. Needs root. Prints how long it took; exit 1 (with the reason) on failure.
set -euo pipefail
start=$(date +%s)
log() { echo "slurm: $*"; }
fail() { echo "slurm: FAILED: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "needs root (apt-get, munged, slurmctld, slurmd)"

# 1. install ---------------------------------------------------------------------------------
if ! command -v sbatch >/dev/null || ! command -v slurmctld >/dev/null \
        || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
    command -v apt-get >/dev/null || fail "no apt-get: install slurm-wlm and munge by hand"
    log "installing slurm-wlm munge (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null || fail "apt-get update"
    apt-get install -y -qq slurm-wlm munge >/dev/null || fail "apt-get install slurm-wlm munge"
fi
installed=$(date +%s)

# 2. munge -----------------------------------------------------------------------------------
if [ ! -s /etc/munge/munge.key ]; then
    log "creating /etc/munge/munge.key"
    mkdir -p /etc/munge
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
fi
chown munge:munge /etc/munge /etc/munge/munge.key 2>/dev/null || true
chmod 0700 /etc/munge; chmod 0400 /etc/munge/munge.key
mkdir -p /run/munge /var/log/munge /var/lib/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge 2>/dev/null || true
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    log "starting munged"
    rm -f /run/munge/munged.pid
    if id munge >/dev/null 2>&1; then
        runuser -u munge -- /usr/sbin/munged --force || fail "munged did not start"
    else
        /usr/sbin/munged --force || fail "munged did not start"
    fi
    for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
    munge -n | unmunge >/dev/null || fail "munge credentials do not decode"
fi

# 3. slurm.conf: one node, this host ---------------------------------------------------------
host=$(hostname -s)
node=$(slurmd -C | head -1)            # NodeName=<host> CPUs=... RealMemory=...
spool=/var/spool/abm-slurm
mkdir -p "$spool/ctld" "$spool/d" /var/log/slurm /run/slurm /etc/slurm
conf=/etc/slurm/slurm.conf
new=$(cat <<CONF
# written by .ci/slurm/start.sh (abm test suite): a single-node SLURM on $host
ClusterName=abm-ci
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
StateSaveLocation=$spool/ctld
SlurmdSpoolDir=$spool/d
SlurmctldPidFile=/run/slurm/slurmctld.pid
SlurmdPidFile=/run/slurm/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
SlurmctldTimeout=30
SlurmdTimeout=60
InactiveLimit=0
MinJobAge=300
KillWait=5
Waittime=0
MaxArraySize=100001
$node State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
)
if [ ! -f "$conf" ] || [ "$(cat "$conf")" != "$new" ]; then
    log "writing $conf"
    printf '%s\n' "$new" > "$conf"
    changed=1
else
    changed=0
fi
# no cgroup.conf: proctrack/linuxproc and task/none use no cgroups (slurm 22.05 has no
# CgroupPlugin=disabled; a cgroup.conf naming it stops slurmd)

# 4. daemons ----------------------------------------------------------------------------------
running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
if [ "$changed" = 1 ]; then   # a new configuration: restart what runs with the old one
    for pid in /run/slurm/slurmd.pid /run/slurm/slurmctld.pid; do
        if running "$pid"; then kill "$(cat "$pid")"; sleep 1; fi
    done
fi
if ! running /run/slurm/slurmctld.pid; then
    log "starting slurmctld"
    /usr/sbin/slurmctld || fail "slurmctld did not start: $(tail -5 /var/log/slurm/slurmctld.log 2>/dev/null)"
fi
if ! running /run/slurm/slurmd.pid; then
    log "starting slurmd"
    /usr/sbin/slurmd || fail "slurmd did not start: $(tail -5 /var/log/slurm/slurmd.log 2>/dev/null)"
fi

# 5. wait for the node ------------------------------------------------------------------------
state=""
for _ in $(seq 60); do
    state=$(sinfo -h -N -n "$host" -o %T 2>/dev/null | head -1 || true)
    case "$state" in
        idle|mixed|allocated) break ;;
        down*|drain*) scontrol update NodeName="$host" State=RESUME 2>/dev/null || true ;;
    esac
    sleep 1
done
case "$state" in
    idle|mixed|allocated) ;;
    *) fail "node $host is '${state:-not listed}' after 60 s: $(tail -3 /var/log/slurm/slurmd.log 2>/dev/null)" ;;
esac
end=$(date +%s)
log "node $host $state: install $((installed - start)) s, configure+start $((end - installed)) s, total $((end - start)) s"
