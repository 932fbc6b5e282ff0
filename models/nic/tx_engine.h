// The transmit side of one NIC port: the queues of every function that sends through
// it, and the engine that moves their frames onto the wire. As on the 82599 (data
// sheet 7.2), a pipeline:
//   fetch  descriptors into each queue's on-chip descriptor buffer
//          (`tx_desc_cache`), by the TXDCTL thresholds PTHRESH/HTHRESH as software
//          wrote them: with the buffer empty, as soon as software has any out; with
//          fewer than PTHRESH left, once it has HTHRESH out (82598 data sheet
//          3.5.2.6 "Receive Descriptor Fetching" and 4.4.3.5.6, which transmit
//          shares; the 82599's 7.2.3 text was not in the sources at hand, its
//          registers have the same fields: ixgbe_type.h). Linux's ixgbe writes
//          PTHRESH 32, HTHRESH 1 (ixgbe_configure_tx_ring()), DPDK's 32, 0
//          (ixgbe_ethdev.c IXGBE_DEFAULT_TX_PTHRESH/HTHRESH); the simulated
//          drivers leave them 0. A fetch takes what the buffer has room for, one
//          read up to the ring's end; several may be in flight.
//   data   each frame's data read by DMA into the port's transmit packet buffer
//          (`tx_buffer_bytes`) once its descriptors arrived, with as many reads in
//          flight as the port has PCIe tags (tlm_dma_port::max_read_requests): the
//          reads of the next frames overlap the wire time of this one.
//   wire   frames leave the buffer in order, one after another at the wire's rate.
// Queues with work are served round robin, a frame at a time. A descriptor with RS
// gets DD written back once its frame left (TXDCTL.WTHRESH 0, what the drivers
// write: the write-back is immediate for every RS descriptor, 82598 data sheet
// 3.5.3.3.4); that write's completion is the queue's interrupt cause.
// Every DMA is asked for now, never reserved ahead on the shared path: a queue whose
// descriptors are still on their way, or a port with every read tag out, waits for
// them (out of the round robin, like a rate-limited queue) and staging runs again.
//
// Events: staging runs when a doorbell rang, buffer space freed, a fetch arrived or a
// tag came back (many frames per run); one event per frame sent.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <systemc>
#include <vector>

#include "models/kit/param.h"
#include "models/kit/ring.h"
#include "models/kit/stats.h"
#include "models/net/frame.h"
#include "models/nic/descriptors.h"
#include "models/nic/dma_port.h"
#include "models/nic/rx_queue.h"
#include "models/wire/wire.h"

namespace iovsim::nic {

struct tx_queue {
  tx_queue(std::string queue_name, uint16_t rid) : name(std::move(queue_name)), requester_id(rid) {}
  std::string name;
  uint32_t index = 0;  // the owner's number for it
  uint32_t engine_slot = 0;  // its place in the engine's round robin
  ring_state ring;
  uint16_t requester_id;
  // Descriptors fetched from ring.head on, each with when the read that brought it
  // completed (in order: later fetches complete later).
  struct cached {
    tx_descriptor d;
    sc_core::sc_time ready;
  };
  std::vector<cached> cache;
  uint32_t fetch_next = 0;
  // TXDCTL.PTHRESH [6:0] and HTHRESH [14:8], in descriptors, as software wrote them.
  uint32_t pthresh = 0, hthresh = 0;
  uint64_t frames = 0, bytes = 0;
  uint64_t bad_descriptors = 0;  // not an advanced data or context descriptor: skipped
  uint64_t dma_faults = 0;       // frames dropped because a read or write-back failed
  uint64_t oversize = 0;         // frames beyond the largest the port sends
  // RTTBCNRC (RS_ENA, rate factor = line rate / queue rate, 10.14 fixed point): the
  // queue may not start its next frame before `next_start`.
  uint32_t rate_limit = 0;
  sc_core::sc_time next_start;
  // Software changed the ring: the cache is forgotten.
  void restart() {
    cache.clear();
    fetch_next = ring.head;
  }
};

class tx_engine : public sc_core::sc_module {
 public:
  // What the port's switch does with a frame at the head of the packet buffer
  // (nic_core: anti-spoofing, port VLAN, local switching).
  enum class action : uint8_t { wire, wire_and_local, local, drop };
  struct switch_hooks {
    std::function<bool(const tx_queue&)> may_send;            // PFVFTE: the queue's pool may transmit
    std::function<action(tx_queue&, net::frame&)> decide;     // may rewrite the frame (a port VLAN)
    std::function<void(tx_queue&, const net::frame&)> local;  // local copies of a frame for the wire too
  };
  void set_switch(switch_hooks hooks) { m_switch = std::move(hooks); }

