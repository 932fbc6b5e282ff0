#include "models/iommu/iotlb.h"

#include <fmt/format.h>

#include <stdexcept>

namespace iovsim::iommu {

namespace {
constexpr uint64_t PAGE_SIZES[] = {PAGE_4K, PAGE_2M, PAGE_1G};   // lookup order
constexpr unsigned size_slot(uint64_t page_size) { return page_size == PAGE_4K ? 0 : page_size == PAGE_2M ? 1 : 2; }
}  // namespace

iotlb::iotlb(const iotlb_config& config, kit::rng_stream rng)
    : m_config(config), m_sets(0), m_rng(rng) {
  if (config.entries == 0) throw std::invalid_argument("iotlb: iommu.iotlb_entries must be at least 1");
  if (config.ways == 0 || config.ways > config.entries || config.entries % config.ways != 0)
    throw std::invalid_argument(fmt::format("iotlb: iommu.iotlb_ways = {} does not divide iommu.iotlb_entries = {}",
                                            config.ways, config.entries));
  m_sets = config.entries / config.ways;
  m_entries.resize(config.entries);
}

// Set index: the page number modulo the number of sets, so consecutive pages of one
// size spread over consecutive sets (the usual low-order-bits indexing).
unsigned iotlb::set_of(uint64_t page, uint64_t /*page_size*/) const {
  return static_cast<unsigned>(page % m_sets);
}

iotlb::entry* iotlb::find(uint16_t domain, uint64_t iova, uint64_t page_size) {
  const uint64_t page = iova / page_size;
  entry* set = &m_entries[static_cast<size_t>(set_of(page, page_size)) * m_config.ways];
  for (unsigned w = 0; w < m_config.ways; ++w) {
    entry& e = set[w];
    if (e.valid && e.page == page && e.page_size == page_size && e.domain == domain) return &e;
  }
  return nullptr;
}

const translation* iotlb::lookup(uint16_t domain, uint64_t iova, uint16_t requester) {
  iotlb_stats& who = m_by_requester[requester];
  for (uint64_t size : PAGE_SIZES) {
    if (m_valid_by_size[size_slot(size)] == 0) continue;
    if (entry* e = find(domain, iova, size)) {
      e->last_use = ++m_clock;
      ++m_total.hits;
      ++who.hits;
      return &e->t;
    }
  }
  ++m_total.misses;
  ++who.misses;
  return nullptr;
}

void iotlb::insert(uint16_t domain, uint64_t iova, const translation& t) { insert(domain, iova, t, std::nullopt); }

void iotlb::insert(uint16_t domain, uint64_t iova, const translation& t, std::optional<uint16_t> requester) {
  const uint64_t size = t.page_size;
  if (size != PAGE_4K && size != PAGE_2M && size != PAGE_1G)
    throw std::invalid_argument(fmt::format("iotlb: page size {} cannot be cached", size));
  ++m_total.inserts;
  if (requester) ++m_by_requester[*requester].inserts;
  entry* victim = find(domain, iova, size);
  if (!victim) {
    const uint64_t page = iova / size;
    entry* set = &m_entries[static_cast<size_t>(set_of(page, size)) * m_config.ways];
    for (unsigned w = 0; w < m_config.ways && !victim; ++w)
      if (!set[w].valid) victim = &set[w];
    if (!victim) {
      if (m_config.policy == replacement::random) {
        victim = &set[m_rng.below(m_config.ways)];
      } else {
        victim = &set[0];
        for (unsigned w = 1; w < m_config.ways; ++w)
          if (set[w].last_use < victim->last_use) victim = &set[w];
      }
      // Evictions are charged to the requester whose entry is lost: a noisy
      // neighbour shows up as its victims' evictions.
      ++m_total.evictions;
      if (victim->owner) ++m_by_requester[*victim->owner].evictions;
      --m_valid_by_size[size_slot(victim->page_size)];
    }
    victim->valid = true;
    victim->domain = domain;
    victim->page = page;
    victim->page_size = size;
    ++m_valid_by_size[size_slot(size)];
  }
  victim->owner = requester;
  victim->last_use = ++m_clock;
  victim->t = t;
  victim->t.hpa &= ~(size - 1);   // cached per page: the hit adds the offset
}

void iotlb::drop(entry& e) {
  e.valid = false;
  --m_valid_by_size[size_slot(e.page_size)];
  ++m_total.invalidated;
  if (e.owner) ++m_by_requester[*e.owner].invalidated;
}

void iotlb::invalidate_all() {
  for (entry& e : m_entries)
    if (e.valid) drop(e);
}

void iotlb::invalidate_domain(uint16_t domain) {
  for (entry& e : m_entries)
    if (e.valid && e.domain == domain) drop(e);
}

void iotlb::invalidate_pages(uint16_t domain, uint64_t addr, unsigned address_mask) {
  // VT-d 6.5.2.3: AM = n covers 2^n 4 KiB pages, addr aligned to that size (low bits
  // ignored). Any cached page overlapping the range goes, large pages included.
  const uint64_t span = address_mask >= 52 ? ~0ull : (PAGE_4K << address_mask);
  const uint64_t first = addr & ~(span - 1);
  const uint64_t last = span == ~0ull ? ~0ull : first + span - 1;
  for (entry& e : m_entries) {
    if (!e.valid || e.domain != domain) continue;
    const uint64_t lo = e.page * e.page_size, hi = lo + e.page_size - 1;
    if (lo <= last && hi >= first) drop(e);
  }
}

unsigned iotlb::occupancy() const {
  return m_valid_by_size[0] + m_valid_by_size[1] + m_valid_by_size[2];
}

}  // namespace iovsim::iommu
