// What userland may ask of the simulated kernel besides files (vfs.h): the system
// calls and sockets the real tools use, one function each. kmod's modprobe calls
// finit_module, dmesg reads the log through syslog(2), iproute2 talks rtnetlink,
// busybox devmem maps /dev/mem. Plain C++ and header-only, like a uapi header, so
// the tools build without the kernel or SystemC.
#pragma once

#include <cerrno>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "drivers-sim/kernel/vfs.h"

namespace iovsim::host {

// struct rtnl_link_stats64 as `ip -s link` prints it: drivers count what their rings
// saw, the stack what it dropped.
struct link_stats {
  uint64_t rx_packets = 0, tx_packets = 0, rx_bytes = 0, tx_bytes = 0;
  uint64_t rx_errors = 0, tx_errors = 0, rx_dropped = 0, tx_dropped = 0;
  uint64_t multicast = 0, collisions = 0;
  uint64_t rx_missed_errors = 0;      // frames the NIC had no room for (ixgbe: MPC, the packet buffer)
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

// Interface flags as rtnetlink reports and takes them (include/uapi/linux/if.h).
constexpr unsigned IFF_UP = 0x1, IFF_BROADCAST = 0x2, IFF_LOOPBACK = 0x8, IFF_RUNNING = 0x40, IFF_PROMISC = 0x100,
                   IFF_ALLMULTI = 0x200, IFF_MULTICAST = 0x1000, IFF_LOWER_UP = 0x10000;
// VLAN protocols of a VF's port VLAN (include/uapi/linux/if_ether.h ETH_P_8021Q/AD).
constexpr uint16_t ETH_P_8021Q = 0x8100, ETH_P_8021AD = 0x88a8;
// IFLA_VF_LINK_STATE values (include/uapi/linux/if_link.h).
constexpr unsigned IFLA_VF_LINK_STATE_AUTO = 0, IFLA_VF_LINK_STATE_ENABLE = 1, IFLA_VF_LINK_STATE_DISABLE = 2;

// One VF as rtnetlink's IFLA_VFINFO_LIST reports it (the PF driver's ndo_get_vf_config,
// filled as rtnetlink.c rtnl_fill_vfinfo does: IFLA_VF_TX_RATE is max_tx_rate).
struct vf_link_info {
  uint64_t mac = 0;
  unsigned vlan = 0, qos = 0;  // the port VLAN the PF inserts (0: none)
  uint16_t vlan_proto = ETH_P_8021Q;
  unsigned max_tx_rate = 0, min_tx_rate = 0;  // Mbps, 0: no limit
  bool spoofchk = true;
  bool trusted = false;
  bool rss_query = false;      // IFLA_VF_RSS_QUERY_EN, when the driver reports it
  bool has_rss_query = false;
  std::string link_state = "auto";
};

// One IFLA_VF_INFO of RTM_SETLINK's IFLA_VFINFO_LIST: what `ip link set IF vf N ...`
// asks, each attribute present or not (rtnetlink.c do_setvfinfo applies them in this
// order and stops at the first error).
struct vf_setting {
  unsigned vf = 0;              // u32 on the wire: a negative index is >= INT_MAX
  std::optional<uint64_t> mac;  // IFLA_VF_MAC
  struct vlan_info {
    unsigned vlan = 0, qos = 0;
    uint16_t proto = ETH_P_8021Q;  // IFLA_VF_VLAN for 802.1Q, IFLA_VF_VLAN_LIST otherwise
  };
  std::optional<vlan_info> vlan;
  std::optional<unsigned> tx_rate;  // IFLA_VF_TX_RATE (the legacy `rate`): max, min kept
  struct rate_info {
    unsigned min_tx_rate = 0, max_tx_rate = 0;
  };
  std::optional<rate_info> rate;       // IFLA_VF_RATE
  std::optional<bool> spoofchk;        // IFLA_VF_SPOOFCHK
  std::optional<unsigned> link_state;  // IFLA_VF_LINK_STATE
  std::optional<bool> rss_query;       // IFLA_VF_RSS_QUERY_EN
  std::optional<bool> trust;           // IFLA_VF_TRUST
};

// Neighbour flags and netlink request flags the bridge tool uses
// (include/uapi/linux/neighbour.h, netlink.h).
constexpr unsigned NTF_SELF = 0x02, NTF_MASTER = 0x04;
constexpr unsigned NLM_F_REPLACE = 0x100, NLM_F_EXCL = 0x200, NLM_F_CREATE = 0x400, NLM_F_APPEND = 0x800;

// RTM_NEWNEIGH / RTM_DELNEIGH of family AF_BRIDGE: one forwarding database entry
// (struct ndmsg + NDA_LLADDR + NDA_VLAN) and the request's nlmsg_flags.
struct fdb_request {
  int ifindex = 0;
  uint64_t mac = 0;
  bool has_vlan = false;  // NDA_VLAN present
  uint16_t vlan = 0;
  uint16_t state = 0;  // ndm_state (NUD_*)
  uint8_t flags = 0;   // ndm_flags (NTF_*)
  unsigned nlmsg_flags = 0;
};
// One RTM_NEWNEIGH of an AF_BRIDGE dump.
struct fdb_entry {
  int ifindex = 0;
  uint64_t mac = 0;
  uint16_t vlan = 0;   // 0: no NDA_VLAN
  uint16_t state = 0;  // NUD_*
  uint8_t flags = 0;   // NTF_*
  int master = 0;      // NDA_MASTER, 0: none
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
  bool promisc = false, allmulti = false;  // IFF_PROMISC / IFF_ALLMULTI as asked (dev_get_flags(): gflags)
  std::string link;                        // IFLA_LINK: the device a VLAN device sits on ("NAME@LINK")
  bool noqueue = false;                    // IFF_NO_QUEUE (a VLAN device): qdisc noqueue once up
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
  virtual int rtnl_setlink_mtu(int /*ifindex*/, unsigned /*mtu*/, std::string& /*why*/) { return -EOPNOTSUPP; }
  // RTM_SETLINK ifi_flags/ifi_change (dev_change_flags()): IFF_UP, IFF_PROMISC,
  // IFF_ALLMULTI; 0 or -errno. A kernel that knows only IFF_UP answers that.
  virtual int rtnl_setlink_flags(int ifindex, unsigned flags, unsigned change) {
    if (change & ~IFF_UP) return -EOPNOTSUPP;
    return change ? rtnl_setlink_up(ifindex, flags & IFF_UP) : 0;
  }
  // RTM_SETLINK IFLA_VFINFO_LIST with one IFLA_VF_INFO: 0 or -errno (-EINVAL: no
  // such VF, -EOPNOTSUPP: the driver has no such hook).
  virtual int rtnl_setlink_vf(int /*ifindex*/, const vf_setting& /*s*/) { return -EOPNOTSUPP; }
  // RTM_NEWLINK of a VLAN device on `link_ifindex` (vlan_newlink()); extack text in `why`.
  virtual int rtnl_newlink_vlan(int /*link_ifindex*/, const std::string& /*name*/, uint16_t /*proto*/, uint16_t /*vid*/,
                                std::string& /*why*/) {
    return -EOPNOTSUPP;
  }
  // RTM_DELLINK.
  virtual int rtnl_dellink(int /*ifindex*/) { return -EOPNOTSUPP; }
  // RTM_SETLINK IFLA_ADDRESS: dev_set_mac_address() -> ndo_set_mac_address.
  virtual int rtnl_setlink_address(int /*ifindex*/, uint64_t /*mac*/) { return -EOPNOTSUPP; }

