// Host physical memory as the models see it, functionally (no timing): the page
// walker reads tables through it, the DRAM model implements it, tests fake it.
// Software decides the addresses a model reads or writes (a root table pointer, a
// queue base): a model asks contains() first and models what the hardware does when
// nothing is there; reading or writing outside memory is a model bug.
#pragma once

#include <cstdint>

namespace iovsim::mem {

class phys_mem {
 public:
  virtual ~phys_mem() = default;
  virtual void read(uint64_t addr, void* data, unsigned len) = 0;
  virtual void write(uint64_t addr, const void* data, unsigned len) = 0;
  // Whether [addr, addr + len) is memory.
  virtual bool contains(uint64_t addr, uint64_t len) const {
    (void)addr;
    (void)len;
    return true;
  }

  uint64_t read64(uint64_t addr) {
    uint64_t v = 0;
    read(addr, &v, 8);
    return v;
  }
  void write64(uint64_t addr, uint64_t v) { write(addr, &v, 8); }
};

}  // namespace iovsim::mem
