// What the host shell knows of the system: path resolution against the working directory, bash's pathname expansion and GNU's
// command-line conventions.
#include "drivers-sim/userland/shell/shell_impl.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace iovsim::host {

namespace {

// One pattern element (?, [...], \c or a character) against the character at s;
// `next` gets the pattern after it.
bool match_element(const char* p, const char* s, bool at_start, const char*& next) {
  next = p + 1;
  if (*s == '\0') return false;
  switch (*p) {
    case '?':
      return !(at_start && *s == '.');
    case '[': {
      if (at_start && *s == '.') return false;
      const char* q = p + 1;
      const bool negate = *q == '!' || *q == '^';
      if (negate) ++q;
      bool hit = false;
      const char* start = q;
      while (*q != '\0' && (*q != ']' || q == start)) {
        char lo = *q == '\\' && q[1] ? *++q : *q;
        char hi = lo;
        if (q[1] == '-' && q[2] != ']' && q[2] != '\0') {
          q += 2;
          hi = *q == '\\' && q[1] ? *++q : *q;
        }
        if (*s >= lo && *s <= hi) hit = true;
        ++q;
      }
      if (*q != ']') return *s == '[';  // no closing bracket: '[' is an ordinary character
      next = q + 1;
      return hit != negate;
    }
    case '\\':
      if (p[1] == '\0') return *s == '\\';
      next = p + 2;
      return *s == p[1];
    default:
      return *s == *p;
  }
}

}  // namespace

// fnmatch(3) without flags except the leading-period rule of pathname expansion.
// Iterative, going back to the last '*' on a mismatch: linear stack whatever the
// pattern, so `*a*a*a...` cannot exhaust the SystemC thread's stack.
bool shell_impl::glob_match(const char* p, const char* s, bool at_start) {
  const char* star_p = nullptr;  // the pattern after the last '*'
  const char* star_s = nullptr;  // where that '*' has matched up to
  for (;;) {
    if (*p == '*') {
      if (at_start && *s == '.') return false;
      while (*p == '*') ++p;
      if (*p == '\0') return true;
      star_p = p;
      star_s = s;
      at_start = false;
      continue;
    }
    if (*p == '\0' && *s == '\0') return true;
    const char* next = p;
    if (*p != '\0' && match_element(p, s, at_start, next)) {
      p = next;
      ++s;
      at_start = false;
      continue;
    }
    if (!star_p || *star_s == '\0') return false;
    p = star_p;  // let the last '*' take one more character
    s = ++star_s;
  }
}

namespace {
using shell_impl::glob_match;

bool has_unescaped_glob(const std::string& p) {
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '\\') ++i;
    else if (p[i] == '*' || p[i] == '?' || p[i] == '[') return true;
  }
  return false;
}

std::string unescape(const std::string& p) {
  std::string out;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '\\' && i + 1 < p.size()) ++i;
    out += p[i];
  }
  return out;
}

}  // namespace

