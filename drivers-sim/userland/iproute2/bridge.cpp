// iproute2 6.1's `bridge fdb` (bridge/fdb.c fdb_modify, fdb_show, print_fdb) over
// rtnetlink's AF_BRIDGE neighbour messages. The host has no Linux bridge: every
// entry is a device's own ("self"), as ndo_dflt_fdb_dump reports a port's unicast
// and multicast lists, or what a driver with an embedded switch keeps. bridge's
// main() returns what the object's function returns, so every error exits 255.
#include <fmt/format.h>

#include <cstdlib>
#include <cstring>

#include "drivers-sim/userland/iproute2/ip.h"

namespace iovsim::host::ip {

namespace {

bool matches(const std::string& arg, const char* word) {
  return std::strncmp(arg.c_str(), word, arg.size()) == 0 && arg.size() <= std::strlen(word);
}

cmd_result error(const std::string& text) { return cmd_result{255, "", text, ""}; }

const char* const k_usage =
    "Usage: bridge [ OPTIONS ] OBJECT { COMMAND | help }\n"
    "       bridge [ -force ] -batch filename\n"
    "where  OBJECT := { link | fdb | mdb | vlan | monitor }\n"
    "       OPTIONS := { -V[ersion] | -s[tatistics] | -d[etails] |\n"
    "                    -o[neline] | -t[imestamp] | -n[etns] name |\n"
    "                    -c[ompressvlans] -color -p[retty] -j[son] }\n";

const char* const k_fdb_usage =
    "Usage: bridge fdb { add | append | del | replace } ADDR dev DEV\n"
    "              [ self ] [ master ] [ use ] [ router ] [ extern_learn ]\n"
    "              [ sticky ] [ local | static | dynamic ] [ vlan VID ]\n"
    "              { [ dst IPADDR ] [ port PORT] [ vni VNI ] | [ nhid NHID ] }\n"
    "\t       [ via DEV ] [ src_vni VNI ]\n"
    "       bridge fdb [ show [ br BRDEV ] [ brport DEV ] [ vlan VID ]\n"
    "              [ state STATE ] [ dynamic ] ]\n"
    "       bridge fdb get [ to ] LLADDR [ br BRDEV ] { brport | dev } DEV\n"
    "              [ vlan VID ] [ vni VNI ] [ self ] [ master ] [ dynamic ]\n"
    "       bridge fdb flush dev DEV [ brport DEV ] [ vlan VID ]\n"
    "              [ self ] [ master ] [ [no]permanent | [no]static | [no]dynamic ]\n"
    "              [ [no]added_by_user ] [ [no]extern_learn ] [ [no]sticky ]\n"
    "              [ [no]offloaded ]\n";

int index_of(const std::vector<link_info>& links, const std::string& name) {
  const link_info* l = find(links, name);
  return l ? l->ifindex : 0;
}

std::string name_of(const std::vector<link_info>& links, int ifindex) {
  for (const link_info& l : links)
    if (l.ifindex == ifindex) return l.name;
  return fmt::format("if{}", ifindex);
}

// sscanf("%hhx:%hhx:%hhx:%hhx:%hhx:%hhx") == 6: each byte as many hex digits as
// written, the low eight bits kept; what follows the sixth is not looked at.
bool parse_mac(const std::string& s, uint64_t& mac) {
  const char* p = s.c_str();
  mac = 0;
  for (int i = 0; i < 6; ++i) {
    if (i > 0) {
      if (*p != ':') return false;
      ++p;
    }
    char* end = nullptr;
    const char* digits = p;
    while (*digits == ' ' || *digits == '\t') ++digits;
    if (*digits == '+' || *digits == '-') ++digits;
    if (!std::isxdigit(static_cast<unsigned char>(*digits))) return false;
    const unsigned long v = std::strtoul(p, &end, 16);
    mac = mac << 8 | (v & 0xff);
    p = end;
  }
  return true;
}

// print_fdb(): one RTM_NEWNEIGH of the dump; "dev" only without a device filter.
std::string fdb_line(const fdb_entry& e, const std::vector<link_info>& links, bool filtered) {
  std::string out = format_mac(e.mac) + " ";
  if (!filtered) out += fmt::format("dev {} ", name_of(links, e.ifindex));
  if (e.vlan) out += fmt::format("vlan {} ", e.vlan);
  if (e.flags & NTF_SELF) out += "self ";
  if (e.flags & NTF_MASTER) out += "master ";
  if (e.master) out += fmt::format("master {} ", name_of(links, e.master));
  // state_n2a()
  if (e.state & NUD_PERMANENT)
    out += "permanent";
  else if (e.state & NUD_NOARP)
    out += "static";
  else if (e.state & NUD_STALE)
    out += "stale";
  else if (!(e.state & NUD_REACHABLE))
    out += fmt::format("state={:#x}", e.state);
  return out + "\n";
}

cmd_result fdb_show(syscalls& sys, const std::vector<std::string>& a) {
  std::string filter_dev, br;
  int filter_vlan = 0;
  unsigned filter_state = 0;
  bool filter_dynamic = false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto next = [&]() -> const std::string* { return i + 1 < a.size() ? &a[++i] : nullptr; };
    if (a[i] == "brport" || a[i] == "dev" || a[i] == "br" || a[i] == "vlan" || a[i] == "state") {
      const std::string& key = a[i];
      const std::string* v = next();
      if (!v) return error("Command line is not complete. Try option \"help\"\n");
      if (key == "br")
        br = *v;
      else if (key == "vlan")
        filter_vlan = std::atoi(v->c_str());
      else if (key == "state") {
        // state_a2n()
        if (matches(*v, "permanent"))
          filter_state |= NUD_PERMANENT;
        else if (matches(*v, "static") || matches(*v, "temp"))
          filter_state |= NUD_NOARP;
        else if (matches(*v, "stale"))
          filter_state |= NUD_STALE;
        else if (matches(*v, "reachable") || matches(*v, "dynamic"))
          filter_state |= NUD_REACHABLE;
        else if (*v == "all")
          filter_state = ~0u;
        else
          return error(fmt::format("Error: argument \"{}\" is wrong: invalid state", *v));
      } else
        filter_dev = *v;
    } else if (a[i] == "dynamic") {
      filter_dynamic = true;
    } else if (matches(a[i], "help")) {
      return error(k_fdb_usage);
    }
  }
  const std::vector<link_info> links = sys.rtnl_getlink();
  int br_index = 0, filter_index = 0;
  if (!br.empty() && !(br_index = index_of(links, br)))
    return error(fmt::format("Cannot find bridge device \"{}\"\n", br));
  if (!filter_dev.empty() && !(filter_index = index_of(links, filter_dev)))
    return error(fmt::format("Cannot find device \"{}\"\n", filter_dev));
  std::vector<fdb_entry> entries;
  if (const int rc = sys.rtnl_fdb_dump(filter_index, br_index, entries))
    return cmd_result{1, "", "Dump terminated\n", errno_name(-rc)};
  std::string out;
  for (const fdb_entry& e : entries) {
    if (filter_index && e.ifindex != filter_index) continue;
    if (filter_state && !(e.state & filter_state)) continue;
    if (filter_vlan && filter_vlan != e.vlan) continue;
    if (filter_dynamic && (e.state & NUD_PERMANENT)) continue;
    out += fdb_line(e, links, filter_index != 0);
  }
  return cmd_result{0, out, "", ""};
}

// fdb_modify(): RTM_NEWNEIGH (add, append, replace) or RTM_DELNEIGH (del).
cmd_result fdb_modify(syscalls& sys, bool del, unsigned nlmsg_flags, const std::vector<std::string>& a) {
  fdb_request r;
  r.nlmsg_flags = nlmsg_flags;
  r.state = NUD_NOARP;
  std::string dev, addr;
  int vid = -1;
  for (size_t i = 0; i < a.size(); ++i) {
    auto next = [&]() -> const std::string* { return i + 1 < a.size() ? &a[++i] : nullptr; };
    const std::string& w = a[i];
    if (w == "dev" || w == "dst" || w == "nhid" || w == "port" || w == "vni" || w == "src_vni" || w == "via") {
      const std::string* v = next();
      if (!v) return error("Command line is not complete. Try option \"help\"\n");
      if (w == "dev") dev = *v;  // the others concern VXLAN devices, which this host has not
    } else if (w == "self") {
      r.flags |= NTF_SELF;
    } else if (matches(w, "master")) {
      r.flags |= NTF_MASTER;
    } else if (matches(w, "router") || matches(w, "use") || matches(w, "extern_learn") || matches(w, "sticky")) {
      // NTF_ROUTER, NTF_USE, NTF_EXT_LEARNED, NTF_STICKY: nothing the default FDB uses
    } else if (matches(w, "local") || matches(w, "permanent")) {
      r.state |= NUD_PERMANENT;
    } else if (matches(w, "temp") || matches(w, "static")) {
      r.state |= NUD_REACHABLE;
    } else if (matches(w, "dynamic")) {
      r.state |= NUD_REACHABLE;
      r.state &= ~NUD_NOARP;
    } else if (matches(w, "vlan")) {
      if (vid >= 0) return error(fmt::format("Error: either \"vlan\" is duplicate, or \"{}\" is a garbage.\n", w));
      const std::string* v = next();
      if (!v) return error("Command line is not complete. Try option \"help\"\n");
      vid = static_cast<short>(std::atoi(v->c_str()));  // a short: a negative one sends no NDA_VLAN
    } else {
      const std::string* to = &w;
      if (w == "to" && !(to = next())) return error("Command line is not complete. Try option \"help\"\n");
      if (matches(*to, "help")) return error(k_fdb_usage);
      if (!addr.empty()) return error(fmt::format("Error: either \"to\" is duplicate, or \"{}\" is a garbage.\n", *to));
      addr = *to;
    }
  }
  if (dev.empty() || addr.empty()) return error("Device and address are required arguments.\n");
  if (!(r.flags & (NTF_SELF | NTF_MASTER))) r.flags |= NTF_SELF;               // "Assume self"
  if (!(r.state & (NUD_PERMANENT | NUD_REACHABLE))) r.state |= NUD_PERMANENT;  // "Assume permanent"
  if (!parse_mac(addr, r.mac)) return error(fmt::format("Invalid mac address {}\n", addr));
  if (vid >= 0) {
    r.has_vlan = true;
    r.vlan = static_cast<uint16_t>(vid);
  }
  const std::vector<link_info> links = sys.rtnl_getlink();
  if (!(r.ifindex = index_of(links, dev))) return error(fmt::format("Cannot find device \"{}\"\n", dev));
  std::string why;
  const int rc = del ? sys.rtnl_fdb_del(r, why) : sys.rtnl_fdb_add(r, why);
  if (!rc) return cmd_result{};
  // rtnl_talk_error(): the extack message if the kernel gave one.
  if (!why.empty())
    return cmd_result{255, "", fmt::format("Error: {}{}\n", why, why.back() == '.' ? "" : "."), errno_name(-rc)};
  return cmd_result{255, "", fmt::format("RTNETLINK answers: {}\n", errno_message(-rc)), errno_name(-rc)};
}

cmd_result do_fdb(syscalls& sys, const std::vector<std::string>& a) {
  if (a.empty()) return fdb_show(sys, a);
  const std::vector<std::string> rest(a.begin() + 1, a.end());
  if (matches(a[0], "add")) return fdb_modify(sys, false, NLM_F_CREATE | NLM_F_EXCL, rest);
  if (matches(a[0], "append")) return fdb_modify(sys, false, NLM_F_CREATE | NLM_F_APPEND, rest);
  if (matches(a[0], "replace")) return fdb_modify(sys, false, NLM_F_CREATE | NLM_F_REPLACE, rest);
  if (matches(a[0], "delete")) return fdb_modify(sys, true, 0, rest);
  if (matches(a[0], "show") || matches(a[0], "lst") || matches(a[0], "list")) return fdb_show(sys, rest);
  if (matches(a[0], "help")) return error(k_fdb_usage);
  if (matches(a[0], "get") || a[0] == "flush") return cmd_result{1, "", "bridge fdb " + a[0] + ": not simulated\n", ""};
  return error(fmt::format("Command \"{}\" is unknown, try \"bridge fdb help\".\n", a[0]));
}

}  // namespace

