// Interrupt remapping in the Intel IOMMU driver (intel_iommu, dmar.h), after Linux v6.1
// drivers/iommu/intel/irq_remapping.c: intel_setup_irq_remapping() (the table),
// iommu_set_irq_remapping() (IRTA, SIRTP, global IEC flush), iommu_enable_irq_remapping()
// (IRE), alloc_irte(), prepare_irte() + set_msi_sid(), modify_irte() + qi_flush_iec(),
// intel_ir_set_vcpu_affinity(), clear_entries(), fill_msi_msg(). The entry and
// descriptor layouts are models/iommu/vtd_ir.h.
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>

#include "drivers-sim/iommu/dmar.h"
#include "models/iommu/vtd_ir.h"
#include "models/kit/sim_env.h"

namespace iovsim::host {

using namespace iommu;

namespace {
// qi_flush_iec(): index-selective, IM 0 (one entry); qi_global_iec(): global.
entry128 iec_flush(uint16_t index) {
  return {QI_IEC_TYPE | QI_IEC_SELECTIVE | (uint64_t{index} << QI_IEC_IIDX_SHIFT), 0};
}
}  // namespace

bool intel_iommu::irq_remapping() const { return requested() && m_enabled && (m_ecap & ECAP_IR); }

bool intel_iommu::posted_interrupts() const { return irq_remapping() && (m_cap & CAP_PI); }

// The xAPIC-mode sequence (IRTA without EIME): this platform's CPUs take
// compatibility-format MSIs with 8-bit APIC IDs and the unit does not offer ECAP.EIM
// (intel_prepare_irq_remapping() would fall back to xapic: "does not support EIM").
void intel_iommu::enable_irq_remapping() {
  if (m_irt) return;
  const uint64_t bytes = uint64_t{IRT_ENTRIES} * IRTE_BYTES;
  m_irt = m_pages.alloc_contiguous(bytes, page_allocator::PAGE_BYTES, true);
  if (!m_irt) throw std::runtime_error("DMAR-IR: out of memory for the interrupt remapping table");
  m_irte_used.assign(IRT_ENTRIES, false);
  write64(IRTA_REG, m_irt | IRT_SIZE_FIELD);
  gcmd(m_gcmd | GCMD_SIRTP, GSTS_IRTPS, true);
  qi_submit({{QI_IEC_TYPE, 0}}, &m_ir_cpu);  // no CAP.ESIRTPS: qi_global_iec()
  m_gcmd |= GCMD_IRE;
  gcmd(m_gcmd, GSTS_IRES, true);
  // Linux clears CFI here; our host drivers' MSIs stay compatibility-format (dmar.h).
  m_gcmd |= GCMD_CFI;
  gcmd(m_gcmd, GSTS_CFIS, true);
  m_log.print("DMAR-IR: Enabled IRQ remapping in xapic mode");
  kit::sim_env::current().log("iommu", "host.dmar",
                              fmt::format("interrupt remapping table at 0x{:x}, {} entries", m_irt, IRT_ENTRIES));
}

int intel_iommu::alloc_irte(uint16_t source_id, uint16_t& handle) {
  if (!irq_remapping()) return -ENODEV;
  enable_irq_remapping();
  m_ir_cpu.charge("host.dma.irte_alloc", m_costs.irte_alloc);
  sc_core::wait(m_costs.irte_alloc);
  auto free = std::find(m_irte_used.begin(), m_irte_used.end(), false);
  if (free == m_irte_used.end()) {
    m_log.print("DMAR-IR: IR0: can't allocate an IRTE");  // pr_warn("IR%d: can't allocate an IRTE\n")
    return -ENOSPC;
  }
  *free = true;
  handle = static_cast<uint16_t>(free - m_irte_used.begin());
  // prepare_irte() + set_msi_sid(): present, SVT_VERIFY_SID_SQ with SQ_ALL_16 on the
  // function's own requester ID (no DMA alias here). Written by set_irte_*().
  prepared_irte p;
  p.lo = IRTE_P | IRTE_RH;
  p.hi = (uint64_t{source_id} & IRTE_HI_SID_MASK) | (uint64_t{SQ_ALL_16} << IRTE_HI_SQ_SHIFT) |
         (uint64_t{SVT_VERIFY_SID_SQ} << IRTE_HI_SVT_SHIFT);
  m_irtes[handle] = p;
  return 0;
}

// modify_irte(): the 128-bit entry into the table, then qi_flush_iec(index, 0).
void intel_iommu::modify_irte(uint16_t handle, uint64_t lo, uint64_t hi) {
  m_ir_cpu.charge("host.dma.irte_update", m_costs.irte_update);
  sc_core::wait(m_costs.irte_update);
  const uint64_t at = m_irt + uint64_t{handle} * IRTE_BYTES;
  // cmpxchg16b: both halves at once (nothing runs between these two stores).
  m_memory.write64(at, lo);
  m_memory.write64(at + 8, hi);
  qi_submit({iec_flush(handle)}, &m_ir_cpu);
}

int intel_iommu::set_irte_remapped(uint16_t handle, uint8_t vector, uint32_t dest_apic_id) {
  auto it = m_irtes.find(handle);
  if (!m_irt || it == m_irtes.end()) return -EINVAL;
  // prepare_irte(): fixed delivery, physical destination, redirection hint, edge;
  // IRTE_DEST(): xAPIC mode keeps the APIC ID in destination bits 15:8.
  uint64_t lo = it->second.lo & (IRTE_P | IRTE_RH);
  lo |= uint64_t{vector} << IRTE_VECTOR_SHIFT;
  lo |= uint64_t{pi_ndst(dest_apic_id)} << IRTE_DEST_SHIFT;
  it->second.lo = lo;
  modify_irte(handle, lo, it->second.hi);
  return 0;
}

int intel_iommu::set_irte_posted(uint16_t handle, uint64_t pid_phys, uint8_t vector) {
  if (!posted_interrupts()) return -ENODEV;
  auto it = m_irtes.find(handle);
  if (!m_irt || it == m_irtes.end() || (pid_phys & (PID_ALIGN - 1)) != 0) return -EINVAL;
  // intel_ir_set_vcpu_affinity(): the shared fields of the remapped entry (present,
  // FPD, SID, SQ, SVT: dmar_copy_shared_irte()), then IM, URG 0, vector and PDA.
  uint64_t lo = (it->second.lo & (IRTE_P | IRTE_FPD)) | IRTE_IM | (uint64_t{vector} << IRTE_VECTOR_SHIFT);
  uint64_t hi = it->second.hi &
                ((IRTE_HI_SVT_MASK << IRTE_HI_SVT_SHIFT) | (IRTE_HI_SQ_MASK << IRTE_HI_SQ_SHIFT) | IRTE_HI_SID_MASK);
  irte_set_pda(lo, hi, pid_phys);
  modify_irte(handle, lo, hi);
  return 0;
}

void intel_iommu::free_irte(uint16_t handle) {
  auto it = m_irtes.find(handle);
  if (!m_irt || it == m_irtes.end()) return;
  m_irtes.erase(it);
  // clear_entries(): zero the entry, release it, flush it from the cache.
  const uint64_t at = m_irt + uint64_t{handle} * IRTE_BYTES;
  m_memory.write64(at, 0);
  m_memory.write64(at + 8, 0);
  m_irte_used[handle] = false;
  qi_submit({iec_flush(handle)}, &m_ir_cpu);
}

uint64_t intel_iommu::remappable_msi_address(uint16_t handle) {
  return MSI_ADDR_BASE | ((uint64_t{handle} & MSI_ADDR_HANDLE_MASK) << MSI_ADDR_HANDLE_SHIFT) | MSI_ADDR_IF_REMAP |
         MSI_ADDR_SHV | ((handle & 0x8000) ? MSI_ADDR_HANDLE_15 : 0);
}

}  // namespace iovsim::host
