// The NIC core through its register views, the way ixgbe and ixgbevf bring it up:
// rings and buffers in host memory, RDBAL/RDLEN/SRRCTL/RXDCTL/RDT, IVAR and EIMS,
// then frames from a generator on the wire; VFs through their own BAR0 onto the same
// queues; transmit by TDT; RSS by MRQC/RETA; reset by CTRL.RST.
#include "models/nic/nic_core.h"

#include <gtest/gtest.h>

#include <systemc>
#include <utility>
#include <vector>

#include "models/net/headers.h"
#include "models/net/toeplitz.h"
#include "models/nic/descriptors.h"
#include "models/nic/nic_regs.h"
#include "models/wire/traffic.h"
#include "models/wire/wire.h"
#include "tests/unit/nic_test_util.h"
#include "tests/unit/sc_fixture.h"

namespace iovsim::nic {
namespace {

using sc_core::SC_NS;
using sc_core::sc_time;
using sc_core::SC_US;

constexpr uint64_t PORT_MAC = 0x001b21a00010, VF0_MAC = 0x020000000001, PEER_MAC = 0x001b21a00099;
constexpr uint16_t PF_RID = 0x0300;

class nic_core_test : public test::sc_fixture {
 protected:
  test_memory mem;
  struct msg {
    unsigned fn, vector;
    sc_time at;
  };
  std::vector<msg> msix;
  std::unique_ptr<wire::wire> w;
  std::unique_ptr<nic_core> core;
  std::unique_ptr<wire::traffic_port> peer;

