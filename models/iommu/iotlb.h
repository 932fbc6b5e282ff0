// The IOTLB: a set-associative cache of translations keyed by domain, page number
// and page size (VT-d caches second-level translations per domain). Entries,
// associativity and replacement are parameters: real sizes are not published
// (REFERENCE.md section 5: QEMU keeps 1024 entries; gem5's SMMUv3 2048 4-way).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "models/iommu/vtd_types.h"
#include "models/kit/rng.h"

namespace iovsim::iommu {

enum class replacement { lru, random };

struct iotlb_config {
  unsigned entries = 1024;
  unsigned ways = 8;                       // must divide entries; entries == ways: fully associative
  replacement policy = replacement::lru;
};

struct iotlb_stats {
  uint64_t hits = 0, misses = 0, evictions = 0, inserts = 0, invalidated = 0;
};

class iotlb {
 public:
  // Throws std::invalid_argument for impossible configurations (0 entries, ways
  // not dividing entries).
  iotlb(const iotlb_config& config, kit::rng_stream rng);

  // Looks up the translation of `iova` in `domain`, trying every page size present.
  // The cached hpa is the page's base (insert aligns it); add iova's page offset.
  // Counts a hit or a miss for `requester` (bus/devfn).
  const translation* lookup(uint16_t domain, uint64_t iova, uint16_t requester);
  void insert(uint16_t domain, uint64_t iova, const translation& t);
  // The same, remembering which requester filled the entry (its evictions and
  // invalidations are then counted for that requester).
  void insert(uint16_t domain, uint64_t iova, const translation& t, std::optional<uint16_t> requester);

  // Invalidation granularities of the IOTLB invalidate descriptor (VT-d 6.5.2.3).
  void invalidate_all();
  void invalidate_domain(uint16_t domain);
  // Page-selective: 2^address_mask 4 KiB pages starting at `addr` (aligned).
  void invalidate_pages(uint16_t domain, uint64_t addr, unsigned address_mask);

  const iotlb_stats& stats() const { return m_total; }
  // Per requester, ordered by requester ID.
  const std::map<uint16_t, iotlb_stats>& stats_by_requester() const { return m_by_requester; }
  unsigned occupancy() const;

  const iotlb_config& config() const { return m_config; }
  unsigned sets() const { return m_sets; }
  // The set a page of `page_size` containing iova lives in: page number mod sets.
  unsigned set_index(uint64_t iova, uint64_t page_size) const { return set_of(iova / page_size, page_size); }

 private:
  struct entry {
    bool valid = false;
    uint16_t domain = 0;
    uint64_t page = 0;        // iova / page_size
    uint64_t page_size = 0;
    uint64_t last_use = 0;
    std::optional<uint16_t> owner;   // requester that filled it
    translation t;
  };
  entry* find(uint16_t domain, uint64_t iova, uint64_t page_size);
  unsigned set_of(uint64_t page, uint64_t page_size) const;
  void drop(entry& e);

  iotlb_config m_config;
  unsigned m_sets;
  std::vector<entry> m_entries;   // sets x ways
  kit::rng_stream m_rng;
  uint64_t m_clock = 0;
  iotlb_stats m_total;
  std::map<uint16_t, iotlb_stats> m_by_requester;
  unsigned m_valid_by_size[3] = {0, 0, 0};   // 4K, 2M, 1G: lookups skip absent sizes
};

}  // namespace iovsim::iommu
