// Registers declared as data (DESIGN.md section 4, the gem5 habit), the way a data
// sheet lists them: a name, an offset and a width, then what software may do with
// each bit, named bit fields, a reset value, a line of description and optional
// read/write handlers:
//
//   m_regs.add(kit::reg("STATUS", STATUS, 4)
//                  .field("BUSY", 0, 1, kit::ro)
//                  .field("DONE", 1, 1, kit::w1c)
//                  .field("ERR_CODE", 8, 8, kit::ro)
//                  .doc("transfer state")
//                  .on_write([this](uint64_t o, uint64_t n) { write_status(o, n); }));
//
// The bank refuses overlapping or out-of-order registers (and fields that overlap or
// do not fit) when it is built, serves accesses of any size and alignment byte by
// byte, so a 1-byte config read of the upper half of a 16-bit register works as on
// hardware, and renders its own register map (map_text()), so the map lives in one
// place: the declarations.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

namespace iovsim::kit {

// What software may do with a field's bits.
enum field_access { ro, rw, w1c };

struct reg_field {
  std::string name;
  unsigned lsb = 0, width = 1;
  field_access access = rw;
  uint64_t mask() const { return (width >= 64 ? ~0ull : ((1ull << width) - 1)) << lsb; }
};

struct reg_def {
  std::string name;
  uint32_t offset = 0;
  unsigned width = 4;          // bytes: 1, 2, 4 or 8
  uint64_t reset = 0;
  uint64_t writable = 0;       // bits software may change
  uint64_t w1c = 0;            // bits a write of 1 clears
  // Called after the stored value changed by a software write: (old, new).
  std::function<void(uint64_t, uint64_t)> on_write;
  // Called before a software read returns: may refresh the stored value.
  std::function<void()> on_read;
  std::vector<reg_field> fields;   // named bit fields, in declaration order
  std::string description;

  // The builder: each returns the register for chaining.
  reg_def& reset_to(uint64_t value) { reset = value; return *this; }
  // Bits software may change (all of them by default) / clear by writing 1.
  reg_def& rw(uint64_t mask = ~0ull) { writable |= mask; return *this; }
  reg_def& clear_on_1(uint64_t mask) { w1c |= mask; return *this; }
  // A named field; its access adds its bits to the writable or write-1-to-clear mask.
  reg_def& field(std::string field_name, unsigned lsb, unsigned bits = 1, field_access access = kit::rw);
  reg_def& doc(std::string text) { description = std::move(text); return *this; }
  reg_def& on_write_fn(std::function<void(uint64_t, uint64_t)> fn) { on_write = std::move(fn); return *this; }
  reg_def& on_read_fn(std::function<void()> fn) { on_read = std::move(fn); return *this; }
  // The field of this name; throws std::logic_error when there is none.
  const reg_field& field_named(const std::string& field_name) const;
};

// A read-only register of `width` bytes at `offset` reading 0, to be refined with the
// builder calls above.
reg_def reg(std::string name, uint32_t offset, unsigned width);

class reg_bank {
 public:
  reg_bank(std::string name, uint32_t size_bytes);

  // Declares a register. Throws std::logic_error when it overlaps or precedes the
  // last register, or does not fit, naming both registers.
  reg_def& add(reg_def def);

  // Software (bus) accesses: apply masks and handlers. len 1..8, any alignment.
  uint64_t read(uint32_t offset, unsigned len);
  void write(uint32_t offset, unsigned len, uint64_t value);

  // Model-side access to a register's stored value (no masks, no handlers).
  uint64_t get(uint32_t offset, unsigned width) const;
  void set(uint32_t offset, unsigned width, uint64_t value);

  // Changes a declared register's reset value and its stored value (builders use
  // it to patch read-only links such as capability next pointers).
  void set_reset(uint32_t offset, uint64_t value);

  // Restores every register's reset value.
  void reset();

  const std::string& name() const { return m_name; }
  uint32_t size() const { return static_cast<uint32_t>(m_bytes.size()); }
  const std::vector<uint8_t>& bytes() const { return m_bytes; }
  const std::deque<reg_def>& regs() const { return m_regs; }
  // The register covering offset, or nullptr.
  const reg_def* find(uint32_t offset) const;
  // A value of the register at `offset` by its fields: "STATUS=0x103 (BUSY=1 DONE=1 ERR_CODE=0x1)".
  std::string describe(uint32_t offset, uint64_t value) const;
  // The register map as a table (offset, name, width, reset, access per field, description).
  std::string map_text() const;

 private:
  int index_of(uint32_t offset) const;

  std::string m_name;
  std::vector<uint8_t> m_bytes;
  // Sorted by offset, non-overlapping. A deque: a bank of thousands of registers (a
  // PF with 128 queues) grows without copying them all at each doubling, and the
  // reference add() returns stays valid.
  std::deque<reg_def> m_regs;
  std::vector<int16_t> m_owner;        // per dword: first register index touching it, -1 none
};

}  // namespace iovsim::kit
