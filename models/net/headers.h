// Protocol headers built and parsed on frame bytes, network byte order, no allocation:
// Ethernet II, 802.1Q, ARP (RFC 826), IPv4 (RFC 791), ICMP echo (RFC 792), UDP
// (RFC 768), TCP (RFC 793), VXLAN (RFC 7348), and the Internet checksum (RFC 1071,
// RFC 1624).
// Sizes are frame bytes without the FCS (frame.h) unless a name says otherwise.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "models/net/frame.h"

namespace iovsim::net {

constexpr uint32_t ETH_HEADER_BYTES = 14;
constexpr uint32_t VLAN_TAG_BYTES = 4;
constexpr uint32_t ETH_FCS_BYTES = 4;
// 802.3's 64-byte minimum frame less its FCS: Linux ETH_ZLEN (include/uapi/linux/
// if_ether.h). Builders pad shorter frames with zeros, a VLAN tag counting as bytes.
constexpr uint32_t ETH_MIN_FRAME_BYTES = 60;
constexpr uint32_t ARP_IPV4_BYTES = 28;
constexpr uint32_t IPV4_HEADER_BYTES = 20;  // without options
constexpr uint32_t ICMP_ECHO_HEADER_BYTES = 8;
constexpr uint32_t UDP_HEADER_BYTES = 8;
constexpr uint32_t TCP_HEADER_BYTES = 20;  // without options
// RFC 7348 section 5: an 8-byte VXLAN header in UDP to port 4789, flags with the I bit
// (a valid VNI), a 24-bit VNI; the inner Ethernet frame follows, without its FCS.
constexpr uint32_t VXLAN_HEADER_BYTES = 8;
constexpr uint16_t VXLAN_UDP_PORT = 4789;  // IANA
constexpr uint8_t VXLAN_FLAG_I = 0x08;
constexpr uint32_t VXLAN_MAX_VNI = 0xffffff;
// Outer Ethernet, IPv4, UDP and VXLAN headers: what a tunnel adds to the inner frame.
constexpr uint32_t VXLAN_OVERHEAD_BYTES = ETH_HEADER_BYTES + IPV4_HEADER_BYTES + UDP_HEADER_BYTES + VXLAN_HEADER_BYTES;

// Generators and RFC 2544 quote frame sizes with the FCS (64, 1518): convert here.
constexpr uint32_t without_fcs(uint32_t wire_frame_bytes) { return wire_frame_bytes - ETH_FCS_BYTES; }
constexpr uint32_t with_fcs(uint32_t frame_bytes) { return frame_bytes + ETH_FCS_BYTES; }

constexpr uint16_t ETHERTYPE_IPV4 = 0x0800;
constexpr uint16_t ETHERTYPE_ARP = 0x0806;
constexpr uint16_t ETHERTYPE_VLAN = 0x8100;          // 802.1Q TPID
constexpr uint16_t ETHERTYPE_EXPERIMENTAL = 0x88b5;  // IEEE 802 "local experimental 1"
constexpr uint8_t IP_PROTO_ICMP = 1;
constexpr uint8_t IP_PROTO_TCP = 6;
constexpr uint8_t IP_PROTO_UDP = 17;
constexpr uint8_t ICMP_ECHO_REPLY = 0;
constexpr uint8_t ICMP_ECHO_REQUEST = 8;
constexpr uint16_t ARP_OP_REQUEST = 1;
constexpr uint16_t ARP_OP_REPLY = 2;
constexpr uint8_t TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_RST = 0x04, TCP_PSH = 0x08, TCP_ACK = 0x10, TCP_URG = 0x20;

// 802.1Q Tag Control Information: PCP (3 bits), DEI (1), VID (12).
constexpr uint16_t vlan_tci(uint8_t pcp, bool dei, uint16_t vid) {
  return static_cast<uint16_t>((pcp & 7) << 13 | (dei ? 1 : 0) << 12 | (vid & 0xfff));
}
constexpr uint16_t vlan_vid(uint16_t tci) { return tci & 0xfff; }
constexpr uint8_t vlan_pcp(uint16_t tci) { return static_cast<uint8_t>(tci >> 13); }

struct mac_addr {
  std::array<uint8_t, 6> bytes{};

