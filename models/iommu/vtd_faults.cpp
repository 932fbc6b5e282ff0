// Primary fault logging and the fault / invalidation-completion events (VT-d 7.2-7.3;
// QEMU hw/i386/intel_iommu.c vtd_report_dmar_fault() for the order of the checks).
#include <fmt/format.h>

#include "models/iommu/vtd.h"
#include "models/kit/sim_env.h"

namespace iovsim::iommu {

void vtd_unit::record_fault(uint16_t source_id, uint64_t iova, fault_reason reason, bool is_write) {
  kit::sim_env& env = kit::sim_env::current();
  const auto code = static_cast<unsigned>(reason);
  // Interrupt faults name the interrupt index (FI bits 63:48), as Linux prints them.
  const std::string what = is_interrupt_fault(reason)
                               ? fmt::format("[INTR-REMAP] device [{}] fault index 0x{:x} [fault reason 0x{:02x}] {}",
                                             format_source_id(source_id), iova >> FRCD_INTERRUPT_INDEX_SHIFT, code,
                                             fault_reason_text(reason))
                               : fmt::format("[DMA {}] device [{}] fault addr 0x{:x} [fault reason 0x{:02x}] {}",
                                             is_write ? "Write" : "Read", format_source_id(source_id), iova, code,
                                             fault_reason_text(reason));
  env.trace_instant(name(), "dmar_fault", "iommu",
                    fmt::format(R"({{"source":"{}","addr":"0x{:x}","reason":{},"write":{}}})",
                                format_source_id(source_id), iova, code, is_write ? "true" : "false"));
  uint32_t fsts = static_cast<uint32_t>(m_regs.get(FSTS_REG, 4));
  // While PFO is set nothing more is recorded (VT-d 7.2.1).
  if (fsts & FSTS_PFO) {
    ++m_faults_dropped;
    env.log("iommu", name(), "fault not recorded (overflow): " + what);
    return;
  }
  const uint32_t record = FRCD_REG_OFFSET + m_next_fault_record * FRCD_REG_BYTES;
  if (m_regs.get(record + 8, 8) & FRCD_HI_F) {
    // The next record still holds an unserviced fault: overflow.
    ++m_faults_dropped;
    m_regs.set(FSTS_REG, 4, fsts | FSTS_PFO);
    env.log("iommu", name(), "fault records full, overflow: " + what);
    raise_fault_event();
    return;
  }
  m_regs.set(record, 8, iova & FRCD_LO_FI_MASK);
  m_regs.set(record + 8, 8,
             FRCD_HI_F | (is_write ? 0 : FRCD_HI_T) | ((uint64_t{code} << FRCD_HI_FR_SHIFT) & FRCD_HI_FR_MASK) |
                 (source_id & FRCD_HI_SID_MASK));
  env.log("iommu", name(), fmt::format("fault record {}: {}", m_next_fault_record, what));
  if (!(fsts & FSTS_PPF)) {
    // First pending fault: FRI points at it and the event fires.
    fsts = (fsts & ~FSTS_FRI_MASK) | (m_next_fault_record << FSTS_FRI_SHIFT) | FSTS_PPF;
    m_regs.set(FSTS_REG, 4, fsts);
    raise_fault_event();
  }
  m_next_fault_record = (m_next_fault_record + 1) % fault_records();
}

// IP set while masked; otherwise the message goes out now. One pending event at a time.
void vtd_unit::raise_fault_event() {
  const uint64_t fectl = m_regs.get(FECTL_REG, 4);
  if (fectl & FECTL_IP) return;
  if (fectl & FECTL_IM) {
    m_regs.set(FECTL_REG, 4, fectl | FECTL_IP);
    return;
  }
  if (m_interrupt)
    m_interrupt((m_regs.get(FEUADDR_REG, 4) << 32) | m_regs.get(FEADDR_REG, 4),
                static_cast<uint32_t>(m_regs.get(FEDATA_REG, 4)));
}

void vtd_unit::raise_invalidation_event() {
  const uint64_t iectl = m_regs.get(IECTL_REG, 4);
  if (iectl & IECTL_IP) return;
  if (iectl & IECTL_IM) {
    m_regs.set(IECTL_REG, 4, iectl | IECTL_IP);
    return;
  }
  if (m_interrupt)
    m_interrupt((m_regs.get(IEUADDR_REG, 4) << 32) | m_regs.get(IEADDR_REG, 4),
                static_cast<uint32_t>(m_regs.get(IEDATA_REG, 4)));
}

// PPF mirrors "some record has F set"; with every status serviced, IP clears (VT-d 10.4.9-10).
void vtd_unit::update_fault_status() {
  bool pending = false;
  for (unsigned i = 0; i < fault_records() && !pending; ++i)
    pending = (m_regs.get(FRCD_REG_OFFSET + i * FRCD_REG_BYTES + 8, 8) & FRCD_HI_F) != 0;
  uint64_t fsts = m_regs.get(FSTS_REG, 4);
  fsts = pending ? (fsts | FSTS_PPF) : (fsts & ~uint64_t{FSTS_PPF});
  m_regs.set(FSTS_REG, 4, fsts);
  if (!(fsts & (FSTS_PFO | FSTS_PPF | FSTS_IQE)))
    m_regs.set(FECTL_REG, 4, m_regs.get(FECTL_REG, 4) & ~uint64_t{FECTL_IP});
}

}  // namespace iovsim::iommu
