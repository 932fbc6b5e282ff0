// The host shell's interpreter: bash's quoting, lists, pipelines, redirections and
// pathname expansion over the simulated host's files. Each stage runs to completion
// before the next starts (the output is text, not a stream), which is all a
// deterministic simulation can observe. The utilities live in shell_builtins.cpp.
#include "drivers-sim/userland/shell/shell.h"

#include "drivers-sim/userland/shell/shell_impl.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <exception>

namespace iovsim::host {
namespace {

using shell_impl::argv_t;

// ---- Tokens -------------------------------------------------------------------

struct word {
  std::string text;       // after quote removal
  std::string pattern;    // for globbing: quoted glob characters escaped with '\'
  bool has_glob = false;  // an unquoted * ? or [
};

struct token {
  bool is_op = false;
  std::string op;         // "|", "&&", ">", ">>", "<", ">&", "&>", "&>>", ...
  int fd = -1;            // the N of N> / N< (-1: the operator's default)
  word w;
};

struct syntax_error {
  std::string message;
};

bool is_glob_char(char c) { return c == '*' || c == '?' || c == '[' || c == ']' || c == '\\'; }

// bash's token recognition (bash(1) QUOTING): '...' takes everything literally, "..."
// keeps \ only before $ ` " \ and newline, an unquoted \ quotes the next character.
std::vector<token> tokenize(const std::string& s) {
  std::vector<token> out;
  word cur;
  bool in_word = false, cur_quoted = false;
  auto flush = [&] {
    if (in_word) out.push_back(token{false, "", -1, cur});
    cur = word{};
    in_word = cur_quoted = false;
  };
  auto add = [&](char c, bool quoted) {
    in_word = true;
    cur.text += c;
    if (quoted) {
      cur_quoted = true;
      if (is_glob_char(c)) cur.pattern += '\\';
    } else if (c == '*' || c == '?' || c == '[') {
      cur.has_glob = true;
    }
    cur.pattern += c;
  };
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const char c = s[i];
    if (c == ' ' || c == '\t' || c == '\r') {
      flush();
      ++i;
    } else if (c == '#' && !in_word) {
      break;  // a comment runs to the end of the line
    } else if (c == '\'') {
      const size_t end = s.find('\'', i + 1);
      if (end == std::string::npos) throw syntax_error{"unexpected EOF while looking for matching `''"};
      in_word = true;
      cur_quoted = true;
      for (size_t k = i + 1; k < end; ++k) add(s[k], true);
      i = end + 1;
    } else if (c == '"') {
      in_word = true;
      cur_quoted = true;
      size_t k = i + 1;
      for (;; ++k) {
        if (k >= n) throw syntax_error{"unexpected EOF while looking for matching `\"'"};
        if (s[k] == '"') break;
        if (s[k] == '\\' && k + 1 < n && std::string("$`\"\\\n").find(s[k + 1]) != std::string::npos) {
          ++k;
          if (s[k] == '\n') continue;
        }
        add(s[k], true);
      }
      i = k + 1;
    } else if (c == '\\') {
      if (i + 1 >= n) {
        add('\\', true);  // bash keeps a trailing backslash
        ++i;
      } else {
        if (s[i + 1] != '\n') add(s[i + 1], true);
        i += 2;
      }
    } else if (std::string("|&;<>()\n").find(c) != std::string::npos) {
      token t{true, "", -1, {}};
      // "2>" : a word of digits right before a redirection operator is its fd.
      if ((c == '<' || c == '>') && in_word && !cur_quoted && !cur.text.empty() && cur.text.size() <= 2 &&
          std::all_of(cur.text.begin(), cur.text.end(), [](char d) { return d >= '0' && d <= '9'; })) {
        t.fd = std::stoi(cur.text);
        cur = word{};
        in_word = false;
      }
      flush();
      static const char* const OPS[] = {"&>>", "||", "&&", ";;", ">>", ">&", ">|", "<<", "<&", "&>",
                                        "|",   "&",  ";",  ">",  "<",  "(",  ")",  "\n"};
      for (const char* op : OPS) {
        if (s.compare(i, std::char_traits<char>::length(op), op) == 0) {
          t.op = op;
          break;
        }
      }
      i += t.op.size();
      if (t.op == ">|") t.op = ">";
      if (t.op == "\n") t.op = ";";
      out.push_back(t);
    } else {
      add(c, false);
      ++i;
    }
  }
  flush();
  return out;
}

// ---- Syntax tree --------------------------------------------------------------

struct redirect {
  int fd;               // the descriptor redirected (1 for >, 0 for <, -1 for &>)
  std::string op;       // ">", ">>", "<", ">&", "&>", "&>>"
  word target;
};

struct simple_command {
  std::vector<word> words;
  std::vector<redirect> redirects;
};

struct pipeline {
  std::vector<simple_command> stages;
  std::string connector;  // how it joins the previous pipeline: "", ";", "&&", "||"
};

bool is_redirect_op(const std::string& op) {
  return op == ">" || op == ">>" || op == "<" || op == ">&" || op == "&>" || op == "&>>" || op == "<&";
}

std::vector<pipeline> parse(const std::vector<token>& toks) {
  auto unexpected = [](const std::string& what) {
    return syntax_error{"syntax error near unexpected token `" + what + "'"};
  };
  std::vector<pipeline> list;
  std::string connector;
  size_t i = 0;
  while (i < toks.size()) {
    pipeline p;
    p.connector = connector;
    for (;;) {
      simple_command cmd;
      while (i < toks.size() && (!toks[i].is_op || is_redirect_op(toks[i].op))) {
        if (!toks[i].is_op) {
          cmd.words.push_back(toks[i++].w);
          continue;
        }
        const token& t = toks[i++];
        if (t.op == "<&") throw unexpected("<&");
        if (i >= toks.size()) throw unexpected("newline");
        if (toks[i].is_op) throw unexpected(toks[i].op == ";" && i + 1 == toks.size() ? "newline" : toks[i].op);
        int fd = t.fd >= 0 ? t.fd : (t.op == "<" ? 0 : (t.op[0] == '&' ? -1 : 1));
        cmd.redirects.push_back(redirect{fd, t.op, toks[i++].w});
      }
      if (cmd.words.empty() && cmd.redirects.empty()) {
        if (i < toks.size()) throw unexpected(toks[i].op);
        throw syntax_error{"syntax error: unexpected end of file"};
      }
      p.stages.push_back(std::move(cmd));
      if (i < toks.size() && toks[i].op == "|") {
        ++i;
        continue;
      }
      break;
    }
    list.push_back(std::move(p));
    if (i >= toks.size()) break;
    const std::string& op = toks[i].op;
    if (op == "&") throw syntax_error{"&: background jobs are not supported by the simulated shell"};
    if (op != ";" && op != "&&" && op != "||") throw unexpected(op);
    connector = op;
    ++i;
    if (op == ";" && i >= toks.size()) break;
    if (i >= toks.size()) throw syntax_error{"syntax error: unexpected end of file"};
  }
  return list;
}

}  // namespace

