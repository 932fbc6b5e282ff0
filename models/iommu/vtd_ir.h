// VT-d interrupt remapping and posting as data (Intel VT-d spec chapter 5, 9.10-9.12,
// 10.4.29), shared by the remapping unit (vtd_ir.cpp), the host's DMAR driver and the
// hypervisor, which owns the posted-interrupt descriptors:
//
// - the remappable-format MSI a function sends (5.1.2.2): address 0xFEEx_xxxx with
//   bit 4 set, handle[14:0] in bits 19:5, handle[15] in bit 2, SHV in bit 3 (the
//   subhandle in data[15:0] is then added to the handle);
// - the 128-bit interrupt remapping table entry (IRTE), remapped (9.10) and posted
//   (9.11) formats; field positions as Linux v6.1 include/linux/dmar.h struct irte;
// - the 64-byte posted-interrupt descriptor (9.12; KVM's arch/x86/kvm/vmx/posted_intr.h
//   struct pi_desc has the same layout).
#pragma once

#include <cstdint>

namespace iovsim::iommu {

// ---- remappable-format interrupt requests (VT-d 5.1.2.2; Linux irq_remapping.c
// fill_msi_msg()) ----
constexpr uint64_t MSI_ADDR_BASE = 0xFEE00000;
constexpr uint64_t MSI_ADDR_IF_REMAP = 1ull << 4;  // interrupt format: 1 remappable
constexpr uint64_t MSI_ADDR_SHV = 1ull << 3;       // subhandle valid
constexpr uint64_t MSI_ADDR_HANDLE_15 = 1ull << 2;
constexpr unsigned MSI_ADDR_HANDLE_SHIFT = 5;
constexpr uint64_t MSI_ADDR_HANDLE_MASK = 0x7fff;  // handle[14:0] in address bits 19:5
constexpr uint32_t MSI_DATA_SUBHANDLE_MASK = 0xffff;
constexpr unsigned MSI_ADDR_DEST_SHIFT = 12;  // compatibility format: APIC ID in bits 19:12

// The interrupt index a remappable request names (VT-d 5.1.3).
inline uint32_t msi_interrupt_index(uint64_t address, uint32_t data) {
  uint32_t handle = static_cast<uint32_t>((address >> MSI_ADDR_HANDLE_SHIFT) & MSI_ADDR_HANDLE_MASK);
  if (address & MSI_ADDR_HANDLE_15) handle |= 1u << 15;
  if (address & MSI_ADDR_SHV) handle += data & MSI_DATA_SUBHANDLE_MASK;
  return handle;
}

// ---- IRTA_REG (VT-d 10.4.29; also the Xeon E7 v2 datasheet's
// VTD_INTR_REMAP_TABLE_BASE at 0xb8): IRTA [63:12], EIME 11 (x2APIC mode), S [3:0]:
// 2^(S+1) entries. Linux INTR_REMAP_TABLE_REG_SIZE 0xf: 65536 entries of 16 bytes.
constexpr uint64_t IRTA_ADDR_MASK = ~0xfffull, IRTA_EIME = 1ull << 11, IRTA_S_MASK = 0xf;
constexpr unsigned IRTE_BYTES = 16;

// ---- IRTE (VT-d 9.10 / 9.11), as two qwords lo (bits 63:0) and hi (127:64) ----
// Shared: P 0, FPD 1, IM 15 (1: posted format), vector [23:16]; hi SID [79:64],
// SQ [81:80], SVT [83:82].
constexpr uint64_t IRTE_P = 1ull << 0, IRTE_FPD = 1ull << 1, IRTE_IM = 1ull << 15;
constexpr unsigned IRTE_VECTOR_SHIFT = 16;
constexpr uint64_t IRTE_VECTOR_MASK = 0xff;
constexpr uint64_t IRTE_HI_SID_MASK = 0xffff;
constexpr unsigned IRTE_HI_SQ_SHIFT = 16, IRTE_HI_SVT_SHIFT = 18;
constexpr uint64_t IRTE_HI_SQ_MASK = 3, IRTE_HI_SVT_MASK = 3;
// SVT (Linux SVT_*): no check, SID under the SQ mask, or a bus range (SID[15:8] the
// start bus, SID[7:0] the end bus). SQ n ignores the n low bits of the function
// number (1: bit 2, 2: bits 2:1, 3: bits 2:0; QEMU vtd_svt_mask[]).
constexpr unsigned SVT_NO_VERIFY = 0, SVT_VERIFY_SID_SQ = 1, SVT_VERIFY_BUS = 2;
constexpr unsigned SQ_ALL_16 = 0;
// Remapped format: DM 2, RH 3, TM 4, DLM [7:5], destination [63:32]; xAPIC mode
// (IRTA.EIME 0) keeps the 8-bit APIC ID in destination bits 15:8 (Linux IRTE_DEST(),
// QEMU vtd_remap_irq_get()). Reserved: [14:12], [31:24]; hi [127:84].
constexpr unsigned IRTE_DEST_SHIFT = 32;
constexpr unsigned IRTE_XAPIC_DEST_SHIFT = 8;
constexpr uint64_t IRTE_RH = 1ull << 3;
constexpr uint64_t IRTE_REMAPPED_RSVD = (0x7ull << 12) | (0xffull << 24);
constexpr uint64_t IRTE_HI_REMAPPED_RSVD = ~0ull << 20;
// Posted format (9.11): URG 14, PDA[31:6] in bits 63:38, PDA[63:32] in hi bits 127:96.
// Reserved: [7:2], [13:12], [37:24]; hi [95:84].
constexpr uint64_t IRTE_URG = 1ull << 14;
constexpr unsigned IRTE_PDA_LO_SHIFT = 38, IRTE_HI_PDA_HI_SHIFT = 32;
constexpr uint64_t IRTE_POSTED_RSVD = (0x3full << 2) | (0x3ull << 12) | (0x3fffull << 24);
constexpr uint64_t IRTE_HI_POSTED_RSVD = 0xfffull << 20;

inline uint64_t irte_pda(uint64_t lo, uint64_t hi) {
  return ((hi >> IRTE_HI_PDA_HI_SHIFT) << 32) | ((lo >> IRTE_PDA_LO_SHIFT) << 6);
}
inline void irte_set_pda(uint64_t& lo, uint64_t& hi, uint64_t pda) {
  lo = (lo & ((1ull << IRTE_PDA_LO_SHIFT) - 1)) | (((pda >> 6) & 0x3ffffff) << IRTE_PDA_LO_SHIFT);
  hi = (hi & 0xffffffffull) | ((pda >> 32) << IRTE_HI_PDA_HI_SHIFT);
}

// ---- the posted-interrupt descriptor (VT-d 9.12): 64 bytes, 64-byte aligned, owned
// by the hypervisor (it writes NV and NDST, and clears ON when it has taken the
// requests). PIR bits 255:0 (one per vector), ON bit 256, SN bit 257, NV bits 279:272,
// NDST bits 319:288: xAPIC mode puts the 8-bit APIC ID in NDST[15:8] (pi_ndst()), as
// KVM's vmx pi_desc users do; x2APIC mode all 32 bits.
constexpr unsigned PID_BYTES = 64, PID_ALIGN = 64;
constexpr unsigned PID_PIR_OFFSET = 0, PID_PIR_BYTES = 32;
constexpr unsigned PID_CONTROL_OFFSET = 32;                 // the qword with ON, SN, NV, NDST
constexpr uint64_t PID_ON = 1ull << 0, PID_SN = 1ull << 1;  // bits 256, 257
constexpr unsigned PID_NV_OFFSET = 34;                      // byte: bits 279:272
constexpr unsigned PID_NDST_OFFSET = 36;                    // dword: bits 319:288
constexpr unsigned PID_NV_SHIFT = 16, PID_NDST_SHIFT = 32;  // within the control qword

// NDST for an APIC ID: xAPIC mode (the only one this platform uses) or x2APIC.
constexpr uint32_t pi_ndst(uint32_t apic_id, bool x2apic = false) { return x2apic ? apic_id : (apic_id & 0xff) << 8; }
// The APIC ID an NDST (or a remapped IRTE's destination) names.
constexpr uint32_t apic_id_of(uint32_t dest, bool x2apic = false) { return x2apic ? dest : (dest >> 8) & 0xff; }

}  // namespace iovsim::iommu
