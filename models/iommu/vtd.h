// A VT-d-like DMA-remapping unit (legacy mode): registers behind a 4 KiB MMIO target
// socket (vtd_regs.h), a context cache, the IOTLB, the page walker, queued and
// register-based invalidation, primary fault logging with the fault event interrupt,
// and an ATS / PRI service for devices with device-TLBs.
//
// Timing (DESIGN.md 2): a lookup costs iommu.iotlb_hit_latency; every table read of a
// miss (root, context, PTEs) costs iommu.walk_read_latency on the page walker, a
// timed_resource, so concurrent misses queue. Invalidation-queue descriptors cost one
// memory read to fetch; invalidations complete iommu.invalidation_latency (device-TLB:
// iommu.device_tlb_invalidation_latency) after they are fetched, and a wait
// descriptor writes its status only once everything before it has completed.
//
// Left out: scalable mode (PASID tables, first-level tables), interrupt remapping,
// the page request queue registers (PRI goes through callbacks), advanced fault
// logging, protected memory regions. Paging-structure caches (walk_cache.h) are
// off unless iommu.pwc_entries is set.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>
#include <utility>
#include <vector>

#include "models/iommu/iotlb.h"
#include "models/iommu/page_walker.h"
#include "models/iommu/vtd_regs.h"
#include "models/iommu/walk_cache.h"
#include "models/kit/reg_bank.h"
#include "models/kit/timed_resource.h"
#include "models/memory/phys_mem.h"

namespace iovsim::iommu {

struct requester_stats {
  uint64_t translations = 0, hits = 0, misses = 0, walks = 0, evictions = 0, faults = 0;
  uint64_t faults_suppressed = 0;   // context FPD set: not recorded
  uint64_t ats_requests = 0, page_requests = 0;
};

// A PCIe page request (PRI, PCIe 10.4.1): one page the device needs made present.
struct page_request {
  uint16_t source_id = 0;
  uint64_t iova = 0;
  bool write = false;
  uint16_t group = 0;   // page request group index
};

class vtd_unit : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<vtd_unit> regs;   // MMIO, VTD_REG_WINDOW_BYTES

  // An interrupt message write (fault event: FEADDR/FEDATA; invalidation completion
  // event: IEADDR/IEDATA).
  using interrupt_sink = std::function<void(uint64_t address, uint32_t data)>;
  // A device-TLB invalidation for an ATS-capable function: [addr, addr + size_bytes).
  using device_tlb_sink = std::function<void(uint16_t source_id, uint64_t addr, uint64_t size_bytes)>;
  using page_request_sink = std::function<void(const iommu::page_request&)>;
  using page_response_sink = std::function<void(uint16_t source_id, uint16_t group, bool success)>;

  SC_HAS_PROCESS(vtd_unit);
  // Reads tables and descriptors and writes wait status through `memory`. Parameters
  // are read from kit::sim_env::current(); impossible values throw
  // std::invalid_argument naming the parameter.
  vtd_unit(sc_core::sc_module_name name, mem::phys_mem& memory);

  // The DMA path: translates one untranslated request and adds its cost to `latency`.
  // TE clear: identity. Faults are recorded, logged and traced (unless the context
  // sets FPD); translation::fault tells the caller to abort the request.
  translation translate(uint16_t source_id, uint64_t iova, bool is_write, sc_core::sc_time& latency);
  // ATS translation request from a device-TLB: permissions come back in read/write;
  // missing permission is not a fault (R = W = 0) and is not recorded. Structure
  // faults are recorded; a context whose TT does not allow device-TLBs answers with
  // invalid_context (the spec's reason 0xD folded into 3).
  translation translate_ats(uint16_t source_id, uint64_t iova, sc_core::sc_time& latency);
  // A translated request (AT = 10b) goes to memory untranslated only from a requester
  // whose context allows device-TLBs (TT = 01b); TE clear allows all. A blocked one is
  // recorded as a fault at `addr` (vtd_ats.cpp).
  bool translated_request_allowed(uint16_t source_id, uint64_t addr, bool is_write, sc_core::sc_time& latency);

  // PRI: a device asks for a page; the host sees it through the page-request sink and
  // answers a whole group with page_response(), which the device receives through the
  // page-response sink. A response to no outstanding group is logged and dropped.
  void page_request(uint16_t source_id, uint64_t iova, bool is_write, uint16_t group);
  void page_response(uint16_t source_id, uint16_t group, bool success);
  size_t pending_page_requests() const;

  void set_interrupt_sink(interrupt_sink f) { m_interrupt = std::move(f); }
  void set_device_tlb_sink(device_tlb_sink f) { m_device_tlb = std::move(f); }
  void set_page_request_sink(page_request_sink f) { m_page_request = std::move(f); }
  void set_page_response_sink(page_response_sink f) { m_page_response = std::move(f); }

