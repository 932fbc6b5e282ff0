#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <systemc>

#include "drivers-sim/pci/pci.h"
#include "models/pcie/pci_regs.h"
#include "platform/hal/pci_access.h"

namespace iovsim::host {

using namespace iovsim::pcie;
using namespace iovsim::hal;

pci_core::pci_core(platform::host_bus& bus, const kernel_params& params, kernel_log& log)
    : m_bus(bus), m_params(params), m_log(log) {}

void pci_core::info(const pci_dev& dev, const std::string& text) { m_log.print("pci " + dev.bdf() + ": " + text); }

pci_dev* pci_core::add(std::unique_ptr<pci_dev> dev) {
  const uint64_t k = key(dev->domain, dev->bus, dev->devfn);
  return m_devs.emplace(k, std::move(dev))->second.get();
}

std::vector<pci_dev*> pci_core::devices() const {
  std::vector<pci_dev*> out;
  out.reserve(m_devs.size());
  for (const auto& [k, d] : m_devs) out.push_back(d.get());
  return out;
}

pci_dev* pci_core::find(unsigned bus, unsigned devfn) const {
  // In any domain, the lowest first.
  for (auto it = m_devs.begin(); it != m_devs.end();) {
    const unsigned domain = it->second->domain;
    auto hit = m_devs.lower_bound(key(domain, bus, devfn));
    if (hit != m_devs.end() && hit->first == key(domain, bus, devfn)) return hit->second.get();
    it = m_devs.lower_bound(key(domain + 1, 0, 0));
  }
  return nullptr;
}

pci_dev* pci_core::find(const std::string& bdf) const {
  // Exactly what bdf() ("0000:03:00.1") or short_bdf() ("03:00.1") prints.
  unsigned domain = 0, bus = 0, dev = 0, fn = 0;
  char tail = 0;
  const bool full = std::sscanf(bdf.c_str(), "%4x:%2x:%2x.%1u%c", &domain, &bus, &dev, &fn, &tail) == 4;
  if (!full && std::sscanf(bdf.c_str(), "%2x:%2x.%1u%c", &bus, &dev, &fn, &tail) != 3) return nullptr;
  if (dev > 31 || fn > 7) return nullptr;
  pci_dev* d = full ? nullptr : find(bus, dev << 3 | fn);
  if (full) {
    auto it = m_devs.lower_bound(key(domain, bus, dev << 3 | fn));
    if (it != m_devs.end() && it->first == key(domain, bus, dev << 3 | fn)) d = it->second.get();
  }
  return d && (full ? d->bdf() : d->short_bdf()) == bdf ? d : nullptr;
}

// --------------------------------------------------------------------------
// Enumeration (probe.c pci_scan_child_bus_extend).

void pci_core::scan() {
  m_log.print(fmt::format("PCI host bridge to bus 0000:00"));
  scan_bus(0, nullptr);
  if (m_params.realloc) realloc_resources();
  else claim_resources();
  if (on_enumerated) on_enumerated();
  for (pci_dev* d : devices())
    if (on_add) on_add(*d);
}

unsigned pci_core::scan_bus(unsigned busnr, pci_dev* bridge) {
  unsigned max = busnr;
  std::vector<pci_dev*> found;
  for (unsigned devfn = 0; devfn < 256; devfn += 8) {
    // Below a PCIe root or downstream port the link holds device 0 only (probe.c
    // only_one_child) — unless ARI forwarding is on, when function numbers are 8 bits.
    const bool one_child = bridge && bridge->exp_pos &&
                           (bridge->exp_type == static_cast<unsigned>(port_type::root_port) ||
                            bridge->exp_type == static_cast<unsigned>(port_type::downstream));
    if (one_child && devfn > 0) break;
    pci_dev* dev = scan_device(busnr, devfn, bridge);
    if (!dev) continue;
    found.push_back(dev);
    // Further functions: with ARI, follow the ARI capability's next-function
    // chain (probe.c next_ari_fn); otherwise functions 1-7 of a multi-function device.
    if (bridge && bridge->ari_enabled && dev->ari_pos) {
      unsigned fn = (m_bus.cfg_read(busnr, devfn, dev->ari_pos + 4, 2) >> 8) & 0xff;
      for (int guard = 0; fn != 0 && guard < 256; ++guard) {
        pci_dev* next = scan_device(busnr, fn, bridge);
        if (!next) break;
        found.push_back(next);
        fn = next->ari_pos ? (m_bus.cfg_read(busnr, fn, next->ari_pos + 4, 2) >> 8) & 0xff : 0;
      }
      if (one_child) break;
    } else if (dev->multifunction) {
      for (unsigned fn = 1; fn < 8; ++fn)
        if (pci_dev* f = scan_device(busnr, devfn | fn, bridge)) found.push_back(f);
    }
  }
  // Reserve the bus numbers VFs of devices on this bus may use (iov.c pci_iov_bus_range).
  max += iov_bus_range(busnr);
  for (pci_dev* dev : found) {
    if (!dev->is_bridge) continue;
    unsigned sec = m_bus.cfg_read(busnr, dev->devfn, CFG_SECONDARY_BUS, 1);
    unsigned sub = m_bus.cfg_read(busnr, dev->devfn, CFG_SUBORDINATE_BUS, 1);
    if (!m_params.assign_busses && sec != 0) {
      // Keep what firmware set up (pci_scan_bridge pass 0).
      dev->secondary = sec;
      dev->subordinate = sub;
      info(*dev, fmt::format("PCI bridge to {}", format_bus_range(sec, sub)));
      scan_bus(sec, dev);
      max = std::max(max, sub);
    } else {
      // Number the bus ourselves (pass 1): subordinate 0xff while scanning below.
      sec = max + 1;
      m_bus.cfg_write(busnr, dev->devfn, CFG_PRIMARY_BUS, 1, busnr);
      m_bus.cfg_write(busnr, dev->devfn, CFG_SECONDARY_BUS, 1, sec);
      m_bus.cfg_write(busnr, dev->devfn, CFG_SUBORDINATE_BUS, 1, 0xff);
      dev->secondary = sec;
      dev->subordinate = 0xff;
      max = scan_bus(sec, dev);
      m_bus.cfg_write(busnr, dev->devfn, CFG_SUBORDINATE_BUS, 1, max);
      dev->subordinate = max;
      info(*dev, fmt::format("PCI bridge to {}", format_bus_range(sec, max)));
    }
  }
  return max;
}

pci_dev* pci_core::scan_device(unsigned busnr, unsigned devfn, pci_dev* bridge) {
  const uint32_t id = m_bus.cfg_read(busnr, devfn, CFG_VENDOR_ID, 4);
  if (id == 0xffffffff || id == 0 || (id & 0xffff) == 0xffff || (id >> 16) == 0xffff) return nullptr;
  auto d = std::make_unique<pci_dev>();
  d->bus = busnr;
  d->devfn = devfn;
  d->bridge = bridge;
  d->vendor = id & 0xffff;
  d->device = id >> 16;
  const uint32_t class_rev = m_bus.cfg_read(busnr, devfn, CFG_REVISION, 4);
  d->revision = class_rev & 0xff;
  d->class_code = class_rev >> 8;
  const unsigned hdr = m_bus.cfg_read(busnr, devfn, CFG_HEADER_TYPE, 1);
  d->hdr_type = hdr & 0x7f;
  d->multifunction = hdr & 0x80;
  d->is_bridge = d->hdr_type == 1;
  if (!d->is_bridge) {
    d->subsys_vendor = static_cast<uint16_t>(m_bus.cfg_read(busnr, devfn, CFG_SUBSYS_VENDOR, 2));
    d->subsys_device = static_cast<uint16_t>(m_bus.cfg_read(busnr, devfn, CFG_SUBSYS_ID, 2));
  }
  d->exp_pos = find_capability(m_bus, busnr, devfn, CAP_ID_EXP);
  if (d->exp_pos) d->exp_type = (m_bus.cfg_read(busnr, devfn, d->exp_pos + EXP_FLAGS, 2) >> 4) & 0xf;
  pci_dev* dev = add(std::move(d));
  info(*dev, fmt::format("[{:04x}:{:04x}] type {:02x} class 0x{:06x}", dev->vendor, dev->device, dev->hdr_type,
                         dev->class_code));
  if (!dev->is_bridge) read_bases(*dev);
  // pci_init_capabilities: ARI, then SR-IOV.
  if (dev->exp_pos) {
    dev->ari_pos = find_ext_capability(m_bus, busnr, devfn, ECAP_ID_ARI);
    configure_ari(*dev);
    dev->sriov_pos = find_ext_capability(m_bus, busnr, devfn, ECAP_ID_SRIOV);
    if (dev->sriov_pos) sriov_init(*dev);
  }
  return dev;
}

void pci_core::read_bases(pci_dev& dev) {
  for (unsigned i = 0; i < 6; ++i) {
    bool two = false;
    resource r = read_bar(m_bus, dev.bus, dev.devfn, CFG_BAR0 + 4 * i, two);
    dev.bars[i] = r;
    if (r.size) info(dev, fmt::format("reg 0x{:x}: {}", CFG_BAR0 + 4 * i, format_resource(r)));
    if (two) ++i;
  }
}

// pci.c pci_configure_ari: enable ARI forwarding in the bridge above function 0 of
// a device with an ARI capability, when the bridge supports it and pci=noari is absent.
void pci_core::configure_ari(pci_dev& dev) {
  if (m_params.noari || dev.devfn != 0 || !dev.bridge || !dev.bridge->exp_pos) return;
  pci_dev& br = *dev.bridge;
  const uint32_t cap2 = m_bus.cfg_read(br.bus, br.devfn, br.exp_pos + EXP_DEVCAP2, 4);
  if (!(cap2 & EXP_DEVCAP2_ARI)) return;
  uint32_t ctl2 = m_bus.cfg_read(br.bus, br.devfn, br.exp_pos + EXP_DEVCTL2, 2);
  if (dev.ari_pos) {
    ctl2 |= EXP_DEVCTL2_ARI;
    br.ari_enabled = true;
  } else {
    ctl2 &= ~static_cast<uint32_t>(EXP_DEVCTL2_ARI);
    br.ari_enabled = false;
  }
  m_bus.cfg_write(br.bus, br.devfn, br.exp_pos + EXP_DEVCTL2, 2, ctl2);
}

void pci_core::set_numvfs(pci_dev& pf, unsigned n) {
  m_bus.cfg_write(pf.bus, pf.devfn, pf.sriov_pos + SRIOV_NUM_VF, 2, n);
  pf.vf_offset = static_cast<uint16_t>(m_bus.cfg_read(pf.bus, pf.devfn, pf.sriov_pos + SRIOV_VF_OFFSET, 2));
  pf.vf_stride = static_cast<uint16_t>(m_bus.cfg_read(pf.bus, pf.devfn, pf.sriov_pos + SRIOV_VF_STRIDE, 2));
}

// iov.c sriov_init: ARI Capable Hierarchy, page size, VF BARs and the bus range
// the VFs can reach at any NumVFs (compute_max_vf_buses).
void pci_core::sriov_init(pci_dev& dev) {
  const uint32_t pos = dev.sriov_pos;
  uint16_t ctrl = 0;
  // ARI Capable Hierarchy is set only in the first PF found on the bus, and only
  // when the bridge above forwards ARI (iov.c sriov_init: a bus that already holds a
  // PF keeps its setting; the bit in the lowest-numbered PF governs all of them).
  bool first_pf = true;
  for (const auto& [k, d] : m_devs)
    if (d.get() != &dev && d->bus == dev.bus && d->sriov_pos && !d->is_virtfn) first_pf = false;
  if (first_pf && dev.bridge && dev.bridge->ari_enabled) ctrl |= SRIOV_CTRL_ARI;
  m_bus.cfg_write(dev.bus, dev.devfn, pos + SRIOV_CTRL, 2, ctrl);
  dev.sriov_ctrl = ctrl;
  dev.total_vfs = static_cast<uint16_t>(m_bus.cfg_read(dev.bus, dev.devfn, pos + SRIOV_TOTAL_VF, 2));
  dev.initial_vfs = static_cast<uint16_t>(m_bus.cfg_read(dev.bus, dev.devfn, pos + SRIOV_INITIAL_VF, 2));
  dev.vf_device = static_cast<uint16_t>(m_bus.cfg_read(dev.bus, dev.devfn, pos + SRIOV_VF_DID, 2));
  if (!dev.total_vfs) return;
  // System page size: the smallest supported size >= PAGE_SIZE (4 KiB): bit 0.
  m_bus.cfg_write(dev.bus, dev.devfn, pos + SRIOV_SYS_PGSIZE, 4, 1);
  for (unsigned i = 0; i < 6; ++i) {
    bool two = false;
    resource r = read_bar(m_bus, dev.bus, dev.devfn, pos + SRIOV_BAR + 4 * i, two);
    dev.iov_bars[i] = r;
    if (r.size) {
      resource all = r;
      all.size = r.size * dev.total_vfs;
      info(dev, fmt::format("VF(n) BAR{} space: {} (contains BAR{} for {} VFs)", i, format_resource(all), i,
                            dev.total_vfs));
    }
    if (two) ++i;
  }
  unsigned max = 0;
  for (unsigned nr = dev.total_vfs; nr > 0; --nr) {
    set_numvfs(dev, nr);
    max = std::max(max, virtfn_bus(dev.bus, dev.devfn, dev.vf_offset, dev.vf_stride, nr - 1));
  }
  dev.max_vf_buses = max;
  set_numvfs(dev, 0);
}

unsigned pci_core::iov_bus_range(unsigned busnr) const {
  unsigned max = 0;
  for (const auto& [k, d] : m_devs)
    if (d->bus == busnr && d->sriov_pos && !d->is_virtfn && d->max_vf_buses > max) max = d->max_vf_buses;
  return max > busnr ? max - busnr : 0;
}

unsigned pci_core::bus_end(const pci_dev& dev) const { return dev.bridge ? dev.bridge->subordinate : 0xff; }

}  // namespace iovsim::host
