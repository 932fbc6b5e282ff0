// The host shell's parser: recursive descent over shell_lex.cpp's tokens for the part
// of bash(1) SHELL GRAMMAR the simulated shell runs. The syntax errors are bash 5.2's
// words for the same lines.
#include <algorithm>
#include <cstring>

#include "drivers-sim/userland/shell/shell_syntax.h"

namespace iovsim::host::shell_impl {

namespace {

bool is_redirect_op(const std::string& op) {
  return op == ">" || op == ">>" || op == "<" || op == ">&" || op == "&>" || op == "&>>" || op == "<&";
}

class parser {
 public:
  explicit parser(const std::vector<token>& tokens) : m_t(tokens) {}

  list parse_all() {
    list l = parse_list();
    if (!at_end()) throw unexpected();
    return l;
  }

 private:
  bool at_end() const { return m_i >= m_t.size(); }
  bool is_word(const char* w) const { return !at_end() && !m_t[m_i].is_op && m_t[m_i].word == w; }
  bool is_op(const char* o) const { return !at_end() && m_t[m_i].is_op && m_t[m_i].op == o; }
  void skip_newlines() {
    while (is_op("\n")) ++m_i;
  }

  syntax_error unexpected() const {
    if (at_end()) return syntax_error{"syntax error: unexpected end of file"};
    const token& t = m_t[m_i];
    const std::string text = !t.is_op ? t.word : t.op == "\n" ? "newline" : t.op;
    return syntax_error{"syntax error near unexpected token `" + text + "'"};
  }

  // Where a list inside a compound command ends: the reserved word that goes on.
  bool at_list_end() const {
    if (at_end() || is_op(")") || is_op(";;")) return true;
    static const char* const ENDS[] = {"then", "else", "elif", "fi", "do", "done", "}", "esac"};
    return std::any_of(std::begin(ENDS), std::end(ENDS), [&](const char* w) { return is_word(w); });
  }

  void expect_word(const char* w) {
    if (!is_word(w)) throw unexpected();
    ++m_i;
  }

  // A list that a compound command requires: bash refuses an empty one.
  list parse_body() {
    list l = parse_list();
    if (l.empty()) throw unexpected();
    return l;
  }

  list parse_list() {
    list l;
    std::string connector;
    skip_newlines();
    while (!at_list_end()) {
      l.push_back(list_item{parse_pipeline(), connector});
      if (at_end()) break;
      const token& t = m_t[m_i];
      if (!t.is_op) throw unexpected();  // a word after a compound command
      if (t.op == ";" || t.op == "\n") {
        ++m_i;
        connector = ";";
        skip_newlines();
      } else if (t.op == "&&" || t.op == "||") {
        connector = t.op;
        ++m_i;
        skip_newlines();
        if (at_list_end()) throw unexpected();
      } else if (t.op == "&") {
        throw syntax_error{"&: background jobs are not supported by the simulated shell"};
      } else {
        break;  // ")" or a stray operator: the caller decides
      }
    }
    return l;
  }

  pipeline parse_pipeline() {
    pipeline p;
    for (; is_word("!"); ++m_i) p.negate = !p.negate;
    for (;;) {
      p.stages.push_back(parse_command());
      if (is_op("|&")) p.stages.back().redirects.push_back(redirect{2, ">&", "1"});  // bash(1) Pipelines
      if (!is_op("|") && !is_op("|&")) break;
      ++m_i;
      skip_newlines();
    }
    return p;
  }

  void parse_redirect(command& c) {
    const token& t = m_t[m_i++];
    if (t.op == "<&") throw syntax_error{"syntax error near unexpected token `<&'"};
    if (at_end()) throw syntax_error{"syntax error near unexpected token `newline'"};
    if (m_t[m_i].is_op) throw unexpected();
    const int fd = t.fd >= 0 ? t.fd : (t.op == "<" ? 0 : (t.op[0] == '&' ? -1 : 1));
    c.redirects.push_back(redirect{fd, t.op, m_t[m_i++].word});
  }

  command parse_command() {
    if (at_end()) throw unexpected();
    const reader_nesting level;
    command c;
    if (is_op("((")) {
      c.type = command::kind::arith;
      c.words.push_back(m_t[m_i++].word);
    } else if (is_op("(")) {
      ++m_i;
      c.type = command::kind::subshell;
      c.body = parse_body();
      if (!is_op(")")) throw unexpected();
      ++m_i;
    } else if (is_word("if")) {
      parse_if(c);
    } else if (is_word("for")) {
      parse_for(c);
    } else if (is_word("while") || is_word("until")) {
      c.type = is_word("while") ? command::kind::while_clause : command::kind::until_clause;
      ++m_i;
      if_branch b;
      b.condition = parse_body();
      expect_word("do");
      c.body = parse_body();
      expect_word("done");
      c.branches.push_back(std::move(b));
    } else if (is_word("[[")) {
      parse_conditional(c);
    } else if (is_word("case")) {
      parse_case(c);
    } else if (is_word("{")) {
      ++m_i;
      c.type = command::kind::brace_group;
      c.body = parse_body();
      expect_word("}");
    } else {
      if (at_list_end()) throw unexpected();  // `echo a | fi`
      parse_simple(c);
      return c;
    }
    // A compound command takes redirections after its end, and nothing else.
    while (!at_end() && m_t[m_i].is_op && is_redirect_op(m_t[m_i].op)) parse_redirect(c);
    if (!at_end() && !m_t[m_i].is_op) throw unexpected();
    return c;
  }

