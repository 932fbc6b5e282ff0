// pmd's lcore (testpmd's run_pkt_fwd_on_lcore with the io and macswap-like mac
// engines: app/test-pmd/iofwd.c, macfwd.c) over DPDK ixgbe's scalar burst functions
// (drivers/net/ixgbe/ixgbe_rxtx.c ixgbe_recv_pkts, ixgbe_xmit_pkts, ixgbe_xmit_cleanup),
// its statistics as testpmd prints them (app/test-pmd/config.c nic_stats_display,
// testpmd.c fwd_stats_display), and the command.
#include <fmt/format.h>

#include <algorithm>

#include "drivers-sim/kernel/errno.h"
#include "drivers-sim/net/ixgbe_hw.h"
#include "drivers-sim/userland/pmd/pmd.h"

namespace iovsim::host {

using namespace ixgbe_hw;

namespace {
constexpr uint64_t MBUF_HEADROOM = 128, MBUF_BYTES = 128 + 2048;  // as pmd_port.cpp
constexpr uint32_t ADVTXD_DD = 0x1;

uint32_t get32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}
void put32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
void put64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
void put_mac(uint8_t* p, uint64_t mac) {
  for (int b = 0; b < 6; ++b) p[b] = static_cast<uint8_t>(mac >> (40 - 8 * b));
}
}  // namespace

pmd_app::~pmd_app() {
  if (m_lcore) m_lcore->running = false;
}

// The lcore told to stop and waited for: it may be in the middle of a burst, holding
// references into m_ports.
void pmd_app::retire_lcore() {
  if (!m_lcore) return;
  m_lcore->running = false;
  if (!m_lcore->exited) sc_core::wait(m_lcore->done);
  m_lcore.reset();
}

void pmd_app::settle() {
  if (m_debt == sc_core::SC_ZERO_TIME) return;
  const sc_core::sc_time t = m_debt;
  m_debt = sc_core::SC_ZERO_TIME;
  sc_core::wait(t);
  if (m_gone) throw lcore_gone{};
}

void pmd_app::host_gone() {
  m_gone = true;
  if (m_lcore) m_lcore->running = false;
}

// ixgbe_recv_pkts(): descriptors in order while DD is set; each one's mbuf goes out and
// a fresh one from the pool takes its place (a failed allocation stops the burst:
// rx_mbuf_alloc_failed); RDT moves at most once per burst.
unsigned pmd_app::rx_burst(pmd_port& p, unsigned max) {
  uint8_t d[DESC_BYTES];
  unsigned n = 0;
  const unsigned rxd = static_cast<unsigned>(p.rx_mbuf.size());
  while (n < max) {
    const unsigned i = p.rx_next;
    bus().mem_read(p.rx_ring + uint64_t{i} * DESC_BYTES, d, DESC_BYTES);
    if (!(get32(d + 8) & RXD_STAT_DD)) break;
    if (m_free.empty()) {
      ++p.rx_nombuf;
      break;
    }
    const uint32_t fresh = m_free.back();
    m_free.pop_back();
    m_burst_mbuf[n] = p.rx_mbuf[i];
    m_burst_len[n] = static_cast<uint16_t>(get32(d + 12) & 0xffff);
    p.rx_bytes += m_burst_len[n];
    p.rx_mbuf[i] = fresh;
    uint8_t fresh_desc[DESC_BYTES] = {};
    put64(fresh_desc, m_mbufs + fresh * MBUF_BYTES + MBUF_HEADROOM);  // header address 0 clears DD
    bus().mem_write(p.rx_ring + uint64_t{i} * DESC_BYTES, fresh_desc, DESC_BYTES);
    p.rx_next = (i + 1) % rxd;
    ++n;
  }
  p.rx_packets += n;
  // RDT trails the next descriptor to look at by one (RDT == RDH would read as an
  // empty ring), written once the burst leaves more than rx_free_thresh held.
  p.rx_hold += n;
  if (p.rx_hold > RX_FREE_THRESH) {
    p.rx_hold = 0;
    settle();
    wr(p, (p.vf ? VFRDBAL(0) : RDBAL(0)) + Q_T, (p.rx_next + rxd - 1) % rxd);
  }
  return n;
}

