// `iovsim bench`: named cases that push packets through the whole model (generator,
// wire, MAC, forwarding, queues, DMA through the link and the IOMMU, interrupts, the
// host's drivers and stack) and measure how fast the simulator runs them on this
// machine: simulated packets per wall second and simulated seconds per wall second.
// Wall time is measured around sc_start() only (boot and link training excluded);
// the simulation itself never reads the clock.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace iovsim::scen {

struct bench_case_info {
  std::string name;
  std::string description;
};
const std::vector<bench_case_info>& bench_cases();

struct bench_result {
  std::string name;
  uint64_t sim_packets = 0;  // frames through the NIC (received from the wire, or sent to it)
  // Of those, frames the host's drivers took (RX; every copy of a replicated frame
  // counts), or the sink got (TX), or the receiving VF took (VF to VF).
  uint64_t delivered = 0;
  uint64_t dropped = 0;      // frames the NIC dropped, for any reason
  std::string drops;         // by reason: "no_rx_descriptor=12 dma_fault=0 ..."
  double wall_s = 0;
  double sim_s = 0;
  double packets_per_wall_s() const { return wall_s > 0 ? static_cast<double>(sim_packets) / wall_s : 0; }
  double sim_s_per_wall_s() const { return wall_s > 0 ? sim_s / wall_s : 0; }
};

// Runs one case with `packets` frames (0: the case's default). Throws
// std::invalid_argument for an unknown case, std::runtime_error for a case the models
// cannot run (an interface that does not come up, no VF-to-VF loopback).
bench_result run_bench(const std::string& name, uint64_t packets);

}  // namespace iovsim::scen
