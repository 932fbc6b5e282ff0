// ATS end to end through the platform: the DMA test device's device-TLB, translation
// requests and translated requests, VT-d's answers, the device-TLB invalidations of
// its queued invalidation (page requests: ats_pri_prq_test.cpp).
#include "tests/unit/ats_pri_fixture.h"

namespace iovsim::test_ats {
namespace {
// ---------------------------------------------------------------------------
// Capabilities

// Our lspci and pciutils' lspci 3.9 decode the ATS and PRI capabilities alike.
TEST_F(ats_pri, capabilities_decode_as_the_real_lspci_does) {
  run_thread([&] {
    bring_up();
    EXPECT_EQ(find_ext_cap(pcie::ECAP_ID_ATS), 0x100u);
    EXPECT_EQ(find_ext_cap(pcie::ECAP_ID_PRI), 0x108u);
    EXPECT_EQ(cfg_read(0x104, 2), 0x0020u);   // queue depth 32 (field 0), page aligned
    cfg_write(0x104, 2, 0xffff);
    EXPECT_EQ(cfg_read(0x104, 2), 0x0020u);   // read-only
    cfg_write(0x106, 2, 0xffff);
    EXPECT_EQ(cfg_read(0x106, 2), 0x801fu);   // Enable and STU only
    cfg_write(0x106, 2, 0x8003);
    // PRI at 0x108: control +4, status +6, capacity +8, allocation +C.
    EXPECT_EQ(cfg_read(0x10e, 2), pcie::PRI_STATUS_STOPPED);   // stopped while disabled
    EXPECT_EQ(cfg_read(0x110, 4), 32u);                        // capacity
    cfg_write(0x110, 4, 7);
    EXPECT_EQ(cfg_read(0x110, 4), 32u);
    cfg_write(0x10e, 2, 0xffff);
    EXPECT_EQ(cfg_read(0x10e, 2), pcie::PRI_STATUS_STOPPED);   // Stopped is read-only
    enable_pri(16);
    EXPECT_EQ(cfg_read(0x114, 4), 16u);
    EXPECT_EQ(cfg_read(0x10c, 2), pcie::PRI_CTRL_ENABLE);
    EXPECT_EQ(cfg_read(0x10e, 2), 0u);   // enabling clears Stopped
    cfg_write(0x10c, 2, pcie::PRI_CTRL_ENABLE | pcie::PRI_CTRL_RESET);
    EXPECT_EQ(cfg_read(0x10c, 2), pcie::PRI_CTRL_ENABLE);   // Reset reads 0
    // UPRGI: a PRG response for a group the device never asked about (W1C).
    dev->page_response(9, true);
    EXPECT_EQ(cfg_read(0x10e, 2), pcie::PRI_STATUS_UPRGI);
    cfg_write(0x10e, 2, 0xffff);
    EXPECT_EQ(cfg_read(0x10e, 2), 0u);
    cfg_write(0x10c, 2, 0);
    EXPECT_EQ(cfg_read(0x10e, 2), pcie::PRI_STATUS_STOPPED);   // disabling stops it
    cfg_write(0x10c, 2, pcie::PRI_CTRL_ENABLE);

    host::lspci_device d;
    d.bus = 1;
    for (unsigned r = 0; r < pcie::CONFIG_SPACE_BYTES; r += 4) {
      const uint32_t v = cfg_read(r, 4);
      for (unsigned b = 0; b < 4; ++b) d.config.push_back(static_cast<uint8_t>(v >> (8 * b)));
    }
    const std::string ours = host::lspci({d}, {"-vvv"}).out;
    const std::string ats_text =
        "\tCapabilities: [100 v1] Address Translation Service (ATS)\n"
        "\t\tATSCap:\tInvalidate Queue Depth: 00\n"
        "\t\tATSCtl:\tEnable+, Smallest Translation Unit: 03\n"
        "\tCapabilities: [108 v1] Page Request Interface (PRI)\n"
        "\t\tPRICtl: Enable+ Reset-\n"
        "\t\tPRISta: RF- UPRGI- Stopped-\n"
        "\t\tPage Request Capacity: 00000020, Page Request Allocation: 00000010\n";
    EXPECT_NE(ours.find(ats_text), std::string::npos) << ours;

    char path[] = "/tmp/iovsim_ats_XXXXXX";
    const int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    close(fd);
    std::ofstream(path) << host::lspci_dump(d);
    std::string real;
    if (FILE* p = popen(("lspci -F " + std::string(path) + " -vvv 2>/dev/null").c_str(), "r")) {
      std::array<char, 4096> buf;
      size_t n;
      while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) real.append(buf.data(), n);
      pclose(p);
    }
    std::remove(path);
    ASSERT_FALSE(real.empty()) << "pciutils' lspci 3.9 is required (apt-get install pciutils)";
    // The names come from different pci.ids: compare from the extended capabilities on.
    const size_t ours_at = ours.find("\tCapabilities: [100"), real_at = real.find("\tCapabilities: [100");
    ASSERT_NE(real_at, std::string::npos) << real;
    EXPECT_EQ(ours.substr(ours_at), real.substr(real_at));
  });
}

// Profiles without `ats` / `pri_outstanding_requests` get neither capability.
TEST_F(ats_pri, profiles_without_ats_have_no_ats_or_pri_capability) {
  for (const auto& p : scen::builtin_profiles().device()) {
    if (p.ats() || p.pri_outstanding_requests()) continue;
    pcie::physical_function pf("pf", p, 0, 1, [](pcie::physical_function&, unsigned) {});
    EXPECT_EQ(pf.cfg().find_ext_cap(pcie::ECAP_ID_ATS), 0u) << p.name();
    EXPECT_EQ(pf.cfg().find_ext_cap(pcie::ECAP_ID_PRI), 0u) << p.name();
  }
  EXPECT_TRUE(dma_profile().ats());
  EXPECT_EQ(dma_profile().pri_outstanding_requests(), 32u);
}

// ---------------------------------------------------------------------------
// The device-TLB

TEST_F(ats_pri, first_transfer_translates_and_a_repeat_hits_the_device_tlb) {
  std::vector<uint8_t> pattern(4 * PAGE_4K);
  for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = static_cast<uint8_t>(i * 13 + 1);
  m->dram().write(HPA, pattern.data(), static_cast<unsigned>(pattern.size()));
  run_thread([&] {
    bring_up();
    enable_ats();
    // 16 KiB from host memory: MRRS 512 (reset value) gives 32 requests over 4 pages.
    const sc_time first = transfer(IOVA, 0, 4 * PAGE_4K, 0);
    EXPECT_EQ(reg(dma_device::STATUS, 4), dma_device::STATUS_DONE);
    EXPECT_EQ(std::memcmp(dev->buffer().data(), pattern.data(), pattern.size()), 0);
    EXPECT_EQ(dev->translation_requests(), 4u);
    EXPECT_EQ(dev->atc_misses(), 4u);
    EXPECT_EQ(dev->atc_hits(), 28u);
    EXPECT_EQ(dev->requests_issued(), 32u);
    EXPECT_EQ(dev->device_tlb().occupancy(), 4u);
    EXPECT_EQ(reg(dma_device::ATC_HITS), 28u);
    EXPECT_EQ(reg(dma_device::ATC_MISSES), 4u);
    requester_stats s = m->iommu().stats_by_requester()[DMA0];
    EXPECT_EQ(s.ats_requests, 4u);
    EXPECT_EQ(s.translations, 0u);   // no untranslated request reached the IOMMU
    EXPECT_EQ(m->dma().translation_requests(), 4u);
    EXPECT_EQ(m->dma().translated_requests(), 32u);

    std::fill(dev->buffer().begin(), dev->buffer().end(), 0);
    const sc_time repeat = transfer(IOVA, 0, 4 * PAGE_4K, 0);
    EXPECT_EQ(std::memcmp(dev->buffer().data(), pattern.data(), pattern.size()), 0);
    EXPECT_EQ(dev->atc_hits(), 60u);
    EXPECT_EQ(dev->atc_misses(), 4u);
    EXPECT_EQ(m->iommu().stats_by_requester()[DMA0].ats_requests, 4u);   // nothing asked again
    EXPECT_LT(repeat, first);   // no translation round trips in front of the reads

    // Writes need W: the read-write pages allow them, from the same entries.
    transfer(0, IOVA + PAGE_4K, 256, dma_device::CONTROL_DIR_TO_HOST);
    EXPECT_EQ(reg(dma_device::STATUS, 4), dma_device::STATUS_DONE);
    EXPECT_EQ(dev->atc_misses(), 4u);
    EXPECT_EQ(m->dram().read64(HPA + PAGE_4K), m->dram().read64(HPA));   // buffer[0..] holds page 0's bytes

    // Reset (platform reboot) empties the device-TLB and its BAR0 counters.
    dev->reset();
    EXPECT_EQ(dev->device_tlb().occupancy(), 0u);
    EXPECT_EQ(dev->regs().get(dma_device::ATC_HITS, 8), 0u);
    EXPECT_EQ(dev->atc_hits(), 62u);   // statistics describe the whole run
  });
}

TEST_F(ats_pri, device_tlb_invalidations_from_the_queue_drop_entries) {
  run_thread([&] {
    bring_up();
    enable_ats();
    enable_qi();
    transfer(IOVA, 0, 4 * PAGE_4K, 0);
    ASSERT_EQ(dev->device_tlb().occupancy(), 4u);
    // One 4 KiB page (S = 0), then a requester nobody has: logged and ignored.
    invalidate({device_tlb_desc(DMA0, IOVA + PAGE_4K), device_tlb_desc(0x0200, IOVA)});
    EXPECT_EQ(dev->device_tlb().occupancy(), 3u);
    EXPECT_EQ(dev->atc_invalidations(), 1u);
    EXPECT_EQ(dev->atc_entries_invalidated(), 1u);
    transfer(IOVA, 0, 4 * PAGE_4K, 0);
    EXPECT_EQ(dev->atc_misses(), 5u);   // only the invalidated page is asked again
    // 16 KiB (S = 1, address bit 12 set, bit 13 clear): all four pages.
    invalidate({device_tlb_desc(DMA0, (IOVA + PAGE_4K) | QI_DIOTLB_HI_S)});
    EXPECT_EQ(dev->device_tlb().occupancy(), 0u);
    EXPECT_EQ(dev->atc_invalidations(), 2u);
    EXPECT_EQ(dev->atc_entries_invalidated(), 5u);
    transfer(IOVA, 0, 4 * PAGE_4K, 0);
    EXPECT_EQ(dev->atc_misses(), 9u);
    EXPECT_EQ(dev->translation_requests(), 9u);
  });
}

class small_atc : public ats_pri {
 protected:
  void overrides() override { env->params().set_override("dma.atc_entries", "2"); }
};

TEST_F(small_atc, a_working_set_larger_than_the_device_tlb_misses_on_every_page) {
  run_thread([&] {
    bring_up();
    enable_ats();
    transfer(IOVA, 0, 4 * PAGE_4K, 0);
    transfer(IOVA, 0, 4 * PAGE_4K, 0);
    EXPECT_EQ(dev->device_tlb().capacity(), 2u);
    EXPECT_EQ(dev->atc_misses(), 8u);   // LRU over 4 pages in 2 entries: every first touch misses
    EXPECT_EQ(dev->device_tlb().occupancy(), 2u);
  });
}

class atc_param : public test::sc_fixture {};

TEST_F(atc_param, zero_entries_are_refused_naming_the_parameter) {
  env->params().set_override("dma.atc_entries", "0");
  try {
    dma_device d("dma_x", dma_profile());
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "parameter dma.atc_entries: 0 is not in 1..65536");
  }
}

