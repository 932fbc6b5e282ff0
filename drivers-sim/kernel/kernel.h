// The simulated kernel's command line and its log (printk / dmesg). Host-software
// modules share this state; they reach the hardware only through
// platform::host_bus (config and MMIO accesses).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace iovsim::host {

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
  // intel_iommu=sp_off: IOMMU page tables use 4 KiB pages only (intel/iommu.c
  // intel_iommu_superpage = 0, so domain_update_iommu_superpage() gives 0).
  bool iommu_superpage = true;
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

}  // namespace iovsim::host
