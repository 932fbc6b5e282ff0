#include "scenarios/world.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <stdexcept>

#include "models/kit/sim_env.h"
#include "models/nic/nic_device.h"
#include "platform/module_names.h"
#include "scenarios/outputs.h"

namespace iovsim::scen {

// Machine b's models are built while this module is under construction, so SystemC
// makes them its children: b.cpu, b.dmar0, b.nic0...
class world::machine_scope : public sc_core::sc_module {
 public:
  machine_scope(sc_core::sc_module_name name, world& w, size_t index, const loaded_scenario& s, uint64_t seed)
      : sc_module(name) {
    world_machine& m = w.m_machines[index];
    m.hw = std::make_unique<platform::machine>(s.platform(index), s.profiles, m.prefix, index);
    // Each machine's kernel draws from a stream of its own (random VF MACs, RSS keys,
    // ARP timers): the run seed advanced by the machine's index (SplitMix64's step).
    m.host = std::make_unique<host::host_system>(*m.hw, seed + index * 0x9e3779b97f4a7c15ull, m.prefix);
    w.m_boot.push_back(std::make_unique<boot_thread>("host", w, index));
  }
};

// The software thread of a machine other than the first: it boots the host, and the
// first machine's thread runs every machine's steps after that.
class world::boot_thread : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(boot_thread);
  boot_thread(sc_core::sc_module_name name, world& w, size_t index) : sc_module(name), m_world(w), m_index(index) {
    SC_THREAD(run);
    set_stack_size(1 << 20);  // as the first machine's (engine.cpp)
  }

 private:
  void run() {
    m_world.m_machines[m_index].host->boot();
    m_world.m_machines[m_index].booted = true;
    m_world.m_booted.notify(sc_core::SC_ZERO_TIME);
  }
  world& m_world;
  size_t m_index;
};

// "net": the wires and traffic ports, and the method that starts the scenario's
// traffic at its times.
class world::net_module : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(net_module);
  net_module(sc_core::sc_module_name name, world& w, const loaded_scenario& s) : sc_module(name), m_world(w), m_s(s) {
    w.build_net(s);
    for (size_t i = 0; i < s.traffic.size(); ++i)
      if (s.traffic[i].start_ps >= 0) m_starts.push_back(i);
    std::stable_sort(m_starts.begin(), m_starts.end(),
                     [&](size_t a, size_t b) { return s.traffic[a].start_ps < s.traffic[b].start_ps; });
    // An event of this module and a method, not a waiting thread: a run that ends
    // before the last start (its steps are done) leaves no wake-up behind once the
    // module is gone (a thread's timeout lives in the process, which outlives it).
    if (!m_starts.empty()) {
      sc_core::sc_spawn_options o;
      o.spawn_method();
      o.set_sensitivity(&m_due);
      o.dont_initialize();
      sc_core::sc_spawn([this] { start_due(); }, "start_traffic", &o);
      m_due.notify(sc_core::sc_time(static_cast<double>(s.traffic[m_starts.front()].start_ps), sc_core::SC_PS));
    }
  }

 private:
  // Starts every generator whose time has come, then waits for the next one's.
  void start_due() {
    const sc_core::sc_time now = sc_core::sc_time_stamp();
    for (; m_next < m_starts.size(); ++m_next) {
      const size_t i = m_starts[m_next];
      const sc_core::sc_time at(static_cast<double>(m_s.traffic[i].start_ps), sc_core::SC_PS);
      if (at > now) {
        m_due.notify(at - now);
        return;
      }
      wire::traffic_port& port = *m_world.m_traffic[i].second;
      try {
        port.start(m_world.scenario_spec(i, m_s.traffic[i]));
        kit::sim_env::current().log("traffic", port.name(), "started");
      } catch (const std::invalid_argument& e) {
        // A rate the wire cannot carry once a parameter changed its speed: said in
        // log.txt, and the traffic verbs show the port idle.
        kit::sim_env::current().log("traffic", port.name(), fmt::format("not started: {}", e.what()));
      }
    }
  }
  sc_core::sc_event m_due;
  size_t m_next = 0;
  world& m_world;
  const loaded_scenario& m_s;
  std::vector<size_t> m_starts;
};

// A capture at one wire end: every frame it sends or receives, into a pcap file.
class world::pcap_tap : public wire::wire_tap {
 public:
  void frame_seen(const net::frame& f, const sc_core::sc_time& at, bool) override {
    writer.write(at.value(), f.data(), f.size());  // the kernel's resolution is 1 ps
  }
  net::pcap_writer writer;
  std::string file;
  end_ref at{};
};

