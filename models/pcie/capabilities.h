// Builders for the standard capabilities. Each declares the capability's
// registers with their writable and write-1-to-clear masks; layouts and bit
// positions from Linux include/uapi/linux/pci_regs.h (REFERENCE.md section 1).
#pragma once

#include <cstdint>
#include <functional>

#include "models/pcie/config_space.h"

namespace iovsim::pcie {

// Capability IDs (pci_regs.h PCI_CAP_ID_*, PCI_EXT_CAP_ID_*).
constexpr uint8_t CAP_ID_PM = 0x01, CAP_ID_MSI = 0x05, CAP_ID_EXP = 0x10, CAP_ID_MSIX = 0x11;
constexpr uint16_t ECAP_ID_AER = 0x01, ECAP_ID_DSN = 0x03, ECAP_ID_ACS = 0x0d, ECAP_ID_ARI = 0x0e,
                   ECAP_ID_ATS = 0x0f, ECAP_ID_SRIOV = 0x10, ECAP_ID_PRI = 0x13, ECAP_ID_PASID = 0x1b;

// PCI Express capability register offsets and bits.
constexpr uint32_t EXP_FLAGS = 0x02, EXP_DEVCAP = 0x04, EXP_DEVCTL = 0x08, EXP_DEVSTA = 0x0a,
                   EXP_LNKCAP = 0x0c, EXP_LNKCTL = 0x10, EXP_LNKSTA = 0x12, EXP_DEVCAP2 = 0x24,
                   EXP_DEVCTL2 = 0x28, EXP_LNKCAP2 = 0x2c, EXP_LNKCTL2 = 0x30;
constexpr uint32_t EXP_DEVCAP_FLR = 1u << 28;
constexpr uint16_t EXP_DEVCTL_BCR_FLR = 0x8000;
constexpr uint32_t EXP_DEVCAP2_ARI = 0x20;
constexpr uint16_t EXP_DEVCTL2_ARI = 0x20;

enum class port_type : uint8_t {
  endpoint = 0x0,
  root_port = 0x4,
  upstream = 0x5,
  downstream = 0x6,
  root_complex_endpoint = 0x9,
};

struct pcie_cap_params {
  port_type type = port_type::endpoint;
  unsigned max_payload_bytes = 256;  // supported MPS
  bool flr = false;
  unsigned link_gen = 2;             // 1..5
  unsigned link_width = 8;
  unsigned port_number = 0;          // LnkCap [31:24]
  bool ari_forwarding = false;       // DevCap2 ARI Forwarding Supported (ports)
  bool slot = false;                 // Slot Implemented (ports)
  // Called when software sets Initiate Function Level Reset.
  std::function<void()> on_flr;
};

uint32_t add_pm_cap(config_space& cfg);
uint32_t add_msi_cap(config_space& cfg, unsigned vectors_log2, bool addr64, bool maskable);
uint32_t add_msix_cap(config_space& cfg, unsigned vectors, unsigned table_bar, uint32_t table_offset,
                      unsigned pba_bar, uint32_t pba_offset);
uint32_t add_pcie_cap(config_space& cfg, const pcie_cap_params& p);
uint32_t add_aer_cap(config_space& cfg);
uint32_t add_dsn_cap(config_space& cfg, uint64_t serial);
// ARI: `next_function` is the next function number of this device (0 ends the list).
uint32_t add_ari_cap(config_space& cfg, uint8_t next_function);

// ATS (PCIe base spec 10.5.1; pci_regs.h PCI_ATS_*): +4 ATS Capability (Invalidate
// Queue Depth [4:0], 0 meaning 32; Page Aligned Request bit 5), +6 ATS Control (STU
// [4:0] and Enable bit 15 RW). `invalidate_queue_depth` is 1..32, else
// std::invalid_argument.
constexpr uint32_t ATS_CAP = 0x04, ATS_CTRL = 0x06;
constexpr uint16_t ATS_CAP_QDEP_MASK = 0x001f, ATS_CAP_PAGE_ALIGNED = 0x0020;
constexpr uint16_t ATS_CTRL_STU_MASK = 0x001f, ATS_CTRL_ENABLE = 0x8000;
uint32_t add_ats_cap(config_space& cfg, unsigned invalidate_queue_depth, bool page_aligned);

// PRI (PCIe base spec 10.5.2; pci_regs.h PCI_PRI_*): +4 Control (Enable bit 0 RW,
// Reset bit 1 reads 0), +6 Status (Response Failure bit 0 and Unexpected PRG Index
// bit 1 W1C, Stopped bit 8 RO), +8 Outstanding Page Request Capacity RO, +C
// Outstanding Page Request Allocation RW. Stopped reads 1 while Enable is clear;
// setting Enable clears RF, UPRGI and Stopped (the model keeps no outstanding page
// requests beyond what its device tracks, so clearing Enable stops at once).
constexpr uint32_t PRI_CTRL = 0x04, PRI_STATUS = 0x06, PRI_MAX_REQ = 0x08, PRI_ALLOC_REQ = 0x0c;
constexpr uint16_t PRI_CTRL_ENABLE = 0x0001, PRI_CTRL_RESET = 0x0002;
constexpr uint16_t PRI_STATUS_RF = 0x0001, PRI_STATUS_UPRGI = 0x0002, PRI_STATUS_STOPPED = 0x0100;
uint32_t add_pri_cap(config_space& cfg, uint32_t outstanding_capacity);

// Encodings shared with the link model: LnkCap/LnkSta speed field 1..5 (REFERENCE
// section 1) and the MPS/MRRS field (bytes = 128 << field).
unsigned mps_field(unsigned bytes);

}  // namespace iovsim::pcie
