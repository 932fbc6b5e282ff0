// Configuration-space conventions every piece of software that programs PCI needs,
// shared by the BIOS (firmware/) and the kernel's PCI core (drivers-sim/pci): BAR
// sizing (write all ones, read back, restore: drivers/pci/probe.c __pci_read_base),
// capability lookup by walking the chains through real config reads, VF routing and
// bridge windows. Plain C++ over host_bus: no SystemC.
#pragma once

#include <cstdint>

#include "platform/hal/host_bus.h"

namespace iovsim::hal {

// An address range a BAR or window decodes (Linux struct resource): [start,
// start+size). `assigned` false = IORESOURCE_UNSET.
struct resource {
  uint64_t start = 0;
  uint64_t size = 0;
  bool assigned = false;
  bool is_64bit = false;
  bool prefetchable = false;
  bool io = false;
  uint64_t end() const { return start + size - 1; }
};

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

}  // namespace iovsim::hal
