// Scenario validation of the world (DESIGN.md 7a): machine names, the wires between
// NIC ports and traffic ports, the traffic ports' settings and each step's machine.
#include <fmt/format.h>

#include <sstream>

#include <cctype>
#include <map>
#include <set>

#include "models/kit/units.h"
#include "models/net/traffic_text.h"
#include "platform/module_names.h"
#include "scenarios/loader_internal.h"

namespace iovsim::scen {

namespace {

// Names the world's own models take at the top level (scenarios/world.cpp: the wires
// and traffic ports live under "net"), and words of the wire-end syntax.
const std::set<std::string> k_world_names = {"net", "link", "sim", "trace", "traffic"};
// The speeds an ixgbe port (82599, X540) runs at: 10GBASE-T/SFI and 1000BASE-T/KX.
const std::set<uint32_t> k_ixgbe_speeds_mbps = {1000, 10000};

bool is_name(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (const char c : name)
    if (static_cast<unsigned char>(c) >= 0x80 || !(std::isalnum(static_cast<unsigned char>(c)) || c == '_'))
      return false;
  return true;
}

// "wire0", "wire12": the names of the wire models beside the traffic ports.
bool is_wire_model_name(const std::string& name) {
  if (name.size() < 5 || name.compare(0, 4, "wire") != 0) return false;
  for (size_t i = 4; i < name.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(name[i]))) return false;
  return true;
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t at = text.find(sep, start);
    parts.push_back(text.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) return parts;
    start = at + 1;
  }
}

const pb::DeviceProfile* find_profile(const pb::ProfileLibrary& lib, const std::string& name) {
  for (const pb::DeviceProfile& d : lib.device())
    if (d.name() == name) return &d;
  return nullptr;
}

void check_machines(loaded_scenario& out, const locator& where) {
  const pb::Scenario& s = out.scenario;
  if (s.machine_size() == 0) {
    out.machine_names.push_back(DEFAULT_MACHINE_NAME);
    return;
  }
  // The first machine's models are top-level (its names are kept): the others' model
  // prefixes must stay off them.
  std::set<std::string> first_models(std::begin(platform::MACHINE_MODULES), std::end(platform::MACHINE_MODULES));
  for (const pb::Switch& sw : s.machine(0).platform().switch_()) first_models.insert(platform::module_name(sw.name()));
  for (const pb::Endpoint& ep : s.machine(0).platform().endpoint())
    first_models.insert(platform::module_name(ep.name()));
  std::map<std::string, int> seen;
  for (int i = 0; i < s.machine_size(); ++i) {
    const pb::Machine& m = s.machine(i);
    const locator l = where.nested(s, "machine", i);
    if (!is_name(m.name()))
      l.fail(m, "name", -1,
             fmt::format("machine {}: name \"{}\" is not a name (letters, digits and _, not starting with a digit)",
                         i + 1, m.name()));
    if (const auto it = seen.find(m.name()); it != seen.end())
      l.fail(m, "name", -1, fmt::format("duplicate machine name \"{}\" (machine {} has it)", m.name(), it->second + 1));
    if (k_world_names.count(m.name()))
      l.fail(m, "name", -1,
             fmt::format("machine \"{}\": the name is taken by the world (net, link, sim, trace, traffic)", m.name()));
    if (i > 0 && first_models.count(m.name()))
      l.fail(m, "name", -1,
             fmt::format("machine \"{}\": the first machine (\"{}\") has a model of that name (its models keep "
                         "their names; the other machines' go under their own)",
                         m.name(), s.machine(0).name()));
    seen[m.name()] = i;
    out.machine_names.push_back(m.name());
  }
}

