// VFIO (Linux drivers/vfio/): how user space (a VMM, a poll-mode driver) gets a PCI
// function for itself.
//
// - vfio-pci is a PCI driver without an ID table: it binds a function only through
//   driver_override or new_id (drivers/vfio/pci/vfio_pci.c). Its probe refuses a PF
//   with VFs enabled ("Cannot bind to PF with SR-IOV enabled", vfio_pci_core.c
//   vfio_pci_core_register_device, -EBUSY) and a function without an IOMMU group,
//   unless the unsafe no-IOMMU mode is on (vfio/group.c vfio_noiommu_group_alloc:
//   every such function gets a group of its own, "noiommu-N", and the kernel is
//   tainted).
// - A group is viable when every member is bound to vfio-pci or to no driver
//   (vfio_dev_driver_allowed / the group's viability); a container (one user) owns
//   whole groups: a second user of any member gets -EBUSY.
// - Type1 IOMMU (vfio_iommu_type1.c): VFIO_IOMMU_MAP_DMA maps IOVA -> physical in the
//   container's domain (pinned pages, the largest IOMMU pages the physical
//   contiguity allows); no-IOMMU containers map nothing and the device uses physical
//   addresses (DPDK's --iova-mode=pa).
//
// Open devices keep their function's DMA through the host's IOMMU driver (dma_api);
// their BARs are reached through the CPU's MMIO (the user's mmap of the region).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "drivers-sim/iommu/dma_api.h"
#include "drivers-sim/iommu/dmar.h"
#include "drivers-sim/kernel/kernel.h"
#include "drivers-sim/kernel/kernfs.h"
#include "drivers-sim/pci/pci.h"
#include "drivers-sim/pci/pci_driver.h"

namespace iovsim::host {

class vfio_core : public pci_driver {
 public:
  // `iommu` may be null (no IOMMU driver).
  vfio_core(pci_core& pci, pci_bus_type& bus, intel_iommu* iommu, dma_api& dma, kernel_log& log, kernfs& fs);
  ~vfio_core() override;

  // pci_driver: "vfio-pci".
  const std::string& name() const override;
  const std::vector<pci_device_id>& id_table() const override;
  int probe(pci_dev& dev) override;
  void remove(pci_dev& dev) override;

  // /sys/module/vfio/parameters/enable_unsafe_noiommu_mode.
  bool noiommu() const { return m_noiommu; }
  void set_noiommu(bool on) { m_noiommu = on; }

  // An open device: a VFIO device fd in a container of one user.
  struct device {
    pci_dev* dev = nullptr;
    std::string owner;  // "vm:NAME", "pmd"...
    std::string group;  // "7", "noiommu-0"
    bool noiommu = false;
    uint64_t mapped_bytes = 0;                        // VFIO_IOMMU_MAP_DMA so far
    std::vector<std::pair<uint64_t, uint64_t>> maps;  // (iova, bytes)
  };

  // The group name of a function bound to vfio-pci ("" when it is not).
  std::string group_of(const pci_dev& dev) const;
  // The functions in dev's IOMMU group (dev included), in requester-ID order.
  std::vector<pci_dev*> group_members(const pci_dev& dev) const;

  // Opens `dev` for `owner` (the group's viability, then its container): 0 and `out`,
  // or -errno with the reason in `why`, worded as QEMU and DPDK word it:
  // -ENODEV not bound to vfio-pci, -EPERM group not viable, -EBUSY the group (or the
  // function) belongs to another user.
  int open(pci_dev& dev, const std::string& owner, device*& out, std::string& why);
  // Unmaps what the device's user mapped; the function stays bound to vfio-pci.
  void close(device& d);
  // VFIO_IOMMU_MAP_DMA: [iova, iova + len) -> [phys, ...) for the device, with IOMMU
  // pages no larger than `max_page` (the backing's page size). 0, -EINVAL (no-IOMMU
  // container, unaligned, overlap), -ENODEV (no translation).
  int dma_map(device& d, uint64_t iova, uint64_t phys, uint64_t len, uint64_t max_page);
  // Open devices by function.
  const std::map<const pci_dev*, std::unique_ptr<device>>& open_devices() const { return m_open; }

 private:
  void mount();

  pci_core& m_pci;
  pci_bus_type& m_bus;
  intel_iommu* m_iommu;
  dma_api& m_dma;
  kernel_log& m_log;
  kernfs& m_fs;
  bool m_noiommu = false;
  std::map<const pci_dev*, std::string> m_bound;  // function -> group name
  unsigned m_next_noiommu = 0;
  std::map<const pci_dev*, std::unique_ptr<device>> m_open;
  std::map<std::string, std::string> m_group_owner;  // group -> owner
};

// The modules: vfio (parameter enable_unsafe_noiommu_mode) and vfio_pci, which
// registers the driver (Debian builds both as modules; libvirt loads vfio-pci before a
// managed detach).
class module_loader;
void install_vfio_modules(module_loader& loader, vfio_core& core, pci_bus_type& bus);

}  // namespace iovsim::host
