// The host shell's word expansion, in bash's order (bash(1) EXPANSION): parameter and
// variable expansion, command substitution and arithmetic expansion left to right,
// then word splitting on IFS, pathname expansion and quote removal; ${...} is in
// shell_param.cpp. Not done: brace and tilde expansion, positional parameters (there
// are none: $1 and $@ are empty, $# is 0).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "drivers-sim/userland/shell/shell_arith.h"
#include "drivers-sim/userland/shell/shell_runner.h"

namespace iovsim::host {
namespace {

// A variable's value may not grow past this: `x=$x$x` in a loop stops with an error
// long before it exhausts memory.
constexpr size_t MAX_VALUE_BYTES = 16 << 20;

// $'...': backslash escapes as in C (bash(1) QUOTING).
std::string ansi_c(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    const char c = s[++i];
    static const char FROM[] = "abeEfnrtv\\'\"?", TO[] = "\a\b\x1b\x1b\f\n\r\t\v\\'\"?";
    if (const char* p = std::strchr(FROM, c); p && c) {
      out += TO[p - FROM];
    } else if (c >= '0' && c <= '7') {
      int v = c - '0';
      for (int k = 0; k < 2 && i + 1 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '7'; ++k) v = v * 8 + (s[++i] - '0');
      out += static_cast<char>(v);
    } else if (c == 'x' && i + 1 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1]))) {
      int v = 0;
      for (int k = 0; k < 2 && i + 1 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])); ++k)
        v = v * 16 + (std::isdigit(static_cast<unsigned char>(s[i + 1])) ? s[++i] - '0' : (s[++i] | 0x20) - 'a' + 10);
      out += static_cast<char>(v);
    } else if (c == 'c' && i + 1 < s.size()) {
      out += static_cast<char>(s[++i] & 0x1f);  // \cX: control-X
    } else {
      out += '\\';
      out += c;
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> shell::runner::expand_fields(const std::string& word) {
  expanded x;
  expand_into(word, 0, word.size(), false, x);
  return split_fields(x);
}

std::string shell::runner::expand_text(const std::string& word) {
  expanded x;
  expand_into(word, 0, word.size(), false, x);
  return x.text();
}

void shell::runner::expand_into(const std::string& s, size_t b, size_t e, bool in_dquotes, expanded& out) {
  const unsigned char literal = in_dquotes ? QUOTED : 0;
  for (size_t i = b; i < e;) {
    const char c = s[i];
    if (c == '\'' && !in_dquotes) {
      const size_t end = s.find('\'', i + 1);
      out.mark();
      out.add(s.substr(i + 1, end - i - 1), QUOTED);
      i = end + 1;
    } else if (c == '"' && !in_dquotes) {
      size_t end = i + 1;  // the tokenizer checked that it closes
      while (s[end] != '"')
        end = s[end] == '\\'                     ? end + 2
              : (s[end] == '$' || s[end] == '`') ? shell_impl::skip_expansion(s, end)
                                                 : end + 1;
      // "$@" without positional parameters is no word at all (bash(1) Special Parameters).
      const std::string inner = s.substr(i + 1, end - i - 1);
      if (inner != "$@" && inner != "${@}") {
        out.mark();
        expand_into(s, i + 1, end, true, out);
      }
      i = end + 1;
    } else if (c == '$' && !in_dquotes && i + 1 < e && s[i + 1] == '\'') {
      const size_t end = shell_impl::skip_ansi_c(s, i);
      out.mark();
      out.add(ansi_c(s.substr(i + 2, end - i - 3)), QUOTED);
      i = end;
    } else if (c == '\\') {
      // Unquoted, \ quotes any character; in "...", only $ ` " \ and newline.
      if (i + 1 >= e) {
        out.add('\\', QUOTED);  // bash keeps a trailing backslash
        ++i;
      } else if (s[i + 1] == '\n') {
        i += 2;  // line continuation
      } else if (!in_dquotes || std::strchr("$`\"\\", s[i + 1])) {
        out.add(s[i + 1], QUOTED);
        i += 2;
      } else {
        out.add('\\', QUOTED);
        ++i;
      }
    } else if (c == '$' || c == '`') {
      i = expand_dollar(s, i, in_dquotes, out);
    } else {
      out.add(c, literal);
      ++i;
    }
  }
}

size_t shell::runner::expand_dollar(const std::string& s, size_t i, bool in_dquotes, expanded& out) {
  const unsigned char from_expansion = in_dquotes ? QUOTED : SPLIT;
  if (s[i] == '`') {
    // Old-style substitution: \ quotes only $ ` and \ inside (bash(1) Command Substitution).
    const size_t end = shell_impl::skip_expansion(s, i);
    std::string text;
    for (size_t k = i + 1; k + 1 < end; ++k) {
      if (s[k] == '\\' && k + 2 < end && std::strchr("$`\\", s[k + 1])) ++k;
      text += s[k];
    }
    out.add(command_substitution(text), from_expansion);
    return end;
  }
  const char next = i + 1 < s.size() ? s[i + 1] : '\0';
  if (next == '(' || next == '{') {
    const size_t end = shell_impl::skip_expansion(s, i);
    if (next == '{')
      expand_braces(s.substr(i + 2, end - i - 3), in_dquotes, out);
    else if (s[i + 2] == '(')
      out.add(arithmetic(s.substr(i + 3, end - i - 5)), from_expansion);
    else
      out.add(command_substitution(s.substr(i + 2, end - i - 3)), from_expansion);
    return end;
  }
  if (next == '_' || std::isalpha(static_cast<unsigned char>(next))) {
    size_t end = i + 1;
    while (end < s.size() && (s[end] == '_' || std::isalnum(static_cast<unsigned char>(s[end])))) ++end;
    auto it = m_shell.m_vars.find(s.substr(i + 1, end - i - 1));
    if (it != m_shell.m_vars.end()) out.add(it->second, from_expansion);
    return end;
  }
  if (next != '\0' && std::strchr("?#@*0123456789", next)) {
    out.add(special_parameter(next), from_expansion);
    return i + 2;
  }
  out.add('$', in_dquotes ? QUOTED : 0);  // a lone $ is itself
  return i + 1;
}

std::string shell::runner::special_parameter(char c) const {
  if (c == '?') return std::to_string(m_shell.m_last_status);
  if (c == '#') return "0";
  if (c == '0') return "-bash";  // a login shell's $0
  return "";                     // no positional parameters
}

std::string shell::runner::command_substitution(const std::string& text) {
  std::string no_input;
  const cmd_result r = run_subshell([&] { return runner(m_shell).run_line(text, no_input); });
  m_subst_err += r.err;
  if (!r.errno_name.empty()) m_subst_errno = r.errno_name;
  m_subst_status = r.status;
  std::string out = r.out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string shell::runner::arithmetic(const std::string& text) {
  long long value = 0;
  std::string error;
  if (!try_arithmetic(text, value, error)) abort_line(error);
  return std::to_string(value);
}

bool shell::runner::try_arithmetic(const std::string& text, long long& value, std::string& error) {
  // The expression is expanded first, as in double quotes (bash(1) Arithmetic Expansion).
  expanded x;
  expand_into(text, 0, text.size(), true, x);
  const std::string expr = x.text();
  shell_impl::arith_vars vars;
  vars.get = [&](const std::string& name) {
    auto it = m_shell.m_vars.find(name);
    return it == m_shell.m_vars.end() ? std::string() : it->second;
  };
  vars.set = [&](const std::string& name, const std::string& v) { set_variable(name, v); };
  vars.nesting = &m_shell.m_nesting;
  vars.max_nesting = MAX_NESTING;
  try {
    value = shell_impl::arith_eval(expr, vars);
    return true;
  } catch (const shell_impl::arith_error& e) {
    error = e.message;
    return false;
  }
}

std::vector<std::string> shell::runner::split_fields(const expanded& x) const {
  auto ifs_it = m_shell.m_vars.find("IFS");
  const std::string ifs = ifs_it == m_shell.m_vars.end() ? " \t\n" : ifs_it->second;
  std::vector<expanded> fields;
  expanded cur;
  bool broke_on_space = false;  // IFS white space just ended a field
  auto emit = [&] {
    fields.push_back(cur);
    cur = expanded{};
  };
  // POSIX 2.6.5 Field Splitting: IFS white space runs are one delimiter and merge with
  // an adjacent non-white IFS character; each other IFS character ends a field.
  for (size_t i = 0; i < x.chars.size(); ++i) {
    const char c = x.chars[i];
    if (x.is(i, SPLIT) && ifs.find(c) != std::string::npos) {
      if (c == ' ' || c == '\t' || c == '\n') {
        if (!cur.chars.empty()) {
          emit();
          broke_on_space = true;
        }
      } else if (broke_on_space) {
        broke_on_space = false;
      } else {
        emit();
      }
      continue;
    }
    cur.add(c, static_cast<unsigned char>(x.flags[i]));
    broke_on_space = false;
  }
  if (!cur.chars.empty()) emit();

  std::vector<std::string> words;
  for (const auto& f : fields) {
    std::string pattern;
    bool has_glob = false;
    for (size_t i = 0; i < f.chars.size(); ++i) {
      const char c = f.chars[i];
      if (f.is(i, MARK)) continue;
      if (f.is(i, QUOTED) && std::strchr("*?[]\\", c))
        pattern += '\\';
      else if (c == '*' || c == '?' || (c == '[' && f.chars.find(']', i + 1) != std::string::npos))
        has_glob = true;
      pattern += c;
    }
    if (has_glob) {
      auto paths = shell_impl::glob(m_ctx, pattern);
      if (!paths.empty()) {
        for (auto& p : paths) words.push_back(std::move(p));
        continue;
      }
    }
    words.push_back(f.text());
  }
  return words;
}

void shell::runner::set_variable(const std::string& name, const std::string& value) {
  if (value.size() > MAX_VALUE_BYTES)
    abort_line(fmt::format("{}: value of {} bytes is over the simulated shell's limit of {}", name, value.size(),
                           MAX_VALUE_BYTES));
  m_shell.m_vars[name] = value;
}

void shell::runner::assign(const std::string& word) {
  const size_t n = shell_impl::assignment_name_length(word);
  const std::string name = word.substr(0, n);
  const bool append = word[n] == '+';
  const std::string value = expand_text(word.substr(n + (append ? 2 : 1)));
  set_variable(name, append ? m_shell.m_vars[name] + value : value);
}

}  // namespace iovsim::host
