// The remapping unit driven like a driver: MMIO through a TLM initiator bound to its
// register socket, tables and invalidation queue in simulated memory, interrupts
// into a sink. Each test gets a fresh SystemC context and sim_env (sc_fixture). The
// page request queue: iommu_vtd_prq_test.cpp.
#include "tests/unit/iommu_vtd_fixture.h"

namespace iovsim::test_vtd {
namespace {

TEST_F(vtd_test, capability_registers) {
  run_thread([&] {
    EXPECT_EQ(rd(VER_REG), 0x10u);
    const uint64_t cap = rd(CAP_REG, 8);
    EXPECT_EQ(cap & 7, 6u);                                  // ND: 64K domains
    EXPECT_EQ((cap >> 8) & 0x1f, 0x6u);                      // SAGAW: 39 and 48 bits
    EXPECT_EQ(((cap >> 16) & 0x3f) + 1, 48u);                // MGAW
    EXPECT_EQ(((cap >> 24) & 0x3ff) * 16, 0x400u);           // FRO
    EXPECT_EQ((cap >> 34) & 0xf, 0x3u);                      // SLLPS 2M + 1G
    EXPECT_TRUE((cap >> 39) & 1);                            // PSI
    EXPECT_EQ(((cap >> 40) & 0xff) + 1, 8u);                 // NFR
    EXPECT_EQ((cap >> 48) & 0x3f, 18u);                      // MAMV
    const uint64_t ecap = rd(ECAP_REG, 8);
    EXPECT_EQ(ecap & 0x47, 0x47u);                           // C, QI, DT, PT
    EXPECT_EQ(((ecap >> 8) & 0x3ff) * 16, 0x500u);           // IRO
    EXPECT_EQ(rd(FECTL_REG), FECTL_IM);                      // reset: masked
    // 32-bit halves read like the 64-bit register (Linux reads CAP as two dwords too).
    EXPECT_EQ((rd(CAP_REG + 4) << 32) | rd(CAP_REG), cap);
  });
}

TEST_F(vtd_test, global_command_handshake) {
  run_thread([&] {
    EXPECT_EQ(rd(GSTS_REG), 0u);
    wr(RTADDR_REG, ROOT | 0xfff, 8);   // low bits are not writable
    EXPECT_EQ(rd(RTADDR_REG, 8), ROOT);
    EXPECT_EQ(vtd->root_table(), 0u);  // not latched before SRTP
    wr(GCMD_REG, GCMD_SRTP);
    EXPECT_EQ(rd(GSTS_REG), GSTS_RTPS);
    EXPECT_EQ(vtd->root_table(), ROOT);
    EXPECT_EQ(rd(GCMD_REG), 0u);       // write-only
    wr(GCMD_REG, GCMD_TE);
    EXPECT_EQ(rd(GSTS_REG), GSTS_RTPS | GSTS_TES);
    EXPECT_TRUE(vtd->translation_enabled());
    wr(GCMD_REG, 0);
    EXPECT_FALSE(vtd->translation_enabled());
  });
}

TEST_F(vtd_test, translation_off_is_identity) {
  sc_time lat;
  const translation t = xlate(SID, 0x123456789, true, &lat);
  EXPECT_EQ(t.fault, fault_reason::none);
  EXPECT_EQ(t.hpa, 0x123456789u);
  EXPECT_TRUE(t.pass_through);
  EXPECT_EQ(lat, sc_core::SC_ZERO_TIME);
  EXPECT_EQ(vtd->totals().walks, 0u);
}

TEST_F(vtd_test, miss_walks_hit_is_cheap) {
  run_thread([&] {
    enable();
    sc_time lat;
    translation t = xlate(SID, 0x1abc, true, &lat);
    EXPECT_EQ(t.fault, fault_reason::none);
    EXPECT_EQ(t.hpa, 0x20000abcu);
    EXPECT_EQ(t.memory_reads, 6u);
    EXPECT_EQ(lat, HIT + 6 * READ);
    t = xlate(SID, 0x1010, false, &lat);
    EXPECT_EQ(t.hpa, 0x20000010u);
    EXPECT_EQ(lat, HIT);
    // Same domain, other requester: context miss (2 reads), IOTLB hit.
    t = xlate(SID_B, 0x1020, false, &lat);
    EXPECT_EQ(t.hpa, 0x20000020u);
    EXPECT_EQ(lat, HIT + 2 * READ);
    // 2 MiB page: context cached, 3 PTE reads.
    t = xlate(SID, 0x3ffff0, true, &lat);
    EXPECT_EQ(t.hpa, 0x401ffff0u);
    EXPECT_EQ(lat, HIT + 3 * READ);
    const auto st = vtd->stats_by_requester();
    EXPECT_EQ(st.at(SID).translations, 3u);
    EXPECT_EQ(st.at(SID).hits, 1u);
    EXPECT_EQ(st.at(SID).misses, 2u);
    EXPECT_EQ(st.at(SID).walks, 2u);
    EXPECT_EQ(st.at(SID_B).hits, 1u);
    EXPECT_EQ(st.at(SID_B).walks, 1u);   // its context fetch
    EXPECT_EQ(vtd->tlb().occupancy(), 2u);
  });
}

TEST_F(vtd_test, concurrent_misses_queue_on_the_walker) {
  run_thread([&] {
    enable();
    sc_time a = sc_core::SC_ZERO_TIME, b = sc_core::SC_ZERO_TIME;
    vtd->translate(SID, 0x1000, false, a);
    vtd->translate(SID, 0x200000, false, b);   // same instant: waits for the first walk
    EXPECT_EQ(a, HIT + 6 * READ);
    EXPECT_EQ(b, HIT + 6 * READ + 3 * READ);
    EXPECT_EQ(vtd->walker().wait_total(), 6 * READ);
  });
}

TEST_F(vtd_test, pass_through_context) {
  run_thread([&] {
    enable();
    sc_time lat;
    const translation t = xlate(SID_PT, 0xabcdef123, true, &lat);
    EXPECT_EQ(t.fault, fault_reason::none);
    EXPECT_TRUE(t.pass_through);
    EXPECT_EQ(t.hpa, 0xabcdef123u);
    EXPECT_EQ(t.domain, 9);
    EXPECT_EQ(lat, HIT + 2 * READ);
    xlate(SID_PT, 0x5000, false, &lat);
    EXPECT_EQ(lat, HIT);
    EXPECT_EQ(vtd->tlb().occupancy(), 0u);
  });
}

TEST_F(vtd_test, fault_record_contents_and_masked_interrupt) {
  run_thread([&] {
    enable();
    wr(FEDATA_REG, 0x4041);
    wr(FEADDR_REG, 0xfee00000);
    const translation t = xlate(SID, 0x2468, true);   // read-only page
    EXPECT_EQ(t.fault, fault_reason::write_not_allowed);
    EXPECT_EQ(frcd_lo(0), 0x2000u);
    const uint64_t hi = frcd_hi(0);
    EXPECT_EQ(hi, FRCD_HI_F | (uint64_t{5} << 32) | SID);   // T = 0: write
    EXPECT_EQ(rd(FSTS_REG), FSTS_PPF | (0u << FSTS_FRI_SHIFT));
    EXPECT_TRUE(irqs.empty());                             // IM set at reset
    EXPECT_EQ(rd(FECTL_REG), FECTL_IM | FECTL_IP);
    // A read fault: record 1, T = 1, no new event (PPF was already set).
    EXPECT_EQ(xlate(SID, 0x9000, false).fault, fault_reason::read_not_allowed);
    EXPECT_EQ(frcd_hi(1), FRCD_HI_F | FRCD_HI_T | (uint64_t{6} << 32) | SID);
    EXPECT_EQ(frcd_lo(1), 0x9000u);
    // Unmasking delivers the pending event once.
    wr(FECTL_REG, 0);
    ASSERT_EQ(irqs.size(), 1u);
    EXPECT_EQ(irqs[0].address, 0xfee00000u);
    EXPECT_EQ(irqs[0].data, 0x4041u);
    EXPECT_EQ(rd(FECTL_REG), 0u);
    // The log speaks like the kernel's DMAR message.
    const auto& log = kit::sim_env::current().log_lines();
    bool found = false;
    for (const std::string& l : log)
      found |= l.find("dmar0: fault record 0: [DMA Write] device [03:10.1] fault addr 0x2468 [fault reason 0x05] "
                      "PTE Write access is not set") != std::string::npos;
    EXPECT_TRUE(found);
    EXPECT_EQ(vtd->stats_by_requester().at(SID).faults, 2u);
  });
}

TEST_F(vtd_test, unmasked_fault_interrupt_and_root_not_present) {
  run_thread([&] {
    enable();
    wr(FEDATA_REG, 0x21);
    wr(FEADDR_REG, 0xfee01000);
    wr(FEUADDR_REG, 0x1);
    wr(FECTL_REG, 0);
    EXPECT_EQ(xlate(0x0700, 0x5000, false).fault, fault_reason::root_not_present);
    ASSERT_EQ(irqs.size(), 1u);
    EXPECT_EQ(irqs[0].address, 0x1fee01000u);
    EXPECT_EQ(irqs[0].data, 0x21u);
    EXPECT_EQ(rd(FECTL_REG) & FECTL_IP, 0u);
    EXPECT_EQ(frcd_hi(0), FRCD_HI_F | FRCD_HI_T | (uint64_t{1} << 32) | 0x0700);
    // Clear the record: PPF drops; the next fault raises a new event.
    wr(FRCD_REG_OFFSET + 12, FRCD_HI_F >> 32);
    EXPECT_EQ(rd(FSTS_REG) & FSTS_PPF, 0u);
    EXPECT_EQ(xlate(0x0320, 0x5000, true).fault, fault_reason::context_not_present);
    EXPECT_EQ(irqs.size(), 2u);
    EXPECT_EQ(rd(FSTS_REG), FSTS_PPF | (1u << FSTS_FRI_SHIFT));
  });
}

TEST_F(vtd_test, fault_overflow_and_write_one_to_clear) {
  run_thread([&] {
    enable();
    for (uint64_t i = 0; i < 8; ++i) xlate(SID, 0x100000 + i * PAGE_4K, true);   // unmapped
    EXPECT_EQ(rd(FSTS_REG), FSTS_PPF);
    EXPECT_EQ(frcd_lo(7), 0x107000u);
    // Ninth fault: record 0 still holds F, so PFO sets and the fault is lost.
    xlate(SID, 0x200000000, false);
    EXPECT_EQ(rd(FSTS_REG), FSTS_PPF | FSTS_PFO);
    EXPECT_EQ(frcd_lo(0), 0x100000u);
    EXPECT_EQ(vtd->faults_dropped(), 1u);
    // With PFO set nothing is recorded even with free records.
    wr(FRCD_REG_OFFSET + 12, FRCD_HI_F >> 32);   // W1C F of record 0 (dword write)
    EXPECT_EQ(frcd_hi(0) & FRCD_HI_F, 0u);
    EXPECT_EQ(frcd_lo(0), 0x100000u);            // contents stay
    xlate(SID, 0x300000000, false);
    EXPECT_EQ(vtd->faults_dropped(), 2u);
    EXPECT_EQ(frcd_hi(0) & FRCD_HI_F, 0u);
    // Writing 0 to F changes nothing; writing 1 to the other bits neither.
    wr(FRCD_REG_OFFSET + 16 + 8, 0x7fffffffffffffffull, 8);
    EXPECT_EQ(frcd_hi(1), FRCD_HI_F | (uint64_t{5} << 32) | SID);
    for (unsigned i = 1; i < 8; ++i) wr(FRCD_REG_OFFSET + i * FRCD_REG_BYTES + 8, FRCD_HI_F, 8);
    EXPECT_EQ(rd(FSTS_REG), FSTS_PFO);
    wr(FSTS_REG, FSTS_PFO);
    EXPECT_EQ(rd(FSTS_REG), 0u);
    EXPECT_EQ(rd(FECTL_REG), FECTL_IM);          // serviced: IP cleared
    // Recording resumes at the next record in turn (index 8 mod 8 = 0).
    xlate(SID, 0x400000000, false);
    EXPECT_EQ(rd(FSTS_REG), FSTS_PPF | (0u << FSTS_FRI_SHIFT));
    EXPECT_EQ(frcd_lo(0), 0x400000000u);
  });
}

TEST_F(vtd_test, fault_processing_disable) {
  run_thread([&] {
    context_entry c = tb.get_context(ROOT, SID);
    c.fault_processing_disable = true;
    tb.set_context(ROOT, 0x0383, c);
    enable();
    EXPECT_EQ(xlate(0x0383, 0x9000, true).fault, fault_reason::write_not_allowed);
    EXPECT_EQ(rd(FSTS_REG), 0u);
    EXPECT_EQ(vtd->stats_by_requester().at(0x0383).faults_suppressed, 1u);
    EXPECT_EQ(vtd->stats_by_requester().at(0x0383).faults, 0u);
  });
}

TEST_F(vtd_test, queued_iotlb_invalidation_and_wait_timing) {
  run_thread([&] {
    enable();
    enable_qi();
    ASSERT_EQ(xlate(SID, 0x1000, false).fault, fault_reason::none);
    EXPECT_EQ(vtd->tlb().occupancy(), 1u);
    // Page-selective IOTLB invalidation of 0x1000, then a wait with status write.
    put_desc(0, QI_IOTLB_TYPE | (uint64_t{IOTLB_PAGE} << QI_GRAN_SHIFT) | (uint64_t{DOMAIN} << QI_DID_SHIFT),
             0x1000);
    put_desc(1, wait_desc(0x1234), STATUS);
    wr(IQT_REG, 2 << IQ_INDEX_SHIFT, 8);
    // Fetch (90) + invalidation (100) = 190 ns; the wait's fetch ends at 180 and it
    // holds its status write until the invalidation completes.
    sc_core::wait(READ + INVAL - sc_time(1, SC_NS));
    EXPECT_EQ(mem.read32(STATUS), 0u);
    EXPECT_EQ(vtd->tlb().occupancy(), 0u);   // dropped at fetch
    sc_core::wait(sc_time(2, SC_NS));
    EXPECT_EQ(mem.read32(STATUS), 0x1234u);
    EXPECT_EQ(rd(IQH_REG, 8), 2u << IQ_INDEX_SHIFT);
    EXPECT_EQ(vtd->invalidation_waits(), 1u);
    // The translation walks again.
    sc_time lat;
    xlate(SID, 0x1000, false, &lat);
    EXPECT_EQ(lat, HIT + 4 * READ);
  });
}

TEST_F(vtd_test, wait_descriptor_fences_device_tlb_invalidation) {
  run_thread([&] {
    enable();
    enable_qi();
    std::vector<std::pair<uint16_t, std::pair<uint64_t, uint64_t>>> dtlb;
    vtd->set_device_tlb_sink([&](uint16_t sid, uint64_t a, uint64_t s) { dtlb.push_back({sid, {a, s}}); });
    // Device-TLB invalidation of 16 KiB at 0x40000 (S = 1, ADDR bit 12 set, bit 13 clear).
    put_desc(0, QI_DIOTLB_TYPE | (uint64_t{SID_ATS} << QI_DIOTLB_SID_SHIFT), 0x41000 | QI_DIOTLB_HI_S);
    put_desc(1, wait_desc(1), STATUS);
    put_desc(2, wait_desc(2), STATUS + 4);
    wr(IQT_REG, 3 << IQ_INDEX_SHIFT, 8);
    sc_core::wait(READ + sc_time(1, SC_NS));   // the first descriptor is fetched and forwarded
    ASSERT_EQ(dtlb.size(), 1u);
    EXPECT_EQ(dtlb[0].first, SID_ATS);
    EXPECT_EQ(dtlb[0].second.first, 0x40000u);
    EXPECT_EQ(dtlb[0].second.second, 0x4000u);
    // Completion 2 us after the fetch; the second wait is fetched only after the first.
    sc_core::wait(sc_time(1998, SC_NS));   // completion at fetch + 2 us
    EXPECT_EQ(mem.read32(STATUS), 0u);
    sc_core::wait(sc_time(2, SC_NS));
    EXPECT_EQ(mem.read32(STATUS), 1u);
    EXPECT_EQ(mem.read32(STATUS + 4), 0u);
    sc_core::wait(READ);
    EXPECT_EQ(mem.read32(STATUS + 4), 2u);
  });
}

TEST_F(vtd_test, context_cache_invalidation) {
  run_thread([&] {
    enable();
    enable_qi();
    EXPECT_EQ(xlate(SID, 0x1000, false).domain, DOMAIN);
    context_entry c = tb.get_context(ROOT, SID);
    c.domain = 77;
    tb.set_context(ROOT, SID, c);
    EXPECT_EQ(xlate(SID, 0x1000, false).domain, DOMAIN);   // cached context
    // Device-selective with FM 0 on SID_B leaves SID cached.
    put_desc(0, QI_CC_TYPE | (uint64_t{CC_DEVICE} << QI_GRAN_SHIFT) | (uint64_t{SID_B} << QI_CC_SID_SHIFT), 0);
    put_desc(1, QI_CC_TYPE | (uint64_t{CC_DEVICE} << QI_GRAN_SHIFT) | (uint64_t{SID} << QI_CC_SID_SHIFT), 0);
    put_desc(2, wait_desc(7), STATUS);
    wr(IQT_REG, 1 << IQ_INDEX_SHIFT, 8);
    sc_core::wait(sc_time(1, sc_core::SC_US));
    EXPECT_EQ(xlate(SID, 0x1000, false).domain, DOMAIN);
    wr(IQT_REG, 3 << IQ_INDEX_SHIFT, 8);
    sc_core::wait(sc_time(1, sc_core::SC_US));
    EXPECT_EQ(mem.read32(STATUS), 7u);
    EXPECT_EQ(xlate(SID, 0x1000, false).domain, 77);
  });
}

TEST_F(vtd_test, invalid_descriptor_sets_iqe) {
  run_thread([&] {
    enable();
    enable_qi();
    wr(FECTL_REG, 0);
    put_desc(0, wait_desc(1), STATUS);
    put_desc(1, 0x0 /* type 0: invalid */, 0);
    put_desc(2, wait_desc(3), STATUS + 8);
    wr(IQT_REG, 3 << IQ_INDEX_SHIFT, 8);
    sc_core::wait(sc_time(1, sc_core::SC_US));
    EXPECT_EQ(mem.read32(STATUS), 1u);
    EXPECT_EQ(rd(FSTS_REG) & FSTS_IQE, FSTS_IQE);
    EXPECT_EQ(rd(IQH_REG, 8), 1u << IQ_INDEX_SHIFT);   // stopped at the bad one
    EXPECT_EQ(irqs.size(), 1u);
    EXPECT_EQ(mem.read32(STATUS + 8), 0u);
    // Software repairs the descriptor and clears IQE: the queue resumes.
    put_desc(1, wait_desc(2), STATUS + 4);
    wr(FSTS_REG, FSTS_IQE);
    sc_core::wait(sc_time(1, sc_core::SC_US));
    EXPECT_EQ(mem.read32(STATUS + 4), 2u);
    EXPECT_EQ(mem.read32(STATUS + 8), 3u);
    EXPECT_EQ(rd(IQH_REG, 8), 3u << IQ_INDEX_SHIFT);
  });
}

// Software points the unit at memory that is not there (found by fuzz_mmio: DRAM
// reported a SystemC error and the run stopped). Tables that cannot be read are faults
// with VT-d's reasons 8 and 9 (3 for the second-level root, as QEMU); a descriptor that
// cannot be fetched, or a wait status that cannot be written, is an invalidation queue
// error. The unit keeps working.
TEST_F(vtd_test, tables_and_queues_beyond_memory_are_faults_and_queue_errors) {
  mem.size = 0x10000000;  // 256 MiB
  run_thread([&] {
    enable();
    context_entry c;
    c.present = true;
    c.aw = CTX_AW_48BIT;
    c.domain = DOMAIN;
    c.slptptr = 0x20000000;  // beyond memory, below the host address width
    tb.set_context(ROOT, 0x0500, c);
    root_entry far{true, 0x30000000};
    tb.set_root_entry(ROOT, 6, far);
    EXPECT_EQ(xlate(0x0500, 0x1000, false).fault, fault_reason::invalid_context);
    EXPECT_EQ(xlate(0x0600, 0x1000, true).fault, fault_reason::context_table_invalid);
    EXPECT_EQ(frcd_hi(1), FRCD_HI_F | (uint64_t{9} << 32) | 0x0600);
    wr(RTADDR_REG, 0x40000000, 8);
    wr(GCMD_REG, GCMD_SRTP | GCMD_TE);
    EXPECT_EQ(xlate(SID, 0x1000, false).fault, fault_reason::root_table_invalid);
    EXPECT_EQ(frcd_hi(2), FRCD_HI_F | FRCD_HI_T | (uint64_t{8} << 32) | SID);
    bool logged = false;
    for (const std::string& l : kit::sim_env::current().log_lines())
      logged |= l.find("[fault reason 0x08] Root table address invalid") != std::string::npos;
    EXPECT_TRUE(logged);

    enable_qi();
    put_desc(0, wait_desc(1), 0x50000000);  // status write beyond memory
    wr(IQT_REG, 1 << IQ_INDEX_SHIFT, 8);
    sc_core::wait(sc_time(1, sc_core::SC_US));
    EXPECT_EQ(rd(FSTS_REG) & FSTS_IQE, FSTS_IQE);
    EXPECT_EQ(rd(IQH_REG, 8), 0u);
    put_desc(0, wait_desc(1), STATUS);
    wr(FSTS_REG, FSTS_IQE);
    sc_core::wait(sc_time(1, sc_core::SC_US));
    EXPECT_EQ(mem.read32(STATUS), 1u);
    // The queue itself beyond memory: the first fetch fails.
    wr(GCMD_REG, rd(GSTS_REG) & ~(GSTS_RTPS | GSTS_QIES));
    wr(IQT_REG, 0, 8);
    wr(IQA_REG, 0xfffff000, 8);
    wr(GCMD_REG, (rd(GSTS_REG) & ~GSTS_RTPS) | GCMD_QIE);
    wr(IQT_REG, 1 << IQ_INDEX_SHIFT, 8);
    sc_core::wait(sc_time(1, sc_core::SC_US));
    EXPECT_EQ(rd(FSTS_REG) & FSTS_IQE, FSTS_IQE);
    EXPECT_EQ(rd(IQH_REG, 8), 0u);
  });
}

TEST_F(vtd_test, wait_descriptor_interrupt) {
  run_thread([&] {
    enable();
    enable_qi();
    wr(IEDATA_REG, 0x55);
    wr(IEADDR_REG, 0xfee02000);
    wr(IECTL_REG, 0);
    put_desc(0, QI_IWD_TYPE | QI_IWD_IF, 0);
    wr(IQT_REG, 1 << IQ_INDEX_SHIFT, 8);
    sc_core::wait(sc_time(1, sc_core::SC_US));
    EXPECT_EQ(rd(ICS_REG), ICS_IWC);
    ASSERT_EQ(irqs.size(), 1u);
    EXPECT_EQ(irqs[0].address, 0xfee02000u);
    EXPECT_EQ(irqs[0].data, 0x55u);
    wr(ICS_REG, ICS_IWC);
    EXPECT_EQ(rd(ICS_REG), 0u);
  });
}

TEST_F(vtd_test, register_based_invalidation) {
  run_thread([&] {
    enable();
    xlate(SID, 0x1000, false);
    xlate(SID, 0x200000, false);
    EXPECT_EQ(vtd->tlb().occupancy(), 2u);
    // Page-selective through IVA_REG + IOTLB_REG.
    wr(IVA_REG, 0x200000 | 9, 8);
    wr(IOTLB_REG, IOTLB_IVT | (uint64_t{IOTLB_PAGE} << IOTLB_IIRG_SHIFT) | (uint64_t{DOMAIN} << IOTLB_DID_SHIFT), 8);
    const uint64_t done = rd(IOTLB_REG, 8);
    EXPECT_EQ(done & IOTLB_IVT, 0u);
    EXPECT_EQ((done >> IOTLB_IAIG_SHIFT) & 3, uint64_t{IOTLB_PAGE});
    EXPECT_EQ(vtd->tlb().occupancy(), 1u);
    wr(IOTLB_REG, IOTLB_IVT | (uint64_t{IOTLB_GLOBAL} << IOTLB_IIRG_SHIFT), 8);
    EXPECT_EQ(vtd->tlb().occupancy(), 0u);
    // Context cache, global.
    EXPECT_EQ(vtd->context_cache_entries(), 1u);
    wr(CCMD_REG, CCMD_ICC | (uint64_t{CC_GLOBAL} << CCMD_CIRG_SHIFT), 8);
    const uint64_t ccmd = rd(CCMD_REG, 8);
    EXPECT_EQ(ccmd & CCMD_ICC, 0u);
    EXPECT_EQ((ccmd >> CCMD_CAIG_SHIFT) & 3, uint64_t{CC_GLOBAL});
    EXPECT_EQ(vtd->context_cache_entries(), 0u);
  });
}

TEST_F(vtd_test, ats_translation_requests) {
  run_thread([&] {
    enable();
    sc_time lat = sc_core::SC_ZERO_TIME;
    translation t = vtd->translate_ats(SID_ATS, 0x2000, lat);   // read-only page
    EXPECT_EQ(t.fault, fault_reason::none);
    EXPECT_TRUE(t.read);
    EXPECT_FALSE(t.write);
    EXPECT_EQ(t.hpa, 0x20001000u);
    EXPECT_EQ(lat, HIT + 6 * READ);
    lat = sc_core::SC_ZERO_TIME;
    t = vtd->translate_ats(SID_ATS, 0x7000, lat);               // not present
    EXPECT_EQ(t.fault, fault_reason::none);
    EXPECT_FALSE(t.read || t.write);
    EXPECT_EQ(rd(FSTS_REG), 0u);                                  // nothing recorded
    // A context without device-TLB support refuses translation requests.
    lat = sc_core::SC_ZERO_TIME;
    EXPECT_EQ(vtd->translate_ats(SID, 0x1000, lat).fault, fault_reason::invalid_context);
    EXPECT_EQ(frcd_hi(0), FRCD_HI_F | FRCD_HI_T | (uint64_t{3} << 32) | SID);
    EXPECT_EQ(vtd->stats_by_requester().at(SID_ATS).ats_requests, 2u);
  });
}

// Paging-structure caches: an IOTLB miss starts its walk at the deepest cached table;
// invalidations drop the entries covering their range unless IH says leaf-only.
TEST_F(vtd_test, paging_structure_caches_shorten_walks) {
  run_thread([&] {
    enable();
    enable_qi();
    vtd->configure_pwc(8);
    sc_time lat;
    xlate(SID, 0x1000, false, &lat);
    EXPECT_EQ(lat, HIT + 6 * READ);   // root, context, 4 PTEs; caches PML4E, PDPE, PDE
    // Another 4 KiB page under the same PDE: one PTE read.
    tb.map(slpt, 0x5000, 0x20005000, PAGE_4K, true, true);
    xlate(SID, 0x5000, false, &lat);
    EXPECT_EQ(lat, HIT + 1 * READ);
    // A 2 MiB page in the same 1 GiB region: the PDPE entry leaves the level-2 read.
    xlate(SID, 0x200000, false, &lat);
    EXPECT_EQ(lat, HIT + 1 * READ);
    // Page-selective invalidation with IH = 1 keeps the non-leaf entries ...
    tb.map(slpt, 0x6000, 0x20006000, PAGE_4K, true, true);
    put_desc(0, QI_IOTLB_TYPE | (uint64_t{IOTLB_PAGE} << QI_GRAN_SHIFT) | (uint64_t{DOMAIN} << QI_DID_SHIFT),
             0x5000 | QI_IOTLB_HI_IH);
    put_desc(1, wait_desc(1), STATUS);
    wr(IQT_REG, 2 << IQ_INDEX_SHIFT, 8);
    sc_core::wait(sc_time(1, sc_core::SC_US));
    ASSERT_EQ(mem.read32(STATUS), 1u);
    xlate(SID, 0x6000, false, &lat);
    EXPECT_EQ(lat, HIT + 1 * READ);
    // ... without it they go, and the next miss walks from the root again (the
    // context stays cached: 4 PTE reads).
    put_desc(2, QI_IOTLB_TYPE | (uint64_t{IOTLB_PAGE} << QI_GRAN_SHIFT) | (uint64_t{DOMAIN} << QI_DID_SHIFT),
             0x5000);
    put_desc(3, wait_desc(2), STATUS);
    wr(IQT_REG, 4 << IQ_INDEX_SHIFT, 8);
    sc_core::wait(sc_time(1, sc_core::SC_US));
    ASSERT_EQ(mem.read32(STATUS), 2u);
    tb.map(slpt, 0x7000, 0x20007000, PAGE_4K, true, true);
    xlate(SID, 0x7000, false, &lat);
    EXPECT_EQ(lat, HIT + 4 * READ);
    const walk_cache_stats& ps = vtd->paging_structure_cache().stats();
    EXPECT_EQ(ps.hits, 3u);
    EXPECT_EQ(ps.hits_to_level[1], 2u);   // PDE hits
    EXPECT_EQ(ps.hits_to_level[2], 1u);   // PDPE hit
    EXPECT_EQ(ps.misses, 2u);
    EXPECT_GE(ps.invalidated, 3u);
  });
}

}  // namespace
}  // namespace iovsim::test_vtd
