// The host shell's compound commands (bash(1) Compound Commands): if, for, for (( )),
// while, until, case, (( )), { list; } and ( list ) ([[ ]] is shell_cond.cpp), with
// the exit statuses bash gives them, break and continue, and the limits that keep a
// runaway loop from hanging the simulation.
#include <fmt/format.h>

#include "drivers-sim/userland/shell/shell_runner.h"

namespace iovsim::host {

using shell_impl::command;

namespace {

// What one command line may print before it is stopped: with the iteration limit and
// the variable size limit, it bounds the memory a line can take.
constexpr size_t MAX_OUTPUT_BYTES = 64 << 20;

// Runs `f`; what unwinds through gets `total` in front.
template <typename F>
cmd_result collecting(cmd_result& total, F&& f) {
  try {
    return f();
  } catch (shell_abort& a) {
    prepend(a, total);
    throw;
  }
}

void check_output(const cmd_result& total, const char* loop) {
  if (total.out.size() + total.err.size() > MAX_OUTPUT_BYTES)
    abort_line(fmt::format("{}: loop stopped after printing more than {} MiB (the simulated shell's limit)", loop,
                           MAX_OUTPUT_BYTES >> 20));
}

}  // namespace

cmd_result shell::runner::run_compound(const command& c, std::string& in) {
  nesting_scope level(m_shell.m_nesting);
  switch (c.type) {
    case command::kind::if_clause:
      return run_if(c, in);
    case command::kind::for_clause:
      return run_for(c, in);
    case command::kind::for_arith:
      return run_for_arith(c, in);
    case command::kind::conditional:
      return run_conditional(c);
    case command::kind::case_clause:
      return run_case(c, in);
    case command::kind::arith: {
      long long value;
      return run_arith(c.words[0], value);
    }
    case command::kind::while_clause:
    case command::kind::until_clause:
      return run_while(c, in);
    case command::kind::brace_group:
      return run_list(c.body, in);
    case command::kind::subshell:
      return run_subshell([&] { return run_list(c.body, in); });
    case command::kind::simple:
      break;
  }
  return run_simple(c, in);
}

// The status is the body's that ran last, or 0 when no condition held.
cmd_result shell::runner::run_if(const command& c, std::string& in) {
  cmd_result total;
  for (const auto& b : c.branches) {
    const cmd_result condition = collecting(total, [&] { return run_list(b.condition, in); });
    append_result(total, condition);
    if (condition.status == 0) {
      append_result(total, collecting(total, [&] { return run_list(b.body, in); }));
      return total;
    }
  }
  total.status = 0;
  if (!c.else_body.empty()) append_result(total, collecting(total, [&] { return run_list(c.else_body, in); }));
  return total;
}

// The first item with a pattern that matches the word runs; 0 when none does.
cmd_result shell::runner::run_case(const command& c, std::string& in) {
  m_subst_err.clear();
  const std::string subject = expand_text(c.name);
  cmd_result total{0, "", std::move(m_subst_err), ""};
  m_subst_err.clear();
  for (const auto& item : c.items) {
    for (const auto& p : item.patterns) {
      if (!shell_impl::glob_match(pattern_of(p, false).c_str(), subject.c_str(), false)) continue;
      if (!item.body.empty()) append_result(total, collecting(total, [&] { return run_list(item.body, in); }));
      return total;
    }
  }
  return total;
}

// Runs a loop's body once; false when `break` ends the loop.
namespace {
template <typename F>
bool loop_body(cmd_result& total, F&& body) {
  try {
    append_result(total, body());
    return true;
  } catch (shell_abort& a) {
    prepend(a, total);
    const bool is_break = a.what == shell_abort::kind::break_loop;
    if (!is_break && a.what != shell_abort::kind::continue_loop) throw;
    if (a.levels > 1) {
      --a.levels;  // break 2 / continue 2: the enclosing loop's turn
      throw;
    }
    total = cmd_result{a.status, std::move(a.out), std::move(a.err), a.errno_name};
    return !is_break;
  }
}

// Counts a loop's depth for break and continue while it runs.
struct loop_scope {
  int& depth;
  explicit loop_scope(int& d) : depth(d) { ++depth; }
  ~loop_scope() { --depth; }
};
}  // namespace

cmd_result shell::runner::run_for(const command& c, std::string& in) {
  if (!shell_impl::valid_name(c.name))
    return cmd_result{1, "", "-bash: `" + c.name + "': not a valid identifier\n", ""};
  // The words are expanded once, before the first iteration.
  m_subst_err.clear();
  m_subst_errno.clear();
  std::vector<std::string> values;
  for (const auto& w : c.words)
    for (auto& v : expand_fields(w)) values.push_back(std::move(v));
  cmd_result total{0, "", std::move(m_subst_err), m_subst_errno};
  m_subst_err.clear();
  loop_scope scope(m_loop_depth);
  for (const auto& v : values) {
    collecting(total, [&] {
      set_variable(c.name, v);
      return cmd_result{};
    });
    if (!loop_body(total, [&] { return run_list(c.body, in); })) break;
    collecting(total, [&] {
      check_output(total, "for");
      return cmd_result{};
    });
  }
  return total;
}

// while runs the body as long as the condition succeeds, until as long as it fails.
// The status is the body's that ran last, or 0.
cmd_result shell::runner::run_while(const command& c, std::string& in) {
  const bool until = c.type == command::kind::until_clause;
  const char* name = until ? "until" : "while";
  cmd_result total;
  loop_scope scope(m_loop_depth);
  for (;;) {
    count_iteration(name, total);
    const int status = total.status;
    cmd_result condition;
    if (!loop_body(total, [&] { return condition = run_list(c.branches[0].condition, in); })) break;
    total.status = status;  // the condition's status is not the loop's
    if ((condition.status == 0) == until) break;
    if (!loop_body(total, [&] { return run_list(c.body, in); })) break;
    collecting(total, [&] {
      check_output(total, name);
      return cmd_result{};
    });
  }
  return total;
}

void shell::runner::count_iteration(const char* loop, cmd_result& total) {
  if (++m_shell.m_loop_iterations <= MAX_LOOP_ITERATIONS) return;
  collecting(total, [&]() -> cmd_result {
    abort_line(fmt::format("{}: loop stopped after {} iterations (the simulated shell never hangs)", loop,
                           MAX_LOOP_ITERATIONS));
  });
}

cmd_result shell::runner::run_arith(const std::string& expression, long long& value) {
  std::string error;
  value = 0;
  if (!try_arithmetic(expression, value, error)) return cmd_result{1, "", "-bash: ((: " + error + "\n", ""};
  return cmd_result{value != 0 ? 0 : 1, "", "", ""};
}

// for (( init; condition; step )): an empty condition is true; the status is the
// body's that ran last, or 0 (an arithmetic error: 1).
cmd_result shell::runner::run_for_arith(const command& c, std::string& in) {
  cmd_result total;
  long long value;
  auto step = [&](const std::string& e) {
    if (e.find_first_not_of(" \t\n") == std::string::npos) return true;
    const cmd_result r = collecting(total, [&] { return run_arith(e, value); });
    total.err += r.err;
    if (!r.err.empty()) total.status = 1;
    return r.err.empty();
  };
  if (!step(c.words[0])) return total;
  loop_scope scope(m_loop_depth);
  for (;;) {
    count_iteration("for", total);
    const bool empty_condition = c.words[1].find_first_not_of(" \t\n") == std::string::npos;
    if (!step(c.words[1])) break;
    if (!empty_condition && value == 0) break;
    if (!loop_body(total, [&] { return run_list(c.body, in); })) break;
    collecting(total, [&] {
      check_output(total, "for");
      return cmd_result{};
    });
    if (!step(c.words[2])) break;
  }
  return total;
}

cmd_result shell::runner::run_subshell(const std::function<cmd_result()>& body) {
  const auto vars = m_shell.m_vars;
  const auto exported = m_shell.m_exported;
  const std::string cwd = m_shell.m_cwd;
  const int loop_depth = m_loop_depth;
  m_loop_depth = 0;  // break in ( ) does not leave the loop around it
  cmd_result r;
  try {
    r = body();
  } catch (const shell_abort& a) {
    r = cmd_result{a.status, a.out, a.err, a.errno_name};  // an error ends the subshell only
  }
  m_shell.m_vars = vars;
  m_shell.m_exported = exported;
  m_shell.m_cwd = cwd;
  m_loop_depth = loop_depth;
  return r;
}

}  // namespace iovsim::host
