// The host shell's grep: GNU grep 3.8's options, output and exit statuses, with GNU's
// basic and extended regular expressions translated to ECMAScript for std::regex.
#include "drivers-sim/userland/shell/shell_impl.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <regex>

namespace iovsim::host::shell_impl {
namespace {

constexpr const char* USAGE = "Usage: grep [OPTION]... PATTERNS [FILE]...\n";

struct pattern_error {
  std::string message;  // grep's words, e.g. "Unmatched ( or \\("
};

bool valid_class(const std::string& name) {
  static const char* const NAMES[] = {"alnum", "alpha", "blank", "cntrl", "digit", "graph",
                                      "lower", "print", "punct", "space", "upper", "xdigit"};
  return std::find(std::begin(NAMES), std::end(NAMES), name) != std::end(NAMES);
}

// Parses an interval's "m", "m,", ",n" or "m,n" into ECMAScript's "{m,n}"; "" if invalid.
std::string interval(const std::string& body) {
  const size_t comma = body.find(',');
  const std::string lo = body.substr(0, comma), hi = comma == std::string::npos ? lo : body.substr(comma + 1);
  auto digits = [](const std::string& s) { return s.find_first_not_of("0123456789") == std::string::npos && s.size() < 6; };
  if (!digits(lo) || !digits(hi) || (lo.empty() && comma == std::string::npos)) return "";
  if (!hi.empty() && std::stoi(lo.empty() ? "0" : lo) > std::stoi(hi)) throw pattern_error{"Invalid content of \\{\\}"};
  return "{" + (lo.empty() ? "0" : lo) + (comma == std::string::npos ? "" : "," + hi) + "}";
}

// GNU regex syntax (RE_SYNTAX_GREP / RE_SYNTAX_EGREP) to ECMAScript. In a BRE,
// + ? | ( ) { } are literal unless backslashed; in an ERE the other way round.
// `warning` gets what grep warns about (an ERE starting with a repetition).
std::string translate(const std::string& re, bool extended, std::string& warning) {
  std::string out;
  std::vector<size_t> groups;     // where each open group starts in out
  int closed_groups = 0;
  bool leading = true;            // no atom yet in this branch: a repetition here is literal (BRE)
  bool last_repeat = false;       // the last thing emitted is a repetition
  size_t atom = 0;                // where the last atom starts in out
  auto literal = [&](char c) {
    atom = out.size();
    if (std::strchr("\\^$.|?*+()[]{}/", c)) out += '\\';
    out += c;
    leading = last_repeat = false;
  };
  auto emit_atom = [&](const std::string& text) {
    atom = out.size();
    out += text;
    leading = last_repeat = false;
  };
  auto repeat = [&](const std::string& op, const char* shown) {
    if (leading) {
      if (!extended) return literal(op[0]);
      warning += fmt::format("grep: warning: {} at start of expression\n", shown);
      return;  // GNU ignores it
    }
    if (last_repeat) {  // a** or a+?: ECMAScript would reject or make it lazy
      out.insert(atom, "(?:");
      out += ')';
    }
    out += op;
    last_repeat = true;
  };
  auto open_group = [&] {
    groups.push_back(out.size());
    out += '(';
    leading = true;
    last_repeat = false;
  };
  auto close_group = [&] {
    atom = groups.back();
    groups.pop_back();
    ++closed_groups;
    out += ')';
    leading = last_repeat = false;
  };
  auto alternation = [&] {
    out += '|';
    leading = true;
    last_repeat = false;
  };
  const size_t n = re.size();
  for (size_t i = 0; i < n; ++i) {
    const char c = re[i];
    if (c == '\\') {
      if (i + 1 == n) throw pattern_error{"Trailing backslash"};
      const char d = re[++i];
      if (!extended && d == '(') {
        open_group();
      } else if (!extended && d == ')') {
        if (groups.empty()) throw pattern_error{"Unmatched ) or \\)"};
        close_group();
      } else if (!extended && d == '|') {
        alternation();
      } else if (!extended && d == '{') {
        const size_t end = re.find("\\}", i + 1);
        if (leading) {
          literal('{');
          continue;
        }
        if (end == std::string::npos) throw pattern_error{"Unmatched \\{"};
        const std::string q = interval(re.substr(i + 1, end - i - 1));
        if (q.empty()) throw pattern_error{"Invalid content of \\{\\}"};
        repeat(q, "{...}");
        i = end + 1;
      } else if (!extended && (d == '+' || d == '?')) {
        repeat(std::string(1, d), "");
      } else if (d == '<' || d == '>' || d == 'b' || d == 'B') {
        out += d == 'B' ? "\\B" : "\\b";
      } else if (d == 'w' || d == 'W' || d == 's' || d == 'S') {
        emit_atom(std::string("\\") + d);
      } else if (d >= '1' && d <= '9') {
        if (d - '0' > closed_groups) throw pattern_error{"Invalid back reference"};
        emit_atom(std::string("\\") + d);
      } else if (d == '`' || d == '\'') {
        out += d == '`' ? '^' : '$';
      } else {
        literal(d);
      }
      continue;
    }
    if (c == '[') {
      size_t j = i + 1;
      std::string cls = "[";
      if (j < n && re[j] == '^') cls += re[j++];
      for (bool first = true;; first = false) {
        if (j >= n) throw pattern_error{"Unmatched [, [^, [:, [., or [="};
        const char ch = re[j];
        if (ch == ']' && !first) break;
        if (ch == '[' && j + 1 < n && std::strchr(":=.", re[j + 1])) {
          const size_t end = re.find(std::string(1, re[j + 1]) + "]", j + 2);
          if (end == std::string::npos) throw pattern_error{"Unmatched [, [^, [:, [., or [="};
          if (re[j + 1] == ':' && !valid_class(re.substr(j + 2, end - j - 2)))
            throw pattern_error{"Invalid character class name"};
          cls += re.substr(j, end + 2 - j);
          j = end + 2;
          continue;
        }
        // Literal inside a POSIX bracket, special inside an ECMAScript class.
        if (ch == '\\' || ch == ']' || ch == '[' || (ch == '-' && (first || (j + 1 < n && re[j + 1] == ']'))))
          cls += '\\';
        cls += ch;
        ++j;
      }
      if (re[i + 1] == ':' && j - 1 > i + 1 && re[j - 1] == ':')
        throw pattern_error{"character class syntax is [[:space:]], not [:space:]"};
      emit_atom(cls + "]");
      i = j;
    } else if (c == '.') {
      emit_atom("[^\\n]");  // ECMAScript's . would not match '\r'
    } else if (c == '*') {
      repeat("*", "*");
    } else if (c == '^') {
      if (extended || leading) out += '^';
      else literal('^');
    } else if (c == '$') {
      const bool at_end = i + 1 == n || re.compare(i + 1, 2, "\\)") == 0 || re.compare(i + 1, 2, "\\|") == 0;
      if (extended || at_end) out += '$';
      else literal('$');
    } else if (extended && c == '(') {
      open_group();
    } else if (extended && c == ')') {
      if (groups.empty()) literal(')');  // GNU takes an unmatched ) literally
      else close_group();
    } else if (extended && c == '|') {
      alternation();
    } else if (extended && (c == '+' || c == '?')) {
      repeat(std::string(1, c), c == '+' ? "+" : "?");
    } else if (extended && c == '{') {
      const size_t end = re.find('}', i + 1);
      const std::string q = end == std::string::npos ? "" : interval(re.substr(i + 1, end - i - 1));
      if (q.empty()) {
        literal('{');
      } else {
        repeat(q, "{...}");
        i = end;
      }
    } else {
      literal(c);
    }
  }
  if (!groups.empty()) throw pattern_error{"Unmatched ( or \\("};
  return out;
}

std::string regex_error_text(const std::regex_error& e) {
  switch (e.code()) {
    case std::regex_constants::error_brack: return "Unmatched [, [^, [:, [., or [=";
    case std::regex_constants::error_paren: return "Unmatched ( or \\(";
    case std::regex_constants::error_brace: return "Unmatched \\{";
    case std::regex_constants::error_badbrace: return "Invalid content of \\{\\}";
    case std::regex_constants::error_range: return "Invalid range end";
    case std::regex_constants::error_ctype: return "Invalid character class name";
    case std::regex_constants::error_backref: return "Invalid back reference";
    case std::regex_constants::error_escape: return "Trailing backslash";
    case std::regex_constants::error_space:
    case std::regex_constants::error_complexity: return "Memory exhausted";
    default: return "Invalid regular expression";
  }
}

bool is_word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

struct options {
  bool ignore_case = false, invert = false, count = false, only = false, word = false, line = false;
  bool number = false, quiet = false, silent = false, files_with = false, files_without = false;
  int with_name = 0;  // -1 -h, 1 -H
  long long after = 0, before = 0, max_count = -1;
  char syntax = 'G';  // G basic, E extended, F fixed
};

class matcher {
 public:
  matcher(const std::vector<std::string>& patterns, const options& o, std::string& warning) : m_word(o.word) {
    auto flags = std::regex::ECMAScript | (o.ignore_case ? std::regex::icase : std::regex::ECMAScript);
    for (const auto& p : patterns) {
      std::string re;
      if (o.syntax == 'F') {
        for (char c : p) re += (std::strchr("\\^$.|?*+()[]{}/", c) ? "\\" : "") + std::string(1, c);
      } else {
        re = translate(p, o.syntax == 'E', warning);
      }
      m_res.emplace_back(o.line ? "^(?:" + re + ")$" : re, flags);
    }
  }

