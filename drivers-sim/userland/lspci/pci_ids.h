// The names lspci prints, as pciutils reads them from pci.ids
// (/usr/share/misc/pci.ids): vendors, devices, and subsystems of a device. The host
// installs one built from the device profiles, as Debian's pci.ids package is
// installed on a real machine.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>

namespace iovsim::host {

class pci_ids {
 public:
  // The first name given for an ID wins (pci.ids has one entry per ID).
  void add_vendor(uint16_t vendor, const std::string& name) { m_vendors.emplace(vendor, name); }
  void add_device(uint16_t vendor, uint16_t device, const std::string& name) {
    m_devices.emplace(std::make_pair(vendor, device), name);
  }
  void add_subsystem(uint16_t vendor, uint16_t device, uint16_t sub_vendor, uint16_t sub_device,
                     const std::string& name) {
    m_subsystems.emplace(std::make_tuple(vendor, device, sub_vendor, sub_device), name);
  }
  // "" when unknown.
  std::string vendor(uint16_t v) const;
  std::string device(uint16_t v, uint16_t d) const;
  std::string subsystem(uint16_t v, uint16_t d, uint16_t sv, uint16_t sd) const;

 private:
  std::map<uint16_t, std::string> m_vendors;
  std::map<std::pair<uint16_t, uint16_t>, std::string> m_devices;
  std::map<std::tuple<uint16_t, uint16_t, uint16_t, uint16_t>, std::string> m_subsystems;
};

}  // namespace iovsim::host
