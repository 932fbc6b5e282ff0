// VT-d translation structures in memory (VT-d spec 9.1-9.3, legacy mode): the root
// table (256 x 16 B by bus), context tables (256 x 16 B by devfn) and second-level
// page tables (512 x 8 B per level). Encode/decode of each entry, and a table_builder
// that writes real tables into simulated memory for the host driver and the tests.
// Bit positions: QEMU hw/i386/intel_iommu_internal.h (VTD_ROOT_ENTRY_*,
// VTD_CONTEXT_ENTRY_*, VTD_SL_*) and Linux drivers/iommu/intel/iommu.h (DMA_PTE_*,
// context_set_*()).
#pragma once

#include <cstdint>
#include <functional>

#include "models/iommu/vtd_types.h"
#include "models/memory/phys_mem.h"

namespace iovsim::iommu {

constexpr unsigned VTD_TABLE_BYTES = 4096;       // every table is one 4 KiB page
constexpr unsigned ROOT_ENTRIES = 256;           // one per bus
constexpr unsigned CONTEXT_ENTRIES = 256;        // one per devfn
constexpr unsigned ENTRY128_BYTES = 16;          // root and context entries
constexpr unsigned SL_ENTRIES = 512;             // second-level entries per table
constexpr unsigned SL_PTE_BYTES = 8;
constexpr unsigned SL_LEVEL_BITS = 9;            // log2(SL_ENTRIES)
constexpr unsigned PAGE_SHIFT_4K = 12;
constexpr uint64_t TABLE_ADDR_MASK = ~0xfffull;  // 4 KiB-aligned pointers [63:12]

// Root entry, low qword (VT-d 9.1): P bit 0, CTP [63:12]. The high qword is reserved.
constexpr uint64_t ROOT_LO_P = 1ull << 0;
constexpr uint64_t ROOT_LO_CTP_MASK = TABLE_ADDR_MASK;

// Context entry (VT-d 9.3). lo: P bit 0, FPD bit 1, TT [3:2], SLPTPTR [63:12].
constexpr uint64_t CTX_LO_P = 1ull << 0;
constexpr uint64_t CTX_LO_FPD = 1ull << 1;
constexpr unsigned CTX_LO_TT_SHIFT = 2;
constexpr uint64_t CTX_LO_TT_MASK = 3ull << CTX_LO_TT_SHIFT;
constexpr uint64_t CTX_LO_SLPTPTR_MASK = TABLE_ADDR_MASK;
// hi: AW [2:0], DID [23:8].
constexpr uint64_t CTX_HI_AW_MASK = 7ull;
constexpr unsigned CTX_HI_DID_SHIFT = 8;
constexpr uint64_t CTX_HI_DID_MASK = 0xffffull << CTX_HI_DID_SHIFT;
// AW encodings (VT-d 9.3, CAP.SAGAW bit n <=> AW n): 1 = 39-bit 3-level, 2 = 48-bit
// 4-level. Width = 30 + 9 x AW, levels = AW + 2.
constexpr unsigned CTX_AW_39BIT = 1;
constexpr unsigned CTX_AW_48BIT = 2;
constexpr unsigned AGAW_BASE_BITS = 30;
constexpr unsigned AGAW_BASE_LEVELS = 2;
constexpr unsigned TT_RESERVED = 3;

// Second-level paging entry (VT-d 9.8): R bit 0, W bit 1, PS bit 7 (leaf at level 2 =
// 2 MiB, level 3 = 1 GiB), ADDR [51:12]; present iff R or W (Linux DMA_PTE_READ /
// DMA_PTE_WRITE / DMA_PTE_LARGE_PAGE; QEMU VTD_SL_R / VTD_SL_W / VTD_SL_PT_PAGE_SIZE_MASK).
constexpr uint64_t SL_PTE_R = 1ull << 0;
constexpr uint64_t SL_PTE_W = 1ull << 1;
constexpr uint64_t SL_PTE_PS = 1ull << 7;
constexpr uint64_t SL_PTE_ADDR_MASK = 0x000ffffffffff000ull;   // [51:12]
constexpr unsigned SL_LEVEL_2M = 2, SL_LEVEL_1G = 3;

struct entry128 {
  uint64_t lo = 0, hi = 0;
};

struct root_entry {
  bool present = false;
  uint64_t context_table = 0;
};

struct context_entry {
  bool present = false;
  bool fault_processing_disable = false;
  unsigned tt = 0;              // raw TT; translation_type values, 3 is reserved
  uint64_t slptptr = 0;
  unsigned aw = CTX_AW_48BIT;   // raw AW field
  uint16_t domain = 0;
};

struct sl_pte {
  bool read = false, write = false, page_size = false;
  uint64_t addr = 0;
  bool present() const { return read || write; }
};

entry128 encode(const root_entry& e);
root_entry decode_root(const entry128& raw);
entry128 encode(const context_entry& e);
context_entry decode_context(const entry128& raw);
uint64_t encode(const sl_pte& e);
sl_pte decode_sl_pte(uint64_t raw);

// Address width and walk depth of a context AW value.
constexpr unsigned aw_bits(unsigned aw) { return AGAW_BASE_BITS + SL_LEVEL_BITS * aw; }
constexpr unsigned aw_levels(unsigned aw) { return AGAW_BASE_LEVELS + aw; }
// Bytes one entry at `level` maps (level 1 = 4 KiB, 2 = 2 MiB, 3 = 1 GiB, 4 = 512 GiB).
constexpr uint64_t level_span(unsigned level) {
  return 1ull << (PAGE_SHIFT_4K + SL_LEVEL_BITS * (level - 1));
}
constexpr unsigned level_index(uint64_t iova, unsigned level) {
  return static_cast<unsigned>((iova >> (PAGE_SHIFT_4K + SL_LEVEL_BITS * (level - 1))) & (SL_ENTRIES - 1));
}

// Builds tables in simulated memory. The allocator returns a zeroed, 4 KiB-aligned
// page each call (the host's page allocator, or a bump allocator in tests).
class table_builder {
 public:
  using page_allocator = std::function<uint64_t()>;
  table_builder(mem::phys_mem& memory, page_allocator alloc);

