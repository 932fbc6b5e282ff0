#include "firmware/bios.h"

#include <fmt/format.h>

#include <functional>
#include <map>

#include "models/pcie/pci_regs.h"
#include "platform/hal/pci_access.h"
#include "platform/hal/res_alloc.h"

namespace iovsim::fw {

using namespace iovsim::pcie;
using namespace iovsim::hal;

namespace {

struct bios {
  platform::host_bus& bus;
  const bios_options& fw;
  bios_summary summary;
  // Where to write each assigned request back: (bus, devfn, register offset, 64-bit).
  struct bar_slot {
    unsigned busnr, devfn, reg;
    bool is64;
  };
  std::vector<bar_slot> slots;
  struct bridge_slot {
    unsigned busnr, devfn;
    alloc_node* node;
  };
  std::vector<bridge_slot> bridges;
  // Every PCIe function with the hierarchy (the bus-0 device) it sits in, for MPS.
  struct pcie_function {
    unsigned busnr, devfn, exp, hierarchy;
  };
  std::vector<pcie_function> pcie_functions;

  void add_request(alloc_node& node, uint64_t size, bool pref64, unsigned busnr, unsigned devfn, unsigned reg,
                   bool is64, uint64_t align = 0) {
    alloc_request r;
    r.size = size;
    r.align = align;
    r.pref64 = pref64;
    r.tag = static_cast<int>(slots.size());
    node.requests.push_back(r);
    slots.push_back({busnr, devfn, reg, is64});
  }

  // The highest bus offset the VFs of this PF can reach at TotalVFs, computed the
  // way Linux does (iov.c compute_max_vf_buses) but without ARI, the worst case.
  unsigned vf_bus_need(unsigned busnr, unsigned devfn, uint32_t sriov) {
    const unsigned total = bus.cfg_read(busnr, devfn, sriov + SRIOV_TOTAL_VF, 2);
    if (total == 0) return 0;
    bus.cfg_write(busnr, devfn, sriov + SRIOV_NUM_VF, 2, total);
    const unsigned offset = bus.cfg_read(busnr, devfn, sriov + SRIOV_VF_OFFSET, 2);
    const unsigned stride = bus.cfg_read(busnr, devfn, sriov + SRIOV_VF_STRIDE, 2);
    bus.cfg_write(busnr, devfn, sriov + SRIOV_NUM_VF, 2, 0);
    return (devfn + offset + stride * (total - 1)) >> 8;
  }

  void endpoint_resources(alloc_node& fn_node, unsigned busnr, unsigned devfn, unsigned& vf_buses) {
    for (unsigned i = 0; i < 6; ++i) {
      bool two = false;
      const resource r = read_bar(bus, busnr, devfn, CFG_BAR0 + 4 * i, two);
      if (r.size && !r.io) add_request(fn_node, r.size, r.is_64bit && r.prefetchable, busnr, devfn, CFG_BAR0 + 4 * i, r.is_64bit);
      if (two) ++i;
    }
    const uint32_t sriov = find_ext_capability(bus, busnr, devfn, ECAP_ID_SRIOV);
    if (!sriov) return;
    vf_buses = std::max(vf_buses, vf_bus_need(busnr, devfn, sriov));
    const unsigned total = bus.cfg_read(busnr, devfn, sriov + SRIOV_TOTAL_VF, 2);
    for (unsigned i = 0; i < 6; ++i) {
      bool two = false;
      const resource r = read_bar(bus, busnr, devfn, sriov + SRIOV_BAR + 4 * i, two);
      if (r.size) {
        if (fw.assign_iov_bars)
          add_request(fn_node, r.size * total, r.is_64bit && r.prefetchable, busnr, devfn, sriov + SRIOV_BAR + 4 * i,
                      r.is_64bit, r.size);
        else
          ++summary.iov_bars_left;
      }
      if (two) ++i;
    }
  }

  // Legacy INTx routing: the I/O APIC's PCI inputs are GSIs 16-23; pins rotate with
  // the device number (the PCI-to-PCI bridge swizzle), as ACPI _PRT tables do.
  void route_interrupt(unsigned busnr, unsigned devfn) {
    const unsigned pin = bus.cfg_read(busnr, devfn, CFG_INT_PIN, 1);
    if (pin == 0 || pin > 4) return;
    bus.cfg_write(busnr, devfn, CFG_INT_LINE, 1, 16 + ((devfn >> 3) + busnr + pin - 1) % 8);
  }

