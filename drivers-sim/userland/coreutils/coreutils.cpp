// The host shell's text utilities, behaving like GNU coreutils 9.1 (Debian 12) in the
// C locale with their words for errors: what a student pipes lspci and sysfs through.
// grep is in grep.cpp; ls in ls.cpp; test in test.cpp; basename, dirname and readlink
// in paths.cpp.
#include "drivers-sim/userland/shell/shell_impl.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace iovsim::host::shell_impl {
namespace {


bool is_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// bash's echo -e escapes; false when \c ends the output.
bool append_escaped(std::string& out, const std::string& s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    const char c = s[++i];
    static const char FROM[] = "abefnrtv\\", TO[] = "\a\b\x1b\f\n\r\t\v\\";
    if (const char* p = std::strchr(FROM, c); p && c) {
      out += TO[p - FROM];
    } else if (c == 'c') {
      return false;
    } else if (c == '0' || c == 'x') {
      const bool hex = c == 'x';
      int value = 0, digits = 0;
      for (; digits < (hex ? 2 : 3) && i + 1 < s.size(); ++digits) {
        const char d = s[i + 1];
        const int v = d >= '0' && d <= '7' ? d - '0'
                      : hex && std::isxdigit(static_cast<unsigned char>(d)) ? (std::isdigit(static_cast<unsigned char>(d)) ? d - '0' : (d | 0x20) - 'a' + 10)
                                                                            : -1;
        if (v < 0) break;
        value = value * (hex ? 16 : 8) + v;
        ++i;
      }
      if (hex && digits == 0) out += "\\x";
      else out += static_cast<char>(value);
    } else {
      out += '\\';
      out += c;
    }
  }
  return true;
}

cmd_result echo(context&, const argv_t& argv, const std::string&) {
  bool newline = true, escapes = false;
  size_t k = 1;
  // bash takes an argument as options only when it is all of n, e, E.
  for (; k < argv.size(); ++k) {
    const std::string& a = argv[k];
    if (a.size() < 2 || a[0] != '-' || a.find_first_not_of("neE", 1) != std::string::npos) break;
    for (char c : a.substr(1)) {
      if (c == 'n') newline = false;
      else escapes = c == 'e';
    }
  }
  std::string out;
  for (size_t i = k; i < argv.size(); ++i) {
    if (i > k) out += ' ';
    if (!escapes) out += argv[i];
    else if (!append_escaped(out, argv[i])) return cmd_result{0, out, "", ""};
  }
  if (newline) out += '\n';
  return cmd_result{0, out, "", ""};
}

cmd_result cat(context& ctx, const argv_t& argv, const std::string& in) {
  argv_t files;
  cmd_result r;
  if (!getopt(argv, "", no_options, files, r, 1)) return r;
  if (files.empty()) files.push_back("-");
  for (const auto& f : files) {
    std::string data;
    if (ctx.read_operand("cat", f, in, data, r)) r.out += data;
    else r.status = 1;
  }
  return r;
}

size_t count_lines(const std::string& d) { return std::count(d.begin(), d.end(), '\n') + (!d.empty() && d.back() != '\n'); }

// The length of the first n lines of d.
size_t first_lines(const std::string& d, long long n) {
  size_t pos = 0;
  for (; n > 0 && pos < d.size(); --n) {
    const size_t e = d.find('\n', pos);
    pos = e == std::string::npos ? d.size() : e + 1;
  }
  return pos;
}