// ixgbe_xmit_cleanup(): the RS descriptor tx_rs_thresh on from the last cleaned one;
// once the NIC wrote DD there, that many slots are free and their mbufs go back.
void pmd_app::tx_cleanup(pmd_port& p) {
  const unsigned txd = static_cast<unsigned>(p.tx_mbuf.size());
  uint8_t d[DESC_BYTES];
  while (p.tx_free + TX_RS_THRESH < txd) {
    bus().mem_read(p.tx_ring + uint64_t{p.tx_next_dd} * DESC_BYTES, d, DESC_BYTES);
    if (!(get32(d + 12) & ADVTXD_DD)) return;
    for (unsigned k = 0; k < TX_RS_THRESH; ++k) {
      const unsigned s = (p.tx_next_dd + txd - k) % txd;
      if (p.tx_mbuf[s] != UINT32_MAX) m_free.push_back(p.tx_mbuf[s]);
      p.tx_mbuf[s] = UINT32_MAX;
    }
    p.tx_free += TX_RS_THRESH;
    p.tx_next_dd = (p.tx_next_dd + TX_RS_THRESH) % txd;
  }
}

// ixgbe_xmit_pkts(): below tx_free_thresh free descriptors, clean first; one
// advanced data descriptor per frame (EOP, IFCS), RS on every tx_rs_thresh-th; TDT
// once for the burst. What does not fit is the caller's (testpmd frees it: TX-dropped).
unsigned pmd_app::tx_burst(pmd_port& p, unsigned n) {
  if (p.tx_free < TX_FREE_THRESH) tx_cleanup(p);
  n = std::min(n, p.tx_free);
  const unsigned txd = static_cast<unsigned>(p.tx_mbuf.size());
  uint8_t d[DESC_BYTES];
  for (unsigned k = 0; k < n; ++k) {
    const unsigned i = p.tx_tail;
    const uint32_t len = m_burst_len[k];
    put64(d, m_mbufs + m_burst_mbuf[k] * MBUF_BYTES + MBUF_HEADROOM);
    uint32_t cmd = len | ADVTXD_DTYP_DATA | ADVTXD_DCMD_DEXT | ADVTXD_DCMD_IFCS | ADVTXD_DCMD_EOP;
    if (i % TX_RS_THRESH == TX_RS_THRESH - 1) cmd |= ADVTXD_DCMD_RS;
    put32(d + 8, cmd);
    put32(d + 12, len << ADVTXD_PAYLEN_SHIFT);
    bus().mem_write(p.tx_ring + uint64_t{i} * DESC_BYTES, d, DESC_BYTES);
    p.tx_mbuf[i] = m_burst_mbuf[k];
    p.tx_tail = (i + 1) % txd;
    p.tx_bytes += len;
  }
  p.tx_free -= n;
  p.tx_packets += n;
  if (n) {
    settle();
    wr(p, (p.vf ? VFTDBAL(0) : TDBAL(0)) + Q_T, p.tx_tail);
  }
  return n;
}

