#include "drivers-sim/net/netdev.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <functional>

namespace iovsim::host {

std::string format_mac(uint64_t mac) {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", (mac >> 40) & 0xff, (mac >> 32) & 0xff,
                     (mac >> 24) & 0xff, (mac >> 16) & 0xff, (mac >> 8) & 0xff, mac & 0xff);
}

net_core::net_core(kernel_log& log, uint64_t seed) : m_log(log), m_rng(seed, "host.net") {}

netdev& net_core::register_netdev(pci_dev& dev, const std::string& driver, uint64_t mac, netdev_ops& ops) {
  auto nd = std::make_unique<netdev>();
  nd->ifindex = m_next_ifindex++;
  nd->dev = &dev;
  nd->driver = driver;
  nd->mac = mac;
  nd->ops = &ops;
  nd->core = this;
  // dev_alloc_name(): the lowest eth%d no interface holds.
  for (unsigned n = 0;; ++n) {
    const std::string candidate = fmt::format("eth{}", n);
    if (!find(candidate)) {
      nd->name = candidate;
      break;
    }
  }
  dev.netdev = nd->name;
  m_pending_uevents.push_back(nd->ifindex);
  m_netdevs.push_back(std::move(nd));
  return *m_netdevs.back();
}

void net_core::flush_uevents() {
  std::vector<int> pending;
  pending.swap(m_pending_uevents);
  for (int ifindex : pending)
    if (netdev* nd = find(ifindex); nd && on_uevent) on_uevent(nd->name);
}

int net_core::rename(int ifindex, const std::string& name) {
  netdev* nd = find(ifindex);
  if (!nd) return -ENODEV;
  if (nd->name == name) return 0;
  // dev_valid_name(): 1..15 characters, not "." or "..", no '/', ':' or blank.
  if (name.empty() || name.size() >= 16 || name == "." || name == ".." ||
      name.find_first_of("/: \t\n") != std::string::npos)
    return -EINVAL;
  if (find(name)) return -EEXIST;
  if (nd->admin_up) return -EBUSY;
  const std::string old = nd->name;
  nd->name = name;
  nd->dev->netdev = name;
  info(*nd, "renamed from " + old);
  return 0;
}

void net_core::unregister_netdev(pci_dev& dev) {
  auto it = std::find_if(m_netdevs.begin(), m_netdevs.end(), [&](const auto& n) { return n->dev == &dev; });
  if (it != m_netdevs.end()) {
    // vlan_device_event(NETDEV_UNREGISTER): the VLAN devices on it go first.
    netdev* real = it->get();
    m_netdevs.erase(
        std::remove_if(m_netdevs.begin(), m_netdevs.end(), [real](const auto& n) { return n->vlan_real == real; }),
        m_netdevs.end());
    it = std::find_if(m_netdevs.begin(), m_netdevs.end(), [&](const auto& n) { return n->dev == &dev; });
  }
  if (it != m_netdevs.end()) m_netdevs.erase(it);
  dev.netdev.clear();
}

std::vector<netdev*> net_core::netdevs() const {
  std::vector<netdev*> out;
  for (const auto& n : m_netdevs) out.push_back(n.get());
  std::sort(out.begin(), out.end(), [](const netdev* a, const netdev* b) { return a->ifindex < b->ifindex; });
  return out;
}

netdev* net_core::find(const std::string& name) const {
  for (const auto& n : m_netdevs)
    if (n->name == name) return n.get();
  return nullptr;
}

netdev* net_core::find(int ifindex) const {
  for (const auto& n : m_netdevs)
    if (n->ifindex == ifindex) return n.get();
  return nullptr;
}

netdev* net_core::of(const pci_dev& dev) const {
  for (const auto& n : m_netdevs)
    if (n->dev == &dev) return n.get();
  return nullptr;
}

