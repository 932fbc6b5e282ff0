// The host side of ATS and PRI: the Intel IOMMU driver enabling ATS (TT 01b context
// entries, the ATS Control register) for functions with the capability, its
// device-TLB invalidations after IOTLB invalidations, PRI enablement for IOPF-capable
// domains, the page request queue and the page-request service answering page request
// groups through it. Against the
// VT-d unit model, an in-memory DRAM and config spaces built with the PCIe capability
// builders (bench), then on a booted host with demand-paged VMs (`vm create --demand`).
#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <tlm_utils/simple_initiator_socket.h>
#include <tuple>
#include <vector>

#include "drivers-sim/iommu/dma_api.h"
#include "drivers-sim/iommu/dmar.h"
#include "drivers-sim/host.h"
#include "drivers-sim/iommu/iopf.h"
#include "drivers-sim/kernel/page_alloc.h"
#include "models/iommu/page_walker.h"
#include "models/iommu/vtd.h"
#include "models/memory/dram.h"
#include "models/pcie/capabilities.h"
#include "models/pcie/config_space.h"
#include "platform/platform.h"
#include "scenarios/loader.h"
#include "tests/unit/dmar_bench_bus.h"
#include "tests/unit/sc_fixture.h"

namespace iovsim::test {
namespace {

using host::dma_direction;
using namespace iommu;
using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_US;

constexpr uint64_t DRAM_BYTES = 1ull << 30;
constexpr uint16_t SID_ATS = 0x0300;         // 03:00.0: ATS (queue depth 8, page aligned) + PRI (32)
constexpr uint16_t SID_PLAIN = 0x0301;       // 03:00.1: PCIe without extended capabilities
constexpr uint16_t SID_UNALIGNED = 0x0400;   // 04:00.0: ATS without page-aligned requests
constexpr uint32_t EXP_POS = 0x40;
constexpr uint64_t GUEST_HPA = 0x20000000;   // the bench guest's memory, 8 MiB
constexpr uint64_t GUEST_BYTES = 8ull << 20;

host::pci_dev make_dev(uint16_t sid, bool pcie) {
  host::pci_dev d;
  d.bus = sid >> 8;
  d.devfn = sid & 0xff;
  d.exp_pos = pcie ? EXP_POS : 0;
  return d;
}

struct response {
  sc_time at;
  uint16_t sid = 0, group = 0;
  bool success = false;
  bool operator==(const response& o) const {
    return std::tie(at, sid, group, success) == std::tie(o.at, o.sid, o.group, o.success);
  }
};

class ats_pri_bench : public sc_fixture {
 protected:
  void build(const std::string& cmdline, bool strict = false, bool atsr = true) {
    dram = std::make_unique<mem::dram>("dram", DRAM_BYTES);
    vtd = std::make_unique<vtd_unit>("dmar0", *dram);
    bus = std::make_unique<bench_bus>("cpu", *dram);
    bus->regs.bind(vtd->regs);
    pages = std::make_unique<host::page_allocator>(*bus, host::page_allocator::DEFAULT_BASE, DRAM_BYTES);
    params = host::kernel_params::parse(cmdline);
    host::dmar_options o;
    o.strict = strict;
    o.atsr_all_ports = atsr;
    iommu = std::make_unique<host::intel_iommu>(*bus, *pages, params, log, o);
    dma = std::make_unique<host::dma_api>(iommu.get(), log);
    vtd->set_interrupt_sink([this](uint64_t a, uint32_t d) { iommu->handle_msi(a, d); });
    vtd->set_device_tlb_sink([this](uint16_t sid, uint64_t addr, uint64_t size) {
      dev_tlb.push_back({sid, addr, size});
    });
    ats_cfg = std::make_unique<pcie::config_space>("ats.cfg");
    pcie::add_ats_cap(*ats_cfg, 8, true);
    pcie::add_pri_cap(*ats_cfg, 32);
    plain_cfg = std::make_unique<pcie::config_space>("plain.cfg");
    unaligned_cfg = std::make_unique<pcie::config_space>("unaligned.cfg");
    pcie::add_ats_cap(*unaligned_cfg, 32, false);
    bus->cfg = {{SID_ATS, ats_cfg.get()}, {SID_PLAIN, plain_cfg.get()}, {SID_UNALIGNED, unaligned_cfg.get()}};
    devs = {make_dev(0x0000, false), make_dev(SID_ATS, true), make_dev(SID_PLAIN, true),
            make_dev(SID_UNALIGNED, true)};
  }
  void boot() { iommu->init({&devs[0], &devs[1], &devs[2], &devs[3]}); }
  host::pci_dev& ats_dev() { return devs[1]; }
  host::pci_dev& plain_dev() { return devs[2]; }
  host::pci_dev& unaligned_dev() { return devs[3]; }
  unsigned tt(uint16_t sid) {
    const context_result c = lookup_context(*dram, iommu->root_table(), sid, 46);
    EXPECT_EQ(c.fault, fault_reason::none);
    return c.ctx.tt;
  }
  uint32_t ats_ctrl(pcie::config_space& c) { return c.get(c.find_ext_cap(pcie::ECAP_ID_ATS) + pcie::ATS_CTRL, 2); }
  uint32_t pri_reg(uint32_t reg, unsigned width) {
    return ats_cfg->get(ats_cfg->find_ext_cap(pcie::ECAP_ID_PRI) + reg, width);
  }
  bool dmesg_has(const std::string& s) const {
    for (const auto& l : log.lines())
      if (l.substr(l.find("] ") + 2) == s) return true;
    return false;
  }
  // The descriptors of the invalidation queue, oldest first, up to the tail.
  std::vector<entry128> queue() {
    const uint64_t base = vtd->bank().get(IQA_REG, 8) & IQA_BASE_MASK;
    const uint64_t tail = (vtd->bank().get(IQT_REG, 8) & IQ_INDEX_MASK) >> IQ_INDEX_SHIFT;
    std::vector<entry128> out;
    for (uint64_t i = 0; i < tail; ++i)
      out.push_back({dram->read64(base + i * IQ_DESCRIPTOR_BYTES), dram->read64(base + i * IQ_DESCRIPTOR_BYTES + 8)});
    return out;
  }
  // A demand-paged guest of 8 MiB at GUEST_HPA for the ATS function, as vm_manager
  // resolves its requests: inside guest memory mapped read/write, else refused.
  void demand_guest(host::iopf_service& svc) {
    svc.set_resolver([this](const page_request& r, sc_time& cpu, std::string& why) {
      if (r.iova >= GUEST_BYTES) {
        why = "outside guest memory";
        return -EFAULT;
      }
      const int rc = dma->map_guest_page(ats_dev(), r.iova, GUEST_HPA + r.iova, true, cpu);
      return rc == -EEXIST ? 0 : rc;
    });
    vtd->set_page_response_sink([this](uint16_t sid, uint16_t group, bool ok) {
      responses.push_back({sc_core::sc_time_stamp(), sid, group, ok});
    });
  }

