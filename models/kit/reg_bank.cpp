#include "models/kit/reg_bank.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace iovsim::kit {

namespace {
uint64_t width_mask(unsigned width) {
  return width >= 8 ? ~0ULL : ((1ULL << (8 * width)) - 1);
}
}  // namespace

reg_def reg(std::string name, uint32_t offset, unsigned width) {
  reg_def d;
  d.name = std::move(name);
  d.offset = offset;
  d.width = width;
  return d;
}

reg_def& reg_def::field(std::string field_name, unsigned lsb, unsigned bits, field_access access) {
  reg_field f{std::move(field_name), lsb, bits, access};
  if (bits == 0 || lsb + bits > 8 * width)
    throw std::logic_error(fmt::format("register {}: field {} [{}:{}] does not fit in {} bytes", name, f.name,
                                       lsb + bits - 1, lsb, width));
  for (const reg_field& g : fields)
    if (g.mask() & f.mask())
      throw std::logic_error(fmt::format("register {}: field {} overlaps {}", name, f.name, g.name));
  if (access == kit::rw) writable |= f.mask();
  if (access == kit::w1c) w1c |= f.mask();
  fields.push_back(std::move(f));
  return *this;
}

const reg_field& reg_def::field_named(const std::string& field_name) const {
  for (const reg_field& f : fields)
    if (f.name == field_name) return f;
  throw std::logic_error(fmt::format("register {} has no field {}", name, field_name));
}

reg_layout::reg_layout(uint32_t size_bytes) : m_size(size_bytes) {}

reg_def& reg_layout::add(const std::string& bank, reg_def def) {
  if (def.width != 1 && def.width != 2 && def.width != 4 && def.width != 8)
    throw std::logic_error(fmt::format("{}: register {} has width {}", bank, def.name, def.width));
  if (static_cast<uint64_t>(def.offset) + def.width > m_size)
    throw std::logic_error(
        fmt::format("{}: register {} at 0x{:x} does not fit in {} bytes", bank, def.name, def.offset, m_size));
  if (!m_regs.empty()) {
    const reg_def& last = m_regs.back();
    if (def.offset < last.offset + last.width)
      throw std::logic_error(fmt::format("{}: register {} at 0x{:x} overlaps or precedes {} at 0x{:x}", bank, def.name,
                                         def.offset, last.name, last.offset));
  }
  if (m_regs.size() >= 0x7fff) throw std::logic_error(bank + ": too many registers");
  const auto index = static_cast<int16_t>(m_regs.size());
  m_reset.resize(def.offset + def.width, 0);  // registers come in address order: this one ends last
  for (unsigned i = 0; i < def.width; ++i) {
    const uint32_t at = def.offset + i, page = at / OWNER_PAGE;
    if (page >= m_owner.size()) m_owner.resize(page + 1);
    if (m_owner[page].empty()) m_owner[page].assign(OWNER_PAGE, -1);
    m_owner[page][at % OWNER_PAGE] = index;
  }
  def.reset &= width_mask(def.width);
  m_regs.push_back(std::move(def));
  reg_def& r = m_regs.back();
  for (unsigned i = 0; i < r.width; ++i) m_reset[r.offset + i] = static_cast<uint8_t>(r.reset >> (8 * i));
  return r;
}

void reg_layout::set_reset(const std::string& bank, uint32_t offset, uint64_t value) {
  const int i = index_of(offset);
  if (i < 0 || m_regs[static_cast<size_t>(i)].offset != offset)
    throw std::logic_error(fmt::format("{}: no register starts at 0x{:x}", bank, offset));
  reg_def& r = m_regs[static_cast<size_t>(i)];
  r.reset = value & width_mask(r.width);
  for (unsigned b = 0; b < r.width; ++b) m_reset[r.offset + b] = static_cast<uint8_t>(r.reset >> (8 * b));
}

reg_bank::reg_bank(std::string name, uint32_t size_bytes)
    : m_name(std::move(name)), m_layout(std::make_shared<reg_layout>(size_bytes)) {}

reg_bank::reg_bank(std::string name, std::shared_ptr<const reg_layout> layout, void* context, unsigned index)
    : m_name(std::move(name)),
      m_layout(std::move(layout)),
      m_bytes(m_layout->reset_bytes()),
      m_context(context),
      m_index(index) {}

