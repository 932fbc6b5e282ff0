#include "drivers-sim/net/ixgbe_ring.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "drivers-sim/net/ixgbe_hw.h"
#include "models/pcie/pci_regs.h"
#include "platform/hal/pci_access.h"

namespace iovsim::host {

using namespace ixgbe_hw;

namespace {
constexpr uint64_t PAGE = page_allocator::PAGE_BYTES;

uint32_t get32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}
void put64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
void put32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
}  // namespace

// ---- register layout ------------------------------------------------------------------

uint32_t ixgbe_regs_view::rx_queue(unsigned q) const { return vf ? VFRDBAL(q) : RDBAL(q); }
uint32_t ixgbe_regs_view::tx_queue(unsigned q) const { return vf ? VFTDBAL(q) : TDBAL(q); }
uint32_t ixgbe_regs_view::srrctl(unsigned q) const { return vf ? VFRDBAL(q) + VF_SRRCTL : SRRCTL(q); }
uint32_t ixgbe_regs_view::ivar(unsigned q) const { return vf ? VTIVAR(q / 2) : IVAR(q / 2); }
uint32_t ixgbe_regs_view::eims() const { return vf ? VTEIMS : EIMS; }
uint32_t ixgbe_regs_view::eimc() const { return vf ? VTEIMC : EIMC; }
uint32_t ixgbe_regs_view::eiam() const { return vf ? VTEIAM : EIAM; }
uint32_t ixgbe_regs_view::eitr(unsigned v) const { return vf ? VTEITR(v) : EITR(v); }

// ---- bring-up -------------------------------------------------------------------------

ixgbe_datapath::ixgbe_datapath(ixgbe_dp_env env, pci_dev& dev, netdev& nd, ixgbe_regs_view view)
    : m_env(env), m_dev(dev), m_nd(nd), m_view(view), m_shared(std::make_shared<shared>()) {
  m_shared->dp = this;
  m_bar0 = dev.bars[0].start;
}

ixgbe_datapath::~ixgbe_datapath() {
  m_shared->dp = nullptr;
  for (auto& q : m_qv)
    if (q->vector) m_env.irq.free_irq(q->vector);
}

// The MSI-X capability (PCI Local Bus 3.0 section 6.8.2): the table's BAR and offset.
bool ixgbe_datapath::find_msix() {
  platform::host_bus& bus = m_env.bus;
  m_msix_cap = hal::find_capability(bus, m_dev.bus, m_dev.devfn, pcie::CAP_ID_MSIX);
  if (!m_msix_cap) return false;
  const uint32_t ctrl = bus.cfg_read(m_dev.bus, m_dev.devfn, m_msix_cap + 2, 2);
  const uint32_t table = bus.cfg_read(m_dev.bus, m_dev.devfn, m_msix_cap + 4, 4);
  m_msix_entries = (ctrl & 0x7ff) + 1;
  const unsigned bir = table & 7;
  if (bir >= 6 || !m_dev.bars[bir].assigned) return false;
  m_msix_table = m_dev.bars[bir].start + (table & ~7u);
  return true;
}

void ixgbe_datapath::program_msix_entry(unsigned entry, unsigned vector, bool masked) {
  const uint64_t e = m_msix_table + 16 * entry;
  m_env.bus.mmio_write(e, 4, irq_core::MSI_ADDRESS);
  m_env.bus.mmio_write(e + 4, 4, 0);
  m_env.bus.mmio_write(e + 8, 4, vector);
  m_env.bus.mmio_write(e + 12, 4, masked ? 1 : 0);
}

int ixgbe_datapath::up(unsigned first_queue, unsigned queues) {
  if (is_up()) return 0;
  if (!m_msix_table && !find_msix()) return -ENODEV;
  // The PF keeps one entry for its other causes (the last it uses), a VF one for its
  // mailbox: queue vectors can use the rest.
  queues = std::min(queues, m_msix_entries - 1);
  // Buffers: 2 KiB halves of 4 KiB pages for frames up to 2 KiB; a larger MTU takes
  // one buffer of the frame's size rounded up to KiB (BSIZEPKT), as ixgbe's 3 KiB
  // and legacy-rx paths do with larger pages.
  const uint32_t frame_max = m_nd.mtu + 14 + 4 + 4;  // Ethernet header, VLAN tag, FCS
  m_slot_bytes = frame_max <= RXBUFFER_2K ? RXBUFFER_2K : (frame_max + 1023) / 1024 * 1024;
  platform::host_bus& bus = m_env.bus;
  const uint32_t ctrl = bus.cfg_read(m_dev.bus, m_dev.devfn, m_msix_cap + 2, 2);
  bus.cfg_write(m_dev.bus, m_dev.devfn, m_msix_cap + 2, 2, (ctrl | 0x8000) & ~0x4000u);  // enable, unmask
  for (unsigned i = 0; i < queues; ++i) {
    auto q = std::make_shared<queue_vector>();
    q->index = i;
    q->hw_queue = first_queue + i;
    m_qv.push_back(q);
    if (int err = setup_queue(q)) {
      down();
      return err;
    }
  }
  uint32_t mask = 0;
  for (auto& q : m_qv) mask |= 1u << q->index;
  wr(m_view.eiam(), mask);  // queue vectors auto-mask when they fire (NAPI re-enables)
  wr(m_view.eims(), mask);
  return 0;
}

