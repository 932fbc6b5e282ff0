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

int net_core::set_up(netdev& nd, bool up) {
  if (nd.admin_up == up) return 0;
  nd.admin_up = up;
  return up ? nd.ops->open(nd) : nd.ops->stop(nd);
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

drvinfo netdev_ops::get_drvinfo(netdev& nd) {
  drvinfo d;
  d.driver = nd.driver;
  if (nd.dev) d.bus_info = nd.dev->bdf();
  return d;
}

void net_core::receive(netdev& nd, const uint8_t* frame, uint32_t len, sc_core::sc_time& debt) {
  if (m_handler)
    m_handler->receive(nd, frame, len, debt);
  else ++nd.stats.rx_dropped;
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
  m_log.print(fmt::format("{} {} {}: {}", nd.driver, nd.dev->bdf(), nd.name, text));
}

}  // namespace iovsim::host
