// The host shell: a small bash-like command interpreter over the simulated host's
// state. Scenario steps are shell lines, and `iovsim shell` runs the same
// interpreter interactively, so a student types exactly what the talks type
// (`lspci -vt -n | grep 8086:1515`, `echo 7 > /sys/class/net/enp3s0f1/device/sriov_numvfs`).
#pragma once

#include <cerrno>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "drivers-sim/kernel/errno.h"
#include "drivers-sim/kernel/vfs.h"

namespace iovsim::host {

// The outcome of one command (or a whole pipeline: the last stage's status, like
// bash without pipefail).
struct cmd_result {
  int status = 0;            // exit status: 0 ok, 1 failure, 2 usage, 127 not found
  std::string out;           // standard output
  std::string err;           // standard error (bash-style messages)
  std::string errno_name;    // when a system call failed: "EBUSY", "EINVAL", ...; else empty
};


class shell {
 public:
  // A command: argv (argv[0] is the name) and the standard input from a pipe.
  using command_fn = std::function<cmd_result(const std::vector<std::string>& argv, const std::string& stdin_text)>;

  explicit shell(vfs& files);

  // Registers an external command (lspci, ip, modprobe, dmesg, run, ...).
  void add_command(const std::string& name, command_fn fn, const std::string& help);

  // Runs one line: `a | b | c`, `cmd > file`, `cmd >> file`, `cmd 2>&1`, quoting with
  // '...' and "...", `#` comments, `;`-separated lists and `&&`. Never throws.
  cmd_result run(const std::string& line);

  // The registered commands with their one-line help, sorted by name.
  std::vector<std::pair<std::string, std::string>> commands() const;

 private:
  class runner;  // parses and runs one line (shell.cpp)

  std::map<std::string, std::pair<command_fn, std::string>> m_commands;
  vfs& m_files;
  std::string m_cwd = "/";   // `cd` changes it; relative paths resolve against it
};

}  // namespace iovsim::host
