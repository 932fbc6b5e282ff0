// One simulated Linux host: firmware, kernel PCI core, drivers, the files the
// shell sees (sysfs, procfs, /etc) and the shell with its commands. It runs in a
// SystemC thread and reaches the hardware only through platform::host_bus.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "drivers-sim/iommu/dma_api.h"
#include "drivers-sim/iommu/dmar.h"
#include "drivers-sim/iommu/iopf.h"
#include "drivers-sim/kernel/kernel.h"
#include "drivers-sim/kernel/page_alloc.h"
#include "drivers-sim/misc/dmatest.h"
#include "drivers-sim/net/net_drivers.h"
#include "drivers-sim/pci/pci.h"
#include "drivers-sim/userland/lspci/lspci.h"
#include "drivers-sim/userland/shell/shell.h"
#include "drivers-sim/userland/sim/inject.h"
#include "drivers-sim/virt/vm.h"
#include "firmware/bios.h"

namespace iovsim::host {

// The BIOS runs on the machine before the kernel: it sees the host bus and logs as
// `host.bios` in log.txt.
class firmware_hal : public fw::hal {
 public:
  explicit firmware_hal(platform::host_bus& bus) : m_bus(bus) {}
  platform::host_bus& bus() override { return m_bus; }
  void log(const std::string& who, const std::string& message) override;

 private:
  platform::host_bus& m_bus;
};

// What the scenario's `firmware` section says this machine's BIOS does.
fw::bios_options bios_options_of(const pb::Firmware& firmware);

class host_system : public vfs {
 public:
  host_system(platform::machine& machine, uint64_t seed);
  ~host_system() override;

  // Firmware, then kernel enumeration and coldplug. Call from an SC_THREAD.
  void boot();
  // Platform reset and a new boot with this kernel command line; files under /etc
  // survive, everything the kernel knew does not.
  void reboot(const std::string& cmdline);
  cmd_result run(const std::string& line) { return m_shell->run(line); }

  pci_core& pci() { return *m_pci; }
  intel_iommu& iommu_driver() { return *m_iommu; }
  dma_api& dma() { return *m_dma_api; }
  driver_core& drivers() { return *m_drivers; }
  kernel_log& dmesg() { return m_log; }
  const kernel_params& params() const { return m_params; }
  shell& sh() { return *m_shell; }
  platform::machine& machine() { return m_machine; }
  const fw::bios_summary& bios() const { return m_bios; }

  // What `lspci` sees: every function with its config bytes and names.
  std::vector<lspci_device> lspci_view();

  // vfs
  fs_result read(const std::string& path) override;
  int write(const std::string& path, const std::string& data, bool append) override;
  fs_result list(const std::string& path) override;
  bool is_dir(const std::string& path) override;
  fs_result readlink(const std::string& path) override;

 private:
  void register_commands();
  void start_kernel();
  std::string resolve(const std::string& path);
  std::vector<std::string> modprobe_conf_lines();
  cmd_result cmd_ip(const std::vector<std::string>& argv);
  cmd_result cmd_run(const std::vector<std::string>& argv);
  cmd_result cmd_devmem(const std::vector<std::string>& argv);
  cmd_result cmd_iommu(const std::vector<std::string>& argv);
  bool is_dma_test(const pci_dev& dev) const;
  std::string ip_link_show(const netdev* only);

  platform::machine& m_machine;
  uint64_t m_seed = 0;
  unsigned m_boots = 0;
  bool m_iommu_ready = false;
  kernel_params m_params;
  kernel_log m_log;
  fw::bios_summary m_bios;
  std::unique_ptr<pci_core> m_pci;
  std::unique_ptr<driver_core> m_drivers;
  std::unique_ptr<page_allocator> m_pages;
  std::unique_ptr<intel_iommu> m_iommu;
  std::unique_ptr<dma_api> m_dma_api;
  std::unique_ptr<dmatest_driver> m_dmatest;
  std::unique_ptr<vm_manager> m_vms;
  std::unique_ptr<fault_injector> m_inject;   // uses m_iommu and m_dmatest
  std::unique_ptr<iopf_service> m_iopf;   // PRI page requests, resolved for demand-paged VMs
  std::unique_ptr<shell> m_shell;
  std::map<std::string, std::string> m_files;   // /etc and other plain files
};

}  // namespace iovsim::host
