// test and [ as the shell runs them: bash's built-in (bash(1) SHELL BUILTIN
// COMMANDS, `type test` says "test is a shell builtin"), after bash 5.2's test.c: the
// POSIX rules by argument count (0 to 4 arguments), then the full grammar with ! ( )
// -a -o. Statuses as both bash and GNU coreutils give them (coreutils manual, test
// invocation): 0 true, 1 false, 2 error. The messages are bash's, which is what a
// user typing `[ 1 -eq x ]` at a bash prompt sees ("-bash: [: x: integer expression
// expected"); coreutils' /usr/bin/test words them differently.
#include <fmt/format.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "drivers-sim/userland/shell/shell_impl.h"

namespace iovsim::host::shell_impl {
namespace {

struct test_error {
  std::string message;
};

// bash's legal_number: optional blanks, a sign, digits, blanks; no overflow.
bool legal_number(const std::string& s, long long& v) {
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  const bool negative = i < s.size() && s[i] == '-';
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  const size_t digits = i;
  unsigned long long u = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    const unsigned d = static_cast<unsigned>(s[i] - '0');
    if (u > (static_cast<unsigned long long>(LLONG_MAX) + 1 - d) / 10) return false;
    u = u * 10 + d;
  }
  if (i == digits) return false;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  if (i != s.size() || (!negative && u > static_cast<unsigned long long>(LLONG_MAX))) return false;
  v = negative ? static_cast<long long>(0 - u) : static_cast<long long>(u);
  return true;
}

bool is_binary_op(const std::string& op) {
  static const char* const OPS[] = {"=",   "==",  "!=",  "<",   ">",   "-eq", "-ne",
                                    "-lt", "-le", "-gt", "-ge", "-nt", "-ot", "-ef"};
  for (const char* o : OPS)
    if (op == o) return true;
  return false;
}

class evaluator {
 public:
  // `argc` leaves out the closing ] of `[`, which stays in argv as in test.c.
  evaluator(context& ctx, const argv_t& args, size_t argc) : m_ctx(ctx), m_argv(args), m_argc(argc) {}

  bool run() {
    m_pos = 1;
    if (m_pos >= m_argc) return false;
    const bool value = posix_test();
    if (m_pos != m_argc) {
      if (m_argv[m_pos][0] == '-') throw test_error{"syntax error: `" + m_argv[m_pos] + "' unexpected"};
      throw test_error{"too many arguments"};
    }
    return value;
  }

 private:
  const std::string& arg(size_t k) const { return m_argv[k]; }

  void advance(bool need_more) {
    ++m_pos;
    if (need_more && m_pos >= m_argc) throw test_error{"argument expected"};
  }

  bool posix_test() {
    switch (m_argc - 1) {
      case 1:
        m_pos = m_argc;
        return !arg(1).empty();
      case 2: {
        const bool v = two_arguments();
        m_pos = m_argc;
        return v;
      }
      case 3:
        return three_arguments();
      case 4:
        if (arg(m_pos) == "!") {
          advance(true);
          return !three_arguments();
        }
        if (arg(m_pos) == "(" && arg(m_argc - 1) == ")") {
          advance(true);
          const bool v = two_arguments();
          m_pos = m_argc;
          return v;
        }
        [[fallthrough]];
      default:
        return expr();
    }
  }

  bool two_arguments() {
    if (arg(m_pos) == "!") return arg(m_pos + 1).empty();
    if (is_unary_op(arg(m_pos))) return unary_operator();
    throw test_error{arg(m_pos) + ": unary operator expected"};
  }

  bool three_arguments() {
    bool v;
    const std::string& op = arg(m_pos + 1);
    if (is_binary_op(op)) {
      v = binary_operator();
    } else if (op == "-a" || op == "-o") {
      const bool a = !arg(m_pos).empty(), b = !arg(m_pos + 2).empty();
      v = op == "-a" ? a && b : a || b;
    } else if (arg(m_pos) == "!") {
      advance(true);
      v = !two_arguments();
    } else if (arg(m_pos) == "(" && arg(m_pos + 2) == ")") {
      v = !arg(m_pos + 1).empty();
    } else {
      throw test_error{op + ": binary operator expected"};
    }
    m_pos = m_argc;
    return v;
  }

  bool expr() {
    if (m_pos >= m_argc) throw test_error{"argument expected"};
    return or_expr();
  }

  bool or_expr() {
    const bool v = and_expr();
    if (m_pos < m_argc && arg(m_pos) == "-o") {
      advance(false);
      const bool w = or_expr();
      return v || w;
    }
    return v;
  }