// ---- Running ------------------------------------------------------------------

class shell::runner {
 public:
  explicit runner(shell& sh) : m_shell(sh), m_ctx{sh.m_files, sh.m_cwd} {}

  cmd_result run_line(const std::string& line, const std::string& in) {
    std::vector<pipeline> list;
    try {
      list = parse(tokenize(line));
    } catch (const syntax_error& e) {
      return cmd_result{2, "", "-bash: " + e.message + "\n", ""};
    }
    cmd_result total;
    bool first = true;
    for (const auto& p : list) {
      // bash gives && and || equal precedence, left to right: skip on the last status.
      if ((p.connector == "&&" && total.status != 0) || (p.connector == "||" && total.status == 0)) continue;
      cmd_result r = run_pipeline(p, first ? in : std::string());
      first = false;
      total.out += r.out;
      total.err += r.err;
      total.status = r.status;
      // errno_name tells the last system call of the line that failed, even when a
      // later command succeeded (`echo 7 > f; cat f` still reports the EBUSY).
      if (!r.errno_name.empty()) total.errno_name = r.errno_name;
    }
    return total;
  }

 private:
  // Where one descriptor of a command goes.
  struct sink {
    enum kind_t { OUT, ERR, DISCARD, FILE } kind;
    std::string display;  // the path as typed, for messages
    std::string path;     // resolved
    bool append = false;
    std::string data;
  };

