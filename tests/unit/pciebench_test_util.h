// Shared by the pcie-bench tests (pciebench_timing_test.cpp, pciebench_rules_test.cpp,
// pciebench_host_test.cpp): the profile, the device's timestamp counter, pcie-bench's
// ListStats written out again, and the idle-path times the link and DRAM models give.
#pragma once

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <systemc>
#include <vector>

#include "models/memory/dram.h"
#include "models/pcie/link.h"
#include "models/testdev/pciebench_device.h"
#include "scenarios/loader.h"

namespace iovsim::test::pcb {
using pcie::pciebench_device;
using sc_core::SC_NS;
using sc_core::SC_PS;
using sc_core::sc_time;
using sc_core::SC_US;
using sc_core::SC_ZERO_TIME;
using pbd = pcie::pciebench_device;

constexpr uint64_t KiB = 1024, MiB = 1024 * KiB;
constexpr uint64_t PAGE = 4096;

inline const pb::DeviceProfile& pciebench_profile() {
  for (const auto& p : scen::builtin_profiles().device())
    if (p.name() == "iovsim_pciebench") return p;
  throw std::runtime_error("no built-in device profile iovsim_pciebench");
}

// The device's timestamp counter at t: whole cycles of a clock of `khz` (1 ps resolution).
inline uint64_t counter(const sc_time& t, uint64_t khz) {
  return static_cast<uint64_t>(static_cast<unsigned __int128>(t.value()) * khz / 1'000'000'000u);
}

// pcie-bench's ListStats (python/pciebench/stats.py), written out again for the
// expected values: closest-rank interpolation, median of the middle two.
inline double ref_percentile(const std::vector<uint32_t>& s, double p) {
  const double idx = static_cast<double>(s.size() - 1) * p / 100.0;
  const double lo = std::floor(idx), hi = std::ceil(idx);
  if (lo == hi) return s[static_cast<size_t>(lo)];
  return s[static_cast<size_t>(lo)] * (hi - idx) + s[static_cast<size_t>(hi)] * (idx - lo);
}
inline double ref_median(const std::vector<uint32_t>& s) {
  const size_t n = s.size();
  return n % 2 ? s[n / 2] : (s[n / 2 - 1] + static_cast<double>(s[n / 2])) / 2.0;
}
inline uint64_t fixed8(double v) { return static_cast<uint64_t>(std::llround(v * 256.0)); }

// Time DRAM's channel is held for an access of `bytes` (bytes / bandwidth, up to the ps).
inline sc_time channel_time(const mem::dram& m, uint64_t bytes) {
  const unsigned __int128 ps =
      (static_cast<unsigned __int128>(bytes) * 1'000'000'000'000ull + m.bandwidth_bytes_per_s() - 1) /
      m.bandwidth_bytes_per_s();
  return sc_time(static_cast<double>(ps), SC_PS);
}

// One read of `bytes` (one request: bytes <= MRRS) on an idle path: the request's
// serialisation and hop up, the channel and DRAM latency, the completions'
// serialisation and hop down.
inline sc_time idle_read_latency(const pcie::pcie_link& link, const mem::dram& m, uint64_t bytes) {
  const pcie::read_cost rc = pcie::read_wire(link.config(), bytes);
  return link.wire_time(rc.request_bytes) + link.hop_latency() + channel_time(m, bytes) + m.latency() +
         link.wire_time(rc.completion_bytes) + link.hop_latency();
}

// One posted write of `bytes` (<= MPS) on an idle path until it is in memory.
inline sc_time idle_write_latency(const pcie::pcie_link& link, const mem::dram& m, uint64_t bytes) {
  return link.wire_time(pcie::write_wire(link.config(), bytes).wire_bytes) + link.hop_latency() +
         channel_time(m, bytes) + m.latency();
}

}  // namespace iovsim::test::pcb
