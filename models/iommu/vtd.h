// A VT-d-like DMA-remapping unit (legacy mode): registers behind a 4 KiB MMIO target
// socket (vtd_regs.h), a context cache, the IOTLB, the page walker, queued and
// register-based invalidation, primary fault logging with the fault event interrupt,
// an ATS service for devices with device-TLBs and the page request queue of PRI
// (vtd_prq.cpp).
//
// Timing (DESIGN.md 2): a lookup costs iommu.iotlb_hit_latency; every table read of a
// miss (root, context, PTEs) costs iommu.walk_read_latency on the page walker, a
// timed_resource, so concurrent misses queue. Invalidation-queue descriptors cost one
// memory read to fetch; invalidations complete iommu.invalidation_latency (device-TLB:
// iommu.device_tlb_invalidation_latency) after they are fetched, and a wait
// descriptor writes its status only once everything before it has completed. Page
// request descriptors are written one at a time, each iommu.prq_write_latency.
//
// Page requests (PCIe 10.4.1) go where VT-d puts them: a 32-byte Page Request
// Descriptor in the page request queue in host memory (PQA_REG), PQT_REG advanced,
// PRS_REG.PPR set and the page request event MSI (PEADDR/PEDATA) sent unless
// PECTL_REG.IM. Software answers with a Page Group Response descriptor in the
// invalidation queue; executing it sends the PRG Response message through the
// page-response sink. A full queue sets PRS.PRO; requests that find it full (or PRO
// set) are not written, and the unit answers the last one of a group itself with
// Success, so the function translates again and asks anew (vtd_prq.cpp).
//
// Interrupt remapping and posting (VT-d chapter 5; vtd_ir.cpp, layouts in vtd_ir.h):
// with GSTS.IRES set, a remappable-format MSI is looked up in the interrupt remapping
// table at IRTA (one IRTE read of iommu.walk_read_latency, unless the interrupt entry
// cache holds it) and goes on as a compatibility MSI (remapped IRTE), or sets its bit
// in a posted-interrupt descriptor and sends the notification event (posted IRTE,
// iommu.posted_update_latency). Faults 0x20-0x27 are recorded like translation faults.
//
// Left out: scalable mode (PASID tables, first-level tables, the context's PRE bit),
// IRTE fields the unit does not act on (DM, RH, TM, DLM: delivery is fixed, physical),
// ECAP.EIM (IRTA.EIME is decoded, not offered), reserved-field checks of the interrupt request (0x20), page
// requests with PASID or private data, advanced fault logging, protected memory
// regions. Paging-structure caches (walk_cache.h) are off unless iommu.pwc_entries is
// set.
#pragma once

#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <systemc>
#include <tlm>
#include <utility>
#include <vector>

#include "models/iommu/iotlb.h"
#include "models/iommu/page_walker.h"
#include "models/iommu/vtd_ir.h"
#include "models/iommu/vtd_regs.h"
#include "models/iommu/walk_cache.h"
#include "models/kit/param.h"
#include "models/kit/reg_bank.h"
#include "models/kit/series.h"
#include "models/kit/stats.h"
#include "models/kit/timed_resource.h"
#include "models/memory/phys_mem.h"

namespace iovsim::iommu {

struct requester_stats {
  uint64_t translations = 0, hits = 0, misses = 0, walks = 0, evictions = 0, faults = 0;
  uint64_t faults_suppressed = 0;   // context FPD set: not recorded
  uint64_t ats_requests = 0, page_requests = 0;
};

// A PCIe page request (PRI, PCIe 10.4.1): one page the device needs made present, as
// a Page Request Descriptor carries it (software decodes it from the queue).
struct page_request {
  uint16_t source_id = 0;
  uint64_t iova = 0;
  bool write = false;
  uint16_t group = 0;          // page request group index
  bool last_in_group = true;   // LPIG: the group is complete and wants a response
};

// What the remapping unit makes of one interrupt request (remap_interrupt()): a message
// to deliver (the request itself, its remapped form, or a posting's notification
// event), or nothing (posted without notification, or blocked by a fault).
struct interrupt_result {
  bool deliver = false;
  uint64_t address = 0;
  uint32_t data = 0;
  bool posted = false;  // the request went into a posted-interrupt descriptor
  fault_reason fault = fault_reason::none;
};

// Limits of the shapes the parameters may ask for.
constexpr unsigned IOTLB_MAX_ENTRIES = 1u << 20;
constexpr unsigned IEC_MAX_ENTRIES = 4096;
constexpr unsigned PWC_MAX_ENTRIES = 4096;   // a linear scan per level: keep it small

class vtd_unit : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<vtd_unit> regs;   // MMIO, VTD_REG_WINDOW_BYTES