  cmd_result run_pipeline(const pipeline& p, const std::string& in) {
    cmd_result total;
    std::string data = in;
    for (const auto& stage : p.stages) {
      cmd_result r = run_simple(stage, data);
      data = std::move(r.out);
      total.err += r.err;
      total.status = r.status;
      if (!r.errno_name.empty()) total.errno_name = r.errno_name;
    }
    total.out = std::move(data);  // the last stage's output: no pipefail
    return total;
  }

  std::vector<std::string> expand(const word& w) {
    if (w.has_glob) {
      auto paths = shell_impl::glob(m_ctx, w.pattern);
      if (!paths.empty()) return paths;
    }
    return {w.text};
  }

  static cmd_result failure(const std::string& message, int err) {
    return cmd_result{1, "", message, err ? errno_name(err) : ""};
  }

  // open(2) of a redirect target, as far as it can be decided without writing.
  int open_error(const std::string& path) {
    if (m_ctx.files.is_dir(path)) return EISDIR;
    const std::string parent = path.substr(0, std::max<size_t>(path.rfind('/'), 1));
    if (!m_ctx.files.is_dir(parent)) return m_ctx.exists(parent) ? ENOTDIR : ENOENT;
    return 0;
  }

  cmd_result run_simple(const simple_command& c, const std::string& pipe_in) {
    argv_t argv;
    for (const auto& w : c.words)
      for (auto& a : expand(w)) argv.push_back(std::move(a));
    std::vector<sink> sinks{{sink::OUT, "", "", false, ""}, {sink::ERR, "", "", false, ""}};
    std::array<int, 10> fds;  // descriptor -> sink index, -1 closed
    fds.fill(-1);
    fds[1] = 0;
    fds[2] = 1;
    std::string input = pipe_in;
    // Redirections apply left to right, so `> f 2>&1` and `2>&1 > f` differ as in bash.
    for (const auto& rd : c.redirects) {
      auto targets = expand(rd.target);
      if (targets.size() != 1) return failure("-bash: " + rd.target.text + ": ambiguous redirect\n", 0);
      const std::string& target = targets[0];
      std::string op = rd.op;
      if (op == ">&" && target != "-" && !std::all_of(target.begin(), target.end(), [](char d) { return d >= '0' && d <= '9'; })) {
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
        if (target == "/dev/null") {
          input.clear();
          continue;
        }
        fs_result f = m_ctx.files.read(m_ctx.resolve(target));
        if (f.error) return failure("-bash: " + target + ": " + errno_message(f.error) + "\n", f.error);
        if (rd.fd == 0) input = std::move(f.data);
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
      if (op[0] == '&') fds[1] = fds[2] = index;
      else if (rd.fd < 10) fds[rd.fd] = index;
    }
    cmd_result r = argv.empty() ? cmd_result{} : run_command(argv, input);
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
      if (err == EACCES || err == EROFS || err == EISDIR || err == ENOTDIR ||
          (err == ENOENT && !m_ctx.exists(s.path)))
        return failure("-bash: " + s.display + ": " + errno_message(err) + "\n", err);
      // Refused by write(2): the command reports it, bash's own built-ins with -bash.
      static const char* const BASH_BUILTINS[] = {"echo", "printf", "pwd", "help", "cd", "true", "false", ":"};
      const std::string name = argv.empty() ? "bash" : argv[0];
      const bool bash_builtin = std::find(std::begin(BASH_BUILTINS), std::end(BASH_BUILTINS), name) != std::end(BASH_BUILTINS);
      messages += fmt::format("{}{}: write error: {}\n", bash_builtin ? "-bash: " : "", name, errno_message(err));
      r.status = name == "grep" ? 2 : 1;
      r.errno_name = errno_name(err);
    }
    if (!messages.empty() && fds[2] >= 0) {
      sink& s = sinks[fds[2]];
      if (s.kind == sink::FILE) m_ctx.files.write(s.path, messages, true);
      else s.data += messages;
    }
    return cmd_result{r.status, std::move(sinks[0].data), std::move(sinks[1].data), r.errno_name};
  }

