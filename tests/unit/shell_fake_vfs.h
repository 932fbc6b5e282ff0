// A file system in maps for the shell's tests: files, directories, symbolic links
// that only readlink and lstat know, and chosen paths that fail their writes the way
// sysfs attributes do, and the outcome of a line. Shared by shell_test.cpp and
// shell_script_test.cpp.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "drivers-sim/kernel/vfs.h"

namespace iovsim::host {

// Everything a line gives back, compared at once so a failure shows all of it.
struct outcome {
  std::string out, err;
  int status = 0;
  std::string errno_name;
  bool operator==(const outcome& o) const {
    return out == o.out && err == o.err && status == o.status && errno_name == o.errno_name;
  }
};

inline void PrintTo(const outcome& o, std::ostream* os) {
  *os << "{out=" << ::testing::PrintToString(o.out) << ", err=" << ::testing::PrintToString(o.err)
      << ", status=" << o.status << ", errno=" << o.errno_name << "}";
}

// Files and directories in maps; chosen paths fail their writes like sysfs does.
class fake_vfs : public vfs {
 public:
  void add_file(const std::string& path, const std::string& data) {
    m_files[path] = data;
    for (size_t slash = path.rfind('/'); slash != std::string::npos && slash > 0; slash = path.rfind('/', slash - 1))
      m_dirs.insert(path.substr(0, slash));
  }
  void add_dir(const std::string& path) {
    add_file(path + "/.keep", "");
    m_files.erase(path + "/.keep");
  }
  void fail_writes(const std::string& path, int err) { m_write_errors[path] = err; }
  std::string content(const std::string& path) const {
    auto it = m_files.find(path);
    return it == m_files.end() ? "<missing>" : it->second;
  }

  fs_result read(const std::string& path) override {
    if (m_dirs.count(path)) return {EISDIR, ""};
    auto it = m_files.find(path);
    return it == m_files.end() ? fs_result{ENOENT, ""} : fs_result{0, it->second};
  }
  int write(const std::string& path, const std::string& data, bool append) override {
    writes.emplace_back(path, data, append);
    if (auto it = m_write_errors.find(path); it != m_write_errors.end()) return it->second;
    if (m_dirs.count(path)) return EISDIR;
    if (!m_dirs.count(path.substr(0, std::max<size_t>(path.rfind('/'), 1)))) return ENOENT;
    m_files[path] = append ? m_files[path] + data : data;
    return 0;
  }
  fs_result list(const std::string& path) override {
    if (!m_dirs.count(path)) return {m_files.count(path) ? ENOTDIR : ENOENT, ""};
    const std::string prefix = path == "/" ? "/" : path + "/";
    std::set<std::string> names;
    auto consider = [&](const std::string& p) {
      if (p.size() > prefix.size() && p.compare(0, prefix.size(), prefix) == 0 &&
          p.find('/', prefix.size()) == std::string::npos)
        names.insert(p.substr(prefix.size()));
    };
    for (const auto& d : m_dirs) consider(d);
    for (const auto& f : m_files) consider(f.first);
    std::string out;
    for (const auto& n : names) out += n + "\n";
    return {0, out};
  }
  bool is_dir(const std::string& path) override { return m_dirs.count(path) > 0; }
  // Symbolic links: only readlink knows them (the other calls see what is there).
  void add_link(const std::string& path, const std::string& target) { m_links[path] = target; }
  fs_result readlink(const std::string& path) override {
    auto it = m_links.find(path);
    return it == m_links.end() ? fs_result{EINVAL, ""} : fs_result{0, it->second};
  }

  // What lstat says of a path, as kernfs tells modes and sizes; paths without one get
  // the default (nothing known), so the shell falls back to is_dir and readlink.
  void add_stat(const std::string& path, fs_stat st) { m_stats[path] = st; }
  fs_stat lstat(const std::string& path) override {
    auto it = m_stats.find(path);
    return it == m_stats.end() ? fs_stat{} : it->second;
  }

  std::vector<std::tuple<std::string, std::string, bool>> writes;  // path, data, append

 private:
  std::map<std::string, std::string> m_files;
  std::set<std::string> m_dirs{"/"};
  std::map<std::string, int> m_write_errors;
  std::map<std::string, std::string> m_links;
  std::map<std::string, fs_stat> m_stats;
};

}  // namespace iovsim::host