  // An interrupt message write (fault event: FEADDR/FEDATA; invalidation completion
  // event: IEADDR/IEDATA; page request event: PEADDR/PEDATA).
  using interrupt_sink = std::function<void(uint64_t address, uint32_t data)>;
  // A device-TLB invalidation for an ATS-capable function: [addr, addr + size_bytes).
  using device_tlb_sink = std::function<void(uint16_t source_id, uint64_t addr, uint64_t size_bytes)>;
  // A PRG Response message down to a function (PCIe 10.4.2): Success, or not (Invalid
  // Request, Response Failure).
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

  // An interrupt request (a write to 0xFEEx_xxxx) from `source_id` reaches the unit now
  // (vtd_ir.cpp): remapped, posted, passed through or blocked; the cost is added to
  // `latency`. Never waits (callable from a method). IR off: passes unchanged.
  interrupt_result remap_interrupt(uint16_t source_id, uint64_t address, uint32_t data, sc_core::sc_time& latency);
  bool interrupt_remapping_enabled() const;
  size_t interrupt_entry_cache_entries() const { return m_iec.size(); }
  uint64_t interrupts_remapped() const { return m_ir_remapped; }
  uint64_t interrupts_posted() const { return m_ir_posted; }
  uint64_t posted_notifications() const { return m_ir_notifications; }
  uint64_t interrupt_faults() const { return m_ir_faults; }

  // PRI: a Page Request message arrived from a function. It is queued inside the unit
  // and written to the page request queue by the unit's own process (vtd_prq.cpp);
  // callable from any context.
  void page_request(uint16_t source_id, uint64_t iova, bool is_write, uint16_t group, bool last_in_group);
  // Requests written to the queue whose group no Page Group Response answered yet.
  size_t pending_page_requests() const;

  void set_interrupt_sink(interrupt_sink f) { m_interrupt = std::move(f); }
  void set_device_tlb_sink(device_tlb_sink f) { m_device_tlb = std::move(f); }
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
  // Page request descriptors written to the queue; page requests not written because
  // the queue was full or PRS.PRO set (each one answered Success if it ended a group).
  uint64_t prq_descriptors_written() const { return m_prq_written; }
  uint64_t prq_overflows() const { return m_prq_overflows; }

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
  void write_prs(uint64_t old_value, uint64_t value);
  void write_pectl(uint64_t old_value, uint64_t value);

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
  bool page_group_response(uint64_t lo, uint64_t hi);

  // The page request queue (vtd_prq.cpp).
  void prq_thread();
  void prq_write(const iommu::page_request& r);
  void prq_overflow(const iommu::page_request& r, bool newly);
  void raise_page_request_event(uint32_t prs_before);
  void send_page_response(uint16_t source_id, uint16_t group, bool success);

  // Interrupt remapping (vtd_ir.cpp).
  struct irte_value {
    uint64_t lo = 0, hi = 0;
  };
  bool read_irte(uint32_t index, irte_value& e, unsigned& reads);
  void invalidate_iec(bool global, uint32_t index, unsigned index_mask);
  interrupt_result interrupt_fault(uint16_t source_id, uint32_t index, fault_reason reason, bool fpd);
  interrupt_result post_interrupt(uint16_t source_id, uint32_t index, const irte_value& e, sc_core::sc_time& latency);

  // Fault logging and events (vtd_faults.cpp).
  void record_fault(uint16_t source_id, uint64_t iova, fault_reason reason, bool is_write);
  void raise_fault_event();
  void raise_invalidation_event();
  void update_fault_status();

  mem::phys_mem& m_mem;
  kit::reg_bank m_regs;
  kit::scope m_scope{name(), "iommu"};

