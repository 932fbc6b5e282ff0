#!/usr/bin/python3
"""A stand-in series.json for a run folder that has none (the time-series work of issue 13
writes the real one): the format of notes/issue13_spec.md, tracks named after the run's
own functions, a burst of traffic in the last fifth of the run. Deterministic.

usage: fake_series.py RUN_DIR   (writes RUN_DIR/series.json)
"""
import json
import os
import sys

run = sys.argv[1]
res = json.load(open(os.path.join(run, "results.json")))
sim_time = float(res.get("sim_time", "1"))
n = 2000                                   # more than the report draws: it reduces in blocks
interval = sim_time / n
times = [interval * (i + 1) for i in range(n)]
start = int(n * 0.8)                      # traffic from 80 % of the run on


def burst(rate, ramp=10):
    return [0 if i < start else rate * min(1.0, (i - start + 1) / ramp) for i in range(n)]


machines = res.get("world", {}).get("machine") or [{"prefix": "", "function": res.get("function", [])}]
tracks = []
line = 10e9 / 8 * interval                 # 10 Gb/s line rate in bytes per interval
for m in machines:
    pre = m.get("prefix", "")
    fns = [f for f in m.get("function", []) if f.get("driver")]
    for k, f in enumerate(fns):
        bdf = f["bdf"][5:]
        kind = "vf" if f.get("virtfn") else "pf"
        share = line * (0.9 if k == 0 else 0.3 / k)
        tracks.append({"name": "%snic0.%s.%s.rx_bytes" % (pre, kind, bdf), "label": "%s%s rx" % (pre, bdf),
                       "category": "throughput", "unit": "bytes", "kind": "counter",
                       "values": [round(v) for v in burst(share)]})
        if k == 0:
            tracks.append({"name": "%snic0.%s.%s.rx_no_descriptor" % (pre, kind, bdf),
                           "label": "%s%s no descriptor" % (pre, bdf), "category": "drops", "unit": "frames",
                           "kind": "counter", "values": [round(v) for v in burst(share / 1514 * 0.4)]})
            tracks.append({"name": "%snic0.%s.%s.rxq0.occupancy" % (pre, kind, bdf),
                           "label": "%s%s rxq0" % (pre, bdf), "category": "ring", "unit": "descriptors",
                           "kind": "gauge", "values": [0 if i < start else min(512, (i - start) * 37 % 600)
                                                       for i in range(n)]})
    tracks.append({"name": "%sdmar0.iotlb_hits" % pre, "label": "%sdmar0 hits" % pre, "category": "iotlb",
                   "unit": "lookups", "kind": "counter", "values": [round(v) for v in burst(line / 1514 * 2)]})
    tracks.append({"name": "%sdmar0.iotlb_misses" % pre, "label": "%sdmar0 misses" % pre, "category": "iotlb",
                   "unit": "lookups", "kind": "counter", "values": [round(v) for v in burst(line / 1514 / 8)]})
    tracks.append({"name": "%slink.00:01.0.down_bytes" % pre, "label": "%s00:01.0 down" % pre,
                   "category": "link", "unit": "bytes", "kind": "counter",
                   "values": [round(v) for v in burst(line * 1.05)]})
    tracks.append({"name": "%slink.00:01.0.up_bytes" % pre, "label": "%s00:01.0 up" % pre, "category": "link",
                   "unit": "bytes", "kind": "counter", "values": [round(v) for v in burst(line * 0.05)]})
order = ["throughput", "drops", "ring", "iotlb", "link"]
tracks = [t for t in tracks if any(t["values"])]
tracks.sort(key=lambda t: (order.index(t["category"]), t["name"]))


def g(x):
    return float("%.9g" % x)


doc = {"interval_s": g(interval), "time_s": [g(t) for t in times], "tracks": tracks}
with open(os.path.join(run, "series.json"), "w") as f:
    json.dump(doc, f, separators=(", ", ": "))
    f.write("\n")
