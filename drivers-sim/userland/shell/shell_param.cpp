// The host shell's ${...} (bash(1) Parameter Expansion): ${NAME}, ${#NAME}, the
// default forms :- := :+ :? (and without the colon, where only unset counts), prefix
// and suffix removal # ## % %%, substrings ${NAME:offset:length}, replacement
// ${NAME/pattern/string} with // /# /%, and case changes ^^ ^ ,, ,.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "drivers-sim/userland/shell/shell_runner.h"

namespace iovsim::host {
namespace {

// Glob matching over a value is polynomial in its length: a line may spend this many
// characters of matching in one expansion, so none can hang the simulation.
constexpr size_t GLOB_BUDGET_CHARS = 64 << 20;

bool has_glob(const std::string& pattern) {
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\')
      ++i;
    else if (std::strchr("*?[", pattern[i]))
      return true;
  }
  return false;
}

std::string unescape(const std::string& pattern) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\' && i + 1 < pattern.size()) ++i;
    out += pattern[i];
  }
  return out;
}

// fnmatch(3) of pieces of one value against one pattern, within the budget.
class matcher {
 public:
  matcher(std::string pattern, std::string shown) : m_pattern(std::move(pattern)), m_shown(std::move(shown)) {}
  bool operator()(const std::string& piece) {
    if (piece.size() + 1 > m_budget)
      abort_line(m_shown + ": pattern matching stopped (the simulated shell's limit of 64 MiB of comparisons)");
    m_budget -= piece.size() + 1;
    return shell_impl::glob_match(m_pattern.c_str(), piece.c_str(), false);
  }

 private:
  std::string m_pattern, m_shown;
  size_t m_budget = GLOB_BUDGET_CHARS;
};

// The end of the first `stop` character outside quotes and parentheses, or npos.
size_t find_unquoted(const std::string& s, char stop, size_t from = 0) {
  int depth = 0;
  for (size_t i = from; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '\\')
      ++i;
    else if (c == '\'')
      i = s.find('\'', i + 1) == std::string::npos ? s.size() : s.find('\'', i + 1);
    else if (c == '(')
      ++depth;
    else if (c == ')')
      --depth;
    else if (c == stop && depth == 0)
      return i;
  }
  return std::string::npos;
}

}  // namespace

std::string shell::runner::pattern_of(const std::string& word, bool /*in_dquotes*/) {
  // Double quotes around the whole ${...} do not quote its pattern: bash 5.2 gives
  // "${x%.*}" = "${x%.$y}" (y='*') = a.b for x=a.b.c; only quotes written inside the
  // pattern make it literal ("${x%".*"}" = a.b.c). So the word expands as unquoted
  // text, where its own quotes still mark what they hold.
  expanded p;
  expand_into(word, 0, word.size(), false, p);
  std::string pattern;
  for (size_t k = 0; k < p.chars.size(); ++k) {
    if (p.is(k, MARK)) continue;
    if (p.is(k, QUOTED) && std::strchr("*?[]\\", p.chars[k])) pattern += '\\';
    pattern += p.chars[k];
  }
  return pattern;
}

void shell::runner::expand_braces(const std::string& body, bool in_dquotes, expanded& out) {
  nesting_scope level(m_shell.m_nesting);  // ${a:-${b:-...}}
  const unsigned char from_expansion = in_dquotes ? QUOTED : SPLIT;
  const std::string shown = "${" + body + "}";
  auto bad = [&] { abort_line(shown + ": bad substitution"); };
  const bool length = body.size() > 1 && body[0] == '#';
  const std::string rest = length ? body.substr(1) : body;
  size_t n = 0;
  if (!rest.empty() && std::strchr("?#@*0123456789", rest[0])) {
    n = 1;
  } else {
    while (n < rest.size() && (rest[n] == '_' || std::isalnum(static_cast<unsigned char>(rest[n])))) ++n;
    if (n == 0 || std::isdigit(static_cast<unsigned char>(rest[0]))) bad();
  }
  const std::string name = rest.substr(0, n);
  const std::string op = rest.substr(n);
  const bool special = !shell_impl::valid_name(name);
  auto it = m_shell.m_vars.find(name);
  const bool set = special ? name == "?" || name == "#" || name == "0" : it != m_shell.m_vars.end();
  const std::string value = special ? special_parameter(name[0]) : set ? it->second : "";
  if (length) {
    if (!op.empty()) bad();
    out.add(std::to_string(value.size()), from_expansion);
    return;
  }
  if (op.empty()) {
    out.add(value, from_expansion);
    return;
  }
  const bool colon = op[0] == ':';
  const char kind = colon ? (op.size() > 1 ? op[1] : '\0') : op[0];
  if (colon && (kind == '\0' || !std::strchr("-=+?", kind))) {
    out.add(substring(value, op.substr(1)), from_expansion);
    return;
  }
  if (kind != '\0' && std::strchr("-=+?", kind)) {
    const std::string word = op.substr(colon ? 2 : 1);
    const bool use_value = colon ? !value.empty() : set;  // ":" also treats empty as unset
    // The word's unquoted parts are split like the value would be.
    auto add_word = [&] {
      expanded w;
      expand_into(word, 0, word.size(), in_dquotes, w);
      for (size_t k = 0; k < w.chars.size(); ++k)
        out.add(w.chars[k], w.flags[k] == 0 ? from_expansion : static_cast<unsigned char>(w.flags[k]));
    };
    if (kind == '+') {
      if (use_value) add_word();
    } else if (use_value) {
      out.add(value, from_expansion);
    } else if (kind == '-') {
      add_word();
    } else if (kind == '=') {
      if (special) abort_line(fmt::format("${}: cannot assign in this way", name));
      const std::string assigned = expand_text(word);
      set_variable(name, assigned);
      out.add(assigned, from_expansion);
    } else {
      const std::string message = expand_text(word);
      abort_line(name + ": " +
                 (!message.empty() ? message
                  : colon          ? "parameter null or not set"
                                   : "parameter not set"));
    }
    return;
  }
  if (kind == '/') {
    out.add(replace(value, op.substr(1), in_dquotes), from_expansion);
    return;
  }
  if (kind == '^' || kind == ',') {
    // Case changes; a pattern after the operator is not supported: every character.
    const bool all = op.size() > 1 && op[1] == kind;
    std::string result = value;
    for (size_t k = 0; k < result.size() && (all || k == 0); ++k) {
      const auto c = static_cast<unsigned char>(result[k]);
      result[k] = static_cast<char>(kind == '^' ? std::toupper(c) : std::tolower(c));
    }
    out.add(result, from_expansion);
    return;
  }
  if (kind != '#' && kind != '%') bad();
  const bool longest = op.size() > 1 && op[1] == kind;
  const bool prefix = kind == '#';
  const std::string pattern = pattern_of(op.substr(longest ? 2 : 1), in_dquotes);
  std::string result = value;
  if (!has_glob(pattern)) {
    const std::string lit = unescape(pattern);
    const bool hit =
        lit.size() <= value.size() && value.compare(prefix ? 0 : value.size() - lit.size(), lit.size(), lit) == 0;
    if (hit) result = prefix ? value.substr(lit.size()) : value.substr(0, value.size() - lit.size());
    out.add(result, from_expansion);
    return;
  }
  // Shortest or longest prefix (#) or suffix (%) that matches.
  matcher match(pattern, shown);
  for (size_t k = 0; k <= value.size(); ++k) {
    const size_t len = longest ? value.size() - k : k;
    if (match(prefix ? value.substr(0, len) : value.substr(value.size() - len))) {
      result = prefix ? value.substr(len) : value.substr(0, value.size() - len);
      break;
    }
  }
  out.add(result, from_expansion);
}