  cmd_result run_command(const argv_t& argv, const std::string& in) {
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
    if (name == "true" || name == ":") return {};
    if (name == "false") return cmd_result{1, "", "", ""};
    if (name == "cd") return cd(argv);
    if (name == "pwd") return cmd_result{0, m_shell.m_cwd + "\n", "", ""};
    if (name == "help") return help(argv);
    if (name == "sudo") {
      size_t k = 1;
      while (k < argv.size() && argv[k].size() > 1 && argv[k][0] == '-') ++k;  // we are root already
      if (k == argv.size()) return cmd_result{1, "", "usage: sudo command\n", ""};
      return run_command(argv_t(argv.begin() + k, argv.end()), in);
    }
    if (name == "sh" || name == "bash") {
      if (argv.size() < 3 || argv[1] != "-c")
        return cmd_result{2, "", name + ": only `" + name + " -c COMMAND' is supported\n", ""};
      return runner(m_shell).run_line(argv[2], in);
    }
    if (auto fn = shell_impl::find_builtin(name)) return fn(m_ctx, argv, in);
    if (name.find('/') != std::string::npos) return cmd_result{127, "", "-bash: " + name + ": No such file or directory\n", ""};
    return cmd_result{127, "", "-bash: " + name + ": command not found\n", ""};
  }

  cmd_result cd(const argv_t& argv) {
    if (argv.size() > 2) return failure("-bash: cd: too many arguments\n", 0);
    const std::string target = argv.size() == 2 ? argv[1] : "/";
    const std::string path = m_ctx.resolve(target);
    if (!m_ctx.files.is_dir(path)) {
      const int err = m_ctx.exists(path) ? ENOTDIR : ENOENT;
      return failure("-bash: cd: " + target + ": " + errno_message(err) + "\n", err);
    }
    m_shell.m_cwd = path;
    return {};
  }

  cmd_result help(const argv_t& argv) {
    const auto& cmds = m_shell.m_commands;
    if (argv.size() > 1) {
      cmd_result r;
      for (size_t k = 1; k < argv.size(); ++k) {
        auto it = cmds.find(argv[k]);
        if (it != cmds.end()) r.out += argv[k] + ": " + it->second.second + "\n";
        else r = failure(fmt::format("-bash: help: no help topics match `{}'.\n", argv[k]), 0);
      }
      return r;
    }
    size_t width = 0;
    for (const auto& c : cmds) width = std::max(width, c.first.size());
    std::string out = cmds.empty() ? "" : "Commands:\n";
    for (const auto& c : cmds) out += fmt::format("  {:<{}}  {}\n", c.first, width, c.second.second);
    out += "Shell built-ins:\n ";
    auto names = shell_impl::builtin_names();
    for (const char* b : {":", "bash", "cd", "false", "help", "pwd", "sh", "sudo", "true"}) names.push_back(b);
    std::sort(names.begin(), names.end());
    for (const auto& n : names) out += " " + n;
    return cmd_result{0, out + "\n", "", ""};
  }

  shell& m_shell;
  shell_impl::context m_ctx;
};

// ---- Public API ---------------------------------------------------------------

shell::shell(vfs& files) : m_files(files) {}

void shell::add_command(const std::string& name, command_fn fn, const std::string& help) {
  m_commands[name] = {std::move(fn), help};
}

std::vector<std::pair<std::string, std::string>> shell::commands() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& c : m_commands) out.emplace_back(c.first, c.second.second);
  return out;
}

cmd_result shell::run(const std::string& line) {
  try {
    return runner(*this).run_line(line, "");
  } catch (const std::exception& e) {
    return cmd_result{1, "", fmt::format("-bash: internal error: {}\n", e.what()), ""};
  } catch (...) {
    return cmd_result{1, "", "-bash: internal error\n", ""};
  }
}

}  // namespace iovsim::host
