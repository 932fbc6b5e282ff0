// Invalidation: the queued-invalidation engine (VT-d 6.5.2) and the invalidation
// operations it shares with the register interface (CCMD_REG, IOTLB_REG); interrupt
// entry cache invalidations (type 4) go to vtd_ir.cpp. The queue
// also carries software's Page Group Responses (vtd_prq.cpp).
#include <fmt/format.h>

#include "models/iommu/vtd.h"
#include "models/kit/sim_env.h"

namespace iovsim::iommu {

namespace {
// The device-TLB invalidate descriptor's size encoding (PCIe ATS 2.3.2): with S set,
// the lowest clear bit of ADDR[63:12] marks the range (bit 12 clear: 8 KiB ...).
void device_tlb_range(uint64_t hi, uint64_t& addr, uint64_t& size) {
  addr = hi & QI_DIOTLB_HI_ADDR_MASK;
  size = PAGE_4K;
  if (!(hi & QI_DIOTLB_HI_S)) return;
  unsigned shift = PAGE_SHIFT_4K;
  while (shift < 63 && (addr >> shift) & 1) ++shift;
  size = shift >= 63 ? ~0ull : (1ull << (shift + 1));
  addr = size == ~0ull ? 0 : addr & ~(size - 1);
}
}  // namespace

void vtd_unit::invalidate_context_cache(unsigned granularity, uint16_t domain, uint16_t source_id,
                                        unsigned function_mask) {
  static constexpr const char* k_gran[] = {"reserved", "global", "domain", "device"};
  kit::sim_env::current().trace_instant(
      name(), "inv_context", "iommu",
      fmt::format(R"({{"granularity":"{}","did":{},"source":"{}"}})", k_gran[granularity & 3], domain,
                  format_source_id(source_id)));
  // FM n masks the n most significant bits of the 3-bit function number (VT-d 10.4.7).
  const uint16_t sid_mask = static_cast<uint16_t>(~(((1u << function_mask) - 1) << (3 - function_mask)));
  for (auto it = m_context_cache.begin(); it != m_context_cache.end();) {
    const bool hit = granularity == CC_GLOBAL || (granularity == CC_DOMAIN && it->second.domain == domain) ||
                     (granularity == CC_DEVICE && (it->first & sid_mask) == (source_id & sid_mask));
    it = hit ? m_context_cache.erase(it) : std::next(it);
  }
}

bool vtd_unit::invalidate_iotlb(unsigned granularity, uint16_t domain, uint64_t addr, unsigned address_mask,
                                bool leaf_only) {
  // Paging-structure caches go with the IOTLB (VT-d 6.5.1.2), except for a
  // page-selective request whose hint says only leaf entries changed.
  static constexpr const char* k_gran[] = {"reserved", "global", "domain", "page"};
  kit::sim_env::current().trace_instant(
      name(), "inv_iotlb", "iommu",
      fmt::format(R"({{"granularity":"{}","did":{},"addr":"0x{:x}","am":{},"ih":{}}})", k_gran[granularity & 3], domain,
                  granularity == IOTLB_PAGE ? addr : 0, granularity == IOTLB_PAGE ? address_mask : 0,
                  leaf_only && granularity == IOTLB_PAGE ? 1 : 0));
  switch (granularity) {
    case IOTLB_GLOBAL:
      m_iotlb.invalidate_all();
      m_pwc.invalidate_all();
      return true;
    case IOTLB_DOMAIN:
      m_iotlb.invalidate_domain(domain);
      m_pwc.invalidate_domain(domain);
      return true;
    case IOTLB_PAGE:
      if (address_mask > MAMV) return false;
      m_iotlb.invalidate_pages(domain, addr, address_mask);
      if (!leaf_only) m_pwc.invalidate_range(domain, addr & ~((PAGE_4K << address_mask) - 1), PAGE_4K << address_mask);
      return true;
    default: return false;
  }
}

void vtd_unit::invalidation_issued(const sc_core::sc_time& cost) {
  const sc_core::sc_time done = sc_core::sc_time_stamp() + cost;
  if (done > m_invalidations_done) m_invalidations_done = done;
}

// Executes one descriptor; false for one the unit does not accept (IQE).
bool vtd_unit::execute_descriptor(uint64_t lo, uint64_t hi) {
  kit::sim_env& env = kit::sim_env::current();
  const unsigned gran = static_cast<unsigned>((lo >> QI_GRAN_SHIFT) & QI_GRAN_MASK);
  const auto did = static_cast<uint16_t>(lo >> QI_DID_SHIFT);
  switch (static_cast<unsigned>(lo & QI_TYPE_MASK)) {
    case QI_CC_TYPE:
      if (gran == 0) return false;
      invalidate_context_cache(gran, did, static_cast<uint16_t>(lo >> QI_CC_SID_SHIFT),
                               static_cast<unsigned>((lo >> QI_CC_FM_SHIFT) & CCMD_FM_MASK));
      invalidation_issued(invalidation_latency());
      return true;
    case QI_IOTLB_TYPE:
      if (!invalidate_iotlb(gran, did, hi & QI_IOTLB_HI_ADDR_MASK, static_cast<unsigned>(hi & QI_IOTLB_HI_AM_MASK),
                            (hi & QI_IOTLB_HI_IH) != 0))
        return false;
      invalidation_issued(invalidation_latency());
      return true;
    case QI_DIOTLB_TYPE: {
      uint64_t addr = 0, size = 0;
      device_tlb_range(hi, addr, size);
      const auto sid = static_cast<uint16_t>(lo >> QI_DIOTLB_SID_SHIFT);
      env.trace_instant(name(), "inv_device_tlb", "iommu",
                        fmt::format(R"({{"source":"{}","addr":"0x{:x}","size":{}}})", format_source_id(sid), addr, size));
      if (m_device_tlb) m_device_tlb(sid, addr, size);
      invalidation_issued(device_tlb_invalidation_latency());
      return true;
    }
    case QI_IEC_TYPE:
      invalidate_iec(!(lo & QI_IEC_SELECTIVE), static_cast<uint32_t>((lo >> QI_IEC_IIDX_SHIFT) & QI_IEC_IIDX_MASK),
                     static_cast<unsigned>((lo >> QI_IEC_IM_SHIFT) & QI_IEC_IM_MASK));
      invalidation_issued(invalidation_latency());
      return true;
    case QI_IWD_TYPE: {
      // Fence: the status write waits for every earlier invalidation to complete.
      const sc_core::sc_time now = sc_core::sc_time_stamp();
      if (m_invalidations_done > now) wait(m_invalidations_done - now);
      if (lo & QI_IWD_SW) {
        const auto data = static_cast<uint32_t>(lo >> QI_IWD_DATA_SHIFT);
        const uint64_t status_addr = hi & QI_IWD_HI_ADDR_MASK;
        // A status write no memory takes fails the descriptor: an invalidation queue
        // error (QEMU hw/i386/intel_iommu.c vtd_process_wait_desc()).
        if (!m_mem.contains(status_addr, sizeof data)) {
          env.log("iommu", name(), fmt::format("wait descriptor status address 0x{:x} is beyond memory", status_addr));
          return false;
        }
        m_mem.write(status_addr, &data, sizeof data);
      }
      if (lo & QI_IWD_IF) {
        m_regs.set(ICS_REG, 4, m_regs.get(ICS_REG, 4) | ICS_IWC);
        raise_invalidation_event();
      }
      ++m_waits_done;
      env.trace_instant(name(), "inv_wait_done", "iommu",
                        fmt::format(R"({{"status_addr":"0x{:x}"}})", hi & QI_IWD_HI_ADDR_MASK));
      return true;
    }
    case QI_PGRP_RESP_TYPE:
      // A posted message down to the function: nothing for a later wait to fence.
      return page_group_response(lo, hi);
    default: return false;
  }
}

void vtd_unit::qi_thread() {
  for (;;) {
    wait(m_qi_kick);
    while ((m_regs.get(GSTS_REG, 4) & GSTS_QIES) && !(m_regs.get(FSTS_REG, 4) & FSTS_IQE)) {
      const uint64_t iqa = m_regs.get(IQA_REG, 8);
      const uint64_t entries = uint64_t{IQ_DESCRIPTORS_PER_PAGE} << (iqa & IQA_QS_MASK);
      const uint64_t head = (m_regs.get(IQH_REG, 8) & IQ_INDEX_MASK) >> IQ_INDEX_SHIFT;
      const uint64_t tail = (m_regs.get(IQT_REG, 8) & IQ_INDEX_MASK) >> IQ_INDEX_SHIFT;
      if (head == tail) break;
      const uint64_t addr = (iqa & IQA_BASE_MASK) + head * IQ_DESCRIPTOR_BYTES;
      bool ok = tail < entries;
      if (ok) {
        wait(walk_read_latency());   // descriptor fetch
        // A descriptor the unit cannot fetch (IQA points where no memory is) is a
        // hardware error fetching from the queue: IQE (VT-d 10.4.9 FSTS.IQE; QEMU
        // vtd_fetch_inv_desc()).
        ok = m_mem.contains(addr, IQ_DESCRIPTOR_BYTES);
        if (!ok)
          kit::sim_env::current().log("iommu", name(),
                                      fmt::format("invalidation descriptor fetch from 0x{:x} is beyond "
                                                  "memory",
                                                  addr));
        else
          ok = execute_descriptor(m_mem.read64(addr), m_mem.read64(addr + 8));
      }
      if (!ok) {
        // IQH stays on the bad descriptor; software fixes it and clears IQE (VT-d 6.5.2.10).
        kit::sim_env::current().log("iommu", name(), fmt::format("invalidation queue error at descriptor {} (tail {})",
                                                        head, tail));
        m_regs.set(FSTS_REG, 4, m_regs.get(FSTS_REG, 4) | FSTS_IQE);
        raise_fault_event();
        break;
      }
      m_regs.set(IQH_REG, 8, ((head + 1) % entries) << IQ_INDEX_SHIFT);
    }
  }
}

}  // namespace iovsim::iommu
