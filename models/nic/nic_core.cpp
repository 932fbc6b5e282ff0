#include "models/nic/nic_core.h"

#include <fmt/format.h>

#include <algorithm>
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

nic_core::nic_core(sc_core::sc_module_name name, const config& cfg, dma_port& dma,
                   std::function<uint16_t(unsigned)> requester_id, std::function<void(unsigned, unsigned)> msix)
    : sc_module(name),
      m_cfg(cfg),
      m_dma(dma),
      m_requester_id(std::move(requester_id)),
      m_msix(std::move(msix)),
      m_pf_regs(std::string(this->name()) + ".bar0", cfg.register_bytes) {
  if (cfg.queues == 0 || cfg.queues > 128 || cfg.queues_per_pool == 0 || cfg.queues_per_pool > cfg.queues ||
      cfg.rar_entries == 0 || cfg.rar_entries > 128)
    throw std::invalid_argument(fmt::format("{}: 1..128 queues, 1..128 receive addresses", this->name()));
  // Every VF's pool and the PF's must fit in the queues.
  m_cfg.max_vfs = std::min(cfg.max_vfs, cfg.queues / cfg.queues_per_pool - 1);
  m_tx = std::make_unique<tx_engine>("tx", m_dma, m_pool, [this](tx_queue& q, const sc_core::sc_time& at) {
    const unsigned fn = owner(q.index);
    const unsigned v = vector_of(fn, q.index, true);
    if (v != ~0u) m_irq[fn]->cause(v, at);
  });
  for (unsigned q = 0; q < cfg.queues; ++q) {
    m_rx.push_back(std::make_unique<rx_queue>(m_dma, 0, 8));
    m_rx.back()->buffer_bytes = DEFAULT_BUFFER_BYTES;
    m_tx_queues.push_back(std::make_unique<tx_queue>(fmt::format("tx{}", q), 0));
    m_tx_queues.back()->index = q;
    m_tx->add_queue(*m_tx_queues.back());
  }
  m_srrctl.assign(cfg.queues, DEFAULT_BUFFER_BYTES / 1024);
  m_irq.push_back(std::make_unique<interrupt_block>(m_irq_sched, PF_VECTORS, [this](unsigned v) { m_msix(0, v); }));
  build_pf_regs();
  reset();
}

unsigned nic_core::owner(unsigned queue) const {
  return m_num_vfs && queue < m_num_vfs * m_cfg.queues_per_pool ? 1 + queue / m_cfg.queues_per_pool : 0;
}

unsigned nic_core::pool_base(unsigned fn) const {
  if (fn) return (fn - 1) * m_cfg.queues_per_pool;
  return m_num_vfs * m_cfg.queues_per_pool;  // the PF's pool follows the VFs' (0 without VFs)
}

// IVAR(n) / VTIVAR(n): one byte per queue direction, RX 2n, TX 2n, RX 2n+1, TX 2n+1,
// vector in [5:0], bit 7 valid (ixgbe_set_ivar(), ixgbevf_set_ivar()).
unsigned nic_core::vector_of(unsigned fn, unsigned queue, bool tx) const {
  const unsigned index = fn ? queue - pool_base(fn) : queue;
  const uint32_t reg = fn ? m_vf_regs[fn - 1]->get(VTIVAR0 + 4 * (index / 2), 4)
                          : static_cast<uint32_t>(m_pf_regs.get(IVAR0 + 4 * (index / 2), 4));
  const uint32_t entry = (reg >> (16 * (index % 2) + (tx ? 8 : 0))) & 0xff;
  if (!(entry & IVAR_ALLOC_VAL)) return ~0u;  // no vector: no interrupt
  return entry & 0x3f;
}

void nic_core::set_num_vfs(unsigned n) {
  n = std::min(n, m_cfg.max_vfs);
  // A VF's registers and interrupt state are made the first time it exists and kept
  // (a disabled VF's are unreachable, and an interrupt still scheduled for it is not
  // sent); enabling again starts them from reset.
  if (m_vf_regs.size() < n) m_vf_regs.resize(n);
  if (m_irq.size() < 1 + n) m_irq.resize(1 + n);
  for (unsigned v = 0; v < n; ++v) {
    if (!m_irq[1 + v])
      m_irq[1 + v] = std::make_unique<interrupt_block>(m_irq_sched, VF_VECTORS, [this, v](unsigned vec) {
        if (v < m_num_vfs) m_msix(1 + v, vec);
      });
    if (!m_vf_regs[v]) m_vf_regs[v] = build_vf_regs(v);
    if (v >= m_num_vfs) {
      m_vf_regs[v]->reset();
      m_irq[1 + v]->reset();
      m_mbx[v] = mailbox{};
    }
  }
  m_num_vfs = n;
}

