// iproute2's `ip link` (ip/iplink.c, ip/ipaddress.c print_linkinfo and print_vfinfo),
// over rtnetlink: RTM_GETLINK dumps, RTM_SETLINK to change IFF_UP.
#include <fmt/format.h>

#include "drivers-sim/userland/tools.h"

namespace iovsim::host {

namespace {
std::string format_mac(uint64_t mac) {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", (mac >> 40) & 0xff, (mac >> 32) & 0xff,
                     (mac >> 24) & 0xff, (mac >> 16) & 0xff, (mac >> 8) & 0xff, mac & 0xff);
}

std::string show(const link_info& l) {
  if (l.loopback)
    return fmt::format("{}: {}: <LOOPBACK,UP,LOWER_UP> mtu {} qdisc noqueue state UNKNOWN mode DEFAULT group default "
                       "qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n",
                       l.ifindex, l.name, l.mtu);
  std::string flags = l.admin_up && !l.carrier ? "NO-CARRIER,BROADCAST,MULTICAST,UP" : "BROADCAST,MULTICAST";
  if (l.admin_up && l.carrier) flags += ",UP,LOWER_UP";
  std::string out = fmt::format("{}: {}: <{}> mtu {} qdisc {} state {} mode DEFAULT group default qlen 1000\n",
                                l.ifindex, l.name, flags, l.mtu, l.admin_up ? "mq" : "noop",
                                l.admin_up && l.carrier ? "UP" : "DOWN");
  out += fmt::format("    link/ether {} brd ff:ff:ff:ff:ff:ff\n", format_mac(l.mac));
  for (size_t i = 0; i < l.vfs.size(); ++i) {
    const vf_link_info& v = l.vfs[i];
    out += fmt::format("    vf {}     link/ether {} brd ff:ff:ff:ff:ff:ff, spoof checking {}, link-state {}, trust {}",
                       i, format_mac(v.mac), v.spoofchk ? "on" : "off", v.link_state, v.trusted ? "on" : "off");
    if (v.has_rss_query) out += fmt::format(", query_rss {}", v.rss_query ? "on" : "off");
    out += "\n";
  }
  return out;
}

const link_info* find(const std::vector<link_info>& links, const std::string& name) {
  for (const link_info& l : links)
    if (l.name == name) return &l;
  return nullptr;
}

cmd_result ip(syscalls& sys, const std::vector<std::string>& argv) {
  std::vector<std::string> a(argv.begin() + 1, argv.end());
  const std::string usage = "Usage: ip link [ show [ dev ] IFNAME ] | ip link set [ dev ] IFNAME { up | down }\n";
  if (a.empty() || (a[0] != "link" && a[0] != "l")) return cmd_result{255, "", usage, ""};
  const std::vector<link_info> links = sys.rtnl_getlink();
  if (a.size() == 1 || a[1] == "show" || a[1] == "list" || a[1] == "ls") {
    if (a.size() <= 2) {
      std::string out;
      for (const link_info& l : links) out += show(l);
      return cmd_result{0, out, "", ""};
    }
    const std::string name = a[2] == "dev" && a.size() > 3 ? a[3] : a[2];
    const link_info* l = find(links, name);
    if (!l) return cmd_result{1, "", fmt::format("Device \"{}\" does not exist.\n", name), "ENODEV"};
    return cmd_result{0, show(*l), "", ""};
  }
  if (a[1] == "set" && a.size() >= 4) {
    size_t i = 2;
    if (a[i] == "dev") ++i;
    if (i + 1 >= a.size()) return cmd_result{255, "", usage, ""};
    const link_info* l = find(links, a[i]);
    if (!l || l->loopback) return cmd_result{1, "", fmt::format("Cannot find device \"{}\"\n", a[i]), "ENODEV"};
    const std::string& what = a[i + 1];
    if (what != "up" && what != "down")
      return cmd_result{255, "", fmt::format("Error: either \"dev\" is duplicate, or \"{}\" is a garbage.\n", what), ""};
    const int rc = sys.rtnl_setlink_up(l->ifindex, what == "up");
    if (rc) return cmd_result{2, "", fmt::format("RTNETLINK answers: {}\n", errno_message(-rc)), errno_name(-rc)};
    return cmd_result{};
  }
  return cmd_result{255, "", usage, ""};
}
}  // namespace

void register_iproute2(shell& sh, syscalls& sys) {
  sh.add_command("ip", [&sys](const std::vector<std::string>& argv, const std::string&) { return ip(sys, argv); },
                 "network devices: ip link [show [dev] IF], ip link set [dev] IF up|down");
}

}  // namespace iovsim::host
