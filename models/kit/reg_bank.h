// Registers declared as data (DESIGN.md section 4, the gem5 habit): name, offset,
// width, reset value, writable mask, write-1-to-clear mask and optional read/write
// handlers. The bank refuses overlapping or out-of-order registers when it is built,
// and serves accesses of any size and alignment byte by byte, so a 1-byte config
// read of the upper half of a 16-bit register works as on hardware.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace iovsim::kit {

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
};

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
  const std::vector<reg_def>& regs() const { return m_regs; }
  // The register covering offset, or nullptr.
  const reg_def* find(uint32_t offset) const;

 private:
  int index_of(uint32_t offset) const;

  std::string m_name;
  std::vector<uint8_t> m_bytes;
  std::vector<reg_def> m_regs;         // sorted by offset, non-overlapping
  std::vector<int16_t> m_owner;        // per dword: first register index touching it, -1 none
};

}  // namespace iovsim::kit
