// The host shell's interpreter: bash's lists, pipelines, redirections and commands over
// the simulated host's files. Each stage runs to completion before the next starts
// (the output is text, not a stream), which is all a deterministic simulation can
// observe. Parsing is in shell_parse.cpp, expansions in shell_expand.cpp, compound
// commands in shell_compound.cpp, bash's built-ins in shell_builtins.cpp and the
// utilities in ../coreutils.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <exception>
#include <optional>

#include "drivers-sim/userland/shell/shell_runner.h"

namespace iovsim::host {

using shell_impl::argv_t;

namespace {

bool all_digits(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char d) { return d >= '0' && d <= '9'; });
}

}  // namespace

void prepend(shell_abort& a, const cmd_result& before) {
  a.out = before.out + a.out;
  a.err = before.err + a.err;
  if (a.errno_name.empty()) a.errno_name = before.errno_name;
}

cmd_result shell::runner::run_line(const std::string& line, std::string& in) {
  shell_impl::list list;
  try {
    list = shell_impl::parse(shell_impl::tokenize(line));
  } catch (const shell_impl::syntax_error& e) {
    m_shell.m_last_status = 2;
    return cmd_result{2, "", "-bash: " + e.message + "\n", ""};
  }
  cmd_result r;
  try {
    nesting_scope level(m_shell.m_nesting);  // `c='sh -c "$c"'; sh -c "$c"` recursing
    r = run_list(list, in);
  } catch (const shell_abort& a) {
    r = cmd_result{a.status, a.out, a.err, a.errno_name};
    m_shell.m_last_status = a.status;
  }
  // break and continue unwind no further than their loops, so only errors and exit
  // arrive here.
  return r;
}

cmd_result shell::runner::run_list(const shell_impl::list& l, std::string& in) {
  cmd_result total;
  for (const auto& item : l) {
    // bash gives && and || equal precedence, left to right: skip on the last status.
    if ((item.connector == "&&" && total.status != 0) || (item.connector == "||" && total.status == 0)) continue;
    cmd_result r;
    try {
      r = run_pipeline(item.p, in);
    } catch (shell_abort& a) {
      prepend(a, total);
      throw;
    }
    append_result(total, r);
    m_shell.m_last_status = r.status;
  }
  return total;
}

cmd_result shell::runner::run_pipeline(const shell_impl::pipeline& p, std::string& in) {
  cmd_result total;
  std::string data;
  for (size_t k = 0; k < p.stages.size(); ++k) {
    // The first stage reads the list's input; the others the previous stage's output.
    std::string& input = k == 0 ? in : data;
    // Each command of a pipeline runs in a subshell (bash(1) Pipelines, without
    // lastpipe): `ls | while read d; do n=$d; done` leaves n as it was.
    cmd_result r = p.stages.size() == 1 ? run_command(p.stages[k], input)
                                        : run_subshell([&] { return run_command(p.stages[k], input); });
    data = std::move(r.out);
    total.err += r.err;
    total.status = r.status;
    if (!r.errno_name.empty()) total.errno_name = r.errno_name;
  }
  total.out = std::move(data);  // the last stage's output: no pipefail
  if (p.negate) total.status = total.status == 0 ? 1 : 0;
  return total;
}

cmd_result shell::runner::run_command(const shell_impl::command& c, std::string& in) {
  if (c.type == shell_impl::command::kind::simple) return run_simple(c, in);
  return with_redirects(c.redirects, in, "bash", [&](std::string& input) { return run_compound(c, input); });
}

cmd_result shell::runner::run_simple(const shell_impl::command& c, std::string& in) {
  // Words first, then redirections, then the command (bash(1) SIMPLE COMMAND EXPANSION).
  m_subst_err.clear();
  m_subst_errno.clear();
  m_subst_status = -1;
  argv_t argv;
  try {
    for (const auto& w : c.words) {
      // export's NAME=value arguments are assignments: not split, not globbed.
      if (!argv.empty() && argv[0] == "export" && shell_impl::assignment_name_length(w))
        argv.push_back(expand_text(w));
      else
        for (auto& a : expand_fields(w)) argv.push_back(std::move(a));
    }
  } catch (shell_abort& a) {
    prepend(a, cmd_result{0, "", m_subst_err, m_subst_errno});
    m_subst_err.clear();
    throw;
  }
  std::string subst_err = std::move(m_subst_err);
  m_subst_err.clear();
  cmd_result r;
  if (argv.empty()) {
    // Assignments stay in the shell; the status is the last substitution's.
    r = with_redirects(c.redirects, in, "bash", [&](std::string&) {
      m_subst_status = -1;
      for (const auto& a : c.assignments) assign(a);
      return cmd_result{std::max(m_subst_status, 0), "", "", ""};
    });
  } else {
    // NAME=value before a command is for that command only (bash(1) ENVIRONMENT): the
    // old values come back however the command ends.
    struct restore {
      std::map<std::string, std::string>& vars;
      std::map<std::string, std::optional<std::string>> old;
      ~restore() {
        for (const auto& [name, value] : old) {
          if (value)
            vars[name] = *value;
          else
            vars.erase(name);
        }
      }
    } saved{m_shell.m_vars, {}};
    for (const auto& a : c.assignments) {
      const std::string name = a.substr(0, shell_impl::assignment_name_length(a));
      auto it = m_shell.m_vars.find(name);
      if (!saved.old.count(name))
        saved.old[name] = it == m_shell.m_vars.end() ? std::nullopt : std::optional(it->second);
      assign(a);
    }
    r = with_redirects(c.redirects, in, argv[0], [&](std::string& input) { return run_argv(argv, input); });
  }
  subst_err += m_subst_err;
  m_subst_err.clear();
  r.err = subst_err + r.err;
  if (r.errno_name.empty()) r.errno_name = m_subst_errno;
  return r;
}