  static std::optional<mac_addr> parse(std::string_view text);  // "aa:bb:cc:dd:ee:ff", any case
  // The low 48 bits, first octet most significant: a profile's mac_base 0x001b21a00000
  // is 00:1b:21:a0:00:00.
  static mac_addr from_u64(uint64_t value);
  static mac_addr broadcast() { return from_u64(0xffffffffffffULL); }
  uint64_t to_u64() const;
  std::string str() const;  // lowercase, as `ip link` prints
  bool is_broadcast() const { return to_u64() == 0xffffffffffffULL; }
  bool is_multicast() const { return bytes[0] & 1; }  // I/G bit; broadcast included
  bool is_zero() const { return to_u64() == 0; }
  friend bool operator==(const mac_addr& a, const mac_addr& b) { return a.bytes == b.bytes; }
  friend bool operator!=(const mac_addr& a, const mac_addr& b) { return a.bytes != b.bytes; }
  friend bool operator<(const mac_addr& a, const mac_addr& b) { return a.bytes < b.bytes; }
};

struct ipv4_addr {
  uint32_t value = 0;  // host order: 10.0.0.1 is 0x0a000001

  // Strict dotted quad as inet_pton(3) reads it: four decimals 0-255, no leading zeros.
  static std::optional<ipv4_addr> parse(std::string_view text);
  std::string str() const;
  friend bool operator==(ipv4_addr a, ipv4_addr b) { return a.value == b.value; }
  friend bool operator!=(ipv4_addr a, ipv4_addr b) { return a.value != b.value; }
  friend bool operator<(ipv4_addr a, ipv4_addr b) { return a.value < b.value; }
};

// RFC 1071 one's-complement sum of big-endian 16-bit words. checksum_add continues a
// sum over another piece (every piece but the last of even length) and returns it
// folded to 16 bits; checksum_fold complements it into the header's value.
uint32_t checksum_add(uint32_t sum, const uint8_t* bytes, size_t n);
inline uint16_t checksum_fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}
inline uint16_t inet_checksum(const uint8_t* bytes, size_t n) { return checksum_fold(checksum_add(0, bytes, n)); }
// RFC 1624 eqn. 3: the checksum after one 16-bit word of the data changed.
uint16_t checksum_adjust(uint16_t checksum, uint16_t old_word, uint16_t new_word);

// What the builders write. The payload is a pattern a capture can be checked against:
// byte i is (seed + i) & 0xff.
struct eth_spec {
  mac_addr dst, src;
  std::optional<uint16_t> vlan_tci;  // adds an 802.1Q tag with this TCI
};
struct ipv4_spec {
  ipv4_addr src, dst;
  uint8_t ttl = 64;  // Linux's net.ipv4.ip_default_ttl
  uint8_t tos = 0;
  uint16_t id = 0;
  bool dont_fragment = true;
};
struct payload_spec {
  uint32_t bytes = 0;
  uint8_t seed = 0;
};
struct udp_spec {
  eth_spec eth;
  ipv4_spec ip;
  uint16_t src_port = 0, dst_port = 0;
  payload_spec payload;
};
struct tcp_spec {
  eth_spec eth;
  ipv4_spec ip;
  uint16_t src_port = 0, dst_port = 0;
  uint32_t seq = 0, ack = 0;
  uint8_t flags = 0;  // TCP_SYN | TCP_ACK ...
  uint16_t window = 65535;
  payload_spec payload;
};
struct icmp_echo_spec {
  eth_spec eth;
  ipv4_spec ip;
  bool reply = false;  // echo reply (type 0) or request (type 8)
  uint16_t id = 0, seq = 0;
  payload_spec payload;
};
struct arp_spec {
  eth_spec eth;  // a request goes to mac_addr::broadcast()
  uint16_t op = ARP_OP_REQUEST;
  mac_addr sender_mac, target_mac;
  ipv4_addr sender_ip, target_ip;
};
// A UDP frame tunnelled in VXLAN: outer Ethernet/IPv4/UDP to port 4789 from
// `src_port`, the VXLAN header with `vni`, then `inner` (whose own FCS is not sent).
// The outer UDP checksum is zero, as RFC 7348 section 5 says an IPv4 VTEP sends it.
struct vxlan_spec {
  eth_spec eth;
  ipv4_spec ip;
  uint16_t src_port = 0;  // RFC 7348: a hash of the inner flow, 49152..65535 recommended
  uint32_t vni = 0;       // 0..VXLAN_MAX_VNI
  udp_spec inner;
};
struct raw_spec {  // a frame of a given size and no protocol: the generator's filler
  eth_spec eth;
  uint16_t ethertype = ETHERTYPE_EXPERIMENTAL;
  uint32_t frame_bytes = ETH_MIN_FRAME_BYTES;  // headers included, FCS excluded
  uint8_t seed = 0;
};

