// fuzz_scenario: bytes as a scenario file, through what `iovsim validate` does (the
// loader, then the machine built with dry_run so the models refuse impossible
// parameters), and, when that says ok, through a boot of the machine (what `iovsim
// run` does before the first step: the BIOS and the kernel over the platform).
//
// Any input must end in one of: an input_error with a one-line `FILE:LINE:COL:`
// message, an exit-2 report with a one-line message, or success. Crashes, leaks,
// undefined behaviour, SystemC errors and exceptions out of the engine are findings.
#include <cstdint>
#include <string>

#include "scenarios/engine.h"
#include "scenarios/loader.h"
#include "tests/fuzz/fuzz_common.h"
#include "tests/fuzz/fuzz_run.h"

using namespace iovsim;

namespace {

// Relative profile_file names resolve beside the bad-input corpus, so its seeds that
// name profiles/*.pbtxt load them as `iovsim validate tests/bad_input/x.pbtxt` would.
const std::string& scenario_path() {
  static const std::string path = fuzz::source_dir() + "/tests/bad_input/fuzz.pbtxt";
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  scen::loaded_scenario loaded;
  try {
    loaded = scen::load_scenario_text(scenario_path(), text);
  } catch (const scen::input_error& e) {
    fuzz::check_error_line(e.what(), e.line() == 0);
    return 0;
  }
  scen::run_options opt;
  opt.dry_run = true;
  const scen::run_report checked = fuzz::run_scenario(loaded, opt);
  if (checked.exit_code == 2) {
    fuzz::check_error_line(checked.error, true);
    return 0;
  }
  if (checked.exit_code != 0) fuzz::fuzz_fail("validation exit code " + std::to_string(checked.exit_code));

  // Valid: the machine must boot. The steps are the shell's (fuzz_shell).
  loaded.scenario.clear_step();
  loaded.step_loc.clear();
  loaded.step_time_ps.clear();
  const scen::run_report booted = fuzz::run_scenario(loaded, scen::run_options{});
  if (booted.exit_code != 0)
    fuzz::fuzz_fail("validated scenario does not boot: exit " + std::to_string(booted.exit_code) + " " + booted.error);
  return 0;
}
