#include "models/nic/interrupts.h"

#include <stdexcept>
#include <utility>

#include "models/nic/nic_regs.h"

namespace iovsim::nic {

interrupt_block::interrupt_block(interrupt_scheduler& sched, unsigned vectors, std::function<void(unsigned)> fire)
    : m_sched(sched),
      m_fire(std::move(fire)),
      m_itr(vectors),
      m_last_fire(vectors),
      m_fired_once(vectors),
      m_window_pending(vectors) {
  if (vectors == 0 || vectors > 32) throw std::invalid_argument("interrupt_block: 1..32 vectors");
}

void interrupt_block::reset() {
  m_icr = m_ims = m_iam = 0;
  std::fill(m_itr.begin(), m_itr.end(), 0);
  std::fill(m_fired_once.begin(), m_fired_once.end(), false);
  std::fill(m_window_pending.begin(), m_window_pending.end(), false);
}

sc_core::sc_time interrupt_block::interval(unsigned vector) const {
  return sc_core::sc_time(static_cast<double>((m_itr[vector] & EITR_INTERVAL_MASK) * EITR_INTERVAL_NS_PER_UNIT),
                          sc_core::SC_NS);
}

void interrupt_block::cause(unsigned vector, const sc_core::sc_time& at) {
  if (vector >= m_itr.size()) return;
  m_sched.at(at, *this, vector);
}

void interrupt_block::write_ics(uint32_t bits) {
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  for (unsigned v = 0; v < m_itr.size(); ++v)
    if (bits & (1u << v)) cause(v, now);
}

void interrupt_block::write_ims(uint32_t bits) {
  const uint32_t newly = bits & ~m_ims;
  m_ims |= bits;
  // A cause that waited while masked fires now (or at its moderation window's end).
  for (unsigned v = 0; v < m_itr.size(); ++v)
    if ((newly & m_icr) & (1u << v)) try_fire(v);
}

void interrupt_block::raise(unsigned vector) {
  m_icr |= 1u << vector;
  try_fire(vector);
}

void interrupt_block::window_end(unsigned vector) {
  m_window_pending[vector] = false;
  if (m_icr & (1u << vector)) try_fire(vector);
}

void interrupt_block::try_fire(unsigned vector) {
  const uint32_t bit = 1u << vector;
  if (!(m_ims & bit) || m_window_pending[vector]) return;  // pending until unmasked / the window ends
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  const sc_core::sc_time open = m_last_fire[vector] + interval(vector);
  if (m_fired_once[vector] && now < open) {
    m_window_pending[vector] = true;  // moderated: the window's end carries it
    m_sched.at(open, *this, vector, true);
    return;
  }
  m_icr &= ~bit;  // EIAC: cleared as the message goes
  if (m_iam & bit) m_ims &= ~bit;
  m_last_fire[vector] = now;
  m_fired_once[vector] = true;
  ++m_messages;
  m_fire(vector);
}

interrupt_scheduler::interrupt_scheduler(sc_core::sc_module_name name)
    : sc_module(name), m_queue("run", [](item& i) {
        if (i.window)
          i.block->window_end(i.vector);
        else
          i.block->raise(i.vector);  // may schedule again (a later time)
      }) {}

}  // namespace iovsim::nic
