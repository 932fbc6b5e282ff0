// VXLAN (RFC 7348): the generator's tunnelled frames, built and parsed by the packet
// library, byte for byte.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "models/net/frame.h"
#include "models/net/headers.h"
#include "tests/unit/net_test_util.h"

namespace iovsim::net {
namespace {

using namespace test;

TEST(NetBuild, VxlanTunnelsAUdpFrame) {
  frame_pool pool(1);
  frame_ptr f = pool.get();
  vxlan_spec v;
  v.eth = {MAC_B, MAC_A, std::nullopt};
  v.ip.src = ip("10.0.0.1");
  v.ip.dst = ip("10.0.0.2");
  v.src_port = 49153;
  v.vni = 0x123456;
  v.inner = small_udp();
  v.inner.eth = {mac("02:00:00:ff:00:02"), mac("02:00:00:ff:00:01"), std::nullopt};
  // Outer 14 + 20 + 8 + 8, inner 14 + 20 + 8 + 4 bytes of payload: no pad.
  EXPECT_EQ(build_vxlan(*f, v), 96u);
  const uint8_t* d = f->data();
  EXPECT_EQ(bytes(d + 23, d + 24), bytes{IP_PROTO_UDP});
  // UDP: 49153 -> 4789, length 8 + 8 + 46, checksum zero (RFC 7348 section 5).
  EXPECT_EQ(bytes(d + 34, d + 42), (bytes{0xc0, 0x01, 0x12, 0xb5, 0x00, 0x3e, 0x00, 0x00}));
  // VXLAN: the I flag, 24 reserved bits, the VNI, 8 reserved bits.
  EXPECT_EQ(bytes(d + 42, d + 50), (bytes{0x08, 0x00, 0x00, 0x00, 0x12, 0x34, 0x56, 0x00}));
  EXPECT_EQ(bytes(d + 50, d + 56), bytes(v.inner.eth.dst.bytes.begin(), v.inner.eth.dst.bytes.end()));

  parsed_frame p = parse(*f);
  EXPECT_TRUE(p.ok());
  EXPECT_TRUE(p.has_udp && p.has_vxlan);
  EXPECT_EQ(p.dst_port, VXLAN_UDP_PORT);
  EXPECT_EQ(p.vxlan_vni, 0x123456u);
  EXPECT_EQ(p.inner_offset, 50u);
  // The inner frame is a frame of its own, checksums and all.
  const parsed_frame in = parse(d + p.inner_offset, f->size() - p.inner_offset);
  EXPECT_TRUE(in.ok());
  EXPECT_TRUE(in.has_udp);
  EXPECT_FALSE(in.has_vxlan);
  EXPECT_EQ(in.src, mac("02:00:00:ff:00:01"));
  EXPECT_EQ(in.ip.src, ip("10.0.0.1"));
  EXPECT_EQ(in.src_port, 12345);
  EXPECT_EQ(in.payload_bytes, 4u);
  EXPECT_EQ(d[p.inner_offset + in.payload_offset], 0xa0);

  // Without the I flag, to another port, or too short for an inner Ethernet header,
  // it is plain UDP.
  bytes b = bytes_of(*f);
  b[42] = 0;
  EXPECT_FALSE(parse(b.data(), static_cast<uint32_t>(b.size())).has_vxlan);
  v.inner.payload.bytes = 0;
  v.inner.eth.vlan_tci = vlan_tci(0, false, 5);
  build_vxlan(*f, v);
  p = parse(*f);
  EXPECT_TRUE(p.has_vxlan);
  EXPECT_TRUE(parse(f->data() + p.inner_offset, f->size() - p.inner_offset).has_vlan);
  b = bytes_of(*f);
  b[36] = 0x12;
  b[37] = 0xb6;  // port 4790 (VXLAN-GPE): not ours
  EXPECT_FALSE(parse(b.data(), static_cast<uint32_t>(b.size()), false).has_vxlan);

  // The generator's sizes: the outer frame, FCS excluded, less both sets of headers.
  EXPECT_EQ(vxlan_udp_payload_for(without_fcs(1518), false), 1514u - 50 - 42);
  EXPECT_EQ(vxlan_udp_payload_for(without_fcs(1518), true), 1514u - 54 - 42);
  EXPECT_EQ(vxlan_udp_payload_for(without_fcs(64), false), 0u);
  v.vni = VXLAN_MAX_VNI + 1;
  EXPECT_THROW(build_vxlan(*f, v), std::invalid_argument);
}

}  // namespace
}  // namespace iovsim::net