  void build(unsigned queues = 8) {
    nic_core::config cfg;
    cfg.queues = queues;
    cfg.queues_per_pool = 2;
    cfg.rar_entries = 16;
    cfg.mac = PORT_MAC;
    w = std::make_unique<wire::wire>("w0", 10000);
    // Routing IDs as the SR-IOV capability gives them: PF 03:00.0, VF v at offset 128 + 2v.
    core = std::make_unique<nic_core>(
        "nic", cfg, mem, [](unsigned fn) { return static_cast<uint16_t>(fn ? PF_RID + 128 + 2 * (fn - 1) : PF_RID); },
        [this](unsigned fn, unsigned v) {
          msix.push_back({fn, v, sc_core::sc_time_stamp()});
        });
    core->connect(*w, 0);
    peer = std::make_unique<wire::traffic_port>("peer", *w, 1);
  }
  // ixgbe_configure_rx_ring(): base, length, head 0, buffer size, enable, then tail.
  void rx_ring(bool vf, unsigned q, uint64_t ring, uint64_t buffers, uint32_t n) {
    for (uint32_t i = 0; i < n; ++i) {
      mem.put64(ring + 16 * i, buffers + 2048 * i);
      mem.put64(ring + 16 * i + 8, 0);
    }
    const uint32_t b = (vf ? VF_RX_QUEUE0 : RX_QUEUE0) + QUEUE_STRIDE * q;
    wr(vf, b + Q_BAL, static_cast<uint32_t>(ring));
    wr(vf, b + Q_BAH, static_cast<uint32_t>(ring >> 32));
    wr(vf, b + Q_LEN, 16 * n);
    wr(vf, b + Q_H, 0);
    wr(vf, vf || q >= 16 ? b + RX_SRRCTL : SRRCTL_LOW0 + 4 * q, 2);  // 2 KiB buffers
    wr(vf, b + Q_DCTL, DCTL_ENABLE);
    wr(vf, b + Q_T, n - 1);
  }
  void wr(bool vf, uint32_t off, uint32_t v) {
    if (vf)
      core->vf_write(0, off, 4, v);
    else
      core->pf_write(off, 4, v);
  }
  uint32_t rd(bool vf, uint32_t off) {
    return static_cast<uint32_t>(vf ? core->vf_read(0, off, 4) : core->pf_read(off, 4));
  }
  wire::traffic_spec udp_to(uint64_t mac, uint64_t count) {
    wire::traffic_spec s;
    s.src = net::mac_addr::from_u64(PEER_MAC);
    s.dst = {net::mac_addr::from_u64(mac)};
    s.src_ip = *net::ipv4_addr::parse("10.0.0.9");
    s.dst_ip = *net::ipv4_addr::parse("10.0.0.1");
    s.count = count;
    return s;
  }
};

TEST_F(nic_core_test, the_pf_receives_into_its_ring_and_interrupts_through_its_vector) {
  build();
  run_thread([&] {
    EXPECT_EQ(rd(false, RAL0), 0xa0211b00u) << "RAL(0): the permanent address, first octet lowest";
    EXPECT_EQ(rd(false, RAL0 + 4), RAH_AV | 0x1000u);
    EXPECT_EQ(rd(false, LINKS), LINKS_UP | LINKS_SPEED_10G);
    rx_ring(false, 0, 0x10000, 0x100000, 8);
    wr(false, IVAR0, IVAR_ALLOC_VAL | 0);  // RX queue 0 -> vector 0
    wr(false, EIMS, 0x1);
    peer->start(udp_to(PORT_MAC, 3));
    sc_core::wait(sc_time(10, SC_US));
    EXPECT_EQ(rd(false, RX_QUEUE0 + Q_H), 3u);
    EXPECT_EQ(rd(false, GPRC), 3u);
    EXPECT_EQ(rd(false, EICR), 0u) << "the causes left with the message";
  });
  for (uint32_t i = 0; i < 3; ++i) {
    EXPECT_EQ(mem.get32(0x10000 + 16 * i + 8), RXD_STAT_DD | RXD_STAT_EOP) << i;
    EXPECT_EQ(mem.get32(0x10000 + 16 * i + 12) & 0xffff, 60u) << i;
    EXPECT_EQ(mem.get(0x100000 + 2048 * i, 6), (std::vector<uint8_t>{0x00, 0x1b, 0x21, 0xa0, 0x00, 0x10})) << i;
  }
  // One message per frame (no throttle): each write-back 600 ns after the frame's
  // last bit (descriptors fetched once: 500 ns, then the data and, right behind it,
  // the write-back: 100 ns).
  ASSERT_EQ(msix.size(), 3u);
  EXPECT_EQ(msix[0].fn, 0u);
  EXPECT_EQ(msix[0].vector, 0u);
  EXPECT_EQ(msix[0].at, sc_time(67.6 + 600, SC_NS));
  for (const auto& r : mem.log) EXPECT_EQ(r.rid, PF_RID);
  EXPECT_EQ(core->rx_offered(), 3u);
  EXPECT_EQ(core->rx_delivered(), 3u);
}

TEST_F(nic_core_test, a_vf_owns_its_pool_through_its_own_bar_and_dma_goes_out_with_its_routing_id) {
  build();
  run_thread([&] {
    core->set_num_vfs(2);
    // ixgbe_configure_virtualization(): VT mode, the PF's pool (2, after the VFs') the
    // default pool, pools 0-2 receiving, each taking untagged frames and broadcast.
    wr(false, VT_CTL, VT_CTL_VT_ENA | VT_CTL_REPLEN | 2u << VT_CTL_POOL_SHIFT);
    wr(false, PFVFRE0, 0x7);
    for (unsigned p = 0; p < 3; ++p) wr(false, VMOLR0 + 4 * p, VMOLR_AUPE | VMOLR_BAM);
    wr(false, FCTRL, FCTRL_BAM | FCTRL_UPE);  // promiscuous: the default pool takes what no pool does
    wr(false, MPSAR_LO0, 1u << 2);            // RAR 0, the PF's address, in the PF's pool
    // ixgbe_set_vf_mac(): the VF's address in a receive-address register, its pool bit.
    wr(false, RAL0 + 8, 0x00000002);
    wr(false, RAL0 + 12, RAH_AV | 0x0100);  // 02:00:00:00:00:01
    wr(false, MPSAR_LO0 + 8, 1u << 0);      // pool 0: VF 0
    // The VF driver: its queue 0, vector 0, unmasked.
    rx_ring(true, 0, 0x20000, 0x200000, 8);
    core->vf_write(0, VTIVAR0, 4, IVAR_ALLOC_VAL | 0);
    core->vf_write(0, VTEIMS, 4, 0x1);
    // The PF's view of queue 0 is the same ring: state lives in the core.
    EXPECT_EQ(rd(false, RX_QUEUE0 + Q_BAL), 0x20000u);
    // The PF's pool follows the VFs' (queues 4, 5): ixgbe sets up queue 4.
    rx_ring(false, 4, 0x30000, 0x300000, 8);
    wr(false, IVAR0 + 8, IVAR_ALLOC_VAL | 1);  // RX queue 4 -> vector 1
    wr(false, EIMS, 0x2);
    peer->start(udp_to(VF0_MAC, 2));
    sc_core::wait(sc_time(5, SC_US));
    peer->start(udp_to(PORT_MAC, 1));
    sc_core::wait(sc_time(5, SC_US));
    peer->start(udp_to(0x0a0b0c0d0e0f, 1));  // nobody's: the PF's pool
    sc_core::wait(sc_time(5, SC_US));
    EXPECT_EQ(rd(true, VF_RX_QUEUE0 + Q_H), 2u);
    EXPECT_EQ(rd(true, VFGPRC), 2u);
    EXPECT_EQ(rd(false, RX_QUEUE0 + QUEUE_STRIDE * 4 + Q_H), 2u);
  });
  EXPECT_EQ(mem.get32(0x20000 + 8), RXD_STAT_DD | RXD_STAT_EOP);
  EXPECT_EQ(mem.get32(0x30000 + 16 + 8), RXD_STAT_DD | RXD_STAT_EOP);
  unsigned vf_dma = 0, pf_dma = 0;
  auto in = [](uint64_t a, uint64_t lo, uint64_t len) { return a >= lo && a < lo + len; };
  for (const auto& r : mem.log) {
    if (in(r.addr, 0x20000, 0x1000) || in(r.addr, 0x200000, 0x10000)) {
      EXPECT_EQ(r.rid, PF_RID + 128) << std::hex << r.addr;
      ++vf_dma;
    } else {
      EXPECT_EQ(r.rid, PF_RID) << std::hex << r.addr;
      ++pf_dma;
    }
  }
  EXPECT_GT(vf_dma, 0u);
  EXPECT_GT(pf_dma, 0u);
  ASSERT_EQ(msix.size(), 4u);
  EXPECT_EQ(msix[0].fn, 1u);
  EXPECT_EQ(msix[1].fn, 1u);
  EXPECT_EQ(msix[2].fn, 0u);
  EXPECT_EQ(msix[2].vector, 1u);
}

TEST_F(nic_core_test, a_vf_transmits_by_its_tail_and_gets_dd_and_its_tx_vector) {
  build();
  std::vector<uint16_t> seen_rids;
  run_thread([&] {
    core->set_num_vfs(1);
    // VT mode, pool 0 (VF 0) may transmit (PFVFTE), no local switching.
    wr(false, VT_CTL, VT_CTL_VT_ENA | 1u << VT_CTL_POOL_SHIFT);
    wr(false, PFVFTE0, 0x3);
    net::frame_pool pool(4);
    net::frame_ptr f = pool.get();
    net::udp_spec u;
    u.eth.dst = net::mac_addr::from_u64(PEER_MAC);
    u.eth.src = net::mac_addr::from_u64(VF0_MAC);
    u.payload.bytes = 100;
    net::build_udp(*f, u);
    for (uint32_t i = 0; i < f->size(); ++i) mem.bytes[0x400000 + i] = f->data()[i];
    mem.put64(0x40000, 0x400000);
    mem.put64(0x40008, TXD_CMD_DEXT | TXD_DTYP_DATA | TXD_CMD_EOP | TXD_CMD_IFCS | TXD_CMD_RS | f->size());
    const uint32_t t = VF_TX_QUEUE0;
    core->vf_write(0, t + Q_BAL, 4, 0x40000);
    core->vf_write(0, t + Q_LEN, 4, 8 * 16);
    core->vf_write(0, t + Q_DCTL, 4, DCTL_ENABLE);
    core->vf_write(0, VTIVAR0, 4, (IVAR_ALLOC_VAL | 1) << 8);  // TX queue 0 -> vector 1
    core->vf_write(0, VTEIMS, 4, 0x2);
    core->vf_write(0, t + Q_T, 4, 1);
    sc_core::wait(sc_time(5, SC_US));
    EXPECT_EQ(core->vf_read(0, t + Q_H, 4), 1u);
    EXPECT_EQ(core->vf_read(0, VFGPTC, 4), 1u);
  });
  EXPECT_EQ(peer->port_counts().rx_frames, 1u);
  EXPECT_EQ(peer->port_counts().rx_bad, 0u);
  EXPECT_EQ(mem.get32(0x40000 + 12), TXD_STAT_DD);
  ASSERT_EQ(msix.size(), 1u);
  EXPECT_EQ(msix[0].fn, 1u);
  EXPECT_EQ(msix[0].vector, 1u);
  for (const auto& r : mem.log) EXPECT_EQ(r.rid, PF_RID + 128);
}

TEST_F(nic_core_test, rss_spreads_udp_flows_over_the_pf_queues_by_reta) {
  build();
  std::vector<std::pair<uint16_t, unsigned>> placed;  // source port, queue
  run_thread([&] {
    for (unsigned q = 0; q < 4; ++q) rx_ring(false, q, 0x10000 + 0x1000 * q, 0x100000 + 0x10000 * q, 16);
    for (unsigned i = 0; i < 10; ++i) {
      uint32_t key = 0;
      for (unsigned b = 0; b < 4; ++b) key |= uint32_t{net::RSS_DEFAULT_KEY[4 * i + b]} << (8 * b);
      wr(false, RSSRK0 + 4 * i, key);
    }
    for (unsigned i = 0; i < 32; ++i) wr(false, RETA0 + 4 * i, 0x03020100);  // entries 0,1,2,3 in turn
    wr(false, MRQC, MRQE_RSS | net::MRQC_RSS_FIELD_IPV4 | net::MRQC_RSS_FIELD_IPV4_UDP);
    wire::traffic_spec s = udp_to(PORT_MAC, 8);
    s.flows = 8;
    peer->start(s);
    sc_core::wait(sc_time(10, SC_US));
  });
  // Each flow's queue is RETA[hash & 127] with the hash the Toeplitz function gives.
  const net::toeplitz t;
  unsigned total = 0;
  for (unsigned q = 0; q < 4; ++q) total += static_cast<unsigned>(core->rxq(q).frames());
  EXPECT_EQ(total, 8u);
  std::vector<uint64_t> expected(4, 0);
  for (uint16_t port = 1024; port < 1032; ++port) {
    const uint32_t h =
        t.hash_ipv4_ports(*net::ipv4_addr::parse("10.0.0.9"), *net::ipv4_addr::parse("10.0.0.1"), port, 9);
    ++expected[(h & 127) % 4];
  }
  for (unsigned q = 0; q < 4; ++q) EXPECT_EQ(core->rxq(q).frames(), expected[q]) << q;
  unsigned used = 0;
  for (unsigned q = 0; q < 4; ++q) used += expected[q] > 0;
  EXPECT_GE(used, 2u) << "eight flows should not all hash to one queue";
  // The write-back carries the hash and its type (UDP over IPv4: 7).
  for (unsigned q = 0; q < 4; ++q)
    if (expected[q]) {
      EXPECT_EQ(mem.get32(0x10000 + 0x1000 * q) & 0xf, 7u) << q;
      EXPECT_NE(mem.get32(0x10000 + 0x1000 * q + 4), 0u) << q;
    }
}

TEST_F(nic_core_test, no_descriptors_is_a_counted_drop_and_ctrl_rst_resets_the_port) {
  build();
  run_thread([&] {
    rx_ring(false, 0, 0x10000, 0x100000, 8);  // 7 descriptors handed over
    peer->start(udp_to(PORT_MAC, 10));
    sc_core::wait(sc_time(10, SC_US));
    EXPECT_EQ(core->rx_delivered(), 7u);
    EXPECT_EQ(core->rx_dropped(rx_drop::no_descriptor), 3u);
    // QPRDC(0) shows them (RQSMR's reset value maps every queue to counter 0), clear on read.
    EXPECT_EQ(rd(false, QPRDC0), 3u);
    EXPECT_EQ(rd(false, QPRDC0), 0u);
    EXPECT_EQ(rd(false, QPRDC0 + QUEUE_STRIDE), 0u);
    // Offsets no register covers (beyond the map, or in a hole) read 0 and take no write.
    wr(false, 0x40000, 0xffffffff);
    EXPECT_EQ(rd(false, 0x40000), 0u);
    wr(false, 0x0004, 0xffffffff);
    EXPECT_EQ(rd(false, 0x0004), 0u);
    wr(false, RAL0, 0x12345678);
    wr(false, CTRL, CTRL_RST);
    EXPECT_EQ(rd(false, RAL0), 0xa0211b00u);
    EXPECT_EQ(rd(false, RX_QUEUE0 + Q_LEN), 0u);
    EXPECT_EQ(rd(false, RX_QUEUE0 + Q_DCTL) & DCTL_ENABLE, 0u);
    peer->start(udp_to(PORT_MAC, 1));
    sc_core::wait(sc_time(5, SC_US));
    EXPECT_EQ(core->rx_dropped(rx_drop::queue_disabled), 1u);
  });
  // Conservation: every frame offered is delivered or dropped with a reason.
  uint64_t dropped = 0;
  for (size_t r = 1; r < static_cast<size_t>(rx_drop::count); ++r) dropped += core->rx_dropped(static_cast<rx_drop>(r));
  EXPECT_EQ(core->rx_offered(), core->rx_delivered() + dropped);
  EXPECT_EQ(core->rx_offered(), 11u);
}

}  // namespace
}  // namespace iovsim::nic
