// An Address Translation Cache (device-TLB, PCIe base spec 10.2): translations a
// function got back from Translation Completions, so its next requests go out already
// translated (AT = 10b). Fully associative with LRU replacement over a fixed number of
// slots (no allocation after construction); an entry covers a naturally aligned range
// of at least 4 KiB (the completion's size, or the STU if larger). Ages come from a
// counter, never from time or pointers, so replacement is deterministic.
#pragma once

#include <cstdint>
#include <systemc>
#include <vector>

namespace iovsim::pcie {

struct atc_entry {
  uint64_t untranslated = 0;   // range start, aligned to size_bytes
  uint64_t translated = 0;     // where that start goes
  uint64_t size_bytes = 0;
  bool read = false, write = false;
  sc_core::sc_time ready;      // when the Translation Completion arrived
  uint64_t last_use = 0;       // LRU age
  bool valid = false;
};

class atc {
 public:
  explicit atc(unsigned entries = 0) : m_slots(entries) {}

  unsigned capacity() const { return static_cast<unsigned>(m_slots.size()); }
  unsigned occupancy() const;
  // The entry covering addr (made most recently used), or nullptr.
  const atc_entry* lookup(uint64_t addr);
  // Inserts a translation; entries it overlaps go first, else the LRU one when full.
  // Returns the slot used (nullptr only for an ATC of 0 entries).
  const atc_entry* insert(const atc_entry& e);
  // Drops entries overlapping [addr, addr + size_bytes); returns how many.
  unsigned invalidate(uint64_t addr, uint64_t size_bytes);
  void clear();
  // The slots (valid and not), for tests and dumps.
  const std::vector<atc_entry>& slots() const { return m_slots; }

 private:
  std::vector<atc_entry> m_slots;
  uint64_t m_clock = 0;
};

}  // namespace iovsim::pcie
