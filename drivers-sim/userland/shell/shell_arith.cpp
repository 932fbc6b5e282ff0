// bash's arithmetic evaluator, after bash 5.2's expr.c: the same precedence (comma,
// assignment, ?:, ||, &&, |, ^, &, == !=, < > <= >=, << >>, + -, * / %, **, unary
// ! ~ - +, ++/--), the same `noeval` rule (the side not taken of && || ?: has no
// effects and no division errors) and the same error texts and error tokens.
#include "drivers-sim/userland/shell/shell_arith.h"

#include <fmt/format.h>

#include <cctype>
#include <cstdint>
#include <cstring>
#include <vector>

namespace iovsim::host::shell_impl {
namespace {

using u64 = unsigned long long;

bool is_name_start(char c) { return c == '_' || std::isalpha(static_cast<unsigned char>(c)); }
bool is_name_char(char c) { return c == '_' || std::isalnum(static_cast<unsigned char>(c)); }

class evaluator {
 public:
  evaluator(const std::string& expression, const arith_vars& vars) : m_expr(expression), m_vars(vars) {}

  long long run() {
    const level guard(*this);  // x=x; $((x)) stops here
    next();
    if (m_kind == END) return 0;  // $(( )) is 0
    const long long v = comma();
    if (m_kind != END) fail("syntax error in expression");
    return v;
  }

 private:
  enum kind_t { END, NUM, ID, OP };

  // One level of arith_vars::nesting while it lives.
  class level {
   public:
    explicit level(const evaluator& e) : m_nesting(*e.m_vars.nesting) {
      if (m_nesting >= e.m_vars.max_nesting) e.fail("expression recursion level exceeded");
      ++m_nesting;
    }
    ~level() { --m_nesting; }

   private:
    int& m_nesting;
  };

  [[noreturn]] void fail(const std::string& what) const {
    // bash shows the expression without its leading blanks, and the text from the
    // start of the last token read to the end.
    const size_t b = m_expr.find_first_not_of(" \t\n");
    const std::string shown = b == std::string::npos ? "" : m_expr.substr(b);
    throw arith_error{fmt::format("{}: {} (error token is \"{}\")", shown, what, m_expr.substr(m_last))};
  }

  // Reads the next token into m_kind / m_text.
  void next() {
    while (m_pos < m_expr.size() && std::isspace(static_cast<unsigned char>(m_expr[m_pos]))) ++m_pos;
    const kind_t previous = m_kind;
    if (m_pos >= m_expr.size()) {
      m_kind = END;
      m_text.clear();
      return;
    }
    m_last = m_pos;
    const char c = m_expr[m_pos];
    size_t end = m_pos + 1;
    if (std::isdigit(static_cast<unsigned char>(c))) {
      while (end < m_expr.size() && (is_name_char(m_expr[end]) || m_expr[end] == '#' || m_expr[end] == '@')) ++end;
      m_kind = NUM;
    } else if (is_name_start(c)) {
      while (end < m_expr.size() && is_name_char(m_expr[end])) ++end;
      m_kind = ID;
    } else {
      static const char* const OPS[] = {"<<=", ">>=", "**", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||",
                                        "++",  "--",  "*=", "/=", "%=", "+=", "-=", "&=", "^=", "|="};
      m_kind = OP;
      for (const char* op : OPS)
        if (m_expr.compare(m_pos, std::strlen(op), op) == 0) {
          end = m_pos + std::strlen(op);
          break;
        }
      if (end == m_pos + 1 && !std::strchr("*/%+-<>&|^!~?:=(),", c)) fail("syntax error: invalid arithmetic operator");
      // ++ and -- are increments next to a name, else two signs (expr.c readtok).
      if (end == m_pos + 2 && (c == '+' || c == '-') && m_expr[m_pos + 1] == c && previous != ID) {
        size_t k = end;
        while (k < m_expr.size() && std::isspace(static_cast<unsigned char>(m_expr[k]))) ++k;
        if (k >= m_expr.size() || !is_name_start(m_expr[k])) end = m_pos + 1;
      }
    }
    m_text = m_expr.substr(m_pos, end - m_pos);
    m_pos = end;
  }

  bool at(const char* op) const { return m_kind == OP && m_text == op; }

