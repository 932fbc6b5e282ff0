// The data path the ixgbe and ixgbevf drivers share (Linux ixgbe_main.c and
// ixgbevf_main.c: ixgbe_setup_rx_resources / ixgbe_configure_rx_ring /
// ixgbe_alloc_rx_buffers / ixgbe_clean_rx_irq, ixgbe_xmit_frame_ring / ixgbe_tx_map /
// ixgbe_clean_tx_irq, ixgbe_poll, ixgbe_request_msix_irqs, ixgbe_configure_msix).
//
// One queue vector per queue pair: an RX ring, a TX ring and an MSI-X vector whose
// handler is the NAPI poll (irq.h: every handler runs threaded). Rings are coherent
// DMA memory (allocated once, mapped once). RX buffers are half pages, each page
// mapped once and flipped between its halves (ixgbe's page reuse on 4 KiB pages: the
// frame is copied into the skb, so the half is free again at once); no IOMMU work per
// received frame. TX maps each frame with dma_map_single() and unmaps it when the
// NIC reports it done (DD on every frame: EOP | RS), so strict and lazy IOMMU modes
// and iommu=pt change the cost per sent frame (PHENOMENA.md A11, the host side).
//
// NAPI: the vector auto-masks when it fires (EIAM); the poll cleans TX, receives up
// to the budget (64, NAPI_POLL_WEIGHT) and, when it did less, re-enables the vector
// (EIMS); otherwise it polls again. The CPU time of each step is a named parameter
// (intel_env), charged by waiting in the poll's thread.
//
// CPU time inside a poll is owed and waited in batches (netdev.h packet_handler):
// before each poll round, each RX tail write (every 16 frames), each unmapping and
// the final unmask, and whenever the stack does something visible. Frames the stack
// only counts cost no thread switch of their own.
//
// Known simplifications: the poll reads DD from host memory as soon as the NIC model
// has written it, which may be a little before the write-back's simulated completion
// (the model writes the bytes at reservation time), and within a batch a descriptor
// is read up to the batch's owed time early; an interrupt only comes at completion,
// so only a poll already running can see a frame early.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <systemc>
#include <vector>

#include "drivers-sim/iommu/dma_api.h"
#include "drivers-sim/kernel/irq.h"
#include "drivers-sim/kernel/page_alloc.h"
#include "drivers-sim/net/netdev.h"
#include "models/kit/param.h"
#include "platform/hal/host_bus.h"

namespace iovsim::host {

// The data path's parameters (`host.nic.*`).
struct ixgbe_dp_params {
  kit::scope scope{"host.nic", "host.nic"};
  kit::param<unsigned> rx_ring{scope, "rx_ring", 512, "descriptors", "RX ring size (IXGBE_DEFAULT_RXD)", {8, 8192}};
  kit::param<unsigned> tx_ring{scope, "tx_ring", 512, "descriptors", "TX ring size (IXGBE_DEFAULT_TXD)", {8, 8192}};
  kit::param<unsigned> pf_queues{
      scope,  "pf_queues", 2, "queues", "queue pairs the PF driver uses (RSS; at most 2 with SR-IOV on: one pool)",
      {1, 16}};
  kit::param<unsigned> itr{scope,
                           "itr",
                           200,
                           "EITR value",
                           "interrupt throttle written to EITR (IXGBE_20K_ITR = 200: one interrupt per 50 us)",
                           {0, 4088}};
  kit::param<unsigned> napi_budget{scope,    "napi_budget", 64, "frames", "NAPI poll budget (NAPI_POLL_WEIGHT)",
                                   {1, 1024}};
  // Driver work per received frame without the stack: descriptor read, buffer
  // recycle, skb build. XDP_DROP on one core reaches ~24 Mpps (Hoiland-Jorgensen et
  // al., "The eXpress Data Path", CoNEXT 2018), ~40 ns a frame for the driver's part.
  kit::param<sc_core::sc_time> rx_frame{scope, "rx_frame", sc_core::sc_time(50, sc_core::SC_NS),
                                        "driver CPU time per received frame (descriptor, buffer recycle, skb)"};
  // Per sent frame before the DMA mapping: descriptor and skb bookkeeping. pktgen on
  // one core sends ~10-14 Mpps through ixgbe (Linux pktgen documentation, "How to get
  // 10 Mpps"), ~70-100 ns a frame.
  kit::param<sc_core::sc_time> tx_frame{scope, "tx_frame", sc_core::sc_time(80, sc_core::SC_NS),
                                        "driver CPU time per sent frame (descriptor, skb), DMA mapping apart"};
  kit::param<sc_core::sc_time> tx_clean{scope, "tx_clean", sc_core::sc_time(20, sc_core::SC_NS),
                                        "driver CPU time per completed TX descriptor, DMA unmapping apart"};
  kit::param<sc_core::sc_time> poll{scope, "napi_poll", sc_core::sc_time(200, sc_core::SC_NS),
                                    "CPU time of one NAPI poll round (softirq entry, re-arming)"};
};

// How one function's registers are laid out: the PF's (absolute queue numbers) or a VF's.
struct ixgbe_regs_view {
  bool vf = false;
  uint32_t rx_queue(unsigned q) const;  // RDBAL of queue q
  uint32_t tx_queue(unsigned q) const;
  uint32_t srrctl(unsigned q) const;
  uint32_t ivar(unsigned q) const;  // IVAR / VTIVAR holding queue q
  uint32_t eims() const;
  uint32_t eimc() const;
  uint32_t eiam() const;
  uint32_t eitr(unsigned vector) const;
};

struct ixgbe_dp_env {
  platform::host_bus& bus;
  page_allocator& pages;
  dma_api& dma;
  irq_core& irq;
  net_core& net;
  const ixgbe_dp_params& params;
};

struct ixgbe_ring_stats {
  uint64_t rx_packets = 0, rx_bytes = 0, tx_packets = 0, tx_bytes = 0;
  uint64_t tx_busy = 0, tx_map_failed = 0, rx_polls = 0, rx_irqs = 0, napi_repolls = 0;
};

class ixgbe_datapath {
 public:
  // `first_queue`: the first hardware queue the function owns in its view (the PF's
  // pool after the VFs'; 0 for a VF). `vectors`: the function's MSI-X table size.
  ixgbe_datapath(ixgbe_dp_env env, pci_dev& dev, netdev& nd, ixgbe_regs_view view);
  ~ixgbe_datapath();

