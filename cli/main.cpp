// iovsim: the command line. run / shell / validate / list / bench / sweep. Exit codes: 0 all
// expectations hold, 1 an expectation failed, 2 bad input or usage.
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <systemc>

#include "cli/progress.h"
#include "cli/report_cmd.h"
#include "cli/sweep.h"
#include "scenarios/bench.h"
#include "scenarios/engine.h"
#include "scenarios/loader.h"
#include "scenarios/outputs.h"

#ifndef IOVSIM_SOURCE_DIR
#define IOVSIM_SOURCE_DIR "."
#endif

namespace fs = std::filesystem;
using namespace iovsim;

namespace {

// A scenario named without a path is looked up in the scenario library.
std::string find_scenario(const std::string& arg) {
  if (fs::exists(arg) || arg.find('/') != std::string::npos) return arg;
  const fs::path lib = fs::path(IOVSIM_SOURCE_DIR) / "scenarios" / "library";
  for (const fs::path& p : {lib / (arg + ".pbtxt"), lib / arg})
    if (fs::exists(p)) return p.string();
  return arg;
}

bool parse_sets(const std::vector<std::string>& sets, scen::run_options& opt) {
  for (const std::string& s : sets) {
    const auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "iovsim: --set wants name=value, got \"" << s << "\"\n";
      return false;
    }
    opt.sets.emplace_back(s.substr(0, eq), s.substr(eq + 1));
  }
  return true;
}

int cmd_list() {
  const pb::ProfileLibrary& lib = scen::builtin_profiles();
  std::cout << "device profiles:\n";
  for (const auto& p : lib.device())
    std::cout << "  " << p.name() << std::string(p.name().size() < 16 ? 16 - p.name().size() : 1, ' ')
              << p.description() << "\n";
  std::cout << "port profiles:\n";
  for (const auto& p : lib.port())
    std::cout << "  " << p.name() << std::string(p.name().size() < 24 ? 24 - p.name().size() : 1, ' ')
              << p.vendor_name() << " " << p.device_name() << "\n";
  std::cout << "scenarios:\n";
  const fs::path dir = fs::path(IOVSIM_SOURCE_DIR) / "scenarios" / "library";
  std::vector<std::string> names;
  if (fs::is_directory(dir))
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().extension() == ".pbtxt") names.push_back(e.path().stem().string());
  std::sort(names.begin(), names.end());
  for (const auto& n : names) std::cout << "  " << n << "\n";
  return 0;
}

}  // namespace

namespace {
int run_cli(int argc, char** argv);
}

// Our own main: libsystemc's main (sc_elab_and_sim) prints a banner on standard
// error, and a command-line tool whose stderr is checked must not. Each run makes
// its own simulation context, so nothing of sc_elab_and_sim is needed.
int main(int argc, char** argv) { return run_cli(argc, argv); }

// libsystemc still refers to sc_main.
int sc_main(int argc, char** argv) { return run_cli(argc, argv); }

