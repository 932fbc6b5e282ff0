// IOMMU building blocks without SystemC time: table encodings, the table builder, the
// page walker (every page size, permission and fault reason) and the IOTLB.
#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <vector>

#include "models/iommu/iotlb.h"
#include "models/iommu/page_walker.h"
#include "models/iommu/walk_cache.h"
#include "models/iommu/vtd_tables.h"
#include "tests/unit/iommu_test_util.h"

namespace iovsim {
namespace {

using namespace iommu;

constexpr unsigned HAW = 46;
constexpr uint16_t SID_4LVL = 0x0381;   // 03:10.1
constexpr uint16_t SID_3LVL = 0x0390;   // 03:12.0
constexpr uint16_t SID_PT = 0x0391;     // 03:12.1

// ---- encodings ----------------------------------------------------------------

TEST(vtd_tables, root_entry_encoding) {
  const entry128 raw = encode(root_entry{true, 0x12345000});
  EXPECT_EQ(raw.lo, 0x12345001u);
  EXPECT_EQ(raw.hi, 0u);
  const root_entry back = decode_root({0x12345fffull, 0});
  EXPECT_TRUE(back.present);
  EXPECT_EQ(back.context_table, 0x12345000u);
  EXPECT_FALSE(decode_root({0x12345000ull, 0}).present);
}

TEST(vtd_tables, context_entry_encoding) {
  context_entry e;
  e.present = true;
  e.fault_processing_disable = true;
  e.tt = static_cast<unsigned>(translation_type::with_device_tlb);
  e.slptptr = 0x123456000;
  e.aw = CTX_AW_48BIT;
  e.domain = 0xabcd;
  const entry128 raw = encode(e);
  EXPECT_EQ(raw.lo, 0x123456000u | 0x1 | 0x2 | (1u << 2));
  EXPECT_EQ(raw.hi, 0xabcd02u);
  const context_entry back = decode_context(raw);
  EXPECT_TRUE(back.present);
  EXPECT_TRUE(back.fault_processing_disable);
  EXPECT_EQ(back.tt, 1u);
  EXPECT_EQ(back.slptptr, 0x123456000u);
  EXPECT_EQ(back.aw, 2u);
  EXPECT_EQ(back.domain, 0xabcd);
  EXPECT_EQ(decode_context({0x8, 0}).tt, 2u);   // pass-through is TT = 10b
}

TEST(vtd_tables, second_level_pte_encoding) {
  EXPECT_EQ(encode(sl_pte{true, true, true, 0x40000000}), 0x40000083u);
  EXPECT_EQ(encode(sl_pte{true, false, false, 0xfff0000012345000ull}), 0x0000000012345001u);  // ADDR [51:12]
  const sl_pte p = decode_sl_pte(0x0008000000abc002ull);
  EXPECT_FALSE(p.read);
  EXPECT_TRUE(p.write);
  EXPECT_FALSE(p.page_size);
  EXPECT_EQ(p.addr, 0x0008000000abc000u);
  EXPECT_FALSE(decode_sl_pte(0x1000).present());
  EXPECT_EQ(aw_bits(1), 39u);
  EXPECT_EQ(aw_bits(2), 48u);
  EXPECT_EQ(aw_levels(1), 3u);
  EXPECT_EQ(aw_levels(2), 4u);
}

// ---- walker fixture -------------------------------------------------------------

class walk_test : public ::testing::Test {
 protected:
  void SetUp() override {
    root = tb.new_table();
    slpt4 = tb.new_table();
    slpt3 = tb.new_table();
    context_entry c;
    c.present = true;
    c.slptptr = slpt4;
    c.aw = CTX_AW_48BIT;
    c.domain = 5;
    tb.set_context(root, SID_4LVL, c);
    c.slptptr = slpt3;
    c.aw = CTX_AW_39BIT;
    c.domain = 6;
    tb.set_context(root, SID_3LVL, c);
    c.tt = static_cast<unsigned>(translation_type::pass_through);
    c.slptptr = 0;
    c.domain = 7;
    tb.set_context(root, SID_PT, c);
  }
  translation walk4(uint64_t iova, bool write) { return walk(mem, root, SID_4LVL, iova, write, HAW); }

