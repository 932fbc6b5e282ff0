// A function's extended interrupt registers in MSI-X mode (82599 data sheet 7.3; the
// PF's EICR/EIMS/EIMC/EIAM/EITR, a VF's VTEICR/VTEIMS/VTEIMC/VTEIAM/VTEITR): a cause
// bit per vector, a mask, auto-masking when a vector fires, and moderation: a vector
// fires at most once per its EITR interval, the causes that arrive in between ride on
// the next message. A cause that arrives masked stays pending (EICR) and fires when
// software unmasks it. Firing clears the cause (EIAC: auto-clear in MSI-X mode, as
// ixgbe sets it) and sends the vector's MSI-X message through `fire`.
//
// One event for the whole NIC: causes wait in a kit::timed_queue, so a burst of
// completions costs one event per message sent, not per cause.
#pragma once

#include <cstdint>
#include <functional>
#include <systemc>
#include <vector>

#include "models/kit/timed_queue.h"

namespace iovsim::nic {

class interrupt_scheduler;

class interrupt_block {
 public:
  // `vectors`: how many (at most 32); `fire(vector)` sends its MSI-X message.
  interrupt_block(interrupt_scheduler& sched, unsigned vectors, std::function<void(unsigned)> fire);

  // A cause for `vector` becomes true at `at` (>= now): a write-back completed.
  void cause(unsigned vector, const sc_core::sc_time& at);

  // Software's view.
  uint32_t read_icr() const { return m_icr; }
  void write_icr(uint32_t w1c) { m_icr &= ~w1c; }
  void write_ics(uint32_t bits);  // software sets causes (EICS)
  uint32_t read_ims() const { return m_ims; }
  void write_ims(uint32_t bits);                     // unmask (EIMS)
  void write_imc(uint32_t bits) { m_ims &= ~bits; }  // mask (EIMC)
  uint32_t read_iam() const { return m_iam; }
  void write_iam(uint32_t bits) { m_iam = bits; }
  uint32_t read_itr(unsigned vector) const { return m_itr[vector]; }
  void write_itr(unsigned vector, uint32_t value) { m_itr[vector] = value; }
  void reset();

  unsigned vectors() const { return static_cast<unsigned>(m_itr.size()); }
  uint64_t messages() const { return m_messages; }

 private:
  friend class interrupt_scheduler;
  sc_core::sc_time interval(unsigned vector) const;
  // The scheduler's callbacks: a cause became true, or a moderation window ended.
  void raise(unsigned vector);
  void window_end(unsigned vector);
  // Sends the vector's message now if it is unmasked and outside its window; inside
  // it, once at the window's end.
  void try_fire(unsigned vector);

  interrupt_scheduler& m_sched;
  std::function<void(unsigned)> m_fire;
  uint32_t m_icr = 0, m_ims = 0, m_iam = 0;
  std::vector<uint32_t> m_itr;
  std::vector<sc_core::sc_time> m_last_fire;
  std::vector<bool> m_fired_once;
  std::vector<bool> m_window_pending;
  uint64_t m_messages = 0;
};

class interrupt_scheduler : public sc_core::sc_module {
 public:
  explicit interrupt_scheduler(sc_core::sc_module_name name);
  // Calls block.raise(vector) (or window_end) at `at`.
  void at(const sc_core::sc_time& at, interrupt_block& block, unsigned vector, bool window = false) {
    m_queue.push(at, {&block, vector, window});
  }

 private:
  struct item {
    interrupt_block* block;
    unsigned vector;
    bool window;
  };
  kit::timed_queue<item> m_queue;
};

}  // namespace iovsim::nic
