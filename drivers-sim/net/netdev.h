// The network core as far as iovsim's users see it today (net/core/dev.c,
// rtnetlink.c): net_devices registered by drivers as eth%d, renamed later by udev
// through rtnetlink (dev_change_name() prints "renamed from ethN"), administrative
// state and carrier, and the rtnetlink view `ip link` reads. Drivers provide
// netdev_ops (ndo_open/ndo_stop, ndo_get_vf_config); /sys/class/net is mounted by
// net_sysfs.cpp. A registration is announced as a uevent once the driver's probe
// has returned (udev handles the KOBJ_ADD after the fact, as in Linux).
#pragma once

#include <cerrno>
#include <functional>
#include <memory>
#include <string>
#include <systemc>
#include <utility>
#include <vector>

#include "drivers-sim/kernel/kernel.h"
#include "drivers-sim/kernel/syscalls.h"
#include "drivers-sim/pci/pci_dev.h"
#include "models/kit/rng.h"

namespace iovsim::host {

struct netdev;
class net_core;

// link_stats and drvinfo, what rtnetlink and ethtool report, are in kernel/syscalls.h.

class netdev_ops {
 public:
  virtual ~netdev_ops() = default;
  virtual int open(netdev& nd) = 0;    // ndo_open: the interface goes up
  virtual int stop(netdev& nd) = 0;    // ndo_stop
  // ndo_get_vf_config for each VF of a PF netdev (empty for others).
  virtual std::vector<vf_link_info> vf_config(netdev& /*nd*/) { return {}; }
  // ndo_change_mtu, after the core checked the device's range: 0 or -errno. The
  // default takes it (a device with nothing to resize).
  virtual int change_mtu(netdev& nd, unsigned mtu);
  // ndo_start_xmit: the frame's bytes (destination MAC to the end of the payload, no
  // FCS) are copied into the driver's ring (the skb becomes the driver's); 0
  // (NETDEV_TX_OK), -EBUSY (NETDEV_TX_BUSY: ring full, the caller drops or retries),
  // -ENETDOWN. Called from a SystemC thread (the sender's CPU): it may wait() for the
  // CPU time the driver spends.
  virtual int start_xmit(netdev& /*nd*/, const uint8_t* /*frame*/, uint32_t /*len*/) { return -EOPNOTSUPP; }
  // ethtool -S: the driver's statistics, in the order the driver lists them.
  virtual std::vector<std::pair<std::string, uint64_t>> ethtool_stats(netdev& /*nd*/) { return {}; }
  // ethtool -i.
  virtual drvinfo get_drvinfo(netdev& nd);

