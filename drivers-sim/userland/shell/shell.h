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

namespace iovsim::host {

// The outcome of one command (or a whole pipeline: the last stage's status, like
// bash without pipefail).
struct cmd_result {
  int status = 0;            // exit status: 0 ok, 1 failure, 2 usage, 127 not found
  std::string out;           // standard output
  std::string err;           // standard error (bash-style messages)
  std::string errno_name;    // when a system call failed: "EBUSY", "EINVAL", ...; else empty
};

// Result of a file operation of the virtual file system.
struct fs_result {
  int error = 0;             // 0, or an errno value (ENOENT, EBUSY, ...)
  std::string data;          // read: the content; list: one name per line
};

// The files the shell sees: sysfs, procfs and /etc, provided by the host model.
class vfs {
 public:
  virtual ~vfs() = default;
  virtual fs_result read(const std::string& path) = 0;
  // `echo X > path` writes "X\n"; `>>` appends. Returns the write's errno (0 ok).
  virtual int write(const std::string& path, const std::string& data, bool append) = 0;
  // Directory listing: names sorted the way `ls` sorts them (C locale).
  virtual fs_result list(const std::string& path) = 0;
  virtual bool is_dir(const std::string& path) = 0;
  // readlink(2): the target of a symbolic link as stored (often relative); EINVAL
  // when the path is not a link (callers check that it exists). The other calls
  // follow links.
  virtual fs_result readlink(const std::string& /*path*/) { return {EINVAL, ""}; }
};

// errno names/numbers/messages as Linux has them (strerror text, e.g. EBUSY ->
// "Device or resource busy").
const char* errno_name(int err);
const char* errno_message(int err);

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
