// The Intel IOMMU driver and the DMA API against the real VT-d unit model and an
// in-memory DRAM: boot register state and dmesg, tables as the walker sees them,
// strict vs lazy unmap, the flush queue's size and timer triggers, fault messages,
// pass-through, guest memory, CPU-time accounting, and the IOVA / page allocators.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <tlm_utils/simple_initiator_socket.h>
#include <vector>

#include "drivers-sim/iommu/dma_api.h"
#include "drivers-sim/iommu/dmar.h"
#include "drivers-sim/iommu/iova.h"
#include "drivers-sim/kernel/page_alloc.h"
#include "models/iommu/page_walker.h"
#include "models/iommu/vtd.h"
#include "models/memory/dram.h"
#include "iommu_test_util.h"
#include "sc_fixture.h"
#include "dmar_bench_bus.h"

namespace iovsim::test {
namespace {

using host::dma_direction;
using namespace iommu;
using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_US;

constexpr uint64_t DRAM_BYTES = 1ull << 30;
constexpr uint16_t SID_PF = 0x0300;   // 03:00.0
constexpr uint16_t SID_VF = 0x0381;   // 03:10.1

host::pci_dev make_dev(unsigned bus, unsigned devfn) {
  host::pci_dev d;
  d.bus = bus;
  d.devfn = devfn;
  return d;
}

class dmar_test : public sc_fixture {
 protected:
  void build(const std::string& cmdline, bool strict = false) {
    dram = std::make_unique<mem::dram>("dram", DRAM_BYTES);
    vtd = std::make_unique<vtd_unit>("dmar0", *dram);
    bus = std::make_unique<bench_bus>("cpu", *dram);
    bus->regs.bind(vtd->regs);
    pages = std::make_unique<host::page_allocator>(*bus, host::page_allocator::DEFAULT_BASE, DRAM_BYTES);
    params = host::kernel_params::parse(cmdline);
    host::dmar_options o;
    o.strict = strict;
    iommu = std::make_unique<host::intel_iommu>(*bus, *pages, params, log, o);
    dma = std::make_unique<host::dma_api>(iommu.get(), log);
    vtd->set_interrupt_sink([this](uint64_t a, uint32_t d) { iommu->handle_msi(a, d); });
    devs = {make_dev(0, 0), make_dev(0, 0x18), make_dev(3, 0), make_dev(3, 0x81)};
  }
  void boot() {
    iommu->early_init();
    iommu->init({&devs[0], &devs[1], &devs[2], &devs[3]});
  }
  host::pci_dev& pf() { return devs[2]; }
  host::pci_dev& vf() { return devs[3]; }
  // dmesg without the timestamps.
  std::vector<std::string> dmesg() const {
    std::vector<std::string> out;
    for (const auto& l : log.lines()) out.push_back(l.substr(l.find("] ") + 2));
    return out;
  }
  bool dmesg_has(const std::string& s) const {
    for (const auto& l : dmesg())
      if (l == s) return true;
    return false;
  }
  translation walk_now(uint16_t sid, uint64_t iova, bool write) {
    return walk(*dram, iommu->root_table(), sid, iova, write, 46);
  }
  translation device_access(uint16_t sid, uint64_t iova, bool write) {
    sc_time lat = sc_core::SC_ZERO_TIME;
    return vtd->translate(sid, iova, write, lat);
  }
  // Sum over the charged parameters of count x value.
  sc_time priced(const host::cpu_account& a) const {
    sc_time t = sc_core::SC_ZERO_TIME;
    for (const auto& [param, n] : a.charges) t += dma->costs().of(param) * static_cast<double>(n);
    return t;
  }

