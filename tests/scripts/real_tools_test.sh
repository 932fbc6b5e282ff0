#!/usr/bin/env bash
# The field's own tools read our outputs: pciutils' lspci decodes every config dump
# (and decodes it exactly as our host shell's lspci printed it), Graphviz renders the
# topology, and the trace is a well-formed Chrome trace-event document.
# usage: real_tools_test.sh OUTPUT_DIR   (a run of x540_sriov_setup)
set -uo pipefail
out=$1
fail() { echo "FAIL: $*"; exit 1; }
command -v lspci >/dev/null || fail "lspci (pciutils) is not installed"
command -v dot >/dev/null || fail "dot (graphviz) is not installed"
[ -d "$out/config" ] || fail "no $out/config"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

n=0
for f in "$out"/config/*.txt; do
  lspci -F "$f" -vvv -nn >"$tmp/one.txt" 2>/dev/null || fail "lspci -F $f failed"
  head -1 "$f" | grep -q . || fail "$f has no header line"
  grep -q "$(head -1 "$f" | cut -d' ' -f1 | sed 's/^0000://')" "$tmp/one.txt" || fail "lspci did not decode $f"
  n=$((n + 1))
done
[ "$n" = 13 ] || fail "expected 13 config dumps (host bridge, 3 root ports, 2 PFs, 7 VFs), got $n"

cat "$out"/config/*.txt >"$tmp/all.txt"
lspci -F "$tmp/all.txt" -vvv >"$tmp/real.txt" 2>/dev/null || fail "lspci -F on all dumps failed"
want() { grep -qF -- "$1" "$tmp/real.txt" || fail "real lspci output lacks: $1"; }
want "03:00.1 Ethernet controller: Intel Corporation Ethernet Controller 10-Gigabit X540-AT2 (rev 01)"
want "Initial VFs: 64, Total VFs: 64, Number of VFs: 7, Function Dependency Link: 01"
want "VF offset: 128, stride: 2, Device ID: 1515"
want "$(printf 'IOVCtl:\tEnable- Migration- Interrupt- MSE- ARIHierarchy+')"
want "$(printf 'IOVCtl:\tEnable+ Migration- Interrupt- MSE+ ARIHierarchy-')"
want "Bus: primary=00, secondary=03, subordinate=04"
want "ARIFwd+"
# A VF's Vendor and Device ID registers read 0xFFFF (SR-IOV spec 3.4.1.1): the dumps
# hold the raw bytes, as `lspci -xxxx` prints them on a real host, so lspci -F sees
# ffff:ffff where the live lspci (sysfs vendor/device) shows 8086:1515.
[ "$(lspci -F "$tmp/all.txt" -n -d ffff:ffff | wc -l)" = 7 ] || fail "real lspci does not see 7 VFs"

# Our shell's `lspci -vvv` (the scenario's last step) against the real decoding of
# the same bytes. Lines only the kernel can know are dropped from ours (driver,
# modules, BAR sizes from sysfs, VF BARs the kernel derives); real lspci -F reports
# the upper half of a 64-bit BAR above 4 GiB as an unassigned region, and prints
# AtomicOpsCap only for functions with a memory BAR it can see (a VF's are sysfs-only).
# A VF's heading names it from sysfs IDs in ours, from 0xFFFF in the dump's decoding:
# both keep the slot and class only.
vf_heading='s/^(03:1[01]\.[0-7] Ethernet controller):.*/\1/'
sed -n '/\$ lspci -vvv$/,$p' "$out/transcript.txt" | tail -n +2 \
  | grep -vE 'Kernel driver in use|Kernel modules|\[virtual\]|AtomicOpsCap' \
  | sed -E '/Region/s/ \[size=[^]]*\]//' | sed -E "$vf_heading" >"$tmp/ours.txt"
grep -vE 'Memory at <unassigned>|AtomicOpsCap' "$tmp/real.txt" | sed -E "$vf_heading" >"$tmp/real_f.txt"
diff "$tmp/ours.txt" "$tmp/real_f.txt" >"$tmp/diff.txt" || { head -40 "$tmp/diff.txt"; fail "our lspci -vvv differs from the real lspci -F"; }

dot -Tsvg "$out/topology.dot" -o "$tmp/t.svg" || fail "dot could not render topology.dot"
grep -q "<svg" "$tmp/t.svg" || fail "dot produced no SVG"
# What is drawn: every line of a node's label is a text element of its own (a
# label escaped twice would draw a literal \n and one element for the whole box).
python3 - "$tmp/t.svg" <<'PY' || fail "topology.dot's drawing has the wrong node texts"
import re, sys, html
texts = [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", open(sys.argv[1]).read())]
assert not any("\\n" in t for t in texts), [t for t in texts if "\\n" in t][:3]
for want in ("03:11.5", "8086:1528", "8086:1515", "ixgbe enp3s0f0", "[bus 03-04]"):
    assert want in texts, (want, texts[:12])
PY

python3 - "$out/trace.json" <<'PY' || fail "trace.json is not a valid Chrome trace"
import json, sys
doc = json.load(open(sys.argv[1]))
ev = doc["traceEvents"]
assert isinstance(ev, list) and len(ev) > 2, "no events"
names = {e["args"]["name"] for e in ev if e.get("ph") == "M" and e["name"] == "thread_name"}
assert "host.shell" in names, names
last = -1.0
for e in ev:
    for k in ("name", "ph", "pid", "tid"):
        assert k in e, (k, e)
    if e["ph"] in ("X", "i"):
        assert e["ts"] >= last, "events not in time order"
        last = e["ts"]
    if e["ph"] == "X":
        assert e["dur"] >= 0
shell = [e for e in ev if e.get("cat") == "shell"]
assert any("sriov_numvfs" in e["name"] for e in shell), "no shell step events"
PY
echo "ok: $n dumps decoded by lspci, identical decoding, topology renders, trace well-formed"
