#include "drivers-sim/kernel/irq.h"

namespace iovsim::host {

irq_core::irq_core() = default;

irq_core::~irq_core() {
  for (auto& [v, l] : m_lines) {
    l->alive = false;
    l->fn = nullptr;
    l->wake.notify(sc_core::SC_ZERO_TIME);
  }
}

unsigned irq_core::request_irq(const std::string& name, handler h) {
  unsigned vector = FIRST_DEVICE_VECTOR;
  while (vector <= LAST_DEVICE_VECTOR && m_lines.count(vector)) ++vector;
  if (vector > LAST_DEVICE_VECTOR) return 0;
  auto l = std::make_shared<line>();
  l->name = name;
  l->fn = std::move(h);
  l->entry = m_entry() + m_overhead;
  m_lines[vector] = l;
  sc_core::sc_spawn([l] { thread(l); }, sc_core::sc_gen_unique_name("irq"));
  return vector;
}

void irq_core::free_irq(unsigned vector) {
  auto it = m_lines.find(vector);
  if (it == m_lines.end()) return;
  it->second->alive = false;
  it->second->fn = nullptr;
  it->second->wake.notify(sc_core::SC_ZERO_TIME);
  m_lines.erase(it);
}

bool irq_core::deliver(uint64_t addr, uint32_t data) {
  if ((addr & 0xfff00000) != MSI_ADDRESS) return false;
  auto it = m_lines.find(data & 0xff);
  if (it == m_lines.end()) {
    ++m_spurious;
    return false;
  }
  line& l = *it->second;
  ++l.count;
  l.pending = true;
  l.wake.notify(sc_core::SC_ZERO_TIME);
  return true;
}

void irq_core::thread(std::shared_ptr<line> l) {
  while (true) {
    sc_core::wait(l->wake);
    while (l->alive && l->pending) {
      l->pending = false;
      l->running = true;
      l->counted_from = sc_core::sc_time_stamp();
      ++l->runs;
      sc_core::wait(l->entry);
      if (l->alive) {
        const handler fn = l->fn;  // free_irq() from inside the handler must not destroy it while it runs
        fn();
      }
      l->busy += sc_core::sc_time_stamp() - l->counted_from;
      l->running = false;
    }
    if (!l->alive) return;
  }
}

void irq_core::reset_stats() {
  for (auto& [v, l] : m_lines) {
    l->count = l->runs = 0;
    l->busy = sc_core::SC_ZERO_TIME;
    l->counted_from = sc_core::sc_time_stamp();  // a run in progress counts from now
  }
  m_spurious = 0;
  m_since = sc_core::sc_time_stamp();
}

std::vector<irq_core::irq_info> irq_core::irqs() const {
  std::vector<irq_info> out;
  // A handler that runs for the whole window (NAPI polling without a break) is busy
  // now, not after it returns.
  for (const auto& [v, l] : m_lines)
    out.push_back({v, l->name, l->count, l->runs,
                   l->busy + (l->running ? sc_core::sc_time_stamp() - l->counted_from : sc_core::SC_ZERO_TIME)});
  return out;
}

}  // namespace iovsim::host
