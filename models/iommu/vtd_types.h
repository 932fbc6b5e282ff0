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
  // Interrupt remapping (VT-d 7.1.3, 0x20-0x27; vtd_ir.cpp).
  ir_request_reserved = 0x20,    // reserved fields set in the remappable request
  ir_index_beyond_table = 0x21,  // interrupt index beyond IRTA.S
  ir_entry_not_present = 0x22,
  ir_table_invalid = 0x23,              // reading the IRTE failed (IRTA points where no memory is)
  ir_entry_reserved = 0x24,             // reserved fields set in the IRTE
  ir_compat_blocked = 0x25,             // compatibility format with IR on and CFIS clear (or x2APIC mode)
  ir_source_id_mismatch = 0x26,         // SVT/SQ/SID verification failed
  ir_posted_descriptor_invalid = 0x27,  // reading or writing the posted-interrupt descriptor failed
};

// Interrupt-remapping faults put the interrupt index in FRCD.FI bits 63:48 (VT-d 10.4.14;
// Linux dmar_fault_do_one() prints addr >> 48).
inline bool is_interrupt_fault(fault_reason r) {
  return static_cast<unsigned>(r) >= 0x20 && static_cast<unsigned>(r) < 0x30;
}
constexpr unsigned FRCD_INTERRUPT_INDEX_SHIFT = 48;

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
    // dmar.c irq_remap_fault_reasons[] (0x20-0x26); 0x27 is past Linux's table and
    // prints "Unknown" there: the text is ours, from the VT-d fault condition.
    case fault_reason::ir_request_reserved:
      return "Detected reserved fields in the decoded interrupt-remapped request";
    case fault_reason::ir_index_beyond_table:
      return "Interrupt index exceeded the interrupt-remapping table size";
    case fault_reason::ir_entry_not_present:
      return "Present field in the IRTE entry is clear";
    case fault_reason::ir_table_invalid:
      return "Error accessing interrupt-remapping table pointed by IRTA_REG";
    case fault_reason::ir_entry_reserved:
      return "Detected reserved fields in the IRTE entry";
    case fault_reason::ir_compat_blocked:
      return "Blocked a compatibility format interrupt request";
    case fault_reason::ir_source_id_mismatch:
      return "Blocked an interrupt request due to source-id verification failure";
    default: return "Unknown";
  }
}

}  // namespace iovsim::iommu
