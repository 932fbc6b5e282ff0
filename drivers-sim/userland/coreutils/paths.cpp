// The host shell's path utilities, as GNU coreutils 9.1 has them: basename and
// dirname (the path as text) and readlink (the file system's links, -f/-e resolving
// every one on the way).
#include "drivers-sim/userland/shell/shell_impl.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>

namespace iovsim::host::shell_impl {
namespace {

// basename and dirname: the path is text, trailing slashes do not count.
cmd_result base_dir_name(const argv_t& argv, bool base) {
  const std::string cmd = base ? "basename" : "dirname";
  argv_t ops;
  cmd_result r;
  if (!getopt(argv, "", no_options, ops, r, 1)) return r;
  if (ops.empty()) return usage_error(cmd, "missing operand", 1);
  if (ops.size() > (base ? 2u : 1u)) return usage_error(cmd, "extra operand '" + ops[base ? 2 : 1] + "'", 1);
  std::string p = ops[0];
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  const size_t slash = p.rfind('/');
  if (base) {
    std::string name = p == "/" || slash == std::string::npos ? p : p.substr(slash + 1);
    if (ops.size() == 2 && name.size() > ops[1].size() && name.compare(name.size() - ops[1].size(), ops[1].size(), ops[1]) == 0)
      name.erase(name.size() - ops[1].size());
    return cmd_result{0, name + "\n", "", ""};
  }
  if (slash == std::string::npos) return cmd_result{0, ".\n", "", ""};
  p.erase(slash);
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return cmd_result{0, (p.empty() ? "/" : p) + "\n", "", ""};
}


// readlink -f / -e: every link on the way followed (at most 40, as the kernel's
// MAXSYMLINKS), "." and ".." applied after each; -f lets the last component be
// missing, -e wants it all. Empty on failure.
std::string canonicalize(context& ctx, const std::string& path, bool all_exist) {
  auto split = [](const std::string& p) {
    std::vector<std::string> parts;
    for (size_t b = 0; b <= p.size();) {
      size_t e = p.find('/', b);
      if (e == std::string::npos) e = p.size();
      if (e > b) parts.push_back(p.substr(b, e - b));
      b = e + 1;
    }
    return parts;
  };
  // `rest` holds the components still to walk, the next one last.
  std::vector<std::string> rest = split(!path.empty() && path[0] == '/' ? path : ctx.cwd + "/" + path), out;
  std::reverse(rest.begin(), rest.end());
  std::string done;   // the canonical path of `out`
  for (int hops = 0; !rest.empty();) {
    const std::string c = rest.back();
    rest.pop_back();
    if (c == ".") continue;
    if (c == "..") {
      if (!out.empty()) out.pop_back(), done.erase(done.rfind('/'));
      continue;
    }
    const std::string candidate = done + "/" + c;
    const fs_result link = ctx.files.readlink(candidate);
    if (link.error == 0) {
      if (++hops > 40) return "";
      if (!link.data.empty() && link.data[0] == '/') out.clear(), done.clear();
      const std::vector<std::string> target = split(link.data);
      rest.insert(rest.end(), target.rbegin(), target.rend());
      continue;
    }
    if (!ctx.exists(candidate) && (all_exist || !rest.empty())) return "";
    out.push_back(c);
    done = candidate;
  }
  return done.empty() ? "/" : done;
}

// GNU readlink: the target of each link, or with -f/-e the canonical path. Quiet by
// default (coreutils 9.1: errors only with -v), status 1 when any operand fails.
}  // namespace

cmd_result basename(context&, const argv_t& argv, const std::string&) { return base_dir_name(argv, true); }
cmd_result dirname(context&, const argv_t& argv, const std::string&) { return base_dir_name(argv, false); }

cmd_result readlink(context& ctx, const argv_t& argv, const std::string&) {
  char mode = 0;
  bool newline = true, verbose = false;
  auto on_option = [&](char c, const std::string&) -> std::string {
    if (c == '-') return "?";
    if (c == 'f' || c == 'e') mode = c;
    else if (c == 'n') newline = false;
    else if (c == 'v') verbose = true;
    else if (c == 'q' || c == 's') verbose = false;
    return "";
  };
  argv_t ops;
  cmd_result r;
  if (!getopt(argv, "efnqsv", on_option, ops, r, 1)) return r;
  if (ops.empty()) return usage_error("readlink", "missing operand", 1);
  for (const auto& op : ops) {
    std::string text;
    int err = 0;
    if (mode) {
      text = canonicalize(ctx, op, mode == 'e');
      if (text.empty()) err = ENOENT;
    } else if (!ctx.exists(op)) {
      err = ENOENT;
    } else {
      const fs_result link = ctx.files.readlink(ctx.resolve(op));
      err = link.error;
      text = link.data;
    }
    if (err) {
      r.status = 1;
      r.errno_name = errno_name(err);
      if (verbose) r.err += "readlink: " + op + ": " + errno_message(err) + "\n";
      continue;
    }
    r.out += text + (newline ? "\n" : "");
  }
  return r;
}

}  // namespace iovsim::host::shell_impl
