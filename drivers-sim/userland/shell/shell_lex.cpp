// The host shell's tokens (bash(1) QUOTING, DEFINITIONS): words kept as typed, with
// their quotes and expansions, and the operators; the parser is shell_parse.cpp.
#include <algorithm>
#include <cctype>
#include <cstring>

#include "drivers-sim/userland/shell/shell_syntax.h"

namespace iovsim::host::shell_impl {

void check_substitutions(const std::string& w);

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }
bool is_operator_char(char c) { return c != '\0' && std::strchr("|&;<>()\n", c) != nullptr; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

syntax_error eof_looking_for(char c) {
  return syntax_error{std::string("unexpected EOF while looking for matching `") + c + "'"};
}

// At a quote: the index after the matching one.
size_t skip_single(const std::string& s, size_t i) {
  const size_t end = s.find('\'', i + 1);
  if (end == std::string::npos) throw eof_looking_for('\'');
  return end + 1;
}

// Inside "...", \ quotes only $ ` " \ and newline, and $(...) nests its own quotes.
size_t skip_double(const std::string& s, size_t i) {
  for (size_t k = i + 1; k < s.size();) {
    const char c = s[k];
    if (c == '"') return k + 1;
    if (c == '\\')
      k += 2;
    else if (c == '$' || c == '`')
      k = skip_expansion(s, k);
    else
      ++k;
  }
  throw eof_looking_for('"');
}

// Whether a word here would be a command name (or `for`'s first word).
bool command_position(const std::vector<token>& before) {
  if (before.empty()) return true;
  const token& t = before.back();
  if (t.is_op) return t.op != ">" && t.op != ">>" && t.op != "<" && t.op != ">&" && t.op != "&>" && t.op != "&>>";
  static const char* const WORDS[] = {"do", "then", "else", "elif", "if", "while", "until", "!", "{", "for"};
  return std::any_of(std::begin(WORDS), std::end(WORDS), [&](const char* w) { return t.word == w; });
}

}  // namespace

// bash parses the command substitutions of a word with the line that holds it, so
// their syntax errors refuse the line. Each is parsed once, nested ones by the parse
// of the one around them.
void check_substitutions(const std::string& w) {
  bool in_dquotes = false;
  for (size_t i = 0; i < w.size();) {
    const char c = w[i];
    if (c == '\\') {
      i += 2;
    } else if (c == '"') {
      in_dquotes = !in_dquotes;
      ++i;
    } else if (c == '\'' && !in_dquotes) {
      i = skip_single(w, i);
    } else if (c == '$' && i + 2 < w.size() && w[i + 1] == '(' && w[i + 2] != '(') {
      const size_t end = skip_expansion(w, i);
      parse(tokenize(w.substr(i + 2, end - i - 3)));
      i = end;
    } else if (c == '$' && i + 1 < w.size() && w[i + 1] == '\'' && !in_dquotes) {
      i = skip_ansi_c(w, i);
    } else if (c == '$' && i + 2 < w.size() && w[i + 1] == '(') {
      i = skip_expansion(w, i);  // $((...)): arithmetic, not commands
    } else {
      ++i;
    }
  }
}

size_t skip_ansi_c(const std::string& s, size_t i) {
  for (size_t k = i + 2; k < s.size(); ++k) {
    if (s[k] == '\\')
      ++k;
    else if (s[k] == '\'')
      return k + 1;
  }
  throw eof_looking_for('\'');
}

size_t skip_expansion(const std::string& s, size_t i) {
  const reader_nesting level;
  const size_t n = s.size();
  if (s[i] == '`') {
    for (size_t k = i + 1; k < n; ++k) {
      if (s[k] == '\\')
        ++k;
      else if (s[k] == '`')
        return k + 1;
    }
    throw eof_looking_for('`');
  }
  if (i + 1 >= n || (s[i + 1] != '(' && s[i + 1] != '{')) return i + 1;
  return skip_group(s, i + 1);
}