int net_core::change_flags(netdev& nd, unsigned flags, unsigned change) {
  // __dev_change_flags() (net/core/dev.c): the rx mode is reloaded first (nothing
  // while down), then IFF_UP, then the administrator's IFF_PROMISC and IFF_ALLMULTI.
  set_rx_mode(nd);
  int ret = 0;
  bool went_up = false, went_down = false;
  if ((change & IFF_UP) && ((flags & IFF_UP) != 0) != nd.admin_up) {
    nd.admin_up = !nd.admin_up;  // drivers see themselves running in ndo_open/ndo_stop
    if (nd.admin_up) {
      ret = nd.ops->open(nd);
      if (ret)
        nd.admin_up = false;  // __dev_open(): IFF_UP only once ndo_open succeeded
      else {
        set_rx_mode(nd);
        went_up = true;
      }
    } else {
      ret = nd.ops->stop(nd);
      went_down = true;
    }
  }
  if ((change & IFF_PROMISC) && ((flags ^ nd.gflags) & IFF_PROMISC)) {
    const unsigned old = nd.flags;
    nd.gflags ^= IFF_PROMISC;
    if (promiscuity_change(nd, (flags & IFF_PROMISC) ? 1 : -1) >= 0 && nd.flags != old) set_rx_mode(nd);
  }
  if ((change & IFF_ALLMULTI) && ((flags ^ nd.gflags) & IFF_ALLMULTI)) {
    nd.gflags ^= IFF_ALLMULTI;
    allmulti_change(nd, (flags & IFF_ALLMULTI) ? 1 : -1);
  }
  if (ret < 0) return ret;
  // __dev_notify_flags(): NETDEV_UP / NETDEV_DOWN reach inetdev_event() and
  // vlan_device_event(), which takes the VLAN devices on this one up or down with it.
  if (went_up) inet_up(nd);
  if (went_down) inet_down(nd);
  if (went_up || went_down) {
    std::vector<netdev*> vlans;
    for (const auto& n : m_netdevs)
      if (n->vlan_real == &nd && n->admin_up != went_up) vlans.push_back(n.get());
    for (netdev* v : vlans) change_flags(*v, went_up ? IFF_UP : 0, IFF_UP);
  }
  return ret;
}

// The IPv4 stack's multicast groups on the device (net/ipv4/igmp.c ip_mc_up from
// inetdev_event NETDEV_UP: every device has an in_device, addresses or not): the
// all-hosts group 224.0.0.1 joins through ip_mc_filter_add -> dev_mc_add of its
// Ethernet address (ip_eth_mc_map), and leaves on NETDEV_DOWN (ip_mc_down). This host
// has no IPv6, so the groups addrconf would add (33:33:00:00:00:01, the
// solicited-node addresses) are not there.
namespace {
constexpr uint64_t IPV4_ALL_HOSTS_MAC = 0x01005e000001ull;
}

void net_core::inet_up(netdev& nd) { mc_add(nd, IPV4_ALL_HOSTS_MAC); }
void net_core::inet_down(netdev& nd) { mc_del(nd, IPV4_ALL_HOSTS_MAC); }

int net_core::promiscuity_change(netdev& nd, int inc) {
  // __dev_set_promiscuity(): the flag follows the count; the change is logged with
  // pr_info (no device prefix in 6.1).
  if (inc < 0 && nd.promiscuity == 0) return -EINVAL;
  const unsigned old = nd.flags;
  nd.promiscuity += inc;
  if (nd.promiscuity)
    nd.flags |= IFF_PROMISC;
  else
    nd.flags &= ~IFF_PROMISC;
  if (nd.flags != old)
    m_log.print(fmt::format("device {} {} promiscuous mode", nd.name, nd.flags & IFF_PROMISC ? "entered" : "left"));
  return 0;
}

int net_core::allmulti_change(netdev& nd, int inc) {
  // __dev_set_allmulti(): no log line; the rx mode follows a change of the flag.
  if (inc < 0 && nd.allmulti == 0) return -EINVAL;
  const unsigned old = nd.flags;
  nd.allmulti += inc;
  if (nd.allmulti)
    nd.flags |= IFF_ALLMULTI;
  else
    nd.flags &= ~IFF_ALLMULTI;
  if (nd.flags != old) set_rx_mode(nd);
  return 0;
}

int net_core::set_promiscuity(netdev& nd, bool on) {
  const unsigned old = nd.flags;
  const int err = promiscuity_change(nd, on ? 1 : -1);
  if (err == 0 && nd.flags != old) set_rx_mode(nd);
  return err;
}

int net_core::set_allmulti(netdev& nd, bool on) { return allmulti_change(nd, on ? 1 : -1); }

void net_core::set_rx_mode(netdev& nd) {
  // __dev_set_rx_mode(): nothing while down (dev_open calls it again); a device that
  // cannot filter unicast addresses is promiscuous while it has any.
  if (!nd.admin_up) return;
  if (!nd.unicast_flt) {
    if (!nd.uc.empty() && !nd.uc_promisc) {
      promiscuity_change(nd, 1);
      nd.uc_promisc = true;
    } else if (nd.uc.empty() && nd.uc_promisc) {
      promiscuity_change(nd, -1);
      nd.uc_promisc = false;
    }
  }
  nd.ops->set_rx_mode(nd);
}

