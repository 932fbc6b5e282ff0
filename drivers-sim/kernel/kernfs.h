// The simulated kernel's file tree, what userland reaches through vfs: sysfs and
// procfs directories whose contents the owning subsystem computes when asked (as
// kernfs and procfs do: an attribute's show/store, a link's target), and a tmpfs for
// plain files (/etc/modprobe.d/*.conf, /tmp). Each subsystem mounts what it owns
// (pci/pci_sysfs.cpp, net/net_sysfs.cpp, iommu/iommu_sysfs.cpp), so adding a file
// touches the subsystem, not the host.
//
// Path walk (fs/namei.c link_path_walk): component by component from the root; a
// link is followed relative to the directory that holds it, at most
// MAX_LINK_HOPS times per lookup (Linux: 40 nested, ELOOP after). A write to a
// name that does not exist creates a plain file when its directory is a fixed or
// tmpfs directory; sysfs and procfs directories never get new files (ENOENT), and
// an attribute without a store refuses writes (EACCES, as mode 0444 does for root).
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "drivers-sim/kernel/vfs.h"

namespace iovsim::host {

struct kernfs_node;
using kernfs_dir_fn = std::function<std::vector<kernfs_node>()>;
// One entry of a directory by name, without listing the others (fs/kernfs/dir.c
// kernfs_find_ns: a directory's children are an rbtree searched by name): true and
// the entry in `out`, or false. It must agree with the directory's listing (the
// first entry of that name), so a provider builds both from the same helpers.
using kernfs_find_fn = std::function<bool(const std::string& name, kernfs_node& out)>;
// The names of a directory's children, as its listing has them: what `ls` and a glob
// need, without building each entry (a rack's 2,073 device links).
using kernfs_names_fn = std::function<std::vector<std::string>()>;

struct kernfs_node {
  enum class kind { file, dir, link };
  std::string name;
  kind type = kind::file;
  std::function<fs_result()> show;                   // file
  std::function<fs_result(size_t)> show_some;        // file: the first N bytes, when cheaper than all
  std::function<int(const std::string&)> store;      // file: 0 or an errno; empty: read-only
  kernfs_dir_fn children;                            // dir
  kernfs_find_fn find;                               // dir: one child by name (else children() is searched)
  kernfs_names_fn names;                             // dir: the children's names (else children() is listed)
  std::string target;                                // link, relative to its directory

  static kernfs_node file(std::string name, std::function<fs_result()> show,
                          std::function<int(const std::string&)> store = {});
  // A read-only attribute whose content is a fixed string.
  static kernfs_node text(std::string name, std::string content);
  static kernfs_node dir(std::string name, kernfs_dir_fn children, kernfs_find_fn find = {});
  static kernfs_node link(std::string name, std::string target);
};

class kernfs : public vfs {
 public:
  static constexpr int MAX_LINK_HOPS = 40;

  kernfs();

  // A directory that always exists (with its parents), e.g. "/sys/kernel/iommu_groups".
  void mkdir(const std::string& path);
  // A directory whose entries `children` computes (it also gets the fixed directories
  // and mounts below it). One provider per path. `find`, when given, finds one of
  // `children`'s entries by name: a path walk through a directory of thousands of
  // entries (/sys/bus/pci/devices on a rack) then costs one entry, not all of them.
  void mount(const std::string& path, kernfs_dir_fn children, kernfs_find_fn find = {}, kernfs_names_fn names = {});
  // A plain file in the tmpfs (the scenario's files present at boot).
  void put_file(const std::string& path, const std::string& content) {
    m_files[path] = content;
    ++m_files_stamp;
  }
  uint64_t files_stamp() const override { return m_files_stamp; }
  // Plain files under `dir` (tmpfs), by path: /etc/modprobe.d/*.conf readers.
  std::vector<std::string> files_under(const std::string& dir) const;
  // Forgets every mount (a reboot: the kernel that provided them is gone). Fixed
  // directories and tmpfs files stay.
  void unmount_all() { m_mounts.clear(); }

  // The canonical absolute path with every link followed ("" when a link loops).
  std::string resolve(const std::string& path);

  // vfs
  fs_result read(const std::string& path) override;
  fs_result read_some(const std::string& path, size_t max_bytes) override;
  int write(const std::string& path, const std::string& data, bool append) override;
  fs_result list(const std::string& path) override;
  bool is_dir(const std::string& path) override;
  fs_result readlink(const std::string& path) override;
  fs_stat lstat(const std::string& path) override;
  // One walk of the path (the walk resolves every link on the way).
  std::string realpath(const std::string& path) override {
    const found f = lookup(path, true);
    return f.exists ? f.path : "";
  }

 public:
  struct found {
    bool exists = false;
    int error = 0;                     // when it does not: ENOENT, ENOTDIR, ELOOP
    std::string path;                  // canonical
    kernfs_node node;                  // when it exists
    bool tmpfs_dir = false;            // a fixed or tmpfs directory: may hold new files
  };

 private:
  // Walks `path`; `follow_last` false stops at a final link (readlink).
  found lookup(const std::string& path, bool follow_last);
  found walk(const std::vector<std::string>& parts, bool follow_last, int& hops);
  std::vector<kernfs_node> entries(const std::string& dir_path, const kernfs_node& dir);
  // The entry `name` of `dir` (what entries() would list first under that name).
  bool child(const std::string& dir_path, const kernfs_node& dir, const std::string& name, kernfs_node& out);
  // The fixed directories, mounts and tmpfs files directly below `dir_path` that are
  // not in `seen` (added to it), as entries.
  void add_fixed_entries(const std::string& dir_path, std::set<std::string>& seen, std::vector<kernfs_node>& out);
  kernfs_node fixed_dir(const std::string& path);

  struct mount_point {
    kernfs_dir_fn children;
    kernfs_find_fn find;
    kernfs_names_fn names;
  };
  std::set<std::string> m_dirs;                        // fixed directories
  std::map<std::string, mount_point> m_mounts;         // path -> provider
  std::map<std::string, std::string> m_files;          // tmpfs: path -> content
  uint64_t m_files_stamp = 1;                          // changes of m_files and m_dirs (files_stamp())
};

// The target of a link in directory `from_dir` that reaches `to` (both absolute):
// "../" up to their common ancestor, then down (fs/kernfs/symlink.c
// kernfs_get_target_path()).
std::string relative_path(const std::string& from_dir, const std::string& to);

// Splits a path into its components, dropping "", "." and resolving "..".
std::vector<std::string> split_path(const std::string& path);
std::string join_path(const std::vector<std::string>& parts, size_t from = 0);

}  // namespace iovsim::host