size_t skip_group(const std::string& s, size_t i) {
  const size_t n = s.size();
  const char open = s[i], close = open == '(' ? ')' : '}';
  int depth = 1;
  for (size_t k = i + 1; k < n;) {
    const char c = s[k];
    if (c == '\'' && open == '(') {
      k = skip_single(s, k);
    } else if (c == '"') {
      k = skip_double(s, k);
    } else if (c == '\\') {
      k += 2;
    } else if (c == '$' && k + 1 < n && s[k + 1] == '\'') {
      k = skip_ansi_c(s, k);
    } else if ((c == '$' || c == '`') && k + 1 < n) {
      k = skip_expansion(s, k);
    } else {
      if (c == open) ++depth;
      if (c == close && --depth == 0) return k + 1;
      ++k;
    }
  }
  throw eof_looking_for(close);
}

std::vector<token> tokenize(const std::string& s) {
  static const char* const OPS[] = {"&>>", "||", "&&", ";;", ">>", ">&", ">|", "<<", "<&", "&>",
                                    "|&",  "|",  "&",  ";",  ">",  "<",  "(",  ")",  "\n"};
  std::vector<token> out;
  const size_t n = s.size();
  size_t i = 0;
  int pending_fd = -1;  // "2>": a word of digits right before a redirection operator is its fd
  bool spaced = false;  // blanks since the last token
  auto push = [&](token t) {
    t.spaced = spaced;
    spaced = false;
    out.push_back(std::move(t));
  };
  while (i < n) {
    const char c = s[i];
    if (is_blank(c)) {
      ++i;
      spaced = true;
    } else if (c == '#') {
      while (i < n && s[i] != '\n') ++i;  // a comment runs to the end of the line
    } else if (c == '\\' && i + 1 < n && s[i + 1] == '\n') {
      i += 2;  // line continuation
    } else if (c == '(' && s.compare(i, 2, "((") == 0 && command_position(out) && s[skip_group(s, i) - 2] == ')') {
      // (( expression )): bash(1) Compound Commands, the arithmetic command; else
      // `((cmd) )` is two subshells.
      const size_t end = skip_group(s, i);
      push(token{true, "((", -1, s.substr(i + 2, end - i - 4)});
      i = end;
    } else if (is_operator_char(c)) {
      token t{true, "", pending_fd, ""};
      pending_fd = -1;
      for (const char* op : OPS) {
        if (s.compare(i, std::strlen(op), op) == 0) {
          t.op = op;
          break;
        }
      }
      i += t.op.size();
      if (t.op == ">|") t.op = ">";
      push(t);
    } else {
      const size_t b = i;
      while (i < n && !is_blank(s[i]) && !is_operator_char(s[i])) {
        if (s[i] == '\'')
          i = skip_single(s, i);
        else if (s[i] == '"')
          i = skip_double(s, i);
        else if (s[i] == '\\')
          i = std::min(n, i + 2);
        else if (s[i] == '$' && i + 1 < n && s[i + 1] == '\'')
          i = skip_ansi_c(s, i);
        else if (s[i] == '$' || s[i] == '`')
          i = skip_expansion(s, i);
        else
          ++i;
      }
      std::string w = s.substr(b, i - b);
      check_substitutions(w);
      if (i < n && (s[i] == '<' || s[i] == '>') && w.size() <= 2 && std::all_of(w.begin(), w.end(), is_digit)) {
        pending_fd = std::stoi(w);
        continue;
      }
      push(token{false, "", -1, std::move(w)});
    }
  }
  return out;
}

bool valid_name(const std::string& name) {
  if (name.empty() || is_digit(name[0])) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return c == '_' || is_digit(c) || std::isalpha(static_cast<unsigned char>(c)); });
}

size_t assignment_name_length(const std::string& word) {
  const size_t eq = word.find('=');
  if (eq == std::string::npos || eq == 0) return 0;
  const size_t len = word[eq - 1] == '+' ? eq - 1 : eq;  // NAME+=value appends
  return valid_name(word.substr(0, len)) ? len : 0;
}

}  // namespace iovsim::host::shell_impl
