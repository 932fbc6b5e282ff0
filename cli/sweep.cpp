// `iovsim sweep`: checks every name before anything runs (a dry run), then runs the
// points not finished yet with a local process pool (posix_spawn of this binary, a
// SIGCHLD wait, no threads) or as a Slurm job array, then merges.
#include "cli/sweep.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <stdexcept>
#include <thread>

#include "cli/progress.h"
#include "cli/sweep_internal.h"
#include "scenarios/engine.h"
#include "scenarios/loader.h"

extern char** environ;

namespace fs = std::filesystem;

namespace iovsim::cli {

using namespace sweep_detail;

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t) { return std::chrono::duration<double>(clock_type::now() - t).count(); }

std::string self_exe() {
  std::error_code ec;
  const fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("/proc/self/exe") : p.string();
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t from = 0;
  for (;;) {
    const size_t at = s.find(sep, from);
    out.push_back(s.substr(from, at == std::string::npos ? std::string::npos : at - from));
    if (at == std::string::npos) return out;
    from = at + 1;
  }
}

// The `iovsim run` arguments of a point (without the program).
std::vector<std::string> run_args(const sweep_spec& spec, const std::string& dir, const sweep_point& p) {
  std::vector<std::string> a = {"run",    spec.scenario_path,    "--out", (fs::path(dir) / "points" / p.id).string(),
                                "--seed", std::to_string(p.seed)};
  for (const auto& [k, v] : spec.sets) a.insert(a.end(), {"--set", k + "=" + v});
  for (const auto& [k, v] : p.params) a.insert(a.end(), {"--set", k + "=" + v});
  // --force: an earlier attempt that failed before writing results.json leaves
  // stderr.txt and exit_code.txt behind, which a plain run refuses to empty.
  a.insert(a.end(), {"--quiet", "--force"});
  return a;
}

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,/=:+@%") ==
                        std::string::npos)
    return s;
  std::string out = "'";
  for (const char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

bool finished(const std::string& dir, const sweep_point& p) {
  const fs::path d = fs::path(dir) / "points" / p.id;
  std::error_code ec;
  return fs::exists(d / "results.json", ec) && read_text((d / "point.json").string()) == point_json(p);
}

// What a point's run left: its stderr, exit status and, last, point.json (a point
// whose folder holds it and results.json is finished).
void record_point(const std::string& dir, const sweep_point& p, const std::string& stderr_tmp, int exit_code) {
  const fs::path d = fs::path(dir) / "points" / p.id;
  std::error_code ec;
  fs::create_directories(d, ec);
  fs::rename(stderr_tmp, d / "stderr.txt", ec);
  write_text((d / "exit_code.txt").string(), std::to_string(exit_code) + "\n");
  write_text((d / "point.json").string(), point_json(p));
}

void report_failure(const sweep_point& p, const point_state& st) {
  std::cerr << fmt::format("iovsim sweep: {} ({}): {}, exit {}{}{}\n", p.id, describe(p), st.status,
                           st.exit_code ? std::to_string(*st.exit_code) : "?", st.first_error.empty() ? "" : ": ",
                           st.first_error);
}

// Prints the end line and returns the exit status.
int summarize(const std::string& dir, const sweep_spec& spec, const std::vector<point_state>& states, size_t ran) {
  std::map<std::string, size_t> count;
  for (const auto& st : states) ++count[st.status];
  std::string line = fmt::format("sweep {}: {} points, {} passed", spec.name, states.size(), count["passed"]);
  for (const char* s : {"failed", "error", "missing"})
    if (count[s]) line += fmt::format(", {} {}", count[s], s);
  std::cout << line << fmt::format(" ({} run now) -> {}\n", ran, (fs::path(dir) / "sweep.csv").string());
  return count["passed"] == states.size() ? 0 : 1;
}

// Every --vary and --set name and value goes through a dry run (the machine is built
// and the models check their parameters) before anything runs: once with the first
// point's values, then once per other value of each name (or per zipped point).
bool validate(const scen::loaded_scenario& loaded, const sweep_spec& spec) {
  const auto dry = [&](const std::vector<name_value>& varied) {
    scen::run_options opt;
    opt.dry_run = true;
    opt.sets = spec.sets;
    opt.sets.insert(opt.sets.end(), varied.begin(), varied.end());
    const scen::run_report r = scen::run_scenario(loaded, opt);
    if (r.exit_code != 2) return true;
    std::cerr << r.error << "\n";
    return false;
  };
  std::vector<name_value> first;
  for (size_t k = 0; k < spec.varied.size(); ++k) first.emplace_back(spec.varied[k], spec.values[k][0]);
  if (!dry(first)) return false;
  if (spec.zip) {
    for (size_t i = 1; !spec.varied.empty() && i < spec.values[0].size(); ++i) {
      std::vector<name_value> row;
      for (size_t k = 0; k < spec.varied.size(); ++k) row.emplace_back(spec.varied[k], spec.values[k][i]);
      if (!dry(row)) return false;
    }
    return true;
  }
  for (size_t k = 0; k < spec.varied.size(); ++k)
    for (size_t i = 1; i < spec.values[k].size(); ++i) {
      std::vector<name_value> row = first;
      row[k].second = spec.values[k][i];
      if (!dry(row)) return false;
    }
  return true;
}

// The local pool: at most `jobs` runs at once; returns how many ran.
size_t run_local(const std::string& dir, const sweep_spec& spec, const std::vector<sweep_point>& todo, unsigned jobs,
                 size_t already_done, size_t total, bool quiet) {
  const std::string exe = self_exe();
  progress_line line(progress_wanted(quiet));
  // SIGCHLD stays pending while blocked, so a child that ends before we wait is not
  // missed; the children get the old mask back.
  sigset_t chld, old;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, &old);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setsigmask(&attr, &old);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);

  std::map<pid_t, size_t> running;  // pid -> index in todo
  size_t next = 0, done = 0, failed = 0;
  const auto start = clock_type::now();
  const auto draw = [&] {
    if (!line.due()) return;
    const double rate = done ? static_cast<double>(done) / seconds_since(start) : 0;
    line.show(fmt::format("sweep {}: {}/{} done, {} running, {} failed | {} left", spec.name, already_done + done,
                          total, running.size(), failed,
                          rate > 0 ? format_duration(static_cast<double>(todo.size() - done) / rate) : "?"));
  };
  while (next < todo.size() || !running.empty()) {
    while (next < todo.size() && running.size() < jobs) {
      const sweep_point& p = todo[next];
      const std::string err = (fs::path(dir) / "points" / ("." + p.id + ".stderr")).string();
      std::vector<std::string> args = run_args(spec, dir, p);
      args.insert(args.begin(), exe);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      posix_spawn_file_actions_t fa;
      posix_spawn_file_actions_init(&fa);
      posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
      posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      // A stale point.json must not vouch for a run that has not finished.
      std::error_code ec;
      fs::remove(fs::path(dir) / "points" / p.id / "point.json", ec);
      pid_t pid = 0;
      const int rc = posix_spawn(&pid, exe.c_str(), &fa, &attr, argv.data(), environ);
      posix_spawn_file_actions_destroy(&fa);
      if (rc != 0) {
        write_text(err, fmt::format("iovsim sweep: cannot start {}: {}\n", exe, std::strerror(rc)));
        record_point(dir, p, err, 2);
        ++done, ++failed;
        line.clear();
        report_failure(p, read_point((fs::path(dir) / "points" / p.id).string(), p));
      } else {
        running[pid] = next;
      }
      ++next;
    }
    if (running.empty()) continue;
    const timespec tick{0, 100'000'000};
    sigtimedwait(&chld, nullptr, &tick);
    int status = 0;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      const auto it = running.find(pid);
      if (it == running.end()) continue;
      const sweep_point& p = todo[it->second];
      running.erase(it);
      const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      record_point(dir, p, (fs::path(dir) / "points" / ("." + p.id + ".stderr")).string(), code);
      ++done;
      const point_state st = read_point((fs::path(dir) / "points" / p.id).string(), p);
      if (st.status != "passed") {
        ++failed;
        line.clear();
        report_failure(p, st);
      }
    }
    draw();
  }
  line.clear();
  posix_spawnattr_destroy(&attr);
  sigprocmask(SIG_SETMASK, &old, nullptr);
  return done;
}

