#!/usr/bin/env bash
# series.json of a run (issue 13) against the run's own statistics: well formed (one
# value per sample time, categories in order, no all-zero track), every track that is
# also a statistic adds up to it (conservation: a counter's samples are its increases),
# and in replication_saturation every function that received frames has a throughput
# track whose bytes are its frames at 1514 bytes each.
# usage: series_test.sh RUN_DIR   (a run of replication_saturation)
set -uo pipefail
out=$1
[ -f "$out/series.json" ] || { echo "FAIL: no $out/series.json"; exit 1; }
/usr/bin/python3 - "$out" <<'PY'
import json, re, sys
out = sys.argv[1]
s = json.load(open(out + "/series.json"))
r = json.load(open(out + "/results.json"))
metric = {m["name"]: m["value"] for m in r["metric"]}
fail = []
t = s["time_s"]
if not t or any(b <= a for a, b in zip(t, t[1:])): fail.append("time_s is empty or not increasing")
order = ["throughput", "drops", "ring", "iotlb", "link"]
keys = [(order.index(x["category"]), x["name"]) for x in s["tracks"]]
if keys != sorted(keys): fail.append("tracks not ordered by category, then name")
checked = 0
for x in s["tracks"]:
    if len(x["values"]) != len(t): fail.append(x["name"] + ": not one value per sample")
    if not any(x["values"]): fail.append(x["name"] + ": all zero, should be left out")
    if x["kind"] == "counter" and x["name"] in metric:
        checked += 1
        if sum(x["values"]) != metric[x["name"]]:
            fail.append("%s: samples add up to %s, the statistic is %s" % (x["name"], sum(x["values"]), metric[x["name"]]))
if checked < 20: fail.append("only %d tracks are statistics (links up and down of 10 machines expected)" % checked)
# Per port: the functions receiving (PF and VFs: n in the machine's name) each have a
# throughput track, and their bytes are the port's delivered frames at 1514 bytes.
rx = {}
for x in s["tracks"]:
    m = re.match(r"^(?:(\w+)\.)?nic0\.port0\.(pf|vf\d+)\.rx_bytes$", x["name"])
    if m and x["category"] == "throughput":
        rx.setdefault(m.group(1) or "x4_n1", []).append(sum(x["values"]))
for machine in ["x4_n1", "x4_n2", "x4_n4", "x4_n8", "x4_n16", "x8_n1", "x8_n2", "x8_n4", "x8_n8", "x8_n16"]:
    n = int(machine.split("_n")[1])
    got = rx.get(machine, [])
    if len(got) != n: fail.append("%s: %d functions with rx throughput, expected %d" % (machine, len(got), n))
    prefix = "" if machine == "x4_n1" else machine + "."
    frames = metric.get(prefix + "nic0.port0.rx_frames", 0)
    if sum(got) != 1514 * frames:
        fail.append("%s: %d bytes received in the series, %d frames delivered" % (machine, sum(got), frames))
if fail:
    print("FAIL: " + "\n  ".join(fail)); sys.exit(1)
print("ok: %d tracks, %d samples, %d add up to their statistic, rx throughput per function matches" % (len(s["tracks"]), len(t), checked))
PY
