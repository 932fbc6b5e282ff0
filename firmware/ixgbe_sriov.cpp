// The switch tables of the 82599/X540 as Linux 6.1's ixgbe keeps them: the receive
// addresses (mac_table of ixgbe_main.c over ixgbe_common.c's set_rar/clear_rar), the
// VLAN filters (ixgbe_set_vfta_generic() and the VLAN promiscuous helpers of
// ixgbe_main.c), the PF's receive mode (ixgbe_set_rx_mode()) and the per-VF helpers and
// administrator calls of ixgbe_sriov.c. The mailbox is in ixgbe_sriov_mbx.cpp.
#include "firmware/ixgbe_sriov.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>

namespace iovsim::fw {

using namespace ixgbe;
using lvl = nic_hal::level;

namespace {
constexpr uint8_t MAC_STATE_DEFAULT = 0x1, MAC_STATE_MODIFIED = 0x2, MAC_STATE_IN_USE = 0x4;
uint8_t octet(uint64_t mac, unsigned i) { return static_cast<uint8_t>(mac >> (40 - 8 * i)); }
uint32_t bit(unsigned n) { return 1u << (n % 32); }
}  // namespace

std::string format_mac(uint64_t mac) {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", octet(mac, 0), octet(mac, 1), octet(mac, 2),
                     octet(mac, 3), octet(mac, 4), octet(mac, 5));
}

ixgbe_sriov::ixgbe_sriov(nic_hal& hal, const params& p) : m_hal(hal), m_p(p) {
  m_p.num_rar = std::clamp(m_p.num_rar, 1u, 128u);
  m_p.num_vlvf = std::clamp(m_p.num_vlvf, 1u, 64u);
  m_p.mta_words = std::clamp(m_p.mta_words, 1u, 128u);
  m_p.vft_size = std::clamp(m_p.vft_size, 8u, 128u);
  m_mac_table.resize(m_p.num_rar);
}

unsigned ixgbe_sriov::queues_per_pool() const {
  if (m_p.queues_per_pool) return m_p.queues_per_pool;
  return m_num_vfs + 1 > 32 ? 2 : 4;  // ixgbe_set_sriov_queues()
}

// __ixgbe_enable_sriov(): defaults per VF, the macvlan pool of spare RARs
// (ixgbe_alloc_vf_macvlans()); ixgbe_vf_configuration() zeroes each VF's MAC.
void ixgbe_sriov::set_num_vfs(unsigned n) {
  n = std::min(n, MAX_VFS_DRV_LIMIT);
  m_num_vfs = n;
  m_vfs.assign(n, vf_data_storage{});
  m_macvlans.clear();
  if (n && m_p.num_rar > MAX_PF_MACVLANS + 1 + n) m_macvlans.resize(m_p.num_rar - (MAX_PF_MACVLANS + 1 + n));
}

// ---- receive addresses ----------------------------------------------------------------

// ixgbe_set_rar_generic(): pool bit first, then the low word, then the high word with AV.
void ixgbe_sriov::set_rar(unsigned i, uint64_t addr, unsigned pool) {
  set_vmdq(i, pool);
  const uint32_t lo = octet(addr, 0) | octet(addr, 1) << 8 | octet(addr, 2) << 16 | uint32_t{octet(addr, 3)} << 24;
  uint32_t hi = rd(RAH(i)) & ~(0xFFFFu | RAH_AV);
  hi |= octet(addr, 4) | octet(addr, 5) << 8 | RAH_AV;
  wr(RAL(i), lo);
  wr(RAH(i), hi);
}

// ixgbe_set_vmdq_generic(): one more pool receives what RAR i matches.
void ixgbe_sriov::set_vmdq(unsigned i, unsigned pool) {
  const uint32_t mpsar = pool < 32 ? MPSAR_LO(i) : MPSAR_HI(i);
  wr(mpsar, rd(mpsar) | bit(pool));
}

// ixgbe_clear_rar_generic(): AV off before the low word goes, then the pools.
void ixgbe_sriov::clear_rar(unsigned i) {
  wr(RAH(i), rd(RAH(i)) & ~(0xFFFFu | RAH_AV));
  wr(RAL(i), 0);
  clear_vmdq_all(i);
}

