// iproute2 6.1's `ip link set` (ip/iplink.c iplink_parse, iplink_parse_vf,
// iplink_parse_vf_vlan_info, iplink_modify): the arguments become one RTM_NEWLINK
// request, here one system call per attribute kind in the order the kernel's
// do_setlink() applies them (IFLA_MTU, the flags, IFLA_VFINFO_LIST). Parse errors
// and exit statuses are iproute2's: invarg()/missarg()/duparg2()/incomplete_command()
// exit 255, a function returning -1 exits 1, an RTNETLINK error 2.
#include <fmt/format.h>
#include <strings.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <stdexcept>

#include "drivers-sim/userland/iproute2/ip.h"

namespace iovsim::host::ip {

namespace {

// Thrown by the parser: the finished command (iproute2 exits or returns there).
struct parse_exit {
  cmd_result result;
};

[[noreturn]] void fail(int status, const std::string& err) { throw parse_exit{cmd_result{status, "", err, ""}}; }
[[noreturn]] void invarg(const std::string& msg, const std::string& arg) {
  fail(255, fmt::format("Error: argument \"{}\" is wrong: {}", arg, msg));
}
[[noreturn]] void incomplete_command() { fail(255, "Command line is not complete. Try option \"help\"\n"); }

// matches(): `arg` is a prefix of `word` (lib/utils.c; an empty argument matches all).
bool matches(const std::string& arg, const char* word) {
  return std::strncmp(arg.c_str(), word, arg.size()) == 0 && arg.size() <= std::strlen(word);
}

// get_unsigned() / get_integer() (lib/utils.c): strtoul/strtol with base 0, the whole
// argument a number in range.
bool get_unsigned(unsigned& val, const std::string& arg) {
  if (arg.empty()) return false;
  char* end = nullptr;
  errno = 0;
  const unsigned long res = std::strtoul(arg.c_str(), &end, 0);
  if (end == arg.c_str() || *end || (res == ULONG_MAX && errno == ERANGE) || res > UINT_MAX) return false;
  val = static_cast<unsigned>(res);
  return true;
}

bool get_integer(int& val, const std::string& arg) {
  if (arg.empty()) return false;
  char* end = nullptr;
  errno = 0;
  const long res = std::strtol(arg.c_str(), &end, 0);
  if (end == arg.c_str() || *end || ((res == LONG_MAX || res == LONG_MIN) && errno == ERANGE) || res < INT_MIN ||
      res > INT_MAX)
    return false;
  val = static_cast<int>(res);
  return true;
}

// ll_addr_a2n() (lib/ll_addr.c): colon-separated hex bytes, each read with "%x"; the
// piece that fails is named. An address with a dot is an IPv4 address (4 bytes).
// Returns the length, or -1 with the message in `err`.
int ll_addr_a2n(const std::string& arg, uint64_t& mac, std::string& err) {
  if (arg.find('.') != std::string::npos) {
    // get_addr_ipv4(): up to four dot-separated numbers (strtoul base 0), each <= 255.
    const char* cp = arg.c_str();
    for (int i = 0; i < 4; ++i) {
      char* end = nullptr;
      const unsigned long n = std::strtoul(cp, &end, 0);
      if (n > 255 || end == cp || (*end && (i == 3 || *end != '.'))) {
        err = fmt::format("\"{}\" is invalid lladdr.\n", arg);
        return -1;
      }
      if (!*end) break;
      cp = end + 1;
    }
    return 4;
  }
  mac = 0;
  int n = 0;
  size_t start = 0;
  for (;; ++n) {
    const size_t colon = arg.find(':', start);
    const std::string piece = arg.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    char* end = nullptr;
    const char* p = piece.c_str();
    while (*p == ' ' || *p == '\t') ++p;
    const bool has_digit = std::isxdigit(static_cast<unsigned char>(p[*p == '+' || *p == '-' ? 1 : 0]));
    const long v = has_digit ? static_cast<int>(std::strtoul(piece.c_str(), &end, 16)) : -1;
    if (!has_digit || v < 0 || v > 255) {
      err = fmt::format("\"{}\" is invalid lladdr.\n", piece);
      return -1;
    }
    if (n < 6) mac = mac << 8 | static_cast<uint64_t>(v);
    if (colon == std::string::npos) break;
    if (n + 1 == 32) return 33;  // the buffer is full: the loop ends with i == len
    start = colon + 1;
  }
  return n + 1;
}

// The names lib/ll_proto.c knows (ll_proto_a2n compares them without case); only the
// two VLAN protocols are taken for a VF.
const char* const k_ll_proto_names[] = {
    "loop",     "pup",      "pupat",   "ip",      "x25",      "arp",     "bpq",     "ieeepup",   "ieeepupat",
    "dec",      "dna_dl",   "dna_rc",  "dna_rt",  "lat",      "diag",    "cust",    "sca",       "rarp",
    "atalk",    "aarp",     "ipx",     "ipv6",    "ppp_disc", "ppp_ses", "atmmpoa", "atmfate",   "802_3",
    "ax25",     "all",      "802_2",   "snap",    "ddcmp",    "wan_ppp", "ppp_mp",  "localtalk", "can",
    "ppptalk",  "tr_802_2", "mobitex", "control", "irda",     "econet",  "tipc",    "profinet",  "aoe",
    "ethercat", "mpls_uc",  "mpls_mc", "teb",     "lldp",     "ipv4"};

// ll_proto_a2n(): 0 if `arg` names no protocol.
int ll_proto_a2n(const std::string& arg) {
  if (strcasecmp(arg.c_str(), "802.1Q") == 0) return ETH_P_8021Q;
  if (strcasecmp(arg.c_str(), "802.1ad") == 0) return ETH_P_8021AD;
  for (const char* name : k_ll_proto_names)
    if (strcasecmp(arg.c_str(), name) == 0) return 1;  // a protocol, not a VLAN one
  unsigned v = 0;
  if (!get_unsigned(v, arg) || v > 0xffff) return 0;
  return v ? static_cast<int>(v) : 1;
}

// The argument cursor of iplink_parse (NEXT_ARG and friends).
struct args {
  const std::vector<std::string>& a;
  size_t i;
  bool next_ok() const { return i + 1 < a.size(); }
  const std::string& next() {
    if (!next_ok()) incomplete_command();
    return a[++i];
  }
  const std::string& cur() const { return a[i]; }
};

// parse_on_off() -> parse_one_of(): the first of "off", "on" the argument begins.
bool parse_on_off(const char* what, const std::string& arg) {
  if (matches(arg, "off")) return false;
  if (matches(arg, "on")) return true;
  fail(1, fmt::format("Error: argument of \"{}\" must be one of \"off\", \"on\", not \"{}\"\n", what, arg));
}

// iplink_parse_vf(): the attributes of one VF, the cursor left on the last one used.
vf_setting parse_vf(syscalls& sys, int vf, args& c, const std::string& dev) {
  vf_setting s;
  s.vf = static_cast<unsigned>(vf);
  // Whether the min/max rate API is in use looks at every argument left.
  bool new_rate_api = false, override_legacy_rate = false;
  for (size_t j = c.i + 1; j < c.a.size(); ++j) {
    if (matches(c.a[j], "max_tx_rate"))
      new_rate_api = override_legacy_rate = true;
    else if (matches(c.a[j], "min_tx_rate"))
      new_rate_api = true;
  }
  constexpr unsigned UNSET = ~0u;
  unsigned min_rate = UNSET, max_rate = UNSET;
  const size_t first = c.i;
  const std::vector<link_info> links = sys.rtnl_getlink();
  const link_info* l = find(links, dev);
  while (c.next_ok()) {
    const std::string& what = c.next();
    if (matches(what, "mac")) {
      const std::string& v = c.next();
      uint64_t mac = 0;
      std::string err;
      const int len = ll_addr_a2n(v, mac, err);
      if (len < 0) fail(1, err);
      const int halen = l ? 6 : -1;  // nl_get_ll_addr_len(): IFLA_ADDRESS of the device
      if (halen > 0 && len != halen) fail(1, fmt::format("Invalid address length {} - must be {} bytes\n", len, halen));
      s.mac = mac;
    } else if (matches(what, "vlan")) {
      vf_setting::vlan_info v;
      const std::string& id = c.next();
      if (!get_unsigned(v.vlan, id) || v.vlan > 4095) invarg("Invalid \"vlan\" value\n", id);
      if (c.next_ok()) {
        if (matches(c.next(), "qos")) {
          const std::string& q = c.next();
          if (!get_unsigned(v.qos, q)) invarg("Invalid \"qos\" value\n", q);
        } else {
          --c.i;
        }
      }
      if (c.next_ok()) {
        if (matches(c.next(), "proto")) {
          const std::string& p = c.next();
          const int proto = ll_proto_a2n(p);
          if (!proto) invarg("protocol is invalid\n", p);
          if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
            invarg("Invalid \"vlan protocol\" value - supported 802.1Q, 802.1ad\n", p);
          v.proto = static_cast<uint16_t>(proto);
        } else {
          --c.i;
        }
      }
      s.vlan = v;
    } else if (matches(what, "rate")) {
      const std::string& v = c.next();
      unsigned rate = 0;
      if (!get_unsigned(rate, v)) invarg("Invalid \"rate\" value\n", v);
      if (!new_rate_api)
        s.tx_rate = rate;
      else if (!override_legacy_rate)
        max_rate = rate;
    } else if (matches(what, "max_tx_rate")) {
      const std::string& v = c.next();
      if (!get_unsigned(max_rate, v)) invarg("Invalid \"max tx rate\" value\n", v);
    } else if (matches(what, "min_tx_rate")) {
      const std::string& v = c.next();
      if (!get_unsigned(min_rate, v)) invarg("Invalid \"min tx rate\" value\n", v);
    } else if (matches(what, "spoofchk")) {
      s.spoofchk = parse_on_off("spoofchk", c.next());
    } else if (matches(what, "query_rss")) {
      s.rss_query = parse_on_off("query_rss", c.next());
    } else if (matches(what, "trust")) {
      s.trust = parse_on_off("trust", c.next());
    } else if (matches(what, "state")) {
      const std::string& v = c.next();
      if (matches(v, "auto"))
        s.link_state = IFLA_VF_LINK_STATE_AUTO;
      else if (matches(v, "enable"))
        s.link_state = IFLA_VF_LINK_STATE_ENABLE;
      else if (matches(v, "disable"))
        s.link_state = IFLA_VF_LINK_STATE_DISABLE;
      else
        invarg("Invalid \"state\" value\n", v);
    } else {
      --c.i;  // not a VF attribute: iplink_parse goes on from here
      break;
    }
  }
  if (new_rate_api) {
    if (min_rate == UNSET || max_rate == UNSET) {
      // ipaddr_get_vf_rate(): what the kernel reports for the VF now.
      if (!l) fail(1, fmt::format("Device {} does not exist\n", dev));
      if (s.vf >= l->vfs.size()) fail(1, fmt::format("Cannot find VF {}\n", vf));
      if (min_rate == UNSET) min_rate = l->vfs[s.vf].min_tx_rate;
      if (max_rate == UNSET) max_rate = l->vfs[s.vf].max_tx_rate;
    }
    if (max_rate && min_rate > max_rate)
      fail(1, fmt::format("Invalid min_tx_rate {} - must be <= max_tx_rate {}\n", static_cast<int>(min_rate),
                          static_cast<int>(max_rate)));
    s.rate = vf_setting::rate_info{min_rate, max_rate};
  }
  if (c.i == first) incomplete_command();
  return s;
}

cmd_result rtnl_answer(int rc, const std::string& why) {
  if (!why.empty()) {
    // print_ext_ack_msg(): the kernel's extack message, a full stop added if missing.
    return cmd_result{2, "", fmt::format("Error: {}{}\n", why, why.back() == '.' ? "" : "."), errno_name(-rc)};
  }
  return cmd_result{2, "", fmt::format("RTNETLINK answers: {}\n", errno_message(-rc)), errno_name(-rc)};
}

}  // namespace

cmd_result ip_link_set(syscalls& sys, const std::vector<std::string>& a, const std::string& usage) {
  try {
    std::string dev;
    std::optional<int> mtu;
    std::optional<uint64_t> address;
    unsigned flags = 0, change = 0;
    std::optional<vf_setting> vf;  // the last `vf` block: the kernel keeps the last attribute
    args c{a, 2};
    for (; c.i < a.size(); ++c.i) {
      const std::string& w = a[c.i];
      if (w == "up" || w == "down") {
        change |= IFF_UP;
        flags = w == "up" ? flags | IFF_UP : flags & ~IFF_UP;
      } else if (w == "mtu") {
        const std::string& v = c.next();
        if (mtu) fail(255, fmt::format("Error: duplicate \"mtu\": \"{}\" is the second value.\n", v));
        int m = 0;
        if (!get_integer(m, v)) invarg("Invalid \"mtu\" value\n", v);
        mtu = m;
      } else if (w == "address") {
        // iplink_parse(): ll_addr_a2n() into IFLA_ADDRESS.
        uint64_t mac = 0;
        std::string err;
        const std::string& v = c.next();
        const int len = ll_addr_a2n(v, mac, err);
        if (len < 0) fail(1, err);
        if (len != 6) fail(1, fmt::format("Invalid address length {} - must be 6 bytes\n", len));
        address = mac;
      } else if (w == "promisc" || w == "allmulticast") {
        const unsigned bit = w == "promisc" ? IFF_PROMISC : IFF_ALLMULTI;
        const std::string& v = c.next();
        change |= bit;
        if (v == "on")
          flags |= bit;
        else if (v == "off")
          flags &= ~bit;
        else
          fail(1, fmt::format("Error: argument of \"{}\" must be \"on\" or \"off\", not \"{}\"\n", w, v));
      } else if (w == "vf") {
        const std::string& v = c.next();
        int index = 0;
        if (!get_integer(index, v)) invarg("Invalid \"vf\" value\n", v);
        if (dev.empty()) fail(255, "Error: argument \"dev\" is required\n");
        vf = parse_vf(sys, index, c, dev);
      } else {
        if (matches(w, "help")) return cmd_result{255, "", usage, ""};
        const std::string& name = w == "dev" ? c.next() : w;
        if (!dev.empty()) fail(255, fmt::format("Error: either \"dev\" is duplicate, or \"{}\" is a garbage.\n", name));
        dev = name;
      }
    }
    if (dev.empty()) fail(255, "Not enough information: \"dev\" argument is required.\n");
    const std::vector<link_info> links = sys.rtnl_getlink();
    const link_info* l = find(links, dev);
    if (!l || l->loopback) fail(1, fmt::format("Cannot find device \"{}\"\n", dev));
    // do_setlink(): IFLA_ADDRESS, IFLA_MTU, then dev_change_flags(), then IFLA_VFINFO_LIST.
    if (address) {
      const int rc = sys.rtnl_setlink_address(l->ifindex, *address);
      if (rc) return rtnl_answer(rc, "");
    }
    if (mtu) {
      std::string why;
      // dev_validate_mtu() reads IFLA_MTU as an int: a negative one is below the minimum.
      const int rc = *mtu < 0 ? (why = "mtu less than device minimum", -EINVAL)
                              : sys.rtnl_setlink_mtu(l->ifindex, static_cast<unsigned>(*mtu), why);
      if (rc) return rtnl_answer(rc, why);
    }
    if (change) {
      const int rc = sys.rtnl_setlink_flags(l->ifindex, flags, change);
      if (rc) return rtnl_answer(rc, "");
    }
    if (vf) {
      const int rc = sys.rtnl_setlink_vf(l->ifindex, *vf);
      if (rc) return rtnl_answer(rc, "");
    }
    return cmd_result{};
  } catch (const parse_exit& e) {
    return e.result;
  }
}

// `ip link add [link DEV] [name] NAME type vlan id VID [protocol 802.1Q|802.1ad]`
// (iplink_modify() with RTM_NEWLINK, ip/iplink_vlan.c vlan_parse_opt()); the kernel's
// rtnl_newlink() -> vlan_newlink(). Only VLAN devices are simulated.
cmd_result ip_link_add(syscalls& sys, const std::vector<std::string>& a) {
  try {
    std::string link, name, type;
    std::optional<unsigned> id;
    uint16_t proto = ETH_P_8021Q;
    args c{a, 1};
    while (c.next_ok()) {
      const std::string& w = c.next();
      if (w == "link") {
        link = c.next();
      } else if (w == "name") {
        name = c.next();
      } else if (w == "type") {
        type = c.next();
        // The type's own options follow (vlan_parse_opt()).
        while (c.next_ok()) {
          const std::string& o = c.next();
          if (matches(o, "id")) {
            const std::string& v = c.next();
            unsigned n = 0;
            if (!get_unsigned(n, v) || n > 0xffff) invarg("id is invalid\n", v);
            id = n;
          } else if (matches(o, "protocol")) {
            const std::string& v = c.next();
            if (strcasecmp(v.c_str(), "802.1q") == 0)
              proto = ETH_P_8021Q;
            else if (strcasecmp(v.c_str(), "802.1ad") == 0)
              proto = ETH_P_8021AD;
            else
              invarg("protocol is invalid\n", v);
          } else {
            fail(255, fmt::format("vlan: unknown command \"{}\"?\n", o));
          }
        }
      } else {
        if (!name.empty()) fail(255, fmt::format("Error: either \"name\" is duplicate, or \"{}\" is a garbage.\n", w));
        name = w;
      }
    }
    if (name.empty()) fail(255, "Not enough information: \"dev\" argument is required.\n");
    const std::vector<link_info> links = sys.rtnl_getlink();
    int link_index = 0;
    if (!link.empty()) {
      const link_info* l = find(links, link);
      if (!l) fail(1, fmt::format("Cannot find device \"{}\"\n", link));
      link_index = l->ifindex;
    }
    if (type.empty()) return rtnl_answer(-EOPNOTSUPP, "");  // no IFLA_LINKINFO: rtnl_newlink() has no ops
    if (type != "vlan") return rtnl_answer(-EOPNOTSUPP, "Unknown device type");
    // vlan_validate() / vlan_newlink() speak through extack.
    if (!id) return rtnl_answer(-EINVAL, "8021q: VLAN id not specified");
    if (!link_index) return rtnl_answer(-EINVAL, "8021q: link not specified");
    std::string why;
    const int rc = sys.rtnl_newlink_vlan(link_index, name, proto, static_cast<uint16_t>(*id), why);
    if (rc) return rtnl_answer(rc, why);
    return cmd_result{};
  } catch (const parse_exit& e) {
    return e.result;
  }
}

// `ip link delete [dev] NAME` (RTM_DELLINK).
cmd_result ip_link_del(syscalls& sys, const std::vector<std::string>& a) {
  std::string dev;
  for (size_t i = 2; i < a.size(); ++i) {
    if (a[i] == "dev" && i + 1 < a.size()) {
      dev = a[++i];
    } else if (dev.empty()) {
      dev = a[i];
    } else {
      return cmd_result{255, "", fmt::format("Error: either \"dev\" is duplicate, or \"{}\" is a garbage.\n", a[i]),
                        ""};
    }
  }
  if (dev.empty()) return cmd_result{255, "", "Not enough information: \"dev\" argument is required.\n", ""};
  const std::vector<link_info> links = sys.rtnl_getlink();
  const link_info* l = find(links, dev);
  if (!l) return cmd_result{1, "", fmt::format("Cannot find device \"{}\"\n", dev), "ENODEV"};
  const int rc = sys.rtnl_dellink(l->ifindex);
  if (rc) return rtnl_answer(rc, "");
  return cmd_result{};
}

}  // namespace iovsim::host::ip
