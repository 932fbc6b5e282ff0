#include "drivers-sim/userland/lspci/pci_ids.h"

namespace iovsim::host {

std::string pci_ids::vendor(uint16_t v) const {
  auto it = m_vendors.find(v);
  return it == m_vendors.end() ? "" : it->second;
}

std::string pci_ids::device(uint16_t v, uint16_t d) const {
  auto it = m_devices.find({v, d});
  return it == m_devices.end() ? "" : it->second;
}

std::string pci_ids::subsystem(uint16_t v, uint16_t d, uint16_t sv, uint16_t sd) const {
  auto it = m_subsystems.find({v, d, sv, sd});
  return it == m_subsystems.end() ? "" : it->second;
}

}  // namespace iovsim::host