// ixgbe_clear_vmdq_generic(IXGBE_CLEAR_VMDQ_ALL): an entry left in no pool is cleared
// (again) unless it is RAR 0.
void ixgbe_sriov::clear_vmdq_all(unsigned i) {
  const uint32_t lo = rd(MPSAR_LO(i)), hi = rd(MPSAR_HI(i));
  if (!lo && !hi) return;
  if (lo) wr(MPSAR_LO(i), 0);
  if (hi) wr(MPSAR_HI(i), 0);
  if (i != 0) clear_rar(i);
}

void ixgbe_sriov::sync_mac_table(bool full) {
  m_hal.charge(m_p.filter_write_ns);
  for (unsigned i = 0; i < m_mac_table.size(); ++i) {
    mac_entry& e = m_mac_table[i];
    if (!full && !(e.state & MAC_STATE_MODIFIED)) continue;
    e.state &= ~MAC_STATE_MODIFIED;
    if (e.state & MAC_STATE_IN_USE)
      set_rar(i, e.addr, e.pool);
    else
      clear_rar(i);
  }
}

// ixgbe_add_mac_filter(): the first free entry; its index, or -ENOMEM.
int ixgbe_sriov::add_mac_filter(uint64_t addr, unsigned pool) {
  if (!addr) return -EINVAL;
  for (unsigned i = 0; i < m_mac_table.size(); ++i) {
    mac_entry& e = m_mac_table[i];
    if (e.state & MAC_STATE_IN_USE) continue;
    e.addr = addr;
    e.pool = pool;
    e.state |= MAC_STATE_MODIFIED | MAC_STATE_IN_USE;
    sync_mac_table(false);
    return static_cast<int>(i);
  }
  return -ENOMEM;
}

int ixgbe_sriov::del_mac_filter(uint64_t addr, unsigned pool) {
  if (!addr) return -EINVAL;
  for (mac_entry& e : m_mac_table) {
    if (!(e.state & MAC_STATE_IN_USE) || e.pool != pool || e.addr != addr) continue;
    e.state = (e.state | MAC_STATE_MODIFIED) & ~MAC_STATE_IN_USE;
    sync_mac_table(false);
    return 0;
  }
  return -ENOMEM;
}

int ixgbe_sriov::available_rars() const {
  int n = 0;
  for (const mac_entry& e : m_mac_table) {
    if (e.state & MAC_STATE_DEFAULT) continue;
    if ((e.state & MAC_STATE_IN_USE) && e.pool != pf_pool()) continue;
    ++n;
  }
  return n;
}

// __dev_uc_sync() with ixgbe_uc_sync / ixgbe_uc_unsync: addresses gone from the list
// leave the table, new ones enter it until the first failure, which is returned (the
// rest stay unsynced and are tried again next time).
int ixgbe_sriov::uc_sync(const std::vector<uint64_t>& uc_list) {
  for (auto it = m_uc_synced.begin(); it != m_uc_synced.end();) {
    if (std::find(uc_list.begin(), uc_list.end(), *it) != uc_list.end()) {
      ++it;
      continue;
    }
    del_mac_filter(*it, pf_pool());
    it = m_uc_synced.erase(it);
  }
  for (uint64_t a : uc_list) {
    if (std::find(m_uc_synced.begin(), m_uc_synced.end(), a) != m_uc_synced.end()) continue;
    const int r = add_mac_filter(a, pf_pool());
    if (r < 0) return r;
    m_uc_synced.push_back(a);
  }
  return 0;
}

// ---- bring-up --------------------------------------------------------------------------

void ixgbe_sriov::set_default_filter(uint64_t pf_mac) {
  m_pf_mac = pf_mac;
  m_mac_table[0] = mac_entry{pf_mac, pf_pool(), MAC_STATE_DEFAULT | MAC_STATE_IN_USE};
  clear_vmdq_all(0);
  set_rar(0, pf_mac, pf_pool());
}

