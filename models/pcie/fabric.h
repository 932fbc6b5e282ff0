// The PCIe fabric above the endpoints: the root complex (host bridge and root
// ports on bus 0) and switches (an upstream port, an internal bus, downstream
// ports). Both route by bus-number registers (configuration) and bridge windows
// (memory), the way the hardware does, so the host software's bus numbering and
// window programming decide what is reachable.
#pragma once

#include <memory>
#include <string>
#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <vector>

#include "models/kit/param.h"
#include "models/pcie/bridge.h"

namespace iovsim::pcie {

using down_socket = tlm_utils::multi_passthrough_initiator_socket<sc_core::sc_module, 32, tlm::tlm_base_protocol_types,
                                                                 0, sc_core::SC_ZERO_OR_MORE_BOUND>;

// A downstream-facing port and the socket index its link is bound to (-1: empty slot).
struct port_slot {
  std::unique_ptr<bridge_function> port;
  unsigned devfn = 0;
  int socket_index = -1;
};

// Shared routing over a set of downstream ports.
class port_router {
 public:
  // Forwards a config request to the port whose bus range holds it; false if none.
  // Sets `ur` when a port owns the bus but refuses the request.
  bool route_cfg(std::vector<port_slot>& ports, down_socket& socket, tlm::tlm_generic_payload& trans,
                 sc_core::sc_time& delay, bool& ur);
  bool route_mem(std::vector<port_slot>& ports, down_socket& socket, tlm::tlm_generic_payload& trans,
                 sc_core::sc_time& delay);
};

class root_complex : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<root_complex> host;   // CPU side: config and MMIO
  down_socket downstream;                                // one binding per occupied root port
  // Chipset registers the root complex decodes itself (the VT-d unit's window):
  // requests in [base, base + size) go here with the offset as address.
  tlm_utils::simple_initiator_socket<root_complex> chipset;
  void set_chipset_window(uint64_t base, uint64_t size) {
    m_chipset_base = base;
    m_chipset_size = size;
  }

  root_complex(sc_core::sc_module_name name, const pb::PortProfile& host_bridge);

  // Adds a root port at bus 0 devfn; returns its slot index.
  unsigned add_root_port(const std::string& name, unsigned devfn, const pb::PortProfile& profile);
  // Binds the root port's link to the device below it.
  void connect(unsigned slot, tlm::tlm_target_socket<32>& below);
  std::vector<port_slot>& ports() { return m_ports; }
  // Conventional reset of the host bridge and the root ports' registers.
  void reset();

 private:
  kit::scope m_scope{name(), "rc"};

 public:
  // Parameters. An ECAM access is an uncached, non-posted CPU access through the root
  // complex; public PCIe round-trip measurements (pcie-bench, SIGCOMM 2018) are 0.5-1 us.
  kit::param<sc_core::sc_time> cfg_access_latency{m_scope, "cfg_access_latency", sc_core::sc_time(700, sc_core::SC_NS),
                                                  "CPU configuration access, request to completion"};
  kit::param<sc_core::sc_time> mmio_read_latency{m_scope, "mmio_read_latency", sc_core::sc_time(700, sc_core::SC_NS),
                                                 "CPU MMIO read of a device register, request to completion"};

 private:
  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);

  std::unique_ptr<pci_function> m_host_bridge;
  std::vector<port_slot> m_ports;
  port_router m_router;
  int m_bound = 0;
  uint64_t m_chipset_base = 0, m_chipset_size = 0;
};

class pcie_switch : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<pcie_switch> upstream;
  down_socket downstream;

  pcie_switch(sc_core::sc_module_name name, const pb::PortProfile& profile);

  unsigned add_downstream_port(const std::string& name, unsigned device);
  void connect(unsigned slot, tlm::tlm_target_socket<32>& below);
  bridge_function& upstream_port() { return *m_up; }
  std::vector<port_slot>& ports() { return m_ports; }
  void reset();

 private:
  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);

  const pb::PortProfile& m_profile;
  std::unique_ptr<bridge_function> m_up;
  std::vector<port_slot> m_ports;
  port_router m_router;
  int m_bound = 0;
};

}  // namespace iovsim::pcie