  // Everything of one simulation, before the next context is made.
  void release() {
    dma.reset();
    iommu.reset();
    pages.reset();
    bus.reset();
    vtd.reset();
    dram.reset();
    log = host::kernel_log{};
    dev_tlb.clear();
  }

  std::unique_ptr<mem::dram> dram;
  std::unique_ptr<vtd_unit> vtd;
  std::unique_ptr<bench_bus> bus;
  std::unique_ptr<host::page_allocator> pages;
  host::kernel_params params;
  host::kernel_log log;
  std::unique_ptr<host::intel_iommu> iommu;
  std::unique_ptr<host::dma_api> dma;
  std::unique_ptr<pcie::config_space> ats_cfg, plain_cfg, unaligned_cfg;
  std::vector<host::pci_dev> devs;
  std::vector<std::tuple<uint16_t, uint64_t, uint64_t>> dev_tlb;
  std::vector<response> responses;
};

TEST_F(ats_pri_bench, ats_is_enabled_with_device_tlb_contexts_where_the_capability_is) {
  build("intel_iommu=on");
  run_thread([&] { boot(); });
  EXPECT_TRUE(dmesg_has("DMAR: ATSR flags: 0x1"));
  EXPECT_FALSE(dmesg_has("DMAR: No ATSR found"));
  // ATS + PRI: TT 01b, ATS Enable with STU 0 (4 KiB), PRI left off until an IOPF domain.
  EXPECT_EQ(tt(SID_ATS), static_cast<unsigned>(translation_type::with_device_tlb));
  EXPECT_EQ(ats_ctrl(*ats_cfg), pcie::ATS_CTRL_ENABLE);
  const host::device_domain_info* info = iommu->device_info(SID_ATS);
  ASSERT_NE(info, nullptr);
  EXPECT_TRUE(info->ats_supported);
  EXPECT_TRUE(info->ats_enabled);
  EXPECT_EQ(info->ats_qdep, 8u);
  EXPECT_EQ(info->ats_stu, 12u);
  EXPECT_TRUE(info->pri_supported);
  EXPECT_FALSE(info->pri_enabled);
  EXPECT_EQ(pri_reg(pcie::PRI_CTRL, 2), 0u);
  // No capability: multi-level, nothing written.
  EXPECT_EQ(tt(SID_PLAIN), static_cast<unsigned>(translation_type::multi_level));
  EXPECT_FALSE(iommu->device_info(SID_PLAIN)->ats_supported);
  EXPECT_EQ(iommu->device_info(SID_PLAIN)->ats_pos, 0u);
  EXPECT_EQ(tt(0x0000), static_cast<unsigned>(translation_type::multi_level));   // conventional PCI
  // ATS without page-aligned requests: the context allows a device-TLB, but the v6.1
  // driver leaves ATS off (pci_ats_page_aligned()).
  EXPECT_EQ(tt(SID_UNALIGNED), static_cast<unsigned>(translation_type::with_device_tlb));
  EXPECT_FALSE(iommu->device_info(SID_UNALIGNED)->ats_enabled);
  EXPECT_EQ(ats_ctrl(*unaligned_cfg), 0u);
  EXPECT_EQ(iommu->ats_enabled_functions(), 1u);
  // The unit translates for the ATS function (nothing mapped yet: no permission, no fault).
  sc_time lat = sc_core::SC_ZERO_TIME;
  const translation t = vtd->translate_ats(SID_ATS, 0x1000, lat);
  EXPECT_EQ(t.fault, fault_reason::none);
  EXPECT_FALSE(t.read || t.write);
  EXPECT_EQ(vtd->translate_ats(SID_PLAIN, 0x1000, lat).fault, fault_reason::invalid_context);
}

TEST_F(ats_pri_bench, pass_through_and_missing_atsr_leave_ats_off) {
  build("intel_iommu=on iommu=pt");
  run_thread([&] { boot(); });
  EXPECT_EQ(tt(SID_ATS), static_cast<unsigned>(translation_type::pass_through));
  EXPECT_EQ(ats_ctrl(*ats_cfg), 0u);
  EXPECT_FALSE(iommu->device_info(SID_ATS)->ats_enabled);
}

TEST_F(ats_pri_bench, without_an_atsr_only_integrated_functions_get_ats) {
  build("intel_iommu=on", false, false);
  host::pci_dev root_port = make_dev(0x0008, true);
  root_port.is_bridge = true;
  root_port.exp_type = 0x4;   // PCI_EXP_TYPE_ROOT_PORT
  ats_dev().bridge = &root_port;
  run_thread([&] { boot(); });
  EXPECT_TRUE(dmesg_has("DMAR: No ATSR found"));
  EXPECT_FALSE(dmesg_has("DMAR: ATSR flags: 0x1"));
  EXPECT_EQ(tt(SID_ATS), static_cast<unsigned>(translation_type::multi_level));
  EXPECT_FALSE(iommu->device_info(SID_ATS)->ats_supported);
  EXPECT_EQ(ats_ctrl(*ats_cfg), 0u);
  // 04:00.0 has no bridge above it (root-complex integrated): allowed.
  EXPECT_TRUE(iommu->device_info(SID_UNALIGNED)->ats_supported);
}

TEST_F(ats_pri_bench, strict_unmap_invalidates_the_device_tlb_after_the_iotlb) {
  build("intel_iommu=on iommu.strict=1");
  run_thread([&] {
    boot();
    const uint64_t a = dma->map_single(ats_dev(), 0x40000000, 8192, dma_direction::bidirectional);
    ASSERT_EQ(a % 8192, 0u);
    dma->unmap_single(ats_dev(), a, 8192, dma_direction::bidirectional);
    // The unit delivered one device-TLB invalidation for the two pages.
    ASSERT_EQ(dev_tlb.size(), 1u);
    EXPECT_EQ(dev_tlb[0], std::make_tuple(SID_ATS, a, uint64_t{8192}));
    // In the queue: IOTLB page-selective + wait, then device-TLB + wait (v6.1:
    // qi_flush_iotlb() and qi_flush_dev_iotlb() each submit synchronously).
    const std::vector<entry128> q = queue();
    ASSERT_GE(q.size(), 4u);
    const size_t n = q.size();
    EXPECT_EQ(q[n - 4].lo & QI_TYPE_MASK, QI_IOTLB_TYPE);
    EXPECT_EQ((q[n - 4].lo >> QI_GRAN_SHIFT) & QI_GRAN_MASK, IOTLB_PAGE);
    EXPECT_EQ(q[n - 4].hi, a | 1);   // AM 1: two pages
    EXPECT_EQ(q[n - 3].lo & QI_TYPE_MASK, QI_IWD_TYPE);
    EXPECT_EQ(q[n - 2].lo & QI_TYPE_MASK, QI_DIOTLB_TYPE);
    EXPECT_EQ((q[n - 2].lo >> QI_DIOTLB_SID_SHIFT) & 0xffff, SID_ATS);
    EXPECT_EQ((q[n - 2].lo >> 16) & 0x1f, 8u);              // MIP: the queue depth
    EXPECT_EQ(q[n - 2].lo & ~0xffffffff001f000full, 0u);    // PFSID 0 (no ECAP.DIT), reserved bits 0
    EXPECT_EQ(q[n - 2].hi, a | QI_DIOTLB_HI_S);             // S, bit 12 clear: 8 KiB
    EXPECT_EQ(q[n - 1].lo & QI_TYPE_MASK, QI_IWD_TYPE);
    EXPECT_EQ(iommu->device_tlb_invalidations(), 1u);
    EXPECT_EQ(iommu->device_tlb_invalidations_by_device().at(SID_ATS), 1u);
    EXPECT_EQ(dma->stats_for(ats_dev()).cpu.charges.at("host.dma.invalidation_submit"), 2u);
    // One page: no S bit. A function without ATS gets no device-TLB invalidation.
    const uint64_t b = dma->map_single(ats_dev(), 0x40010000, 100, dma_direction::to_device);
    dma->unmap_single(ats_dev(), b, 100, dma_direction::to_device);
    ASSERT_EQ(dev_tlb.size(), 2u);
    EXPECT_EQ(dev_tlb[1], std::make_tuple(SID_ATS, b & ~0xfffull, uint64_t{4096}));
    EXPECT_EQ(queue().back().lo & QI_TYPE_MASK, QI_IWD_TYPE);
    EXPECT_EQ(queue()[queue().size() - 2].hi, b & ~0xfffull);
    const uint64_t c = dma->map_single(plain_dev(), 0x40020000, 100, dma_direction::to_device);
    dma->unmap_single(plain_dev(), c, 100, dma_direction::to_device);
    EXPECT_EQ(dev_tlb.size(), 2u);
    EXPECT_EQ(dma->stats_for(plain_dev()).cpu.charges.at("host.dma.invalidation_submit"), 1u);
  });
}

TEST_F(ats_pri_bench, the_flush_queue_invalidates_the_whole_device_tlb) {
  build("intel_iommu=on");
  run_thread([&] {
    boot();
    const uint64_t a = dma->map_single(ats_dev(), 0x40000000, 4096, dma_direction::bidirectional);
    dma->unmap_single(ats_dev(), a, 4096, dma_direction::bidirectional);
    EXPECT_TRUE(dev_tlb.empty());   // lazy: nothing yet
    sc_core::wait(sc_time(10200, SC_US));
    ASSERT_EQ(dev_tlb.size(), 1u);
    // iommu_flush_dev_iotlb(domain, 0, MAX_AGAW_PFN_WIDTH): every address.
    EXPECT_EQ(dev_tlb[0], std::make_tuple(SID_ATS, uint64_t{0}, ~uint64_t{0}));
    EXPECT_EQ(queue()[queue().size() - 2].hi, 0x7ffffffffffff000ull | QI_DIOTLB_HI_S);
  });
}

TEST_F(ats_pri_bench, iopf_domains_need_ats_and_pri) {
  build("intel_iommu=on");
  run_thread([&] {
    boot();
    std::string why;
    EXPECT_EQ(dma->attach_iopf_domain(plain_dev(), why), -ENODEV);
    EXPECT_EQ(why, "it has no ATS capability");
    EXPECT_EQ(dma->attach_iopf_domain(unaligned_dev(), why), -ENODEV);
    EXPECT_EQ(why, "ATS is not enabled on it");
    const uint16_t did_before = iommu->domain_of(SID_ATS)->id;
    ASSERT_EQ(dma->attach_iopf_domain(ats_dev(), why), 0);
    // A fresh domain with nothing mapped; ATS on again after the switch; PRI on with
    // the allocation min(capacity 32, PRQ_DEPTH).
    EXPECT_NE(iommu->domain_of(SID_ATS)->id, did_before);
    EXPECT_EQ(iommu->groups()[1].type, "unmanaged");
    EXPECT_EQ(tt(SID_ATS), static_cast<unsigned>(translation_type::with_device_tlb));
    EXPECT_EQ(ats_ctrl(*ats_cfg), pcie::ATS_CTRL_ENABLE);
    EXPECT_EQ(pri_reg(pcie::PRI_CTRL, 2), pcie::PRI_CTRL_ENABLE);
    EXPECT_EQ(pri_reg(pcie::PRI_ALLOC_REQ, 4), 32u);
    EXPECT_EQ(pri_reg(pcie::PRI_STATUS, 2) & pcie::PRI_STATUS_STOPPED, 0u);
    EXPECT_TRUE(iommu->device_info(SID_ATS)->pri_enabled);
    EXPECT_EQ(iommu->device_info(SID_ATS)->pri_reqs_alloc, 32u);
    EXPECT_EQ(iommu->enable_iopf(SID_ATS), -EBUSY);
    // The first IOPF function brought the page request queue up: 16 zeroed pages,
    // PQA with PQS 4, the event MSI on our vector, unmasked.
    const uint64_t prq = iommu->prq_base();
    ASSERT_NE(prq, 0u);
    EXPECT_EQ(prq % 4096, 0u);
    EXPECT_EQ(vtd->bank().get(PQA_REG, 8), prq | host::intel_iommu::PRQ_ORDER);
    EXPECT_EQ(vtd->bank().get(PQH_REG, 8), 0u);
    EXPECT_EQ(vtd->bank().get(PQT_REG, 8), 0u);
    EXPECT_EQ(vtd->bank().get(PEDATA_REG, 4), 0x25u);
    EXPECT_EQ(vtd->bank().get(PEADDR_REG, 4), 0xfee00000u);
    EXPECT_EQ(vtd->bank().get(PECTL_REG, 4), 0u);
    EXPECT_EQ(host::intel_iommu::PRQ_DEPTH, 2048u);
    EXPECT_EQ(walk(*dram, iommu->root_table(), SID_ATS, 0x1000, false, 46).fault, fault_reason::read_not_allowed);
    // Moving the function to another domain turns PRI off again (dmar_remove_one_dev_info()).
    ASSERT_EQ(dma->map_guest_memory(ats_dev(), 0, GUEST_HPA, 2ull << 20), 0);
    EXPECT_EQ(iommu->groups()[1].type, "unmanaged");
  });
}

TEST_F(ats_pri_bench, page_requests_are_mapped_and_answered_per_group) {
  build("intel_iommu=on");
  host::iopf_stats stats;
  run_thread([&] {
    boot();
    std::string why;
    ASSERT_EQ(dma->attach_iopf_domain(ats_dev(), why), 0);
    host::iopf_service svc(*iommu, log);
    demand_guest(svc);
    const sc_time t0 = sc_core::sc_time_stamp();
    vtd->page_request(SID_ATS, 0x3010, true, 5, true);
    sc_core::wait(sc_time(100, SC_US));
    ASSERT_EQ(responses.size(), 1u);
    EXPECT_EQ(responses[0].sid, SID_ATS);
    EXPECT_EQ(responses[0].group, 5u);
    EXPECT_TRUE(responses[0].success);
    // The descriptor write (90 ns), the thread's PRS/PQT/PQH accesses (100 ns each on
    // this bench), host.iopf.handle (10 us), the PTE and tables, the response
    // submission (IQT write, then the unit fetches it: 90 ns).
    EXPECT_GE(responses[0].at - t0, sc_time(10490, SC_NS));
    EXPECT_LT(responses[0].at - t0, sc_time(12, SC_US));
    // The driver read it from the queue and moved PQH; the answer went through the
    // invalidation queue as a Page Group Response (QI_PGRP_*) and its wait descriptor.
    EXPECT_EQ(vtd->bank().get(PQT_REG, 8), 32u);
    EXPECT_EQ(vtd->bank().get(PQH_REG, 8), 32u);
    EXPECT_EQ(vtd->bank().get(PRS_REG, 4), 0u);
    const std::vector<entry128> q = queue();
    ASSERT_GE(q.size(), 2u);
    EXPECT_EQ(q[q.size() - 2].lo, QI_PGRP_RESP_TYPE | (uint64_t{SID_ATS} << 16));   // Success
    EXPECT_EQ(q[q.size() - 2].hi, QI_PGRP_HI_LPIG | (5u << 3));
    EXPECT_EQ(q.back().lo & QI_TYPE_MASK, QI_IWD_TYPE);
    // The PTE is there: a translation request now gets read and write permission.
    sc_time lat = sc_core::SC_ZERO_TIME;
    const translation t = vtd->translate_ats(SID_ATS, 0x3000, lat);
    EXPECT_EQ(t.fault, fault_reason::none);
    EXPECT_TRUE(t.read);
    EXPECT_TRUE(t.write);
    EXPECT_EQ(t.hpa, GUEST_HPA + 0x3000);
    EXPECT_EQ(vtd->pending_page_requests(), 0u);
    // Outside guest memory: Invalid Request, nothing mapped.
    vtd->page_request(SID_ATS, GUEST_BYTES + 0x1000, false, 6, true);
    sc_core::wait(sc_time(100, SC_US));
    ASSERT_EQ(responses.size(), 2u);
    EXPECT_EQ(responses[1].group, 6u);
    EXPECT_FALSE(responses[1].success);
    EXPECT_EQ(queue()[queue().size() - 2].lo,
              QI_PGRP_RESP_TYPE | (uint64_t{QI_RESP_INVALID} << 12) | (uint64_t{SID_ATS} << 16));
    const translation out = vtd->translate_ats(SID_ATS, GUEST_BYTES + 0x1000, lat);
    EXPECT_FALSE(out.read || out.write);
    // Two pages of one group (the first not its last): one response once the last
    // one is in, both mapped; a page already mapped is answered with success again.
    vtd->page_request(SID_ATS, 0x4000, false, 7, false);
    vtd->page_request(SID_ATS, 0x5000, true, 7, true);
    vtd->page_request(SID_ATS, 0x3000, true, 8, true);
    sc_core::wait(sc_time(100, SC_US));
    ASSERT_EQ(responses.size(), 4u);
    EXPECT_EQ(responses[2].group, 7u);
    EXPECT_TRUE(responses[2].success);
    EXPECT_EQ(responses[3].group, 8u);
    EXPECT_TRUE(responses[3].success);
    EXPECT_EQ(vtd->translate_ats(SID_ATS, 0x5000, lat).hpa, GUEST_HPA + 0x5000);
    stats = svc.stats();
  });
  EXPECT_EQ(stats.requests, 5u);
  EXPECT_EQ(stats.groups, 4u);
  EXPECT_EQ(stats.groups_failed, 1u);
  EXPECT_EQ(stats.pages_mapped, 4u);   // 0x3000 twice (once new), 0x4000, 0x5000
  EXPECT_EQ(stats.cpu.charges.at("host.iopf.handle"), 5u);
  EXPECT_EQ(stats.cpu.charges.at("host.dma.invalidation_submit"), 4u);
  EXPECT_EQ(dma->stats_for(ats_dev()).demand_pages, 3u);
}

TEST_F(ats_pri_bench, page_request_service_is_deterministic) {
  auto once = [this] {
    build("intel_iommu=on");
    responses.clear();
    run_thread([&] {
      boot();
      std::string why;
      ASSERT_EQ(dma->attach_iopf_domain(ats_dev(), why), 0);
      host::iopf_service svc(*iommu, log);
      demand_guest(svc);
      for (uint16_t g = 0; g < 6; ++g) {
        vtd->page_request(SID_ATS, 0x1000ull * (g * 3 % 7), g % 2 == 0, g, true);
        sc_core::wait(sc_time(3 * (g + 1), SC_US));
      }
      sc_core::wait(sc_time(200, SC_US));
    });
    return responses;
  };
  const std::vector<response> first = once();
  release();
  env.reset();
  fresh_systemc_context();
  env = std::make_unique<kit::sim_env>(1);
  const std::vector<response> second = once();
  ASSERT_EQ(first.size(), 6u);
  EXPECT_TRUE(first == second);
}

// A burst larger than the queue: the driver updates PQH only after each pass (as
// prq_event_thread() does), so the unit fills the 2048 slots and sets PRS.PRO; the
// requests it could not queue are answered by the unit, the rest by the driver, each
// group exactly once. The driver reports the overflow and clears PRO once the queue is
// empty again.
TEST_F(ats_pri_bench, an_overflowing_burst_is_answered_once_and_the_driver_clears_pro) {
  constexpr unsigned BURST = 2100;
  constexpr uint16_t GROUPS = 512;   // 9-bit page request group index
  build("intel_iommu=on");
  host::iopf_stats stats;
  run_thread([&] {
    boot();
    std::string why;
    ASSERT_EQ(dma->attach_iopf_domain(ats_dev(), why), 0);
    host::iopf_service svc(*iommu, log);
    demand_guest(svc);
    for (unsigned i = 0; i < BURST; ++i)
      vtd->page_request(SID_ATS, (i % (GUEST_BYTES / PAGE_4K)) * PAGE_4K, true, static_cast<uint16_t>(i % GROUPS),
                        true);
    sc_core::wait(sc_time(50, sc_core::SC_MS));
    EXPECT_EQ(vtd->bank().get(PRS_REG, 4), 0u);
    EXPECT_EQ(vtd->bank().get(PQH_REG, 8), vtd->bank().get(PQT_REG, 8));
    EXPECT_EQ(svc.partial_requests(), 0u);
    stats = svc.stats();
  });
  const uint64_t written = vtd->prq_descriptors_written(), dropped = vtd->prq_overflows();
  EXPECT_GT(dropped, 0u);
  EXPECT_EQ(written + dropped, BURST);
  EXPECT_EQ(responses.size(), BURST);
  EXPECT_TRUE(std::all_of(responses.begin(), responses.end(), [](const response& r) { return r.success; }));
  EXPECT_EQ(stats.requests, written);
  EXPECT_EQ(stats.groups, written);
  EXPECT_GE(stats.overflows, 1u);
  EXPECT_TRUE(dmesg_has("IOMMU: dmar0: PRQ overflow detected"));
  EXPECT_TRUE(dmesg_has("IOMMU: dmar0: PRQ overflow cleared"));
  EXPECT_EQ(vtd->pending_page_requests(), 0u);
}

// ---- on a booted host: demand-paged VMs -------------------------------------

const char* const DMA_BEHIND_VTD = R"(
  kernel_cmdline: "intel_iommu=on"
  root_port { name: "rp1" device: 1 }
  endpoint { name: "dma0" profile: "iovsim_dma_ats" attach: "rp1" }
  root_port { name: "rp2" device: 2 }
  endpoint { name: "nic0" profile: "i350" attach: "rp2" }
)";
constexpr uint16_t DMA0 = 0x0100;   // 01:00.0

class demand_paged_vm : public sc_fixture {
 protected:
  void boot(const std::function<void(host::host_system&, platform::machine&)>& body) {
    pb::Platform spec;
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(DMA_BEHIND_VTD, &spec));
    platform::machine m(spec, scen::builtin_profiles());
    host::host_system h(m, 1);
    run_thread([&] {
      h.boot();
      body(h, m);
    });
  }
};

