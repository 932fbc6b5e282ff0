#include "drivers-sim/iommu/iova.h"

#include <algorithm>
#include <iterator>

namespace iovsim::host {

namespace {
constexpr uint64_t IOVA_ANCHOR = ~0ull;

// fls_long(x): position of the highest set bit, 1-based (0 for 0).
unsigned fls64(uint64_t x) {
  unsigned n = 0;
  while (x) {
    ++n;
    x >>= 1;
  }
  return n;
}
}  // namespace

iova_domain::iova_domain(uint64_t start_pfn)
    : m_start_pfn(std::max<uint64_t>(start_pfn, 1)), m_cached(IOVA_ANCHOR), m_cached32(IOVA_ANCHOR) {
  m_ranges.emplace(IOVA_ANCHOR, IOVA_ANCHOR);
}

void iova_domain::reserve(uint64_t pfn_lo, uint64_t pfn_hi) { m_ranges.emplace(pfn_lo, pfn_hi); }

uint64_t iova_domain::alloc(uint64_t pages, uint64_t limit_pfn, bool size_aligned) {
  if (pages == 0 || limit_pfn <= m_start_pfn) return 0;
  uint64_t align_mask = ~0ull;
  if (size_aligned) align_mask <<= fls64(pages - 1);   // natural alignment (iova.c)

  uint64_t& cached = cached_for(limit_pfn);
  range_map::iterator curr = m_ranges.find(cached);
  if (curr == m_ranges.end()) curr = std::prev(m_ranges.end());
  const uint64_t retry_pfn = curr->second;
  uint64_t high = limit_pfn, low = m_start_pfn;
  bool retried = false;
  for (;;) {
    // Walk down from curr: place the range just below min(high, curr's start); step
    // to the next lower allocation while the candidate overlaps it.
    uint64_t candidate = 0;
    bool ok = false;
    range_map::iterator above = curr;
    for (;;) {
      high = std::min(high, curr->first);
      if (high < pages) break;
      candidate = (high - pages) & align_mask;
      above = curr;
      if (curr == m_ranges.begin()) {
        ok = candidate >= low;
        break;
      }
      --curr;
      if (candidate > curr->second || candidate < low) {
        ok = candidate >= low;
        break;
      }
    }
    if (ok) {
      m_ranges.emplace_hint(above, candidate, candidate + pages - 1);
      cached = candidate;   // __cached_rbnode_insert_update
      return candidate;
    }
    // Reached the bottom: retry the part above the cached node once.
    if (retried || low != m_start_pfn || retry_pfn >= limit_pfn) return 0;
    retried = true;
    high = limit_pfn;
    low = retry_pfn + 1;
    curr = m_ranges.lower_bound(limit_pfn);   // iova_find_limit(): first node at or above the limit
  }
}

bool iova_domain::free(uint64_t pfn) {
  auto it = m_ranges.find(pfn);
  if (it == m_ranges.end() || pfn == IOVA_ANCHOR) return false;
  const uint64_t lo = it->first, hi = it->second;
  const uint64_t next = std::next(it)->first;   // the anchor guarantees a next node
  // __cached_rbnode_delete_update(): a free at or above a cached node moves it up.
  if (lo == m_cached32 || (hi < DMA_32BIT_PFN && m_ranges.count(m_cached32) && lo >= m_cached32)) m_cached32 = next;
  if (m_ranges.count(m_cached) && lo >= m_cached) m_cached = next;
  m_ranges.erase(it);
  return true;
}

uint64_t iova_domain::size_of(uint64_t pfn) const {
  auto it = m_ranges.find(pfn);
  if (it == m_ranges.end() || pfn == IOVA_ANCHOR) return 0;
  return it->second - it->first + 1;
}

}  // namespace iovsim::host