namespace {
// __hw_addr_add_ex() / __hw_addr_del_ex() (net/core/dev_addr_lists.c).
int hw_addr_add(std::vector<netdev_hw_addr>& list, uint64_t addr, bool exclusive) {
  for (netdev_hw_addr& ha : list)
    if (ha.addr == addr) {
      if (exclusive) return -EEXIST;
      ++ha.refcount;
      return 0;
    }
  list.push_back(netdev_hw_addr{addr, 1});
  return 0;
}

int hw_addr_del(std::vector<netdev_hw_addr>& list, uint64_t addr) {
  for (auto it = list.begin(); it != list.end(); ++it)
    if (it->addr == addr) {
      if (--it->refcount == 0) list.erase(it);
      return 0;
    }
  return -ENOENT;
}

bool is_multicast(uint64_t mac) { return (mac >> 40) & 1; }
// 01:80:c2:00:00:0X (is_link_local_ether_addr): a multicast address the default FDB
// puts on the unicast list.
bool is_link_local(uint64_t mac) { return (mac & ~0xfull) == 0x0180c2000000ull; }
}  // namespace

int net_core::uc_add_excl(netdev& nd, uint64_t mac) {
  const int err = hw_addr_add(nd.uc, mac, true);
  if (!err) set_rx_mode(nd);
  return err;
}

int net_core::mc_add_excl(netdev& nd, uint64_t mac) {
  const int err = hw_addr_add(nd.mc, mac, true);
  if (!err) set_rx_mode(nd);
  return err;
}

int net_core::mc_add(netdev& nd, uint64_t mac) {
  const int err = hw_addr_add(nd.mc, mac, false);
  if (!err) set_rx_mode(nd);
  return err;
}

int net_core::uc_del(netdev& nd, uint64_t mac) {
  const int err = hw_addr_del(nd.uc, mac);
  if (!err) set_rx_mode(nd);
  return err;
}

int net_core::mc_del(netdev& nd, uint64_t mac) {
  const int err = hw_addr_del(nd.mc, mac);
  if (!err) set_rx_mode(nd);
  return err;
}

int net_core::dflt_fdb_add(netdev& nd, uint64_t mac, uint16_t vid, uint16_t ndm_state, bool excl) {
  // ndo_dflt_fdb_add() (net/core/rtnetlink.c): local (permanent) entries only.
  if (ndm_state && !(ndm_state & NUD_PERMANENT)) {
    info(nd, "default FDB implementation only supports local addresses");
    return -EINVAL;
  }
  if (vid) {
    info(nd, "vlans aren't supported yet for dev_uc|mc_add()");
    return -EINVAL;
  }
  int err = !is_multicast(mac) || is_link_local(mac) ? uc_add_excl(nd, mac) : mc_add_excl(nd, mac);
  if (err == -EEXIST && !excl) err = 0;  // a duplicate is an error only with NLM_F_EXCL
  return err;
}

int net_core::dflt_fdb_del(netdev& nd, uint64_t mac, uint16_t /*vid*/, uint16_t ndm_state) {
  // ndo_dflt_fdb_del(): the VLAN is not looked at.
  if (!(ndm_state & NUD_PERMANENT)) {
    info(nd, "default FDB implementation only supports local addresses");
    return -EINVAL;
  }
  return !is_multicast(mac) || is_link_local(mac) ? uc_del(nd, mac) : mc_del(nd, mac);
}

std::vector<fdb_entry> net_core::dflt_fdb_dump(const netdev& nd) const {
  std::vector<fdb_entry> out;
  for (const auto* list : {&nd.uc, &nd.mc})
    for (const netdev_hw_addr& ha : *list) {
      fdb_entry e;
      e.ifindex = nd.ifindex;
      e.mac = ha.addr;
      e.state = NUD_PERMANENT;
      e.flags = NTF_SELF;
      out.push_back(e);
    }
  return out;
}

