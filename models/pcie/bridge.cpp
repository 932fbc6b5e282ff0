#include "models/pcie/bridge.h"

namespace iovsim::pcie {

bridge_function::bridge_function(const std::string& name, const pb::PortProfile& profile, port_type type,
                                 unsigned port_number)
    : pci_function(name), m_type(type) {
  function_ids ids;
  ids.vendor = static_cast<uint16_t>(profile.vendor_id());
  ids.device = static_cast<uint16_t>(profile.device_id());
  ids.revision = static_cast<uint8_t>(profile.revision());
  ids.class_code = 0x060400;  // PCI bridge, normal decode
  build_type1_header(ids);
  add_pm_cap(m_cfg);
  add_msi_cap(m_cfg, 0, true, false);
  pcie_cap_params p;
  p.type = type;
  p.max_payload_bytes = profile.link().max_payload_bytes() ? profile.link().max_payload_bytes() : 256;
  p.link_gen = profile.link().gen() ? profile.link().gen() : 3;
  p.link_width = profile.link().width() ? profile.link().width() : 8;
  p.port_number = port_number;
  // ARI forwarding is a downstream-facing port's feature (DevCap2 bit 5).
  p.ari_forwarding = profile.ari_forwarding() && type != port_type::upstream;
  p.slot = type != port_type::upstream;
  m_exp = add_pcie_cap(m_cfg, p);
  add_aer_cap(m_cfg);
}

bool bridge_function::ari_forwarding_enabled() const {
  return m_cfg.get(m_exp + EXP_DEVCTL2, 2) & EXP_DEVCTL2_ARI;
}

cfg_route bridge_function::route_cfg(unsigned bus, unsigned devfn, kit::tlp_kind& kind) const {
  const unsigned sec = secondary_bus(), sub = subordinate_bus();
  if (sec == 0 || bus < sec || bus > sub) return cfg_route::not_mine;
  if (bus == sec) {
    // A link has one device: without ARI forwarding a downstream port turns only
    // device 0 into Type 0 requests (PCIe base spec 7.3.1, "only device 0").
    if (m_type != port_type::upstream && !ari_forwarding_enabled() && (devfn >> 3) != 0)
      return cfg_route::unsupported;
    kind = kit::tlp_kind::cfg0;
  } else {
    kind = kit::tlp_kind::cfg1;
  }
  return cfg_route::forward;
}

bool bridge_function::forwards_mem(uint64_t addr) const {
  if (!memory_enabled()) return false;
  // Non-prefetchable window: [31:20] of base/limit registers, 1 MiB granularity.
  const uint64_t mem_base = static_cast<uint64_t>(m_cfg.get(CFG_MEM_BASE, 2) & 0xfff0) << 16;
  const uint64_t mem_limit = (static_cast<uint64_t>(m_cfg.get(CFG_MEM_LIMIT, 2) & 0xfff0) << 16) | 0xfffff;
  if (mem_base <= mem_limit && addr >= mem_base && addr <= mem_limit) return true;
  const uint64_t pref_base = (static_cast<uint64_t>(m_cfg.get(CFG_PREF_BASE_UPPER, 4)) << 32) |
                             (static_cast<uint64_t>(m_cfg.get(CFG_PREF_BASE, 2) & 0xfff0) << 16);
  const uint64_t pref_limit = (static_cast<uint64_t>(m_cfg.get(CFG_PREF_LIMIT_UPPER, 4)) << 32) |
                              (static_cast<uint64_t>(m_cfg.get(CFG_PREF_LIMIT, 2) & 0xfff0) << 16) | 0xfffff;
  return pref_base <= pref_limit && addr >= pref_base && addr <= pref_limit;
}

}  // namespace iovsim::pcie
