// iproute2's `ip link` (ip/iplink.c, ip/ipaddress.c print_linkinfo and print_vfinfo),
// over rtnetlink: RTM_GETLINK dumps; `ip link set` (RTM_SETLINK) is in ip_link.cpp,
// `ip addr`, `ip route` and `ip neigh` in ip_addr.cpp; `-s` adds the counters.
#include "drivers-sim/userland/iproute2/ip.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "drivers-sim/userland/tools.h"

namespace iovsim::host {

namespace ip {
std::string format_mac(uint64_t mac) {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", (mac >> 40) & 0xff, (mac >> 32) & 0xff,
                     (mac >> 24) & 0xff, (mac >> 16) & 0xff, (mac >> 8) & 0xff, mac & 0xff);
}

// print_link_flags(): the flags rtnetlink reports (dev_get_flags()) in iproute2's
// order, NO-CARRIER first for an interface up without IFF_RUNNING.
std::string link_flags(const link_info& l) {
  if (l.loopback) return "LOOPBACK,UP,LOWER_UP";
  std::vector<const char*> f;
  const bool running = l.admin_up && l.carrier;
  if (l.admin_up && !running) f.push_back("NO-CARRIER");
  f.push_back("BROADCAST");
  f.push_back("MULTICAST");
  if (l.allmulti) f.push_back("ALLMULTI");
  if (l.promisc) f.push_back("PROMISC");
  if (l.admin_up) f.push_back("UP");
  if (running) f.push_back("LOWER_UP");
  return fmt::format("{}", fmt::join(f, ","));
}

// print_vfinfo(): the kernel sends IFLA_VF_VLAN_LIST, IFLA_VF_TX_RATE (the maximum)
// and IFLA_VF_RATE for every VF (rtnetlink.c rtnl_fill_vfinfo); zero values print nothing.
std::string vf_line(size_t index, const vf_link_info& v) {
  std::string out = fmt::format("    vf {}     link/ether {} brd ff:ff:ff:ff:ff:ff", index, format_mac(v.mac));
  if (v.vlan) out += fmt::format(", vlan {}", v.vlan);
  if (v.qos) out += fmt::format(", qos {}", v.qos);
  if (v.vlan_proto && v.vlan_proto != ETH_P_8021Q)
    out += v.vlan_proto == ETH_P_8021AD ? std::string(", vlan protocol 802.1ad")
                                        : fmt::format(", vlan protocol 0x{:04x}", v.vlan_proto);
  if (v.max_tx_rate) out += fmt::format(", tx rate {} (Mbps)", v.max_tx_rate);
  if (v.max_tx_rate) out += fmt::format(", max_tx_rate {}Mbps", v.max_tx_rate);
  if (v.min_tx_rate) out += fmt::format(", min_tx_rate {}Mbps", v.min_tx_rate);
  out += fmt::format(", spoof checking {}, link-state {}, trust {}", v.spoofchk ? "on" : "off", v.link_state,
                     v.trusted ? "on" : "off");
  if (v.has_rss_query) out += fmt::format(", query_rss {}", v.rss_query ? "on" : "off");
  return out + "\n";
}

std::string show_link(const link_info& l, bool do_link, bool stats) {
  const char* mode = do_link ? "mode DEFAULT " : "";
  std::string out;
  if (l.loopback) {
    out = fmt::format(
        "{}: {}: <{}> mtu {} qdisc noqueue state UNKNOWN {}group default "
        "qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00",
        l.ifindex, l.name, link_flags(l), l.mtu, mode);
    if (do_link && stats) out += "\n" + link_stats_block(l.stats);
    return out + "\n";
  }
  // print_linkinfo(): "NAME@LINK" for a device on another; the qdisc: mq for the
  // NICs' multiqueue devices, noqueue for a VLAN device, noop while down.
  out = fmt::format("{}: {}{}: <{}> mtu {} qdisc {} state {} {}group default qlen 1000\n", l.ifindex, l.name,
                    l.link.empty() ? "" : "@" + l.link, link_flags(l), l.mtu,
                    !l.admin_up ? "noop"
                    : l.noqueue ? "noqueue"
                                : "mq",
                    l.admin_up && l.carrier ? "UP" : (l.admin_up && !l.link.empty() ? "LOWERLAYERDOWN" : "DOWN"), mode);
  out += fmt::format("    link/ether {} brd ff:ff:ff:ff:ff:ff", format_mac(l.mac));
  if (do_link && stats) out += "\n" + link_stats_block(l.stats);
  out += "\n";
  if (!do_link) return out;
  for (size_t i = 0; i < l.vfs.size(); ++i) out += vf_line(i, l.vfs[i]);
  return out;
}

// ipaddress.c print_stats64(): columns as wide as their widest number, every number
// followed by a space, the TX numbers' line ended by the caller.
std::string link_stats_block(const link_stats& s) {
  unsigned cols[] = {10, 7, 6, 7, 7, 7, 10, 9};  // "*X errors:", "packets", ... "compressed", "otherhost"
  auto size = [&cols](std::initializer_list<uint64_t> values) {
    unsigned i = 0;
    for (uint64_t v : values) {
      unsigned len = 1;
      for (; v > 9; v /= 10) ++len;
      cols[i] = std::max(cols[i], len);
      ++i;
    }
  };
  size({s.rx_bytes, s.rx_packets, s.rx_errors, s.rx_dropped, s.rx_missed_errors, s.multicast, 0, 0});
  size({s.tx_bytes, s.tx_packets, s.tx_errors, s.tx_dropped, 0, s.collisions, 0, 0});
  auto numbers = [&cols](std::initializer_list<uint64_t> values) {
    std::string out = "    ";
    unsigned i = 0;
    for (uint64_t v : values) out += fmt::format("{:>{}} ", v, cols[i++]);
    return out;
  };
  std::string out =
      fmt::format("    RX: {:>{}} {:>{}} {:>{}} {:>{}} {:>{}} {:>{}} {:>{}}\n", "bytes", cols[0] - 4, "packets",
                  cols[1], "errors", cols[2], "dropped", cols[3], "missed", cols[4], "mcast", cols[5], "", cols[6]);
  out += numbers({s.rx_bytes, s.rx_packets, s.rx_errors, s.rx_dropped, s.rx_missed_errors, s.multicast}) + "\n";
  out +=
      fmt::format("    TX: {:>{}} {:>{}} {:>{}} {:>{}} {:>{}} {:>{}} {:>{}}\n", "bytes", cols[0] - 4, "packets",
                  cols[1], "errors", cols[2], "dropped", cols[3], "carrier", cols[4], "collsns", cols[5], "", cols[6]);
  out += numbers({s.tx_bytes, s.tx_packets, s.tx_errors, s.tx_dropped, 0, s.collisions});
  return out;
}

const link_info* find(const std::vector<link_info>& links, const std::string& name) {
  for (const link_info& l : links)
    if (l.name == name) return &l;
  return nullptr;
}

}  // namespace ip

