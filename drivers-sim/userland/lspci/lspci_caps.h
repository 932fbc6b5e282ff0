// Private to the lspci formatter: what lspci.cpp, lspci_header.cpp, lspci_tree.cpp,
// lspci_names.cpp, lspci_caps.cpp, lspci_express.cpp and lspci_ecaps.cpp share. Not
// part of the host API.
#pragma once

#include "drivers-sim/userland/lspci/lspci.h"

#include <fmt/format.h>

#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace iovsim::host::lspci_impl {

// Command-line state, as pciutils lspci.c keeps it in globals.
struct options {
  int verbose = 0;        // -v count
  int numeric = 0;        // -n count: 1 numbers only, 2 names and numbers
  int hex = 0;            // -x count
  bool kernel = false;    // -k
  bool tree = false;      // -t
  bool domains = false;   // -D, or some device has a non-zero domain
};

// lspci's device filter (pciutils lib/filter.c): -1 = any.
struct filter {
  int domain = -1, bus = -1, slot = -1, func = -1;
  int vendor = -1, device = -1;
  int device_class = -1;
  unsigned device_class_mask = ~0U;
  int prog_if = -1;
  bool given = false;   // any -s or -d seen (the tree prunes only then)
};

// Read-only view of a function's config bytes. Reads past the end give 0; has()
// says whether lspci could have fetched the range (pciutils lspci.c config_fetch).
class config_view {
 public:
  explicit config_view(const std::vector<uint8_t>& bytes) : m_bytes(bytes) {}
  bool has(unsigned pos, unsigned len) const { return pos + len <= m_bytes.size(); }
  unsigned size() const { return static_cast<unsigned>(m_bytes.size()); }
  uint8_t u8(unsigned pos) const { return pos < m_bytes.size() ? m_bytes[pos] : 0; }
  uint16_t u16(unsigned pos) const { return static_cast<uint16_t>(u8(pos) | (u8(pos + 1) << 8)); }
  uint32_t u32(unsigned pos) const { return u16(pos) | (static_cast<uint32_t>(u16(pos + 2)) << 16); }

 private:
  const std::vector<uint8_t>& m_bytes;
};

// Config header offsets (Linux include/uapi/linux/pci_regs.h).
constexpr unsigned CFG_VENDOR = 0x00, CFG_DEVICE = 0x02, CFG_COMMAND = 0x04, CFG_STATUS = 0x06;
constexpr unsigned CFG_REVISION = 0x08, CFG_PROG_IF = 0x09, CFG_CLASS = 0x0a;
constexpr unsigned CFG_HEADER_TYPE = 0x0e, CFG_BAR0 = 0x10, CFG_SUBSYS_VENDOR = 0x2c;
constexpr unsigned CFG_CAP_PTR = 0x34, CFG_INT_LINE = 0x3c, CFG_INT_PIN = 0x3d;
constexpr unsigned STATUS_CAP_LIST = 0x10;
constexpr unsigned HEADER_NORMAL = 0, HEADER_BRIDGE = 1, HEADER_CARDBUS = 2;

// One function as the formatter sees it: the caller's data plus the view.
struct device_ctx {
  const lspci_device& dev;
  config_view cfg;
  const options& opt;

  uint16_t vendor_id() const { return dev.vendor_id >= 0 ? static_cast<uint16_t>(dev.vendor_id) : cfg.u16(CFG_VENDOR); }
  uint16_t device_id() const { return dev.device_id >= 0 ? static_cast<uint16_t>(dev.device_id) : cfg.u16(CFG_DEVICE); }
  uint16_t device_class() const { return cfg.u16(CFG_CLASS); }
  unsigned header_type() const { return cfg.u8(CFG_HEADER_TYPE) & 0x7f; }
  // Whether the kernel reported BAR resources (sysfs view) rather than the raw dump.
  bool kernel_resources() const;
  // BAR i's address as lspci's pci_dev base_addr holds it (address | flag bits).
  uint64_t base_addr(int i) const;
  // lspci ls-caps.c device_has_memory_space_bar().
  bool has_memory_bar() const;
};

inline char flag(uint32_t value, uint32_t mask) { return (value & mask) ? '+' : '-'; }

template <typename... T>
void put(std::string& out, fmt::format_string<T...> format, T&&... args) {
  fmt::format_to(std::back_inserter(out), format, std::forward<T>(args)...);
}

// lspci_names.cpp: pci.ids lookups the way pciutils lib/names.c formats them.
std::string class_text(uint16_t device_class, int numeric);
std::optional<std::string> prog_if_name(uint16_t device_class, uint8_t prog_if);
std::string name_pair(const std::string& vendor, const std::string& device, uint16_t vendor_id,
                      uint16_t device_id, int numeric);
std::string subsystem_text(const device_ctx& d, uint16_t sub_vendor, uint16_t sub_device);
std::string vendor_device_text(const device_ctx& d);

// lspci_header.cpp: everything -v adds before the capability list.
void show_verbose_header(std::string& out, const device_ctx& d);
// lspci.cpp: the one-line form (plus Subsystem at -v/-k).
void show_terse(std::string& out, const device_ctx& d);
std::string slot_name(const device_ctx& d);
// lspci_tree.cpp: -t.
void show_tree(std::string& out, const std::vector<device_ctx>& devices, const filter& f);
bool filter_match(const filter& f, const device_ctx& d);

// lspci_caps.cpp / lspci_ecaps.cpp: capability lists at -v and above.
void show_caps(std::string& out, const device_ctx& d, unsigned pointer_offset);
void show_ext_caps(std::string& out, const device_ctx& d, int express_type);
// lspci_express.cpp: the PCI Express capability; returns the device/port type.
int cap_express(std::string& out, const device_ctx& d, unsigned where, uint16_t cap);
// lspci_caps.cpp: the Subsystem ID capability, which libpci also uses for bridges.
std::optional<std::pair<uint16_t, uint16_t>> ssvid_capability(const device_ctx& d);

}  // namespace iovsim::host::lspci_impl