int ixgbe_datapath::setup_queue(const std::shared_ptr<queue_vector>& qp) {
  queue_vector& q = *qp;
  const ixgbe_dp_params& p = m_env.params;
  q.rx_count = p.rx_ring();
  q.tx_count = p.tx_ring();
  // Descriptor rings: dma_alloc_coherent(), a mapping for the ring's life.
  q.rx_desc = m_env.pages.alloc_contiguous(q.rx_count * DESC_BYTES, PAGE, true);
  q.tx_desc = m_env.pages.alloc_contiguous(q.tx_count * DESC_BYTES, PAGE, true);
  q.tx_slots = m_env.pages.alloc_contiguous(uint64_t{q.tx_count} * m_slot_bytes, PAGE, false);
  if (!q.rx_desc || !q.tx_desc || !q.tx_slots) return -ENOMEM;
  q.rx_desc_dma = m_env.dma.map_static(m_dev, q.rx_desc, q.rx_count * DESC_BYTES, dma_direction::bidirectional);
  q.tx_desc_dma = m_env.dma.map_static(m_dev, q.tx_desc, q.tx_count * DESC_BYTES, dma_direction::bidirectional);
  if (dma_mapping_error(q.rx_desc_dma) || dma_mapping_error(q.tx_desc_dma)) return -ENOMEM;
  q.frame.resize(m_slot_bytes);
  q.tx.resize(q.tx_count);
  for (unsigned i = 0; i < q.tx_count; ++i) q.tx[i].slot = q.tx_slots + uint64_t{i} * m_slot_bytes;
  // RX buffers: one page per descriptor, mapped once (ixgbe_alloc_mapped_page()).
  const uint64_t page_bytes = rx_page_bytes();
  q.rx.resize(q.rx_count);
  for (rx_buf& b : q.rx) {
    b.page = m_env.pages.alloc_contiguous(page_bytes, PAGE, false);
    if (!b.page) return -ENOMEM;
    b.dma = m_env.dma.map_single(m_dev, b.page, page_bytes, dma_direction::from_device);
    if (dma_mapping_error(b.dma)) return -ENOMEM;
  }
  // The queue vector's interrupt: its NAPI poll.
  std::shared_ptr<shared> s = m_shared;
  std::weak_ptr<queue_vector> weak = qp;
  q.vector = m_env.irq.request_irq(fmt::format("{}-TxRx-{}", m_nd.name, q.index), [s, weak] {
    std::shared_ptr<queue_vector> held = weak.lock();
    if (held && live(s, *held)) s->dp->napi(held);
  });
  if (!q.vector) return -ENOSPC;
  program_msix_entry(q.index, q.vector, false);
  // IVAR: RX and TX of the queue on its vector (ixgbe_set_ivar()).
  const unsigned ivar_queue = m_view.vf ? q.index : q.hw_queue;
  const uint32_t shift = 16 * (ivar_queue % 2);
  uint32_t ivar = rd(m_view.ivar(ivar_queue));
  ivar &= ~(0xffffu << shift);
  ivar |= ((q.index | IVAR_ALLOC_VAL) | (q.index | IVAR_ALLOC_VAL) << 8) << shift;
  wr(m_view.ivar(ivar_queue), ivar);
  wr(m_view.eitr(q.index), m_env.params.itr() & 0xff8);
  // ixgbe_configure_tx_ring(): base, length, head and tail 0, enable.
  const unsigned hq = m_view.vf ? q.index : q.hw_queue;
  const uint32_t t = m_view.tx_queue(hq);
  wr(t + Q_DCTL, 0);
  wr(t + Q_BAL, static_cast<uint32_t>(q.tx_desc_dma));
  wr(t + Q_BAH, static_cast<uint32_t>(q.tx_desc_dma >> 32));
  wr(t + Q_LEN, q.tx_count * DESC_BYTES);
  wr(t + Q_H, 0);
  wr(t + Q_T, 0);
  wr(t + Q_DCTL, DCTL_ENABLE);
  // ixgbe_configure_rx_ring(): the same, SRRCTL's buffer size, then the buffers.
  const uint32_t r = m_view.rx_queue(hq);
  wr(r + Q_DCTL, 0);
  wr(r + Q_BAL, static_cast<uint32_t>(q.rx_desc_dma));
  wr(r + Q_BAH, static_cast<uint32_t>(q.rx_desc_dma >> 32));
  wr(r + Q_LEN, q.rx_count * DESC_BYTES);
  wr(r + Q_H, 0);
  wr(r + Q_T, 0);
  wr(m_view.srrctl(hq), SRRCTL_DESCTYPE_ADV_ONEBUF | m_slot_bytes / 1024);
  wr(r + Q_DCTL, DCTL_ENABLE);
  // ixgbe_alloc_rx_buffers(): every descriptor but one handed over.
  for (unsigned i = 0; i + 1 < q.rx_count; ++i) post_rx(q, i);
  q.rx_next_to_use = q.rx_count - 1;
  wr(r + Q_T, q.rx_next_to_use);
  return 0;
}

