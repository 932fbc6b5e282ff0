// Writes a capture with one frame of each kind the packet library builds, for
// tests/scripts/pcap_tshark_test.sh to decode with the real tshark.
// usage: net_pcap_writer FILE [SNAPLEN]
// Frame i is stamped (1 + i x 1.234567) s, to the nanosecond.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "models/net/frame.h"
#include "models/net/headers.h"
#include "models/net/pcap.h"

using namespace iovsim::net;

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: net_pcap_writer FILE [SNAPLEN]\n");
    return 2;
  }
  const mac_addr a = *mac_addr::parse("00:1b:21:a0:00:00"), b = *mac_addr::parse("00:1b:21:a1:00:00");
  const ipv4_addr ip_a = *ipv4_addr::parse("10.0.0.1"), ip_b = *ipv4_addr::parse("10.0.0.2");
  frame_pool pool(4);
  pcap_writer out;
  try {
    out.open(argv[1], argc == 3 ? static_cast<uint32_t>(std::strtoul(argv[2], nullptr, 10)) : PCAP_MAX_SNAPLEN);
    uint64_t n = 0;
    auto emit = [&](const frame& f) { out.write(1'000'000'000'000ULL + n++ * 1'234'567'000ULL, f.data(), f.size()); };
    frame_ptr f = pool.get();

    arp_spec arp{{mac_addr::broadcast(), a, std::nullopt}, ARP_OP_REQUEST, a, mac_addr{}, ip_a, ip_b};
    build_arp(*f, arp);  // 1: who-has 10.0.0.2
    emit(*f);
    arp = {{a, b, std::nullopt}, ARP_OP_REPLY, b, a, ip_b, ip_a};
    build_arp(*f, arp);  // 2: 10.0.0.2 is-at
    emit(*f);

    icmp_echo_spec ping{{b, a, std::nullopt}, {ip_a, ip_b}, false, 0x1234, 1, {56, 0x10}};
    build_icmp_echo(*f, ping);  // 3: echo request, 98 bytes
    emit(*f);
    ping.eth = {a, b, std::nullopt};
    ping.ip = {ip_b, ip_a};
    ping.reply = true;
    build_icmp_echo(*f, ping);  // 4: echo reply
    emit(*f);

    udp_spec udp{{b, a, std::nullopt}, {ip_a, ip_b}, 40000, 5001, {udp_payload_for(without_fcs(64), false), 0}};
    build_udp(*f, udp);  // 5: the generator's 64 B frame (60 bytes)
    emit(*f);
    udp.eth.vlan_tci = vlan_tci(3, false, 100);
    udp.payload.bytes = udp_payload_for(without_fcs(1518), true);
    build_udp(*f, udp);  // 6: 1514 bytes, VLAN 100
    emit(*f);
    udp.eth.vlan_tci.reset();
    udp.payload.bytes = 9000 - 28;
    build_udp(*f, udp);  // 7: a 9000-byte MTU jumbo, 9014 bytes
    emit(*f);

    tcp_spec tcp{{b, a, std::nullopt}, {ip_a, ip_b}, 40000, 80, 0x01020304, 0, TCP_SYN, 64240, {}};
    build_tcp(*f, tcp);  // 8: SYN
    emit(*f);
    tcp = {{a, b, std::nullopt}, {ip_b, ip_a}, 80, 40000, 0x0a0b0c0d, 0x01020305, TCP_SYN | TCP_ACK, 65160, {}};
    build_tcp(*f, tcp);  // 9: SYN-ACK
    emit(*f);
    tcp = {{b, a, std::nullopt}, {ip_a, ip_b}, 40000, 80, 0x01020305, 0x0a0b0c0e, TCP_PSH | TCP_ACK, 502, {100, 0x41}};
    build_tcp(*f, tcp);  // 10: 100 bytes of data
    emit(*f);

    raw_spec raw{{mac_addr::broadcast(), a, std::nullopt}, ETHERTYPE_EXPERIMENTAL, without_fcs(64), 0};
    build_raw(*f, raw);  // 11: raw 60 bytes, local experimental ethertype
    emit(*f);
    out.close();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "net_pcap_writer: %s\n", e.what());
    return 2;
  }
  return 0;
}
