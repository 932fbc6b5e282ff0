#include "platform/platform.h"

#include <fmt/format.h>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/topological_sort.hpp>
#include <map>
#include <stdexcept>

#include "models/kit/sim_env.h"
#include "models/nic/nic_device.h"
#include "models/testdev/dma_device.h"
#include "models/testdev/pciebench_device.h"
#include "platform/module_names.h"

namespace iovsim::platform {

host_cpu::host_cpu(sc_core::sc_module_name name) : sc_module(name), bus("bus") {
  m_trans.set_extension(&m_ext);
}

// The payload would delete an extension it holds; this one is a member.
host_cpu::~host_cpu() { m_trans.clear_extension(&m_ext); }

uint64_t host_cpu::transport(kit::tlp_kind kind, uint16_t target, uint64_t addr, unsigned len, bool write,
                             uint64_t value) {
  uint64_t data = write ? value : 0;
  m_ext = kit::pcie_ext{};
  m_ext.kind = kind;
  m_ext.requester_id = 0;  // the host bridge, 00:00.0
  m_ext.target_id = target;
  m_trans.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  m_trans.set_address(addr);
  m_trans.set_data_ptr(reinterpret_cast<unsigned char*>(&data));
  m_trans.set_data_length(len);
  m_trans.set_streaming_width(len);
  m_trans.set_byte_enable_ptr(nullptr);
  m_trans.set_dmi_allowed(false);
  m_trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  bus->b_transport(m_trans, delay);
  // Several host threads (the shell, interrupt threads) share this CPU port: the
  // payload is read before waiting, when another thread may reuse it.
  if (!write && m_trans.get_response_status() != tlm::TLM_OK_RESPONSE) data = ~0ull;
  // Loosely timed: the access costs what the fabric annotated; the thread waits it.
  if (delay > sc_core::SC_ZERO_TIME && !m_observer) wait(delay);
  if (len < 8) data &= (1ull << (8 * len)) - 1;
  return data;
}

uint32_t host_cpu::cfg_read(unsigned bus_nr, unsigned devfn, unsigned reg, unsigned len) {
  if (!m_observer) ++m_cfg_accesses;
  return static_cast<uint32_t>(transport(kit::tlp_kind::cfg0, kit::make_rid(bus_nr, devfn),
                                         kit::ecam_address(bus_nr, devfn, reg), len, false, 0));
}

void host_cpu::cfg_write(unsigned bus_nr, unsigned devfn, unsigned reg, unsigned len, uint32_t value) {
  if (!m_observer) ++m_cfg_accesses;
  transport(kit::tlp_kind::cfg0, kit::make_rid(bus_nr, devfn), kit::ecam_address(bus_nr, devfn, reg), len, true,
            value);
}

uint64_t host_cpu::mmio_read(uint64_t addr, unsigned len) {
  if (!m_observer) ++m_mmio_accesses;
  return transport(kit::tlp_kind::mem, 0, addr, len, false, 0);
}

void host_cpu::mmio_write(uint64_t addr, unsigned len, uint64_t value) {
  if (!m_observer) ++m_mmio_accesses;
  transport(kit::tlp_kind::mem, 0, addr, len, true, value);
}

// ---------------------------------------------------------------------------

const pb::PortProfile& machine::port_profile(const std::string& name, const std::string& fallback) const {
  const std::string& want = name.empty() ? fallback : name;
  for (const auto& p : m_profiles.port())
    if (p.name() == want) return p;
  throw std::invalid_argument(fmt::format("unknown port profile \"{}\"", want));
}

const pb::DeviceProfile& machine::device_profile(const std::string& name) const {
  for (const auto& p : m_profiles.device())
    if (p.name() == name) return p;
  throw std::invalid_argument(fmt::format("unknown device profile \"{}\"", name));
}

const pb::DeviceProfile* machine::device_profile_for(uint16_t vendor, uint16_t device, bool& is_vf) const {
  for (const auto& p : m_profiles.device()) {
    if (p.vendor_id() != vendor) continue;
    if (p.device_id() == device) {
      is_vf = false;
      return &p;
    }
    if (p.has_sriov() && p.sriov().vf_device_id() == device) {
      is_vf = true;
      return &p;
    }
  }
  return nullptr;
}

const pb::PortProfile* machine::port_profile_for(uint16_t vendor, uint16_t device) const {
  for (const auto& p : m_profiles.port())
    if (p.vendor_id() == vendor && p.device_id() == device) return &p;
  return nullptr;
}

uint64_t machine::memory_bytes() const { return m_dram->size_bytes(); }

void machine::set_msi_handler(std::function<void(uint64_t addr, uint32_t data)> fn) {
  // The chipset's own (VT-d fault and page request events) and the devices' MSIs.
  m_dma->set_interrupt_sink(fn);
  m_iommu->set_interrupt_sink(std::move(fn));
}

namespace {
// What two ends of a link agree on: the lower generation and width, the smaller
// Max Payload Size (the BIOS programs both ends' Device Control with it).
pcie::link_config negotiate(const pb::Link& a, const pb::Link& b) {
  auto pick = [](unsigned x, unsigned y, unsigned dflt) { return std::min(x ? x : dflt, y ? y : dflt); };
  pcie::link_config c;
  c.gen = pick(a.gen(), b.gen(), 3);
  c.width = pick(a.width(), b.width(), 8);
  c.mps = pick(a.max_payload_bytes(), b.max_payload_bytes(), 256);
  return c;
}
}  // namespace

machine::machine(const pb::Platform& spec, const pb::ProfileLibrary& profiles, const std::string& name_prefix,
                 unsigned instance)
    : m_spec(spec), m_profiles(profiles) {
  std::map<std::string, unsigned> seen_profiles;  // endpoints of each profile so far
  m_cpu = std::make_unique<host_cpu>("cpu");
  m_dram = std::make_unique<mem::dram>("mem", spec.memory_bytes() ? spec.memory_bytes() : DEFAULT_MEMORY_BYTES);
  m_cpu->set_memory(*m_dram);
  m_iommu = std::make_unique<iommu::vtd_unit>("dmar0", *m_dram);
  m_dma = std::make_unique<dma_router>("dma", *m_iommu);
  m_dma->to_memory.bind(m_dram->dma);
  m_rc = std::make_unique<pcie::root_complex>("rc", port_profile(spec.host_bridge(), "generic_host_bridge"));
  m_cpu->bus.bind(m_rc->host);
  m_rc->chipset.bind(m_iommu->regs);
  m_rc->set_chipset_window(DMAR_BASE, iommu::VTD_REG_WINDOW_BYTES);

  // The attach graph: vertex per root port, switch and endpoint; an edge from the
  // thing owning a port to what hangs below it. Building in topological order
  // means every port exists before something attaches to it, and a cycle (a switch
  // below itself) is refused.
  using graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;
  std::map<std::string, size_t> vertex_of_port;  // port name -> owning vertex
  std::vector<std::string> vertex_name;
  for (const auto& rp : spec.root_port()) {
    vertex_of_port[rp.name()] = vertex_name.size();
    vertex_name.push_back("rp:" + rp.name());
  }
  const size_t first_switch = vertex_name.size();
  for (const auto& sw : spec.switch_()) {
    for (const auto& dp : sw.downstream()) vertex_of_port[dp.name()] = vertex_name.size();
    vertex_name.push_back("sw:" + sw.name());
  }
  const size_t first_endpoint = vertex_name.size();
  for (const auto& ep : spec.endpoint()) vertex_name.push_back("ep:" + ep.name());
  graph g(vertex_name.size());
  auto attach_vertex = [&](const std::string& attach, const std::string& who) {
    auto it = vertex_of_port.find(attach);
    if (it == vertex_of_port.end())
      throw std::invalid_argument(fmt::format("{} attaches to unknown port \"{}\"", who, attach));
    return it->second;
  };
  for (int i = 0; i < spec.switch__size(); ++i)
    boost::add_edge(attach_vertex(spec.switch_(i).attach(), spec.switch_(i).name()), first_switch + i, g);
  for (int i = 0; i < spec.endpoint_size(); ++i)
    boost::add_edge(attach_vertex(spec.endpoint(i).attach(), spec.endpoint(i).name()), first_endpoint + i, g);
  std::vector<size_t> order;
  try {
    boost::topological_sort(g, std::back_inserter(order));
  } catch (const boost::not_a_dag&) {
    throw std::invalid_argument("the switch topology has a cycle");
  }
  std::reverse(order.begin(), order.end());

  // Where each named port lives: (root complex or switch, slot).
  struct port_ref {
    pcie::root_complex* rc = nullptr;
    pcie::pcie_switch* sw = nullptr;
    unsigned slot = 0;
    bool used = false;
    const pb::PortProfile* profile = nullptr;
    std::vector<pcie::pcie_link*> uplinks;   // from this port up to the root complex
    pcie::bridge_function& port() const { return rc ? *rc->ports()[slot].port : *sw->ports()[slot].port; }
  };
  std::map<std::string, port_ref> ports;
  for (const auto& rp : spec.root_port()) {
    const unsigned devfn = rp.device() << 3 | rp.function();
    const pb::PortProfile& prof = port_profile(rp.profile(), "generic_root_port");
    ports[rp.name()] = {m_rc.get(), nullptr, m_rc->add_root_port(module_name(rp.name()), devfn, prof), false, &prof, {}};
    m_nodes.push_back({rp.name(), "root_port", "", rp.profile().empty() ? "generic_root_port" : rp.profile()});
  }
  auto connect = [&](const std::string& attach, const std::string& who, tlm::tlm_target_socket<32>& socket) {
    port_ref& ref = ports.at(attach);
    if (ref.used) throw std::invalid_argument(fmt::format("{}: port \"{}\" already has a device", who, attach));
    ref.used = true;
    if (ref.rc) ref.rc->connect(ref.slot, socket);
    else ref.sw->connect(ref.slot, socket);
  };
  for (size_t v : order) {
    if (v >= first_switch && v < first_endpoint) {
      const pb::Switch& s = spec.switch_(static_cast<int>(v - first_switch));
      const std::string prof = s.profile().empty() ? "generic_switch_port" : s.profile();
      const pb::PortProfile& sw_prof = port_profile(prof, "");
      auto sw = std::make_unique<pcie::pcie_switch>(module_name(s.name()).c_str(), sw_prof);
      const port_ref& above = ports.at(s.attach());
      const pcie::link_config up = negotiate(above.profile->link(), sw_prof.link());
      m_links.push_back(std::make_unique<pcie::pcie_link>(name_prefix + "link." + module_name(s.name()), up));
      // Link Status shows what the link trained at: `--set link.NAME.width=4` trains it lower.
      const pcie::pcie_link& l = *m_links.back();
      pcie::set_link_status(above.port().cfg(), l.gen, l.width);
      pcie::set_link_status(sw->upstream_port().cfg(), l.gen, l.width);
      std::vector<pcie::pcie_link*> chain{m_links.back().get()};
      chain.insert(chain.end(), above.uplinks.begin(), above.uplinks.end());
      for (const auto& dp : s.downstream())
        ports[dp.name()] = {nullptr, sw.get(), sw->add_downstream_port(module_name(dp.name()), dp.device()), false,
                            &sw_prof, chain};
      connect(s.attach(), s.name(), sw->upstream);
      m_nodes.push_back({s.name(), "switch", s.attach(), prof});
      for (const auto& dp : s.downstream()) m_nodes.push_back({dp.name(), "switch_port", s.name(), prof});
      m_switches.push_back(std::move(sw));
    } else if (v >= first_endpoint) {
      const pb::Endpoint& e = spec.endpoint(static_cast<int>(v - first_endpoint));
      // The endpoint keeps a reference to its profile: this instance's copy lives here.
      m_instance_profiles.push_back(std::make_unique<pb::DeviceProfile>(device_profile(e.profile())));
      pb::DeviceProfile& prof = *m_instance_profiles.back();
      const unsigned nth = seen_profiles[e.profile()]++;
      if (prof.mac_base()) prof.set_mac_base(prof.mac_base() + (uint64_t{instance} << 12) + (uint64_t{nth} << 4));
      const port_ref& above = ports.at(e.attach());
      const pcie::link_config trained = negotiate(above.profile->link(), prof.link());
      m_links.push_back(std::make_unique<pcie::pcie_link>(name_prefix + "link." + module_name(e.name()), trained));
      std::vector<pcie::pcie_link*> path{m_links.back().get()};
      path.insert(path.end(), above.uplinks.begin(), above.uplinks.end());
      std::unique_ptr<pcie::endpoint> ep;
      if (prof.model() == "dma_test") {
        auto dev = std::make_unique<pcie::dma_device>(module_name(e.name()).c_str(), prof);
        m_ats_devices.push_back({dev.get(), m_dma->attach(dev->dma, path)});
        ep = std::move(dev);
      } else if (prof.model() == "pciebench") {
        auto dev = std::make_unique<pcie::pciebench_device>(module_name(e.name()).c_str(), prof);
        m_dma->attach(dev->dma, path);
        ep = std::move(dev);
      } else if (prof.model() == "ixgbe") {
        auto dev = std::make_unique<nic::nic_device>(module_name(e.name()).c_str(), prof);
        m_dma->attach(dev->dma.socket, path);
        ep = std::move(dev);
      } else {
        ep = std::make_unique<pcie::endpoint>(module_name(e.name()).c_str(), prof);
      }
      // Both ends' Link Status show what the link trained at (the link's parameters:
      // `--set link.NAME.width=4` trains it lower): Linux reads it
      // (pcie_bandwidth_available(), lspci's LnkSta), not the link model.
      const pcie::pcie_link& l = *path.front();
      pcie::set_link_status(above.port().cfg(), l.gen, l.width);
      for (auto& pf : ep->pfs()) pcie::set_link_status(pf->cfg(), l.gen, l.width);
      connect(e.attach(), e.name(), ep->upstream);
      m_nodes.push_back({e.name(), "endpoint", e.attach(), e.profile()});
      m_endpoints.push_back(ep.get());
      m_endpoint_store.push_back(std::move(ep));
    }
  }
  wire_device_tlbs();
}

machine::~machine() = default;

const machine::ats_device* machine::ats_device_for(uint16_t source_id) const {
  for (const ats_device& d : m_ats_devices)
    if (d.device->requester_id() == source_id) return &d;
  return nullptr;
}

// Device-TLB invalidations and PRG responses go to the DMA device whose requester ID
// (PF 0 on the bus it captured) is the one the IOMMU names; nobody else has a
// device-TLB, so other IDs are logged and dropped.
void machine::wire_device_tlbs() {
  m_iommu->set_device_tlb_sink([this](uint16_t sid, uint64_t addr, uint64_t size) {
    if (const ats_device* d = ats_device_for(sid)) {
      d->device->invalidate_atc(addr, size);
      return;
    }
    kit::sim_env::current().log("dma", m_dma->name(), fmt::format("device-TLB invalidation for {}: no such ATS device, ignored",
                                                           iommu::format_source_id(sid)));
  });
  m_iommu->set_page_response_sink([this](uint16_t sid, uint16_t group, bool success) {
    const ats_device* d = ats_device_for(sid);
    if (!d) {
      kit::sim_env::current().log("dma", m_dma->name(), fmt::format("PRG response for {}: no such PRI device, ignored",
                                                             iommu::format_source_id(sid)));
      return;
    }
    const sc_core::sc_time now = sc_core::sc_time_stamp();
    d->device->page_response(group, success, m_dma->message_down(d->port, now) - now);
  });
}

void machine::reset_hardware() {
  m_rc->reset();
  for (auto& sw : m_switches) sw->reset();
  for (auto* ep : m_endpoints) ep->reset();
  m_iommu->reset();
}

}  // namespace iovsim::platform