TEST(atc, lru_replacement_overlap_and_invalidation) {
  pcie::atc c(2);
  pcie::atc_entry e;
  e.size_bytes = PAGE_4K;
  e.read = true;
  e.untranslated = 0x1000, e.translated = 0x91000;
  c.insert(e);
  e.untranslated = 0x2000, e.translated = 0x92000;
  c.insert(e);
  ASSERT_NE(c.lookup(0x1fff), nullptr);   // 0x1000 becomes most recently used
  EXPECT_EQ(c.lookup(0x1fff)->translated, 0x91000u);
  e.untranslated = 0x3000, e.translated = 0x93000;
  c.insert(e);                             // evicts 0x2000
  EXPECT_EQ(c.lookup(0x2000), nullptr);
  EXPECT_NE(c.lookup(0x1000), nullptr);
  EXPECT_NE(c.lookup(0x3000), nullptr);
  // A 2 MiB entry supersedes the 4 KiB ones it covers.
  e.untranslated = 0, e.translated = 0x40000000, e.size_bytes = 2ull << 20;
  c.insert(e);
  EXPECT_EQ(c.occupancy(), 1u);
  EXPECT_EQ(c.lookup(0x1ff000)->translated, 0x40000000u);
  EXPECT_EQ(c.invalidate(0x1000, PAGE_4K), 1u);
  EXPECT_EQ(c.occupancy(), 0u);
  c.insert(e);
  EXPECT_EQ(c.invalidate(0, ~0ull), 1u);   // everything, without wrapping
  EXPECT_EQ(c.invalidate(0x400000, PAGE_4K), 0u);
}

