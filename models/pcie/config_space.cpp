#include "models/pcie/config_space.h"

#include <fmt/format.h>

#include <stdexcept>

namespace iovsim::pcie {

config_space::config_space(const std::string& name) : m_bank(name + ".config", CONFIG_SPACE_BYTES) {}

config_space::config_space(const std::string& name, std::shared_ptr<const kit::reg_layout> layout, void* context)
    : m_bank(name + ".config", std::move(layout), context) {}

void config_space::ro(const std::string& name, uint32_t offset, unsigned width, uint64_t value) {
  m_bank.add(kit::reg(name, offset, width).reset_to(value));
}

uint32_t config_space::add_cap(uint8_t id, uint32_t size) {
  const uint32_t at = (m_next_cap + 3) & ~3u;
  if (at + size > 0x100)
    throw std::logic_error(fmt::format("{}: capability 0x{:02x} does not fit", m_bank.name(), id));
  ro(fmt::format("cap{:02x}.id", id), at, 1, id);
  ro(fmt::format("cap{:02x}.next", id), at + 1, 1, 0);
  if (m_last_cap) m_bank.set_reset(m_last_cap + 1, at);
  else {
    // The header declares CAP_PTR and STATUS first; the first capability links in.
    m_bank.set_reset(CFG_CAP_PTR, at);
    m_bank.set_reset(CFG_STATUS, m_bank.get(CFG_STATUS, 2) | STATUS_CAP_LIST);
  }
  m_last_cap = at;
  m_next_cap = at + size;
  return at;
}

uint32_t config_space::add_ext_cap(uint16_t id, uint8_t ver, uint32_t size) {
  const uint32_t at = (m_next_ext + 3) & ~3u;
  if (at + size > CONFIG_SPACE_BYTES)
    throw std::logic_error(fmt::format("{}: extended capability 0x{:04x} does not fit", m_bank.name(), id));
  // Header: ID [15:0], version [19:16], next [31:20]; the next field is patched below.
  ro(fmt::format("ecap{:04x}.header", id), at, 4, static_cast<uint32_t>(id) | (ver & 0xfu) << 16);
  if (m_last_ext) m_bank.set_reset(m_last_ext, (m_bank.get(m_last_ext, 4) & 0x000fffff) | at << 20);
  m_last_ext = at;
  m_next_ext = at + size;
  return at;
}

uint32_t config_space::find_cap(uint8_t id) const {
  if (!(m_bank.get(CFG_STATUS, 2) & STATUS_CAP_LIST)) return 0;
  uint32_t at = m_bank.get(CFG_CAP_PTR, 1);
  for (int guard = 0; at >= 0x40 && guard < 48; ++guard) {
    if (m_bank.get(at, 1) == id) return at;
    at = m_bank.get(at + 1, 1);
  }
  return 0;
}

uint32_t config_space::find_ext_cap(uint16_t id) const {
  uint32_t at = EXT_CAP_START;
  for (int guard = 0; at >= EXT_CAP_START && guard < 960; ++guard) {
    const uint32_t header = m_bank.get(at, 4);
    if (header == 0) return 0;
    if ((header & 0xffff) == id) return at;
    at = header >> 20;
  }
  return 0;
}

}  // namespace iovsim::pcie
