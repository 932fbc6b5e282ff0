#include "models/iommu/vtd_tables.h"

#include <fmt/format.h>

#include <stdexcept>
#include <utility>

namespace iovsim::iommu {

entry128 encode(const root_entry& e) {
  entry128 raw;
  raw.lo = (e.present ? ROOT_LO_P : 0) | (e.context_table & ROOT_LO_CTP_MASK);
  return raw;
}

root_entry decode_root(const entry128& raw) {
  return {(raw.lo & ROOT_LO_P) != 0, raw.lo & ROOT_LO_CTP_MASK};
}

entry128 encode(const context_entry& e) {
  entry128 raw;
  raw.lo = (e.present ? CTX_LO_P : 0) | (e.fault_processing_disable ? CTX_LO_FPD : 0) |
           ((static_cast<uint64_t>(e.tt) << CTX_LO_TT_SHIFT) & CTX_LO_TT_MASK) |
           (e.slptptr & CTX_LO_SLPTPTR_MASK);
  raw.hi = (e.aw & CTX_HI_AW_MASK) | ((static_cast<uint64_t>(e.domain) << CTX_HI_DID_SHIFT) & CTX_HI_DID_MASK);
  return raw;
}

context_entry decode_context(const entry128& raw) {
  context_entry e;
  e.present = (raw.lo & CTX_LO_P) != 0;
  e.fault_processing_disable = (raw.lo & CTX_LO_FPD) != 0;
  e.tt = static_cast<unsigned>((raw.lo & CTX_LO_TT_MASK) >> CTX_LO_TT_SHIFT);
  e.slptptr = raw.lo & CTX_LO_SLPTPTR_MASK;
  e.aw = static_cast<unsigned>(raw.hi & CTX_HI_AW_MASK);
  e.domain = static_cast<uint16_t>((raw.hi & CTX_HI_DID_MASK) >> CTX_HI_DID_SHIFT);
  return e;
}

uint64_t encode(const sl_pte& e) {
  return (e.read ? SL_PTE_R : 0) | (e.write ? SL_PTE_W : 0) | (e.page_size ? SL_PTE_PS : 0) |
         (e.addr & SL_PTE_ADDR_MASK);
}

sl_pte decode_sl_pte(uint64_t raw) {
  return {(raw & SL_PTE_R) != 0, (raw & SL_PTE_W) != 0, (raw & SL_PTE_PS) != 0, raw & SL_PTE_ADDR_MASK};
}

namespace {
entry128 read128(mem::phys_mem& m, uint64_t addr) {
  return {m.read64(addr), m.read64(addr + 8)};
}
void write128(mem::phys_mem& m, uint64_t addr, const entry128& e) {
  m.write64(addr, e.lo);
  m.write64(addr + 8, e.hi);
}
unsigned leaf_level(uint64_t size) {
  if (size == PAGE_4K) return 1;
  if (size == PAGE_2M) return SL_LEVEL_2M;
  if (size == PAGE_1G) return SL_LEVEL_1G;
  throw std::invalid_argument(fmt::format("table_builder: page size {} is not 4 KiB, 2 MiB or 1 GiB", size));
}
}  // namespace

table_builder::table_builder(mem::phys_mem& memory, page_allocator alloc)
    : m_mem(memory), m_alloc(std::move(alloc)) {}

uint64_t table_builder::allocate() {
  const uint64_t page = m_alloc();
  if (page & ~TABLE_ADDR_MASK)
    throw std::logic_error(fmt::format("table_builder: allocator returned unaligned page 0x{:x}", page));
  ++m_tables;
  return page;
}

void table_builder::set_root_entry(uint64_t root_table, unsigned bus, const root_entry& e) {
  write128(m_mem, root_table + (bus % ROOT_ENTRIES) * ENTRY128_BYTES, encode(e));
}

root_entry table_builder::get_root_entry(uint64_t root_table, unsigned bus) {
  return decode_root(read128(m_mem, root_table + (bus % ROOT_ENTRIES) * ENTRY128_BYTES));
}

void table_builder::set_context_entry(uint64_t context_table, unsigned devfn, const context_entry& e) {
  write128(m_mem, context_table + (devfn % CONTEXT_ENTRIES) * ENTRY128_BYTES, encode(e));
}

context_entry table_builder::get_context_entry(uint64_t context_table, unsigned devfn) {
  return decode_context(read128(m_mem, context_table + (devfn % CONTEXT_ENTRIES) * ENTRY128_BYTES));
}

void table_builder::set_context(uint64_t root_table, uint16_t source_id, const context_entry& e) {
  const unsigned bus = source_id >> 8, devfn = source_id & 0xff;
  root_entry root = get_root_entry(root_table, bus);
  if (!root.present) {
    root = {true, allocate()};
    set_root_entry(root_table, bus, root);
  }
  set_context_entry(root.context_table, devfn, e);
}

context_entry table_builder::get_context(uint64_t root_table, uint16_t source_id) {
  const root_entry root = get_root_entry(root_table, source_id >> 8);
  if (!root.present) return {};
  return get_context_entry(root.context_table, source_id & 0xff);
}

bool table_builder::entry_at(uint64_t slpt_root, uint64_t iova, unsigned levels, unsigned level, bool create,
                             uint64_t& entry_addr) {
  uint64_t table = slpt_root;
  for (unsigned l = levels; l > level; --l) {
    const uint64_t addr = table + level_index(iova, l) * SL_PTE_BYTES;
    sl_pte pte = decode_sl_pte(m_mem.read64(addr));
    if (!pte.present()) {
      if (!create) return false;
      // Intermediate entries grant R+W; the leaf decides (Linux pfn_to_dma_pte()).
      pte = {true, true, false, allocate()};
      m_mem.write64(addr, encode(pte));
    } else if (pte.page_size && (l == SL_LEVEL_2M || l == SL_LEVEL_1G)) {
      if (!create) return false;
      throw std::logic_error(fmt::format("table_builder: iova 0x{:x} is inside a {} page", iova,
                                         l == SL_LEVEL_1G ? "1 GiB" : "2 MiB"));
    }
    table = pte.addr;
  }
  entry_addr = table + level_index(iova, level) * SL_PTE_BYTES;
  return true;
}

void table_builder::map(uint64_t slpt_root, uint64_t iova, uint64_t hpa, uint64_t size, bool read, bool write,
                        unsigned levels) {
  const unsigned level = leaf_level(size);
  if ((iova | hpa) & (size - 1))
    throw std::invalid_argument(fmt::format("table_builder: iova 0x{:x} / hpa 0x{:x} not aligned to 0x{:x}",
                                            iova, hpa, size));
  if (levels != aw_levels(CTX_AW_39BIT) && levels != aw_levels(CTX_AW_48BIT))
    throw std::invalid_argument(fmt::format("table_builder: {} levels (3 or 4 supported)", levels));
  if (iova >> (PAGE_SHIFT_4K + SL_LEVEL_BITS * levels))
    throw std::invalid_argument(fmt::format("table_builder: iova 0x{:x} beyond a {}-level table", iova, levels));
  uint64_t addr = 0;
  entry_at(slpt_root, iova, levels, level, true, addr);
  const sl_pte old = decode_sl_pte(m_mem.read64(addr));
  if (level > 1 && old.present() && !old.page_size)
    throw std::logic_error(fmt::format("table_builder: a page table already maps part of iova 0x{:x}", iova));
  m_mem.write64(addr, encode(sl_pte{read, write, level > 1, hpa}));
}

unsigned table_builder::map_range(uint64_t slpt_root, uint64_t iova, uint64_t hpa, uint64_t length, bool read,
                                  bool write, unsigned levels) {
  unsigned leaves = 0;
  const uint64_t end = iova + length;
  while (iova < end) {
    uint64_t size = PAGE_4K;
    for (uint64_t big : {PAGE_1G, PAGE_2M})
      if (((iova | hpa) & (big - 1)) == 0 && end - iova >= big) {
        size = big;
        break;
      }
    map(slpt_root, iova, hpa, size, read, write, levels);
    iova += size;
    hpa += size;
    ++leaves;
  }
  return leaves;
}

bool table_builder::unmap(uint64_t slpt_root, uint64_t iova, uint64_t size, unsigned levels) {
  const unsigned level = leaf_level(size);
  uint64_t addr = 0;
  if (!entry_at(slpt_root, iova, levels, level, false, addr)) return false;
  const sl_pte pte = decode_sl_pte(m_mem.read64(addr));
  if (!pte.present() || (level > 1 && !pte.page_size)) return false;
  m_mem.write64(addr, 0);
  return true;
}

}  // namespace iovsim::iommu
