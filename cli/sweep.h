// `iovsim sweep`: a parameter study (issue 13). Each point is an ordinary
// `iovsim run` of this binary in its own folder, run by a local process pool or as
// one Slurm job array; the finished points are merged into sweep.json and sweep.csv
// (formats: notes/issue13_spec.md, README "Sweeps").
#pragma once

#include <string>
#include <vector>

namespace iovsim::cli {

struct sweep_request {
  std::string scenario_path;      // resolved scenario file
  std::vector<std::string> vary;  // NAME=V1,V2,...
  bool zip = false;               // points are the i-th values of every list, not the cross product
  unsigned seeds = 0;             // each combination with seeds 1..N; 0: the scenario's seed only
  unsigned jobs = 0;              // local points at once; 0: one per core
  std::string out_dir;            // default out/sweep-<scenario name>
  std::vector<std::string> sets;  // name=value for every point
  bool quiet = false;             // no progress line
  bool slurm = false;             // one job array instead of the local pool
  std::string partition;          // sbatch --partition
  std::string time_limit;         // sbatch --time
  std::vector<std::string> sbatch_args;
  unsigned per_task = 1;  // points per array task (Slurm starts few tasks a second)
  bool no_wait = false;   // submit and return
};

// Runs (or submits) the points not finished yet and merges. Exit status: 0 every
// point passed, 1 one failed (or is missing), 2 bad input before anything ran.
int run_sweep(const sweep_request& req);

// Merges what has finished in DIR (a sweep's --out); a point not finished is "missing".
int collect_sweep(const std::string& dir);

}  // namespace iovsim::cli
