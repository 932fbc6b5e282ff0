"""The plots of iovsim's report, drawn with matplotlib's SVG backend.

run_plots: series.json's tracks over time, one plot per category. sweep_plots: each
captured number and varying metric of sweep.json against each varied parameter.
"""

import io
import math

MAX_TRACKS = 12     # lines per time-series plot; the others are summed into one line
MAX_POINTS = 1500   # samples per line drawn; longer series are reduced in blocks

_plt = None


def setup(matplotlib, plt):
    """Deterministic SVG: text as text (no embedded glyphs), fixed id salt, no date."""
    global _plt
    _plt = plt
    matplotlib.rcParams.update({
        "svg.fonttype": "none",
        "svg.hashsalt": "iovsim-report",
        "font.family": "sans-serif",
        "font.sans-serif": ["DejaVu Sans"],  # named in every text element: one name, not ten
        "font.size": 9,
        "figure.figsize": (7.8, 3.4),
        "axes.grid": True,
        "grid.alpha": 0.35,
        "lines.linewidth": 1.2,
        "axes.prop_cycle": matplotlib.cycler(color=[matplotlib.cm.tab20(i) for i in (0, 2, 4, 6, 8, 10, 12, 16, 18,
                                                                                     1, 3, 5, 9, 11, 13, 17, 19)]),
    })


def to_svg(fig):
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    _plt.close(fig)
    return buf.getvalue()


# ------------------------------------------------------------------- run: series

# category -> (title, what a missing plot would have shown)
CATEGORIES = [
    ("throughput", "Throughput per function", "no throughput tracks"),
    ("drops", "Drops per function", "no drop counter moved"),
    ("ring", "Ring occupancy", "no ring tracks"),
    ("iotlb", "IOTLB hits and misses", "no IOTLB tracks"),
    ("link", "Link utilisation per direction", "no link tracks"),
]


def _convert(track, interval):
    """Values as drawn and their unit: bytes per interval as Gb/s, other counters per
    second, gauges as they are."""
    unit = track.get("unit", "")
    vals = [float(v) for v in track.get("values", [])]
    if track.get("kind") == "counter":
        if unit == "bytes":
            return [v * 8 / interval / 1e9 for v in vals], "Gb/s"
        return [v / interval for v in vals], (unit or "events") + "/s"
    return vals, unit


def _time_scale(tmax):
    if tmax >= 1:
        return 1.0, "s"
    if tmax >= 1e-3:
        return 1e3, "ms"
    return 1e6, "\u00b5s"


def _reduce(times, ys, gauge):
    """At most MAX_POINTS samples: a block's mean (rates) or maximum (gauges)."""
    n = len(times)
    if n <= MAX_POINTS:
        return times, ys, 1
    k = int(math.ceil(n / float(MAX_POINTS)))
    t2, y2 = [], []
    for i in range(0, n, k):
        block = ys[i:i + k]
        t2.append(times[min(i + k, n) - 1])
        y2.append(max(block) if gauge else sum(block) / len(block))
    return t2, y2, k


def _active_window(tracks, n):
    """First and last sample index where frames move (a throughput track is not zero),
    or any counter when no frame does; (0, n-1) when nothing moves. MMIO at boot
    moves the link counters long before the traffic: frames are what a reader looks for."""
    frames = [t for t in tracks if t.get("category") == "throughput"]
    if any(any(t.get("values", [])) for t in frames):
        tracks = frames
    lo, hi = n, -1
    for t in tracks:
        vals = t.get("values", [])
        if t.get("kind") != "counter" or len(vals) != n:
            continue
        nz = [i for i, v in enumerate(vals) if v]
        if nz:
            lo, hi = min(lo, nz[0]), max(hi, nz[-1])
    return (lo, hi) if hi >= 0 else (0, max(0, n - 1))


