// A function's 4 KiB PCIe configuration space, built from data: the type-0/type-1
// header, then the capability chain (0x40-0xFF) and the extended-capability chain
// (from 0x100), each capability declared as registers of one reg_bank.
// The register map itself is pci_regs.h.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "models/kit/reg_bank.h"
#include "models/pcie/pci_regs.h"

namespace iovsim::pcie {

class config_space {
 public:
  explicit config_space(const std::string& name);
  // A space of a layout already declared (a PF's VFs all have the same), at reset.
  config_space(const std::string& name, std::shared_ptr<const kit::reg_layout> layout, void* context);

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
