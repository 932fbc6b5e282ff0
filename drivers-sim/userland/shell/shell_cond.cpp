// The host shell's [[ ... ]] (bash(1) Compound Commands, CONDITIONAL EXPRESSIONS):
// the grammar of bash 5.2's parse.y cond_expr, its words expanded without splitting
// or globbing, == and != matching a pattern, =~ an extended regular expression, the
// arithmetic operators evaluating their operands, and test's file operators.
#include <regex>

#include "drivers-sim/userland/shell/shell_runner.h"

namespace iovsim::host {
namespace shell_impl {
namespace {

bool is_binary(const token& t) {
  if (t.is_op) return t.op == "<" || t.op == ">";
  static const char* const OPS[] = {"==",  "=",   "!=",  "=~",  "-eq", "-ne", "-lt",
                                    "-le", "-gt", "-ge", "-nt", "-ot", "-ef"};
  for (const char* op : OPS)
    if (t.word == op) return true;
  return false;
}

class conditional_reader {
 public:
  conditional_reader(const std::vector<token>& t, conditional_leaves* leaves) : m_t(t), m_leaves(leaves) {}

  bool read() {
    if (m_t.empty()) throw syntax_error{"syntax error in conditional expression"};
    const bool v = or_expr(true);
    if (m_i < m_t.size())
      throw syntax_error{"syntax error in conditional expression: unexpected token `" + text(m_i) + "'"};
    return v;
  }

 private:
  std::string text(size_t k) const { return k >= m_t.size() ? "]]" : m_t[k].is_op ? m_t[k].op : m_t[k].word; }
  bool is_op(const char* op) const { return m_i < m_t.size() && m_t[m_i].is_op && m_t[m_i].op == op; }
  bool is_word() const { return m_i < m_t.size() && !m_t[m_i].is_op; }

  // `active` false: the side of && or || not taken, read but not evaluated.
  bool or_expr(bool active) {
    bool v = and_expr(active);
    while (is_op("||")) {
      ++m_i;
      const bool r = and_expr(active && !v);
      v = v || r;
    }
    return v;
  }

  bool and_expr(bool active) {
    bool v = term(active);
    while (is_op("&&")) {
      ++m_i;
      const bool r = term(active && v);
      v = v && r;
    }
    return v;
  }

  bool term(bool active) {
    const reader_nesting level;  // [[ ( ( ( ... ]] and ! ! ! ...
    if (m_i >= m_t.size()) throw syntax_error{"unexpected argument `]]' in conditional command"};
    if (is_word() && m_t[m_i].word == "!") {
      ++m_i;
      return !term(active);
    }
    if (is_op("(")) {
      ++m_i;
      const bool v = or_expr(active);
      if (!is_op(")")) throw syntax_error{"unexpected token `" + text(m_i) + "', expected `)'"};
      ++m_i;
      return v;
    }
    if (!is_word()) throw syntax_error{"unexpected token `" + text(m_i) + "' in conditional command"};
    const std::string& first = m_t[m_i++].word;
    if (is_unary_op(first) && !(m_i < m_t.size() && is_binary(m_t[m_i]))) {
      if (!is_word()) throw syntax_error{"unexpected argument `" + text(m_i) + "' to conditional unary operator"};
      const std::string& operand = m_t[m_i++].word;
      return active && m_leaves && m_leaves->unary(first, operand);
    }
    if (m_i < m_t.size() && is_binary(m_t[m_i])) {
      const std::string op = text(m_i++);
      if (!is_word()) throw syntax_error{"unexpected argument `" + text(m_i) + "' to conditional binary operator"};
      const std::string& rhs = m_t[m_i++].word;
      return active && m_leaves && m_leaves->binary(op, first, rhs);
    }
    if (is_word()) throw syntax_error{"conditional binary operator expected"};
    return active && m_leaves && m_leaves->word(first);
  }

