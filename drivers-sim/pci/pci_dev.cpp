#include "drivers-sim/pci/pci_dev.h"

#include <fmt/format.h>

namespace iovsim::host {

std::string pci_dev::bdf() const { return fmt::format("{:04x}:{:02x}:{:02x}.{}", domain, bus, dev(), fn()); }
std::string pci_dev::short_bdf() const { return fmt::format("{:02x}:{:02x}.{}", bus, dev(), fn()); }

std::string format_bus_range(unsigned start, unsigned end) {
  return start == end ? fmt::format("[bus {:02x}]", start) : fmt::format("[bus {:02x}-{:02x}]", start, end);
}

std::string format_resource(const resource& r) {
  std::string flags;
  if (r.is_64bit) flags += " 64bit";
  if (r.prefetchable) flags += " pref";
  const char* kind = r.io ? "io" : "mem";
  if (!r.assigned) return fmt::format("[{} size 0x{:08x}{}]", kind, r.size, flags);
  return fmt::format("[{} 0x{:08x}-0x{:08x}{}]", kind, r.start, r.end(), flags);
}

}  // namespace iovsim::host
