// The PF's SR-IOV service (firmware/ixgbe_sriov.*) without SystemC: a fake BAR0 with
// the mailbox semantics the service relies on (PFMBICR write-1-to-clear, the PFU lock
// reading back, STS delivering the buffer to a fake VF) and a recorded kernel log. The
// tests talk to it as ixgbevf would: post a message, run the mailbox task, read the reply.
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "firmware/ixgbe_sriov.h"

namespace iovsim::fw {
namespace {

using namespace ixgbe;
using lvl = nic_hal::level;

class fake_nic : public nic_hal {
 public:
  std::map<uint32_t, uint32_t> regs;
  std::array<uint32_t, 4> icr{};
  std::array<std::array<uint32_t, 16>, 64> mem{};
  std::array<bool, 64> pfu{};
  std::set<unsigned> stuck;  // VFs whose buffer the VF holds: PFU never sticks
  std::map<unsigned, std::vector<std::array<uint32_t, 16>>> delivered;  // STS: what the VF read
  std::vector<std::pair<lvl, std::string>> logs;
  std::vector<std::pair<uint32_t, uint32_t>> writes;
  uint64_t charged = 0;

  uint32_t read32(uint32_t off) override {
    if (off >= 0x710 && off < 0x720) return icr[(off - 0x710) / 4];
    if (off >= 0x4B00 && off < 0x4C00) return pfu[(off - 0x4B00) / 4] ? PFMAILBOX_PFU : 0;
    if (off >= 0x13000 && off < 0x14000) return mem[(off - 0x13000) / 64][(off % 64) / 4];
    auto it = regs.find(off);
    return it == regs.end() ? 0 : it->second;
  }
  void write32(uint32_t off, uint32_t v) override {
    writes.emplace_back(off, v);
    if (off >= 0x710 && off < 0x720) {
      icr[(off - 0x710) / 4] &= ~v;
    } else if (off >= 0x4B00 && off < 0x4C00) {
      const unsigned vf = (off - 0x4B00) / 4;
      pfu[vf] = (v & PFMAILBOX_PFU) && !stuck.count(vf);
      if (v & PFMAILBOX_STS) delivered[vf].push_back(mem[vf]);
    } else if (off >= 0x13000 && off < 0x14000) {
      mem[(off - 0x13000) / 64][(off % 64) / 4] = v;
    } else {
      regs[off] = v;
    }
  }
  void log(lvl l, const std::string& text) override { logs.emplace_back(l, text); }
  void charge(uint64_t ns) override { charged += ns; }

  bool logged(const std::string& text) const {
    return std::any_of(logs.begin(), logs.end(), [&](const auto& e) { return e.second == text; });
  }
  lvl level_of(const std::string& text) const {
    auto it = std::find_if(logs.begin(), logs.end(), [&](const auto& e) { return e.second == text; });
    return it == logs.end() ? lvl::netdev_info : it->first;
  }
  unsigned writes_to(uint32_t off) const {
    return static_cast<unsigned>(
        std::count_if(writes.begin(), writes.end(), [&](const auto& w) { return w.first == off; }));
  }
};

constexpr uint64_t PF_MAC = 0x001b21aabbccull;

class sriov : public ::testing::Test {
 protected:
  fake_nic nic;
  std::unique_ptr<ixgbe_sriov> svc;

