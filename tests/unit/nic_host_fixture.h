// What the host-level NIC tests share (nic_datapath_test.cpp, nic_fault_test.cpp): a
// booted host whose dual-port X540 has a loopback cable, a recorder in the stack's
// place, raw Ethernet frames and the ports brought up past link training.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tests/unit/host_fixture.h"

namespace iovsim::test {

// In the network stack's place: every frame a driver hands up, with where and when.
struct frame_recorder : host::packet_handler {
  struct seen {
    std::string dev;
    std::vector<uint8_t> bytes;
    sc_core::sc_time at;
  };
  std::vector<seen> frames;
  void receive(host::netdev& nd, const uint8_t* f, uint32_t len, sc_core::sc_time& debt) override {
    host::settle(debt);
    frames.push_back({nd.name, std::vector<uint8_t>(f, f + len), sc_core::sc_time_stamp()});
  }
};

// An Ethernet frame of `len` bytes to `dst` from `src`: ethertype 0x88B5 (local
// experimental: no RSS type, so the PF pool's first queue), payload byte i = i + seed.
inline std::vector<uint8_t> raw_frame(uint64_t dst, uint64_t src, uint32_t len, uint8_t seed = 0) {
  std::vector<uint8_t> f(len);
  for (int b = 0; b < 6; ++b) {
    f[b] = static_cast<uint8_t>(dst >> (40 - 8 * b));
    f[6 + b] = static_cast<uint8_t>(src >> (40 - 8 * b));
  }
  f[12] = 0x88;
  f[13] = 0xb5;
  for (uint32_t i = 14; i < len; ++i) f[i] = static_cast<uint8_t>(i + seed);
  return f;
}

class nic_host_fixture : public host_fixture {
 protected:
  void SetUp() override {
    host_fixture::SetUp();
    loopback_cable = true;
  }
  // `ip link set IF up` for each, then past link training (host.link_up_time, 2 s).
  static void bring_up(host::host_system& h, const std::vector<std::string>& ifaces) {
    for (const std::string& i : ifaces) out(h, "ip link set " + i + " up");
    out(h, "run 2100ms");
  }
};

}  // namespace iovsim::test