void pmd_app::lcore(std::shared_ptr<lcore_state> st) {
  const pmd_params& c = *m_params;
  while (st->running) {
    bool any = false;
    for (pmd_port& p : m_ports) {
      if (!st->running) break;
      const unsigned n = rx_burst(p, m_opt.burst);
      if (!st->running) break;
      if (!n) {
        m_debt += c.empty_poll();
        continue;
      }
      any = true;
      pmd_port& out = m_ports[p.out];
      m_debt += c.rx_burst() + n * c.per_packet();
      if (m_opt.mac_fwd) {
        // macfwd: destination the peer of the out port, source the out port's MAC.
        uint8_t macs[12];
        put_mac(macs, out.peer);
        put_mac(macs + 6, out.mac);
        for (unsigned k = 0; k < n; ++k)
          bus().mem_write(m_mbufs + m_burst_mbuf[k] * MBUF_BYTES + MBUF_HEADROOM, macs, sizeof macs);
        m_debt += n * c.mac_swap();
      }
      const unsigned sent = tx_burst(out, n);
      if (!st->running) break;
      for (unsigned k = sent; k < n; ++k) m_free.push_back(m_burst_mbuf[k]);  // rte_pktmbuf_free
      out.tx_dropped += n - sent;
    }
    if (!any) settle();
  }
  st->exited = true;
  st->done.notify(sc_core::SC_ZERO_TIME);
}

// RX-missed as rte_eth_stats imissed: the PF's MPC and QPRDC (both clear on read,
// accumulated); a VF has no such counter in its BAR (DPDK's ixgbevf leaves imissed 0).
void pmd_app::read_missed(pmd_port& p) {
  if (p.vf) return;
  p.rx_missed += rd(p, MPC(0)) + rd(p, QPRDC(0));
}

namespace {
double per_second(uint64_t n, const sc_core::sc_time& t) { return t > sc_core::SC_ZERO_TIME ? n / t.to_seconds() : 0; }
}  // namespace

// testpmd's "show port stats all" (nic_stats_display), and the Mpps over the run.
cmd_result pmd_app::stats() {
  if (!m_lcore || m_vfio != &m_host.vfio()) return cmd_result{1, "", "pmd: not forwarding (pmd start first)\n", "ESRCH"};
  std::string out;
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  const std::string border = "########################";
  for (size_t i = 0; i < m_ports.size(); ++i) {
    pmd_port& p = m_ports[i];
    read_missed(p);
    out += fmt::format("\n  {} NIC statistics for port {:<2} {}\n", border, i, border);
    out += fmt::format("  RX-packets: {:<10} RX-missed: {:<10} RX-bytes:  {}\n", p.rx_packets, p.rx_missed, p.rx_bytes);
    out += fmt::format("  RX-errors: {}\n", 0);
    out += fmt::format("  RX-nombuf:  {:<10}\n", p.rx_nombuf);
    out += fmt::format("  TX-packets: {:<10} TX-errors: {:<10} TX-bytes:  {}\n", p.tx_packets, 0, p.tx_bytes);
    const sc_core::sc_time dt = now - p.shown_at;
    out += "\n  Throughput (since last show)\n";
    out += fmt::format("  Rx-pps: {:>12}\n  Tx-pps: {:>12}\n",
                       static_cast<uint64_t>(per_second(p.rx_packets - p.shown_rx, dt)),
                       static_cast<uint64_t>(per_second(p.tx_packets - p.shown_tx, dt)));
    out += fmt::format("  Rx-Mpps (run): {:.3f}  Tx-Mpps (run): {:.3f}\n", per_second(p.rx_packets, now - m_started) / 1e6,
                       per_second(p.tx_packets, now - m_started) / 1e6);
    out += fmt::format("  {}############################{}\n", border, border);
    p.shown_rx = p.rx_packets;
    p.shown_tx = p.tx_packets;
    p.shown_at = now;
  }
  return cmd_result{0, out, "", ""};
}