reg_layout& reg_bank::own_layout() {
  if (m_layout.use_count() > 1) m_layout = std::make_shared<reg_layout>(*m_layout);
  // Every layout is made non-const (above or in the constructor): the bank owns it now.
  return const_cast<reg_layout&>(*m_layout);
}

reg_def& reg_bank::add(reg_def def) {
  reg_def& r = own_layout().add(m_name, std::move(def));
  set(r.offset, r.width, r.reset);
  return r;
}

uint64_t reg_bank::get(uint32_t offset, unsigned width) const {
  uint64_t v = 0;
  for (unsigned i = 0; i < width && offset + i < m_bytes.size(); ++i)
    v |= static_cast<uint64_t>(m_bytes[offset + i]) << (8 * i);
  return v;
}

void reg_bank::set(uint32_t offset, unsigned width, uint64_t value) {
  const uint64_t end = std::min<uint64_t>(uint64_t{offset} + width, size());
  if (end > m_bytes.size()) m_bytes.resize(end, 0);
  for (unsigned i = 0; i < width && offset + i < m_bytes.size(); ++i)
    m_bytes[offset + i] = static_cast<uint8_t>(value >> (8 * i));
}

void reg_bank::set_reset(uint32_t offset, uint64_t value) {
  own_layout().set_reset(m_name, offset, value);
  const reg_def& r = *m_layout->find(offset);
  set(r.offset, r.width, r.reset);
}

void reg_bank::reset() { m_bytes = m_layout->reset_bytes(); }

uint64_t reg_bank::read(uint32_t offset, unsigned len) {
  int last = -1;
  for (unsigned i = 0; i < len; ++i) {
    const int r = m_layout->index_of(offset + i);
    if (r >= 0 && r != last) {
      const reg_def& reg = m_layout->regs()[static_cast<size_t>(r)];
      if (reg.on_read) reg.on_read(*this);
    }
    last = r;
  }
  return get(offset, len);
}

void reg_bank::write(uint32_t offset, unsigned len, uint64_t value) {
  unsigned i = 0;
  while (i < len) {
    const int r = m_layout->index_of(offset + i);
    if (r < 0) {  // unimplemented bytes ignore writes
      ++i;
      continue;
    }
    const reg_def& reg = m_layout->regs()[static_cast<size_t>(r)];
    // Collect the bytes of this access that fall into this register.
    uint64_t acc_mask = 0, data = 0;
    while (i < len && m_layout->index_of(offset + i) == r) {
      unsigned shift = 8 * (offset + i - reg.offset);
      acc_mask |= 0xffULL << shift;
      data |= ((value >> (8 * i)) & 0xff) << shift;
      ++i;
    }
    const uint64_t old = get(reg.offset, reg.width);
    uint64_t now = (old & ~(reg.writable & acc_mask)) | (data & reg.writable & acc_mask);
    now &= ~(data & reg.w1c & acc_mask);
    set(reg.offset, reg.width, now);
    if (reg.on_write) reg.on_write(*this, old, now);
  }
}

std::string reg_layout::describe(uint32_t offset, uint64_t value) const {
  const reg_def* r = find(offset);
  if (!r) return fmt::format("0x{:x}=0x{:x}", offset, value);
  std::string out = fmt::format("{}=0x{:x}", r->name, value);
  if (r->fields.empty()) return out;
  out += " (";
  for (size_t i = 0; i < r->fields.size(); ++i) {
    const reg_field& f = r->fields[i];
    const uint64_t v = (value & f.mask()) >> f.lsb;
    out += fmt::format(f.width == 1 ? "{}{}={}" : "{}{}=0x{:x}", i ? " " : "", f.name, v);
  }
  return out + ")";
}

std::string reg_layout::map_text(const std::string& bank) const {
  static const char* ACCESS[] = {"RO", "RW", "W1C"};
  std::string out = fmt::format("{}: {} bytes\n", bank, size());
  for (const reg_def& r : m_regs) {
    const char* access = r.w1c && r.writable ? "RW+W1C" : r.w1c ? "W1C" : r.writable ? "RW" : "RO";
    out += fmt::format("  0x{:04x}  {:<20} {}B  reset 0x{:x}  {}{}{}\n", r.offset, r.name, r.width, r.reset, access,
                       r.description.empty() ? "" : "  ", r.description);
    for (const reg_field& f : r.fields)
      out += fmt::format("          [{}:{}] {} {}\n", f.lsb + f.width - 1, f.lsb, f.name, ACCESS[f.access]);
  }
  return out;
}

}  // namespace iovsim::kit
