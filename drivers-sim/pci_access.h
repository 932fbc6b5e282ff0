// Configuration-space helpers shared by the BIOS and the kernel's PCI core: BAR
// sizing (write all ones, read back, restore: drivers/pci/probe.c __pci_read_base)
// and capability lookup by walking the chains through real config reads.
#pragma once

#include <cstdint>

#include "drivers-sim/kernel.h"
#include "platform/platform.h"

namespace iovsim::host {

// Sizes and reads the BAR at config offset `reg` (a header BAR or an SR-IOV VF BAR).
// Returns the resource (assigned when its address is non-zero) and sets `is_64bit_upper_used`
// when it consumed the next dword too.
resource read_bar(platform::host_bus& bus, unsigned busnr, unsigned devfn, unsigned reg, bool& used_two);

// Writes a BAR address (both halves for a 64-bit BAR).
void write_bar(platform::host_bus& bus, unsigned busnr, unsigned devfn, unsigned reg, const resource& r);

uint32_t find_capability(platform::host_bus& bus, unsigned busnr, unsigned devfn, uint8_t id);
uint32_t find_ext_capability(platform::host_bus& bus, unsigned busnr, unsigned devfn, uint16_t id);

// VF routing (drivers/pci/iov.c pci_iov_virtfn_bus/devfn): relative to the PF.
inline unsigned virtfn_bus(unsigned pf_bus, unsigned pf_devfn, unsigned offset, unsigned stride, unsigned i) {
  return pf_bus + ((pf_devfn + offset + stride * i) >> 8);
}
inline unsigned virtfn_devfn(unsigned pf_devfn, unsigned offset, unsigned stride, unsigned i) {
  return (pf_devfn + offset + stride * i) & 0xff;
}

// Programs a bridge's memory windows ([base, base+size) each; size 0 closes it).
void write_bridge_windows(platform::host_bus& bus, unsigned busnr, unsigned devfn, uint64_t mem_base,
                          uint64_t mem_size, uint64_t pref_base, uint64_t pref_size);

}  // namespace iovsim::host