  // The register bank (tests and lspci-like dumps read it; software uses `regs`).
  kit::reg_bank& bank() { return m_regs; }
  // Platform reset: registers to their reset values, caches and queues emptied
  // (statistics are kept: they describe the whole run).
  void reset();
  bool translation_enabled() const;
  uint64_t root_table() const { return m_root_table; }
  // The current IOTLB; its own counters start again at every configure_iotlb().
  const iotlb& tlb() const { return m_iotlb; }
  // Simulator control, not a hardware or driver operation: replaces the IOTLB with an
  // empty one of this shape (as iommu.iotlb_* would have built it), so one run can
  // compare sizes. Statistics are kept. Impossible shapes throw std::invalid_argument.
  void configure_iotlb(const iotlb_config& config);
  // The same for the paging-structure caches: `entries` per level, 0 = none.
  void configure_pwc(unsigned entries);
  // Simulator control: statistics start again from zero (caches keep their entries).
  void reset_stats();
  size_t context_cache_entries() const { return m_context_cache.size(); }
  const kit::timed_resource& walker() const { return m_walker; }
  const walk_cache& paging_structure_cache() const { return m_pwc; }
  // Per requester (ordered by requester ID): IOTLB hits/misses/evictions merged in.
  std::map<uint16_t, requester_stats> stats_by_requester() const;
  requester_stats totals() const;
  uint64_t faults_dropped() const { return m_faults_dropped; }   // lost to PFO / full records
  uint64_t invalidation_waits() const { return m_waits_done; }

 private:
  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  void build_registers();
  static translation untranslated(uint64_t iova);

  // Register handlers (vtd_regs.cpp).
  void write_gcmd(uint64_t old_value, uint64_t value);
  void write_ccmd(uint64_t old_value, uint64_t value);
  void write_fsts(uint64_t old_value, uint64_t value);
  void write_fectl(uint64_t old_value, uint64_t value);
  void write_frcd_hi(uint64_t old_value, uint64_t value);
  void write_iqt(uint64_t old_value, uint64_t value);
  void write_ics(uint64_t old_value, uint64_t value);
  void write_iectl(uint64_t old_value, uint64_t value);
  void write_iotlb_reg(uint64_t old_value, uint64_t value);

  // Translation (vtd.cpp).
  const context_entry* context_for(uint16_t source_id, unsigned& reads, fault_reason& fault);
  void charge(uint16_t source_id, unsigned reads, sc_core::sc_time& latency);
  void fault_taken(uint16_t source_id, uint64_t iova, bool is_write, const translation& t);

  // Invalidation (vtd_qi.cpp).
  void qi_thread();
  bool execute_descriptor(uint64_t lo, uint64_t hi);
  void invalidate_context_cache(unsigned granularity, uint16_t domain, uint16_t source_id, unsigned function_mask);
  // `leaf_only`: the Invalidation Hint (IH) of a page-selective request; paging-structure
  // cache entries are then kept.
  bool invalidate_iotlb(unsigned granularity, uint16_t domain, uint64_t addr, unsigned address_mask,
                        bool leaf_only);
  void invalidation_issued(const sc_core::sc_time& cost);

  // Fault logging and events (vtd_faults.cpp).
  void record_fault(uint16_t source_id, uint64_t iova, fault_reason reason, bool is_write);
  void raise_fault_event();
  void raise_invalidation_event();
  void update_fault_status();

  mem::phys_mem& m_mem;
  kit::reg_bank m_regs;

  // Parameters.
  unsigned m_fault_records;
  unsigned m_host_address_width;
  sc_core::sc_time m_hit_latency, m_read_latency, m_invalidation_latency, m_device_tlb_latency;

  iotlb m_iotlb;
  walk_cache m_pwc;                                    // paging-structure caches (iommu.pwc_entries)
  std::map<uint16_t, context_entry> m_context_cache;   // present, valid contexts only
  kit::timed_resource m_walker;
  uint64_t m_root_table = 0;                           // latched by GCMD.SRTP

  unsigned m_next_fault_record = 0;
  uint64_t m_faults_dropped = 0;

  sc_core::sc_event m_qi_kick;
  sc_core::sc_time m_invalidations_done = sc_core::SC_ZERO_TIME;
  uint64_t m_waits_done = 0;

  std::map<std::pair<uint16_t, uint16_t>, std::vector<iommu::page_request>> m_page_groups;

  std::map<uint16_t, requester_stats> m_stats;
  // IOTLB counters per requester: those of IOTLBs replaced by configure_iotlb() and
  // the current IOTLB's at the last reset_stats(), so statistics span both.
  std::map<uint16_t, iotlb_stats> m_iotlb_retired, m_iotlb_baseline;

  interrupt_sink m_interrupt;
  device_tlb_sink m_device_tlb;
  page_request_sink m_page_request;
  page_response_sink m_page_response;
};

// "03:10.1" for a requester ID.
std::string format_source_id(uint16_t source_id);

}  // namespace iovsim::iommu
