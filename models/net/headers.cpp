#include "models/net/headers.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "models/net/byte_order.h"

namespace iovsim::net {

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Sizes the frame for `used` bytes of headers and payload, zero-pads it to the
// Ethernet minimum, and returns where to write.
uint8_t* start(frame& f, uint64_t used) {
  if (used > MAX_FRAME_BYTES)
    throw std::length_error("frame of " + std::to_string(used) + " bytes exceeds the frame capacity of " +
                            std::to_string(MAX_FRAME_BYTES));
  const uint32_t size = std::max(static_cast<uint32_t>(used), ETH_MIN_FRAME_BYTES);
  f.resize(size);
  std::memset(f.data() + used, 0, size - used);
  return f.data();
}

uint32_t l2_bytes(const eth_spec& e) { return ETH_HEADER_BYTES + (e.vlan_tci ? VLAN_TAG_BYTES : 0); }

void put_eth(uint8_t* p, const eth_spec& e, uint16_t ethertype) {
  std::memcpy(p, e.dst.bytes.data(), 6);
  std::memcpy(p + 6, e.src.bytes.data(), 6);
  uint32_t off = 12;
  if (e.vlan_tci) {
    put16(p + off, ETHERTYPE_VLAN);
    put16(p + off + 2, *e.vlan_tci);
    off += VLAN_TAG_BYTES;
  }
  put16(p + off, ethertype);
}

// RFC 791 section 3.1: version 4, IHL 5 (no options), flags DF, checksum last.
void put_ipv4(uint8_t* p, const ipv4_spec& s, uint8_t protocol, uint32_t l4_bytes) {
  p[0] = 0x45;
  p[1] = s.tos;
  put16(p + 2, static_cast<uint16_t>(IPV4_HEADER_BYTES + l4_bytes));
  put16(p + 4, s.id);
  put16(p + 6, s.dont_fragment ? 0x4000 : 0);
  p[8] = s.ttl;
  p[9] = protocol;
  put16(p + 10, 0);
  put32(p + 12, s.src.value);
  put32(p + 16, s.dst.value);
  put16(p + 10, inet_checksum(p, IPV4_HEADER_BYTES));
}

void put_payload(uint8_t* p, const payload_spec& s) {
  for (uint32_t i = 0; i < s.bytes; ++i) p[i] = static_cast<uint8_t>(s.seed + i);
}

// The pseudo header UDP (RFC 768) and TCP (RFC 793 section 3.1) checksums cover.
uint32_t pseudo_sum(ipv4_addr src, ipv4_addr dst, uint8_t protocol, uint32_t l4_bytes) {
  uint8_t ph[12];
  put32(ph, src.value);
  put32(ph + 4, dst.value);
  ph[8] = 0;
  ph[9] = protocol;
  put16(ph + 10, static_cast<uint16_t>(l4_bytes));
  return checksum_add(0, ph, sizeof ph);
}

}  // namespace

// ---- addresses

std::optional<mac_addr> mac_addr::parse(std::string_view t) {
  if (t.size() != 17) return std::nullopt;
  mac_addr m;
  for (size_t i = 0; i < 6; ++i) {
    const int hi = hex_digit(t[3 * i]), lo = hex_digit(t[3 * i + 1]);
    if (hi < 0 || lo < 0 || (i < 5 && t[3 * i + 2] != ':')) return std::nullopt;
    m.bytes[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return m;
}

mac_addr mac_addr::from_u64(uint64_t v) {
  mac_addr m;
  for (int i = 5; i >= 0; --i, v >>= 8) m.bytes[i] = static_cast<uint8_t>(v);
  return m;
}

uint64_t mac_addr::to_u64() const {
  uint64_t v = 0;
  for (uint8_t b : bytes) v = v << 8 | b;
  return v;
}

std::string mac_addr::str() const {
  char s[18];
  std::snprintf(s, sizeof s, "%02x:%02x:%02x:%02x:%02x:%02x", bytes[0], bytes[1], bytes[2], bytes[3], bytes[4],
                bytes[5]);
  return s;
}

std::optional<ipv4_addr> ipv4_addr::parse(std::string_view t) {
  uint32_t value = 0;
  size_t i = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (i >= t.size() || t[i] != '.') return std::nullopt;
      ++i;
    }
    const size_t first = i;
    uint32_t octet = 0;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9' && i - first < 3) octet = octet * 10 + (t[i++] - '0');
    const size_t digits = i - first;
    if (digits == 0 || octet > 255 || (digits > 1 && t[first] == '0')) return std::nullopt;
    value = value << 8 | octet;
  }
  if (i != t.size()) return std::nullopt;
  return ipv4_addr{value};
}

