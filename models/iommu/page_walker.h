// The DMA-remapping page walk (VT-d spec 3.4-3.6, legacy mode): root entry by bus,
// context entry by devfn, then a 3- or 4-level second-level walk. Functional only:
// the caller charges time per table read (translation::memory_reads).
//
// Fault conditions, in the order the hardware meets them (VT-d 7.1.3, QEMU
// vtd_do_iommu_translate()):
//   1 root entry not present          2 context entry not present
//   3 invalid context: reserved TT, or AW not supported (CAP.SAGAW: 39 and 48 bits)
//   4 input address beyond the context's address width
//   5 / 6 write / read not allowed: R/W clear at any level (permissions AND across
//     levels; a non-present entry has both clear)
//   7 a table pointer (context table, SLPTPTR, next-level table) at or beyond the host
//     address width, or PS set where no large page exists (level 1 PS is ignored, 4)
//   8 / 9 the root / context table could not be read (nothing in memory there: VT-d
//     7.1.3 reasons 8h, 9h); a second-level table that cannot be read is 3 at the top
//     level (the context's SLPTPTR) and 7 below, as QEMU's vtd_iova_to_slpte() does
// The spec's reasons 0xA-0xD (reserved bits, TT blocking) are folded into 3 / 7.
#pragma once

#include <cstdint>

#include "models/iommu/vtd_tables.h"
#include "models/iommu/vtd_types.h"
#include "models/iommu/walk_cache.h"
#include "models/memory/phys_mem.h"

namespace iovsim::iommu {

// What the walk checks at each level: a DMA read or write faults on the missing
// permission; an ATS translation request (check_none) reports the permissions and
// faults only on structure errors (PCIe ATS 2.2.3: R=W=0 is a valid answer).
enum class access_check { read, write, none };

struct context_result {
  fault_reason fault = fault_reason::none;
  context_entry ctx;
  unsigned memory_reads = 0;
};

// Root + context lookup for a requester (2 reads when the root entry is present).
context_result lookup_context(mem::phys_mem& memory, uint64_t root_table_addr, uint16_t source_id,
                              unsigned host_address_width_bits);

// Second-level walk of a valid context (pass-through contexts return identity).
// memory_reads counts only PTE reads. With paging-structure caches (`pwc`, may be
// null) the walk starts at the deepest cached table and caches the non-leaf entries
// it reads.
translation walk_second_level(mem::phys_mem& memory, const context_entry& ctx, uint64_t iova, access_check check,
                              unsigned host_address_width_bits, walk_cache* pwc = nullptr);

// The whole walk; memory_reads counts root, context and PTE reads.
translation walk(mem::phys_mem& memory, uint64_t root_table_addr, uint16_t source_id, uint64_t iova, bool is_write,
                 unsigned max_address_width_bits);

}  // namespace iovsim::iommu
