// `iovsim report`: runs viz/report.py under Debian's python3, which has matplotlib (a
// python3 first on PATH may be a pyenv or venv interpreter without it).
#include "cli/report_cmd.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <iostream>
#include <vector>

#ifndef IOVSIM_SOURCE_DIR
#define IOVSIM_SOURCE_DIR "."
#endif

extern char** environ;

namespace iovsim {

namespace fs = std::filesystem;

namespace {
constexpr const char* PYTHON = "/usr/bin/python3";

int refuse(const std::string& why) {
  std::cerr << "iovsim report: " << why << "\n";
  return 2;
}
}  // namespace

int cmd_report(const std::string& dir, const std::string& out) {
  if (!fs::is_directory(dir)) return refuse(dir + " is not a folder");
  if (!fs::exists(fs::path(dir) / "results.json") && !fs::exists(fs::path(dir) / "sweep.json"))
    return refuse(dir + " is neither a run's folder (no results.json) nor a sweep's folder (no sweep.json)");
  const fs::path script = fs::path(IOVSIM_SOURCE_DIR) / "viz" / "report.py";
  if (!fs::exists(script)) return refuse("no " + script.string() + " (the report is drawn by the source tree's viz/)");
  if (access(PYTHON, X_OK) != 0)
    return refuse(std::string(PYTHON) + " is missing (Debian: apt-get install python3 python3-matplotlib)");
  const std::string target = out.empty() ? (fs::path(dir) / "report.html").string() : out;

  // The script checks matplotlib and dot itself and says which is missing (exit 2).
  std::vector<std::string> args = {PYTHON, script.string(), dir, target};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawn(&pid, PYTHON, nullptr, nullptr, argv.data(), environ) != 0)
    return refuse(std::string("cannot start ") + PYTHON);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return refuse("lost viz/report.py");
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    std::cout << "report -> " << target << "\n";
    return 0;
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 2) return 2;  // it said why
  return refuse("viz/report.py failed; no report written");
}

}  // namespace iovsim
