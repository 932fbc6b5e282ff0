#include "models/iommu/walk_cache.h"

#include "models/iommu/vtd_tables.h"

namespace iovsim::iommu {

walk_cache::walk_cache(unsigned entries_per_level) : m_entries(0) { resize(entries_per_level); }

void walk_cache::resize(unsigned entries_per_level) {
  m_entries = entries_per_level;
  for (auto& level : m_levels) level.assign(m_entries, entry{});
}

walk_cache::hit walk_cache::lookup(uint16_t domain, uint64_t iova, unsigned top_level) {
  hit h;
  if (!enabled()) return h;
  // Deepest first: a PDE hit leaves one read, a PDPE hit two, a PML4E hit three.
  const unsigned top = top_level > MAX_LEVEL ? MAX_LEVEL : top_level;
  for (unsigned level = MIN_LEVEL; level <= top; ++level) {
    const uint64_t tag = iova / level_span(level);
    for (entry& e : level_entries(level)) {
      if (!e.valid || e.domain != domain || e.tag != tag) continue;
      e.last_use = ++m_clock;
      ++m_stats.hits;
      ++m_stats.hits_to_level[level - 1];
      h.next_level = level - 1;
      h.table = e.table;
      h.read = e.read;
      h.write = e.write;
      return h;
    }
  }
  ++m_stats.misses;
  return h;
}

void walk_cache::insert(uint16_t domain, uint64_t iova, unsigned level, uint64_t table, bool read, bool write) {
  if (!enabled() || level < MIN_LEVEL || level > MAX_LEVEL) return;
  const uint64_t tag = iova / level_span(level);
  std::vector<entry>& set = level_entries(level);
  entry* victim = &set.front();
  for (entry& e : set) {
    if (e.valid && e.domain == domain && e.tag == tag) {   // refresh (a walk raced its own insert)
      victim = &e;
      break;
    }
    if (!e.valid) {
      if (victim->valid) victim = &e;
    } else if (victim->valid && e.last_use < victim->last_use) {
      victim = &e;
    }
  }
  if (victim->valid && !(victim->domain == domain && victim->tag == tag)) ++m_stats.evictions;
  *victim = entry{true, domain, tag, table, read, write, ++m_clock};
  ++m_stats.inserts;
}

void walk_cache::invalidate_all() {
  for (auto& level : m_levels)
    for (entry& e : level)
      if (e.valid) {
        e.valid = false;
        ++m_stats.invalidated;
      }
}

void walk_cache::invalidate_domain(uint16_t domain) {
  for (auto& level : m_levels)
    for (entry& e : level)
      if (e.valid && e.domain == domain) {
        e.valid = false;
        ++m_stats.invalidated;
      }
}

void walk_cache::invalidate_range(uint16_t domain, uint64_t addr, uint64_t bytes) {
  const uint64_t last = bytes == 0 ? addr : addr + (bytes - 1);
  for (unsigned level = MIN_LEVEL; level <= MAX_LEVEL; ++level) {
    const uint64_t first_tag = addr / level_span(level), last_tag = last / level_span(level);
    for (entry& e : level_entries(level))
      if (e.valid && e.domain == domain && e.tag >= first_tag && e.tag <= last_tag) {
        e.valid = false;
        ++m_stats.invalidated;
      }
  }
}

unsigned walk_cache::occupancy() const {
  unsigned n = 0;
  for (const auto& level : m_levels)
    for (const entry& e : level) n += e.valid ? 1 : 0;
  return n;
}

}  // namespace iovsim::iommu