  // Rings, buffers, vectors; the queues enabled. 0 or -errno (-ENOMEM, -ENOSPC: no
  // vector, -ENODEV: no MSI-X table).
  int up(unsigned first_queue, unsigned queues);
  // Queues disabled, vectors freed, buffers unmapped and freed.
  void down();
  bool is_up() const { return !m_qv.empty(); }
  // ndo_start_xmit.
  int xmit(const uint8_t* frame, uint32_t len);
  // MSI-X table entry `entry` sends `vector` (the other causes' entry is programmed
  // by the PF driver through this too).
  void program_msix_entry(unsigned entry, unsigned vector, bool masked);
  unsigned queues() const { return static_cast<unsigned>(m_qv.size()); }
  ixgbe_ring_stats stats() const;
  // ethtool -S lines for the queues (tx_queue_0_packets ...).
  void ethtool_stats(std::vector<std::pair<std::string, uint64_t>>& out) const;

 private:
  // What the vectors' threads hold: the data path may go while a poll waits.
  struct shared {
    ixgbe_datapath* dp = nullptr;
  };
  struct rx_buf {
    uint64_t page = 0;  // physical
    uint64_t dma = 0;   // the page's DMA address
    uint32_t offset = 0;
  };
  struct tx_buf {
    uint64_t slot = 0;  // physical: where the frame's bytes wait (the skb's data)
    uint64_t dma = 0;
    uint32_t len = 0;
  };
  struct queue_vector {
    unsigned index = 0;  // in the function: queue and MSI-X entry
    unsigned hw_queue = 0;
    unsigned vector = 0;  // host vector
    uint64_t rx_desc = 0, rx_desc_dma = 0, tx_desc = 0, tx_desc_dma = 0;
    unsigned rx_count = 0, tx_count = 0;
    unsigned rx_next_to_clean = 0, rx_next_to_use = 0, rx_unposted = 0;
    unsigned tx_next_to_use = 0, tx_next_to_clean = 0;
    std::vector<rx_buf> rx;
    std::vector<tx_buf> tx;
    uint64_t tx_slots = 0;       // tx_count slots of slot_bytes
    bool tx_locked = false;      // HARD_TX_LOCK
    bool alive = true;           // false once down() took the queue away
    std::vector<uint8_t> frame;  // a received frame on its way up (reused)
    sc_core::sc_time debt;       // CPU time the poll owes (netdev.h packet_handler)
    sc_core::sc_event tx_unlocked;
    ixgbe_ring_stats stats;
  };
  uint32_t rd(uint32_t off) { return static_cast<uint32_t>(m_env.bus.mmio_read(m_bar0 + off, 4)); }
  void wr(uint32_t off, uint32_t v) { m_env.bus.mmio_write(m_bar0 + off, 4, v); }
  int setup_queue(const std::shared_ptr<queue_vector>& qp);
  void free_queue(queue_vector& q);
  void post_rx(queue_vector& q, unsigned i);
  uint64_t rx_page_bytes() const;
  // The NAPI poll of a queue vector (the irq's handler). Everything that waits checks
  // afterwards that the data path and the queue are still there (`live`).
  void napi(const std::shared_ptr<queue_vector>& q);
  static bool live(const std::shared_ptr<shared>& s, const queue_vector& q) { return s->dp && q.alive; }
  unsigned clean_tx(const std::shared_ptr<shared>& s, queue_vector& q);
  unsigned clean_rx(const std::shared_ptr<shared>& s, queue_vector& q, unsigned budget);
  bool find_msix();

  ixgbe_dp_env m_env;
  pci_dev& m_dev;
  netdev& m_nd;
  ixgbe_regs_view m_view;
  uint64_t m_bar0 = 0;
  uint64_t m_msix_table = 0;  // physical address of the MSI-X table
  uint32_t m_msix_cap = 0;
  unsigned m_msix_entries = 0;
  uint32_t m_slot_bytes = 2048;
  std::vector<std::shared_ptr<queue_vector>> m_qv;
  std::shared_ptr<shared> m_shared;
};

}  // namespace iovsim::host