  // The PF's embedded switch, as the administrator sets it through RTM_SETLINK
  // IFLA_VFINFO_LIST (ndo_set_vf_mac, _vlan, _spoofchk, _trust, _link_state, _rate):
  // 0 or -errno; the defaults say the driver has no such hook (-EOPNOTSUPP).
  virtual int set_vf_mac(netdev& nd, unsigned vf, uint64_t mac);
  // `proto` is ETH_P_8021Q or ETH_P_8021AD.
  virtual int set_vf_vlan(netdev& nd, unsigned vf, unsigned vlan, unsigned qos, uint16_t proto);
  virtual int set_vf_spoofchk(netdev& nd, unsigned vf, bool on);
  virtual int set_vf_trust(netdev& nd, unsigned vf, bool on);
  // IFLA_VF_LINK_STATE_AUTO 0, _ENABLE 1, _DISABLE 2.
  virtual int set_vf_link_state(netdev& nd, unsigned vf, unsigned state);
  virtual int set_vf_rate(netdev& nd, unsigned vf, unsigned min_mbps, unsigned max_mbps);
  // ndo_fdb_add / ndo_fdb_del with NTF_SELF (`bridge fdb add MAC dev IF self`): the
  // defaults are the core's ndo_dflt_fdb_add / ndo_dflt_fdb_del (the uc/mc lists).
  // `excl`: NLM_F_EXCL, a duplicate is an error.
  virtual int fdb_add(netdev& nd, uint64_t mac, uint16_t vid, uint16_t ndm_state, bool excl);
  // ndo_vlan_rx_add_vid / ndo_vlan_rx_kill_vid (NETIF_F_HW_VLAN_CTAG_FILTER): a VLAN
  // device on this one wants `vid` received; 0 or -errno. The default: no filter.
  virtual int vlan_rx_add_vid(netdev& /*nd*/, uint16_t /*proto*/, uint16_t /*vid*/) { return 0; }
  virtual int vlan_rx_kill_vid(netdev& /*nd*/, uint16_t /*proto*/, uint16_t /*vid*/) { return 0; }
  // ndo_set_mac_address; the default is eth_mac_addr(): a valid unicast address, taken
  // while the interface is down (-EBUSY while it runs), -EADDRNOTAVAIL otherwise.
  virtual int set_mac_address(netdev& nd, uint64_t mac);
  virtual int fdb_del(netdev& nd, uint64_t mac, uint16_t vid);
  // ndo_set_rx_mode: IFF_PROMISC / IFF_ALLMULTI or the uc/mc lists changed while the
  // interface is up (also right after ndo_open). The driver reprograms its filters.
  virtual void set_rx_mode(netdev& /*nd*/) {}
};

// struct netdev_hw_addr: one address of a netdev's unicast or multicast list.
struct netdev_hw_addr {
  uint64_t addr = 0;
  unsigned refcount = 1;
};

// The addresses of a uc or mc list, in order (what __dev_uc_sync / netdev_for_each_*_addr walk).
inline std::vector<uint64_t> addresses_of(const std::vector<netdev_hw_addr>& list) {
  std::vector<uint64_t> out;
  out.reserve(list.size());
  for (const netdev_hw_addr& a : list) out.push_back(a.addr);
  return out;
}

// Frame buffers reused frame after frame by code that may wait while it holds one
// (another thread then takes another): no allocation once as many exist as are ever
// in flight at once.
class frame_buffers {
 public:
  std::vector<uint8_t> take(size_t bytes) {
    std::vector<uint8_t> b;
    if (!m_free.empty()) {
      b.swap(m_free.back());
      m_free.pop_back();
    }
    b.resize(bytes);
    return b;
  }
  void give(std::vector<uint8_t>&& b) { m_free.push_back(std::move(b)); }

 private:
  std::vector<std::vector<uint8_t>> m_free;
};

// What receives frames a driver passes up (netif_receive_skb / napi_gro_receive):
// the network stack. Called from the driver's NAPI poll, a SystemC thread.
//
// CPU time is owed, not waited, until something becomes visible (TLM-2's loosely
// timed "local time offset"): `debt` is what the poll has spent and not yet waited.
// The handler adds its own cost and, before anything another process can see (a
// frame sent, a socket woken, a timer armed), waits the whole debt and zeroes it; a
// frame it only counts and drops leaves the debt to the caller, which waits it before
// its own next visible step (a tail or mask register write). The visible timeline is
// the one of waiting every cost at once, with one thread switch per batch instead of
// one or two per frame.
class packet_handler {
 public:
  virtual ~packet_handler() = default;
  virtual void receive(netdev& nd, const uint8_t* frame, uint32_t len, sc_core::sc_time& debt) = 0;
};

// Waits what `debt` holds and zeroes it.
inline void settle(sc_core::sc_time& debt) {
  if (debt > sc_core::SC_ZERO_TIME) {
    sc_core::wait(debt);
    debt = sc_core::SC_ZERO_TIME;
  }
}

struct netdev {
  int ifindex = 0;
  std::string name;
  uint64_t mac = 0;             // 48 bits, first byte in bits 47:40
  bool admin_up = false;
  bool carrier = false;
  unsigned mtu = 1500;
  unsigned min_mtu = 68, max_mtu = 1500;  // ETH_MIN_MTU; the driver sets the maximum
  pci_dev* dev = nullptr;
  std::string driver;
  netdev_ops* ops = nullptr;
  net_core* core = nullptr;     // the core it is registered with (the ops' defaults use it)
  link_stats stats;             // the driver's and the stack's counts (ndo_get_stats64)
  // NETIF_F_RXCSUM: the NIC checks L4 checksums and the driver marks frames
  // CHECKSUM_UNNECESSARY (ixgbe_rx_checksum()); the stack does not sum them again.
  bool rx_csum_offload = false;

