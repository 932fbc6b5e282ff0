// The packet library, without SystemC: protocol builders against bytes computed by
// hand (checksums checked with an independent one-line RFC 1071 sum), the parser on
// every prefix of valid frames and on random bytes, the Toeplitz hash against
// Microsoft's published vectors. The pool, pcap and size mixes: net_pool_pcap_test.cpp.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/kit/rng.h"
#include "models/net/frame.h"
#include "models/net/headers.h"
#include "models/net/imix.h"
#include "models/net/pcap.h"
#include "models/net/toeplitz.h"
#include "tests/unit/net_test_util.h"

namespace iovsim::net {
namespace {

using namespace test;

// ---- checksums

TEST(NetChecksum, Rfc1071Example) {
  // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (one's complement).
  const uint8_t data[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(checksum_add(0, data, 8), 0xddf2u);
  EXPECT_EQ(inet_checksum(data, 8), 0x220d);
  // Pieces of even length sum like the whole, in any order (RFC 1071 section 2).
  EXPECT_EQ(checksum_add(checksum_add(0, data + 4, 4), data, 4), 0xddf2u);
  // An odd last byte counts as the high byte of a word padded with zero.
  const uint8_t odd[] = {0x00, 0x01, 0xf2};
  EXPECT_EQ(checksum_add(0, odd, 3), 0xf201u);
}

TEST(NetChecksum, Ipv4HeaderExampleAndIncrementalUpdate) {
  // The classic example header (Wikipedia, "IPv4 header checksum"): b861.
  uint8_t h[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                   0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  EXPECT_EQ(inet_checksum(h, 20), 0xb861);
  h[10] = 0xb8;
  h[11] = 0x61;
  EXPECT_EQ(inet_checksum(h, 20), 0);  // a header with its checksum sums to zero
  // A router decrements the TTL (word 4011 -> 3f11): RFC 1624 gives the full recompute.
  const uint16_t adjusted = checksum_adjust(0xb861, 0x4011, 0x3f11);
  h[8] = 0x3f;
  h[10] = h[11] = 0;
  EXPECT_EQ(adjusted, inet_checksum(h, 20));
  EXPECT_EQ(adjusted, 0xb961);
}

// ---- addresses

TEST(NetAddr, MacParseFormatAndProfileBase) {
  EXPECT_EQ(mac("00:1B:21:A0:00:0f").str(), "00:1b:21:a0:00:0f");
  EXPECT_EQ(mac_addr::from_u64(0x001b21a00000ULL).str(), "00:1b:21:a0:00:00");
  EXPECT_EQ(mac_addr::from_u64(0x001b21a00000ULL + 3), mac("00:1b:21:a0:00:03"));  // port 3
  EXPECT_EQ(mac("00:1b:21:a1:00:01").to_u64(), 0x001b21a10001ULL);
  EXPECT_EQ(mac_addr::from_u64(0xabcd001b21a10001ULL).to_u64(), 0x001b21a10001ULL);  // 48 bits kept
  for (const char* bad : {"", "00:1b:21:a0:00", "00:1b:21:a0:00:00:00", "00-1b-21-a0-00-00", "00:1b:21:a0:00:0g",
                          "0:1b:21:a0:00:000", " 00:1b:21:a0:00:0", "00:1b:21:a0:00:0 "})
    EXPECT_FALSE(mac_addr::parse(bad)) << bad;
  EXPECT_TRUE(mac_addr::broadcast().is_broadcast());
  EXPECT_TRUE(mac_addr::broadcast().is_multicast());
  EXPECT_TRUE(mac("01:00:5e:00:00:01").is_multicast());
  EXPECT_FALSE(mac("01:00:5e:00:00:01").is_broadcast());
  EXPECT_FALSE(MAC_A.is_multicast());
  EXPECT_TRUE(mac_addr{}.is_zero());
}

TEST(NetAddr, Ipv4ParseFormat) {
  EXPECT_EQ(ip("10.0.0.1").value, 0x0a000001u);
  EXPECT_EQ(ip("255.255.255.255").value, 0xffffffffu);
  EXPECT_EQ(ip("192.168.1.10").str(), "192.168.1.10");
  EXPECT_EQ(ipv4_addr{0}.str(), "0.0.0.0");
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1..2.3", " 1.2.3.4", "1.2.3.4 ",
                          "1.2.3.-4", "1234.1.1.1", "1.2.3.4.", "a.b.c.d"})
    EXPECT_FALSE(ipv4_addr::parse(bad)) << bad;
}

// ---- builders against hand-computed bytes

TEST(NetBuild, UdpFrameBytes) {
  frame_pool pool(1);
  frame_ptr f = pool.get();
  // 14 + 20 + 8 + 4 = 46 bytes, padded to 60. IP checksum 1497, UDP checksum 64cc.
  const bytes want = {0x00, 0x1b, 0x21, 0xa1, 0x00, 0x01, 0x00, 0x1b, 0x21, 0xa0, 0x00, 0x00, 0x08, 0x00, 0x45,
                      0x00, 0x00, 0x20, 0x12, 0x34, 0x40, 0x00, 0x40, 0x11, 0x14, 0x97, 0x0a, 0x00, 0x00, 0x01,
                      0x0a, 0x00, 0x00, 0x02, 0x30, 0x39, 0x13, 0x89, 0x00, 0x0c, 0x64, 0xcc, 0xa0, 0xa1, 0xa2,
                      0xa3, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  EXPECT_EQ(build_udp(*f, small_udp()), 60u);
  EXPECT_EQ(bytes_of(*f), want);
}

TEST(NetBuild, Ipv4HeaderMatchesTheClassicExample) {
  // The Wikipedia header is a UDP datagram of 0x73 bytes: 95 bytes of UDP, 87 of payload.
  frame_pool pool(1);
  frame_ptr f = pool.get();
  udp_spec s;
  s.ip.src = ip("192.168.0.1");
  s.ip.dst = ip("192.168.0.199");
  s.payload.bytes = 87;
  build_udp(*f, s);
  const bytes want = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                      0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  EXPECT_EQ(bytes(f->data() + 14, f->data() + 34), want);
  EXPECT_EQ(f->size(), 14u + 0x73);
}

TEST(NetBuild, TcpSynBytes) {
  frame_pool pool(1);
  frame_ptr f = pool.get();
  tcp_spec s;
  s.eth = {MAC_B, MAC_A, std::nullopt};
  s.ip.src = ip("10.0.0.1");
  s.ip.dst = ip("10.0.0.2");
  s.src_port = 40000;
  s.dst_port = 80;
  s.seq = 0x01020304;
  s.flags = TCP_SYN;
  s.window = 64240;
  // 54 bytes padded to 60; data offset 5, IP checksum 26ce, TCP checksum 0059.
  const bytes want = {0x00, 0x1b, 0x21, 0xa1, 0x00, 0x01, 0x00, 0x1b, 0x21, 0xa0, 0x00, 0x00, 0x08, 0x00, 0x45,
                      0x00, 0x00, 0x28, 0x00, 0x00, 0x40, 0x00, 0x40, 0x06, 0x26, 0xce, 0x0a, 0x00, 0x00, 0x01,
                      0x0a, 0x00, 0x00, 0x02, 0x9c, 0x40, 0x00, 0x50, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00,
                      0x00, 0x50, 0x02, 0xfa, 0xf0, 0x00, 0x59, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  EXPECT_EQ(build_tcp(*f, s), 60u);
  EXPECT_EQ(bytes_of(*f), want);
}

TEST(NetBuild, IcmpEchoRequestLikePing) {
  // `ping -c1 192.168.1.1` from 192.168.1.10: 56 data bytes, 98 on the wire without FCS.
  frame_pool pool(1);
  frame_ptr f = pool.get();
  icmp_echo_spec s;
  s.eth = {MAC_B, MAC_A, std::nullopt};
  s.ip.src = ip("192.168.1.10");
  s.ip.dst = ip("192.168.1.1");
  s.id = 0x0bad;
  s.seq = 1;
  s.payload = {56, 0x10};
  EXPECT_EQ(build_icmp_echo(*f, s), 98u);
  const uint8_t* p = f->data();
  EXPECT_EQ(bytes(p + 14, p + 26), (bytes{0x45, 0x00, 0x00, 0x54, 0x00, 0x00, 0x40, 0x00, 0x40, 0x01, 0xb7, 0x4d}));
  EXPECT_EQ(bytes(p + 34, p + 42), (bytes{0x08, 0x00, 0x33, 0x7d, 0x0b, 0xad, 0x00, 0x01}));
  EXPECT_EQ(p[42], 0x10);
  EXPECT_EQ(p[97], 0x10 + 55);
  s.reply = true;
  build_icmp_echo(*f, s);
  EXPECT_EQ(p[34], 0);
  EXPECT_EQ(p[36] << 8 | p[37], 0x3b7d);  // type 8 -> 0 adds 0x0800 to the checksum
}

TEST(NetBuild, ArpRequestBytes) {
  frame_pool pool(1);
  frame_ptr f = pool.get();
  arp_spec s;
  s.eth = {mac_addr::broadcast(), MAC_A, std::nullopt};
  s.sender_mac = MAC_A;
  s.sender_ip = ip("10.0.0.1");
  s.target_ip = ip("10.0.0.2");
  const bytes want = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x1b, 0x21, 0xa0, 0x00, 0x00, 0x08, 0x06,  // eth
                      0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,              // hw, proto, op
                      0x00, 0x1b, 0x21, 0xa0, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x01,  // sender
                      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x02,  // target
                      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                      0x00, 0x00, 0x00, 0x00};  // 42 bytes padded to 60
  EXPECT_EQ(build_arp(*f, s), 60u);
  EXPECT_EQ(bytes_of(*f), want);
}

TEST(NetBuild, MinimumFrameIs60BytesWithoutFcs) {
  frame_pool pool(1);
  frame_ptr f = pool.get();
  raw_spec r;
  r.eth = {MAC_B, MAC_A, std::nullopt};
  r.frame_bytes = without_fcs(64);  // the generator's "64 B frame"
  r.seed = 7;
  EXPECT_EQ(build_raw(*f, r), 60u);
  EXPECT_EQ(with_fcs(f->size()), 64u);
  EXPECT_EQ(f->data()[12], 0x88);
  EXPECT_EQ(f->data()[13], 0xb5);
  EXPECT_EQ(f->data()[14], 7);
  EXPECT_EQ(f->data()[59], 7 + 45);
  r.frame_bytes = without_fcs(1518);
  EXPECT_EQ(build_raw(*f, r), 1514u);
  r.frame_bytes = 20;  // shorter than the minimum: the pattern, then zeros
  EXPECT_EQ(build_raw(*f, r), 60u);
  EXPECT_EQ(f->data()[19], 7 + 5);
  EXPECT_EQ(f->data()[20], 0);
  EXPECT_EQ(f->data()[59], 0);

  // An empty UDP datagram is 42 bytes: padded, but IP and UDP lengths do not count it.
  udp_spec u = small_udp();
  u.payload.bytes = 0;
  EXPECT_EQ(build_udp(*f, u), 60u);
  parsed_frame p = parse(*f);
  EXPECT_TRUE(p.ok());
  EXPECT_EQ(p.ip.total_length, 28);
  EXPECT_EQ(p.udp_length, 8);
  EXPECT_EQ(p.payload_bytes, 0u);
  // The generator's sizes: 64 B and 1518 B UDP frames, tagged or not.
  EXPECT_EQ(udp_payload_for(without_fcs(64), false), 18u);
  EXPECT_EQ(udp_payload_for(without_fcs(64), true), 14u);
  EXPECT_EQ(udp_payload_for(without_fcs(1518), false), 1472u);
  EXPECT_EQ(udp_payload_for(30, false), 0u);
  u.payload.bytes = udp_payload_for(without_fcs(1518), true);
  u.eth.vlan_tci = vlan_tci(0, false, 100);
  EXPECT_EQ(build_udp(*f, u), 1514u);
}

TEST(NetBuild, VlanTagAndJumboLimits) {
  frame_pool pool(1);
  frame_ptr f = pool.get();
  udp_spec s = small_udp();
  s.eth.vlan_tci = vlan_tci(5, true, 100);  // PCP 5, DEI, VID 100: b064
  build_udp(*f, s);
  EXPECT_EQ(bytes(f->data() + 12, f->data() + 18), (bytes{0x81, 0x00, 0xb0, 0x64, 0x08, 0x00}));
  EXPECT_EQ(vlan_vid(0xb064), 100);
  EXPECT_EQ(vlan_pcp(0xb064), 5);
  parsed_frame p = parse(*f);
  EXPECT_TRUE(p.ok());
  EXPECT_TRUE(p.has_vlan);
  EXPECT_EQ(p.vlan_tci, 0xb064);
  EXPECT_EQ(p.ethertype, ETHERTYPE_IPV4);
  EXPECT_EQ(p.l3_offset, 18u);

  // ixgbe's largest MTU (9710) with a tag is exactly the buffer; a byte more is refused.
  s.payload.bytes = 9710 - 28;
  EXPECT_EQ(build_udp(*f, s), MAX_FRAME_BYTES);
  EXPECT_TRUE(parse(*f).ok());
  s.payload.bytes += 1;
  EXPECT_THROW(build_udp(*f, s), std::length_error);
  s.payload.bytes = 0xffffffffu;  // no overflow into a small size
  EXPECT_THROW(build_udp(*f, s), std::length_error);
}

// ---- parser

struct sample {
  const char* name;
  bytes frame;
  uint32_t used;  // bytes before the Ethernet pad
};

std::vector<sample> samples() {
  frame_pool pool(1);
  frame_ptr f = pool.get();
  std::vector<sample> out;
  build_udp(*f, small_udp());
  out.push_back({"udp", bytes_of(*f), 46});
  udp_spec tagged = small_udp();
  tagged.eth.vlan_tci = vlan_tci(0, false, 7);
  tagged.payload.bytes = 100;
  build_udp(*f, tagged);
  out.push_back({"udp_vlan", bytes_of(*f), 146});
  tcp_spec t;
  t.eth = {MAC_B, MAC_A, std::nullopt};
  t.ip.src = ip("66.9.149.187");
  t.ip.dst = ip("161.142.100.80");
  t.src_port = 2794;
  t.dst_port = 1766;
  t.flags = TCP_ACK | TCP_PSH;
  t.payload.bytes = 10;
  build_tcp(*f, t);
  out.push_back({"tcp", bytes_of(*f), 64});
  icmp_echo_spec e;
  e.ip.src = ip("192.168.1.10");
  e.ip.dst = ip("192.168.1.1");
  e.payload.bytes = 56;
  build_icmp_echo(*f, e);
  out.push_back({"icmp", bytes_of(*f), 98});
  arp_spec a;
  a.op = ARP_OP_REPLY;
  a.sender_mac = MAC_B;
  build_arp(*f, a);
  out.push_back({"arp", bytes_of(*f), 42});
  return out;
}

TEST(NetParse, RoundTrips) {
  const std::vector<sample> all = samples();
  parsed_frame u = parse(all[0].frame.data(), 60);
  EXPECT_TRUE(u.ok());
  EXPECT_TRUE(u.has_eth && u.has_ipv4 && u.has_udp);
  EXPECT_FALSE(u.has_vlan || u.has_tcp || u.has_icmp || u.has_arp);
  EXPECT_EQ(u.dst, MAC_B);
  EXPECT_EQ(u.src, MAC_A);
  EXPECT_EQ(u.ip.src, ip("10.0.0.1"));
  EXPECT_EQ(u.ip.dst, ip("10.0.0.2"));
  EXPECT_EQ(u.ip.id, 0x1234);
  EXPECT_EQ(u.ip.ttl, 64);
  EXPECT_TRUE(u.ip.dont_fragment);
  EXPECT_EQ(u.src_port, 12345);
  EXPECT_EQ(u.dst_port, 5001);
  EXPECT_EQ(u.l4_offset, 34u);
  EXPECT_EQ(u.payload_offset, 42u);
  EXPECT_EQ(u.payload_bytes, 4u);  // the pad is not payload

  parsed_frame t = parse(all[2].frame.data(), static_cast<uint32_t>(all[2].frame.size()));
  EXPECT_TRUE(t.ok() && t.has_tcp);
  EXPECT_EQ(t.tcp.flags, TCP_ACK | TCP_PSH);
  EXPECT_EQ(t.tcp.header_bytes, 20);
  EXPECT_EQ(t.tcp.window, 65535);
  EXPECT_EQ(t.payload_bytes, 10u);

  parsed_frame i = parse(all[3].frame.data(), 98);
  EXPECT_TRUE(i.ok() && i.has_icmp);
  EXPECT_EQ(i.icmp.type, ICMP_ECHO_REQUEST);
  EXPECT_EQ(i.payload_bytes, 56u);

  parsed_frame a = parse(all[4].frame.data(), 60);
  EXPECT_TRUE(a.ok() && a.has_arp);
  EXPECT_FALSE(a.has_ipv4);
  EXPECT_EQ(a.arp.op, ARP_OP_REPLY);
  EXPECT_EQ(a.arp.sender_mac, MAC_B);
}

TEST(NetParse, EveryPrefixIsTruncatedOrWhole) {
  for (const sample& s : samples()) {
    const parsed_frame whole = parse(s.frame.data(), static_cast<uint32_t>(s.frame.size()));
    ASSERT_TRUE(whole.ok()) << s.name;
    for (uint32_t n = 0; n <= s.frame.size(); ++n) {
      const bytes prefix(s.frame.begin(), s.frame.begin() + n);  // exactly n bytes: ASan sees an overread
      const parsed_frame p = parse(prefix.data(), n);
      EXPECT_EQ(p.truncated, n < s.used) << s.name << " prefix " << n;
      EXPECT_FALSE(p.malformed || p.bad_ip_checksum || p.bad_l4_checksum) << s.name << " prefix " << n;
      EXPECT_LE(uint64_t{p.payload_offset} + p.payload_bytes, n) << s.name << " prefix " << n;
      if (n >= s.used) {
        EXPECT_EQ(p.payload_bytes, whole.payload_bytes) << s.name << " prefix " << n;
        EXPECT_EQ(p.has_udp + p.has_tcp + p.has_icmp + p.has_arp, 1) << s.name << " prefix " << n;
      }
    }
  }
}

TEST(NetParse, BadChecksumsAndImpossibleFields) {
  const std::vector<sample> all = samples();
  auto mutated = [&](size_t which, size_t at, uint8_t value) {
    bytes b = all[which].frame;
    b[at] = value;
    return parse(b.data(), static_cast<uint32_t>(b.size()));
  };
  EXPECT_TRUE(mutated(0, 22, 63).bad_ip_checksum);  // TTL changed, header checksum not
  EXPECT_FALSE(mutated(0, 22, 63).bad_l4_checksum);
  EXPECT_TRUE(mutated(0, 45, 0x00).bad_l4_checksum);   // UDP payload byte
  EXPECT_TRUE(mutated(2, 60, 0x00).bad_l4_checksum);   // TCP payload byte
  EXPECT_TRUE(mutated(3, 60, 0x00).bad_l4_checksum);   // ICMP payload byte
  EXPECT_FALSE(mutated(0, 55, 0x55).bad_l4_checksum);  // the pad is covered by nothing
  {
    bytes b = all[0].frame;
    b[45] = 0;
    EXPECT_FALSE(parse(b.data(), 60, false).bad_l4_checksum);  // not verified when not asked
    b[40] = b[41] = 0;                                         // RFC 768: UDP checksum 0 means none
    EXPECT_TRUE(parse(b.data(), 60).ok());
  }
  EXPECT_TRUE(mutated(0, 14, 0x44).malformed);  // IHL 4
  EXPECT_TRUE(mutated(0, 14, 0x65).malformed);  // version 6
  EXPECT_TRUE(mutated(0, 17, 0x10).malformed);  // total length 16 < IHL
  EXPECT_TRUE(mutated(0, 17, 0x1b).malformed);  // IP length leaves 7 bytes for UDP
  EXPECT_TRUE(mutated(0, 39, 0x07).malformed);  // UDP length 7
  EXPECT_TRUE(mutated(0, 39, 0x0d).malformed);  // UDP length past the IP datagram
  EXPECT_TRUE(mutated(2, 46, 0x40).malformed);  // TCP data offset 4
  EXPECT_TRUE(mutated(4, 15, 0x06).malformed);  // ARP hardware type 6
  EXPECT_FALSE(mutated(4, 15, 0x06).has_arp);
  EXPECT_TRUE(mutated(0, 17, 0x40).truncated);  // IP length past the frame
  // IHL 6 announces an option the header checksum no longer covers.
  const parsed_frame opt = mutated(0, 14, 0x46);
  EXPECT_EQ(opt.ip.header_bytes, 24);
  EXPECT_TRUE(opt.bad_ip_checksum);
}

TEST(NetParse, FragmentsCarryNoCheckableL4) {
  bytes b = samples()[0].frame;
  b[20] = 0x20;  // more fragments, offset 0: the header is there, the checksum is not checkable
  b[45] = 0;
  parsed_frame p = parse(b.data(), 60, false);
  EXPECT_TRUE(p.has_udp && p.ip.more_fragments && p.ip.is_fragment());
  p = parse(b.data(), 60);
  EXPECT_FALSE(p.bad_l4_checksum);
  EXPECT_TRUE(p.bad_ip_checksum);  // the flags are covered by the header checksum
  b[20] = 0x00;
  b[21] = 0x10;  // offset 16 x 8 bytes: a later fragment has no UDP header
  p = parse(b.data(), 60, false);
  EXPECT_TRUE(p.has_ipv4);
  EXPECT_FALSE(p.has_udp);
  EXPECT_EQ(p.ip.fragment_offset, 16);
  EXPECT_EQ(p.payload_offset, 34u);
}

TEST(NetParse, RandomBytesNeverReadOutOfBounds) {
  kit::rng_stream rng(1, "net_test.parse");
  const std::vector<sample> all = samples();
  uint64_t inconsistent = 0, parsed_l4 = 0;
  for (int round = 0; round < 200000; ++round) {
    bytes b;
    if (round % 2) {  // random bytes, with IPv4 and ARP ethertypes common enough to go deep
      b.resize(rng.below(120));
      for (uint8_t& x : b) x = static_cast<uint8_t>(rng.next());
      if (b.size() > 18 && rng.below(2)) {  // an IPv4 or ARP ethertype, maybe behind a tag
        size_t at = 12;
        if (rng.below(2)) {
          b[12] = 0x81;
          b[13] = 0x00;
          at = 16;
        }
        b[at] = 0x08;
        b[at + 1] = rng.below(4) ? 0x00 : 0x06;
        if (b.size() > at + 2 && rng.below(2)) b[at + 2] = 0x45;
      }
    } else {  // a valid frame with a few bytes changed and maybe cut short
      b = all[rng.below(all.size())].frame;
      for (uint64_t k = rng.below(4) + 1; k > 0; --k) b[rng.below(b.size())] = static_cast<uint8_t>(rng.next());
      b = bytes(b.begin(), b.begin() + rng.below(b.size() + 1));  // a fresh, exact allocation for ASan
    }
    const uint32_t n = static_cast<uint32_t>(b.size());
    const parsed_frame p = parse(b.data(), n);
    bool ok = uint64_t{p.payload_offset} + p.payload_bytes <= n;
    if (p.has_ipv4) ok &= p.l3_offset + p.ip.header_bytes <= n;
    if (p.has_udp || p.has_icmp) ok &= p.l4_offset + 8 <= n;
    if (p.has_tcp) ok &= p.l4_offset + 20 <= n;
    if (p.has_arp) ok &= p.l3_offset + ARP_IPV4_BYTES <= n;
    if (!ok) ++inconsistent;
    parsed_l4 += p.has_udp || p.has_tcp || p.has_icmp;
  }
  EXPECT_EQ(inconsistent, 0u);
  EXPECT_GT(parsed_l4, 10000u);  // the corpus does reach the deep layers
}

// ---- RSS

struct ms_vector {
  const char *src, *dst;
  uint16_t src_port, dst_port;
  uint32_t ipv4, ipv4_tcp;
};
// Microsoft, "Verifying the RSS Hash Calculation" (also the 82599 data sheet's RSS
// verification suite, 7.1.2.8.3), with the key of RSS_DEFAULT_KEY.
const ms_vector MS_VECTORS[] = {
    {"66.9.149.187", "161.142.100.80", 2794, 1766, 0x323e8fc2, 0x51ccc178},
    {"199.92.111.2", "65.69.140.83", 14230, 4739, 0xd718262a, 0xc626b0ea},
    {"24.19.198.95", "12.22.207.184", 12898, 38024, 0xd2d0a5de, 0x5c2b394a},
    {"38.27.205.30", "209.142.163.6", 48228, 2217, 0x82989176, 0xafc7327f},
    {"153.39.163.191", "202.188.127.2", 44251, 1303, 0x5d1809c5, 0x10e828a2},
};

TEST(NetRss, MicrosoftVerificationVectors) {
  const toeplitz t;
  for (const ms_vector& v : MS_VECTORS) {
    const ipv4_addr s = ip(v.src), d = ip(v.dst);
    const uint8_t in[12] = {uint8_t(s.value >> 24), uint8_t(s.value >> 16),   uint8_t(s.value >> 8),
                            uint8_t(s.value),       uint8_t(d.value >> 24),   uint8_t(d.value >> 16),
                            uint8_t(d.value >> 8),  uint8_t(d.value),         uint8_t(v.src_port >> 8),
                            uint8_t(v.src_port),    uint8_t(v.dst_port >> 8), uint8_t(v.dst_port)};
    EXPECT_EQ(toeplitz_reference(RSS_DEFAULT_KEY, in, 8), v.ipv4) << v.src;
    EXPECT_EQ(toeplitz_reference(RSS_DEFAULT_KEY, in, 12), v.ipv4_tcp) << v.src;
    EXPECT_EQ(t.hash(in, 8), v.ipv4) << v.src;
    EXPECT_EQ(t.hash(in, 12), v.ipv4_tcp) << v.src;
    EXPECT_EQ(t.hash_ipv4(s, d), v.ipv4) << v.src;
    EXPECT_EQ(t.hash_ipv4_ports(s, d, v.src_port, v.dst_port), v.ipv4_tcp) << v.src;
  }
}

TEST(NetRss, TableEqualsTheBitSerialSpecOnAnyKey) {
  kit::rng_stream rng(2, "net_test.toeplitz");
  for (int k = 0; k < 20; ++k) {
    rss_key key;
    for (uint8_t& b : key) b = static_cast<uint8_t>(rng.next());
    const toeplitz t(key);
    for (int i = 0; i < 50; ++i) {
      uint8_t in[36];
      for (uint8_t& b : in) b = static_cast<uint8_t>(rng.next());
      const size_t n = rng.below(37);
      ASSERT_EQ(t.hash(in, n), toeplitz_reference(key, in, n)) << "n=" << n;
    }
  }
  uint8_t in[37] = {};
  EXPECT_THROW(toeplitz().hash(in, 37), std::length_error);
}

TEST(NetRss, FieldSelectionsOfTheMrqc) {
  const toeplitz t;
  const std::vector<sample> all = samples();
  const uint32_t all_fields = MRQC_RSS_FIELD_IPV4 | MRQC_RSS_FIELD_IPV4_TCP | MRQC_RSS_FIELD_IPV4_UDP;
  // The TCP sample carries the first Microsoft tuple.
  const parsed_frame tcp = parse(all[2].frame.data(), static_cast<uint32_t>(all[2].frame.size()));
  rss_result r = rss_hash(t, tcp, all_fields);
  EXPECT_EQ(r.hash, 0x51ccc178u);
  EXPECT_EQ(r.type, RSS_TYPE_IPV4_TCP);
  r = rss_hash(t, tcp, MRQC_RSS_FIELD_IPV4 | MRQC_RSS_FIELD_IPV4_UDP);
  EXPECT_EQ(r.hash, 0x323e8fc2u);
  EXPECT_EQ(r.type, RSS_TYPE_IPV4);
  r = rss_hash(t, tcp, MRQC_RSS_FIELD_IPV4_UDP);
  EXPECT_EQ(r.type, RSS_TYPE_NONE);
  EXPECT_EQ(r.hash, 0u);

  // The same tuple over UDP hashes the same, with the UDP type.
  udp_spec u = small_udp();
  u.ip.src = ip("66.9.149.187");
  u.ip.dst = ip("161.142.100.80");
  u.src_port = 2794;
  u.dst_port = 1766;
  frame_pool pool(1);
  frame_ptr f = pool.get();
  build_udp(*f, u);
  r = rss_hash(t, parse(*f), all_fields);
  EXPECT_EQ(r.hash, 0x51ccc178u);
  EXPECT_EQ(r.type, RSS_TYPE_IPV4_UDP);
  r = rss_hash(t, parse(*f), MRQC_RSS_FIELD_IPV4 | MRQC_RSS_FIELD_IPV4_TCP);
  EXPECT_EQ(r.type, RSS_TYPE_IPV4);

  // A first fragment has its ports in place but hashes as IPv4 only.
  bytes frag = all[2].frame;
  frag[20] |= 0x20;
  r = rss_hash(t, parse(frag.data(), static_cast<uint32_t>(frag.size())), all_fields);
  EXPECT_EQ(r.hash, 0x323e8fc2u);
  EXPECT_EQ(r.type, RSS_TYPE_IPV4);
  // ARP is not IP: no hash.
  EXPECT_EQ(rss_hash(t, parse(all[4].frame.data(), 60), all_fields).type, RSS_TYPE_NONE);
}

}  // namespace
}  // namespace iovsim::net
