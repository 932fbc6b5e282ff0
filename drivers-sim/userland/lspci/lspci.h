// The host shell's `lspci`: formats what the simulated kernel knows of each PCI
// function the way pciutils' lspci does (pciutils lib/dump.c, ls-caps.c,
// ls-ecaps.c, ls-tree.c), so that students type the talks' commands and read the
// real tool's words. It works on plain data: the config bytes as the kernel shows
// them plus what the kernel knows beyond them (names, driver, resource sizes).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace iovsim::host {

// A resource the kernel assigned (sysfs `resource`): lspci prints `[size=...]` from it.
struct pci_resource {
  uint64_t start = 0;
  uint64_t size = 0;     // 0: unknown / not implemented
  // BAR type bits as the BAR register encodes them (bit 0 I/O, 0x4 64-bit, 0x8
  // prefetchable). Used when the register itself reads 0, as a VF's do: lspci then
  // prints the kernel's resource with "[virtual]".
  uint32_t flags = 0;
};

struct lspci_device {
  uint16_t domain = 0;
  uint8_t bus = 0;
  uint8_t dev = 0;       // 0..31
  uint8_t fn = 0;        // 0..7
  // 4096 bytes (or 256 for conventional PCI) exactly as the kernel shows them (sysfs
  // `config`): a VF's Vendor and Device ID registers read 0xFFFF, as on hardware.
  std::vector<uint8_t> config;
  // The IDs the kernel reports (sysfs `vendor`, `device`; for a VF the PF's vendor and
  // the VF Device ID, iov.c pci_iov_add_virtfn). pciutils' sysfs access method takes
  // these, the dump method (-F) the config bytes: -1 means "from the config bytes".
  int32_t vendor_id = -1, device_id = -1;
  // pci.ids names; empty means unknown and lspci prints "Device 1234".
  std::string vendor_name;
  std::string device_name;
  std::string subsys_vendor_name;
  std::string subsys_name;
  std::string driver;                   // "Kernel driver in use"; empty: none
  std::vector<std::string> modules;     // "Kernel modules"
  int irq = 0;                          // "routed to IRQ n" when pin != 0
  std::array<pci_resource, 6> bars{};   // sizes the kernel knows for BAR0-5
  std::string iommu_group;              // "IOMMU group: n" at -vv, in -v's Flags line;
                                        // empty: none
};

struct lspci_result {
  int status = 0;        // 0 ok; 2 usage error (err holds lspci's message)
  std::string out;
  std::string err;
};

// Runs `lspci ARGS...` over the devices (args excludes "lspci"). Devices may come in
// any order; output is sorted as lspci sorts (domain, bus, dev, fn).
// Supported: -n -nn -v -vv -vvv -k -t (with -v / -n) -x -xxx -xxxx -d [v]:[d][:class]
// -s [[domain:]bus:]dev.fn (with * and omitted parts), -D, combined short flags (-vvv,
// -vt, -nnk). Unsupported options give lspci's own usage error and status 2.
lspci_result lspci(const std::vector<lspci_device>& devices, const std::vector<std::string>& args);

// The `lspci -xxxx` dump of one function (header line, 256 lines of 16 bytes, blank
// line): the format `lspci -F FILE` reads back.
std::string lspci_dump(const lspci_device& device);

}  // namespace iovsim::host