void nic_core::reset() {
  m_pf_regs.reset();
  m_qprdc_cleared = rx_dropped(rx_drop::no_descriptor);  // statistics clear at reset
  // RAL/RAH(0): the permanent address, valid (the EEPROM loads it at reset).
  const uint64_t mac = m_cfg.mac;
  uint32_t lo = 0, hi = 0;
  for (int b = 0; b < 4; ++b) lo |= static_cast<uint32_t>((mac >> (40 - 8 * b)) & 0xff) << (8 * b);
  for (int b = 0; b < 2; ++b) hi |= static_cast<uint32_t>((mac >> (8 - 8 * b)) & 0xff) << (8 * b);
  m_pf_regs.set(RAL0, 4, lo);
  m_pf_regs.set(RAL0 + 4, 4, hi | RAH_AV);
  m_rar_stale = true;
  m_rss_stale = true;
  for (unsigned q = 0; q < m_cfg.queues; ++q) {
    m_rx[q]->ring = ring_state{};
    m_rx[q]->buffer_bytes = DEFAULT_BUFFER_BYTES;
    m_rx[q]->restart();
    m_tx_queues[q]->ring = ring_state{};
    m_tx_queues[q]->restart();
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
  if (tx) {
    m_tx_queues[q]->requester_id = m_requester_id(owner(q));
    m_tx_queues[q]->restart();
    m_tx->doorbell(m_tx_queues[q].get());
  } else {
    m_rx[q]->restart();
  }
}

// ---- the receive path -----------------------------------------------------------------

nic_core::destination nic_core::classify(const net::frame& f) const {
  destination d;
  if (f.size() < net::ETH_HEADER_BYTES) return d;
  // Receive addresses: RAL holds the first four octets (lowest first), RAH the last
  // two and AV; MPSAR the pools the address belongs to.
  const uint8_t* dst = f.data();
  unsigned pool = ~0u;
  if (!(dst[0] & 1)) {
    if (m_rar_stale) refresh_rar();
    const uint64_t addr = uint64_t{dst[0]} | uint64_t{dst[1]} << 8 | uint64_t{dst[2]} << 16 | uint64_t{dst[3]} << 24 |
                          uint64_t{dst[4]} << 32 | uint64_t{dst[5]} << 40;
    for (const rar_entry& e : m_rar)
      if (e.address == addr) {
        pool = e.first_pool;
        break;
      }
  }
  // A VF's pool, or the PF's: its own pool number, no match, broadcast and multicast.
  d.fn = pool < m_num_vfs ? 1 + pool : 0;
  d.queue = pool_base(d.fn);
  if (d.fn == 0) {
    // RSS over the PF's queues: MRQC picks the fields, RSSRK is the key, RETA the queue.
    const auto mrqc = static_cast<uint32_t>(m_pf_regs.get(MRQC, 4));
    const uint32_t fields =
        mrqc & (net::MRQC_RSS_FIELD_IPV4 | net::MRQC_RSS_FIELD_IPV4_TCP | net::MRQC_RSS_FIELD_IPV4_UDP);
    if (fields) {
      if (m_rss_stale) update_rss_key();
      const net::rss_result r = net::rss_hash(m_rss, net::parse(f, false), fields);
      d.rss_type = r.type;
      d.rss_hash = r.hash;
      if (r.type != net::RSS_TYPE_NONE) {
        const unsigned entry = r.hash & (RETA_ENTRIES - 1);
        const auto reta = static_cast<uint32_t>(m_pf_regs.get(RETA0 + 4 * (entry / 4), 4));
        const unsigned pf_queues = m_cfg.queues - d.queue;
        d.queue += ((reta >> (8 * (entry % 4))) & 0xff) % pf_queues;
      }
    }
  }
  return d;
}

// The valid receive addresses with a pool, in table order (the first match wins), as
// the registers hold them now; rebuilt after software wrote RAL, RAH or MPSAR.
void nic_core::refresh_rar() const {
  m_rar.clear();
  for (unsigned i = 0; i < m_cfg.rar_entries; ++i) {
    const uint64_t rah = m_pf_regs.get(RAL0 + 8 * i + 4, 4);
    if (!(rah & RAH_AV)) continue;
    const uint64_t pools = m_pf_regs.get(MPSAR_LO0 + 8 * i, 4) | m_pf_regs.get(MPSAR_LO0 + 8 * i + 4, 4) << 32;
    if (!pools) continue;  // no pool: the PF's, as an unknown address
    unsigned first = 0;
    while (!(pools & (1ull << first))) ++first;
    m_rar.push_back({m_pf_regs.get(RAL0 + 8 * i, 4) | (rah & 0xffff) << 32, first});
  }
  m_rar_stale = false;
}

// RSSRK(n) holds key bytes 4n..4n+3, the first in the low byte (what ixgbe writes from
// its byte array on a little-endian host); the hash tables follow the key.
void nic_core::update_rss_key() const {
  net::rss_key key{};
  for (unsigned i = 0; i < net::RSS_KEY_BYTES; ++i)
    key[i] = static_cast<uint8_t>(m_pf_regs.get(RSSRK0 + (i & ~3u), 4) >> (8 * (i & 3)));
  m_rss = net::toeplitz(key);
  m_rss_stale = false;
}

void nic_core::frame_arrived(net::frame_ptr f) {
  ++m_rx_offered;
  const destination d = classify(*f);
  deliver(*f, d);
  // Broadcast goes to every pool that accepts it (82599 VMOLR.BAM, which ixgbe sets
  // for the PF's pool and every VF's: ixgbe_set_vmolr()): the PF's above, and each VF
  // whose first receive queue is enabled (its driver is up). Each copy is DMA of its
  // own. The rest of replication (multicast hash, promiscuous pools, VMOLR itself)
  // is the switch's, issue 11.
  if (m_num_vfs && f->size() >= 6 && is_broadcast(f->data()))
    for (unsigned v = 0; v < m_num_vfs; ++v) {
      const unsigned q = pool_base(1 + v);
      if (!m_rx[q]->ring.enabled) continue;
      ++m_rx_replicas;
      deliver(*f, destination{1 + v, q, 0, 0});
    }
}

bool nic_core::is_broadcast(const uint8_t* dst) {
  return (dst[0] & dst[1] & dst[2] & dst[3] & dst[4] & dst[5]) == 0xff;
}

void nic_core::deliver(const net::frame& f, const destination& d) {
  rx_queue& q = *m_rx[d.queue];
  q.requester_id = m_requester_id(d.fn);
  sc_core::sc_time done;
  uint64_t fault = 0;
  const rx_drop r = q.receive(f, d.rss_type, d.rss_hash, done, fault);
  kit::sim_env& env = kit::sim_env::current();
  const bool traced = env.trace_enabled("nic");
  if (r != rx_drop::none) {
    ++m_rx_dropped[static_cast<size_t>(r)];
    // A descriptor used up by writes the IOMMU dropped: the hardware cannot tell, it
    // raises the queue's interrupt as for any write-back (rx_queue::receive()).
    if (q.consumed()) rx_done(d.fn, d.queue, done);
    // Category "nic": drops as a counter track per reason, sampled like frames.
    if (traced && env.trace_sample(m_trace_drop_seq))
      env.trace_counter(name(), "rx dropped", "nic", rx_drop_name(r),
                        static_cast<double>(m_rx_dropped[static_cast<size_t>(r)]));
    return;
  }
  ++m_rx_delivered;
  rx_done(d.fn, d.queue, done);
  // One delivered frame in trace.sample_every as a span from its last bit to its
  // write-back, with counter tracks of the frames delivered and of the descriptors
  // software has left the queue (its free ring seen from the NIC).
  if (traced && env.trace_sample(m_trace_rx_seq)) {
    const sc_core::sc_time now = sc_core::sc_time_stamp();
    env.trace_complete(name(), "rx frame", "nic", now, done - now,
                       fmt::format(R"({{"fn":{},"queue":{},"bytes":{}}})", d.fn, d.queue, f.size()));
    env.trace_counter(name(), "rx delivered", "nic", "frames", static_cast<double>(m_rx_delivered));
    env.trace_counter(name(), fmt::format("rx ring {} free", d.queue), "nic", "descriptors",
                      static_cast<double>(q.ring.pending()));
  }
}

void nic_core::rx_done(unsigned fn, unsigned queue, const sc_core::sc_time& at) {
  const unsigned v = vector_of(fn, queue, false);
  if (v != ~0u) m_irq[fn]->cause(v, at);
}

// ---- register views -------------------------------------------------------------------

uint64_t nic_core::vf_read(unsigned vf, uint32_t offset, unsigned len) {
  if (vf >= m_num_vfs || offset + len > VF_BAR0_BYTES) return 0;
  return m_vf_regs[vf]->read(offset, len);
}

void nic_core::vf_write(unsigned vf, uint32_t offset, unsigned len, uint64_t value) {
  if (vf >= m_num_vfs || offset + len > VF_BAR0_BYTES) return;
  m_vf_regs[vf]->write(offset, len, value);
}

}  // namespace iovsim::nic
