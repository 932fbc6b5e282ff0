// Translated requests (AT = 10b) from functions with a device-TLB. VT-d processes one
// without address translation only when the requester's context entry allows
// device-TLBs (TT = 01b); for TT = 00b and 10b translated requests are blocked, which
// VT-d reports as fault reason 0xD ("Translation request or translated request
// explicitly blocked due to the programming of the TT field", VT-d 7.1.3; QEMU
// hw/i386/intel_iommu_internal.h VTD_FR_CONTEXT_ENTRY_TT, a qualified fault that FPD
// suppresses). Our fault_reason has no 0xD: it is folded into 3 (invalid context), as
// translate_ats() does for translation requests.
#include <fmt/format.h>

#include "models/iommu/vtd.h"
#include "models/kit/sim_env.h"

namespace iovsim::iommu {

bool vtd_unit::translated_request_allowed(uint16_t source_id, uint64_t addr, bool is_write,
                                          sc_core::sc_time& latency) {
  if (!translation_enabled()) return true;
  // The context cache is looked up as for an untranslated request; the IOTLB is not.
  latency += iotlb_hit_latency();
  unsigned reads = 0;
  fault_reason cf = fault_reason::none;
  const context_entry* ctx = context_for(source_id, reads, cf);
  charge(source_id, reads, latency);
  translation t;
  if (!ctx) {
    t.fault = cf;
  } else if (ctx->tt == static_cast<unsigned>(translation_type::with_device_tlb)) {
    return true;
  } else {
    t.fault = fault_reason::invalid_context;
    t.fault_processing_disabled = ctx->fault_processing_disable;
  }
  kit::sim_env::current().log("iommu", name(), fmt::format("translated {} to 0x{:x} from {} blocked", is_write ? "write" : "read",
                                                  addr, format_source_id(source_id)));
  fault_taken(source_id, addr, is_write, t);
  return false;
}

}  // namespace iovsim::iommu