void check_traffic(loaded_scenario& out, const locator& where, std::map<std::string, size_t>& by_name) {
  const pb::Scenario& s = out.scenario;
  for (int i = 0; i < s.traffic_size(); ++i) {
    const pb::Traffic& t = s.traffic(i);
    const locator l = where.nested(s, "traffic", i);
    const std::string who = fmt::format("traffic \"{}\"", t.name());
    if (!is_name(t.name()))
      l.fail(t, "name", -1,
             fmt::format("traffic {}: name \"{}\" is not a name (letters, digits and _, not starting with a digit)",
                         i + 1, t.name()));
    if (is_wire_model_name(t.name())) l.fail(t, "name", -1, fmt::format("{}: wireN names the wires' models", who));
    if (by_name.count(t.name())) l.fail(t, "name", -1, fmt::format("duplicate traffic name \"{}\"", t.name()));
    by_name[t.name()] = static_cast<size_t>(i);
    traffic_ref r;
    std::string error;
    if (!t.rate().empty() && !net::parse_traffic_rate(t.rate(), r.rate_bps, r.rate_pps, error))
      l.fail(t, "rate", -1, fmt::format("{}: rate {}", who, error));
    if (!t.size().empty() && !net::parse_frame_sizes(t.size(), r.sizes, error))
      l.fail(t, "size", -1, fmt::format("{}: size {}", who, error));
    for (int j = 0; j < t.dst_size(); ++j) {
      std::vector<net::mac_addr> macs;
      if (!net::parse_mac_list(t.dst(j), macs, error)) l.fail(t, "dst", j, fmt::format("{}: dst {}", who, error));
      for (const net::mac_addr& m : macs) r.dst.push_back(m.bytes);
    }
    for (int j = 0; j < t.src_size(); ++j) {
      std::vector<net::mac_addr> macs;
      if (!net::parse_mac_list(t.src(j), macs, error)) l.fail(t, "src", j, fmt::format("{}: src {}", who, error));
      for (const net::mac_addr& m : macs) r.src.push_back(m.bytes);
    }
    if (t.vxlan() > net::VXLAN_MAX_VNI)
      l.fail(t, "vxlan", -1, fmt::format("{}: VXLAN VNI {} is outside 1..{}", who, t.vxlan(), net::VXLAN_MAX_VNI));
    r.vxlan_vni = t.vxlan();
    if (t.vlan() > 4094) l.fail(t, "vlan", -1, fmt::format("{}: VLAN {} is outside 1..4094", who, t.vlan()));
    r.vlan = static_cast<uint16_t>(t.vlan());
    r.flows = t.flows();
    r.count = t.count();
    if (!t.duration().empty() && !kit::parse_time_ps(t.duration(), r.duration_ps))
      l.fail(t, "duration", -1, fmt::format("{}: bad time \"{}\" (e.g. \"1ms\")", who, t.duration()));
    if (!t.start().empty() && !kit::parse_time_ps(t.start(), r.start_ps))
      l.fail(t, "start", -1, fmt::format("{}: bad time \"{}\" (e.g. \"0\", \"5ms\")", who, t.start()));
    out.traffic.push_back(r);
  }
}

// Resolves one end of wire `w`; `field` is "a" or "b".
wire_end_ref resolve_end(const loaded_scenario& out, const locator& l, const pb::Wire& w, const char* field,
                         const std::string& text, const std::map<std::string, size_t>& traffic,
                         const pb::ProfileLibrary& profiles, const pb::DeviceProfile*& nic) {
  wire_end_ref e;
  e.text = text;
  nic = nullptr;
  const std::vector<std::string> parts = split(text, ':');
  if (text.empty())
    l.fail(w, field, -1, fmt::format("wire end {} is empty (MACHINE:ENDPOINT[:PORT] or traffic:NAME)", field));
  if (parts[0] == "traffic") {
    if (parts.size() != 2) l.fail(w, field, -1, fmt::format("wire end \"{}\": a traffic end is traffic:NAME", text));
    const auto it = traffic.find(parts[1]);
    if (it == traffic.end())
      l.fail(w, field, -1, fmt::format("wire end \"{}\": no traffic entry \"{}\"", text, parts[1]));
    e.is_traffic = true;
    e.traffic = it->second;
    return e;
  }
  if (parts.size() < 2 || parts.size() > 3)
    l.fail(w, field, -1, fmt::format("wire end \"{}\" is not MACHINE:ENDPOINT[:PORT] or traffic:NAME", text));
  size_t m = 0;
  while (m < out.machine_names.size() && out.machine_names[m] != parts[0]) ++m;
  if (m == out.machine_names.size())
    l.fail(
        w, field, -1,
        fmt::format("wire end \"{}\": unknown machine \"{}\" (machines: {})", text, parts[0], join(out.machine_names)));
  const pb::Platform& p = out.platform(m);
  const pb::Endpoint* ep = nullptr;
  for (const pb::Endpoint& candidate : p.endpoint())
    if (candidate.name() == parts[1]) ep = &candidate;
  if (!ep)
    l.fail(w, field, -1,
           fmt::format("wire end \"{}\": machine \"{}\" has no endpoint \"{}\"", text, parts[0], parts[1]));
  const pb::DeviceProfile* prof = find_profile(profiles, ep->profile());
  if (!prof || prof->model() != "ixgbe")
    l.fail(w, field, -1,
           fmt::format("wire end \"{}\": endpoint \"{}\" is not a NIC with ports (profile \"{}\", model \"{}\"; wires "
                       "attach to ixgbe NICs)",
                       text, parts[1], ep->profile(), prof ? prof->model() : ""));
  uint64_t port = 0;
  const unsigned ports = prof->functions() ? prof->functions() : 1;
  if (parts.size() == 3 && (!kit::parse_u64(parts[2], port) || port >= ports))
    l.fail(w, field, -1,
           fmt::format("wire end \"{}\": port \"{}\" out of range ({} has ports 0..{})", text, parts[2], ep->profile(),
                       ports - 1));
  e.machine = m;
  e.endpoint = parts[1];
  e.port = static_cast<unsigned>(port);
  nic = prof;
  return e;
}