void ixgbe_sriov::configure(uint64_t pf_mac, unsigned num_vfs) {
  if (num_vfs != m_num_vfs) set_num_vfs(num_vfs);
  m_pf_mac = pf_mac;
  // ixgbe_reset(): ixgbe_flush_sw_mac_table(), __dev_uc_unsync(), ixgbe_mac_set_default_filter().
  for (mac_entry& e : m_mac_table) e.state = (e.state | MAC_STATE_MODIFIED) & ~MAC_STATE_IN_USE;
  sync_mac_table(false);
  m_uc_synced.clear();
  set_default_filter(pf_mac);

  // ixgbe_configure_virtualization()
  if (m_num_vfs) {
    const unsigned pool = pf_pool();
    uint32_t vt = rd(VT_CTL) | VT_CTL_VT_ENABLE;
    vt = (vt & ~VT_CTL_POOL_MASK) | pool << VT_CTL_POOL_SHIFT | VT_CTL_REPLEN;
    wr(VT_CTL, vt);
    wr(VMOLR(pool), VMOLR_AUPE);  // untagged accepted until a VLAN is set
    // Only the PF's pool (and the ones after it) receive and transmit.
    const unsigned reg = pool >= 32 ? 1 : 0;
    const uint32_t from_pf = ~0u << (pool % 32);
    wr(VFRE(reg), from_pf);
    wr(VFRE(reg ^ 1), reg - 1);
    wr(VFTE(reg), from_pf);
    wr(VFTE(reg ^ 1), reg - 1);
    wr(PFDTXGSWC, PFDTXGSWC_VT_LBEN);  // VEB: VF-to-VF traffic loops back inside the NIC
    set_vmdq(0, pool);
    m_vlan_promisc = false;
    const unsigned qpp = queues_per_pool();
    wr(GCR_EXT, qpp >= 8 ? GCR_EXT_VT_MODE_16 : qpp == 4 ? GCR_EXT_VT_MODE_32 : GCR_EXT_VT_MODE_64);
    for (unsigned v = 0; v < m_num_vfs; ++v) {  // ixgbe_ndo_set_vf_spoofchk(adapter->netdev, i, ...)
      set_mac_anti_spoofing(m_vfs[v].spoofchk_enabled, v);
      set_vlan_anti_spoofing(m_vfs[v].spoofchk_enabled, v);
    }
    // ixgbe_setup_mrqc() with SR-IOV and one traffic class.
    wr(MRQC, qpp == 4 ? MRQC_VMDQRSS32EN : MRQC_VMDQRSS64EN);
  } else {
    // Without VFs ixgbe leaves VT mode to the MAC reset before it (ixgbe_reset_hw()),
    // which the HAL does not have: VT off, one pool.
    wr(VT_CTL, rd(VT_CTL) & ~(VT_CTL_VT_ENABLE | VT_CTL_POOL_MASK | VT_CTL_REPLEN));
    wr(GCR_EXT, 0);
  }
  // ixgbe_configure(): the receive mode, then ixgbe_restore_vlan().
  rx_mode();
  vlan_add(0);
  for (unsigned vid = 1; vid < 4096; ++vid)
    if (m_active_vlans.test(vid)) vlan_add(static_cast<uint16_t>(vid));
}

// ---- the PF's receive mode ------------------------------------------------------------

bool ixgbe_sriov::set_rx_mode(bool promisc, bool allmulti, const std::vector<uint64_t>& mc_list,
                              const std::vector<uint64_t>& uc_list) {
  m_promisc = promisc;
  m_allmulti = allmulti;
  m_mc_list = mc_list;
  m_uc_list = uc_list;
  rx_mode();
  return m_uc_fallback;
}

