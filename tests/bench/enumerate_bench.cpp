// Benchmarks of bring-up: building a platform, firmware + kernel enumeration, and
// enabling every VF of 4 PFs x 64 VFs behind ARI (two dual-port 82599s). Speed is
// measured here, never asserted in tests.
#include <benchmark/benchmark.h>
#include <google/protobuf/text_format.h>

#include <systemc>

#include "drivers-sim/host.h"
#include "models/kit/sim_env.h"
#include "platform/platform.h"
#include "scenarios/loader.h"

namespace {

using namespace iovsim;

const char* k_platform = R"(
  root_port { name: "rp1" device: 1 }
  root_port { name: "rp2" device: 2 }
  endpoint { name: "nic0" profile: "82599" attach: "rp1" }
  endpoint { name: "nic1" profile: "82599" attach: "rp2" }
  file { path: "/etc/modprobe.d/blacklist.conf" content: "blacklist ixgbevf\n" }
)";

struct bench_bench : sc_core::sc_module {
  SC_HAS_PROCESS(bench_bench);
  bench_bench(sc_core::sc_module_name n, host::host_system& h, unsigned vfs, unsigned reads)
      : sc_module(n), host(h), num_vfs(vfs), cfg_reads(reads) {
    SC_THREAD(run);
  }
  void run() {
    host.boot();
    for (host::pci_dev* d : host.pci().devices())
      if (d->sriov_pos && !d->is_virtfn && num_vfs) enabled += host.pci().enable_sriov(*d, num_vfs) == 0 ? num_vfs : 0;
    for (unsigned i = 0; i < cfg_reads; ++i) host.machine().cpu().cfg_read(1, 0, 0, 4);
    functions = host.pci().devices().size();
  }
  host::host_system& host;
  unsigned num_vfs, cfg_reads;
  unsigned enabled = 0;
  size_t functions = 0;
};

struct result {
  size_t functions;
  unsigned enabled;
  double sim_seconds;
};

result bring_up(unsigned vfs, unsigned cfg_reads) {
  kit::fresh_systemc_context();
  kit::sim_env env(1);
  pb::Platform spec;
  google::protobuf::TextFormat::ParseFromString(k_platform, &spec);
  platform::machine machine(spec, scen::builtin_profiles());
  host::host_system host(machine, 1);
  bench_bench tb("bench", host, vfs, cfg_reads);
  sc_core::sc_start();
  return {tb.functions, tb.enabled, sc_core::sc_time_stamp().to_seconds()};
}

// Build, BIOS, kernel enumeration and driver probe; then VF Enable on all 4 PFs.
void BM_bring_up_4pf_x_64vf(benchmark::State& state) {
  result r{};
  for (auto _ : state) r = bring_up(64, 0);
  state.counters["functions"] = static_cast<double>(r.functions);
  state.counters["vfs"] = r.enabled;
  state.counters["sim_s"] = r.sim_seconds;
}
BENCHMARK(BM_bring_up_4pf_x_64vf)->Unit(benchmark::kMillisecond);

// The same without VFs: what enumeration alone costs.
void BM_bring_up_no_vfs(benchmark::State& state) {
  for (auto _ : state) bring_up(0, 0);
}
BENCHMARK(BM_bring_up_no_vfs)->Unit(benchmark::kMillisecond);

// Configuration reads through the fabric (TLM b_transport + a wait each).
void BM_config_reads(benchmark::State& state) {
  const unsigned n = static_cast<unsigned>(state.range(0));
  for (auto _ : state) bring_up(0, n);
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_config_reads)->Arg(100000)->Unit(benchmark::kMillisecond);

}  // namespace