void check_wires(loaded_scenario& out, const locator& where, const pb::ProfileLibrary& profiles,
                 const std::map<std::string, size_t>& traffic) {
  const pb::Scenario& s = out.scenario;
  std::map<std::string, int> wired;  // an end's canonical name -> the wire (0-based) holding it
  for (int i = 0; i < s.wire_size(); ++i) {
    const pb::Wire& w = s.wire(i);
    const locator l = where.nested(s, "wire", i);
    wire_ref r;
    const pb::DeviceProfile* nics[2] = {nullptr, nullptr};
    for (unsigned side = 0; side < 2; ++side) {
      const char* field = side == 0 ? "a" : "b";
      wire_end_ref e = resolve_end(out, l, w, field, side == 0 ? w.a() : w.b(), traffic, profiles, nics[side]);
      const std::string key = e.is_traffic ? "traffic:" + s.traffic(static_cast<int>(e.traffic)).name()
                                           : fmt::format("{}:{}:{}", out.machine_names[e.machine], e.endpoint, e.port);
      if (const auto it = wired.find(key); it != wired.end())
        l.fail(w, field, -1,
               e.is_traffic ? fmt::format("wire end \"{}\": the generator is already on wire {} (line {}); a "
                                          "generator sits on one wire end",
                                          e.text, it->second + 1, where.at(s, "wire", it->second).line)
                            : fmt::format("wire end \"{}\": port {} is already wired (wire {}, line {})", e.text, key,
                                          it->second + 1, where.at(s, "wire", it->second).line));
      wired[key] = i;
      if (e.is_traffic) {
        out.traffic[e.traffic].wire = static_cast<size_t>(i);
        out.traffic[e.traffic].side = side;
      }
      r.end[side] = e;
    }
    if (!w.rate().empty()) {
      std::string error;
      if (!net::parse_link_speed(w.rate(), r.rate_mbps, error))
        l.fail(w, "rate", -1, fmt::format("wire {}: rate {}", i + 1, error));
      for (unsigned side = 0; side < 2; ++side)
        if (nics[side] && !k_ixgbe_speeds_mbps.count(r.rate_mbps))
          l.fail(w, "rate", -1,
                 fmt::format("wire {}: \"{}\" ({}) cannot run at {}: it does 1G and 10G", i + 1, r.end[side].text,
                             nics[side]->name(), w.rate()));
    }
    for (unsigned side = 0; side < 2; ++side) {
      if (!r.end[side].is_traffic) continue;
      const int t = static_cast<int>(r.end[side].traffic);
      const traffic_ref& tr = out.traffic[static_cast<size_t>(t)];
      if (tr.rate_bps > uint64_t{r.rate_mbps} * 1000000)
        where.nested(s, "traffic", t)
            .fail(s.traffic(t), "rate", -1,
                  fmt::format("traffic \"{}\": rate {} is above the line rate of its wire ({} Mb/s)",
                              s.traffic(t).name(), s.traffic(t).rate(), r.rate_mbps));
      // A frame rate: its frames' wire time (preamble, SFD, IFG; the sizes in turn,
      // 64 B by default) must fit the line, as the generator checks when it starts
      // (wire::traffic_port::start()); here it is a located error, not a run failure.
      if (tr.rate_pps) {
        const std::vector<uint32_t> sizes = tr.sizes.empty() ? std::vector<uint32_t>{64} : tr.sizes;
        uint64_t wire_bits = 0;
        // wire::wire_bytes(): preamble 7, SFD 1, the frame with FCS (64 B at least,
        // as the sizes are), IFG 12.
        for (const uint32_t size : sizes) wire_bits += 8 * (uint64_t{size} + 20);
        const unsigned __int128 need = static_cast<unsigned __int128>(tr.rate_pps) * wire_bits;
        const unsigned __int128 line = static_cast<unsigned __int128>(r.rate_mbps) * 1000000 * sizes.size();
        if (need > line)
          where.nested(s, "traffic", t)
              .fail(s.traffic(t), "rate", -1,
                    fmt::format("traffic \"{}\": rate {} of {} B frames is above the line rate of its wire "
                                "({} Mb/s carries at most {} of them a second)",
                                s.traffic(t).name(), s.traffic(t).rate(),
                                sizes.size() == 1 ? std::to_string(sizes[0]) : s.traffic(t).size(), r.rate_mbps,
                                static_cast<uint64_t>(line / (wire_bits ? wire_bits : 1))));
      }
    }
    if (!w.propagation_delay().empty()) {
      long long ps = 0;
      if (!kit::parse_time_ps(w.propagation_delay(), ps))
        l.fail(w, "propagation_delay", -1,
               fmt::format("wire {}: bad time \"{}\" (e.g. \"10ns\")", i + 1, w.propagation_delay()));
      r.propagation_delay = w.propagation_delay();
    }
    out.wires.push_back(r);
  }
  for (int i = 0; i < s.traffic_size(); ++i)
    if (!wired.count("traffic:" + s.traffic(i).name()))
      where.fail(s, "traffic", i,
                 fmt::format("traffic \"{}\" is on no wire (a wire with an end \"traffic:{}\" connects it)",
                             s.traffic(i).name(), s.traffic(i).name()));
}

