// What userland may ask of the simulated kernel besides files (vfs.h): the system
// calls and sockets the real tools use, one function each. kmod's modprobe calls
// finit_module, dmesg reads the log through syslog(2), iproute2 talks rtnetlink,
// busybox devmem maps /dev/mem. Plain C++ and header-only, like a uapi header, so
// the tools build without the kernel or SystemC.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "drivers-sim/kernel/vfs.h"

namespace iovsim::host {

// One VF as rtnetlink's IFLA_VFINFO_LIST reports it (the PF driver's ndo_get_vf_config).
struct vf_link_info {
  uint64_t mac = 0;
  bool spoofchk = true;
  bool trusted = false;
  bool rss_query = false;      // IFLA_VF_RSS_QUERY_EN, when the driver reports it
  bool has_rss_query = false;
  std::string link_state = "auto";
};

// One interface as RTM_NEWLINK describes it.
struct link_info {
  int ifindex = 0;
  std::string name;
  uint64_t mac = 0;
  unsigned mtu = 1500;
  bool admin_up = false;       // IFF_UP
  bool carrier = false;        // IFF_LOWER_UP
  bool loopback = false;
  std::vector<vf_link_info> vfs;
};

class syscalls {
 public:
  virtual ~syscalls() = default;

  virtual vfs& files() = 0;

  // syslog(2) SYSLOG_ACTION_READ_ALL: the kernel log, one line per record.
  virtual std::vector<std::string> syslog() = 0;

  // finit_module(2) of /lib/modules/<release>/.../NAME.ko with a parameter string
  // ("max_vfs=7 foo=bar"): 0 or -errno (-ENOENT: no such module file; -EEXIST:
  // already loaded; -EINVAL: a parameter failed to parse, see the kernel log).
  virtual int init_module(const std::string& name, const std::string& params) = 0;
  // delete_module(2): 0 or -errno (-ENOENT: not loaded).
  virtual int delete_module(const std::string& name) = 0;
  // kmod's modules.alias lookup (depmod output): the module whose device table
  // matches a MODALIAS string, "" for none.
  virtual std::string module_for_alias(const std::string& modalias) = 0;
  // The kernel release (uname -r), for the paths kmod prints.
  virtual std::string release() = 0;

  // rtnetlink: RTM_GETLINK dump (lo first, then by ifindex) and RTM_SETLINK IFF_UP.
  virtual std::vector<link_info> rtnl_getlink() = 0;
  virtual int rtnl_setlink_up(int ifindex, bool up) = 0;
  // RTM_SETLINK IFLA_IFNAME: 0 or -errno (-EBUSY while the interface is up).
  virtual int rtnl_setlink_name(int ifindex, const std::string& name) = 0;

  // /dev/mem: physical memory the CPU can reach (RAM only), `len` bytes at `addr`.
  // 0 or -EFAULT when the range is not RAM.
  virtual int devmem(uint64_t addr, void* data, unsigned len, bool write) = 0;
};

}  // namespace iovsim::host