host::cmd_result run(host::host_system& h, const std::string& line) { return h.run(line); }

TEST_F(demand_paged_vm, page_requests_of_the_assigned_function_map_guest_pages) {
  boot([](host::host_system& h, platform::machine& m) {
    const host::cmd_result created = run(h, "vm create g --mem 8M --demand");
    ASSERT_EQ(created.status, 0) << created.err;
    std::smatch base_match;
    ASSERT_TRUE(std::regex_search(created.out, base_match, std::regex("at host (0x[0-9a-f]+), demand-paged")))
        << created.out;
    const uint64_t base = std::stoull(base_match[1].str(), nullptr, 16);
    const host::cmd_result assigned = run(h, "vm assign g 01:00.0");
    ASSERT_EQ(assigned.status, 0) << assigned.err;
    EXPECT_EQ(assigned.out, "g: 0000:01:00.0 assigned, guest memory mapped on demand (ATS and PRI enabled, "
                            "nothing mapped yet)\n");
    const host::device_domain_info* info = h.iommu_driver().device_info(DMA0);
    ASSERT_NE(info, nullptr);
    EXPECT_TRUE(info->ats_enabled);
    EXPECT_TRUE(info->pri_enabled);
    // The page-request path as the device would use it, answers observed directly.
    std::vector<std::pair<uint16_t, bool>> answers;
    m.iommu().set_page_response_sink([&](uint16_t, uint16_t group, bool ok) { answers.emplace_back(group, ok); });
    m.iommu().page_request(DMA0, 0x3000, true, 1, true);
    sc_core::wait(sc_time(100, SC_US));
    m.iommu().page_request(DMA0, 0x900000, false, 2, true);   // beyond the 8 MiB
    sc_core::wait(sc_time(100, SC_US));
    ASSERT_EQ(answers.size(), 2u);
    EXPECT_EQ(answers[0], std::make_pair(uint16_t{1}, true));
    EXPECT_EQ(answers[1], std::make_pair(uint16_t{2}, false));
    sc_time lat = sc_core::SC_ZERO_TIME;
    const translation t = m.iommu().translate_ats(DMA0, 0x3000, lat);
    EXPECT_TRUE(t.read && t.write);
    EXPECT_EQ(t.hpa, base + 0x3000);
    const host::cmd_result list = run(h, "vm list");
    EXPECT_NE(list.out.find("g: memory 0x800000 bytes at host"), std::string::npos) << list.out;
    EXPECT_NE(list.out.find("(IOMMU domain), demand-paged: 1 pages faulted in, 1 page requests refused"),
              std::string::npos)
        << list.out;
    const host::cmd_result stats = run(h, "iommu stats");
    EXPECT_NE(stats.out.find("requester  ats_requests  page_requests\n"), std::string::npos) << stats.out;
    EXPECT_NE(stats.out.find("device-TLB invalidations issued by the driver: "), std::string::npos) << stats.out;
  });
}

