#include "drivers-sim/kernel/errno.h"

#include <array>
#include <cerrno>

namespace iovsim::host {

namespace {
struct errno_entry {
  int value;
  const char* name;
  const char* message;  // glibc strerror()
};

// ENOTSUP is EOPNOTSUPP on Linux: the first entry with a value names it.
constexpr std::array<errno_entry, 43> ERRNOS = {{
    {EPERM, "EPERM", "Operation not permitted"},
    {ENOENT, "ENOENT", "No such file or directory"},
    {ESRCH, "ESRCH", "No such process"},
    {EINTR, "EINTR", "Interrupted system call"},
    {EIO, "EIO", "Input/output error"},
    {ENXIO, "ENXIO", "No such device or address"},
    {E2BIG, "E2BIG", "Argument list too long"},
    {ENOEXEC, "ENOEXEC", "Exec format error"},
    {EBADF, "EBADF", "Bad file descriptor"},
    {EAGAIN, "EAGAIN", "Resource temporarily unavailable"},
    {ENOMEM, "ENOMEM", "Cannot allocate memory"},
    {EACCES, "EACCES", "Permission denied"},
    {EFAULT, "EFAULT", "Bad address"},
    {EBUSY, "EBUSY", "Device or resource busy"},
    {EEXIST, "EEXIST", "File exists"},
    {EXDEV, "EXDEV", "Invalid cross-device link"},
    {ENODEV, "ENODEV", "No such device"},
    {ENOTDIR, "ENOTDIR", "Not a directory"},
    {EISDIR, "EISDIR", "Is a directory"},
    {EINVAL, "EINVAL", "Invalid argument"},
    {ENFILE, "ENFILE", "Too many open files in system"},
    {EMFILE, "EMFILE", "Too many open files"},
    {ENOSPC, "ENOSPC", "No space left on device"},
    {ESPIPE, "ESPIPE", "Illegal seek"},
    {EROFS, "EROFS", "Read-only file system"},
    {EPIPE, "EPIPE", "Broken pipe"},
    {EDOM, "EDOM", "Numerical argument out of domain"},
    {ERANGE, "ERANGE", "Numerical result out of range"},
    {ENOSYS, "ENOSYS", "Function not implemented"},
    {ENOTEMPTY, "ENOTEMPTY", "Directory not empty"},
    {ENODATA, "ENODATA", "No data available"},
    {EPROTONOSUPPORT, "EPROTONOSUPPORT", "Protocol not supported"},
    {EOPNOTSUPP, "EOPNOTSUPP", "Operation not supported"},
    {ENOTSUP, "ENOTSUP", "Operation not supported"},
    {EMSGSIZE, "EMSGSIZE", "Message too long"},
    {EADDRINUSE, "EADDRINUSE", "Address already in use"},
    {EADDRNOTAVAIL, "EADDRNOTAVAIL", "Cannot assign requested address"},
    {ENETUNREACH, "ENETUNREACH", "Network is unreachable"},
    {ENETDOWN, "ENETDOWN", "Network is down"},
    {ETIMEDOUT, "ETIMEDOUT", "Connection timed out"},
    {EALREADY, "EALREADY", "Operation already in progress"},
    {EINPROGRESS, "EINPROGRESS", "Operation now in progress"},
    {ENOLINK, "ENOLINK", "Link has been severed"},
}};

const errno_entry* find_errno(int err) {
  for (const auto& e : ERRNOS)
    if (e.value == err) return &e;
  return nullptr;
}

}  // namespace

const char* errno_name(int err) {
  if (err == 0) return "";
  const errno_entry* e = find_errno(err);
  return e ? e->name : "EUNKNOWN";
}

const char* errno_message(int err) {
  if (err == 0) return "Success";
  const errno_entry* e = find_errno(err);
  return e ? e->message : "Unknown error";
}

}  // namespace iovsim::host
