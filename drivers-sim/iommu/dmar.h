// The simulated kernel's Intel IOMMU driver (Linux v6.1 drivers/iommu/intel/dmar.c,
// iommu.c, and the generic drivers/iommu/iommu.c), for one DMA-remapping unit at
// platform::DMAR_BASE, driven through its registers like the real driver:
//
//   early_init()  (ACPI DMAR parse, before PCI enumeration): reads VER/CAP/ECAP and
//                 prints the DRHD lines and the default domain type;
//   init()        (intel_iommu_init, after enumeration): queued invalidation (IQA,
//                 GCMD.QIE), the root table (RTADDR, GCMD.SRTP), global context-cache
//                 and IOTLB invalidation, the fault event MSI, one IOMMU group and
//                 default domain per function with its context entry, then GCMD.TE.
//
// IOMMU groups (v6.1 iommu.c pci_device_group()): every bridge counts as having ACS
// and no function aliases another, so a function gets a group of its own unless it is
// part of a multifunction device (not a VF) whose functions are not isolated from one
// another: no ACS capability with SV, RR, CR and UF enabled (pci.c pci_acs_enabled())
// and not on quirks.c's list of multifunction endpoints known not to do peer-to-peer
// (pci_quirk_mf_endpoint_acs: the 82576, 82599, i350, not the X540). Those functions
// share one group (get_pci_function_alias_group()). Simplification: each function
// still gets a default domain of its own (Linux gives the group one default domain).
//
// Interrupt remapping (irq_remapping.c; irq_remapping.cpp): on ECAP.IR hardware the
// driver builds the interrupt remapping table (65536 IRTEs, xAPIC mode), points IRTA at
// it, flushes the interrupt entry cache and sets GCMD.IRE. Linux does that at boot;
// here the first alloc_irte() does (dmar_options.irq_remapping_at_boot: at init()), so
// that a boot without a hypervisor costs no table pages or register traffic, as with
// the page request queue. Host drivers keep compatibility-format MSIs, so the driver
// sets GCMD.CFI (Linux clears it: every Linux MSI is remappable). IRTEs are for the
// hypervisor: alloc_irte(), set_irte_remapped() / set_irte_posted() (modify_irte():
// write the 128-bit entry, then an index-selective interrupt entry cache invalidation
// through the queue), free_irte().
//
// Default domains: DMA domains with a 4-level (48-bit)
// second-level table each, lazy unless strict was asked for (6.1's default
// IOMMU_DOMAIN_DMA_FQ); with iommu=pt every function shares the static identity
// domain (si_domain) through pass-through context entries (TT 2), ECAP.PT being set.
//
// Fault events: handle_msi() only notes the interrupt (it runs inside a model's
// process); a host thread then reads FSTS and the fault recording registers, prints
// the kernel's lines (dmar_fault()) and clears them.
//
// Page requests (prq.c intel_iommu_enable_prq(), intel_iommu_page_response()): on
// ECAP.PRS hardware, enable_prq() sets up the page request queue and its event MSI (a
// vector of our own, like the fault event's); handle_msi() hands that event to the
// handler iopf_service installed (its prq_event_thread()), which uses the PRQ accessors
// below and answers groups with page_group_response() through the invalidation queue.
// Linux sets the queue up at boot (init_dmars(), with ecap_prs()); here the first
// enable_iopf() does, so that a boot without PRI users costs no PRQ accesses or pages.
//
// ATS (v6.1 intel_iommu_probe_device / domain_context_mapping_one /
// iommu_enable_pci_caps): a PCIe function with an ATS extended capability on ECAP.DT
// hardware, below a root port the DMAR table's ATSR lists (dmar_ats_supported()), gets
// TT 01b (device-TLB) context entries and ATS enabled (STU 0: 4 KiB, when it issues
// page-aligned requests). Every IOTLB invalidation of its domain is followed by a
// device-TLB invalidation (iommu_flush_dev_iotlb()). A domain switch disables ATS and
// enables it again (dmar_remove_one_dev_info()). Pass-through (TT 10b) contexts do not
// use device-TLBs and leave ATS off, as v5.x did (its domain_context_mapping_one()
// looked the device up for translated contexts only): TT 10b blocks translated requests.
// PRI is enabled per function for IOPF-capable domains (enable_iopf(), as
// intel_iommu_enable_iopf() of v6.3+: PRI reset, allocation, enable).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <systemc>
#include <vector>

