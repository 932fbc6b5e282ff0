// PRI end to end through the platform: page requests from the DMA test device's
// translation misses, VT-d's page request queue, host responses made good or failed,
// resets while waiting and a full queue (ATS: ats_pri_test.cpp).
#include "tests/unit/ats_pri_fixture.h"

namespace iovsim::test_ats {
namespace {

// The host side is played by the test, as a driver would: it sets up the page request
// queue (intel_iommu_enable_prq()'s register writes), takes the event MSI, reads the
// descriptors from memory (prq_event_thread()) and answers with Page Group Response
// descriptors through the invalidation queue.
class pri_host : public ats_pri {
 protected:
  static constexpr uint64_t PRQ = 0x2100000;  // one page (PQS 0): 128 descriptors
  static constexpr uint32_t PRQ_MSI_ADDR = 0xfee00000, PRQ_MSI_DATA = 0x25;

  void SetUp() override {
    ats_pri::SetUp();
    prq_event = std::make_unique<sc_core::sc_event>("prq_event");  // in this test's SystemC context
    m->set_msi_handler([this](uint64_t addr, uint32_t data) {
      msis.push_back({addr, data});
      prq_event->notify(sc_core::SC_ZERO_TIME);
    });
  }
  void TearDown() override {
    prq_event.reset();
    ats_pri::TearDown();
  }
  void enable_prq() {
    set_vtd(PQH_REG, 8, 0);
    set_vtd(PQT_REG, 8, 0);
    set_vtd(PQA_REG, 8, PRQ);
    set_vtd(PEDATA_REG, 4, PRQ_MSI_DATA);
    set_vtd(PEADDR_REG, 4, PRQ_MSI_ADDR);
    set_vtd(PEUADDR_REG, 4, 0);
    set_vtd(PECTL_REG, 4, 0);
  }
  // Waits for a page request event not seen yet, then: PPR cleared, every descriptor
  // from PQH to PQT decoded, PQH moved to PQT.
  std::vector<page_request> take_requests() {
    while (msis.size() == msis_taken) sc_core::wait(*prq_event);
    msis_taken = msis.size();
    prs_at_event = static_cast<uint32_t>(vtd(PRS_REG));
    set_vtd(PRS_REG, 4, PRS_PPR);
    const uint64_t tail = vtd(PQT_REG, 8);
    std::vector<page_request> out;
    for (uint64_t head = vtd(PQH_REG, 8); head != tail; head = (head + PRQ_DESCRIPTOR_BYTES) % PAGE_4K) {
      const uint64_t qw0 = m->dram().read64(PRQ + head), qw1 = m->dram().read64(PRQ + head + 8);
      page_request r;
      r.source_id = static_cast<uint16_t>(qw0 >> PRD_RID_SHIFT);
      r.iova = qw1 & PRD_HI_ADDR_MASK;
      r.write = (qw1 & PRD_HI_WRITE) != 0;
      r.group = static_cast<uint16_t>((qw1 >> PRD_HI_PRGI_SHIFT) & PRD_HI_PRGI_MASK);
      r.last_in_group = (qw1 & PRD_HI_LPIG) != 0;
      out.push_back(r);
    }
    set_vtd(PQH_REG, 8, tail);
    return out;
  }
  // The transfer may have ended while the response was polled for (read without an
  // MMIO access, which would take time in which it could end unseen).
  void wait_transfer_end() {
    while (dev->regs().get(dma_device::STATUS, 4) & dma_device::STATUS_BUSY) sc_core::wait(dev->transfer_end());
  }
  // A Page Group Response for DMA0's group, then a wait descriptor.
  void respond(uint16_t group, unsigned code) {
    invalidate(
        {{QI_PGRP_RESP_TYPE | (uint64_t{code} << QI_PGRP_RESP_CODE_SHIFT) | (uint64_t{DMA0} << QI_PGRP_RID_SHIFT),
          QI_PGRP_HI_LPIG | (uint64_t{group} << QI_PGRP_HI_IDX_SHIFT)}});
  }