def run_plots(series):
    """[(title, svg or None, note)] for each category, in CATEGORIES order."""
    interval = float(series.get("interval_s", 0) or 0)
    times = [float(t) for t in series.get("time_s", [])]
    tracks = series.get("tracks", [])
    # Most runs idle for long stretches (a link takes 2 s to come up): every plot shows
    # the same window, from a little before the first sample any counter moved in to a
    # little after the last, when that is less than half the run.
    lo, hi = _active_window(tracks, len(times))
    zoom = ""
    if times and (hi - lo + 1) * 2 < len(times):
        margin = max(2, (hi - lo + 1) // 20)
        lo, hi = max(0, lo - margin), min(len(times) - 1, hi + margin)
        zoom = "; zoomed to %s..%s s, where frames move (the run is %s s)" % (
            "%.6g" % (times[lo] - interval), "%.6g" % times[hi], "%.6g" % times[-1])
        times = times[lo:hi + 1]
        tracks = [dict(t, values=t["values"][lo:hi + 1]) for t in tracks
                  if len(t.get("values", [])) == len(series.get("time_s", []))]
    out = []
    for cat, title, nodata in CATEGORIES:
        ts = [t for t in tracks if t.get("category") == cat and len(t.get("values", [])) == len(times)]
        if not ts or not times or interval <= 0:
            out.append((title, None, nodata))
            continue
        lines = []
        units = []
        for i, t in enumerate(ts):
            ys, unit = _convert(t, interval)
            if unit not in units:
                units.append(unit)
            lines.append((-sum(abs(y) for y in ys), i, t.get("label") or t.get("name", ""), ys,
                          t.get("kind") != "counter"))
        lines.sort(key=lambda x: (x[0], x[1]))
        shown, rest = lines[:MAX_TRACKS], lines[MAX_TRACKS:]
        shown.sort(key=lambda x: x[1])  # legend in the file's order
        if rest:
            summed = [sum(col) for col in zip(*[r[3] for r in rest])]
            shown.append((0, len(lines), "others (%d tracks)" % len(rest), summed, rest[0][4]))
        scale, tunit = _time_scale(times[-1] - times[0] if zoom else times[-1])
        fig, ax = _plt.subplots()
        k = 1
        for j, (_, _, label, ys, gauge) in enumerate(shown):
            tt, yy, k = _reduce(times, ys, gauge)
            tt = [x * scale for x in tt]
            style = {"color": "0.5", "linestyle": ":"} if label.startswith("others (") and rest and \
                j == len(shown) - 1 else {}
            if gauge:
                ax.plot(tt, yy, label=label, **style)
            else:
                ax.step(tt, yy, where="pre", label=label, **style)
        ax.set_xlabel("simulated time (%s)" % tunit)
        ax.set_ylabel(", ".join(u for u in units if u))
        ax.set_ylim(bottom=0)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
        svg = to_svg(fig)
        note = "%d track%s" % (len(ts), "" if len(ts) == 1 else "s")
        if rest:
            note += "; the %d largest drawn, %d more summed as \u201cothers\u201d" % (MAX_TRACKS, len(rest))
        note += "; sampled every %s s" % ("%.9g" % interval) + zoom
        if k > 1:
            note += ", drawn in blocks of %d samples (%s)" % (k, "maximum" if shown[0][4] else "mean")
        out.append((title, svg, note))
    return out


# ------------------------------------------------------------------ sweep: points


def _as_float(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None


def _power_of_two(s):
    f = float(s)
    return f == int(f) and int(f) > 0 and int(f) & (int(f) - 1) == 0


def _reference_of(name, names):
    """X_cap / X_limit is a reference line on X's plot when X is plotted."""
    for suffix in ("_cap", "_limit"):
        if name.endswith(suffix) and name[:-len(suffix)] in names:
            return name[:-len(suffix)]
    return None


def _values(points, kind, name):
    return [p[kind][name] for p in points if name in p.get(kind, {})]


def sweep_plots(sw, max_plots, units=None):
    """(figures [(title, svg, note)], not plotted [(kind, name, min, max, points)],
    constant metrics [(name, value)])."""
    units = units or {}
    points = [p for p in sw.get("points", []) if p.get("metrics") or p.get("captured")]
    varied = list(sw.get("varied", []))
    cap_names = sorted({n for p in points for n in p.get("captured", {})})
    met_names = sorted({n for p in points for n in p.get("metrics", {})})

    everything = set(cap_names) | set(met_names)  # a reference may be of the other kind
    quantities, constant = [], []
    for kind, names in (("captured", cap_names), ("metrics", met_names)):
        for n in names:
            if _reference_of(n, everything):
                continue
            vals = _values(points, kind, n)
            if kind == "metrics" and len(set(vals)) <= 1:
                constant.append((n, vals[0] if vals else 0))
                continue
            quantities.append((kind, n))

    axes = varied if varied else ["seed"]
    figs, rest = [], []
    for kind, n in quantities:
        if len(figs) + len(axes) > max_plots:
            vals = _values(points, kind, n)
            rest.append(("captured" if kind == "captured" else "metric", n, min(vals), max(vals), len(vals)))
            continue
        refs = [(k, r) for r in (n + "_cap", n + "_limit")
                for k, pool in (("captured", cap_names), ("metrics", met_names)) if r in pool]
        for x in axes:
            figs.append(_sweep_figure(points, varied, kind, n, refs, x, units.get(n, "")))
    return figs, rest, constant


def _param(p, name):
    return str(p.get("seed")) if name == "seed" else str(p.get("params", {}).get(name, ""))


def _sweep_figure(points, varied, kind, name, refs, x, unit):
    others = [v for v in varied if v != x]
    xs_raw = []
    for p in points:
        v = _param(p, x)
        if v not in xs_raw:
            xs_raw.append(v)
    numeric = all(_as_float(v) is not None for v in xs_raw)
    if numeric:
        xs_raw.sort(key=float)
        pos = {v: float(v) for v in xs_raw}
    else:
        pos = {v: float(i) for i, v in enumerate(xs_raw)}

    groups = []   # (key, {x: [values]}, {ref: {x: [values]}})
    index = {}
    for p in points:
        key = tuple(_param(p, o) for o in others)
        if key not in index:
            index[key] = len(groups)
            groups.append((key, {}, {r: {} for r in refs}))  # refs: (kind, name)
        _, vals, rvals = groups[index[key]]
        xv = _param(p, x)
        if name in p.get(kind, {}):
            vals.setdefault(xv, []).append(float(p[kind][name]))
        for r in refs:
            if r[1] in p.get(r[0], {}):
                rvals[r].setdefault(xv, []).append(float(p[r[0]][r[1]]))

    fig, ax = _plt.subplots()
    several = False
    legend = []   # handles in drawing order (matplotlib would put error bars last)
    for gi, (key, vals, rvals) in enumerate(groups):
        color = "C%d" % (gi % len(_plt.rcParams["axes.prop_cycle"]))
        label = ", ".join("%s=%s" % (o, k) for o, k in zip(others, key)) or name
        xs = [v for v in xs_raw if v in vals]
        if xs:
            means = [sum(vals[v]) / len(vals[v]) for v in xs]
            lo = [m - min(vals[v]) for m, v in zip(means, xs)]
            hi = [max(vals[v]) - m for m, v in zip(means, xs)]
            if any(min(vals[v]) < max(vals[v]) for v in xs):  # seeds that disagree
                several = True
                h = ax.errorbar([pos[v] for v in xs], means, yerr=[lo, hi], color=color, marker="o", markersize=3,
                                capsize=3)
            else:
                h, = ax.plot([pos[v] for v in xs], means, color=color, marker="o", markersize=3)
            legend.append((h, label))
        for r in refs:
            rx = [v for v in xs_raw if v in rvals[r]]
            if rx:
                h, = ax.plot([pos[v] for v in rx], [sum(rvals[r][v]) / len(rvals[r][v]) for v in rx], color=color,
                             linestyle="--", linewidth=1.0)
                legend.append((h, "%s (%s)" % (r[1], label) if others else r[1]))
    if numeric and float(xs_raw[0]) > 0 and float(xs_raw[-1]) / float(xs_raw[0]) >= 16:
        # 1, 2, 4 ... 64 or 64 ... 4096 entries: doublings are what the architect varies
        ax.set_xscale("log", base=2 if all(_power_of_two(v) for v in xs_raw) else 10)
        ax.minorticks_off()
    if not numeric or len(xs_raw) <= 12:
        ax.set_xticks([pos[v] for v in xs_raw])
        ax.set_xticklabels(xs_raw)
    ax.set_xlabel(x)
    ax.set_ylabel(name + (" (%s)" % unit if unit else ""))
    ax.legend([h for h, _ in legend], [lb for _, lb in legend], loc="upper left", bbox_to_anchor=(1.01, 1.0),
              fontsize=7, frameon=False)
    svg = to_svg(fig)
    note = "%s; one line per value of %s" % ("captured number" if kind == "captured" else "metric",
                                               ", ".join(others)) if others else \
        ("captured number" if kind == "captured" else "metric")
    if several:
        note += "; mean over seeds, bars from min to max"
    if refs:
        note += "; dashed: " + ", ".join(r for _, r in refs)
    return ("%s vs %s" % (name, x), svg, note)
