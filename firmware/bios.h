// The platform firmware's PCI initialisation, run before the kernel: depth-first
// bus numbering, BAR sizing and assignment, bridge windows, INTx routing. What the
// firmware does differently from BIOS to BIOS is bios_options: whether it reserves
// bus numbers for VFs and whether it assigns the SR-IOV VF BARs (a BIOS without
// SR-IOV support does neither: PHENOMENA A3, A4). It reports what it did and the
// host bridge's memory windows (what ACPI _CRS hands the kernel).
#pragma once

#include <cstdint>

#include "firmware/hal.h"

namespace iovsim::fw {

struct bios_options {
  // Depth-first numbering that reserves the bus numbers SR-IOV devices need for
  // their VFs at TotalVFs (an SR-IOV-aware BIOS); false: tight numbering, each
  // bridge's subordinate bus is the highest bus found below it.
  bool reserve_vf_buses = true;
  // VF BARs get addresses and bridge windows cover them; false: left at 0.
  bool assign_iov_bars = true;
  uint64_t mmio_base = 0x90000000ull;         // start of the 32-bit MMIO window
  uint64_t mmio64_base = 0x380000000000ull;   // start of the 64-bit prefetchable window
};

struct bios_summary {
  unsigned last_bus = 0;
  unsigned functions = 0;
  unsigned bars_assigned = 0;
  unsigned iov_bars_left = 0;     // VF BARs left unassigned
  // The root bus's windows as the firmware describes them to the OS (_CRS).
  uint64_t mmio_base = 0, mmio64_base = 0;
};

bios_summary run_bios(hal& hw, const bios_options& options);

}  // namespace iovsim::fw