TEST_F(ats_pri, stu_makes_entries_at_least_that_large) {
  run_thread([&] {
    bring_up();
    enable_ats(1);   // 8 KiB: pages 0 and 1 share an entry
    transfer(IOVA, 0, 4 * PAGE_4K, 0);
    EXPECT_EQ(dev->atc_misses(), 2u);
    EXPECT_EQ(dev->device_tlb().occupancy(), 2u);
  });
}

// ---------------------------------------------------------------------------
// Translated requests and the context's TT

TEST_F(ats_pri, translated_requests_from_a_context_without_device_tlb_are_blocked) {
  std::vector<uint8_t> ones(PAGE_4K, 0x11);
  run_thread([&] {
    bring_up();
    enable_ats();
    enable_qi();
    transfer(IOVA, 0, PAGE_4K, 0);   // the device caches page 0's translation
    ASSERT_EQ(dev->device_tlb().occupancy(), 1u);
    // Software takes device-TLBs away (TT = 0) and flushes the context cache, but not
    // the device-TLB: the device's next requests go out translated and must not pass.
    set_context(translation_type::multi_level);
    invalidate({{QI_CC_TYPE | (uint64_t{CC_GLOBAL} << QI_GRAN_SHIFT), 0}});
    std::fill(dev->buffer().begin(), dev->buffer().end(), 0x5a);
    transfer(0, IOVA, 512, dma_device::CONTROL_DIR_TO_HOST);
    EXPECT_EQ(err_code(), dma_device::ERR_DMA);
    EXPECT_EQ(reg(dma_device::ERR_ADDR), IOVA);
    EXPECT_EQ(m->dram().read64(HPA), 0u);   // memory untouched
    EXPECT_EQ(m->iommu().stats_by_requester()[DMA0].faults, 1u);
    const uint64_t hi = vtd(FRCD_REG_OFFSET + 8, 8);
    EXPECT_EQ((hi & FRCD_HI_FR_MASK) >> FRCD_HI_FR_SHIFT, static_cast<uint64_t>(fault_reason::invalid_context));
    EXPECT_EQ(hi & FRCD_HI_SID_MASK, DMA0);
    EXPECT_EQ(vtd(FRCD_REG_OFFSET, 8), HPA);   // the address the request carried
    // A translation request from that context: Unsupported Request, no entry cached.
    dev->invalidate_atc(0, ~0ull);
    transfer(IOVA, 0, 64, 0);
    EXPECT_EQ(err_code(), dma_device::ERR_DMA);
    EXPECT_EQ(dev->device_tlb().occupancy(), 0u);
    EXPECT_EQ(dev->requests_issued(), 9u);   // the first transfer's 8 and the blocked write
  });
  EXPECT_EQ(m->dram().read64(HPA + 8), 0u);
}

// ---------------------------------------------------------------------------
// PRI

}  // namespace
}  // namespace iovsim::test_ats
