// The host's interrupts as drivers see them (Linux kernel/irq/manage.c
// request_threaded_irq(), arch/x86/kernel/apic/vector.c, drivers/pci/msi/): an MSI
// is a memory write to the local APIC window, address 0xFEE00000 | destination APIC
// ID << 12, the vector in data[7:0] (Intel SDM vol. 3 section 11.11). request_irq()
// gives a driver a free vector and runs its handler when a message with that vector
// arrives.
//
// Every handler is threaded (request_threaded_irq() with IRQF_ONESHOT): the message
// arrives inside a model's process, where nothing may wait, so the "hard" part only
// wakes the irq's SystemC thread, which charges the interrupt entry and exit
// (`host.irq.entry`) and runs the handler. A message that arrives while the handler
// runs makes it run once more. Handlers may wait() (MMIO, CPU costs). Each irq thread
// stands for a CPU of its own; the shell runs on another.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <systemc>
#include <vector>

#include "models/kit/param.h"

namespace iovsim::host {

class irq_core {
 public:
  using handler = std::function<void()>;

  // The local APIC's MSI window (Intel SDM 11.11.1), destination APIC 0.
  static constexpr uint64_t MSI_ADDRESS = 0xfee00000;
  // Vectors handed to devices: above the IOMMU's own (0x24, 0x25: dmar.h) and the
  // legacy range, below the system vectors at 0xec (arch/x86/include/asm/irq_vectors.h
  // FIRST_SYSTEM_VECTOR is higher; LOCAL_TIMER_VECTOR 0xec).
  static constexpr unsigned FIRST_DEVICE_VECTOR = 0x30, LAST_DEVICE_VECTOR = 0xeb;

  irq_core();
  ~irq_core();

  // A free vector with `h` as its handler ("name" shows in /proc/interrupts); 0 when
  // no vector is left.
  unsigned request_irq(const std::string& name, handler h);
  // The handler goes; a message still arriving for the vector is counted spurious.
  void free_irq(unsigned vector);

  // The platform's MSI write. True if a handler took it (its thread wakes).
  bool deliver(uint64_t addr, uint32_t data);

  struct irq_info {
    unsigned vector;
    std::string name;
    uint64_t count;         // messages taken
    uint64_t runs;          // handler runs (a message during a run makes one more)
    sc_core::sc_time busy;  // CPU time in entry and handler (the irq's CPU was busy), a run in progress up to now
  };
  // Requested irqs by vector, with the messages each took (/proc/interrupts).
  std::vector<irq_info> irqs() const;
  uint64_t spurious() const { return m_spurious; }
  // Counts and busy times start again from now (`cpu stats --reset`).
  void reset_stats();
  const sc_core::sc_time& stats_since() const { return m_since; }
  const sc_core::sc_time& entry_cost() const { return m_entry(); }
  // CPU time a virtual platform adds to every interrupt (a guest's EOI exit), on top
  // of the entry cost, for irqs requested from now on.
  void set_entry_overhead(const sc_core::sc_time& t) { m_overhead = t; }

 private:
  // Shared with the irq's thread, which may outlive a free_irq() or the core.
  struct line {
    std::string name;
    handler fn;
    sc_core::sc_event wake;
    bool pending = false, alive = true;
    uint64_t count = 0, runs = 0;
    sc_core::sc_time entry, busy;
    bool running = false;
    sc_core::sc_time counted_from;  // the running run's time from here is not in `busy` yet
  };
  static void thread(std::shared_ptr<line> l);

  kit::scope m_scope{"host.irq", "host.irq"};
  // Interrupt entry, dispatch and exit on x86: about 1 us (Larsen et al., "Architectural
  // breakdown of end-to-end latency in a TCP/IP network", Int. J. Parallel Prog. 2009,
  // measured ~1 us from MSI to the handler; the exit and EOI add a few hundred ns).
  kit::param<sc_core::sc_time> m_entry{m_scope, "entry", sc_core::sc_time(1, sc_core::SC_US),
                                       "CPU time to enter, dispatch and leave an interrupt handler"};
  sc_core::sc_time m_overhead;
  std::map<unsigned, std::shared_ptr<line>> m_lines;
  uint64_t m_spurious = 0;
  sc_core::sc_time m_since;
};

}  // namespace iovsim::host