// head and tail: -n N, -c N, -N, head's -n -N (all but the last N), tail's -n +N (from
// line N), and "==> name <==" headers for several files.
cmd_result head_tail(context& ctx, const argv_t& argv_in, const std::string& in, bool head) {
  const std::string cmd = head ? "head" : "tail";
  argv_t argv = argv_in;
  for (size_t k = 1; k < argv.size(); ++k)  // obsolete `head -5`, unless it is -n's argument
    if (argv[k].size() > 1 && argv[k][0] == '-' && is_digits(argv[k].substr(1)) && argv[k - 1] != "-n" && argv[k - 1] != "-c")
      argv[k] = "-n" + argv[k].substr(1);
  long long count = 10;
  bool bytes = false, from_start = false, all_but = false;
  int headers = 0;  // -1 never (-q), 1 always (-v)
  auto on_option = [&](char c, const std::string& arg) -> std::string {
    if (c == 'q' || c == 'v') headers = c == 'v' ? 1 : -1;
    if (c != 'n' && c != 'c') return c == '-' ? "?" : "";
    bytes = c == 'c';
    std::string n = arg;
    from_start = !head && !n.empty() && n[0] == '+';
    all_but = head && !n.empty() && n[0] == '-';
    if (!n.empty() && (n[0] == '+' || n[0] == '-')) n.erase(0, 1);
    if (!is_digits(n) || n.size() > 18)
      return fmt::format("invalid number of {}: '{}'", bytes ? "bytes" : "lines", arg);
    count = std::stoll(n);
    return "";
  };
  argv_t files;
  cmd_result r;
  if (!getopt(argv, "n:c:qv", on_option, files, r, 1)) return r;
  if (files.empty()) files.push_back("-");
  const bool show = headers == 1 || (headers == 0 && files.size() > 1);
  bool first = true;
  for (const auto& f : files) {
    std::string d;
    if (!ctx.read_operand(cmd, f, in, d, r)) {
      r.status = 1;
      continue;
    }
    if (show) r.out += fmt::format("{}==> {} <==\n", first ? "" : "\n", f == "-" ? "standard input" : f);
    first = false;
    const long long size = static_cast<long long>(bytes ? d.size() : count_lines(d));
    long long skip;  // units to drop from the front
    if (head) skip = 0;
    else if (from_start) skip = std::max(0LL, count - 1);
    else skip = std::max(0LL, size - count);
    long long keep = head ? (all_but ? std::max(0LL, size - count) : count) : size;
    const size_t b = bytes ? std::min<size_t>(skip, d.size()) : first_lines(d, skip);
    const size_t e = bytes ? std::min<size_t>(b + keep, d.size()) : b + first_lines(d.substr(b), keep);
    r.out += d.substr(b, e - b);
  }
  return r;
}

cmd_result head(context& ctx, const argv_t& argv, const std::string& in) { return head_tail(ctx, argv, in, true); }
cmd_result tail(context& ctx, const argv_t& argv, const std::string& in) { return head_tail(ctx, argv, in, false); }

cmd_result wc(context& ctx, const argv_t& argv, const std::string& in) {
  bool want[3] = {false, false, false};  // lines, words, bytes
  auto on_option = [&](char c, const std::string&) -> std::string {
    if (c == '-') return "?";
    want[c == 'l' ? 0 : c == 'w' ? 1 : 2] = true;
    return "";
  };
  argv_t files;
  cmd_result r;
  if (!getopt(argv, "lwcm", on_option, files, r, 1)) return r;
  if (!want[0] && !want[1] && !want[2]) want[0] = want[1] = want[2] = true;
  const bool named = !files.empty();
  if (!named) files.push_back("-");
  struct row { size_t n[3]; std::string name; };
  std::vector<row> rows;
  size_t total[3] = {0, 0, 0}, regular_bytes = 0;
  bool uses_stdin = false;
  for (const auto& f : files) {
    std::string d;
    if (!ctx.read_operand("wc", f, in, d, r)) {
      r.status = 1;
      continue;
    }
    row w{{count_lines(d) - (!d.empty() && d.back() != '\n'), 0, d.size()}, named ? f : ""};
    for (size_t i = 0; i < d.size(); ++i)
      if (!is_space(d[i]) && (i == 0 || is_space(d[i - 1]))) ++w.n[1];
    for (int k = 0; k < 3; ++k) total[k] += w.n[k];
    if (f == "-") uses_stdin = true;
    else regular_bytes += d.size();
    rows.push_back(w);
  }
  if (files.size() > 1) rows.push_back(row{{total[0], total[1], total[2]}, "total"});
  // coreutils wc.c compute_number_width: digits of the regular files' total size, at
  // least 7 when reading a pipe, and no padding for one count of one file.
  size_t width = 1;
  if (std::count(want, want + 3, true) > 1 || files.size() > 1) {
    for (size_t t = regular_bytes; t >= 10; t /= 10) ++width;
    if (uses_stdin) width = std::max<size_t>(width, 7);
  }
  for (const auto& w : rows) {
    std::string line;
    for (int k = 0; k < 3; ++k)
      if (want[k]) line += fmt::format("{}{:>{}}", line.empty() ? "" : " ", w.n[k], width);
    r.out += line + (w.name.empty() ? "" : " " + w.name) + "\n";
  }
  return r;
}

