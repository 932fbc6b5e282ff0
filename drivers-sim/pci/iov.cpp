// SR-IOV enable/disable as drivers/pci/iov.c does it (sriov_enable,
// sriov_disable, pci_iov_add_virtfn), with its checks, messages and waits.
#include <fmt/format.h>

#include <cerrno>
#include <systemc>

#include "drivers-sim/pci/pci.h"
#include "models/pcie/pci_regs.h"
#include "platform/hal/pci_access.h"

namespace iovsim::host {

using namespace iovsim::pcie;
using namespace iovsim::hal;

int pci_core::enable_sriov(pci_dev& pf, unsigned nr) {
  if (nr == 0) return 0;
  if (!pf.sriov_pos) return -ENODEV;
  if (pf.num_vfs) return -EINVAL;
  const unsigned initial = m_bus.cfg_read(pf.bus, pf.devfn, pf.sriov_pos + SRIOV_INITIAL_VF, 2);
  const bool vfm = m_bus.cfg_read(pf.bus, pf.devfn, pf.sriov_pos + SRIOV_CAP, 4) & 1;
  if (nr > pf.total_vfs || (!vfm && initial != pf.total_vfs)) return -EINVAL;
  // Every VF BAR must have a home (iov.c: "not enough MMIO resources for SR-IOV").
  for (const resource& r : pf.iov_bars)
    if (r.size && !r.assigned) {
      info(pf, "not enough MMIO resources for SR-IOV");
      return -ENOMEM;
    }
  set_numvfs(pf, nr);
  if (pf.vf_offset == 0 || (nr > 1 && pf.vf_stride == 0)) {
    set_numvfs(pf, 0);
    return -EIO;
  }
  // The last VF's bus must lie inside the bus range of the bridge above.
  const unsigned last_bus = virtfn_bus(pf.bus, pf.devfn, pf.vf_offset, pf.vf_stride, nr - 1);
  if (last_bus > bus_end(pf)) {
    info(pf, fmt::format("can't enable {} VFs (bus {:02x} out of range of {})", nr, last_bus,
                         format_bus_range(pf.bus, bus_end(pf))));
    set_numvfs(pf, 0);
    return -ENOMEM;
  }
  pf.sriov_ctrl |= SRIOV_CTRL_VFE | SRIOV_CTRL_MSE;
  m_bus.cfg_write(pf.bus, pf.devfn, pf.sriov_pos + SRIOV_CTRL, 2, pf.sriov_ctrl);
  // VFs need 100 ms after VF Enable before they answer (SR-IOV spec 3.3.3.1; iov.c msleep(100)).
  sc_core::wait(sc_core::sc_time(100, sc_core::SC_MS));
  pf.num_vfs = static_cast<uint16_t>(nr);
  for (unsigned i = 0; i < nr; ++i) {
    auto vf = std::make_unique<pci_dev>();
    vf->bus = virtfn_bus(pf.bus, pf.devfn, pf.vf_offset, pf.vf_stride, i);
    vf->devfn = virtfn_devfn(pf.devfn, pf.vf_offset, pf.vf_stride, i);
    vf->bridge = pf.bridge;
    vf->is_virtfn = true;
    vf->physfn = &pf;
    vf->vf_index = i;
    // VF Vendor/Device ID registers read 0xFFFF: the kernel takes the PF's vendor
    // and the VF Device ID (iov.c pci_iov_add_virtfn).
    vf->vendor = pf.vendor;
    vf->device = pf.vf_device;
    const uint32_t class_rev = m_bus.cfg_read(vf->bus, vf->devfn, CFG_REVISION, 4);
    vf->revision = class_rev & 0xff;
    vf->class_code = class_rev >> 8;
    vf->subsys_vendor = static_cast<uint16_t>(m_bus.cfg_read(vf->bus, vf->devfn, CFG_SUBSYS_VENDOR, 2));
    vf->subsys_device = static_cast<uint16_t>(m_bus.cfg_read(vf->bus, vf->devfn, CFG_SUBSYS_ID, 2));
    vf->exp_pos = find_capability(m_bus, vf->bus, vf->devfn, CAP_ID_EXP);
    vf->ari_pos = find_ext_capability(m_bus, vf->bus, vf->devfn, ECAP_ID_ARI);
    for (unsigned b = 0; b < 6; ++b) {
      vf->bars[b] = pf.iov_bars[b];
      if (vf->bars[b].size) vf->bars[b].start += vf->bars[b].size * i;
    }
    pci_dev* added = add(std::move(vf));
    pf.vfs.push_back(added);
    info(*added, fmt::format("[{:04x}:{:04x}] type 00 class 0x{:06x}", added->vendor, added->device,
                             added->class_code));
    // pci_iov_add_virtfn(): device_add() (the IOMMU's notifier) and the driver probe
    // happen for each VF before the next one is set up.
    if (on_add) on_add(*added);
  }
  return 0;
}

void pci_core::disable_sriov(pci_dev& pf) {
  if (!pf.num_vfs) return;
  // sriov_del_vfs(): VF 0 first, each unbound and released before the next.
  for (pci_dev* vf : pf.vfs)
    if (on_remove) on_remove(*vf);
  for (pci_dev* vf : pf.vfs) {
    auto [lo, hi] = m_devs.equal_range(key(vf->domain, vf->bus, vf->devfn));
    for (auto it = lo; it != hi; ++it)
      if (it->second.get() == vf) {
        m_devs.erase(it);
        break;
      }
  }
  pf.vfs.clear();
  pf.sriov_ctrl &= static_cast<uint16_t>(~(SRIOV_CTRL_VFE | SRIOV_CTRL_MSE));
  m_bus.cfg_write(pf.bus, pf.devfn, pf.sriov_pos + SRIOV_CTRL, 2, pf.sriov_ctrl);
  // iov.c sriov_disable: ssleep(1) before NumVFs may change.
  sc_core::wait(sc_core::sc_time(1, sc_core::SC_SEC));
  pf.num_vfs = 0;
  set_numvfs(pf, 0);
}

std::vector<uint8_t> pci_core::config_bytes(const pci_dev& dev, size_t max_bytes) {
  const unsigned size = static_cast<unsigned>(std::min<size_t>(dev.exp_pos ? CONFIG_SPACE_BYTES : 256, max_bytes));
  std::vector<uint8_t> out(size);
  for (unsigned off = 0; off < size; off += 4) {
    // Raw, as pci-sysfs.c pci_read_config() reads it: a VF's IDs are 0xFFFF here.
    const uint32_t v = m_bus.cfg_read(dev.bus, dev.devfn, off, 4);
    for (unsigned b = 0; b < 4 && off + b < size; ++b) out[off + b] = static_cast<uint8_t>(v >> (8 * b));
  }
  return out;
}

}  // namespace iovsim::host