std::string ipv4_addr::str() const {
  char s[16];
  std::snprintf(s, sizeof s, "%u.%u.%u.%u", value >> 24, (value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff);
  return s;
}

// ---- checksums

uint32_t checksum_add(uint32_t sum, const uint8_t* b, size_t n) {
  uint64_t s = sum;
  size_t i = 0;
  for (; i + 1 < n; i += 2) s += uint32_t{b[i]} << 8 | b[i + 1];
  if (i < n) s += uint32_t{b[i]} << 8;  // an odd last byte is padded with zero (RFC 1071 4.1)
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint32_t>(s);
}

uint16_t checksum_adjust(uint16_t checksum, uint16_t old_word, uint16_t new_word) {
  // HC' = ~(~HC + ~m + m'): stays right where the simpler RFC 1141 form gives -0.
  return checksum_fold(uint32_t{static_cast<uint16_t>(~checksum)} + static_cast<uint16_t>(~old_word) + new_word);
}

// ---- builders

uint32_t build_udp(frame& f, const udp_spec& s) {
  const uint32_t l2 = l2_bytes(s.eth);
  const uint64_t l4 = UDP_HEADER_BYTES + uint64_t{s.payload.bytes};
  uint8_t* p = start(f, l2 + IPV4_HEADER_BYTES + l4);
  put_eth(p, s.eth, ETHERTYPE_IPV4);
  put_ipv4(p + l2, s.ip, IP_PROTO_UDP, static_cast<uint32_t>(l4));
  uint8_t* u = p + l2 + IPV4_HEADER_BYTES;
  put16(u, s.src_port);
  put16(u + 2, s.dst_port);
  put16(u + 4, static_cast<uint16_t>(l4));
  put16(u + 6, 0);
  put_payload(u + UDP_HEADER_BYTES, s.payload);
  const uint16_t sum = checksum_fold(checksum_add(pseudo_sum(s.ip.src, s.ip.dst, IP_PROTO_UDP, l4), u, l4));
  put16(u + 6, sum ? sum : 0xffff);  // RFC 768: zero means "no checksum", so send all ones
  return f.size();
}

uint32_t build_tcp(frame& f, const tcp_spec& s) {
  const uint32_t l2 = l2_bytes(s.eth);
  const uint64_t l4 = TCP_HEADER_BYTES + uint64_t{s.payload.bytes};
  uint8_t* p = start(f, l2 + IPV4_HEADER_BYTES + l4);
  put_eth(p, s.eth, ETHERTYPE_IPV4);
  put_ipv4(p + l2, s.ip, IP_PROTO_TCP, static_cast<uint32_t>(l4));
  uint8_t* t = p + l2 + IPV4_HEADER_BYTES;
  put16(t, s.src_port);
  put16(t + 2, s.dst_port);
  put32(t + 4, s.seq);
  put32(t + 8, s.ack);
  t[12] = (TCP_HEADER_BYTES / 4) << 4;  // data offset in 32-bit words
  t[13] = s.flags;
  put16(t + 14, s.window);
  put16(t + 16, 0);
  put16(t + 18, 0);  // urgent pointer
  put_payload(t + TCP_HEADER_BYTES, s.payload);
  put16(t + 16, checksum_fold(checksum_add(pseudo_sum(s.ip.src, s.ip.dst, IP_PROTO_TCP, l4), t, l4)));
  return f.size();
}

uint32_t build_icmp_echo(frame& f, const icmp_echo_spec& s) {
  const uint32_t l2 = l2_bytes(s.eth);
  const uint64_t l4 = ICMP_ECHO_HEADER_BYTES + uint64_t{s.payload.bytes};
  uint8_t* p = start(f, l2 + IPV4_HEADER_BYTES + l4);
  put_eth(p, s.eth, ETHERTYPE_IPV4);
  put_ipv4(p + l2, s.ip, IP_PROTO_ICMP, static_cast<uint32_t>(l4));
  uint8_t* m = p + l2 + IPV4_HEADER_BYTES;
  m[0] = s.reply ? ICMP_ECHO_REPLY : ICMP_ECHO_REQUEST;
  m[1] = 0;
  put16(m + 2, 0);
  put16(m + 4, s.id);
  put16(m + 6, s.seq);
  put_payload(m + ICMP_ECHO_HEADER_BYTES, s.payload);
  put16(m + 2, inet_checksum(m, l4));  // RFC 792: over the whole ICMP message
  return f.size();
}

uint32_t build_arp(frame& f, const arp_spec& s) {
  const uint32_t l2 = l2_bytes(s.eth);
  uint8_t* p = start(f, l2 + ARP_IPV4_BYTES);
  put_eth(p, s.eth, ETHERTYPE_ARP);
  uint8_t* a = p + l2;  // RFC 826: hardware 1 (Ethernet), protocol IPv4, sizes 6 and 4
  put16(a, 1);
  put16(a + 2, ETHERTYPE_IPV4);
  a[4] = 6;
  a[5] = 4;
  put16(a + 6, s.op);
  std::memcpy(a + 8, s.sender_mac.bytes.data(), 6);
  put32(a + 14, s.sender_ip.value);
  std::memcpy(a + 18, s.target_mac.bytes.data(), 6);
  put32(a + 24, s.target_ip.value);
  return f.size();
}

uint32_t build_raw(frame& f, const raw_spec& s) {
  const uint32_t l2 = l2_bytes(s.eth);
  const uint32_t used = std::max(s.frame_bytes, l2);
  uint8_t* p = start(f, used);
  put_eth(p, s.eth, s.ethertype);
  put_payload(p + l2, payload_spec{used - l2, s.seed});
  return f.size();
}

uint32_t build_vxlan(frame& f, const vxlan_spec& s) {
  if (s.vni > VXLAN_MAX_VNI)
    throw std::invalid_argument("VXLAN VNI " + std::to_string(s.vni) + " does not fit in 24 bits");
  const uint32_t l2 = l2_bytes(s.eth);
  const uint32_t inner_l2 = l2_bytes(s.inner.eth);
  const uint64_t inner_bytes = inner_l2 + IPV4_HEADER_BYTES + UDP_HEADER_BYTES + uint64_t{s.inner.payload.bytes};
  const uint64_t l4 = UDP_HEADER_BYTES + VXLAN_HEADER_BYTES + inner_bytes;
  uint8_t* p = start(f, l2 + IPV4_HEADER_BYTES + l4);
  put_eth(p, s.eth, ETHERTYPE_IPV4);
  put_ipv4(p + l2, s.ip, IP_PROTO_UDP, static_cast<uint32_t>(l4));
  uint8_t* u = p + l2 + IPV4_HEADER_BYTES;
  put16(u, s.src_port);
  put16(u + 2, VXLAN_UDP_PORT);
  put16(u + 4, static_cast<uint16_t>(l4));
  put16(u + 6, 0);  // RFC 7348 section 5: SHOULD be zero over IPv4
  uint8_t* v = u + UDP_HEADER_BYTES;
  v[0] = VXLAN_FLAG_I;
  v[1] = v[2] = v[3] = 0;
  put32(v + 4, s.vni << 8);  // VNI in bits 31..8, the last byte reserved
  // The inner frame is built on its own (no minimum pad: it rides in the payload) and
  // copied in; the outer frame was sized for it above.
  uint8_t* in = v + VXLAN_HEADER_BYTES;
  put_eth(in, s.inner.eth, ETHERTYPE_IPV4);
  put_ipv4(in + inner_l2, s.inner.ip, IP_PROTO_UDP,
           static_cast<uint32_t>(UDP_HEADER_BYTES + uint64_t{s.inner.payload.bytes}));
  uint8_t* iu = in + inner_l2 + IPV4_HEADER_BYTES;
  const uint64_t inner_l4 = UDP_HEADER_BYTES + uint64_t{s.inner.payload.bytes};
  put16(iu, s.inner.src_port);
  put16(iu + 2, s.inner.dst_port);
  put16(iu + 4, static_cast<uint16_t>(inner_l4));
  put16(iu + 6, 0);
  put_payload(iu + UDP_HEADER_BYTES, s.inner.payload);
  const uint16_t sum =
      checksum_fold(checksum_add(pseudo_sum(s.inner.ip.src, s.inner.ip.dst, IP_PROTO_UDP, inner_l4), iu, inner_l4));
  put16(iu + 6, sum ? sum : 0xffff);
  return f.size();
}

uint32_t vxlan_udp_payload_for(uint32_t frame_bytes, bool vlan) {
  const uint32_t outer = VXLAN_OVERHEAD_BYTES + (vlan ? VLAN_TAG_BYTES : 0);
  const uint32_t inner_headers = ETH_HEADER_BYTES + IPV4_HEADER_BYTES + UDP_HEADER_BYTES;
  return frame_bytes > outer + inner_headers ? frame_bytes - outer - inner_headers : 0;
}

uint32_t udp_payload_for(uint32_t frame_bytes, bool vlan) {
  const uint32_t headers = ETH_HEADER_BYTES + (vlan ? VLAN_TAG_BYTES : 0) + IPV4_HEADER_BYTES + UDP_HEADER_BYTES;
  return frame_bytes > headers ? frame_bytes - headers : 0;
}

// ---- parser

namespace {

void parse_arp(const uint8_t* b, uint32_t n, parsed_frame& r) {
  const uint32_t at = r.l3_offset;
  if (n - at < ARP_IPV4_BYTES) {
    r.truncated = true;
    return;
  }
  const uint8_t* a = b + at;
  if (get16(a) != 1 || get16(a + 2) != ETHERTYPE_IPV4 || a[4] != 6 || a[5] != 4) {
    r.malformed = true;  // not IPv4 over Ethernet: the only ARP the models speak
    return;
  }
  r.has_arp = true;
  r.arp.op = get16(a + 6);
  std::memcpy(r.arp.sender_mac.bytes.data(), a + 8, 6);
  r.arp.sender_ip.value = get32(a + 14);
  std::memcpy(r.arp.target_mac.bytes.data(), a + 18, 6);
  r.arp.target_ip.value = get32(a + 24);
  r.payload_offset = at + ARP_IPV4_BYTES;
  r.payload_bytes = 0;  // what follows is padding
}

// The L4 header of the first (or only) fragment. `declared` is the L4 length the IP
// header announces, `avail` what the frame holds of it; `whole` when checksums apply.
void parse_l4(const uint8_t* b, parsed_frame& r, uint32_t declared, uint32_t avail, bool whole, bool verify) {
  const uint8_t* l4 = b + r.l4_offset;
  auto fits = [&](uint32_t header) {
    if (declared < header) r.malformed = true;     // the datagram itself is too short
    return declared >= header && avail >= header;  // avail < declared was flagged truncated
  };
  auto l4_sum_bad = [&](uint32_t len) {
    const uint32_t start = r.ip.protocol == IP_PROTO_ICMP ? 0 : pseudo_sum(r.ip.src, r.ip.dst, r.ip.protocol, len);
    return checksum_fold(checksum_add(start, l4, len)) != 0;
  };
  switch (r.ip.protocol) {
    case IP_PROTO_ICMP:
      if (!fits(ICMP_ECHO_HEADER_BYTES)) return;
      r.has_icmp = true;
      r.icmp.type = l4[0];
      r.icmp.code = l4[1];
      if (r.icmp.type == ICMP_ECHO_REQUEST || r.icmp.type == ICMP_ECHO_REPLY) {
        r.icmp.id = get16(l4 + 4);
        r.icmp.seq = get16(l4 + 6);
      }
      r.payload_offset = r.l4_offset + ICMP_ECHO_HEADER_BYTES;
      r.payload_bytes = avail - ICMP_ECHO_HEADER_BYTES;
      if (verify && whole) r.bad_l4_checksum = l4_sum_bad(declared);
      return;
    case IP_PROTO_UDP: {
      if (!fits(UDP_HEADER_BYTES)) return;
      r.has_udp = true;
      r.src_port = get16(l4);
      r.dst_port = get16(l4 + 2);
      r.udp_length = get16(l4 + 4);
      const bool length_ok = r.udp_length >= UDP_HEADER_BYTES && r.udp_length <= declared;
      if (!length_ok) r.malformed = true;
      const uint32_t len = std::min<uint32_t>(length_ok ? r.udp_length : declared, avail);
      r.payload_offset = r.l4_offset + UDP_HEADER_BYTES;
      r.payload_bytes = len - UDP_HEADER_BYTES;
      if (verify && whole && length_ok && get16(l4 + 6) != 0) r.bad_l4_checksum = l4_sum_bad(r.udp_length);
      // RFC 7348: port 4789 and the I flag; the inner frame needs at least its
      // Ethernet header to be one.
      if (r.dst_port == VXLAN_UDP_PORT && whole && r.payload_bytes >= VXLAN_HEADER_BYTES + ETH_HEADER_BYTES &&
          (b[r.payload_offset] & VXLAN_FLAG_I)) {
        r.has_vxlan = true;
        r.vxlan_vni = get32(b + r.payload_offset + 4) >> 8;
        r.inner_offset = r.payload_offset + VXLAN_HEADER_BYTES;
      }
      return;
    }
    case IP_PROTO_TCP: {
      if (!fits(TCP_HEADER_BYTES)) return;
      r.has_tcp = true;
      r.src_port = get16(l4);
      r.dst_port = get16(l4 + 2);
      r.tcp.seq = get32(l4 + 4);
      r.tcp.ack = get32(l4 + 8);
      r.tcp.header_bytes = static_cast<uint8_t>((l4[12] >> 4) * 4);
      r.tcp.flags = l4[13];
      r.tcp.window = get16(l4 + 14);
      if (r.tcp.header_bytes < TCP_HEADER_BYTES || r.tcp.header_bytes > declared) {
        r.malformed = true;
        return;
      }
      if (r.tcp.header_bytes > avail) return;  // options cut off: already truncated
      r.payload_offset = r.l4_offset + r.tcp.header_bytes;
      r.payload_bytes = avail - r.tcp.header_bytes;
      if (verify && whole) r.bad_l4_checksum = l4_sum_bad(declared);
      return;
    }
    default:
      return;
  }
}

void parse_ipv4(const uint8_t* b, uint32_t n, parsed_frame& r, bool verify) {
  const uint32_t at = r.l3_offset;
  const uint32_t avail = n - at;
  if (avail < IPV4_HEADER_BYTES) {
    r.truncated = true;
    return;
  }
  const uint8_t* h = b + at;
  const uint32_t ihl = (h[0] & 0xf) * 4u;
  if (h[0] >> 4 != 4 || ihl < IPV4_HEADER_BYTES) {
    r.malformed = true;
    return;
  }
  if (avail < ihl) {
    r.truncated = true;
    return;
  }
  const uint16_t total = get16(h + 2);
  if (total < ihl) {
    r.malformed = true;
    return;
  }
  r.has_ipv4 = true;
  ipv4_fields& ip = r.ip;
  ip.header_bytes = static_cast<uint8_t>(ihl);
  ip.tos = h[1];
  ip.total_length = total;
  ip.id = get16(h + 4);
  ip.dont_fragment = h[6] & 0x40;
  ip.more_fragments = h[6] & 0x20;
  ip.fragment_offset = get16(h + 6) & 0x1fff;
  ip.ttl = h[8];
  ip.protocol = h[9];
  ip.src.value = get32(h + 12);
  ip.dst.value = get32(h + 16);
  if (verify) r.bad_ip_checksum = inet_checksum(h, ihl) != 0;
  if (total > avail) r.truncated = true;
  const uint32_t ip_bytes = std::min<uint32_t>(total, avail);  // trailing Ethernet pad excluded
  r.l4_offset = at + ihl;
  r.payload_offset = r.l4_offset;
  r.payload_bytes = ip_bytes - ihl;
  if (ip.fragment_offset != 0) return;  // only the first fragment carries the L4 header
  parse_l4(b, r, total - ihl, ip_bytes - ihl, !r.truncated && !ip.more_fragments, verify);
}

}  // namespace

parsed_frame parse(const uint8_t* b, uint32_t n, bool verify_checksums) {
  parsed_frame r;
  r.size = n;
  if (n < ETH_HEADER_BYTES) {
    r.truncated = true;
    return r;
  }
  r.has_eth = true;
  std::memcpy(r.dst.bytes.data(), b, 6);
  std::memcpy(r.src.bytes.data(), b + 6, 6);
  uint32_t type_at = 12;
  if (get16(b + 12) == ETHERTYPE_VLAN) {  // one tag; a second (QinQ) stays an unknown type
    if (n < ETH_HEADER_BYTES + VLAN_TAG_BYTES) {
      r.ethertype = ETHERTYPE_VLAN;
      r.truncated = true;
      return r;
    }
    r.has_vlan = true;
    r.vlan_tci = get16(b + 14);
    type_at += VLAN_TAG_BYTES;
  }
  r.ethertype = get16(b + type_at);
  r.l3_offset = type_at + 2;
  r.payload_offset = r.l3_offset;
  r.payload_bytes = n - r.l3_offset;
  if (r.ethertype == ETHERTYPE_ARP)
    parse_arp(b, n, r);
  else if (r.ethertype == ETHERTYPE_IPV4)
    parse_ipv4(b, n, r, verify_checksums);
  return r;
}

}  // namespace iovsim::net
