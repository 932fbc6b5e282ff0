#include "models/nic/tx_engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "models/kit/sim_env.h"

namespace iovsim::nic {

tx_engine::tx_engine(sc_core::sc_module_name name, dma_port& dma, net::frame_pool& pool,
                     std::function<void(tx_queue&, const sc_core::sc_time&)> done)
    : sc_module(name), m_dma(dma), m_pool(pool), m_done(std::move(done)) {
  m_scratch.resize(size_t{tx_desc_prefetch} * DESCRIPTOR_BYTES);
  for (int i = 0; i < 2; ++i) {
    sc_core::sc_spawn_options o;
    o.spawn_method();
    o.set_sensitivity(i == 0 ? &m_stage_event : &m_tx_event);
    o.dont_initialize();
    if (i == 0)
      sc_core::sc_spawn([this] { stage(); }, "stage", &o);
    else
      sc_core::sc_spawn([this] { transmit(); }, "transmit", &o);
  }
}

bool tx_engine::ensure(tx_queue& q, uint32_t n, const sc_core::sc_time& at) {
  const uint32_t count = q.ring.count();
  while (q.cache.size() < n) {
    const uint32_t available = (q.ring.tail + count - q.fetch_next) % count;
    if (available == 0) return false;
    const uint32_t k = std::min({uint32_t{tx_desc_prefetch}, available, count - q.fetch_next});
    const uint64_t addr = q.ring.base + uint64_t{q.fetch_next} * DESCRIPTOR_BYTES;
    sc_core::sc_time done;
    if (!m_dma.read(q.requester_id, addr, m_scratch.data(), k * DESCRIPTOR_BYTES, std::max(at, q.cache_ready), done))
      return false;  // a fetch the IOMMU refused: the queue stalls (its fault is logged there)
    for (uint32_t i = 0; i < k; ++i) q.cache.push_back(tx_descriptor::decode(&m_scratch[i * DESCRIPTOR_BYTES]));
    q.cache_ready = done;
    q.fetch_next = (q.fetch_next + k) % count;
  }
  return true;
}

// Takes one frame of `q` into the packet buffer: false when `q` has no whole frame.
bool tx_engine::stage_one(tx_queue& q) {
  if (!q.ring.enabled || q.ring.count() == 0 || q.ring.pending() == 0) return false;
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  // The frame's descriptors: up to and including the first with EOP.
  uint32_t n = 0;
  for (;; ++n) {
    if (!ensure(q, n + 1, now)) return false;  // the driver has not written EOP yet
    if (q.cache[n].eop() || !(q.cache[n].is_data() || q.cache[n].is_context())) break;
  }
  ++n;
  staged& s = m_fifo.push_slot();  // reused in place: its dd_slots keep their capacity
  s.f = m_pool.get();
  s.q = &q;
  s.dd_slots.clear();
  s.ready = std::max(now, q.cache_ready);
  bool ok = true;
  uint32_t size = 0;
  for (uint32_t i = 0; i < n; ++i) {
    const tx_descriptor& d = q.cache[i];
    const uint64_t slot = q.ring.base + uint64_t{(q.ring.head + i) % q.ring.count()} * DESCRIPTOR_BYTES;
    if (d.rs()) s.dd_slots.push_back(slot);
    if (d.is_context()) continue;
    if (!d.is_data()) {
      ++q.bad_descriptors;
      ok = false;
      continue;
    }
    if (size + d.length() > net::MAX_FRAME_BYTES) {
      ++q.oversize;
      ok = false;
      continue;
    }
    s.f->resize(size + d.length());
    sc_core::sc_time done;
    if (!m_dma.read(q.requester_id, d.buffer, s.f->data() + size, d.length(), s.ready, done)) {
      ++q.dma_faults;
      ok = false;
    }
    size += d.length();
    s.ready = std::max(s.ready, done);
  }
  q.cache.erase(q.cache.begin(), q.cache.begin() + n);
  q.ring.head = (q.ring.head + n) % q.ring.count();
  if (!ok || size == 0) s.f.reset();  // consumed, not sent (counted above)
  m_buffered += size;
  if (m_fifo.size() == 1) m_tx_event.notify(s.ready - now);
  return true;
}

void tx_engine::stage() {
  // Round robin over the queues, a frame each, while the packet buffer has room.
  while (m_buffered < tx_buffer_bytes && !m_ready.empty()) {
    const uint32_t i = m_ready.front();
    m_ready.pop_front();
    if (stage_one(*m_queues[i]))
      m_ready.push_slot() = i;  // one frame a turn
    else
      m_work[i] = 0;  // nothing whole to send until the next doorbell
  }
}

void tx_engine::transmit() {
  if (m_fifo.empty()) return;
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  staged& s = m_fifo.front();
  if (s.ready > now) {
    m_tx_event.notify(s.ready - now);
    return;
  }
  if (m_wire && m_wire->tx_free_at(m_side) > now) {
    m_tx_event.notify(m_wire->tx_free_at(m_side) - now);
    return;
  }
  const uint32_t size = s.f ? s.f->size() : 0;
  sc_core::sc_time sent_at = now;
  if (s.f) {
    ++s.q->frames;
    s.q->bytes += size;
    ++m_sent;
    // Category "nic": one sent frame in trace.sample_every, from its data in the
    // buffer to its first bit on the wire, with a counter track of the buffer's fill.
    kit::sim_env& env = kit::sim_env::current();
    if (env.trace_enabled("nic") && env.trace_sample(m_trace_seq)) {
      env.trace_complete(name(), "tx frame", "nic", s.ready, now - s.ready,
                         fmt::format(R"({{"queue":{},"bytes":{}}})", s.q->index, size));
      env.trace_counter(name(), "tx buffer", "nic", "bytes", static_cast<double>(m_buffered));
    }
    if (m_wire)
      m_wire->send(m_side, std::move(s.f));
    else
      ++m_no_link;
  }
  // DD into every descriptor that asked (RS): the status dword of its write-back form.
  uint8_t status[4];
  put_le32(status, TXD_STAT_DD);
  for (const uint64_t slot : s.dd_slots) {
    sc_core::sc_time done;
    if (m_dma.write(s.q->requester_id, slot + 12, status, sizeof status, sent_at, done))
      m_done(*s.q, done);
    else
      ++s.q->dma_faults;
  }
  s.f.reset();
  m_fifo.pop_front();
  m_buffered -= size;
  m_stage_event.notify(sc_core::SC_ZERO_TIME);
  if (!m_fifo.empty()) {
    const sc_core::sc_time& next = m_fifo.front().ready;
    m_tx_event.notify(next > now ? next - now : sc_core::SC_ZERO_TIME);
  }
}

}  // namespace iovsim::nic
