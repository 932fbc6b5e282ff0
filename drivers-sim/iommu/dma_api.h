// The simulated kernel's DMA API (include/linux/dma-mapping.h) over the Intel IOMMU
// driver, Linux v6.1 drivers/iommu/dma-iommu.c:
//
//   translation on : IOVA allocation (32-bit space first for PCI devices, then the
//                    device's mask: iommu_dma_alloc_iova()), PTE writes into the
//                    domain's tables in DRAM (the largest pages alignment allows,
//                    like __domain_mapping()), and on unmap PTE clear + IOTLB
//                    invalidation, strict or lazy (below);
//   iommu=pt / off : dma-direct: the DMA address is the physical address.
//
// Unmap policies (__iommu_dma_unmap()): strict invalidates the pages at once (a
// page-selective descriptor + a wait descriptor, polled) and frees the IOVA; lazy
// (a DMA-FQ domain) queues the IOVA in the flush queue, which is flushed with one
// domain-selective invalidation when a new entry finds it full (IOVA_FQ_SIZE 256
// slots, one kept empty: fq_full() is tail + 1 == head) or IOVA_FQ_TIMEOUT (10 ms)
// after the timer was armed by the first queued entry (fq_flush_timeout()). Until
// then the IOTLB may keep stale translations: the device can still reach the page.
//
// Every host-side step is charged a named CPU-time parameter (dma_costs): the calling
// thread waits it, and a per-device account keeps the totals. Must be called from an
// SC_THREAD. Static mappings (map once, never unmapped per packet) and guest memory
// (GPA -> HPA for an assigned function) always unmap strictly, as unmanaged domains do.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <systemc>

#include "drivers-sim/iommu/dmar.h"
#include "drivers-sim/iommu/dma_mapping.h"

namespace iovsim::host {

// include/linux/dma-direction.h
enum class dma_direction { bidirectional = 0, to_device = 1, from_device = 2 };
// include/linux/dma-mapping.h DMA_MAPPING_ERROR
constexpr uint64_t DMA_MAPPING_ERROR = ~0ull;
inline bool dma_mapping_error(uint64_t addr) { return addr == DMA_MAPPING_ERROR; }

struct dma_device_stats {
  uint64_t maps = 0, unmaps = 0, static_maps = 0, guest_maps = 0, bytes_mapped = 0;
  uint64_t ptes_set = 0, ptes_cleared = 0, tables_allocated = 0;
  uint64_t iotlb_page_flushes = 0, iotlb_domain_flushes = 0, deferred_unmaps = 0, errors = 0;
  uint64_t demand_pages = 0;   // 4 KiB guest pages mapped on a page request
  cpu_account cpu;
};

class dma_api : public dma_mapper {
 public:
  // `iommu` may be null (no IOMMU driver at all).
  dma_api(intel_iommu* iommu, kernel_log& log);
  ~dma_api() override;

  // dma_set_mask(): addressing bits of the device (default 64, as NIC drivers set).
  void set_dma_mask(const pci_dev& dev, unsigned bits);

  // dma_map_single(): DMA_MAPPING_ERROR when no IOVA is left or len is 0.
  uint64_t map_single(const pci_dev& dev, uint64_t phys, uint64_t len, dma_direction dir);
  void unmap_single(const pci_dev& dev, uint64_t dma_addr, uint64_t len, dma_direction dir);
  // A long-lived mapping (a pool mapped once); unmapped with unmap_single, strictly.
  uint64_t map_static(const pci_dev& dev, uint64_t phys, uint64_t len, dma_direction dir);

  // VFIO-style guest memory for an assigned function: GPA -> HPA, read/write, the
  // largest pages alignment allows up to `max_page` (the backing's page size: VFIO
  // type1 maps what is physically contiguous, hugetlbfs pages at most). The first
  // call gives the function an unmanaged domain. 0, -EINVAL (unaligned, overlap) or
  // -ENODEV (no translation).
  int map_guest_memory(const pci_dev& dev, uint64_t gpa, uint64_t hpa, uint64_t len,
                       uint64_t max_page = iommu::PAGE_1G);
  int unmap_guest_memory(const pci_dev& dev, uint64_t gpa, uint64_t len);

