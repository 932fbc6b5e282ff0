// struct pci_dev (include/linux/pci.h): what the kernel knows of one PCI function,
// as the PCI core filled it in from config space, plus the printk formats of PCI
// resources.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "platform/hal/pci_access.h"

namespace iovsim::host {

// struct resource (include/linux/ioport.h): what a BAR or bridge window decodes.
using hal::resource;

// Linux numbers a function's resources: 0-5 BARs, 6 ROM, 7-12 the SR-IOV VF BARs
// (PCI_IOV_RESOURCES), 13.. bridge windows.
constexpr int PCI_IOV_RESOURCES = 7;

struct pci_dev {
  unsigned domain = 0;
  unsigned bus = 0;
  unsigned devfn = 0;
  uint16_t vendor = 0, device = 0;
  uint16_t subsys_vendor = 0, subsys_device = 0;
  uint32_t class_code = 0;
  uint8_t revision = 0;
  uint8_t hdr_type = 0;            // low 7 bits
  bool multifunction = false;
  pci_dev* bridge = nullptr;       // the bridge above (nullptr on bus 0)
  // PCI Express
  uint32_t exp_pos = 0;
  unsigned exp_type = 0;           // port type field
  // Bridges
  bool is_bridge = false;
  unsigned secondary = 0, subordinate = 0;
  bool ari_enabled = false;        // ARI forwarding enabled on the secondary bus
  resource mem_window, pref_window;
  // Resources
  std::array<resource, 6> bars{};
  std::array<resource, 6> iov_bars{};     // per-VF size; start of VF 0 (resource 7+i)
  // SR-IOV (drivers/pci/iov.c struct pci_sriov)
  uint32_t sriov_pos = 0;
  uint16_t total_vfs = 0, initial_vfs = 0, num_vfs = 0;
  uint16_t vf_offset = 0, vf_stride = 0, vf_device = 0;
  uint16_t sriov_ctrl = 0;
  unsigned max_vf_buses = 0;        // highest bus any VF can use, as an offset
  uint16_t driver_max_vfs = 0;      // pci_sriov_set_totalvfs() by the bound driver; 0: none
  bool drivers_autoprobe = true;
  uint32_t ari_pos = 0;
  std::vector<pci_dev*> vfs;
  // VF
  bool is_virtfn = false;
  pci_dev* physfn = nullptr;
  unsigned vf_index = 0;
  // PCI_DEV_FLAGS_ASSIGNED (pci_set_dev_assigned()): handed to a guest by classic
  // device assignment. PF drivers refuse to take assigned VFs away.
  bool assigned = false;
  // sysfs driver_override: only this driver may bind ("" none).
  std::string driver_override;
  // Binding
  std::string driver;
  std::string netdev;
  int irq = 0;

  // pci_sriov_get_totalvfs(): the driver's limit when it set one, else TotalVFs.
  uint16_t sriov_totalvfs() const {
    return driver_max_vfs && driver_max_vfs < total_vfs ? driver_max_vfs : total_vfs;
  }
  // pci_vfs_assigned(): how many of this PF's VFs are assigned.
  unsigned vfs_assigned() const {
    unsigned n = 0;
    for (const pci_dev* vf : vfs) n += vf->assigned;
    return n;
  }
  std::string bdf() const;          // "0000:03:00.1"
  std::string short_bdf() const;    // "03:00.1"
  unsigned dev() const { return devfn >> 3; }
  unsigned fn() const { return devfn & 7; }
};

// printk resource format (pR) for a bus range: "[bus 03]" or "[bus 03-04]".
std::string format_bus_range(unsigned start, unsigned end);
// printk resource format (pR) for a memory resource: "[mem 0x92100000-0x921fffff 64bit pref]", or
// "[mem size 0x00200000 64bit pref]" when unassigned.
std::string format_resource(const resource& r);

}  // namespace iovsim::host
