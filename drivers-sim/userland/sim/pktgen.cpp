// `pktgen DEV --dst MAC [--src MAC] [--size N] [--count N] [--rate PPS]`: what a user
// of the kernel's pktgen writes into /proc/net/pktgen/kpktgend_0 and
// /proc/net/pktgen/DEV (add_device, dst_mac, src_mac, pkt_size, count, then start), in
// one line; the output is the device file's "Result:" line. pktgen builds frames below
// the stack, so `--src` forges any source address (net/core/pktgen.c "src_mac").
#include <fmt/format.h>

#include "drivers-sim/userland/sim/sim.h"
#include "models/net/headers.h"

namespace iovsim::host {

namespace {
cmd_result usage(const std::string& why) {
  return cmd_result{
      2, "",
      fmt::format("pktgen: {}\nusage: pktgen DEV --dst MAC [--src MAC] [--size BYTES] [--count N] [--rate PPS]\n", why),
      "EINVAL"};
}

bool number(const std::string& s, uint64_t& v) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos || s.size() > 18) return false;
  v = std::stoull(s);
  return true;
}
}  // namespace

cmd_result pktgen_verb(sim_host& host, const std::vector<std::string>& argv) {
  if (argv.size() < 2) return usage("no device");
  netdev* nd = host.net().find(argv[1]);
  if (!nd) return cmd_result{2, "", fmt::format("pktgen: no device \"{}\"\n", argv[1]), "ENODEV"};
  pktgen_config cfg;
  bool have_dst = false;
  for (size_t i = 2; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (i + 1 >= argv.size()) return usage(fmt::format("{} needs a value", a));
    const std::string& v = argv[++i];
    uint64_t n = 0;
    if (a == "--dst") {
      const auto mac = net::mac_addr::parse(v);
      if (!mac) return usage(fmt::format("\"{}\" is not a MAC address", v));
      for (uint8_t b : mac->bytes) cfg.dst_mac = cfg.dst_mac << 8 | b;
      have_dst = true;
    } else if (a == "--src") {
      const auto mac = net::mac_addr::parse(v);
      if (!mac) return usage(fmt::format("\"{}\" is not a MAC address", v));
      for (uint8_t b : mac->bytes) cfg.src_mac = cfg.src_mac << 8 | b;
    } else if (a == "--size") {
      if (!number(v, n) || n < 64 || n > nd->mtu + 18)
        return usage(fmt::format("size {} is not 64..{}", v, nd->mtu + 18));
      cfg.pkt_size = static_cast<uint32_t>(n - 4);  // pktgen's pkt_size counts the FCS
    } else if (a == "--count") {
      if (!number(v, n) || n == 0) return usage(fmt::format("count \"{}\" is not a positive number", v));
      cfg.count = n;
    } else if (a == "--rate") {
      if (!number(v, n) || n == 0) return usage(fmt::format("rate \"{}\" is not a positive number", v));
      cfg.rate_pps = n;
    } else {
      return usage(fmt::format("unknown option \"{}\"", a));
    }
  }
  if (!have_dst) return usage("--dst is required");
  if (!nd->admin_up) return cmd_result{1, "", fmt::format("pktgen: {} is down\n", nd->name), "ENETDOWN"};
  const pktgen_result r = host.packet_generator().run(*nd, cfg);
  return cmd_result{0, r.text(), "", ""};
}

}  // namespace iovsim::host
