// Test helpers for the IOMMU models: a sparse in-test memory and a bump page
// allocator, so tests build real VT-d tables the way the host driver does.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <map>

#include "models/memory/phys_mem.h"

namespace iovsim::test {

class sparse_mem : public mem::phys_mem {
 public:
  static constexpr uint64_t PAGE = 4096;
  // Memory ends here: a model must not read or write beyond it (it asks contains()).
  uint64_t size = UINT64_MAX;
  bool contains(uint64_t addr, uint64_t len) const override { return len <= size && addr <= size - len; }
  void read(uint64_t addr, void* data, unsigned len) override {
    EXPECT_TRUE(contains(addr, len)) << "read beyond memory at 0x" << std::hex << addr;
    auto* out = static_cast<uint8_t*>(data);
    for (unsigned i = 0; i < len; ++i) {
      auto it = m_pages.find((addr + i) / PAGE);
      out[i] = it == m_pages.end() ? 0 : it->second[(addr + i) % PAGE];
    }
    ++reads;
  }
  void write(uint64_t addr, const void* data, unsigned len) override {
    EXPECT_TRUE(contains(addr, len)) << "write beyond memory at 0x" << std::hex << addr;
    const auto* in = static_cast<const uint8_t*>(data);
    for (unsigned i = 0; i < len; ++i) {
      auto& page = m_pages[(addr + i) / PAGE];
      page[(addr + i) % PAGE] = in[i];
    }
    ++writes;
  }
  uint32_t read32(uint64_t addr) {
    uint32_t v = 0;
    read(addr, &v, 4);
    return v;
  }
  uint64_t reads = 0, writes = 0;

 private:
  std::map<uint64_t, std::array<uint8_t, PAGE>> m_pages;   // value-initialised: zero
};

// Hands out zeroed pages from `next` upwards (fresh memory reads as zero).
struct bump_allocator {
  uint64_t next;
  uint64_t operator()() {
    const uint64_t page = next;
    next += sparse_mem::PAGE;
    return page;
  }
};

}  // namespace iovsim::test
