#include "models/nic/tx_engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "models/kit/sim_env.h"
#include "models/nic/nic_regs.h"
#include "models/wire/ethernet.h"

namespace iovsim::nic {

tx_engine::tx_engine(sc_core::sc_module_name name, dma_port& dma, net::frame_pool& pool,
                     std::function<void(tx_queue&, const sc_core::sc_time&)> done)
    : sc_module(name), m_dma(dma), m_pool(pool), m_done(std::move(done)) {
  m_scratch.resize(size_t{tx_desc_cache} * DESCRIPTOR_BYTES);
  for (int i = 0; i < 3; ++i) {
    sc_core::sc_spawn_options o;
    o.spawn_method();
    o.set_sensitivity(i == 0 ? &m_stage_event : i == 1 ? &m_tx_event : &m_release_event);
    o.dont_initialize();
    if (i == 0)
      sc_core::sc_spawn([this] { stage(); }, "stage", &o);
    else if (i == 1)
      sc_core::sc_spawn([this] { transmit(); }, "transmit", &o);
    else
      sc_core::sc_spawn([this] { release(); }, "release", &o);
  }
}

// TXDCTL's fetch rule (82598 data sheet 3.5.3, as for receive in 3.5.2.6): with the
// on-chip buffer empty, a fetch as soon as software has any descriptor out; with
// fewer than PTHRESH left, once it has at least HTHRESH out. Each fetch fills what
// the buffer has room for (one read up to the end of the ring) and is asked for now;
// its descriptors are usable when it completes.
void tx_engine::top_up(tx_queue& q, bool beyond) {
  const uint32_t count = q.ring.count();
  if (count == 0) return;
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  const auto capacity = static_cast<uint32_t>(tx_desc_cache);
  for (;;) {
    const uint32_t available = (q.ring.tail + count - q.fetch_next) % count;
    const auto cached = static_cast<uint32_t>(q.cache.size());
    if (available == 0) return;
    if (!beyond) {
      if (cached >= capacity) return;
      if (cached != 0 && !(cached < q.pthresh && available >= std::max<uint32_t>(q.hthresh, 1))) return;
    }
    const uint32_t room = cached < capacity ? capacity - cached : capacity;
    const uint32_t k = std::min({room, available, count - q.fetch_next});
    const uint64_t addr = q.ring.base + uint64_t{q.fetch_next} * DESCRIPTOR_BYTES;
    sc_core::sc_time done;
    if (!m_dma.read(q.requester_id, addr, m_scratch.data(), k * DESCRIPTOR_BYTES, now, done))
      return;  // a fetch the IOMMU refused: the queue stalls (its fault is logged there)
    for (uint32_t i = 0; i < k; ++i) q.cache.push_back({tx_descriptor::decode(&m_scratch[i * DESCRIPTOR_BYTES]), done});
    q.fetch_next = (q.fetch_next + k) % count;
    beyond = false;
  }
}

uint32_t tx_engine::next_frame(const tx_queue& q) const {
  for (uint32_t n = 0; n < q.cache.size(); ++n) {
    const tx_descriptor& d = q.cache[n].d;
    if (d.eop() || !(d.is_data() || d.is_context())) return n + 1;
  }
  return 0;
}

void tx_engine::hold(uint32_t slot, const sc_core::sc_time& until) {
  m_held.emplace_back(until, slot);
  m_release_event.notify(until - sc_core::sc_time_stamp());  // an earlier pending notification wins
}

// Takes the next frame of `q`, its `n` descriptors cached and arrived, into the packet
// buffer: its data reads are asked for now.
void tx_engine::stage_one(tx_queue& q, uint32_t n) {
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  staged& s = m_fifo.push_slot();  // reused in place: its dd_slots keep their capacity
  s.f = m_pool.get();
  s.q = &q;
  s.dd_slots.clear();
  s.decided = false;
  s.act = action::wire;
  s.ready = now;
  bool ok = true;
  uint32_t size = 0;
  for (uint32_t i = 0; i < n; ++i) {
    const tx_descriptor& d = q.cache[i].d;
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
  s.bytes = size;
  m_buffered += size;
  // The rate limiter: this frame's time on the wire, stretched by the rate factor,
  // before the queue's next frame may start.
  if ((q.rate_limit & RTTBCNRC_RS_ENA) && size) {
    const uint64_t rf = q.rate_limit & RTTBCNRC_RF_MASK;  // x 2^-14
    const uint64_t mbps = m_wire ? m_wire->rate_mbps() : 10000;
    const uint64_t ps = wire::wire_bytes(size) * 8'000'000ull * rf / (mbps << 14);
    q.next_start = std::max(now, q.next_start) + sc_core::sc_time(static_cast<double>(ps), sc_core::SC_PS);
  }
  if (m_fifo.size() == 1) m_tx_event.notify(s.ready - now);
}

void tx_engine::stage() {
  // Round robin over the queues, a frame each, while the packet buffer has room.
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  while (m_buffered < tx_buffer_bytes && !m_ready.empty()) {
    const uint32_t i = m_ready.front();
    m_ready.pop_front();
    tx_queue& q = *m_queues[i];
    if (m_switch.may_send && !m_switch.may_send(q)) {
      m_work[i] = 0;  // its pool may not transmit: a PFVFTE write rings every queue again
      continue;
    }
    if ((q.rate_limit & RTTBCNRC_RS_ENA) && q.next_start > now) {
      hold(i, q.next_start);  // still marked, out of the round robin until its time (release())
      continue;
    }
    if (!q.ring.enabled || q.ring.count() == 0) {
      m_work[i] = 0;
      continue;
    }
    top_up(q);
    uint32_t n = next_frame(q);
    if (n == 0) {
      // The cache holds the start of a frame only: the hardware has taken those
      // descriptors in hand (82598 data sheet 4.4.3.5.6: PTHRESH is to exceed the
      // buffers of one packet), so the rest is fetched whatever the thresholds say,
      // beyond the buffer's size if the frame is longer than it.
      top_up(q, true);
      n = next_frame(q);
    }
    if (n == 0) {
      m_work[i] = 0;  // nothing whole to send until the next doorbell
      continue;
    }
    // Its descriptors on their way, or every read tag out: the queue waits for them.
    const sc_core::sc_time& arrived = q.cache[n - 1].ready;
    if (arrived > now) {
      hold(i, arrived);
      continue;
    }
    const sc_core::sc_time tag = m_dma.read_tag_free(now);
    if (tag > now) {
      hold(i, tag);
      continue;
    }
    stage_one(q, n);
    top_up(q);                // the next fetch goes out as soon as the thresholds say
    m_ready.push_slot() = i;  // one frame a turn
  }
}

void tx_engine::release() {
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  sc_core::sc_time next = sc_core::SC_ZERO_TIME;
  size_t keep = 0;
  for (size_t k = 0; k < m_held.size(); ++k) {
    if (m_held[k].first <= now) {
      m_ready.push_slot() = m_held[k].second;  // in the order they were held
    } else {
      if (next == sc_core::SC_ZERO_TIME || m_held[k].first < next) next = m_held[k].first;
      m_held[keep++] = m_held[k];
    }
  }
  m_held.resize(keep);
  if (next != sc_core::SC_ZERO_TIME) m_release_event.notify(next - now);
  m_stage_event.notify(sc_core::SC_ZERO_TIME);
}

void tx_engine::transmit() {
  if (m_fifo.empty()) return;
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  staged& s = m_fifo.front();
  if (s.ready > now) {
    m_tx_event.notify(s.ready - now);
    return;
  }
  // The switch sees the frame once, when it leaves the buffer: a frame only local
  // pools take, or one anti-spoofing drops, never waits for the wire.
  if (s.f && !s.decided) {
    s.act = m_switch.decide ? m_switch.decide(*s.q, *s.f) : action::wire;
    s.decided = true;
  }
  const bool to_wire = s.f && (s.act == action::wire || s.act == action::wire_and_local);
  if (to_wire && m_wire && m_wire->tx_free_at(m_side) > now) {
    m_tx_event.notify(m_wire->tx_free_at(m_side) - now);
    return;
  }
  const uint32_t size = s.f ? s.f->size() : 0;
  sc_core::sc_time sent_at = now;
  if (s.f && s.act != action::drop) {
    ++s.q->frames;
    s.q->bytes += size;
  }
  if (to_wire) {
    if (s.act == action::wire_and_local) m_switch.local(*s.q, *s.f);
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
  m_buffered -= s.bytes;
  m_fifo.pop_front();
  m_stage_event.notify(sc_core::SC_ZERO_TIME);
  if (!m_fifo.empty()) {
    const sc_core::sc_time& next = m_fifo.front().ready;
    m_tx_event.notify(next > now ? next - now : sc_core::SC_ZERO_TIME);
  }
}

}  // namespace iovsim::nic
