#include "models/net/toeplitz.h"

#include <stdexcept>
#include <string>

namespace iovsim::net {

const rss_key RSS_DEFAULT_KEY = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
    0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
    0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

uint32_t toeplitz_reference(const rss_key& key, const uint8_t* input, size_t n) {
  // "For each bit b in input from left to right: if b == 1, result ^= the left-most 32
  // bits of K; shift K left one bit." The top 32 bits of `k` are K's left-most bits;
  // a key byte is fed in below them after each input byte.
  uint64_t k = 0;
  for (size_t i = 0; i < 8; ++i) k = k << 8 | key[i];
  size_t next = 8;
  uint32_t result = 0;
  for (size_t i = 0; i < n; ++i) {
    for (int bit = 7; bit >= 0; --bit) {
      if (input[i] >> bit & 1) result ^= static_cast<uint32_t>(k >> 32);
      k <<= 1;
    }
    k |= next < key.size() ? key[next++] : 0;
  }
  return result;
}

toeplitz::toeplitz(const rss_key& key) {
  // The 32 key bits starting at bit `s`: what input bit number s multiplies.
  auto window = [&key](size_t s) {
    const size_t byte = s / 8, shift = s % 8;
    uint64_t w = 0;
    for (size_t i = 0; i < 5; ++i) w = w << 8 | (byte + i < key.size() ? key[byte + i] : 0);
    return static_cast<uint32_t>(w >> (8 - shift));
  };
  for (size_t pos = 0; pos < MAX_INPUT_BYTES; ++pos) {
    std::array<uint32_t, 8> bit_hash;  // the contribution of each bit, MSB first
    for (size_t b = 0; b < 8; ++b) bit_hash[b] = window(pos * 8 + b);
    // The hash is linear in the input: v's entry is that of v without its lowest set
    // bit, XOR that bit's contribution (one XOR per entry: a rack builds 32 tables).
    m_table[pos][0] = 0;
    for (uint32_t v = 1; v < 256; ++v) {
      const uint32_t low = v & (0u - v);                           // the lowest set bit
      const auto b = static_cast<size_t>(7 - __builtin_ctz(low));  // its index, MSB first
      m_table[pos][v] = m_table[pos][v ^ low] ^ bit_hash[b];
    }
  }
}

uint32_t toeplitz::hash(const uint8_t* input, size_t n) const {
  if (n > MAX_INPUT_BYTES)
    throw std::length_error("toeplitz: " + std::to_string(n) + " input bytes, at most " +
                            std::to_string(MAX_INPUT_BYTES) + " with a 40-byte key");
  uint32_t h = 0;
  for (size_t i = 0; i < n; ++i) h ^= m_table[i][input[i]];
  return h;
}

uint32_t toeplitz::hash_ipv4(ipv4_addr src, ipv4_addr dst) const {
  uint32_t h = 0;
  for (size_t i = 0; i < 4; ++i) {
    h ^= m_table[i][(src.value >> (24 - 8 * i)) & 0xff];
    h ^= m_table[4 + i][(dst.value >> (24 - 8 * i)) & 0xff];
  }
  return h;
}

uint32_t toeplitz::hash_ipv4_ports(ipv4_addr src, ipv4_addr dst, uint16_t src_port, uint16_t dst_port) const {
  return hash_ipv4(src, dst) ^ m_table[8][src_port >> 8] ^ m_table[9][src_port & 0xff] ^ m_table[10][dst_port >> 8] ^
         m_table[11][dst_port & 0xff];
}

rss_result rss_hash(const toeplitz& t, const parsed_frame& p, uint32_t fields) {
  rss_result r;
  if (!p.has_ipv4 || p.malformed) return r;
  const bool l4_ok = !p.ip.is_fragment();
  if (l4_ok && p.has_tcp && (fields & MRQC_RSS_FIELD_IPV4_TCP)) {
    r.hash = t.hash_ipv4_ports(p.ip.src, p.ip.dst, p.src_port, p.dst_port);
    r.type = RSS_TYPE_IPV4_TCP;
  } else if (l4_ok && p.has_udp && (fields & MRQC_RSS_FIELD_IPV4_UDP)) {
    r.hash = t.hash_ipv4_ports(p.ip.src, p.ip.dst, p.src_port, p.dst_port);
    r.type = RSS_TYPE_IPV4_UDP;
  } else if (fields & MRQC_RSS_FIELD_IPV4) {
    r.hash = t.hash_ipv4(p.ip.src, p.ip.dst);
    r.type = RSS_TYPE_IPV4;
  }
  return r;
}

}  // namespace iovsim::net