void ixgbe_sriov::rx_mode() {
  m_hal.charge(m_p.filter_write_ns + m_p.rx_mode_addr_ns * (m_mc_list.size() + m_uc_list.size()));
  const unsigned pool = pf_pool();
  uint32_t fctrl = rd(FCTRL);
  fctrl &= ~FCTRL_SBP;
  fctrl |= FCTRL_BAM | FCTRL_DPF | FCTRL_PMCF;
  fctrl &= ~(FCTRL_UPE | FCTRL_MPE);
  uint32_t vmolr = VMOLR_BAM | VMOLR_AUPE;
  if (m_promisc) {
    fctrl |= FCTRL_UPE | FCTRL_MPE;
    vmolr |= VMOLR_MPE;
  } else if (m_allmulti) {
    fctrl |= FCTRL_MPE;
    vmolr |= VMOLR_MPE;
  }
  // Addresses that do not fit in the RARs: unicast promiscuous.
  m_uc_fallback = uc_sync(m_uc_list) != 0;
  if (m_uc_fallback) {
    fctrl |= FCTRL_UPE;
    vmolr |= VMOLR_ROPE;
  }
  // ixgbe_write_mc_addr_list(): ixgbe_update_mc_addr_list_generic() rebuilds the whole
  // MTA from the PF's list, then every VF's hashes go back in.
  std::vector<uint32_t> mta(m_p.mta_words, 0);
  for (uint64_t a : m_mc_list) {
    const unsigned shift = m_p.mc_filter_type == 3 ? 0 : 4 - m_p.mc_filter_type;
    const unsigned vector = ((octet(a, 4) >> shift) | (unsigned{octet(a, 5)} << (8 - shift))) & 0xFFF;
    const unsigned reg = (vector >> 5) & 0x7F;
    if (reg < mta.size()) mta[reg] |= bit(vector);
  }
  for (unsigned i = 0; i < mta.size(); ++i) wr(MTA(i), mta[i]);
  if (!m_mc_list.empty()) wr(MCSTCTRL, MCSTCTRL_MFE | m_p.mc_filter_type);
  restore_vf_multicasts();
  if (!m_mc_list.empty()) vmolr |= VMOLR_ROMPE;
  vmolr |= rd(VMOLR(pool)) & ~(VMOLR_MPE | VMOLR_ROMPE | VMOLR_ROPE);
  wr(VMOLR(pool), vmolr);
  wr(FCTRL, fctrl);
  // IFF_PROMISC drops NETIF_F_HW_VLAN_CTAG_FILTER: the PF takes every VLAN.
  if (m_promisc || !m_vlan_filter)
    vlan_promisc_enable();
  else
    vlan_promisc_disable();
}

void ixgbe_sriov::set_vlan_filter_feature(bool on) {
  m_vlan_filter = on;
  rx_mode();
}

// ixgbe_restore_vf_multicasts(), then ixgbe_full_sync_mac_table() for the VF macvlans.
void ixgbe_sriov::restore_vf_multicasts() {
  for (unsigned v = 0; v < m_num_vfs; ++v) {
    const vf_data_storage& vf = m_vfs[v];
    uint32_t vmolr = rd(VMOLR(v));
    for (unsigned j = 0; j < vf.num_mc_hashes; ++j) {
      const unsigned reg = (vf.mc_hashes[j] >> 5) & 0x7F;
      wr(MTA(reg), rd(MTA(reg)) | bit(vf.mc_hashes[j]));
    }
    vmolr = vf.num_mc_hashes ? vmolr | VMOLR_ROMPE : vmolr & ~VMOLR_ROMPE;
    wr(VMOLR(v), vmolr);
  }
  sync_mac_table(true);
}

// ---- VLAN filters ----------------------------------------------------------------------

// ixgbe_find_vlvf_slot(): VLAN 0 owns entry 0; the others search 63..1 for their VLAN,
// remembering the first empty entry (none with bypass).
int ixgbe_sriov::find_vlvf_slot(unsigned vlan, bool bypass) {
  if (vlan == 0) return 0;
  int first_empty = bypass ? -ENOSPC : 0;
  for (unsigned i = m_p.num_vlvf; --i;) {
    const uint32_t bits = rd(VLVF(i));
    if (bits == (vlan | VLVF_VIEN)) return static_cast<int>(i);
    if (!first_empty && !bits) first_empty = static_cast<int>(i);
  }
  return first_empty ? first_empty : -ENOSPC;
}

// ixgbe_set_vfta_generic(): the VFTA bit, and in VT mode the VLVF entry and its pool bits.
int ixgbe_sriov::set_vfta(unsigned vlan, unsigned vind, bool on, bool bypass) {
  if (vlan > 4095 || vind > 63) return -EINVAL;
  m_hal.charge(m_p.filter_write_ns);
  const unsigned regidx = vlan / 32;
  uint32_t vfta = rd(VFTA(regidx));
  uint32_t delta = bit(vlan) & (on ? ~vfta : vfta);
  vfta ^= delta;
  if (rd(VT_CTL) & VT_CTL_VT_ENABLE) {
    const int idx = find_vlvf_slot(vlan, bypass);
    if (idx < 0) {
      if (!bypass) return idx;
    } else {
      const unsigned word = static_cast<unsigned>(idx) * 2 + vind / 32;
      uint32_t bits = rd(VLVFB(word)) | bit(vind);
      if (!on) {
        bits ^= bit(vind);
        if (!bits && !rd(VLVFB(static_cast<unsigned>(idx) * 2 + 1 - vind / 32))) {
          // VFTA first, then the entry: no stray frames into the default pool.
          if (delta) wr(VFTA(regidx), vfta);
          wr(VLVF(static_cast<unsigned>(idx)), 0);
          wr(VLVFB(word), 0);
          return 0;
        }
        delta = 0;  // other pools still use the VLAN
      }
      wr(VLVFB(word), bits);
      wr(VLVF(static_cast<unsigned>(idx)), VLVF_VIEN | vlan);
    }
  }
  if (delta) wr(VFTA(regidx), vfta);
  return 0;
}

