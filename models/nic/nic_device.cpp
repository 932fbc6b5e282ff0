#include "models/nic/nic_device.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "models/kit/sim_env.h"
#include "models/nic/nic_regs.h"
#include "models/pcie/pci_regs.h"

namespace iovsim::nic {

namespace {
constexpr uint32_t MSIX_ENTRY_BYTES = 16, MSIX_PBA_OFFSET = 0x2000;
constexpr uint16_t MSIX_CTRL_ENABLE = 0x8000, MSIX_CTRL_MASKALL = 0x4000;  // PCI spec 6.8.2.3
constexpr uint32_t MSIX_VECTOR_MASKED = 0x1;                               // vector control bit 0

// The last implemented BAR from `from` up (where sriov.cpp puts the MSI-X table), or -1.
template <typename BarOf>
int last_bar(BarOf bar_of, int from) {
  for (int i = 5; i >= from; --i)
    if (bar_of(i).size) return i;
  return -1;
}
}  // namespace

nic_device::nic_device(sc_core::sc_module_name name, const pb::DeviceProfile& profile) : endpoint(name, profile) {
  for (unsigned p = 0; p < pfs().size(); ++p) {
    pcie::physical_function& pf = *pfs()[p];
    auto prt = std::make_unique<port>();
    nic_core::config cfg;
    cfg.queues = 128;
    cfg.queues_per_pool = 2;
    cfg.max_vfs = profile.has_sriov() ? std::min(profile.sriov().total_vfs(), 63u) : 0;
    cfg.rar_entries = profile.mac_filters() ? std::min(profile.mac_filters(), 128u) : 128;
    cfg.mac = profile.mac_base() + p;
    prt->core = std::make_unique<nic_core>(
        fmt::format("port{}", p).c_str(), cfg, dma, [this, p](unsigned fn) { return requester_id(p, fn); },
        [this, p](unsigned fn, unsigned vector) { fire(p, fn, vector); });
    prt->pf_msix_bar = profile.msix_vectors() ? last_bar([&pf](int i) { return pf.bar(i); }, 1) : -1;
    prt->pf_table.entries.assign(size_t{MSIX_ENTRY_BYTES} * std::max(1u, profile.msix_vectors()), 0);
    if (profile.has_sriov()) {
      prt->vf_msix_bar = last_bar([&pf](int i) { return pf.vf_bars()[static_cast<size_t>(i)]; }, 0);
      const unsigned vectors = profile.sriov().vf_msix_vectors() ? profile.sriov().vf_msix_vectors() : 3;
      prt->vf_tables.resize(profile.sriov().total_vfs());
      for (msix_table& t : prt->vf_tables) t.entries.assign(size_t{MSIX_ENTRY_BYTES} * vectors, 0);
    }
    m_ports.push_back(std::move(prt));
  }
  reset();
}

void nic_device::reset() {
  endpoint::reset();
  for (auto& p : m_ports) {
    p->core->set_num_vfs(0);
    p->core->reset();
    // Vector control resets to masked (PCI spec 6.8.2.9), addresses and data to 0.
    auto clear = [](msix_table& t) {
      std::fill(t.entries.begin(), t.entries.end(), 0);
      for (size_t e = 0; e < t.entries.size(); e += MSIX_ENTRY_BYTES) t.entries[e + 12] = MSIX_VECTOR_MASKED;
      t.pending = 0;
    };
    clear(p->pf_table);
    for (msix_table& t : p->vf_tables) clear(t);
  }
}

uint16_t nic_device::requester_id(unsigned port, unsigned fn) {
  pcie::physical_function& pf = *pfs()[port];
  const unsigned rel = fn == 0 ? pf.function_number()
                               : (fn - 1 < pf.vfs().size() ? pf.vfs()[fn - 1]->routing_offset() : pf.function_number());
  return static_cast<uint16_t>((captured_bus() << 8) + rel);
}

pcie::pci_function* nic_device::function(unsigned port, unsigned fn) {
  pcie::physical_function& pf = *pfs()[port];
  if (fn == 0) return &pf;
  return fn - 1 < pf.vfs().size() ? pf.vfs()[fn - 1].get() : nullptr;
}

nic_device::msix_table& nic_device::table(unsigned port, unsigned fn) {
  return fn == 0 ? m_ports[port]->pf_table : m_ports[port]->vf_tables[fn - 1];
}

void nic_device::fire(unsigned port, unsigned fn, unsigned vector) { deliver(port, fn, vector); }

void nic_device::deliver(unsigned port, unsigned fn, unsigned vector) {
  pcie::pci_function* f = function(port, fn);
  if (!f) return;
  msix_table& t = table(port, fn);
  if (vector * MSIX_ENTRY_BYTES >= t.entries.size()) return;
  // A VF's Bus Master Enable is its own command register's (SR-IOV 3.4.1.3).
  const uint32_t cap = f->cfg().find_cap(pcie::CAP_ID_MSIX);
  const auto ctrl = static_cast<uint16_t>(cap ? f->cfg().get(cap + 2, 2) : 0);
  if (!(ctrl & MSIX_CTRL_ENABLE) || !f->bus_master()) return;  // no MSI-X: the message is lost
  const uint8_t* e = &t.entries[vector * MSIX_ENTRY_BYTES];
  uint32_t control = 0;
  std::memcpy(&control, e + 12, 4);
  if ((ctrl & MSIX_CTRL_MASKALL) || (control & MSIX_VECTOR_MASKED)) {
    if (!(t.pending & (1ull << vector))) ++m_msix_pended;
    t.pending |= 1ull << vector;
    return;
  }
  t.pending &= ~(1ull << vector);
  uint64_t addr = 0;
  uint32_t data = 0;
  std::memcpy(&addr, e, 8);
  std::memcpy(&data, e + 8, 4);
  sc_core::sc_time done;
  if (dma.write(requester_id(port, fn), addr, &data, 4, sc_core::sc_time_stamp(), done)) ++m_msix_sent;
}

uint64_t nic_device::table_read(unsigned port, unsigned fn, uint64_t offset, unsigned len) {
  msix_table& t = table(port, fn);
  uint64_t v = 0;
  if (offset + len <= t.entries.size()) {
    std::memcpy(&v, &t.entries[offset], len);
  } else if (offset >= MSIX_PBA_OFFSET && offset + len <= MSIX_PBA_OFFSET + 8) {
    v = t.pending >> (8 * (offset - MSIX_PBA_OFFSET));
  }
  return v;
}

void nic_device::table_write(unsigned port, unsigned fn, uint64_t offset, unsigned len, uint64_t value) {
  msix_table& t = table(port, fn);
  if (offset + len > t.entries.size()) return;  // the PBA is read-only
  std::memcpy(&t.entries[offset], &value, len);
  // Unmasking a vector with its pending bit set sends it (PCI spec 6.8.2.9).
  const auto vector = static_cast<unsigned>(offset / MSIX_ENTRY_BYTES);
  if (offset % MSIX_ENTRY_BYTES + len > 12 && (t.pending & (1ull << vector))) deliver(port, fn, vector);
}

uint64_t nic_device::mmio_read(pcie::physical_function& pf, int bar, uint64_t offset, unsigned len) {
  port& p = *m_ports[pf.function_number()];
  if (bar == 0 && offset + len <= pf.bar(0).size) return p.core->pf_read(static_cast<uint32_t>(offset), len);
  if (bar == p.pf_msix_bar) return table_read(pf.function_number(), 0, offset, len);
  return 0;
}

void nic_device::mmio_write(pcie::physical_function& pf, int bar, uint64_t offset, unsigned len, uint64_t value) {
  port& p = *m_ports[pf.function_number()];
  if (bar == 0 && offset + len <= pf.bar(0).size)
    p.core->pf_write(static_cast<uint32_t>(offset), len, value);
  else if (bar == p.pf_msix_bar)
    table_write(pf.function_number(), 0, offset, len, value);
}

uint64_t nic_device::vf_mmio_read(pcie::virtual_function& vf, int bar, uint64_t offset, unsigned len) {
  const unsigned p = vf.pf().function_number();
  if (bar == 0 && offset + len <= VF_BAR0_BYTES)
    return m_ports[p]->core->vf_read(vf.index(), static_cast<uint32_t>(offset), len);
  if (bar == m_ports[p]->vf_msix_bar) return table_read(p, 1 + vf.index(), offset, len);
  return 0;
}

void nic_device::vf_mmio_write(pcie::virtual_function& vf, int bar, uint64_t offset, unsigned len, uint64_t value) {
  const unsigned p = vf.pf().function_number();
  if (bar == 0 && offset + len <= VF_BAR0_BYTES)
    m_ports[p]->core->vf_write(vf.index(), static_cast<uint32_t>(offset), len, value);
  else if (bar == m_ports[p]->vf_msix_bar)
    table_write(p, 1 + vf.index(), offset, len, value);
}

void nic_device::vfs_changed(pcie::physical_function& pf, unsigned num_vfs) {
  port& p = *m_ports[pf.function_number()];
  p.core->set_num_vfs(num_vfs);
  // VFs come to life with masked vectors and nothing pending.
  for (unsigned v = 0; v < num_vfs && v < p.vf_tables.size(); ++v) {
    msix_table& t = p.vf_tables[v];
    std::fill(t.entries.begin(), t.entries.end(), 0);
    for (size_t e = 0; e < t.entries.size(); e += MSIX_ENTRY_BYTES) t.entries[e + 12] = MSIX_VECTOR_MASKED;
    t.pending = 0;
  }
}

}  // namespace iovsim::nic
