// Writes a run's output folder (DESIGN.md section 8): summary.txt, results.json,
// transcript.txt, log.txt, dmesg.txt, trace.json, config/*.txt, topology.dot.
// Nothing host-dependent goes into them, so two runs compare byte for byte.
#pragma once

#include <string>
#include <vector>

#include "drivers-sim/host.h"
#include "drivers-sim/userland/lspci/lspci.h"
#include "models/kit/sim_env.h"
#include "platform/platform.h"
#include "scenarios/engine.h"

namespace iovsim::scen {

void write_outputs(const std::string& dir, const loaded_scenario& s, uint64_t seed, const run_report& report,
                   kit::sim_env& env, platform::machine& machine, host::host_system& host,
                   const std::vector<host::lspci_device>& view);

// The name of a function's config dump: "0000_03_10_1.txt".
std::string config_file_name(const host::lspci_device& d);

}  // namespace iovsim::scen
