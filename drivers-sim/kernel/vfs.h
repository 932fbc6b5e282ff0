// The file interface between userland and the simulated kernel (the system calls
// open/read/write/getdents/readlink, folded into one call each): what the shell,
// coreutils and the tools use to reach sysfs, procfs and plain files. Plain C++ and
// header-only, like a uapi header: userland libraries include it without linking
// the kernel.
#pragma once

#include <cerrno>
#include <cstddef>
#include <string>

namespace iovsim::host {

// Result of a file operation of the virtual file system.
struct fs_result {
  int error = 0;             // 0, or an errno value (ENOENT, EBUSY, ...)
  std::string data;          // read: the content; list: one name per line
};

// lstat(2), as much of it as `ls -l` and `test` show.
struct fs_stat {
  int error = 0;                // ENOENT, ENOTDIR, ... (0: it exists)
  char type = '\0';             // '-' file, 'd' directory, 'l' symbolic link; '\0': not known
  unsigned mode = 0;            // permission bits: 0644, 0444, 0200, 0755, 0777
  unsigned long long size = 0;  // st_size
};

// The files the shell sees: sysfs, procfs and /etc, provided by the host model.
class vfs {
 public:
  virtual ~vfs() = default;
  virtual fs_result read(const std::string& path) = 0;
  // read(2) of at most `max_bytes` from the start: what a tool that needs a header
  // only does (udev reads 64 bytes of a device's config).
  virtual fs_result read_some(const std::string& path, size_t max_bytes) {
    fs_result r = read(path);
    if (r.data.size() > max_bytes) r.data.resize(max_bytes);
    return r;
  }
  // `echo X > path` writes "X\n"; `>>` appends. Returns the write's errno (0 ok).
  virtual int write(const std::string& path, const std::string& data, bool append) = 0;
  // Directory listing: names sorted the way `ls` sorts them (C locale).
  virtual fs_result list(const std::string& path) = 0;
  virtual bool is_dir(const std::string& path) = 0;
  // readlink(2): the target of a symbolic link as stored (often relative); EINVAL
  // when the path is not a link (callers check that it exists). The other calls
  // follow links.
  virtual fs_result readlink(const std::string& /*path*/) { return {EINVAL, ""}; }
  // lstat(2): does not follow a final link. By default nothing is known (type '\0')
  // and userland goes by is_dir and readlink.
  virtual fs_stat lstat(const std::string& /*path*/) { return {}; }
  // realpath(3) of an existing path: every link resolved, "." and ".." gone; "" when
  // it does not exist (or a file system cannot say).
  virtual std::string realpath(const std::string& /*path*/) { return ""; }
  // A count of changes to the plain (tmpfs) files and directories: what was read from
  // them is still what they hold while it stays the same (what kmod learns from its
  // configuration's timestamps). 0: the file system cannot tell.
  virtual uint64_t files_stamp() const { return 0; }
};

}  // namespace iovsim::host
