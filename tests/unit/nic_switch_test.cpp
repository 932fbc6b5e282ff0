// The embedded switch of the NIC core driven like a driver drives it: ixgbe's VT
// set-up (GCR_EXT, VT_CTL, PFVFRE/PFVFTE, VMOLR, receive addresses with their pool
// bits), then frames offered on the wire or transmitted by a pool, and the rings,
// counters and the wire checked for where each copy went.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <systemc>
#include <vector>

#include "models/nic/descriptors.h"
#include "models/nic/nic_core.h"
#include "models/nic/nic_regs.h"
#include "models/pcie/link.h"
#include "models/wire/ethernet.h"
#include "models/wire/wire.h"
#include "tests/unit/nic_test_util.h"
#include "tests/unit/sc_fixture.h"

namespace iovsim::nic {
namespace {

using sc_core::SC_NS;
using sc_core::sc_time;
using sc_core::SC_US;

constexpr uint64_t PORT_MAC = 0x001b21a00010, PEER_MAC = 0x001b21a00099;
constexpr uint64_t BROADCAST = 0xffffffffffff;
constexpr uint16_t PF_RID = 0x0300;
uint64_t vf_mac(unsigned v) { return 0x020000000100 + v; }
uint16_t rid_of(unsigned fn) { return static_cast<uint16_t>(fn ? PF_RID + 128 + 2 * (fn - 1) : PF_RID); }

// An Ethernet frame of `len` bytes (without FCS), optionally 802.1Q tagged.
std::vector<uint8_t> eth(uint64_t dst, uint64_t src, uint32_t len, int tci = -1, uint8_t seed = 0) {
  std::vector<uint8_t> f(len);
  for (int b = 0; b < 6; ++b) {
    f[b] = static_cast<uint8_t>(dst >> (40 - 8 * b));
    f[6 + b] = static_cast<uint8_t>(src >> (40 - 8 * b));
  }
  uint32_t at = 12;
  if (tci >= 0) {
    f[12] = 0x81;
    f[13] = 0x00;
    f[14] = static_cast<uint8_t>(tci >> 8);
    f[15] = static_cast<uint8_t>(tci);
    at = 16;
  }
  f[at] = 0x88;
  f[at + 1] = 0xb5;
  for (uint32_t i = at + 2; i < len; ++i) f[i] = static_cast<uint8_t>(i + seed);
  return f;
}

// The far end of the cable: sends raw frames, records what arrives and when.
struct peer_end : wire::wire_end {
  struct seen {
    std::vector<uint8_t> bytes;
    sc_time at;
  };
  std::vector<seen> got;
  net::frame_pool pool{64};
  void frame_arrived(net::frame_ptr f) override {
    got.push_back({std::vector<uint8_t>(f->data(), f->data() + f->size()), sc_core::sc_time_stamp()});
  }
};

class nic_switch_test : public test::sc_fixture {
 protected:
  test_memory mem;
  std::unique_ptr<wire::wire> w;
  std::unique_ptr<nic_core> core;
  peer_end peer;
  std::map<unsigned, uint32_t> tx_tail;
  unsigned qpp = 2;