  bool and_expr() {
    const bool v = term();
    if (m_pos < m_argc && arg(m_pos) == "-a") {
      advance(false);
      const bool w = and_expr();
      return v && w;
    }
    return v;
  }

  bool term() {
    if (m_pos >= m_argc) throw test_error{"argument expected"};
    if (arg(m_pos) == "!") {
      bool negate = false;
      while (m_pos < m_argc && arg(m_pos) == "!") {
        advance(true);
        negate = !negate;
      }
      return negate ? !term() : term();
    }
    if (arg(m_pos) == "(") {
      advance(true);
      const bool v = expr();
      if (m_pos >= m_argv.size()) throw test_error{"`)' expected"};
      if (arg(m_pos) != ")") throw test_error{"`)' expected, found " + arg(m_pos)};
      advance(false);
      return v;
    }
    if (m_pos + 3 <= m_argc && is_binary_op(arg(m_pos + 1))) return binary_operator();
    if (m_pos + 2 <= m_argc && is_unary_op(arg(m_pos))) return unary_operator();
    const bool v = !arg(m_pos).empty();
    advance(false);
    return v;
  }

  bool binary_operator() {
    const std::string &a = arg(m_pos), &op = arg(m_pos + 1), &b = arg(m_pos + 2);
    m_pos += 3;
    if (op == "=" || op == "==") return a == b;
    if (op == "!=") return a != b;
    if (op == "<") return a < b;  // the C locale: bytes
    if (op == ">") return a > b;
    if (op == "-nt" || op == "-ot") return false;  // the simulated files have no times
    if (op == "-ef") return m_ctx.exists(a) && m_ctx.exists(b) && m_ctx.resolve(a) == m_ctx.resolve(b);
    long long x, y;
    if (!legal_number(a, x)) throw test_error{a + ": integer expression expected"};
    if (!legal_number(b, y)) throw test_error{b + ": integer expression expected"};
    if (op == "-eq") return x == y;
    if (op == "-ne") return x != y;
    if (op == "-lt") return x < y;
    if (op == "-le") return x <= y;
    if (op == "-gt") return x > y;
    return x >= y;
  }

  bool unary_operator() {
    const std::string op = arg(m_pos);
    advance(true);
    const std::string& a = arg(m_pos);
    advance(false);
    return test_unary(m_ctx, op, a);
  }

  context& m_ctx;
  const argv_t& m_argv;
  size_t m_argc;
  size_t m_pos = 1;
};

}  // namespace

bool is_unary_op(const std::string& op) {
  return op.size() == 2 && op[0] == '-' && std::strchr("abcdefghknoprstuvwxzGLNOS", op[1]);
}

bool test_unary(context& ctx, const std::string& op, const std::string& a) {
  switch (op[1]) {
    case 'n':
      return !a.empty();
    case 'z':
      return a.empty();
    case 'v':
      return ctx.vars && ctx.vars->count(a) > 0;
    case 't':
      return false;  // no descriptor is a terminal
    case 'o':
      return false;  // no shell options
    default:
      break;
  }
  if (a.empty()) return false;
  const file_info link = stat_file(ctx, a, false);
  if (op == "-L" || op == "-h") return link.error == 0 && link.type == 'l';
  const file_info f = stat_file(ctx, a, true);
  if (f.error) return false;
  switch (op[1]) {
    case 'e':
    case 'a':
      return true;
    case 'f':
      return f.type == '-';
    case 'd':
      return f.type == 'd';
    case 's':
      return f.size > 0;
    // root may read and write any file (capabilities(7) CAP_DAC_OVERRIDE), and
    // execute it when any x bit is set.
    case 'r':
    case 'w':
      return true;
    case 'x':
      return f.type == 'd' || (f.mode & 0111) != 0;
    case 'O':
    case 'G':
      return true;  // root owns every simulated file
    default:
      return false;  // -b -c -p -S -g -u -k -N: no such files here
  }
}

cmd_result test(context& ctx, const argv_t& argv, const std::string&) {
  const std::string& cmd = argv[0];
  size_t argc = argv.size();
  try {
    if (cmd == "[") {
      if (argv.back() != "]" || argc < 2) throw test_error{"missing `]'"};
      --argc;
    }
    return cmd_result{evaluator(ctx, argv, argc).run() ? 0 : 1, "", "", ""};
  } catch (const test_error& e) {
    return cmd_result{2, "", "-bash: " + cmd + ": " + e.message + "\n", ""};
  }
}

}  // namespace iovsim::host::shell_impl