TEST_F(demand_paged_vm, the_device_faults_its_pages_in_through_pri) {
  boot([](host::host_system& h, platform::machine&) {
    ASSERT_EQ(run(h, "vm create g --mem 8M --demand").status, 0);
    ASSERT_EQ(run(h, "vm assign g 01:00.0").status, 0);
    const host::cmd_result dma = run(h, "vm dma g --addr 0x100000 --size 8192");
    EXPECT_EQ(dma.status, 0) << dma.out << dma.err;
    const host::cmd_result list = run(h, "vm list");
    EXPECT_NE(list.out.find("demand-paged: 2 pages faulted in, 0 page requests refused"), std::string::npos)
        << list.out;
    const host::cmd_result rogue = run(h, "vm dma g --addr 0x900000 --size 4096");
    EXPECT_NE(rogue.status, 0);
    EXPECT_NE(run(h, "vm list").out.find("1 page requests refused"), std::string::npos);
    EXPECT_NE(run(h, "vm isolation").out.find("isolation breaches: 0"), std::string::npos);
  });
}

TEST_F(demand_paged_vm, functions_without_ats_or_pri_and_hosts_without_remapping_are_refused) {
  boot([](host::host_system& h, platform::machine&) {
    host::cmd_result r = run(h, "vm create g --mem 4M --readonly");
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(r.err, "vm create: --readonly is a policy of demand paging: it needs --demand\n");
    r = run(h, "vm create g --mem 3M --demand");
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(r.err, "vm create: --mem takes a multiple of 2M, e.g. 64M\n");
    EXPECT_EQ(run(h, "vm create g --demand --mem 4M --lazy").status, 2);
    ASSERT_EQ(run(h, "vm create g --demand --mem 4M").status, 0);
    r = run(h, "vm assign g 02:00.0");   // the I350 port: no ATS
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, "vm assign: 0000:02:00.0 cannot be demand-paged: it has no ATS capability\n");
    EXPECT_EQ(r.errno_name, "ENODEV");
    EXPECT_NE(run(h, "vm list").out.find("g: memory 0x400000 bytes at host"), std::string::npos);
    EXPECT_NE(run(h, "vm list").out.find(", device -"), std::string::npos);   // nothing assigned
    h.reboot("intel_iommu=on iommu=pt");
    ASSERT_EQ(run(h, "vm create p --mem 4M --demand").status, 0);
    r = run(h, "vm assign p 01:00.0");
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, "vm assign: p is demand-paged: 0000:01:00.0 needs DMA remapping (intel_iommu=on, not "
                     "iommu=pt)\n");
    // pci=noats: the kernel leaves ATS alone (and says so); no device-TLB contexts.
    h.reboot("intel_iommu=on pci=noats");
    EXPECT_NE(run(h, "dmesg").out.find("] PCIe: ATS is disabled\n"), std::string::npos);
    ASSERT_EQ(run(h, "vm create q --mem 4M --demand").status, 0);
    r = run(h, "vm assign q 01:00.0");
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, "vm assign: 0000:01:00.0 cannot be demand-paged: ATS is disabled (pci=noats)\n");
    EXPECT_EQ(h.iommu_driver().ats_enabled_functions(), 0u);
  });
}

}  // namespace
}  // namespace iovsim::test