// GNU sort -n's key: leading blanks, an optional '-', digits, an optional fraction.
double numeric_key(const std::string& s) {
  size_t i = 0;
  while (i < s.size() && is_space(s[i])) ++i;
  const bool negative = i < s.size() && s[i] == '-';
  if (negative) ++i;
  double v = 0, scale = 1;
  for (; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i) v = v * 10 + (s[i] - '0');
  if (i < s.size() && s[i] == '.')
    for (++i; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i) v += (s[i] - '0') * (scale /= 10);
  return negative ? -v : v;
}

// Reads every operand (stdin when none) and joins them as sort and uniq see them.
bool read_all(context& ctx, const std::string& cmd, argv_t files, const std::string& in, std::string& data,
              cmd_result& r) {
  if (files.empty()) files.push_back("-");
  for (const auto& f : files) {
    std::string d;
    if (!ctx.read_operand(cmd, f, in, d, r)) return false;
    data += d;
    if (!d.empty() && d.back() != '\n') data += '\n';
  }
  return true;
}

cmd_result sort(context& ctx, const argv_t& argv, const std::string& in) {
  bool numeric = false, reverse = false, unique = false;
  auto on_option = [&](char c, const std::string&) -> std::string {
    numeric |= c == 'n';
    reverse |= c == 'r';
    unique |= c == 'u';
    return c == '-' ? "?" : "";
  };
  argv_t files;
  cmd_result r;
  std::string data;
  if (!getopt(argv, "nru", on_option, files, r, 2)) return r;
  if (!read_all(ctx, "sort", files, in, data, r)) return cmd_result{2, "", r.err, r.errno_name};
  auto lines = split_lines(data);
  // The key, then (unless -u) the whole line byte by byte: GNU's last-resort comparison.
  auto compare = [&](const std::string& a, const std::string& b, bool last_resort) {
    if (numeric) {
      const double x = numeric_key(a), y = numeric_key(b);
      if (x != y) return x < y ? -1 : 1;
      if (!last_resort) return 0;
    }
    return a.compare(b) < 0 ? -1 : a.compare(b) > 0 ? 1 : 0;
  };
  std::stable_sort(lines.begin(), lines.end(), [&](const std::string& a, const std::string& b) {
    return reverse ? compare(b, a, !unique) < 0 : compare(a, b, !unique) < 0;
  });
  for (size_t i = 0; i < lines.size(); ++i)
    if (!unique || i == 0 || compare(lines[i - 1], lines[i], false) != 0) r.out += lines[i] + "\n";
  return r;
}

cmd_result uniq(context& ctx, const argv_t& argv, const std::string& in) {
  bool counts = false, repeated = false, unique = false;
  auto on_option = [&](char c, const std::string&) -> std::string {
    counts |= c == 'c';
    repeated |= c == 'd';
    unique |= c == 'u';
    return c == '-' ? "?" : "";
  };
  argv_t files;
  cmd_result r;
  std::string data;
  if (!getopt(argv, "cdu", on_option, files, r, 1)) return r;
  if (files.size() > 1) return usage_error("uniq", "extra operand '" + files[1] + "'", 1);
  if (!read_all(ctx, "uniq", files, in, data, r)) return cmd_result{1, "", r.err, r.errno_name};
  const auto lines = split_lines(data);
  for (size_t i = 0, j; i < lines.size(); i = j) {
    for (j = i + 1; j < lines.size() && lines[j] == lines[i];) ++j;
    const size_t n = j - i;
    if ((repeated && n < 2) || (unique && n > 1)) continue;
    r.out += counts ? fmt::format("{:>7} {}\n", n, lines[i]) : lines[i] + "\n";
  }
  return r;
}