#include "drivers-sim/iommu/iova.h"
#include "drivers-sim/kernel/kernel.h"
#include "drivers-sim/kernel/page_alloc.h"
#include "drivers-sim/pci/pci_dev.h"
#include "models/kit/param.h"
#include "models/iommu/vtd_regs.h"
#include "models/iommu/vtd_tables.h"

namespace iovsim::host {

// CPU time spent by host software, by named parameter (how often each was charged).
struct cpu_account {
  sc_core::sc_time total = sc_core::SC_ZERO_TIME;
  std::map<std::string, uint64_t> charges;
  void charge(const std::string& param, const sc_core::sc_time& cost, uint64_t times = 1);
};

// Named CPU costs of the DMA API and the invalidation path (DESIGN.md 2): the
// parameters (`host.dma.<name>`, `host.iopf.handle`). Defaults are a few cache misses
// (~100 ns each at DRAM latency) or a few dozen instructions (~0.3 ns each at 3 GHz).
struct dma_cost_params {
  kit::scope dma{"host.dma", "host.dma"};
  kit::scope iopf{"host.iopf", "host.iopf"};
  kit::param<sc_core::sc_time> lock{
      dma, "lock", sc_core::sc_time(40, sc_core::SC_NS),
      "take and release the IOVA/domain spinlock with IRQs saved (two atomics, uncontended)"};
  kit::param<sc_core::sc_time> iova_alloc{dma, "iova_alloc", sc_core::sc_time(250, sc_core::SC_NS),
                                          "alloc_iova: rb-tree walk and insert, two or three cache misses"};
  kit::param<sc_core::sc_time> iova_free{dma, "iova_free", sc_core::sc_time(150, sc_core::SC_NS),
                                         "free_iova: rb-tree lookup and erase, one or two cache misses"};
  kit::param<sc_core::sc_time> pte_update{
      dma, "pte_update", sc_core::sc_time(20, sc_core::SC_NS),
      "write (or clear) one second-level PTE, line already cached (ECAP.C: no clflush)"};
  kit::param<sc_core::sc_time> pagetable_alloc{
      dma, "pagetable_alloc", sc_core::sc_time(300, sc_core::SC_NS),
      "allocate and zero a 4 KiB page-table page (memset at ~20 GB/s + allocator)"};
  kit::param<sc_core::sc_time> invalidation_submit{
      dma, "invalidation_submit", sc_core::sc_time(100, sc_core::SC_NS),
      "build invalidation + wait descriptors and write IQT (qi_submit_sync)"};
  kit::param<sc_core::sc_time> wait_poll_interval{dma, "wait_poll_interval", sc_core::sc_time(50, sc_core::SC_NS),
                                                  "one spin of the wait-descriptor status poll (cpu_relax + load)"};
  kit::param<sc_core::sc_time> fq_queue{dma, "fq_queue", sc_core::sc_time(30, sc_core::SC_NS),
                                        "lazy unmap: append an entry to the per-CPU flush queue (queue_iova)"};
  kit::param<sc_core::sc_time> direct_map{dma, "direct_map", sc_core::sc_time(10, sc_core::SC_NS),
                                          "dma_direct_map_page: phys_to_dma and mask check, no IOMMU"};
  // No public per-request measurement of Linux's IOPF path was found: an estimate of a
  // threaded-IRQ wake-up and a workqueue hop (a few us each on a server) plus a minor
  // fault's page lookup and pin (~1 us). The PTE write and table allocation are charged
  // on top through host.dma.*; the page group response as host.dma.invalidation_submit.
  // Interrupt remapping (irq_remapping.c): alloc_irte() is a bitmap search under a
  // spinlock; modify_irte() a cmpxchg16b of a line that is likely not cached.
  kit::param<sc_core::sc_time> irte_alloc{dma, "irte_alloc", sc_core::sc_time(100, sc_core::SC_NS),
                                          "alloc_irte: bitmap_find_free_region under irq_2_ir_lock"};
  kit::param<sc_core::sc_time> irte_update{
      dma, "irte_update", sc_core::sc_time(150, sc_core::SC_NS),
      "modify_irte: build the entry, cmpxchg16b it into the table (one cache miss + a locked op)"};
  kit::param<sc_core::sc_time> iopf_handle{
      iopf, "handle", sc_core::sc_time(10, sc_core::SC_US),
      "one PRI page request: PRQ interrupt thread, iopf group and workqueue, page lookup and pin"};
};

// Their values, as the code that charges them carries them.
struct dma_costs {
  sc_core::sc_time lock, iova_alloc, iova_free, pte_update, pagetable_alloc, invalidation_submit, wait_poll_interval,
      fq_queue, direct_map, irte_alloc, irte_update, iopf_handle;
  // Declares the parameters (dma_cost_params) and takes their values.
  static dma_costs from_params();
  // The value of a parameter by name (for totals); zero for an unknown name.
  sc_core::sc_time of(const std::string& param) const;

