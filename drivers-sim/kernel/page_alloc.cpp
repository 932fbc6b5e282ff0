#include "drivers-sim/kernel/page_alloc.h"

#include <array>
#include <stdexcept>

namespace iovsim::host {

namespace {
uint64_t round_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }
}  // namespace

page_allocator::page_allocator(platform::host_bus& bus, uint64_t base, uint64_t end)
    : m_bus(bus), m_base(round_up(base, PAGE_BYTES)), m_end(end & ~(PAGE_BYTES - 1)), m_next(m_base) {
  if (m_base == 0 || m_end <= m_base) throw std::invalid_argument("page_allocator: empty or zero-based region");
}

void page_allocator::zero_page(uint64_t addr) {
  static const std::array<uint8_t, PAGE_BYTES> zeros{};
  m_bus.mem_write(addr, zeros.data(), PAGE_BYTES);
}

uint64_t page_allocator::alloc_page() {
  uint64_t page = 0;
  if (!m_free.empty()) {
    page = *m_free.begin();
    m_free.erase(m_free.begin());
  } else if (m_next + PAGE_BYTES <= m_end) {
    page = m_next;
    m_next += PAGE_BYTES;
  } else {
    return 0;
  }
  zero_page(page);
  ++m_in_use;
  return page;
}

void page_allocator::free_page(uint64_t addr) {
  if (addr < m_base || addr >= m_next || (addr & (PAGE_BYTES - 1)) || m_free.count(addr))
    throw std::logic_error("page_allocator: freeing a page that is not allocated");
  m_free.insert(addr);
  --m_in_use;
}

uint64_t page_allocator::alloc_contiguous(uint64_t bytes, uint64_t align, bool zero) {
  if (bytes == 0 || align < PAGE_BYTES || (align & (align - 1))) return 0;
  const uint64_t start = round_up(m_next, align);
  const uint64_t size = round_up(bytes, PAGE_BYTES);
  if (start < m_next || start + size > m_end || start + size < start) return 0;
  // The alignment gap goes to the free list so single pages can still use it.
  for (uint64_t p = m_next; p < start; p += PAGE_BYTES) m_free.insert(p);
  m_next = start + size;
  if (zero)
    for (uint64_t p = start; p < start + size; p += PAGE_BYTES) zero_page(p);
  m_in_use += size / PAGE_BYTES;
  return start;
}

void page_allocator::free_contiguous(uint64_t addr, uint64_t bytes) {
  for (uint64_t p = addr; p < addr + round_up(bytes, PAGE_BYTES); p += PAGE_BYTES) free_page(p);
}

}  // namespace iovsim::host