cmd_result cut(context& ctx, const argv_t& argv, const std::string& in) {
  char mode = 0;
  std::string list, delim = "\t";
  bool delim_given = false, only_delimited = false;
  auto on_option = [&](char c, const std::string& arg) -> std::string {
    if (c == '-') return "?";
    if (c == 'd') delim = arg, delim_given = true;
    else if (c == 's') only_delimited = true;
    else if (mode) return "only one type of list may be specified";
    else mode = c, list = arg;
    return "";
  };
  argv_t files;
  cmd_result r;
  if (!getopt(argv, "b:c:d:f:s", on_option, files, r, 1)) return r;
  if (!mode) return usage_error("cut", "you must specify a list of bytes, characters, or fields", 1);
  if (delim.size() != 1) return usage_error("cut", "the delimiter must be a single character", 1);
  if (delim_given && mode != 'f')
    return usage_error("cut", "an input delimiter may be specified only when operating on fields", 1);
  std::vector<std::pair<long, long>> ranges;  // inclusive, 1-based
  for (size_t b = 0; b <= list.size();) {
    size_t e = list.find(',', b);
    if (e == std::string::npos) e = list.size();
    const std::string item = list.substr(b, e - b);
    const size_t dash = item.find('-');
    const std::string lo = item.substr(0, dash), hi = dash == std::string::npos ? lo : item.substr(dash + 1);
    if ((!lo.empty() && !is_digits(lo)) || (!hi.empty() && !is_digits(hi)) || (lo.empty() && hi.empty()))
      return usage_error("cut", fmt::format("invalid {} value '{}'", mode == 'f' ? "field" : "byte/character", item), 1);
    const long first = lo.empty() ? 1 : std::stol(lo), last = hi.empty() ? 1L << 30 : std::stol(hi);
    if (first == 0 || last == 0)
      return usage_error("cut", mode == 'f' ? "fields are numbered from 1" : "byte/character positions are numbered from 1", 1);
    ranges.emplace_back(first, last);
    b = e + 1;
  }
  auto selected = [&](long n) {
    return std::any_of(ranges.begin(), ranges.end(), [n](const auto& rg) { return n >= rg.first && n <= rg.second; });
  };
  std::string data;
  if (!read_all(ctx, "cut", files, in, data, r)) return cmd_result{1, "", r.err, r.errno_name};
  for (const auto& line : split_lines(data)) {
    std::string out;
    if (mode != 'f') {
      for (size_t i = 0; i < line.size(); ++i)
        if (selected(long(i) + 1)) out += line[i];
    } else if (line.find(delim[0]) == std::string::npos) {
      if (only_delimited) continue;
      out = line;
    } else {
      long n = 1;
      bool any = false;
      for (size_t b = 0; b <= line.size(); ++n) {
        size_t e = line.find(delim[0], b);
        if (e == std::string::npos) e = line.size();
        if (selected(n)) out += (any ? delim : "") + line.substr(b, e - b), any = true;
        b = e + 1;
      }
    }
    r.out += out + "\n";
  }
  return r;
}

// tr's SET: ranges, [:class:] and backslash escapes (no [c*n] repeats).
std::string expand_set(const std::string& s, std::string& error) {
  static const std::pair<const char*, int (*)(int)> CLASSES[] = {
      {"alnum", std::isalnum}, {"alpha", std::isalpha}, {"blank", std::isblank}, {"digit", std::isdigit},
      {"lower", std::islower}, {"punct", std::ispunct}, {"space", std::isspace}, {"upper", std::isupper},
      {"xdigit", std::isxdigit}};
  std::string out;
  auto next_char = [&](size_t& i) {
    if (s[i] != '\\' || i + 1 == s.size()) return s[i++];
    i += 2;
    static const char FROM[] = "abfnrtv", TO[] = "\a\b\f\n\r\t\v";
    const char* p = std::strchr(FROM, s[i - 1]);
    if (p && s[i - 1]) return TO[p - FROM];
    if (s[i - 1] < '0' || s[i - 1] > '7') return s[i - 1];
    int v = s[i - 1] - '0';
    for (int k = 0; k < 2 && i < s.size() && s[i] >= '0' && s[i] <= '7'; ++k) v = v * 8 + (s[i++] - '0');
    return static_cast<char>(v);
  };
  for (size_t i = 0; i < s.size();) {
    if (s.compare(i, 2, "[:") == 0 && s.find(":]", i + 2) != std::string::npos) {
      const size_t end = s.find(":]", i + 2);
      const std::string name = s.substr(i + 2, end - i - 2);
      auto it = std::find_if(std::begin(CLASSES), std::end(CLASSES), [&](const auto& c) { return name == c.first; });
      if (it == std::end(CLASSES)) {
        error = "invalid character class '" + name + "'";
        return "";
      }
      for (int c = 0; c < 128; ++c)
        if (it->second(c)) out += static_cast<char>(c);
      i = end + 2;
      continue;
    }
    const char lo = next_char(i);
    if (i + 1 < s.size() && s[i] == '-') {
      ++i;
      const char hi = next_char(i);
      if (static_cast<unsigned char>(hi) < static_cast<unsigned char>(lo)) {
        error = fmt::format("range-endpoints of '{}-{}' are in reverse collating sequence order", lo, hi);
        return "";
      }
      for (int c = static_cast<unsigned char>(lo); c <= static_cast<unsigned char>(hi); ++c) out += static_cast<char>(c);
    } else {
      out += lo;
    }
  }
  return out;
}