int ixgbe_sriov::find_vlvf_entry(unsigned vlan) {
  if (vlan == 0) return 0;
  unsigned i = m_p.num_vlvf;
  while (--i)
    if ((rd(VLVF(i)) & VLVF_VLANID_MASK) == vlan) break;
  return static_cast<int>(i);
}

void ixgbe_sriov::update_pf_promisc_vlvf(unsigned vid) {
  const int idx = find_vlvf_entry(vid);
  if (!idx) return;
  const unsigned word = static_cast<unsigned>(idx) * 2 + pf_pool() / 32;
  const uint32_t bits = ~bit(pf_pool()) & rd(VLVFB(word));
  if (!bits && !rd(VLVFB(word ^ 1))) {
    if (!m_vlan_promisc) wr(VLVFB(word), 0);
    wr(VLVF(static_cast<unsigned>(idx)), 0);
  }
}

void ixgbe_sriov::vlan_add(uint16_t vid) {
  if (vid > 4095) return;
  if (!vid || !m_vlan_promisc) set_vfta(vid, pf_pool(), true, vid != 0);
  m_active_vlans.set(vid);
}

void ixgbe_sriov::vlan_del(uint16_t vid) {
  if (vid > 4095) return;
  if (vid && !m_vlan_promisc) set_vfta(vid, pf_pool(), false, true);
  m_active_vlans.reset(vid);
}

// ixgbe_vlan_promisc_enable(): with VFs filtering stays on, the PF joins every VLVF
// entry and the VFTA opens completely (VLAN trunking on the PF).
void ixgbe_sriov::vlan_promisc_enable() {
  const uint32_t vlnctrl = rd(VLNCTRL);
  if (!m_num_vfs) {
    wr(VLNCTRL, vlnctrl & ~VLNCTRL_VFE);
    return;
  }
  wr(VLNCTRL, vlnctrl | VLNCTRL_VFE);
  if (m_vlan_promisc) return;
  m_vlan_promisc = true;
  m_hal.charge(m_p.filter_write_ns);
  for (unsigned i = m_p.num_vlvf; --i;) {
    const uint32_t reg = VLVFB(i * 2 + pf_pool() / 32);
    wr(reg, rd(reg) | bit(pf_pool()));
  }
  for (unsigned i = m_p.vft_size; i--;) wr(VFTA(i), ~0u);
}

void ixgbe_sriov::vlan_promisc_disable() {
  wr(VLNCTRL, rd(VLNCTRL) | VLNCTRL_VFE);
  if (!m_num_vfs || !m_vlan_promisc) return;
  m_vlan_promisc = false;
  m_hal.charge(m_p.filter_write_ns);
  for (unsigned i = 0; i < m_p.vft_size; i += 8) scrub_vfta(i);
}

// ixgbe_scrub_vfta(): rebuild 8 VFTA words from the VLVF entries and the PF's VLANs,
// taking the PF out of the entries it does not use.
void ixgbe_sriov::scrub_vfta(unsigned offset) {
  std::array<uint32_t, 8> vfta{};
  const unsigned start = offset * 32, end = start + 8 * 32;
  for (unsigned i = m_p.num_vlvf; --i;) {
    const uint32_t vlvf = rd(VLVF(i));
    const unsigned vid = vlvf & VLVF_VLANID_MASK;
    if (vid < start || vid >= end) continue;
    if (vlvf) {
      vfta[(vid - start) / 32] |= bit(vid);
      if (m_active_vlans.test(vid)) continue;
    }
    const unsigned word = i * 2 + pf_pool() / 32;
    wr(VLVFB(word), ~bit(pf_pool()) & rd(VLVFB(word)));
  }
  for (unsigned i = 8; i--;) {
    const unsigned vid = (offset + i) * 32;
    for (unsigned b = 0; b < 32; ++b)
      if (m_active_vlans.test(vid + b)) vfta[i] |= 1u << b;
    wr(VFTA(offset + i), vfta[i]);
  }
}

