// The VT-d unit's page request queue (PRI): descriptors written one at a time into
// the queue software set up, the page request event, answers through the invalidation
// queue, and a queue missing or beyond memory answered with Response Failure.
#include "tests/unit/iommu_vtd_fixture.h"

namespace iovsim::test_vtd {
namespace {

// PRI: the unit writes each page request into the queue software set up (PQA_REG),
// one descriptor per iommu.prq_write_latency, moves PQT and signals once through
// PRS.PPR and the page request event; software answers groups through the
// invalidation queue and the PRG Responses leave through the page-response sink.
TEST_F(vtd_test, page_requests_go_to_the_queue_and_responses_come_back_through_qi) {
  constexpr uint64_t PRQ = 0xa0000;
  const sc_time WRITE(90, SC_NS);  // iommu.prq_write_latency
  struct answer {
    uint16_t sid, group;
    bool ok;
    bool operator==(const answer& o) const { return sid == o.sid && group == o.group && ok == o.ok; }
  };
  std::vector<answer> answers;
  vtd->set_page_response_sink([&](uint16_t sid, uint16_t g, bool ok) { answers.push_back({sid, g, ok}); });
  run_thread([&] {
    EXPECT_TRUE(rd(ECAP_REG, 8) & ECAP_PRS);
    EXPECT_EQ(rd(PECTL_REG), PECTL_IM);  // reset: masked
    // intel_iommu_enable_prq()'s order; PQS 0: one page, 128 descriptors. The event
    // stays masked for now.
    wr(PQH_REG, 0, 8);
    wr(PQT_REG, 0, 8);
    wr(PQA_REG, PRQ, 8);
    wr(PEDATA_REG, 0x66);
    wr(PEADDR_REG, 0xfee03000);
    vtd->page_request(SID_ATS, 0x7123, true, 3, false);  // two pages of group 3
    vtd->page_request(SID_ATS, 0x8000, false, 3, true);
    sc_core::wait(WRITE + sc_time(1, SC_NS));
    EXPECT_EQ(rd(PQT_REG, 8), 32u);  // one at a time
    sc_core::wait(WRITE);
    EXPECT_EQ(rd(PQT_REG, 8), 64u);
    // Type 1, RID [31:16]; W, group [11:3], page; no private data. Then R and LPIG.
    EXPECT_EQ(mem.read64(PRQ), 0x03910001u);
    EXPECT_EQ(mem.read64(PRQ + 8), 0x7000u | (3u << 3) | PRD_HI_WRITE);
    EXPECT_EQ(mem.read64(PRQ + 16), 0u);
    EXPECT_EQ(mem.read64(PRQ + 24), 0u);
    EXPECT_EQ(mem.read64(PRQ + 32), 0x03910001u);
    EXPECT_EQ(mem.read64(PRQ + 40), 0x801du);  // 0x8000 | group 3 | LPIG | R
    EXPECT_EQ(rd(PRS_REG), PRS_PPR);
    EXPECT_EQ(rd(PECTL_REG), PECTL_IM | PECTL_IP);  // held while masked
    EXPECT_TRUE(irqs.empty());
    EXPECT_EQ(vtd->pending_page_requests(), 2u);
    EXPECT_EQ(vtd->prq_descriptors_written(), 2u);
    // Unmasking sends it, with PEADDR / PEDATA.
    wr(PECTL_REG, 0);
    ASSERT_EQ(irqs.size(), 1u);
    EXPECT_EQ(irqs[0].address, 0xfee03000u);
    EXPECT_EQ(irqs[0].data, 0x66u);
    EXPECT_EQ(rd(PECTL_REG), 0u);
    // PPR still set: no new event. Software clears it; the next request signals again.
    vtd->page_request(SID_ATS, 0x9000, true, 4, true);
    sc_core::wait(sc_time(1, sc_core::SC_US));
    EXPECT_EQ(rd(PQT_REG, 8), 96u);
    EXPECT_EQ(irqs.size(), 1u);
    wr(PRS_REG, PRS_PPR);
    EXPECT_EQ(rd(PRS_REG), 0u);
    vtd->page_request(SID_ATS, 0xa000, true, 5, true);
    sc_core::wait(sc_time(1, sc_core::SC_US));
    EXPECT_EQ(irqs.size(), 2u);
    EXPECT_EQ(rd(PRS_REG), PRS_PPR);
    // Masked again, the next event is held in IP; software servicing PPR drops it.
    wr(PECTL_REG, PECTL_IM);
    wr(PRS_REG, PRS_PPR);
    vtd->page_request(SID_ATS, 0xb000, true, 6, true);
    sc_core::wait(sc_time(1, sc_core::SC_US));
    EXPECT_EQ(rd(PECTL_REG), PECTL_IM | PECTL_IP);
    wr(PRS_REG, PRS_PPR);
    EXPECT_EQ(rd(PECTL_REG), PECTL_IM);
    wr(PECTL_REG, 0);
    EXPECT_EQ(irqs.size(), 2u);
    // Software consumed everything and answers groups 3 (Success) and 4 (Invalid
    // Request) with Page Group Response descriptors (QI_PGRP_*), then a wait.
    wr(PQH_REG, rd(PQT_REG, 8), 8);
    EXPECT_TRUE(answers.empty());
    enable_qi();
    put_desc(0, QI_PGRP_RESP_TYPE | (uint64_t{SID_ATS} << 16) | (uint64_t{QI_RESP_SUCCESS} << 12),
             QI_PGRP_HI_LPIG | (3u << 3));
    put_desc(1, QI_PGRP_RESP_TYPE | (uint64_t{SID_ATS} << 16) | (uint64_t{QI_RESP_INVALID} << 12),
             QI_PGRP_HI_LPIG | (4u << 3));
    put_desc(2, wait_desc(1), STATUS);
    wr(IQT_REG, 3 << IQ_INDEX_SHIFT, 8);
    sc_core::wait(sc_time(1, sc_core::SC_US));
    ASSERT_EQ(mem.read32(STATUS), 1u);
    EXPECT_EQ(answers, (std::vector<answer>{{SID_ATS, 3, true}, {SID_ATS, 4, false}}));
    EXPECT_EQ(vtd->pending_page_requests(), 2u);  // groups 5 and 6
    // A response to a group with nothing queued still goes out (the function reports
    // UPRGI); a PASID (this unit has none) or a reserved bit is a queue error.
    put_desc(3, QI_PGRP_RESP_TYPE | (uint64_t{SID_ATS} << 16), 9u << 3);
    put_desc(4, QI_PGRP_RESP_TYPE | QI_PGRP_PASID_P | (uint64_t{SID_ATS} << 16), 5u << 3);
    wr(IQT_REG, 5 << IQ_INDEX_SHIFT, 8);
    sc_core::wait(sc_time(1, sc_core::SC_US));
    EXPECT_EQ(answers.size(), 3u);
    EXPECT_EQ(answers.back(), (answer{SID_ATS, 9, true}));
    EXPECT_EQ(rd(FSTS_REG) & FSTS_IQE, FSTS_IQE);
    EXPECT_EQ(rd(IQH_REG, 8), 4u << IQ_INDEX_SHIFT);
  });
  EXPECT_EQ(vtd->stats_by_requester().at(SID_ATS).page_requests, 5u);
  EXPECT_EQ(vtd->prq_descriptors_written(), 5u);
  EXPECT_EQ(vtd->prq_overflows(), 0u);
}

// Without a queue (PQA_REG at reset) a request has nowhere to go: the unit answers the
// group with Response Failure and writes nothing.
TEST_F(vtd_test, page_requests_without_a_queue_are_answered_with_response_failure) {
  std::vector<std::pair<uint16_t, bool>> answers;
  vtd->set_page_response_sink([&](uint16_t, uint16_t g, bool ok) { answers.emplace_back(g, ok); });
  run_thread([&] {
    wr(PECTL_REG, 0);
    vtd->page_request(SID_ATS, 0x7000, true, 2, false);  // not the last: no answer
    vtd->page_request(SID_ATS, 0x8000, true, 2, true);
    sc_core::wait(sc_time(1, sc_core::SC_US));
    EXPECT_EQ(answers, (std::vector<std::pair<uint16_t, bool>>{{2, false}}));
    EXPECT_EQ(rd(PQT_REG, 8), 0u);
    EXPECT_EQ(rd(PRS_REG), 0u);
    EXPECT_TRUE(irqs.empty());
    EXPECT_EQ(mem.read64(0), 0u);
  });
  EXPECT_EQ(vtd->prq_descriptors_written(), 0u);
  EXPECT_EQ(vtd->stats_by_requester().at(SID_ATS).page_requests, 2u);
}

// A queue software placed beyond memory (found by fuzz_mmio): the descriptor write
// fails, the group is answered Response Failure as if there were no queue, PQT stays,
// and the unit goes on to the next request, which a queue in memory takes.
TEST_F(vtd_test, a_page_request_queue_beyond_memory_answers_response_failure) {
  mem.size = 0x10000000;  // 256 MiB
  std::vector<std::pair<uint16_t, bool>> answers;
  vtd->set_page_response_sink([&](uint16_t, uint16_t g, bool ok) { answers.emplace_back(g, ok); });
  run_thread([&] {
    wr(PQA_REG, 0x20000000, 8);
    vtd->page_request(SID_ATS, 0x7000, true, 2, true);
    sc_core::wait(sc_time(1, sc_core::SC_US));
    EXPECT_EQ(answers, (std::vector<std::pair<uint16_t, bool>>{{2, false}}));
    EXPECT_EQ(rd(PQT_REG, 8), 0u);
    EXPECT_EQ(rd(PRS_REG), 0u);
    bool logged = false;
    for (const std::string& l : kit::sim_env::current().log_lines())
      logged |=
          l.find("group 2: queue slot 0x20000000 is beyond memory, answered Response Failure") != std::string::npos;
    EXPECT_TRUE(logged);
    wr(PQA_REG, 0xa0000, 8);
    vtd->page_request(SID_ATS, 0x8000, true, 3, true);
    sc_core::wait(sc_time(1, sc_core::SC_US));
    EXPECT_EQ(rd(PQT_REG, 8), 32u);
    EXPECT_EQ(mem.read64(0xa0008), 0x801eu);  // W, LPIG, group 3
  });
  EXPECT_EQ(vtd->prq_descriptors_written(), 1u);
}

TEST_F(vtd_test, prq_write_latency_is_a_parameter) {
  EXPECT_EQ(env->params().declared().at(std::string(vtd->name()) + ".prq_write_latency").kind_name,
            "iommu.prq_write_latency");
  env->params().set_override("iommu.prq_write_latency", "1us");
  test::sparse_mem slow_mem;
  vtd_unit slow("dmar1", slow_mem);
  mmio_master slow_cpu("slow_cpu");
  slow_cpu.socket.bind(slow.regs);
  run_thread([&] {
    slow_cpu.access(true, PQA_REG, 8, 0xa0000);
    slow.page_request(SID_ATS, 0x7000, true, 1, true);
    sc_core::wait(sc_time(999, SC_NS));
    EXPECT_EQ(slow_cpu.access(false, PQT_REG, 8, 0), 0u);
    sc_core::wait(sc_time(2, SC_NS));
    EXPECT_EQ(slow_cpu.access(false, PQT_REG, 8, 0), 32u);
    EXPECT_EQ(slow_mem.read64(0xa0008), 0x700eu);  // W, LPIG, group 1
  });
}

}  // namespace
}  // namespace iovsim::test_vtd