// ${NAME:offset} and ${NAME:offset:length}: arithmetic offsets, negative ones from
// the end (`${x: -2}`, the space keeps it from being :-).
std::string shell::runner::substring(const std::string& value, const std::string& spec) {
  const size_t colon = find_unquoted(spec, ':');
  const std::string offset_text = spec.substr(0, colon);
  long long offset = 0, length = static_cast<long long>(value.size());
  std::string error;
  if (!try_arithmetic(offset_text, offset, error)) abort_line(error);
  const long long size = static_cast<long long>(value.size());
  if (offset < 0) offset += size;
  if (offset < 0 || offset > size) return "";
  if (colon != std::string::npos) {
    const std::string length_text = spec.substr(colon + 1);
    if (!try_arithmetic(length_text, length, error)) abort_line(error);
    if (length < 0) {
      length += size - offset;
      if (length < 0) abort_line(length_text + ": substring expression < 0");
    }
  }
  return value.substr(static_cast<size_t>(offset), static_cast<size_t>(std::min(length, size - offset)));
}

// ${NAME/pattern/string}: the first longest match replaced; // every match, /# only
// at the start, /% only at the end.
std::string shell::runner::replace(const std::string& value, const std::string& spec_in, bool in_dquotes) {
  char mode = '\0';
  std::string spec = spec_in;
  if (!spec.empty() && (spec[0] == '/' || spec[0] == '#' || spec[0] == '%')) {
    mode = spec[0];
    spec.erase(0, 1);
  }
  const size_t slash = find_unquoted(spec, '/');
  // \/ in the pattern is a slash, not the end of the pattern.
  std::string pattern_text = spec.substr(0, slash);
  for (size_t at; (at = pattern_text.find("\\/")) != std::string::npos;) pattern_text.erase(at, 1);
  const std::string pattern = pattern_of(pattern_text, in_dquotes);
  const std::string replacement = slash == std::string::npos ? "" : expand_text(spec.substr(slash + 1));
  if (pattern.empty()) return value;
  if (!has_glob(pattern)) {
    const std::string lit = unescape(pattern);
    if (mode == '#') return value.compare(0, lit.size(), lit) == 0 ? replacement + value.substr(lit.size()) : value;
    if (mode == '%') {
      const bool hit = lit.size() <= value.size() && value.compare(value.size() - lit.size(), lit.size(), lit) == 0;
      return hit ? value.substr(0, value.size() - lit.size()) + replacement : value;
    }
    std::string result;
    size_t from = 0;
    for (size_t at; (at = value.find(lit, from)) != std::string::npos;) {
      result += value.substr(from, at - from) + replacement;
      from = at + lit.size();
      if (mode != '/') break;
    }
    return result + value.substr(from);
  }
  matcher match(pattern, "${.../" + spec_in + "}");
  std::string result;
  size_t i = 0;
  bool replaced = false;
  while (i <= value.size()) {
    if ((mode == '#' && i > 0) || (replaced && mode != '/')) break;
    size_t match_end = std::string::npos;
    for (size_t j = value.size() + 1; j-- > i;) {  // the longest match from i
      if (mode == '%' && j != value.size()) continue;
      if (match(value.substr(i, j - i))) {
        match_end = j;
        break;
      }
    }
    if (match_end != std::string::npos && (match_end > i || i < value.size())) {
      result += replacement;
      replaced = true;
      if (match_end == i)
        result += value[i++];
      else
        i = match_end;
      continue;
    }
    if (i < value.size()) result += value[i];
    ++i;
  }
  if (i < value.size()) result += value.substr(i);
  return result;
}

}  // namespace iovsim::host
