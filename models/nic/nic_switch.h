// The embedded L2 switch of an 82599/X540 port (82599 data sheet 7.10.3: "Packet
// switching"; Linux ixgbe programs it, QEMU hw/net/igb_core.c igb_receive_assign() is
// the same logic on the 82576). It has no state of its own beyond counters: every
// decision follows the registers software wrote in the PF's BAR0, decoded lazily into
// the tables below after a write (never per frame), so a frame costs a few lookups
// and a 64-bit pool mask.
//
// Receive (a frame from the wire, or one looped back from a local pool):
//  - Not in VT mode (VT_CTL.VT_ENA clear): a plain NIC. Broadcast passes with
//    FCTRL.BAM, multicast with an exact receive address, an MTA hash hit (MCSTCTRL.MFE)
//    or FCTRL.MPE, unicast with an exact receive address or FCTRL.UPE; all to the PF.
//  - VT mode: the frame's pool set. Broadcast: pools with VMOLR.BAM (FCTRL.BAM still
//    opens the port to broadcast; ixgbe always sets it). Otherwise an exact receive
//    address gives its MPSAR pools; without one, a multicast MTA hit gives the ROMPE
//    pools and a unicast PFUTA hit the ROPE pools; MPE pools take every multicast, UPE
//    pools (VMOLR.UPE, X550 and later: honoured here) every unicast. FCTRL.UPE/MPE do
//    not add pools: "PF promiscuous" is the default pool (PHENOMENA.md A9), which
//    takes unicast no pool accepted unless VT_CTL.DIS_DEFPL, provided it passed L2
//    filtering: an exact address, a PFUTA hit, or FCTRL.UPE (else it is dropped).
//  - VLANs: with VLNCTRL.VFE a tagged frame whose VID is clear in VFTA is dropped; in
//    VT mode the pools are then narrowed to the pools of the VID's VLVF entry (VLVFB)
//    and VLAN-promiscuous pools (VMOLR.VPE, X550), an untagged frame to the pools
//    with VMOLR.AUPE. ("Pools are first selected by MAC address, then by VLAN":
//    82599 specification update, clarification 12.) The default pool is added after
//    that, as QEMU's igb does.
//  - Pools without their PFVFRE bit get nothing.
// Transmit: anti-spoofing (PFVFSPOOF: the source address must be one of the pool's
// receive addresses; the VLAN, the tag or the port VLAN, one of its VLVF entries) and
// the port VLAN (VMVIR with VLANA "default": inserted on transmit, stripped into the
// write-back on receive).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "models/kit/reg_bank.h"
#include "models/nic/rx_queue.h"

namespace iovsim::nic {

constexpr unsigned MAX_POOLS = 64;

// Why a transmitted frame was not sent (counted per pool and in SSVPC).
enum class tx_drop : uint8_t { none, mac_spoof, vlan_spoof, count };
const char* tx_drop_name(tx_drop d);

// Counters of one pool (the PF's PVF* registers and a VF's VF* view).
struct pool_counters {
  uint64_t rx_packets = 0, rx_octets = 0, rx_multicast = 0;
  uint64_t tx_packets = 0, tx_octets = 0;
  uint64_t tx_spoofed = 0;
};

class nic_switch {
 public:
  // `regs`: the PF's BAR0 the tables live in; `rar_entries`: receive addresses.
  nic_switch(const kit::reg_bank& regs, unsigned rar_entries, unsigned default_queues_per_pool);

  // Software wrote a register the switch reads: the tables are decoded again before
  // the next frame needs them.
  void invalidate() { m_stale = true; }

  // The pool layout (GCR_EXT.VT_MODE: 16 pools of 8 queues, 32 of 4, 64 of 2; the
  // configured default when software has not chosen).
  bool vt_mode() const { return fresh().vt; }
  unsigned queues_per_pool() const { return fresh().qpp; }
  // RSS inside a pool (MRQC.MRQE VMDq+RSS), or over the PF's queues without VT.
  bool rss_enabled() const { return fresh().rss; }

  struct verdict {
    uint64_t pools = 0;              // the pools that get a copy (bit 0 the PF without VT)
    rx_drop reason = rx_drop::none;  // why none, when pools is 0
    bool exact_unicast = false;      // unicast matching a receive address: never to the wire
    bool tagged = false;             // carries an 802.1Q tag
    uint16_t tci = 0;
  };
  // The pools a frame goes to. `source_pool` >= 0 for a frame looped back from that
  // pool (it never goes back there, and the default pool does not take it).
  verdict classify(const uint8_t* frame, uint32_t len, int source_pool = -1) const;

  // Transmit checks for a frame from `pool` (VT mode only): what anti-spoofing says.
  // `tagged`/`tci`: the frame's tag after port-VLAN insertion.
  tx_drop check_tx(unsigned pool, const uint8_t* frame, uint32_t len, bool tagged, uint16_t tci) const;
  // VMVIR of `pool` when it inserts a port VLAN (VLANA "default"), else 0.
  bool port_vlan(unsigned pool, uint16_t& tci) const;
  bool pool_may_send(unsigned pool) const { return !fresh().vt || (fresh().vfte >> pool & 1); }
  bool loopback_enabled() const { return fresh().vt && fresh().lben; }

  // Called after software changed which pools may transmit (PFVFTE, VT_CTL): the
  // transmit engine looks at every queue again.
  std::function<void()> tx_enable_changed;

  // Counters software reads: per pool, and SSVPC (clear on read).
  std::array<pool_counters, MAX_POOLS> counters{};
  uint64_t ssvpc_total = 0, ssvpc_cleared = 0;

  // Declares the switch's registers of `part` in `bank` (the bank wants them in
  // address order, so nic_core calls each part where it belongs): 0 FCTRL..MTA,
  // 1 VMVIR..SSVPC, 2 VFTA, 3 VMOLR..PFUTA, 4 GCR_EXT.
  // `switch_of` finds the switch of a bank of the layout (its handlers ask when called:
  // one layout serves every port of a shape).
  using switch_of_fn = nic_switch& (*)(kit::reg_bank&);
  static void add_regs(kit::reg_bank& bank, unsigned part, switch_of_fn switch_of);

 private:
  struct tables {
    bool vt = false, rss = false, lben = false;
    unsigned qpp = 2;
    uint32_t fctrl = 0;
    bool mfe = false;
    unsigned mo = 0;
    bool vfe = false;
    unsigned def_pool = 0;
    bool dis_defpl = false;
    uint64_t vfre = 0, vfte = 0;
    uint64_t bam = 0, rompe = 0, rope = 0, mpe = 0, upe = 0, vpe = 0, aupe = 0;
    uint64_t mac_as = 0, vlan_as = 0, port_vlan = 0;
    std::array<uint32_t, MAX_POOLS> vmvir{};
    std::array<uint32_t, 128> mta{}, uta{}, vfta{};
    std::array<uint64_t, 4096> vlan_pools{};  // VLVF/VLVFB by VID
    struct rar {
      uint64_t address;  // six octets, the first lowest
      uint64_t pools;
    };
    std::vector<rar> rars;
  };
  const tables& fresh() const {
    if (m_stale) decode();
    return m_t;
  }
  void decode() const;
  uint32_t word(uint32_t offset) const { return static_cast<uint32_t>(m_regs.get(offset, 4)); }
  bool hash_hit(const std::array<uint32_t, 128>& table, const uint8_t* addr) const;

  const kit::reg_bank& m_regs;
  unsigned m_rar_entries;
  unsigned m_default_qpp;
  mutable tables m_t;
  mutable bool m_stale = true;
};

}  // namespace iovsim::nic
