#include "models/nic/nic_switch.h"

#include <fmt/format.h>

#include "models/nic/nic_regs.h"

namespace iovsim::nic {

namespace {
constexpr uint16_t ETHERTYPE_VLAN = 0x8100;

uint64_t pool_bit(unsigned pool) { return pool < MAX_POOLS ? 1ull << pool : 0; }

uint64_t address_of(const uint8_t* a) {
  return uint64_t{a[0]} | uint64_t{a[1]} << 8 | uint64_t{a[2]} << 16 | uint64_t{a[3]} << 24 | uint64_t{a[4]} << 32 |
         uint64_t{a[5]} << 40;
}
}  // namespace

const char* tx_drop_name(tx_drop d) {
  switch (d) {
    case tx_drop::none:
      return "none";
    case tx_drop::mac_spoof:
      return "mac_anti_spoof";
    case tx_drop::vlan_spoof:
      return "vlan_anti_spoof";
    case tx_drop::count:
      break;
  }
  return "?";
}

nic_switch::nic_switch(const kit::reg_bank& regs, unsigned rar_entries, unsigned default_queues_per_pool)
    : m_regs(regs), m_rar_entries(rar_entries), m_default_qpp(default_queues_per_pool) {
  m_t.rars.reserve(rar_entries);
}

// Everything a frame needs, from the registers as they are now (after a write).
void nic_switch::decode() const {
  tables& t = m_t;
  const uint32_t vt_ctl = word(VT_CTL);
  t.vt = vt_ctl & VT_CTL_VT_ENA;
  t.def_pool = (vt_ctl & VT_CTL_POOL_MASK) >> VT_CTL_POOL_SHIFT;
  t.dis_defpl = vt_ctl & VT_CTL_DIS_DEFPL;
  // GCR_EXT.VT_MODE decides how many queues a pool has (ixgbe_configure_virtualization()
  // writes it from the VMDq mask: 8, 4 or 2 queues).
  switch (word(GCR_EXT) & GCR_EXT_VT_MODE_MASK) {
    case 1:
      t.qpp = 8;
      break;
    case 2:
      t.qpp = 4;
      break;
    case 3:
      t.qpp = 2;
      break;
    default:
      t.qpp = m_default_qpp;
  }
  const uint32_t mrqe = word(MRQC) & MRQC_MRQE_MASK;
  // Without VT_MODE, MRQC's VMDq mode says it (64 pools: VMDQEN, VMDQRSS64EN; 32:
  // VMDQRSS32EN, VMDQRT4TCEN; 16: VMDQRT8TCEN).
  if (!(word(GCR_EXT) & GCR_EXT_VT_MODE_MASK)) {
    if (mrqe == MRQE_VMDQ || mrqe == MRQE_VMDQ_RSS64) t.qpp = 2;
    if (mrqe == MRQE_VMDQ_RSS32 || mrqe == MRQE_VMDQ_RT4TC) t.qpp = 4;
    if (mrqe == MRQE_VMDQ_RT8TC) t.qpp = 8;
  }
  t.rss = t.vt ? (mrqe == MRQE_VMDQ_RSS32 || mrqe == MRQE_VMDQ_RSS64) : mrqe == MRQE_RSS;
  t.fctrl = word(FCTRL);
  const uint32_t mcst = word(MCSTCTRL);
  t.mfe = mcst & MCSTCTRL_MFE;
  t.mo = mcst & MCSTCTRL_MO_MASK;
  t.vfe = word(VLNCTRL) & VLNCTRL_VFE;
  t.lben = word(PFDTXGSWC) & PFDTXGSWC_VT_LBEN;
  t.vfre = word(PFVFRE0) | uint64_t{word(PFVFRE0 + 4)} << 32;
  t.vfte = word(PFVFTE0) | uint64_t{word(PFVFTE0 + 4)} << 32;
  t.bam = t.rompe = t.rope = t.mpe = t.upe = t.vpe = t.aupe = t.port_vlan = 0;
  for (unsigned p = 0; p < MAX_POOLS; ++p) {
    const uint32_t vmolr = word(VMOLR0 + 4 * p);
    const uint64_t b = pool_bit(p);
    if (vmolr & VMOLR_BAM) t.bam |= b;
    if (vmolr & VMOLR_ROMPE) t.rompe |= b;
    if (vmolr & VMOLR_ROPE) t.rope |= b;
    if (vmolr & VMOLR_MPE) t.mpe |= b;
    if (vmolr & VMOLR_UPE) t.upe |= b;
    if (vmolr & VMOLR_VPE) t.vpe |= b;
    if (vmolr & VMOLR_AUPE) t.aupe |= b;
    t.vmvir[p] = word(VMVIR0 + 4 * p);
    if ((t.vmvir[p] & VMVIR_VLANA_MASK) == VMVIR_VLANA_DEFAULT) t.port_vlan |= b;
  }
  t.mac_as = t.vlan_as = 0;
  for (unsigned i = 0; i < 8; ++i) {
    const uint32_t spoof = word(PFVFSPOOF0 + 4 * i);
    t.mac_as |= uint64_t{spoof & 0xff} << (8 * i);
    t.vlan_as |= uint64_t{(spoof >> SPOOF_VLANAS_SHIFT) & 0xff} << (8 * i);
  }
  for (unsigned i = 0; i < 128; ++i) {
    t.mta[i] = word(MTA0 + 4 * i);
    t.uta[i] = word(PFUTA0 + 4 * i);
    t.vfta[i] = word(VFTA0 + 4 * i);
  }
  t.vlan_pools.fill(0);
  for (unsigned i = 0; i < 64; ++i) {
    const uint32_t vlvf = word(VLVF0 + 4 * i);
    if (!(vlvf & VLVF_VIEN)) continue;
    t.vlan_pools[vlvf & VLVF_VID_MASK] |= word(VLVFB0 + 8 * i) | uint64_t{word(VLVFB0 + 8 * i + 4)} << 32;
  }
  // Receive addresses with AV, in table order. Without VT the pool bits do not matter.
  t.rars.clear();
  for (unsigned i = 0; i < m_rar_entries; ++i) {
    const uint32_t rah = word(RAL0 + 8 * i + 4);
    if (!(rah & RAH_AV)) continue;
    const uint64_t pools = word(MPSAR_LO0 + 8 * i) | uint64_t{word(MPSAR_LO0 + 8 * i + 4)} << 32;
    t.rars.push_back({word(RAL0 + 8 * i) | uint64_t{rah & 0xffff} << 32, pools});
  }
  m_stale = false;
}

// MTA / PFUTA: 12 bits of the address chosen by MCSTCTRL.MO (ixgbe_mta_vector(): 0
// bits [47:36], 1 [46:35], 2 [45:34], 3 [43:32]) index 4096 bits, 32 a word.
bool nic_switch::hash_hit(const std::array<uint32_t, 128>& table, const uint8_t* a) const {
  static constexpr unsigned SHIFT[4] = {4, 3, 2, 0};
  const unsigned vector = ((uint32_t{a[4]} | uint32_t{a[5]} << 8) >> SHIFT[m_t.mo]) & 0xfff;
  return table[vector >> 5] >> (vector & 31) & 1;
}

nic_switch::verdict nic_switch::classify(const uint8_t* f, uint32_t len, int source_pool) const {
  const tables& t = fresh();
  verdict v;
  if (len < 14) {
    v.reason = rx_drop::l2_filter;
    return v;
  }
  v.tagged = len >= 18 && (uint16_t{f[12]} << 8 | f[13]) == ETHERTYPE_VLAN;
  if (v.tagged) v.tci = static_cast<uint16_t>(f[14] << 8 | f[15]);
  const uint16_t vid = v.tci & 0xfff;
  if (v.tagged && t.vfe && !(t.vfta[vid >> 5] >> (vid & 31) & 1)) {
    v.reason = rx_drop::vlan_filter;
    return v;
  }
  const bool multicast = f[0] & 1;
  const bool broadcast = (f[0] & f[1] & f[2] & f[3] & f[4] & f[5]) == 0xff;
  uint64_t exact = 0;
  bool matched = false;
  if (!broadcast) {
    const uint64_t addr = address_of(f);
    for (const tables::rar& r : t.rars)
      if (r.address == addr) {
        exact |= r.pools;
        matched = true;
      }
  }
  if (!t.vt) {
    bool accept;
    if (broadcast)
      accept = t.fctrl & FCTRL_BAM;
    else if (multicast)
      accept = matched || (t.mfe && hash_hit(t.mta, f)) || (t.fctrl & FCTRL_MPE);
    else
      accept = matched || (t.fctrl & FCTRL_UPE);
    v.pools = accept ? 1 : 0;
    if (!accept) v.reason = rx_drop::l2_filter;
    return v;
  }
  uint64_t pools = 0;
  bool l2_passed = true;
  if (broadcast) {
    if (t.fctrl & FCTRL_BAM) pools = t.bam;
  } else if (multicast) {
    pools = exact;
    if (!matched && t.mfe && hash_hit(t.mta, f)) pools |= t.rompe;
    pools |= t.mpe;
  } else {
    pools = exact;
    const bool uta_hit = !matched && hash_hit(t.uta, f);
    if (uta_hit) pools |= t.rope;
    pools |= t.upe;
    v.exact_unicast = matched;
    // L2 filtering comes before pool selection (82599 data sheet 7.1.1.1): a unicast
    // that matched no receive address and no PFUTA hash passes only with FCTRL.UPE,
    // so only then may the default pool take it. This is why ixgbe_set_rx_mode()
    // sets UPE when __dev_uc_sync() finds no room for an address (Linux 6.1).
    l2_passed = matched || uta_hit || (t.fctrl & FCTRL_UPE) || pools;
  }
  if (source_pool >= 0) pools &= ~pool_bit(static_cast<unsigned>(source_pool));
  const bool any_before_vlan = pools != 0;
  if (t.vfe && v.tagged && !t.vlan_pools[vid]) {
    // A VLAN in VFTA with no VLVF entry: ixgbe adds the PF's VLANs that way
    // (ixgbe_set_vfta_generic() with vlvf_bypass, "updating default pool is okay"):
    // what the MAC filters let through goes to the default pool (and VLAN
    // promiscuous pools), never to a pool by its own VLAN membership.
    const bool passed = pools || (!multicast && l2_passed);
    pools &= t.vpe;
    if (passed && !t.dis_defpl && source_pool < 0) pools |= pool_bit(t.def_pool);
  } else if (t.vfe) {
    pools &= v.tagged ? (t.vlan_pools[vid] | t.vpe) : t.aupe;
  }
  if (!pools && !multicast && source_pool < 0 && !t.dis_defpl && l2_passed) pools = pool_bit(t.def_pool);
  if (!pools) {
    v.reason = any_before_vlan ? rx_drop::vlan_filter : rx_drop::l2_filter;
    return v;
  }
  const uint64_t enabled = pools & t.vfre;
  if (!enabled) v.reason = rx_drop::pool_disabled;
  v.pools = enabled;
  return v;
}

tx_drop nic_switch::check_tx(unsigned pool, const uint8_t* f, uint32_t len, bool tagged, uint16_t tci) const {
  const tables& t = fresh();
  const uint64_t b = pool_bit(pool);
  if (!t.vt || len < 14) return tx_drop::none;
  if (t.mac_as & b) {
    // The source address must be a receive address of this pool (ixgbe puts a VF's
    // MAC in a RAR with the VF's pool bit: ixgbe_set_vf_mac()).
    const uint64_t src = address_of(f + 6);
    bool ok = false;
    for (const tables::rar& r : t.rars)
      if (r.address == src && (r.pools & b)) {
        ok = true;
        break;
      }
    if (!ok) return tx_drop::mac_spoof;
  }
  if ((t.vlan_as & b) && tagged && !(t.vlan_pools[tci & 0xfff] & b)) return tx_drop::vlan_spoof;
  return tx_drop::none;
}

bool nic_switch::port_vlan(unsigned pool, uint16_t& tci) const {
  const tables& t = fresh();
  if (!t.vt || !(t.port_vlan & pool_bit(pool))) return false;
  tci = static_cast<uint16_t>(t.vmvir[pool] & VMVIR_TCI_MASK);
  return true;
}

void nic_switch::add_regs(kit::reg_bank& r, unsigned part, switch_of_fn switch_of) {
  const auto stale = [switch_of](kit::reg_bank& b, uint64_t, uint64_t) { switch_of(b).invalidate(); };
  const auto tx_stale = [switch_of](kit::reg_bank& b, uint64_t, uint64_t) {
    nic_switch& sw = switch_of(b);
    sw.invalidate();
    if (sw.tx_enable_changed) sw.tx_enable_changed();
  };
  const auto table = [&](const char* name, uint32_t base, unsigned n, const char* doc, uint32_t stride = 4) {
    for (unsigned i = 0; i < n; ++i)
      r.add(kit::reg(fmt::format("{}{}", name, i), base + stride * i, 4).rw().doc(doc).on_write_fn(stale));
  };
  switch (part) {
    case 0:
      r.add(kit::reg("FCTRL", FCTRL, 4)
                .rw()
                .doc("filter control: MPE (bit 8) all multicast, UPE (9) all unicast, BAM (10) broadcast")
                .on_write_fn(stale));
      r.add(kit::reg("VLNCTRL", VLNCTRL, 4)
                .rw()
                .reset_to(0x8100)
                .doc("VLAN control: VET [15:0], VFE (bit 30) filter by VFTA")
                .on_write_fn(stale));
      r.add(kit::reg("MCSTCTRL", MCSTCTRL, 4)
                .rw()
                .doc("multicast control: MO [1:0] hashed address bits, MFE (bit 2) MTA enabled")
                .on_write_fn(stale));
      r.add(kit::reg("VT_CTL", VT_CTL, 4)
                .rw()
                .doc("VT control: VT_ENA (bit 0), DEF_PL [12:7], DIS_DEFPL (29), REPLEN (30)")
                .on_write_fn(tx_stale));
      table("PFVFRE", PFVFRE0, 2, "pools 32i..32i+31 may receive");
      table("MTA", MTA0, 128, "multicast hash table, 32 bits");
      return;
    case 1: {
      table("VMVIR", VMVIR0, MAX_POOLS, "port VLAN of pool p: VLANA [31:30] (01 default), TCI [15:0]");
      for (unsigned i = 0; i < 2; ++i)
        r.add(kit::reg(fmt::format("PFVFTE{}", i), PFVFTE0 + 4 * i, 4)
                  .rw()
                  .doc("pools 32i..32i+31 may transmit")
                  .on_write_fn(tx_stale));
      table("PFVFSPOOF", PFVFSPOOF0, 8, "anti-spoofing of pools 8i..8i+7: MAC [7:0], VLAN [15:8]");
      r.add(kit::reg("PFDTXGSWC", PFDTXGSWC, 4)
                .rw()
                .doc("VT_LBEN (bit 0): switch frames between pools")
                .on_write_fn(stale));
      for (unsigned p = 0; p < MAX_POOLS; ++p)
        r.add(kit::reg(fmt::format("PVFGPTC{}", p), PVFGPTC0 + 4 * p, 4)
                  .doc("good packets transmitted by pool p")
                  .on_read_fn([switch_of, p](kit::reg_bank& b) {
                    b.set(PVFGPTC0 + 4 * p, 4, static_cast<uint32_t>(switch_of(b).counters[p].tx_packets));
                  }));
      for (unsigned p = 0; p < MAX_POOLS; ++p) {
        const uint32_t off = PVFGOTC_LSB0 + 8 * p;
        r.add(kit::reg(fmt::format("PVFGOTC_LSB{}", p), off, 4)
                  .doc("good octets transmitted by pool p, low 32 bits")
                  .on_read_fn([switch_of, p, off](kit::reg_bank& b) {
                    b.set(off, 4, static_cast<uint32_t>(switch_of(b).counters[p].tx_octets));
                  }));
        r.add(kit::reg(fmt::format("PVFGOTC_MSB{}", p), off + 4, 4)
                  .doc("bits 35:32")
                  .on_read_fn([switch_of, p, off](kit::reg_bank& b) {
                    b.set(off + 4, 4, (switch_of(b).counters[p].tx_octets >> 32) & 0xf);
                  }));
      }
      r.add(kit::reg("SSVPC", SSVPC, 4)
                .doc("switch security violation packets: anti-spoofing drops (clear on read)")
                .on_read_fn([switch_of](kit::reg_bank& b) {
                  nic_switch& sw = switch_of(b);
                  b.set(SSVPC, 4, static_cast<uint32_t>(sw.ssvpc_total - sw.ssvpc_cleared));
                  sw.ssvpc_cleared = sw.ssvpc_total;
                }));
      return;
    }
    case 2:
      table("VFTA", VFTA0, 128, "VLAN filter: VIDs 32i..32i+31");
      return;
    case 3:
      table("VMOLR", VMOLR0, MAX_POOLS, "pool p's offloads: UPE, VPE, AUPE, ROMPE, ROPE, BAM, MPE");
      table("VLVF", VLVF0, 64, "VLAN pool filter: VIEN (bit 31), VID [11:0]");
      table("VLVFB", VLVFB0, 128, "pools of VLVF i/2: 0-31 (even), 32-63 (odd)");
      table("PFUTA", PFUTA0, 128, "unicast hash table, 32 bits");
      return;
    default:
      r.add(kit::reg("GCR_EXT", GCR_EXT, 4)
                .rw()
                .doc("PCIe control extended: VT_MODE [1:0] 16/32/64 pools")
                .on_write_fn(stale));
      return;
  }
}

}  // namespace iovsim::nic
