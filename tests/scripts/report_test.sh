#!/usr/bin/env bash
# `iovsim report` opened in a real browser: headless Chromium loads the page, the page's
# own self-check finds every plot present and drawn, the console stays silent, the
# plot count is what the inputs call for, and the same inputs give the same bytes.
# usage: report_test.sh IOVSIM SOURCE_DIR WORK_DIR run|sweep|errors
# Exit 77 (skipped) when Chromium cannot start here; never a pass without the browser.
set -uo pipefail
iovsim=$1 src=$2 work=$3 mode=$4
fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$work" && mkdir -p "$work" || fail "cannot make $work"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
py=/usr/bin/python3

# render PAGE: the DOM after load into $tmp/dom.html, Chromium's log into $tmp/log.txt.
render() {
  timeout 120 chromium --headless=new --no-sandbox --disable-gpu --user-data-dir="$tmp/profile" \
    --virtual-time-budget=5000 --enable-logging=stderr --v=0 --dump-dom "file://$1" >"$tmp/dom.html" 2>"$tmp/log.txt"
}

browser_or_skip() {
  command -v chromium >/dev/null || { echo "SKIP: chromium is not installed"; exit 77; }
  printf '<html><body><p id="m">x</p><script>document.getElementById("m").textContent="alive"</script></body></html>' \
    >"$tmp/probe.html"
  if ! render "$tmp/probe.html" || ! grep -q '>alive<' "$tmp/dom.html"; then
    tail -5 "$tmp/log.txt"
    echo "SKIP: chromium cannot start here"
    exit 77
  fi
}

# check_in_browser PAGE PLOTS: the page's self-check says ok with PLOTS plots, and the
# browser logged no console message (the page logs none) and no uncaught error.
check_in_browser() {
  render "$1" || fail "chromium could not load $1"
  local box
  box=$(grep -o '<div id="selfcheck"[^<]*' "$tmp/dom.html") || fail "no self-check box in the loaded page"
  echo "$box" | grep -q 'data-status="ok"' || fail "self-check: $box"
  echo "$box" | grep -q "data-plots=\"$2\"" || fail "expected $2 plots: $box"
  if grep -E 'CONSOLE|Uncaught' "$tmp/log.txt"; then fail "the browser logged the lines above"; fi
}

# Nothing is fetched: no external scripts, styles, images or fonts; links are relative.
self_contained() {
  if grep -Eo '(src|href)="[a-z]+:[^"]*"|@import|url\(http|<link ' "$1" | grep -v 'href="#'; then
    fail "$1 refers to something outside the page (above)"
  fi
}