namespace {
using namespace ip;

cmd_result ip_main(syscalls& sys, const std::vector<std::string>& argv) {
  std::vector<std::string> a;
  bool stats = false;
  for (size_t i = 1; i < argv.size(); ++i) {
    if (a.empty() && (argv[i] == "-s" || argv[i] == "-stats" || argv[i] == "-statistics"))
      stats = true;
    else if (a.empty() && argv[i] == "-4")
      continue;
    else
      a.push_back(argv[i]);
  }
  const std::string usage =
      "Usage: ip [ -s ] link [ show [ dev ] IFNAME ]\n"
      "       ip link add [ link DEV ] [ name ] NAME type vlan id VLANID [ protocol VLAN_PROTO ]\n"
      "       ip link delete [ dev ] IFNAME\n"
      "       ip link set [ dev ] IFNAME [ up | down ] [ address LLADDR ] [ mtu MTU ] [ promisc { on | off } ]\n"
      "                 [ allmulticast { on | off } ] [ vf NUM [ mac LLADDR ] [ vlan VLANID [ qos VLAN-QOS ]\n"
      "                 [ proto VLAN-PROTO ] ] [ rate TXRATE ] [ max_tx_rate TXRATE ] [ min_tx_rate TXRATE ]\n"
      "                 [ spoofchk { on | off } ] [ query_rss { on | off } ] [ state { auto | enable | disable } ]\n"
      "                 [ trust { on | off } ] ]\n"
      "       ip addr [ show [ dev IFNAME ] | { add | del } PREFIX dev IFNAME ] | ip route | ip neigh\n";
  if (!a.empty() && (a[0] == "addr" || a[0] == "a" || a[0] == "address")) return ip_addr(sys, a, usage);
  if (!a.empty() && (a[0] == "route" || a[0] == "r" || a[0] == "ro")) return ip_route(sys, a, usage);
  if (!a.empty() && (a[0] == "neigh" || a[0] == "n" || a[0] == "neighbour" || a[0] == "neighbor"))
    return ip_neigh(sys, a, usage);
  if (a.empty() || (a[0] != "link" && a[0] != "l")) return cmd_result{255, "", usage, ""};
  const std::vector<link_info> links = sys.rtnl_getlink();
  if (a.size() == 1 || a[1] == "show" || a[1] == "list" || a[1] == "ls") {
    if (a.size() <= 2) {
      std::string out;
      for (const link_info& l : links) out += show_link(l, true, stats);
      return cmd_result{0, out, "", ""};
    }
    const std::string name = a[2] == "dev" && a.size() > 3 ? a[3] : a[2];
    const link_info* l = find(links, name);
    if (!l) return cmd_result{1, "", fmt::format("Device \"{}\" does not exist.\n", name), "ENODEV"};
    return cmd_result{0, show_link(*l, true, stats), "", ""};
  }
  if (a[1] == "set") return ip_link_set(sys, a, usage);
  if (a[1] == "add") return ip_link_add(sys, a);
  if (a[1] == "delete" || a[1] == "del") return ip_link_del(sys, a);
  return cmd_result{255, "", usage, ""};
}
}  // namespace

void register_iproute2(shell& sh, syscalls& sys) {
  sh.add_command(
      "ip", [&sys](const std::vector<std::string>& argv, const std::string&) { return ip_main(sys, argv); },
      "network devices: ip [-s] link [show [dev] IF], ip link set [dev] IF up|down|address MAC|mtu N|promisc on|off|"
      "allmulticast on|off|vf N (mac|vlan|rate|spoofchk|trust|state ...), ip link add link IF name N type vlan id V, "
      "ip link del IF, ip addr, ip route, ip neigh");
  sh.add_command(
      "bridge", [&sys](const std::vector<std::string>& argv, const std::string&) { return bridge_main(sys, argv); },
      "the embedded switch's forwarding database: bridge fdb add|append|del MAC dev IF [self] [master] "
      "[permanent|static|dynamic] [vlan VID], bridge fdb show [dev IF] [br BR]");
}

}  // namespace iovsim::host