  // RTM_NEWADDR / RTM_DELADDR of an IPv4 address: 0 or -errno (-ENODEV, -EEXIST,
  // -EADDRNOTAVAIL: no such address). `broadcast` is IFA_BROADCAST, 0 for none.
  virtual int rtnl_newaddr(int ifindex, uint32_t local, unsigned prefixlen, uint32_t broadcast) = 0;
  virtual int rtnl_deladdr(int ifindex, uint32_t local, unsigned prefixlen) = 0;
  virtual std::vector<ifaddr_info> rtnl_getaddr() = 0;
  virtual std::vector<route_info> rtnl_getroute() = 0;
  virtual std::vector<neigh_info> rtnl_getneigh() = 0;
  // RTM_NEWNEIGH / RTM_DELNEIGH with AF_BRIDGE (rtnetlink.c rtnl_fdb_add/rtnl_fdb_del):
  // 0 or -errno, with the kernel's extack message in `why` when it gives one.
  virtual int rtnl_fdb_add(const fdb_request& /*r*/, std::string& /*why*/) { return -EOPNOTSUPP; }
  virtual int rtnl_fdb_del(const fdb_request& /*r*/, std::string& /*why*/) { return -EOPNOTSUPP; }
  // RTM_GETNEIGH dump with AF_BRIDGE (rtnl_fdb_dump): every entry of the port
  // `brport_ifindex` (0: all) under the bridge `br_ifindex` (0: any); 0 or -errno.
  virtual int rtnl_fdb_dump(int /*brport_ifindex*/, int /*br_ifindex*/, std::vector<fdb_entry>& /*out*/) {
    return -EOPNOTSUPP;
  }

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
  // The simulated time in ns: what the guest's clock calls (CLOCK_MONOTONIC) return
  // on the simulated host; no wall clock is read.
  virtual uint64_t clock_ns() = 0;

  // /dev/mem: physical memory the CPU can reach (RAM only), `len` bytes at `addr`.
  // 0 or -EFAULT when the range is not RAM.
  virtual int devmem(uint64_t addr, void* data, unsigned len, bool write) = 0;
};

}  // namespace iovsim::host
