// What userland may ask of the simulated kernel besides files (vfs.h): the system
// calls and sockets the real tools use, one function each. kmod's modprobe calls
// finit_module, dmesg reads the log through syslog(2), iproute2 talks rtnetlink,
// busybox devmem maps /dev/mem. Plain C++ and header-only, like a uapi header, so
// the tools build without the kernel or SystemC.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "drivers-sim/kernel/vfs.h"

namespace iovsim::host {

// One VF as rtnetlink's IFLA_VFINFO_LIST reports it (the PF driver's ndo_get_vf_config).
// struct rtnl_link_stats64 as `ip -s link` prints it: drivers count what their rings
// saw, the stack what it dropped.
struct link_stats {
  uint64_t rx_packets = 0, tx_packets = 0, rx_bytes = 0, tx_bytes = 0;
  uint64_t rx_errors = 0, tx_errors = 0, rx_dropped = 0, tx_dropped = 0;
  uint64_t multicast = 0, collisions = 0;
  uint64_t rx_missed_errors = 0;      // frames the NIC dropped for want of a descriptor
  uint64_t rx_nohandler = 0;          // frames of a protocol nobody handles (no packet_type)
  uint64_t rx_otherhost_dropped = 0;  // unicast frames for another MAC (PACKET_OTHERHOST)
};

// ethtool -i (struct ethtool_drvinfo).
struct drvinfo {
  std::string driver, version, fw_version, bus_info;
  std::string expansion_rom_version;
  bool supports_statistics = true, supports_test = false, supports_eeprom_access = false,
       supports_register_dump = false, supports_priv_flags = false;
};

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
  link_stats stats;  // IFLA_STATS64
};

// IPv4 as rtnetlink shows it (RTM_GETADDR, RTM_GETROUTE, RTM_GETNEIGH). Addresses are
// host order: 10.0.0.1 is 0x0a000001.
struct ifaddr_info {
  int ifindex = 0;
  uint32_t local = 0;
  unsigned prefixlen = 0;
  bool has_broadcast = false;  // IFA_BROADCAST: only when `ip addr add ... brd` asked
  uint32_t broadcast = 0;
  bool host_scope = false;  // scope host (127.0.0.0/8 on lo), else scope global
  std::string label;        // IFA_LABEL: the interface name
};
struct route_info {  // the main table's connected routes
  uint32_t dst = 0;
  unsigned prefixlen = 0;
  int ifindex = 0;
  uint32_t prefsrc = 0;
  bool linkdown = false;  // RTNH_F_LINKDOWN: the interface has no carrier
};
// NUD_* states (include/uapi/linux/neighbour.h).
constexpr unsigned NUD_INCOMPLETE = 0x01, NUD_REACHABLE = 0x02, NUD_STALE = 0x04, NUD_DELAY = 0x08, NUD_PROBE = 0x10,
                   NUD_FAILED = 0x20, NUD_NOARP = 0x40, NUD_PERMANENT = 0x80;
struct neigh_info {
  uint32_t dst = 0;
  int ifindex = 0;
  bool has_lladdr = false;
  uint64_t lladdr = 0;
  unsigned state = 0;
};

// What a ping (ICMP datagram) socket hands its reader: an echo reply (recvmsg) or an
// ICMP error from the socket's error queue (MSG_ERRQUEUE, IP_RECVERR).
struct ping_message {
  bool error = false;
  uint32_t from = 0;  // the reply's source, or the error's offender
  uint16_t sequence = 0;
  uint8_t ttl = 0;                       // IP_TTL of a reply
  uint8_t icmp_type = 0, icmp_code = 0;  // of an error
  uint32_t icmp_bytes = 0;               // ICMP header + data of a reply
  uint64_t stamp_ns = 0;                 // SO_TIMESTAMP: when the stack queued it (CLOCK_REALTIME)
  std::vector<uint8_t> data;             // a reply's data after the 8-byte ICMP header
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
  // RTM_SETLINK IFLA_MTU: 0 or -errno, with the kernel's extack message in `why`
  // (dev_validate_mtu(): "mtu less than device minimum.").
  virtual int rtnl_setlink_mtu(int /*ifindex*/, unsigned /*mtu*/, std::string& /*why*/) { return -95; }

  // RTM_NEWADDR / RTM_DELADDR of an IPv4 address: 0 or -errno (-ENODEV, -EEXIST,
  // -EADDRNOTAVAIL: no such address). `broadcast` is IFA_BROADCAST, 0 for none.
  virtual int rtnl_newaddr(int ifindex, uint32_t local, unsigned prefixlen, uint32_t broadcast) = 0;
  virtual int rtnl_deladdr(int ifindex, uint32_t local, unsigned prefixlen) = 0;
  virtual std::vector<ifaddr_info> rtnl_getaddr() = 0;
  virtual std::vector<route_info> rtnl_getroute() = 0;
  virtual std::vector<neigh_info> rtnl_getneigh() = 0;

  // SIOCETHTOOL ETHTOOL_GDRVINFO and ETHTOOL_GSTRINGS + ETHTOOL_GSTATS: 0 or -ENODEV.
  virtual int ethtool_drvinfo(const std::string& ifname, drvinfo& info) = 0;
  virtual int ethtool_stats(const std::string& ifname, std::vector<std::pair<std::string, uint64_t>>& stats) = 0;

  // socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP), bound to a device (SO_BINDTODEVICE) when
  // `ifname` is not empty: a descriptor or -errno (-ENODEV).
  virtual int ping_socket(const std::string& ifname) = 0;
  // sendto(): the ICMP echo header (the kernel sets the identifier) and data; 0 or
  // -errno (-ENETUNREACH: no route). Blocks the caller for the stack's send cost.
  virtual int ping_send(int fd, uint32_t dst, uint16_t sequence, const std::vector<uint8_t>& data) = 0;
  // poll() + recvmsg(): waits up to timeout_ns for a reply or an error; 1 with `msg`
  // filled, 0 on timeout.
  virtual int ping_recv(int fd, ping_message& msg, uint64_t timeout_ns) = 0;
  virtual void close_socket(int fd) = 0;
  // clock_gettime(CLOCK_MONOTONIC) and gettimeofday() as the simulated host has them:
  // the simulated time in ns (allow-nondeterminism: names the Linux calls; no wall clock is read).
  virtual uint64_t clock_ns() = 0;

  // /dev/mem: physical memory the CPU can reach (RAM only), `len` bytes at `addr`.
  // 0 or -EFAULT when the range is not RAM.
  virtual int devmem(uint64_t addr, void* data, unsigned len, bool write) = 0;
};

}  // namespace iovsim::host
