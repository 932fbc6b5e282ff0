// The host shell's ls: GNU coreutils 9.1 ls writing to a pipe (one name per line),
// with -1 -a -A -d -l (coreutils manual, ls invocation; What information is listed).
// The simulated files have no owner or times, so the long format gives what a freshly
// booted Linux host shows of sysfs: owner root, the kernel's modes and sizes (an
// attribute reports a page, 4096 bytes, whatever it holds; directories and links 0;
// see kernfs::lstat), and the simulated clock's start, the Unix epoch, as the time
// ("Jan  1 00:00": a recent file in ls's format, since the clock reads the same).
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>

#include "drivers-sim/userland/shell/shell_impl.h"

namespace iovsim::host::shell_impl {
namespace {

constexpr const char* EPOCH_STAMP = "Jan  1 00:00";

std::string join(const std::string& dir, const std::string& name) { return dir == "/" ? "/" + name : dir + "/" + name; }

std::string parent_of(const std::string& abs) {
  const size_t slash = abs.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : abs.substr(0, slash);
}

// A directory's link count as Linux gives it: 2 plus its subdirectories
// (fs/kernfs/inode.c kernfs_refresh_inode; tmpfs counts the same way).
unsigned long link_count(const context& ctx, const std::string& abs, const file_info& f) {
  if (f.type != 'd') return 1;
  unsigned long n = 2;
  for (const auto& name : split_lines(ctx.files.list(abs).data)) {
    const std::string child = join(abs, name);
    const fs_stat st = ctx.files.lstat(child);
    const bool dir = st.type ? st.type == 'd' : ctx.files.readlink(child).error != 0 && ctx.files.is_dir(child);
    n += dir;
  }
  return n;
}

std::string mode_string(const file_info& f) {
  std::string s(1, f.type);
  static const char RWX[] = "rwx";
  for (int bit = 8; bit >= 0; --bit) s += (f.mode >> bit) & 1 ? RWX[(8 - bit) % 3] : '-';
  return s;
}

// One entry of a long listing before the columns are aligned.
struct long_entry {
  std::string mode;
  unsigned long links;
  unsigned long long size;
  std::string name;  // with " -> target" for a link
};

long_entry describe(const context& ctx, const std::string& shown, const std::string& abs) {
  const file_info f = stat_file(ctx, abs, false);
  std::string name = shown;
  if (f.type == 'l') name += " -> " + f.target;
  return long_entry{mode_string(f), link_count(ctx, abs, f), f.size, name};
}

// ls aligns the link and size columns of one listing to their widest.
std::string format_long(const std::vector<long_entry>& entries) {
  size_t links_width = 1, size_width = 1;
  for (const auto& e : entries) {
    links_width = std::max(links_width, std::to_string(e.links).size());
    size_width = std::max(size_width, std::to_string(e.size).size());
  }
  std::string out;
  for (const auto& e : entries)
    out += fmt::format("{} {:>{}} root root {:>{}} {} {}\n", e.mode, e.links, links_width, e.size, size_width,
                       EPOCH_STAMP, e.name);
  return out;
}

// ls -l's "total": 1 KiB blocks. sysfs and procfs files take none; a tmpfs file its
// pages.
unsigned long long blocks_kib(const std::string& abs, const file_info& f) {
  const bool pseudo = abs.rfind("/sys/", 0) == 0 || abs.rfind("/proc/", 0) == 0;
  if (pseudo || f.type != '-') return 0;
  return (f.size + 4095) / 4096 * 4;
}

}  // namespace

file_info stat_file(const context& ctx, const std::string& path, bool follow) {
  std::string abs = ctx.resolve(path);
  for (int hops = 0; hops <= 40; ++hops) {  // the kernel's MAXSYMLINKS
    const fs_stat st = ctx.files.lstat(abs);
    if (st.error) return file_info{st.error, '-', 0, 0, ""};
    if (!st.type && !ctx.exists(abs)) return file_info{ENOENT, '-', 0, 0, ""};
    const fs_result link = st.type && st.type != 'l' ? fs_result{EINVAL, ""} : ctx.files.readlink(abs);
    if (link.error == 0) {
      if (!follow) return file_info{0, 'l', 0777, st.type ? st.size : 0, link.data};
      abs = ctx.resolve(link.data[0] == '/' ? link.data : parent_of(abs) + "/" + link.data);
      continue;
    }
    if (st.type) return file_info{0, st.type, st.mode, st.size, ""};
    if (ctx.files.is_dir(abs)) return file_info{0, 'd', 0755, 0, ""};
    return file_info{0, '-', 0644, 4096, ""};
  }
  return file_info{ELOOP, '-', 0, 0, ""};
}

cmd_result ls(context& ctx, const argv_t& argv, const std::string&) {
  bool all = false, almost_all = false, directory = false, long_format = false;
  argv_t ops;
  cmd_result r;
  auto on_option = [&](char c, const std::string&) -> std::string {
    all |= c == 'a';
    almost_all |= c == 'A';
    directory |= c == 'd';
    if (c == 'l') long_format = true;
    if (c == '1') long_format = false;  // the last format option wins
    return c == '-' ? "?" : "";
  };
  if (!getopt(argv, "1aAdl", on_option, ops, r, 2)) return r;
  if (ops.empty()) ops.push_back(".");
  argv_t files, dirs;
  for (const auto& op : ops) {
    if (!ctx.exists(op)) {
      r.err += "ls: cannot access '" + op + "': No such file or directory\n";
      r.status = 2;
      r.errno_name = "ENOENT";
      continue;
    }
    // -l and -d list a link named on the command line, not what it points to,
    // unless a trailing slash asks for the directory.
    const bool link = (long_format || directory) && op.back() != '/' && ctx.files.readlink(ctx.resolve(op)).error == 0;
    (!directory && !link && ctx.files.is_dir(ctx.resolve(op)) ? dirs : files).push_back(op);
  }
  // Not a tty: one name per line, files given as operands first, then each directory.
  std::sort(files.begin(), files.end());
  std::sort(dirs.begin(), dirs.end());
  if (long_format) {
    std::vector<long_entry> entries;
    for (const auto& f : files) entries.push_back(describe(ctx, f, ctx.resolve(f)));
    r.out += format_long(entries);
  } else {
    for (const auto& f : files) r.out += f + "\n";
  }
  for (size_t i = 0; i < dirs.size(); ++i) {
    if (ops.size() > 1) r.out += (files.empty() && i == 0 ? "" : "\n") + dirs[i] + ":\n";
    const std::string abs = ctx.resolve(dirs[i]);
    fs_result listing = ctx.files.list(abs);
    if (listing.error) {
      r.err += fmt::format("ls: cannot open directory '{}': {}\n", dirs[i], errno_message(listing.error));
      r.status = 2;
      continue;
    }
    std::vector<std::string> names;
    if (all) names = {".", ".."};
    for (const auto& name : split_lines(listing.data))
      if (all || almost_all || name[0] != '.') names.push_back(name);
    if (!long_format) {
      for (const auto& name : names) r.out += name + "\n";
      continue;
    }
    std::vector<long_entry> entries;
    unsigned long long total = 0;
    for (const auto& name : names) {
      const std::string path = name == "." ? abs : name == ".." ? parent_of(abs) : join(abs, name);
      entries.push_back(describe(ctx, name, path));
      total += blocks_kib(path, stat_file(ctx, path, false));
    }
    r.out += fmt::format("total {}\n", total) + format_long(entries);
  }
  return r;
}

}  // namespace iovsim::host::shell_impl
