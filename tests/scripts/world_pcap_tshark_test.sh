#!/usr/bin/env bash
# The real tshark reads the captures the two_machines_wire scenario wrote with the
# `capture` verb: at a NIC port (a:nic0:1, the frames a tester sent it) and at a sink
# (traffic:sink1, IMIX on VLAN 100 cut at a snaplen of 128). Every frame decodes as
# the generator built it, with the addresses the world gave the ports, good IP and UDP
# checksums, its simulated arrival time in ns, and nothing malformed.
# usage: world_pcap_tshark_test.sh SCENARIO_OUT_DIR WORK_DIR
set -uo pipefail
out=$1
dir=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v tshark >/dev/null || fail "tshark is not installed (scripts/deps.sh installs it)"
rm -rf "$dir" && mkdir -p "$dir" || fail "cannot make $dir"
for f in gen0_to_nic.pcap sink1.pcap; do [ -s "$out/$f" ] || fail "$out/$f is missing (run scenario.two_machines_wire first)"; done

checks=(-o ip.check_checksum:TRUE -o udp.check_checksum:TRUE)
tshark_run() {
  tshark "$@" 2>"$dir/stderr.txt" || { cat "$dir/stderr.txt" >&2; fail "tshark $* failed"; }
  if grep -v 'Running as user "root"' "$dir/stderr.txt" | grep -q .; then
    cat "$dir/stderr.txt" >&2
    fail "tshark complained"
  fi
}

# At the NIC port: number, length, time, MACs, IPs, IP checksum status (1 good), UDP
# ports and checksum status, the malformed marker (empty: none).
tshark_run -r "$out/gen0_to_nic.pcap" "${checks[@]}" -T fields -E separator='|' -E occurrence=f \
  -e frame.number -e frame.len -e frame.time_epoch -e eth.src -e eth.dst -e ip.src -e ip.dst -e ip.checksum.status \
  -e udp.srcport -e udp.dstport -e udp.checksum.status -e _ws.malformed >"$dir/nic.txt"
cat >"$dir/nic_want.txt" <<'WANT'
1|60|0.010000067|02:00:00:00:00:01|00:1b:21:a1:00:01|198.18.0.1|198.19.0.1|1|1024|9|1|
2|124|0.010001118|02:00:00:00:00:01|00:1b:21:a1:00:01|198.18.0.1|198.19.0.1|1|1024|9|1|
3|60|0.010002067|02:00:00:00:00:01|00:1b:21:a1:00:01|198.18.0.1|198.19.0.1|1|1024|9|1|
4|124|0.010003118|02:00:00:00:00:01|00:1b:21:a1:00:01|198.18.0.1|198.19.0.1|1|1024|9|1|
5|60|0.010004067|02:00:00:00:00:01|00:1b:21:a1:00:01|198.18.0.1|198.19.0.1|1|1024|9|1|
6|124|0.010005118|02:00:00:00:00:01|00:1b:21:a1:00:01|198.18.0.1|198.19.0.1|1|1024|9|1|
7|60|0.010006067|02:00:00:00:00:01|00:1b:21:a1:00:01|198.18.0.1|198.19.0.1|1|1024|9|1|
8|124|0.010007118|02:00:00:00:00:01|00:1b:21:a1:00:01|198.18.0.1|198.19.0.1|1|1024|9|1|
WANT
diff "$dir/nic_want.txt" "$dir/nic.txt" || fail "the NIC port's capture decodes differently (want, then got)"

# At the sink: length, captured length (snaplen 128), time, VLAN, IPs, IP checksum,
# UDP source port (4 flows in turn), malformed marker. 24 frames of IMIX 7:4:1.
tshark_run -r "$out/sink1.pcap" "${checks[@]}" -T fields -E separator='|' -E occurrence=f \
  -e frame.number -e frame.len -e frame.cap_len -e frame.time_epoch -e vlan.id -e ip.src -e ip.dst \
  -e ip.checksum.status -e udp.srcport -e _ws.malformed >"$dir/sink.txt"
cat >"$dir/sink_want.txt" <<'WANT'
1|62|62|0.011000642|100|198.18.0.2|198.18.0.3|1|1024|
2|590|128|0.011014866|100|198.18.0.2|198.18.0.3|1|1025|
3|62|62|0.011020642|100|198.18.0.2|198.18.0.3|1|1026|
4|62|62|0.011030642|100|198.18.0.2|198.18.0.3|1|1027|
5|590|128|0.011044866|100|198.18.0.2|198.18.0.3|1|1024|
6|62|62|0.011050642|100|198.18.0.2|198.18.0.3|1|1025|
7|1514|128|0.011072258|100|198.18.0.2|198.18.0.3|1|1026|
8|62|62|0.011072946|100|198.18.0.2|198.18.0.3|1|1027|
9|590|128|0.011084866|100|198.18.0.2|198.18.0.3|1|1024|
10|62|62|0.011090642|100|198.18.0.2|198.18.0.3|1|1025|
11|590|128|0.011104866|100|198.18.0.2|198.18.0.3|1|1026|
12|62|62|0.011110642|100|198.18.0.2|198.18.0.3|1|1027|
13|62|62|0.011120642|100|198.18.0.2|198.18.0.3|1|1024|
14|590|128|0.011134866|100|198.18.0.2|198.18.0.3|1|1025|
15|62|62|0.011140642|100|198.18.0.2|198.18.0.3|1|1026|
16|62|62|0.011150642|100|198.18.0.2|198.18.0.3|1|1027|
17|590|128|0.011164866|100|198.18.0.2|198.18.0.3|1|1024|
18|62|62|0.011170642|100|198.18.0.2|198.18.0.3|1|1025|
19|1514|128|0.011192258|100|198.18.0.2|198.18.0.3|1|1026|
20|62|62|0.011192946|100|198.18.0.2|198.18.0.3|1|1027|
21|590|128|0.011204866|100|198.18.0.2|198.18.0.3|1|1024|
22|62|62|0.011210642|100|198.18.0.2|198.18.0.3|1|1025|
23|590|128|0.011224866|100|198.18.0.2|198.18.0.3|1|1026|
24|62|62|0.011230642|100|198.18.0.2|198.18.0.3|1|1027|
WANT
diff "$dir/sink_want.txt" "$dir/sink.txt" || fail "the sink's capture decodes differently (want, then got)"

# The full dissection of the untruncated capture: no malformed packet, no bad checksum.
tshark_run -r "$out/gen0_to_nic.pcap" "${checks[@]}" -V >"$dir/verbose.txt"
if grep -nE 'Malformed|\[incorrect|Bad checksum|Expert Info \((Error|Warning)' "$dir/verbose.txt"; then
  fail "tshark reports a problem (lines above)"
fi
echo "ok: 8 frames at a:nic0:1 and 24 at traffic:sink1 decoded by tshark as sent, checksums good, nothing malformed"