world::world(const loaded_scenario& s, uint64_t seed, const std::string& out_dir) : m_out_dir(out_dir) {
  m_machines.resize(s.machines());
  for (size_t i = 0; i < s.machines(); ++i) {
    world_machine& m = m_machines[i];
    m.name = s.machine_names[i];
    m.prefix = i == 0 ? "" : m.name + ".";
  }
  // The first machine at the top level, as a scenario of one machine has always had it.
  m_machines[0].hw = std::make_unique<platform::machine>(s.platform(0), s.profiles);
  m_machines[0].host = std::make_unique<host::host_system>(*m_machines[0].hw, seed);
  m_machines[0].booted = true;  // its own thread boots it before it waits for the others
  for (size_t i = 1; i < s.machines(); ++i)
    m_machines[i].scope = std::make_unique<machine_scope>(m_machines[i].name.c_str(), *this, i, s, seed);
  if (!s.wires.empty() || !s.traffic.empty()) m_net = std::make_unique<net_module>("net", *this, s);
  for (world_machine& m : m_machines) m.host->set_world(this);
}

world::~world() {
  for (auto& [name, tap] : m_captures) m_wires[tap->at.wire].w->set_tap(tap->at.side, nullptr);
}

void world::build_net(const loaded_scenario& s) {
  auto& params = kit::sim_env::current().params();
  m_traffic.resize(s.traffic.size());
  for (size_t i = 0; i < s.wires.size(); ++i) {
    const wire_ref& r = s.wires[i];
    const std::string name = fmt::format("wire{}", i);
    // The scenario's propagation delay for this wire, unless --set or a param names
    // this wire itself.
    std::string value;
    const std::string own = fmt::format("net.{}.propagation_delay", name);
    if (!r.propagation_delay.empty() && params.find_override(own, "", value) != own)
      params.set_override(own, r.propagation_delay);
    world_wire ww;
    ww.w = std::make_unique<wire::wire>(name.c_str(), r.rate_mbps);
    for (unsigned side = 0; side < 2; ++side) {
      const wire_end_ref& e = r.end[side];
      if (e.is_traffic) {
        const std::string& tname = s.scenario.traffic(static_cast<int>(e.traffic)).name();
        m_traffic_store.push_back(std::make_unique<wire::traffic_port>(tname.c_str(), *ww.w, side));
        m_traffic[e.traffic] = {tname, m_traffic_store.back().get()};
        ww.end[side] = "traffic:" + tname;
        continue;
      }
      world_machine& m = m_machines[e.machine];
      nic::nic_device* nic = nullptr;
      for (pcie::endpoint* ep : m.hw->endpoints())
        if (ep->basename() == platform::module_name(e.endpoint)) nic = dynamic_cast<nic::nic_device*>(ep);
      if (!nic || e.port >= nic->ports())
        throw std::invalid_argument(fmt::format("wire {}: {} is not a NIC port", i + 1, e.text));
      nic->core(e.port).connect(*ww.w, side);
      ww.machine[side] = static_cast<int>(e.machine);
      ww.nic[side] = nic;
      ww.port[side] = e.port;
      ww.end[side] = fmt::format("{}:{}:{}", m.name, e.endpoint, e.port);
    }
    m_wires.push_back(std::move(ww));
  }
}

wire::traffic_spec world::scenario_spec(size_t index, const traffic_ref& r) {
  wire::traffic_spec spec = default_spec(m_traffic[index].first);
  if (r.rate_bps || r.rate_pps) {
    spec.rate_bps = r.rate_bps;
    spec.rate_pps = r.rate_pps;
  }
  if (!r.sizes.empty()) spec.sizes = r.sizes;
  if (!r.dst.empty()) {
    spec.dst.clear();
    for (const auto& bytes : r.dst) spec.dst.push_back(net::mac_addr{bytes});
  }
  if (r.vlan) spec.vlan_tci = r.vlan;
  for (const auto& bytes : r.src) spec.src_macs.push_back(net::mac_addr{bytes});
  if (r.vxlan_vni) spec.vxlan_vni = r.vxlan_vni;
  if (r.flows) spec.flows = r.flows;
  spec.count = r.count;
  spec.duration = sc_core::sc_time(static_cast<double>(r.duration_ps), sc_core::SC_PS);
  return spec;
}

void world::wait_all_booted() {
  auto all = [this] {
    for (const world_machine& m : m_machines)
      if (!m.booted) return false;
    return true;
  };
  while (!all()) sc_core::wait(m_booted);
}

void world::finish() {
  std::string error;
  for (auto& [name, tap] : m_captures) {
    m_wires[tap->at.wire].w->set_tap(tap->at.side, nullptr);
    try {
      tap->writer.close();
    } catch (const net::pcap_error& e) {
      if (error.empty()) error = e.what();
    }
  }
  m_captures.clear();
  if (!error.empty()) throw output_error(error);
}

