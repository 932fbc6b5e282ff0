// pmd: a poll-mode forwarder in the manner of DPDK's testpmd, a user-space program of
// the simulated Linux (a host's or a guest's). It takes PCI functions bound to
// vfio-pci through VFIO (as DPDK's EAL does), drives their queues itself without
// interrupts and forwards frames between them on one lcore:
//
//   pmd start --dev BDF [--dev BDF] --fwd io|mac [--burst 32] [--rxd 512] [--txd 512]
//             [--hugepages 2M|1G] [--eth-peer N,MAC]
//   pmd stats      testpmd's "show port stats all"
//   pmd stop       testpmd's "stop": the forward statistics, the devices released
//
// Memory: one contiguous hugepage-aligned region of the kernel's page allocator (the
// hugetlbfs pages DPDK's EAL maps) holds the descriptor rings and the mbuf pool; it is
// mapped once with VFIO_IOMMU_MAP_DMA, IOVA = physical address (--iova-mode=pa), with
// IOMMU pages as large as the hugepages; a no-IOMMU container maps nothing and the
// device uses physical addresses.
//
// The lcore is one SystemC thread: each loop reads up to `burst` RX descriptors of
// each port from memory, refills them (RDT written at most once per burst, when more
// than rx_free_thresh wait), forwards what it found to the out port's TX ring (one
// TDT write per burst; what does not fit is dropped, TX-dropped) and frees sent mbufs
// when the TX ring runs short. RX-missed is the NIC's: MPC + QPRDC on a PF; a VF's BAR
// has no such counter, so it reads 0 there, as DPDK's ixgbevf reports it. CPU time per step is charged with the
// parameters below (`pmd.*`); an empty poll costs its time too, so an idle lcore
// still advances simulated time.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <systemc>
#include <vector>

#include "drivers-sim/net/ixgbe_mbx.h"
#include "drivers-sim/userland/sim/sim.h"
#include "models/kit/param.h"

namespace iovsim::host {

// DPDK ixgbe's tx_rs_thresh and tx_free_thresh defaults (DEFAULT_TX_RS_THRESH,
// DEFAULT_TX_FREE_THRESH): RS on every 32nd descriptor, cleanup below 32 free.
constexpr unsigned TX_RS_THRESH = 32, TX_FREE_THRESH = 32;
// DEFAULT_RX_FREE_THRESH: RDT is written when more descriptors than this wait for it.
constexpr unsigned RX_FREE_THRESH = 32;

// The lcore's CPU costs. Sources: DPDK's Intel NIC performance reports put testpmd's
// io forwarding of 64 B frames at 20-40 Mpps on one core of a 2-3 GHz Xeon (vector
// PMDs), tens of cycles per frame; FD.io CSIT's DPDK reports (testpmd, NIC to NIC)
// agree within a factor of two. The scalar ixgbe path followed here
// (ixgbe_recv_pkts / ixgbe_xmit_pkts) is the slower end of that.
struct pmd_params {
  kit::scope scope{"pmd", "pmd"};
  kit::param<sc_core::sc_time> rx_burst{
      scope, "rx_burst", sc_core::sc_time(40, sc_core::SC_NS),
      "CPU time of one rte_eth_rx_burst + rte_eth_tx_burst pair that moved frames, frames apart (~100 cycles)"};
  kit::param<sc_core::sc_time> per_packet{
      scope, "per_packet", sc_core::sc_time(30, sc_core::SC_NS),
      "CPU time per frame forwarded: RX descriptor, mbuf refill, TX descriptor, mbuf free (~75 cycles at 2.5 GHz)"};
  kit::param<sc_core::sc_time> mac_swap{
      scope, "mac_swap", sc_core::sc_time(4, sc_core::SC_NS),
      "extra CPU time per frame in mac forwarding: two MAC addresses rewritten in the frame"};
  kit::param<sc_core::sc_time> empty_poll{
      scope, "empty_poll", sc_core::sc_time(20, sc_core::SC_NS),
      "CPU time of an rx_burst on a port that finds no frame (one descriptor read, ~50 cycles)"};
};

// One port of the forwarder: a function's queue pair and its counters.
struct pmd_port {
  pci_dev* dev = nullptr;
  std::string bdf;
  vfio_core::device* vfio = nullptr;
  bool vf = false;
  uint64_t bar0 = 0;
  uint64_t mac = 0;   // the port's own MAC
  uint64_t peer = 0;  // --eth-peer (testpmd's default 02:00:00:00:00:0N)
  unsigned out = 0;   // the port its frames go to
  std::unique_ptr<ixgbevf_mailbox> mbx;
  // Rings (physical = IOVA) and which mbuf each slot holds.
  uint64_t rx_ring = 0, tx_ring = 0;
  std::vector<uint32_t> rx_mbuf, tx_mbuf;
  unsigned rx_next = 0;                // next RX descriptor to look at
  unsigned rx_hold = 0;                // refilled, not yet handed over by RDT (nb_rx_hold)
  unsigned tx_tail = 0, tx_free = 0;   // next TX slot; free slots
  unsigned tx_next_dd = 0;             // the RS descriptor to check next
  // Counters (testpmd's rte_eth_stats and fwd stream).
  uint64_t rx_packets = 0, rx_bytes = 0, rx_missed = 0, rx_nombuf = 0;
  uint64_t tx_packets = 0, tx_bytes = 0, tx_dropped = 0;
  // "Throughput (since last show)".
  uint64_t shown_rx = 0, shown_tx = 0;
  sc_core::sc_time shown_at;
};

class pmd_app : public std::enable_shared_from_this<pmd_app> {
 public:
  // The parameters exist from the start, so `--set pmd.*` and `iovsim list --params` see them.
  explicit pmd_app(sim_host& host) : m_host(host), m_params(std::make_unique<pmd_params>()) {}
  ~pmd_app();
  cmd_result command(const std::vector<std::string>& argv);
  // The kernel and shell it ran in are gone (a guest powered off, a host torn down):
  // the lcore, which holds the app, ends at its next step without touching them.
  void host_gone();

