#!/usr/bin/python3
"""iovsim report: one self-contained HTML page for a run's or a sweep's folder.

usage: /usr/bin/python3 viz/report.py DIR OUT

Reads output files only (results.json, series.json, topology.dot, sweep.json); the
plots are matplotlib's SVG, the topology Graphviz's, both inlined, so the page needs
no network. The same inputs give the same bytes: no dates, fixed SVG ids.
Exit status: 0 written, 2 DIR is neither a run nor a sweep, or a tool is missing.
"""

import json
import os
import re
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True  # the source tree may be read-only, and stays clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

MAX_TOPOLOGY_NODES = 400  # a rack of 2,000 functions is drawn by dot alone, not inlined
MAX_SWEEP_PLOTS = 40     # sweep plots; the quantities past this are listed in a table


def fail(msg):
    sys.stderr.write("iovsim report: " + msg + "\n")
    sys.exit(2)


try:
    import matplotlib
except ImportError:
    fail("matplotlib is missing for /usr/bin/python3 (Debian: apt-get install python3-matplotlib)")
matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)

import report_html as page  # noqa: E402
import report_plots as plots  # noqa: E402


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


# ---------------------------------------------------------------------------- run


def scenario_description(run_dir):
    """The scenario's description: summary.txt's indented lines under `scenario:`."""
    path = os.path.join(run_dir, "summary.txt")
    if not os.path.exists(path):
        return ""
    lines = []
    with open(path, encoding="utf-8") as f:
        first = f.readline()
        if not first.startswith("scenario:"):
            return ""
        for line in f:
            if not line.startswith("  "):
                break
            lines.append(line.strip())
    return " ".join(lines)


def topology_svg(run_dir):
    path = os.path.join(run_dir, "topology.dot")
    if not os.path.exists(path):
        return '<p class="nodata">no topology.dot in this run\'s folder</p>'
    with open(path, encoding="utf-8") as f:
        nodes = sum(1 for line in f if re.match(r"\s*\w+ \[label=", line))
    if nodes > MAX_TOPOLOGY_NODES:
        return ('<p class="nodata">%d functions and ports: too many to draw on this page '
                "(<code>dot -Tsvg topology.dot</code> draws them all)</p>" % nodes)
    r = subprocess.run(["dot", "-Tsvg", path], capture_output=True, check=False, timeout=120)
    if r.returncode != 0:
        return '<p class="nodata">dot could not draw topology.dot: %s</p>' % page.esc(
            r.stderr.decode("utf-8", "replace").strip())
    svg = page.clean_svg(r.stdout.decode("utf-8"), "topo")
    return '<figure class="topology">%s</figure>' % svg


def expectations_section(res):
    exps = res.get("expectation", [])
    if not exps:
        return "<p>no expectations</p>"
    rows = []
    for e in exps:
        ok = e.get("passed", False)
        rows.append(([str(e.get("step", "")), e.get("at", ""), e.get("shell", ""), e.get("check", ""),
                      page.Raw(page.verdict(ok)), e.get("actual", "")], "" if ok else "fail"))
    return page.table(["step", "at (s)", "shell", "check", "result", "actual"], rows,
                      summary="%d expectations, %d failed" % (len(exps), res.get("failures", 0)),
                      open_=res.get("failures", 0) > 0)


def scenario_tables(res):
    out = []
    for t in res.get("table", []):
        rows = []
        for r in t.get("row", []):
            rows.append([c.get("text", "") if not c.get("missing") else "(missing)" for c in r.get("cell", [])])
        out.append("<h3>%s</h3>" % page.esc(t.get("title") or t.get("name", "")))
        out.append(page.table(t.get("column", []), rows, numeric_right=True))
    return "\n".join(out) if out else "<p>this scenario has no tables</p>"


def captured_section(res):
    caps = res.get("captured", [])
    if not caps:
        return "<p>nothing captured</p>"
    rows = [[c["name"], page.num(c.get("value", 0)), str(c.get("step", ""))] for c in caps]
    return page.table(["name", "value", "step"], rows, summary="%d captured numbers" % len(caps), numeric_right=True)