  // Receive filtering (net/core/dev.c, dev_addr_lists.c). `flags` holds IFF_PROMISC and
  // IFF_ALLMULTI as the counts make them (dev->flags: set while the count is not 0,
  // by the administrator or by the kernel itself); `gflags` what the administrator
  // asked (what `ip link` shows). Drivers read these in set_rx_mode.
  unsigned flags = 0;
  unsigned gflags = 0;
  unsigned promiscuity = 0, allmulti = 0;
  // The secondary unicast and the multicast addresses to receive, in insertion order.
  std::vector<netdev_hw_addr> uc, mc;
  // IFF_UNICAST_FLT: the driver filters extra unicast addresses itself (ixgbe, ixgbevf
  // and igb set it); without it the core makes the device promiscuous while `uc` is
  // not empty (__dev_set_rx_mode).
  bool unicast_flt = false;
  bool uc_promisc = false;
  // An 802.1Q device (net/8021q): the device below it, its VLAN and tag protocol. It
  // has no PCI device of its own (/sys/devices/virtual/net).
  netdev* vlan_real = nullptr;
  uint16_t vlan_id = 0, vlan_proto = 0;
};

class net_core {
 public:
  // `seed` seeds the random MACs drivers ask for (eth_hw_addr_random).
  net_core(kernel_log& log, uint64_t seed);

  // register_netdev(): the first free eth%d, and a KOBJ_ADD uevent queued for udev.
  netdev& register_netdev(pci_dev& dev, const std::string& driver, uint64_t mac, netdev_ops& ops);
  void unregister_netdev(pci_dev& dev);
  // Delivers the queued uevents (after a probe returned): on_uevent(ifname) each.
  void flush_uevents();
  std::function<void(const std::string& ifname)> on_uevent;
  // dev_change_name() through RTM_SETLINK IFLA_IFNAME: 0, -ENODEV, -EEXIST, -EBUSY
  // (the interface is up), -EINVAL (not a valid name).
  int rename(int ifindex, const std::string& name);

  std::vector<netdev*> netdevs() const;            // by ifindex
  netdev* find(const std::string& name) const;
  netdev* find(int ifindex) const;
  netdev* of(const pci_dev& dev) const;

  // dev_change_flags(IFF_UP): ndo_open / ndo_stop; 0 or -errno.
  int set_up(netdev& nd, bool up) { return change_flags(nd, up ? IFF_UP : 0, IFF_UP); }
  // dev_change_flags() as RTM_SETLINK calls it: the bits of `change` (IFF_UP,
  // IFF_PROMISC, IFF_ALLMULTI) take their value in `flags`. IFF_PROMISC/IFF_ALLMULTI
  // are the administrator's (gflags): asking twice counts once. 0 or -errno.
  int change_flags(netdev& nd, unsigned flags, unsigned change);
  // dev_set_promiscuity(nd, on ? 1 : -1) / dev_set_allmulti(): the kernel's own users
  // (each `on` undone by one `off`). Entering or leaving promiscuous mode is logged
  // ("device eth0 entered promiscuous mode"); set_rx_mode follows a change.
  int set_promiscuity(netdev& nd, bool on);
  int set_allmulti(netdev& nd, bool on);
  // dev_set_rx_mode(): ndo_set_rx_mode if the interface is up.
  void set_rx_mode(netdev& nd);
  // dev_uc_add_excl / dev_mc_add_excl (-EEXIST for an address already listed),
  // dev_mc_add (counted), dev_uc_del / dev_mc_del (-ENOENT); set_rx_mode on success.
  int uc_add_excl(netdev& nd, uint64_t mac);
  int mc_add_excl(netdev& nd, uint64_t mac);
  int mc_add(netdev& nd, uint64_t mac);
  int uc_del(netdev& nd, uint64_t mac);
  int mc_del(netdev& nd, uint64_t mac);
  // ndo_dflt_fdb_add / ndo_dflt_fdb_del (rtnetlink.c): permanent entries only, no VLAN.
  int dflt_fdb_add(netdev& nd, uint64_t mac, uint16_t vid, uint16_t ndm_state, bool excl);
  int dflt_fdb_del(netdev& nd, uint64_t mac, uint16_t vid, uint16_t ndm_state);
  // ndo_dflt_fdb_dump: the uc list, then the mc list, each "self permanent".
  std::vector<fdb_entry> dflt_fdb_dump(const netdev& nd) const;
  // rtnl_fdb_add / rtnl_fdb_del for a device that is no bridge port (there are no
  // bridges here): NTF_SELF reaches the driver's fdb_add/fdb_del, NTF_MASTER alone
  // -EOPNOTSUPP. 0 or -errno, the extack message in `why`.
  int fdb_add(const fdb_request& r, std::string& why);
  int fdb_del(const fdb_request& r, std::string& why);
  // rtnl_fdb_dump: each netdev's entries by ifindex (lo has none: not Ethernet); with a
  // bridge `br_ifindex` only its ports' (none here). 0 or -ENODEV.
  int fdb_dump(int brport_ifindex, int br_ifindex, std::vector<fdb_entry>& out) const;
  // do_setvfinfo(): the VF attributes in the kernel's order, stopping at an error.
  int set_vf(netdev& nd, const vf_setting& s);
  // dev_set_mac_address(): the driver's ndo_set_mac_address.
  int set_mac_address(netdev& nd, uint64_t mac) { return nd.ops ? nd.ops->set_mac_address(nd, mac) : -EOPNOTSUPP; }
  // is_valid_ether_addr(): not multicast, not zero.
  static bool valid_ether_addr(uint64_t mac) { return mac && !((mac >> 40) & 1); }
  // dev_set_mtu(): the device's range (dev_validate_mtu(), its message in `why`),
  // then ndo_change_mtu; 0 or -errno.
  int set_mtu(netdev& nd, unsigned mtu, std::string& why);
  // netif_carrier_on/off; the VLAN devices on it follow (netif_stacked_transfer_operstate).
  void set_carrier(netdev& nd, bool on);