// One RX buffer's pages: a 4 KiB page holds two 2 KiB buffers; a larger buffer (a
// jumbo MTU) takes whole pages of its own.
uint64_t ixgbe_datapath::rx_page_bytes() const {
  return m_slot_bytes <= RXBUFFER_2K ? PAGE : (m_slot_bytes + PAGE - 1) / PAGE * PAGE;
}

void ixgbe_datapath::post_rx(queue_vector& q, unsigned i) {
  uint8_t d[DESC_BYTES] = {};
  put64(d, q.rx[i].dma + q.rx[i].offset);  // packet buffer; header buffer 0 clears DD
  m_env.bus.mem_write(q.rx_desc + uint64_t{i} * DESC_BYTES, d, DESC_BYTES);
}

void ixgbe_datapath::down() {
  std::vector<std::shared_ptr<queue_vector>> qv;
  qv.swap(m_qv);
  for (auto& q : qv) q->alive = false;  // polls and senders still waiting give up
  for (auto& q : qv) {
    const unsigned hq = m_view.vf ? q->index : q->hw_queue;
    if (q->vector) {
      wr(m_view.eimc(), 1u << q->index);
      wr(m_view.rx_queue(hq) + Q_DCTL, 0);
      wr(m_view.tx_queue(hq) + Q_DCTL, 0);
      program_msix_entry(q->index, 0, true);
      m_env.irq.free_irq(q->vector);
      q->vector = 0;
    }
    free_queue(*q);
  }
}

void ixgbe_datapath::free_queue(queue_vector& q) {
  const uint64_t page_bytes = rx_page_bytes();
  for (rx_buf& b : q.rx) {
    if (b.dma && !dma_mapping_error(b.dma))
      m_env.dma.unmap_single(m_dev, b.dma, page_bytes, dma_direction::from_device);
    if (b.page) m_env.pages.free_contiguous(b.page, page_bytes);
  }
  for (unsigned i = q.tx_next_to_clean; i != q.tx_next_to_use; i = (i + 1) % q.tx_count)
    if (q.tx[i].dma) m_env.dma.unmap_single(m_dev, q.tx[i].dma, q.tx[i].len, dma_direction::to_device);
  if (q.rx_desc_dma && !dma_mapping_error(q.rx_desc_dma))
    m_env.dma.unmap_single(m_dev, q.rx_desc_dma, q.rx_count * DESC_BYTES, dma_direction::bidirectional);
  if (q.tx_desc_dma && !dma_mapping_error(q.tx_desc_dma))
    m_env.dma.unmap_single(m_dev, q.tx_desc_dma, q.tx_count * DESC_BYTES, dma_direction::bidirectional);
  if (q.rx_desc) m_env.pages.free_contiguous(q.rx_desc, q.rx_count * DESC_BYTES);
  if (q.tx_desc) m_env.pages.free_contiguous(q.tx_desc, q.tx_count * DESC_BYTES);
  if (q.tx_slots) m_env.pages.free_contiguous(q.tx_slots, uint64_t{q.tx_count} * m_slot_bytes);
}

// ---- transmit -------------------------------------------------------------------------