  uint64_t new_table() { return allocate(); }

  void set_root_entry(uint64_t root_table, unsigned bus, const root_entry& e);
  root_entry get_root_entry(uint64_t root_table, unsigned bus);
  void set_context_entry(uint64_t context_table, unsigned devfn, const context_entry& e);
  context_entry get_context_entry(uint64_t context_table, unsigned devfn);
  // Sets the context entry of a requester, allocating its bus's context table (and
  // making the root entry present) when there is none yet.
  void set_context(uint64_t root_table, uint16_t source_id, const context_entry& e);
  context_entry get_context(uint64_t root_table, uint16_t source_id);

  // Maps one page of `size` (PAGE_4K, PAGE_2M or PAGE_1G) at iova -> hpa under a
  // `levels`-deep table (3 for AW 1, 4 for AW 2), adding intermediate tables (R+W, as
  // Linux does) as needed. Throws std::invalid_argument for a bad size, unaligned
  // addresses or an iova beyond the table's reach, std::logic_error when a larger page
  // already covers iova or a page table sits where a large page should go.
  void map(uint64_t slpt_root, uint64_t iova, uint64_t hpa, uint64_t size, bool read, bool write,
           unsigned levels = 4);
  // Maps [iova, iova + length) with the largest pages alignment allows; returns the
  // number of leaf entries written.
  unsigned map_range(uint64_t slpt_root, uint64_t iova, uint64_t hpa, uint64_t length, bool read,
                     bool write, unsigned levels = 4);
  // Clears the leaf of `size` mapping iova; false when none was there. Tables stay.
  bool unmap(uint64_t slpt_root, uint64_t iova, uint64_t size, unsigned levels = 4);

  unsigned tables_allocated() const { return m_tables; }

 private:
  uint64_t allocate();
  // The entry address for iova at `level`, walking (and creating) tables down to it;
  // false when a table is missing and `create` is not set.
  bool entry_at(uint64_t slpt_root, uint64_t iova, unsigned levels, unsigned level, bool create,
                uint64_t& entry_addr);

  mem::phys_mem& m_mem;
  page_allocator m_alloc;
  unsigned m_tables = 0;
};

}  // namespace iovsim::iommu