  std::unique_ptr<mem::dram> dram;
  std::unique_ptr<vtd_unit> vtd;
  std::unique_ptr<bench_bus> bus;
  std::unique_ptr<host::page_allocator> pages;
  host::kernel_params params;
  host::kernel_log log;
  std::unique_ptr<host::intel_iommu> iommu;
  std::unique_ptr<host::dma_api> dma;
  std::vector<host::pci_dev> devs;
};

TEST_F(dmar_test, boot_programs_the_unit_and_prints_the_kernel_lines) {
  build("intel_iommu=on");
  run_thread([&] { boot(); });
  const uint64_t gsts = vtd->bank().get(GSTS_REG, 4);
  EXPECT_EQ(gsts, GSTS_TES | GSTS_RTPS | GSTS_QIES);
  EXPECT_NE(iommu->root_table(), 0u);
  EXPECT_EQ(vtd->root_table(), iommu->root_table());
  EXPECT_EQ(vtd->bank().get(FECTL_REG, 4) & FECTL_IM, 0u);   // fault event unmasked
  EXPECT_EQ(vtd->bank().get(FEDATA_REG, 4), 0x24u);
  EXPECT_EQ(vtd->invalidation_waits(), 2u);   // global context + global IOTLB
  const std::vector<std::string> want = {
      "DMAR: IOMMU enabled",
      "DMAR: Host address width 46",
      "DMAR: DRHD base: 0x000000fed90000 flags: 0x1",
      "DMAR: dmar0: reg_base_addr fed90000 ver 1:0 cap 812078c402f0606 ecap 2000504f",
      "DMAR: ATSR flags: 0x1",
      "iommu: Default domain type: Translated ",
      "iommu: DMA domain TLB invalidation policy: lazy mode ",
      "DMAR: No RMRR found",
      "DMAR: No SATC found",
      "DMAR: dmar0: Using Queued invalidation",
      "pci 0000:00:00.0: Adding to iommu group 0",
      "pci 0000:00:03.0: Adding to iommu group 1",
      "pci 0000:03:00.0: Adding to iommu group 2",
      "pci 0000:03:10.1: Adding to iommu group 3",
      "DMAR: Intel(R) Virtualization Technology for Directed I/O"};
  EXPECT_EQ(dmesg(), want);
  // Context entries as the hardware reads them: one DMA domain per function.
  const context_result c = lookup_context(*dram, iommu->root_table(), SID_VF, 46);
  ASSERT_EQ(c.fault, fault_reason::none);
  EXPECT_EQ(c.ctx.tt, 0u);
  EXPECT_EQ(c.ctx.aw, CTX_AW_48BIT);
  EXPECT_EQ(c.ctx.domain, 4u);
  EXPECT_EQ(c.ctx.slptptr, iommu->domain_of(SID_VF)->pgd);
  EXPECT_EQ(lookup_context(*dram, iommu->root_table(), 0x0400, 46).fault, fault_reason::root_not_present);
  const auto groups = iommu->groups();
  ASSERT_EQ(groups.size(), 4u);
  EXPECT_EQ(groups[2].devices, std::vector<std::string>{"0000:03:00.0"});
  EXPECT_EQ(groups[2].type, "DMA-FQ");
  EXPECT_EQ(groups[2].domain_id, 3u);
}

TEST_F(dmar_test, map_single_writes_tables_the_walker_follows) {
  build("intel_iommu=on");
  run_thread([&] {
    boot();
    const uint64_t a = dma->map_single(pf(), 0x40000123, 1500, dma_direction::bidirectional);
    EXPECT_EQ(a, 0xffffe123u);   // top-down below 4 GiB; the limit page itself is never used
    const translation t = walk_now(SID_PF, a, true);
    EXPECT_EQ(t.fault, fault_reason::none);
    EXPECT_EQ(t.hpa, 0x40000123u);
    // 3 pages: rounded to 4, naturally aligned.
    EXPECT_EQ(dma->map_single(pf(), 0x40010000, 3 * 4096, dma_direction::from_device), 0xffff8000u);
    EXPECT_EQ(walk_now(SID_PF, 0xffffa000, true).hpa, 0x40012000u);
    const uint64_t ro = dma->map_single(pf(), 0x40020000, 64, dma_direction::to_device);
    EXPECT_EQ(ro, 0xffff7000u);
    EXPECT_EQ(walk_now(SID_PF, ro, false).hpa, 0x40020000u);
    EXPECT_EQ(walk_now(SID_PF, ro, true).fault, fault_reason::write_not_allowed);
    // Other functions have their own address spaces.
    EXPECT_EQ(walk_now(SID_VF, a, true).fault, fault_reason::write_not_allowed);
    EXPECT_EQ(dma->map_single(pf(), 0x1000, 0, dma_direction::to_device), host::DMA_MAPPING_ERROR);
    EXPECT_EQ(dma->stats_for(pf()).errors, 1u);
  });
}

TEST_F(dmar_test, strict_unmap_invalidates_and_the_fault_is_reported) {
  build("intel_iommu=on iommu.strict=1");
  run_thread([&] {
    boot();
    const uint64_t a = dma->map_single(pf(), 0x40000000, 2048, dma_direction::bidirectional);
    ASSERT_EQ(a, 0xffffe000u);
    EXPECT_EQ(device_access(SID_PF, a, true).fault, fault_reason::none);   // now cached in the IOTLB
    dma->unmap_single(pf(), a, 2048, dma_direction::bidirectional);
    EXPECT_EQ(dma->stats_for(pf()).iotlb_page_flushes, 1u);
    // The stale IOTLB entry is gone: the device's write faults at once.
    EXPECT_EQ(device_access(SID_PF, a, true).fault, fault_reason::write_not_allowed);
    // A read of a never-mapped IOVA.
    EXPECT_EQ(device_access(SID_PF, 0x12345000, false).fault, fault_reason::read_not_allowed);
    EXPECT_EQ(dma->cpu_time(pf()), dma->stats_for(pf()).cpu.total);   // the dma_mapper view
    sc_core::wait(sc_time(20, SC_US));   // the fault thread runs
    EXPECT_EQ(vtd->bank().get(FSTS_REG, 4), 0u);
    EXPECT_EQ(vtd->bank().get(FRCD_REG_OFFSET + 8, 8) & FRCD_HI_F, 0u);
    // The IOVA was freed at once: the next map gets it back.
    EXPECT_EQ(dma->map_single(pf(), 0x40004000, 100, dma_direction::to_device), 0xffffe000u);
  });
  EXPECT_TRUE(dmesg_has("DMAR: DRHD: handling fault status reg 2"));
  EXPECT_TRUE(dmesg_has("DMAR: [DMA Write NO_PASID] Request device [03:00.0] fault addr 0xffffe000 "
                        "[fault reason 0x05] PTE Write access is not set"));
  EXPECT_TRUE(dmesg_has("DMAR: [DMA Read NO_PASID] Request device [03:00.0] fault addr 0x12345000 "
                        "[fault reason 0x06] PTE Read access is not set"));
  EXPECT_EQ(iommu->faults_by_device().at(SID_PF), 2u);
  EXPECT_TRUE(dmesg_has("iommu: DMA domain TLB invalidation policy: strict mode (set via kernel command line)"));
  EXPECT_EQ(iommu->groups()[2].type, "DMA");
}

TEST_F(dmar_test, lazy_unmap_leaves_the_stale_iotlb_entry_until_the_timer_flush) {
  build("intel_iommu=on");
  run_thread([&] {
    boot();
    const uint64_t a = dma->map_single(pf(), 0x40000000, 4096, dma_direction::bidirectional);
    EXPECT_EQ(device_access(SID_PF, a, true).fault, fault_reason::none);
    dma->unmap_single(pf(), a, 4096, dma_direction::bidirectional);
    const sc_time unmapped_at = sc_core::sc_time_stamp();
    // The PTE is clear in memory, but the IOTLB still translates: the device can
    // still write the freed page (the known lazy-mode window).
    EXPECT_EQ(walk_now(SID_PF, a, true).fault, fault_reason::write_not_allowed);
    const translation stale = device_access(SID_PF, a, true);
    EXPECT_EQ(stale.fault, fault_reason::none);
    EXPECT_EQ(stale.hpa, 0x40000000u);
    EXPECT_EQ(dma->flush_queue_depth(pf()), 1u);
    // The IOVA is not reusable before the flush.
    EXPECT_EQ(dma->map_single(pf(), 0x40001000, 4096, dma_direction::to_device), 0xffffd000u);
    sc_core::wait(unmapped_at + sc_time(9900, SC_US) - sc_core::sc_time_stamp());
    EXPECT_EQ(dma->flush_queue_depth(pf()), 1u);
    EXPECT_EQ(dma->stats_for(pf()).iotlb_domain_flushes, 0u);
    sc_core::wait(sc_time(200, SC_US));
    EXPECT_EQ(dma->flush_queue_depth(pf()), 0u);
    EXPECT_EQ(dma->stats_for(pf()).iotlb_domain_flushes, 1u);
    EXPECT_EQ(device_access(SID_PF, a, true).fault, fault_reason::write_not_allowed);
    EXPECT_EQ(dma->map_single(pf(), 0x40002000, 4096, dma_direction::to_device), 0xffffe000u);
  });
}

TEST_F(dmar_test, flush_queue_flushes_when_the_ring_is_full) {
  build("intel_iommu=on");
  run_thread([&] {
    boot();
    const uint64_t waits_before = vtd->invalidation_waits();
    for (unsigned i = 0; i < 255; ++i) {
      const uint64_t a = dma->map_single(pf(), 0x40000000 + i * 4096ull, 1500, dma_direction::from_device);
      dma->unmap_single(pf(), a, 1500, dma_direction::from_device);
    }
    EXPECT_EQ(dma->flush_queue_depth(pf()), 255u);
    EXPECT_EQ(vtd->invalidation_waits(), waits_before);
    const uint64_t a = dma->map_single(pf(), 0x50000000, 1500, dma_direction::from_device);
    dma->unmap_single(pf(), a, 1500, dma_direction::from_device);   // the 256th finds the ring full
    EXPECT_EQ(dma->flush_queue_depth(pf()), 1u);
    EXPECT_EQ(dma->stats_for(pf()).iotlb_domain_flushes, 1u);
    EXPECT_EQ(vtd->invalidation_waits(), waits_before + 1);
    EXPECT_LT(sc_core::sc_time_stamp(), sc_time(10, sc_core::SC_MS));   // not the timer
    EXPECT_EQ(dma->stats_for(pf()).cpu.charges.at("host.dma.iova_free"), 255u);
  });
}

TEST_F(dmar_test, pass_through_is_identity_at_the_cost_of_a_direct_map) {
  build("intel_iommu=on iommu=pt");
  run_thread([&] {
    boot();
    EXPECT_EQ(dma->map_single(vf(), 0x40000040, 1500, dma_direction::bidirectional), 0x40000040u);
    const translation t = walk_now(SID_VF, 0x40000040, true);
    EXPECT_TRUE(t.pass_through);
    EXPECT_EQ(t.hpa, 0x40000040u);
  });
  EXPECT_TRUE(dmesg_has("iommu: Default domain type: Passthrough (set via kernel command line)"));
  EXPECT_FALSE(dmesg_has("iommu: DMA domain TLB invalidation policy: lazy mode "));
  const context_result c = lookup_context(*dram, iommu->root_table(), SID_PF, 46);
  EXPECT_EQ(c.ctx.tt, static_cast<unsigned>(translation_type::pass_through));
  EXPECT_EQ(c.ctx.domain, 1u);   // every function shares si_domain
  for (const auto& g : iommu->groups()) EXPECT_EQ(g.type, "identity");
  const host::dma_device_stats s = dma->stats_for(vf());
  EXPECT_EQ(s.cpu.total, sc_time(10, SC_NS));
  EXPECT_EQ(s.cpu.charges, (std::map<std::string, uint64_t>{{"host.dma.direct_map", 1}}));
}

TEST_F(dmar_test, iommu_off_does_nothing_and_dma_is_physical) {
  build("");
  run_thread([&] {
    boot();
    EXPECT_EQ(dma->map_single(pf(), 0x40000000, 64, dma_direction::to_device), 0x40000000u);
  });
  EXPECT_TRUE(log.lines().empty());
  EXPECT_EQ(vtd->bank().get(GSTS_REG, 4), 0u);
  EXPECT_FALSE(iommu->enabled());
}

TEST_F(dmar_test, cpu_time_totals_are_the_sum_of_the_charged_parameters) {
  env->params().set_override("host.dma.pte_update", "1us");
  build("intel_iommu=on", true);
  run_thread([&] {
    boot();
    const sc_time t0 = sc_core::sc_time_stamp();
    const uint64_t a = dma->map_single(pf(), 0x40000000, 4096, dma_direction::bidirectional);
    // A map touches no register: the thread spent exactly what it was charged.
    EXPECT_EQ(sc_core::sc_time_stamp() - t0, dma->stats_for(pf()).cpu.total);
    dma->unmap_single(pf(), a, 4096, dma_direction::bidirectional);
  });
  const host::dma_device_stats s = dma->stats_for(pf());
  EXPECT_EQ(s.cpu.charges.at("host.dma.lock"), 2u);
  EXPECT_EQ(s.cpu.charges.at("host.dma.iova_alloc"), 1u);
  EXPECT_EQ(s.cpu.charges.at("host.dma.pte_update"), 2u);        // set, then clear
  EXPECT_EQ(s.cpu.charges.at("host.dma.pagetable_alloc"), 3u);   // levels 3, 2 and 1 under the root
  EXPECT_EQ(s.cpu.charges.at("host.dma.invalidation_submit"), 1u);
  EXPECT_GT(s.cpu.charges.at("host.dma.wait_poll_interval"), 0u);
  EXPECT_EQ(s.cpu.charges.at("host.dma.iova_free"), 1u);
  EXPECT_EQ(dma->costs().pte_update, sc_time(1, SC_US));
  EXPECT_EQ(s.cpu.total, priced(s.cpu));
  EXPECT_EQ(s.ptes_set, 1u);
  EXPECT_EQ(s.ptes_cleared, 1u);
}

TEST_F(dmar_test, guest_memory_uses_the_largest_pages_and_an_unmanaged_domain) {
  build("intel_iommu=on");
  run_thread([&] {
    boot();
    ASSERT_EQ(dma->map_guest_memory(vf(), 0, 0x20000000, (4ull << 20) + 4096), 0);
    const translation big = walk_now(SID_VF, 0x1234, true);
    EXPECT_EQ(big.page_size, PAGE_2M);
    EXPECT_EQ(big.hpa, 0x20001234u);
    const translation small = walk_now(SID_VF, 0x400010, false);
    EXPECT_EQ(small.page_size, PAGE_4K);
    EXPECT_EQ(small.hpa, 0x20400010u);
    EXPECT_EQ(dma->stats_for(vf()).ptes_set, 3u);
    EXPECT_EQ(dma->map_guest_memory(vf(), 0x1000, 0x30000000, 4096), -EINVAL);   // overlaps
    EXPECT_EQ(dma->map_guest_memory(vf(), 0x800, 0x30000000, 4096), -EINVAL);    // unaligned
    EXPECT_EQ(dma->unmap_guest_memory(vf(), 0, (4ull << 20) + 4096), 0);
    EXPECT_EQ(walk_now(SID_VF, 0x1234, true).fault, fault_reason::write_not_allowed);
  });
  const context_result c = lookup_context(*dram, iommu->root_table(), SID_VF, 46);
  EXPECT_EQ(c.ctx.domain, 5u);   // a fresh DID after the four default domains
  EXPECT_EQ(iommu->groups()[3].type, "unmanaged");
}

// ---- the allocators on their own ---------------------------------------------

TEST(iova_domain, top_down_naturally_aligned_below_an_exclusive_limit) {
  host::iova_domain d;
  EXPECT_EQ(d.alloc(1, 0xfffff), 0xffffeu);   // limit_pfn is exclusive, as in iova.c
  EXPECT_EQ(d.alloc(4, 0xfffff), 0xffff8u);   // aligned to 4 pages
  EXPECT_EQ(d.alloc(1, 0xfffff), 0xffff7u);
  EXPECT_EQ(d.size_of(0xffff8), 4u);
  EXPECT_TRUE(d.free(0xffff8));               // at or above the cached node: it moves up
  EXPECT_EQ(d.alloc(2, 0xfffff), 0xffffcu);   // so the hole is found again
  EXPECT_TRUE(d.free(0xffffe));               // the top: the search restarts at the limit
  EXPECT_EQ(d.alloc(1, 0xfffff), 0xffffeu);
  EXPECT_EQ(d.alloc(1, 0xfffff), 0xffffbu);   // 0xffffc-0xffffd are taken
  EXPECT_FALSE(d.free(0x1234));
  EXPECT_EQ(d.allocations(), 4u);
}

TEST(iova_domain, retries_above_the_cached_node_then_fails) {
  host::iova_domain d;   // pfns 1..8 below limit 9
  EXPECT_EQ(d.alloc(1, 9), 8u);
  EXPECT_EQ(d.alloc(2, 9), 6u);
  EXPECT_EQ(d.alloc(1, 9), 5u);
  EXPECT_TRUE(d.free(8));
  EXPECT_EQ(d.alloc(2, 9), 2u);   // skips the one-page hole at 8
  EXPECT_EQ(d.alloc(1, 9), 1u);   // continues below the cached node, not the hole
  EXPECT_EQ(d.alloc(1, 9), 8u);   // bottom reached: the retry finds the hole
  EXPECT_EQ(d.alloc(1, 9), 4u);
  EXPECT_EQ(d.alloc(1, 9), 0u);   // full
  EXPECT_EQ(d.alloc(0, 9), 0u);
}

class fake_bus : public platform::host_bus {
 public:
  uint32_t cfg_read(unsigned, unsigned, unsigned, unsigned) override { return ~0u; }
  void cfg_write(unsigned, unsigned, unsigned, unsigned, uint32_t) override {}
  uint64_t mmio_read(uint64_t, unsigned) override { return ~0ull; }
  void mmio_write(uint64_t, unsigned, uint64_t) override {}
  void mem_read(uint64_t addr, void* data, unsigned len) override { mem.read(addr, data, len); }
  void mem_write(uint64_t addr, const void* data, unsigned len) override { mem.write(addr, data, len); }
  sparse_mem mem;
};

TEST(page_allocator, zeroed_lowest_first_and_aligned) {
  fake_bus bus;
  host::page_allocator pa(bus, host::page_allocator::DEFAULT_BASE, 64ull << 20);
  const uint64_t p0 = pa.alloc_page();
  EXPECT_EQ(p0, 16ull << 20);
  const uint64_t p1 = pa.alloc_page();
  EXPECT_EQ(p1, p0 + 4096);
  bus.mem.write64(p0 + 8, 0xdeadbeef);
  pa.free_page(p0);
  EXPECT_EQ(pa.alloc_page(), p0);            // reused first
  EXPECT_EQ(bus.mem.read64(p0 + 8), 0u);     // and zeroed again
  const uint64_t big = pa.alloc_contiguous(3 << 20, 2 << 20);
  EXPECT_EQ(big, 18ull << 20);               // 2 MiB aligned; the gap goes to the free list
  EXPECT_EQ(pa.alloc_page(), p1 + 4096);
  EXPECT_EQ(pa.pages_in_use(), 3u + 768u);
  EXPECT_EQ(pa.alloc_contiguous(1ull << 30), 0u);
  EXPECT_THROW(pa.free_page(p1 + 1), std::logic_error);
}

}  // namespace
}  // namespace iovsim::test
