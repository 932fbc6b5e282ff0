// Interrupt remapping and posting (VT-d spec chapter 5; 9.10-9.12 for the IRTE and
// posted-interrupt descriptor layouts, vtd_ir.h). The order of the checks follows QEMU
// hw/i386/intel_iommu.c vtd_interrupt_remap_msi() / vtd_irte_get(): format, index
// against the table size, IRTE read, present, reserved fields, source-id verification.
// Posting follows VT-d 5.2.3 (QEMU does not model it): set PIR[vector]; if ON was clear
// and SN clear (or the IRTE is urgent), set ON and send the notification event.
#include <fmt/format.h>

#include "models/iommu/vtd.h"
#include "models/kit/sim_env.h"

namespace iovsim::iommu {

namespace {
// SQ n ignores the n low bits of the function number (QEMU vtd_svt_mask[], Linux SQ_*).
constexpr uint16_t SQ_MASK[] = {0xffff, 0xfffb, 0xfff9, 0xfff8};

bool source_id_ok(uint64_t hi, uint16_t source_id) {
  const auto sid = static_cast<uint16_t>(hi & IRTE_HI_SID_MASK);
  const auto sq = static_cast<unsigned>((hi >> IRTE_HI_SQ_SHIFT) & IRTE_HI_SQ_MASK);
  switch (static_cast<unsigned>((hi >> IRTE_HI_SVT_SHIFT) & IRTE_HI_SVT_MASK)) {
    case SVT_NO_VERIFY:
      return true;
    case SVT_VERIFY_SID_SQ:
      return (sid & SQ_MASK[sq]) == (source_id & SQ_MASK[sq]);
    case SVT_VERIFY_BUS: {
      // The requester's bus within [SID[15:8], SID[7:0]] (VT-d 9.10: start bus in the
      // upper byte; Linux set_irte_verify_bus() writes start_bus << 8 | end_bus).
      const unsigned bus = source_id >> 8;
      return bus >= (sid >> 8) && bus <= (sid & 0xffu);
    }
    default:
      return false;  // SVT 11b is reserved: no request verifies
  }
}
}  // namespace

bool vtd_unit::interrupt_remapping_enabled() const { return (m_regs.get(GSTS_REG, 4) & GSTS_IRES) != 0; }

// Index- or global invalidation of the interrupt entry cache (QI type 4, VT-d 6.5.2.7;
// GCMD.SIRTP also empties it, 10.4.4).
void vtd_unit::invalidate_iec(bool global, uint32_t index, unsigned index_mask) {
  kit::sim_env::current().trace_instant(
      name(), "inv_iec", "iommu",
      global ? std::string(R"({"granularity":"global"})")
             : fmt::format(R"({{"granularity":"index","index":{},"im":{}}})", index, index_mask));
  if (global) {
    m_iec.clear();
    return;
  }
  const uint32_t count = 1u << index_mask;
  const uint32_t first = index & ~(count - 1);
  m_iec.erase(m_iec.lower_bound(first), m_iec.lower_bound(first + count));
}

// The IRTE at `index`, from the cache or from memory (one read; `reads` counts it).
bool vtd_unit::read_irte(uint32_t index, irte_value& e, unsigned& reads) {
  auto it = m_iec.find(index);
  if (it != m_iec.end()) {
    ++m_iec_hits;
    it->second.last_use = ++m_iec_clock;
    e = it->second.irte;
    return true;
  }
  ++m_iec_misses;
  const uint64_t addr = (m_irta & IRTA_ADDR_MASK) + uint64_t{index} * IRTE_BYTES;
  ++reads;
  if (!m_mem.contains(addr, IRTE_BYTES)) return false;
  e.lo = m_mem.read64(addr);
  e.hi = m_mem.read64(addr + 8);
  // Only present entries are cached (VT-d 6.4: the cache holds valid entries).
  if (!(e.lo & IRTE_P)) return true;
  if (m_iec.size() >= iec_entries()) {
    auto victim = m_iec.begin();
    for (auto i = m_iec.begin(); i != m_iec.end(); ++i)
      if (i->second.last_use < victim->second.last_use) victim = i;
    m_iec.erase(victim);
  }
  m_iec[index] = {e, ++m_iec_clock};
  return true;
}

interrupt_result vtd_unit::interrupt_fault(uint16_t source_id, uint32_t index, fault_reason reason, bool fpd) {
  ++m_ir_faults;
  interrupt_result r;
  r.fault = reason;
  // FPD in the IRTE: the fault is not recorded (VT-d 9.10), the request still blocked.
  if (!fpd) record_fault(source_id, uint64_t{index} << FRCD_INTERRUPT_INDEX_SHIFT, reason, true);
  return r;
}

interrupt_result vtd_unit::post_interrupt(uint16_t source_id, uint32_t index, const irte_value& e,
                                          sc_core::sc_time& latency) {
  const uint64_t pid = irte_pda(e.lo, e.hi);
  const auto vector = static_cast<unsigned>((e.lo >> IRTE_VECTOR_SHIFT) & IRTE_VECTOR_MASK);
  if (!m_mem.contains(pid, PID_BYTES))
    return interrupt_fault(source_id, index, fault_reason::ir_posted_descriptor_invalid, (e.lo & IRTE_FPD) != 0);
  latency += posted_update_latency();
  // The unit's update is atomic against the CPU's (a locked read-modify-write): here one
  // function call, nothing runs in between.
  const uint64_t pir_word = pid + PID_PIR_OFFSET + (vector / 64) * 8;
  m_mem.write64(pir_word, m_mem.read64(pir_word) | (1ull << (vector % 64)));
  uint64_t control = m_mem.read64(pid + PID_CONTROL_OFFSET);
  ++m_ir_posted;
  interrupt_result r;
  r.posted = true;
  kit::sim_env& env = kit::sim_env::current();
  const bool notify = !(control & PID_ON) && (!(control & PID_SN) || (e.lo & IRTE_URG));
  if (notify) {
    control |= PID_ON;
    m_mem.write64(pid + PID_CONTROL_OFFSET, control);
    ++m_ir_notifications;
    const bool x2apic = (m_irta & IRTA_EIME) != 0;
    const auto ndst = static_cast<uint32_t>(control >> PID_NDST_SHIFT);
    r.deliver = true;
    r.address = MSI_ADDR_BASE | (uint64_t{apic_id_of(ndst, x2apic) & 0xff} << MSI_ADDR_DEST_SHIFT);
    r.data = static_cast<uint32_t>((control >> PID_NV_SHIFT) & 0xff);
  }
  if (env.trace_enabled("iommu"))
    env.trace_instant(name(), "ir_posted", "iommu",
                      fmt::format(R"({{"source":"{}","index":{},"pid":"0x{:x}","vector":{},"notify":{}}})",
                                  format_source_id(source_id), index, pid, vector, notify ? "true" : "false"));
  return r;
}

interrupt_result vtd_unit::remap_interrupt(uint16_t source_id, uint64_t address, uint32_t data,
                                           sc_core::sc_time& latency) {
  interrupt_result pass;
  pass.deliver = true;
  pass.address = address;
  pass.data = data;
  if (!interrupt_remapping_enabled()) return pass;
  if (!(address & MSI_ADDR_IF_REMAP)) {
    // Compatibility format (VT-d 5.1.2.1): passed through only with CFIS set in xAPIC
    // mode; blocked otherwise (10.4.4 GCMD.CFI). No IRTE: the index is 0.
    const uint32_t gsts = static_cast<uint32_t>(m_regs.get(GSTS_REG, 4));
    if ((gsts & GSTS_CFIS) && !(m_irta & IRTA_EIME)) return pass;
    return interrupt_fault(source_id, 0, fault_reason::ir_compat_blocked, false);
  }
  const uint32_t index = msi_interrupt_index(address, data);
  const uint64_t entries = 2ull << (m_irta & IRTA_S_MASK);
  if (index >= entries) return interrupt_fault(source_id, index, fault_reason::ir_index_beyond_table, false);
  latency += iotlb_hit_latency();  // the interrupt entry cache lookup
  irte_value e;
  unsigned reads = 0;
  const bool readable = read_irte(index, e, reads);
  if (reads) {
    const sc_core::sc_time now = sc_core::sc_time_stamp();
    latency = m_walker.reserve(now + latency, walk_read_latency() * static_cast<double>(reads)) - now;
  }
  if (!readable) return interrupt_fault(source_id, index, fault_reason::ir_table_invalid, false);
  const bool fpd = (e.lo & IRTE_FPD) != 0;
  if (!(e.lo & IRTE_P)) return interrupt_fault(source_id, index, fault_reason::ir_entry_not_present, fpd);
  const bool posted = (e.lo & IRTE_IM) != 0;
  if (posted ? ((e.lo & IRTE_POSTED_RSVD) || (e.hi & IRTE_HI_POSTED_RSVD))
             : ((e.lo & IRTE_REMAPPED_RSVD) || (e.hi & IRTE_HI_REMAPPED_RSVD)))
    return interrupt_fault(source_id, index, fault_reason::ir_entry_reserved, fpd);
  if (!source_id_ok(e.hi, source_id))
    return interrupt_fault(source_id, index, fault_reason::ir_source_id_mismatch, fpd);
  if (posted) return post_interrupt(source_id, index, e, latency);
  ++m_ir_remapped;
  // Remapped: a compatibility-format message to the IRTE's destination and vector
  // (fixed delivery, physical destination: the modes the host driver programs).
  const bool x2apic = (m_irta & IRTA_EIME) != 0;
  const auto dest = static_cast<uint32_t>(e.lo >> IRTE_DEST_SHIFT);
  interrupt_result r;
  r.deliver = true;
  r.address = MSI_ADDR_BASE | (uint64_t{apic_id_of(dest, x2apic) & 0xff} << MSI_ADDR_DEST_SHIFT);
  r.data = static_cast<uint32_t>((e.lo >> IRTE_VECTOR_SHIFT) & IRTE_VECTOR_MASK);
  return r;
}

}  // namespace iovsim::iommu