  // `done(queue, at)`: a write-back of DD for `queue` completes at `at`.
  tx_engine(sc_core::sc_module_name name, dma_port& dma, net::frame_pool& pool,
            std::function<void(tx_queue&, const sc_core::sc_time&)> done);

  // The wire the port is cabled to (none: frames are dropped as "no link").
  void connect(wire::wire* w, unsigned side) {
    m_wire = w;
    m_side = side;
  }
  void add_queue(tx_queue& q) {
    q.engine_slot = static_cast<uint32_t>(m_queues.size());
    m_queues.push_back(&q);
    m_work.push_back(0);
  }
  // A TDT write to `q` (every queue when null): there may be new work. Staging only
  // visits queues a doorbell marked, so a port with 128 queues and one busy costs
  // nothing for the other 127.
  void doorbell(tx_queue* q = nullptr) {
    if (q) {
      mark(q->engine_slot);
    } else {
      for (uint32_t i = 0; i < m_work.size(); ++i) mark(i);
    }
    m_stage_event.notify(sc_core::SC_ZERO_TIME);
  }

  uint64_t frames_sent() const { return m_sent; }
  uint64_t dropped_no_link() const { return m_no_link; }
  uint32_t buffered_bytes() const { return m_buffered; }

 private:
  struct staged {
    net::frame_ptr f;
    sc_core::sc_time ready;  // its data is in the buffer
    tx_queue* q = nullptr;
    std::vector<uint64_t> dd_slots;  // descriptors to write DD into (RS set)
    uint32_t bytes = 0;              // what it holds of the buffer
    bool decided = false;
    action act = action::wire;
  };
  void stage();
  void transmit();
  void release();  // rate-limited queues whose time came back into the round robin
  // Fetches for `q` as its thresholds say, asked for now; `beyond`: one fetch whatever
  // they say, past the buffer's size if it is full (a frame longer than it).
  void top_up(tx_queue& q, bool beyond = false);
  // How many descriptors `q`'s next frame spans (through the first with EOP, or a
  // descriptor that is neither data nor context), 0 when none is whole in the cache.
  uint32_t next_frame(const tx_queue& q) const;
  void stage_one(tx_queue& q, uint32_t n);
  void hold(uint32_t slot, const sc_core::sc_time& until);

  dma_port& m_dma;
  net::frame_pool& m_pool;
  std::function<void(tx_queue&, const sc_core::sc_time&)> m_done;
  wire::wire* m_wire = nullptr;
  unsigned m_side = 0;
  std::vector<tx_queue*> m_queues;
  // Queues a doorbell marked since they last had no whole frame, in round-robin order
  // (each staged frame sends its queue to the back).
  std::vector<uint8_t> m_work;
  kit::grow_ring<uint32_t> m_ready{8};
  void mark(uint32_t slot) {
    if (m_work[slot]) return;
    m_work[slot] = 1;
    m_ready.push_slot() = slot;
  }
  kit::grow_ring<staged> m_fifo{16};  // frames in the packet buffer, in order
  // Queues with work that their rate limiter holds back, and when each may go: they
  // stay marked (m_work) but out of the round robin, so nothing waits behind them.
  std::vector<std::pair<sc_core::sc_time, uint32_t>> m_held;
  sc_core::sc_event m_release_event;
  switch_hooks m_switch;
  uint32_t m_buffered = 0;
  std::vector<uint8_t> m_scratch;
  sc_core::sc_event m_stage_event, m_tx_event;
  uint64_t m_sent = 0, m_no_link = 0;
  uint64_t m_trace_seq = 0;  // trace sampling (trace.sample_every)
  kit::scope m_scope{name(), "nic"};

 public:
  // The 82599's transmit packet buffer is 160 KB (data sheet 1.3, "Tx packet buffer").
  kit::param<unsigned> tx_buffer_bytes{m_scope,
                                       "tx_buffer_bytes",
                                       160 * 1024,
                                       "bytes",
                                       "transmit packet buffer: frames read from host memory, waiting for the wire",
                                       {16 * 1024, 1u << 24}};
  // The per-queue on-chip descriptor buffer: 40 descriptors on the 82599 (Linux 6.1
  // ixgbe_main.c ixgbe_configure_tx_ring(): "WTHRESH + PTHRESH should always be equal
  // to or less than the number of on chip descriptors, which is currently 40").
  kit::param<unsigned> tx_desc_cache{m_scope,
                                     "tx_desc_cache",
                                     40,
                                     "descriptors",
                                     "per-queue on-chip transmit descriptor buffer (what one fetch can fill)",
                                     {1, 256}};
};

}  // namespace iovsim::nic
