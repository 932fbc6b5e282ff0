// The host shell: a small bash-like command interpreter over the simulated host's
// state. Scenario steps are shell lines, and `iovsim shell` runs the same
// interpreter interactively, so a student types exactly what the talks type
// (`lspci -vt -n | grep 8086:1515`, `echo 7 > /sys/class/net/enp3s0f1/device/sriov_numvfs`).
#pragma once

#include <cerrno>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
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

  // Runs one line (or several separated by newlines): pipelines, redirections,
  // quoting, `#` comments, lists with ; && ||, `!`, variables and $?, $(...) and
  // $((...)), globbing, and the compound commands if, for, while, until, { } and ( ).
  // Variables, $? and the directory persist from one call to the next. Never throws
  // and never hangs: loops stop after MAX_LOOP_ITERATIONS per call.
  cmd_result run(const std::string& line);

  // Sets a variable as an assignment would, exported when `exported`.
  void set_variable(const std::string& name, const std::string& value, bool exported = true);
  // The login environment (the scenario's variables), exported: given once per shell,
  // so later calls leave what the shell's own lines since assigned or unset.
  void login_environment(const std::vector<std::pair<std::string, std::string>>& vars);

  // The registered commands with their one-line help, sorted by name.
  std::vector<std::pair<std::string, std::string>> commands() const;
  // Every name that runs as a command: registered, the text utilities and bash's own
  // built-ins, sorted (what the interactive shell completes).
  std::vector<std::string> command_names() const;
  // What Tab completes for the word from `start` to `end` of `line`: command names
  // where a command goes, else paths in the simulated files (a directory with its
  // '/'; relative ones from the working directory), sorted.
  std::vector<std::string> completions(const std::string& line, size_t start, size_t end) const;
  // Whether `text` is a whole command, or bash would read another line for it (PS2):
  // an open quote, if/for/while without its end, a trailing | && || or backslash.
  static bool is_complete(const std::string& text);

  // while/until iterations that one run() may make, all loops together: a runaway
  // loop ends with an error rather than hanging the simulation.
  static constexpr long MAX_LOOP_ITERATIONS = 100000;
  // Levels of nesting one run() may reach: compound commands, sh -c, $(...), ${...}
  // inside words, arithmetic sub-expressions. Deeper lines end with an error, so the
  // shell fits the 256 KiB stack of the SystemC thread that runs it (about 3 KiB a
  // level at most).
  static constexpr int MAX_NESTING = 40;

 private:
  class runner;  // runs parsed lines (shell_runner.h)

  std::map<std::string, std::pair<command_fn, std::string>> m_commands;
  vfs& m_files;
  std::string m_cwd = "/";   // `cd` changes it; relative paths resolve against it
  // The shell's variables. Nothing of the real process's environment comes in: the
  // simulation sees the same shell on every machine.
  std::map<std::string, std::string> m_vars{{"PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
                                            {"PWD", "/"}};
  std::set<std::string> m_exported{"OLDPWD", "PATH", "PWD"};  // `export` marks them; nothing runs with them
  bool m_logged_in = false;                                   // login_environment() given
  int m_last_status = 0;                                      // $?
  long m_loop_iterations = 0;                                 // in this run()
  int m_nesting = 0;                                          // levels running now, up to MAX_NESTING
};

}  // namespace iovsim::host
