// Paging-structure caches (VT-d spec 6.2.4, "Caching Paging-Structure Entries"): a
// remapping unit may keep non-leaf second-level entries so that a miss in the IOTLB
// need not start its walk at the root. One cache per non-leaf level of a 4-level
// table: the PML4E cache (level 4 entries: they point at level-3 tables), the PDPE
// cache (level 3 -> level-2 tables) and the PDE cache (level 2 -> level-1 tables).
// An entry is tagged by domain and the IOVA bits its level translates, and holds the
// next table's address with the permissions accumulated down to it (the walk ANDs R
// and W across levels, VT-d 3.6). Only present entries that point to a table are
// cached; large-page leaves go to the IOTLB, not here.
//
// Invalidation (VT-d 6.5.1.2, 6.5.2.3): global and domain-selective IOTLB
// invalidations also empty the paging-structure caches (of the domain); a
// page-selective one does too for the entries covering its range unless software set
// the Invalidation Hint (IH = 1: only leaf entries changed), which keeps them.
//
// Sizes are not published for any Intel part; `entries` per level is a parameter
// (iommu.pwc_entries, 0 = no paging-structure caches). Fully associative, LRU, a
// fixed array per level: no allocation after construction.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace iovsim::iommu {

struct walk_cache_stats {
  uint64_t hits = 0, misses = 0, inserts = 0, evictions = 0, invalidated = 0;
  // Hits by the level of the table they skip to (index 1..3 = the next table's level).
  std::array<uint64_t, 4> hits_to_level{};
};

class walk_cache {
 public:
  // The deepest level whose entries are cached is 2 (the PDE cache); the top one is
  // `top_level` (4 for 48-bit, 3 for 39-bit tables: their level-3 entries share the
  // PDPE cache).
  static constexpr unsigned MIN_LEVEL = 2, MAX_LEVEL = 4;

  explicit walk_cache(unsigned entries_per_level);

  bool enabled() const { return m_entries > 0; }
  // A new, empty shape (simulator control); statistics are kept.
  void resize(unsigned entries_per_level);
  void reset_stats() { m_stats = walk_cache_stats{}; }
  unsigned entries_per_level() const { return m_entries; }

  struct hit {
    unsigned next_level = 0;   // the level of the table `table` points to (0: no hit)
    uint64_t table = 0;
    bool read = false, write = false;
  };
  // The deepest cached entry on the walk of `iova` in `domain` below `top_level`
  // (levels top_level..MIN_LEVEL); next_level = 0 when none. Counts a hit or a miss.
  hit lookup(uint16_t domain, uint64_t iova, unsigned top_level);
  // The walk read the level-`level` entry for iova and found the table `table` (of
  // level - 1) with accumulated permissions read/write.
  void insert(uint16_t domain, uint64_t iova, unsigned level, uint64_t table, bool read, bool write);

  void invalidate_all();
  void invalidate_domain(uint16_t domain);
  // Entries of `domain` whose range overlaps [addr, addr + bytes).
  void invalidate_range(uint16_t domain, uint64_t addr, uint64_t bytes);

  const walk_cache_stats& stats() const { return m_stats; }
  unsigned occupancy() const;

 private:
  struct entry {
    bool valid = false;
    uint16_t domain = 0;
    uint64_t tag = 0;        // iova >> level_shift(level)
    uint64_t table = 0;
    bool read = false, write = false;
    uint64_t last_use = 0;
  };
  std::vector<entry>& level_entries(unsigned level) { return m_levels[level - MIN_LEVEL]; }

  unsigned m_entries;
  std::array<std::vector<entry>, MAX_LEVEL - MIN_LEVEL + 1> m_levels;
  uint64_t m_clock = 0;
  walk_cache_stats m_stats;
};

}  // namespace iovsim::iommu
