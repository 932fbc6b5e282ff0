// One PCI function: its configuration space and the BARs it decodes. Endpoint
// functions (PFs, VFs), bridges and the host bridge all derive from it.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "models/pcie/config_space.h"

namespace iovsim::pcie {

struct bar_info {
  uint64_t size = 0;          // 0: BAR not implemented
  bool is_64bit = false;
  bool prefetchable = false;
  bool io = false;
};

struct function_ids {
  uint16_t vendor = 0;
  uint16_t device = 0;
  uint8_t revision = 0;
  uint32_t class_code = 0;    // base/sub/prog-if
  uint16_t subsys_vendor = 0;
  uint16_t subsys = 0;
};

class pci_function {
 public:
  explicit pci_function(const std::string& name);
  // A function whose configuration space has a layout declared before (null: none yet).
  pci_function(const std::string& name, std::shared_ptr<const kit::reg_layout> cfg_layout);
  virtual ~pci_function() = default;
  pci_function(const pci_function&) = delete;
  pci_function& operator=(const pci_function&) = delete;

  const std::string& name() const { return m_name; }
  config_space& cfg() { return m_cfg; }
  const config_space& cfg() const { return m_cfg; }

  // Configuration accesses from the bus.
  virtual uint32_t cfg_read(uint32_t offset, unsigned len) { return m_cfg.read(offset, len); }
  virtual void cfg_write(uint32_t offset, unsigned len, uint32_t value) { m_cfg.write(offset, len, value); }

  // Memory decoding: which BAR (and offset in it) an address hits, when Memory
  // Space Enable is set. False otherwise.
  bool decode_mem(uint64_t addr, int& bar, uint64_t& offset) const;
  uint64_t bar_base(int index) const;
  const bar_info& bar(int index) const { return m_bars[static_cast<size_t>(index)]; }
  bool memory_enabled() const { return m_cfg.get(CFG_COMMAND, 2) & COMMAND_MEMORY; }
  bool bus_master() const { return m_cfg.get(CFG_COMMAND, 2) & COMMAND_MASTER; }

 protected:
  // Declares the type-0 header 0x00-0x3F; call before adding capabilities.
  void build_type0_header(const function_ids& ids, const std::array<bar_info, 6>& bars,
                          bool multifunction, uint8_t int_pin);
  // Declares 0x00-0x0D, common to both header types.
  void declare_common_header(const function_ids& ids);
  // Declares the type-1 (bridge) header 0x00-0x3F.
  void build_type1_header(const function_ids& ids);
  // Declares BAR registers at `base` (header BARs or SR-IOV VF BARs): sizing by
  // writable mask, as hardware does.
  static void declare_bars(config_space& cfg, uint32_t base, const std::array<bar_info, 6>& bars,
                           const std::string& prefix);

  std::string m_name;
  config_space m_cfg;
  std::array<bar_info, 6> m_bars{};
};

// The address programmed into BAR `index` of a BAR block at `base` (handles 64-bit).
uint64_t read_bar_address(const config_space& cfg, uint32_t base, const std::array<bar_info, 6>& bars,
                          int index);

}  // namespace iovsim::pcie
