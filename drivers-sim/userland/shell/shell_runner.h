// Private to the host shell: the interpreter that runs a parsed line (the reader is
// shell_parse.cpp). shell.cpp runs lists, pipelines, redirections and commands;
// shell_compound.cpp the compound commands; shell_expand.cpp and shell_param.cpp
// expand words (bash(1) EXPANSION), with shell_arith.cpp for $((...));
// shell_builtins.cpp has bash's own built-ins (cd, read, export, ...).
#pragma once

#include <array>
#include <functional>
#include <string>
#include <vector>

#include "drivers-sim/userland/shell/shell.h"
#include "drivers-sim/userland/shell/shell_impl.h"
#include "drivers-sim/userland/shell/shell_syntax.h"

namespace iovsim::host {

// Leaving commands early, unwinding what runs them: an error that ends the rest of
// the line, as an expansion error does in an interactive bash (it jumps back to the
// prompt); `break` and `continue` up to their loop; `exit` up to its sh -c or line.
// Each level it passes on the way up puts in front what it had printed before.
struct shell_abort {
  enum class kind { error, break_loop, continue_loop, exit };
  std::string out, err;  // an error's err ends with its message
  int status = 1;
  std::string errno_name;
  kind what = kind::error;
  long levels = 1;  // break N, continue N
};

// Ends the line with "-bash: <message>".
[[noreturn]] inline void abort_line(const std::string& message, int status = 1) {
  throw shell_abort{"", "-bash: " + message + "\n", status, "", shell_abort::kind::error, 1};
}

void prepend(shell_abort& a, const cmd_result& before);

// One more level of nesting while it lives; past shell::MAX_NESTING the line ends.
class nesting_scope {
 public:
  explicit nesting_scope(int& nesting) : m_nesting(nesting) {
    if (m_nesting >= shell::MAX_NESTING)
      abort_line("nesting deeper than " + std::to_string(shell::MAX_NESTING) + " levels (the simulated shell's limit)");
    ++m_nesting;
  }
  ~nesting_scope() { --m_nesting; }
  nesting_scope(const nesting_scope&) = delete;
  nesting_scope& operator=(const nesting_scope&) = delete;

 private:
  int& m_nesting;
};

// Adds what one command left to what its list, loop or pipeline collected.
inline void append_result(cmd_result& total, const cmd_result& r) {
  total.out += r.out;
  total.err += r.err;
  total.status = r.status;
  // errno_name tells the last system call of the line that failed, even when a
  // later command succeeded (`echo 7 > f; cat f` still reports the EBUSY).
  if (!r.errno_name.empty()) total.errno_name = r.errno_name;
}

class shell::runner {
 public:
  using argv_t = shell_impl::argv_t;

  explicit runner(shell& sh) : m_shell(sh), m_ctx{sh.m_files, sh.m_cwd, &sh.m_vars} {}

  // Parses and runs a line. `in` is the standard input that is left: `read` takes
  // lines from it, other commands see all of it.
  cmd_result run_line(const std::string& line, std::string& in);

 private:
  // ---- shell.cpp
  cmd_result run_list(const shell_impl::list& l, std::string& in);
  cmd_result run_pipeline(const shell_impl::pipeline& p, std::string& in);
  cmd_result run_command(const shell_impl::command& c, std::string& in);
  cmd_result run_simple(const shell_impl::command& c, std::string& in);
  // Applies redirections left to right around `body` (bash(1) REDIRECTION); `name`
  // is who reports a failed write.
  cmd_result with_redirects(const std::vector<shell_impl::redirect>& redirects, std::string& in,
                            const std::string& name, const std::function<cmd_result(std::string&)>& body);
  int open_error(const std::string& path);
  // Where one descriptor of a command goes.
  struct sink {
    enum kind_t { OUT, ERR, DISCARD, FILE } kind;
    std::string display;  // the path as typed, for messages
    std::string path;     // resolved
    bool append = false;
    std::string data;
  };
  // Sends a command's output where its descriptors point and writes the files.
  cmd_result deliver(std::vector<sink>& sinks, const std::array<int, 10>& fds, cmd_result r, const std::string& name);
  cmd_result run_argv(const argv_t& argv, std::string& in);