 private:
  std::map<std::string, sc_core::sc_time> m_by_name;   // filled as the parameters are declared
};

// The host's view of DRAM for the table builder: CPU loads and stores.
class host_memory : public mem::phys_mem {
 public:
  explicit host_memory(platform::host_bus& bus) : m_bus(bus) {}
  void read(uint64_t addr, void* data, unsigned len) override { m_bus.mem_read(addr, data, len); }
  void write(uint64_t addr, const void* data, unsigned len) override { m_bus.mem_write(addr, data, len); }

 private:
  platform::host_bus& m_bus;
};

// struct dmar_domain: an address space with its domain ID.
struct dmar_domain {
  enum class kind { dma, dma_fq, identity, unmanaged };
  // intel/iommu.c IOAPIC_RANGE_START/END: the interrupt window a device write cannot
  // reach memory through (intel_iommu_get_resv_regions() reports it as IOMMU_RESV_MSI,
  // and iommu_dma_init_domain() reserves it in every DMA domain's IOVA space).
  static constexpr uint64_t MSI_WINDOW_FIRST_PFN = 0xfee00, MSI_WINDOW_LAST_PFN = 0xfeeff;
  dmar_domain() { iovad.reserve(MSI_WINDOW_FIRST_PFN, MSI_WINDOW_LAST_PFN); }
  uint16_t id = 0;            // DID in context entries and invalidations
  kind type = kind::dma;
  uint64_t pgd = 0;           // second-level table root (0 for identity)
  iova_domain iovad;
  std::vector<uint16_t> devices;   // requester IDs attached
};

// What /sys/kernel/iommu_groups/<id>/ shows.
struct iommu_group_info {
  unsigned id = 0;
  std::vector<std::string> devices;   // "0000:03:00.1"
  std::string type;                   // sysfs `type`: DMA, DMA-FQ, identity, unmanaged
  uint16_t domain_id = 0;
};

struct dmar_options {
  uint64_t reg_base = 0xfed90000;      // platform::DMAR_BASE
  unsigned host_address_width = 46;    // the ACPI DMAR table's HAW (Xeon: 46)
  bool strict = false;                 // as iommu.strict=1 (either one): strict unmap, else lazy (6.1 default)
  // Fault event MSI (FEADDR / FEDATA): the local APIC window and a vector of our own.
  uint32_t fault_msi_addr = 0xfee00000;
  uint32_t fault_msi_data = 0x24;
  // Page request event MSI (PEADDR / PEDATA): the next vector (Linux allocates one per
  // unit, IOMMU_IRQ_ID_OFFSET_PRQ + seq_id).
  uint32_t prq_msi_addr = 0xfee00000;
  uint32_t prq_msi_data = 0x25;
  // The DMAR table's Root Port ATS Capability structure (ACPI DMAR ATSR) with
  // ALL_PORTS set: every root port forwards ATS (server firmware lists its root ports
  // there). Without it the kernel prints "No ATSR found" and only root-complex
  // integrated functions may use ATS.
  bool atsr_all_ports = true;
  // Interrupt remapping set up at init() as Linux does, rather than on the first
  // alloc_irte().
  bool irq_remapping_at_boot = false;
};

// struct device_domain_info (iommu.h) and the pci_dev ATS/PRI fields the driver uses.
struct device_domain_info {
  uint16_t sid = 0;
  unsigned bus = 0, devfn = 0;
  bool is_virtfn = false;
  uint16_t pf_sid = 0;               // its PF (itself for a PF)
  uint16_t pfsid = 0;                // PFSID of its device-TLB invalidations (the PF with ECAP.DIT, else 0)
  uint32_t ats_pos = 0, pri_pos = 0; // extended capability offsets; 0: absent
  bool ats_supported = false;        // ECAP.DT, an ATS capability and the ATSR allow it
  bool ats_enabled = false;
  unsigned ats_stu = 0;              // page shift ATS was last enabled with (pdev->ats_stu)
  unsigned ats_qdep = 0;             // pci_ats_queue_depth(): 1..32, 0 for a VF
  bool pri_supported = false;        // a PRI capability (a VF: its PF's, PCIe 9.3.7.11)
  bool pri_enabled = false;
  uint32_t pri_reqs_alloc = 0;       // Outstanding Page Request Allocation written
};

class intel_iommu {
 public:
  intel_iommu(platform::host_bus& bus, page_allocator& pages, const kernel_params& params, kernel_log& log,
              dmar_options options = {});
  ~intel_iommu();