  void build() {
    nic_core::config cfg;
    cfg.queues = 128;
    cfg.rar_entries = 128;
    cfg.mac = PORT_MAC;
    w = std::make_unique<wire::wire>("w0", 10000);
    core = std::make_unique<nic_core>(
        "nic", cfg, mem, [](unsigned fn) { return rid_of(fn); }, [](unsigned, unsigned) {});
    core->connect(*w, 0);
    w->attach(1, peer);
  }
  void wr(uint32_t off, uint32_t v) { core->pf_write(off, 4, v); }
  uint32_t rd(uint32_t off) { return static_cast<uint32_t>(core->pf_read(off, 4)); }
  // ixgbe_configure_virtualization() and ixgbe_vf_reset_msg(): VT mode with `vfs`
  // VFs, the PF's pool after them and the default pool, every pool receiving,
  // transmitting, taking untagged frames and broadcast; the PF's address in its pool.
  void vt(unsigned vfs, unsigned gcr_mode = 3) {
    core->set_num_vfs(vfs);
    qpp = gcr_mode == 3 ? 2 : gcr_mode == 2 ? 4 : 8;
    wr(GCR_EXT, gcr_mode);
    wr(VT_CTL, VT_CTL_VT_ENA | VT_CTL_REPLEN | vfs << VT_CTL_POOL_SHIFT);
    const uint64_t pools = (2ull << vfs) - 1;
    wr(PFVFRE0, static_cast<uint32_t>(pools));
    wr(PFVFRE0 + 4, static_cast<uint32_t>(pools >> 32));
    wr(PFVFTE0, static_cast<uint32_t>(pools));
    wr(PFVFTE0 + 4, static_cast<uint32_t>(pools >> 32));
    for (unsigned p = 0; p <= vfs; ++p) wr(VMOLR0 + 4 * p, VMOLR_AUPE | VMOLR_BAM);
    wr(FCTRL, FCTRL_BAM);
    set_rar(0, PORT_MAC, vfs);
  }
  void set_rar(unsigned i, uint64_t mac, unsigned pool) {
    uint32_t lo = 0, hi = 0;
    for (int b = 0; b < 4; ++b) lo |= static_cast<uint32_t>((mac >> (40 - 8 * b)) & 0xff) << (8 * b);
    for (int b = 0; b < 2; ++b) hi |= static_cast<uint32_t>((mac >> (8 - 8 * b)) & 0xff) << (8 * b);
    wr(MPSAR_LO0 + 8 * i, pool < 32 ? 1u << pool : 0);
    wr(MPSAR_LO0 + 8 * i + 4, pool >= 32 ? 1u << (pool - 32) : 0);
    wr(RAL0 + 8 * i, lo);
    wr(RAL0 + 8 * i + 4, hi | RAH_AV);
  }
  unsigned pool_queue(unsigned pool) const { return pool * qpp; }
  // An RX ring for absolute queue q through the PF's view: `n` descriptors, n - 1
  // handed over.
  void rx_ring(unsigned q, uint32_t n = 8, uint32_t handed = 7) {
    const uint64_t ring = 0x100000 + 0x1000ull * q, buffers = 0x1000000 + 0x10000ull * q;
    for (uint32_t i = 0; i < n; ++i) {
      mem.put64(ring + 16 * i, buffers + 2048 * i);
      mem.put64(ring + 16 * i + 8, 0);
    }
    const uint32_t b = q < 64 ? RX_QUEUE0 + QUEUE_STRIDE * q : RX_QUEUE_HIGH0 + QUEUE_STRIDE * (q - 64);
    wr(b + Q_BAL, static_cast<uint32_t>(ring));
    wr(b + Q_LEN, 16 * n);
    wr(b + Q_H, 0);
    wr(b + Q_DCTL, DCTL_ENABLE);
    wr(b + Q_T, handed);
  }
  uint64_t rx_desc(unsigned q, unsigned slot) const { return 0x100000 + 0x1000ull * q + 16 * slot; }
  uint64_t rx_buffer(unsigned q, unsigned slot) const { return 0x1000000 + 0x10000ull * q + 2048 * slot; }
  // Hands one frame to TX queue q (its ring set up on first use).
  void transmit(unsigned q, const std::vector<uint8_t>& f) {
    const uint64_t ring = 0x200000 + 0x1000ull * q;
    const uint32_t b = TX_QUEUE0 + QUEUE_STRIDE * q;
    if (!tx_tail.count(q)) {
      tx_tail[q] = 0;
      wr(b + Q_BAL, static_cast<uint32_t>(ring));
      wr(b + Q_LEN, 64 * 16);
      wr(b + Q_DCTL, DCTL_ENABLE);
    }
    const uint32_t slot = tx_tail[q]++;
    const uint64_t buffer = 0x3000000 + 0x10000ull * q + 2048 * slot;
    for (uint32_t i = 0; i < f.size(); ++i) mem.bytes[buffer + i] = f[i];
    mem.put64(ring + 16 * slot, buffer);
    mem.put64(ring + 16 * slot + 8,
              TXD_CMD_DEXT | TXD_DTYP_DATA | TXD_CMD_EOP | TXD_CMD_IFCS | TXD_CMD_RS | static_cast<uint32_t>(f.size()));
    wr(b + Q_T, tx_tail[q]);
  }
  void offer(const std::vector<uint8_t>& bytes) {
    net::frame_ptr f = peer.pool.get();
    f->assign(bytes.data(), static_cast<uint32_t>(bytes.size()));
    w->send(1, std::move(f));
  }
  uint64_t frames(unsigned q) { return core->rxq(q).frames(); }
  uint64_t drops() {
    uint64_t n = 0;
    for (size_t r = 1; r < static_cast<size_t>(rx_drop::count); ++r) n += core->rx_dropped(static_cast<rx_drop>(r));
    return n;
  }
  void expect_books_balance() {
    EXPECT_EQ(core->rx_offered() + core->rx_looped() + core->rx_replicas(), core->rx_delivered() + drops());
  }
};

TEST_F(nic_switch_test, unicast_to_a_vf_goes_to_its_pool_only_through_its_routing_id) {
  build();
  run_thread([&] {
    vt(2);
    set_rar(1, vf_mac(1), 1);
    for (unsigned p = 0; p <= 2; ++p) rx_ring(pool_queue(p));
    for (int i = 0; i < 3; ++i) offer(eth(vf_mac(1), PEER_MAC, 300));
    sc_core::wait(sc_time(10, SC_US));
    EXPECT_EQ(core->vf_read(1, VFGPRC, 4), 3u);
    EXPECT_EQ(core->vf_read(1, VFGORC_LSB, 4), 900u);
    EXPECT_EQ(rd(PVFGPRC0 + QUEUE_STRIDE * 1), 3u) << "the PF's view of pool 1's counter";
  });
  EXPECT_EQ(frames(pool_queue(1)), 3u);
  EXPECT_EQ(frames(pool_queue(0)), 0u);
  EXPECT_EQ(frames(pool_queue(2)), 0u);
  EXPECT_EQ(core->rx_replicas(), 0u);
  for (const auto& r : mem.log) {
    if (r.write) {
      EXPECT_EQ(r.rid, rid_of(2)) << std::hex << r.addr;
    }
  }
  expect_books_balance();
}

// L2 filtering before pool selection (82599 data sheet 7.1.1.1): a unicast no
// receive address or PFUTA hash takes passes only in unicast promiscuous mode
// (FCTRL.UPE), and then goes to the default pool unless VT_CTL.DIS_DEFPL.
TEST_F(nic_switch_test, unknown_unicast_passes_with_fctrl_upe_to_the_default_pool_and_not_with_dis_defpl) {
  build();
  run_thread([&] {
    vt(2);
    for (unsigned p = 0; p <= 2; ++p) rx_ring(pool_queue(p));
    offer(eth(0x0a0b0c0d0e0f, PEER_MAC, 100));
    sc_core::wait(sc_time(5, SC_US));
    EXPECT_EQ(frames(pool_queue(2)), 0u) << "no filter takes it: dropped";
    wr(FCTRL, rd(FCTRL) | FCTRL_UPE);
    offer(eth(0x0a0b0c0d0e0f, PEER_MAC, 100));
    sc_core::wait(sc_time(5, SC_US));
    EXPECT_EQ(frames(pool_queue(2)), 1u) << "the default pool: the PF's";
    wr(VT_CTL, rd(VT_CTL) | VT_CTL_DIS_DEFPL);
    offer(eth(0x0a0b0c0d0e0f, PEER_MAC, 100));
    sc_core::wait(sc_time(5, SC_US));
  });
  EXPECT_EQ(frames(pool_queue(2)), 1u);
  EXPECT_EQ(core->rx_dropped(rx_drop::l2_filter), 2u);
  EXPECT_EQ(std::string(rx_drop_name(rx_drop::l2_filter)), "l2_filter");
  expect_books_balance();
}

TEST_F(nic_switch_test, broadcast_goes_to_the_pools_with_bam_and_nowhere_without_fctrl_bam) {
  build();
  run_thread([&] {
    vt(3);
    wr(VMOLR0 + 4 * 1, VMOLR_AUPE);  // pool 1 does not take broadcast
    for (unsigned p = 0; p <= 3; ++p) rx_ring(pool_queue(p));
    offer(eth(BROADCAST, PEER_MAC, 64));
    sc_core::wait(sc_time(5, SC_US));
    wr(FCTRL, 0);
    offer(eth(BROADCAST, PEER_MAC, 64));
    sc_core::wait(sc_time(5, SC_US));
  });
  EXPECT_EQ(frames(pool_queue(0)), 1u);
  EXPECT_EQ(frames(pool_queue(1)), 0u);
  EXPECT_EQ(frames(pool_queue(2)), 1u);
  EXPECT_EQ(frames(pool_queue(3)), 1u);
  EXPECT_EQ(core->rx_replicas(), 2u);
  EXPECT_EQ(core->rx_dropped(rx_drop::l2_filter), 1u);
  expect_books_balance();
}

TEST_F(nic_switch_test, multicast_by_the_mta_hash_to_rompe_pools_and_all_of_it_to_mpe_pools) {
  build();
  const uint64_t mdns = 0x01005e0000fb, other = 0x01005e000001;
  run_thread([&] {
    vt(2);
    for (unsigned p = 0; p <= 2; ++p) rx_ring(pool_queue(p));
    // ixgbe_mta_vector() with MO 0: bits [47:36], here 0xfb0: MTA[0x7d] bit 16.
    wr(MCSTCTRL, MCSTCTRL_MFE);
    wr(MTA0 + 4 * 0x7d, 1u << 16);
    wr(VMOLR0, VMOLR_AUPE | VMOLR_BAM | VMOLR_ROMPE);
    offer(eth(mdns, PEER_MAC, 80));
    offer(eth(other, PEER_MAC, 80));  // in nobody's hash
    sc_core::wait(sc_time(5, SC_US));
    EXPECT_EQ(frames(pool_queue(0)), 1u);
    EXPECT_EQ(frames(pool_queue(1)), 0u);
    wr(VMOLR0 + 4, VMOLR_AUPE | VMOLR_BAM | VMOLR_MPE);  // VF 1 all-multicast
    offer(eth(other, PEER_MAC, 80));
    sc_core::wait(sc_time(5, SC_US));
    EXPECT_EQ(core->vf_read(1, VFMPRC, 4), 1u);
  });
  EXPECT_EQ(frames(pool_queue(0)), 1u);
  EXPECT_EQ(frames(pool_queue(1)), 1u);
  EXPECT_EQ(frames(pool_queue(2)), 0u) << "multicast never goes to the default pool";
  EXPECT_EQ(core->rx_dropped(rx_drop::l2_filter), 1u);
  expect_books_balance();
}

TEST_F(nic_switch_test, vlans_pass_vfta_then_go_to_their_vlvf_pools_and_untagged_to_aupe_pools) {
  build();
  run_thread([&] {
    vt(2);
    set_rar(1, vf_mac(0), 0);
    set_rar(2, vf_mac(1), 1);
    for (unsigned p = 0; p <= 2; ++p) rx_ring(pool_queue(p));
    wr(VLNCTRL, VLNCTRL_VFE | 0x8100);
    wr(VFTA0 + 4 * (100 / 32), 1u << (100 % 32));
    wr(VLVF0, VLVF_VIEN | 100);
    wr(VLVFB0, 1u << 0);                        // VID 100: pool 0 only
    wr(VMOLR0 + 4 * 1, VMOLR_BAM);              // VF 1 takes no untagged frames
    offer(eth(vf_mac(0), PEER_MAC, 100, 100));  // VF 0's VLAN: to VF 0
    offer(eth(vf_mac(0), PEER_MAC, 100, 200));  // VID 200 not in VFTA: dropped
    offer(eth(vf_mac(1), PEER_MAC, 100));       // untagged, VF 1 without AUPE: the default pool
    sc_core::wait(sc_time(5, SC_US));
  });
  EXPECT_EQ(frames(pool_queue(0)), 1u);
  EXPECT_EQ(frames(pool_queue(1)), 0u);
  EXPECT_EQ(frames(pool_queue(2)), 1u);
  EXPECT_EQ(core->rx_dropped(rx_drop::vlan_filter), 1u);
  expect_books_balance();
}

TEST_F(nic_switch_test, a_pool_without_its_pfvfre_bit_receives_nothing) {
  build();
  run_thread([&] {
    vt(2);
    set_rar(1, vf_mac(0), 0);
    rx_ring(pool_queue(0));
    wr(PFVFRE0, rd(PFVFRE0) & ~1u);
    offer(eth(vf_mac(0), PEER_MAC, 100));
    sc_core::wait(sc_time(5, SC_US));
  });
  EXPECT_EQ(frames(pool_queue(0)), 0u);
  EXPECT_EQ(core->rx_dropped(rx_drop::pool_disabled), 1u);
  expect_books_balance();
}

// PHENOMENA.md A8: every pool that takes a broadcast gets a copy of its own, each
// with its own data write and write-back through its function: 16 functions cost 16
// times the PCIe bytes of one.
TEST_F(nic_switch_test, sixteen_way_replication_costs_sixteen_times_the_pcie_bytes) {
  build();
  constexpr unsigned FRAMES = 4, BYTES = 1000;
  run_thread([&] {
    vt(15);
    for (unsigned p = 0; p < 16; ++p) rx_ring(pool_queue(p));
    mem.log.clear();
    for (unsigned i = 0; i < FRAMES; ++i) offer(eth(BROADCAST, PEER_MAC, BYTES));
    sc_core::wait(sc_time(20, SC_US));
  });
  for (unsigned p = 0; p < 16; ++p) EXPECT_EQ(frames(pool_queue(p)), FRAMES) << p;
  EXPECT_EQ(core->rx_offered(), FRAMES);
  EXPECT_EQ(core->rx_replicas(), 15u * FRAMES);
  // What each function wrote, and what it cost on a Gen3 x8 link with MPS 256.
  const pcie::link_config link;
  std::map<uint16_t, uint64_t> written, link_bytes;
  for (const auto& r : mem.log)
    if (r.write) {
      written[r.rid] += r.len;
      link_bytes[r.rid] += pcie::write_wire(link, r.len).wire_bytes;
    }
  ASSERT_EQ(written.size(), 16u);
  const uint64_t per_copy = pcie::write_wire(link, BYTES).wire_bytes + pcie::write_wire(link, 16).wire_bytes;
  for (unsigned fn = 0; fn < 16; ++fn) {
    EXPECT_EQ(written[rid_of(fn)], FRAMES * (BYTES + 16)) << fn;
    EXPECT_EQ(link_bytes[rid_of(fn)], FRAMES * per_copy) << fn;
  }
  uint64_t total = 0;
  for (const auto& [rid, b] : link_bytes) total += b;
  EXPECT_EQ(total, 16 * FRAMES * per_copy);
  EXPECT_GT(total, 16 * FRAMES * wire::wire_bytes(BYTES)) << "more PCIe bytes than the wire carried, 16 times over";
  expect_books_balance();
}

TEST_F(nic_switch_test, a_full_ring_drops_its_copy_only_and_the_books_balance) {
  build();
  run_thread([&] {
    vt(2);
    rx_ring(pool_queue(0), 8, 3);  // 3 descriptors handed over
    rx_ring(pool_queue(1));
    rx_ring(pool_queue(2));
    for (int i = 0; i < 6; ++i) offer(eth(BROADCAST, PEER_MAC, 64));
    sc_core::wait(sc_time(10, SC_US));
  });
  EXPECT_EQ(frames(pool_queue(0)), 3u);
  EXPECT_EQ(frames(pool_queue(1)), 6u);
  EXPECT_EQ(frames(pool_queue(2)), 6u);
  EXPECT_EQ(core->rx_dropped(rx_drop::no_descriptor), 3u);
  EXPECT_EQ(core->rx_offered(), 6u);
  EXPECT_EQ(core->rx_replicas(), 12u);
  EXPECT_EQ(core->rx_delivered(), 15u);
  expect_books_balance();
}

TEST_F(nic_switch_test, anti_spoofing_drops_a_forged_source_and_ssvpc_clears_on_read) {
  build();
  run_thread([&] {
    vt(2);
    set_rar(1, vf_mac(0), 0);
    wr(PFVFSPOOF0, 0x1 | 0x1 << SPOOF_VLANAS_SHIFT);              // pool 0: MAC and VLAN anti-spoofing
    transmit(pool_queue(0), eth(PEER_MAC, 0x0a0000000001, 100));  // not VF 0's address
    sc_core::wait(sc_time(5, SC_US));
    EXPECT_TRUE(peer.got.empty());
    EXPECT_EQ(rd(SSVPC), 1u);
    EXPECT_EQ(rd(SSVPC), 0u) << "clear on read";
    transmit(pool_queue(0), eth(PEER_MAC, vf_mac(0), 100, 7));  // its address, VLAN 7 not its own
    sc_core::wait(sc_time(5, SC_US));
    EXPECT_TRUE(peer.got.empty());
    transmit(pool_queue(0), eth(PEER_MAC, vf_mac(0), 100));  // its address, untagged
    sc_core::wait(sc_time(5, SC_US));
    EXPECT_EQ(peer.got.size(), 1u);
    // ip link set ... vf 0 spoofchk off: the forged frame passes.
    wr(PFVFSPOOF0, 0);
    transmit(pool_queue(0), eth(PEER_MAC, 0x0a0000000001, 100));
    sc_core::wait(sc_time(5, SC_US));
    EXPECT_EQ(rd(SSVPC), 1u);
  });
  ASSERT_EQ(peer.got.size(), 2u);
  EXPECT_EQ(peer.got[1].bytes, eth(PEER_MAC, 0x0a0000000001, 100));
  EXPECT_EQ(core->tx_dropped(tx_drop::mac_spoof), 1u);
  EXPECT_EQ(core->tx_dropped(tx_drop::vlan_spoof), 1u);
  EXPECT_EQ(core->sw().counters[0].tx_spoofed, 2u);
  // The dropped frames' descriptors are done all the same.
  EXPECT_EQ(mem.get32(0x200000 + 12) & TXD_STAT_DD, TXD_STAT_DD);
  EXPECT_EQ(core->vf_read(0, VFGPTC, 4), 2u);
}

TEST_F(nic_switch_test, a_pool_without_its_pfvfte_bit_sends_only_once_enabled) {
  build();
  run_thread([&] {
    vt(2);
    wr(PFVFTE0, rd(PFVFTE0) & ~1u);
    transmit(pool_queue(0), eth(PEER_MAC, vf_mac(0), 100));
    sc_core::wait(sc_time(5, SC_US));
    EXPECT_TRUE(peer.got.empty());
    EXPECT_EQ(core->txq(pool_queue(0)).ring.head, 0u) << "not even fetched";
    wr(PFVFTE0, rd(PFVFTE0) | 1u);
    sc_core::wait(sc_time(5, SC_US));
  });
  EXPECT_EQ(peer.got.size(), 1u);
}

TEST_F(nic_switch_test, vf_to_vf_unicast_is_switched_inside_and_never_reaches_the_wire) {
  build();
  run_thread([&] {
    vt(2);
    set_rar(1, vf_mac(0), 0);
    set_rar(2, vf_mac(1), 1);
    wr(PFDTXGSWC, PFDTXGSWC_VT_LBEN);
    for (unsigned p = 0; p <= 2; ++p) rx_ring(pool_queue(p));
    transmit(pool_queue(0), eth(vf_mac(1), vf_mac(0), 200));
    sc_core::wait(sc_time(5, SC_US));
  });
  EXPECT_EQ(frames(pool_queue(1)), 1u);
  EXPECT_EQ(frames(pool_queue(0)), 0u);
  EXPECT_EQ(frames(pool_queue(2)), 0u);
  EXPECT_TRUE(peer.got.empty());
  EXPECT_EQ(w->counts(0).frames_sent, 0u);
  EXPECT_EQ(core->rx_looped(), 1u);
  EXPECT_EQ(core->tx_local_only(), 1u);
  EXPECT_EQ(mem.get(rx_buffer(pool_queue(1), 0), 200), eth(vf_mac(1), vf_mac(0), 200));
  // PCIe twice: the read by VF 0, the write by VF 1.
  bool read_by_vf0 = false, written_by_vf1 = false;
  for (const auto& r : mem.log) {
    read_by_vf0 |= !r.write && r.rid == rid_of(1) && r.len == 200;
    written_by_vf1 |= r.write && r.rid == rid_of(2) && r.len == 200;
  }
  EXPECT_TRUE(read_by_vf0);
  EXPECT_TRUE(written_by_vf1);
  expect_books_balance();
}

TEST_F(nic_switch_test, vf_to_pf_unicast_is_switched_inside) {
  build();
  run_thread([&] {
    vt(2);
    set_rar(1, vf_mac(0), 0);
    wr(PFDTXGSWC, PFDTXGSWC_VT_LBEN);
    for (unsigned p = 0; p <= 2; ++p) rx_ring(pool_queue(p));
    transmit(pool_queue(0), eth(PORT_MAC, vf_mac(0), 120));
    sc_core::wait(sc_time(5, SC_US));
    // Without local switching the same frame goes to the wire.
    wr(PFDTXGSWC, 0);
    transmit(pool_queue(0), eth(PORT_MAC, vf_mac(0), 120));
    sc_core::wait(sc_time(5, SC_US));
  });
  EXPECT_EQ(frames(pool_queue(2)), 1u);
  EXPECT_EQ(peer.got.size(), 1u);
  EXPECT_EQ(core->rx_looped(), 1u);
  expect_books_balance();
}

TEST_F(nic_switch_test, broadcast_from_a_vf_goes_to_the_wire_and_to_the_other_pools) {
  build();
  run_thread([&] {
    vt(2);
    set_rar(1, vf_mac(0), 0);
    wr(PFDTXGSWC, PFDTXGSWC_VT_LBEN);
    for (unsigned p = 0; p <= 2; ++p) rx_ring(pool_queue(p));
    transmit(pool_queue(0), eth(BROADCAST, vf_mac(0), 64));
    sc_core::wait(sc_time(5, SC_US));
  });
  EXPECT_EQ(peer.got.size(), 1u);
  EXPECT_EQ(frames(pool_queue(0)), 0u) << "never back to its source";
  EXPECT_EQ(frames(pool_queue(1)), 1u);
  EXPECT_EQ(frames(pool_queue(2)), 1u);
  EXPECT_EQ(core->rx_looped(), 1u);
  EXPECT_EQ(core->rx_replicas(), 1u);
  EXPECT_EQ(core->tx_local_only(), 0u);
  expect_books_balance();
}

// ip link set ... vf 0 vlan 42: VMVIR tags what VF 0 sends; what comes for it on VLAN
// 42 arrives untagged, the tag in the write-back (VP, VLAN).
TEST_F(nic_switch_test, a_port_vlan_is_inserted_on_transmit_and_stripped_into_the_write_back) {
  build();
  run_thread([&] {
    vt(2);
    set_rar(1, vf_mac(0), 0);
    wr(VMVIR0, VMVIR_VLANA_DEFAULT | 42);
    wr(VLNCTRL, VLNCTRL_VFE | 0x8100);
    wr(VFTA0 + 4 * (42 / 32), 1u << (42 % 32));
    wr(VLVF0, VLVF_VIEN | 42);
    wr(VLVFB0, 1u << 0);
    wr(VMOLR0, VMOLR_BAM);  // ixgbe_set_vmvir(): no untagged frames for it any more
    rx_ring(pool_queue(0));
    transmit(pool_queue(0), eth(PEER_MAC, vf_mac(0), 100));
    offer(eth(vf_mac(0), PEER_MAC, 104, 42));
    sc_core::wait(sc_time(5, SC_US));
  });
  ASSERT_EQ(peer.got.size(), 1u);
  EXPECT_EQ(peer.got[0].bytes.size(), 104u);
  EXPECT_EQ(peer.got[0].bytes[12], 0x81);
  EXPECT_EQ(peer.got[0].bytes[13], 0x00);
  EXPECT_EQ(peer.got[0].bytes[15], 42);
  ASSERT_EQ(frames(pool_queue(0)), 1u);
  const uint64_t d = rx_desc(pool_queue(0), 0);
  EXPECT_EQ(mem.get32(d + 8), RXD_STAT_DD | RXD_STAT_EOP | RXD_STAT_VP);
  EXPECT_EQ(mem.get32(d + 12) & 0xffff, 100u) << "four bytes shorter";
  EXPECT_EQ(mem.get32(d + 12) >> 16, 42u);
  const std::vector<uint8_t> untagged = eth(vf_mac(0), PEER_MAC, 100);
  std::vector<uint8_t> got = mem.get(rx_buffer(pool_queue(0), 0), 100);
  EXPECT_EQ(std::vector<uint8_t>(got.begin(), got.begin() + 14),
            std::vector<uint8_t>(untagged.begin(), untagged.begin() + 14));
}

// ip link set ... vf 0 max_tx_rate 1000 on a 10G port: RTTBCNRC rate factor 10 on VF
// 0's queue; another queue's frames are not held behind it.
TEST_F(nic_switch_test, a_rate_limited_queue_waits_its_turn_without_blocking_another_queue) {
  build();
  constexpr unsigned N = 5, BYTES = 1000;
  run_thread([&] {
    vt(2);
    set_rar(1, vf_mac(0), 0);
    set_rar(2, vf_mac(1), 1);
    wr(RTTDQSEL, pool_queue(0));
    wr(RTTBCNRC, RTTBCNRC_RS_ENA | 10u << RTTBCNRC_RF_INT_SHIFT);
    EXPECT_EQ(rd(RTTBCNRC), RTTBCNRC_RS_ENA | 10u << RTTBCNRC_RF_INT_SHIFT);
    for (unsigned i = 0; i < N; ++i) {
      transmit(pool_queue(0), eth(PEER_MAC, vf_mac(0), BYTES, -1, static_cast<uint8_t>(i)));
      transmit(pool_queue(1), eth(PEER_MAC, vf_mac(1), BYTES, -1, static_cast<uint8_t>(i)));
    }
    sc_core::wait(sc_time(100, SC_US));
  });
  std::vector<sc_time> limited, free_running;
  for (const auto& s : peer.got) (s.bytes[11] == 0x00 ? limited : free_running).push_back(s.at);
  ASSERT_EQ(limited.size(), N);
  ASSERT_EQ(free_running.size(), N);
  // One frame holds the 10G wire 819.2 ns (1024 bytes with preamble, FCS and IFG); at
  // a tenth of the line rate the limited queue starts one every 8.192 us, the first
  // too: a frame is paced from when it is staged, which is once its descriptors
  // arrived (the engine asks for no DMA ahead of time).
  const sc_time frame_time(819.2, SC_NS);
  for (unsigned i = 1; i < N; ++i) EXPECT_EQ(limited[i] - limited[i - 1], frame_time * 10) << i;
  EXPECT_LT(free_running.back(), limited[1]) << "the other queue's frames all left meanwhile";
  EXPECT_LT(free_running.back() - free_running.front(), frame_time * (N + 1));
}

TEST_F(nic_switch_test, pools_map_to_queues_by_the_vt_mode_32_pools_of_4_and_16_of_8) {
  build();
  run_thread([&] {
    vt(3, 2);  // 32 pools of 4 queues
    set_rar(1, vf_mac(1), 1);
    core->vf_write(1, VF_RX_QUEUE0 + QUEUE_STRIDE * 2 + Q_BAL, 4, 0xabc00);
    EXPECT_EQ(rd(RX_QUEUE0 + QUEUE_STRIDE * 6 + Q_BAL), 0xabc00u) << "VF 1's queue 2 is queue 6";
    rx_ring(4);
    rx_ring(12);
    wr(FCTRL, rd(FCTRL) | FCTRL_UPE);
    offer(eth(vf_mac(1), PEER_MAC, 100));
    offer(eth(0x0a0b0c0d0e0f, PEER_MAC, 100));  // unicast promiscuous: the default pool 3, queue 12
    sc_core::wait(sc_time(5, SC_US));
    EXPECT_EQ(frames(4), 1u);
    EXPECT_EQ(frames(12), 1u);
    vt(3, 1);  // 16 pools of 8
    core->vf_write(1, VF_RX_QUEUE0 + QUEUE_STRIDE * 7 + Q_BAL, 4, 0xdef00);
    EXPECT_EQ(rd(RX_QUEUE0 + QUEUE_STRIDE * 15 + Q_BAL), 0xdef00u) << "VF 1's queue 7 is queue 15";
    rx_ring(8);
    offer(eth(vf_mac(1), PEER_MAC, 100));
    sc_core::wait(sc_time(5, SC_US));
    EXPECT_EQ(frames(8), 1u);
    // Back to 64 pools of 2: the VF's queue 2 is no queue of its pool.
    vt(3, 3);
    core->vf_write(1, VF_RX_QUEUE0 + QUEUE_STRIDE * 2 + Q_BAL, 4, 0x12300);
    EXPECT_NE(rd(RX_QUEUE0 + QUEUE_STRIDE * 4 + Q_BAL), 0x12300u);
    EXPECT_NE(rd(RX_QUEUE0 + QUEUE_STRIDE * 6 + Q_BAL), 0x12300u);
  });
  expect_books_balance();
}

}  // namespace
}  // namespace iovsim::nic
