// Writes a run's output folder (DESIGN.md section 8): summary.txt, results.json,
// transcript.txt, log.txt, dmesg.txt, trace.json, config/*.txt, topology.dot.
// Nothing host-dependent goes into them, so two runs compare byte for byte.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "drivers-sim/host.h"
#include "drivers-sim/userland/lspci/lspci.h"
#include "models/kit/sim_env.h"
#include "platform/platform.h"
#include "scenarios/engine.h"

namespace iovsim::scen {

class world;

// The output folder could not be made ready or written (a file in the way, no
// permission, a full disk): the CLI reports it and exits 2.
struct output_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Makes `dir` ready to hold exactly one run, before the run starts: created if
// missing; a folder an earlier run wrote (it holds results.json or summary.txt) is
// emptied; any other non-empty folder is refused unless `force`, so a mistyped
// --out never deletes a user's files. Throws output_error. True when it made the
// folder (so a run that stops on bad input can take it away again).
bool prepare_output_dir(const std::string& dir, bool force);

// Throws output_error when a file cannot be written completely.
// A world of several machines also gets <machine>/dmesg.txt and <machine>/config/ for
// each machine after the first, the wires and traffic ports in results.json and
// summary.txt, and one cluster per machine in topology.dot.
void write_outputs(const std::string& dir, const loaded_scenario& s, uint64_t seed, const run_report& report,
                   kit::sim_env& env, world& w);

// The name of a function's config dump: "0000_03_10_1.txt".
std::string config_file_name(const host::lspci_device& d);

// Up to this many functions in a machine the outputs show each one: a config dump
// each (config_dumps::automatic), a line each in summary.txt, a box each in
// topology.dot. A larger machine (a rack: 2,073 functions, 14 KB of dump each) gets
// its PFs and bridges one by one and each PF's VFs as one group; results.json still
// lists every function.
constexpr size_t EVERY_FUNCTION_MAX = 256;

// "auto", "all", "pf", "none" (--config-dumps); false for anything else.
bool parse_config_dumps(const std::string& text, config_dumps& out);

// Which of `host`'s functions (by "0000:03:00.1") get a config dump under `policy`: the
// final view reads only those (host_system::lspci_view).
std::function<bool(const std::string& bdf)> config_dump_filter(host::host_system& host, config_dumps policy);

}  // namespace iovsim::scen