  // intel_iommu=on given (the driver does anything at all).
  bool requested() const { return m_params.intel_iommu; }
  // Translation is on (init() done).
  bool enabled() const { return m_enabled; }
  bool pass_through() const { return m_params.iommu_pt; }
  bool strict() const { return m_options.strict || m_params.iommu_strict; }
  bool ats_disabled() const { return m_params.noats; }   // pci=noats
  // Whether mappings may use 2 MiB / 1 GiB leaves (intel_iommu=sp_off: no).
  bool superpages() const { return m_params.iommu_superpage; }

  // Boot hooks; both must run in an SC_THREAD (register accesses wait). init() calls
  // early_init() when it was not called.
  void early_init();
  void init(const std::vector<pci_dev*>& devices);
  // Hotplug (VFs appearing / going away): group, domain and context entry.
  void add_device(pci_dev& dev);
  void remove_device(pci_dev& dev);

  // The MSI sink: true when (addr, data) is our fault event or page request event.
  // Never blocks.
  bool handle_msi(uint64_t addr, uint32_t data);

  // ---- used by the DMA API ----
  dmar_domain* domain_of(uint16_t source_id);
  dmar_domain* domain_by_id(uint16_t did);
  // Gives the function a fresh unmanaged domain (VFIO attaching a guest's domain):
  // new DID and page table, context entry rewritten, context cache and old IOTLB
  // entries flushed. Returns the new domain.
  dmar_domain& attach_unmanaged(uint16_t source_id, cpu_account* acct);
  // Queued invalidations, each followed by a wait descriptor whose status the CPU
  // polls in memory (qi_submit_sync()); CPU time goes to `acct` when given.
  // Both invalidate the device-TLBs of the domain's ATS-enabled functions afterwards.
  void flush_iotlb_psi(const dmar_domain& d, uint64_t iova, uint64_t pages, cpu_account* acct);
  void flush_iotlb_domain(const dmar_domain& d, cpu_account* acct);
  // Fault injection (drivers-sim/inject.h): asked once before each flush above (pages
  // 0: the whole domain); true drops it with its device-TLB invalidations, and only
  // the wait descriptor is submitted.
  using invalidation_filter = std::function<bool(const dmar_domain& d, uint64_t iova, uint64_t pages)>;
  void set_invalidation_filter(invalidation_filter f) { m_invalidation_filter = std::move(f); }
  // The driver's ATS/PRI state of a function (nullptr: not known to the driver).
  const device_domain_info* device_info(uint16_t source_id) const;
  // intel_iommu_enable_iopf() (v6.3+): PRI reset, Outstanding Page Request Allocation
  // min(capacity, PRQ_DEPTH), Enable. 0, -ENODEV (no ATS enabled or no PRI), -EBUSY
  // (already on, or the PRI interface is not stopped), -EINVAL (a VF whose PF has no
  // PRI enabled).
  int enable_iopf(uint16_t source_id);
  static constexpr unsigned PRQ_ORDER = 4;                          // iommu.h: 16 pages
  static constexpr uint32_t PRQ_BYTES = 4096u << PRQ_ORDER;
  static constexpr uint32_t PRQ_DEPTH = PRQ_BYTES >> 5;             // iommu.h PRQ_DEPTH: 32-byte requests
  static constexpr uint64_t PRQ_RING_MASK = PRQ_BYTES - 0x20;       // iommu.h PRQ_RING_MASK
  // iommu.h MAX_AGAW_PFN_WIDTH (64 - VTD_PAGE_SHIFT): the mask of a whole-device-TLB flush.
  static constexpr unsigned MAX_AGAW_PFN_WIDTH = 64 - 12;
  // ---- the page request queue (prq.c), drained by iopf_service ----
  // intel_iommu_enable_prq(): 2^PRQ_ORDER zeroed pages, PQH = PQT = 0, PQA with the size,
  // then the event MSI as dmar_msi_write() / dmar_msi_unmask() program it (PEDATA,
  // PEADDR, PEUADDR, PECTL 0). False without ECAP.PRS. Once; later calls return true.
  bool enable_prq();
  uint64_t prq_base() const { return m_prq; }   // 0: not set up
  // request_threaded_irq() for the page request event: handle_msi() calls it (from
  // inside a model's process: it must not block).
  void set_prq_handler(std::function<void()> f) { m_prq_handler = std::move(f); }
  // prq_event_thread()'s register accesses (MMIO, so they wait): PRS_REG, and PQH/PQT
  // as byte offsets into the ring.
  uint32_t prq_status() { return read32(iommu::PRS_REG); }
  void clear_prq_status(uint32_t bits) { write32(iommu::PRS_REG, bits); }
  uint64_t prq_head() { return read64(iommu::PQH_REG) & PRQ_RING_MASK; }
  uint64_t prq_tail() { return read64(iommu::PQT_REG) & PRQ_RING_MASK; }
  void set_prq_head(uint64_t offset) { write64(iommu::PQH_REG, offset); }
  // intel_iommu_page_response() / handle_bad_prq_event(): a Page Group Response
  // descriptor (no PASID) with a wait descriptor, qi_submit_sync().
  void page_group_response(uint16_t source_id, uint16_t group, bool last_in_group, unsigned response_code,
                           cpu_account* acct);
  iommu::table_builder& tables() { return *m_tables; }
  host_memory& memory() { return m_memory; }
  const dma_costs& costs() const { return m_costs; }
  // Tables allocated so far (every one is a zeroed page).
  unsigned tables_allocated() const { return m_tables->tables_allocated(); }