// open(2) of a redirect target, as far as it can be decided without writing.
int shell::runner::open_error(const std::string& path) {
  if (m_ctx.files.is_dir(path)) return EISDIR;
  const std::string parent = path.substr(0, std::max<size_t>(path.rfind('/'), 1));
  if (!m_ctx.files.is_dir(parent)) return m_ctx.exists(parent) ? ENOTDIR : ENOENT;
  return 0;
}

cmd_result shell::runner::deliver(std::vector<sink>& sinks, const std::array<int, 10>& fds, cmd_result r,
                                  const std::string& name) {
  auto failure = [](const std::string& message, int err) {
    return cmd_result{1, "", message, err ? errno_name(err) : ""};
  };
  if (fds[1] >= 0) sinks[fds[1]].data += r.out;
  if (fds[2] >= 0) sinks[fds[2]].data += r.err;

  // Each file redirect is one write(2) of everything that went to it; an empty write
  // stands for the open(O_TRUNC) of a redirect that received nothing.
  std::string messages;
  for (auto& s : sinks) {
    if (s.kind != sink::FILE) continue;
    const int err = m_ctx.files.write(s.path, s.data, s.append);
    if (!err) continue;
    // Refused at open(2): bash reports it and never runs the command.
    if (err == EACCES || err == EROFS || err == EISDIR || err == ENOTDIR || (err == ENOENT && !m_ctx.exists(s.path)))
      return failure("-bash: " + s.display + ": " + errno_message(err) + "\n", err);
    // Refused by write(2): the command reports it, bash's own built-ins with -bash.
    const bool bash_builtin = is_bash_builtin(name) || name == "echo";
    messages += fmt::format("{}{}: write error: {}\n", bash_builtin ? "-bash: " : "", name, errno_message(err));
    r.status = name == "grep" ? 2 : 1;
    r.errno_name = errno_name(err);
  }
  if (!messages.empty() && fds[2] >= 0) {
    sink& s = sinks[fds[2]];
    if (s.kind == sink::FILE)
      m_ctx.files.write(s.path, messages, true);
    else
      s.data += messages;
  }
  return cmd_result{r.status, std::move(sinks[0].data), std::move(sinks[1].data), r.errno_name};
}

cmd_result shell::runner::with_redirects(const std::vector<shell_impl::redirect>& redirects, std::string& in,
                                         const std::string& name, const std::function<cmd_result(std::string&)>& body) {
  auto failure = [](const std::string& message, int err) {
    return cmd_result{1, "", message, err ? errno_name(err) : ""};
  };
  std::vector<sink> sinks{{sink::OUT, "", "", false, ""}, {sink::ERR, "", "", false, ""}};
  std::array<int, 10> fds;  // descriptor -> sink index, -1 closed
  fds.fill(-1);
  fds[1] = 0;
  fds[2] = 1;
  std::string file_input;
  bool redirected_input = false;
  // Redirections apply left to right, so `> f 2>&1` and `2>&1 > f` differ as in bash.
  for (const auto& rd : redirects) {
    const auto targets = expand_fields(rd.target);
    if (targets.size() != 1) return failure("-bash: " + rd.target + ": ambiguous redirect\n", 0);
    const std::string& target = targets[0];
    std::string op = rd.op;
    if (op == ">&" && target != "-" && !all_digits(target)) {
      if (rd.fd != 1) return failure("-bash: " + target + ": ambiguous redirect\n", 0);
      op = "&>";  // `>& file` is `&> file`
    }
    if (op == ">&") {
      const int from = target == "-" ? -1 : std::atoi(target.c_str());
      if (target != "-" && (target.size() > 1 || fds[from] < 0))
        return failure("-bash: " + target + ": Bad file descriptor\n", EBADF);
      if (from < 0) sinks.push_back(sink{sink::DISCARD, "", "", false, ""});
      if (rd.fd < 10) fds[rd.fd] = from < 0 ? int(sinks.size()) - 1 : fds[from];
      continue;
    }
    if (op == "<") {
      std::string data;
      if (target != "/dev/null") {
        fs_result f = m_ctx.files.read(m_ctx.resolve(target));
        if (f.error) return failure("-bash: " + target + ": " + errno_message(f.error) + "\n", f.error);
        data = std::move(f.data);
      }
      if (rd.fd == 0) {
        file_input = std::move(data);
        redirected_input = true;
      }
      continue;
    }
    int index;
    if (target == "/dev/stdout" || target == "/dev/stderr") {
      index = fds[target == "/dev/stdout" ? 1 : 2];
    } else if (target == "/dev/null") {
      sinks.push_back(sink{sink::DISCARD, "", "", false, ""});
      index = int(sinks.size()) - 1;
    } else {
      const std::string path = m_ctx.resolve(target);
      if (int err = open_error(path)) return failure("-bash: " + target + ": " + errno_message(err) + "\n", err);
      sinks.push_back(sink{sink::FILE, target, path, op == ">>" || op == "&>>", ""});
      index = int(sinks.size()) - 1;
    }
    if (op[0] == '&')
      fds[1] = fds[2] = index;
    else if (rd.fd < 10)
      fds[rd.fd] = index;
  }
  // What unwinds through (break, an error) still goes where the redirections say.
  std::optional<shell_abort> unwinding;
  cmd_result r;
  try {
    r = body(redirected_input ? file_input : in);
  } catch (const shell_abort& a) {
    unwinding = a;
    r = cmd_result{a.status, a.out, a.err, a.errno_name};
  }
  cmd_result result = deliver(sinks, fds, r, name);
  if (unwinding) {
    unwinding->out = std::move(result.out);
    unwinding->err = std::move(result.err);
    throw *unwinding;
  }
  return result;
}

