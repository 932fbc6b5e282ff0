#!/usr/bin/env bash
# iovsim sweep on the local process pool: the merged sweep.json and sweep.csv equal,
# value by value, single `iovsim run`s of the same points; a second sweep skips
# every finished point and a deleted one reruns alone; a failing point is reported
# while the others finish; a parameter that does not exist is refused, named, before
# any folder is made.
# usage: sweep_test.sh IOVSIM WORK_DIR
set -uo pipefail
iovsim=$1 work=$2
py=/usr/bin/python3
scenario=rx_ring_overflow
rm -rf "$work" && mkdir -p "$work" || exit 1
fail() { echo "FAIL: $*"; exit 1; }

# Refused before anything runs: exit 2, the name (or the value) in the message, no folder.
err=$("$iovsim" sweep $scenario --vary host.nic.rx_ring=64,128 --vary host.nic.no_such_knob=1,2 \
  --out "$work/bad" 2>&1 >/dev/null); rc=$?
[ "$rc" = 2 ] || fail "unknown parameter: exit $rc, expected 2 ($err)"
[[ "$err" == *'unknown parameter "host.nic.no_such_knob"'* ]] || fail "unknown parameter not named: '$err'"
[ ! -e "$work/bad" ] || fail "a refused sweep made its folder"
err=$("$iovsim" sweep $scenario --vary host.nic.rx_ring=64,5 --out "$work/bad" 2>&1 >/dev/null); rc=$?
[ "$rc" = 2 ] && [[ "$err" == *"host.nic.rx_ring=5"* ]] || fail "a value the model refuses: exit $rc, '$err'"
err=$("$iovsim" sweep $scenario --set nope=3 --vary host.nic.rx_ring=64 --out "$work/bad" 2>&1 >/dev/null); rc=$?
[ "$rc" = 2 ] && [[ "$err" == *'unknown parameter "nope"'* ]] || fail "unknown --set: exit $rc, '$err'"
err=$("$iovsim" sweep $scenario --zip --vary host.nic.rx_ring=64,128 --vary host.nic.rx_frame=50ns \
  --out "$work/bad" 2>&1 >/dev/null); rc=$?
[ "$rc" = 2 ] && [[ "$err" == *"--zip wants lists of one length"* ]] || fail "--zip lengths: exit $rc, '$err'"
[ ! -e "$work/bad" ] || fail "a refused sweep made its folder"
"$iovsim" validate $scenario --set host.nic.no_such_knob=1 >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] || fail "validate --set of an unknown parameter: exit $rc"

# A 2 x 2 grid, 2 seeds each: 8 points on 2 processes.
grid=(--vary host.nic.rx_ring=64,128 --vary host.nic.rx_frame=50ns,1us --seeds 2)
out=$("$iovsim" sweep $scenario "${grid[@]}" -j 2 --out "$work/grid" 2>"$work/grid.err"); rc=$?
[ "$rc" = 0 ] || fail "grid sweep: exit $rc: $(cat "$work/grid.err")"
[ ! -s "$work/grid.err" ] || fail "grid sweep wrote on stderr (no terminal: no progress line): $(cat "$work/grid.err")"
[[ "$out" == *"8 points, 8 passed (8 run now)"* ]] || fail "grid sweep said: $out"

# The same points as single runs.
i=0
for ring in 64 128; do
  for frame in 50ns 1us; do
    for seed in 1 2; do
      id=$(printf 'p%04d' $i)
      "$iovsim" run $scenario --seed $seed --set host.nic.rx_ring=$ring --set host.nic.rx_frame=$frame \
        --out "$work/single/$id" >/dev/null 2>&1 || fail "single run $id"
      echo "$id $ring $frame $seed" >>"$work/single/index"
      i=$((i + 1))
    done
  done
done
$py - "$work/grid" "$work/single" <<'EOF' || fail "the merged table differs from the single runs"
import csv, json, sys
grid, single = sys.argv[1], sys.argv[2]
sweep = json.load(open(f"{grid}/sweep.json"))
assert sweep["scenario"] == "rx_ring_overflow" and sweep["seeds"] == 2, sweep["scenario"]
assert sweep["varied"] == ["host.nic.rx_ring", "host.nic.rx_frame"], sweep["varied"]
rows = list(csv.DictReader(open(f"{grid}/sweep.csv")))
header = open(f"{grid}/sweep.csv").readline().strip().split(",")
assert header[:6] == ["point", "host.nic.rx_ring", "host.nic.rx_frame", "seed", "status", "exit_code"], header
index = [line.split() for line in open(f"{single}/index")]
assert len(sweep["points"]) == len(rows) == len(index) == 8
checked = 0
for p, row, (pid, ring, frame, seed) in zip(sweep["points"], rows, index):
    r = json.load(open(f"{single}/{pid}/results.json"))
    assert p["id"] == row["point"] == pid and p["dir"] == f"points/{pid}", (p["id"], pid)
    assert p["params"] == {"host.nic.rx_ring": ring, "host.nic.rx_frame": frame}, p["params"]
    assert p["seed"] == int(seed) == int(row["seed"]) == int(r["seed"]), (p["seed"], seed, r.get("seed"))
    assert p["status"] == row["status"] == "passed" and p["exit_code"] == 0 and row["exit_code"] == "0"
    assert row["host.nic.rx_ring"] == ring and row["host.nic.rx_frame"] == frame
    metrics = {m["name"]: m.get("value", 0.0) for m in r["metric"]}
    captured = {c["name"]: c.get("value", 0.0) for c in r.get("captured", [])}
    assert p["metrics"] == metrics, f"{pid}: metrics differ"
    assert p["captured"] == captured, f"{pid}: captured differ"
    for name, v in metrics.items():
        assert float(row["metric." + name]) == v, (pid, name, row["metric." + name], v)
        checked += 1
    for name, v in captured.items():
        assert float(row["captured." + name]) == v, (pid, name)
        checked += 1
    assert json.load(open(f"{grid}/points/{pid}/point.json")) == {"id": pid, "params": p["params"], "seed": int(seed)}
