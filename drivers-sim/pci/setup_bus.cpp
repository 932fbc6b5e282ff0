// Resource claiming and assignment after enumeration (arch/x86/pci/i386.c
// pcibios_resource_survey, drivers/pci/setup-bus.c, setup-res.c): firmware
// assignments are kept; what firmware left unassigned is fitted into free space
// of the bridge window above, or, with `pci=realloc`, every window is sized anew
// to hold all BARs including the SR-IOV VF BARs.
#include <fmt/format.h>

#include <functional>

#include "drivers-sim/pci/pci.h"
#include "models/pcie/pci_regs.h"
#include "platform/hal/pci_access.h"
#include "platform/hal/res_alloc.h"

namespace iovsim::host {

using namespace iovsim::pcie;
using namespace iovsim::hal;

namespace {
// The whole resource of IOV BAR i: VF BAR size x TotalVFs.
resource iov_total(const pci_dev& d, unsigned i) {
  resource r = d.iov_bars[i];
  r.size *= d.total_vfs;
  return r;
}

resource read_window(platform::host_bus& bus, const pci_dev& br, bool pref) {
  resource w;
  w.prefetchable = pref;
  if (!pref) {
    const uint64_t base = static_cast<uint64_t>(bus.cfg_read(br.bus, br.devfn, CFG_MEM_BASE, 2) & 0xfff0) << 16;
    const uint64_t limit = (static_cast<uint64_t>(bus.cfg_read(br.bus, br.devfn, CFG_MEM_LIMIT, 2) & 0xfff0) << 16) | 0xfffff;
    if (base < limit) w = {base, limit - base + 1, true, false, false, false};
    return w;
  }
  const uint64_t base = (static_cast<uint64_t>(bus.cfg_read(br.bus, br.devfn, CFG_PREF_BASE_UPPER, 4)) << 32) |
                        (static_cast<uint64_t>(bus.cfg_read(br.bus, br.devfn, CFG_PREF_BASE, 2) & 0xfff0) << 16);
  const uint64_t limit = (static_cast<uint64_t>(bus.cfg_read(br.bus, br.devfn, CFG_PREF_LIMIT_UPPER, 4)) << 32) |
                         (static_cast<uint64_t>(bus.cfg_read(br.bus, br.devfn, CFG_PREF_LIMIT, 2) & 0xfff0) << 16) |
                         0xfffff;
  if (base < limit) w = {base, limit - base + 1, true, true, true, false};
  return w;
}
}  // namespace

bool pci_core::fit_in_window(pci_dev& dev, resource& r, uint64_t align) {
  if (align == 0) align = r.size;
  if (!dev.bridge) return false;
  const pci_dev& br = *dev.bridge;
  const bool pref = r.is_64bit && r.prefetchable && br.pref_window.assigned;
  const resource& win = pref ? br.pref_window : br.mem_window;
  if (!win.assigned) return false;
  // Everything already assigned anywhere is in the way.
  std::vector<std::pair<uint64_t, uint64_t>> busy;
  for (const auto& [k, d] : m_devs) {
    for (const auto& b : d->bars)
      if (b.assigned && b.size) busy.emplace_back(b.start, b.start + b.size);
    for (unsigned i = 0; i < 6; ++i)
      if (d->iov_bars[i].assigned && d->iov_bars[i].size)
        busy.emplace_back(d->iov_bars[i].start, d->iov_bars[i].start + d->iov_bars[i].size * d->total_vfs);
  }
  uint64_t at = (win.start + align - 1) / align * align;
  for (bool moved = true; moved;) {
    moved = false;
    for (const auto& [lo, hi] : busy)
      if (at < hi && at + r.size > lo) {
        at = (hi + align - 1) / align * align;
        moved = true;
      }
  }
  if (at + r.size - 1 > win.end()) return false;
  r.start = at;
  r.assigned = true;
  return true;
}

void pci_core::claim_resources() {
  for (auto& [k, d] : m_devs)
    if (d->is_bridge) {
      d->mem_window = read_window(m_bus, *d, false);
      d->pref_window = read_window(m_bus, *d, true);
    }
  for (pci_dev* d : devices()) {
    if (d->is_bridge) continue;
    for (unsigned i = 0; i < 6; ++i) {
      resource& b = d->bars[i];
      if (!b.size || b.assigned || b.io) continue;
      if (fit_in_window(*d, b)) {
        write_bar(m_bus, d->bus, d->devfn, CFG_BAR0 + 4 * i, b);
        info(*d, fmt::format("BAR {}: assigned {}", i, format_resource(b)));
      } else {
        info(*d, fmt::format("BAR {}: no space for {}", i, format_resource(b)));
        info(*d, fmt::format("BAR {}: failed to assign {}", i, format_resource(b)));
      }
    }
    for (unsigned i = 0; i < 6; ++i) {
      resource total = iov_total(*d, i);
      if (!total.size || d->iov_bars[i].assigned) continue;
      const unsigned n = PCI_IOV_RESOURCES + i;
      if (fit_in_window(*d, total, d->iov_bars[i].size)) {
        d->iov_bars[i].start = total.start;
        d->iov_bars[i].assigned = true;
        write_bar(m_bus, d->bus, d->devfn, d->sriov_pos + SRIOV_BAR + 4 * i, d->iov_bars[i]);
        info(*d, fmt::format("BAR {}: assigned {}", n, format_resource(total)));
      } else {
        info(*d, fmt::format("BAR {}: no space for {}", n, format_resource(total)));
        info(*d, fmt::format("BAR {}: failed to assign {}", n, format_resource(total)));
      }
    }
  }
}

void pci_core::realloc_resources() {
  // Build the allocation tree from the enumerated hierarchy.
  struct slot {
    pci_dev* dev;
    int bar;  // 0-5 BAR, 7-12 IOV
  };
  std::vector<slot> slots;
  std::function<void(alloc_node&, unsigned)> build = [&](alloc_node& parent, unsigned busnr) {
    for (pci_dev* d : devices()) {
      if (d->bus != busnr || d->is_virtfn) continue;
      auto node = std::make_unique<alloc_node>();
      node->tag = static_cast<int>(slots.size());
      slots.push_back({d, -1});
      if (d->is_bridge) {
        node->is_bridge = true;
        build(*node, d->secondary);
      } else {
        auto req = [&](const resource& r, int bar, uint64_t align) {
          if (!r.size || r.io) return;
          alloc_request q;
          q.size = r.size;
          q.align = align;
          q.pref64 = r.is_64bit && r.prefetchable;
          q.tag = static_cast<int>(slots.size());
          slots.push_back({d, bar});
          node->requests.push_back(q);
        };
        for (unsigned i = 0; i < 6; ++i) req(d->bars[i], static_cast<int>(i), 0);
        for (unsigned i = 0; i < 6; ++i)
          req(iov_total(*d, i), PCI_IOV_RESOURCES + static_cast<int>(i), d->iov_bars[i].size);
      }
      parent.children.push_back(std::move(node));
    }
  };
  alloc_node root;
  root.is_bridge = true;
  build(root, 0);
  size_windows(root);
  const uint64_t mmio = m_windows.mmio_base;
  const uint64_t mmio64 = m_windows.mmio64_base;
  place(root, mmio, mmio64);
  std::function<void(alloc_node&)> apply = [&](alloc_node& n) {
    pci_dev* d = slots[static_cast<size_t>(n.tag)].dev;
    if (n.is_bridge && d) {
      write_bridge_windows(m_bus, d->bus, d->devfn, n.mem_base, n.mem_size, n.pref_base, n.pref_size);
      d->mem_window = {n.mem_base, n.mem_size, n.mem_size != 0, false, false, false};
      d->pref_window = {n.pref_base, n.pref_size, n.pref_size != 0, true, true, false};
      if (n.mem_size) info(*d, fmt::format("bridge window {}", format_resource(d->mem_window)));
      if (n.pref_size) info(*d, fmt::format("bridge window {}", format_resource(d->pref_window)));
    }
    for (const alloc_request& q : n.requests) {
      const slot& s = slots[static_cast<size_t>(q.tag)];
      if (s.bar < PCI_IOV_RESOURCES) {
        resource& b = s.dev->bars[static_cast<size_t>(s.bar)];
        b.start = q.assigned;
        b.assigned = true;
        write_bar(m_bus, s.dev->bus, s.dev->devfn, CFG_BAR0 + 4u * static_cast<unsigned>(s.bar), b);
        info(*s.dev, fmt::format("BAR {}: assigned {}", s.bar, format_resource(b)));
      } else {
        const unsigned i = static_cast<unsigned>(s.bar - PCI_IOV_RESOURCES);
        resource& b = s.dev->iov_bars[i];
        b.start = q.assigned;
        b.assigned = true;
        write_bar(m_bus, s.dev->bus, s.dev->devfn, s.dev->sriov_pos + SRIOV_BAR + 4 * i, b);
        info(*s.dev, fmt::format("BAR {}: assigned {}", s.bar, format_resource(iov_total(*s.dev, i))));
      }
    }
    for (auto& c : n.children) apply(*c);
  };
  for (auto& c : root.children) apply(*c);
}

}  // namespace iovsim::host
