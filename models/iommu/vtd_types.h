// VT-d facts shared by the IOMMU models and the host's DMAR driver (Intel VT-d
// spec rev 3.x; REFERENCE.md section 5). Table layouts are encoded/decoded in
// vtd_tables.h; this header holds the constants and the result types.
#pragma once

#include <cstdint>

namespace iovsim::iommu {

// Fault reasons (VT-d spec 7.1.3 / Linux dmar.c dma_remap_fault_reasons).
enum class fault_reason : uint8_t {
  none = 0,
  root_not_present = 1,
  context_not_present = 2,
  invalid_context = 3,
  beyond_address_width = 4,
  write_not_allowed = 5,
  read_not_allowed = 6,
  next_table_invalid = 7,
  root_table_invalid = 8,     // reading the root table (RTADDR) failed: no memory there
  context_table_invalid = 9,  // reading the context table (root entry's CTP) failed
};

// Context-entry translation types (TT field).
enum class translation_type : uint8_t { multi_level = 0, with_device_tlb = 1, pass_through = 2 };

constexpr uint64_t PAGE_4K = 4096, PAGE_2M = 2ull << 20, PAGE_1G = 1ull << 30;

// What one translation produced (the IOTLB caches these).
struct translation {
  fault_reason fault = fault_reason::none;
  uint64_t hpa = 0;            // host physical address of the requested byte
  uint64_t page_size = PAGE_4K;
  bool read = false;           // permissions of the mapping
  bool write = false;
  uint16_t domain = 0;
  bool pass_through = false;
  unsigned memory_reads = 0;   // table reads the walk made (root, context, PTEs)
  // Added by the IOMMU models: the context's Fault Processing Disable bit (faults are
  // then not recorded, VT-d 9.3) and whether it allows device-TLBs (TT = 1, for ATS).
  bool fault_processing_disabled = false;
  bool device_tlb = false;
};

inline const char* fault_reason_text(fault_reason r) {
  // Linux drivers/iommu/intel/dmar.c dma_remap_fault_reasons[]
  switch (r) {
    case fault_reason::root_not_present: return "Present bit in root entry is clear";
    case fault_reason::context_not_present: return "Present bit in context entry is clear";
    case fault_reason::invalid_context: return "Invalid context entry";
    case fault_reason::beyond_address_width: return "Access beyond MGAW";
    case fault_reason::write_not_allowed: return "PTE Write access is not set";
    case fault_reason::read_not_allowed: return "PTE Read access is not set";
    case fault_reason::next_table_invalid: return "Next page table ptr is invalid";
    case fault_reason::root_table_invalid:
      return "Root table address invalid";
    case fault_reason::context_table_invalid:
      return "Context table ptr is invalid";
    default: return "Unknown";
  }
}

}  // namespace iovsim::iommu
