// The kernel's PCI core, Linux-like (drivers/pci/probe.c, iov.c, setup-bus.c):
// depth-first enumeration that keeps the firmware's bus numbers unless
// `pci=assign-busses`, ARI forwarding as pci_configure_ari does, SR-IOV
// initialisation that reserves the VFs' bus range, resource claiming and
// (with `pci=realloc`) reassignment, and sriov_enable/disable with the kernel's
// checks, errors and messages.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "drivers-sim/kernel/kernel.h"
#include "drivers-sim/pci/pci_dev.h"
#include "platform/hal/host_bus.h"

namespace iovsim::host {

// The root bus's memory windows, as the firmware described them (ACPI _CRS): where
// `pci=realloc` may place what it reassigns.
struct root_bus_windows {
  uint64_t mmio_base = 0x90000000ull;
  uint64_t mmio64_base = 0x380000000000ull;
};

class pci_core {
 public:
  pci_core(platform::host_bus& bus, const kernel_params& params, kernel_log& log);
  // What the firmware reported (before scan()).
  void set_root_windows(const root_bus_windows& w) { m_windows = w; }

  // Boot: enumerate from bus 0, claim or assign resources. Drivers bind later
  // (on_add is called for every device once the tree is complete).
  void scan();

  std::vector<pci_dev*> devices() const;           // sorted by bus, devfn
  size_t device_count() const { return m_devs.size(); }
  pci_dev* find(unsigned bus, unsigned devfn) const;
  pci_dev* find(const std::string& bdf) const;     // "0000:03:00.1" or "03:00.1"

  // iov.c sriov_enable / sriov_disable. Returns 0 or -errno.
  int enable_sriov(pci_dev& pf, unsigned nr_virtfn);
  void disable_sriov(pci_dev& pf);

  // The 4096 configuration bytes as the kernel shows them (sysfs `config`).
  std::vector<uint8_t> config_bytes(const pci_dev& dev, size_t max_bytes = SIZE_MAX);

  platform::host_bus& hw() { return m_bus; }
  const kernel_params& params() const { return m_params; }

  // Hooks for the driver core: a device was added / is about to be removed.
  std::function<void(pci_dev&)> on_add;
  // Called once enumeration and resource assignment are done, before drivers bind
  // (the IOMMU driver sets up its domains there, as intel_iommu_init does).
  std::function<void()> on_enumerated;
  std::function<void(pci_dev&)> on_remove;

 private:
  unsigned scan_bus(unsigned busnr, pci_dev* bridge);
  pci_dev* scan_device(unsigned busnr, unsigned devfn, pci_dev* bridge);
  void read_bases(pci_dev& dev);
  void configure_ari(pci_dev& dev);
  void sriov_init(pci_dev& dev);
  void set_numvfs(pci_dev& pf, unsigned n);
  unsigned iov_bus_range(unsigned busnr) const;
  void claim_resources();
  void realloc_resources();
  bool fit_in_window(pci_dev& dev, resource& r, uint64_t align = 0);
  unsigned bus_end(const pci_dev& dev) const;
  pci_dev* add(std::unique_ptr<pci_dev> dev);
  void info(const pci_dev& dev, const std::string& text);

  platform::host_bus& m_bus;
  kernel_params m_params;
  kernel_log& m_log;
  root_bus_windows m_windows;
  // Every function by (domain, bus, devfn), the order devices() lists them in (a
  // function's address never changes once it is added). A multimap, as a list would
  // be: two functions claiming one address (a broken profile) are both kept, the
  // first added found first.
  static uint64_t key(unsigned domain, unsigned bus, unsigned devfn) {
    return (uint64_t{domain} << 16) | (uint64_t{bus} << 8) | devfn;
  }
  std::multimap<uint64_t, std::unique_ptr<pci_dev>> m_devs;
};

}  // namespace iovsim::host
