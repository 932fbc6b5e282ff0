#include "models/nic/nic_core.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "models/kit/sim_env.h"
#include "models/net/headers.h"
#include "models/nic/nic_regs.h"

namespace iovsim::nic {

namespace {
constexpr unsigned PF_VECTORS = EITR_COUNT;
constexpr unsigned RETA_ENTRIES = 128;
constexpr uint32_t DEFAULT_BUFFER_BYTES = 2048;  // SRRCTL.BSIZEPKT reset value 2 (KiB)
}  // namespace

// Refuses what the model cannot be; a port offers no more VFs than its queues can pool.
const nic_core::config& nic_core::checked(config& cfg, const char* name) {
  if (cfg.queues == 0 || cfg.queues > 128 || cfg.queues_per_pool == 0 || cfg.queues_per_pool > cfg.queues ||
      cfg.rar_entries == 0 || cfg.rar_entries > 128)
    throw std::invalid_argument(fmt::format("{}: 1..128 queues, 1..128 receive addresses", name));
  // Every VF's pool and the PF's must fit in the queues (at the default layout).
  cfg.max_vfs = std::min(cfg.max_vfs, cfg.queues / cfg.queues_per_pool - 1);
  return cfg;
}

nic_core::nic_core(sc_core::sc_module_name name, const config& cfg, dma_port& dma,
                   std::function<uint16_t(unsigned)> requester_id, std::function<void(unsigned, unsigned)> msix)
    : sc_module(name),
      m_cfg(cfg),
      m_dma(dma),
      m_requester_id(std::move(requester_id)),
      m_msix(std::move(msix)),
      m_pf_regs(std::string(this->name()) + ".bar0", pf_layout(checked(m_cfg, this->name())), this, 0),
      m_switch(m_pf_regs, cfg.rar_entries, cfg.queues_per_pool) {
  m_tx = std::make_unique<tx_engine>("tx", m_dma, m_pool, [this](tx_queue& q, const sc_core::sc_time& at) {
    const unsigned fn = owner(q.index);
    const unsigned v = vector_of(fn, q.index, true);
    if (v != ~0u) m_irq[fn]->cause(v, at);
  });
  // One queue pair more than the port has: what a VF's view shows for a queue its
  // pool does not have in the current VT mode (never served, never received into).
  for (unsigned q = 0; q <= cfg.queues; ++q) {
    m_rx.push_back(std::make_unique<rx_queue>(m_dma, 0, rx_desc_cache));
    m_rx.back()->buffer_bytes = DEFAULT_BUFFER_BYTES;
    m_tx_queues.push_back(std::make_unique<tx_queue>(fmt::format("tx{}", q), 0));
    m_tx_queues.back()->index = q;
    if (q < cfg.queues) m_tx->add_queue(*m_tx_queues.back());
  }
  m_srrctl.assign(cfg.queues + 1, DEFAULT_BUFFER_BYTES / 1024);
  m_vlan_strip.assign(cfg.queues + 1, 0);
  m_strip = m_pool.get();
  m_switch.tx_enable_changed = [this] { m_tx->doorbell(); };
  m_tx->set_switch({[this](const tx_queue& q) { return m_switch.pool_may_send(pool_of_queue(q.index)); },
                    [this](tx_queue& q, net::frame& f) { return tx_decide(q, f); },
                    [this](tx_queue& q, const net::frame& f) { tx_local(q, f); }});
  m_irq.push_back(std::make_unique<interrupt_block>(m_irq_sched, PF_VECTORS, [this](unsigned v) { m_msix(0, v); }));
  m_mbx.assign(m_cfg.max_vfs, mailbox{});
  reset();
  add_series_tracks();
}

// VF v's queues are pool v's whatever VT_ENA says (its view needs them); the rest the PF's.
unsigned nic_core::owner(unsigned queue) const {
  const unsigned qpp = queues_per_pool();
  return m_num_vfs && queue < m_num_vfs * qpp ? 1 + queue / qpp : 0;
}

unsigned nic_core::pool_base(unsigned fn) const {
  const unsigned qpp = queues_per_pool();
  if (fn) return (fn - 1) * qpp;
  return m_num_vfs * qpp;  // the PF's first pool follows the VFs' (0 without VFs)
}

unsigned nic_core::pool_of_queue(unsigned queue) const { return m_switch.vt_mode() ? queue / queues_per_pool() : 0; }

unsigned nic_core::function_of_pool(unsigned pool) const {
  return m_switch.vt_mode() && pool < m_num_vfs ? 1 + pool : 0;
}

// IVAR(n) / VTIVAR(n): one byte per queue direction, RX 2n, TX 2n, RX 2n+1, TX 2n+1,
// vector in [5:0], bit 7 valid (ixgbe_set_ivar(), ixgbevf_set_ivar()).
unsigned nic_core::vector_of(unsigned fn, unsigned queue, bool tx) const {
  const unsigned index = fn ? queue - pool_base(fn) : queue;
  if (fn && index >= VF_MAX_QUEUES) return ~0u;
  const uint32_t reg = fn ? static_cast<uint32_t>(vf_regs(fn - 1).get(VTIVAR0 + 4 * (index / 2), 4))
                          : static_cast<uint32_t>(m_pf_regs.get(IVAR0 + 4 * (index / 2), 4));
  const uint32_t entry = (reg >> (16 * (index % 2) + (tx ? 8 : 0))) & 0xff;
  if (!(entry & IVAR_ALLOC_VAL)) return ~0u;  // no vector: no interrupt
  return entry & 0x3f;
}

void nic_core::set_num_vfs(unsigned n) {
  n = std::min(n, m_cfg.max_vfs);
  // A VF's interrupt state is made the first time it exists and kept (a disabled
  // VF's is unreachable, and an interrupt still scheduled for it is not sent); its
  // registers the first time anything touches them (vf_regs(): a rack of 2,016 VFs
  // nobody drives builds none); enabling again starts both from reset.
  if (m_vf_regs.size() < n) m_vf_regs.resize(n);
  if (m_irq.size() < 1 + n) m_irq.resize(1 + n);
  for (unsigned v = 0; v < n; ++v) {
    if (!m_irq[1 + v])
      m_irq[1 + v] = std::make_unique<interrupt_block>(m_irq_sched, VF_VECTORS, [this, v](unsigned vec) {
        if (v < m_num_vfs) m_msix(1 + v, vec);
      });
    if (v >= m_num_vfs) {
      if (m_vf_regs[v]) m_vf_regs[v]->reset();
      m_irq[1 + v]->reset();
      m_mbx[v] = mailbox{};
    }
  }
  m_num_vfs = n;
  wake_series_tracks(n);
}

void nic_core::reset() {
  m_pf_regs.reset();
  m_switch.invalidate();
  m_switch.counters = {};  // statistics clear at reset
  m_switch.ssvpc_cleared = m_switch.ssvpc_total;
  m_qprdc_cleared = rx_dropped(rx_drop::no_descriptor);
  m_mpc_cleared = rx_dropped(rx_drop::packet_buffer_full);
  // RAL/RAH(0): the permanent address, valid (the EEPROM loads it at reset).
  const uint64_t mac = m_cfg.mac;
  uint32_t lo = 0, hi = 0;
  for (int b = 0; b < 4; ++b) lo |= static_cast<uint32_t>((mac >> (40 - 8 * b)) & 0xff) << (8 * b);
  for (int b = 0; b < 2; ++b) hi |= static_cast<uint32_t>((mac >> (8 - 8 * b)) & 0xff) << (8 * b);
  m_pf_regs.set(RAL0, 4, lo);
  m_pf_regs.set(RAL0 + 4, 4, hi | RAH_AV);
  m_rss_stale = true;
  m_rx_rings_on = 0;
  for (unsigned q = 0; q <= m_cfg.queues; ++q) {
    m_rx[q]->ring = ring_state{};
    m_rx[q]->buffer_bytes = DEFAULT_BUFFER_BYTES;
    m_rx[q]->restart();
    m_rx[q]->set_thresholds(0, 0);
    m_tx_queues[q]->ring = ring_state{};
    m_tx_queues[q]->pthresh = m_tx_queues[q]->hthresh = 0;
    m_tx_queues[q]->rate_limit = 0;
    m_tx_queues[q]->restart();
    m_vlan_strip[q] = 0;
  }
  for (auto& irq : m_irq)
    if (irq) irq->reset();
  for (auto& vf : m_vf_regs)
    if (vf) vf->reset();
  // A PF reset empties the mailboxes; CTRL_EXT.PFRSTD is clear again, so every VF sees
  // RSTI until the PF driver says it is ready.
  for (mailbox& m : m_mbx) m = mailbox{};
  m_mbicr = {};
}

void nic_core::connect(wire::wire& w, unsigned side) {
  w.attach(side, *this);
  m_tx->connect(&w, side);
}

void nic_core::ring_changed(unsigned q, bool tx) {
  if (!queue_exists(q)) return;
  if (tx) {
    m_tx_queues[q]->requester_id = m_requester_id(owner(q));
    m_tx_queues[q]->restart();
    m_tx->doorbell(m_tx_queues[q].get());
  } else {
    m_rx[q]->restart();
  }
}

// ---- the receive path -----------------------------------------------------------------

// RSSRK(n) holds key bytes 4n..4n+3, the first in the low byte (what ixgbe writes from
// its byte array on a little-endian host); the hash tables follow the key.
void nic_core::update_rss_key() const {
  net::rss_key key{};
  for (unsigned i = 0; i < net::RSS_KEY_BYTES; ++i)
    key[i] = static_cast<uint8_t>(m_pf_regs.get(RSSRK0 + (i & ~3u), 4) >> (8 * (i & 3)));
  if (m_rss)
    *m_rss = net::toeplitz(key);
  else
    m_rss = std::make_unique<net::toeplitz>(key);
  m_rss_stale = false;
}

void nic_core::frame_arrived(net::frame_ptr f) {
  ++m_rx_offered;
  // The packet buffer: frames whose last copy is in host memory have left it.
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  while (!m_rx_buffer.empty() && m_rx_buffer.front().leaves <= now) {
    m_rx_buffered -= m_rx_buffer.front().bytes;
    m_rx_buffer.pop_front();
  }
  if (m_rx_buffered + f->size() > rx_buffer_bytes) {
    ++m_rx_dropped[static_cast<size_t>(rx_drop::packet_buffer_full)];
    return;
  }
  const sc_core::sc_time leaves = switch_frame(*f, m_switch.classify(f->data(), f->size()));
  if (leaves > now) {
    m_rx_buffer_last = std::max(m_rx_buffer_last, leaves);
    m_rx_buffer.push_slot() = buffered{m_rx_buffer_last, static_cast<uint32_t>(f->size())};
    m_rx_buffered += f->size();
  }
}

sc_core::sc_time nic_core::switch_frame(const net::frame& f, const nic_switch::verdict& v) {
  sc_core::sc_time last;
  if (!v.pools) {
    ++m_rx_dropped[static_cast<size_t>(v.reason)];
    return last;
  }
  const bool vt = m_switch.vt_mode();
  const unsigned qpp = queues_per_pool();
  // RSS, computed once for the frame: over the PF's queues without VT, inside each of
  // the PF's pools in VT mode with MRQC's VMDq+RSS (RETA's entry picks the queue).
  uint8_t rss_type = 0;
  uint32_t rss_hash = 0, reta_entry = 0;
  const uint64_t pf_pools = vt ? v.pools & ~((m_num_vfs >= 64 ? ~0ull : (1ull << m_num_vfs) - 1)) : v.pools;
  if (pf_pools && m_switch.rss_enabled()) {
    const auto mrqc = static_cast<uint32_t>(m_pf_regs.get(MRQC, 4));
    const uint32_t fields =
        mrqc & (net::MRQC_RSS_FIELD_IPV4 | net::MRQC_RSS_FIELD_IPV4_TCP | net::MRQC_RSS_FIELD_IPV4_UDP);
    if (fields) {
      if (m_rss_stale) update_rss_key();
      const net::rss_result r = net::rss_hash(*m_rss, net::parse(f, false), fields);
      rss_type = r.type;
      rss_hash = r.hash;
      if (r.type != net::RSS_TYPE_NONE) {
        const unsigned entry = r.hash & (RETA_ENTRIES - 1);
        const auto reta = static_cast<uint32_t>(m_pf_regs.get(RETA0 + 4 * (entry / 4), 4));
        reta_entry = (reta >> (8 * (entry % 4))) & 0xff;
      }
    }
  }
  unsigned copies = 0;
  for (uint64_t left = v.pools; left; left &= left - 1) {
    const auto pool = static_cast<unsigned>(__builtin_ctzll(left));
    if (copies++) ++m_rx_replicas;  // each pool after the first is a copy of its own
    const unsigned fn = function_of_pool(pool);
    const bool pf_pool = (pf_pools >> pool) & 1;
    unsigned queue;
    if (!vt)
      queue = rss_type != net::RSS_TYPE_NONE ? reta_entry % m_cfg.queues : 0;
    else
      queue = pool * qpp + (pf_pool && rss_type != net::RSS_TYPE_NONE ? reta_entry & (qpp - 1) : 0);
    if (!queue_exists(queue)) {
      ++m_rx_dropped[static_cast<size_t>(rx_drop::queue_disabled)];
      ++m_fn_traffic[fn].rx_drops;
      continue;
    }
    // The tag goes into the write-back for a pool with a port VLAN (the VF never sees
    // its VLAN; ixgbevf then keeps the frame untagged unless it has that VID active:
    // ixgbevf_process_skb_fields()) and for a queue whose RXDCTL.VME is set.
    uint16_t port_tci = 0;
    const bool strip = v.tagged && (m_vlan_strip[queue] || m_switch.port_vlan(pool, port_tci));
    sc_core::sc_time done;
    const bool ok = deliver(f, fn, queue, pf_pool ? rss_type : 0, pf_pool ? rss_hash : 0, strip, v.tci, done);
    last = std::max(last, done);
    if (ok && vt) {
      pool_counters& c = m_switch.counters[pool];
      ++c.rx_packets;
      c.rx_octets += strip ? f.size() - 4 : f.size();
      if ((f.data()[0] & 1) &&
          !((f.data()[0] & f.data()[1] & f.data()[2] & f.data()[3] & f.data()[4] & f.data()[5]) == 0xff))
        ++c.rx_multicast;
    }
  }
  return last;
}

bool nic_core::deliver(const net::frame& f, unsigned fn, unsigned queue, uint8_t rss_type, uint32_t rss_hash,
                       bool strip, uint16_t tci, sc_core::sc_time& done) {
  rx_queue& q = *m_rx[queue];
  q.requester_id = m_requester_id(fn);
  const net::frame* copy = &f;
  if (strip) {
    // The bytes without the 802.1Q tag; the tag goes into the write-back.
    m_strip->resize(f.size() - 4);
    std::memcpy(m_strip->data(), f.data(), 12);
    std::memcpy(m_strip->data() + 12, f.data() + 16, f.size() - 16);
    copy = m_strip.get();
  }
  done = sc_core::SC_ZERO_TIME;
  uint64_t fault = 0;
  const rx_drop r = q.receive(*copy, rss_type, rss_hash, done, fault, strip, tci);
  kit::sim_env& env = kit::sim_env::current();
  const bool traced = env.trace_enabled("nic");
  if (r != rx_drop::none) {
    ++m_rx_dropped[static_cast<size_t>(r)];
    ++m_fn_traffic[fn].rx_drops;
    // A descriptor used up by writes the IOMMU dropped: the hardware cannot tell, it
    // raises the queue's interrupt as for any write-back (rx_queue::receive()).
    if (q.consumed()) rx_done(fn, queue, done);
    // Category "nic": drops as a counter track per reason, sampled like frames.
    if (traced && env.trace_sample(m_trace_drop_seq))
      env.trace_counter(name(), "rx dropped", "nic", rx_drop_name(r),
                        static_cast<double>(m_rx_dropped[static_cast<size_t>(r)]));
    return false;
  }
  ++m_rx_delivered;
  m_fn_traffic[fn].rx_bytes += copy->size();
  rx_done(fn, queue, done);
  // One delivered frame in trace.sample_every as a span from its last bit to its
  // write-back, with counter tracks of the frames delivered and of the descriptors
  // software has left the queue (its free ring seen from the NIC).
  if (traced && env.trace_sample(m_trace_rx_seq)) {
    const sc_core::sc_time now = sc_core::sc_time_stamp();
    env.trace_complete(name(), "rx frame", "nic", now, done - now,
                       fmt::format(R"({{"fn":{},"queue":{},"bytes":{}}})", fn, queue, copy->size()));
    env.trace_counter(name(), "rx delivered", "nic", "frames", static_cast<double>(m_rx_delivered));
    env.trace_counter(name(), fmt::format("rx ring {} free", queue), "nic", "descriptors",
                      static_cast<double>(q.ring.pending()));
  }
  return true;
}

void nic_core::rx_done(unsigned fn, unsigned queue, const sc_core::sc_time& at) {
  const unsigned v = vector_of(fn, queue, false);
  if (v != ~0u) m_irq[fn]->cause(v, at);
}

// ---- the transmit side of the switch --------------------------------------------------

// A frame from pool p leaving the packet buffer: the port VLAN goes in, anti-spoofing
// checks it (82599 data sheet 7.10.3.9; a violation is dropped and counted in SSVPC),
// and with local switching on (PFDTXGSWC.VT_LBEN) it is switched like a received
// frame, never back to p: a unicast for a local address stays inside (it crosses PCIe
// twice, the TX read and the RX write, never the wire), broadcast and multicast go to
// the local pools that take them and to the wire.
tx_engine::action nic_core::tx_decide(tx_queue& q, net::frame& f) {
  const tx_engine::action a = tx_switch(q, f);
  if (a != tx_engine::action::drop) m_fn_traffic[owner(q.index)].tx_bytes += f.size();
  return a;
}

tx_engine::action nic_core::tx_switch(tx_queue& q, net::frame& f) {
  if (!m_switch.vt_mode() || f.size() < 14) return tx_engine::action::wire;
  const unsigned pool = pool_of_queue(q.index);
  bool tagged = f.size() >= 18 && f.data()[12] == 0x81 && f.data()[13] == 0x00;
  uint16_t tci = tagged ? static_cast<uint16_t>(f.data()[14] << 8 | f.data()[15]) : 0;
  uint16_t port_tci = 0;
  if (!tagged && m_switch.port_vlan(pool, port_tci) && f.size() + 4 <= net::frame::capacity()) {
    const uint32_t n = f.size();
    f.resize(n + 4);
    std::memmove(f.data() + 16, f.data() + 12, n - 12);
    f.data()[12] = 0x81;
    f.data()[13] = 0x00;
    f.data()[14] = static_cast<uint8_t>(port_tci >> 8);
    f.data()[15] = static_cast<uint8_t>(port_tci);
    tagged = true;
    tci = port_tci;
  }
  const tx_drop d = m_switch.check_tx(pool, f.data(), f.size(), tagged, tci);
  if (d != tx_drop::none) {
    ++m_tx_dropped[static_cast<size_t>(d)];
    ++m_switch.counters[pool].tx_spoofed;
    ++m_switch.ssvpc_total;
    return tx_engine::action::drop;
  }
  pool_counters& c = m_switch.counters[pool];
  ++c.tx_packets;
  c.tx_octets += f.size();
  if (!m_switch.loopback_enabled()) return tx_engine::action::wire;
  const nic_switch::verdict v = m_switch.classify(f.data(), f.size(), static_cast<int>(pool));
  if (v.exact_unicast) {
    ++m_tx_local_only;
    ++m_rx_looped;
    switch_frame(f, v);
    return tx_engine::action::local;
  }
  return v.pools ? tx_engine::action::wire_and_local : tx_engine::action::wire;
}

// The local copies of a frame that also goes to the wire, as it leaves for it.
void nic_core::tx_local(tx_queue& q, const net::frame& f) {
  const nic_switch::verdict v = m_switch.classify(f.data(), f.size(), static_cast<int>(pool_of_queue(q.index)));
  if (!v.pools) return;  // the tables changed since: nothing local any more
  ++m_rx_looped;
  switch_frame(f, v);
}

// ---- register views -------------------------------------------------------------------

uint64_t nic_core::vf_read(unsigned vf, uint32_t offset, unsigned len) {
  if (vf >= m_num_vfs || offset + len > VF_BAR0_BYTES) return 0;
  return vf_regs(vf).read(offset, len);
}

void nic_core::vf_write(unsigned vf, uint32_t offset, unsigned len, uint64_t value) {
  if (vf >= m_num_vfs || offset + len > VF_BAR0_BYTES) return;
  vf_regs(vf).write(offset, len, value);
}

}  // namespace iovsim::nic
