// The pcie-bench engine's cost per simulated transfer: a booted Haswell host
// (hsw_e5_2620v3) runs one pciebench experiment of 200,000 transfers through the
// scenario engine. Counters: simulated transfers per wall second, and SystemC delta
// cycles per transfer (the engine issues the transfers due within
// pciebench.lookahead in one event, so this stays well below one). Boot is included
// and is a few milliseconds. Speed is measured here, never asserted in tests.
#include <benchmark/benchmark.h>

#include <string>
#include <systemc>

#include "scenarios/engine.h"
#include "scenarios/loader.h"

namespace {

using namespace iovsim;

constexpr uint64_t TRANSFERS = 200000;

scen::loaded_scenario experiment(const std::string& kernel_cmdline, const std::string& command) {
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  return scen::load_scenario_text("pciebench_bench.pbtxt", R"(name: "pciebench_bench"
seed: 1
platform {
  host: "hsw_e5_2620v3"
  kernel_cmdline: ")" + kernel_cmdline + R"("
  root_port { name: "rp2" device: 2 }
  endpoint { name: "pcb0" profile: "iovsim_pciebench" attach: "rp2" }
}
step { at: "1s" shell: ")" + command + R"(" expect { exit_status: 0 } }
)");
}

void run(benchmark::State& state, const scen::loaded_scenario& s) {
  uint64_t deltas = 0;
  for (auto _ : state) {
    const scen::run_report r = scen::run_scenario(s, {});
    if (r.exit_code != 0) state.SkipWithError(("the experiment failed: " + r.error).c_str());
    deltas = sc_core::sc_delta_count();
  }
  state.counters["transfers/s"] =
      benchmark::Counter(static_cast<double>(TRANSFERS), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["deltas/transfer"] = static_cast<double>(deltas) / static_cast<double>(TRANSFERS);
}

// 88 reads of 64 B in flight over an 8 KiB window: the link and the 32 tags bound it.
void BM_bw_read_64(benchmark::State& state) {
  static const auto s = experiment("", "pciebench BW_DMA_RD --size 64 --pattern rand --count 200000");
  run(state, s);
}
BENCHMARK(BM_bw_read_64)->Unit(benchmark::kMillisecond);

// 2 KiB writes: eight TLPs per transfer.
void BM_bw_write_2k(benchmark::State& state) {
  static const auto s = experiment("", "pciebench BW_DMA_WR --size 2048 --pattern rand --count 200000");
  run(state, s);
}
BENCHMARK(BM_bw_write_2k)->Unit(benchmark::kMillisecond);

// One transfer at a time, each sample kept and sorted at the end.
void BM_lat_read_64(benchmark::State& state) {
  static const auto s = experiment("", "pciebench LAT_DMA_RD --size 64 --count 200000");
  run(state, s);
}
BENCHMARK(BM_lat_read_64)->Unit(benchmark::kMillisecond);

// 4 KiB IOMMU pages over 64 MiB: nearly every read misses the IOTLB and walks.
void BM_bw_read_64_iommu_4k_64m(benchmark::State& state) {
  static const auto s = experiment("intel_iommu=on,sp_off",
                                   "pciebench BW_DMA_RD --size 64 --pattern rand --window 64M --count 200000");
  run(state, s);
}
BENCHMARK(BM_bw_read_64_iommu_4k_64m)->Unit(benchmark::kMillisecond);

}  // namespace
