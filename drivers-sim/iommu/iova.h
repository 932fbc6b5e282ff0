// An IOVA allocator like Linux's drivers/iommu/iova.c (v6.1): alloc_iova() with
// size_aligned, searching top-down below the caller's limit. Ranges are page frame
// numbers (4 KiB granule); an allocation of n pages starts at a multiple of n
// rounded up to a power of two (natural alignment). The search starts below the
// last allocation (iovad->cached_node / cached32_node), and a free above that point
// moves it up (__cached_rbnode_delete_update); when the search reaches start_pfn it
// retries once over the part above the cached node, as Linux does.
//
// The limit is exclusive, as in __alloc_and_insert_iova_range(): with a 32-bit DMA
// limit (limit_pfn 0xfffff) the first one-page IOVA is 0xffffe000. Left out: the
// per-CPU rcache magazines (alloc_iova_fast) and the max32_alloc_size shortcut (a speed
// hack that changes no result).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>

namespace iovsim::host {

class iova_domain {
 public:
  static constexpr unsigned IOVA_SHIFT = 12;
  // Linux init_iova_domain(): start_pfn 1 (IOVA 0 never handed out); the 32-bit
  // boundary is its dma_32bit_pfn.
  static constexpr uint64_t DMA_32BIT_PFN = 1ull << (32 - IOVA_SHIFT);

  explicit iova_domain(uint64_t start_pfn = 1);

  // First pfn of `pages` pages below limit_pfn (exclusive), or 0 when none fits.
  uint64_t alloc(uint64_t pages, uint64_t limit_pfn, bool size_aligned = true);
  // reserve_iova(): [pfn_lo, pfn_hi] is never handed out (iova_reserve_iommu_regions()
  // reserves the MSI window of every DMA domain). Call before allocating.
  void reserve(uint64_t pfn_lo, uint64_t pfn_hi);
  // Frees the range starting at pfn; false when no allocation starts there.
  bool free(uint64_t pfn);
  // Pages of the allocation starting at pfn (0 when none).
  uint64_t size_of(uint64_t pfn) const;
  size_t allocations() const { return m_ranges.size() - 1; }   // the anchor is not one

 private:
  using range_map = std::map<uint64_t, uint64_t>;   // pfn_lo -> pfn_hi (inclusive)
  uint64_t& cached_for(uint64_t limit_pfn) { return limit_pfn <= DMA_32BIT_PFN ? m_cached32 : m_cached; }

  uint64_t m_start_pfn;
  range_map m_ranges;           // holds the anchor at pfn ~0 (IOVA_ANCHOR)
  uint64_t m_cached;            // pfn_lo of the cached node (a key of m_ranges)
  uint64_t m_cached32;
};

}  // namespace iovsim::host