cmd_result shell::runner::run_argv(const argv_t& argv, std::string& in) {
  const std::string& name = argv[0];
  auto it = m_shell.m_commands.find(name);
  if (it != m_shell.m_commands.end()) {
    try {
      return it->second.first(argv, in);
    } catch (const std::exception& e) {
      return cmd_result{1, "", fmt::format("{}: internal error: {}\n", name, e.what()), ""};
    } catch (...) {
      return cmd_result{1, "", name + ": internal error\n", ""};
    }
  }
  if (is_bash_builtin(name)) return run_bash_builtin(argv, in);
  if (name == "sudo") {
    size_t k = 1;
    while (k < argv.size() && argv[k].size() > 1 && argv[k][0] == '-') ++k;  // we are root already
    if (k == argv.size()) return cmd_result{1, "", "usage: sudo command\n", ""};
    return run_argv(argv_t(argv.begin() + k, argv.end()), in);
  }
  if (name == "sh" || name == "bash") {
    if (argv.size() < 3 || argv[1] != "-c")
      return cmd_result{2, "", name + ": only `" + name + " -c COMMAND' is supported\n", ""};
    return runner(m_shell).run_line(argv[2], in);
  }
  if (auto fn = shell_impl::find_builtin(name)) return fn(m_ctx, argv, in);
  if (name.find('/') != std::string::npos)
    return cmd_result{127, "", "-bash: " + name + ": No such file or directory\n", ""};
  return cmd_result{127, "", "-bash: " + name + ": command not found\n", ""};
}

// ---- Public API ---------------------------------------------------------------

shell::shell(vfs& files) : m_files(files) {}

void shell::set_variable(const std::string& name, const std::string& value, bool exported) {
  m_vars[name] = value;
  if (exported) m_exported.insert(name);
}

void shell::login_environment(const std::vector<std::pair<std::string, std::string>>& vars) {
  if (m_logged_in) return;
  m_logged_in = true;
  for (const auto& [name, value] : vars) set_variable(name, value);
}

void shell::add_command(const std::string& name, command_fn fn, const std::string& help) {
  m_commands[name] = {std::move(fn), help};
}

std::vector<std::pair<std::string, std::string>> shell::commands() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& c : m_commands) out.emplace_back(c.first, c.second.second);
  return out;
}

bool shell::is_complete(const std::string& text) {
  size_t backslashes = 0;
  for (size_t k = text.size(); k > 0 && text[k - 1] == '\\'; --k) ++backslashes;
  if (backslashes % 2 == 1) return false;
  try {
    shell_impl::parse(shell_impl::tokenize(text));
  } catch (const shell_impl::syntax_error& e) {
    return e.message.rfind("unexpected EOF", 0) != 0 && e.message != "syntax error: unexpected end of file";
  }
  return true;
}

cmd_result shell::run(const std::string& line) {
  m_loop_iterations = 0;
  m_nesting = 0;
  try {
    std::string no_input;
    return runner(*this).run_line(line, no_input);
  } catch (const std::exception& e) {
    return cmd_result{1, "", fmt::format("-bash: internal error: {}\n", e.what()), ""};
  } catch (...) {
    return cmd_result{1, "", "-bash: internal error\n", ""};
  }
}

}  // namespace iovsim::host
