// Items that take effect at a later simulated time (an interrupt message on its way,
// a moderation window's end), delivered in time order, ties in the order they were
// pushed (determinism), from one SC_METHOD and one event for the whole queue: a burst
// costs one event per distinct time, not per item. No allocation once the heap has
// grown to its deepest. Construct it while its owner module is being built (the
// method is spawned then).
#pragma once

#include <cstdint>
#include <functional>
#include <queue>
#include <systemc>
#include <utility>
#include <vector>

namespace iovsim::kit {

template <typename T>
class timed_queue {
 public:
  timed_queue(const char* name, std::function<void(T&)> deliver) : m_deliver(std::move(deliver)) {
    sc_core::sc_spawn_options o;
    o.spawn_method();
    o.set_sensitivity(&m_event);
    o.dont_initialize();
    sc_core::sc_spawn([this] { run(); }, name, &o);
  }
  timed_queue(const timed_queue&) = delete;
  timed_queue& operator=(const timed_queue&) = delete;

  // `item` is delivered at `at` (now if that has passed).
  void push(const sc_core::sc_time& at, T item) {
    const sc_core::sc_time now = sc_core::sc_time_stamp();
    const sc_core::sc_time t = at < now ? now : at;
    const bool earliest = m_heap.empty() || t < m_heap.top().at;
    m_heap.push({t, m_seq++, std::move(item)});
    if (earliest) m_event.notify(t - now);
  }
  bool empty() const { return m_heap.empty(); }

 private:
  struct entry {
    sc_core::sc_time at;
    uint64_t seq;
    T item;
    bool operator>(const entry& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };
  void run() {
    const sc_core::sc_time now = sc_core::sc_time_stamp();
    while (!m_heap.empty() && m_heap.top().at <= now) {
      entry e = m_heap.top();
      m_heap.pop();
      m_deliver(e.item);  // may push again
    }
    if (!m_heap.empty()) m_event.notify(m_heap.top().at - now);
  }

  std::function<void(T&)> m_deliver;
  std::priority_queue<entry, std::vector<entry>, std::greater<entry>> m_heap;
  uint64_t m_seq = 0;
  sc_core::sc_event m_event;
};

}  // namespace iovsim::kit