  const std::vector<token>& m_t;
  conditional_leaves* m_leaves;
  size_t m_i = 0;
};

}  // namespace

bool conditional(const std::vector<token>& tokens, conditional_leaves* leaves) {
  return conditional_reader(tokens, leaves).read();
}

}  // namespace shell_impl

// The leaves, with the runner's expansions.
class shell::runner::conditional_evaluator : public shell_impl::conditional_leaves {
 public:
  explicit conditional_evaluator(runner& r) : m_r(r) {}

  int status = 0;     // 2 for a bad regular expression
  std::string error;  // an arithmetic operand's

  bool word(const std::string& w) override { return !m_r.expand_text(w).empty(); }

  bool unary(const std::string& op, const std::string& w) override {
    return shell_impl::test_unary(m_r.m_ctx, op, m_r.expand_text(w));
  }

  bool binary(const std::string& op, const std::string& lhs_word, const std::string& rhs_word) override {
    if (op[0] == '-' && op != "-nt" && op != "-ot" && op != "-ef") {
      // Arithmetic operands: expressions, not just numbers (`[[ 1+1 -eq 2 ]]`).
      long long a = 0, b = 0;
      std::string e;
      if (!m_r.try_arithmetic(lhs_word, a, e) || !m_r.try_arithmetic(rhs_word, b, e)) throw failure{e};
      if (op == "-eq") return a == b;
      if (op == "-ne") return a != b;
      if (op == "-lt") return a < b;
      if (op == "-le") return a <= b;
      if (op == "-gt") return a > b;
      return a >= b;
    }
    const std::string lhs = m_r.expand_text(lhs_word);
    if (op == "<" || op == ">") {
      const std::string rhs = m_r.expand_text(rhs_word);
      return op == "<" ? lhs < rhs : lhs > rhs;
    }
    if (op == "-nt" || op == "-ot") return false;  // the simulated files have no times
    if (op == "-ef") {
      const std::string rhs = m_r.expand_text(rhs_word);
      return m_r.m_ctx.exists(lhs) && m_r.m_ctx.exists(rhs) && m_r.m_ctx.resolve(lhs) == m_r.m_ctx.resolve(rhs);
    }
    if (op == "=~") return regex_match(lhs, rhs_word);
    // == and !=: the right side is a pattern, its quoted parts literal.
    const bool match = shell_impl::glob_match(m_r.pattern_of(rhs_word, false).c_str(), lhs.c_str(), false);
    return op == "!=" ? !match : match;
  }

  struct failure {
    std::string message;
  };

 private:
  // POSIX extended regular expression, quoted characters literal; the match goes to
  // BASH_REMATCH (its whole match: the simulated shell has no arrays).
  bool regex_match(const std::string& subject, const std::string& word) {
    expanded x;
    m_r.expand_into(word, 0, word.size(), false, x);
    std::string re;
    for (size_t k = 0; k < x.chars.size(); ++k) {
      if (x.is(k, MARK)) continue;
      if (x.is(k, QUOTED) && std::string("\\^$.|?*+()[]{}").find(x.chars[k]) != std::string::npos) re += '\\';
      re += x.chars[k];
    }
    try {
      std::smatch m;
      if (!std::regex_search(subject, m, std::regex(re, std::regex::extended))) return false;
      m_r.set_variable("BASH_REMATCH", m[0]);
      return true;
    } catch (const std::regex_error&) {
      status = 2;  // bash: a regular expression that does not compile
      return false;
    }
  }

  runner& m_r;
};

cmd_result shell::runner::run_conditional(const shell_impl::command& c) {
  conditional_evaluator leaves(*this);
  try {
    const bool v = shell_impl::conditional(c.condition, &leaves);
    return cmd_result{leaves.status ? leaves.status : v ? 0 : 1, "", "", ""};
  } catch (const conditional_evaluator::failure& f) {
    return cmd_result{1, "", "-bash: [[: " + f.message + "\n", ""};
  }
}

}  // namespace iovsim::host
