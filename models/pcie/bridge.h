// A PCI-to-PCI bridge function: a root port, a switch upstream port or a switch
// downstream port. It holds the bus-number registers and windows that route
// configuration and memory requests, and the ARI forwarding control.
#pragma once

#include <string>

#include "models/kit/pcie_ext.h"
#include "models/pcie/capabilities.h"
#include "models/pcie/pci_function.h"
#include "profile.pb.h"

namespace iovsim::pcie {

// What a port does with a configuration request for bus/devfn.
enum class cfg_route { not_mine, forward, unsupported };

class bridge_function : public pci_function {
 public:
  bridge_function(const std::string& name, const pb::PortProfile& profile, port_type type,
                  unsigned port_number);

  port_type type() const { return m_type; }
  unsigned secondary_bus() const { return m_cfg.get(CFG_SECONDARY_BUS, 1); }
  unsigned subordinate_bus() const { return m_cfg.get(CFG_SUBORDINATE_BUS, 1); }
  bool ari_forwarding_enabled() const;

  // Routing of a configuration request arriving from above (PCIe base spec 7.3.3):
  // the secondary bus gets a Type 0 request, but only device 0 below a downstream
  // port unless ARI forwarding is enabled; buses above secondary up to
  // subordinate get Type 1.
  cfg_route route_cfg(unsigned bus, unsigned devfn, kit::tlp_kind& kind) const;
  // Whether a memory request for addr is forwarded downstream (windows + MSE).
  bool forwards_mem(uint64_t addr) const;

 private:
  port_type m_type;
  uint32_t m_exp = 0;
};

}  // namespace iovsim::pcie
