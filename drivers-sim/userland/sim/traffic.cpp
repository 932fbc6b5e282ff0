// `traffic start NAME [options]`, `traffic stop NAME`, `traffic stats [NAME]`: the
// world's traffic generators and sinks (models/wire/traffic.h) driven from a shell,
// as a tester's console would (TRex's start/stop/stats). Not a Linux tool.
#include <fmt/format.h>

#include <stdexcept>

#include "drivers-sim/userland/sim/sim.h"
#include "models/kit/sim_env.h"
#include "models/kit/units.h"
#include "models/net/traffic_text.h"

namespace iovsim::host {

namespace {

const char* const USAGE =
    "usage: traffic start NAME [--rate R] [--size S|imix] [--dst MAC[,MAC...]] [--src MAC[,MAC...]] [--vlan ID]\n"
    "                          [--vxlan VNI] [--flows N] [--count N] [--duration T]\n"
    "       traffic stop NAME\n"
    "       traffic stats [NAME]\n";

cmd_result fail(const std::string& message) { return cmd_result{2, "", "traffic: " + message + "\n", "EINVAL"}; }

std::string latency_text(double s) {
  if (s < 1e-6) return fmt::format("{:.1f} ns", s * 1e9);
  if (s < 1e-3) return fmt::format("{:.3f} us", s * 1e6);
  return fmt::format("{:.3f} ms", s * 1e3);
}

std::string stats_of(const std::string& name, const wire::traffic_port& p) {
  const wire::traffic_port::counts& c = p.port_counts();
  uint64_t lost = 0, reordered = 0;
  for (const auto& [stream, s] : p.streams()) {
    lost += s.lost;
    reordered += s.reordered;
  }
  std::string out =
      fmt::format("{}: link {}, {}\n", name, p.link_up() ? "up" : "down", p.running() ? "sending" : "idle");
  out += fmt::format("  sent      {:>12} frames {:>14} bytes\n", c.tx_frames, c.tx_bytes);
  out += fmt::format("  received  {:>12} frames {:>14} bytes ({} test frames, {} bad)\n", c.rx_frames, c.rx_bytes,
                     c.rx_test_frames, c.rx_bad);
  out += fmt::format("  loss      {:>12} frames (sequence gaps), {} reordered\n", lost, reordered);
  const kit::distribution& l = p.latency();
  if (l.count())
    out += fmt::format("  latency   min {}  avg {}  p50 {}  p99 {}  max {}\n", latency_text(l.min()),
                       latency_text(l.mean()), latency_text(l.percentile(50)), latency_text(l.percentile(99)),
                       latency_text(l.max()));
  else
    out += "  latency   - (no test frames received)\n";
  return out;
}

std::string names_of(world_access& w) {
  std::string names;
  for (const std::string& n : w.traffic_names()) names += (names.empty() ? "" : ", ") + n;
  return names.empty() ? "none in this scenario" : names;
}

cmd_result start(world_access& w, const std::string& name, const std::vector<std::string>& argv) {
  wire::traffic_port* port = w.traffic_port(name);
  wire::traffic_spec spec = w.default_spec(name);
  std::string error;
  for (size_t i = 3; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (i + 1 >= argv.size()) return fail(fmt::format("{} wants a value\n{}", a, USAGE));
    const std::string& v = argv[++i];
    uint64_t n = 0;
    if (a == "--rate") {
      if (!net::parse_traffic_rate(v, spec.rate_bps, spec.rate_pps, error)) return fail("--rate " + error);
    } else if (a == "--size") {
      if (!net::parse_frame_sizes(v, spec.sizes, error)) return fail("--size " + error);
    } else if (a == "--dst") {
      if (!net::parse_mac_list(v, spec.dst, error)) return fail("--dst " + error);
    } else if (a == "--src") {
      // Any source a tester can put on the wire: forged ones, many senders in turn.
      if (!net::parse_mac_list(v, spec.src_macs, error)) return fail("--src " + error);
    } else if (a == "--vxlan") {
      if (!kit::parse_u64(v, n) || n > net::VXLAN_MAX_VNI)
        return fail(fmt::format("--vxlan \"{}\" is not a VXLAN network identifier 0..{}", v, net::VXLAN_MAX_VNI));
      spec.vxlan_vni = static_cast<uint32_t>(n);
    } else if (a == "--vlan") {
      if (!kit::parse_u64(v, n) || n < 1 || n > 4094)
        return fail(fmt::format("--vlan \"{}\" is not a VLAN ID 1..4094", v));
      spec.vlan_tci = static_cast<uint16_t>(n);
    } else if (a == "--flows") {
      if (!kit::parse_u64(v, n) || n < 1 || n > 65535) return fail(fmt::format("--flows \"{}\" is not 1..65535", v));
      spec.flows = static_cast<uint32_t>(n);
    } else if (a == "--count") {
      if (!kit::parse_u64(v, n, true) || n < 1) return fail(fmt::format("--count \"{}\" is not a frame count", v));
      spec.count = n;
    } else if (a == "--duration") {
      if (!kit::parse_time(v, spec.duration) || spec.duration == sc_core::SC_ZERO_TIME)
        return fail(fmt::format("--duration \"{}\" is not a time (e.g. 1ms)", v));
    } else {
      return fail(fmt::format("unknown option \"{}\"\n{}", a, USAGE));
    }
  }
  try {
    port->start(spec);
  } catch (const std::invalid_argument& e) {
    return fail(e.what());
  }
  kit::sim_env::current().log("traffic", port->name(), "started");
  std::string sizes;
  for (size_t i = 0; i < spec.sizes.size() && i < 4; ++i) sizes += (i ? "," : "") + std::to_string(spec.sizes[i]);
  if (spec.sizes.size() > 4) sizes += ",...";
  const std::string rate = spec.rate_pps   ? fmt::format("{} frames/s", spec.rate_pps)
                           : spec.rate_bps ? fmt::format("{} b/s", spec.rate_bps)
                                           : "line rate";
  std::string to = spec.dst[0].str();
  if (spec.dst.size() > 1) to += fmt::format(" (and {} more in turn)", spec.dst.size() - 1);
  std::string from;
  if (!spec.src_macs.empty())
    from = fmt::format(" from {}{}", spec.src_macs[0].str(),
                       spec.src_macs.size() > 1 ? fmt::format(" (and {} more in turn)", spec.src_macs.size() - 1) : "");
  const std::string tunnel = spec.vxlan_vni ? fmt::format(" in VXLAN VNI {}", *spec.vxlan_vni) : "";
  return cmd_result{0,
                    fmt::format("traffic: {}: sending {} B frames{} to {}{} at {}{}\n", name, sizes, from, to, tunnel,
                                rate, spec.count ? fmt::format(", {} frames", spec.count) : ""),
                    "", ""};
}

}  // namespace

cmd_result traffic_verb(sim_host& host, const std::vector<std::string>& argv) {
  world_access* w = host.world();
  if (argv.size() < 2) return cmd_result{2, "", USAGE, "EINVAL"};
  const std::string& sub = argv[1];
  if (sub == "stats") {
    if (argv.size() > 3) return cmd_result{2, "", USAGE, "EINVAL"};
    std::vector<std::string> names = w ? w->traffic_names() : std::vector<std::string>{};
    if (argv.size() == 3) names = {argv[2]};
    std::string out;
    for (const std::string& n : names) {
      wire::traffic_port* p = w ? w->traffic_port(n) : nullptr;
      if (!p) return fail(fmt::format("no generator \"{}\" (generators: {})", n, w ? names_of(*w) : "none"));
      out += stats_of(n, *p);
    }
    if (names.empty()) out = "traffic: no generators in this scenario\n";
    return cmd_result{0, out, "", ""};
  }
  if ((sub != "start" && sub != "stop") || argv.size() < 3 || (sub == "stop" && argv.size() != 3))
    return cmd_result{2, "", USAGE, "EINVAL"};
  const std::string& name = argv[2];
  if (!w || !w->traffic_port(name))
    return fail(fmt::format("no generator \"{}\" (generators: {})", name, w ? names_of(*w) : "none in this scenario"));
  if (sub == "start") return start(*w, name, argv);
  wire::traffic_port* port = w->traffic_port(name);
  port->stop();
  kit::sim_env::current().log("traffic", port->name(), "stopped");
  return cmd_result{0, fmt::format("traffic: {}: stopped after {} frames\n", name, port->port_counts().tx_frames), "",
                    ""};
}

}  // namespace iovsim::host
