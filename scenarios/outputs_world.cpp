#include "scenarios/outputs_world.h"

#include <fmt/format.h>

#include <map>
#include <set>

#include "models/nic/nic_device.h"
#include "scenarios/outputs.h"
#include "scenarios/utf8.h"

namespace iovsim::scen {

namespace {

void fill_functions(host::host_system& host, google::protobuf::RepeatedPtrField<pb::FunctionInfo>& out) {
  for (host::pci_dev* d : host.pci().devices()) {
    pb::FunctionInfo* f = out.Add();
    f->set_bdf(d->bdf());
    f->set_id(fmt::format("{:04x}:{:04x}", d->vendor, d->device));
    f->set_virtfn(d->is_virtfn);
    if (d->physfn) f->set_physfn(d->physfn->bdf());
    f->set_driver(d->driver);
    f->set_netdev(to_valid_utf8(d->netdev));
  }
}

void fill_direction(const world_wire& ww, unsigned side, pb::World::Direction& d) {
  const wire::wire::direction_counts& c = ww.w->counts(side);
  d.set_from(ww.end[side]);
  d.set_frames_sent(c.frames_sent);
  d.set_bytes_sent(c.bytes_sent);
  d.set_frames_delivered(c.frames_delivered);
  d.set_dropped_link_down(c.dropped_link_down);
}

// The PF of a NIC port, by the id topology() gives it (its BDF).
std::string port_function(const world_wire& ww, unsigned side) {
  const uint16_t rid = ww.nic[side]->requester_id(ww.port[side], 0);
  return fmt::format("0000:{:02x}:{:02x}.{}", rid >> 8, (rid >> 3) & 0x1f, rid & 7);
}

std::string speed(uint32_t mbps) {
  return mbps % 1000 == 0 ? fmt::format("{}G", mbps / 1000) : fmt::format("{}M", mbps);
}

// Seconds as a person reads a latency: "1.234 us".
std::string latency_text(double s) {
  if (s == 0) return "-";
  if (s < 1e-6) return fmt::format("{:.1f} ns", s * 1e9);
  if (s < 1e-3) return fmt::format("{:.3f} us", s * 1e6);
  return fmt::format("{:.3f} ms", s * 1e3);
}

}  // namespace

std::vector<viz::topo_node> topology(host::host_system& host) {
  std::vector<viz::topo_node> nodes;
  auto& pci = host.pci();
  const std::vector<host::pci_dev*> devices = pci.devices();
  std::map<unsigned, const host::pci_dev*> bridge_to;  // secondary bus -> the first bridge to it
  for (const host::pci_dev* b : devices)
    if (b->is_bridge) bridge_to.emplace(b->secondary, b);
  auto parent_of = [&](const host::pci_dev& d) -> std::string {
    if (d.is_virtfn && d.physfn) return d.physfn->bdf();
    if (d.bus == 0) return d.devfn == 0 ? "" : "0000:00:00.0";
    auto b = bridge_to.find(d.bus);
    return b == bridge_to.end() ? "" : b->second->bdf();
  };
  // A rack (more than EVERY_FUNCTION_MAX functions) draws each PF's VFs as one box;
  // a VF a VM holds keeps its own (the VM hangs off it).
  const bool group_vfs = devices.size() > EVERY_FUNCTION_MAX;
  std::set<const host::pci_dev*> held, grouped;
  if (host::vm_manager* vms = host.vms())
    for (const auto& [name, v] : vms->vms())
      for (const host::guest_function& f : v.functions) held.insert(f.host);
  for (host::pci_dev* d : devices) {
    if (group_vfs && d->is_virtfn && d->physfn && !held.count(d)) {
      const host::pci_dev& pf = *d->physfn;
      if (!grouped.insert(&pf).second) continue;
      std::vector<const host::pci_dev*> free;
      for (const host::pci_dev* vf : pf.vfs)
        if (!held.count(vf)) free.push_back(vf);
      nodes.push_back({"vfs:" + pf.bdf(),
                       fmt::format("{} VFs\n{} .. {}\n{:04x}:{:04x}", free.size(), free.front()->short_bdf(),
                                   free.back()->short_bdf(), d->vendor, d->device),
                       "vf", pf.bdf()});
      continue;
    }
    std::string kind = "function";
    if (d->bus == 0 && d->devfn == 0)
      kind = "host_bridge";
    else if (d->is_bridge)
      kind = d->bus == 0 ? "root_port" : "switch_port";
    else if (d->is_virtfn)
      kind = "vf";
    else if (d->sriov_pos)
      kind = "pf";
    std::string label = fmt::format("{}\n{:04x}:{:04x}", d->short_bdf(), d->vendor, d->device);
    if (d->is_bridge) label += fmt::format("\n{}", host::format_bus_range(d->secondary, d->subordinate));
    if (!d->driver.empty()) label += "\n" + d->driver;
    if (!d->netdev.empty()) label += " " + d->netdev;
    nodes.push_back({d->bdf(), label, kind, parent_of(*d)});
  }
  // VMs below the first function assigned to them (DESIGN.md 8: the tree with VMs).
  if (host::vm_manager* vms = host.vms())
    for (const auto& [name, v] : vms->vms()) {
      if (v.functions.empty()) continue;
      std::string label =
          fmt::format("vm {}\n{} of {} pages", name, host::size_text(v.bytes), host::size_text(v.opt.page_bytes));
      for (const host::guest_function& f : v.functions)
        label += fmt::format("\n{} at 00:{:02x}.{}", f.host->short_bdf(), f.devfn >> 3, f.devfn & 7);
      nodes.push_back({"vm:" + name, label, "vm", v.functions.front().host->bdf()});
    }
  return nodes;
}

pb::World world_results(world& w) {
  pb::World r;
  for (world_machine& m : w.machines()) {
    pb::World::Machine* out = r.add_machine();
    out->set_name(m.name);
    out->set_prefix(m.prefix);
    fill_functions(*m.host, *out->mutable_function());
  }
  for (const world_wire& ww : w.wires()) {
    pb::World::Wire* out = r.add_wire();
    out->set_name(ww.w->name());
    out->set_a(ww.end[0]);
    out->set_b(ww.end[1]);
    out->set_rate_mbps(ww.w->rate_mbps());
    out->set_link_up(ww.w->link_up());
    fill_direction(ww, 0, *out->mutable_a_to_b());
    fill_direction(ww, 1, *out->mutable_b_to_a());
  }
  for (const world_wire& ww : w.wires())
    for (unsigned side = 0; side < 2; ++side) {
      if (!ww.nic[side]) continue;
      nic::nic_core& core = ww.nic[side]->core(ww.port[side]);
      pb::World::NicPort* out = r.add_nic_port();
      out->set_end(ww.end[side]);
      out->set_link_up(core.link_up());
      out->set_rx_offered(core.rx_offered());
      out->set_rx_delivered(core.rx_delivered());
      out->set_rx_queue_disabled(core.rx_dropped(nic::rx_drop::queue_disabled));
      out->set_rx_no_descriptor(core.rx_dropped(nic::rx_drop::no_descriptor));
      out->set_rx_buffer_too_small(core.rx_dropped(nic::rx_drop::buffer_too_small));
      out->set_rx_dma_fault(core.rx_dropped(nic::rx_drop::dma_fault));
      out->set_tx_frames(core.tx_frames());
      out->set_rx_replicas(core.rx_replicas());
      out->set_rx_looped(core.rx_looped());
      out->set_tx_local_only(core.tx_local_only());
      uint64_t dropped = 0;
      for (unsigned d = 1; d < static_cast<unsigned>(nic::rx_drop::count); ++d) {
        const auto reason = static_cast<nic::rx_drop>(d);
        dropped += core.rx_dropped(reason);
        if (!core.rx_dropped(reason)) continue;
        pb::World::NicPort::Drops* e = out->add_rx_dropped();
        e->set_reason(nic::rx_drop_name(reason));
        e->set_frames(core.rx_dropped(reason));
      }
      for (unsigned d = 1; d < static_cast<unsigned>(nic::tx_drop::count); ++d) {
        const auto reason = static_cast<nic::tx_drop>(d);
        if (!core.tx_dropped(reason)) continue;
        pb::World::NicPort::Drops* e = out->add_tx_dropped();
        e->set_reason(nic::tx_drop_name(reason));
        e->set_frames(core.tx_dropped(reason));
      }
      out->set_books_balance(core.rx_offered() + core.rx_looped() + core.rx_replicas() ==
                             core.rx_delivered() + dropped);
    }
  for (const auto& [name, port] : w.traffic()) {
    pb::World::Traffic* out = r.add_traffic();
    const wire::traffic_port::counts& c = port->port_counts();
    out->set_name(name);
    out->set_wire_end("traffic:" + name);
    out->set_link_up(port->link_up());
    out->set_tx_frames(c.tx_frames);
    out->set_tx_bytes(c.tx_bytes);
    out->set_rx_frames(c.rx_frames);
    out->set_rx_bytes(c.rx_bytes);
    out->set_rx_test_frames(c.rx_test_frames);
    out->set_rx_bad(c.rx_bad);
    uint64_t lost = 0, reordered = 0;
    for (const auto& [stream, sc] : port->streams()) {
      lost += sc.lost;
      reordered += sc.reordered;
    }
    out->set_lost(lost);
    out->set_reordered(reordered);
    const kit::distribution& l = port->latency();
    out->set_latency_count(l.count());
    out->set_latency_min(l.min());
    out->set_latency_mean(l.mean());
    out->set_latency_p50(l.percentile(50));
    out->set_latency_p99(l.percentile(99));
    out->set_latency_max(l.max());
  }
  return r;
}

std::string world_summary(const pb::World& r) {
  std::string sum;
  if (r.wire_size()) {
    sum += "\nwires:\n";
    for (const pb::World::Wire& w : r.wire()) {
      sum += fmt::format("  {}  {} <-> {}  {}  link {}\n", w.name(), w.a(), w.b(), speed(w.rate_mbps()),
                         w.link_up() ? "up" : "down");
      for (const pb::World::Direction* d : {&w.a_to_b(), &w.b_to_a()})
        sum += fmt::format("    from {:<20} {:>10} frames {:>12} bytes {:>10} delivered {:>8} dropped (link down)\n",
                           d->from(), d->frames_sent(), d->bytes_sent(), d->frames_delivered(), d->dropped_link_down());
    }
  }
  if (r.nic_port_size()) {
    sum += "\nNIC ports on wires:\n";
    for (const pb::World::NicPort& p : r.nic_port()) {
      std::string drops;
      for (const auto& d : p.rx_dropped())
        drops += fmt::format("{}{} {}", drops.empty() ? "" : ", ", d.frames(), d.reason());
      std::string tx_drops;
      for (const auto& d : p.tx_dropped()) tx_drops += fmt::format(", {} {}", d.frames(), d.reason());
      sum += fmt::format(
          "  {:<20} link {:<4}  rx {} offered + {} looped + {} copies, {} delivered, dropped: {} ({});  "
          "tx {}, {} kept inside{}\n",
          p.end(), p.link_up() ? "up" : "down", p.rx_offered(), p.rx_looped(), p.rx_replicas(), p.rx_delivered(),
          drops.empty() ? "none" : drops, p.books_balance() ? "books balance" : "BOOKS DO NOT BALANCE", p.tx_frames(),
          p.tx_local_only(), tx_drops);
    }
  }
  if (r.traffic_size()) {
    sum += fmt::format("\ntraffic:\n  {:<12} {:>10} {:>10} {:>8} {:>11} {:>11} {:>11} {:>11} {:>11}\n", "", "sent",
                       "received", "lost", "lat min", "lat avg", "lat p50", "lat p99", "lat max");
    for (const pb::World::Traffic& t : r.traffic())
      sum += fmt::format("  {:<12} {:>10} {:>10} {:>8} {:>11} {:>11} {:>11} {:>11} {:>11}\n", t.name(), t.tx_frames(),
                         t.rx_frames(), t.lost(), latency_text(t.latency_min()), latency_text(t.latency_mean()),
                         latency_text(t.latency_p50()), latency_text(t.latency_p99()), latency_text(t.latency_max()));
  }
  return sum;
}

std::string world_topology(world& w) {
  std::vector<viz::world_cluster> clusters;
  for (world_machine& m : w.machines()) clusters.push_back({m.name, topology(*m.host)});
  std::vector<viz::world_link> links;
  for (const world_wire& ww : w.wires()) {
    viz::world_link l;
    viz::world_port* ends[2] = {&l.a, &l.b};
    for (unsigned side = 0; side < 2; ++side) {
      if (ww.machine[side] < 0) {
        ends[side]->id = ww.end[side].substr(ww.end[side].find(':') + 1);
      } else {
        ends[side]->cluster = ww.machine[side];
        ends[side]->id = port_function(ww, side);
      }
    }
    l.label = speed(ww.w->rate_mbps());
    links.push_back(l);
  }
  return viz::world_dot(clusters, links);
}

}  // namespace iovsim::scen
