// iproute2 6.1's `ip addr` (ip/ipaddress.c: ipaddr_modify, print_addrinfo), `ip route`
// (ip/iproute.c print_route) and `ip neigh` (ip/ipneigh.c print_neigh), IPv4 only:
// no inet6 lines, since the simulated kernel has no IPv6. Their words and exit
// statuses: do_cmd() exits with the negated return of the object's function, so
// "Cannot find device" is 1 and an RTNETLINK error 2; get_prefix() exits 1.
#include <fmt/format.h>

#include "drivers-sim/userland/iproute2/ip.h"

namespace iovsim::host::ip {

namespace {

std::string ip_str(uint32_t a) {
  return fmt::format("{}.{}.{}.{}", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

bool parse_addr(const std::string& s, uint32_t& out) {
  uint32_t v = 0;
  size_t i = 0;
  for (int part = 0; part < 4; ++part) {
    size_t start = i;
    uint32_t octet = 0;
    while (i < s.size() && isdigit(static_cast<unsigned char>(s[i])) && i - start < 3)
      octet = octet * 10 + (s[i++] - '0');
    if (i == start || octet > 255) return false;
    v = v << 8 | octet;
    if (part < 3 && (i >= s.size() || s[i++] != '.')) return false;
  }
  if (i != s.size()) return false;
  out = v;
  return true;
}

// get_prefix_1(): ADDRESS[/LEN], LEN a decimal 0..32 (a dotted netmask is not taken here).
bool parse_prefix(const std::string& s, uint32_t& addr, unsigned& len) {
  const size_t slash = s.find('/');
  if (!parse_addr(s.substr(0, slash), addr)) return false;
  len = 32;
  if (slash == std::string::npos) return true;
  const std::string l = s.substr(slash + 1);
  if (l.empty() || l.size() > 2 || l.find_first_not_of("0123456789") != std::string::npos) return false;
  len = static_cast<unsigned>(std::stoul(l));
  return len <= 32;
}

cmd_result rtnl_error(int rc) {
  return cmd_result{2, "", fmt::format("RTNETLINK answers: {}\n", errno_message(-rc)), errno_name(-rc)};
}

std::string show_addresses(const std::vector<ifaddr_info>& addrs, int ifindex) {
  std::string out;
  for (const ifaddr_info& a : addrs) {
    if (a.ifindex != ifindex) continue;
    out += fmt::format("    inet {}/{} ", ip_str(a.local), a.prefixlen);
    if (a.has_broadcast) out += fmt::format("brd {} ", ip_str(a.broadcast));
    out += fmt::format("scope {} {}\n       valid_lft forever preferred_lft forever\n",
                       a.host_scope ? "host" : "global", a.label);
  }
  return out;
}

}  // namespace

cmd_result ip_addr(syscalls& sys, const std::vector<std::string>& a, const std::string& usage) {
  const std::vector<link_info> links = sys.rtnl_getlink();
  if (a.size() == 1 || a[1] == "show" || a[1] == "list" || a[1] == "ls" || a[1] == "lst") {
    std::string dev;
    for (size_t i = 2; i < a.size(); ++i) {
      if (a[i] == "dev" && i + 1 < a.size())
        dev = a[++i];
      else
        dev = a[i];
    }
    if (!dev.empty() && !find(links, dev))
      return cmd_result{1, "", fmt::format("Device \"{}\" does not exist.\n", dev), "ENODEV"};
    const std::vector<ifaddr_info> addrs = sys.rtnl_getaddr();
    std::string out;
    for (const link_info& l : links)
      if (dev.empty() || l.name == dev) out += show_link(l, false, false) + show_addresses(addrs, l.ifindex);
    return cmd_result{0, out, "", ""};
  }
  const bool add = a[1] == "add" || a[1] == "a";
  const bool del = a[1] == "del" || a[1] == "delete" || a[1] == "d";
  if (!add && !del) return cmd_result{255, "", usage, ""};
  std::string dev, local_arg, brd_arg;
  for (size_t i = 2; i < a.size(); ++i) {
    if ((a[i] == "dev" || a[i] == "brd" || a[i] == "broadcast" || a[i] == "local") && i + 1 >= a.size())
      return cmd_result{255, "", fmt::format("Command line is not complete. Try option \"help\"\n"), ""};
    if (a[i] == "dev")
      dev = a[++i];
    else if (a[i] == "brd" || a[i] == "broadcast")
      brd_arg = a[++i];
    else if (a[i] == "local")
      local_arg = a[++i];
    else if (local_arg.empty())
      local_arg = a[i];
    else
      return cmd_result{1, "", fmt::format("Error: either \"local\" is duplicate, or \"{}\" is a garbage.\n", a[i]),
                        ""};
  }
  uint32_t local = 0;
  unsigned len = 0;
  if (!local_arg.empty() && !parse_prefix(local_arg, local, len))
    return cmd_result{1, "", fmt::format("Error: any valid prefix is expected rather than \"{}\".\n", local_arg), ""};
  if (dev.empty()) return cmd_result{1, "", "Not enough information: \"dev\" argument is required.\n", ""};
  const link_info* l = find(links, dev);
  if (!l) return cmd_result{1, "", fmt::format("Cannot find device \"{}\"\n", dev), "ENODEV"};
  if (local_arg.empty()) return rtnl_error(del ? -EADDRNOTAVAIL : -EINVAL);
  if (del) {
    const int rc = sys.rtnl_deladdr(l->ifindex, local, len);
    return rc ? rtnl_error(rc) : cmd_result{};
  }
  uint32_t brd = 0;
  if (brd_arg == "+" && len <= 30)
    brd = local | (len ? ~(~uint32_t{0} << (32 - len)) : ~uint32_t{0});
  else if (!brd_arg.empty() && brd_arg != "+" && brd_arg != "-" && !parse_addr(brd_arg, brd))
    return cmd_result{1, "", fmt::format("Error: inet address is expected rather than \"{}\".\n", brd_arg), ""};
  const int rc = sys.rtnl_newaddr(l->ifindex, local, len, brd);
  return rc ? rtnl_error(rc) : cmd_result{};
}

cmd_result ip_route(syscalls& sys, const std::vector<std::string>& a, const std::string& usage) {
  if (a.size() > 1 && a[1] != "show" && a[1] != "list" && a[1] != "ls") return cmd_result{255, "", usage, ""};
  const std::vector<link_info> links = sys.rtnl_getlink();
  std::string out;
  for (const route_info& r : sys.rtnl_getroute()) {
    std::string dev;
    for (const link_info& l : links)
      if (l.ifindex == r.ifindex) dev = l.name;
    out += fmt::format("{}/{} dev {} proto kernel scope link src {} {}\n", ip_str(r.dst), r.prefixlen, dev,
                       ip_str(r.prefsrc), r.linkdown ? "linkdown " : "");
  }
  return cmd_result{0, out, "", ""};
}

cmd_result ip_neigh(syscalls& sys, const std::vector<std::string>& a, const std::string& usage) {
  if (a.size() > 1 && a[1] != "show" && a[1] != "list" && a[1] != "ls") return cmd_result{255, "", usage, ""};
  const std::vector<link_info> links = sys.rtnl_getlink();
  static const std::pair<unsigned, const char*> k_states[] = {
      {NUD_INCOMPLETE, "INCOMPLETE"}, {NUD_REACHABLE, "REACHABLE"}, {NUD_STALE, "STALE"}, {NUD_DELAY, "DELAY"},
      {NUD_PROBE, "PROBE"},           {NUD_FAILED, "FAILED"},       {NUD_NOARP, "NOARP"}, {NUD_PERMANENT, "PERMANENT"}};
  std::string out;
  for (const neigh_info& n : sys.rtnl_getneigh()) {
    std::string dev;
    for (const link_info& l : links)
      if (l.ifindex == n.ifindex) dev = l.name;
    out += fmt::format("{} dev {} ", ip_str(n.dst), dev);
    if (n.has_lladdr) out += fmt::format("lladdr {} ", format_mac(n.lladdr));
    for (const auto& [bit, name] : k_states)
      if (n.state & bit) out += fmt::format("{} ", name);
    out += "\n";
  }
  return cmd_result{0, out, "", ""};
}

}  // namespace iovsim::host::ip
