// The scenario engine: builds the platform, boots the host, runs the timeline of
// shell steps at their simulated times, checks the expectations and writes the
// run's outputs (DESIGN.md sections 7 and 8).
#pragma once

#include <functional>
#include <iosfwd>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "scenarios/loader.h"

namespace iovsim::scen {

// How far a run got, for a progress line and run-info.json. The engine reads no
// clock: the caller measures wall time.
struct run_progress {
  double sim_seconds = 0;  // simulated time reached
  uint64_t events = 0;     // SystemC delta cycles so far (sc_delta_count)
  bool done = false;       // the last call, after the simulation stopped
};

// Which functions get a config dump (config/<bdf>.txt): automatic is all of them while
// a machine has at most CONFIG_DUMPS_ALL_MAX functions, else as pf; pf is the physical
// functions and bridges (every VF left out).
enum class config_dumps { automatic, all, pf, none };

struct run_options {
  std::string out_dir;                                   // empty: no files written
  uint64_t seed = 0;
  bool seed_given = false;                               // else the scenario's seed
  std::vector<std::pair<std::string, std::string>> sets; // --set name=value
  bool verbose = false;                                  // log lines to stderr
  bool dry_run = false;                                  // build the machine, check parameters, stop
  std::set<std::string> log_categories;                  // log.txt keeps only these (empty: all)
  std::set<std::string> trace_categories;                // trace.json keeps only these (empty: all)
  // Called once when the simulation stops (done) and, when progress_every_ps is not
  // 0, about every that much simulated time while it runs: the run is then simulated
  // in slices, which gives the same bytes as one sc_start (tests/scripts/progress_test.sh).
  std::function<void(const run_progress&)> progress;
  uint64_t progress_every_ps = 0;
  scen::config_dumps config_dumps = config_dumps::automatic;
  std::string vcd;  // the time series as VCD here too (--vcd; empty: none)
};

struct step_outcome {
  std::string at;          // simulated time the step ran
  std::string machine;     // where it ran, in a scenario of several machines ("" in one of one)
  std::string shell;
  std::string note;        // the step's note, as the scenario gives it
  std::string output;      // stdout then stderr, as a terminal shows them
  int status = 0;
  std::vector<std::pair<std::string, bool>> checks;   // description, passed
  std::vector<std::string> failures;                  // "expected ..., got ..."
};

struct run_report {
  int exit_code = 0;       // 0 all expectations hold, 1 one failed, 2 bad input
  std::string error;       // for exit code 2
  std::vector<step_outcome> steps;
  unsigned expectations = 0;
  unsigned failures = 0;
  // Every number captured: name, value, 1-based step that captured it last; in the
  // order the names were first captured.
  struct capture {
    std::string name;
    double value = 0;
    unsigned step = 0;
  };
  std::vector<capture> captured;
  // The scenario's variables in its order, with the values this run used.
  struct variable {
    std::string name, value;
    bool overridden = false;  // by --set
  };
  std::vector<variable> variables;
};

// Runs a loaded scenario. Each call is a fresh simulation (a new SystemC context).
run_report run_scenario(const loaded_scenario& scenario, const run_options& options);

// The timing parameters the models declare: "name  default  doc" lines, sorted.
std::vector<std::string> describe_params();

// Interactive host shell on the scenario's platform after boot (its steps are not
// run): reads lines from `in`, writes results to `out`; prompts when `prompt`. With
// several machines, `machine NAME` moves to another machine's shell (the prompt
// says which: root@NAME:~#) and `machine` lists them.
int run_shell(const loaded_scenario& scenario, const run_options& options, std::istream& in, std::ostream& out,
              bool prompt);

}  // namespace iovsim::scen
