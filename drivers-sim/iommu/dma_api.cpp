#include "drivers-sim/iommu/dma_api.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <iterator>

#include "models/kit/sim_env.h"

namespace iovsim::host {

namespace {
constexpr uint64_t PAGE = iommu::PAGE_4K;
constexpr unsigned PT_LEVELS = 4;   // 48-bit domains (AW 2)
// dma-iommu.c iommu_dma_alloc_iova(): lengths below 2^(IOVA_RANGE_CACHE_MAX_SIZE - 1)
// pages are rounded up to a power of two so the rcache can recycle them.
constexpr uint64_t IOVA_ROUND_BELOW_PAGES = 1u << (6 - 1);
constexpr unsigned DOMAIN_ADDRESS_BITS = 48;   // aperture of a 4-level domain

uint64_t roundup_pow2(uint64_t n) {
  uint64_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

uint16_t sid_of(const pci_dev& dev) { return static_cast<uint16_t>((dev.bus << 8) | dev.devfn); }
}  // namespace

dma_api::dma_api(intel_iommu* iommu, kernel_log& log)
    : m_iommu(iommu), m_log(log), m_costs(iommu ? iommu->costs() : dma_costs::from_params()) {}

dma_api::~dma_api() {
  for (auto& [did, st] : m_domains)
    if (st.timer) {
      st.timer->alive = false;
      st.timer->arm.notify(sc_core::SC_ZERO_TIME);
    }
}

void dma_api::set_dma_mask(const pci_dev& dev, unsigned bits) { m_mask_bits[sid_of(dev)] = bits; }

bool dma_api::translated(const pci_dev& dev) const {
  if (!m_iommu || !m_iommu->enabled()) return false;
  const dmar_domain* d = m_iommu->domain_of(sid_of(dev));
  return d && d->type != dmar_domain::kind::identity;
}

dma_device_stats dma_api::stats_for(const pci_dev& dev) const {
  auto it = m_stats.find(sid_of(dev));
  return it == m_stats.end() ? dma_device_stats{} : it->second;
}

size_t dma_api::flush_queue_depth(const pci_dev& dev) const {
  if (!m_iommu) return 0;
  const dmar_domain* d = m_iommu->domain_of(sid_of(dev));
  if (!d) return 0;
  auto it = m_domains.find(d->id);
  return it == m_domains.end() ? 0 : it->second.fq.size();
}

void dma_api::charge(dma_device_stats& s, const char* param, const sc_core::sc_time& cost, uint64_t times) {
  s.cpu.charge(param, cost, times);
  m_pending += cost * static_cast<double>(times);
}

// The CPU time charged since the last blocking step passes here, in one wait.
void dma_api::settle() {
  const sc_core::sc_time t = m_pending;
  m_pending = sc_core::SC_ZERO_TIME;
  if (t > sc_core::SC_ZERO_TIME) sc_core::wait(t);
}

dma_api::domain_state& dma_api::state_for(const dmar_domain& d, uint16_t sid) {
  auto [it, added] = m_domains.try_emplace(d.id);
  if (added) it->second.charge_to = sid;
  return it->second;
}

std::vector<std::pair<uint64_t, uint64_t>> dma_api::leaves(uint64_t iova, uint64_t phys, uint64_t bytes,
                                                           uint64_t max_page) {
  // __domain_mapping(): a superpage when both addresses are aligned and enough is left
  // (CAP.SLLPS has 2 MiB and 1 GiB).
  std::vector<std::pair<uint64_t, uint64_t>> out;
  uint64_t off = 0;
  while (off < bytes) {
    uint64_t size = PAGE;
    for (uint64_t s : {iommu::PAGE_1G, iommu::PAGE_2M})
      if (s <= max_page && ((iova + off) % s) == 0 && ((phys + off) % s) == 0 && bytes - off >= s) {
        size = s;
        break;
      }
    out.emplace_back(off, size);
    off += size;
  }
  return out;
}

void dma_api::write_leaves(dmar_domain& d, dma_device_stats& s, const mapping& m, uint64_t iova) {
  const unsigned tables_before = m_iommu->tables_allocated();
  const auto ls = leaves(iova, m.phys, m.bytes, m.max_page);
  for (const auto& [off, size] : ls)
    m_iommu->tables().map(d.pgd, iova + off, m.phys + off, size, m.read, m.write, PT_LEVELS);
  const unsigned tables = m_iommu->tables_allocated() - tables_before;
  s.ptes_set += ls.size();
  s.tables_allocated += tables;
  charge(s, "host.dma.pte_update", m_costs.pte_update, ls.size());
  charge(s, "host.dma.pagetable_alloc", m_costs.pagetable_alloc, tables);
}

void dma_api::clear_leaves(dmar_domain& d, dma_device_stats& s, const mapping& m, uint64_t iova) {
  const auto ls = leaves(iova, m.phys, m.bytes, m.max_page);
  for (const auto& [off, size] : ls) m_iommu->tables().unmap(d.pgd, iova + off, size, PT_LEVELS);
  s.ptes_cleared += ls.size();
  charge(s, "host.dma.pte_update", m_costs.pte_update, ls.size());
}

uint64_t dma_api::map_impl(const pci_dev& dev, uint64_t phys, uint64_t len, dma_direction dir, bool is_static) {
  const uint16_t sid = sid_of(dev);
  dma_device_stats& s = m_stats[sid];
  if (len == 0) {
    ++s.errors;
    return DMA_MAPPING_ERROR;
  }
  if (!translated(dev)) {
    // dma-direct (kernel/dma/direct.h dma_direct_map_page()).
    charge(s, "host.dma.direct_map", m_costs.direct_map);
    ++(is_static ? s.static_maps : s.maps);
    s.bytes_mapped += len;
    settle();
    return phys;
  }
  dmar_domain& d = *m_iommu->domain_of(sid);
  domain_state& st = state_for(d, sid);
  charge(s, "host.dma.lock", m_costs.lock);
  mapping m;
  const uint64_t off = phys & (PAGE - 1);
  m.phys = phys - off;
  m.bytes = (off + len + PAGE - 1) & ~(PAGE - 1);
  m.pages = m.bytes / PAGE;
  if (m.pages < IOVA_ROUND_BELOW_PAGES) m.pages = roundup_pow2(m.pages);
  // iommu_dma_alloc_iova(): PCI devices try below 4 GiB first, then their mask.
  auto it = m_mask_bits.find(sid);
  const unsigned bits = std::min(it == m_mask_bits.end() ? 64u : it->second, DOMAIN_ADDRESS_BITS);
  const uint64_t limit_pfn = ((1ull << bits) - 1) >> iova_domain::IOVA_SHIFT;
  charge(s, "host.dma.iova_alloc", m_costs.iova_alloc);
  uint64_t pfn = 0;
  if (limit_pfn > iova_domain::DMA_32BIT_PFN - 1) pfn = d.iovad.alloc(m.pages, iova_domain::DMA_32BIT_PFN - 1, true);
  if (!pfn) pfn = d.iovad.alloc(m.pages, limit_pfn, true);
  if (!pfn) {
    ++s.errors;
    settle();
    return DMA_MAPPING_ERROR;
  }
  const uint64_t iova = pfn << iova_domain::IOVA_SHIFT;
  // dma_info_to_prot(): TO_DEVICE -> read, FROM_DEVICE -> write, BIDIRECTIONAL -> both.
  m.read = dir != dma_direction::from_device;
  m.write = dir != dma_direction::to_device;
  m.is_static = is_static;
  if (!m_iommu->superpages()) m.max_page = PAGE;
  write_leaves(d, s, m, iova);
  st.maps[iova] = m;
  ++(is_static ? s.static_maps : s.maps);
  s.bytes_mapped += len;
  settle();
  return iova + off;
}

uint64_t dma_api::map_single(const pci_dev& dev, uint64_t phys, uint64_t len, dma_direction dir) {
  return map_impl(dev, phys, len, dir, false);
}

uint64_t dma_api::map_static(const pci_dev& dev, uint64_t phys, uint64_t len, dma_direction dir) {
  return map_impl(dev, phys, len, dir, true);
}

uint64_t dma_api::map(pci_dev& dev, uint64_t phys, uint64_t len, bool to_device) {
  return map_single(dev, phys, len, to_device ? dma_direction::to_device : dma_direction::from_device);
}

void dma_api::unmap(pci_dev& dev, uint64_t iova, uint64_t len, bool to_device) {
  unmap_single(dev, iova, len, to_device ? dma_direction::to_device : dma_direction::from_device);
}

uint64_t dma_api::map_large(pci_dev& dev, uint64_t phys, uint64_t len) {
  if (!translated(dev)) return phys;
  return map_guest_memory(dev, phys, phys, len) == 0 ? phys : DMA_MAPPING_ERROR;
}

void dma_api::unmap_large(pci_dev& dev, uint64_t phys, uint64_t len) {
  if (translated(dev)) unmap_guest_memory(dev, phys, len);
}

void dma_api::unmap_single(const pci_dev& dev, uint64_t dma_addr, uint64_t /*len*/, dma_direction /*dir*/) {
  const uint16_t sid = sid_of(dev);
  dma_device_stats& s = m_stats[sid];
  if (!translated(dev)) {
    ++s.unmaps;   // dma_direct_unmap_page(): nothing to undo without swiotlb
    return;
  }
  dmar_domain& d = *m_iommu->domain_of(sid);
  domain_state& st = state_for(d, sid);
  const uint64_t iova = dma_addr & ~(PAGE - 1);
  auto it = st.maps.find(iova);
  if (it == st.maps.end() || it->second.guest) {
    // __iommu_dma_unmap(): WARN_ON(unmapped != size).
    ++s.errors;
    kit::sim_env::current().log("dma", "host.dma", fmt::format("{}: unmap of unmapped DMA address {:#x}", dev.bdf(), dma_addr));
    return;
  }
  const mapping m = it->second;
  st.maps.erase(it);
  ++s.unmaps;
  charge(s, "host.dma.lock", m_costs.lock);
  clear_leaves(d, s, m, iova);
  const uint64_t pfn = iova >> iova_domain::IOVA_SHIFT;
  if (d.type != dmar_domain::kind::dma_fq || m.is_static) {
    settle();
    m_iommu->flush_iotlb_psi(d, iova, m.bytes / PAGE, &s.cpu);   // iommu_iotlb_sync()
    ++s.iotlb_page_flushes;
    charge(s, "host.dma.iova_free", m_costs.iova_free);
    d.iovad.free(pfn);
    settle();
    return;
  }
  // queue_iova(): a full ring is flushed before the new entry goes in.
  charge(s, "host.dma.fq_queue", m_costs.fq_queue);
  if (st.fq.size() >= IOVA_FQ_SIZE - 1) fq_flush(d, st);
  st.fq.push_back({pfn, m.pages});
  ++s.deferred_unmaps;
  if (!st.timer) {
    st.timer = std::make_shared<fq_timer_ctx>();
    const uint16_t did = d.id;
    sc_core::sc_spawn([this, did, ctx = st.timer] { fq_timer(did, ctx); },
                      sc_core::sc_gen_unique_name(fmt::format("dma_fq_timer_{}", did).c_str()));
  }
  if (!st.timer->on) {
    st.timer->on = true;
    st.timer->deadline = sc_core::sc_time_stamp() + sc_core::sc_time(IOVA_FQ_TIMEOUT_MS, sc_core::SC_MS);
    st.timer->arm.notify(sc_core::SC_ZERO_TIME);
  }
  settle();
}

// fq_flush_iotlb() + fq_ring_free(): one domain-selective invalidation, then every
// queued IOVA goes back to the allocator. Entries queued meanwhile wait for the next.
void dma_api::fq_flush(dmar_domain& d, domain_state& st) {
  dma_device_stats& s = m_stats[st.charge_to];
  std::deque<fq_entry> entries;
  entries.swap(st.fq);
  settle();
  m_iommu->flush_iotlb_domain(d, &s.cpu);
  ++s.iotlb_domain_flushes;
  for (const fq_entry& e : entries) d.iovad.free(e.pfn);
  charge(s, "host.dma.iova_free", m_costs.iova_free, entries.size());
  settle();
}

// fq_flush_timeout(): IOVA_FQ_TIMEOUT after arming, flush whatever is queued.
void dma_api::fq_timer(uint16_t did, const std::shared_ptr<fq_timer_ctx>& ctx) {
  for (;;) {
    if (!ctx->on) sc_core::wait(ctx->arm);
    if (!ctx->alive) return;
    // Until the deadline, or until the driver goes (a reboot notifies `arm`): a thread
    // left waiting out the old kernel's timeout kept its name, and the next kernel's
    // timer for the same domain collided with it (a SystemC warning; fuzz_shell).
    while (ctx->alive && sc_core::sc_time_stamp() < ctx->deadline)
      sc_core::wait(ctx->deadline - sc_core::sc_time_stamp(), ctx->arm);
    if (!ctx->alive) return;
    ctx->on = false;
    dmar_domain* d = m_iommu->domain_by_id(did);
    if (!d) return;
    fq_flush(*d, m_domains[did]);
  }
}

int dma_api::map_guest_memory(const pci_dev& dev, uint64_t gpa, uint64_t hpa, uint64_t len, uint64_t max_page) {
  if (!m_iommu || !m_iommu->enabled()) return -ENODEV;
  if (len == 0 || ((gpa | hpa | len) & (PAGE - 1)) || gpa + len > (1ull << DOMAIN_ADDRESS_BITS)) return -EINVAL;
  const uint16_t sid = sid_of(dev);
  dma_device_stats& s = m_stats[sid];
  dmar_domain* d = m_iommu->domain_of(sid);
  if (!d) return -ENODEV;
  if (d->type != dmar_domain::kind::unmanaged) {
    settle();
    d = &m_iommu->attach_unmanaged(sid, &s.cpu);
    kit::sim_env::current().log("dma", "host.dma", fmt::format("{}: attached to unmanaged domain {}", dev.bdf(), d->id));
  }
  domain_state& st = state_for(*d, sid);
  auto next = st.maps.lower_bound(gpa);
  if (next != st.maps.end() && next->first < gpa + len) return -EINVAL;
  if (next != st.maps.begin() && std::prev(next)->first + std::prev(next)->second.bytes > gpa) return -EINVAL;
  charge(s, "host.dma.lock", m_costs.lock);
  mapping m;
  m.phys = hpa;
  m.bytes = len;
  m.pages = len / PAGE;
  m.read = m.write = true;
  m.is_static = m.guest = true;
  m.max_page = m_iommu->superpages() ? max_page : PAGE;
  write_leaves(*d, s, m, gpa);
  st.maps[gpa] = m;
  ++s.guest_maps;
  s.bytes_mapped += len;
  settle();
  return 0;
}

int dma_api::unmap_guest_memory(const pci_dev& dev, uint64_t gpa, uint64_t len) {
  if (!m_iommu || !m_iommu->enabled()) return -ENODEV;
  const uint16_t sid = sid_of(dev);
  dmar_domain* d = m_iommu->domain_of(sid);
  if (!d || d->type != dmar_domain::kind::unmanaged) return -EINVAL;
  domain_state& st = state_for(*d, sid);
  auto it = st.maps.find(gpa);
  if (it == st.maps.end() || it->second.bytes != len) return -EINVAL;
  dma_device_stats& s = m_stats[sid];
  const mapping m = it->second;
  st.maps.erase(it);
  charge(s, "host.dma.lock", m_costs.lock);
  clear_leaves(*d, s, m, gpa);
  settle();
  m_iommu->flush_iotlb_psi(*d, gpa, m.pages, &s.cpu);   // VFIO unmaps are always strict
  ++s.iotlb_page_flushes;
  return 0;
}

int dma_api::attach_iopf_domain(const pci_dev& dev, std::string& why) {
  if (!m_iommu || !m_iommu->enabled()) {
    why = "no IOMMU translates its DMA";
    return -ENODEV;
  }
  const uint16_t sid = sid_of(dev);
  const device_domain_info* info = m_iommu->device_info(sid);
  // intel_iommu_enable_iopf(): -ENODEV without ATS enabled or without PRI.
  if (!info || !info->ats_pos) {
    why = m_iommu->ats_disabled() ? "ATS is disabled (pci=noats)" : "it has no ATS capability";
    return -ENODEV;
  }
  if (!info->ats_enabled) {
    why = "ATS is not enabled on it";
    return -ENODEV;
  }
  if (!info->pri_supported) {
    why = "it has no PRI capability";
    return -ENODEV;
  }
  if (info->is_virtfn) {
    const device_domain_info* pf = m_iommu->device_info(info->pf_sid);
    if (!pf || !pf->pri_enabled) {
      why = "a VF shares its PF's PRI, which is not enabled";
      return -EINVAL;
    }
  }
  dma_device_stats& s = m_stats[sid];
  settle();
  dmar_domain& d = m_iommu->attach_unmanaged(sid, &s.cpu);
  state_for(d, sid);
  const int rc = m_iommu->enable_iopf(sid);
  if (rc) {
    why = "PRI could not be enabled";
    return rc;
  }
  kit::sim_env::current().log("dma", "host.dma", fmt::format("{}: attached to IOPF-capable domain {} (nothing mapped)",
                                                      dev.bdf(), d.id));
  return 0;
}

int dma_api::map_guest_page(const pci_dev& dev, uint64_t gpa, uint64_t hpa, bool write, sc_core::sc_time& cpu) {
  cpu = sc_core::SC_ZERO_TIME;
  if (!m_iommu || !m_iommu->enabled()) return -ENODEV;
  if (((gpa | hpa) & (PAGE - 1)) || gpa >= (1ull << DOMAIN_ADDRESS_BITS)) return -EINVAL;
  const uint16_t sid = sid_of(dev);
  dmar_domain* d = m_iommu->domain_of(sid);
  if (!d || d->type != dmar_domain::kind::unmanaged) return -ENODEV;
  domain_state& st = state_for(*d, sid);
  auto next = st.maps.upper_bound(gpa);
  if (next != st.maps.begin() && std::prev(next)->first + std::prev(next)->second.bytes > gpa) return -EEXIST;
  dma_device_stats& s = m_stats[sid];
  const sc_core::sc_time before = m_pending;
  charge(s, "host.dma.lock", m_costs.lock);
  mapping m;
  m.phys = hpa;
  m.bytes = PAGE;
  m.pages = 1;
  m.read = true;
  m.write = write;
  m.is_static = m.guest = true;
  write_leaves(*d, s, m, gpa);
  st.maps[gpa] = m;
  ++s.demand_pages;
  s.bytes_mapped += PAGE;
  cpu = m_pending - before;
  m_pending = before;
  return 0;
}

}  // namespace iovsim::host