// ---- per-VF helpers (ixgbe_sriov.c) ---------------------------------------------------

// ixgbe_set_vf_vlan(): a VLAN the PF also uses keeps a VLVF entry for the PF.
int ixgbe_sriov::set_vf_vlan_filter(bool add, unsigned vid, unsigned vf) {
  if (add && vid < 4096 && m_active_vlans.test(vid)) {
    if (const int err = set_vfta(vid, pf_pool(), true, false)) return err;
  }
  const int err = set_vfta(vid, vf, add, false);
  if (add && !err) return err;
  if ((vid < 4096 && m_active_vlans.test(vid)) || m_vlan_promisc) update_pf_promisc_vlvf(vid);
  return err;
}

// ixgbe_clear_vf_vlans(): the VF leaves every VLVF entry; an entry nobody else uses goes.
void ixgbe_sriov::clear_vf_vlans(unsigned vf) {
  const uint32_t pool_mask = ~bit(pf_pool());
  const uint32_t vf_mask = bit(vf);
  const unsigned pf_word = pf_pool() / 32;
  for (unsigned i = m_p.num_vlvf; i--;) {
    const unsigned word = i * 2 + vf / 32;
    uint32_t vlvfb = rd(VLVFB(word));
    if (!(vlvfb & vf_mask)) continue;
    vlvfb ^= vf_mask;
    uint32_t bits[2];
    bits[word % 2] = vlvfb;
    bits[~word % 2] = rd(VLVFB(word ^ 1));
    if (bits[pf_word ^ 1] || (bits[pf_word] & pool_mask)) {
      wr(VLVFB(word), vlvfb);  // other pools: just leave
      continue;
    }
    if (!(bits[0] || bits[1])) {  // nobody left: the VFTA bit goes too
      const uint32_t vlvf = rd(VLVF(i));
      if (!vlvf) {
        wr(VLVFB(word), vlvfb);
        continue;
      }
      const unsigned vid = vlvf & VLVF_VLANID_MASK;
      const uint32_t vfta = rd(VFTA(vid / 32));
      if (vfta & bit(vid)) wr(VFTA(vid / 32), vfta ^ bit(vid));
    }
    wr(VLVF(i), 0);
    if (!m_vlan_promisc) vlvfb = 0;
    wr(VLVFB(word), vlvfb);
  }
}

void ixgbe_sriov::set_vmolr(unsigned vf, bool aupe) {
  uint32_t v = rd(VMOLR(vf)) | VMOLR_BAM;
  v = aupe ? v | VMOLR_AUPE : v & ~VMOLR_AUPE;
  wr(VMOLR(vf), v);
}

void ixgbe_sriov::set_vmvir(unsigned vid, unsigned qos, unsigned vf) {
  wr(VMVIR(vf), vid | qos << VLAN_PRIO_SHIFT | VMVIR_VLANA_DEFAULT);
}

// ixgbe_set_mac_anti_spoofing() / ixgbe_set_vlan_anti_spoofing(): 8 pools per register.
void ixgbe_sriov::set_mac_anti_spoofing(bool on, unsigned vf) {
  const uint32_t reg = PFVFSPOOF(vf / 8), b = 1u << (vf % 8);
  const uint32_t v = rd(reg);
  wr(reg, on ? v | b : v & ~b);
}

void ixgbe_sriov::set_vlan_anti_spoofing(bool on, unsigned vf) {
  const uint32_t reg = PFVFSPOOF(vf / 8), b = 1u << (vf % 8 + SPOOF_VLANAS_SHIFT);
  const uint32_t v = rd(reg);
  wr(reg, on ? v | b : v & ~b);
}

// ixgbe_set_vf_mac(): the VF's receive address moves.
int ixgbe_sriov::set_vf_mac_filter(unsigned vf, uint64_t mac) {
  del_mac_filter(m_vfs[vf].mac, vf);
  const int r = add_mac_filter(mac, vf);
  m_vfs[vf].mac = r >= 0 ? mac : 0;
  return r;
}

