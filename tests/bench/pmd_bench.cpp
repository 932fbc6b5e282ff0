// pmd at 10 Gb/s line rate: an X540's two PFs under vfio-pci, pmd forwarding io
// between them, a generator sending 64 B frames at line rate (14.88 Mpps) into port
// 0. Reports the frames pmd received per wall second (the whole world: wire, NIC RX
// and TX DMA through the IOMMU, the lcore's descriptor work), with the boot and
// setup measured apart (BM_pmd_setup) so it can be taken off. Speed is measured,
// never asserted.
#include <benchmark/benchmark.h>

#include <regex>
#include <string>

#include "scenarios/engine.h"
#include "scenarios/loader.h"

namespace {

using namespace iovsim;

std::string world(uint64_t frames) {
  std::string s = R"(
name: "pmd_bench"
machine {
  name: "a"
  platform {
    kernel_cmdline: "intel_iommu=on"
    root_port { name: "rp1" device: 1 }
    endpoint { name: "nic0" profile: "x540" attach: "rp1" }
  }
}
wire { a: "traffic:gen0" b: "a:nic0:0" }
wire { a: "traffic:gen1" b: "a:nic0:1" }
traffic { name: "gen0" }
traffic { name: "gen1" }
step { at: "1ms" shell: "modprobe vfio-pci" }
)";
  for (const char* bdf : {"0000:01:00.0", "0000:01:00.1"}) {
    s += std::string("step { shell: \"echo vfio-pci > /sys/bus/pci/devices/") + bdf + "/driver_override\" }\n";
    s += std::string("step { shell: \"echo ") + bdf + " > /sys/bus/pci/devices/" + bdf + "/driver/unbind\" }\n";
    s += std::string("step { shell: \"echo ") + bdf + " > /sys/bus/pci/drivers/vfio-pci/bind\" }\n";
  }
  s += "step { shell: \"pmd start --dev 0000:01:00.0 --dev 0000:01:00.1 --fwd io\" }\n";
  if (frames) {
    s += "step { shell: \"traffic start gen0 --count " + std::to_string(frames) + " --size 64\" }\n";
    // Line rate: 67.2 ns a frame; a little more for the last ones to drain.
    s += "step { shell: \"run " + std::to_string(frames * 68 / 1000 + 100) + "us\" }\n";
  }
  s += "step { shell: \"pmd stop\" }\n";
  return s;
}

uint64_t rx_of(const scen::run_report& r) {
  std::smatch m;
  const std::string& out = r.steps.back().output;
  return std::regex_search(out, m, std::regex("RX-packets: +([0-9]+)")) ? std::stoull(m[1]) : 0;
}

void BM_pmd_io_fwd_64B(benchmark::State& state) {
  const uint64_t frames = static_cast<uint64_t>(state.range(0));
  const scen::loaded_scenario s = scen::load_scenario_text("pmd_bench.pbtxt", world(frames));
  uint64_t rx = 0;
  for (auto _ : state) {
    const scen::run_report r = scen::run_scenario(s, scen::run_options{});
    rx = rx_of(r);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * rx));
  state.counters["pmd_rx"] = static_cast<double>(rx);
}

void BM_pmd_setup(benchmark::State& state) {
  const scen::loaded_scenario s = scen::load_scenario_text("pmd_bench.pbtxt", world(0));
  for (auto _ : state) scen::run_scenario(s, scen::run_options{});
}

BENCHMARK(BM_pmd_io_fwd_64B)->Arg(200'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_pmd_setup)->Unit(benchmark::kMillisecond);

}  // namespace
