#include "drivers-sim/iommu/dmar.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "models/kit/sim_env.h"

namespace iovsim::host {

using namespace iommu;

namespace {
// IOMMU_WAIT_OP gives up after DMAR_OPERATION_TIMEOUT and panics; here: a bounded poll.
constexpr unsigned GSTS_POLL_LIMIT = 1000;
constexpr uint64_t QI_POLL_LIMIT = 10'000'000;
// qi_submit_sync() status values in the per-slot status array (dmar.c QI_IN_USE, QI_DONE).
constexpr uint32_t QI_IN_USE = 1, QI_DONE = 2;
// FSTS.PRO (page request overflow) is cleared with PFO and PPF at the end of dmar_fault().
constexpr uint32_t FSTS_PRO = 1u << 7;
// cap_read_drain / cap_write_drain (iommu.h): CAP bits 55 / 54.
constexpr uint64_t CAP_DRD = 1ull << 55, CAP_DWD = 1ull << 54;
constexpr unsigned QI_ENTRIES = IQ_DESCRIPTORS_PER_PAGE;   // QI_LENGTH: one page, QS 0

unsigned ilog2_roundup(uint64_t n) {
  unsigned s = 0;
  while ((1ull << s) < n) ++s;
  return s;
}
}  // namespace

void cpu_account::charge(const std::string& param, const sc_core::sc_time& cost, uint64_t times) {
  if (times == 0) return;
  total += cost * static_cast<double>(times);
  charges[param] += times;
}

dma_costs dma_costs::from_params() {
  const dma_cost_params p;
  dma_costs c;
  const std::pair<sc_core::sc_time dma_costs::*, const kit::param<sc_core::sc_time>*> all[] = {
      {&dma_costs::lock, &p.lock},
      {&dma_costs::iova_alloc, &p.iova_alloc},
      {&dma_costs::iova_free, &p.iova_free},
      {&dma_costs::pte_update, &p.pte_update},
      {&dma_costs::pagetable_alloc, &p.pagetable_alloc},
      {&dma_costs::invalidation_submit, &p.invalidation_submit},
      {&dma_costs::wait_poll_interval, &p.wait_poll_interval},
      {&dma_costs::fq_queue, &p.fq_queue},
      {&dma_costs::direct_map, &p.direct_map},
      {&dma_costs::irte_alloc, &p.irte_alloc},
      {&dma_costs::irte_update, &p.irte_update},
      {&dma_costs::iopf_handle, &p.iopf_handle},
  };
  for (const auto& [field, param] : all) {
    c.*field = param->get();
    c.m_by_name[param->name()] = param->get();
  }
  return c;
}

sc_core::sc_time dma_costs::of(const std::string& param) const {
  auto it = m_by_name.find(param);
  return it == m_by_name.end() ? sc_core::SC_ZERO_TIME : it->second;
}

intel_iommu::intel_iommu(platform::host_bus& bus, page_allocator& pages, const kernel_params& params,
                         kernel_log& log, dmar_options options)
    : m_bus(bus),
      m_pages(pages),
      m_params(params),
      m_log(log),
      m_options(options),
      m_memory(bus),
      m_costs(dma_costs::from_params()) {
  m_tables = std::make_unique<table_builder>(m_memory, [this] {
    const uint64_t page = m_pages.alloc_page();
    if (!page) throw std::runtime_error("DMAR: out of memory for page tables");
    return page;
  });
}

intel_iommu::~intel_iommu() {
  m_fault->alive = false;
  m_fault->event.notify(sc_core::SC_ZERO_TIME);
}

uint32_t intel_iommu::read32(uint32_t reg) { return static_cast<uint32_t>(m_bus.mmio_read(m_options.reg_base + reg, 4)); }
uint64_t intel_iommu::read64(uint32_t reg) { return m_bus.mmio_read(m_options.reg_base + reg, 8); }
void intel_iommu::write32(uint32_t reg, uint32_t v) { m_bus.mmio_write(m_options.reg_base + reg, 4, v); }
void intel_iommu::write64(uint32_t reg, uint64_t v) { m_bus.mmio_write(m_options.reg_base + reg, 8, v); }

void intel_iommu::gcmd(uint32_t command, uint32_t status, bool set) {
  write32(GCMD_REG, command);
  for (unsigned i = 0; i < GSTS_POLL_LIMIT; ++i)
    if (((read32(GSTS_REG) & status) != 0) == set) return;
  // iommu.c IOMMU_WAIT_OP: panic("DMAR hardware is malfunctioning")
  throw std::runtime_error("DMAR hardware is malfunctioning");
}

// dmar.c parse_dmar_table() / dmar_table_print_dmar_entry() / alloc_iommu(), and
// iommu.c iommu_subsys_init(): the lines an Intel host prints before PCI comes up.
void intel_iommu::early_init() {
  if (!requested() || m_early_done) return;
  m_early_done = true;
  info("IOMMU enabled");   // intel/iommu.c intel_iommu_setup(): "intel_iommu=on"
  if (!m_params.iommu_superpage) info("Disable supported super page");  // "intel_iommu=sp_off"
  info(fmt::format("Host address width {}", m_options.host_address_width));
  info(fmt::format("DRHD base: {:#016x} flags: {:#x}", m_options.reg_base, 1));   // INCLUDE_PCI_ALL
  const uint32_t ver = read32(VER_REG);
  m_cap = read64(CAP_REG);
  m_ecap = read64(ECAP_REG);
  info(fmt::format("dmar0: reg_base_addr {:x} ver {}:{} cap {:x} ecap {:x}", m_options.reg_base, (ver >> 4) & 0xf,
                   ver & 0xf, m_cap, m_ecap));
  // dmar_table_print_dmar_entry(): the ATSR follows the DRHD in the table.
  if (m_options.atsr_all_ports) info("ATSR flags: 0x1");   // ACPI_DMAR_ALL_PORTS
  // v6.1 prints "%s %s": a trailing space when the type was not set on the command line.
  if (pass_through()) {
    m_log.print("iommu: Default domain type: Passthrough (set via kernel command line)");
  } else {
    m_log.print("iommu: Default domain type: Translated ");
    m_log.print(strict() ? "iommu: DMA domain TLB invalidation policy: strict mode (set via kernel command line)"
                         : "iommu: DMA domain TLB invalidation policy: lazy mode ");
  }
}

// dmar.c dmar_enable_qi() / __dmar_enable_qi(): a zeroed descriptor page, IQT 0,
// IQA, then GCMD.QIE and wait for GSTS.QIES.
void intel_iommu::enable_qi() {
  m_queue = m_pages.alloc_page();
  m_status = m_pages.alloc_page();   // qi->desc_status: one dword per slot
  if (!m_queue || !m_status) throw std::runtime_error("DMAR: out of memory for the invalidation queue");
  m_free_head = 0;
  write32(IQT_REG, 0);
  write64(IQA_REG, m_queue);   // QS 0: 256 descriptors
  m_gcmd |= GCMD_QIE;
  gcmd(m_gcmd, GSTS_QIES, true);
  info("dmar0: Using Queued invalidation");   // iommu.c intel_iommu_init_qi()
}

// dmar.c qi_submit_sync(): descriptors + a wait descriptor with status write, IQT
// moved past them, then the CPU spins on the status dword until the unit wrote it.
void intel_iommu::qi_submit(const std::vector<entry128>& descs, cpu_account* acct) {
  while (m_qi_busy) sc_core::wait(m_qi_free);   // qi->q_lock
  m_qi_busy = true;
  const unsigned index = m_free_head;
  const unsigned wait_index = static_cast<unsigned>((index + descs.size()) % QI_ENTRIES);
  for (size_t i = 0; i < descs.size(); ++i) {
    const uint64_t slot = m_queue + ((index + i) % QI_ENTRIES) * uint64_t{IQ_DESCRIPTOR_BYTES};
    m_memory.write64(slot, descs[i].lo);
    m_memory.write64(slot + 8, descs[i].hi);
  }
  const uint64_t status = m_status + wait_index * 4ull;
  const uint32_t in_use = QI_IN_USE;
  m_memory.write(status, &in_use, 4);
  const uint64_t wait_slot = m_queue + wait_index * uint64_t{IQ_DESCRIPTOR_BYTES};
  m_memory.write64(wait_slot, QI_IWD_TYPE | QI_IWD_SW | (uint64_t{QI_DONE} << QI_IWD_DATA_SHIFT));
  m_memory.write64(wait_slot + 8, status & QI_IWD_HI_ADDR_MASK);
  m_free_head = (wait_index + 1) % QI_ENTRIES;
  if (acct) acct->charge("host.dma.invalidation_submit", m_costs.invalidation_submit);
  sc_core::wait(m_costs.invalidation_submit);
  write32(IQT_REG, m_free_head << IQ_INDEX_SHIFT);
  uint64_t polls = 0;
  for (;;) {
    uint32_t v = 0;
    m_memory.read(status, &v, 4);
    if (v == QI_DONE) break;
    if (++polls > QI_POLL_LIMIT) throw std::runtime_error("DMAR: invalidation wait never completed");
    sc_core::wait(m_costs.wait_poll_interval);
  }
  if (acct) acct->charge("host.dma.wait_poll_interval", m_costs.wait_poll_interval, polls);
  ++m_waits;
  m_qi_busy = false;
  m_qi_free.notify(sc_core::SC_ZERO_TIME);
}

dmar_domain& intel_iommu::new_domain(dmar_domain::kind type) {
  auto d = std::make_unique<dmar_domain>();
  d->id = m_next_did++;
  d->type = type;
  if (type != dmar_domain::kind::identity) d->pgd = m_tables->new_table();
  dmar_domain& ref = *d;
  m_domains.emplace(ref.id, std::move(d));
  return ref;
}

// iommu.c domain_context_mapping_one(): TT multi-level with the domain's 4-level
// table, or pass-through (TT 2) for the identity domain on ECAP.PT hardware.
void intel_iommu::set_context(uint16_t source_id, const dmar_domain& d) {
  context_entry ce;
  ce.present = true;
  auto info = m_infos.find(source_id);
  const bool dev_tlb = info != m_infos.end() && info->second.ats_supported;   // TT 01b: CONTEXT_TT_DEV_IOTLB
  ce.tt = static_cast<unsigned>(d.type == dmar_domain::kind::identity ? translation_type::pass_through
                                : dev_tlb                               ? translation_type::with_device_tlb
                                                                        : translation_type::multi_level);
  ce.slptptr = d.pgd;
  ce.aw = CTX_AW_48BIT;
  ce.domain = d.id;
  m_tables->set_context(m_root, source_id, ce);
}

// intel_iommu_init() + init_dmars(), in the kernel's order; translation goes on last
// ("Finally, we enable the DMA remapping hardware").
void intel_iommu::init(const std::vector<pci_dev*>& devices) {
  if (!requested() || m_enabled) return;
  early_init();
  info("No RMRR found");
  if (!m_options.atsr_all_ports) info("No ATSR found");
  info("No SATC found");
  if (!(m_ecap & ECAP_QI)) throw std::runtime_error("DMAR: register-based invalidation is not modelled");
  enable_qi();
  m_root = m_tables->new_table();   // iommu_alloc_root_entry()
  // iommu_set_root_entry(): RTADDR, one-shot SRTP, then global context and IOTLB flushes.
  write64(RTADDR_REG, m_root);
  gcmd(m_gcmd | GCMD_SRTP, GSTS_RTPS, true);
  qi_submit({{QI_CC_TYPE | (uint64_t{CC_GLOBAL} << QI_GRAN_SHIFT), 0}}, nullptr);
  qi_submit({{QI_IOTLB_TYPE | (uint64_t{IOTLB_GLOBAL} << QI_GRAN_SHIFT), 0}}, nullptr);
  // dmar_set_interrupt() + dmar_msi_write() + dmar_msi_unmask(), then clear old faults.
  sc_core::sc_spawn(
      [this, ctx = m_fault] {
        for (;;) {
          if (!ctx->pending) sc_core::wait(ctx->event);
          if (!ctx->alive) return;
          ctx->pending = false;
          service_faults();
        }
      },
      "dmar0_fault");
  write32(FEDATA_REG, m_options.fault_msi_data);
  write32(FEADDR_REG, m_options.fault_msi_addr);
  write32(FEUADDR_REG, 0);
  write32(FECTL_REG, 0);
  service_faults();
  write32(FSTS_REG, read32(FSTS_REG));
  if (pass_through()) m_si_domain = &new_domain(dmar_domain::kind::identity);   // si_domain_init()
  for (pci_dev* d : devices) add_device(*d);
  m_gcmd |= GCMD_TE;
  gcmd(m_gcmd, GSTS_TES, true);   // iommu_enable_translation()
  m_enabled = true;
  if (m_options.irq_remapping_at_boot && irq_remapping()) enable_irq_remapping();
  info("Intel(R) Virtualization Technology for Directed I/O");
}

// iommu.c iommu_group_add_device() + the default domain attach.
void intel_iommu::add_device(pci_dev& dev) {
  if (!requested() || !m_root) return;
  const auto sid = static_cast<uint16_t>((dev.bus << 8) | dev.devfn);
  if (m_groups.count(sid)) return;
  m_isolated[sid] = acs_isolated(dev);
  const int alias = function_alias_group(dev);
  const unsigned group = alias >= 0 ? static_cast<unsigned>(alias) : m_next_group++;
  m_groups[sid] = {group, dev.bdf()};
  m_log.print(fmt::format("pci {}: Adding to iommu group {}", dev.bdf(), group));
  dmar_domain& d = pass_through() ? *m_si_domain
                                  : new_domain(strict() ? dmar_domain::kind::dma : dmar_domain::kind::dma_fq);
  d.devices.push_back(sid);
  m_device_domain[sid] = d.id;
  device_domain_info& info = m_infos[sid];
  probe_ats_pri(dev, info);   // intel_iommu_probe_device()
  set_context(sid, d);        // not present before: no flush needed (no caching mode)
  if (d.type != dmar_domain::kind::identity) enable_pci_caps(info);
}

void intel_iommu::remove_device(pci_dev& dev) {
  const auto sid = static_cast<uint16_t>((dev.bus << 8) | dev.devfn);
  auto it = m_device_domain.find(sid);
  if (it == m_device_domain.end()) return;
  const uint16_t did = it->second;
  // dmar_remove_one_dev_info(): ATS and PRI off first (so no device-TLB flush follows),
  // then domain_context_clear_one(): clear, device-selective context + domain IOTLB flush.
  auto info = m_infos.find(sid);
  if (info != m_infos.end()) {
    disable_pci_caps(info->second);
    m_infos.erase(info);
  }
  m_tables->set_context(m_root, sid, context_entry{});
  qi_submit({{QI_CC_TYPE | (uint64_t{CC_DEVICE} << QI_GRAN_SHIFT) | (uint64_t{did} << QI_DID_SHIFT) |
                  (uint64_t{sid} << QI_CC_SID_SHIFT),
              0},
             {QI_IOTLB_TYPE | (uint64_t{IOTLB_DOMAIN} << QI_GRAN_SHIFT) | (uint64_t{did} << QI_DID_SHIFT), 0}},
            nullptr);
  m_device_domain.erase(it);
  // iommu_release_device(): release_device above, then iommu_group_remove_device().
  if (auto g = m_groups.find(sid); g != m_groups.end())
    m_log.print(fmt::format("pci {}: Removing from iommu group {}", dev.bdf(), g->second.first));
  m_groups.erase(sid);
  m_isolated.erase(sid);
  auto dit = m_domains.find(did);
  if (dit != m_domains.end()) {
    auto& devs = dit->second->devices;
    devs.erase(std::remove(devs.begin(), devs.end(), sid), devs.end());
    if (devs.empty() && dit->second.get() != m_si_domain) m_domains.erase(dit);
  }
}

dmar_domain* intel_iommu::domain_of(uint16_t source_id) {
  auto it = m_device_domain.find(source_id);
  if (it == m_device_domain.end()) return nullptr;
  return m_domains.at(it->second).get();
}

dmar_domain* intel_iommu::domain_by_id(uint16_t did) {
  auto it = m_domains.find(did);
  return it == m_domains.end() ? nullptr : it->second.get();
}

dmar_domain& intel_iommu::attach_unmanaged(uint16_t source_id, cpu_account* acct) {
  dmar_domain* old = domain_of(source_id);
  // v6.1 intel_iommu_attach_device(): dmar_remove_one_dev_info() turns ATS and PRI off,
  // the new context is written, then iommu_enable_pci_caps() turns ATS on again.
  auto info = m_infos.find(source_id);
  if (info != m_infos.end()) disable_pci_caps(info->second);
  dmar_domain& d = new_domain(dmar_domain::kind::unmanaged);
  d.devices.push_back(source_id);
  m_device_domain[source_id] = d.id;
  set_context(source_id, d);
  if (old) {
    qi_submit({{QI_CC_TYPE | (uint64_t{CC_DEVICE} << QI_GRAN_SHIFT) | (uint64_t{old->id} << QI_DID_SHIFT) |
                    (uint64_t{source_id} << QI_CC_SID_SHIFT),
                0},
               {QI_IOTLB_TYPE | (uint64_t{IOTLB_DOMAIN} << QI_GRAN_SHIFT) | (uint64_t{old->id} << QI_DID_SHIFT), 0}},
              acct);
    auto& devs = old->devices;
    devs.erase(std::remove(devs.begin(), devs.end(), source_id), devs.end());
    if (devs.empty() && old != m_si_domain) m_domains.erase(old->id);
  }
  if (info != m_infos.end()) enable_pci_caps(info->second);
  return d;
}

// iommu.c iommu_flush_iotlb_psi(): page-selective with AM = log2(pages rounded up),
// domain-selective when PSI is missing or the mask exceeds CAP.MAMV; then the
// device-TLBs of the domain for the same range (no caching mode: always).
void intel_iommu::flush_iotlb_psi(const dmar_domain& d, uint64_t iova, uint64_t pages, cpu_account* acct) {
  if (invalidation_dropped(d, iova, pages, acct)) return;
  const unsigned mask = ilog2_roundup(pages);
  const unsigned mamv = static_cast<unsigned>((m_cap >> CAP_MAMV_SHIFT) & 0x3f);
  const uint64_t addr = iova & ~((PAGE_4K << mask) - 1);
  const std::vector<uint16_t> devices = d.devices;   // `d` may go while the CPU waits
  if (!(m_cap & CAP_PSI) || mask > mamv) {
    flush_iotlb_dsi(d.id, acct);
  } else {
    const uint64_t drain = ((m_cap & CAP_DRD) ? QI_IOTLB_DR : 0) | ((m_cap & CAP_DWD) ? QI_IOTLB_DW : 0);
    qi_submit({{QI_IOTLB_TYPE | (uint64_t{IOTLB_PAGE} << QI_GRAN_SHIFT) | (uint64_t{d.id} << QI_DID_SHIFT) | drain,
                addr | mask}},
              acct);
  }
  flush_dev_iotlb(devices, addr, mask, acct);
}

// intel_flush_iotlb_all(): domain-selective, then every device-TLB of the domain whole
// (iommu_flush_dev_iotlb(domain, 0, MAX_AGAW_PFN_WIDTH)).
void intel_iommu::flush_iotlb_domain(const dmar_domain& d, cpu_account* acct) {
  if (invalidation_dropped(d, 0, 0, acct)) return;
  const std::vector<uint16_t> devices = d.devices;
  flush_iotlb_dsi(d.id, acct);
  flush_dev_iotlb(devices, 0, MAX_AGAW_PFN_WIDTH, acct);
}

void intel_iommu::flush_iotlb_dsi(uint16_t did, cpu_account* acct) {
  qi_submit({{QI_IOTLB_TYPE | (uint64_t{IOTLB_DOMAIN} << QI_GRAN_SHIFT) | (uint64_t{did} << QI_DID_SHIFT), 0}}, acct);
}

// Fault injection (drivers-sim/inject.h): a dropped flush submits only its wait
// descriptor, as a driver that forgot the IOTLB (and device-TLB) invalidation.
bool intel_iommu::invalidation_dropped(const dmar_domain& d, uint64_t iova, uint64_t pages, cpu_account* acct) {
  if (!m_invalidation_filter || !m_invalidation_filter(d, iova, pages)) return false;
  qi_submit({}, acct);
  return true;
}

bool intel_iommu::handle_msi(uint64_t addr, uint32_t data) {
  if (m_prq && addr == m_options.prq_msi_addr && data == m_options.prq_msi_data) {
    if (m_prq_handler) m_prq_handler();   // the PRQ thread's wake-up (IRQF_ONESHOT: it runs once per event)
    return true;
  }
  if (addr != m_options.fault_msi_addr || data != m_options.fault_msi_data) return false;
  m_fault->pending = true;
  m_fault->event.notify(sc_core::SC_ZERO_TIME);
  return true;
}

// prq.c intel_iommu_enable_prq(): the ring (iommu_alloc_pages_node(), zeroed), PQH and
// PQT to 0, PQA = base | PRQ_ORDER; the IRQ's MSI message goes in when the interrupt
// is set up (dmar_msi_write() writes the data, address and upper address registers
// that follow PECTL_REG) and dmar_msi_unmask() clears PECTL.IM.
bool intel_iommu::enable_prq() {
  if (m_prq) return true;
  if (!(m_ecap & ECAP_PRS)) return false;
  m_prq = m_pages.alloc_contiguous(PRQ_BYTES, page_allocator::PAGE_BYTES, true);
  if (!m_prq) {
    m_log.print("IOMMU: dmar0: Failed to allocate page request queue");   // pr_warn() of the same
    return false;
  }
  write64(PQH_REG, 0);
  write64(PQT_REG, 0);
  write64(PQA_REG, m_prq | PRQ_ORDER);
  write32(PEDATA_REG, m_options.prq_msi_data);
  write32(PEADDR_REG, m_options.prq_msi_addr);
  write32(PEUADDR_REG, 0);
  write32(PECTL_REG, 0);
  kit::sim_env::current().log("iommu", "host.dmar", fmt::format("page request queue at 0x{:x}, {} entries, event vector 0x{:x}",
                                                       m_prq, PRQ_DEPTH, m_options.prq_msi_data));
  return true;
}

// The response code goes in as the caller gives it (QI_RESP_*); no PASID, no private
// data: the requests of this legacy-mode unit carry neither.
void intel_iommu::page_group_response(uint16_t source_id, uint16_t group, bool last_in_group, unsigned response_code,
                                      cpu_account* acct) {
  const uint64_t lo = QI_PGRP_RESP_TYPE | ((uint64_t{response_code} & QI_PGRP_RESP_CODE_MASK) << QI_PGRP_RESP_CODE_SHIFT) |
                      (uint64_t{source_id} << QI_PGRP_RID_SHIFT);
  const uint64_t hi = (last_in_group ? QI_PGRP_HI_LPIG : 0) |
                      ((uint64_t{group} & QI_PGRP_HI_IDX_MASK) << QI_PGRP_HI_IDX_SHIFT);
  qi_submit({{lo, hi}}, acct);
}

// dmar.c dmar_fault() / dmar_fault_do_one() (v6.1): from FSTS.FRI on, every record
// with F set is printed and cleared; then PFO/PPF/PRO are written back.
void intel_iommu::service_faults() {
  const uint32_t fsts = read32(FSTS_REG);
  if (fsts) info(fmt::format("DRHD: handling fault status reg {:x}", fsts));
  if (!(fsts & FSTS_PPF)) return;
  const uint32_t base = static_cast<uint32_t>(((m_cap >> CAP_FRO_SHIFT) & 0x3ff) << VTD_REG_UNIT_SHIFT);
  const unsigned records = static_cast<unsigned>((m_cap >> CAP_NFR_SHIFT) & 0xff) + 1;
  unsigned index = (fsts & FSTS_FRI_MASK) >> FSTS_FRI_SHIFT;
  for (unsigned n = 0; n < records; ++n) {
    const uint32_t rec = base + index * FRCD_REG_BYTES;
    const uint32_t hi = read32(rec + 12);
    if (!(hi & (FRCD_HI_F >> 32))) break;
    const auto reason = static_cast<uint8_t>(hi & 0xff);
    const bool is_read = (hi & (FRCD_HI_T >> 32)) != 0;
    const auto sid = static_cast<uint16_t>(read32(rec + 8) & FRCD_HI_SID_MASK);
    const uint64_t addr = read64(rec) & FRCD_LO_FI_MASK;
    write32(rec + 12, static_cast<uint32_t>(FRCD_HI_F >> 32));
    ++m_faults[sid];
    index = (index + 1) % records;
    // dmar_get_fault_reason(): 0x20-0x26 are interrupt-remapping faults, printed with
    // the interrupt index (FI bits 63:48); a reason past Linux's tables is "Unknown".
    const bool intr = reason >= 0x20 && reason <= 0x26;
    if (intr) {
      info(fmt::format("[INTR-REMAP] Request device [{:02x}:{:02x}.{}] fault index {:#x} [fault reason {:#04x}] {}",
                       sid >> 8, (sid >> 3) & 0x1f, sid & 7, addr >> FRCD_INTERRUPT_INDEX_SHIFT, reason,
                       fault_reason_text(static_cast<fault_reason>(reason))));
      continue;
    }
    // No PASID in legacy mode: "NO_PASID" (the v5.14+ wording of the message).
    info(fmt::format("[{} NO_PASID] Request device [{:02x}:{:02x}.{}] fault addr {:#x} [fault reason {:#04x}] {}",
                     is_read ? "DMA Read" : "DMA Write", sid >> 8, (sid >> 3) & 0x1f, sid & 7, addr, reason,
                     reason >= 0x20 ? "Unknown" : fault_reason_text(static_cast<fault_reason>(reason))));
  }
  write32(FSTS_REG, FSTS_PFO | FSTS_PPF | FSTS_PRO);
}

std::vector<iommu_group_info> intel_iommu::groups() const {
  std::map<unsigned, iommu_group_info> by_id;
  for (const auto& [sid, g] : m_groups) {
    iommu_group_info& info = by_id[g.first];
    info.id = g.first;
    info.devices.push_back(g.second);
    auto dit = m_device_domain.find(sid);
    if (dit == m_device_domain.end()) continue;
    info.domain_id = dit->second;
    switch (m_domains.at(dit->second)->type) {
      case dmar_domain::kind::dma: info.type = "DMA"; break;
      case dmar_domain::kind::dma_fq: info.type = "DMA-FQ"; break;
      case dmar_domain::kind::identity: info.type = "identity"; break;
      case dmar_domain::kind::unmanaged: info.type = "unmanaged"; break;
    }
  }
  std::vector<iommu_group_info> out;
  for (auto& [id, info] : by_id) out.push_back(std::move(info));
  return out;
}

}  // namespace iovsim::host