  long long number(const std::string& t) {
    int base = 10;
    std::string digits = t;
    if (const size_t hash = t.find('#'); hash != std::string::npos) {
      const std::string b = t.substr(0, hash);
      base = b.size() > 2 ? 99 : std::stoi(b);
      if (base < 2 || base > 64) fail("invalid arithmetic base");
      digits = t.substr(hash + 1);
    } else if (t.size() > 1 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
      base = 16;
      digits = t.substr(2);
    } else if (t.size() > 1 && t[0] == '0') {
      base = 8;
    }
    u64 v = 0;
    for (char d : digits) {
      int x;
      if (std::isdigit(static_cast<unsigned char>(d)))
        x = d - '0';
      else if (d >= 'a' && d <= 'z')
        x = d - 'a' + 10;
      else if (d >= 'A' && d <= 'Z')
        x = base <= 36 ? d - 'A' + 10 : d - 'A' + 36;
      else if (d == '@')
        x = 62;
      else
        x = d == '_' ? 63 : 99;
      if (x >= base) fail("value too great for base");
      v = v * static_cast<u64>(base) + static_cast<u64>(x);
    }
    return static_cast<long long>(v);
  }

  long long variable(const std::string& name) {
    const std::string value = m_vars.get(name);
    if (value.empty()) return 0;
    return evaluator(value, m_vars).run();
  }

  void store(const std::string& name, long long v) {
    if (m_noeval == 0) m_vars.set(name, std::to_string(v));
  }

  // The binary operators over 64-bit two's complement, wrapping like bash's intmax_t.
  long long apply(const std::string& op, long long a, long long b, size_t operand_start) {
    const u64 x = static_cast<u64>(a), y = static_cast<u64>(b);
    if (op == "+") return static_cast<long long>(x + y);
    if (op == "-") return static_cast<long long>(x - y);
    if (op == "*") return static_cast<long long>(x * y);
    if (op == "/" || op == "%") {
      if (b == 0) {
        if (m_noeval) return 0;
        m_last = operand_start;
        fail("division by 0");
      }
      if (b == -1) return op == "/" ? static_cast<long long>(0 - x) : 0;  // INT64_MIN / -1
      return op == "/" ? a / b : a % b;
    }
    if (op == "<<") return static_cast<long long>(x << (y & 63));
    if (op == ">>") return a >> (y & 63);
    if (op == "&") return a & b;
    if (op == "|") return a | b;
    if (op == "^") return a ^ b;
    return 0;
  }

  long long comma() {
    long long v = assignment();
    while (at(",")) {
      next();
      v = assignment();
    }
    return v;
  }

  long long assignment() {
    if (m_kind == ID) {
      // Looks past the name for an assignment operator.
      const size_t pos = m_pos, last = m_last;
      const std::string name = m_text;
      next();
      static const char* const ASSIGN[] = {"=", "*=", "/=", "%=", "+=", "-=", "<<=", ">>=", "&=", "^=", "|="};
      for (const char* op : ASSIGN) {
        if (!at(op)) continue;
        const level guard(*this);  // a = b = c ...
        const std::string binary = m_text.substr(0, m_text.size() - 1);
        next();
        const size_t operand_start = m_last;
        const long long rhs = assignment();
        const long long v = binary.empty() ? rhs : apply(binary, variable(name), rhs, operand_start);
        store(name, v);
        return v;
      }
      m_pos = pos;
      m_last = last;
      m_kind = ID;
      m_text = name;
    }
    const long long v = conditional();
    if (m_kind == OP && m_text.size() >= 1 && m_text.back() == '=' && m_text != "==" && m_text != "!=" &&
        m_text != "<=" && m_text != ">=")
      fail("attempted assignment to non-variable");
    return v;
  }

  long long conditional() {
    const long long c = binary(1);
    if (!at("?")) return c;
    const level guard(*this);  // a ? b : c ? d : e ...
    next();
    if (!c) ++m_noeval;
    const long long a = comma();
    if (!c) --m_noeval;
    if (!at(":")) fail("`:' expected for conditional expression");
    next();
    if (c) ++m_noeval;
    const long long b = conditional();
    if (c) --m_noeval;
    return c ? a : b;
  }

