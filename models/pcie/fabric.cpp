#include "models/pcie/fabric.h"

#include "models/kit/sim_env.h"
#include "models/pcie/endpoint.h"

namespace iovsim::pcie {

namespace {
// A request nobody claimed: the root complex completes it as Unsupported Request,
// which reads as all ones (PCIe base spec 2.3.2; Linux treats 0xffffffff vendor as absent).
void complete_ur(tlm::tlm_generic_payload& trans, kit::pcie_ext* ext) {
  if (ext) ext->unsupported_request = true;
  if (trans.is_read()) set_payload_value(trans, ~0ull);
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

pci_function* local_function(std::vector<port_slot>& ports, unsigned devfn) {
  for (auto& s : ports)
    if (s.devfn == devfn) return s.port.get();
  return nullptr;
}

void local_cfg(pci_function& fn, tlm::tlm_generic_payload& trans) {
  const auto reg = static_cast<uint32_t>(trans.get_address() & 0xfff);
  const unsigned len = trans.get_data_length();
  if (trans.is_read()) set_payload_value(trans, fn.cfg_read(reg, len));
  else fn.cfg_write(reg, len, static_cast<uint32_t>(payload_value(trans)));
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
}
}  // namespace

bool port_router::route_cfg(std::vector<port_slot>& ports, down_socket& socket, tlm::tlm_generic_payload& trans,
                            sc_core::sc_time& delay, bool& ur) {
  kit::pcie_ext* ext = trans.get_extension<kit::pcie_ext>();
  const unsigned bus = kit::rid_bus(ext->target_id), devfn = kit::rid_devfn(ext->target_id);
  for (auto& s : ports) {
    kit::tlp_kind kind;
    const cfg_route r = s.port->route_cfg(bus, devfn, kind);
    if (r == cfg_route::not_mine) continue;
    if (r == cfg_route::unsupported || s.socket_index < 0) {
      ur = true;
      return true;
    }
    ext->kind = kind;
    socket[static_cast<unsigned>(s.socket_index)]->b_transport(trans, delay);
    return true;
  }
  return false;
}

bool port_router::route_mem(std::vector<port_slot>& ports, down_socket& socket, tlm::tlm_generic_payload& trans,
                            sc_core::sc_time& delay) {
  for (auto& s : ports) {
    if (s.socket_index < 0 || !s.port->forwards_mem(trans.get_address())) continue;
    socket[static_cast<unsigned>(s.socket_index)]->b_transport(trans, delay);
    return true;
  }
  return false;
}

// ---------------------------------------------------------------------------
namespace {
class host_bridge_function : public pci_function {
 public:
  host_bridge_function(const std::string& name, const pb::PortProfile& p) : pci_function(name) {
    function_ids ids{static_cast<uint16_t>(p.vendor_id()), static_cast<uint16_t>(p.device_id()),
                     static_cast<uint8_t>(p.revision()), 0x060000, 0, 0};
    build_type0_header(ids, {}, false, 0);
  }
};
}  // namespace

root_complex::root_complex(sc_core::sc_module_name name, const pb::PortProfile& host_bridge)
    : sc_module(name), host("host"), downstream("downstream"), chipset("chipset") {
  host.register_b_transport(this, &root_complex::b_transport);
  m_host_bridge = std::make_unique<host_bridge_function>(std::string(this->name()) + ".host_bridge", host_bridge);
}

unsigned root_complex::add_root_port(const std::string& name, unsigned devfn, const pb::PortProfile& profile) {
  port_slot s;
  s.port = std::make_unique<bridge_function>(std::string(this->name()) + "." + name, profile, port_type::root_port,
                                             devfn >> 3);
  s.devfn = devfn;
  m_ports.push_back(std::move(s));
  // Functions of one device advertise it in Header Type bit 7 (multi-function).
  for (auto& a : m_ports) {
    bool multi = false;
    for (auto& b : m_ports) multi |= &a != &b && (a.devfn >> 3) == (b.devfn >> 3);
    a.port->cfg().bank().set_reset(CFG_HEADER_TYPE, multi ? 0x81 : 0x01);
  }
  return static_cast<unsigned>(m_ports.size() - 1);
}

void root_complex::reset() {
  m_host_bridge->cfg().bank().reset();
  for (auto& s : m_ports) s.port->cfg().bank().reset();
}

void root_complex::connect(unsigned slot, tlm::tlm_target_socket<32>& below) {
  downstream.bind(below);
  m_ports[slot].socket_index = m_bound++;
}

void root_complex::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  kit::pcie_ext* ext = trans.get_extension<kit::pcie_ext>();
  const bool is_cfg = ext && (ext->kind == kit::tlp_kind::cfg0 || ext->kind == kit::tlp_kind::cfg1);
  if (is_cfg) {
    delay += cfg_access_latency();
    const unsigned bus = kit::rid_bus(ext->target_id), devfn = kit::rid_devfn(ext->target_id);
    if (bus == 0) {
      pci_function* fn = devfn == 0 ? m_host_bridge.get() : local_function(m_ports, devfn);
      if (fn) local_cfg(*fn, trans);
      else complete_ur(trans, ext);
      return;
    }
    bool ur = false;
    if (!m_router.route_cfg(m_ports, downstream, trans, delay, ur) || ur) complete_ur(trans, ext);
    return;
  }
  if (trans.is_read()) delay += mmio_read_latency();
  const uint64_t addr = trans.get_address();
  if (m_chipset_size && addr >= m_chipset_base && addr - m_chipset_base < m_chipset_size) {
    trans.set_address(addr - m_chipset_base);
    chipset->b_transport(trans, delay);
    trans.set_address(addr);
    return;
  }
  if (!m_router.route_mem(m_ports, downstream, trans, delay)) complete_ur(trans, ext);
}

// ---------------------------------------------------------------------------
pcie_switch::pcie_switch(sc_core::sc_module_name name, const pb::PortProfile& profile)
    : sc_module(name), upstream("upstream"), downstream("downstream"), m_profile(profile) {
  upstream.register_b_transport(this, &pcie_switch::b_transport);
  m_up = std::make_unique<bridge_function>(std::string(this->name()) + ".up", profile, port_type::upstream, 0);
}

unsigned pcie_switch::add_downstream_port(const std::string& name, unsigned device) {
  port_slot s;
  s.port = std::make_unique<bridge_function>(std::string(this->name()) + "." + name, m_profile,
                                             port_type::downstream, device);
  s.devfn = device << 3;
  m_ports.push_back(std::move(s));
  return static_cast<unsigned>(m_ports.size() - 1);
}

void pcie_switch::reset() {
  m_up->cfg().bank().reset();
  for (auto& s : m_ports) s.port->cfg().bank().reset();
}

void pcie_switch::connect(unsigned slot, tlm::tlm_target_socket<32>& below) {
  downstream.bind(below);
  m_ports[slot].socket_index = m_bound++;
}

void pcie_switch::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  kit::pcie_ext* ext = trans.get_extension<kit::pcie_ext>();
  const bool is_cfg = ext && (ext->kind == kit::tlp_kind::cfg0 || ext->kind == kit::tlp_kind::cfg1);
  if (is_cfg) {
    const unsigned bus = kit::rid_bus(ext->target_id), devfn = kit::rid_devfn(ext->target_id);
    if (ext->kind == kit::tlp_kind::cfg0) {
      // The upstream port is function 0 of a single-function device.
      if (devfn == 0) local_cfg(*m_up, trans);
      else complete_ur(trans, ext);
      return;
    }
    const unsigned internal = m_up->secondary_bus();
    if (internal != 0 && bus == internal) {
      pci_function* fn = local_function(m_ports, devfn);
      if (fn) local_cfg(*fn, trans);
      else complete_ur(trans, ext);
      return;
    }
    if (bus < internal || bus > m_up->subordinate_bus()) {
      complete_ur(trans, ext);
      return;
    }
    bool ur = false;
    if (!m_router.route_cfg(m_ports, downstream, trans, delay, ur) || ur) complete_ur(trans, ext);
    return;
  }
  if (!m_up->forwards_mem(trans.get_address()) || !m_router.route_mem(m_ports, downstream, trans, delay))
    complete_ur(trans, ext);
}

}  // namespace iovsim::pcie