  // Depth-first numbering of the bus below a bridge (or the root bus); returns the
  // highest bus number used and collects the VF bus needs of its endpoints.
  unsigned scan_child(unsigned busnr, alloc_node& bridge_node, unsigned max, unsigned& vf_buses,
                      unsigned hierarchy = 0) {
    for (unsigned dev = 0; dev < 32; ++dev) {
      bool multi = false;
      for (unsigned fn = 0; fn < 8; ++fn) {
        if (fn > 0 && !multi) break;
        const unsigned devfn = dev << 3 | fn;
        const uint32_t id = bus.cfg_read(busnr, devfn, CFG_VENDOR_ID, 4);
        if (id == 0xffffffff || id == 0) {
          if (fn == 0) break;
          continue;
        }
        ++summary.functions;
        const unsigned here = busnr == 0 ? devfn : hierarchy;
        if (const uint32_t exp = find_capability(bus, busnr, devfn, CAP_ID_EXP))
          pcie_functions.push_back({busnr, devfn, exp, here});
        const unsigned hdr = bus.cfg_read(busnr, devfn, CFG_HEADER_TYPE, 1);
        if (fn == 0) multi = hdr & 0x80;
        auto node = std::make_unique<alloc_node>();
        if ((hdr & 0x7f) == 1) {
          node->is_bridge = true;
          const unsigned sec = max + 1;
          bus.cfg_write(busnr, devfn, CFG_PRIMARY_BUS, 1, busnr);
          bus.cfg_write(busnr, devfn, CFG_SECONDARY_BUS, 1, sec);
          bus.cfg_write(busnr, devfn, CFG_SUBORDINATE_BUS, 1, 0xff);
          unsigned below = 0;
          max = scan_child(sec, *node, sec, below, here);
          if (fw.reserve_vf_buses) max = std::max(max, sec + below);
          bus.cfg_write(busnr, devfn, CFG_SUBORDINATE_BUS, 1, max);
          bridges.push_back({busnr, devfn, node.get()});
        } else {
          endpoint_resources(*node, busnr, devfn, vf_buses);
          route_interrupt(busnr, devfn);
        }
        bridge_node.children.push_back(std::move(node));
      }
    }
    return max;
  }

  // Max_Payload_Size: one value per hierarchy below a root port, the largest every
  // function in it supports (DevCap [2:0]), as firmware aligns it (EDK2 PciBusDxe's
  // PCIe feature support: "aligns the value for the entire PCI hierarchy starting from
  // its physical PCI Root port"). Linux keeps it (probe.c pci_configure_mps() only
  // acts where a device and its bridge differ). VFs' MPS is RsvdP; they are not here.
  void align_max_payload() {
    std::map<unsigned, unsigned> mpss;  // hierarchy -> least DevCap MPS field
    for (const pcie_function& f : pcie_functions) {
      const unsigned field = bus.cfg_read(f.busnr, f.devfn, f.exp + EXP_DEVCAP, 4) & 7;
      auto [it, added] = mpss.try_emplace(f.hierarchy, field);
      if (!added) it->second = std::min(it->second, field);
    }
    for (const pcie_function& f : pcie_functions) {
      const uint32_t ctl = bus.cfg_read(f.busnr, f.devfn, f.exp + EXP_DEVCTL, 2);
      const uint32_t now = (ctl & ~0xe0u) | mpss[f.hierarchy] << 5;
      if (now != ctl) bus.cfg_write(f.busnr, f.devfn, f.exp + EXP_DEVCTL, 2, now);
    }
  }
};

}  // namespace

bios_summary run_bios(hal& hw, const bios_options& options) {
  platform::host_bus& bus = hw.bus();
  bios b{bus, options, {}, {}, {}};
  alloc_node root;
  root.is_bridge = true;
  unsigned root_vf_buses = 0;
  b.summary.last_bus = b.scan_child(0, root, 0, root_vf_buses);
  b.align_max_payload();
  size_windows(root);
  b.summary.mmio_base = options.mmio_base;
  b.summary.mmio64_base = options.mmio64_base;
  place(root, options.mmio_base, options.mmio64_base);
  // Program BARs, then windows, then let bridges forward.
  std::function<void(alloc_node&)> program = [&](alloc_node& n) {
    for (const alloc_request& r : n.requests) {
      const auto& s = b.slots[static_cast<size_t>(r.tag)];
      resource res;
      res.start = r.assigned;
      res.is_64bit = s.is64;
      write_bar(bus, s.busnr, s.devfn, s.reg, res);
      ++b.summary.bars_assigned;
    }
    for (auto& c : n.children) program(*c);
  };
  program(root);
  for (const auto& br : b.bridges) {
    write_bridge_windows(bus, br.busnr, br.devfn, br.node->mem_base, br.node->mem_size, br.node->pref_base,
                         br.node->pref_size);
    bus.cfg_write(br.busnr, br.devfn, CFG_COMMAND, 2, COMMAND_MEMORY | COMMAND_MASTER);
  }
  hw.log("host.bios", fmt::format("PCI init: {} functions, buses 00-{:02x}, {} BARs assigned, {} VF BARs left unassigned",
                                          b.summary.functions, b.summary.last_bus, b.summary.bars_assigned,
                                          b.summary.iov_bars_left));
  return b.summary;
}

}  // namespace iovsim::fw