  struct msi {
    uint64_t addr;
    uint32_t data;
  };
  std::vector<msi> msis;
  size_t msis_taken = 0;
  uint32_t prs_at_event = 0;
  std::unique_ptr<sc_core::sc_event> prq_event;
};

TEST_F(pri_host, page_requests_made_good_let_the_transfer_finish) {
  for (unsigned i = 0; i < 1024; ++i) dev->buffer()[i] = static_cast<uint8_t>(i ^ 0xa5);
  const uint64_t page4 = HOLE - PAGE_4K;  // not mapped either
  run_thread([&] {
    bring_up();
    enable_ats();
    enable_pri(32);
    enable_qi();
    enable_prq();
    transfer(IOVA, 0, 64, 0);  // page request group 0 goes to a transfer without faults
    // 1 KiB to host memory: half in page 4, half in page 5, neither present.
    start(0, HOLE - 512, 1024, dma_device::CONTROL_DIR_TO_HOST);
    std::vector<page_request> asked = take_requests();
    // The event: PEADDR / PEDATA, with PRS.PPR set; one descriptor behind PQT.
    ASSERT_EQ(msis.size(), 1u);
    EXPECT_EQ(msis[0].addr, PRQ_MSI_ADDR);
    EXPECT_EQ(msis[0].data, PRQ_MSI_DATA);
    EXPECT_EQ(prs_at_event, PRS_PPR);
    EXPECT_EQ(vtd(PQT_REG, 8), uint64_t{PRQ_DESCRIPTOR_BYTES});
    // Its bytes: type 1 and requester 01:00.0; page 4, group 1, LPIG, W; no private data.
    EXPECT_EQ(m->dram().read64(PRQ), 0x01000001u);
    EXPECT_EQ(m->dram().read64(PRQ + 8), page4 | (1u << 3) | PRD_HI_LPIG | PRD_HI_WRITE);
    EXPECT_EQ(m->dram().read64(PRQ + 16), 0u);
    EXPECT_EQ(m->dram().read64(PRQ + 24), 0u);
    ASSERT_EQ(asked.size(), 1u);
    EXPECT_EQ(asked[0].source_id, DMA0);
    EXPECT_EQ(asked[0].iova, page4);
    EXPECT_TRUE(asked[0].write);
    EXPECT_EQ(asked[0].group, 1u);
    EXPECT_TRUE(asked[0].last_in_group);
    EXPECT_EQ(m->iommu().pending_page_requests(), 1u);
    EXPECT_TRUE(reg(dma_device::STATUS, 4) & dma_device::STATUS_BUSY);  // waiting for the answer
    EXPECT_EQ(reg(dma_device::PAGE_REQS), 1u);
    // The host's fault handler: map the page, answer the group through the queue.
    tb->map(slpt, page4, HPA + 4 * PAGE_4K, PAGE_4K, true, true);
    respond(asked[0].group, QI_RESP_SUCCESS);
    asked = take_requests();  // the second half faults next, in the same group
    ASSERT_EQ(asked.size(), 1u);
    EXPECT_EQ(asked[0].iova, HOLE);
    EXPECT_EQ(asked[0].group, 1u);
    EXPECT_EQ(m->dram().read64(PRQ + 40), HOLE | (1u << 3) | PRD_HI_LPIG | PRD_HI_WRITE);
    EXPECT_EQ(msis.size(), 2u);  // PPR was cleared: a new event
    tb->map(slpt, HOLE, HPA + 5 * PAGE_4K, PAGE_4K, true, true);
    respond(asked[0].group, QI_RESP_SUCCESS);
    wait_transfer_end();
    EXPECT_EQ(reg(dma_device::STATUS, 4), dma_device::STATUS_DONE);
    EXPECT_EQ(m->iommu().pending_page_requests(), 0u);
    EXPECT_EQ(vtd(PRS_REG), 0u);
  });
  EXPECT_EQ(dev->page_requests(), 2u);
  EXPECT_EQ(dev->page_request_failures(), 0u);
  EXPECT_EQ(dev->translation_requests(), 5u);  // page 0, then pages 4 and 5 twice each
  std::vector<uint8_t> back(1024);
  m->dram().read(HPA + 5 * PAGE_4K - 512, back.data(), 1024);
  EXPECT_EQ(std::memcmp(back.data(), dev->buffer().data(), 1024), 0);
  EXPECT_EQ(dev->regs().get(dma_device::PAGE_REQS, 8), 2u);
  EXPECT_EQ(m->iommu().prq_descriptors_written(), 2u);
  EXPECT_EQ(m->iommu().stats_by_requester()[DMA0].page_requests, 2u);
}

TEST_F(pri_host, a_failed_page_request_ends_the_transfer_and_memory_stays_untouched) {
  run_thread([&] {
    bring_up();
    enable_ats();
    enable_pri(1);
    enable_qi();
    enable_prq();
    std::fill(dev->buffer().begin(), dev->buffer().end(), 0x77);
    start(0, HOLE, 256, dma_device::CONTROL_DIR_TO_HOST);
    const std::vector<page_request> asked = take_requests();
    ASSERT_EQ(asked.size(), 1u);
    respond(asked[0].group, QI_RESP_INVALID);
    wait_transfer_end();
    EXPECT_EQ(err_code(), dma_device::ERR_PAGE_REQUEST_FAILED);
    EXPECT_EQ(reg(dma_device::ERR_ADDR), HOLE);
    EXPECT_EQ(dev->page_request_failures(), 1u);
    EXPECT_EQ(dev->requests_issued(), 0u);
  });
  EXPECT_EQ(m->dram().read64(HPA + 5 * PAGE_4K), 0u);
}

TEST_F(pri_host, without_pri_a_denied_translation_ends_the_transfer) {
  run_thread([&] {
    bring_up();
    enable_ats();
    enable_prq();
    const sc_time took = transfer(0, HOLE, 256, dma_device::CONTROL_DIR_TO_HOST);
    EXPECT_EQ(err_code(), dma_device::ERR_ATS_DENIED);
    EXPECT_EQ(reg(dma_device::ERR_ADDR), HOLE);
    // The error is known when the completion is back: up and down the link at least.
    EXPECT_GE(took, 2 * m->links().at(0)->hop_latency());
    // Read-only pages deny writes the same way.
    tb->map(slpt, HOLE, HPA + 5 * PAGE_4K, PAGE_4K, true, false);
    transfer(0, HOLE, 256, dma_device::CONTROL_DIR_TO_HOST);
    EXPECT_EQ(err_code(), dma_device::ERR_ATS_DENIED);
    transfer(HOLE, 0, 256, 0);  // reads are allowed
    EXPECT_EQ(reg(dma_device::STATUS, 4), dma_device::STATUS_DONE);
    EXPECT_EQ(vtd(PQT_REG, 8), 0u);
  });
  EXPECT_TRUE(msis.empty());
  EXPECT_EQ(dev->page_requests(), 0u);
}

TEST_F(pri_host, a_reset_while_waiting_for_a_page_response_abandons_the_transfer) {
  run_thread([&] {
    bring_up();
    enable_ats();
    enable_pri(1);
    enable_qi();
    enable_prq();
    start(0, HOLE, 256, dma_device::CONTROL_DIR_TO_HOST);
    const std::vector<page_request> asked = take_requests();
    ASSERT_EQ(asked.size(), 1u);
    dev->reset();
    sc_core::wait(sc_time(1, sc_core::SC_US));
    EXPECT_EQ(dev->transfers() + dev->failed_transfers(), 0u);  // it never ends
    EXPECT_EQ(dev->regs().get(dma_device::STATUS, 4), 0u);
    // The answer arrives after the reset: the device forgot its bus, nobody takes it.
    respond(asked[0].group, QI_RESP_SUCCESS);
    // Probed again, the engine runs the next transfer (its thread is free).
    bring_up();
    enable_ats();
    transfer(IOVA, 0, 256, 0);
    EXPECT_EQ(reg(dma_device::STATUS, 4), dma_device::STATUS_DONE);
    EXPECT_EQ(dev->transfers(), 1u);
  });
}

// A full queue (PQT + 1 == PQH) takes nothing more: PRS.PRO goes on with an event, and
// the unit answers a group's last request itself with Success, so the device asks
// again; while PRO is set requests are dropped without an event, even with room.
TEST_F(pri_host, a_full_queue_sets_pro_and_the_unit_answers_the_group_itself) {
  constexpr uint16_t OTHER = 0x0200;  // no such device: the platform drops its answers
  constexpr uint64_t SLOTS = PAGE_4K / PRQ_DESCRIPTOR_BYTES;
  run_thread([&] {
    bring_up();
    enable_ats();
    enable_pri(1);
    enable_qi();
    enable_prq();
    for (uint16_t g = 0; g < SLOTS - 1; ++g) m->iommu().page_request(OTHER, 0x100000 + g * PAGE_4K, false, g, true);
    sc_core::wait(sc_time(20, sc_core::SC_US));
    EXPECT_EQ(vtd(PQT_REG, 8), (SLOTS - 1) * PRQ_DESCRIPTOR_BYTES);  // one slot always stays free
    EXPECT_EQ(vtd(PRS_REG), PRS_PPR);
    EXPECT_EQ(msis.size(), 1u);
    // No room: PRO, but no second event while PPR is still pending.
    m->iommu().page_request(OTHER, 0x200000, false, 150, true);
    sc_core::wait(sc_time(1, sc_core::SC_US));
    EXPECT_EQ(vtd(PRS_REG), PRS_PPR | PRS_PRO);
    EXPECT_EQ(msis.size(), 1u);
    EXPECT_EQ(m->iommu().prq_overflows(), 1u);
    set_vtd(PRS_REG, 4, PRS_PPR | PRS_PRO);  // seen and cleared, but not drained
    EXPECT_EQ(vtd(PRS_REG), 0u);
    // The device's request finds no room: nothing written, PRO and a new event, and
    // Success from the unit: the device translates again, is denied again, gives up.
    transfer(0, HOLE, 256, dma_device::CONTROL_DIR_TO_HOST);
    EXPECT_EQ(err_code(), dma_device::ERR_PAGE_REQUEST_FAILED);
    EXPECT_EQ(dev->page_requests(), 1u);
    EXPECT_EQ(dev->translation_requests(), 2u);
    EXPECT_EQ(vtd(PRS_REG), PRS_PRO);
    EXPECT_EQ(vtd(PQT_REG, 8), (SLOTS - 1) * PRQ_DESCRIPTOR_BYTES);
    ASSERT_EQ(msis.size(), 2u);
    EXPECT_EQ(msis[1].data, PRQ_MSI_DATA);
    EXPECT_EQ(m->iommu().prq_overflows(), 2u);
    EXPECT_EQ(m->iommu().pending_page_requests(), SLOTS - 1);  // the device's group was answered
    // Drained, but PRO still set: dropped, no event.
    set_vtd(PQH_REG, 8, vtd(PQT_REG, 8));
    m->iommu().page_request(OTHER, 0x300000, true, 200, true);
    sc_core::wait(sc_time(1, sc_core::SC_US));
    EXPECT_EQ(vtd(PQT_REG, 8), (SLOTS - 1) * PRQ_DESCRIPTOR_BYTES);
    EXPECT_EQ(msis.size(), 2u);
    EXPECT_EQ(m->iommu().prq_overflows(), 3u);
    // PRO cleared with the queue empty (as Linux does): requests land again, in the
    // last slot, and PQT wraps.
    set_vtd(PRS_REG, 4, PRS_PRO);
    EXPECT_EQ(vtd(PRS_REG), 0u);
    m->iommu().page_request(OTHER, 0x400000, true, 201, true);
    sc_core::wait(sc_time(1, sc_core::SC_US));
    EXPECT_EQ(vtd(PQT_REG, 8), 0u);
    EXPECT_EQ(m->dram().read64(PRQ + (SLOTS - 1) * PRQ_DESCRIPTOR_BYTES + 8),
              0x400000u | (201u << 3) | PRD_HI_LPIG | PRD_HI_WRITE);
    EXPECT_EQ(vtd(PRS_REG), PRS_PPR);
    EXPECT_EQ(msis.size(), 3u);
  });
  EXPECT_EQ(m->iommu().prq_descriptors_written(), SLOTS);
  EXPECT_EQ(m->iommu().stats_by_requester()[0x0200].page_requests, SLOTS + 2);
}

}  // namespace
}  // namespace iovsim::test_ats