  // The leftmost (then longest) match at or after `from`; -w rejects matches that
  // touch a word character and tries again one character further.
  bool find(const std::string& s, size_t from, size_t& begin, size_t& end) const {
    bool found = false;
    for (const auto& re : m_res) {
      for (size_t pos = from; pos <= s.size(); ++pos) {
        std::smatch m;
        const auto flags = pos > 0 ? std::regex_constants::match_prev_avail : std::regex_constants::match_default;
        if (!std::regex_search(s.begin() + pos, s.end(), m, re, flags)) break;
        const size_t b = m.position(0) + pos, e = b + m.length(0);
        if (m_word && ((b > 0 && is_word_char(s[b - 1])) || (e < s.size() && is_word_char(s[e])))) {
          pos = b;
          continue;
        }
        if (!found || b < begin || (b == begin && e > end)) begin = b, end = e;
        found = true;
        break;
      }
    }
    return found;
  }

 private:
  std::vector<std::regex> m_res;
  bool m_word;
};

}  // namespace

cmd_result grep(context& ctx, const argv_t& argv, const std::string& in) {
  options o;
  std::vector<std::string> patterns;
  bool have_patterns = false;
  auto number = [](const std::string& arg, long long& value, const char* what) -> std::string {
    if (arg.empty() || arg.find_first_not_of("0123456789") != std::string::npos || arg.size() > 15)
      return fmt::format("{}: invalid {} argument", arg, what);
    value = std::stoll(arg);
    return "";
  };
  auto on_option = [&](char c, const std::string& arg) -> std::string {
    switch (c) {
      case 'i': o.ignore_case = true; break;
      case 'v': o.invert = true; break;
      case 'c': o.count = true; break;
      case 'o': o.only = true; break;
      case 'w': o.word = true; break;
      case 'x': o.line = true; break;
      case 'n': o.number = true; break;
      case 'q': o.quiet = true; break;
      case 's': o.silent = true; break;
      case 'l': o.files_with = true; break;
      case 'L': o.files_without = true; break;
      case 'H': o.with_name = 1; break;
      case 'h': o.with_name = -1; break;
      case 'E': case 'F': case 'G': o.syntax = c; break;
      case 'A': return number(arg, o.after, "context length");
      case 'B': return number(arg, o.before, "context length");
      case 'C': {
        const std::string error = number(arg, o.after, "context length");
        o.before = o.after;
        return error;
      }
      case 'm': return number(arg, o.max_count, "max count");
      case 'e': {
        have_patterns = true;
        for (auto& p : split_lines(arg + "\n")) patterns.push_back(p);
        break;
      }
      case '-': return arg.rfind("--color", 0) == 0 || arg.rfind("--colour", 0) == 0 ? "" : "?";
    }
    return "";
  };
  argv_t ops;
  cmd_result r;
  if (!getopt(argv, "ivcowxnqslLHhEFGA:B:C:m:e:", on_option, ops, r, 2)) {
    const size_t try_line = r.err.find("Try 'grep");
    if (try_line != std::string::npos) r.err.insert(try_line, USAGE);
    return r;
  }
  if (!have_patterns) {
    if (ops.empty())
      return cmd_result{2, "", std::string(USAGE) + "Try 'grep --help' for more information.\n", ""};
    for (auto& p : split_lines(ops[0] + "\n")) patterns.push_back(p);
    ops.erase(ops.begin());
  }
  std::string warning;
  std::optional<matcher> match;
  try {
    match.emplace(patterns, o, warning);
  } catch (const pattern_error& e) {
    return cmd_result{2, "", warning + "grep: " + e.message + "\n", ""};
  } catch (const std::regex_error& e) {
    return cmd_result{2, "", warning + "grep: " + regex_error_text(e) + "\n", ""};
  }
  r.err = warning;
  if (ops.empty()) ops.push_back("-");
  const bool show_name = o.with_name == 1 || (o.with_name == 0 && ops.size() > 1);
  const bool context = (o.after > 0 || o.before > 0) && !o.only && !o.count && !o.files_with && !o.files_without;
  bool any_selected = false, error = false, printed_any = false;
  for (const auto& f : ops) {
    std::string data;
    cmd_result read;
    if (!ctx.read_operand("grep", f, in, data, read)) {
      if (!o.silent) r.err += read.err;
      r.errno_name = read.errno_name;
      error = true;
      continue;
    }
    const std::string name = f == "-" ? "(standard input)" : f;
    const auto lines = split_lines(data);
    long long selected = 0, after_left = 0;
    long last_printed = -1;
    auto print = [&](size_t idx, char sep, const std::string& text) {
      r.out += (show_name ? name + sep : "") + (o.number ? std::to_string(idx + 1) + sep : "") + text + "\n";
    };
    for (size_t idx = 0; idx < lines.size(); ++idx) {
      const std::string& line = lines[idx];
      size_t b = 0, e = 0;
      const bool stop = o.max_count >= 0 && selected >= o.max_count;
      if (!stop && match->find(line, 0, b, e) != o.invert) {
        ++selected;
        if (o.quiet) return cmd_result{0, "", r.err, ""};
        if (o.count || o.files_with || o.files_without) continue;
        if (context) {
          const long start = std::max<long>(last_printed + 1, long(idx) - long(o.before));
          if (printed_any && (last_printed < 0 || start > last_printed + 1)) r.out += "--\n";
          for (long k = start; k < long(idx); ++k) print(k, '-', lines[k]);
          after_left = o.after;
        }
        if (!o.only) {
          print(idx, ':', line);
        } else if (!o.invert) {
          for (size_t from = 0; from <= line.size() && match->find(line, from, b, e);) {
            if (e > b) print(idx, ':', line.substr(b, e - b));
            from = e > b ? e : b + 1;
          }
        }
        last_printed = long(idx);
        printed_any = true;
      } else if (context && after_left > 0) {
        print(idx, '-', line);
        last_printed = long(idx);
        --after_left;
      } else if (stop) {
        break;
      }
    }
    any_selected |= selected > 0;
    if (o.count) r.out += (show_name ? name + ":" : "") + std::to_string(selected) + "\n";
    if ((o.files_with && selected > 0) || (o.files_without && selected == 0)) r.out += name + "\n";
  }
  r.status = error ? 2 : any_selected ? 0 : 1;
  return r;
}

}  // namespace iovsim::host::shell_impl
