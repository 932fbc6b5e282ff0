// The simulated kernel's page allocator over host DRAM: 4 KiB pages from a region
// that starts at 16 MiB (below it sit the firmware and the kernel image, as on x86
// where ZONE_DMA / the kernel text live low), handed out zeroed through the CPU's
// stores (host_bus::mem_write), like alloc_page(GFP_KERNEL | __GFP_ZERO).
//
// Deterministic: a freed page goes to an ordered free list and the lowest free page
// is handed out first; fresh pages come from a bump pointer. Contiguous ranges (DMA
// buffers, guest memory) come from the bump region only. Functional: the caller
// charges CPU time with its own named parameters.
#pragma once

#include <cstdint>
#include <set>

#include "platform/hal/host_bus.h"

namespace iovsim::host {

class page_allocator {
 public:
  static constexpr uint64_t PAGE_BYTES = 4096;
  static constexpr uint64_t DEFAULT_BASE = 16ull << 20;

  // Pages come from [base, end); both are rounded to whole pages.
  page_allocator(platform::host_bus& bus, uint64_t base, uint64_t end);

  // One zeroed page, or 0 when memory is exhausted (0 is never a valid page here).
  uint64_t alloc_page();
  void free_page(uint64_t addr);
  // `bytes` rounded up to pages, aligned to `align` (a power of two >= 4 KiB);
  // zeroed when asked. 0 when the region is exhausted.
  uint64_t alloc_contiguous(uint64_t bytes, uint64_t align = PAGE_BYTES, bool zero = false);
  void free_contiguous(uint64_t addr, uint64_t bytes);

  uint64_t pages_in_use() const { return m_in_use; }
  uint64_t base() const { return m_base; }
  uint64_t end() const { return m_end; }

 private:
  void zero_page(uint64_t addr);

  platform::host_bus& m_bus;
  uint64_t m_base, m_end, m_next;
  std::set<uint64_t> m_free;   // ordered: lowest address first
  uint64_t m_in_use = 0;
};

}  // namespace iovsim::host