namespace shell_impl {

std::string context::resolve(const std::string& path) const {
  std::vector<std::string> parts;
  const std::string full = !path.empty() && path[0] == '/' ? path : cwd + "/" + path;
  for (size_t b = 0; b <= full.size();) {
    size_t e = full.find('/', b);
    if (e == std::string::npos) e = full.size();
    const std::string part = full.substr(b, e - b);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    b = e + 1;
  }
  std::string out;
  for (const auto& p : parts) out += "/" + p;
  return out.empty() ? "/" : out;
}

bool context::exists(const std::string& path) const {
  const std::string abs = resolve(path);
  if (abs == "/" || files.is_dir(abs)) return true;
  const size_t slash = abs.rfind('/');
  const std::string parent = slash == 0 ? "/" : abs.substr(0, slash);
  const std::string name = abs.substr(slash + 1);
  if (!files.is_dir(parent)) return false;
  const auto names = split_lines(files.list(parent).data);
  return std::find(names.begin(), names.end(), name) != names.end();
}

bool context::read_operand(const std::string& cmd, const std::string& name, const std::string& in,
                           std::string& data, cmd_result& r) const {
  if (name == "-") {
    data = in;
    return true;
  }
  const std::string path = resolve(name);
  fs_result f = files.is_dir(path) ? fs_result{EISDIR, ""} : files.read(path);
  if (f.error) {
    r.err += cmd + ": " + name + ": " + errno_message(f.error) + "\n";
    r.errno_name = errno_name(f.error);
    return false;
  }
  data = std::move(f.data);
  return true;
}

cmd_result usage_error(const std::string& cmd, const std::string& what, int status) {
  return cmd_result{status, "", fmt::format("{0}: {1}\nTry '{0} --help' for more information.\n", cmd, what), ""};
}

bool getopt(const argv_t& argv, const char* spec, const option_fn& on_option, argv_t& operands, cmd_result& r,
            int usage_status) {
  const std::string& cmd = argv[0];
  auto fail = [&](const std::string& message) {
    r = cmd_result{usage_status, "", cmd + ": " + message + "\n", ""};
    return false;
  };
  bool options_done = false;
  for (size_t k = 1; k < argv.size(); ++k) {
    const std::string& a = argv[k];
    if (options_done || a.size() < 2 || a[0] != '-') {
      operands.push_back(a);
    } else if (a == "--") {
      options_done = true;
    } else if (a[1] == '-') {
      const std::string message = on_option('-', a);
      if (message == "?") {
        r = usage_error(cmd, "unrecognized option '" + a + "'", usage_status);
        return false;
      }
      if (!message.empty()) return fail(message);
    } else {
      for (size_t j = 1; j < a.size(); ++j) {
        const char c = a[j];
        const char* p = c == ':' || c == '-' ? nullptr : std::strchr(spec, c);
        if (!p) {
          r = usage_error(cmd, fmt::format("invalid option -- '{}'", c), usage_status);
          return false;
        }
        std::string arg;
        if (p[1] == ':') {
          if (j + 1 < a.size()) {
            arg = a.substr(j + 1);
          } else if (k + 1 < argv.size()) {
            arg = argv[++k];
          } else {
            r = usage_error(cmd, fmt::format("option requires an argument -- '{}'", c), usage_status);
            return false;
          }
          j = a.size();
        }
        const std::string message = on_option(c, arg);
        if (!message.empty()) return fail(message);
      }
    }
  }
  return true;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t b = 0;
  while (b < text.size()) {
    size_t e = text.find('\n', b);
    if (e == std::string::npos) e = text.size();
    lines.push_back(text.substr(b, e - b));
    b = e + 1;
  }
  return lines;
}

// The existing paths a pattern names, sorted (C locale); empty when none.
std::vector<std::string> glob(const context& ctx, const std::string& pattern) {
  std::vector<std::string> parts;
  for (size_t b = 0; b <= pattern.size();) {
    size_t e = pattern.find('/', b);
    if (e == std::string::npos) e = pattern.size();
    if (e > b) parts.push_back(pattern.substr(b, e - b));
    b = e + 1;
  }
  std::vector<std::string> paths{pattern[0] == '/' ? "/" : ""};
  auto join = [](const std::string& dir, const std::string& name) {
    return dir.empty() ? name : dir.back() == '/' ? dir + name : dir + "/" + name;
  };
  for (size_t k = 0; k < parts.size(); ++k) {
    const bool last = k + 1 == parts.size() && pattern.back() != '/';
    std::vector<std::string> next;
    for (const auto& dir : paths) {
      if (has_unescaped_glob(parts[k])) {
        const std::string abs = ctx.resolve(dir.empty() ? "." : dir);
        if (!ctx.files.is_dir(abs)) continue;
        for (const auto& name : split_lines(ctx.files.list(abs).data))
          if (glob_match(parts[k].c_str(), name.c_str(), true) && (last || ctx.files.is_dir(ctx.resolve(join(dir, name)))))
            next.push_back(join(dir, name));
      } else {
        const std::string p = join(dir, unescape(parts[k]));
        if (last ? ctx.exists(ctx.resolve(p)) : ctx.files.is_dir(ctx.resolve(p))) next.push_back(p);
      }
    }
    paths = std::move(next);
  }
  if (pattern.back() == '/')
    for (auto& p : paths) p += '/';
  std::sort(paths.begin(), paths.end());
  return paths;
}

}  // namespace shell_impl
}  // namespace iovsim::host