// testpmd's "stop": the lcore told to stop and waited for, the forward statistics,
// then what `quit` does: ports stopped and closed, the VFIO devices released.
cmd_result pmd_app::stop() {
  if (!m_lcore || m_vfio != &m_host.vfio()) {
    retire_lcore();
    return cmd_result{1, "", "pmd: not forwarding (pmd start first)\n", "ESRCH"};
  }
  std::string out = "Telling cores to stop...\nWaiting for lcores to finish...\n";
  retire_lcore();
  m_stopped = sc_core::sc_time_stamp();
  const sc_core::sc_time run = m_stopped - m_started;
  const std::string border = "----------------------";
  uint64_t rx = 0, tx = 0, rx_drop = 0, tx_drop = 0;
  for (size_t i = 0; i < m_ports.size(); ++i) {
    pmd_port& p = m_ports[i];
    read_missed(p);
    out += fmt::format("\n  {} Forward statistics for port {:<2} {}\n", border, i, border);
    out += fmt::format("  RX-packets: {:<14} RX-dropped: {:<14} RX-total: {}\n", p.rx_packets, p.rx_missed,
                       p.rx_packets + p.rx_missed);
    if (p.rx_nombuf) out += fmt::format("  RX-error: 0\n  RX-nombufs: {:<14}\n", p.rx_nombuf);
    out += fmt::format("  TX-packets: {:<14} TX-dropped: {:<14} TX-total: {}\n", p.tx_packets, p.tx_dropped,
                       p.tx_packets + p.tx_dropped);
    out += fmt::format("  Rx-Mpps: {:.3f}  Tx-Mpps: {:.3f} (over {:.3f} ms forwarding)\n",
                       per_second(p.rx_packets, run) / 1e6, per_second(p.tx_packets, run) / 1e6,
                       run.to_seconds() * 1e3);
    out += fmt::format("  {}----------------------------{}\n", border, border);
    rx += p.rx_packets;
    tx += p.tx_packets;
    rx_drop += p.rx_missed;
    tx_drop += p.tx_dropped;
  }
  const std::string plus = "+++++++++++++++";
  out += fmt::format("\n  {} Accumulated forward statistics for all ports{}\n", plus, plus);
  out += fmt::format("  RX-packets: {:<14} RX-dropped: {:<14} RX-total: {}\n", rx, rx_drop, rx + rx_drop);
  out += fmt::format("  TX-packets: {:<14} TX-dropped: {:<14} TX-total: {}\n", tx, tx_drop, tx + tx_drop);
  out += "  ++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++\n";
  out += "\nDone.\n";
  for (size_t i = 0; i < m_ports.size(); ++i) out += fmt::format("Stopping port {}...\nClosing port {}...\n", i, i);
  release();
  out += "Bye...\n";
  return cmd_result{0, out, "", ""};
}

cmd_result pmd_app::command(const std::vector<std::string>& argv) {
  const std::string usage =
      "Usage: pmd start --dev BDF [--dev BDF] --fwd io|mac [--burst N] [--rxd N] [--txd N] [--hugepages 2M|1G] "
      "[--eth-peer N,MAC]\n       pmd stats\n       pmd stop\n";
  if (argv.size() < 2) return cmd_result{2, "", usage, "EINVAL"};
  const std::string& verb = argv[1];
  if (verb == "start") return start(argv);
  if (argv.size() != 2) return cmd_result{2, "", usage, "EINVAL"};
  if (verb == "stats") return stats();
  if (verb == "stop") return stop();
  return cmd_result{2, "", "pmd: unknown command \"" + verb + "\"\n" + usage, "EINVAL"};
}

namespace {
// Held by the shell's command: when the shell goes, so does the kernel it ran on.
struct shell_token {
  std::shared_ptr<pmd_app> app;
  ~shell_token() {
    if (app) app->host_gone();
  }
};
}  // namespace

void register_pmd(shell& sh, sim_host& host) {
  auto token = std::make_shared<shell_token>();
  token->app = std::make_shared<pmd_app>(host);
  sh.add_command(
      "pmd", [token](const std::vector<std::string>& argv, const std::string&) { return token->app->command(argv); },
      "a poll-mode forwarder on functions bound to vfio-pci, as DPDK's testpmd (simulator program): pmd start --dev "
      "BDF [--dev BDF] --fwd io|mac [--burst N] [--rxd N] [--txd N] [--hugepages 2M|1G] [--eth-peer N,MAC], pmd "
      "stats, pmd stop");
}

}  // namespace iovsim::host