  void up(unsigned vfs, ixgbe_mac_type type = ixgbe_mac_type::mac_x540) {
    ixgbe_sriov::params p;
    p.mac_type = type;
    svc = std::make_unique<ixgbe_sriov>(nic, p);
    svc->configure(PF_MAC, vfs);
    svc->pf_up();
    nic.delivered.clear();
  }
  // The VF writes its words, sets REQ; the PF's task runs; what the VF reads back.
  std::array<uint32_t, 16> send(unsigned vf, std::vector<uint32_t> words) {
    for (unsigned i = 0; i < words.size(); ++i) nic.mem[vf][i] = words[i];
    nic.icr[vf / 16] |= MBVFICR_VFREQ_VF1 << (vf % 16);
    nic.delivered[vf].clear();
    svc->service();
    return nic.delivered[vf].empty() ? std::array<uint32_t, 16>{} : nic.delivered[vf].back();
  }
  std::array<uint32_t, 16> reset(unsigned vf) { return send(vf, {VF_RESET}); }
  static std::vector<uint32_t> mac_msg(uint32_t type, uint64_t mac) {
    std::vector<uint32_t> m = {type, 0, 0};
    for (unsigned b = 0; b < 6; ++b)
      m[1 + b / 4] |= static_cast<uint32_t>((mac >> (40 - 8 * b)) & 0xff) << (8 * (b % 4));
    return m;
  }
  int rar_of(uint64_t mac) {  // the RAR index holding mac with AV, -1 if none
    const uint32_t lo = static_cast<uint32_t>(((mac >> 40) & 0xff) | ((mac >> 24) & 0xff00) | ((mac >> 8) & 0xff0000) |
                                              ((mac << 8) & 0xff000000));
    const uint32_t hi = static_cast<uint32_t>(((mac >> 8) & 0xff) | ((mac << 8) & 0xff00)) | RAH_AV;
    for (unsigned i = 0; i < 128; ++i)
      if (nic.read32(RAL(i)) == lo && nic.read32(RAH(i)) == hi) return static_cast<int>(i);
    return -1;
  }
};

TEST_F(sriov, ConfigureProgramsThePfPoolAndTheSwitch) {
  up(4);
  EXPECT_EQ(nic.read32(VT_CTL), VT_CTL_VT_ENABLE | 4u << VT_CTL_POOL_SHIFT | VT_CTL_REPLEN);
  EXPECT_EQ(rar_of(PF_MAC), 0);
  EXPECT_EQ(nic.read32(MPSAR_LO(0)), 1u << 4);
  EXPECT_EQ(nic.read32(GCR_EXT), GCR_EXT_VT_MODE_32);  // 5 pools: 32 x 4
  EXPECT_EQ(nic.read32(MRQC), MRQC_VMDQRSS32EN);
  EXPECT_EQ(nic.read32(PFDTXGSWC), PFDTXGSWC_VT_LBEN);
  EXPECT_EQ(nic.read32(PFVFSPOOF(0)), 0x0F0Fu);  // MAC and VLAN anti-spoofing for VFs 0..3
  EXPECT_EQ(nic.read32(VFRE(0)) & 0x1F, 0x1Fu);  // PF pool; VFs on after pf_up (link auto)
  EXPECT_EQ(nic.read32(VFRE(1)), 0xFFFFFFFFu);   // pools past the PF's
  EXPECT_TRUE(nic.read32(VMOLR(4)) & VMOLR_AUPE);
  EXPECT_EQ(nic.read32(CTRL_EXT) & CTRL_EXT_PFRSTD, CTRL_EXT_PFRSTD);
  EXPECT_EQ(svc->available_rars(), 127);
  ixgbe_sriov big(nic);
  big.configure(PF_MAC, 63);
  EXPECT_EQ(nic.read32(GCR_EXT), GCR_EXT_VT_MODE_64);
  EXPECT_EQ(big.queues_per_pool(), 2u);
  // Back to no VFs: VT mode off, RAR 0 in pool 0 only.
  big.configure(PF_MAC, 0);
  EXPECT_EQ(nic.read32(VT_CTL) & VT_CTL_VT_ENABLE, 0u);
  EXPECT_EQ(nic.read32(MPSAR_LO(0)), 1u);
  EXPECT_EQ(nic.read32(MPSAR_HI(0)), 0u);
}

TEST_F(sriov, ResetWithoutAdministratorMacIsNacked) {
  up(4);
  const auto r = reset(2);
  EXPECT_EQ(r[0], VF_RESET | VT_MSGTYPE_NACK);
  EXPECT_EQ(r[1], 0u);
  EXPECT_EQ(r[VF_MC_TYPE_WORD], 0u);
  EXPECT_TRUE(nic.logged("VF Reset msg received from vf 2"));
  EXPECT_TRUE(svc->vf(2).clear_to_send);
  EXPECT_TRUE(nic.read32(VFTE(0)) & (1u << 2));
  EXPECT_EQ(svc->stats().by_type[VF_RESET], 1u);
}

TEST_F(sriov, ResetAfterAdministratorMacAcksWithIt) {
  up(4);
  const uint64_t mac = 0x020000000011ull;
  EXPECT_EQ(svc->set_vf_mac(1, mac, true), 0);
  EXPECT_TRUE(nic.logged("setting MAC 02:00:00:00:00:11 on VF 1"));
  EXPECT_EQ(nic.level_of("setting MAC 02:00:00:00:00:11 on VF 1"), lvl::dev_info);
  EXPECT_TRUE(nic.logged("Reload the VF driver to make this change effective."));
  EXPECT_FALSE(nic.logged("The VF MAC address has been set, but the PF device is not up."));
  const auto r = reset(1);
  EXPECT_EQ(r[0], VF_RESET | VT_MSGTYPE_ACK);
  EXPECT_EQ(r[1], 0x00000002u);  // 02 00 00 00, first octet lowest
  EXPECT_EQ(r[2], 0x1100u);
  const int i = rar_of(mac);
  ASSERT_GT(i, 0);
  EXPECT_EQ(nic.read32(MPSAR_LO(static_cast<unsigned>(i))), 1u << 1);
  EXPECT_EQ(svc->set_vf_mac(2, mac + 1, false), 0);
  EXPECT_TRUE(nic.logged("The VF MAC address has been set, but the PF device is not up."));
  EXPECT_TRUE(nic.logged("Bring the PF device up before attempting to use the VF device."));
}

TEST_F(sriov, ResetRestartsQueuesClearsTheMailboxAndHidesThePortVlan) {
  up(4);  // 4 queues per pool: VF 1 owns 4..7
  nic.regs[PVFTXDCTL(5)] = 0x00000420;
  nic.mem[1][9] = 0x12345678;  // stale words from an earlier message
  ASSERT_EQ(svc->set_vf_vlan(1, 30, 0, ETH_P_8021Q, true), 0);
  nic.writes.clear();
  const auto r = reset(1);
  EXPECT_EQ(r[9], 0u);  // ixgbe_vf_clear_mbx() before the reply
  EXPECT_EQ(nic.writes_to(PVFTXDCTL(5)), 2u);
  EXPECT_EQ(nic.writes_to(PVFTXDCTL(4)), 0u);  // never configured: left alone
  EXPECT_EQ(nic.read32(PVFTXDCTL(5)), 0x00000420u);
  EXPECT_EQ(nic.read32(QDE), QDE_WRITE | QDE_ENABLE | QDE_HIDE_VLAN | 7u << QDE_IDX_SHIFT);
  EXPECT_EQ(nic.writes_to(QDE), 4u);
  EXPECT_TRUE(nic.read32(VMECM(0)) & 2u);
  EXPECT_EQ(nic.writes_to(PVFTDWBAL(7)), 1u);
  EXPECT_EQ(nic.read32(VMVIR(1)), 30u | VMVIR_VLANA_DEFAULT);
  EXPECT_FALSE(nic.read32(VMOLR(1)) & VMOLR_AUPE);
  // An FLR clears the VF's filters without answering.
  send(1, mac_msg(VF_SET_MAC_ADDR, 0x020000000077ull));
  ASSERT_GT(rar_of(0x020000000077ull), 0);
  nic.delivered[1].clear();
  svc->vf_flr(1);
  EXPECT_EQ(rar_of(0x020000000077ull), -1);
  EXPECT_TRUE(nic.delivered[1].empty());
}

TEST_F(sriov, EverythingButResetIsNackedBeforeTheReset) {
  up(2);
  nic.mem[0] = {};
  nic.mem[0][5] = 0xdeadbeef;
  const auto r = send(0, mac_msg(VF_SET_MAC_ADDR, 0x020000000001ull));
  EXPECT_EQ(r[0], VF_SET_MAC_ADDR | VT_MSGTYPE_NACK);  // no CTS, only word 0 written
  EXPECT_EQ(r[5], 0xdeadbeefu);
  EXPECT_EQ(svc->stats().before_reset, 1u);
  EXPECT_EQ(rar_of(0x020000000001ull), -1);
}

TEST_F(sriov, SetMacAddrChecksValidityAndTheAdministrator) {
  up(2);
  reset(0);
  auto r = send(0, mac_msg(VF_SET_MAC_ADDR, 0x020000000001ull));
  EXPECT_EQ(r[0], VF_SET_MAC_ADDR | VT_MSGTYPE_ACK | VT_MSGTYPE_CTS);
  EXPECT_GT(rar_of(0x020000000001ull), 0);
  r = send(0, mac_msg(VF_SET_MAC_ADDR, 0x010000000001ull));  // multicast
  EXPECT_EQ(r[0], VF_SET_MAC_ADDR | VT_MSGTYPE_NACK | VT_MSGTYPE_CTS);
  EXPECT_TRUE(nic.logged("VF 0 attempted to set invalid mac"));
  ASSERT_EQ(svc->set_vf_mac(1, 0x020000000099ull, true), 0);
  reset(1);
  r = send(1, mac_msg(VF_SET_MAC_ADDR, 0x020000000042ull));
  EXPECT_EQ(r[0] & VT_MSGTYPE_NACK, VT_MSGTYPE_NACK);
  EXPECT_TRUE(nic.logged(
      "VF 1 attempted to override administratively set MAC address\nReload the VF driver to resume operations"));
  EXPECT_EQ(svc->set_vf_trust(1, true), 0);
  EXPECT_TRUE(nic.logged("VF 1 is trusted"));
  reset(1);
  r = send(1, mac_msg(VF_SET_MAC_ADDR, 0x020000000042ull));
  EXPECT_EQ(r[0], VF_SET_MAC_ADDR | VT_MSGTYPE_ACK | VT_MSGTYPE_CTS);
  EXPECT_EQ(rar_of(0x020000000099ull), -1);
}

TEST_F(sriov, MulticastHashesGoToTheMtaAndSurviveThePfRxMode) {
  up(2);
  reset(1);
  // 3 hashes: 0x010 (MTA 0 bit 16), 0x3ff (MTA 31 bit 31), 0xfe1 (MTA 127 bit 1).
  auto r = send(1, {VF_SET_MULTICAST | 3u << VT_MSGINFO_SHIFT, 0x03ff0010, 0x0fe1});
  EXPECT_EQ(r[0], VF_SET_MULTICAST | 3u << VT_MSGINFO_SHIFT | VT_MSGTYPE_ACK | VT_MSGTYPE_CTS);
  EXPECT_EQ(nic.read32(MTA(0)), 1u << 16);
  EXPECT_EQ(nic.read32(MTA(31)), 1u << 31);
  EXPECT_EQ(nic.read32(MTA(127)), 1u << 1);
  EXPECT_TRUE(nic.read32(VMOLR(1)) & VMOLR_ROMPE);
  // The PF's list rebuilds the MTA: 01:00:5e:00:02:01 hashes to 0x010 too; VF hashes stay.
  svc->set_rx_mode(false, false, {0x01005e000201ull, 0x333300000001ull}, {});
  EXPECT_EQ(nic.read32(MTA(0)), 1u << 16);
  EXPECT_EQ(nic.read32(MTA(127)), 1u << 1);
  EXPECT_EQ(nic.read32(MCSTCTRL), MCSTCTRL_MFE);
  EXPECT_TRUE(nic.read32(VMOLR(2)) & VMOLR_ROMPE);
  // More than 30 entries are clamped, not refused.
  r = send(1, {VF_SET_MULTICAST | 200u << VT_MSGINFO_SHIFT});
  EXPECT_EQ(r[0] & VT_MSGTYPE_ACK, VT_MSGTYPE_ACK);
  EXPECT_EQ(svc->vf(1).num_mc_hashes, 30u);
  // A reset forgets them.
  reset(1);
  EXPECT_EQ(svc->vf(1).num_mc_hashes, 0u);
  EXPECT_FALSE(nic.read32(VMOLR(1)) & VMOLR_ROMPE);
}

TEST_F(sriov, VlanFiltersAndVlvfExhaustion) {
  up(2);
  reset(0);
  auto r = send(0, {VF_SET_VLAN | 1u << VT_MSGINFO_SHIFT, 100});
  EXPECT_EQ(r[0], VF_SET_VLAN | 1u << VT_MSGINFO_SHIFT | VT_MSGTYPE_ACK | VT_MSGTYPE_CTS);
  EXPECT_EQ(nic.read32(VLVF(63)), VLVF_VIEN | 100);  // searched from the top
  EXPECT_EQ(nic.read32(VLVFB(126)), 1u);
  EXPECT_EQ(nic.read32(VFTA(3)), 1u << 4);
  // 62 more VLANs fill entries 62..1; VLAN 0 owns entry 0. The 64th is refused.
  for (unsigned vid = 101; vid < 163; ++vid) {
    r = send(0, {VF_SET_VLAN | 1u << VT_MSGINFO_SHIFT, vid});
    ASSERT_EQ(r[0] & VT_MSGTYPE_ACK, VT_MSGTYPE_ACK) << vid;
  }
  r = send(0, {VF_SET_VLAN | 1u << VT_MSGINFO_SHIFT, 999});
  EXPECT_EQ(r[0], VF_SET_VLAN | 1u << VT_MSGINFO_SHIFT | VT_MSGTYPE_NACK | VT_MSGTYPE_CTS);
  EXPECT_FALSE(nic.read32(VFTA(999 / 32)) & (1u << (999 % 32)));
  // Removing one frees an entry; another VF can share an existing one.
  r = send(0, {VF_SET_VLAN, 100});
  EXPECT_EQ(r[0] & VT_MSGTYPE_ACK, VT_MSGTYPE_ACK);
  EXPECT_EQ(nic.read32(VLVF(63)), 0u);
  reset(1);
  r = send(1, {VF_SET_VLAN | 1u << VT_MSGINFO_SHIFT, 999});
  EXPECT_EQ(r[0] & VT_MSGTYPE_ACK, VT_MSGTYPE_ACK);
  // A port VLAN needs a free entry too: none until VF 0 lets one go.
  EXPECT_EQ(svc->set_vf_vlan(1, 5, 0, ETH_P_8021Q, true), -ENOSPC);
  EXPECT_EQ(svc->vf(1).pf_vlan, 0u);
  send(0, {VF_SET_VLAN, 101});
  // A port VLAN forbids the VF's own.
  EXPECT_EQ(svc->set_vf_vlan(1, 5, 0, ETH_P_8021Q, true), 0);
  reset(1);
  r = send(1, {VF_SET_VLAN | 1u << VT_MSGINFO_SHIFT, 7});
  EXPECT_EQ(r[0] & VT_MSGTYPE_NACK, VT_MSGTYPE_NACK);
  EXPECT_TRUE(nic.logged(
      "VF 1 attempted to override administratively set VLAN configuration\nReload the VF driver to resume operations"));
}

TEST_F(sriov, SetLpeRangeAndThe82599JumboRule) {
  up(2);
  reset(0);
  auto r = send(0, {VF_SET_LPE, 9018});
  EXPECT_EQ(r[0], VF_SET_LPE | VT_MSGTYPE_ACK | VT_MSGTYPE_CTS);
  EXPECT_EQ(nic.read32(MAXFRS) >> MHADD_MFS_SHIFT, 9018u);
  EXPECT_FALSE(nic.logged("VF requests change max MTU to 9018"));  // e_info(hw): off by default
  r = send(0, {VF_SET_LPE, 20});
  EXPECT_EQ(r[0] & VT_MSGTYPE_NACK, VT_MSGTYPE_NACK);
  EXPECT_TRUE(nic.logged("VF max_frame 20 out of range"));
  // 82599, API 1.0, standard PF MTU: a jumbo VF loses its receive.
  up(2, ixgbe_mac_type::mac_82599);
  reset(1);
  EXPECT_TRUE(nic.read32(VFRE(0)) & 2u);
  r = send(1, {VF_SET_LPE, 9018});
  EXPECT_EQ(r[0] & VT_MSGTYPE_NACK, VT_MSGTYPE_NACK);
  EXPECT_FALSE(nic.read32(VFRE(0)) & 2u);
  r = send(1, {VF_SET_LPE, 1518});
  EXPECT_EQ(r[0] & VT_MSGTYPE_ACK, VT_MSGTYPE_ACK);
  EXPECT_TRUE(nic.read32(VFRE(0)) & 2u);
}

TEST_F(sriov, MacvlanTrustSpoofingAndSpace) {
  up(63);
  ASSERT_EQ(svc->set_vf_mac(0, 0x020000000100ull, true), 0);
  reset(0);
  auto r = send(0, mac_msg(VF_SET_MACVLAN | 1u << VT_MSGINFO_SHIFT, 0x020000000200ull));
  EXPECT_EQ(r[0] & VT_MSGTYPE_NACK, VT_MSGTYPE_NACK);
  EXPECT_TRUE(nic.logged("VF 0 requested MACVLAN filter but is administratively denied"));
  reset(1);
  EXPECT_EQ(nic.read32(PFVFSPOOF(0)) & 0x202u, 0x202u);
  r = send(1, mac_msg(VF_SET_MACVLAN | 1u << VT_MSGINFO_SHIFT, 0x020000000201ull));
  EXPECT_EQ(r[0], VF_SET_MACVLAN | 1u << VT_MSGINFO_SHIFT | VT_MSGTYPE_ACK | VT_MSGTYPE_CTS);
  EXPECT_EQ(nic.read32(PFVFSPOOF(0)) & 0x202u, 0u);  // anti-spoofing off for VF 1
  EXPECT_GT(rar_of(0x020000000201ull), 0);
  // 128 - (15 + 1 + 63) = 49 macvlan slots.
  for (unsigned i = 2; i <= 49; ++i) {
    r = send(1, mac_msg(VF_SET_MACVLAN | 2u << VT_MSGINFO_SHIFT, 0x020000000200ull + i));
    ASSERT_EQ(r[0] & VT_MSGTYPE_ACK, VT_MSGTYPE_ACK) << i;
  }
  r = send(1, mac_msg(VF_SET_MACVLAN | 2u << VT_MSGINFO_SHIFT, 0x020000000300ull));
  EXPECT_EQ(r[0] & VT_MSGTYPE_NACK, VT_MSGTYPE_NACK);
  EXPECT_TRUE(nic.logged("VF 1 has requested a MACVLAN filter but there is no space for it"));
  EXPECT_EQ(svc->vf_macvlans(1).size(), 49u);
  r = send(1, {VF_SET_MACVLAN});  // index 0: clear the list
  EXPECT_EQ(r[0] & VT_MSGTYPE_ACK, VT_MSGTYPE_ACK);
  EXPECT_TRUE(svc->vf_macvlans(1).empty());
  EXPECT_EQ(rar_of(0x020000000201ull), -1);
}

TEST_F(sriov, ApiNegotiationQueuesAndLinkState) {
  up(4);
  reset(0);
  auto r = send(0, {VF_GET_QUEUES});
  EXPECT_EQ(r[0], VF_GET_QUEUES | VT_MSGTYPE_NACK | VT_MSGTYPE_CTS);  // API 1.0
  r = send(0, {VF_API_NEGOTIATE, 7});
  EXPECT_EQ(r[0] & VT_MSGTYPE_NACK, VT_MSGTYPE_NACK);
  EXPECT_TRUE(nic.logged("VF 0 requested invalid api version 7"));
  r = send(0, {VF_API_NEGOTIATE, mbox_api_20});
  EXPECT_EQ(r[0] & VT_MSGTYPE_NACK, VT_MSGTYPE_NACK);
  r = send(0, {VF_API_NEGOTIATE, mbox_api_11});
  EXPECT_EQ(r[0], VF_API_NEGOTIATE | VT_MSGTYPE_ACK | VT_MSGTYPE_CTS);
  EXPECT_EQ(r[1], uint32_t{mbox_api_11});
  r = send(0, {VF_GET_LINK_STATE});
  EXPECT_EQ(r[0] & VT_MSGTYPE_NACK, VT_MSGTYPE_NACK);  // needs 1.2
  r = send(0, {VF_GET_QUEUES, 0, 0, 0, 0});
  EXPECT_EQ(r[0], VF_GET_QUEUES | VT_MSGTYPE_ACK | VT_MSGTYPE_CTS);
  EXPECT_EQ(r[VF_TX_QUEUES], 4u);
  EXPECT_EQ(r[VF_RX_QUEUES], 4u);
  EXPECT_EQ(r[VF_TRANS_VLAN], 0u);
  EXPECT_EQ(r[VF_DEF_QUEUE], 0u);
  ASSERT_EQ(svc->set_vf_vlan(0, 10, 2, ETH_P_8021Q, true), 0);
  reset(0);
  send(0, {VF_API_NEGOTIATE, mbox_api_12});
  r = send(0, {VF_GET_QUEUES});
  EXPECT_EQ(r[VF_TRANS_VLAN], 1u);
  r = send(0, {VF_GET_LINK_STATE});
  EXPECT_EQ(r[0], VF_GET_LINK_STATE | VT_MSGTYPE_ACK | VT_MSGTYPE_CTS);
  EXPECT_EQ(r[1], 1u);
  EXPECT_EQ(svc->set_vf_link_state(0, IFLA_VF_LINK_STATE_DISABLE), 0);
  EXPECT_TRUE(nic.logged("NDO set VF 0 link state disable"));
  EXPECT_FALSE(nic.read32(VFRE(0)) & 1u);
  reset(0);
  send(0, {VF_API_NEGOTIATE, mbox_api_12});
  r = send(0, {VF_GET_LINK_STATE});
  EXPECT_EQ(r[1], 0u);
}

TEST_F(sriov, XcastModesTrustAndMacType) {
  up(2, ixgbe_mac_type::mac_82599);
  reset(0);
  auto r = send(0, {VF_UPDATE_XCAST_MODE, XCAST_MODE_ALLMULTI});
  EXPECT_EQ(r[0] & VT_MSGTYPE_NACK, VT_MSGTYPE_NACK);  // API 1.0
  send(0, {VF_API_NEGOTIATE, mbox_api_12});
  r = send(0, {VF_UPDATE_XCAST_MODE, XCAST_MODE_ALLMULTI});
  EXPECT_EQ(r[0], VF_UPDATE_XCAST_MODE | VT_MSGTYPE_ACK | VT_MSGTYPE_CTS);
  EXPECT_EQ(r[1], uint32_t{XCAST_MODE_MULTI});  // untrusted: capped
  EXPECT_EQ(nic.read32(VMOLR(0)) & (VMOLR_ROMPE | VMOLR_MPE), VMOLR_ROMPE);
  svc->set_vf_trust(0, true);
  reset(0);
  send(0, {VF_API_NEGOTIATE, mbox_api_13});
  r = send(0, {VF_UPDATE_XCAST_MODE, XCAST_MODE_ALLMULTI});
  EXPECT_EQ(r[1], uint32_t{XCAST_MODE_ALLMULTI});
  EXPECT_TRUE(nic.read32(VMOLR(0)) & VMOLR_MPE);
  r = send(0, {VF_UPDATE_XCAST_MODE, XCAST_MODE_PROMISC});
  EXPECT_EQ(r[0] & VT_MSGTYPE_NACK, VT_MSGTYPE_NACK);  // 82599: -EOPNOTSUPP
  EXPECT_FALSE(nic.logged("Enabling VF promisc requires PF in promisc"));
  // X540: needs the PF in promiscuous mode.
  up(2);
  svc->set_vf_trust(0, true);
  reset(0);
  send(0, {VF_API_NEGOTIATE, mbox_api_13});
  r = send(0, {VF_UPDATE_XCAST_MODE, XCAST_MODE_PROMISC});
  EXPECT_EQ(r[0] & VT_MSGTYPE_NACK, VT_MSGTYPE_NACK);
  EXPECT_TRUE(nic.logged("Enabling VF promisc requires PF in promisc"));
  svc->set_rx_mode(true, false, {}, {});
  r = send(0, {VF_UPDATE_XCAST_MODE, XCAST_MODE_PROMISC});
  EXPECT_EQ(r[0] & VT_MSGTYPE_ACK, VT_MSGTYPE_ACK);
  EXPECT_EQ(r[1], uint32_t{XCAST_MODE_PROMISC});
  EXPECT_TRUE(nic.read32(VMOLR(0)) & VMOLR_UPE);
  r = send(0, {VF_UPDATE_XCAST_MODE, 9});
  EXPECT_EQ(r[0] & VT_MSGTYPE_NACK, VT_MSGTYPE_NACK);
}

TEST_F(sriov, BadMessagesAreNackedOrIgnoredAndCounted) {
  up(2);
  reset(0);
  auto r = send(0, {0x07});
  EXPECT_EQ(r[0], 0x07u | VT_MSGTYPE_NACK | VT_MSGTYPE_CTS);
  EXPECT_TRUE(nic.logged("Unhandled Msg 00000007"));
  EXPECT_EQ(nic.level_of("Unhandled Msg 00000007"), lvl::netdev_err);
  r = send(0, {0x00ff1234});
  EXPECT_EQ(r[0] & VT_MSGTYPE_NACK, VT_MSGTYPE_NACK);
  EXPECT_TRUE(nic.logged("Unhandled Msg 00ff1234"));
  r = send(0, {VF_RESET | 5u << VT_MSGINFO_SHIFT});  // not exactly RESET: unknown
  EXPECT_EQ(r[0] & VT_MSGTYPE_NACK, VT_MSGTYPE_NACK);
  EXPECT_EQ(svc->stats().unknown, 3u);
  EXPECT_EQ(svc->stats().other_type, 1u);
  r = send(0, {VF_SET_MAC_ADDR | VT_MSGTYPE_ACK});  // a reply echoed: dropped
  EXPECT_EQ(r[0], 0u);
  EXPECT_EQ(svc->stats().ignored, 1u);
  nic.stuck.insert(1);
  r = send(1, {VF_RESET});
  EXPECT_EQ(r[0], 0u);
  EXPECT_EQ(svc->stats().lock_failures, 1u);
  EXPECT_FALSE(svc->vf(1).clear_to_send);
  EXPECT_EQ(nic.icr[0], 0u);  // the request bits were consumed
}

TEST_F(sriov, RarExhaustionWith63VfsFallsBackToUnicastPromisc) {
  up(63);
  for (unsigned vf = 0; vf < 63; ++vf) {
    ASSERT_EQ(svc->set_vf_mac(static_cast<int>(vf), 0x020000010000ull + vf, true), 0);
    reset(vf);
  }
  EXPECT_EQ(svc->available_rars(), 128 - 1 - 63);
  std::vector<uint64_t> uc;
  for (unsigned i = 0; i < 64; ++i) uc.push_back(0x0200000a0000ull + i);
  EXPECT_FALSE(svc->set_rx_mode(false, false, {}, uc));
  EXPECT_FALSE(nic.read32(FCTRL) & FCTRL_UPE);
  EXPECT_EQ(svc->available_rars(), 64);  // its own entries count as available
  uc.push_back(0x0200000b0000ull);
  EXPECT_TRUE(svc->set_rx_mode(false, false, {}, uc));
  EXPECT_TRUE(nic.read32(FCTRL) & FCTRL_UPE);
  EXPECT_TRUE(nic.read32(VMOLR(63)) & VMOLR_ROPE);
  EXPECT_EQ(svc->uc_sync(uc), -ENOMEM);
  uc.pop_back();
  EXPECT_FALSE(svc->set_rx_mode(false, false, {}, uc));
  EXPECT_FALSE(nic.read32(VMOLR(63)) & VMOLR_ROPE);
  // A VF's admin MAC has no room left either.
  EXPECT_EQ(svc->set_vf_mac(5, 0x020000020000ull, true), 0);  // its old entry is reused
  EXPECT_EQ(svc->set_vf_mac(5, 0x0, true), 0);
  EXPECT_TRUE(nic.logged("removing MAC on VF 5"));
  uc.push_back(0x0200000b0000ull);
  EXPECT_FALSE(svc->set_rx_mode(false, false, {}, uc));  // the freed entry fits one more
  EXPECT_EQ(svc->set_vf_mac(5, 0x020000030000ull, true), -ENOMEM);
  EXPECT_TRUE(nic.logged("The VF MAC address was NOT set due to invalid or duplicate MAC address."));
}

TEST_F(sriov, PfVlanFiltersAndPromiscTrunking) {
  up(2);
  svc->vlan_add(20);  // the PF's own VLANs bypass the VLVF (vlvf_bypass)
  EXPECT_TRUE(nic.read32(VFTA(0)) & (1u << 20));
  EXPECT_EQ(nic.read32(VLVF(63)), 0u);
  // A VF joining VLAN 20 takes an entry, and the PF keeps its place in it.
  reset(0);
  send(0, {VF_SET_VLAN | 1u << VT_MSGINFO_SHIFT, 20});
  EXPECT_EQ(nic.read32(VLVF(63)), VLVF_VIEN | 20);
  EXPECT_EQ(nic.read32(VLVFB(126)), 1u | 1u << 2);  // VF 0 and the PF pool (2)
  // When it leaves, ixgbe_update_pf_promisc_vlvf() frees the entry: the PF's VLAN
  // lives on in the VFTA and the default pool.
  send(0, {VF_SET_VLAN, 20});
  EXPECT_EQ(nic.read32(VLVF(63)), 0u);
  EXPECT_EQ(nic.read32(VLVFB(126)), 0u);
  EXPECT_TRUE(nic.read32(VFTA(0)) & (1u << 20));
  svc->set_rx_mode(true, false, {}, {});
  EXPECT_TRUE(svc->vlan_promisc());
  EXPECT_EQ(nic.read32(VFTA(77)), 0xFFFFFFFFu);
  EXPECT_EQ(nic.read32(VLVFB(2 * 10)), 1u << 2);
  EXPECT_TRUE(nic.read32(VLNCTRL) & VLNCTRL_VFE);
  svc->set_rx_mode(false, false, {}, {});
  EXPECT_FALSE(svc->vlan_promisc());
  EXPECT_EQ(nic.read32(VFTA(77)), 0u);
  EXPECT_EQ(nic.read32(VFTA(0)), 1u | 1u << 20);  // VLAN 0 and 20 stay
  EXPECT_EQ(nic.read32(VLVFB(2 * 10)), 0u);
  svc->set_vlan_filter_feature(false);  // ethtool -K rx-vlan-filter off: trunking too
  EXPECT_TRUE(svc->vlan_promisc());
  EXPECT_EQ(nic.read32(VFTA(77)), 0xFFFFFFFFu);
  svc->set_vlan_filter_feature(true);
  EXPECT_EQ(nic.read32(VFTA(77)), 0u);
  svc->vlan_del(20);
  EXPECT_EQ(nic.read32(VLVF(63)), 0u);
  EXPECT_EQ(nic.read32(VLVFB(126)), 0u);
  EXPECT_FALSE(nic.read32(VFTA(0)) & (1u << 20));
}

TEST_F(sriov, PfDownPingsEveryVfWithoutCts) {
  up(3);
  reset(0);
  reset(1);
  svc->ping_vf(0);
  EXPECT_EQ(nic.delivered[0].back()[0], PF_CONTROL_MSG | VT_MSGTYPE_CTS);
  svc->pf_down();
  for (unsigned vf = 0; vf < 3; ++vf) {
    ASSERT_FALSE(nic.delivered[vf].empty());
    EXPECT_EQ(nic.delivered[vf].back()[0], PF_CONTROL_MSG) << vf;
    EXPECT_FALSE(svc->vf(vf).clear_to_send);
  }
  EXPECT_EQ(nic.read32(VFRE(0)) & 7u, 0u);
  EXPECT_EQ(nic.read32(VFTE(0)) & 7u, 0u);
  EXPECT_EQ(nic.read32(CTRL_EXT) & CTRL_EXT_PFRSTD, 0u);
  // The VF acknowledges the ping: not clear to send, so it is told NACK.
  nic.icr[0] |= MBVFICR_VFACK_VF1;
  svc->service();
  EXPECT_EQ(nic.delivered[0].back()[0], VT_MSGTYPE_NACK);
  auto r = send(0, {VF_GET_LINK_STATE});
  EXPECT_EQ(r[0], VF_GET_LINK_STATE | VT_MSGTYPE_NACK);
  svc->link_changed(true, 10000);
  EXPECT_EQ(nic.delivered[2].back()[0], PF_CONTROL_MSG);
}

TEST_F(sriov, AdminCallsCheckTheirArguments) {
  up(4);
  EXPECT_EQ(svc->set_vf_mac(4, 0x020000000001ull, true), -EINVAL);
  EXPECT_EQ(svc->set_vf_mac(0, 0x010000000001ull, true), -EINVAL);
  EXPECT_EQ(svc->set_vf_mac(0, 0, true), 0);  // nothing to remove
  EXPECT_FALSE(nic.logged("removing MAC on VF 0"));
  EXPECT_EQ(svc->set_vf_vlan(0, 100, 0, ETH_P_8021AD, true), -EPROTONOSUPPORT);
  EXPECT_EQ(svc->set_vf_vlan(0, 4096, 0, ETH_P_8021Q, true), -EINVAL);
  EXPECT_EQ(svc->set_vf_vlan(0, 1, 8, ETH_P_8021Q, true), -EINVAL);
  EXPECT_EQ(svc->set_vf_vlan(0, 100, 3, ETH_P_8021Q, false), 0);
  EXPECT_TRUE(nic.logged("Setting VLAN 100, QOS 0x3 on VF 0"));
  EXPECT_TRUE(nic.logged("The VF VLAN has been set, but the PF device is not up."));
  EXPECT_EQ(nic.read32(VMVIR(0)), 100u | 3u << 13 | VMVIR_VLANA_DEFAULT);
  EXPECT_FALSE(nic.read32(VMOLR(0)) & VMOLR_AUPE);
  EXPECT_EQ(svc->vf(0).pf_vlan, 100u);
  EXPECT_EQ(svc->set_vf_vlan(0, 0, 0, ETH_P_8021Q, true), 0);
  EXPECT_EQ(nic.read32(VMVIR(0)), 0u);
  EXPECT_TRUE(nic.read32(VMOLR(0)) & VMOLR_AUPE);
  EXPECT_EQ(svc->set_vf_spoofchk(2, false), 0);
  EXPECT_EQ(nic.read32(PFVFSPOOF(0)), 0x0B0Bu);
  EXPECT_FALSE(svc->vf(2).spoofchk_enabled);
  EXPECT_EQ(svc->set_vf_spoofchk(9, false), -EINVAL);
  reset(1);
  nic.delivered[1].clear();
  EXPECT_EQ(svc->set_vf_trust(1, true), 0);
  EXPECT_EQ(nic.delivered[1].back()[0], PF_CONTROL_MSG);  // must reset
  EXPECT_EQ(svc->set_vf_trust(1, false), 0);
  EXPECT_TRUE(nic.logged("VF 1 is not trusted"));
  EXPECT_EQ(nic.level_of("VF 1 is not trusted"), lvl::netdev_info);
  EXPECT_EQ(svc->set_vf_link_state(7, 0), -EINVAL);
  EXPECT_TRUE(nic.logged("NDO set VF link - invalid VF identifier 7"));
  EXPECT_EQ(nic.level_of("NDO set VF link - invalid VF identifier 7"), lvl::dev_err);
  EXPECT_EQ(svc->set_vf_link_state(1, 5), -EINVAL);
  EXPECT_TRUE(nic.logged("NDO set VF 1 - invalid link state 5"));
  EXPECT_EQ(svc->set_vf_link_state(1, IFLA_VF_LINK_STATE_ENABLE), 0);
  EXPECT_TRUE(nic.logged("NDO set VF 1 link state 1 - not supported"));
  EXPECT_EQ(svc->set_vf_rate(1, 0, 1000, 1000), -EINVAL);     // not at 10 Gb/s
  EXPECT_EQ(svc->set_vf_rate(1, 0, 1000, 0), -EINVAL);        // link down
  EXPECT_EQ(svc->set_vf_rate(1, 100, 1000, 10000), -EINVAL);  // no minimum
  EXPECT_EQ(svc->set_vf_rate(1, 0, 10, 10000), -EINVAL);
  EXPECT_EQ(svc->set_vf_rate(1, 0, 10001, 10000), -EINVAL);
  nic.writes.clear();
  EXPECT_EQ(svc->set_vf_rate(1, 0, 1000, 10000), 0);
  const std::vector<std::pair<uint32_t, uint32_t>> want = {
      {RTTBCNRM, 0x14},        {RTTDQSEL, 4},           {RTTBCNRC, 0x80028000u},
      {RTTDQSEL, 5},           {RTTBCNRC, 0x80028000u}, {RTTDQSEL, 6},
      {RTTBCNRC, 0x80028000u}, {RTTDQSEL, 7},           {RTTBCNRC, 0x80028000u}};
  EXPECT_EQ(nic.writes, want);
  EXPECT_EQ(svc->vf(1).tx_rate, 1000u);
  svc->link_changed(true, 1000);
  EXPECT_TRUE(nic.logged("Link speed has been changed. VF Transmit rate is disabled"));
  EXPECT_EQ(svc->vf(1).tx_rate, 0u);
  EXPECT_EQ(nic.read32(RTTBCNRC), 0u);
}

TEST_F(sriov, ChargesCpuTimePerMessage) {
  up(1);
  const uint64_t before = nic.charged;
  reset(0);
  send(0, {VF_API_NEGOTIATE, mbox_api_12});
  EXPECT_GE(nic.charged - before, 2 * ixgbe_sriov::params{}.msg_ns);
  EXPECT_EQ(svc->stats().acks, 1u);
  EXPECT_EQ(svc->stats().nacks, 1u);  // the reset's NACK
}

}  // namespace
}  // namespace iovsim::fw