int ixgbe_datapath::xmit(const uint8_t* frame, uint32_t len) {
  if (m_qv.empty()) return -ENETDOWN;
  if (len > m_slot_bytes || len < 14) {
    ++m_nd.stats.tx_dropped;
    return 0;  // dev_kfree_skb: consumed
  }
  // The queue: the flow's (skb_get_hash), here the first queue; RSS spreads receive.
  const std::shared_ptr<queue_vector> held = m_qv.front();
  const std::shared_ptr<shared> s = m_shared;
  queue_vector& q = *held;
  while (q.tx_locked) {
    sc_core::wait(q.tx_unlocked);
    if (!live(s, q)) return -ENETDOWN;
  }
  q.tx_locked = true;
  const unsigned i = q.tx_next_to_use;
  const unsigned next = (i + 1) % q.tx_count;
  if (next == q.tx_next_to_clean) {  // ixgbe_maybe_stop_tx(): ring full
    ++q.stats.tx_busy;
    q.tx_locked = false;
    q.tx_unlocked.notify(sc_core::SC_ZERO_TIME);
    return -EBUSY;
  }
  tx_buf& b = q.tx[i];
  m_env.bus.mem_write(b.slot, frame, len);  // the skb's data
  const uint64_t slot = b.slot;
  pci_dev& dev = m_dev;
  dma_api& dma = m_env.dma;
  sc_core::wait(m_env.params.tx_frame());
  const uint64_t mapped = live(s, q) ? dma.map_single(dev, slot, len, dma_direction::to_device) : DMA_MAPPING_ERROR;
  if (!live(s, q)) {
    if (!dma_mapping_error(mapped)) dma.unmap_single(dev, mapped, len, dma_direction::to_device);
    return -ENETDOWN;
  }
  b.dma = mapped;
  if (dma_mapping_error(b.dma)) {
    b.dma = 0;
    ++q.stats.tx_map_failed;
    ++m_nd.stats.tx_dropped;
    q.tx_locked = false;
    q.tx_unlocked.notify(sc_core::SC_ZERO_TIME);
    return 0;
  }
  b.len = len;
  uint8_t d[DESC_BYTES];
  put64(d, b.dma);
  put32(d + 8, len | ADVTXD_DTYP_DATA | ADVTXD_DCMD_DEXT | ADVTXD_DCMD_IFCS | ADVTXD_DCMD_EOP | ADVTXD_DCMD_RS);
  put32(d + 12, len << ADVTXD_PAYLEN_SHIFT);
  m_env.bus.mem_write(q.tx_desc + uint64_t{i} * DESC_BYTES, d, DESC_BYTES);
  q.tx_next_to_use = next;
  // The doorbell: the tail past the new descriptor.
  const unsigned hq = m_view.vf ? q.index : q.hw_queue;
  wr(m_view.tx_queue(hq) + Q_T, q.tx_next_to_use);
  q.tx_locked = false;
  q.tx_unlocked.notify(sc_core::SC_ZERO_TIME);
  return 0;
}

unsigned ixgbe_datapath::clean_tx(const std::shared_ptr<shared>& s, queue_vector& q) {
  unsigned done = 0;
  uint8_t d[DESC_BYTES];
  while (q.tx_next_to_clean != q.tx_next_to_use) {
    const unsigned i = q.tx_next_to_clean;
    m_env.bus.mem_read(q.tx_desc + uint64_t{i} * DESC_BYTES, d, DESC_BYTES);
    if (!(get32(d + 12) & TXD_STAT_DD)) break;
    tx_buf& b = q.tx[i];
    q.tx_next_to_clean = (i + 1) % q.tx_count;  // before waiting: the slot is ours
    const uint64_t dma = b.dma;
    const uint32_t len = b.len;
    b.dma = 0;
    ++q.stats.tx_packets;
    q.stats.tx_bytes += len;
    ++m_nd.stats.tx_packets;
    m_nd.stats.tx_bytes += len;
    ++done;
    q.debt += m_env.params.tx_clean();
    settle(q.debt);  // the DMA API's work (an IOTLB invalidation) is visible to the IOMMU
    if (!live(s, q)) return done;
    m_env.dma.unmap_single(m_dev, dma, len, dma_direction::to_device);
    if (!live(s, q)) return done;
  }
  return done;
}

// ---- receive --------------------------------------------------------------------------

