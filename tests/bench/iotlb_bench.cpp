// IOTLB and page-walk speed: lookups that hit (1024-entry 8-way and 64-entry fully
// associative), misses that insert and evict, and full 4-level walks over an
// in-memory phys_mem. Speed is measured here, never asserted in tests.
#include <benchmark/benchmark.h>

#include <array>
#include <cstring>
#include <map>
#include <systemc>
#include <vector>

#include "models/iommu/iotlb.h"
#include "models/iommu/page_walker.h"
#include "models/iommu/vtd_tables.h"

namespace {

using namespace iovsim;
using namespace iovsim::iommu;

// Flat memory for the tables: the walk cost is the walker's, not a map lookup's.
class flat_mem : public mem::phys_mem {
 public:
  explicit flat_mem(size_t bytes) : m_bytes(bytes, 0) {}
  void read(uint64_t addr, void* data, unsigned len) override { std::memcpy(data, &m_bytes[addr], len); }
  void write(uint64_t addr, const void* data, unsigned len) override { std::memcpy(&m_bytes[addr], data, len); }

 private:
  std::vector<uint8_t> m_bytes;
};

translation page(uint64_t hpa) {
  translation t;
  t.hpa = hpa;
  t.read = t.write = true;
  return t;
}

// Working set that fits: every lookup hits.
void hit_lookups(benchmark::State& state, unsigned entries, unsigned ways) {
  iotlb tlb({entries, ways, replacement::lru}, kit::rng_stream(1, "bench"));
  const uint64_t pages = entries;
  for (uint64_t p = 0; p < pages; ++p) tlb.insert(1, p * PAGE_4K, page(p * PAGE_4K));
  uint64_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(tlb.lookup(1, (i % pages) * PAGE_4K + 0x10, 0x0100));
    ++i;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["hit_rate"] = static_cast<double>(tlb.stats().hits) / static_cast<double>(tlb.stats().hits + tlb.stats().misses);
}
void BM_iotlb_hit_1024x8(benchmark::State& state) { hit_lookups(state, 1024, 8); }
void BM_iotlb_hit_64_fully_associative(benchmark::State& state) { hit_lookups(state, 64, 64); }
BENCHMARK(BM_iotlb_hit_1024x8);
BENCHMARK(BM_iotlb_hit_64_fully_associative);

// Streaming over 4x the capacity: every lookup misses and the insert evicts.
void miss_insert(benchmark::State& state, unsigned entries, unsigned ways, replacement policy) {
  iotlb tlb({entries, ways, policy}, kit::rng_stream(1, "bench"));
  const uint64_t pages = 4ull * entries;
  uint64_t i = 0;
  for (auto _ : state) {
    const uint64_t iova = (i % pages) * PAGE_4K;
    if (!tlb.lookup(1, iova, 0x0100)) tlb.insert(1, iova, page(iova), uint16_t{0x0100});
    ++i;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
void BM_iotlb_miss_insert_1024x8_lru(benchmark::State& s) { miss_insert(s, 1024, 8, replacement::lru); }
void BM_iotlb_miss_insert_1024x8_random(benchmark::State& s) { miss_insert(s, 1024, 8, replacement::random); }
void BM_iotlb_miss_insert_64_fully_associative(benchmark::State& s) { miss_insert(s, 64, 64, replacement::lru); }
BENCHMARK(BM_iotlb_miss_insert_1024x8_lru);
BENCHMARK(BM_iotlb_miss_insert_1024x8_random);
BENCHMARK(BM_iotlb_miss_insert_64_fully_associative);

// Root, context and 4 second-level reads per translation, over 4096 mapped pages
// (argument 0); with paging-structure caches of N entries per level (argument N) the
// second-level part of most walks is one read.
void BM_walk_4_level(benchmark::State& state) {
  walk_cache pwc(static_cast<unsigned>(state.range(0)));
  constexpr size_t MEM_BYTES = 64ull << 20;
  flat_mem mem(MEM_BYTES);
  uint64_t next = 0x100000;
  table_builder tb(mem, [&] {
    const uint64_t p = next;
    next += PAGE_4K;
    return p;
  });
  const uint64_t root = tb.new_table(), slpt = tb.new_table();
  context_entry c;
  c.present = true;
  c.slptptr = slpt;
  c.aw = CTX_AW_48BIT;
  c.domain = 1;
  tb.set_context(root, 0x0300, c);
  constexpr uint64_t PAGES = 4096;
  for (uint64_t p = 0; p < PAGES; ++p) tb.map(slpt, 0x7f0000000000 + p * PAGE_4K, 0x2000000 + p * PAGE_4K, PAGE_4K, true, true);
  uint64_t i = 0, reads = 0;
  for (auto _ : state) {
    const uint64_t iova = 0x7f0000000000 + (i % PAGES) * PAGE_4K;
    const translation t = pwc.enabled() ? walk_second_level(mem, c, iova, access_check::write, 46, &pwc)
                                        : walk(mem, root, 0x0300, iova, true, 46);
    reads += t.memory_reads;
    benchmark::DoNotOptimize(t.hpa);
    ++i;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["reads_per_walk"] = static_cast<double>(reads) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_walk_4_level)->Arg(0)->Arg(16);

}  // namespace