namespace {
// `iovsim bench`: one line per case (or one JSON object per line with --json). A
// case the models cannot run says why on standard error; the others still run, and
// the exit status is 1.
int cmd_bench(std::vector<std::string> names, bool json, bool list, uint64_t packets) {
  size_t width = std::string("case").size();  // the name column fits the longest name
  for (const auto& c : scen::bench_cases()) width = std::max(width, c.name.size());
  if (list) {
    for (const auto& c : scen::bench_cases()) std::cout << fmt::format("{:<{}} {}\n", c.name, width, c.description);
    return 0;
  }
  if (names.empty())
    for (const auto& c : scen::bench_cases()) names.push_back(c.name);
  for (const std::string& n : names) {
    bool known = false;
    for (const auto& c : scen::bench_cases()) known |= c.name == n;
    if (!known) {
      std::cerr << "iovsim bench: no case \"" << n << "\" (iovsim bench --list shows them)\n";
      return 2;
    }
  }
  if (!json)
    std::cout << fmt::format("{:<{}} {:>12} {:>9} {:>19} {:>17}\n", "case", width, "sim_packets", "wall_s",
                             "packets_per_wall_s", "sim_s_per_wall_s");
  int status = 0;
  for (const std::string& n : names) {
    scen::bench_result r;
    try {
      r = scen::run_bench(n, packets);
    } catch (const std::runtime_error& e) {
      std::cout << std::flush;
      std::cerr << "iovsim bench: " << n << ": " << e.what() << "\n";
      status = 1;
      continue;
    }
    if (json)
      std::cout << fmt::format(
          "{{\"case\": \"{}\", \"sim_packets\": {}, \"delivered\": {}, \"dropped\": {}, \"drops\": \"{}\", \"wall_s\": "
          "{:.3f}, "
          "\"sim_s\": {:.6f}, \"packets_per_wall_s\": {:.0f}, \"sim_s_per_wall_s\": {:.4f}}}\n",
          r.name, r.sim_packets, r.delivered, r.dropped, r.drops, r.wall_s, r.sim_s, r.packets_per_wall_s(),
          r.sim_s_per_wall_s());
    else
      std::cout << fmt::format("{:<{}} {:>12} {:>9.3f} {:>19.0f} {:>17.4f}\n", r.name, width, r.sim_packets, r.wall_s,
                               r.packets_per_wall_s(), r.sim_s_per_wall_s());
    std::cout << std::flush;
  }
  return status;
}

int run_cli(int argc, char** argv) {
  // Outputs must not depend on the host: no SystemC banner on standard output.
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  CLI::App app{"iovsim: a deterministic simulator of an SR-IOV NIC, an IOMMU and a Linux-like host"};
  app.require_subcommand(1);
  scen::run_options opt;
  std::string scenario;
  std::vector<std::string> sets;
  uint64_t seed = 0;

  auto* run = app.add_subcommand("run", "run a scenario, check its expectations and write its outputs");
  run->add_option("scenario", scenario, "scenario file, or the name of a built-in scenario")->required();
  bool force = false;
  run->add_option("--out", opt.out_dir,
                  "output folder (default out/<scenario name>); an earlier run's folder is emptied first");
  run->add_flag("--force", force, "empty the --out folder even if it holds something other than an earlier run");
  std::string config_dumps = "auto";
  run->add_option("--config-dumps", config_dumps,
                  "which functions get config/<bdf>.txt: all, pf (PFs and bridges), none, or auto (all up to 256 "
                  "functions, else pf)")
      ->check(CLI::IsMember({"auto", "all", "pf", "none"}));
  auto* seed_opt = run->add_option("--seed", seed, "run seed (default: the scenario's)");
  run->add_option("--set", sets, "timing parameter override, name=value (repeatable)")->allow_extra_args(false);
  run->add_flag("-v,--verbose", opt.verbose, "echo the model log to standard error");
  bool quiet = false;
  run->add_flag("-q,--quiet", quiet, "no progress line on a terminal and no summary line");
  std::vector<std::string> log_cats, trace_cats;
  run->add_option("--log", log_cats, "log only these categories (iommu, pci, dma, mem, link, host, firmware, inject)")
      ->delimiter(',');
  run->add_option("--trace", trace_cats, "trace only these categories (iommu, dma, sriov, shell)")->delimiter(',');
  bool vcd = false;
  run->add_flag("--vcd", vcd, "also write the time series (series.json) as series.vcd with SystemC's VCD writer");

  auto* sh = app.add_subcommand("shell", "boot the scenario's platform and open its host shell");
  sh->add_option("scenario", scenario, "scenario file or built-in name")->required();
  auto* sh_seed = sh->add_option("--seed", seed, "run seed");
  sh->add_option("--set", sets, "timing parameter override, name=value (repeatable)")->allow_extra_args(false);

  auto* validate = app.add_subcommand("validate", "check a scenario file without running it");
  validate->add_option("scenario", scenario, "scenario file or built-in name")->required();
  validate->add_option("--set", sets, "timing parameter override to check too, name=value (repeatable)")
      ->allow_extra_args(false);

  auto* sweep = app.add_subcommand("sweep", "run a scenario over a grid of parameter values and merge the results");
  cli::sweep_request sw;
  sweep->add_option("scenario", scenario, "scenario file or built-in name");
  sweep->add_option("--vary", sw.vary, "NAME=V1,V2,...: a parameter and its values (repeatable)")
      ->allow_extra_args(false);
  sweep->add_flag("--zip", sw.zip,
                  "the i-th values of every --vary together (lists of one length), not every combination");
  sweep->add_option("--seeds", sw.seeds, "run each combination with seeds 1..N (default: the scenario's seed)");
  sweep->add_option("-j,--jobs", sw.jobs, "points run at once (default: one per core)");
  sweep->add_option("--out", sw.out_dir, "sweep folder (default out/sweep-<scenario name>); finished points are kept");
  sweep->add_option("--set", sw.sets, "parameter for every point, name=value (repeatable)")->allow_extra_args(false);
  sweep->add_flag("-q,--quiet", sw.quiet, "no progress line");
  sweep->add_flag("--slurm", sw.slurm,
                  "submit the points as one Slurm job array (sbatch) instead of running them here");
  sweep->add_option("--partition", sw.partition, "Slurm partition (sbatch --partition)");
  sweep->add_option("--time", sw.time_limit, "Slurm time limit per point (sbatch --time)");
  sweep
      ->add_option("--sbatch-arg", sw.sbatch_args,
                   "one more #SBATCH line for the job script, e.g. --sbatch-arg=--mem=1G (repeatable)")
      ->allow_extra_args(false);
  sweep->add_option("--per-task", sw.per_task,
                    "with --slurm: points run one after the other by each array task (default 1)");
  sweep->add_flag("--no-wait", sw.no_wait, "with --slurm: submit, print the job id and return");
  auto* collect = sweep->add_subcommand("collect", "merge the points of a sweep folder that have finished");
  std::string collect_dir;
  collect->add_option("dir", collect_dir, "the sweep's folder (its --out)")->required();

  auto* list = app.add_subcommand("list", "list built-in device profiles, port profiles and scenarios");
  bool list_params = false;
  list->add_flag("--params", list_params, "list the timing parameters (--set name=value) instead");

  auto* bench = app.add_subcommand("bench", "run named benchmark cases: simulated packets per wall second");
  std::vector<std::string> bench_names;
  bool bench_json = false, bench_list = false;
  uint64_t bench_packets = 0;
  bench->add_option("case", bench_names, "cases to run (default: all; --list shows them)");
  bench->add_flag("--json", bench_json, "one JSON object per case instead of the table");
  bench->add_flag("--list", bench_list, "list the cases and stop");
  bench->add_option("--packets", bench_packets, "frames per case (default: the case's)");

  auto* report = app.add_subcommand("report", "write an HTML page with plots of a run's or a sweep's folder");
  std::string report_dir, report_out;
  report->add_option("dir", report_dir, "a run's output folder or a sweep's folder")->required();
  report->add_option("--out", report_out, "the page to write (default DIR/report.html)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (app.got_subcommand("list") && list_params) {
    for (const std::string& line : scen::describe_params()) std::cout << line << "\n";
    return 0;
  }
  if (app.got_subcommand("list")) return cmd_list();
  if (app.got_subcommand("report")) return cmd_report(report_dir, report_out);
  if (app.got_subcommand("bench")) return cmd_bench(bench_names, bench_json, bench_list, bench_packets);
  if (app.got_subcommand("sweep")) {
    if (sweep->got_subcommand("collect")) return cli::collect_sweep(collect_dir);
    if (scenario.empty()) {
      std::cerr << "iovsim sweep: a scenario is required (or: iovsim sweep collect DIR)\n";
      return 2;
    }
    if (sw.no_wait && !sw.slurm) {
      std::cerr << "iovsim sweep: --no-wait is for --slurm\n";
      return 2;
    }
    sw.scenario_path = find_scenario(scenario);
    return cli::run_sweep(sw);
  }

  scen::loaded_scenario loaded;
  try {
    loaded = scen::load_scenario(find_scenario(scenario));
  } catch (const scen::input_error& e) {
    std::cerr << e.what() << "\n";
    return 2;
  }
  if (!parse_sets(sets, opt)) return 2;
  opt.log_categories.insert(log_cats.begin(), log_cats.end());
  opt.trace_categories.insert(trace_cats.begin(), trace_cats.end());
  if (app.got_subcommand("validate")) {
    // Build the machine too: models refuse impossible parameters when they are made.
    opt.dry_run = true;
    const scen::run_report r = scen::run_scenario(loaded, opt);
    if (r.exit_code == 2) {
      std::cerr << r.error << "\n";
      return 2;
    }
    std::cout << loaded.path << ": ok (" << loaded.scenario.step_size() << " steps)\n";
    return 0;
  }
  scen::parse_config_dumps(config_dumps, opt.config_dumps);  // CLI11 checked the word
  if (*seed_opt || *sh_seed) {
    opt.seed = seed;
    opt.seed_given = true;
  }
  if (app.got_subcommand("shell")) return scen::run_shell(loaded, opt, std::cin, std::cout, isatty(0));

  if (opt.out_dir.empty()) opt.out_dir = "out/" + (loaded.scenario.name().empty() ? "run" : loaded.scenario.name());
  cli::run_meter meter(cli::progress_wanted(quiet));
  meter.attach(opt);
  if (vcd) opt.vcd = opt.out_dir + "/series.vcd";
  scen::run_report r;
  bool made = false;
  try {
    // Before the run, so a bad --out costs nothing.
    made = scen::prepare_output_dir(opt.out_dir, force);
    r = scen::run_scenario(loaded, opt);
  } catch (const scen::output_error& e) {
    std::cerr << "iovsim: " << e.what() << "\n";
    return 2;
  }
  if (r.exit_code == 2) {
    // Refused before anything was written: leave no empty folder behind.
    std::error_code ec;
    if (made) fs::remove_all(opt.out_dir, ec);
    std::cerr << r.error << "\n";
    return 2;
  }
  // Wall time and speed: the one file that may hold them (never compared).
  meter.write_info(opt.out_dir);
  if (!quiet)
    std::cout << loaded.scenario.name() << ": " << r.expectations << " expectations, " << r.failures << " failed -> "
              << opt.out_dir << "\n";
  for (const auto& st : r.steps)
    for (const auto& f : st.failures) std::cout << "  FAIL [" << st.at << "] $ " << st.shell << ": " << f << "\n";
  return r.exit_code;
}
}  // namespace
