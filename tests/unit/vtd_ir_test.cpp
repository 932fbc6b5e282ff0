// The VT-d unit's interrupt remapping and posting (vtd_ir.cpp): remappable MSIs looked
// up in the IRT and delivered remapped, posted into a posted-interrupt descriptor with
// one notification until software clears ON, faults for a missing entry, a wrong
// requester, an index beyond the table and a blocked compatibility interrupt, the
// interrupt entry cache and its invalidation (QI type 4, SIRTP), and the DMA router
// handing device MSIs to the unit when they arrive.
#include <tlm_utils/simple_initiator_socket.h>

#include "models/kit/pcie_ext.h"
#include "models/memory/dram.h"
#include "platform/dma_router.h"
#include "tests/unit/iommu_vtd_fixture.h"

namespace iovsim::test_vtd {
namespace {

constexpr uint64_t IRT = 0x400000, PID = 0x500040;
constexpr unsigned IRT_S = 7;    // 2^(7+1) = 256 entries
const sc_time POST(180, SC_NS);  // iommu.posted_update_latency

class vtd_ir_test : public vtd_test {
 protected:
  // Linux's order: IRTA, SIRTP + wait IRTPS, global IEC flush (skipped: the cache is
  // empty), IRE + wait IRES.
  void enable_ir(bool cfi = false) {
    // GCMD takes the whole state each time: the persistent status bits, plus the command.
    const auto keep = static_cast<uint32_t>(rd(GSTS_REG) & (GSTS_TES | GSTS_QIES | GSTS_IRES | GSTS_CFIS));
    wr(IRTA_REG, IRT | IRT_S, 8);
    wr(GCMD_REG, keep | GCMD_SIRTP);
    ASSERT_TRUE(rd(GSTS_REG) & GSTS_IRTPS);
    wr(GCMD_REG, keep | GCMD_IRE | (cfi ? GCMD_CFI : 0));
    ASSERT_TRUE(rd(GSTS_REG) & GSTS_IRES);
  }
  // A remapped IRTE: xAPIC destination in bits 15:8 of the destination field; the
  // requester verified on all 16 bits.
  void remapped_irte(uint32_t index, uint8_t vector, uint8_t apic, uint16_t sid = SID) {
    mem.write64(IRT + index * IRTE_BYTES,
                IRTE_P | (uint64_t{vector} << IRTE_VECTOR_SHIFT) | (uint64_t{pi_ndst(apic)} << IRTE_DEST_SHIFT));
    mem.write64(IRT + index * IRTE_BYTES + 8, sid | (uint64_t{SVT_VERIFY_SID_SQ} << IRTE_HI_SVT_SHIFT));
  }
  void posted_irte(uint32_t index, uint8_t vector, uint64_t pid, bool urgent = false) {
    uint64_t lo = IRTE_P | IRTE_IM | (urgent ? IRTE_URG : 0) | (uint64_t{vector} << IRTE_VECTOR_SHIFT);
    uint64_t hi = SID | (uint64_t{SVT_VERIFY_SID_SQ} << IRTE_HI_SVT_SHIFT);
    irte_set_pda(lo, hi, pid);
    mem.write64(IRT + index * IRTE_BYTES, lo);
    mem.write64(IRT + index * IRTE_BYTES + 8, hi);
  }
  // The hypervisor's side of the descriptor: NV and NDST.
  void pid_setup(uint8_t nv, uint8_t apic) {
    for (unsigned i = 0; i < PID_BYTES; i += 8) mem.write64(PID + i, 0);
    mem.write64(PID + PID_CONTROL_OFFSET, (uint64_t{nv} << PID_NV_SHIFT) | (uint64_t{pi_ndst(apic)} << PID_NDST_SHIFT));
  }
  interrupt_result msi(uint16_t sid, uint64_t addr, uint32_t data = 0, sc_time* lat = nullptr) {
    sc_time l = sc_core::SC_ZERO_TIME;
    interrupt_result r = vtd->remap_interrupt(sid, addr, data, l);
    if (lat) *lat = l;
    return r;
  }
  static uint64_t handle_addr(uint32_t h) {
    return MSI_ADDR_BASE | ((h & 0x7fffull) << MSI_ADDR_HANDLE_SHIFT) | MSI_ADDR_IF_REMAP |
           ((h & 0x8000) ? MSI_ADDR_HANDLE_15 : 0);
  }
  bool pir(unsigned vector) { return (mem.read64(PID + (vector / 64) * 8) >> (vector % 64)) & 1; }
  uint64_t control() { return mem.read64(PID + PID_CONTROL_OFFSET); }
};

TEST_F(vtd_ir_test, capabilities_and_off_by_default) {
  EXPECT_TRUE(rd(ECAP_REG, 8) & ECAP_IR);
  EXPECT_FALSE(rd(ECAP_REG, 8) & ECAP_EIM);
  EXPECT_TRUE(rd(CAP_REG, 8) & CAP_PI);
  EXPECT_EQ(rd(ECAP_REG, 8), 0x2000504fu);
  EXPECT_EQ(rd(CAP_REG, 8), 0x812078c402f0606u);
  // IR off: remappable or not, the message passes as it came.
  const interrupt_result r = msi(SID, handle_addr(3), 7);
  EXPECT_TRUE(r.deliver);
  EXPECT_EQ(r.address, handle_addr(3));
  EXPECT_EQ(r.data, 7u);
}

TEST_F(vtd_ir_test, remapped_entry_delivers_a_compatibility_msi_and_is_cached) {
  run_thread([&] {
    enable_ir();
    remapped_irte(5, 0x41, 3);
    sc_time lat;
    interrupt_result r = msi(SID, handle_addr(5), 0, &lat);
    ASSERT_TRUE(r.deliver);
    EXPECT_FALSE(r.posted);
    EXPECT_EQ(r.address, 0xfee03000u);
    EXPECT_EQ(r.data, 0x41u);
    EXPECT_EQ(lat, HIT + READ);  // cache lookup, one IRTE read
    EXPECT_EQ(vtd->interrupt_entry_cache_entries(), 1u);
    sc_core::wait(lat);
    r = msi(SID, handle_addr(5), 0, &lat);
    EXPECT_EQ(r.data, 0x41u);
    EXPECT_EQ(lat, HIT);  // from the interrupt entry cache
    // SHV: the subhandle in data[15:0] is added to the handle (4 + 1 = 5).
    r = msi(SID, handle_addr(4) | MSI_ADDR_SHV, 1);
    EXPECT_EQ(r.address, 0xfee03000u);
    EXPECT_EQ(r.data, 0x41u);
    EXPECT_EQ(vtd->interrupts_remapped(), 3u);
    EXPECT_EQ(vtd->interrupt_faults(), 0u);
  });
}

TEST_F(vtd_ir_test, posted_entry_sets_pir_and_notifies_once_until_on_is_cleared) {
  run_thread([&] {
    enable_ir();
    pid_setup(0xf2, 2);
    posted_irte(6, 0x55, PID);
    posted_irte(7, 0x30, PID);
    sc_time lat;
    interrupt_result r = msi(SID, handle_addr(6), 0, &lat);
    EXPECT_TRUE(r.posted);
    ASSERT_TRUE(r.deliver);  // the notification event: NV to NDST
    EXPECT_EQ(r.address, 0xfee02000u);
    EXPECT_EQ(r.data, 0xf2u);
    EXPECT_EQ(lat, HIT + READ + POST);
    EXPECT_TRUE(pir(0x55));
    EXPECT_FALSE(pir(0x30));
    EXPECT_TRUE(control() & PID_ON);
    // A second posting while ON is set: PIR bit, no notification.
    r = msi(SID, handle_addr(7));
    EXPECT_TRUE(r.posted);
    EXPECT_FALSE(r.deliver);
    EXPECT_TRUE(pir(0x30));
    EXPECT_EQ(vtd->interrupts_posted(), 2u);
    EXPECT_EQ(vtd->posted_notifications(), 1u);
    // The hypervisor takes the requests and clears ON: the next posting notifies again.
    mem.write64(PID, 0);
    mem.write64(PID + PID_CONTROL_OFFSET, control() & ~PID_ON);
    r = msi(SID, handle_addr(7));
    EXPECT_TRUE(r.deliver);
    EXPECT_EQ(r.data, 0xf2u);
    EXPECT_EQ(vtd->posted_notifications(), 2u);
    // SN: suppressed (ON stays clear) unless the IRTE is urgent.
    mem.write64(PID + PID_CONTROL_OFFSET, (control() & ~PID_ON) | PID_SN);
    r = msi(SID, handle_addr(6));
    EXPECT_FALSE(r.deliver);
    EXPECT_TRUE(pir(0x55));
    EXPECT_FALSE(control() & PID_ON);
    posted_irte(8, 0x60, PID, true);
    r = msi(SID, handle_addr(8));
    EXPECT_TRUE(r.deliver);
    EXPECT_TRUE(control() & PID_ON);
    EXPECT_EQ(vtd->posted_notifications(), 3u);
  });
}

TEST_F(vtd_ir_test, missing_entry_wrong_requester_and_index_beyond_the_table_fault) {
  run_thread([&] {
    enable_ir();
    remapped_irte(5, 0x41, 3);
    interrupt_result r = msi(SID, handle_addr(9));  // never written: not present
    EXPECT_FALSE(r.deliver);
    EXPECT_EQ(r.fault, fault_reason::ir_entry_not_present);
    // FI bits 63:48 hold the interrupt index; requests are writes (T 0).
    EXPECT_EQ(frcd_lo(0), uint64_t{9} << 48);
    EXPECT_EQ(frcd_hi(0), FRCD_HI_F | (uint64_t{0x22} << FRCD_HI_FR_SHIFT) | SID);
    r = msi(SID_B, handle_addr(5));  // SID verification fails
    EXPECT_FALSE(r.deliver);
    EXPECT_EQ(r.fault, fault_reason::ir_source_id_mismatch);
    EXPECT_EQ(frcd_hi(1), FRCD_HI_F | (uint64_t{0x26} << FRCD_HI_FR_SHIFT) | SID_B);
    r = msi(SID, handle_addr(256));  // S 7: 256 entries
    EXPECT_EQ(r.fault, fault_reason::ir_index_beyond_table);
    EXPECT_EQ(frcd_hi(2) >> FRCD_HI_FR_SHIFT & 0xff, 0x21u);
    // SQ 3 ignores the function number: 03:10.2 passes an entry for 03:10.1.
    mem.write64(IRT + 5 * IRTE_BYTES + 8,
                SID | (3ull << IRTE_HI_SQ_SHIFT) | (uint64_t{SVT_VERIFY_SID_SQ} << IRTE_HI_SVT_SHIFT));
    wr(GCMD_REG, GCMD_SIRTP | GCMD_IRE);  // SIRTP empties the cache
    EXPECT_EQ(vtd->interrupt_entry_cache_entries(), 0u);
    EXPECT_TRUE(msi(SID_B, handle_addr(5)).deliver);
    EXPECT_EQ(vtd->interrupt_faults(), 3u);
    EXPECT_TRUE(rd(FSTS_REG) & FSTS_PPF);
  });
}

// SVT 10b: the requester's bus must lie in [SID[15:8], SID[7:0]] (VT-d 9.10; Linux
// set_irte_verify_bus() for functions behind a PCIe-to-PCI bridge).
TEST_F(vtd_ir_test, bus_range_verification) {
  run_thread([&] {
    enable_ir();
    remapped_irte(5, 0x41, 3);
    const auto bus_range = [&](unsigned start, unsigned end) {
      mem.write64(IRT + 5 * IRTE_BYTES + 8, (start << 8 | end) | (uint64_t{SVT_VERIFY_BUS} << IRTE_HI_SVT_SHIFT));
      wr(GCMD_REG, GCMD_SIRTP | GCMD_IRE);  // latches IRTA again, empties the cache
    };
    bus_range(2, 4);
    EXPECT_TRUE(msi(SID, handle_addr(5)).deliver);  // bus 3
    bus_range(4, 5);
    EXPECT_EQ(msi(SID, handle_addr(5)).fault, fault_reason::ir_source_id_mismatch);
    bus_range(3, 3);
    EXPECT_TRUE(msi(SID_B, handle_addr(5)).deliver);  // any function on bus 3
  });
}

TEST_F(vtd_ir_test, compatibility_interrupts_pass_only_with_cfi) {
  run_thread([&] {
    enable_ir(false);
    interrupt_result r = msi(SID, 0xfee01000, 0x33);
    EXPECT_FALSE(r.deliver);
    EXPECT_EQ(r.fault, fault_reason::ir_compat_blocked);
    wr(GCMD_REG, GCMD_IRE | GCMD_CFI);
    EXPECT_TRUE(rd(GSTS_REG) & GSTS_CFIS);
    r = msi(SID, 0xfee01000, 0x33);
    EXPECT_TRUE(r.deliver);
    EXPECT_EQ(r.address, 0xfee01000u);
    EXPECT_EQ(r.data, 0x33u);
  });
}

TEST_F(vtd_ir_test, iec_invalidation_through_the_queue_makes_a_changed_entry_visible) {
  run_thread([&] {
    enable(false);
    enable_qi();
    enable_ir();
    remapped_irte(5, 0x41, 3);
    EXPECT_EQ(msi(SID, handle_addr(5)).data, 0x41u);
    remapped_irte(5, 0x42, 3);                        // software changes the entry
    EXPECT_EQ(msi(SID, handle_addr(5)).data, 0x41u);  // the cached one still answers
    // qi_flush_iec(): index-selective (G 1), IM 0, IIDX 5; then a wait.
    put_desc(0, QI_IEC_TYPE | QI_IEC_SELECTIVE | (5ull << QI_IEC_IIDX_SHIFT), 0);
    put_desc(1, wait_desc(1), STATUS);
    wr(IQT_REG, 2 << IQ_INDEX_SHIFT, 8);
    sc_core::wait(sc_time(1, sc_core::SC_US));
    EXPECT_EQ(mem.read64(STATUS) & 0xffffffff, 1u);
    EXPECT_EQ(vtd->interrupt_entry_cache_entries(), 0u);
    EXPECT_EQ(msi(SID, handle_addr(5)).data, 0x42u);
    // An index-selective invalidation of another entry leaves this one; global empties.
    put_desc(2, QI_IEC_TYPE | QI_IEC_SELECTIVE | (6ull << QI_IEC_IIDX_SHIFT), 0);
    wr(IQT_REG, 3 << IQ_INDEX_SHIFT, 8);
    sc_core::wait(sc_time(1, sc_core::SC_US));
    EXPECT_EQ(vtd->interrupt_entry_cache_entries(), 1u);
    put_desc(3, QI_IEC_TYPE, 0);
    wr(IQT_REG, 4 << IQ_INDEX_SHIFT, 8);
    sc_core::wait(sc_time(1, sc_core::SC_US));
    EXPECT_EQ(vtd->interrupt_entry_cache_entries(), 0u);
  });
}

// A device's MSI write through the DMA router: with IR on it meets the unit when it
// arrives and the sink sees the remapped message after the lookup.
struct msi_master : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<msi_master> socket{"socket"};
  explicit msi_master(sc_core::sc_module_name n) : sc_module(n) {}
  void send(uint16_t sid, uint64_t addr, uint32_t data) {
    tlm::tlm_generic_payload t;
    kit::pcie_ext ext;
    ext.requester_id = sid;
    t.set_extension(&ext);
    t.set_command(tlm::TLM_WRITE_COMMAND);
    t.set_address(addr);
    t.set_data_ptr(reinterpret_cast<unsigned char*>(&data));
    t.set_data_length(4);
    t.set_streaming_width(4);
    sc_time delay = sc_core::SC_ZERO_TIME;
    socket->b_transport(t, delay);
    t.clear_extension(&ext);
  }
};

TEST_F(vtd_ir_test, dma_router_remaps_device_msis_when_they_arrive) {
  mem::dram dram("dram", 1 << 20);
  platform::dma_router router("router", *vtd);
  router.to_memory.bind(dram.dma);
  msi_master dev("dev");
  router.attach(dev.socket, {});
  struct seen {
    sc_time at;
    uint64_t address;
    uint32_t data;
  };
  std::vector<seen> got;
  router.set_interrupt_sink([&](uint64_t a, uint32_t d) { got.push_back({sc_core::sc_time_stamp(), a, d}); });
  run_thread([&] {
    dev.send(SID, 0xfee01000, 0x21);  // IR off: as before, at arrival
    sc_core::wait(sc_time(1, sc_core::SC_US));
    enable_ir(true);
    remapped_irte(5, 0x41, 3);
    const sc_time sent = sc_core::sc_time_stamp();
    dev.send(SID, handle_addr(5), 0);
    dev.send(SID, 0xfee01000, 0x22);     // compatibility format, CFIS set: passes
    dev.send(SID_B, handle_addr(5), 0);  // wrong requester: blocked
    sc_core::wait(sc_time(1, sc_core::SC_US));
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0].data, 0x21u);
    EXPECT_EQ(got[1].address, 0xfee01000u);
    EXPECT_EQ(got[1].data, 0x22u);
    EXPECT_EQ(got[1].at, sent);
    EXPECT_EQ(got[2].address, 0xfee03000u);
    EXPECT_EQ(got[2].data, 0x41u);
    EXPECT_EQ(got[2].at, sent + HIT + READ);
    EXPECT_EQ(vtd->interrupt_faults(), 1u);
  });
}

}  // namespace
}  // namespace iovsim::test_vtd
