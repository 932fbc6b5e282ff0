#!/usr/bin/env bash
# iovsim sweep --slurm on a single-node Slurm that this test starts and stops: a munge
# daemon with a fresh key, slurmctld and slurmd from Debian's packages (slurm-wlm,
# munge) on a generated slurm.conf, everything under WORK_DIR and on free ports.
# The merged table must equal the local pool's, byte for byte; --no-wait returns a
# job id and `sweep collect` merges it; a rerun submits only the unfinished points.
# Exit 77 (ctest: skipped) when a daemon cannot start; never passes without Slurm.
# usage: slurm_sweep_test.sh IOVSIM WORK_DIR
set -uo pipefail
iovsim=$1 work=$2
scenario=rx_ring_overflow
grid=(--vary host.nic.rx_ring=64,128 --vary host.nic.rx_frame=50ns,1us --seeds 2)
fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }

for tool in munged mungekey slurmctld slurmd sbatch squeue sinfo scancel; do
  command -v $tool >/dev/null || skip "$tool is not installed (scripts/deps.sh: slurm-wlm munge)"
done
rm -rf "$work" && mkdir -p "$work" || exit 1
work=$(cd "$work" && pwd)
d=$work/slurm-daemons
mkdir -p "$d/state" "$d/spool" "$d/munge" && chmod 700 "$d" "$d/munge"
pids=()
cleanup() {
  [ -n "${SLURM_CONF:-}" ] && scancel --quiet --user="$(id -un)" 2>/dev/null
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[$i]}" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
}
trap cleanup EXIT
show_logs() { for f in "$d"/*.log; do echo "--- $f"; tail -15 "$f"; done; }

# munge: a key of our own, a socket in our folder.
mungekey -c -k "$d/munge/munge.key" 2>"$d/mungekey.log" ||
  dd if=/dev/urandom of="$d/munge/munge.key" bs=1024 count=1 2>/dev/null || skip "cannot make a munge key"
chmod 600 "$d/munge/munge.key"
socket=$d/munge/munge.socket
munged -F --force --socket="$socket" --key-file="$d/munge/munge.key" --pid-file="$d/munge/munged.pid" \
  --log-file="$d/munged.log" --seed-file="$d/munge/munge.seed" >"$d/munged.out" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -S "$socket" ] && break; sleep 0.1; done
[ -S "$socket" ] || { show_logs; skip "munged did not start"; }

# Two free TCP ports for slurmctld and slurmd.
read -r ctld_port slurmd_port < <(/usr/bin/python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
host=$(hostname -s)
cat >"$d/slurm.conf" <<EOF
ClusterName=iovsimtest
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool
SlurmctldPidFile=$d/slurmctld.pid
SlurmdPidFile=$d/slurmd.pid
SlurmctldLogFile=$d/slurmctld.log
SlurmdLogFile=$d/slurmd.log
PlugStackConfig=$d/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
SwitchType=switch/none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1
MessageTimeout=10
NodeName=$host CPUs=2 RealMemory=64 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
: >"$d/plugstack.conf"
export SLURM_CONF=$d/slurm.conf
slurmctld -D -i -f "$SLURM_CONF" >"$d/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" -N "$host" >"$d/slurmd.out" 2>&1 &
pids+=($!)
state=
for _ in $(seq 150); do
  state=$(sinfo -h -n "$host" -o %t 2>/dev/null)
  [ "$state" = idle ] && break
  for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || { show_logs; cat "$d"/*.out; skip "a Slurm daemon exited"; }; done
  sleep 0.2
done
[ "$state" = idle ] || { show_logs; skip "the node is not idle after 30 s (state '$state')"; }
echo "single-node Slurm up: $host, slurmctld port $ctld_port, slurmd port $slurmd_port"

# The local sweep, then the same through Slurm.
"$iovsim" sweep $scenario "${grid[@]}" -j 2 --out "$work/local" >/dev/null 2>"$work/local.err" ||
  fail "local sweep: $(cat "$work/local.err")"
start=$(date +%s%N)
out=$("$iovsim" sweep $scenario "${grid[@]}" --slurm --partition debug --time 5 --out "$work/slurm" 2>"$work/slurm.err")
rc=$?
echo "slurm sweep: $((($(date +%s%N) - start) / 1000000)) ms: $out"
[ "$rc" = 0 ] || { cat "$work/slurm.err"; ls "$work/slurm/slurm"; cat "$work"/slurm/slurm/*.out; fail "slurm sweep: exit $rc"; }
[[ "$out" == *"8 points, 8 passed (8 run now)"* ]] || fail "slurm sweep said: $out"
[ "$(wc -l <"$work/slurm/slurm/points.txt")" = 8 ] || fail "points.txt: $(wc -l <"$work/slurm/slurm/points.txt") lines"
grep -q '^#SBATCH --array=0-7$' "$work/slurm/slurm/job.sh" || fail "job.sh has no --array=0-7"
grep -q '^#SBATCH --partition=debug$' "$work/slurm/slurm/job.sh" || fail "job.sh has no --partition"
[ "$(ls "$work"/slurm/slurm/*_*.out | wc -l)" = 8 ] || fail "expected 8 task outputs in slurm/"
cmp "$work/local/sweep.csv" "$work/slurm/sweep.csv" || fail "Slurm's sweep.csv differs from the local one"
cmp "$work/local/sweep.json" "$work/slurm/sweep.json" || fail "Slurm's sweep.json differs from the local one"

# Only unfinished points are submitted (here both by one task); --no-wait returns the
# job, collect merges.
rm -rf "$work/slurm/points/p0002" "$work/slurm/points/p0006"
out=$("$iovsim" sweep $scenario "${grid[@]}" --slurm --no-wait --per-task 2 --out "$work/slurm" 2>&1) ||
  fail "--no-wait: $out"
grep -q '^#SBATCH --array=0-0$' "$work/slurm/slurm/job.sh" || fail "2 points, 2 per task: not one task"
job=$(sed -n 's/^submitted Slurm job \([0-9]*\): 2 points (6 finished already).*collect .*$/\1/p' <<<"$out")
[ -n "$job" ] || fail "--no-wait said: $out"
[ "$(cut -d' ' -f4 "$work/slurm/slurm/points.txt" | tr '\n' ' ')" = "$work/slurm/points/p0002 $work/slurm/points/p0006 " ] ||
  fail "points.txt: $(cat "$work/slurm/slurm/points.txt")"
for _ in $(seq 300); do [ -z "$(squeue -h -j "$job" 2>/dev/null)" ] && break; sleep 0.2; done
out=$("$iovsim" sweep collect "$work/slurm" 2>&1) || fail "collect: $out"
[[ "$out" == *"8 points, 8 passed (0 run now)"* ]] || fail "collect said: $out"
cmp "$work/local/sweep.csv" "$work/slurm/sweep.csv" || fail "sweep.csv after collect differs from the local one"
echo ok
