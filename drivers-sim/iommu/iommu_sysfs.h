// /sys/kernel/iommu_groups (drivers/iommu/iommu.c): a directory per group with its
// devices, type and reserved regions, and each PCI function's iommu_group link.
#pragma once

#include "drivers-sim/iommu/dmar.h"
#include "drivers-sim/kernel/kernfs.h"
#include "drivers-sim/pci/pci_sysfs.h"

namespace iovsim::host {

void mount_iommu_sysfs(kernfs& fs, pci_sysfs& pci_fs, pci_core& pci, intel_iommu& iommu);

}  // namespace iovsim::host