 private:
  struct options {
    std::vector<std::string> devs;
    bool mac_fwd = false;
    unsigned burst = 32, rxd = 512, txd = 512;
    uint64_t hugepage = 2ull << 20;
    std::vector<std::pair<unsigned, uint64_t>> peers;
  };
  // What the lcore thread shares with the command: it may outlive a stop.
  struct lcore_state {
    bool running = true;
    bool exited = false;
    sc_core::sc_event done;
  };
  cmd_result start(const std::vector<std::string>& argv);
  cmd_result stats();
  cmd_result stop();
  // EAL and ethdev start of one port; "" or the error lines.
  std::string open_port(pmd_port& p, std::string& out);
  std::string start_vf(pmd_port& p);
  std::string start_pf(pmd_port& p);
  void setup_queues(pmd_port& p, const options& o);
  void release();
  // The lcore: rte_eth_rx_burst / forward / rte_eth_tx_burst over the ports.
  void lcore(std::shared_ptr<lcore_state> st);
  unsigned rx_burst(pmd_port& p, unsigned max);
  unsigned tx_burst(pmd_port& p, unsigned n);
  void tx_cleanup(pmd_port& p);
  void read_missed(pmd_port& p);
  struct lcore_gone {};
  // The CPU time owed, waited before anything the NIC sees (a tail write).
  void settle();
  void retire_lcore();

  uint32_t rd(const pmd_port& p, uint32_t off);
  void wr(const pmd_port& p, uint32_t off, uint32_t v);
  platform::host_bus& bus() { return m_host.board().bus(); }

  sim_host& m_host;
  bool m_gone = false;
  std::unique_ptr<pmd_params> m_params;
  vfio_core* m_vfio = nullptr;  // the kernel the ports were opened in (a reboot makes another)
  std::vector<pmd_port> m_ports;
  options m_opt;
  // The hugepage region: rings, then mbufs of MBUF_BYTES each.
  uint64_t m_region = 0, m_region_bytes = 0;
  uint64_t m_mbufs = 0;
  std::vector<uint32_t> m_free;  // the mempool: free mbuf indexes (a stack)
  std::vector<uint32_t> m_burst_mbuf;
  std::vector<uint16_t> m_burst_len;
  sc_core::sc_time m_debt;
  sc_core::sc_time m_started, m_stopped;
  std::shared_ptr<lcore_state> m_lcore;
};

// Registers `pmd` with the shell (a simulator program: it reaches the kernel through
// sim_host, as DPDK reaches it through VFIO and hugetlbfs).
void register_pmd(shell& sh, sim_host& host);

}  // namespace iovsim::host
