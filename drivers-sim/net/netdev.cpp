#include "drivers-sim/net/netdev.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>

namespace iovsim::host {

std::string format_mac(uint64_t mac) {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", (mac >> 40) & 0xff, (mac >> 32) & 0xff,
                     (mac >> 24) & 0xff, (mac >> 16) & 0xff, (mac >> 8) & 0xff, mac & 0xff);
}

net_core::net_core(kernel_log& log, uint64_t seed) : m_log(log), m_rng(seed, "host.net") {}

std::string net_core::predictable_name(const pci_dev& dev) const {
  // systemd-udev net_id "path" names: en + p<bus> + s<slot> [+ f<function>], the
  // function suffix only for multi-function devices or non-zero functions.
  std::string name = fmt::format("enp{}s{}", dev.bus, dev.dev());
  if (dev.fn() != 0 || dev.multifunction) name += fmt::format("f{}", dev.fn());
  return name;
}

netdev& net_core::register_netdev(pci_dev& dev, const std::string& driver, uint64_t mac, netdev_ops& ops) {
  auto nd = std::make_unique<netdev>();
  nd->ifindex = m_next_ifindex++;
  nd->dev = &dev;
  nd->driver = driver;
  nd->mac = mac;
  nd->ops = &ops;
  const std::string eth = fmt::format("eth{}", m_next_eth++);
  nd->name = predictable_name(dev);
  dev.netdev = nd->name;
  m_netdevs.push_back(std::move(nd));
  netdev& n = *m_netdevs.back();
  info(n, "renamed from " + eth);
  return n;
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