 public:
  // Parameters (`iommu.<name>` sets every unit, `dmar0.<name>` this one).
  // QEMU's VT-d model caches up to 1024 IOTLB entries (VTD_IOTLB_MAX_SIZE); real sizes
  // are not published (REFERENCE.md 5), so size and shape are knobs.
  kit::param<unsigned> iotlb_entries{m_scope, "iotlb_entries", 1024, "entries",
                                     "IOTLB entries (QEMU VT-d keeps 1024; real sizes unpublished)",
                                     {1, IOTLB_MAX_ENTRIES}};
  kit::param<unsigned> iotlb_ways{m_scope, "iotlb_ways", 8, "ways",
                                  "IOTLB associativity; equal to iotlb_entries for fully associative"};
  kit::enum_param<replacement> iotlb_policy{m_scope, "iotlb_policy", replacement::lru,
                                            {{"lru", replacement::lru}, {"random", replacement::random}},
                                            "IOTLB replacement: least recently used, or seeded random"};
  // VT-d 6.2.4 allows caching non-leaf entries; no Intel part publishes the sizes, so
  // the default is none: every IOTLB miss walks from the root (the architectural
  // worst case). Set it to see what PML4E/PDPE/PDE caches save.
  kit::param<unsigned> pwc_entries{m_scope, "pwc_entries", 0, "entries",
                                   "paging-structure cache entries per non-leaf level (0 = none)",
                                   {0, PWC_MAX_ENTRIES}};
  // A few cycles of the root complex's clock for a CAM/set lookup.
  kit::param<sc_core::sc_time> iotlb_hit_latency{m_scope, "iotlb_hit_latency", sc_core::sc_time(4, sc_core::SC_NS),
                                                 "context-cache + IOTLB lookup (a few uncore cycles)"};
  // Server DRAM load-to-use latency is about 80-100 ns; page tables are not in the
  // CPU caches from the root complex's point of view (ECAP.C aside).
  kit::param<sc_core::sc_time> walk_read_latency{
      m_scope, "walk_read_latency", sc_core::sc_time(90, sc_core::SC_NS),
      "one memory read by the remapping unit: table entry or queue descriptor"};
  kit::param<sc_core::sc_time> invalidation_latency{
      m_scope, "invalidation_latency", sc_core::sc_time(100, sc_core::SC_NS),
      "completion of a context-cache or IOTLB invalidation inside the unit"};
  // An ATS invalidate request and its completion message cross the link twice.
  kit::param<sc_core::sc_time> device_tlb_invalidation_latency{
      m_scope, "device_tlb_invalidation_latency", sc_core::sc_time(2, sc_core::SC_US),
      "completion of a device-TLB invalidation (PCIe round trip + device work)"};
  // The unit may move PQT and signal the event only once the descriptor is globally
  // visible (the producer/consumer order of VT-d's queues), so a descriptor write costs
  // the round trip to the memory controller that a table read costs.
  kit::param<sc_core::sc_time> prq_write_latency{
      m_scope, "prq_write_latency", sc_core::sc_time(90, sc_core::SC_NS),
      "one 32-byte page request descriptor written to memory, completed before PQT moves"};
  // The interrupt entry cache (VT-d 6.4): sizes are not published; a small fully
  // associative LRU cache of IRTEs.
  kit::param<unsigned> iec_entries{m_scope,
                                   "iec_entries",
                                   64,
                                   "entries",
                                   "interrupt entry cache entries (IRTEs; real sizes unpublished)",
                                   {1, IEC_MAX_ENTRIES}};
  // Posting is an atomic read-modify-write of the descriptor's first 40 bytes (VT-d
  // 9.12): a read and a write to memory, two walk_read_latency-like round trips.
  kit::param<sc_core::sc_time> posted_update_latency{
      m_scope, "posted_update_latency", sc_core::sc_time(180, sc_core::SC_NS),
      "atomic update of a posted-interrupt descriptor (PIR bit, ON): a memory read and write"};
  kit::param<unsigned> fault_records{m_scope, "fault_records", 8, "records", "fault recording registers (CAP.NFR + 1)",
                                     {1, FRCD_MAX_RECORDS}};
  // Xeon DMAR tables report a 46-bit host address width; the PTE ADDR field reaches bit 51.
  kit::param<unsigned> host_address_width_bits{
      m_scope, "host_address_width_bits", 46, "bits",
      "host address width: table pointers at or above 2^HAW are invalid (reason 7)", {32, 52}};

 private:
  iotlb_config iotlb_config_from_params() const;

  iotlb m_iotlb;
  walk_cache m_pwc;                                    // paging-structure caches (iommu.pwc_entries)
  std::map<uint16_t, context_entry> m_context_cache;   // present, valid contexts only
  kit::timed_resource m_walker;
  uint64_t m_walk_trace_seq = 0;                       // walks seen by the trace's sampling
  uint64_t m_root_table = 0;                           // latched by GCMD.SRTP

  unsigned m_next_fault_record = 0;

  // Interrupt remapping: the table latched by GCMD.SIRTP and the interrupt entry cache
  // (index -> IRTE, with its last use for LRU).
  uint64_t m_irta = 0;
  struct iec_entry {
    irte_value irte;
    uint64_t last_use = 0;
  };
  std::map<uint32_t, iec_entry> m_iec;
  uint64_t m_iec_clock = 0;

  sc_core::sc_event m_qi_kick;
  sc_core::sc_time m_invalidations_done = sc_core::SC_ZERO_TIME;

  // Page Request messages received, not yet written (in arrival order), and what was
  // written per (requester, group) until its response.
  std::deque<iommu::page_request> m_prq_inbox;
  sc_core::sc_event m_prq_kick;
  uint64_t m_prq_epoch = 0;   // bumped by reset(): a write under way is abandoned
  std::map<std::pair<uint16_t, uint16_t>, std::vector<iommu::page_request>> m_page_groups;

