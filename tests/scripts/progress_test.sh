#!/usr/bin/env bash
# The progress line: forced on (IOVSIM_PROGRESS=1, as on a terminal) it is drawn on
# stderr with \r and cleared at the end, and the run's files are the same bytes as
# without it (the run is simulated in slices: tiny ones here); run-info.json is the
# only file that holds wall time; --quiet and a non-terminal stderr show nothing.
# usage: progress_test.sh IOVSIM WORK_DIR
set -uo pipefail
iovsim=$1 work=$2
rm -rf "$work" && mkdir -p "$work" || exit 1
fail() { echo "FAIL: $*"; exit 1; }
py=/usr/bin/python3

# Long enough (about 1.5 s of wall time) for lines every 250 ms.
"$iovsim" run nic_line_rate --out "$work/plain" >/dev/null 2>"$work/plain.err" || fail "plain run"
[ ! -s "$work/plain.err" ] || fail "no terminal, yet stderr holds: $(head -c 300 "$work/plain.err")"
IOVSIM_PROGRESS=1 "$iovsim" run nic_line_rate --out "$work/shown" >/dev/null 2>"$work/shown.err" || fail "run with progress"
diff -r -x run-info.json "$work/plain" "$work/shown" >"$work/shown.diff" || fail "progress changed outputs: $(head -20 "$work/shown.diff")"
grep -q $'\rsimulated [0-9.]* s | .* sim s per wall s | .* events/s | wall ' "$work/shown.err" ||
  fail "no progress line: $(head -c 300 "$work/shown.err" | cat -v)"
[ "$(tail -c 4 "$work/shown.err" | od -An -c | tr -d ' ')" = '\r033[K' ] || fail "the line is not cleared at the end"
[ "$(tr -cd '\n' <"$work/shown.err" | wc -c)" = 0 ] || fail "the progress line printed a newline"

# Slices of 50 ns to 7 ns on scenarios of one and of several machines: same bytes.
for s in rx_ring_overflow two_machines_wire; do
  "$iovsim" run $s --out "$work/$s.plain" >/dev/null 2>&1 || fail "$s"
  for ns in 50 7; do
    IOVSIM_PROGRESS=1 IOVSIM_PROGRESS_SLICE_NS=$ns "$iovsim" run $s --out "$work/$s.$ns" >/dev/null 2>&1 || fail "$s sliced"
    diff -r -x run-info.json "$work/$s.plain" "$work/$s.$ns" >/dev/null || fail "$s: slices of $ns ns changed outputs"
  done
done

# run-info.json: the run's wall time and speed.
$py - "$work/shown/run-info.json" "$work/shown/results.json" <<'PY' || fail "run-info.json"
import json, sys
info, res = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert set(info) == {"wall_seconds", "sim_seconds", "sim_per_wall", "events", "events_per_wall_second"}, info
assert info["wall_seconds"] > 0 and info["events"] > 0, info
assert abs(info["sim_seconds"] - float(res["sim_time"])) < 1e-9, (info, res["sim_time"])
PY

# --quiet: nothing on stderr even when forced, no summary line on stdout.
out=$(IOVSIM_PROGRESS=1 "$iovsim" run rx_ring_overflow --quiet --out "$work/quiet" 2>"$work/quiet.err") || fail "quiet run"
[ -z "$out" ] && [ ! -s "$work/quiet.err" ] || fail "--quiet printed: '$out' / $(cat -v "$work/quiet.err")"
# A sweep's progress line: points done / running / failed and time left.
# (Two seeds of a scenario of about 0.5 s, one at a time: long enough for a line.)
IOVSIM_PROGRESS=1 "$iovsim" sweep iotlb_reach --seeds 2 -j 1 --out "$work/sweep" >/dev/null 2>"$work/sweep.err" ||
  fail "sweep"
# How many are running when a line is drawn depends on the wall clock: any count.
grep -q $'\rsweep iotlb_reach: [0-2]/2 done, [01] running, 0 failed | .* left' "$work/sweep.err" ||
  fail "no sweep progress line: $(cat -v "$work/sweep.err")"
echo ok