def metrics_section(res):
    ms = res.get("metric", [])
    if not ms:
        return "<p>no metrics</p>"
    rows = [[m["name"], page.num(m.get("value", 0)), m.get("unit", ""), m.get("description", "")] for m in ms]
    out = [page.table(["name", "value", "unit", "description"], rows, summary="%d metrics" % len(ms),
                      numeric_right=True)]
    ds = res.get("distribution", [])
    if ds:
        drows = [[d["name"], d.get("unit", ""), str(d.get("count", 0))] +
                 [page.num(d.get(k, 0)) for k in ("mean", "min", "p50", "p90", "p99", "max")] +
                 [d.get("description", "")] for d in ds]
        out.append("<h3>Distributions</h3>")
        out.append(page.table(["name", "unit", "count", "mean", "min", "p50", "p90", "p99", "max", "description"],
                              drows, summary="%d distributions" % len(ds), numeric_right=True))
    return "\n".join(out)


def world_section(res):
    w = res.get("world")
    if not w or not w.get("wire"):
        return ""
    rows = []
    for wire in w.get("wire", []):
        for d in ("a_to_b", "b_to_a"):
            x = wire.get(d, {})
            rows.append([wire.get("name", ""), x.get("from", ""), str(wire.get("rate_mbps", "")),
                         str(x.get("frames_sent", 0)), str(x.get("bytes_sent", 0)),
                         str(x.get("frames_delivered", 0)), str(x.get("dropped_link_down", 0))])
    return "<h2>Wires</h2>\n" + page.table(
        ["wire", "from", "Mb/s", "frames sent", "bytes sent", "delivered", "dropped (link down)"], rows,
        numeric_right=True)


def run_report(run_dir, title_prefix=""):
    res = load_json(os.path.join(run_dir, "results.json"))
    name = res.get("scenario", "") or os.path.basename(os.path.abspath(run_dir))
    passed = res.get("passed", False)
    p = page.Page("iovsim report: " + name)
    p.add('<h1>%s<span class="badge %s">%s</span></h1>' % (
        page.esc(title_prefix + name), "pass" if passed else "fail", "passed" if passed else "FAILED"))
    desc = scenario_description(run_dir)
    info = [("scenario", name), ("seed", str(res.get("seed", ""))),
            ("simulated time", "%s s" % res.get("sim_time", "")),
            ("expectations", "%d, %d failed" % (res.get("expectations", 0), res.get("failures", 0)))]
    p.add(page.keyvals(info))
    if desc:
        p.add('<p class="desc">%s</p>' % page.esc(desc))
    p.section("Topology", topology_svg(run_dir))
    p.section("Expectations", expectations_section(res))
    p.section("Tables", scenario_tables(res))
    p.section("Captured numbers", captured_section(res))
    series_path = os.path.join(run_dir, "series.json")
    if os.path.exists(series_path):
        series = load_json(series_path)
        figs = plots.run_plots(series)
        body = []
        for title, svg, note in figs:
            if svg is None:
                body.append('<h3>%s</h3><p class="nodata">no data (%s)</p>' % (page.esc(title), page.esc(note)))
            else:
                body.append(p.figure(svg, title, note))
        p.section("Over time", "\n".join(body))
    else:
        p.section("Over time", '<p class="nodata">no series.json in this run\'s folder: no time series to plot</p>')
    p.section("Metrics", metrics_section(res))
    w = world_section(res)
    if w:
        p.add(w)
    return p.render()


# -------------------------------------------------------------------------- sweep


def metric_units(sweep_dir, points):
    """Metric units from the first point whose results.json is there (sweep.json has values only)."""
    for pt in points:
        path = os.path.join(sweep_dir, pt.get("dir", ""), "results.json")
        if pt.get("dir") and os.path.exists(path):
            return {m["name"]: m.get("unit", "") for m in load_json(path).get("metric", [])}
    return {}