  // ---- interrupt remapping, for the hypervisor (irq_remapping.cpp) ----
  // Every call may wait (register accesses, CPU time, queued invalidation): SC_THREAD.
  // IR is available: intel_iommu=on, init() done, ECAP.IR (on now, or on the first
  // alloc_irte()).
  bool irq_remapping() const;
  bool irq_remapping_enabled() const { return m_irt != 0; }  // GCMD.IRE written
  // Posted interrupts: CAP.PI and IR.
  bool posted_interrupts() const;
  // A free IRTE for interrupts from `source_id` (verified against SID, SQ all 16 bits,
  // as set_msi_sid()): 0, -ENODEV (IR not available), -ENOSPC. Nothing is written to
  // the table yet: the entry stays not present until set_irte_*().
  int alloc_irte(uint16_t source_id, uint16_t& handle);
  // Remapped format: fixed delivery, physical destination `dest_apic_id` (xAPIC).
  // 0, -EINVAL (handle not allocated).
  int set_irte_remapped(uint16_t handle, uint8_t vector, uint32_t dest_apic_id);
  // Posted format (intel_ir_set_vcpu_affinity()): requests go into the descriptor at
  // `pid_phys` (64 bytes, 64-byte aligned; layout vtd_ir.h PID_*), bit `vector` of PIR.
  // 0, -ENODEV (no posted interrupts), -EINVAL (handle not allocated, misaligned).
  int set_irte_posted(uint16_t handle, uint64_t pid_phys, uint8_t vector);
  // clear_entries(): the IRTE zeroed, its interrupt entry cache entry invalidated.
  void free_irte(uint16_t handle);
  // What the function's MSI-X entry holds for this IRTE (fill_msi_msg(): remappable
  // format, SHV set); its data is 0 (the subhandle).
  static uint64_t remappable_msi_address(uint16_t handle);
  uint64_t irq_remapping_table() const { return m_irt; }
  // CPU time of the IRTE operations (host.dma.irte_*, and their invalidations).
  const cpu_account& irq_remapping_cpu() const { return m_ir_cpu; }
  // Linux INTR_REMAP_TABLE_REG_SIZE / INTR_REMAP_TABLE_ENTRIES.
  static constexpr unsigned IRT_SIZE_FIELD = 0xf;
  static constexpr unsigned IRT_ENTRIES = 2u << IRT_SIZE_FIELD;

