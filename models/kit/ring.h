// A FIFO in a ring that only grows: slots are reused in place (what they hold, a
// vector's capacity, stays for the next use), so a model's queue allocates nothing
// per item once it has held its deepest. Growth doubles and keeps the order.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace iovsim::kit {

template <typename T>
class grow_ring {
 public:
  explicit grow_ring(size_t initial = 8) : m_slots(initial ? initial : 1) {}

  bool empty() const { return m_count == 0; }
  size_t size() const { return m_count; }
  T& front() { return m_slots[m_head]; }
  const T& front() const { return m_slots[m_head]; }
  // The next slot at the back, as its last use left it: fill it in place.
  T& push_slot() {
    if (m_count == m_slots.size()) grow();
    T& s = m_slots[(m_head + m_count) % m_slots.size()];
    ++m_count;
    return s;
  }
  void pop_front() {
    m_head = (m_head + 1) % m_slots.size();
    --m_count;
  }

 private:
  void grow() {
    std::vector<T> bigger(2 * m_slots.size());
    for (size_t i = 0; i < m_count; ++i) bigger[i] = std::move(m_slots[(m_head + i) % m_slots.size()]);
    m_slots = std::move(bigger);
    m_head = 0;
  }
  std::vector<T> m_slots;
  size_t m_head = 0, m_count = 0;
};

}  // namespace iovsim::kit