namespace {
// The checks rtnl_fdb_add and rtnl_fdb_del share (lo, ifindex 1, is no netdev here
// and not Ethernet); fdb_vid_parse().
int fdb_checks(const net_core& core, const fdb_request& r, const char* op, std::string& why) {
  if (r.ifindex == 0) {
    why = "invalid ifindex";
    return -EINVAL;
  }
  if (r.ifindex != 1 && !core.find(r.ifindex)) {
    why = "unknown ifindex";
    return -ENODEV;
  }
  if (r.ifindex == 1) {
    why = fmt::format("FDB {} only supported for Ethernet devices", op);
    return -EINVAL;
  }
  if (r.has_vlan && (r.vlan == 0 || r.vlan >= 4095)) {
    why = "invalid vlan id";
    return -EINVAL;
  }
  return 0;
}
}  // namespace

int net_core::fdb_add(const fdb_request& r, std::string& why) {
  if (const int err = fdb_checks(*this, r, "add", why)) return err;
  netdev& nd = *find(r.ifindex);
  // No device here is a bridge port, so NTF_MASTER (or no flag) finds no bridge;
  // NTF_SELF is the device's own table ("Embedded bridge, macvlan, ...").
  if (!(r.flags & NTF_SELF)) return -EOPNOTSUPP;
  return nd.ops->fdb_add(nd, r.mac, r.has_vlan ? r.vlan : 0, r.state, (r.nlmsg_flags & NLM_F_EXCL) != 0);
}

int net_core::fdb_del(const fdb_request& r, std::string& why) {
  if (const int err = fdb_checks(*this, r, "delete", why)) return err;
  netdev& nd = *find(r.ifindex);
  if (!(r.flags & NTF_SELF)) return -EOPNOTSUPP;
  m_fdb_del_state = r.state;
  const int err = nd.ops->fdb_del(nd, r.mac, r.has_vlan ? r.vlan : 0);
  m_fdb_del_state = NUD_PERMANENT;
  return err;
}

int net_core::fdb_dump(int brport_ifindex, int br_ifindex, std::vector<fdb_entry>& out) const {
  out.clear();
  if (br_ifindex && br_ifindex != 1 && !find(br_ifindex)) return -ENODEV;
  // With a bridge named, only its ports and itself are dumped, and only a bridge
  // master passes: no device here is one.
  if (br_ifindex) return 0;
  for (const netdev* nd : netdevs()) {
    if (brport_ifindex && nd->ifindex != brport_ifindex) continue;
    const std::vector<fdb_entry> entries = dflt_fdb_dump(*nd);
    out.insert(out.end(), entries.begin(), entries.end());
  }
  return 0;
}

int net_core::set_vf(netdev& nd, const vf_setting& s) {
  // do_setvfinfo() (net/core/rtnetlink.c): each attribute's VF index must be below
  // INT_MAX; the first failing hook ends the request.
  constexpr unsigned INT_MAX_U = 0x7fffffff;
  const bool bad_vf = s.vf >= INT_MAX_U;
  netdev_ops& ops = *nd.ops;
  int err = -EINVAL;
  if (s.mac) {
    if (bad_vf) return -EINVAL;
    if ((err = ops.set_vf_mac(nd, s.vf, *s.mac)) < 0) return err;
  }
  if (s.vlan) {
    if (bad_vf) return -EINVAL;
    if ((err = ops.set_vf_vlan(nd, s.vf, s.vlan->vlan, s.vlan->qos, s.vlan->proto)) < 0) return err;
  }
  // rtnl_set_vf_rate(): a maximum below the minimum is refused before the driver.
  auto set_rate = [&](unsigned min, unsigned max) {
    if (max && max < min) return -EINVAL;
    return ops.set_vf_rate(nd, s.vf, min, max);
  };
  if (s.tx_rate) {
    // The legacy rate is the maximum; the minimum stays what ndo_get_vf_config says.
    if (bad_vf) return -EINVAL;
    const std::vector<vf_link_info> vfs = ops.vf_config(nd);
    if ((err = set_rate(s.vf < vfs.size() ? vfs[s.vf].min_tx_rate : 0, *s.tx_rate)) < 0) return err;
  }
  if (s.rate) {
    if (bad_vf) return -EINVAL;
    if ((err = set_rate(s.rate->min_tx_rate, s.rate->max_tx_rate)) < 0) return err;
  }
  if (s.spoofchk) {
    if (bad_vf) return -EINVAL;
    if ((err = ops.set_vf_spoofchk(nd, s.vf, *s.spoofchk)) < 0) return err;
  }
  if (s.link_state) {
    if (bad_vf) return -EINVAL;
    if ((err = ops.set_vf_link_state(nd, s.vf, *s.link_state)) < 0) return err;
  }
  if (s.rss_query) {
    // ndo_set_vf_rss_query_en is not among the hooks modelled.
    if (bad_vf) return -EINVAL;
    return -EOPNOTSUPP;
  }
  if (s.trust) {
    if (bad_vf) return -EINVAL;
    if ((err = ops.set_vf_trust(nd, s.vf, *s.trust)) < 0) return err;
  }
  return err;
}