  // [[ ... ]]: the tokens up to ]], newlines allowed; the right side of =~ is one
  // word even where it holds ( ) or |, as long as no blank splits it.
  void parse_conditional(command& c) {
    c.type = command::kind::conditional;
    ++m_i;
    enum { NO, NEXT, IN } regex = NO;  // where the right side of =~ is
    for (; !is_word("]]"); ++m_i) {
      if (at_end()) throw syntax_error{"unexpected EOF while looking for `]]'"};
      token t = m_t[m_i];
      if (t.is_op && t.op == "\n") continue;
      const bool regex_part = !t.is_op || t.op == "(" || t.op == ")" || t.op == "|";
      if (regex == IN && regex_part && !t.spaced) {
        c.condition.back().word += t.is_op ? t.op : t.word;
        continue;
      }
      if (regex == NEXT && regex_part && t.is_op) t = token{false, "", -1, t.op, t.spaced};
      regex = !t.is_op && t.word == "=~" ? NEXT : regex == NEXT && regex_part ? IN : NO;
      c.condition.push_back(t);
    }
    ++m_i;
    conditional(c.condition, nullptr);
  }

  // case WORD in [(]PATTERN[|PATTERN]...) LIST;; ... esac (bash(1) Compound Commands).
  void parse_case(command& c) {
    c.type = command::kind::case_clause;
    ++m_i;
    if (at_end() || m_t[m_i].is_op) throw unexpected();
    c.name = m_t[m_i++].word;
    skip_newlines();
    expect_word("in");
    skip_newlines();
    while (!is_word("esac")) {
      if (is_op("(")) ++m_i;
      case_item item;
      for (;;) {
        if (at_end() || m_t[m_i].is_op) throw unexpected();
        item.patterns.push_back(m_t[m_i++].word);
        if (!is_op("|")) break;
        ++m_i;
      }
      if (!is_op(")")) throw unexpected();
      ++m_i;
      item.body = parse_list();  // may be empty
      c.items.push_back(std::move(item));
      if (is_op(";;")) {
        ++m_i;
        skip_newlines();
      } else if (!is_word("esac")) {
        throw unexpected();
      }
    }
    ++m_i;
  }

  void parse_if(command& c) {
    c.type = command::kind::if_clause;
    do {
      ++m_i;  // if, elif
      if_branch b;
      b.condition = parse_body();
      expect_word("then");
      b.body = parse_body();
      c.branches.push_back(std::move(b));
    } while (is_word("elif"));
    if (is_word("else")) {
      ++m_i;
      c.else_body = parse_body();
    }
    expect_word("fi");
  }

  void parse_for(command& c) {
    c.type = command::kind::for_clause;
    ++m_i;
    if (is_op("((")) {
      // for (( init; condition; step )) (bash(1) Compound Commands)
      c.type = command::kind::for_arith;
      const std::string& e = m_t[m_i].word;
      size_t b = 0;
      for (size_t k = 0; k <= e.size(); ++k) {
        if (k < e.size() && e[k] != ';') continue;
        c.words.push_back(e.substr(b, k - b));
        b = k + 1;
      }
      if (c.words.size() != 3) throw syntax_error{"syntax error: arithmetic expression required"};
      ++m_i;
      if (is_op(";")) ++m_i;
      skip_newlines();
      expect_word("do");
      c.body = parse_body();
      expect_word("done");
      return;
    }
    if (at_end() || m_t[m_i].is_op) throw unexpected();
    c.name = m_t[m_i++].word;  // checked when it runs, as bash does
    skip_newlines();
    if (is_word("in")) {
      ++m_i;
      c.has_in = true;
      while (!at_end() && !m_t[m_i].is_op) c.words.push_back(m_t[m_i++].word);
      if (!is_op(";") && !is_op("\n")) throw unexpected();
      ++m_i;
    } else if (is_op(";")) {
      ++m_i;
    }
    skip_newlines();
    expect_word("do");
    c.body = parse_body();
    expect_word("done");
  }

  void parse_simple(command& c) {
    while (!at_end()) {
      const token& t = m_t[m_i];
      if (!t.is_op) {
        if (c.words.empty() && assignment_name_length(t.word))
          c.assignments.push_back(t.word);
        else
          c.words.push_back(t.word);
        ++m_i;
      } else if (is_redirect_op(t.op)) {
        parse_redirect(c);
      } else if (t.op == "(") {
        // `name ( )` starts a function definition (bash(1) Shell Function Definitions).
        if (c.words.size() != 1 || !c.assignments.empty()) throw unexpected();
        ++m_i;
        if (is_op(")")) throw syntax_error{"function definitions are not supported by the simulated shell"};
        throw unexpected();
      } else {
        break;
      }
    }
    if (c.words.empty() && c.assignments.empty() && c.redirects.empty()) throw unexpected();
  }

  const std::vector<token>& m_t;
  size_t m_i = 0;
};

}  // namespace

list parse(const std::vector<token>& tokens) { return parser(tokens).parse_all(); }

}  // namespace iovsim::host::shell_impl
