// The remapping unit's register map and queued-invalidation descriptor layout (VT-d
// spec 10.4 and 6.5.2), shared by the model and the host's DMAR driver. Offsets and
// bits: Linux drivers/iommu/intel/iommu.h (DMAR_*_REG, DMA_GCMD_*, DMA_FSTS_*,
// DMA_FRCD_*, QI_*) and QEMU hw/i386/intel_iommu_internal.h (VTD_CAP_*, VTD_ECAP_*,
// VTD_FRCD_*, VTD_INV_DESC_*).
#pragma once

#include <cstdint>

namespace iovsim::iommu {

// Register offsets (VT-d 10.4).
constexpr uint32_t VER_REG = 0x00, CAP_REG = 0x08, ECAP_REG = 0x10, GCMD_REG = 0x18, GSTS_REG = 0x1c,
                   RTADDR_REG = 0x20, CCMD_REG = 0x28, FSTS_REG = 0x34, FECTL_REG = 0x38, FEDATA_REG = 0x3c,
                   FEADDR_REG = 0x40, FEUADDR_REG = 0x44, IQH_REG = 0x80, IQT_REG = 0x88, IQA_REG = 0x90,
                   ICS_REG = 0x9c, IECTL_REG = 0xa0, IEDATA_REG = 0xa4, IEADDR_REG = 0xa8, IEUADDR_REG = 0xac;
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
constexpr unsigned CAP_NFR_SHIFT = 40;      // records - 1
constexpr unsigned CAP_MAMV_SHIFT = 48;
constexpr unsigned MAMV = 18;               // 2^18 pages = 1 GiB per page-selective invalidation (QEMU VTD_MAMV)
constexpr unsigned MGAW_BITS = 48;

// ECAP_REG (VT-d 10.4.3; Linux ecap_*()).
constexpr uint64_t ECAP_C = 1ull << 0;      // page-walk coherency: no cache flushes needed
constexpr uint64_t ECAP_QI = 1ull << 1;
constexpr uint64_t ECAP_DT = 1ull << 2;     // device-TLBs (ATS)
constexpr uint64_t ECAP_PT = 1ull << 6;
constexpr unsigned ECAP_IRO_SHIFT = 8;

// GCMD_REG / GSTS_REG (VT-d 10.4.4-5): command bit and its status bit share a position.
constexpr uint32_t GCMD_TE = 1u << 31, GCMD_SRTP = 1u << 30, GCMD_QIE = 1u << 26;
constexpr uint32_t GSTS_TES = 1u << 31, GSTS_RTPS = 1u << 30, GSTS_QIES = 1u << 26;

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
constexpr unsigned QI_CC_TYPE = 1, QI_IOTLB_TYPE = 2, QI_DIOTLB_TYPE = 3, QI_IWD_TYPE = 5;
constexpr unsigned QI_GRAN_SHIFT = 4;        // CC and IOTLB: G [5:4]
constexpr uint64_t QI_GRAN_MASK = 3;
constexpr unsigned QI_DID_SHIFT = 16;        // CC and IOTLB: DID [31:16]
constexpr unsigned QI_CC_SID_SHIFT = 32, QI_CC_FM_SHIFT = 48;
constexpr uint64_t QI_IOTLB_DR = 1ull << 7, QI_IOTLB_DW = 1ull << 6;
constexpr uint64_t QI_IOTLB_HI_ADDR_MASK = ~0xfffull, QI_IOTLB_HI_IH = 1ull << 6, QI_IOTLB_HI_AM_MASK = 0x3f;
constexpr unsigned QI_DIOTLB_SID_SHIFT = 32;
constexpr uint64_t QI_DIOTLB_HI_ADDR_MASK = ~0xfffull, QI_DIOTLB_HI_S = 1ull << 0;
// Wait descriptor: IF 4, SW 5, FN 6, status data [63:32]; hi: status address [63:2].
constexpr uint64_t QI_IWD_IF = 1ull << 4, QI_IWD_SW = 1ull << 5, QI_IWD_FN = 1ull << 6;
constexpr unsigned QI_IWD_DATA_SHIFT = 32;
constexpr uint64_t QI_IWD_HI_ADDR_MASK = ~3ull;

}  // namespace iovsim::iommu
