// Builders for the standard capabilities. Each declares the capability's
// registers with their writable and write-1-to-clear masks; layouts and bit
// positions from Linux include/uapi/linux/pci_regs.h (REFERENCE.md section 1).
#pragma once

#include <cstdint>
#include <functional>

#include "models/pcie/config_space.h"

namespace iovsim::pcie {

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
// The link trained: Link Status shows the speed and width both ends negotiated
// (PCIe base spec 7.5.3.8, Current Link Speed / Negotiated Link Width), which Link
// Capabilities does not. From now and after every reset (the link trains the same).
void set_link_status(config_space& cfg, unsigned gen, unsigned width);
uint32_t add_dsn_cap(config_space& cfg, uint64_t serial);
// ARI: `next_function` is the next function number of this device (0 ends the list).
uint32_t add_ari_cap(config_space& cfg, uint8_t next_function);

// ATS (PCIe base spec 10.5.1; pci_regs.h PCI_ATS_*): +4 ATS Capability (Invalidate
// Queue Depth [4:0], 0 meaning 32; Page Aligned Request bit 5), +6 ATS Control (STU
// [4:0] and Enable bit 15 RW). `invalidate_queue_depth` is 1..32, else
// std::invalid_argument.
uint32_t add_ats_cap(config_space& cfg, unsigned invalidate_queue_depth, bool page_aligned);

// PRI (PCIe base spec 10.5.2; pci_regs.h PCI_PRI_*): +4 Control (Enable bit 0 RW,
// Reset bit 1 reads 0), +6 Status (Response Failure bit 0 and Unexpected PRG Index
// bit 1 W1C, Stopped bit 8 RO), +8 Outstanding Page Request Capacity RO, +C
// Outstanding Page Request Allocation RW. Stopped reads 1 while Enable is clear;
// setting Enable clears RF, UPRGI and Stopped (the model keeps no outstanding page
// requests beyond what its device tracks, so clearing Enable stops at once).
uint32_t add_pri_cap(config_space& cfg, uint32_t outstanding_capacity);

// Encodings shared with the link model: LnkCap/LnkSta speed field 1..5 (REFERENCE
// section 1) and the MPS/MRRS field (bytes = 128 << field).
unsigned mps_field(unsigned bytes);

}  // namespace iovsim::pcie