cmd_result bridge_main(syscalls& sys, const std::vector<std::string>& argv) {
  size_t i = 1;
  for (; i < argv.size() && argv[i].size() > 1 && argv[i][0] == '-'; ++i) {
    std::string opt = argv[i];
    if (opt == "--") {
      ++i;
      break;
    }
    if (opt[1] == '-') opt = opt.substr(1);
    if (matches(opt, "-help")) return error(k_usage);
    if (matches(opt, "-Version")) return cmd_result{0, "bridge utility, 6.1.0\n", "", ""};
    if (!matches(opt, "-statistics") && !matches(opt, "-details") && !matches(opt, "-oneline"))
      return error(fmt::format("Option \"{}\" is unknown, try \"bridge help\".\n", argv[i]));
  }
  if (i >= argv.size()) return error(k_usage);
  const std::string& object = argv[i];
  const std::vector<std::string> rest(argv.begin() + static_cast<long>(i) + 1, argv.end());
  // do_cmd(): the objects in iproute2's table order, by prefix.
  if (matches(object, "link") || (!matches(object, "fdb") && (matches(object, "mdb") || matches(object, "vlan") ||
                                                              matches(object, "vni") || matches(object, "monitor"))))
    return cmd_result{1, "", "bridge " + object + ": not simulated\n", ""};
  if (matches(object, "fdb")) return do_fdb(sys, rest);
  if (matches(object, "help")) return error(k_usage);
  return error(fmt::format("Object \"{}\" is unknown, try \"bridge help\".\n", object));
}

}  // namespace iovsim::host::ip
