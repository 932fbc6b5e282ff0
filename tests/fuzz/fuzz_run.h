// A scenario run for the targets that go through the scenario engine (fuzz_scenario,
// fuzz_profile, fuzz_shell), followed by the checks every run gets.
#pragma once

#include "scenarios/engine.h"
#include "tests/fuzz/fuzz_common.h"

namespace iovsim::fuzz {

inline scen::run_report run_scenario(const scen::loaded_scenario& s, const scen::run_options& opt) {
  scen::run_report r = scen::run_scenario(s, opt);
  after_run();
  return r;
}

}  // namespace iovsim::fuzz
