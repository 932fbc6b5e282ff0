// The Intel IOMMU driver's ATS and PRI side (intel_iommu, dmar.h): which functions may
// keep a device-TLB, turning ATS and PRI on and off through their extended
// capabilities (Linux v6.1 drivers/pci/ats.c), and the device-TLB invalidations that
// follow every IOTLB invalidation of their domain (dmar.c qi_flush_dev_iotlb()).
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>

#include "drivers-sim/iommu/dmar.h"
#include "models/kit/sim_env.h"
#include "models/pcie/pci_regs.h"

namespace iovsim::host {

using namespace iommu;

namespace {
// pci_regs.h PCI_ATS_MIN_STU: the smallest translation unit, 4 KiB (STU 0 means 2^12).
constexpr unsigned ATS_MIN_STU = 12;
constexpr unsigned ATS_MAX_QDEP = 32;   // PCI_ATS_MAX_QDEP: a depth field of 0
// pci_regs.h PCI_EXP_TYPE_ROOT_PORT / PCI_EXP_TYPE_PCI_BRIDGE.
constexpr unsigned EXP_TYPE_ROOT_PORT = 0x4, EXP_TYPE_PCI_BRIDGE = 0x7;
// ecap_dit() (iommu.h): Device-TLB Invalidation Throttling, ECAP bit 41.
constexpr uint64_t ECAP_DIT = 1ull << 41;
// iommu.h QI_DEV_IOTLB_QDEP / QI_DEV_IOTLB_PFSID / QI_DEV_IOTLB_MAX_INVS (VT-d 6.5.2.5:
// MIP [20:16], PFSID [15:12] and [63:52]).
constexpr unsigned QI_DIOTLB_QDEP_SHIFT = 16;
constexpr uint64_t QI_DIOTLB_QDEP_MASK = 0x1f;
constexpr unsigned QI_DIOTLB_PFSID_LO_SHIFT = 12, QI_DIOTLB_PFSID_HI_SHIFT = 52;
constexpr unsigned QI_DEV_IOTLB_MAX_INVS = 32;
constexpr unsigned EXT_CAP_TTL = 480;   // pci_find_next_ext_capability(): (4096 - 256) / 8

uint16_t sid_of(const pci_dev& dev) { return static_cast<uint16_t>((dev.bus << 8) | dev.devfn); }
}  // namespace

uint32_t intel_iommu::cfg_read(const device_domain_info& info, uint32_t reg, unsigned len) {
  return m_bus.cfg_read(info.bus, info.devfn, reg, len);
}

void intel_iommu::cfg_write(const device_domain_info& info, uint32_t reg, unsigned len, uint32_t value) {
  m_bus.cfg_write(info.bus, info.devfn, reg, len, value);
}

const device_domain_info* intel_iommu::device_info(uint16_t source_id) const {
  auto it = m_infos.find(source_id);
  return it == m_infos.end() ? nullptr : &it->second;
}

uint64_t intel_iommu::device_tlb_invalidations() const {
  uint64_t n = 0;
  for (const auto& [sid, count] : m_dev_tlb_flushes) n += count;
  return n;
}

unsigned intel_iommu::ats_enabled_functions() const {
  return static_cast<unsigned>(
      std::count_if(m_infos.begin(), m_infos.end(), [](const auto& i) { return i.second.ats_enabled; }));
}

// dmar.c dmar_ats_supported(): a function below a conventional PCI bridge never; a
// root-complex integrated one always; else its root port must be in an ATSR.
bool intel_iommu::atsr_allows(const pci_dev& dev) const {
  const pci_dev* d = dev.is_virtfn && dev.physfn ? dev.physfn : &dev;   // pci_physfn()
  for (const pci_dev* bridge = d->bridge;; bridge = bridge->bridge) {
    if (!bridge) return true;
    if (!bridge->exp_pos || bridge->exp_type == EXP_TYPE_PCI_BRIDGE) return false;
    if (bridge->exp_type == EXP_TYPE_ROOT_PORT) break;
  }
  return m_options.atsr_all_ports;
}

// pci_ats_init() / pci_pri_init() (enumeration) and intel_iommu_probe_device(): one
// walk of the extended capability list of a PCIe function (bridges have no ATS).
void intel_iommu::probe_ats_pri(const pci_dev& dev, device_domain_info& info) {
  info.sid = sid_of(dev);
  info.bus = dev.bus;
  info.devfn = dev.devfn;
  info.is_virtfn = dev.is_virtfn && dev.physfn;
  info.pf_sid = info.is_virtfn ? sid_of(*dev.physfn) : info.sid;
  info.pfsid = (m_ecap & ECAP_DIT) ? info.pf_sid : 0;   // iommu_enable_pci_caps()
  // pci_ats_init() skips everything under pci=noats (pci_ats_disabled()); PRI needs ATS.
  if (!(m_ecap & ECAP_DT) || !dev.exp_pos || dev.is_bridge || m_params.noats) return;
  uint32_t at = pcie::EXT_CAP_START;
  for (unsigned ttl = EXT_CAP_TTL; at >= pcie::EXT_CAP_START && ttl > 0; --ttl) {
    const uint32_t hdr = cfg_read(info, at, 4);
    if (hdr == 0 || hdr == 0xffffffff) break;
    if ((hdr & 0xffff) == pcie::ECAP_ID_ATS) info.ats_pos = at;
    if ((hdr & 0xffff) == pcie::ECAP_ID_PRI) info.pri_pos = at;
    at = (hdr >> 20) & ~3u;
  }
  info.ats_supported = info.ats_pos && atsr_allows(dev);
  if (info.is_virtfn) {
    auto pf = m_infos.find(info.pf_sid);
    info.pri_supported = pf != m_infos.end() && pf->second.pri_pos;   // pci_pri_supported()
  } else {
    info.pri_supported = info.pri_pos != 0;
  }
}

// v6.1 iommu_enable_pci_caps(): ATS when the function issues page-aligned requests
// (pci_ats_page_aligned()), with pci_enable_ats(pdev, VTD_PAGE_SHIFT): STU 0 and
// Enable; a VF writes Enable only and needs its PF enabled with the same STU before.
void intel_iommu::enable_pci_caps(device_domain_info& info) {
  if (!info.ats_supported || info.ats_enabled) return;
  const uint32_t cap = cfg_read(info, info.ats_pos + pcie::ATS_CAP, 2);
  if (!(cap & pcie::ATS_CAP_PAGE_ALIGNED)) return;
  uint32_t ctrl = pcie::ATS_CTRL_ENABLE;
  if (info.is_virtfn) {
    auto pf = m_infos.find(info.pf_sid);
    if (pf == m_infos.end() || pf->second.ats_stu != PAGE_SHIFT_4K) return;   // -EINVAL
  } else {
    info.ats_stu = PAGE_SHIFT_4K;
    ctrl |= (PAGE_SHIFT_4K - ATS_MIN_STU) & pcie::ATS_CTRL_STU_MASK;
  }
  cfg_write(info, info.ats_pos + pcie::ATS_CTRL, 2, ctrl);
  info.ats_enabled = true;
  // pci_ats_queue_depth(): 0 for a VF, else the field (0 meaning 32).
  if (info.is_virtfn) {
    info.ats_qdep = 0;
  } else {
    const unsigned q = cfg_read(info, info.ats_pos + pcie::ATS_CAP, 2) & pcie::ATS_CAP_QDEP_MASK;
    info.ats_qdep = q ? q : ATS_MAX_QDEP;
  }
  kit::sim_env::current().log("iommu", "host.dmar", fmt::format("{:02x}:{:02x}.{}: ATS enabled, invalidate queue depth {}",
                                                       info.bus, info.devfn >> 3, info.devfn & 7, info.ats_qdep));
}

// v6.1 iommu_disable_dev_iotlb(): pci_disable_ats(), then pci_disable_pri() (a VF's
// PRI is its PF's: nothing to write).
void intel_iommu::disable_pci_caps(device_domain_info& info) {
  if (info.ats_enabled) {
    const uint32_t ctrl = cfg_read(info, info.ats_pos + pcie::ATS_CTRL, 2);
    cfg_write(info, info.ats_pos + pcie::ATS_CTRL, 2, ctrl & ~uint32_t{pcie::ATS_CTRL_ENABLE});
    info.ats_enabled = false;
  }
  if (info.pri_enabled) {
    if (!info.is_virtfn) {
      const uint32_t ctrl = cfg_read(info, info.pri_pos + pcie::PRI_CTRL, 2);
      cfg_write(info, info.pri_pos + pcie::PRI_CTRL, 2, ctrl & ~uint32_t{pcie::PRI_CTRL_ENABLE});
    }
    info.pri_enabled = false;
  }
}

// intel_iommu_enable_iopf() (v6.3+) with v6.1's pci_reset_pri() and pci_enable_pri(),
// after the page request queue is there to take the requests.
int intel_iommu::enable_iopf(uint16_t source_id) {
  auto it = m_infos.find(source_id);
  if (it == m_infos.end()) return -ENODEV;
  device_domain_info& info = it->second;
  if (!info.ats_enabled || !info.pri_supported) return -ENODEV;
  if (info.pri_enabled) return -EBUSY;
  // Its page requests need a queue to land in: Linux has no iopf queue for the unit
  // without ECAP.PRS (-ENODEV); ours is set up on first use (dmar.h).
  if (!enable_prq()) return -ENODEV;
  if (info.is_virtfn) {
    // VFs share the PF's PRI: enabled only when the PF's is.
    auto pf = m_infos.find(info.pf_sid);
    if (pf == m_infos.end() || !pf->second.pri_enabled) return -EINVAL;
    info.pri_enabled = true;
    return 0;
  }
  const uint32_t ctrl = info.pri_pos + pcie::PRI_CTRL;
  cfg_write(info, ctrl, 2, pcie::PRI_CTRL_RESET);   // pci_reset_pri()
  if (!(cfg_read(info, info.pri_pos + pcie::PRI_STATUS, 2) & pcie::PRI_STATUS_STOPPED)) return -EBUSY;
  const uint32_t capacity = cfg_read(info, info.pri_pos + pcie::PRI_MAX_REQ, 4);
  info.pri_reqs_alloc = std::min(capacity, PRQ_DEPTH);
  cfg_write(info, info.pri_pos + pcie::PRI_ALLOC_REQ, 4, info.pri_reqs_alloc);
  cfg_write(info, ctrl, 2, pcie::PRI_CTRL_ENABLE);
  info.pri_enabled = true;
  kit::sim_env::current().log("iommu", "host.dmar", fmt::format("{:02x}:{:02x}.{}: PRI enabled, {} outstanding page requests",
                                                       info.bus, info.devfn >> 3, info.devfn & 7, info.pri_reqs_alloc));
  return 0;
}

// iommu_flush_dev_iotlb() -> qi_flush_dev_iotlb() (v6.1): for every ATS-enabled
// function of the domain one Device-TLB Invalidate Descriptor (VT-d 6.5.2.5), each with
// its own wait descriptor. A range of 2^mask pages sets S and encodes the size as the
// lowest clear bit of ADDR[63:12] (bit 12 clear: 8 KiB ...).
void intel_iommu::flush_dev_iotlb(const std::vector<uint16_t>& devices, uint64_t addr, unsigned mask,
                                  cpu_account* acct) {
  if (!(m_gcmd & GCMD_TE)) return;   // VT-d 4.3: none while remapping is off
  for (uint16_t sid : devices) {
    auto it = m_infos.find(sid);
    if (it == m_infos.end() || !it->second.ats_enabled) continue;
    const device_domain_info& info = it->second;
    uint64_t hi = 0;
    if (mask) {
      const uint64_t a = addr | ((1ull << (PAGE_SHIFT_4K + mask - 1)) - 1);
      hi = (a & QI_DIOTLB_HI_ADDR_MASK) | QI_DIOTLB_HI_S;
    } else {
      hi = addr & QI_DIOTLB_HI_ADDR_MASK;
    }
    const uint64_t qdep = info.ats_qdep >= QI_DEV_IOTLB_MAX_INVS ? 0 : info.ats_qdep;
    const uint64_t lo = QI_DIOTLB_TYPE | ((qdep & QI_DIOTLB_QDEP_MASK) << QI_DIOTLB_QDEP_SHIFT) |
                        (uint64_t{sid} << QI_DIOTLB_SID_SHIFT) |
                        (uint64_t{info.pfsid & 0xfu} << QI_DIOTLB_PFSID_LO_SHIFT) |
                        (uint64_t{(info.pfsid >> 4) & 0xfffu} << QI_DIOTLB_PFSID_HI_SHIFT);
    ++m_dev_tlb_flushes[sid];
    qi_submit({{lo, hi}}, acct);
  }
}

}  // namespace iovsim::host
