#include "drivers-sim/kernel/kernfs.h"

#include <algorithm>
#include <cerrno>

namespace iovsim::host {

namespace {
// Pseudo file systems: nothing may be created in them (sysfs, procfs).
bool pseudo(const std::string& path) {
  return path == "/sys" || path.rfind("/sys/", 0) == 0 || path == "/proc" || path.rfind("/proc/", 0) == 0;
}

std::string parent_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

std::string child_path(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

// The name of the entry directly below `dir` that `path` lies in, or "".
kernfs::found failed(int error) {
  kernfs::found f;
  f.error = error;
  return f;
}

std::string first_below(const std::string& dir, const std::string& path) {
  const std::string prefix = dir == "/" ? "/" : dir + "/";
  if (path.size() <= prefix.size() || path.compare(0, prefix.size(), prefix) != 0) return "";
  const std::string rest = path.substr(prefix.size());
  return rest.substr(0, rest.find('/'));
}
}  // namespace

kernfs_node kernfs_node::file(std::string name, std::function<fs_result()> show,
                              std::function<int(const std::string&)> store) {
  kernfs_node n;
  n.name = std::move(name);
  n.type = kind::file;
  n.show = std::move(show);
  n.store = std::move(store);
  return n;
}

kernfs_node kernfs_node::text(std::string name, std::string content) {
  return file(std::move(name), [content] { return fs_result{0, content}; });
}

kernfs_node kernfs_node::dir(std::string name, kernfs_dir_fn children, kernfs_find_fn find) {
  kernfs_node n;
  n.name = std::move(name);
  n.type = kind::dir;
  n.children = std::move(children);
  n.find = std::move(find);
  return n;
}

kernfs_node kernfs_node::link(std::string name, std::string target) {
  kernfs_node n;
  n.name = std::move(name);
  n.type = kind::link;
  n.target = std::move(target);
  return n;
}

namespace {
// Calls `fn` with each non-empty component of `path` ("a//b/" is a, b).
template <typename F>
void for_each_component(const std::string& path, F fn) {
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (end > start) fn(path.substr(start, end - start));
    start = end + 1;
  }
}
}  // namespace

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  for_each_component(path, [&parts](std::string p) {
    if (p == ".") return;
    if (p == "..") {
      if (!parts.empty()) parts.pop_back();
    } else {
      parts.push_back(std::move(p));
    }
  });
  return parts;
}

std::string join_path(const std::vector<std::string>& parts, size_t from) {
  std::string out;
  for (size_t i = from; i < parts.size(); ++i) out += "/" + parts[i];
  return out.empty() ? "/" : out;
}

std::string relative_path(const std::string& from_dir, const std::string& to) {
  const std::vector<std::string> a = split_path(from_dir), b = split_path(to);
  size_t common = 0;
  // fs/kernfs/symlink.c kernfs_get_target_path: climbs from the link's directory to
  // an ancestor of the target's parent, so a link to an ancestor still names it
  // (a netdev's `device` is ../../../0000:03:00.1, not ../../).
  while (common < a.size() && common + 1 < b.size() && a[common] == b[common]) ++common;
  std::string out;
  for (size_t i = common; i < a.size(); ++i) out += "../";
  for (size_t i = common; i < b.size(); ++i) out += b[i] + (i + 1 < b.size() ? "/" : "");
  return out;
}

kernfs::kernfs() { m_dirs.insert("/"); }

void kernfs::mkdir(const std::string& path) {
  std::string p;
  for (const std::string& c : split_path(path)) {
    p += "/" + c;
    m_dirs.insert(p);
    ++m_files_stamp;
  }
}

void kernfs::mount(const std::string& path, kernfs_dir_fn children, kernfs_find_fn find, kernfs_names_fn names) {
  mkdir(parent_of(join_path(split_path(path))));
  m_mounts[join_path(split_path(path))] = mount_point{std::move(children), std::move(find), std::move(names)};
}

std::vector<std::string> kernfs::files_under(const std::string& dir) const {
  std::vector<std::string> out;
  const std::string prefix = dir + "/";
  for (const auto& [path, content] : m_files)
    if (path.compare(0, prefix.size(), prefix) == 0) out.push_back(path);
  return out;
}

kernfs_node kernfs::fixed_dir(const std::string& path) {
  auto it = m_mounts.find(path);
  const std::string name = path == "/" ? "" : path.substr(path.rfind('/') + 1);
  if (it != m_mounts.end()) {
    kernfs_node n = kernfs_node::dir(name, it->second.children, it->second.find);
    n.names = it->second.names;
    return n;
  }
  return kernfs_node::dir(name, {});
}

std::vector<kernfs_node> kernfs::entries(const std::string& dir_path, const kernfs_node& dir) {
  std::vector<kernfs_node> out;
  if (dir.children) out = dir.children();
  std::set<std::string> seen;
  for (const kernfs_node& n : out) seen.insert(n.name);
  add_fixed_entries(dir_path, seen, out);
  return out;
}

