// The remapping unit's register map, queued-invalidation descriptor layout and page
// request descriptor layout (VT-d spec 10.4, 6.5.2, chapter 7), shared by the model and the
// host's DMAR driver. Offsets and bits: Linux v6.1 drivers/iommu/intel/iommu.h
// (DMAR_*_REG, DMA_GCMD_*, DMA_FSTS_*, DMA_FRCD_*, DMA_PRS_*, QI_*, PRQ_*) and QEMU
// hw/i386/intel_iommu_internal.h (VTD_CAP_*, VTD_ECAP_*, VTD_FRCD_*, VTD_INV_DESC_*,
// VTD_PRD_*, VTD_PQA_*).
#pragma once

#include <cstdint>

namespace iovsim::iommu {

// Register offsets (VT-d 10.4).
constexpr uint32_t VER_REG = 0x00, CAP_REG = 0x08, ECAP_REG = 0x10, GCMD_REG = 0x18, GSTS_REG = 0x1c, RTADDR_REG = 0x20,
                   CCMD_REG = 0x28, FSTS_REG = 0x34, FECTL_REG = 0x38, FEDATA_REG = 0x3c, FEADDR_REG = 0x40,
                   FEUADDR_REG = 0x44, IQH_REG = 0x80, IQT_REG = 0x88, IQA_REG = 0x90, ICS_REG = 0x9c, IECTL_REG = 0xa0,
                   IEDATA_REG = 0xa4, IEADDR_REG = 0xa8, IEUADDR_REG = 0xac,
                   IRTA_REG = 0xb8,  // interrupt remapping table address (10.4.29; vtd_ir.h)
    PQH_REG = 0xc0, PQT_REG = 0xc8, PQA_REG = 0xd0, PRS_REG = 0xdc, PECTL_REG = 0xe0, PEDATA_REG = 0xe4,
                   PEADDR_REG = 0xe8, PEUADDR_REG = 0xec;
// Implementation-placed blocks (CAP.FRO / ECAP.IRO give them in 16-byte units): the
// fault recording registers, then the IOTLB registers (IVA_REG, IOTLB_REG).
constexpr uint32_t FRCD_REG_OFFSET = 0x400;
constexpr uint32_t FRCD_REG_BYTES = 16;
constexpr unsigned FRCD_MAX_RECORDS = 16;                    // fills 0x400..0x4ff
constexpr uint32_t IVA_REG = 0x500, IOTLB_REG = 0x508;
constexpr uint32_t VTD_REG_WINDOW_BYTES = 4096;
constexpr unsigned VTD_REG_UNIT_SHIFT = 4;                   // FRO, IRO in 16-byte units

// VER_REG: major [7:4], minor [3:0]. This model is a version 1.0 (legacy-mode) unit.
constexpr uint32_t VER_1_0 = 0x10;

// CAP_REG (VT-d 10.4.2; Linux cap_*()).
constexpr unsigned CAP_ND_SHIFT = 0;        // domains = 2^(4 + 2 x ND)
constexpr unsigned CAP_ND_64K = 6;
constexpr unsigned CAP_SAGAW_SHIFT = 8;     // bit n: AW n supported
constexpr uint64_t CAP_SAGAW_39BIT = 1ull << 1, CAP_SAGAW_48BIT = 1ull << 2;
constexpr unsigned CAP_MGAW_SHIFT = 16;     // MGAW - 1
constexpr unsigned CAP_FRO_SHIFT = 24;
constexpr unsigned CAP_SLLPS_SHIFT = 34;    // bit 0: 2 MiB, bit 1: 1 GiB
constexpr uint64_t CAP_SLLPS_2M = 1ull << 0, CAP_SLLPS_1G = 1ull << 1;
constexpr uint64_t CAP_PSI = 1ull << 39;
constexpr uint64_t CAP_PI = 1ull << 59;     // posted interrupts (Linux cap_pi_support())
constexpr unsigned CAP_NFR_SHIFT = 40;      // records - 1
constexpr unsigned CAP_MAMV_SHIFT = 48;
constexpr unsigned MAMV = 18;               // 2^18 pages = 1 GiB per page-selective invalidation (QEMU VTD_MAMV)
constexpr unsigned MGAW_BITS = 48;

// ECAP_REG (VT-d 10.4.3; Linux ecap_*()).
constexpr uint64_t ECAP_C = 1ull << 0;      // page-walk coherency: no cache flushes needed
constexpr uint64_t ECAP_QI = 1ull << 1;
constexpr uint64_t ECAP_DT = 1ull << 2;     // device-TLBs (ATS)
constexpr uint64_t ECAP_IR = 1ull << 3;     // interrupt remapping (Linux ecap_ir_support())
constexpr uint64_t ECAP_EIM = 1ull << 4;    // x2APIC mode (not advertised: this platform is xAPIC)
constexpr uint64_t ECAP_PT = 1ull << 6;
constexpr unsigned ECAP_IRO_SHIFT = 8;
constexpr uint64_t ECAP_PRS = 1ull << 29;   // page requests (Linux ecap_prs())

// GCMD_REG / GSTS_REG (VT-d 10.4.4-5): command bit and its status bit share a position.
// IRE / IRES: interrupt remapping; SIRTP / IRTPS: latch IRTA_REG; CFI / CFIS: pass
// compatibility-format interrupts (Linux DMA_GCMD_IRE, _SIRTP, _CFI).
constexpr uint32_t GCMD_TE = 1u << 31, GCMD_SRTP = 1u << 30, GCMD_QIE = 1u << 26, GCMD_IRE = 1u << 25,
                   GCMD_SIRTP = 1u << 24, GCMD_CFI = 1u << 23;
constexpr uint32_t GSTS_TES = 1u << 31, GSTS_RTPS = 1u << 30, GSTS_QIES = 1u << 26, GSTS_IRES = 1u << 25,
                   GSTS_IRTPS = 1u << 24, GSTS_CFIS = 1u << 23;

// RTADDR_REG: root table address [63:12].
constexpr uint64_t RTADDR_RTA_MASK = ~0xfffull;

// CCMD_REG (VT-d 10.4.7): ICC 63, CIRG [62:61], CAIG [60:59], FM [33:32], SID [31:16], DID [15:0].
constexpr uint64_t CCMD_ICC = 1ull << 63;
constexpr unsigned CCMD_CIRG_SHIFT = 61, CCMD_CAIG_SHIFT = 59, CCMD_FM_SHIFT = 32, CCMD_SID_SHIFT = 16;
constexpr uint64_t CCMD_GRAN_MASK = 3, CCMD_FM_MASK = 3, CCMD_ID_MASK = 0xffff;
// Granularities shared by CCMD and the context-cache descriptor.
constexpr unsigned CC_GLOBAL = 1, CC_DOMAIN = 2, CC_DEVICE = 3;

// FSTS_REG (VT-d 10.4.9): PFO 0 (RW1C), PPF 1 (RO), IQE 4 (RW1C), FRI [15:8].
constexpr uint32_t FSTS_PFO = 1u << 0, FSTS_PPF = 1u << 1, FSTS_IQE = 1u << 4;
constexpr unsigned FSTS_FRI_SHIFT = 8;
constexpr uint32_t FSTS_FRI_MASK = 0xffu << FSTS_FRI_SHIFT;

// FECTL_REG / IECTL_REG (VT-d 10.4.10, 10.4.25): IM 31 (reset 1), IP 30 (RO).
constexpr uint32_t FECTL_IM = 1u << 31, FECTL_IP = 1u << 30;
constexpr uint32_t IECTL_IM = 1u << 31, IECTL_IP = 1u << 30;
constexpr uint32_t FEADDR_MASK = ~3u;       // dword-aligned message address

// Fault recording register (VT-d 10.4.14), as two qwords. lo: FI [63:12] (page
// address). hi: SID [15:0], FR [39:32], T 62 (1 read, 0 write), F 63 (RW1C).
constexpr uint64_t FRCD_LO_FI_MASK = ~0xfffull;
constexpr uint64_t FRCD_HI_SID_MASK = 0xffff;
constexpr unsigned FRCD_HI_FR_SHIFT = 32;
constexpr uint64_t FRCD_HI_FR_MASK = 0xffull << FRCD_HI_FR_SHIFT;
constexpr uint64_t FRCD_HI_T = 1ull << 62, FRCD_HI_F = 1ull << 63;

// IQH / IQT: QH / QT [18:4] (index of a 16-byte descriptor). IQA: base [63:12], QS [2:0]
// (2^QS 4 KiB pages = 256 x 2^QS descriptors). ICS: IWC bit 0 (RW1C).
constexpr unsigned IQ_INDEX_SHIFT = 4;
constexpr uint64_t IQ_INDEX_MASK = 0x7fffull << IQ_INDEX_SHIFT;
constexpr uint64_t IQA_BASE_MASK = ~0xfffull, IQA_QS_MASK = 7;
constexpr unsigned IQ_DESCRIPTORS_PER_PAGE = 256;
constexpr unsigned IQ_DESCRIPTOR_BYTES = 16;
constexpr uint32_t ICS_IWC = 1u << 0;

// Page request queue (VT-d 10.4 PQH_REG/PQT_REG/PQA_REG; Linux PRQ_RING_MASK): PQH and PQT hold
// the byte offset of a 32-byte descriptor, bits [18:5]. PQA: base [63:12], PQS [2:0]
// (2^PQS 4 KiB pages = 2^(PQS + 7) descriptors; QEMU vtd_prq_size()). PRS: PPR bit 0,
// PRO bit 1, both RW1C (DMA_PRS_PPR, DMA_PRS_PRO). PECTL: IM 31 (reset 1), IP 30 (RO).
constexpr uint64_t PQ_OFFSET_MASK = 0x3fffull << 5;
constexpr uint64_t PQA_BASE_MASK = ~0xfffull, PQA_QS_MASK = 7;
constexpr unsigned PRQ_DESCRIPTORS_PER_PAGE = 128;
constexpr unsigned PRQ_DESCRIPTOR_BYTES = 32;
constexpr uint32_t PRS_PPR = 1u << 0, PRS_PRO = 1u << 1;
constexpr uint32_t PECTL_IM = 1u << 31, PECTL_IP = 1u << 30;

// Page Request Descriptor (VT-d 3.x chapter 7, "Page Request Descriptor", 256-bit;
// QEMU cites it as 7.4.1.1 of a later revision; Linux v6.1 svm.c struct
// page_req_dsc, QEMU VTD_PRD_*). qw0: type [7:0] = 1, PASID present 8, private data
// present 9, requester ID [31:16], PASID [51:32], execute 52, privileged 53. qw1: read
// 0, write 1, LPIG 2, page request group index [11:3], page address [63:12]. qw2-qw3:
// private data (none here: written as zero).
constexpr uint64_t PRD_TYPE_PAGE_REQUEST = 1, PRD_TYPE_MASK = 0xff;
constexpr uint64_t PRD_PASID_PRESENT = 1ull << 8, PRD_PRIV_DATA_PRESENT = 1ull << 9;
constexpr unsigned PRD_RID_SHIFT = 16;
constexpr uint64_t PRD_RID_MASK = 0xffff;
constexpr uint64_t PRD_HI_READ = 1ull << 0, PRD_HI_WRITE = 1ull << 1, PRD_HI_LPIG = 1ull << 2;
constexpr unsigned PRD_HI_PRGI_SHIFT = 3;
constexpr uint64_t PRD_HI_PRGI_MASK = 0x1ff, PRD_HI_ADDR_MASK = ~0xfffull;

// IVA_REG: ADDR [63:12], IH 6, AM [5:0]. IOTLB_REG: IVT 63, IIRG [61:60], IAIG
// [58:57], DR 49, DW 48, DID [47:32] (VT-d 10.4.8).
constexpr uint64_t IVA_ADDR_MASK = ~0xfffull, IVA_IH = 1ull << 6, IVA_AM_MASK = 0x3f;
constexpr uint64_t IOTLB_IVT = 1ull << 63;
constexpr unsigned IOTLB_IIRG_SHIFT = 60, IOTLB_IAIG_SHIFT = 57, IOTLB_DID_SHIFT = 32;
constexpr uint64_t IOTLB_DR = 1ull << 49, IOTLB_DW = 1ull << 48;
// Granularities shared by IOTLB_REG and the IOTLB descriptor.
constexpr unsigned IOTLB_GLOBAL = 1, IOTLB_DOMAIN = 2, IOTLB_PAGE = 3;

// Queued-invalidation descriptors (VT-d 6.5.2, 128-bit). lo type [3:0].
constexpr uint64_t QI_TYPE_MASK = 0xf;
constexpr unsigned QI_CC_TYPE = 1, QI_IOTLB_TYPE = 2, QI_DIOTLB_TYPE = 3, QI_IEC_TYPE = 4, QI_IWD_TYPE = 5,
                   QI_PGRP_RESP_TYPE = 9;
constexpr unsigned QI_GRAN_SHIFT = 4;        // CC and IOTLB: G [5:4]
constexpr uint64_t QI_GRAN_MASK = 3;
constexpr unsigned QI_DID_SHIFT = 16;        // CC and IOTLB: DID [31:16]
constexpr unsigned QI_CC_SID_SHIFT = 32, QI_CC_FM_SHIFT = 48;
constexpr uint64_t QI_IOTLB_DR = 1ull << 7, QI_IOTLB_DW = 1ull << 6;
constexpr uint64_t QI_IOTLB_HI_ADDR_MASK = ~0xfffull, QI_IOTLB_HI_IH = 1ull << 6, QI_IOTLB_HI_AM_MASK = 0x3f;
constexpr unsigned QI_DIOTLB_SID_SHIFT = 32;
constexpr uint64_t QI_DIOTLB_HI_ADDR_MASK = ~0xfffull, QI_DIOTLB_HI_S = 1ull << 0;
// Interrupt entry cache invalidate descriptor (VT-d 6.5.2.7; Linux QI_IEC_*): G 4 (0
// global, 1 index-selective), IM [31:27] (2^IM entries from IIDX), IIDX [47:32].
constexpr uint64_t QI_IEC_SELECTIVE = 1ull << 4;
constexpr unsigned QI_IEC_IM_SHIFT = 27, QI_IEC_IIDX_SHIFT = 32;
constexpr uint64_t QI_IEC_IM_MASK = 0x1f, QI_IEC_IIDX_MASK = 0xffff;
// Wait descriptor: IF 4, SW 5, FN 6, status data [63:32]; hi: status address [63:2].
constexpr uint64_t QI_IWD_IF = 1ull << 4, QI_IWD_SW = 1ull << 5, QI_IWD_FN = 1ull << 6;
constexpr unsigned QI_IWD_DATA_SHIFT = 32;
constexpr uint64_t QI_IWD_HI_ADDR_MASK = ~3ull;
// Page Group Response descriptor (VT-d 3.x 6.5.2; Linux v6.1 iommu.h QI_PGRP_*): lo
// PASID present 4 (QI_PGRP_PASID_P), private data present 5 (QI_PGRP_PDP), response
// code [15:12] (QI_PGRP_RESP_CODE), requester ID [31:16] (QI_PGRP_DID, named for a
// domain but carrying the RID), PASID [51:32]; hi LPIG 2 (QI_PGRP_LPIG), page request
// group index [11:3] (QI_PGRP_IDX). Response codes are PCIe's (10.4.2): QI_RESP_SUCCESS,
// QI_RESP_INVALID (Invalid Request), QI_RESP_FAILURE (Response Failure).
constexpr uint64_t QI_PGRP_PASID_P = 1ull << 4, QI_PGRP_PDP = 1ull << 5;
constexpr unsigned QI_PGRP_RESP_CODE_SHIFT = 12, QI_PGRP_RID_SHIFT = 16;
constexpr uint64_t QI_PGRP_RESP_CODE_MASK = 0xf, QI_PGRP_RID_MASK = 0xffff;
constexpr uint64_t QI_PGRP_HI_LPIG = 1ull << 2;
constexpr unsigned QI_PGRP_HI_IDX_SHIFT = 3;
constexpr uint64_t QI_PGRP_HI_IDX_MASK = 0x1ff;
constexpr unsigned QI_RESP_SUCCESS = 0x0, QI_RESP_INVALID = 0x1, QI_RESP_FAILURE = 0xf;
// Reserved bits (QEMU VTD_INV_DESC_PGRESP_RSVD_LO / _HI): lo [8:5] and [63:52], hi [1:0]
// and [63:12]. Type bits [11:9] of 256-bit-capable units are left to the type decode.
constexpr uint64_t QI_PGRP_LO_RSVD = 0xfff00000000001e0ull, QI_PGRP_HI_RSVD = 0xfffffffffffff003ull;
constexpr unsigned QI_PGRP_PASID_SHIFT = 32;
constexpr uint64_t QI_PGRP_PASID_MASK = 0xfffff;

}  // namespace iovsim::iommu