  // register_vlan_device() (ip link add link REAL name NAME type vlan id VID): the
  // real device's filter asked for the VID first (vlan_vid_add -> ndo_vlan_rx_add_vid).
  // 0 or -errno, the kernel's extack text in `why` where it has one.
  int add_vlan(netdev& real, const std::string& name, uint16_t proto, uint16_t vid, std::string& why);
  // rtnl_dellink(): a VLAN device goes (its VID leaves the real device's filter);
  // -EOPNOTSUPP for a device that is not virtual.
  int del_link(netdev& nd);

  // netif_receive_skb(): a driver hands a received frame up; with no stack
  // registered it is counted as dropped.
  void receive(netdev& nd, const uint8_t* frame, uint32_t len, sc_core::sc_time& debt);
  void set_packet_handler(packet_handler* h) { m_handler = h; }

  // rtnetlink's link dump: lo, then every netdev by ifindex.
  std::vector<link_info> getlink() const;

  // eth_hw_addr_random(): a locally administered unicast address.
  uint64_t random_mac();

  // "<driver> <bdf> <name>: text" (netdev_info).
  void info(const netdev& nd, const std::string& text);

 private:
  kernel_log& m_log;
  kit::rng_stream m_rng;
  packet_handler* m_handler = nullptr;
  std::vector<std::unique_ptr<netdev>> m_netdevs;
  std::vector<int> m_pending_uevents;  // ifindex, in registration order
  std::unique_ptr<netdev_ops> m_vlan_ops;          // the 8021q driver's ops (vlan.cpp)
  frame_buffers m_untagged;                        // received frames with their tag taken out
  void remove_netdev(netdev& nd);
  // ndo_fdb_del has no ndm_state; ndo_dflt_fdb_del checks the request's (NUD_PERMANENT).
  uint16_t m_fdb_del_state = NUD_PERMANENT;
  friend class netdev_ops;
  int promiscuity_change(netdev& nd, int inc);  // __dev_set_promiscuity
  int allmulti_change(netdev& nd, int inc);     // __dev_set_allmulti
  // IPv4's all-hosts group on its ethernet address (ip_mc_up / ip_mc_down).
  void inet_up(netdev& nd);
  void inet_down(netdev& nd);
  int m_next_ifindex = 2;              // 1 is lo
};

std::string format_mac(uint64_t mac);

}  // namespace iovsim::host