void kernfs::add_fixed_entries(const std::string& dir_path, std::set<std::string>& seen,
                               std::vector<kernfs_node>& out) {
  // Only the keys below the directory, a sorted range of each container: listing
  // /etc/modprobe.d does not walk every tmpfs file (udev does it once per new device).
  const std::string prefix = dir_path == "/" ? "/" : dir_path + "/";
  const auto below = [&prefix](const std::string& key) { return key.compare(0, prefix.size(), prefix) == 0; };
  auto add_dir = [&](const std::string& path) {
    const std::string name = first_below(dir_path, path);
    if (name.empty() || !seen.insert(name).second) return;
    out.push_back(fixed_dir(child_path(dir_path, name)));
  };
  for (auto it = m_dirs.lower_bound(prefix); it != m_dirs.end() && below(*it); ++it) add_dir(*it);
  for (auto it = m_mounts.lower_bound(prefix); it != m_mounts.end() && below(it->first); ++it) add_dir(it->first);
  for (auto it = m_files.lower_bound(prefix); it != m_files.end() && below(it->first); ++it) {
    const std::string& path = it->first;
    const std::string name = first_below(dir_path, path);
    if (name.empty() || seen.count(name)) continue;
    const std::string full = child_path(dir_path, name);
    seen.insert(name);
    if (full == path) {
      out.push_back(kernfs_node::file(name, [this, full] {
        auto f = m_files.find(full);
        return f == m_files.end() ? fs_result{ENOENT, ""} : fs_result{0, f->second};
      }));
    } else {
      out.push_back(kernfs_node::dir(name, {}));   // a tmpfs directory holding files
    }
  }
}

namespace {
// Whether `keys` holds `path` or a path below it.
template <typename Map>
bool holds_at_or_below(const Map& keys, const std::string& path) {
  if (keys.count(path)) return true;
  const std::string below = path + "/";
  auto it = keys.lower_bound(below);
  return it != keys.end() && it->first.compare(0, below.size(), below) == 0;
}
bool holds_at_or_below(const std::set<std::string>& keys, const std::string& path) {
  if (keys.count(path)) return true;
  const std::string below = path + "/";
  auto it = keys.lower_bound(below);
  return it != keys.end() && it->compare(0, below.size(), below) == 0;
}
}  // namespace

bool kernfs::child(const std::string& dir_path, const kernfs_node& dir, const std::string& name, kernfs_node& out) {
  // entries() lists the provider's children first, then the fixed entries.
  if (dir.find) {
    if (dir.find(name, out)) return true;
  } else if (dir.children) {
    const std::vector<kernfs_node> list = dir.children();
    auto it = std::find_if(list.begin(), list.end(), [&](const kernfs_node& n) { return n.name == name; });
    if (it != list.end()) {
      out = *it;
      return true;
    }
  }
  // What add_fixed_entries() would add under this name: a fixed directory or mount
  // at or below it, else a tmpfs file or a directory holding some.
  const std::string full = child_path(dir_path, name);
  if (holds_at_or_below(m_dirs, full) || holds_at_or_below(m_mounts, full)) {
    out = fixed_dir(full);
    return true;
  }
  if (m_files.count(full)) {
    out = kernfs_node::file(name, [this, full] {
      auto f = m_files.find(full);
      return f == m_files.end() ? fs_result{ENOENT, ""} : fs_result{0, f->second};
    });
    return true;
  }
  if (holds_at_or_below(m_files, full)) {
    out = kernfs_node::dir(name, {});
    return true;
  }
  return false;
}

namespace {
// The components of a path without "" and ".", keeping ".." for the walk to resolve
// physically (after the links before it, as namei does).
std::vector<std::string> components(const std::string& path) {
  std::vector<std::string> parts;
  for_each_component(path, [&parts](std::string p) {
    if (p != ".") parts.push_back(std::move(p));
  });
  return parts;
}
}  // namespace

