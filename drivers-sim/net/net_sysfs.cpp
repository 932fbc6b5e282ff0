#include "drivers-sim/net/net_sysfs.h"

#include <fmt/format.h>

#include <cerrno>

namespace iovsim::host {

namespace {
constexpr const char* CLASS_NET = "/sys/class/net";
constexpr const char* LO = "/sys/devices/virtual/net/lo";

// An interface's directory (net-sysfs.c): its attributes and, for a device's
// interface, the `device` link to the function (kernfs relative path).
std::vector<kernfs_node> interface_dir(net_core& net, int ifindex, const std::string& here) {
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
  if (nd->dev) e.push_back(kernfs_node::link("device", relative_path(here, pci_sysfs::device_path(*nd->dev))));
  return e;
}
}  // namespace

void mount_net_sysfs(kernfs& fs, pci_sysfs& pci, net_core& net) {
  // /sys/class/net/<if> links to the interface's directory: under its device, or
  // /sys/devices/virtual/net for lo.
  const auto link_of = [](const netdev& n) {
    return kernfs_node::link(n.name,
                             relative_path(CLASS_NET, n.dev ? pci_sysfs::device_path(*n.dev) + "/net/" + n.name
                                                            : std::string("/sys/devices/virtual/net/") + n.name));
  };
  fs.mount(
      CLASS_NET,
      [&net, link_of] {
        std::vector<kernfs_node> out;
        out.push_back(kernfs_node::link("lo", relative_path(CLASS_NET, LO)));
        for (netdev* n : net.netdevs()) out.push_back(link_of(*n));
        return out;
      },
      // One interface by name, without listing them all (udev looks up each new one).
      [&net, link_of](const std::string& name, kernfs_node& out) {
        if (name == "lo") {
          out = kernfs_node::link("lo", relative_path(CLASS_NET, LO));
          return true;
        }
        for (netdev* n : net.netdevs())
          if (n->name == name) {
            out = link_of(*n);
            return true;
          }
        return false;
      });
  // lo and the interfaces without a device (802.1Q VLANs).
  fs.mount("/sys/devices/virtual/net", [&net] {
    std::vector<kernfs_node> out{kernfs_node::dir("lo", [&net] { return interface_dir(net, 1, LO); })};
    for (netdev* n : net.netdevs()) {
      if (n->dev) continue;
      const int ifindex = n->ifindex;
      const std::string here = "/sys/devices/virtual/net/" + n->name;
      out.push_back(kernfs_node::dir(n->name, [&net, ifindex, here] { return interface_dir(net, ifindex, here); }));
    }
    return out;
  });
  pci.add_attributes([&net](pci_dev& dev, std::vector<kernfs_node>& e) {
    netdev* nd = net.of(dev);
    if (!nd) return;
    const std::string name = nd->name;
    const int ifindex = nd->ifindex;
    const std::string dir = pci_sysfs::device_path(dev) + "/net";
    e.push_back(kernfs_node::dir("net", [&net, name, ifindex, dir] {
      return std::vector<kernfs_node>{
          kernfs_node::dir(name, [&net, ifindex, dir, name] { return interface_dir(net, ifindex, dir + "/" + name); })};
    }));
  });
}

}  // namespace iovsim::host