// ixgbe_set_vf_macvlan(): index 0 clears the VF's extra addresses, 1 restarts the list.
int ixgbe_sriov::set_vf_macvlan(unsigned vf, unsigned index, uint64_t mac) {
  if (index <= 1) {
    for (macvlan& e : m_macvlans) {
      if (e.vf != static_cast<int>(vf)) continue;
      e.vf = -1;
      e.free = true;
      del_mac_filter(e.addr, vf);
    }
  }
  if (!index) return 0;
  auto it = std::find_if(m_macvlans.begin(), m_macvlans.end(), [](const macvlan& e) { return e.free; });
  if (it == m_macvlans.end()) return -ENOSPC;
  const int r = add_mac_filter(mac, vf);
  if (r < 0) return r;
  *it = macvlan{static_cast<int>(vf), false, mac};
  return 0;
}

std::vector<uint64_t> ixgbe_sriov::vf_macvlans(unsigned vf) const {
  std::vector<uint64_t> out;
  for (const macvlan& e : m_macvlans)
    if (!e.free && e.vf == static_cast<int>(vf)) out.push_back(e.addr);
  return out;
}

// ixgbe_write_qde(): drop when the VF's queues have no descriptors.
void ixgbe_sriov::write_qde(unsigned vf, uint32_t qde) {
  const unsigned qpp = queues_per_pool();
  for (unsigned q = vf * qpp; q < (vf + 1) * qpp; ++q) wr(QDE, QDE_WRITE | qde | q << QDE_IDX_SHIFT);
}

// ixgbe_set_vf_rx_tx(): PFVFRE/PFVFTE per link_enable; the 82599 keeps a VF's receive
// off while the PF runs jumbo frames.
void ixgbe_sriov::set_vf_rx_tx(unsigned vf) {
  const unsigned reg = vf / 32;
  const uint32_t b = bit(vf);
  const uint32_t cur_tx = rd(VFTE(reg)), cur_rx = rd(VFRE(reg));
  uint32_t tx = m_vfs[vf].link_enable ? cur_tx | b : cur_tx & ~b;
  uint32_t rx = m_vfs[vf].link_enable ? cur_rx | b : cur_rx & ~b;
  if (m_p.mac_type == ixgbe_mac_type::mac_82599 && m_pf_mtu + ETH_HLEN > ETH_FRAME_LEN) rx = cur_rx & ~b;
  if (tx != cur_tx) wr(VFTE(reg), tx);
  if (rx != cur_rx) wr(VFRE(reg), rx);
}

// ixgbe_set_vf_link_state(): the VF must reset to see it.
void ixgbe_sriov::apply_vf_link_state(unsigned vf, int state) {
  vf_data_storage& v = m_vfs[vf];
  v.link_state = state;
  if (state == IFLA_VF_LINK_STATE_AUTO) v.link_enable = m_pf_up;
  if (state == IFLA_VF_LINK_STATE_ENABLE) v.link_enable = true;
  if (state == IFLA_VF_LINK_STATE_DISABLE) v.link_enable = false;
  set_vf_rx_tx(vf);
  v.clear_to_send = false;
  ping_vf(vf);
}

// ixgbe_set_vf_rate_limit(): RTTBCNRC for each of the pool's TX queues; the rate
// factor is link speed / rate in 10.14 fixed point.
void ixgbe_sriov::set_vf_rate_limit(unsigned vf) {
  uint32_t bcnrc = 0;
  if (const unsigned rate = m_vfs[vf].tx_rate) {
    bcnrc = (m_vf_rate_link_speed << RTTBCNRC_RF_INT_SHIFT) / rate;
    bcnrc &= RTTBCNRC_RF_INT_MASK | RTTBCNRC_RF_DEC_MASK;
    bcnrc |= RTTBCNRC_RS_ENA;
  }
  // MMW_SIZE: 0x14 where 9728-byte jumbo frames are compensated for, else 0x4.
  wr(RTTBCNRM, m_p.mac_type == ixgbe_mac_type::mac_82599 ? 0x4 : 0x14);
  const unsigned qpp = queues_per_pool();
  for (unsigned q = 0; q < qpp; ++q) {
    wr(RTTDQSEL, vf * qpp + q);
    wr(RTTBCNRC, bcnrc);
  }
}

}  // namespace iovsim::fw
