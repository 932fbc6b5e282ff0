#include "drivers-sim/iommu/iommu_sysfs.h"

#include <fmt/format.h>

#include <algorithm>

namespace iovsim::host {

namespace {
const std::string k_iommu_groups = "/sys/kernel/iommu_groups";

// intel/iommu.c IOAPIC_RANGE_START/END: the interrupt window intel_iommu_get_resv_regions()
// reserves for every device as IOMMU_RESV_MSI (there is no RMRR in our DMAR table).
constexpr uint64_t IOAPIC_RANGE_START = dmar_domain::MSI_WINDOW_FIRST_PFN << 12,
                   IOAPIC_RANGE_END = ((dmar_domain::MSI_WINDOW_LAST_PFN + 1) << 12) - 1;
// PCI_CLASS_BRIDGE_ISA: intel_iommu_get_resv_regions() also reserves 0-16 MiB as
// IOMMU_RESV_DIRECT_RELAXABLE for ISA bridges (CONFIG_INTEL_IOMMU_FLOPPY_WA, y on x86).
constexpr uint32_t PCI_CLASS_BRIDGE_ISA = 0x0601;
constexpr uint64_t ISA_DMA_BYTES = 1ull << 24;

const iommu_group_info* group_of(const std::vector<iommu_group_info>& groups, const std::string& bdf) {
  for (const auto& g : groups)
    if (std::find(g.devices.begin(), g.devices.end(), bdf) != g.devices.end()) return &g;
  return nullptr;
}

// Linux v6.1 drivers/iommu/iommu.c iommu_group_show_type(): the type of the group's
// *default* domain as "%s\n": blocked, identity, unmanaged, DMA, DMA-FQ (a device
// given to VFIO keeps it). Every group here gets the same default: identity with
// iommu=pt, DMA when strict, else DMA-FQ (v6.1's lazy default).
std::string group_type(const intel_iommu& iommu) {
  return iommu.pass_through() ? "identity" : iommu.strict() ? "DMA" : "DMA-FQ";
}

// drivers/iommu/iommu.c iommu_group_show_resv_regions(): "0x%016llx 0x%016llx %s\n"
// (start, end, iommu_group_resv_type_string[type]: direct, direct-relaxable,
// reserved, msi) per region, sorted by start (iommu_insert_resv_region()).
std::string reserved_regions(const iommu_group_info& g, pci_core& pci) {
  std::string out;
  bool isa = false;
  for (const std::string& bdf : g.devices)
    if (const pci_dev* d = pci.find(bdf); d && (d->class_code >> 8) == PCI_CLASS_BRIDGE_ISA) isa = true;
  if (isa) out += fmt::format("0x{:016x} 0x{:016x} direct-relaxable\n", 0, ISA_DMA_BYTES - 1);
  out += fmt::format("0x{:016x} 0x{:016x} msi\n", IOAPIC_RANGE_START, IOAPIC_RANGE_END);
  return out;
}
}  // namespace

void mount_iommu_sysfs(kernfs& fs, pci_sysfs& pci_fs, pci_core& pci, intel_iommu& iommu) {
  // The kset exists whether or not an IOMMU is found (iommu_init(), a core_initcall).
  fs.mount(k_iommu_groups, [&pci, &iommu] {
    std::vector<kernfs_node> out;
    for (const iommu_group_info& g : iommu.groups()) {
      out.push_back(kernfs_node::dir(std::to_string(g.id), [&pci, &iommu, g] {
        std::vector<kernfs_node> e;
        e.push_back(kernfs_node::dir("devices", [&pci, g] {
          std::vector<kernfs_node> links;
          const std::string here = k_iommu_groups + "/" + std::to_string(g.id) + "/devices";
          for (const std::string& bdf : g.devices)
            if (const pci_dev* d = pci.find(bdf))
              links.push_back(kernfs_node::link(bdf, relative_path(here, pci_sysfs::device_path(*d))));
          return links;
        }));
        e.push_back(kernfs_node::text("type", group_type(iommu) + "\n"));
        e.push_back(kernfs_node::text("reserved_regions", reserved_regions(g, pci)));
        return e;
      }));
    }
    return out;
  });
  pci_fs.add_attributes([&iommu](pci_dev& dev, std::vector<kernfs_node>& e) {
    const auto groups = iommu.groups();
    if (const iommu_group_info* g = group_of(groups, dev.bdf()))
      e.push_back(kernfs_node::link(
          "iommu_group", relative_path(pci_sysfs::device_path(dev), k_iommu_groups + "/" + std::to_string(g->id))));
  });
}

}  // namespace iovsim::host
