#include "drivers-sim/userland/lspci/sysfs_access.h"

#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace iovsim::host {

namespace {
constexpr const char* DEVICES = "/sys/bus/pci/devices/";
// include/linux/ioport.h: what the `resource` flags column says.
constexpr uint64_t IORESOURCE_IO = 0x100, IORESOURCE_UNSET = 0x20000000;

uint16_t u16_at(const std::vector<uint8_t>& c, size_t off) {
  return off + 1 < c.size() ? static_cast<uint16_t>(c[off] | c[off + 1] << 8) : 0;
}

// "0000:03:00.1" -> domain, bus, device, function.
bool parse_bdf(const std::string& s, lspci_device& d) {
  unsigned dom = 0, bus = 0, dev = 0, fn = 0;
  if (std::sscanf(s.c_str(), "%4x:%2x:%2x.%1u", &dom, &bus, &dev, &fn) != 4) return false;
  d.domain = static_cast<uint16_t>(dom);
  d.bus = static_cast<uint8_t>(bus);
  d.dev = static_cast<uint8_t>(dev);
  d.fn = static_cast<uint8_t>(fn);
  return true;
}

// sysfs_get_resources(): the six BAR lines of `resource`.
void read_resources(const std::string& text, lspci_device& d) {
  std::istringstream in(text);
  std::string line;
  for (unsigned i = 0; i < 6 && std::getline(in, line); ++i) {
    unsigned long long start = 0, end = 0, flags = 0;
    if (std::sscanf(line.c_str(), "%llx %llx %llx", &start, &end, &flags) != 3) continue;
    if (!start && !end) continue;
    d.bars[i].size = end - start + 1;
    d.bars[i].start = flags & IORESOURCE_UNSET ? 0 : start;
    // decode_bar() keeps the BAR's own type bits in the low nibble of the flags.
    d.bars[i].flags = static_cast<uint32_t>(flags & 0xf) | ((flags & IORESOURCE_IO) ? 1u : 0u);
  }
}
}  // namespace

std::vector<lspci_device> read_pci_devices(syscalls& sys, const pci_ids& ids,
                                           const std::function<bool(const std::string& bdf)>& which) {
  vfs& fs = sys.files();
  std::vector<lspci_device> out;
  std::istringstream names(fs.list(DEVICES).data);
  std::string bdf;
  while (std::getline(names, bdf)) {
    lspci_device l;
    if (!parse_bdf(bdf, l)) continue;
    if (which && !which(bdf)) continue;
    const std::string dir = DEVICES + bdf + "/";
    const std::string config = fs.read(dir + "config").data;
    l.config.assign(config.begin(), config.end());
    // pciutils' sysfs_fill_info(): the IDs from the kernel's files (a VF's registers read 0xFFFF).
    l.vendor_id = static_cast<int32_t>(std::strtoul(fs.read(dir + "vendor").data.c_str(), nullptr, 16));
    l.device_id = static_cast<int32_t>(std::strtoul(fs.read(dir + "device").data.c_str(), nullptr, 16));
    const auto vendor = static_cast<uint16_t>(l.vendor_id), device = static_cast<uint16_t>(l.device_id);
    const uint16_t sub_vendor = u16_at(l.config, 0x2c), sub_device = u16_at(l.config, 0x2e);
    l.vendor_name = ids.vendor(vendor);
    l.device_name = ids.device(vendor, device);
    const bool bridge = l.config.size() > 0x0e && (l.config[0x0e] & 0x7f) == 1;
    if (!bridge) {   // a type-1 header has no subsystem IDs at 0x2c
      l.subsys_vendor_name = ids.vendor(sub_vendor);
      l.subsys_name = ids.subsystem(vendor, device, sub_vendor, sub_device);
    }
    l.irq = l.config.size() > 0x3d && l.config[0x3d] ? l.config[0x3c] : 0;   // the line the firmware routed
    read_resources(fs.read(dir + "resource").data, l);
    const fs_result driver = fs.readlink(dir + "driver");
    if (driver.error == 0) l.driver = driver.data.substr(driver.data.rfind('/') + 1);
    // Bridges are bound to the PCIe port driver (portdrv), which iovsim's kernel
    // folds into the PCI core.
    if (bridge) l.driver = "pcieport";
    std::string alias = fs.read(dir + "modalias").data;
    if (!alias.empty() && alias.back() == '\n') alias.pop_back();
    const std::string module = sys.module_for_alias(alias);
    if (!module.empty()) l.modules.push_back(module);
    out.push_back(std::move(l));
  }
  return out;
}

}  // namespace iovsim::host