void check_step_machines(loaded_scenario& out, const locator& where) {
  const pb::Scenario& s = out.scenario;
  for (int i = 0; i < s.step_size(); ++i) {
    const pb::Step& step = s.step(i);
    size_t m = 0;
    if (!step.machine().empty()) {
      while (m < out.machine_names.size() && out.machine_names[m] != step.machine()) ++m;
      if (m == out.machine_names.size())
        where.nested(s, "step", i)
            .fail(step, "machine", -1,
                  fmt::format("step {}: unknown machine \"{}\" (machines: {})", i + 1, step.machine(),
                              join(out.machine_names)));
    }
    out.step_machine.push_back(m);
    if (step.guest().empty()) continue;
    // The guest must have been created on that machine by an earlier step.
    bool created = false;
    for (int j = 0; j < i && !created; ++j) {
      const pb::Step& before = s.step(j);
      if (static_cast<size_t>(j) >= out.step_machine.size() || out.step_machine[static_cast<size_t>(j)] != m ||
          !before.guest().empty())
        continue;
      std::istringstream words(before.shell());
      std::string a, b, c;
      words >> a >> b >> c;
      created = a == "vm" && b == "create" && c == step.guest();
    }
    if (!created) {
      const std::string on =
          out.machine_names.size() > 1 ? fmt::format(" on machine {}", out.machine_names[m]) : std::string();
      where.nested(s, "step", i)
          .fail(step, "guest", -1,
                fmt::format("step {}: unknown guest \"{}\" (no earlier step{} runs `vm create {}`)", i + 1,
                            step.guest(), on, step.guest()));
    }
  }
}

}  // namespace

void validate_world(loaded_scenario& out, const locator& where, const pb::ProfileLibrary& profiles) {
  check_machines(out, where);
  std::map<std::string, size_t> traffic;
  check_traffic(out, where, traffic);
  check_wires(out, where, profiles, traffic);
  check_step_machines(out, where);
}

}  // namespace iovsim::scen
