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
//                  .on_write_fn([this](uint64_t o, uint64_t n) { write_status(o, n); }));
//
// The bank refuses overlapping or out-of-order registers (and fields that overlap or
// do not fit) when it is built, serves accesses of any size and alignment byte by
// byte, so a 1-byte config read of the upper half of a 16-bit register works as on
// hardware, and renders its own register map (map_text()), so the map lives in one
// place: the declarations.
//
// Many banks of one shape (every VF's registers, the 32 ports of a rack, the config
// spaces of a PF's VFs) share one reg_layout: the declarations, built once, and each
// bank holds only its bytes. Their handlers then take the bank and find what they
// act on through its context (the model that owns it) and index (which of them):
//
//   .on_write_fn([](kit::reg_bank& b, uint64_t, uint64_t v) { b.context<nic_core>().write_ctrl(b.index(), v); })
//
// A bank that changes a shared layout (add(), set_reset()) gets a copy of its own first.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace iovsim::kit {

class reg_bank;

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
  // Called after the stored value changed by a software write: (bank, old, new).
  std::function<void(reg_bank&, uint64_t, uint64_t)> on_write;
  // Called before a software read returns: may refresh the stored value.
  std::function<void(reg_bank&)> on_read;
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
  // Handlers take the bank first, or not (a bank of its own may capture what they need).
  template <typename F>
  reg_def& on_write_fn(F fn) {
    if constexpr (std::is_invocable_v<F&, reg_bank&, uint64_t, uint64_t>)
      on_write = std::move(fn);
    else
      on_write = [fn = std::move(fn)](reg_bank&, uint64_t old, uint64_t now) mutable { fn(old, now); };
    return *this;
  }
  template <typename F>
  reg_def& on_read_fn(F fn) {
    if constexpr (std::is_invocable_v<F&, reg_bank&>)
      on_read = std::move(fn);
    else
      on_read = [fn = std::move(fn)](reg_bank&) mutable { fn(); };
    return *this;
  }
  // The field of this name; throws std::logic_error when there is none.
  const reg_field& field_named(const std::string& field_name) const;
};

// A read-only register of `width` bytes at `offset` reading 0, to be refined with the
// builder calls above.
reg_def reg(std::string name, uint32_t offset, unsigned width);

// The declarations of a bank: its registers in address order, which register owns
// each byte, and the bytes at reset.
class reg_layout {
 public:
  explicit reg_layout(uint32_t size_bytes);

  // `bank` names the bank in errors.
  reg_def& add(const std::string& bank, reg_def def);
  void set_reset(const std::string& bank, uint32_t offset, uint64_t value);

  uint32_t size() const { return m_size; }
  const std::deque<reg_def>& regs() const { return m_regs; }
  // Up to the end of the last register (beyond it everything reads 0): a VF's 4 KiB
  // config space holds a few hundred bytes.
  const std::vector<uint8_t>& reset_bytes() const { return m_reset; }
  int index_of(uint32_t offset) const {
    const uint32_t page = offset / OWNER_PAGE;
    return page < m_owner.size() && !m_owner[page].empty() ? m_owner[page][offset % OWNER_PAGE] : -1;
  }
  const reg_def* find(uint32_t offset) const {
    const int i = index_of(offset);
    return i < 0 ? nullptr : &m_regs[static_cast<size_t>(i)];
  }
  std::string describe(uint32_t offset, uint64_t value) const;
  std::string map_text(const std::string& bank) const;

 private:
  // Sorted by offset, non-overlapping. A deque: a bank of thousands of registers (a
  // PF with 128 queues) grows without copying them all at each doubling, and the
  // reference add() returns stays valid.
  std::deque<reg_def> m_regs;
  uint32_t m_size;
  // Per byte, the register holding it (-1 none), in pages of OWNER_PAGE bytes made
  // where registers are: a bank with a register at 0xA200 and little else (a PF's
  // RAL(0) view) keeps two pages, not a table of 41,000 entries.
  static constexpr uint32_t OWNER_PAGE = 256;
  std::vector<std::vector<int16_t>> m_owner;
  std::vector<uint8_t> m_reset;  // every register at its reset value
};

class reg_bank {
 public:
  // A bank with a layout of its own, declared with add().
  reg_bank(std::string name, uint32_t size_bytes);
  // A bank of a shared layout, at reset; `context` and `index` are what its handlers
  // ask for (context<T>(), index()).
  reg_bank(std::string name, std::shared_ptr<const reg_layout> layout, void* context = nullptr, unsigned index = 0);
  reg_bank(const reg_bank&) = delete;
  reg_bank& operator=(const reg_bank&) = delete;

  // Declares a register. Throws std::logic_error when it overlaps or precedes the
  // last register, or does not fit, naming both registers.
  reg_def& add(reg_def def);
  // The layout, to build other banks of the same shape from.
  std::shared_ptr<const reg_layout> layout() const { return m_layout; }

  template <typename T>
  T& context() const {
    return *static_cast<T*>(m_context);
  }
  unsigned index() const { return m_index; }

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
  uint32_t size() const { return m_layout->size(); }
  const std::deque<reg_def>& regs() const { return m_layout->regs(); }
  // The register covering offset, or nullptr.
  const reg_def* find(uint32_t offset) const { return m_layout->find(offset); }
  // A value of the register at `offset` by its fields: "STATUS=0x103 (BUSY=1 DONE=1 ERR_CODE=0x1)".
  std::string describe(uint32_t offset, uint64_t value) const { return m_layout->describe(offset, value); }
  // The register map as a table (offset, name, width, reset, access per field, description).
  std::string map_text() const { return m_layout->map_text(m_name); }

 private:
  reg_layout& own_layout();  // a copy when it is shared

  std::string m_name;
  std::shared_ptr<const reg_layout> m_layout;
  std::vector<uint8_t> m_bytes;  // up to the last register or the last set() (beyond: 0)
  void* m_context = nullptr;
  unsigned m_index = 0;
};

}  // namespace iovsim::kit
