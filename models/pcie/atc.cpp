#include "models/pcie/atc.h"

namespace iovsim::pcie {

namespace {
// Inclusive ends, so a range reaching the top of the address space does not wrap.
bool overlaps(const atc_entry& e, uint64_t addr, uint64_t size) {
  if (!e.valid || size == 0) return false;
  const uint64_t last = addr + (size - 1) < addr ? ~0ull : addr + (size - 1);
  return addr <= e.untranslated + (e.size_bytes - 1) && e.untranslated <= last;
}
}  // namespace

unsigned atc::occupancy() const {
  unsigned n = 0;
  for (const atc_entry& e : m_slots) n += e.valid ? 1 : 0;
  return n;
}

const atc_entry* atc::lookup(uint64_t addr) {
  for (atc_entry& e : m_slots)
    if (e.valid && addr >= e.untranslated && addr - e.untranslated < e.size_bytes) {
      e.last_use = ++m_clock;
      return &e;
    }
  return nullptr;
}

const atc_entry* atc::insert(const atc_entry& e) {
  atc_entry* slot = nullptr;
  for (atc_entry& s : m_slots) {
    if (overlaps(s, e.untranslated, e.size_bytes)) s.valid = false;   // superseded
    if (!s.valid) {
      if (!slot || slot->valid) slot = &s;
    } else if (!slot || (slot->valid && s.last_use < slot->last_use)) {
      slot = &s;   // least recently used so far (an empty slot wins once seen)
    }
  }
  if (!slot) return nullptr;   // no slots at all
  *slot = e;
  slot->valid = true;
  slot->last_use = ++m_clock;
  return slot;
}

unsigned atc::invalidate(uint64_t addr, uint64_t size_bytes) {
  unsigned n = 0;
  for (atc_entry& e : m_slots)
    if (overlaps(e, addr, size_bytes)) {
      e.valid = false;
      ++n;
    }
  return n;
}

void atc::clear() {
  for (atc_entry& e : m_slots) e.valid = false;
}

}  // namespace iovsim::pcie