  test::sparse_mem mem;
  test::bump_allocator alloc{0x100000};
  table_builder tb{mem, [this] { return alloc(); }};
  uint64_t root = 0, slpt4 = 0, slpt3 = 0;
};

TEST_F(walk_test, four_kib_page_four_levels) {
  tb.map(slpt4, 0x1000, 0x20000000, PAGE_4K, true, true);
  const translation t = walk4(0x1234, false);
  EXPECT_EQ(t.fault, fault_reason::none);
  EXPECT_EQ(t.hpa, 0x20000234u);
  EXPECT_EQ(t.page_size, PAGE_4K);
  EXPECT_TRUE(t.read);
  EXPECT_TRUE(t.write);
  EXPECT_EQ(t.domain, 5);
  EXPECT_FALSE(t.pass_through);
  EXPECT_EQ(t.memory_reads, 6u);   // root, context, 4 PTEs
  EXPECT_EQ(walk4(0x1ffc, true).hpa, 0x20000ffcu);
}

TEST_F(walk_test, two_mib_page) {
  tb.map(slpt4, 0x40000000, 0x80000000, PAGE_2M, true, false);
  const translation t = walk4(0x40012345, false);
  EXPECT_EQ(t.fault, fault_reason::none);
  EXPECT_EQ(t.hpa, 0x80012345u);
  EXPECT_EQ(t.page_size, PAGE_2M);
  EXPECT_EQ(t.memory_reads, 5u);   // root, context, PML4E, PDPE, PDE(PS)
  EXPECT_TRUE(t.read);
  EXPECT_FALSE(t.write);
  const translation w = walk4(0x401fffff, true);
  EXPECT_EQ(w.fault, fault_reason::write_not_allowed);
  EXPECT_EQ(w.memory_reads, 5u);
}

TEST_F(walk_test, one_gib_page) {
  tb.map(slpt4, 0x100000000, 0x40000000, PAGE_1G, true, true);
  const translation t = walk4(0x13ffffff8, true);
  EXPECT_EQ(t.fault, fault_reason::none);
  EXPECT_EQ(t.hpa, 0x7ffffff8u);
  EXPECT_EQ(t.page_size, PAGE_1G);
  EXPECT_EQ(t.memory_reads, 4u);
}

TEST_F(walk_test, three_level_table) {
  tb.map(slpt3, 0x7fff000000, 0x5000, PAGE_4K, true, true, 3);
  const translation t = walk(mem, root, SID_3LVL, 0x7fff000010, false, HAW);
  EXPECT_EQ(t.fault, fault_reason::none);
  EXPECT_EQ(t.hpa, 0x5010u);
  EXPECT_EQ(t.domain, 6);
  EXPECT_EQ(t.memory_reads, 5u);
  const translation beyond = walk(mem, root, SID_3LVL, 1ull << 39, false, HAW);
  EXPECT_EQ(beyond.fault, fault_reason::beyond_address_width);
  EXPECT_EQ(beyond.memory_reads, 2u);
}

TEST_F(walk_test, beyond_four_level_width) {
  EXPECT_EQ(walk4(1ull << 48, false).fault, fault_reason::beyond_address_width);
  EXPECT_EQ(walk4((1ull << 48) - 1, false).fault, fault_reason::read_not_allowed);   // in range, unmapped
}

TEST_F(walk_test, permissions_and_not_present) {
  tb.map(slpt4, 0x2000, 0x30000000, PAGE_4K, false, true);   // write-only
  const translation r = walk4(0x2000, false);
  EXPECT_EQ(r.fault, fault_reason::read_not_allowed);
  EXPECT_EQ(r.memory_reads, 6u);
  EXPECT_EQ(walk4(0x2000, true).fault, fault_reason::none);
  // Not present: reason by access type, at the level where the walk stopped.
  const translation np = walk4(0x3000, true);
  EXPECT_EQ(np.fault, fault_reason::write_not_allowed);
  EXPECT_EQ(np.memory_reads, 6u);
  const translation np_top = walk4(0x8000000000, false);   // PML4E index 1: empty
  EXPECT_EQ(np_top.fault, fault_reason::read_not_allowed);
  EXPECT_EQ(np_top.memory_reads, 3u);
}

TEST_F(walk_test, permissions_and_across_levels) {
  tb.map(slpt4, 0x2000, 0x30000000, PAGE_4K, true, true);
  // Take W away from the PML4E: the leaf's W no longer counts.
  const uint64_t pml4e = slpt4 + level_index(0x2000, 4) * SL_PTE_BYTES;
  mem.write64(pml4e, mem.read64(pml4e) & ~SL_PTE_W);
  const translation t = walk4(0x2000, true);
  EXPECT_EQ(t.fault, fault_reason::write_not_allowed);
  EXPECT_EQ(t.memory_reads, 3u);
  const translation r = walk4(0x2000, false);
  EXPECT_EQ(r.fault, fault_reason::none);
  EXPECT_FALSE(r.write);
}

TEST_F(walk_test, root_and_context_not_present) {
  const translation r = walk(mem, root, 0x0500, 0x1000, false, HAW);
  EXPECT_EQ(r.fault, fault_reason::root_not_present);
  EXPECT_EQ(r.memory_reads, 1u);
  const translation c = walk(mem, root, 0x0320, 0x1000, true, HAW);   // bus 3 exists, devfn 0x20 not
  EXPECT_EQ(c.fault, fault_reason::context_not_present);
  EXPECT_EQ(c.memory_reads, 2u);
}

TEST_F(walk_test, invalid_context) {
  context_entry c = tb.get_context(root, SID_4LVL);
  c.tt = TT_RESERVED;
  tb.set_context(root, 0x0301, c);
  EXPECT_EQ(walk(mem, root, 0x0301, 0x1000, false, HAW).fault, fault_reason::invalid_context);
  c.tt = 0;
  c.aw = 3;   // 57-bit 5-level: not in SAGAW
  tb.set_context(root, 0x0302, c);
  EXPECT_EQ(walk(mem, root, 0x0302, 0x1000, false, HAW).fault, fault_reason::invalid_context);
  c.aw = 0;   // 30-bit 2-level: not in SAGAW
  tb.set_context(root, 0x0303, c);
  EXPECT_EQ(walk(mem, root, 0x0303, 0x1000, false, HAW).fault, fault_reason::invalid_context);
}

TEST_F(walk_test, next_table_pointer_invalid) {
  context_entry c = tb.get_context(root, SID_4LVL);
  c.slptptr = 1ull << HAW;   // beyond host memory
  tb.set_context(root, 0x0304, c);
  const translation t = walk(mem, root, 0x0304, 0x1000, false, HAW);
  EXPECT_EQ(t.fault, fault_reason::next_table_invalid);
  EXPECT_EQ(t.memory_reads, 2u);
  // A PML4E pointing beyond memory.
  mem.write64(slpt4 + 2 * SL_PTE_BYTES, (1ull << 47) | SL_PTE_R | SL_PTE_W);
  const translation p = walk4(2ull << 39, false);
  EXPECT_EQ(p.fault, fault_reason::next_table_invalid);
  EXPECT_EQ(p.memory_reads, 3u);
  // PS in a PML4E: no 512 GiB pages.
  mem.write64(slpt4 + 3 * SL_PTE_BYTES, 0x1000 | SL_PTE_PS | SL_PTE_R | SL_PTE_W);
  EXPECT_EQ(walk4(3ull << 39, false).fault, fault_reason::next_table_invalid);
  // A root entry's context-table pointer beyond memory.
  test::sparse_mem m2;
  m2.write64(0x1000 + 4 * ENTRY128_BYTES, (1ull << 50) | ROOT_LO_P);
  EXPECT_EQ(walk(m2, 0x1000, 0x0400, 0, false, HAW).fault, fault_reason::next_table_invalid);
}

TEST_F(walk_test, pass_through) {
  const translation t = walk(mem, root, SID_PT, 0xdeadbeef000, true, HAW);
  EXPECT_EQ(t.fault, fault_reason::none);
  EXPECT_TRUE(t.pass_through);
  EXPECT_EQ(t.hpa, 0xdeadbeef000u);
  EXPECT_EQ(t.domain, 7);
  EXPECT_EQ(t.memory_reads, 2u);
}

TEST_F(walk_test, ats_check_reports_permissions) {
  tb.map(slpt4, 0x5000, 0x9000, PAGE_4K, true, false);
  const context_entry c = tb.get_context(root, SID_4LVL);
  const translation t = walk_second_level(mem, c, 0x5000, access_check::none, HAW);
  EXPECT_EQ(t.fault, fault_reason::none);
  EXPECT_TRUE(t.read);
  EXPECT_FALSE(t.write);
  const translation np = walk_second_level(mem, c, 0x6000, access_check::none, HAW);
  EXPECT_EQ(np.fault, fault_reason::none);
  EXPECT_FALSE(np.read);
  EXPECT_FALSE(np.write);
}

TEST_F(walk_test, builder_errors_and_unmap) {
  EXPECT_THROW(tb.map(slpt4, 0x1001, 0x2000, PAGE_4K, true, true), std::invalid_argument);
  EXPECT_THROW(tb.map(slpt4, 0x200000, 0x1000, PAGE_2M, true, true), std::invalid_argument);
  EXPECT_THROW(tb.map(slpt4, 0x1000, 0x2000, 8192, true, true), std::invalid_argument);
  EXPECT_THROW(tb.map(slpt4, 1ull << 48, 0x2000, PAGE_4K, true, true), std::invalid_argument);
  tb.map(slpt4, 0x600000, 0x600000, PAGE_2M, true, true);
  EXPECT_THROW(tb.map(slpt4, 0x601000, 0x1000, PAGE_4K, true, true), std::logic_error);
  tb.map(slpt4, 0x801000, 0x1000, PAGE_4K, true, true);
  EXPECT_THROW(tb.map(slpt4, 0x800000, 0x800000, PAGE_2M, true, true), std::logic_error);
  EXPECT_TRUE(tb.unmap(slpt4, 0x600000, PAGE_2M));
  EXPECT_FALSE(tb.unmap(slpt4, 0x600000, PAGE_2M));
  EXPECT_FALSE(tb.unmap(slpt4, 0x123456789000, PAGE_4K));   // no tables there
  EXPECT_EQ(walk4(0x600000, false).fault, fault_reason::read_not_allowed);
  EXPECT_TRUE(tb.unmap(slpt4, 0x801000, PAGE_4K));
}

TEST_F(walk_test, map_range_uses_largest_pages) {
  // 4 KiB up to the 2 MiB boundary, one 2 MiB page, then a 4 KiB tail.
  EXPECT_EQ(tb.map_range(slpt4, 0x1ff000, 0x3ff000, 0x1000 + PAGE_2M + 0x1000, true, true), 3u);
  EXPECT_EQ(walk4(0x1ff000, false).page_size, PAGE_4K);
  const translation big = walk4(0x300000, false);
  EXPECT_EQ(big.page_size, PAGE_2M);
  EXPECT_EQ(big.hpa, 0x500000u);
  EXPECT_EQ(walk4(0x400000, false).hpa, 0x600000u);
}

TEST_F(walk_test, builder_counts_tables) {
  const unsigned before = tb.tables_allocated();
  tb.map(slpt4, 0x1000, 0x1000, PAGE_4K, true, true);   // PDPT, PD, PT
  EXPECT_EQ(tb.tables_allocated() - before, 3u);
  tb.map(slpt4, 0x2000, 0x2000, PAGE_4K, true, true);   // same tables
  EXPECT_EQ(tb.tables_allocated() - before, 3u);
}

// ---- IOTLB ---------------------------------------------------------------------

translation xlate(uint64_t hpa, uint64_t size = PAGE_4K, bool r = true, bool w = true) {
  translation t;
  t.hpa = hpa;
  t.page_size = size;
  t.read = r;
  t.write = w;
  return t;
}

iotlb make_tlb(unsigned entries, unsigned ways, replacement p = replacement::lru, uint64_t seed = 1) {
  return iotlb({entries, ways, p}, kit::rng_stream(seed, "iotlb"));
}

TEST(iotlb, rejects_impossible_configurations) {
  EXPECT_THROW(make_tlb(0, 1), std::invalid_argument);
  EXPECT_THROW(make_tlb(1024, 3), std::invalid_argument);
  EXPECT_THROW(make_tlb(16, 32), std::invalid_argument);
  EXPECT_THROW(make_tlb(16, 0), std::invalid_argument);
  try {
    make_tlb(1024, 3);
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("iommu.iotlb_ways"), std::string::npos);
  }
}

TEST(iotlb, set_mapping) {
  iotlb t = make_tlb(1024, 8);
  EXPECT_EQ(t.sets(), 128u);
  EXPECT_EQ(t.set_index(0x5000, PAGE_4K), 5u);
  EXPECT_EQ(t.set_index(0x5000 + 128 * PAGE_4K, PAGE_4K), 5u);
  EXPECT_EQ(t.set_index(3 * PAGE_2M + 0x1234, PAGE_2M), 3u);
  // Nine pages of one set in an 8-way cache: the ninth evicts, other sets untouched.
  for (uint64_t i = 0; i < 9; ++i) t.insert(1, (5 + 128 * i) * PAGE_4K, xlate(i * PAGE_4K));
  EXPECT_EQ(t.stats().evictions, 1u);
  EXPECT_EQ(t.occupancy(), 8u);
  iotlb fa = make_tlb(64, 64);   // fully associative
  EXPECT_EQ(fa.sets(), 1u);
  for (uint64_t i = 0; i < 64; ++i) fa.insert(1, i * 128 * PAGE_4K, xlate(0));
  EXPECT_EQ(fa.stats().evictions, 0u);
  EXPECT_EQ(fa.occupancy(), 64u);
}

TEST(iotlb, lru_replacement) {
  iotlb t = make_tlb(4, 4);
  for (uint64_t p = 0; p < 4; ++p) t.insert(1, p * PAGE_4K, xlate(0x100000 + p * PAGE_4K));
  ASSERT_NE(t.lookup(1, 0, 0x10), nullptr);   // page 0 becomes most recent
  t.insert(1, 4 * PAGE_4K, xlate(0x200000));  // evicts page 1
  EXPECT_EQ(t.lookup(1, 1 * PAGE_4K, 0x10), nullptr);
  EXPECT_NE(t.lookup(1, 0, 0x10), nullptr);
  EXPECT_NE(t.lookup(1, 2 * PAGE_4K, 0x10), nullptr);
  t.insert(1, 5 * PAGE_4K, xlate(0x300000));  // LRU now page 3
  EXPECT_EQ(t.lookup(1, 3 * PAGE_4K, 0x10), nullptr);
  EXPECT_EQ(t.stats().evictions, 2u);
  EXPECT_EQ(t.stats().hits, 3u);
  EXPECT_EQ(t.stats().misses, 2u);
}

std::vector<uint64_t> random_survivors(uint64_t seed) {
  iotlb t = make_tlb(8, 8, replacement::random, seed);
  for (uint64_t p = 0; p < 40; ++p) t.insert(1, p * PAGE_4K, xlate(p * PAGE_4K));
  std::vector<uint64_t> out;
  for (uint64_t p = 0; p < 40; ++p)
    if (t.lookup(1, p * PAGE_4K, 0)) out.push_back(p);
  return out;
}

TEST(iotlb, random_replacement_is_deterministic_per_seed) {
  const std::vector<uint64_t> a = random_survivors(1), b = random_survivors(1), c = random_survivors(2);
  EXPECT_EQ(a.size(), 8u);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_NE(a, (std::vector<uint64_t>{32, 33, 34, 35, 36, 37, 38, 39}));   // not LRU
}

TEST(iotlb, lookup_tries_every_page_size) {
  iotlb t = make_tlb(64, 4);
  t.insert(2, 0x200000 + 0x1234, xlate(0x80000000 + 0x1234, PAGE_2M));
  t.insert(2, 0x40000000, xlate(0xc0000000, PAGE_1G));
  const translation* h2m = t.lookup(2, 0x3fffff, 0x10);
  ASSERT_NE(h2m, nullptr);
  EXPECT_EQ(h2m->page_size, PAGE_2M);
  EXPECT_EQ(h2m->hpa, 0x80000000u);   // cached per page base
  const translation* h1g = t.lookup(2, 0x7fffffff, 0x10);
  ASSERT_NE(h1g, nullptr);
  EXPECT_EQ(h1g->page_size, PAGE_1G);
  EXPECT_EQ(t.lookup(3, 0x3fffff, 0x10), nullptr);   // other domain
  EXPECT_EQ(t.lookup(2, 0x400000, 0x10), nullptr);
  EXPECT_THROW(t.insert(2, 0, xlate(0, 8192)), std::invalid_argument);
}

TEST(iotlb, invalidation_granularities) {
  iotlb t = make_tlb(1024, 8);
  for (uint64_t p = 0; p < 4; ++p) t.insert(1, 0x200000 + p * PAGE_4K, xlate(p * PAGE_4K));
  t.insert(1, 0x400000, xlate(0x1000));
  t.insert(1, 0x600000, xlate(0x800000, PAGE_2M));
  t.insert(1, 0x40000000, xlate(0x80000000, PAGE_1G));
  t.insert(9, 0x200000, xlate(0x5000));
  EXPECT_EQ(t.occupancy(), 8u);
  // AM 9: 512 pages = [0x200000, 0x400000): the four 4 KiB pages, not 0x400000.
  t.invalidate_pages(1, 0x200000, 9);
  EXPECT_EQ(t.occupancy(), 4u);
  EXPECT_NE(t.lookup(1, 0x400000, 0), nullptr);
  EXPECT_NE(t.lookup(9, 0x200000, 0), nullptr);   // other domain kept
  // AM 0 on one 4 KiB page inside a 2 MiB page drops the large page.
  t.invalidate_pages(1, 0x7ff000, 0);
  EXPECT_EQ(t.lookup(1, 0x600000, 0), nullptr);
  // A range overlapping the 1 GiB page drops it; unaligned addr is aligned down.
  t.invalidate_pages(1, 0x40001234, 1);
  EXPECT_EQ(t.lookup(1, 0x40000000, 0), nullptr);
  EXPECT_EQ(t.stats().invalidated, 6u);
  t.invalidate_domain(9);
  EXPECT_EQ(t.lookup(9, 0x200000, 0), nullptr);
  EXPECT_NE(t.lookup(1, 0x400000, 0), nullptr);
  t.invalidate_all();
  EXPECT_EQ(t.occupancy(), 0u);
  EXPECT_EQ(t.stats().invalidated, 8u);
}

TEST(iotlb, statistics_per_requester) {
  iotlb t = make_tlb(2, 2);
  t.insert(1, 0x1000, xlate(0x1000), uint16_t{0x0100});
  t.insert(1, 0x2000, xlate(0x2000), uint16_t{0x0100});
  t.lookup(1, 0x2000, 0x0100);                           // 0x1000 is now LRU
  t.insert(1, 0x3000, xlate(0x3000), uint16_t{0x0200});  // evicts 0x0100's page
  t.lookup(1, 0x9000, 0x0200);
  const auto& by = t.stats_by_requester();
  ASSERT_EQ(by.size(), 2u);
  EXPECT_EQ(by.at(0x0100).hits, 1u);
  EXPECT_EQ(by.at(0x0100).inserts, 2u);
  EXPECT_EQ(by.at(0x0100).evictions, 1u);   // the victim's count
  EXPECT_EQ(by.at(0x0200).misses, 1u);
  EXPECT_EQ(by.at(0x0200).evictions, 0u);
  EXPECT_EQ(by.begin()->first, 0x0100);     // ordered by requester ID
}

TEST(walk_cache, lru_per_level_and_range_invalidation) {
  walk_cache c(2);
  c.insert(1, 0x0, 2, 0xa000, true, true);          // PDE for [0, 2M)
  c.insert(1, 0x200000, 2, 0xb000, true, false);    // PDE for [2M, 4M)
  EXPECT_EQ(c.lookup(1, 0x1000, 4).table, 0xa000u);  // refreshes [0, 2M)
  c.insert(1, 0x400000, 2, 0xc000, true, true);     // evicts [2M, 4M), the LRU one
  EXPECT_EQ(c.lookup(1, 0x201000, 4).next_level, 0u);
  EXPECT_EQ(c.stats().evictions, 1u);
  const walk_cache::hit h = c.lookup(1, 0x400000, 4);
  EXPECT_EQ(h.next_level, 1u);
  EXPECT_EQ(h.table, 0xc000u);
  EXPECT_EQ(c.lookup(2, 0x1000, 4).next_level, 0u);   // other domain
  c.insert(1, 0x0, 4, 0xd000, true, true);          // PML4E for [0, 512G)
  c.invalidate_range(1, 0x1000, 0x1000);            // drops the PDE and the PML4E covering it
  EXPECT_EQ(c.occupancy(), 1u);
  EXPECT_EQ(c.lookup(1, 0x400000, 4).table, 0xc000u);
  c.invalidate_domain(1);
  EXPECT_EQ(c.occupancy(), 0u);
  walk_cache off(0);
  off.insert(1, 0, 2, 0xa000, true, true);
  EXPECT_FALSE(off.enabled());
  EXPECT_EQ(off.lookup(1, 0, 4).next_level, 0u);
}

}  // namespace
}  // namespace iovsim