std::vector<std::string> world::traffic_names() const {
  std::vector<std::string> names;
  for (const auto& [name, port] : m_traffic) names.push_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

wire::traffic_port* world::traffic_port(const std::string& name) {
  for (const auto& [n, port] : m_traffic)
    if (n == name) return port;
  return nullptr;
}

wire::traffic_spec world::default_spec(const std::string& name) {
  wire::traffic_spec spec;
  size_t k = 0;
  while (k < m_traffic.size() && m_traffic[k].first != name) ++k;
  // Locally administered MACs and RFC 2544's benchmarking addresses (198.18.0.0/15),
  // one per port in the scenario's order; frames carry stream id k + 1.
  auto mac_of = [](size_t i) { return net::mac_addr::from_u64(0x020000000000ull + i + 1); };
  auto ip_of = [](size_t i) { return net::ipv4_addr{0xc6120000u + static_cast<uint32_t>(i) + 1}; };
  spec.src = mac_of(k);
  spec.src_ip = ip_of(k);
  spec.dst_ip = net::ipv4_addr{0xc6130001u};  // 198.19.0.1: a NIC port's side
  spec.stream = static_cast<uint16_t>(k + 1);
  spec.dst = {net::mac_addr::broadcast()};
  for (const world_wire& ww : m_wires)
    for (unsigned side = 0; side < 2; ++side) {
      if (ww.end[side] != "traffic:" + name) continue;
      const std::string& peer = ww.end[1 - side];
      if (peer.rfind("traffic:", 0) == 0) {
        size_t p = 0;
        while (p < m_traffic.size() && "traffic:" + m_traffic[p].first != peer) ++p;
        spec.dst = {mac_of(p)};
        spec.dst_ip = ip_of(p);
      } else if (auto* core = dynamic_cast<nic::nic_core*>(ww.w->end(1 - side))) {
        spec.dst = {net::mac_addr::from_u64(core->cfg().mac)};
      }
    }
  return spec;
}

bool world::find_end(const std::string& text, end_ref& out) const {
  for (size_t i = 0; i < m_wires.size(); ++i)
    for (unsigned side = 0; side < 2; ++side)
      if (m_wires[i].end[side] == text || m_wires[i].end[side] == text + ":0") {
        out = {i, side};
        return true;
      }
  return false;
}

namespace {
// A file the run may create in its output folder: a name of its own (no folder, not
// hidden) ending in `suffix`.
bool plain_file_name(const std::string& file, const std::string& suffix) {
  return file.size() > suffix.size() && file.find('/') == std::string::npos && file[0] != '.' &&
         file.compare(file.size() - suffix.size(), suffix.size(), suffix) == 0;
}
}  // namespace

std::string world::write_output(const std::string& file, const std::string& text) {
  if (m_out_dir.empty()) return "this run has no output folder to write into (iovsim run --out DIR has one)";
  if (!plain_file_name(file, ".csv"))
    return fmt::format("\"{}\": an output file is a name ending in .csv (it goes into the output folder)", file);
  for (const auto& [name, tap] : m_captures)
    if (tap->file == file) return fmt::format("{} is being written by the capture at {}", file, name);
  std::ofstream out(m_out_dir + "/" + file, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return fmt::format("cannot write {} in the output folder", file);
  return "";
}

std::string world::start_capture(const std::string& end, const std::string& file, uint32_t snaplen) {
  if (m_out_dir.empty()) return "this run has no output folder to write captures into (iovsim run --out DIR has one)";
  end_ref at;
  if (!find_end(end, at)) {
    std::string ends;
    for (const world_wire& ww : m_wires)
      ends += fmt::format("{}{}, {}", ends.empty() ? "" : ", ", ww.end[0], ww.end[1]);
    return fmt::format("no wire end \"{}\" (wire ends: {})", end, ends.empty() ? "none" : ends);
  }
  if (!plain_file_name(file, ".pcap"))
    return fmt::format("\"{}\": a capture file is a name ending in .pcap (it goes into the output folder)", file);
  const std::string& canonical = m_wires[at.wire].end[at.side];
  if (const auto it = m_captures.find(canonical); it != m_captures.end())
    return fmt::format("already capturing at {} (into {})", canonical, it->second->file);
  for (const auto& [name, tap] : m_captures)
    if (tap->file == file) return fmt::format("{} is being written by the capture at {}", file, name);
  auto tap = std::make_unique<pcap_tap>();
  try {
    tap->writer.open(m_out_dir + "/" + file, snaplen);
  } catch (const net::pcap_error& e) {
    return e.what();
  }
  tap->file = file;
  tap->at = at;
  m_wires[at.wire].w->set_tap(at.side, tap.get());
  m_captures[canonical] = std::move(tap);
  return "";
}

std::string world::stop_capture(const std::string& end, uint64_t& frames, std::string& path) {
  end_ref at;
  if (!find_end(end, at)) return fmt::format("no wire end \"{}\"", end);
  const std::string& canonical = m_wires[at.wire].end[at.side];
  const auto it = m_captures.find(canonical);
  if (it == m_captures.end()) return fmt::format("no capture at {}", canonical);
  m_wires[at.wire].w->set_tap(at.side, nullptr);
  std::unique_ptr<pcap_tap> tap = std::move(it->second);
  m_captures.erase(it);
  frames = tap->writer.frames();
  path = tap->file;
  try {
    tap->writer.close();
  } catch (const net::pcap_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace iovsim::scen
