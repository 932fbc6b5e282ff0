// The simulated Linux kernel's view of PCI: the pci_dev list, kernel parameters
// and the kernel log. Host-software modules share this state; they reach the
// hardware only through platform::host_bus (config and MMIO accesses).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "platform/platform.h"

namespace iovsim::host {

// A struct resource: [start, start+size). `assigned` false = IORESOURCE_UNSET.
struct resource {
  uint64_t start = 0;
  uint64_t size = 0;
  bool assigned = false;
  bool is_64bit = false;
  bool prefetchable = false;
  bool io = false;
  uint64_t end() const { return start + size - 1; }
};

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
  bool drivers_autoprobe = true;
  uint32_t ari_pos = 0;
  std::vector<pci_dev*> vfs;
  // VF
  bool is_virtfn = false;
  pci_dev* physfn = nullptr;
  unsigned vf_index = 0;
  // Binding
  std::string driver;
  std::string netdev;
  int irq = 0;

  std::string bdf() const;          // "0000:03:00.1"
  std::string short_bdf() const;    // "03:00.1"
  unsigned dev() const { return devfn >> 3; }
  unsigned fn() const { return devfn & 7; }
};

// Kernel command line switches the PCI core honours (Documentation/admin-guide/
// kernel-parameters.txt: pci=assign-busses, pci=realloc, pci=noari, pci=noats).
struct kernel_params {
  bool assign_busses = false;
  bool realloc = false;
  bool noari = false;
  bool noats = false;          // pci=noats: no PCIe ATS, hence no device-TLBs (pci.c pcie_ats_disabled)
  bool intel_iommu = false;
  bool iommu_pt = false;
  bool iommu_strict = false;   // iommu.strict=1: invalidate the IOTLB on every unmap
  std::string cmdline;
  std::vector<std::string> unknown;   // tokens the simulated kernel does not know
  static kernel_params parse(const std::string& cmdline);
};

class kernel_log {
 public:
  // The kernel's clock starts at boot: stamps count from the moment the log is made.
  kernel_log();
  // Appends `[    1.234567] text` stamped with the time since boot (dmesg format).
  void print(const std::string& text);
  const std::vector<std::string>& lines() const { return m_lines; }

 private:
  std::vector<std::string> m_lines;
  double m_boot_s = 0;
};

// printk resource format (pR) for a bus range: "[bus 03]" or "[bus 03-04]".
std::string format_bus_range(unsigned start, unsigned end);
// printk resource format (pR) for a memory resource: "[mem 0x92100000-0x921fffff 64bit pref]", or
// "[mem size 0x00200000 64bit pref]" when unassigned.
std::string format_resource(const resource& r);

}  // namespace iovsim::host