kernfs::found kernfs::walk(const std::vector<std::string>& parts, bool follow_last, int& hops) {
  std::string cur = "/";
  kernfs_node node = fixed_dir("/");
  for (size_t i = 0; i < parts.size(); ++i) {
    const bool last = i + 1 == parts.size();
    if (parts[i] == "..") {
      // The parent of where the walk physically is: walk there again from the root.
      std::vector<std::string> next = split_path(cur + "/..");
      next.insert(next.end(), parts.begin() + static_cast<std::ptrdiff_t>(i) + 1, parts.end());
      return walk(next, follow_last, hops);
    }
    kernfs_node entry;
    if (!child(cur, node, parts[i], entry)) {
      found f = failed(ENOENT);
      f.path = join_path(split_path(join_path(parts)));
      // A new file may go into a plain directory (fixed or tmpfs), never into sysfs/procfs.
      f.tmpfs_dir = last && !node.children && !pseudo(cur);
      return f;
    }
    const kernfs_node* it = &entry;
    if (it->type == kernfs_node::kind::link && (!last || follow_last)) {
      if (++hops > MAX_LINK_HOPS) return failed(ELOOP);
      // The target is relative to the directory holding the link.
      std::vector<std::string> next = components(cur + "/" + it->target);
      next.insert(next.end(), parts.begin() + static_cast<std::ptrdiff_t>(i) + 1, parts.end());
      return walk(next, follow_last, hops);
    }
    const std::string path = child_path(cur, parts[i]);
    if (last) {
      found f;
      f.exists = true;
      f.path = path;
      f.node = *it;
      f.tmpfs_dir = it->type == kernfs_node::kind::dir && !it->children && !pseudo(path);
      return f;
    }
    if (it->type != kernfs_node::kind::dir) return failed(ENOTDIR);
    cur = path;
    node = std::move(entry);
  }
  found root;
  root.exists = true;
  root.path = "/";
  root.node = node;
  root.tmpfs_dir = true;
  return root;
}

kernfs::found kernfs::lookup(const std::string& path, bool follow_last) {
  int hops = 0;
  return walk(components(path), follow_last, hops);
}

std::string kernfs::resolve(const std::string& path) {
  const found f = lookup(path, true);
  return f.path;
}

fs_result kernfs::read(const std::string& path) {
  const found f = lookup(path, true);
  if (!f.exists) return {f.error, ""};
  if (f.node.type == kernfs_node::kind::dir) return {EISDIR, ""};
  return f.node.show ? f.node.show() : fs_result{EACCES, ""};
}

fs_result kernfs::read_some(const std::string& path, size_t max_bytes) {
  const found f = lookup(path, true);
  if (f.exists && f.node.type == kernfs_node::kind::file && f.node.show_some) return f.node.show_some(max_bytes);
  fs_result r = read(path);
  if (r.data.size() > max_bytes) r.data.resize(max_bytes);
  return r;
}

int kernfs::write(const std::string& path, const std::string& data, bool append) {
  const found f = lookup(path, true);
  if (!f.exists) {
    if (!f.tmpfs_dir) return f.error;
    m_files[f.path] = data;
    ++m_files_stamp;
    return 0;
  }
  if (f.node.type == kernfs_node::kind::dir) return EISDIR;
  if (auto it = m_files.find(f.path); it != m_files.end()) {
    if (append) it->second += data;
    else it->second = data;
    ++m_files_stamp;
    return 0;
  }
  return f.node.store ? f.node.store(data) : EACCES;
}

fs_result kernfs::list(const std::string& path) {
  const found f = lookup(path, true);
  if (!f.exists) return {f.error, ""};
  if (f.node.type != kernfs_node::kind::dir) return {0, path + "\n"};   // `ls FILE` names the file
  std::vector<std::string> names;
  if (f.node.names) {
    names = f.node.names();
    std::set<std::string> seen(names.begin(), names.end());
    std::vector<kernfs_node> fixed;
    add_fixed_entries(f.path, seen, fixed);
    for (const kernfs_node& n : fixed) names.push_back(n.name);
  } else {
    for (const kernfs_node& n : entries(f.path, f.node)) names.push_back(n.name);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::string out;
  for (const auto& n : names) out += n + "\n";
  return {0, out};
}

bool kernfs::is_dir(const std::string& path) {
  const found f = lookup(path, true);
  return f.exists && f.node.type == kernfs_node::kind::dir;
}

fs_result kernfs::readlink(const std::string& path) {
  const found f = lookup(path, false);
  if (!f.exists) return {f.error, ""};
  if (f.node.type != kernfs_node::kind::link) return {EINVAL, ""};
  return {0, f.node.target};
}

// What Linux reports: kernfs gives an attribute the mode of its show/store (sysfs.h
// __ATTR_RO 0444, __ATTR_WO 0200, __ATTR_RW 0644) and a page as size
// (fs/sysfs/file.c sysfs_add_file_mode_ns: PAGE_SIZE), procfs files size 0, tmpfs
// files their length; directories and links report 0 in sysfs.
fs_stat kernfs::lstat(const std::string& path) {
  const found f = lookup(path, false);
  if (!f.exists) return {f.error, '\0', 0, 0};
  if (f.node.type == kernfs_node::kind::dir) return {0, 'd', 0755, 0};
  if (f.node.type == kernfs_node::kind::link) return {0, 'l', 0777, 0};
  if (auto it = m_files.find(f.path); it != m_files.end()) return {0, '-', 0644, it->second.size()};
  const unsigned mode = (f.node.show ? 0444u : 0u) | (f.node.store ? 0200u : 0u);
  const bool proc = f.path == "/proc" || f.path.rfind("/proc/", 0) == 0;
  return {0, '-', mode, proc ? 0ULL : 4096ULL};
}

}  // namespace iovsim::host
