// bash's own built-ins (bash(1) SHELL BUILTIN COMMANDS) that change or read the
// shell itself: cd, pwd, read, export, unset, break, continue, exit, true, false, :,
// help, and test / [ (the evaluation is in ../coreutils/test.cpp). Messages are bash
// 5.2's in an interactive login shell ("-bash: cd: ...").
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "drivers-sim/userland/shell/shell_runner.h"

namespace iovsim::host {

using shell_impl::argv_t;

namespace {

const char* const BASH_BUILTINS[] = {":",     "[",    "break", "cd",   "continue", "exit", "export",
                                     "false", "help", "pwd",   "read", "test",     "true", "unset"};

cmd_result failure(const std::string& message, int status = 1) {
  return cmd_result{status, "", "-bash: " + message + "\n", ""};
}

bool parse_long(const std::string& s, long& v) {
  if (s.empty() || s.size() > 18) return false;
  size_t k = s[0] == '-' || s[0] == '+' ? 1 : 0;
  if (k == s.size() || s.find_first_not_of("0123456789", k) != std::string::npos) return false;
  v = std::stol(s);
  return true;
}

}  // namespace

bool shell::runner::is_bash_builtin(const std::string& name) const {
  return std::find(std::begin(BASH_BUILTINS), std::end(BASH_BUILTINS), name) != std::end(BASH_BUILTINS);
}

cmd_result shell::runner::run_bash_builtin(const argv_t& argv, std::string& in) {
  const std::string& name = argv[0];
  if (name == "true" || name == ":") return {};
  if (name == "false") return cmd_result{1, "", "", ""};
  if (name == "cd") return cd(argv);
  if (name == "pwd") return cmd_result{0, m_shell.m_cwd + "\n", "", ""};
  if (name == "help") return help(argv);
  if (name == "export") return export_builtin(argv);
  if (name == "unset") return unset(argv);
  if (name == "read") return read(argv, in);
  if (name == "break" || name == "continue") return loop_control(argv);
  if (name == "exit") return exit_builtin(argv);
  return shell_impl::test(m_ctx, argv, in);  // test, [
}

// The simulated host has no home directory: `cd` alone goes to / (bash: $HOME).
cmd_result shell::runner::cd(const argv_t& argv) {
  if (argv.size() > 2) return failure("cd: too many arguments");
  const std::string target = argv.size() == 2 ? argv[1] : "/";
  const std::string path = m_ctx.resolve(target);
  if (!m_ctx.files.is_dir(path)) {
    const int err = m_ctx.exists(path) ? ENOTDIR : ENOENT;
    cmd_result r = failure("cd: " + target + ": " + errno_message(err));
    r.errno_name = errno_name(err);
    return r;
  }
  m_shell.m_vars["OLDPWD"] = m_shell.m_cwd;
  m_shell.m_cwd = path;
  m_shell.m_vars["PWD"] = path;
  return {};
}

cmd_result shell::runner::help(const argv_t& argv) {
  const auto& cmds = m_shell.m_commands;
  if (argv.size() > 1) {
    cmd_result r;
    for (size_t k = 1; k < argv.size(); ++k) {
      auto it = cmds.find(argv[k]);
      if (it != cmds.end())
        r.out += argv[k] + ": " + it->second.second + "\n";
      else
        r = failure(fmt::format("help: no help topics match `{}'.", argv[k]));
    }
    return r;
  }
  size_t width = 0;
  for (const auto& c : cmds) width = std::max(width, c.first.size());
  std::string out = cmds.empty() ? "" : "Commands:\n";
  for (const auto& c : cmds) out += fmt::format("  {:<{}}  {}\n", c.first, width, c.second.second);
  out += "Shell built-ins:\n ";
  std::vector<std::string> names = shell_impl::builtin_names();
  names.insert(names.end(), std::begin(BASH_BUILTINS), std::end(BASH_BUILTINS));
  for (const char* b : {"bash", "sh", "sudo"}) names.push_back(b);
  std::sort(names.begin(), names.end());
  for (const auto& n : names) out += " " + n;
  out +=
      "\nShell syntax (bash's, on one line or several):\n"
      "  a; b   a && b   a || b   ! a   a | b   a |& b   { a; b; }   ( a; b )   (( expression ))\n"
      "  x=value  $x ${x} ${#x} ${x:-default} ${x#prefix} ${x%suffix} ${x/from/to} ${x:offset:length}"
      "  $?  $(command)  $((expression))\n"
      "  if list; then list; [elif list; then list;] [else list;] fi   [ test ]   [[ a == pattern && b =~ regex ]]\n"
      "  for x in words; do list; done   for ((i = 0; i < n; i++)); do list; done\n"
      "  while list; do list; done   until list; do list; done   break [n]   continue [n]\n"
      "  case word in pattern|pattern) list;; *) list;; esac";
  return cmd_result{0, out + "\n", "", ""};
}

// Sets and marks variables; nothing runs with an environment, so the mark only shows
// in `export -p`.
cmd_result shell::runner::export_builtin(const argv_t& argv) {
  cmd_result r;
  size_t k = 1;
  bool print = argv.size() == 1;
  for (; k < argv.size() && argv[k].size() > 1 && argv[k][0] == '-'; ++k) {
    if (argv[k] == "--") {
      ++k;
      break;
    }
    if (argv[k] != "-p") {
      return cmd_result{2, "",
                        "-bash: export: " + argv[k].substr(0, 2) +
                            ": invalid option\n"
                            "export: usage: export [-fn] [name[=value] ...] or export -p\n",
                        ""};
    }
    print = true;
  }
  if (print && k == argv.size()) {
    for (const auto& name : m_shell.m_exported) {
      auto it = m_shell.m_vars.find(name);
      if (it == m_shell.m_vars.end())
        r.out += "declare -x " + name + "\n";
      else
        r.out += "declare -x " + name + "=\"" + it->second + "\"\n";
    }
    return r;
  }
  for (; k < argv.size(); ++k) {
    const std::string& a = argv[k];
    const size_t n = shell_impl::assignment_name_length(a);
    const std::string name = n ? a.substr(0, n) : a;
    if (!shell_impl::valid_name(name)) {
      r.err += "-bash: export: `" + a + "': not a valid identifier\n";
      r.status = 1;
      continue;
    }
    if (n) {
      const bool append = a[n] == '+';
      const std::string value = a.substr(n + (append ? 2 : 1));
      set_variable(name, append ? m_shell.m_vars[name] + value : value);
    }
    m_shell.m_exported.insert(name);
  }
  return r;
}

// bash 5.2 says nothing of a name that is not an identifier: it may be a function's.
cmd_result shell::runner::unset(const argv_t& argv) {
  for (size_t k = 1; k < argv.size(); ++k) {
    if (argv[k] == "-v" || argv[k] == "-f") continue;
    m_shell.m_vars.erase(argv[k]);
    m_shell.m_exported.erase(argv[k]);
  }
  return {};
}

// read [-r] [NAME...]: one line of the standard input, split on IFS; the last NAME
// gets the rest (bash(1) read). Status 1 at end of file, also after a last line
// without its newline (whose words are still assigned).
cmd_result shell::runner::read(const argv_t& argv, std::string& in) {
  bool raw = false;
  size_t k = 1;
  for (; k < argv.size() && argv[k].size() > 1 && argv[k][0] == '-'; ++k) {
    if (argv[k] == "--") {
      ++k;
      break;
    }
    if (argv[k] != "-r") {
      return cmd_result{2, "",
                        "-bash: read: " + argv[k].substr(0, 2) +
                            ": invalid option\n"
                            "read: usage: read [-ers] [-a array] [-d delim] [-i text] [-n nchars] [-N nchars] "
                            "[-p prompt] [-t timeout] [-u fd] [name ...]\n",
                        ""};
    }
    raw = true;
  }
  std::vector<std::string> names(argv.begin() + static_cast<long>(k), argv.end());
  for (const auto& n : names)
    if (!shell_impl::valid_name(n)) return failure("read: `" + n + "': not a valid identifier");
  const bool reply = names.empty();
  if (reply) names.push_back("REPLY");

  // The line, with which characters a backslash quoted.
  std::string line, quoted;
  size_t pos = 0;
  bool newline = false;
  for (; pos < in.size(); ++pos) {
    char c = in[pos];
    if (c == '\n') {
      newline = true;
      ++pos;
      break;
    }
    if (c == '\\' && !raw && pos + 1 < in.size()) {
      c = in[++pos];
      if (c == '\n') continue;  // line continuation
      line += c;
      quoted += '1';
      continue;
    }
    line += c;
    quoted += '0';
  }
  const bool got_data = pos > 0;
  in.erase(0, pos);

  auto ifs_it = m_shell.m_vars.find("IFS");
  const std::string ifs = ifs_it == m_shell.m_vars.end() ? " \t\n" : ifs_it->second;
  auto is_ifs = [&](size_t i) { return quoted[i] == '0' && ifs.find(line[i]) != std::string::npos; };
  auto is_ifs_space = [&](size_t i) { return is_ifs(i) && (line[i] == ' ' || line[i] == '\t' || line[i] == '\n'); };
  size_t i = 0;
  if (!reply)
    while (i < line.size() && is_ifs_space(i)) ++i;
  for (size_t n = 0; n < names.size(); ++n) {
    std::string value;
    if (reply) {
      value = line;
    } else if (n + 1 < names.size()) {
      for (; i < line.size() && !is_ifs(i); ++i) value += line[i];
      // The delimiter: IFS white space around at most one other IFS character.
      while (i < line.size() && is_ifs_space(i)) ++i;
      if (i < line.size() && is_ifs(i)) ++i;
      while (i < line.size() && is_ifs_space(i)) ++i;
    } else {
      size_t end = line.size();
      while (end > i && is_ifs_space(end - 1)) --end;
      value = line.substr(i, end - i);
      i = line.size();
    }
    set_variable(names[n], value);
  }
  return cmd_result{got_data && newline ? 0 : 1, "", "", ""};
}

cmd_result shell::runner::loop_control(const argv_t& argv) {
  const std::string& name = argv[0];
  if (m_loop_depth == 0)
    return cmd_result{0, "", "-bash: " + name + ": only meaningful in a `for', `while', or `until' loop\n", ""};
  long levels = 1;
  if (argv.size() > 1) {
    if (!parse_long(argv[1], levels)) abort_line(name + ": " + argv[1] + ": numeric argument required", 128);
    if (levels < 1) abort_line(name + ": " + argv[1] + ": loop count out of range", 1);
  }
  const auto what = name == "break" ? shell_abort::kind::break_loop : shell_abort::kind::continue_loop;
  throw shell_abort{"", "", 0, "", what, std::min<long>(levels, m_loop_depth)};
}

// Ends the line (or the sh -c running it) with the status; at the prompt the
// simulated shell stays: typing `exit` alone leaves `iovsim shell`.
cmd_result shell::runner::exit_builtin(const argv_t& argv) {
  long status = m_shell.m_last_status;
  if (argv.size() > 1 && !parse_long(argv[1], status)) {
    throw shell_abort{"", "-bash: exit: " + argv[1] + ": numeric argument required\n", 2, "", shell_abort::kind::exit,
                      1};
  }
  if (argv.size() > 2) return failure("exit: too many arguments");
  throw shell_abort{"", "", static_cast<int>(status & 255), "", shell_abort::kind::exit, 1};
}

std::vector<std::string> shell::command_names() const {
  std::vector<std::string> names = shell_impl::builtin_names();
  names.insert(names.end(), std::begin(BASH_BUILTINS), std::end(BASH_BUILTINS));
  for (const char* b : {"bash", "sh", "sudo"}) names.push_back(b);
  for (const auto& c : m_commands) names.push_back(c.first);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

}  // namespace iovsim::host