unsigned ixgbe_datapath::clean_rx(const std::shared_ptr<shared>& s, queue_vector& q, unsigned budget) {
  unsigned done = 0;
  uint8_t d[DESC_BYTES];
  const unsigned hq = m_view.vf ? q.index : q.hw_queue;
  while (done < budget) {
    const unsigned i = q.rx_next_to_clean;
    m_env.bus.mem_read(q.rx_desc + uint64_t{i} * DESC_BYTES, d, DESC_BYTES);
    const uint32_t status = get32(d + 8);
    if (!(status & RXD_STAT_DD)) break;
    const uint32_t len = get32(d + 12) & 0xffff;
    rx_buf& b = q.rx[i];
    const bool good = (status & RXD_STAT_EOP) && len <= m_slot_bytes && len <= q.frame.size();
    if (good) m_env.bus.mem_read(b.page + b.offset, q.frame.data(), len);
    // Page reuse (ixgbe_reuse_rx_page()): on 4 KiB pages the other half of the page
    // goes back to the NIC, in the slot the ring refills next (next_to_alloc: the
    // ring keeps one slot empty, so it trails the slot just cleaned by one).
    if (m_slot_bytes <= RXBUFFER_2K) b.offset ^= RXBUFFER_2K;
    const unsigned alloc = (q.rx_next_to_use + q.rx_unposted) % q.rx_count;
    if (alloc != i) std::swap(q.rx[alloc], q.rx[i]);
    post_rx(q, alloc);
    q.rx_next_to_clean = (i + 1) % q.rx_count;
    ++done;
    if (++q.rx_unposted >= RX_BUFFER_WRITE) {
      q.rx_next_to_use = (q.rx_next_to_use + q.rx_unposted) % q.rx_count;
      q.rx_unposted = 0;
      settle(q.debt);  // the tail write is seen by the NIC: the time spent comes first
      if (!live(s, q)) return done;
      wr(m_view.rx_queue(hq) + Q_T, q.rx_next_to_use);
    }
    if (!good) {
      ++m_nd.stats.rx_errors;
      continue;
    }
    ++q.stats.rx_packets;
    q.stats.rx_bytes += len;
    ++m_nd.stats.rx_packets;
    m_nd.stats.rx_bytes += len;
    if (q.frame[0] & 1) ++m_nd.stats.multicast;
    q.debt += m_env.params.rx_frame();
    m_env.net.receive(m_nd, q.frame.data(), len, q.debt);
    if (!live(s, q)) return done;
  }
  return done;
}

void ixgbe_datapath::napi(const std::shared_ptr<queue_vector>& qp) {
  const std::shared_ptr<shared> s = m_shared;  // `this` may go while the poll waits
  queue_vector& q = *qp;
  ++q.stats.rx_irqs;
  while (true) {
    ++q.stats.rx_polls;
    // The round's entry is waited now: the descriptors read next show what the NIC
    // wrote by this time.
    q.debt += s->dp->m_env.params.poll();
    settle(q.debt);
    if (!live(s, q)) return;
    s->dp->clean_tx(s, q);
    if (!live(s, q)) return;
    const unsigned budget = s->dp->m_env.params.napi_budget();
    const unsigned done = s->dp->clean_rx(s, q, budget);
    if (!live(s, q)) return;
    if (done < budget) {
      // napi_complete_done(), then ixgbe_irq_enable_queues(): the vector unmasked,
      // once the poll's time is spent.
      settle(q.debt);
      if (!live(s, q)) return;
      s->dp->wr(s->dp->m_view.eims(), 1u << q.index);
      return;
    }
    ++q.stats.napi_repolls;
  }
}

// ---- statistics -----------------------------------------------------------------------

ixgbe_ring_stats ixgbe_datapath::stats() const {
  ixgbe_ring_stats t;
  for (const auto& q : m_qv) {
    t.rx_packets += q->stats.rx_packets;
    t.rx_bytes += q->stats.rx_bytes;
    t.tx_packets += q->stats.tx_packets;
    t.tx_bytes += q->stats.tx_bytes;
    t.tx_busy += q->stats.tx_busy;
    t.tx_map_failed += q->stats.tx_map_failed;
    t.rx_polls += q->stats.rx_polls;
    t.rx_irqs += q->stats.rx_irqs;
    t.napi_repolls += q->stats.napi_repolls;
  }
  return t;
}

void ixgbe_datapath::ethtool_stats(std::vector<std::pair<std::string, uint64_t>>& out) const {
  for (const auto& q : m_qv) {
    out.emplace_back(fmt::format("tx_queue_{}_packets", q->index), q->stats.tx_packets);
    out.emplace_back(fmt::format("tx_queue_{}_bytes", q->index), q->stats.tx_bytes);
  }
  for (const auto& q : m_qv) {
    out.emplace_back(fmt::format("rx_queue_{}_packets", q->index), q->stats.rx_packets);
    out.emplace_back(fmt::format("rx_queue_{}_bytes", q->index), q->stats.rx_bytes);
  }
}

}  // namespace iovsim::host