  // The binary operators' precedence, loosest 1 (||) to tightest 10 (* / %); 0 when
  // the token is none of them.
  int precedence() const {
    if (m_kind != OP) return 0;
    static const std::pair<const char*, int> TABLE[] = {
        {"||", 1}, {"&&", 2}, {"|", 3},  {"^", 4},  {"&", 5}, {"==", 6}, {"!=", 6}, {"<", 7},  {">", 7},
        {"<=", 7}, {">=", 7}, {"<<", 8}, {">>", 8}, {"+", 9}, {"-", 9},  {"*", 10}, {"/", 10}, {"%", 10}};
    for (const auto& [op, prec] : TABLE)
      if (m_text == op) return prec;
    return 0;
  }

  // Precedence climbing over || && | ^ & == != < > <= >= << >> + - * / %, all left
  // associative: one frame per operator rather than one per level, for the stack.
  long long binary(int min_precedence) {
    long long v = power();
    for (int prec; (prec = precedence()) >= min_precedence && prec > 0;) {
      const std::string op = m_text;
      next();
      const size_t operand_start = m_last;
      // The side of && and || not taken is parsed without effects (expr.c noeval).
      const bool skip = (op == "&&" && !v) || (op == "||" && v);
      if (skip) ++m_noeval;
      const long long r = binary(prec + 1);
      if (skip) --m_noeval;
      if (op == "||")
        v = v || r;
      else if (op == "&&")
        v = v && r;
      else if (op == "==")
        v = v == r;
      else if (op == "!=")
        v = v != r;
      else if (op == "<")
        v = v < r;
      else if (op == ">")
        v = v > r;
      else if (op == "<=")
        v = v <= r;
      else if (op == ">=")
        v = v >= r;
      else
        v = apply(op, v, r, operand_start);
    }
    return v;
  }

  long long power() {
    const long long base = unary();
    if (!at("**")) return base;
    const level guard(*this);  // a ** b ** c ...
    next();
    const long long e = power();
    if (e < 0) fail("exponent less than 0");
    u64 v = 1, b = static_cast<u64>(base);  // by squaring, wrapping like bash's loop
    for (long long n = e; n; n >>= 1, b *= b)
      if (n & 1) v *= b;
    return static_cast<long long>(v);
  }

  long long unary() {
    if (at("!") || at("~") || at("-") || at("+")) {
      const level guard(*this);  // - - - 1
      const char op = m_text[0];
      next();
      const long long v = unary();
      return op == '!' ? !v : op == '~' ? ~v : op == '-' ? static_cast<long long>(0 - static_cast<u64>(v)) : v;
    }
    if (at("++") || at("--")) {  // before a name
      const long long step = m_text[0] == '+' ? 1 : -1;
      next();
      const std::string name = m_text;
      next();
      const long long v = static_cast<long long>(static_cast<u64>(variable(name)) + static_cast<u64>(step));
      store(name, v);
      return v;
    }
    return primary();
  }

  long long primary() {
    if (m_kind == NUM) {
      const long long v = number(m_text);
      next();
      return v;
    }
    if (m_kind == ID) {
      const std::string name = m_text;
      const long long v = variable(name);
      next();
      if (at("++") || at("--")) {
        store(name, static_cast<long long>(static_cast<u64>(v) + (m_text[0] == '+' ? 1ULL : ~0ULL)));
        next();
      }
      return v;
    }
    if (at("(")) {
      const level guard(*this);
      next();
      const long long v = comma();
      if (!at(")")) fail("missing `)'");
      next();
      return v;
    }
    fail("syntax error: operand expected");
  }

  const std::string& m_expr;
  const arith_vars& m_vars;
  size_t m_pos = 0;
  size_t m_last = 0;  // where the last token read starts (expr.c lasttp)
  kind_t m_kind = END;
  std::string m_text;
  int m_noeval = 0;
};

}  // namespace

long long arith_eval(const std::string& expression, const arith_vars& vars) {
  if (vars.nesting) return evaluator(expression, vars).run();
  int nesting = 0;
  arith_vars counted = vars;
  counted.nesting = &nesting;
  return evaluator(expression, counted).run();
}

}  // namespace iovsim::host::shell_impl