// Runs `command` with sh; its standard output, and its exit status in `status`.
std::string capture(const std::string& command, int& status) {
  std::string out;
  FILE* f = popen(command.c_str(), "r");
  if (!f) {
    status = -1;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  const int st = pclose(f);
  status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

// Writes DIR/slurm/points.txt and job.sh for `todo` and submits them; the job id, or
// "" after saying why on stderr.
std::string submit_slurm(const std::string& dir, const sweep_spec& spec, const std::vector<sweep_point>& todo,
                         const sweep_request& req) {
  const fs::path sdir = fs::path(dir) / "slurm";
  std::error_code ec;
  fs::create_directories(sdir, ec);
  std::string points_txt, ids, point_jsons;
  for (const sweep_point& p : todo) {
    std::string line;
    for (const std::string& a : run_args(spec, dir, p)) line += (line.empty() ? "" : " ") + shell_quote(a);
    points_txt += line + "\n";
    ids += " " + p.id;
    std::string pj = point_json(p);
    pj.pop_back();  // printf adds the newline back
    point_jsons += " " + shell_quote(pj);
  }
  write_text((sdir / "points.txt").string(), points_txt);
  const std::string points = (fs::path(dir) / "points").string();
  std::string job = "#!/bin/bash\n";
  const unsigned per_task = std::max(1u, req.per_task);
  const size_t tasks = (todo.size() + per_task - 1) / per_task;
  job += fmt::format("# iovsim sweep {}: the points not finished yet, {} per array task. Task t runs this binary\n",
                     spec.name, per_task);
  job += fmt::format("# with lines t*{0}+1 .. t*{0}+{0} of points.txt (each an `iovsim run`), then records each\n",
                     per_task);
  job += "# point's stderr, exit status and point.json.\n";
  job += fmt::format("#SBATCH --job-name=iovsim-sweep-{}\n", spec.name);
  job += fmt::format("#SBATCH --array=0-{}\n", tasks - 1);
  job += fmt::format("#SBATCH --output={}\n", (sdir / "%A_%a.out").string());
  if (!req.partition.empty()) job += fmt::format("#SBATCH --partition={}\n", req.partition);
  if (!req.time_limit.empty()) job += fmt::format("#SBATCH --time={}\n", req.time_limit);
  for (const auto& a : req.sbatch_args) job += fmt::format("#SBATCH {}\n", a);
  job += "set -u\n";
  job += fmt::format("ids=({})\n", ids.substr(1));
  job += fmt::format("point_json=({})\n", point_jsons.substr(1));
  job += "task=${SLURM_ARRAY_TASK_ID:?not a Slurm array task}\n";
  job += fmt::format("points={}\n", shell_quote(points));
  job += "status=0\n";
  job += fmt::format("for ((i = task * {0}; i < (task + 1) * {0} && i < ${{#ids[@]}}; i++)); do\n", per_task);
  job += "  id=${ids[$i]}\n";
  job += fmt::format("  line=$(sed -n \"$((i + 1))p\" {})\n", shell_quote((sdir / "points.txt").string()));
  job += "  eval \"args=($line)\"\n";
  job += "  rm -f \"$points/$id/point.json\"\n";
  job += fmt::format("  {} \"${{args[@]}}\" >/dev/null 2>\"$points/.$id.stderr\"\n", shell_quote(self_exe()));
  job += "  rc=$?\n";
  job += "  [ \"$rc\" = 0 ] || status=$rc\n";
  job += "  mkdir -p \"$points/$id\"\n";
  job += "  mv -f \"$points/.$id.stderr\" \"$points/$id/stderr.txt\"\n";
  job += "  cat \"$points/$id/stderr.txt\" >&2\n";
  job += "  echo \"$rc\" >\"$points/$id/exit_code.txt\"\n";
  job += "  printf '%s\\n' \"${point_json[$i]}\" >\"$points/$id/point.json\"\n";
  job += "done\n";
  job += "exit \"$status\"\n";
  const std::string job_path = (sdir / "job.sh").string();
  write_text(job_path, job);
  fs::permissions(job_path, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                  fs::perm_options::add, ec);
  int status = 0;
  const std::string out = capture("sbatch --parsable " + shell_quote(job_path), status);
  // --parsable prints "jobid" or "jobid;cluster".
  const std::string id = out.substr(0, out.find_first_of(";\n"));
  if (status != 0 || id.empty() || id.find_first_not_of("0123456789") != std::string::npos) {
    std::cerr << fmt::format("iovsim sweep: sbatch {} failed (exit {}){}\n", job_path, status,
                             out.empty() ? "" : ": " + out);
    return "";
  }
  return id;
}

// Until squeue no longer lists the job (or cannot be asked three times in a row).
void wait_slurm(const std::string& dir, const sweep_spec& spec, const std::string& job,
                const std::vector<sweep_point>& todo, size_t total, bool quiet) {
  progress_line line(progress_wanted(quiet));
  const auto start = clock_type::now();
  int errors = 0;
  for (;;) {
    int status = 0;
    const std::string out = capture("squeue -h -j " + job + " 2>/dev/null", status);
    if (status == 0 && out.find_first_not_of(" \n") == std::string::npos) break;
    errors = status == 0 ? 0 : errors + 1;
    if (errors >= 3) break;
    if (line.due()) {
      size_t done = 0, failed = 0;
      for (const sweep_point& p : todo) {
        const point_state st = read_point((fs::path(dir) / "points" / p.id).string(), p);
        done += st.status != "missing";
        failed += st.status != "missing" && st.status != "passed";
      }
      const double rate = done ? static_cast<double>(done) / seconds_since(start) : 0;
      line.show(fmt::format("sweep {}: Slurm job {}: {}/{} done, {} failed | {} left", spec.name, job,
                            total - todo.size() + done, total, failed,
                            rate > 0 ? format_duration(static_cast<double>(todo.size() - done) / rate) : "?"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

}  // namespace

int run_sweep(const sweep_request& req) {
  scen::loaded_scenario loaded;
  try {
    loaded = scen::load_scenario(req.scenario_path);
  } catch (const scen::input_error& e) {
    std::cerr << e.what() << "\n";
    return 2;
  }
  sweep_spec spec;
  spec.scenario_path = fs::absolute(req.scenario_path).lexically_normal().string();
  spec.name = loaded.scenario.name().empty() ? "run" : loaded.scenario.name();
  spec.zip = req.zip;
  spec.seeds = req.seeds;
  spec.scenario_seed = loaded.scenario.seed();
  std::set<std::string> names;
  for (const std::string& v : req.vary) {
    const size_t eq = v.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == v.size()) {
      std::cerr << "iovsim sweep: --vary wants NAME=V1,V2,..., got \"" << v << "\"\n";
      return 2;
    }
    const std::string name = v.substr(0, eq);
    if (!names.insert(name).second) {
      std::cerr << "iovsim sweep: --vary " << name << " given twice\n";
      return 2;
    }
    spec.varied.push_back(name);
    spec.values.push_back(split(v.substr(eq + 1), ','));
    for (const auto& x : spec.values.back())
      if (x.empty()) {
        std::cerr << "iovsim sweep: --vary " << name << ": an empty value in \"" << v << "\"\n";
        return 2;
      }
  }
  for (const std::string& s : req.sets) {
    const size_t eq = s.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "iovsim: --set wants name=value, got \"" << s << "\"\n";
      return 2;
    }
    spec.sets.emplace_back(s.substr(0, eq), s.substr(eq + 1));
    if (names.count(spec.sets.back().first)) {
      std::cerr << "iovsim sweep: " << spec.sets.back().first << " is both varied and --set\n";
      return 2;
    }
  }
  if (spec.zip)
    for (size_t k = 1; k < spec.values.size(); ++k)
      if (spec.values[k].size() != spec.values[0].size()) {
        std::cerr << fmt::format("iovsim sweep: --zip wants lists of one length: {} has {} values, {} has {}\n",
                                 spec.varied[0], spec.values[0].size(), spec.varied[k], spec.values[k].size());
        return 2;
      }
  if (!validate(loaded, spec)) return 2;

  const std::string dir =
      fs::absolute(req.out_dir.empty() ? "out/sweep-" + spec.name : req.out_dir).lexically_normal().string();
  std::error_code ec;
  fs::create_directories(fs::path(dir) / "points", ec);
  if (ec) {
    std::cerr << fmt::format("iovsim sweep: --out {}: cannot create the folder: {}\n", dir, ec.message());
    return 2;
  }
  const std::vector<sweep_point> points = make_points(spec);
  std::vector<sweep_point> todo;
  for (const sweep_point& p : points)
    if (!finished(dir, p)) todo.push_back(p);
  try {
    write_text((fs::path(dir) / "sweep.spec.json").string(), spec_json(spec));
    size_t ran = 0;
    if (req.slurm && !todo.empty()) {
      const std::string job = submit_slurm(dir, spec, todo, req);
      if (job.empty()) return 2;
      if (req.no_wait) {
        std::cout << fmt::format(
            "submitted Slurm job {}: {} points ({} finished already); when it ends: iovsim "
            "sweep collect {}\n",
            job, todo.size(), points.size() - todo.size(), dir);
        return 0;
      }
      wait_slurm(dir, spec, job, todo, points.size(), req.quiet);
      ran = todo.size();
    } else if (!todo.empty()) {
      const unsigned jobs = req.jobs ? req.jobs : std::max(1u, std::thread::hardware_concurrency());
      ran = run_local(dir, spec, todo, jobs, points.size() - todo.size(), points.size(), req.quiet);
    }
    const std::vector<point_state> states = merge(dir, spec, points);
    if (req.slurm)
      for (size_t i = 0; i < points.size(); ++i)
        if (states[i].status != "passed") report_failure(points[i], states[i]);
    return summarize(dir, spec, states, ran);
  } catch (const std::runtime_error& e) {
    std::cerr << "iovsim sweep: " << e.what() << "\n";
    return 2;
  }
}

int collect_sweep(const std::string& dir_arg) {
  const std::string dir = fs::absolute(dir_arg).lexically_normal().string();
  const std::string text = read_text((fs::path(dir) / "sweep.spec.json").string());
  if (text.empty()) {
    std::cerr << fmt::format("iovsim sweep collect: {}: no sweep.spec.json (not a sweep's folder)\n", dir_arg);
    return 2;
  }
  try {
    const sweep_spec spec = parse_spec_json(text);
    const std::vector<sweep_point> points = make_points(spec);
    const std::vector<point_state> states = merge(dir, spec, points);
    for (size_t i = 0; i < points.size(); ++i)
      if (states[i].status != "passed" && states[i].status != "missing") report_failure(points[i], states[i]);
    return summarize(dir, spec, states, 0);
  } catch (const std::runtime_error& e) {
    std::cerr << "iovsim sweep collect: " << dir_arg << ": " << e.what() << "\n";
    return 2;
  }
}

}  // namespace iovsim::cli
