// Timing by resource reservation (DESIGN.md section 2): a shared resource (a link
// direction, a DMA engine, a memory channel, the page walker) keeps the time it is
// busy until. A use of cost C asked for at time T starts at max(T, busy_until) and
// holds it for C; contention and saturation follow without per-cycle events.
#pragma once

#include <systemc>

namespace iovsim::kit {

class timed_resource {
 public:
  // Reserves the resource for `cost` from `now` (or when it frees up); returns the
  // completion time.
  sc_core::sc_time reserve(const sc_core::sc_time& now, const sc_core::sc_time& cost) {
    const sc_core::sc_time start = now > m_busy_until ? now : m_busy_until;
    m_busy_until = start + cost;
    m_busy_total += cost;
    m_wait_total += start - now;
    ++m_uses;
    return m_busy_until;
  }
  const sc_core::sc_time& busy_until() const { return m_busy_until; }
  const sc_core::sc_time& busy_total() const { return m_busy_total; }   // utilisation numerator
  const sc_core::sc_time& wait_total() const { return m_wait_total; }   // queueing delay caused
  uint64_t uses() const { return m_uses; }

 private:
  sc_core::sc_time m_busy_until = sc_core::SC_ZERO_TIME;
  sc_core::sc_time m_busy_total = sc_core::SC_ZERO_TIME;
  sc_core::sc_time m_wait_total = sc_core::SC_ZERO_TIME;
  uint64_t m_uses = 0;
};

}  // namespace iovsim::kit