int netdev_ops::set_vf_mac(netdev&, unsigned, uint64_t) { return -EOPNOTSUPP; }
int netdev_ops::set_vf_vlan(netdev&, unsigned, unsigned, unsigned, uint16_t) { return -EOPNOTSUPP; }
int netdev_ops::set_vf_spoofchk(netdev&, unsigned, bool) { return -EOPNOTSUPP; }
int netdev_ops::set_vf_trust(netdev&, unsigned, bool) { return -EOPNOTSUPP; }
int netdev_ops::set_vf_link_state(netdev&, unsigned, unsigned) { return -EOPNOTSUPP; }
int netdev_ops::set_vf_rate(netdev&, unsigned, unsigned, unsigned) { return -EOPNOTSUPP; }

int netdev_ops::fdb_add(netdev& nd, uint64_t mac, uint16_t vid, uint16_t ndm_state, bool excl) {
  return nd.core ? nd.core->dflt_fdb_add(nd, mac, vid, ndm_state, excl) : -EOPNOTSUPP;
}

int netdev_ops::fdb_del(netdev& nd, uint64_t mac, uint16_t vid) {
  return nd.core ? nd.core->dflt_fdb_del(nd, mac, vid, nd.core->m_fdb_del_state) : -EOPNOTSUPP;
}

int netdev_ops::change_mtu(netdev& nd, unsigned mtu) {
  nd.mtu = mtu;
  return 0;
}

int net_core::set_mtu(netdev& nd, unsigned mtu, std::string& why) {
  if (mtu == nd.mtu) return 0;
  if (mtu < nd.min_mtu) {
    why = "mtu less than device minimum.";
    return -EINVAL;
  }
  if (mtu > nd.max_mtu) {
    why = "mtu greater than device maximum.";
    return -EINVAL;
  }
  return nd.ops->change_mtu(nd, mtu);
}

int netdev_ops::set_mac_address(netdev& nd, uint64_t mac) {
  if (nd.admin_up) return -EBUSY;  // eth_prepare_mac_addr_change(): no IFF_LIVE_ADDR_CHANGE
  if (!net_core::valid_ether_addr(mac)) return -EADDRNOTAVAIL;
  nd.mac = mac;
  return 0;
}

drvinfo netdev_ops::get_drvinfo(netdev& nd) {
  drvinfo d;
  d.driver = nd.driver;
  if (nd.dev) d.bus_info = nd.dev->bdf();
  return d;
}

std::vector<link_info> net_core::getlink() const {
  std::vector<link_info> out;
  link_info lo;
  lo.ifindex = 1;
  lo.name = "lo";
  lo.mtu = 65536;
  lo.admin_up = lo.carrier = lo.loopback = true;
  out.push_back(lo);
  for (netdev* n : netdevs()) {
    link_info l;
    l.ifindex = n->ifindex;
    l.name = n->name;
    l.mac = n->mac;
    l.mtu = n->mtu;
    l.admin_up = n->admin_up;
    l.carrier = n->carrier;
    l.promisc = (n->gflags & IFF_PROMISC) != 0;
    l.allmulti = (n->gflags & IFF_ALLMULTI) != 0;
    if (n->vlan_real) {
      l.link = n->vlan_real->name;
      l.noqueue = true;
    }
    l.vfs = n->ops->vf_config(*n);
    l.stats = n->stats;
    out.push_back(l);
  }
  return out;
}

uint64_t net_core::random_mac() {
  uint64_t mac = m_rng.next() & 0xffffffffffffull;
  mac &= ~(1ull << 40);  // unicast
  mac |= 1ull << 41;     // locally administered
  return mac;
}

void net_core::info(const netdev& nd, const std::string& text) {
  if (nd.dev)
    m_log.print(fmt::format("{} {} {}: {}", nd.driver, nd.dev->bdf(), nd.name, text));
  else
    m_log.print(fmt::format("{}: {}", nd.name, text));
}

}  // namespace iovsim::host
