#include "drivers-sim/net/net_sysfs.h"

#include <fmt/format.h>

#include <cerrno>

namespace iovsim::host {

namespace {
std::vector<kernfs_node> interface_dir(net_core& net, int ifindex) {
  std::vector<kernfs_node> e;
  if (ifindex == 1) {   // lo: no device behind it
    e.push_back(kernfs_node::text("address", format_mac(0) + "\n"));
    e.push_back(kernfs_node::text("carrier", "1\n"));
    e.push_back(kernfs_node::text("ifindex", "1\n"));
    e.push_back(kernfs_node::text("mtu", "65536\n"));
    e.push_back(kernfs_node::text("operstate", "unknown\n"));
    return e;
  }
  netdev* nd = net.find(ifindex);
  if (!nd) return e;
  e.push_back(kernfs_node::text("address", format_mac(nd->mac) + "\n"));
  e.push_back(kernfs_node::text("mtu", fmt::format("{}\n", nd->mtu)));
  e.push_back(kernfs_node::text("ifindex", fmt::format("{}\n", nd->ifindex)));
  e.push_back(kernfs_node::text("operstate", nd->admin_up && nd->carrier ? "up\n" : "down\n"));
  // carrier_show: -EINVAL while the interface is down.
  const bool up = nd->admin_up, carrier = nd->carrier;
  e.push_back(kernfs_node::file("carrier", [up, carrier] {
    return up ? fs_result{0, carrier ? "1\n" : "0\n"} : fs_result{EINVAL, ""};
  }));
  e.push_back(kernfs_node::link("device", "../../../bus/pci/devices/" + nd->dev->bdf()));
  return e;
}
}  // namespace

void mount_net_sysfs(kernfs& fs, pci_sysfs& pci, net_core& net) {
  fs.mount("/sys/class/net", [&net] {
    std::vector<kernfs_node> out;
    out.push_back(kernfs_node::dir("lo", [&net] { return interface_dir(net, 1); }));
    for (netdev* n : net.netdevs()) {
      const int ifindex = n->ifindex;
      out.push_back(kernfs_node::dir(n->name, [&net, ifindex] { return interface_dir(net, ifindex); }));
    }
    return out;
  });
  pci.add_attributes([&net](pci_dev& dev, std::vector<kernfs_node>& e) {
    netdev* nd = net.of(dev);
    if (!nd) return;
    const std::string name = nd->name;
    e.push_back(kernfs_node::dir("net", [name] {
      return std::vector<kernfs_node>{kernfs_node::link(name, "../../../../../class/net/" + name)};
    }));
  });
}

}  // namespace iovsim::host