# The grid changes what it should: a bigger ring drops fewer of the burst.
assert rows[0]["captured.small_nodesc"] != rows[4]["captured.small_nodesc"]
print(f"{checked} values equal")
EOF
# The point's run folder equals the single run's, but for what the sweep adds.
diff -r -x run-info.json -x point.json -x stderr.txt -x exit_code.txt "$work/grid/points/p0005" "$work/single/p0005" \
  >/dev/null || fail "point p0005's outputs differ from the single run's"

# Resumable: a second sweep runs nothing; a deleted point reruns alone.
cp "$work/grid/sweep.csv" "$work/grid.csv.first"
touch -d '2000-01-01' "$work"/grid/points/*/results.json
out=$("$iovsim" sweep $scenario "${grid[@]}" -j 2 --out "$work/grid" 2>&1); rc=$?
[ "$rc" = 0 ] && [[ "$out" == *"(0 run now)"* ]] || fail "second sweep: exit $rc: $out"
[ -z "$(find "$work/grid/points" -name results.json -newer "$work/grid.csv.first")" ] || fail "the second sweep reran points"
rm -rf "$work/grid/points/p0003"
out=$("$iovsim" sweep $scenario "${grid[@]}" -j 2 --out "$work/grid" 2>&1); rc=$?
[ "$rc" = 0 ] && [[ "$out" == *"(1 run now)"* ]] || fail "third sweep: exit $rc: $out"
[ "$(find "$work/grid/points" -name results.json -newer "$work/grid.csv.first")" = "$work/grid/points/p0003/results.json" ] ||
  fail "not only p0003 reran"
cmp -s "$work/grid/sweep.csv" "$work/grid.csv.first" || fail "sweep.csv changed after a rerun of one point"
# Asked for other values, a finished folder is not taken for them.
out=$("$iovsim" sweep $scenario --vary host.nic.rx_ring=64,256 --vary host.nic.rx_frame=50ns,1us --seeds 2 \
  --out "$work/grid" 2>&1); rc=$?
[ "$rc" = 0 ] && [[ "$out" == *"(4 run now)"* ]] || fail "changed values: exit $rc: $out"

# A failing point (a 4096-descriptor ring drops nothing: the scenario's expectations
# fail) is reported on one line and the others finish.
out=$("$iovsim" sweep $scenario --vary host.nic.rx_ring=64,4096,128 -j 2 --out "$work/fail" 2>"$work/fail.err"); rc=$?
[ "$rc" = 1 ] || fail "failing sweep: exit $rc, expected 1"
[ "$(wc -l <"$work/fail.err")" = 1 ] || fail "expected one line on stderr, got: $(cat "$work/fail.err")"
grep -q "^iovsim sweep: p0001 (host.nic.rx_ring=4096 seed=1): failed, exit 1: expectation failed at step" \
  "$work/fail.err" || fail "failure line: $(cat "$work/fail.err")"
[[ "$out" == *"3 points, 2 passed, 1 failed"* ]] || fail "failing sweep said: $out"
$py - "$work/fail/sweep.json" <<'EOF' || fail "statuses in sweep.json"
import json, sys
pts = json.load(open(sys.argv[1]))["points"]
assert [(p["status"], p["exit_code"]) for p in pts] == [("passed", 0), ("failed", 1), ("passed", 0)], pts
assert pts[1]["captured"]["small_nodesc"] == 0 and pts[2]["captured"]["small_nodesc"] > 0
EOF

# collect merges what is there: a point gone is "missing".
rm -rf "$work/fail/points/p0002"
out=$("$iovsim" sweep collect "$work/fail" 2>/dev/null); rc=$?
[ "$rc" = 1 ] && [[ "$out" == *"3 points, 1 passed, 1 failed, 1 missing (0 run now)"* ]] || fail "collect: exit $rc: $out"
grep -q '^p0002,128,1,missing,,' "$work/fail/sweep.csv" || fail "missing row: $(grep p0002 "$work/fail/sweep.csv")"
"$iovsim" sweep collect "$work/nothing" >/dev/null 2>&1; [ $? = 2 ] || fail "collect of a folder that is no sweep"
echo ok
