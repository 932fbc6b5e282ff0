// Receive-side scaling: the Toeplitz hash of Microsoft's RSS specification ("RSS
// hashing functions"), which the 82599 implements (data sheet 7.1.2.8; its RSS
// verification suite is 7.1.2.8.3), and the hash of a parsed frame under the 82599's
// MRQC field selections.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "models/net/headers.h"

namespace iovsim::net {

constexpr size_t RSS_KEY_BYTES = 40;  // RSSRK[0..9] on the 82599
using rss_key = std::array<uint8_t, RSS_KEY_BYTES>;

// The key iovsim programs unless told otherwise. Linux ixgbe fills RSSRK with
// netdev_rss_key_fill(), random per boot (ixgbe_main.c, ixgbe_init_rss_key): a
// simulator must be reproducible. This is the key of Microsoft's verification suite,
// which Intel's data sheets print too (82576 7.1.1.7.3; the 82599's suite, 7.1.2.8.3)
// and DPDK's ixgbe driver programs when the application gives none (rss_intel_key,
// drivers/net/ixgbe/ixgbe_rxtx.c): its hashes are published, so tests can check them.
extern const rss_key RSS_DEFAULT_KEY;

// The specification's bit-serial algorithm, kept as the reference for the table.
uint32_t toeplitz_reference(const rss_key& key, const uint8_t* input, size_t n);

// Table-driven: one lookup per input byte. Input is at most 36 bytes (the key less 4:
// IPv6 addresses and ports); the tuple order is the spec's (source address,
// destination address, source port, destination port), in network byte order.
class toeplitz {
 public:
  static constexpr size_t MAX_INPUT_BYTES = RSS_KEY_BYTES - 4;
  explicit toeplitz(const rss_key& key = RSS_DEFAULT_KEY);
  uint32_t hash(const uint8_t* input, size_t n) const;  // throws std::length_error past 36
  uint32_t hash_ipv4(ipv4_addr src, ipv4_addr dst) const;
  uint32_t hash_ipv4_ports(ipv4_addr src, ipv4_addr dst, uint16_t src_port, uint16_t dst_port) const;

 private:
  std::array<std::array<uint32_t, 256>, MAX_INPUT_BYTES> m_table;  // [byte position][byte value]
};

// MRQC hash-field enables (Linux ixgbe_type.h, IXGBE_MRQC_RSS_FIELD_*).
constexpr uint32_t MRQC_RSS_FIELD_IPV4_TCP = 0x00010000;
constexpr uint32_t MRQC_RSS_FIELD_IPV4 = 0x00020000;
constexpr uint32_t MRQC_RSS_FIELD_IPV4_UDP = 0x00400000;
// The RSS Type the receive write-back descriptor reports (ixgbe_type.h, IXGBE_RXDADV_RSSTYPE_*).
constexpr uint8_t RSS_TYPE_NONE = 0;
constexpr uint8_t RSS_TYPE_IPV4_TCP = 1;
constexpr uint8_t RSS_TYPE_IPV4 = 2;
constexpr uint8_t RSS_TYPE_IPV4_UDP = 7;

struct rss_result {
  uint32_t hash = 0;
  uint8_t type = RSS_TYPE_NONE;
};

// The 4-tuple hash of a TCP or UDP packet when its field is enabled, else the 2-tuple
// hash of an IPv4 packet when IPV4 is enabled, else none (hash 0). Fragments, the
// first one included, hash as IPv4 only (Microsoft, "RSS hashing types"); a frame the
// parser found malformed is not hashed.
rss_result rss_hash(const toeplitz& t, const parsed_frame& p, uint32_t mrqc_fields);

}  // namespace iovsim::net
