#!/usr/bin/env bash
# The real tshark reads the captures ping_two_hosts wrote at both ends of its cable:
# ARP then ICMP echo over the PFs, ARP (both b's PF and b's VF answer: ARP flux) then
# echo over the VFs. Both ends saw the same 17 frames; every IP header and ICMP
# checksum is good; nothing is malformed.
# usage: ping_pcap_tshark_test.sh SCENARIO_OUT_DIR WORK_DIR
set -uo pipefail
out=$1
dir=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v tshark >/dev/null || fail "tshark is not installed (scripts/deps.sh installs it)"
rm -rf "$dir" && mkdir -p "$dir" || fail "cannot make $dir"
for f in a_port0.pcap b_port0.pcap; do [ -s "$out/$f" ] || fail "$out/$f is missing (run scenario.ping_two_hosts first)"; done

decode() {
  tshark -r "$1" -o ip.check_checksum:TRUE -T fields -E separator='|' -E occurrence=f -e frame.number -e frame.len \
    -e eth.src -e eth.dst -e arp.opcode -e ip.src -e ip.dst -e ip.checksum.status -e icmp.type -e icmp.seq \
    -e icmp.checksum.status -e _ws.malformed 2>"$dir/stderr.txt" || { cat "$dir/stderr.txt" >&2; fail "tshark $1 failed"; }
  if grep -v 'Running as user "root"' "$dir/stderr.txt" | grep -q .; then
    cat "$dir/stderr.txt" >&2
    fail "tshark complained about $1"
  fi
}
decode "$out/a_port0.pcap" >"$dir/a.txt"
decode "$out/b_port0.pcap" >"$dir/b.txt"
cat >"$dir/want.txt" <<'WANT'
1|60|00:1b:21:a1:00:00|ff:ff:ff:ff:ff:ff|1|||||||
2|60|00:1b:21:a1:10:00|00:1b:21:a1:00:00|2|||||||
3|98|00:1b:21:a1:00:00|00:1b:21:a1:10:00||10.0.0.1|10.0.0.2|1|8|1|1|
4|98|00:1b:21:a1:10:00|00:1b:21:a1:00:00||10.0.0.2|10.0.0.1|1|0|1|1|
5|98|00:1b:21:a1:00:00|00:1b:21:a1:10:00||10.0.0.1|10.0.0.2|1|8|2|1|
6|98|00:1b:21:a1:10:00|00:1b:21:a1:00:00||10.0.0.2|10.0.0.1|1|0|2|1|
7|98|00:1b:21:a1:00:00|00:1b:21:a1:10:00||10.0.0.1|10.0.0.2|1|8|3|1|
8|98|00:1b:21:a1:10:00|00:1b:21:a1:00:00||10.0.0.2|10.0.0.1|1|0|3|1|
9|60|12:a8:4d:ed:1a:d3|ff:ff:ff:ff:ff:ff|1|||||||
10|60|76:51:6c:85:71:49|12:a8:4d:ed:1a:d3|2|||||||
11|60|00:1b:21:a1:10:00|12:a8:4d:ed:1a:d3|2|||||||
12|98|12:a8:4d:ed:1a:d3|76:51:6c:85:71:49||10.0.1.1|10.0.1.2|1|8|1|1|
13|98|76:51:6c:85:71:49|12:a8:4d:ed:1a:d3||10.0.1.2|10.0.1.1|1|0|1|1|
14|98|12:a8:4d:ed:1a:d3|00:1b:21:a1:10:00||10.0.1.1|10.0.1.2|1|8|2|1|
15|98|76:51:6c:85:71:49|12:a8:4d:ed:1a:d3||10.0.1.2|10.0.1.1|1|0|2|1|
16|98|12:a8:4d:ed:1a:d3|00:1b:21:a1:10:00||10.0.1.1|10.0.1.2|1|8|3|1|
17|98|76:51:6c:85:71:49|12:a8:4d:ed:1a:d3||10.0.1.2|10.0.1.1|1|0|3|1|
WANT
diff "$dir/want.txt" "$dir/a.txt" || fail "a's end decodes differently (want, then got)"
diff "$dir/want.txt" "$dir/b.txt" || fail "b's end decodes differently (want, then got)"
echo "ok: 17 frames at both ends, checksums good"
