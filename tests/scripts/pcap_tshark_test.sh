#!/usr/bin/env bash
# The real tshark reads the packet library's captures: every frame kind decodes as
# built (ARP, ICMP echo, UDP with and without a VLAN tag, a jumbo, TCP, a raw 64 B
# frame), every IP, ICMP, UDP and TCP checksum verifies, nothing is malformed, the
# nanosecond timestamps survive, snaplen truncates, and two runs give the same bytes.
# usage: pcap_tshark_test.sh NET_PCAP_WRITER WORK_DIR
set -uo pipefail
writer=$1
dir=$2
fail() { echo "FAIL: $*" >&2; exit 1; }   # stderr: stdout may be a capture file
command -v tshark >/dev/null || fail "tshark is not installed (scripts/deps.sh installs it)"
rm -rf "$dir" && mkdir -p "$dir" || fail "cannot make $dir"

"$writer" "$dir/all.pcap" || fail "net_pcap_writer failed"
"$writer" "$dir/again.pcap" || fail "net_pcap_writer failed"
cmp -s "$dir/all.pcap" "$dir/again.pcap" || fail "two runs wrote different bytes"

# tshark warns on stderr when run as root; anything else it says there is an error.
checks=(-o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE)
tshark_run() {
  tshark "$@" 2>"$dir/stderr.txt" || { cat "$dir/stderr.txt" >&2; fail "tshark $* failed"; }
  if grep -v 'Running as user "root"' "$dir/stderr.txt" | grep -q .; then
    cat "$dir/stderr.txt" >&2
    fail "tshark complained"
  fi
}

# One line per frame: number, length, captured length, time, ethertype, VLAN, IP
# protocol and checksum status (1 = good), UDP port and checksum, ICMP type and
# checksum, ARP opcode, TCP flags and checksum, the malformed marker (empty: none).
fields=(-T fields -E separator='|' -E occurrence=f
        -e frame.number -e frame.len -e frame.cap_len -e frame.time_epoch -e eth.type -e vlan.id
        -e ip.proto -e ip.checksum.status -e udp.dstport -e udp.checksum.status -e icmp.type
        -e icmp.checksum.status -e arp.opcode -e tcp.flags -e tcp.checksum.status -e _ws.malformed)
tshark_run -r "$dir/all.pcap" "${checks[@]}" "${fields[@]}" >"$dir/fields.txt"
cat >"$dir/want.txt" <<'EOF'
1|60|60|1.000000000|0x0806||||||||1|||
2|60|60|1.001234567|0x0806||||||||2|||
3|98|98|1.002469134|0x0800||1|1|||8|1||||
4|98|98|1.003703701|0x0800||1|1|||0|1||||
5|60|60|1.004938268|0x0800||17|1|5001|1||||||
6|1514|1514|1.006172835|0x8100|100|17|1|5001|1||||||
7|9014|9014|1.007407402|0x0800||17|1|5001|1||||||
8|60|60|1.008641969|0x0800||6|1||||||0x0002|1|
9|60|60|1.009876536|0x0800||6|1||||||0x0012|1|
10|154|154|1.011111103|0x0800||6|1||||||0x0018|1|
11|60|60|1.012345670|0x88b5|||||||||||
EOF
diff "$dir/want.txt" "$dir/fields.txt" || fail "tshark decodes the frames differently (want, then got)"

# The full dissection: no malformed packet, no incorrect checksum, no error or warning.
tshark_run -r "$dir/all.pcap" "${checks[@]}" -V >"$dir/verbose.txt"
if grep -nE 'Malformed|\[incorrect|Bad checksum|Expert Info \((Error|Warning)' "$dir/verbose.txt"; then
  fail "tshark reports a problem (lines above)"
fi
grep -q 'Who has 10.0.0.2? Tell 10.0.0.1' <(tshark_run -r "$dir/all.pcap") || fail "no ARP request summary"
grep -q 'Echo (ping) reply .*(request in 3)' <(tshark_run -r "$dir/all.pcap") || fail "the echo reply does not match its request"

# snaplen 64: the long frames are cut at 64 bytes and still decode.
"$writer" "$dir/snap.pcap" 64 || fail "net_pcap_writer with snaplen 64 failed"
tshark_run -r "$dir/snap.pcap" -T fields -E separator=' ' -e frame.number -e frame.len -e frame.cap_len \
  -e ip.proto -e _ws.malformed >"$dir/snap.txt"
grep -qx '6 1514 64 17 ' "$dir/snap.txt" || { cat "$dir/snap.txt"; fail "frame 6 is not cut at the snaplen"; }
grep -qx '7 9014 64 17 ' "$dir/snap.txt" || { cat "$dir/snap.txt"; fail "frame 7 is not cut at the snaplen"; }
grep -qx '1 60 60  ' "$dir/snap.txt" || { cat "$dir/snap.txt"; fail "frame 1 changed with the snaplen"; }
echo "ok: 11 frames decoded by tshark as built, checksums good, nothing malformed, snaplen and determinism hold"
