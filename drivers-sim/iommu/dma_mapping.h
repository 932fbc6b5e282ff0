// What a driver needs from the kernel's DMA API, and nothing of how it is done.
#pragma once

#include <cstdint>
#include <systemc>

#include "drivers-sim/pci/pci_dev.h"

namespace iovsim::host {

// The DMA API drivers call (include/linux/dma-mapping.h: dma_map_single,
// dma_unmap_single); iommu/dma_api.h implements it over the IOMMU driver.
class dma_mapper {
 public:
  virtual ~dma_mapper() = default;
  // Returns the bus address (IOVA) for [phys, phys+len), or UINT64_MAX on failure.
  virtual uint64_t map(pci_dev& dev, uint64_t phys, uint64_t len, bool to_device) = 0;
  virtual void unmap(pci_dev& dev, uint64_t iova, uint64_t len, bool to_device) = 0;
  // Host CPU time spent in map/unmap for this device so far.
  virtual sc_core::sc_time cpu_time(const pci_dev& dev) const = 0;
  // [phys, phys+len) mapped at bus address phys with the largest IOMMU pages its
  // alignment allows; the bus address, or UINT64_MAX when not supported or failed.
  virtual uint64_t map_large(pci_dev& /*dev*/, uint64_t /*phys*/, uint64_t /*len*/) { return UINT64_MAX; }
  virtual void unmap_large(pci_dev& /*dev*/, uint64_t /*phys*/, uint64_t /*len*/) {}
  // Whether the device's DMA addresses go through IOMMU translation (false: they are
  // physical, and an unmap leaves nothing behind for the device to miss).
  virtual bool translated(const pci_dev& /*dev*/) const { return false; }
};

}  // namespace iovsim::host
