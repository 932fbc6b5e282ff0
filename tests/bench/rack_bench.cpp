// The rack-sized host of scenarios/library/rack_scale.pbtxt: 16 dual-port 82599s
// behind four PEX 8747 switches, boot, then 63 VFs on each of the 32 ports (2,073
// functions), run through the scenario engine as `iovsim run` does. Speed is
// measured here, never asserted in tests.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <systemc>

#include "scenarios/engine.h"
#include "scenarios/loader.h"
#include "scenarios/outputs.h"

namespace {

using namespace iovsim;

const scen::loaded_scenario& rack() {
  // As the command line does: SystemC's "simulation stopped" notes are not output.
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  static const scen::loaded_scenario s =
      scen::load_scenario(std::string(IOVSIM_SOURCE_DIR) + "/scenarios/library/rack_scale.pbtxt");
  return s;
}

void check(benchmark::State& state, const scen::run_report& r) {
  if (r.exit_code != 0) state.SkipWithError(("rack_scale did not pass: " + r.error).c_str());
}

// Boot, enable every VF and check the expectations; no output folder (the final view
// and the files are left out).
void BM_rack_boot_enable(benchmark::State& state) {
  for (auto _ : state) check(state, scen::run_scenario(rack(), {}));
  state.counters["functions"] = 2073;
}
BENCHMARK(BM_rack_boot_enable)->Unit(benchmark::kMillisecond);

// The whole `iovsim run rack_scale`: the same and its output folder (config dumps of
// the PFs and bridges, results.json, summary.txt, ...).
void BM_rack_run_with_outputs(benchmark::State& state) {
  char tmpl[] = "/tmp/rack_bench.XXXXXX";
  const char* dir = mkdtemp(tmpl);
  if (!dir) {
    state.SkipWithError("mkdtemp failed");
    return;
  }
  scen::run_options opt;
  opt.out_dir = std::string(dir) + "/out";
  for (auto _ : state) {
    scen::prepare_output_dir(opt.out_dir, false);
    check(state, scen::run_scenario(rack(), opt));
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}
BENCHMARK(BM_rack_run_with_outputs)->Unit(benchmark::kMillisecond);

}  // namespace
