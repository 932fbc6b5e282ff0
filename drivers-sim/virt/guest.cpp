#include "drivers-sim/virt/guest.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "drivers-sim/iommu/dmar.h"
#include "drivers-sim/kernel/page_alloc.h"
#include "models/kit/sim_env.h"
#include "models/pcie/pci_regs.h"

namespace iovsim::host {

namespace {
// QEMU q35's host bridge (hw/pci-host/q35.c: PCI_DEVICE_ID_INTEL_Q35_MCH 0x29c0).
constexpr uint32_t HOST_BRIDGE_ID = 0x29c08086;
constexpr uint32_t HOST_BRIDGE_CLASS = 0x06000002;  // host bridge, revision 2
// The guest's PCI hole: QEMU q35 puts 32-bit MMIO at 0xb0000000 and above (ECAM at
// 0xb0000000, BARs from 0xc0000000); 64-bit BARs above guest RAM.
constexpr uint64_t GUEST_MMIO32 = 0xc0000000, GUEST_MMIO64 = 0x8000000000;
constexpr uint16_t CMD_MEMORY = 0x2, CMD_MASTER = 0x4, CMD_INTX_DISABLE = 0x400;
constexpr uint16_t MSIX_ENABLE = 0x8000, MSIX_MASKALL = 0x4000;

// Hardware may only be touched (MMIO, IRTE updates: they wait) from a thread; a guest
// torn down with the simulation is not.
bool in_thread() {
  const sc_core::sc_process_handle h = sc_core::sc_get_current_process_handle();
  return h.valid() && h.proc_kind() == sc_core::SC_THREAD_PROC_ && sc_core::sc_get_status() == sc_core::SC_RUNNING;
}

uint32_t extract(uint32_t dword, unsigned reg, unsigned len) {
  const unsigned shift = (reg & 3) * 8;
  const uint32_t v = dword >> shift;
  return len >= 4 ? v : v & ((1u << (len * 8)) - 1);
}
}  // namespace

guest_board::guest_board(const config& c, platform::machine& host, irq_core& host_irq, intel_iommu* iommu,
                         page_allocator& host_pages, const virt_costs& costs, std::vector<guest_function> functions)
    : m_cfg(c),
      m_host(host),
      m_host_irq(host_irq),
      m_iommu(iommu),
      m_host_pages(host_pages),
      m_costs(costs),
      m_functions(std::move(functions)) {
  m_spec.set_kernel_cmdline(c.cmdline);
  m_spec.mutable_firmware()->set_mmio_base(std::max<uint64_t>(GUEST_MMIO32, (c.bytes + 0x3fffffff) & ~0x3fffffffull));
  m_spec.mutable_firmware()->set_mmio64_base(GUEST_MMIO64);
  platform::host_bus& hw = m_host.cpu();
  for (const guest_function& f : m_functions) {
    vdev d;
    d.fn = f;
    d.hbus = f.host->bus;
    d.hdevfn = f.host->devfn;
    // The BARs the kernel found (a VF's come from the PF's VF BARs): sizes and flags.
    for (unsigned i = 0; i < 6; ++i) {
      const resource& r = f.host->bars[i];
      if (!r.size) continue;
      d.bar_size[i] = r.size;
      d.bar_flags[i] = (r.is_64bit ? 0x4u : 0u) | (r.prefetchable ? 0x8u : 0u);
      if (r.is_64bit && i < 5) ++i;  // the upper half stays size 0
    }
    // The MSI-X capability: where the table lives.
    for (uint32_t pos = hw.cfg_read(d.hbus, d.hdevfn, 0x34, 1) & 0xfc; pos;) {
      const uint32_t hdr = hw.cfg_read(d.hbus, d.hdevfn, pos, 4);
      if ((hdr & 0xff) == pcie::CAP_ID_EXP) d.exp_cap = pos;
      if ((hdr & 0xff) == pcie::CAP_ID_MSIX) {
        d.msix_cap = pos;
        d.msix_entries = ((hdr >> 16) & 0x7ff) + 1;
        const uint32_t table = hw.cfg_read(d.hbus, d.hdevfn, pos + 4, 4);
        d.msix_bir = table & 7;
        d.msix_table = table & ~7u;
        d.table.resize(d.msix_entries);
      }
      pos = (hdr >> 8) & 0xfc;
    }
    // Extended capabilities: SR-IOV and ARI dropped (QEMU vfio_add_ext_cap: "Read-only
    // VF BARoffsets/strides" confuse guests; ARI needs next-function virtualisation).
    for (uint32_t pos = 0x100; pos;) {
      const uint32_t hdr = hw.cfg_read(d.hbus, d.hdevfn, pos, 4);
      if (hdr == 0 || hdr == 0xffffffff) break;
      const uint32_t next = hdr >> 20;
      const uint16_t id = hdr & 0xffff;
      if (id == pcie::ECAP_ID_SRIOV || id == pcie::ECAP_ID_ARI)
        d.ext_hidden.emplace_back(pos, next && next > pos ? next : 0x1000);
      else
        d.ext_kept.emplace_back(pos, hdr & 0xfffff);
      pos = next > pos ? next : 0;
    }
    m_devs.push_back(std::move(d));
  }
}

guest_board::~guest_board() {
  *m_alive = false;
  stop_posting();
  for (vdev& d : m_devs)
    for (unsigned e = 0; e < d.table.size(); ++e) unroute(d, e);
  if (m_pid) m_host_pages.free_page(m_pid);
}

void guest_board::reset_hardware() {
  for (vdev& d : m_devs) {
    for (unsigned e = 0; e < d.table.size(); ++e) unroute(d, e);
    d.table.assign(d.table.size(), msix_entry{});
    d.bar = {};
    d.command = 0;
    d.msix_enable = d.msix_mask = false;
  }
}

sc_core::sc_time guest_board::interrupt_overhead() const {
  return m_cfg.posted ? sc_core::SC_ZERO_TIME : m_costs.eoi_exit();
}

bool guest_board::exit(uint64_t& counter, const sc_core::sc_time& cost) {
  const std::shared_ptr<bool> alive = m_alive;
  ++counter;
  m_counters.host_cpu += cost;
  sc_core::wait(cost);
  return *alive;  // the VM may have been stopped meanwhile
}

guest_board::vdev* guest_board::find(unsigned bus, unsigned devfn) {
  if (bus != 0) return nullptr;
  for (vdev& d : m_devs)
    if (d.fn.devfn == devfn) return &d;
  return nullptr;
}

// ---- configuration space -------------------------------------------------------

uint32_t guest_board::cfg_read(unsigned bus, unsigned devfn, unsigned reg, unsigned len) {
  if (!exit(m_counters.exits_config, m_costs.config_exit())) return len >= 4 ? 0xffffffffu : (1u << (len * 8)) - 1;
  if (bus == 0 && devfn == 0) {
    // The emulated host bridge: IDs and class, nothing else.
    const unsigned off = reg & ~3u;
    const uint32_t v = off == 0 ? HOST_BRIDGE_ID : off == 8 ? HOST_BRIDGE_CLASS : 0;
    return extract(v, reg, len);
  }
  vdev* d = find(bus, devfn);
  if (!d || reg >= 0x1000) return len >= 4 ? 0xffffffffu : (1u << (len * 8)) - 1;
  return extract(read_dword(*d, reg & ~3u), reg, len);
}

uint64_t guest_board::guest_bar(const vdev& d, unsigned i) const {
  uint64_t a = d.bar[i] & ~0xfull;
  if (d.bar_flags[i] & 0x4) a |= static_cast<uint64_t>(d.bar[i + 1]) << 32;
  return a;
}

uint32_t guest_board::read_dword(vdev& d, unsigned off) {
  platform::host_bus& hw = m_host.cpu();
  const pci_dev& p = *d.fn.host;
  switch (off) {
    case 0x00:
      return static_cast<uint32_t>(p.device) << 16 | p.vendor;  // a VF's read 0xffff
    case 0x04: {
      // Status from the function (capabilities list bit), command virtual.
      const uint32_t hw_status = hw.cfg_read(d.hbus, d.hdevfn, 0x04, 4) & 0xffff0000u;
      return hw_status | d.command;
    }
    case 0x0c:
      return hw.cfg_read(d.hbus, d.hdevfn, 0x0c, 4) & ~0x00800000u;  // not multifunction here
    case 0x30:
      return 0;  // no ROM
    case 0x3c:
      return d.irq_line;  // INTx pin 0: MSI-X only
    default:
      break;
  }
  if (off >= 0x10 && off <= 0x24) {
    const unsigned i = (off - 0x10) / 4;
    if (d.bar_size[i]) return (d.bar[i] & ~static_cast<uint32_t>(d.bar_size[i] - 1) & ~0xfu) | d.bar_flags[i];
    if (i > 0 && (d.bar_flags[i - 1] & 0x4)) {
      const uint64_t mask = ~(d.bar_size[i - 1] - 1);
      return d.bar[i] & static_cast<uint32_t>(mask >> 32);
    }
    return 0;
  }
  if (d.exp_cap && off >= d.exp_cap && off < d.exp_cap + 0x3c) {
    // QEMU vfio_setup_pcie_cap(): on the root bus an Endpoint (type 0) becomes a Root
    // Complex Integrated Endpoint (type 9) and its link registers read 0.
    const unsigned rel = off - d.exp_cap;
    if (rel == 0x0c || rel == 0x10 || rel == 0x2c || rel == 0x30) return 0;   // LNKCAP, LNKCTL/STA, and the 2s
    const uint32_t v = hw.cfg_read(d.hbus, d.hdevfn, off, 4);
    if (rel == 0 && ((v >> 20) & 0xf) == 0) return (v & ~0x00f00000u) | 0x00900000u;
    return v;
  }
  if (d.msix_cap && off == d.msix_cap) {
    const uint32_t v = hw.cfg_read(d.hbus, d.hdevfn, off, 4) & 0x3fffffffu;
    return v | (d.msix_enable ? uint32_t{MSIX_ENABLE} << 16 : 0) | (d.msix_mask ? uint32_t{MSIX_MASKALL} << 16 : 0);
  }
  if (off >= 0x100) {
    for (const auto& [start, end] : d.ext_hidden)
      if (off >= start && off < end) {
        if (off != 0x100) return 0;
        // The chain must start at 0x100: a null capability pointing at the first kept one.
        uint32_t next = 0;
        for (const auto& [kpos, khdr] : d.ext_kept)
          if (kpos > 0x100) {
            next = kpos;
            break;
          }
        return next << 20;
      }
    for (size_t k = 0; k < d.ext_kept.size(); ++k)
      if (d.ext_kept[k].first == off) {
        const uint32_t next = k + 1 < d.ext_kept.size() ? d.ext_kept[k + 1].first : 0;
        return (d.ext_kept[k].second & 0xfffff) | next << 20;
      }
  }
  return hw.cfg_read(d.hbus, d.hdevfn, off, 4);
}

void guest_board::cfg_write(unsigned bus, unsigned devfn, unsigned reg, unsigned len, uint32_t value) {
  if (!exit(m_counters.exits_config, m_costs.config_exit())) return;
  vdev* d = find(bus, devfn);
  if (!d || reg >= 0x1000) return;  // the host bridge and empty slots ignore writes
  const unsigned shift = (reg & 3) * 8;
  const uint32_t mask = (len >= 4 ? 0xffffffffu : ((1u << (len * 8)) - 1)) << shift;
  write_dword(*d, reg & ~3u, value << shift, mask);
}

void guest_board::write_dword(vdev& d, unsigned off, uint32_t value, uint32_t mask) {
  platform::host_bus& hw = m_host.cpu();
  auto merge = [&](uint32_t old) { return (old & ~mask) | (value & mask); };
  if (off == 0x04) {
    if (!(mask & 0xffff)) return;  // status: write-1-to-clear bits are the function's
    d.command = static_cast<uint16_t>(merge(d.command) & 0x0547);
    // Decode stays on in the function (vfio enables it); bus mastering follows the guest.
    const uint32_t hw_cmd = (hw.cfg_read(d.hbus, d.hdevfn, 0x04, 2) & ~uint32_t{CMD_MASTER | CMD_INTX_DISABLE}) |
                            CMD_MEMORY | (d.command & CMD_MASTER) | CMD_INTX_DISABLE;
    hw.cfg_write(d.hbus, d.hdevfn, 0x04, 2, hw_cmd);
    return;
  }
  if (off >= 0x10 && off <= 0x24) {
    d.bar[(off - 0x10) / 4] = merge(d.bar[(off - 0x10) / 4]);
    return;
  }
  if (off == 0x3c) {
    d.irq_line = static_cast<uint8_t>(merge(d.irq_line));
    return;
  }
  if (off < 0x40 || off == 0x30) return;  // the rest of the header is read-only to the guest
  if (d.msix_cap && off == d.msix_cap) {
    if (!(mask & 0xffff0000u)) return;
    const uint32_t ctl =
        merge((d.msix_enable ? uint32_t{MSIX_ENABLE} << 16 : 0) | (d.msix_mask ? uint32_t{MSIX_MASKALL} << 16 : 0)) >>
        16;
    const bool was = d.msix_enable && !d.msix_mask;
    d.msix_enable = ctl & MSIX_ENABLE;
    d.msix_mask = ctl & MSIX_MASKALL;
    // vfio enables MSI-X in the function when the VMM sets up vectors (VFIO_DEVICE_SET_IRQS);
    // the function-wide mask stays virtual (entries are masked one by one instead).
    const uint32_t hw_ctl = hw.cfg_read(d.hbus, d.hdevfn, off + 2, 2);
    hw.cfg_write(d.hbus, d.hdevfn, off + 2, 2,
                 d.msix_enable ? (hw_ctl | MSIX_ENABLE) & ~uint32_t{MSIX_MASKALL} : hw_ctl & ~uint32_t{MSIX_ENABLE});
    if (was != (d.msix_enable && !d.msix_mask))
      for (unsigned e = 0; e < d.table.size(); ++e) update_route(d, e);
    return;
  }
  for (const auto& [start, end] : d.ext_hidden)
    if (off >= start && off < end) return;
  if (d.exp_cap) {
    const unsigned rel = off - d.exp_cap;
    if (off >= d.exp_cap && (rel == 0x10 || rel == 0x30)) return;   // link control: emulated, the link is not the guest's
  }
  // Everything else (PCIe device control, power management...) reaches the function.
  hw.cfg_write(d.hbus, d.hdevfn, off, 4, merge(hw.cfg_read(d.hbus, d.hdevfn, off, 4)));
}

// ---- MMIO --------------------------------------------------------------------------

bool guest_board::decode(uint64_t addr, vdev*& d, unsigned& bar, uint64_t& off) {
  for (vdev& v : m_devs) {
    if (!(v.command & CMD_MEMORY)) continue;
    for (unsigned i = 0; i < 6; ++i) {
      if (!v.bar_size[i]) continue;
      const uint64_t base = guest_bar(v, i);
      if (base && addr >= base && addr - base < v.bar_size[i]) {
        d = &v;
        bar = i;
        off = addr - base;
        return true;
      }
    }
  }
  return false;
}

bool guest_board::in_msix_table(const vdev& d, unsigned bar, uint64_t off) const {
  return d.msix_cap && bar == d.msix_bir && off >= d.msix_table && off < d.msix_table + 16ull * d.msix_entries;
}

uint64_t guest_board::mmio_read(uint64_t addr, unsigned len) {
  vdev* d = nullptr;
  unsigned bar = 0;
  uint64_t off = 0;
  if (!decode(addr, d, bar, off)) return len >= 8 ? ~0ull : (1ull << (len * 8)) - 1;  // nothing there
  if (in_msix_table(*d, bar, off)) {
    if (!exit(m_counters.exits_mmio, m_costs.mmio_exit())) return len >= 8 ? ~0ull : (1ull << (len * 8)) - 1;
    uint64_t v = msix_read(*d, off - d->msix_table);
    if (len == 8) v |= static_cast<uint64_t>(msix_read(*d, off - d->msix_table + 4)) << 32;
    return v;
  }
  return m_host.cpu().mmio_read(d->fn.host->bars[bar].start + off, len);
}

void guest_board::mmio_write(uint64_t addr, unsigned len, uint64_t value) {
  vdev* d = nullptr;
  unsigned bar = 0;
  uint64_t off = 0;
  if (!decode(addr, d, bar, off)) return;
  if (in_msix_table(*d, bar, off)) {
    if (!exit(m_counters.exits_mmio, m_costs.mmio_exit())) return;
    msix_write(*d, off - d->msix_table, static_cast<uint32_t>(value));
    if (len == 8) msix_write(*d, off - d->msix_table + 4, static_cast<uint32_t>(value >> 32));
    return;
  }
  m_host.cpu().mmio_write(d->fn.host->bars[bar].start + off, len, value);
}

// ---- memory -------------------------------------------------------------------------

void guest_board::mem_read(uint64_t addr, void* data, unsigned len) {
  if (addr + len < addr || addr + len > m_cfg.bytes) {
    std::memset(data, 0xff, len);  // no RAM there (the guest kernel never asks)
    return;
  }
  m_host.cpu().mem_read(m_cfg.hpa + addr, data, len);
}

void guest_board::mem_write(uint64_t addr, const void* data, unsigned len) {
  if (addr + len < addr || addr + len > m_cfg.bytes) return;
  m_host.cpu().mem_write(m_cfg.hpa + addr, data, len);
}

// ---- MSI-X emulation and interrupt delivery -------------------------------------------

uint32_t guest_board::msix_read(vdev& d, uint64_t off) {
  const msix_entry& e = d.table[off / 16];
  switch ((off % 16) / 4) {
    case 0:
      return e.addr_lo;
    case 1:
      return e.addr_hi;
    case 2:
      return e.data;
    default:
      return e.ctrl;
  }
}

void guest_board::msix_write(vdev& d, uint64_t off, uint32_t value) {
  const unsigned i = static_cast<unsigned>(off / 16);
  msix_entry& e = d.table[i];
  switch ((off % 16) / 4) {
    case 0:
      e.addr_lo = value;
      break;
    case 1:
      e.addr_hi = value;
      break;
    case 2:
      e.data = value;
      break;
    default:
      e.ctrl = value & 1;
      break;
  }
  update_route(d, i);
}

void guest_board::write_hw_entry(vdev& d, unsigned entry, uint64_t addr, uint32_t data, bool masked) {
  platform::host_bus& hw = m_host.cpu();
  const uint64_t base = d.fn.host->bars[d.msix_bir].start + d.msix_table + 16ull * entry;
  hw.mmio_write(base + 12, 4, 1);  // mask while the entry changes (PCI spec 6.8.2.9)
  hw.mmio_write(base, 4, static_cast<uint32_t>(addr));
  hw.mmio_write(base + 4, 4, static_cast<uint32_t>(addr >> 32));
  hw.mmio_write(base + 8, 4, data);
  if (!masked) hw.mmio_write(base + 12, 4, 0);
}

void guest_board::update_route(vdev& d, unsigned i) {
  msix_entry& e = d.table[i];
  const bool live = d.msix_enable && !d.msix_mask && !(e.ctrl & 1);
  if (!live) {
    if (e.routed) write_hw_entry(d, i, 0, 0, true);
    e.routed = false;
    return;
  }
  // The guest's address stays virtual: the host's vector (or IRTE) is what the function sends.
  if (m_cfg.posted && route_posted(d, i, e.data)) return;
  if (!e.host_vector) {
    // vfio_msi_set_vector_signal(): a host vector per entry, its handler signals the
    // irqfd. The handler reads the entry when it runs: the guest may reprogram it.
    auto alive = m_alive;
    const std::string name = fmt::format("vfio-msix[{}]({})", i, d.fn.host->bdf());
    vdev* dp = &d;
    e.host_vector = m_host_irq.request_irq(name, [this, alive, dp, i] {
      if (!*alive) return;
      const msix_entry& cur = dp->table[i];
      inject(static_cast<uint64_t>(cur.addr_hi) << 32 | cur.addr_lo, cur.data);
    });
    if (!e.host_vector) return;  // no host vector left: the entry stays masked
  }
  write_hw_entry(d, i, irq_core::MSI_ADDRESS, e.host_vector, false);
  e.routed = true;
}

void guest_board::unroute(vdev& d, unsigned i) {
  msix_entry& e = d.table[i];
  const bool hw = in_thread();
  if (e.routed && hw) write_hw_entry(d, i, 0, 0, true);
  e.routed = false;
  if (e.host_vector) m_host_irq.free_irq(e.host_vector);
  e.host_vector = 0;
  if (hw) unroute_posted(d, i);
  else e.irte = -1;
}

// Runs in the host vector's thread after the host's interrupt entry: KVM's irqfd
// injects the vector, the vCPU (exited for the host interrupt) enters with it.
// The board may go (vm stop) while this thread waits: `alive` is checked after every
// wait, before anything of the board is touched again.
void guest_board::inject(uint64_t addr, uint32_t data) {
  const std::shared_ptr<bool> alive = m_alive;
  ++m_counters.injected;
  sc_core::wait(m_costs.irqfd_inject());   // host CPU: counted in the vfio handler's time
  if (!*alive || !wake_vcpu()) return;
  // The vCPU's external-interrupt exit and its entry with the event (the interrupt
  // that exited it was the host's); then the guest's EOI traps.
  ++m_counters.exits_external;
  sc_core::wait(m_costs.exit_entry());
  if (!*alive) return;
  ++m_counters.exits_eoi;
  m_counters.host_cpu += m_costs.eoi_exit();
  if (m_msi) m_msi(addr, data);
}

bool guest_board::wake_vcpu() {
  const std::shared_ptr<bool> alive = m_alive;
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  const bool asleep = m_counters.injected + m_counters.posted <= 1 || now - m_vcpu_active > m_costs.halt_poll();
  if (asleep) {
    ++m_counters.wakeups;
    m_counters.host_cpu += m_costs.halt_wakeup();
    sc_core::wait(m_costs.halt_wakeup());
    if (!*alive) return false;
  }
  m_vcpu_active = sc_core::sc_time_stamp();
  return true;
}

void guest_board::reset_counters() {
  m_counters = guest_counters{};
  m_host_irq_base = sc_core::SC_ZERO_TIME;
  m_host_irq_base = host_irq_time();
}

sc_core::sc_time guest_board::host_irq_time() const {
  sc_core::sc_time t;
  for (const irq_core::irq_info& i : m_host_irq.irqs())
    for (const vdev& d : m_devs)
      if (i.name.find("(" + d.fn.host->bdf() + ")") != std::string::npos && i.name.rfind("vfio-msix", 0) == 0)
        t += i.busy;
  // Host irq counts restart with `cpu stats --reset` too: never below zero.
  return t > m_host_irq_base ? t - m_host_irq_base : sc_core::SC_ZERO_TIME;
}

}  // namespace iovsim::host
