// The remapping unit's registers as data (VT-d 10.4) and their handlers.
#include <fmt/format.h>


#include "models/iommu/vtd.h"
#include "models/kit/sim_env.h"

namespace iovsim::iommu {

void vtd_unit::build_registers() {
  auto handler = [this](void (vtd_unit::*f)(uint64_t, uint64_t)) {
    return [this, f](uint64_t o, uint64_t n) { (this->*f)(o, n); };
  };
  // The bit a single-bit mask names.
  auto bit = [](uint64_t mask) { return static_cast<unsigned>(__builtin_ctzll(mask)); };
  const uint64_t cap =
      (uint64_t{CAP_ND_64K} << CAP_ND_SHIFT) | ((CAP_SAGAW_39BIT | CAP_SAGAW_48BIT) << CAP_SAGAW_SHIFT) |
      (uint64_t{MGAW_BITS - 1} << CAP_MGAW_SHIFT) | (uint64_t{FRCD_REG_OFFSET >> VTD_REG_UNIT_SHIFT} << CAP_FRO_SHIFT) |
      ((CAP_SLLPS_2M | CAP_SLLPS_1G) << CAP_SLLPS_SHIFT) | CAP_PSI | (uint64_t{fault_records() - 1} << CAP_NFR_SHIFT) |
      (uint64_t{MAMV} << CAP_MAMV_SHIFT) | CAP_PI;
  const uint64_t ecap = ECAP_C | ECAP_QI | ECAP_DT | ECAP_IR | ECAP_PT | ECAP_PRS |
                        (uint64_t{IVA_REG >> VTD_REG_UNIT_SHIFT} << ECAP_IRO_SHIFT);
  const uint64_t ccmd_writable = CCMD_ICC | (CCMD_GRAN_MASK << CCMD_CIRG_SHIFT) | (CCMD_FM_MASK << CCMD_FM_SHIFT) |
                                 (CCMD_ID_MASK << CCMD_SID_SHIFT) | CCMD_ID_MASK;
  const uint64_t iotlb_writable = IOTLB_IVT | (uint64_t{3} << IOTLB_IIRG_SHIFT) | IOTLB_DR | IOTLB_DW |
                                  (uint64_t{0xffff} << IOTLB_DID_SHIFT);

  // VT-d 10.4, in offset order.
  m_regs.add(kit::reg("VER_REG", VER_REG, 4).reset_to(VER_1_0).doc("architecture version 1.0"));
  m_regs.add(kit::reg("CAP_REG", CAP_REG, 8)
                 .reset_to(cap)
                 .doc("capabilities: domains, SAGAW, MGAW, FRO, SLLPS, PSI, NFR, PI"));
  m_regs.add(
      kit::reg("ECAP_REG", ECAP_REG, 8).reset_to(ecap).doc("extended capabilities: C, QI, DT, IR, PT, PRS, IRO"));
  m_regs.add(kit::reg("GCMD_REG", GCMD_REG, 4)
                 .field("TE", bit(GCMD_TE))
                 .field("SRTP", bit(GCMD_SRTP))
                 .field("QIE", bit(GCMD_QIE))
                 .field("IRE", bit(GCMD_IRE))
                 .field("SIRTP", bit(GCMD_SIRTP))
                 .field("CFI", bit(GCMD_CFI))
                 .doc("global command: one command per write")
                 .on_write_fn(handler(&vtd_unit::write_gcmd)));
  m_regs.add(kit::reg("GSTS_REG", GSTS_REG, 4)
                 .field("TES", bit(GSTS_TES), 1, kit::ro)
                 .field("RTPS", bit(GSTS_RTPS), 1, kit::ro)
                 .field("QIES", bit(GSTS_QIES), 1, kit::ro)
                 .field("IRES", bit(GSTS_IRES), 1, kit::ro)
                 .field("IRTPS", bit(GSTS_IRTPS), 1, kit::ro)
                 .field("CFIS", bit(GSTS_CFIS), 1, kit::ro));
  m_regs.add(kit::reg("RTADDR_REG", RTADDR_REG, 8).rw(RTADDR_RTA_MASK).doc("root table address"));
  m_regs.add(kit::reg("CCMD_REG", CCMD_REG, 8).rw(ccmd_writable).doc("context command (register-based)")
                 .on_write_fn(handler(&vtd_unit::write_ccmd)));
  m_regs.add(kit::reg("FSTS_REG", FSTS_REG, 4)
                 .field("PFO", bit(FSTS_PFO), 1, kit::w1c)
                 .field("PPF", bit(FSTS_PPF), 1, kit::ro)
                 .field("IQE", bit(FSTS_IQE), 1, kit::w1c)
                 .field("FRI", FSTS_FRI_SHIFT, 8, kit::ro)
                 .doc("fault status")
                 .on_write_fn(handler(&vtd_unit::write_fsts)));
  m_regs.add(kit::reg("FECTL_REG", FECTL_REG, 4)
                 .field("IP", bit(FECTL_IP), 1, kit::ro)
                 .field("IM", bit(FECTL_IM))
                 .reset_to(FECTL_IM)
                 .doc("fault event control")
                 .on_write_fn(handler(&vtd_unit::write_fectl)));
  m_regs.add(kit::reg("FEDATA_REG", FEDATA_REG, 4).rw(0xffffffffull).doc("fault event MSI data"));
  m_regs.add(kit::reg("FEADDR_REG", FEADDR_REG, 4).rw(FEADDR_MASK).doc("fault event MSI address"));
  m_regs.add(kit::reg("FEUADDR_REG", FEUADDR_REG, 4).rw(0xffffffffull));
  m_regs.add(kit::reg("IQH_REG", IQH_REG, 8).doc("invalidation queue head (the unit moves it)"));
  m_regs.add(kit::reg("IQT_REG", IQT_REG, 8).rw(IQ_INDEX_MASK).doc("invalidation queue tail (software moves it)")
                 .on_write_fn(handler(&vtd_unit::write_iqt)));
  m_regs.add(kit::reg("IQA_REG", IQA_REG, 8).rw(IQA_BASE_MASK | IQA_QS_MASK).doc("invalidation queue base and size"));
  m_regs.add(kit::reg("ICS_REG", ICS_REG, 4)
                 .field("IWC", bit(ICS_IWC), 1, kit::w1c)
                 .doc("invalidation completion status")
                 .on_write_fn(handler(&vtd_unit::write_ics)));
  m_regs.add(kit::reg("IECTL_REG", IECTL_REG, 4)
                 .field("IP", bit(IECTL_IP), 1, kit::ro)
                 .field("IM", bit(IECTL_IM))
                 .reset_to(IECTL_IM)
                 .doc("invalidation event control")
                 .on_write_fn(handler(&vtd_unit::write_iectl)));
  m_regs.add(kit::reg("IEDATA_REG", IEDATA_REG, 4).rw(0xffffffffull));
  m_regs.add(kit::reg("IEADDR_REG", IEADDR_REG, 4).rw(FEADDR_MASK));
  m_regs.add(kit::reg("IEUADDR_REG", IEUADDR_REG, 4).rw(0xffffffffull));
  m_regs.add(kit::reg("IRTA_REG", IRTA_REG, 8)
                 .rw(IRTA_ADDR_MASK | IRTA_EIME | IRTA_S_MASK)
                 .doc("interrupt remapping table address, EIME, size (latched by GCMD.SIRTP)"));
  // The page request queue: software owns PQH and sets PQT once when it sets the
  // queue up (Linux intel_iommu_enable_prq() writes PQH, PQT, then PQA).
  m_regs.add(kit::reg("PQH_REG", PQH_REG, 8).rw(PQ_OFFSET_MASK).doc("page request queue head (software moves it)"));
  m_regs.add(kit::reg("PQT_REG", PQT_REG, 8).rw(PQ_OFFSET_MASK).doc("page request queue tail (the unit moves it)"));
  m_regs.add(kit::reg("PQA_REG", PQA_REG, 8).rw(PQA_BASE_MASK | PQA_QS_MASK).doc("page request queue base and size"));
  m_regs.add(kit::reg("PRS_REG", PRS_REG, 4)
                 .field("PPR", bit(PRS_PPR), 1, kit::w1c)
                 .field("PRO", bit(PRS_PRO), 1, kit::w1c)
                 .doc("page request status")
                 .on_write_fn(handler(&vtd_unit::write_prs)));
  m_regs.add(kit::reg("PECTL_REG", PECTL_REG, 4)
                 .field("IP", bit(PECTL_IP), 1, kit::ro)
                 .field("IM", bit(PECTL_IM))
                 .reset_to(PECTL_IM)
                 .doc("page request event control")
                 .on_write_fn(handler(&vtd_unit::write_pectl)));
  m_regs.add(kit::reg("PEDATA_REG", PEDATA_REG, 4).rw(0xffffffffull));
  m_regs.add(kit::reg("PEADDR_REG", PEADDR_REG, 4).rw(FEADDR_MASK));
  m_regs.add(kit::reg("PEUADDR_REG", PEUADDR_REG, 4).rw(0xffffffffull));
  for (unsigned i = 0; i < fault_records(); ++i) {
    const uint32_t base = FRCD_REG_OFFSET + i * FRCD_REG_BYTES;
    m_regs.add(kit::reg(fmt::format("FRCD_REG{}_LO", i), base, 8).doc("fault record: faulting address"));
    m_regs.add(kit::reg(fmt::format("FRCD_REG{}_HI", i), base + 8, 8)
                   .clear_on_1(FRCD_HI_F)
                   .doc("fault record: F, type, reason, source ID")
                   .on_write_fn(handler(&vtd_unit::write_frcd_hi)));
  }
  m_regs.add(kit::reg("IVA_REG", IVA_REG, 8).rw(IVA_ADDR_MASK | IVA_IH | IVA_AM_MASK).doc("invalidate address"));
  m_regs.add(kit::reg("IOTLB_REG", IOTLB_REG, 8).rw(iotlb_writable).doc("IOTLB invalidate (register-based)")
                 .on_write_fn(handler(&vtd_unit::write_iotlb_reg)));
}

// GCMD is write-only: one command per write, the other bits repeat the current state
// (VT-d 10.4.4). Status follows at once; the driver's GSTS poll sees it on first read.
void vtd_unit::write_gcmd(uint64_t /*old_value*/, uint64_t value) {
  uint32_t gsts = static_cast<uint32_t>(m_regs.get(GSTS_REG, 4));
  kit::sim_env& env = kit::sim_env::current();
  if (value & GCMD_SRTP) {
    m_root_table = m_regs.get(RTADDR_REG, 8) & RTADDR_RTA_MASK;
    gsts |= GSTS_RTPS;
    env.log("iommu", name(), fmt::format("root table pointer set to 0x{:x}", m_root_table));
  }
  const bool te = (value & GCMD_TE) != 0;
  if (te != ((gsts & GSTS_TES) != 0)) {
    gsts = te ? (gsts | GSTS_TES) : (gsts & ~GSTS_TES);
    env.log("iommu", name(), te ? "translation enabled" : "translation disabled");
  }
  const bool qie = (value & GCMD_QIE) != 0;
  if (qie != ((gsts & GSTS_QIES) != 0)) {
    gsts = qie ? (gsts | GSTS_QIES) : (gsts & ~GSTS_QIES);
    // IQH reads 0 while queued invalidation is disabled (VT-d 10.4.22).
    if (!qie) m_regs.set(IQH_REG, 8, 0);
    env.log("iommu", name(), qie ? "queued invalidation enabled" : "queued invalidation disabled");
    if (qie) m_qi_kick.notify(sc_core::SC_ZERO_TIME);
  }
  // Interrupt remapping (VT-d 10.4.4): SIRTP latches IRTA and empties the interrupt
  // entry cache (the unit has no CAP.ESIRTPS, so Linux also flushes it after);
  // IRE and CFI follow the written value like TE.
  if (value & GCMD_SIRTP) {
    m_irta = m_regs.get(IRTA_REG, 8);
    invalidate_iec(true, 0, 0);
    gsts |= GSTS_IRTPS;
    env.log("iommu", name(),
            fmt::format("interrupt remapping table pointer set to 0x{:x}, {} entries{}", m_irta & IRTA_ADDR_MASK,
                        2ull << (m_irta & IRTA_S_MASK), (m_irta & IRTA_EIME) ? ", x2APIC mode" : ""));
  }
  const bool ire = (value & GCMD_IRE) != 0;
  if (ire != ((gsts & GSTS_IRES) != 0)) {
    gsts = ire ? (gsts | GSTS_IRES) : (gsts & ~GSTS_IRES);
    env.log("iommu", name(), ire ? "interrupt remapping enabled" : "interrupt remapping disabled");
  }
  const bool cfi = (value & GCMD_CFI) != 0;
  gsts = cfi ? (gsts | GSTS_CFIS) : (gsts & ~GSTS_CFIS);
  m_regs.set(GSTS_REG, 4, gsts);
  m_regs.set(GCMD_REG, 4, 0);
}

// Register-based context-cache invalidation: done at once; CAIG reports the granularity
// performed (the one asked for) and ICC clears (VT-d 6.5.1).
void vtd_unit::write_ccmd(uint64_t /*old_value*/, uint64_t value) {
  if (!(value & CCMD_ICC)) return;
  const auto gran = static_cast<unsigned>((value >> CCMD_CIRG_SHIFT) & CCMD_GRAN_MASK);
  invalidate_context_cache(gran, static_cast<uint16_t>(value & CCMD_ID_MASK),
                           static_cast<uint16_t>((value >> CCMD_SID_SHIFT) & CCMD_ID_MASK),
                           static_cast<unsigned>((value >> CCMD_FM_SHIFT) & CCMD_FM_MASK));
  uint64_t done = value & ~(CCMD_ICC | (CCMD_GRAN_MASK << CCMD_CAIG_SHIFT));
  done |= uint64_t{gran} << CCMD_CAIG_SHIFT;
  m_regs.set(CCMD_REG, 8, done);
}

// Register-based IOTLB invalidation (VT-d 10.4.8): address and mask come from IVA_REG.
void vtd_unit::write_iotlb_reg(uint64_t /*old_value*/, uint64_t value) {
  if (!(value & IOTLB_IVT)) return;
  const auto gran = static_cast<unsigned>((value >> IOTLB_IIRG_SHIFT) & 3);
  const uint64_t iva = m_regs.get(IVA_REG, 8);
  const bool ok = invalidate_iotlb(gran, static_cast<uint16_t>(value >> IOTLB_DID_SHIFT), iva & IVA_ADDR_MASK,
                                   static_cast<unsigned>(iva & IVA_AM_MASK), (iva & IVA_IH) != 0);
  uint64_t done = value & ~(IOTLB_IVT | (uint64_t{3} << IOTLB_IAIG_SHIFT));
  if (ok) done |= uint64_t{gran} << IOTLB_IAIG_SHIFT;   // IAIG 0: request not performed
  m_regs.set(IOTLB_REG, 8, done);
}

// Clearing IQE lets the invalidation queue resume at IQH (VT-d 6.5.2.10).
void vtd_unit::write_fsts(uint64_t old_value, uint64_t value) {
  update_fault_status();
  if ((old_value & FSTS_IQE) && !(value & FSTS_IQE)) m_qi_kick.notify(sc_core::SC_ZERO_TIME);
}

void vtd_unit::write_frcd_hi(uint64_t /*old_value*/, uint64_t /*value*/) { update_fault_status(); }

// Clearing IM with an interrupt pending sends it (VT-d 7.3.1).
void vtd_unit::write_fectl(uint64_t /*old_value*/, uint64_t value) {
  if ((value & FECTL_IM) || !(value & FECTL_IP)) return;
  m_regs.set(FECTL_REG, 4, value & ~uint64_t{FECTL_IP});
  if (m_interrupt)
    m_interrupt((m_regs.get(FEUADDR_REG, 4) << 32) | m_regs.get(FEADDR_REG, 4),
                static_cast<uint32_t>(m_regs.get(FEDATA_REG, 4)));
}

void vtd_unit::write_iectl(uint64_t /*old_value*/, uint64_t value) {
  if ((value & IECTL_IM) || !(value & IECTL_IP)) return;
  m_regs.set(IECTL_REG, 4, value & ~uint64_t{IECTL_IP});
  if (m_interrupt)
    m_interrupt((m_regs.get(IEUADDR_REG, 4) << 32) | m_regs.get(IEADDR_REG, 4),
                static_cast<uint32_t>(m_regs.get(IEDATA_REG, 4)));
}

// Software clearing ICS.IWC clears a pending invalidation event (VT-d 10.4.24).
void vtd_unit::write_ics(uint64_t /*old_value*/, uint64_t value) {
  if (!(value & ICS_IWC)) m_regs.set(IECTL_REG, 4, m_regs.get(IECTL_REG, 4) & ~uint64_t{IECTL_IP});
}

void vtd_unit::write_iqt(uint64_t /*old_value*/, uint64_t /*value*/) { m_qi_kick.notify(sc_core::SC_ZERO_TIME); }

}  // namespace iovsim::iommu