case $mode in
run)
  browser_or_skip
  "$iovsim" run nic_line_rate --out "$work/run" >/dev/null || fail "iovsim run nic_line_rate failed"
  [ -f "$work/run/series.json" ] || fail "the run wrote no series.json"
  start=$(date +%s.%N)
  "$iovsim" report "$work/run" >"$tmp/out.txt" || fail "iovsim report failed"
  end=$(date +%s.%N)
  page=$work/run/report.html
  grep -qx "report -> $work/run/report.html" "$tmp/out.txt" || fail "unexpected output: $(cat "$tmp/out.txt")"
  echo "run report: $(stat -c %s "$page") bytes in $(awk "BEGIN { printf \"%.2f\", $end - $start }") s"
  # Same inputs, same bytes, whatever Python's hash seed.
  PYTHONHASHSEED=12345 "$iovsim" report "$work/run" --out "$tmp/again.html" >/dev/null || fail "second report failed"
  cmp "$page" "$tmp/again.html" || fail "two reports of the same run differ"
  self_contained "$page"
  # One plot for each series category that has a track.
  plots=$($py -c '
import json, sys
s = json.load(open(sys.argv[1]))
print(len({t["category"] for t in s["tracks"]} & {"throughput", "drops", "ring", "iotlb", "link"}))' \
    "$work/run/series.json") || fail "cannot read series.json"
  [ "$plots" -ge 1 ] || fail "series.json has no tracks to plot"
  check_in_browser "$page" "$plots"
  # What is drawn: the topology's node texts, the expectations' count, the plot titles.
  counts=$($py -c 'import json, sys; r = json.load(open(sys.argv[1]))
print("%d expectations, %d failed|%d captured numbers" % (r["expectations"], r["failures"], len(r["captured"])))' \
    "$work/run/results.json") || fail "cannot read results.json"
  for want in '<figure class="topology">' '>01:10.0</text>' '>ixgbevf enp1s0f0v0</text>' "${counts%|*}" \
    '<figcaption>Throughput per function</figcaption>' "${counts#*|}" 'dmar0.translation_time'; do
    grep -qF -- "$want" "$tmp/dom.html" || fail "the page lacks: $want"
  done
  # A run with the scenario's own tables, ten machines and their series (the golden
  # folder, read only): a plot per category its series.json has.
  "$iovsim" report "$src/scenarios/golden/replication_saturation" --out "$work/golden.html" >/dev/null ||
    fail "iovsim report failed on the golden replication_saturation folder"
  categories=$($py -c 'import json, sys
print(len({t["category"] for t in json.load(open(sys.argv[1]))["tracks"]}))' \
    "$src/scenarios/golden/replication_saturation/series.json") || fail "cannot read the golden series.json"
  check_in_browser "$work/golden.html" "$categories"
  # And one without series.json says so.
  mkdir -p "$work/noseries" && cp "$src/scenarios/golden/replication_saturation"/{results.json,summary.txt,topology.dot} "$work/noseries/" ||
    fail "cannot copy the golden folder"
  "$iovsim" report "$work/noseries" >/dev/null || fail "iovsim report failed on a folder without series.json"
  grep -qF 'no series.json in this run' "$work/noseries/report.html" || fail "the page does not say series.json is missing"
  for want in '<h3>1518 B broadcast at 10 Gb/s line rate' '<th>all functions</th>' \
    '>x8_n16</text>'; do
    grep -qF -- "$want" "$tmp/dom.html" || fail "the golden run's page lacks: $want"
  done
  # The self-check is not vacuous: a script error and an emptied plot make it fail.
  $py - "$page" "$tmp/broken.html" <<'PY' || fail "could not make the broken page"
import re, sys
s = open(sys.argv[1]).read()
i = s.index('<figure class="plot" id="plot-1">')
j = s.index("</figure>", i)
s = s[:i] + '<figure class="plot" id="plot-1"><svg></svg>' + s[j:]
s = s.replace("</body>", "<script>no_such_function();</script></body>")
open(sys.argv[2], "w").write(s)
PY
  render "$tmp/broken.html" || fail "chromium could not load the broken page"
  grep -o '<div id="selfcheck"[^<]*' "$tmp/dom.html" | grep -q 'data-status="fail".*plot-1: empty drawing.*' ||
    fail "the self-check missed an empty plot: $(grep -o '<div id="selfcheck"[^<]*' "$tmp/dom.html")"
  grep -q 'no_such_function' "$tmp/dom.html" || fail "the self-check missed a script error"
  grep -q 'Uncaught' "$tmp/log.txt" || fail "the browser log shows no uncaught error for the broken page"
  ;;
sweep)
  browser_or_skip
  cp -r "$src/tests/scripts/fixtures/report_sweep" "$work/sweep" || fail "cannot copy the fixture"
  echo "a point's summary" >"$work/sweep/points/p0003/summary.txt"
  start=$(date +%s.%N)
  "$iovsim" report "$work/sweep" >/dev/null || fail "iovsim report failed on the sweep"
  end=$(date +%s.%N)
  page=$work/sweep/report.html
  echo "sweep report: $(stat -c %s "$page") bytes in $(awk "BEGIN { printf \"%.2f\", $end - $start }") s"
  PYTHONHASHSEED=999 "$iovsim" report "$work/sweep" --out "$work/sweep/again.html" >/dev/null || fail "second report failed"
  cmp "$page" "$work/sweep/again.html" || fail "two reports of the same sweep differ"
  self_contained "$page"
  # 2 varied parameters x (per_vf_gbps, total_gbps; per_vf_gbps_cap is per_vf_gbps's
  # dashed line) and the 2 metrics that vary (cpu.config_accesses is the same everywhere).
  check_in_browser "$page" 8
  $py - "$tmp/dom.html" <<'PY' || fail "the sweep page is not what the fixture calls for"
import re, sys
s = open(sys.argv[1]).read()
figs = re.findall(r'<figure class="plot" id="(plot-\d+)"><figcaption>([^<]*)</figcaption>(.*?)</figure>', s, re.S)
titles = [t for _, t, _ in figs]
want = [q + " vs " + x for q in ("per_vf_gbps", "total_gbps", "dmar0.iotlb_hits", "nic0.rx_frames")
        for x in ("link.nic.width", "vfs")]
assert titles == want, titles
for _, t, body in figs:
    dashed = "stroke-dasharray" in body
    assert dashed == t.startswith("per_vf_gbps"), (t, "dashed cap line" if dashed else "no dashed cap line")
    assert ">per_vf_gbps_cap (vfs=8)<" in body or not t == "per_vf_gbps vs link.nic.width", t
# every point is listed; a point with a summary is linked; failed and error points stand out
for p in range(16):
    assert ">p%04d<" % p in s, p
assert '<a href="points/p0003/summary.txt">summary.txt</a>' in s
assert s.count('<tr class="fail">') == 2
assert "cpu.config_accesses" in s and "1 metric with one value at every point" in s
PY
  # More numbers than plots: the first 40 plots, the rest listed with their range.
  mkdir -p "$work/wide"
  $py - "$work/wide/sweep.json" <<'PY' || fail "cannot write the wide sweep"
import json, sys
pts = [{"id": "p%04d" % i, "dir": "", "params": {"a": str(a), "b": b}, "seed": 1, "status": "passed",
        "exit_code": 0, "captured": {"m00_limit": 5}, "metrics": {"m%02d" % k: a * k + len(b) for k in range(30)}}
       for i, (a, b) in enumerate((a, b) for a in (1, 2) for b in ("x", "yy", "zzz"))]
json.dump({"scenario": "wide", "varied": ["a", "b"], "seeds": 1, "points": pts}, open(sys.argv[1], "w"), sort_keys=True)
PY
  "$iovsim" report "$work/wide" >/dev/null || fail "iovsim report failed on the wide sweep"
  check_in_browser "$work/wide/report.html" 40
  # a captured m00_limit is the dashed line on the metric m00's plots, not a plot of its own
  $py -c 'import re, sys; s = open(sys.argv[1]).read()
figs = re.findall(r"<figcaption>([^<]*)</figcaption>(.*?)</figure>", s, re.S)
assert [t for t, b in figs if "stroke-dasharray" in b] == ["m00 vs a", "m00 vs b"], [t for t, b in figs][:3]' \
    "$tmp/dom.html" || fail "m00_limit is not drawn dashed on m00's plots alone"
  grep -qF '<p>10 more quantities</p>' "$tmp/dom.html" ||
    fail "the wide sweep does not list the 10 metrics it could not plot"
  grep -qF '<td>metric</td><td>m29</td><td class="n">30</td><td class="n">61</td>' "$tmp/dom.html" ||
    fail "m29's range is not listed"
  ;;
errors)
  "$iovsim" report "$tmp" >/dev/null 2>"$tmp/err.txt" && fail "a folder with no run or sweep was accepted"
  [ $? = 2 ] || fail "not exit 2 for an empty folder"
  grep -qF "is neither a run's folder (no results.json) nor a sweep's folder (no sweep.json)" "$tmp/err.txt" ||
    fail "wrong message: $(cat "$tmp/err.txt")"
  "$iovsim" report "$tmp/nothing-here" 2>"$tmp/err.txt"
  [ $? = 2 ] && grep -q "is not a folder" "$tmp/err.txt" || fail "a missing folder: $(cat "$tmp/err.txt")"
  cp -r "$src/tests/scripts/fixtures/report_sweep" "$work/sweep"
  # matplotlib hidden from Debian's python3: said, exit 2, nothing written.
  mkdir -p "$tmp/hide/matplotlib" && echo 'raise ImportError("hidden by report_test.sh")' \
    >"$tmp/hide/matplotlib/__init__.py"
  PYTHONPATH="$tmp/hide" "$iovsim" report "$work/sweep" 2>"$tmp/err.txt"
  [ $? = 2 ] && grep -q "matplotlib is missing" "$tmp/err.txt" || fail "no matplotlib: $(cat "$tmp/err.txt")"
  [ ! -e "$work/sweep/report.html" ] || fail "a report was written without matplotlib"
  # A run's report without Graphviz's dot on PATH.
  mkdir -p "$work/run" && cp "$src/tests/scripts/fixtures/report_sweep/points/p0000/results.json" "$work/run/"
  PATH=/nonexistent "$iovsim" report "$work/run" 2>"$tmp/err.txt"
  [ $? = 2 ] && grep -q "dot is missing" "$tmp/err.txt" || fail "no dot: $(cat "$tmp/err.txt")"
  # A results.json that is not JSON: one line naming the folder, exit 2.
  echo '{"scenario": ' >"$work/run/results.json"
  "$iovsim" report "$work/run" 2>"$tmp/err.txt"
  [ $? = 2 ] && grep -q "cannot read $work/run" "$tmp/err.txt" || fail "bad results.json: $(cat "$tmp/err.txt")"
  [ "$(wc -l <"$tmp/err.txt")" = 1 ] || fail "more than one line for a bad results.json: $(cat "$tmp/err.txt")"
  ;;
*) fail "unknown mode $mode" ;;
esac
echo "ok"
