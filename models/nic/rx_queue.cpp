#include "models/nic/rx_queue.h"

#include <algorithm>

namespace iovsim::nic {

const char* rx_drop_name(rx_drop d) {
  switch (d) {
    case rx_drop::none:
      return "none";
    case rx_drop::queue_disabled:
      return "queue_disabled";
    case rx_drop::no_descriptor:
      return "no_rx_descriptor";
    case rx_drop::buffer_too_small:
      return "buffer_too_small";
    case rx_drop::dma_fault:
      return "dma_fault";
    case rx_drop::l2_filter:
      return "l2_filter";
    case rx_drop::vlan_filter:
      return "vlan_filter";
    case rx_drop::pool_disabled:
      return "pool_rx_disabled";
    case rx_drop::packet_buffer_full:
      return "rx_packet_buffer_full";
    case rx_drop::count:
      break;
  }
  return "?";
}

rx_queue::rx_queue(dma_port& dma, uint16_t rid, uint32_t cache)
    : requester_id(rid), m_dma(dma), m_capacity(std::max<uint32_t>(cache, 1)) {}

void rx_queue::restart() {
  m_cached = 0;
  m_cache_first = 0;
  m_fetch_next = ring.head;
  m_fetch_failed = false;
}

uint32_t rx_queue::descriptors_available() const {
  const uint32_t count = ring.count();
  return count ? (ring.tail + count - m_fetch_next) % count : 0;
}

// What software handed over beyond what was fetched, up to the room in the on-chip
// buffer and the end of the ring (one contiguous read), asked for at `at`.
bool rx_queue::fetch(const sc_core::sc_time& at, uint64_t& fault_addr) {
  const uint32_t count = ring.count();
  const uint32_t n = std::min({m_capacity - m_cached, descriptors_available(), count - m_fetch_next});
  const uint64_t addr = ring.base + uint64_t{m_fetch_next} * DESCRIPTOR_BYTES;
  if (m_cache.empty()) {  // the first fetch: a port's 129 queues, most never used, hold none
    m_cache.resize(m_capacity);
    m_scratch.resize(size_t{m_capacity} * DESCRIPTOR_BYTES);
  }
  sc_core::sc_time ready;
  if (!m_dma.read(requester_id, addr, m_scratch.data(), n * DESCRIPTOR_BYTES, at, ready)) {
    fault_addr = addr;
    return false;
  }
  ++m_fetches;
  for (uint32_t i = 0; i < n; ++i)
    m_cache[(m_cache_first + m_cached + i) % m_capacity] = cached{le64(&m_scratch[i * DESCRIPTOR_BYTES]), ready};
  m_cached += n;
  m_fetch_next = (m_fetch_next + n) % count;
  return true;
}

// The fetch rule of RXDCTL (82598 data sheet 3.5.2.6 and 4.4.3.5.6): with the
// on-chip buffer empty, as soon as software has any descriptor out; with fewer than
// PTHRESH left, once it has at least HTHRESH out. A fetch wrapping the ring's end is
// two reads.
bool rx_queue::top_up(const sc_core::sc_time& at, uint64_t& fault_addr) {
  for (;;) {
    const uint32_t available = descriptors_available();
    if (available == 0 || m_cached == m_capacity) return true;
    if (m_cached != 0 && !(m_cached < m_pthresh && available >= std::max<uint32_t>(m_hthresh, 1))) return true;
    if (!fetch(at, fault_addr)) return false;
  }
}

rx_drop rx_queue::receive(const net::frame& f, uint8_t rss_type, uint32_t rss_hash, sc_core::sc_time& done,
                          uint64_t& fault_addr, bool vlan_stripped, uint16_t vlan) {
  m_consumed = false;
  const uint32_t count = ring.count();
  if (!ring.enabled || count == 0) return drop(rx_drop::queue_disabled);
  if (f.size() > buffer_bytes) return drop(rx_drop::buffer_too_small);
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  if (m_cached == 0) {
    // A fetch made when the cache ran dry failed: this frame pays for it.
    if (m_fetch_failed) {
      m_fetch_failed = false;
      fault_addr = m_fetch_fault_addr;
      return drop(rx_drop::dma_fault);
    }
    if (!descriptors_available()) return drop(rx_drop::no_descriptor);
    if (!top_up(now, fault_addr)) return drop(rx_drop::dma_fault);
  }
  const uint64_t buffer = m_cache[m_cache_first].buffer;
  sc_core::sc_time data_done;
  // Posted writes (see receive() in the header): a fault is noted, nothing stops.
  bool lost = false;
  const sc_core::sc_time start = std::max(now, m_cache[m_cache_first].ready);
  if (!m_dma.write(requester_id, buffer, f.data(), f.size(), start, data_done)) {
    fault_addr = buffer;
    lost = true;
  }
  rx_writeback wb;
  wb.rss_type = rss_type;
  wb.rss_hash = rss_hash;
  wb.length = static_cast<uint16_t>(f.size());
  if (vlan_stripped) {
    wb.status |= RXD_STAT_VP;
    wb.vlan = vlan;
  }
  uint8_t desc[DESCRIPTOR_BYTES];
  wb.encode(desc);
  const uint64_t slot = ring.base + uint64_t{ring.head} * DESCRIPTOR_BYTES;
  // The write-back goes out right behind the data, not once the data is in memory:
  // posted writes do not pass posted writes (PCIe base spec 2.4.1, Table 2-39 A2a),
  // so it cannot land first, and the port does not wait (waiting left the link idle
  // for a round trip per frame, which under replication capped delivery well below
  // what the link carries). The path's reservations keep it behind the data's TLPs.
  if (!m_dma.write(requester_id, slot, desc, DESCRIPTOR_BYTES, start, done) && !lost) {
    fault_addr = slot;
    lost = true;
  }
  done = std::max(done, data_done);
  m_cache_first = (m_cache_first + 1) % m_capacity;
  --m_cached;
  ring.head = (ring.head + 1) % count;
  m_consumed = true;
  // The next fetch by the thresholds, asked for now, behind this frame's writes: with
  // the buffer used up (PTHRESH 0, what ixgbe leaves the 82599's at) the round trip
  // overlaps the other queues' writes and the next frame's arrival instead of
  // leaving the link idle; with PTHRESH it starts before the buffer runs dry.
  if (!m_fetch_failed) {
    uint64_t addr = 0;
    if (!top_up(start, addr)) {
      m_fetch_failed = m_cached == 0;  // a frame pays for it only when nothing is left
      m_fetch_fault_addr = addr;
    }
  }
  if (lost) return drop(rx_drop::dma_fault);
  ++m_frames;
  m_bytes += f.size();
  return rx_drop::none;
}

}  // namespace iovsim::nic