cmd_result tr(context&, const argv_t& argv, const std::string& in) {
  bool del = false, squeeze = false;
  auto on_option = [&](char c, const std::string&) -> std::string {
    del |= c == 'd';
    squeeze |= c == 's';
    return c == '-' ? "?" : "";
  };
  argv_t sets;
  cmd_result r;
  if (!getopt(argv, "ds", on_option, sets, r, 1)) return r;
  const size_t wanted = (del && squeeze) || (!del && !squeeze) ? 2 : 1;
  if (sets.empty()) return usage_error("tr", "missing operand", 1);
  if (sets.size() < wanted) {
    const char* why = del ? "Two strings must be given when both deleting and squeezing repeats."
                          : "Two strings must be given when translating.";
    return usage_error("tr", fmt::format("missing operand after '{}'\n{}", sets[0], why), 1);
  }
  if (sets.size() > (del && !squeeze ? 1u : 2u)) return usage_error("tr", "extra operand '" + sets.back() + "'", 1);
  std::string error;
  const std::string set1 = expand_set(sets[0], error);
  const std::string set2 = sets.size() > 1 ? expand_set(sets[1], error) : "";
  if (!error.empty()) return cmd_result{1, "", "tr: " + error + "\n", ""};
  if (!del && sets.size() > 1 && set2.empty() && !set1.empty())
    return cmd_result{1, "", "tr: when not truncating set1, string2 must be non-empty\n", ""};
  std::string map(256, '\0');
  for (int c = 0; c < 256; ++c) map[c] = static_cast<char>(c);
  if (!del)
    for (size_t i = 0; i < set1.size() && !set2.empty(); ++i)
      map[static_cast<unsigned char>(set1[i])] = set2[std::min(i, set2.size() - 1)];
  const std::string& squeezed = sets.size() > 1 ? set2 : set1;
  for (char c : in) {
    if (del && set1.find(c) != std::string::npos) continue;
    c = map[static_cast<unsigned char>(c)];
    if (squeeze && !r.out.empty() && r.out.back() == c && squeezed.find(c) != std::string::npos) continue;
    r.out += c;
  }
  return r;
}

cmd_result tee(context& ctx, const argv_t& argv, const std::string& in) {
  bool append = false;
  auto on_option = [&](char c, const std::string&) -> std::string {
    append |= c == 'a';
    return c == '-' ? "?" : "";
  };
  argv_t files;
  cmd_result r;
  if (!getopt(argv, "a", on_option, files, r, 1)) return r;
  r.out = in;
  for (const auto& f : files) {
    if (f == "/dev/null") continue;
    const int err = ctx.files.write(ctx.resolve(f), in, append);
    if (err) {
      r.err += "tee: " + f + ": " + errno_message(err) + "\n";
      r.status = 1;
      r.errno_name = errno_name(err);
    }
  }
  return r;
}

struct builtin {
  const char* name;
  builtin_fn fn;
};

// Sorted by name.
constexpr builtin BUILTINS[] = {
    {"basename", basename}, {"cat", cat},   {"cut", cut}, {"dirname", dirname}, {"echo", echo},
    {"grep", grep},         {"head", head}, {"ls", ls},   {"readlink", readlink}, {"sort", sort},
    {"tail", tail},         {"tee", tee},   {"tr", tr},   {"uniq", uniq},         {"wc", wc},
};

}  // namespace

builtin_fn find_builtin(const std::string& name) {
  for (const auto& b : BUILTINS)
    if (name == b.name) return b.fn;
  return nullptr;
}

std::vector<std::string> builtin_names() {
  std::vector<std::string> names;
  for (const auto& b : BUILTINS) names.emplace_back(b.name);
  return names;
}

}  // namespace iovsim::host::shell_impl