// Each builder writes the whole frame, pads it to ETH_MIN_FRAME_BYTES with zeros (the
// IP and L4 lengths do not count the pad), sets its size and returns it. Throws
// std::length_error when the frame would exceed MAX_FRAME_BYTES.
uint32_t build_udp(frame& f, const udp_spec& s);
uint32_t build_tcp(frame& f, const tcp_spec& s);
uint32_t build_icmp_echo(frame& f, const icmp_echo_spec& s);
uint32_t build_arp(frame& f, const arp_spec& s);
uint32_t build_raw(frame& f, const raw_spec& s);
uint32_t build_vxlan(frame& f, const vxlan_spec& s);  // throws std::invalid_argument for a VNI over 24 bits
// The UDP payload that makes a frame of `frame_bytes` (0 when the headers alone fill it).
uint32_t udp_payload_for(uint32_t frame_bytes, bool vlan);
// The inner UDP payload that makes a VXLAN frame of `frame_bytes` (an outer tag when
// `vlan`; 0 when the headers alone fill it).
uint32_t vxlan_udp_payload_for(uint32_t frame_bytes, bool vlan);

struct arp_fields {
  uint16_t op = 0;
  mac_addr sender_mac, target_mac;
  ipv4_addr sender_ip, target_ip;
};
struct ipv4_fields {
  ipv4_addr src, dst;
  uint8_t protocol = 0, ttl = 0, tos = 0, header_bytes = 0;
  uint16_t total_length = 0, id = 0;
  uint16_t fragment_offset = 0;  // in 8-byte units
  bool dont_fragment = false, more_fragments = false;
  bool is_fragment() const { return more_fragments || fragment_offset != 0; }
};
struct icmp_fields {
  uint8_t type = 0, code = 0;
  uint16_t id = 0, seq = 0;  // echo request and reply only
};
struct tcp_fields {
  uint32_t seq = 0, ack = 0;
  uint8_t flags = 0, header_bytes = 0;
  uint16_t window = 0;
};

// Offsets and fields of each layer found. A layer is marked present only when its
// whole header lies within the bytes; offsets are from the first byte of the frame.
struct parsed_frame {
  uint32_t size = 0;
  bool has_eth = false, has_vlan = false, has_arp = false, has_ipv4 = false;
  bool has_icmp = false, has_udp = false, has_tcp = false;
  bool truncated = false;  // a header or an announced length runs past the end
  bool malformed = false;  // an impossible field: IP version/IHL/length, UDP length, TCP offset, ARP sizes
  bool bad_ip_checksum = false, bad_l4_checksum = false;  // checked only when asked

  mac_addr dst, src;
  uint16_t ethertype = 0;  // the one after the VLAN tag, if any
  uint16_t vlan_tci = 0;
  uint32_t l3_offset = 0, l4_offset = 0;
  uint32_t payload_offset = 0, payload_bytes = 0;  // after the innermost header, pad excluded
  arp_fields arp;
  ipv4_fields ip;
  icmp_fields icmp;
  uint16_t src_port = 0, dst_port = 0;  // UDP or TCP
  uint16_t udp_length = 0;
  tcp_fields tcp;
  // UDP to port 4789 whose payload holds a VXLAN header with the I flag: the VNI and
  // where the inner Ethernet frame starts (parse it from there: parse() does not
  // descend, so payload_offset stays on the VXLAN header).
  bool has_vxlan = false;
  uint32_t vxlan_vni = 0;
  uint32_t inner_offset = 0;

  bool ok() const { return !truncated && !malformed && !bad_ip_checksum && !bad_l4_checksum; }
};

// Never reads outside [bytes, bytes + n). Checksums of the IPv4 header and of ICMP,
// UDP and TCP (with the pseudo header) are verified when verify_checksums is set;
// a fragment's L4 checksum is never checked (it covers the whole datagram).
parsed_frame parse(const uint8_t* bytes, uint32_t n, bool verify_checksums = true);
inline parsed_frame parse(const frame& f, bool verify_checksums = true) {
  return parse(f.data(), f.size(), verify_checksums);
}

}  // namespace iovsim::net
