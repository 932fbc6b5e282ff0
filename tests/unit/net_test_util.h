// What the packet-library tests share: byte vectors, address literals, a small UDP
// frame between the two MACs of the 82599 profile.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "models/net/frame.h"
#include "models/net/headers.h"

namespace iovsim::net::test {

using bytes = std::vector<uint8_t>;

inline bytes bytes_of(const frame& f) { return bytes(f.data(), f.data() + f.size()); }
inline mac_addr mac(const char* text) { return *mac_addr::parse(text); }
inline ipv4_addr ip(const char* text) { return *ipv4_addr::parse(text); }

inline const mac_addr MAC_A = mac("00:1b:21:a0:00:00");  // the 82599 profile's mac_base
inline const mac_addr MAC_B = mac("00:1b:21:a1:00:01");

inline udp_spec small_udp() {
  udp_spec s;
  s.eth = {MAC_B, MAC_A, std::nullopt};
  s.ip.src = ip("10.0.0.1");
  s.ip.dst = ip("10.0.0.2");
  s.ip.id = 0x1234;
  s.src_port = 12345;
  s.dst_port = 5001;
  s.payload = {4, 0xa0};
  return s;
}

}  // namespace iovsim::net::test
