// IOMMU groups of the Intel IOMMU driver (intel_iommu, dmar.h) as Linux v6.1 forms them
// for PCI functions: drivers/iommu/iommu.c pci_device_group() and
// get_pci_function_alias_group(), drivers/pci/pci.c pci_acs_enabled() /
// pci_acs_flags_enabled(), drivers/pci/quirks.c pci_dev_acs_enabled[] with
// pci_quirk_mf_endpoint_acs(). Upstream of a function every bridge counts as having
// ACS, so only the functions of one multifunction device can end up sharing a group.
#include <algorithm>
#include <iterator>

#include "drivers-sim/iommu/dmar.h"
#include "models/pcie/pci_regs.h"

namespace iovsim::host {

namespace {
constexpr uint16_t PCI_VENDOR_ID_INTEL = 0x8086;
// include/uapi/linux/pci_regs.h PCI_ACS_CAP / PCI_ACS_CTRL and the flags; iommu.c
// REQ_ACS_FLAGS = SV | RR | CR | UF. Flags the capability does not implement count as
// enabled, except EC (pci_acs_flags_enabled()).
constexpr uint32_t PCI_ACS_CAP = 0x04, PCI_ACS_CTRL = 0x06;
constexpr uint16_t PCI_ACS_SV = 0x01, PCI_ACS_RR = 0x04, PCI_ACS_CR = 0x08, PCI_ACS_UF = 0x10, PCI_ACS_EC = 0x20;
constexpr uint16_t REQ_ACS_FLAGS = PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF;
constexpr unsigned EXT_CAP_TTL = 480;  // pci_find_next_ext_capability(): (4096 - 256) / 8

// The Intel entries of quirks.c pci_dev_acs_enabled[] handled by
// pci_quirk_mf_endpoint_acs() (82576, 82599, X520, i350, X710-era parts ...): their
// functions do not talk peer-to-peer, as if ACS were enabled. The X540 (0x1528) is not
// on it. Of these, our profiles use 0x10C9 (82576), 0x10FB (82599), 0x1521 (i350).
constexpr uint16_t MF_ENDPOINT_ACS_INTEL[] = {
    0x10C6, 0x10DB, 0x10DD, 0x10E1, 0x10F1, 0x10F7, 0x10F8, 0x10F9, 0x10FA, 0x10FB, 0x10FC, 0x1507,
    0x1514, 0x151C, 0x1529, 0x152A, 0x154D, 0x154F, 0x1551, 0x1558, 0x1509, 0x150E, 0x150F, 0x1510,
    0x1511, 0x1516, 0x1527, 0x10C9, 0x10E6, 0x10E7, 0x10E8, 0x150A, 0x150D, 0x1518, 0x1526, 0x10A7,
    0x10A9, 0x10D6, 0x1521, 0x1522, 0x1523, 0x1524, 0x105E, 0x105F, 0x1060, 0x10D9, 0x15b7, 0x15b8};

bool mf_endpoint_acs_quirk(const pci_dev& dev) {
  return dev.vendor == PCI_VENDOR_ID_INTEL &&
         std::find(std::begin(MF_ENDPOINT_ACS_INTEL), std::end(MF_ENDPOINT_ACS_INTEL), dev.device) !=
             std::end(MF_ENDPOINT_ACS_INTEL);
}

uint16_t sid_of(const pci_dev& dev) { return static_cast<uint16_t>((dev.bus << 8) | dev.devfn); }
}  // namespace

// pci_acs_enabled(dev, REQ_ACS_FLAGS), with every bridge (root and downstream ports)
// taken as having ACS.
bool intel_iommu::acs_isolated(const pci_dev& dev) {
  if (mf_endpoint_acs_quirk(dev)) return true;  // pci_dev_specific_acs_enabled()
  if (dev.is_bridge) return true;
  if (!dev.exp_pos) return false;                        // conventional PCI: never
  if (!dev.multifunction || dev.is_virtfn) return true;  // 6.12.1.3: not applicable
  // pci_acs_flags_enabled(): the ACS extended capability's control register.
  uint32_t at = pcie::EXT_CAP_START;
  for (unsigned ttl = EXT_CAP_TTL; at >= pcie::EXT_CAP_START && ttl > 0; --ttl) {
    const uint32_t hdr = m_bus.cfg_read(dev.bus, dev.devfn, at, 4);
    if (hdr == 0 || hdr == 0xffffffff) break;
    if ((hdr & 0xffff) == pcie::ECAP_ID_ACS) {
      const auto cap = static_cast<uint16_t>(m_bus.cfg_read(dev.bus, dev.devfn, at + PCI_ACS_CAP, 2));
      const auto ctrl = static_cast<uint16_t>(m_bus.cfg_read(dev.bus, dev.devfn, at + PCI_ACS_CTRL, 2));
      const uint16_t want = REQ_ACS_FLAGS & (cap | PCI_ACS_EC);
      return (ctrl & want) == want;
    }
    at = (hdr >> 20) & ~3u;
  }
  return false;
}

// get_pci_function_alias_group(): a multifunction function without ACS joins the group
// of another function of the same slot that is not isolated either (VFs never: they
// are not multifunction). -1: a group of its own.
int intel_iommu::function_alias_group(const pci_dev& dev) const {
  const uint16_t sid = sid_of(dev);
  if (!dev.multifunction || dev.is_virtfn || m_isolated.at(sid)) return -1;
  for (const auto& [other, g] : m_groups) {
    if (other == sid || (other >> 8) != (sid >> 8) || ((other >> 3) & 0x1f) != ((sid >> 3) & 0x1f)) continue;
    auto iso = m_isolated.find(other);
    if (iso == m_isolated.end() || iso->second) continue;
    return static_cast<int>(g.first);
  }
  return -1;
}

int intel_iommu::group_of(uint16_t source_id) const {
  auto it = m_groups.find(source_id);
  return it == m_groups.end() ? -1 : static_cast<int>(it->second.first);
}

std::vector<uint16_t> intel_iommu::group_members(unsigned group) const {
  std::vector<uint16_t> out;
  for (const auto& [sid, g] : m_groups)
    if (g.first == group) out.push_back(sid);
  return out;
}

}  // namespace iovsim::host
