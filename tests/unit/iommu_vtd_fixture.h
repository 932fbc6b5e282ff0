// The VT-d unit's test bench: a TLM initiator for its registers, tables and queues
// in sparse memory, interrupts into a sink (iommu_vtd_test.cpp, iommu_vtd_prq_test.cpp).
#pragma once

#include <gtest/gtest.h>
#include <tlm_utils/simple_initiator_socket.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "models/iommu/vtd.h"
#include "models/kit/sim_env.h"
#include "tests/unit/iommu_test_util.h"
#include "tests/unit/sc_fixture.h"

namespace iovsim::test_vtd {

using namespace iommu;
using sc_core::SC_NS;
using sc_core::sc_time;

inline constexpr uint16_t SID = 0x0381;      // 03:10.1
inline constexpr uint16_t SID_B = 0x0382;    // 03:10.2, same domain
inline constexpr uint16_t SID_PT = 0x0390;   // 03:12.0, pass-through
inline constexpr uint16_t SID_ATS = 0x0391;  // 03:12.1, TT = device-TLB
inline constexpr uint16_t DOMAIN = 5;
inline constexpr uint64_t ROOT = 0x100000, IQ_BASE = 0x80000, STATUS = 0x90000;
inline const sc_time HIT(4, SC_NS), READ(90, SC_NS), INVAL(100, SC_NS);

struct mmio_master : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<mmio_master> socket{"socket"};
  explicit mmio_master(sc_core::sc_module_name n) : sc_module(n) {}
  uint64_t access(bool write, uint32_t offset, unsigned len, uint64_t value) {
    tlm::tlm_generic_payload t;
    sc_time delay = sc_core::SC_ZERO_TIME;
    t.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
    t.set_address(offset);
    t.set_data_ptr(reinterpret_cast<unsigned char*>(&value));
    t.set_data_length(len);
    t.set_streaming_width(len);
    socket->b_transport(t, delay);
    EXPECT_EQ(t.get_response_status(), tlm::TLM_OK_RESPONSE);
    return value;
  }
};

struct irq {
  uint64_t address;
  uint32_t data;
};

class vtd_test : public test::sc_fixture {
 protected:
  void SetUp() override {
    sc_fixture::SetUp();
    build();
  }
  void build() {
    vtd = std::make_unique<vtd_unit>("dmar0", mem);
    cpu = std::make_unique<mmio_master>("cpu");
    cpu->socket.bind(vtd->regs);
    vtd->set_interrupt_sink([this](uint64_t a, uint32_t d) { irqs.push_back({a, d}); });
    tb.new_table();  // page 0x100000: the root table
    slpt = tb.new_table();
    context_entry c;
    c.present = true;
    c.slptptr = slpt;
    c.aw = CTX_AW_48BIT;
    c.domain = DOMAIN;
    tb.set_context(ROOT, SID, c);
    tb.set_context(ROOT, SID_B, c);
    c.tt = static_cast<unsigned>(translation_type::with_device_tlb);
    tb.set_context(ROOT, SID_ATS, c);
    c.tt = static_cast<unsigned>(translation_type::pass_through);
    c.domain = 9;
    tb.set_context(ROOT, SID_PT, c);
    tb.map(slpt, 0x1000, 0x20000000, PAGE_4K, true, true);
    tb.map(slpt, 0x2000, 0x20001000, PAGE_4K, true, false);  // read-only
    tb.map(slpt, 0x200000, 0x40000000, PAGE_2M, true, true);
  }
  uint64_t rd(uint32_t off, unsigned len = 4) { return cpu->access(false, off, len, 0); }
  void wr(uint32_t off, uint64_t v, unsigned len = 4) { cpu->access(true, off, len, v); }
  // The Linux sequence: RTADDR, SRTP + wait RTPS, then TE + wait TES.
  void enable(bool translation = true) {
    wr(RTADDR_REG, ROOT, 8);
    wr(GCMD_REG, GCMD_SRTP);
    ASSERT_TRUE(rd(GSTS_REG) & GSTS_RTPS);
    if (translation) {
      wr(GCMD_REG, GCMD_TE);
      ASSERT_TRUE(rd(GSTS_REG) & GSTS_TES);
    }
  }
  void enable_qi() {
    wr(IQT_REG, 0, 8);
    wr(IQA_REG, IQ_BASE, 8);  // QS 0: 256 descriptors
    // The spec's recipe: current status without the one-shot bits, plus the command.
    wr(GCMD_REG, (rd(GSTS_REG) & ~GSTS_RTPS) | GCMD_QIE);
    ASSERT_TRUE(rd(GSTS_REG) & GSTS_QIES);
  }
  void put_desc(unsigned index, uint64_t lo, uint64_t hi) {
    mem.write64(IQ_BASE + index * IQ_DESCRIPTOR_BYTES, lo);
    mem.write64(IQ_BASE + index * IQ_DESCRIPTOR_BYTES + 8, hi);
  }
  static uint64_t wait_desc(uint32_t data) {
    return QI_IWD_TYPE | QI_IWD_SW | QI_IWD_FN | (uint64_t{data} << QI_IWD_DATA_SHIFT);
  }
  // A DMA engine's translation: it waits for the answer before the next one.
  translation xlate(uint16_t sid, uint64_t iova, bool write, sc_time* lat = nullptr) {
    sc_time l = sc_core::SC_ZERO_TIME;
    translation t = vtd->translate(sid, iova, write, l);
    if (lat) *lat = l;
    if (sc_core::sc_is_running()) sc_core::wait(l);
    return t;
  }
  uint64_t frcd_hi(unsigned i) { return rd(FRCD_REG_OFFSET + i * FRCD_REG_BYTES + 8, 8); }
  uint64_t frcd_lo(unsigned i) { return rd(FRCD_REG_OFFSET + i * FRCD_REG_BYTES, 8); }

  test::sparse_mem mem;
  test::bump_allocator alloc{ROOT};
  table_builder tb{mem, [this] { return alloc(); }};
  uint64_t slpt = 0;
  std::unique_ptr<vtd_unit> vtd;
  std::unique_ptr<mmio_master> cpu;
  std::vector<irq> irqs;
};

}  // namespace iovsim::test_vtd