  // ---- observation ----
  std::vector<iommu_group_info> groups() const;
  // The IOMMU group of a requester ID (-1: none), and a group's requester IDs, ascending.
  int group_of(uint16_t source_id) const;
  std::vector<uint16_t> group_members(unsigned group) const;
  const std::map<uint16_t, uint64_t>& faults_by_device() const { return m_faults; }
  uint64_t root_table() const { return m_root; }
  uint64_t cap() const { return m_cap; }
  uint64_t ecap() const { return m_ecap; }
  uint64_t invalidation_waits() const { return m_waits; }
  // Device-TLB invalidate descriptors submitted, in all and per target function.
  uint64_t device_tlb_invalidations() const;
  const std::map<uint16_t, uint64_t>& device_tlb_invalidations_by_device() const { return m_dev_tlb_flushes; }
  void reset_device_tlb_stats() { m_dev_tlb_flushes.clear(); }
  // Functions with ATS enabled now.
  unsigned ats_enabled_functions() const;

 private:
  uint32_t read32(uint32_t reg);
  uint64_t read64(uint32_t reg);
  void write32(uint32_t reg, uint32_t v);
  void write64(uint32_t reg, uint64_t v);
  // iommu.c IOMMU_WAIT_OP: issue a GCMD command, poll GSTS until `status` matches.
  void gcmd(uint32_t command, uint32_t status, bool set);
  void enable_qi();
  void qi_submit(const std::vector<iommu::entry128>& descs, cpu_account* acct);
  bool invalidation_dropped(const dmar_domain& d, uint64_t iova, uint64_t pages, cpu_account* acct);
  void set_context(uint16_t source_id, const dmar_domain& d);
  // ATS / PRI (dmar_ats.cpp).
  void probe_ats_pri(const pci_dev& dev, device_domain_info& info);
  bool atsr_allows(const pci_dev& dev) const;
  void enable_pci_caps(device_domain_info& info);
  void disable_pci_caps(device_domain_info& info);
  void flush_dev_iotlb(const std::vector<uint16_t>& devices, uint64_t addr, unsigned mask, cpu_account* acct);
  void flush_iotlb_dsi(uint16_t did, cpu_account* acct);
  uint32_t cfg_read(const device_domain_info& info, uint32_t reg, unsigned len);
  void cfg_write(const device_domain_info& info, uint32_t reg, unsigned len, uint32_t value);
  dmar_domain& new_domain(dmar_domain::kind type);
  void service_faults();
  // IOMMU groups (iommu_groups.cpp).
  bool acs_isolated(const pci_dev& dev);
  int function_alias_group(const pci_dev& dev) const;
  // Interrupt remapping (irq_remapping.cpp).
  void enable_irq_remapping();
  void modify_irte(uint16_t handle, uint64_t lo, uint64_t hi);
  void info(const std::string& text) { m_log.print("DMAR: " + text); }

