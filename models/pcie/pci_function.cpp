#include "models/pcie/pci_function.h"

#include <fmt/format.h>

namespace iovsim::pcie {

pci_function::pci_function(const std::string& name) : m_name(name), m_cfg(name) {}

pci_function::pci_function(const std::string& name, std::shared_ptr<const kit::reg_layout> cfg_layout)
    : m_name(name), m_cfg(cfg_layout ? config_space(name, std::move(cfg_layout), this) : config_space(name)) {}

void pci_function::declare_bars(config_space& cfg, uint32_t base, const std::array<bar_info, 6>& bars,
                                const std::string& prefix) {
  for (int i = 0; i < 6; ++i) {
    const bar_info& b = bars[static_cast<size_t>(i)];
    const uint32_t at = base + 4u * static_cast<uint32_t>(i);
    if (b.size == 0) {
      // The upper half of a 64-bit BAR is declared with its lower half below.
      if (i > 0 && bars[static_cast<size_t>(i - 1)].is_64bit) continue;
      cfg.ro(fmt::format("{}{}", prefix, i), at, 4, 0);
      continue;
    }
    // Address bits below the size read as zero: writing all ones reads back the size.
    uint32_t type = b.io ? BAR_IO : ((b.is_64bit ? BAR_MEM_64 : 0) | (b.prefetchable ? BAR_PREFETCH : 0));
    const uint64_t addr_mask = ~(b.size - 1);
    const uint32_t low_mask = static_cast<uint32_t>(addr_mask) & (b.io ? ~0x3u : ~0xfu);
    cfg.reg(kit::reg(fmt::format("{}{}", prefix, i), at, 4).reset_to(type).rw(low_mask));
    if (b.is_64bit)
      cfg.reg(kit::reg(fmt::format("{}{}_hi", prefix, i), at + 4, 4).rw(static_cast<uint32_t>(addr_mask >> 32)));
  }
}

uint64_t read_bar_address(const config_space& cfg, uint32_t base, const std::array<bar_info, 6>& bars,
                          int index) {
  const bar_info& b = bars[static_cast<size_t>(index)];
  if (b.size == 0) return 0;
  const uint32_t at = base + 4u * static_cast<uint32_t>(index);
  uint64_t addr = cfg.get(at, 4) & (b.io ? ~0x3ull : ~0xfull) & 0xffffffffull;
  if (b.is_64bit) addr |= static_cast<uint64_t>(cfg.get(at + 4, 4)) << 32;
  return addr;
}

uint64_t pci_function::bar_base(int index) const { return read_bar_address(m_cfg, CFG_BAR0, m_bars, index); }

bool pci_function::decode_mem(uint64_t addr, int& bar, uint64_t& offset) const {
  if (!memory_enabled()) return false;
  for (int i = 0; i < 6; ++i) {
    const bar_info& b = m_bars[static_cast<size_t>(i)];
    if (b.size == 0 || b.io) continue;
    const uint64_t base = bar_base(i);
    if (base != 0 && addr >= base && addr - base < b.size) {
      bar = i;
      offset = addr - base;
      return true;
    }
  }
  return false;
}

// 0x00-0x0D, the same in type-0 and type-1 headers.
void pci_function::declare_common_header(const function_ids& ids) {
  config_space& c = m_cfg;
  c.ro("VENDOR_ID", CFG_VENDOR_ID, 2, ids.vendor);
  c.ro("DEVICE_ID", CFG_DEVICE_ID, 2, ids.device);
  c.reg(kit::reg("COMMAND", CFG_COMMAND, 2).rw(COMMAND_IO | COMMAND_MEMORY | COMMAND_MASTER | COMMAND_SERR |
                                            0x40 /*parity*/ | COMMAND_INTX_DISABLE));
  // Status error bits are write-1-to-clear (pci_regs.h PCI_STATUS_*).
  c.reg(kit::reg("STATUS", CFG_STATUS, 2).clear_on_1(0xf900));
  c.ro("REVISION", CFG_REVISION, 1, ids.revision);
  c.ro("CLASS_PROG", CFG_CLASS_PROG, 1, ids.class_code & 0xff);
  c.ro("CLASS_DEVICE", CFG_CLASS_PROG + 1, 2, ids.class_code >> 8);
  c.reg(kit::reg("CACHE_LINE_SIZE", CFG_CACHE_LINE, 1).rw(0xff));
  c.ro("LATENCY_TIMER", CFG_LATENCY, 1, 0);
}

void pci_function::build_type0_header(const function_ids& ids, const std::array<bar_info, 6>& bars,
                                      bool multifunction, uint8_t int_pin) {
  m_bars = bars;
  config_space& c = m_cfg;
  declare_common_header(ids);
  c.ro("HEADER_TYPE", CFG_HEADER_TYPE, 1, multifunction ? 0x80 : 0x00);
  declare_bars(c, CFG_BAR0, bars, "BAR");
  c.ro("SUBSYSTEM_VENDOR_ID", CFG_SUBSYS_VENDOR, 2, ids.subsys_vendor);
  c.ro("SUBSYSTEM_ID", CFG_SUBSYS_ID, 2, ids.subsys);
  c.ro("ROM_ADDRESS", 0x30, 4, 0);
  c.ro("CAPABILITY_LIST", CFG_CAP_PTR, 1, 0);
  c.reg(kit::reg("INTERRUPT_LINE", CFG_INT_LINE, 1).rw(0xff));
  c.ro("INTERRUPT_PIN", CFG_INT_PIN, 1, int_pin);
}

void pci_function::build_type1_header(const function_ids& ids) {
  config_space& c = m_cfg;
  declare_common_header(ids);
  c.ro("HEADER_TYPE", CFG_HEADER_TYPE, 1, 0x01);
  c.ro("BAR0", 0x10, 4, 0);
  c.ro("BAR1", 0x14, 4, 0);
  c.reg(kit::reg("PRIMARY_BUS", CFG_PRIMARY_BUS, 1).rw(0xff));
  c.reg(kit::reg("SECONDARY_BUS", CFG_SECONDARY_BUS, 1).rw(0xff));
  c.reg(kit::reg("SUBORDINATE_BUS", CFG_SUBORDINATE_BUS, 1).rw(0xff));
  c.ro("SEC_LATENCY_TIMER", CFG_SEC_LATENCY, 1, 0);
  // I/O window: 16-bit decode (type 0 in the low nibble), 4 KiB granularity.
  c.reg(kit::reg("IO_BASE", CFG_IO_BASE, 1).rw(0xf0));
  c.reg(kit::reg("IO_LIMIT", CFG_IO_LIMIT, 1).rw(0xf0));
  c.reg(kit::reg("SEC_STATUS", CFG_SEC_STATUS, 2).clear_on_1(0xf900));
  // Memory windows: 1 MiB granularity; the prefetchable one decodes 64-bit (type 1).
  c.reg(kit::reg("MEMORY_BASE", CFG_MEM_BASE, 2).rw(0xfff0));
  c.reg(kit::reg("MEMORY_LIMIT", CFG_MEM_LIMIT, 2).rw(0xfff0));
  c.reg(kit::reg("PREF_MEMORY_BASE", CFG_PREF_BASE, 2).reset_to(0x1).rw(0xfff0));
  c.reg(kit::reg("PREF_MEMORY_LIMIT", CFG_PREF_LIMIT, 2).reset_to(0x1).rw(0xfff0));
  c.reg(kit::reg("PREF_BASE_UPPER32", CFG_PREF_BASE_UPPER, 4).rw(0xffffffff));
  c.reg(kit::reg("PREF_LIMIT_UPPER32", CFG_PREF_LIMIT_UPPER, 4).rw(0xffffffff));
  c.ro("IO_BASE_UPPER16", CFG_IO_BASE_UPPER, 2, 0);
  c.ro("IO_LIMIT_UPPER16", 0x32, 2, 0);
  c.ro("CAPABILITY_LIST", CFG_CAP_PTR, 1, 0);
  c.ro("ROM_ADDRESS1", 0x38, 4, 0);
  c.reg(kit::reg("INTERRUPT_LINE", CFG_INT_LINE, 1).rw(0xff));
  c.ro("INTERRUPT_PIN", CFG_INT_PIN, 1, 0);
  c.reg(kit::reg("BRIDGE_CONTROL", CFG_BRIDGE_CONTROL, 2).rw(0x0fff));
}

}  // namespace iovsim::pcie
