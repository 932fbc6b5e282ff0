// A function's 4 KiB PCIe configuration space, built from data: the type-0/type-1
// header, then the capability chain (0x40-0xFF) and the extended-capability chain
// (from 0x100), each capability declared as registers of one reg_bank.
// Layouts: Linux include/uapi/linux/pci_regs.h (REFERENCE.md section 1).
#pragma once

#include <cstdint>
#include <string>

#include "models/kit/reg_bank.h"

namespace iovsim::pcie {

// Header offsets and bits (pci_regs.h).
constexpr uint32_t CFG_VENDOR_ID = 0x00, CFG_DEVICE_ID = 0x02, CFG_COMMAND = 0x04,
                   CFG_STATUS = 0x06, CFG_REVISION = 0x08, CFG_CLASS_PROG = 0x09,
                   CFG_CACHE_LINE = 0x0c, CFG_LATENCY = 0x0d, CFG_HEADER_TYPE = 0x0e,
                   CFG_BAR0 = 0x10, CFG_SUBSYS_VENDOR = 0x2c, CFG_SUBSYS_ID = 0x2e,
                   CFG_CAP_PTR = 0x34, CFG_INT_LINE = 0x3c, CFG_INT_PIN = 0x3d;
// Type-1 header.
constexpr uint32_t CFG_PRIMARY_BUS = 0x18, CFG_SECONDARY_BUS = 0x19, CFG_SUBORDINATE_BUS = 0x1a,
                   CFG_SEC_LATENCY = 0x1b, CFG_IO_BASE = 0x1c, CFG_IO_LIMIT = 0x1d,
                   CFG_SEC_STATUS = 0x1e, CFG_MEM_BASE = 0x20, CFG_MEM_LIMIT = 0x22,
                   CFG_PREF_BASE = 0x24, CFG_PREF_LIMIT = 0x26, CFG_PREF_BASE_UPPER = 0x28,
                   CFG_PREF_LIMIT_UPPER = 0x2c, CFG_IO_BASE_UPPER = 0x30, CFG_BRIDGE_CONTROL = 0x3e;
constexpr uint16_t COMMAND_IO = 0x1, COMMAND_MEMORY = 0x2, COMMAND_MASTER = 0x4,
                   COMMAND_SERR = 0x100, COMMAND_INTX_DISABLE = 0x400;
constexpr uint16_t STATUS_CAP_LIST = 0x10;
constexpr uint32_t BAR_IO = 0x1, BAR_MEM_64 = 0x4, BAR_PREFETCH = 0x8;
constexpr uint32_t CONFIG_SPACE_BYTES = 4096;
constexpr uint32_t EXT_CAP_START = 0x100;

class config_space {
 public:
  explicit config_space(const std::string& name);

  kit::reg_bank& bank() { return m_bank; }
  const kit::reg_bank& bank() const { return m_bank; }

  uint32_t read(uint32_t offset, unsigned len) { return static_cast<uint32_t>(m_bank.read(offset, len)); }
  void write(uint32_t offset, unsigned len, uint32_t value) { m_bank.write(offset, len, value); }
  uint32_t get(uint32_t offset, unsigned width) const { return static_cast<uint32_t>(m_bank.get(offset, width)); }
  void set(uint32_t offset, unsigned width, uint32_t value) { m_bank.set(offset, width, value); }

  // The header (declared first) must hold CFG_STATUS (2 bytes) and CFG_CAP_PTR.
  // Reserves a capability of `size` bytes in 0x40-0xFF (dword aligned), links it
  // into the chain, declares its read-only ID/next header and returns its offset.
  // The caller then declares the capability's registers from offset + 2, in order.
  uint32_t add_cap(uint8_t id, uint32_t size);
  // Same for an extended capability (version `ver`) from 0x100.
  uint32_t add_ext_cap(uint16_t id, uint8_t ver, uint32_t size);

  // Offset of the first capability with this ID, or 0.
  uint32_t find_cap(uint8_t id) const;
  uint32_t find_ext_cap(uint16_t id) const;

  // Convenience: a read-only register / a plain register with masks.
  void ro(const std::string& name, uint32_t offset, unsigned width, uint64_t value);
  kit::reg_def& reg(kit::reg_def def) { return m_bank.add(std::move(def)); }

 private:
  kit::reg_bank m_bank;
  uint32_t m_next_cap = 0x40;
  uint32_t m_last_cap = 0;
  uint32_t m_next_ext = EXT_CAP_START;
  uint32_t m_last_ext = 0;
};

}  // namespace iovsim::pcie
