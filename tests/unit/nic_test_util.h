// Test helpers for the NIC models: host memory behind a fixed-latency DMA path.
#pragma once

#include <cstdint>
#include <map>
#include <systemc>
#include <vector>

#include "models/nic/dma_port.h"

namespace iovsim::nic {

using sc_core::SC_NS;
using sc_core::sc_time;

// Host memory behind a fixed-latency path: a read's data arrives 500 ns after it is
// asked for, a write is posted 100 ns after. Requests to [fault_lo, fault_hi) fail
// as an IOMMU fault would. Records every request, with the time it was asked for and
// the simulated time when it was made.
struct test_memory : dma_port {
  std::map<uint64_t, uint8_t> bytes;
  uint64_t fault_lo = 0, fault_hi = 0;
  struct request {
    uint16_t rid;
    bool write;
    uint64_t addr;
    uint32_t len;
    sc_time at, made;
  };
  std::vector<request> log;
  bool read(uint16_t rid, uint64_t addr, void* data, uint32_t len, const sc_time& at, sc_time& done) override {
    log.push_back({rid, false, addr, len, at, sc_core::sc_time_stamp()});
    done = at + sc_time(500, SC_NS);
    if (addr < fault_hi && addr + len > fault_lo) return false;
    auto* out = static_cast<uint8_t*>(data);
    for (uint32_t i = 0; i < len; ++i) out[i] = bytes.count(addr + i) ? bytes[addr + i] : 0;
    return true;
  }
  bool write(uint16_t rid, uint64_t addr, const void* data, uint32_t len, const sc_time& at, sc_time& done) override {
    log.push_back({rid, true, addr, len, at, sc_core::sc_time_stamp()});
    done = at + sc_time(100, SC_NS);
    if (addr < fault_hi && addr + len > fault_lo) return false;
    const auto* in = static_cast<const uint8_t*>(data);
    for (uint32_t i = 0; i < len; ++i) bytes[addr + i] = in[i];
    return true;
  }
  void put64(uint64_t addr, uint64_t v) {
    for (int i = 0; i < 8; ++i) bytes[addr + i] = static_cast<uint8_t>(v >> (8 * i));
  }
  uint32_t get32(uint64_t addr) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = v << 8 | bytes[addr + i];
    return v;
  }
  std::vector<uint8_t> get(uint64_t addr, uint32_t len) {
    std::vector<uint8_t> out(len);
    for (uint32_t i = 0; i < len; ++i) out[i] = bytes[addr + i];
    return out;
  }
};

}  // namespace iovsim::nic