  platform::host_bus& m_bus;
  page_allocator& m_pages;
  kernel_params m_params;
  kernel_log& m_log;
  dmar_options m_options;
  host_memory m_memory;
  dma_costs m_costs;
  std::unique_ptr<iommu::table_builder> m_tables;

  bool m_early_done = false, m_enabled = false;
  uint32_t m_gcmd = 0;   // the driver's copy of the enabled GCMD bits (iommu->gcmd)
  uint64_t m_cap = 0, m_ecap = 0;
  uint64_t m_root = 0;

  // Queued invalidation: one page of 256 descriptors, a status dword per slot.
  uint64_t m_queue = 0, m_status = 0;
  unsigned m_free_head = 0;
  bool m_qi_busy = false;
  sc_core::sc_event m_qi_free;
  uint64_t m_waits = 0;

  std::map<uint16_t, std::unique_ptr<dmar_domain>> m_domains;   // by DID
  std::map<uint16_t, uint16_t> m_device_domain;                 // requester ID -> DID
  std::map<uint16_t, std::pair<unsigned, std::string>> m_groups;   // requester ID -> group, BDF
  std::map<uint16_t, bool> m_isolated;                             // requester ID -> pci_acs_enabled(REQ_ACS_FLAGS)
  std::map<uint16_t, device_domain_info> m_infos;                  // requester ID -> ATS/PRI state
  std::map<uint16_t, uint64_t> m_dev_tlb_flushes;                  // device-TLB invalidations by target
  dmar_domain* m_si_domain = nullptr;
  uint16_t m_next_did = 1;   // DID 0 is reserved (iommu_init_domains)
  unsigned m_next_group = 0;

  // Shared with the fault thread, which outlives this driver across a reboot.
  struct fault_ctx {
    sc_core::sc_event event;
    bool pending = false, alive = true;
  };
  std::shared_ptr<fault_ctx> m_fault = std::make_shared<fault_ctx>();
  std::map<uint16_t, uint64_t> m_faults;
  uint64_t m_prq = 0;   // the page request queue (PRQ_BYTES), once enable_prq() ran
  std::function<void()> m_prq_handler;
  invalidation_filter m_invalidation_filter;

  // Interrupt remapping: the table, which entries are allocated (and for which
  // requester), and the remapped entry each one was prepared with (irte_entry of
  // struct intel_ir_data: the shared fields a posted entry copies).
  uint64_t m_irt = 0;
  std::vector<bool> m_irte_used;
  struct prepared_irte {
    uint64_t lo = 0, hi = 0;
  };
  std::map<uint16_t, prepared_irte> m_irtes;
  cpu_account m_ir_cpu;
};

}  // namespace iovsim::host