  // Demand-paged guest memory (an iommufd HWPT with a fault object, v6.9+): the
  // function gets a fresh unmanaged domain with nothing mapped, then PRI on
  // (intel_iommu::enable_iopf()). It needs ATS enabled and PRI. 0 or -errno, with
  // what is missing in `why`.
  int attach_iopf_domain(const pci_dev& dev, std::string& why);
  // One 4 KiB guest page mapped for a page request: GPA -> HPA, readable, writable if
  // `write`. Charges the function's account but does not wait: the CPU time comes
  // back in `cpu` for the caller to spend (the page-request thread). 0, -EEXIST
  // (already mapped), -ENODEV (no unmanaged domain), -EINVAL (unaligned, too high).
  int map_guest_page(const pci_dev& dev, uint64_t gpa, uint64_t hpa, bool write, sc_core::sc_time& cpu);
  intel_iommu* iommu() const { return m_iommu; }

  // Entries waiting in a device's domain flush queue.
  size_t flush_queue_depth(const pci_dev& dev) const;
  const std::map<uint16_t, dma_device_stats>& stats() const { return m_stats; }
  dma_device_stats stats_for(const pci_dev& dev) const;
  bool translated(const pci_dev& dev) const override;
  const dma_costs& costs() const { return m_costs; }

  // dma_mapper (the DMA test driver): map_single / unmap_single, total CPU time.
  uint64_t map(pci_dev& dev, uint64_t phys, uint64_t len, bool to_device) override;
  void unmap(pci_dev& dev, uint64_t iova, uint64_t len, bool to_device) override;
  sc_core::sc_time cpu_time(const pci_dev& dev) const override { return stats_for(dev).cpu.total; }
  // map_guest_memory() at iova = phys (the device moves to an unmanaged domain, as
  // under VFIO); without translation the physical address, nothing mapped.
  uint64_t map_large(pci_dev& dev, uint64_t phys, uint64_t len) override;
  void unmap_large(pci_dev& dev, uint64_t phys, uint64_t len) override;

  static constexpr unsigned IOVA_FQ_SIZE = 256;        // dma-iommu.c
  static constexpr unsigned IOVA_FQ_TIMEOUT_MS = 10;   // dma-iommu.c

 private:
  struct mapping {
    uint64_t pages = 0;        // IOVA pages (allocation size)
    uint64_t phys = 0;         // page-aligned
    uint64_t bytes = 0;        // mapped bytes (page multiple)
    bool read = false, write = false, is_static = false, guest = false;
    uint64_t max_page = iommu::PAGE_1G;  // largest IOMMU page the mapping may use
  };
  struct fq_entry {
    uint64_t pfn = 0;
    uint64_t pages = 0;
  };
  // The flush-queue timer (fq_timer), shared with its thread, which may outlive us.
  struct fq_timer_ctx {
    sc_core::sc_event arm;
    sc_core::sc_time deadline = sc_core::SC_ZERO_TIME;
    bool on = false, alive = true;
  };
  struct domain_state {
    std::map<uint64_t, mapping> maps;   // by IOVA (page aligned)
    std::deque<fq_entry> fq;
    std::shared_ptr<fq_timer_ctx> timer;   // spawned with the first deferred unmap
    uint16_t charge_to = 0;                // requester whose account pays the flushes
  };

  uint64_t map_impl(const pci_dev& dev, uint64_t phys, uint64_t len, dma_direction dir, bool is_static);
  // Writes the leaves of one mapping and charges them; returns the leaf count.
  void write_leaves(dmar_domain& d, dma_device_stats& s, const mapping& m, uint64_t iova);
  void clear_leaves(dmar_domain& d, dma_device_stats& s, const mapping& m, uint64_t iova);
  // Splits [iova, iova+bytes) -> phys into the largest leaves alignment allows.
  static std::vector<std::pair<uint64_t, uint64_t>> leaves(uint64_t iova, uint64_t phys, uint64_t bytes,
                                                           uint64_t max_page);
  domain_state& state_for(const dmar_domain& d, uint16_t sid);
  void charge(dma_device_stats& s, const char* param, const sc_core::sc_time& cost, uint64_t times = 1);
  void settle();
  void fq_flush(dmar_domain& d, domain_state& st);
  void fq_timer(uint16_t did, const std::shared_ptr<fq_timer_ctx>& ctx);

  intel_iommu* m_iommu;
  kernel_log& m_log;
  dma_costs m_costs;
  std::map<uint16_t, unsigned> m_mask_bits;
  std::map<uint16_t, dma_device_stats> m_stats;
  std::map<uint16_t, domain_state> m_domains;   // by DID
  sc_core::sc_time m_pending = sc_core::SC_ZERO_TIME;
};

}  // namespace iovsim::host