  // Counters per requester (merged with the IOTLB's by stats_by_requester()).
  requester_stats& stats_of(uint16_t source_id);
  std::map<uint16_t, requester_stats> m_stats;
  // IOTLB counters per requester: those of IOTLBs replaced by configure_iotlb() and
  // the current IOTLB's at the last reset_stats(), so statistics span both.
  std::map<uint16_t, iotlb_stats> m_iotlb_retired, m_iotlb_baseline;

  interrupt_sink m_interrupt;
  device_tlb_sink m_device_tlb;
  page_response_sink m_page_response;

  // Statistics: the unit's, the paging-structure caches', and one group per requester
  // (`dmar0.03:00.0.iotlb_hits`) made when the requester first sends a request.
  kit::stat_group m_stat_group{name(), "the DMA-remapping unit"};
  kit::distribution m_translation_time{m_stat_group, "translation_time", "s",
                                       "time to translate one request with remapping on: IOTLB hit or page walk",
                                       1e-12};
  kit::counter m_faults_dropped{m_stat_group, "faults_dropped", "faults",
                                "faults lost to a full fault log or a pending overflow (PFO)", true};
  kit::counter m_waits_done{m_stat_group, "invalidation_waits", "descriptors",
                            "invalidation wait descriptors completed", true};
  kit::counter m_prq_written{m_stat_group, "prq_descriptors", "descriptors",
                             "page request descriptors written to the page request queue", true};
  kit::counter m_prq_overflows{m_stat_group, "prq_overflows", "requests",
                               "page requests not queued: the queue was full or PRS.PRO set", true};
  kit::stat_group m_ir_group{m_stat_group, "ir", "interrupt remapping and posting"};
  kit::counter m_ir_remapped{m_ir_group, "remapped", "interrupts",
                             "remappable interrupts delivered through a remapped-format IRTE", true};
  kit::counter m_ir_posted{m_ir_group, "posted", "interrupts",
                           "remappable interrupts recorded in a posted-interrupt descriptor", true};
  kit::counter m_ir_notifications{m_ir_group, "notifications", "events",
                                  "notification events sent for posted interrupts (ON was clear)", true};
  kit::counter m_ir_faults{m_ir_group, "faults", "interrupts", "interrupt requests blocked by a remapping fault", true};
  kit::counter m_iec_hits{m_ir_group, "iec_hits", "lookups", "IRTE lookups the interrupt entry cache answered", true};
  kit::counter m_iec_misses{m_ir_group, "iec_misses", "lookups", "IRTE lookups that read the table", true};
  kit::formula m_walker_busy{m_stat_group, "walker_busy", "s", "time the page walker was busy reading tables",
                             [this] { return m_walker.busy_total().to_seconds(); }, true};
  kit::stat_group m_pwc_group{m_stat_group, "pwc", "paging-structure caches (when on)"};
  kit::formula m_pwc_hits{m_pwc_group, "hits", "lookups", "walks that started below the root",
                          [this] { return static_cast<double>(m_pwc.stats().hits); }, true};
  kit::formula m_pwc_misses{m_pwc_group, "misses", "lookups", "walks that found no cached level",
                            [this] { return static_cast<double>(m_pwc.stats().misses); }, true};
  // IOTLB hits or misses since the statistics started, of one requester or of all,
  // what stats_by_requester() says without building its map (the time series reads
  // them every sample).
  double iotlb_lookups(uint16_t source_id, bool hits) const;
  double iotlb_lookups(bool hits) const;
  kit::series_track m_track_hits{name() + std::string(".iotlb_hits"), kit::series_category::iotlb,
                                 name() + std::string(" hits"),       "lookups",
                                 kit::series_kind::counter,           [this] { return iotlb_lookups(true); }};
  kit::series_track m_track_misses{name() + std::string(".iotlb_misses"),
                                   kit::series_category::iotlb,
                                   name() + std::string(" misses"),
                                   "lookups",
                                   kit::series_kind::counter,
                                   [this] { return iotlb_lookups(false); }};
  struct requester_group {
    requester_group(vtd_unit& unit, uint16_t source_id);
    kit::stat_group group;
    kit::formula translations, iotlb_hits, iotlb_misses, walks, evictions, faults, ats_requests, page_requests;
    kit::series_track track_hits, track_misses;
  };
  std::map<uint16_t, std::unique_ptr<requester_group>> m_requester_groups;
};

// "03:10.1" for a requester ID.
std::string format_source_id(uint16_t source_id);

}  // namespace iovsim::iommu