def sweep_report(sweep_dir, out_path):
    sw = load_json(os.path.join(sweep_dir, "sweep.json"))
    name = sw.get("scenario", "")
    varied = sw.get("varied", [])
    points = sw.get("points", [])
    p = page.Page("iovsim sweep report: " + name)
    counts = {}
    for pt in points:
        counts[pt.get("status", "missing")] = counts.get(pt.get("status", "missing"), 0) + 1
    all_passed = counts.get("passed", 0) == len(points)
    p.add('<h1>sweep: %s<span class="badge %s">%s</span></h1>' % (
        page.esc(name), "pass" if all_passed else "fail",
        "all passed" if all_passed else "not all passed"))
    p.add(page.keyvals([("scenario", name), ("varied", ", ".join(varied)), ("seeds", str(sw.get("seeds", ""))),
                        ("points", "%d (%s)" % (len(points), ", ".join(
                            "%d %s" % (counts[k], k) for k in sorted(counts))))]))

    out_dir = os.path.dirname(os.path.abspath(out_path))
    rows = []
    for pt in points:
        pdir = os.path.join(sweep_dir, pt.get("dir", ""))
        link = ""
        for f in ("report.html", "summary.txt"):
            if pt.get("dir") and os.path.exists(os.path.join(pdir, f)):
                rel = os.path.relpath(os.path.join(pdir, f), out_dir)
                link = page.Raw('<a href="%s">%s</a>' % (page.esc(rel), f))
                break
        status = pt.get("status", "missing")
        rows.append(([pt.get("id", "")] + [str(pt.get("params", {}).get(v, "")) for v in varied] +
                     [str(pt.get("seed", "")), status, str(pt.get("exit_code", "")), link],
                     "" if status == "passed" else "fail"))
    p.section("Points", page.table(["point"] + varied + ["seed", "status", "exit", "report"], rows,
                                   summary="%d points" % len(points)))

    figs, rest, constant = plots.sweep_plots(sw, MAX_SWEEP_PLOTS, metric_units(sweep_dir, points))
    body = [p.figure(svg, title, note) for title, svg, note in figs]
    if not figs:
        body.append('<p class="nodata">no data: no point has numbers to plot</p>')
    if rest:
        body.append("<h3>Not plotted (past the first %d plots)</h3>" % MAX_SWEEP_PLOTS)
        body.append(page.table(["kind", "name", "min", "max", "points"],
                               [[k, n, page.num(lo), page.num(hi), str(c)] for k, n, lo, hi, c in rest],
                               summary="%d more quantities" % len(rest), numeric_right=True))
    if constant:
        body.append("<h3>Constant across points</h3>")
        body.append(page.table(["metric", "value"], [[n, page.num(v)] for n, v in constant],
                               summary="%d metric%s with one value at every point" % (
                                   len(constant), "" if len(constant) == 1 else "s"),
                               numeric_right=True))
    p.section("Against the varied parameters", "\n".join(body))
    return p.render()


def main(argv):
    if len(argv) != 3:
        fail("usage: report.py DIR OUT")
    d, out = argv[1], argv[2]
    if not os.path.isdir(d):
        fail("%s is not a folder" % d)
    is_sweep = os.path.exists(os.path.join(d, "sweep.json"))
    is_run = os.path.exists(os.path.join(d, "results.json"))
    if not is_sweep and not is_run:
        fail("%s is neither a run's folder (no results.json) nor a sweep's folder (no sweep.json)" % d)
    if is_run and not is_sweep and shutil.which("dot") is None:
        fail("dot is missing: the topology is drawn by Graphviz (Debian: apt-get install graphviz)")
    plots.setup(matplotlib, plt)
    try:
        text = sweep_report(d, out) if is_sweep else run_report(d)
    except (ValueError, KeyError, TypeError) as e:  # a file that is not what iovsim writes
        fail("cannot read %s: %s: %s" % (d, type(e).__name__, e))
    tmp = out + ".tmp"
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, out)
    except OSError as e:
        fail("cannot write %s: %s" % (out, e.strerror or e))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