  // ---- shell_compound.cpp
  cmd_result run_compound(const shell_impl::command& c, std::string& in);
  cmd_result run_for(const shell_impl::command& c, std::string& in);
  cmd_result run_while(const shell_impl::command& c, std::string& in);
  cmd_result run_if(const shell_impl::command& c, std::string& in);
  cmd_result run_for_arith(const shell_impl::command& c, std::string& in);
  cmd_result run_case(const shell_impl::command& c, std::string& in);
  // (( expression )): 0 when the value is not zero; its errors do not end the line.
  cmd_result run_arith(const std::string& expression, long long& value);
  // ---- shell_cond.cpp: [[ ... ]]
  class conditional_evaluator;
  cmd_result run_conditional(const shell_impl::command& c);
  // Counts one while/until/for (( )) iteration against MAX_LOOP_ITERATIONS.
  void count_iteration(const char* loop, cmd_result& total);
  // A subshell, ( list ) or $(...): what it changes of the variables and the
  // directory stays in it (bash(1) COMMAND EXECUTION ENVIRONMENT).
  cmd_result run_subshell(const std::function<cmd_result()>& body);

  // ---- shell_expand.cpp, shell_param.cpp
  // Where each character of an expanded word came from.
  enum : unsigned char {
    QUOTED = 1,  // quoted, or from a quoted expansion: never split or globbed
    SPLIT = 2,   // from an unquoted expansion: IFS characters split fields
    MARK = 4,    // not a character: a quote was here, so the field exists even if empty
  };
  // A word while it is expanded: its characters with where each came from.
  struct expanded {
    std::string chars;
    std::string flags;  // one per character

    void add(char c, unsigned char f) {
      chars += c;
      flags += static_cast<char>(f);
    }
    void add(const std::string& s, unsigned char f) {
      chars += s;
      flags.append(s.size(), static_cast<char>(f));
    }
    void mark() { add('\0', MARK); }
    bool is(size_t i, unsigned char f) const { return (static_cast<unsigned char>(flags[i]) & f) != 0; }
    std::string text() const {
      std::string out;
      for (size_t i = 0; i < chars.size(); ++i)
        if (!is(i, MARK)) out += chars[i];
      return out;
    }
  };
  // A word to fields: expansions, field splitting, pathname expansion, quote removal.
  std::vector<std::string> expand_fields(const std::string& word);
  // A word to one string, without splitting or globbing (assignments).
  std::string expand_text(const std::string& word);
  void expand_into(const std::string& s, size_t b, size_t e, bool in_dquotes, expanded& out);
  size_t expand_dollar(const std::string& s, size_t i, bool in_dquotes, expanded& out);
  void expand_braces(const std::string& body, bool in_dquotes, expanded& out);
  // The glob pattern a word stands for: its quoted characters match themselves.
  std::string pattern_of(const std::string& word, bool in_dquotes);
  std::string substring(const std::string& value, const std::string& spec);
  std::string replace(const std::string& value, const std::string& spec, bool in_dquotes);
  std::string special_parameter(char c) const;
  std::string command_substitution(const std::string& text);
  // $((text)): the value, or the line ends with bash's message.
  std::string arithmetic(const std::string& text);
  bool try_arithmetic(const std::string& text, long long& value, std::string& error);
  std::vector<std::string> split_fields(const expanded& x) const;
  // NAME=value and NAME+=value words.
  void assign(const std::string& word);
  void set_variable(const std::string& name, const std::string& value);

  // ---- shell_builtins.cpp: bash's own built-ins, by name.
  bool is_bash_builtin(const std::string& name) const;
  cmd_result run_bash_builtin(const argv_t& argv, std::string& in);
  cmd_result cd(const argv_t& argv);
  cmd_result help(const argv_t& argv);
  cmd_result export_builtin(const argv_t& argv);
  cmd_result unset(const argv_t& argv);
  cmd_result read(const argv_t& argv, std::string& in);
  cmd_result loop_control(const argv_t& argv);
  cmd_result exit_builtin(const argv_t& argv);

  shell& m_shell;
  shell_impl::context m_ctx;
  // What the command substitutions of the command being expanded left: their
  // standard error goes to the shell's, their status is $? of an assignment-only line.
  std::string m_subst_err;
  std::string m_subst_errno;
  int m_subst_status = -1;
  int m_loop_depth = 0;  // loops this runner is in: break and continue need one
};

}  // namespace iovsim::host
