// The PF side of the PF-VF mailbox: ixgbe_mbx.c's PF primitives (lock, read, write,
// the MBVFICR bits) and ixgbe_sriov.c's ixgbe_msg_task() with every message handler of
// Linux 6.1, the VF reset and the pings.
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>

#include "firmware/ixgbe_sriov.h"

namespace iovsim::fw {

using namespace ixgbe;
using lvl = nic_hal::level;

namespace {
uint64_t mac_of(const std::array<uint32_t, VFMAILBOX_SIZE>& m) {  // bytes of words 1..2, in order
  uint64_t mac = 0;
  for (unsigned b = 0; b < 6; ++b) mac = mac << 8 | ((m[1 + b / 4] >> (8 * (b % 4))) & 0xff);
  return mac;
}
bool valid_ether(uint64_t mac) { return mac && !((mac >> 40) & 1); }  // is_valid_ether_addr()
constexpr uint32_t RETA0 = 0x05C00, RSSRK0 = 0x05C80;                 // ixgbe_type.h IXGBE_RETA / RSSRK
}  // namespace

// ---- primitives (ixgbe_mbx.c) ------------------------------------------------------------

// ixgbe_check_for_bit_pf(): a VFREQ or VFACK bit, cleared (write 1) when found.
bool ixgbe_sriov::check_for_bit(uint32_t mask, unsigned index) {
  if (!(rd(MBVFICR(index)) & mask)) return false;
  wr(MBVFICR(index), mask);
  return true;
}

bool ixgbe_sriov::obtain_lock(unsigned vf) {
  wr(PFMAILBOX(vf), PFMAILBOX_PFU);
  if (rd(PFMAILBOX(vf)) & PFMAILBOX_PFU) return true;
  ++m_stats.lock_failures;
  return false;
}

bool ixgbe_sriov::read_mbx(unsigned vf, msg& m) {
  if (!obtain_lock(vf)) return false;
  for (unsigned i = 0; i < VFMAILBOX_SIZE; ++i) m[i] = rd(PFMBMEM(vf) + 4 * i);
  wr(PFMAILBOX(vf), PFMAILBOX_ACK);  // received; the buffer is the VF's again
  return true;
}

// ixgbe_write_mbx_pf(): stale request / ack bits of this VF are dropped first.
bool ixgbe_sriov::write_mbx(unsigned vf, const uint32_t* m, unsigned words) {
  if (words > VFMAILBOX_SIZE || !obtain_lock(vf)) return false;
  check_for_bit(MBVFICR_VFREQ_VF1 << (vf % 16), vf / 16);
  check_for_bit(MBVFICR_VFACK_VF1 << (vf % 16), vf / 16);
  for (unsigned i = 0; i < words; ++i) wr(PFMBMEM(vf) + 4 * i, m[i]);
  wr(PFMAILBOX(vf), PFMAILBOX_STS);
  if (m[0] & VT_MSGTYPE_ACK) ++m_stats.acks;
  if (m[0] & VT_MSGTYPE_NACK) ++m_stats.nacks;
  return true;
}

// ---- the task ---------------------------------------------------------------------------

// ixgbe_msg_task(): per VF, a request, then an acknowledgement. A VF's FLR
// (ixgbe_check_for_rst(), VFLREC) reaches us through vf_flr() instead.
unsigned ixgbe_sriov::service() {
  unsigned handled = 0;
  for (unsigned vf = 0; vf < m_num_vfs; ++vf) {
    if (check_for_bit(MBVFICR_VFREQ_VF1 << (vf % 16), vf / 16)) {
      rcv_msg_from_vf(vf);
      ++handled;
    }
    if (check_for_bit(MBVFICR_VFACK_VF1 << (vf % 16), vf / 16)) rcv_ack_from_vf(vf);
  }
  return handled;
}

void ixgbe_sriov::rcv_ack_from_vf(unsigned vf) {
  ++m_stats.vf_acks;
  const uint32_t nack = VT_MSGTYPE_NACK;
  if (!m_vfs[vf].clear_to_send) write_mbx(vf, &nack, 1);  // not clear to send: not to read either
}

void ixgbe_sriov::ping_vf(unsigned vf) {
  if (vf >= m_num_vfs) return;
  const uint32_t ping = PF_CONTROL_MSG | (m_vfs[vf].clear_to_send ? VT_MSGTYPE_CTS : 0);
  ++m_stats.pings;
  write_mbx(vf, &ping, 1);
}

void ixgbe_sriov::ping_all_vfs() {
  for (unsigned vf = 0; vf < m_num_vfs; ++vf) ping_vf(vf);
}

// ixgbe_up_complete(): "PF reset done", then ixgbe_set_all_vfs().
void ixgbe_sriov::pf_up() {
  m_pf_up = true;
  wr(CTRL_EXT, rd(CTRL_EXT) | CTRL_EXT_PFRSTD);
  for (unsigned vf = 0; vf < m_num_vfs; ++vf) apply_vf_link_state(vf, m_vfs[vf].link_state);
}

// ixgbe_down(): every VF is inactive and told so; the MAC reset that follows clears
// PFRSTD, so the VFs read RSTI until the PF is up again.
void ixgbe_sriov::pf_down() {
  m_pf_up = false;
  for (vf_data_storage& v : m_vfs) v.clear_to_send = false;
  for (unsigned vf = 0; vf < m_num_vfs; ++vf) apply_vf_link_state(vf, m_vfs[vf].link_state);
  wr(CTRL_EXT, rd(CTRL_EXT) & ~CTRL_EXT_PFRSTD);
}

// ixgbe_watchdog_link_is_up/down(): ixgbe_check_vf_rate_limit() on the way up; the VFs
// are pinged either way.
void ixgbe_sriov::link_changed(bool up, unsigned mbps) {
  m_link_up = up;
  m_link_mbps = up ? mbps : 0;
  if (up && m_vf_rate_link_speed) {
    if (m_link_mbps != m_vf_rate_link_speed) {
      m_vf_rate_link_speed = 0;
      log(lvl::dev_info, "Link speed has been changed. VF Transmit rate is disabled");
    }
    for (unsigned vf = 0; vf < m_num_vfs; ++vf) {
      if (!m_vf_rate_link_speed) m_vfs[vf].tx_rate = 0;
      set_vf_rate_limit(vf);
    }
  }
  ping_all_vfs();
}

// ixgbe_rcv_msg_from_vf()
void ixgbe_sriov::rcv_msg_from_vf(unsigned vf) {
  m_hal.charge(m_p.msg_ns);
  msg m{};
  if (!read_mbx(vf, m)) return;  // Linux: pr_err("Error receiving message from VF")
  const uint32_t type = m[0] & 0xFFFF;
  if (type < m_stats.by_type.size())
    ++m_stats.by_type[type];
  else
    ++m_stats.other_type;
  if (m[0] & (VT_MSGTYPE_ACK | VT_MSGTYPE_NACK)) {  // a reply of ours echoed: nothing to do
    ++m_stats.ignored;
    return;
  }
  if (m[0] == VF_RESET) {
    vf_reset_msg(vf);
    return;
  }
  if (!m_vfs[vf].clear_to_send) {  // no configuration before the VF has reset
    ++m_stats.before_reset;
    m[0] |= VT_MSGTYPE_NACK;
    write_mbx(vf, m.data(), 1);
    return;
  }
  int r = 0;
  switch (type) {
    case VF_SET_MAC_ADDR:
      r = msg_set_mac_addr(m, vf);
      break;
    case VF_SET_MULTICAST:
      r = msg_set_multicasts(m, vf);
      break;
    case VF_SET_VLAN:
      r = msg_set_vlan(m, vf);
      break;
    case VF_SET_LPE:
      r = msg_set_lpe(m[1], vf);
      break;
    case VF_SET_MACVLAN:
      r = msg_set_macvlan(m, vf);
      break;
    case VF_API_NEGOTIATE:
      r = msg_negotiate_api(m, vf);
      break;
    case VF_GET_QUEUES:
      r = msg_get_queues(m, vf);
      break;
    case VF_GET_RETA:
    case VF_GET_RSS_KEY: {
      // ixgbe_get_vf_reta() / ixgbe_get_vf_rss_key(): off unless the administrator
      // allowed it; the table compressed to 2 bits an entry, the key's 10 words.
      const vf_data_storage& v = m_vfs[vf];
      if (!v.rss_query_enabled) {
        r = -EPERM;
      } else if (v.vf_api < mbox_api_12) {
        r = -EOPNOTSUPP;
      } else if (type == VF_GET_RSS_KEY) {
        for (unsigned i = 0; i < 10; ++i) m[1 + i] = rd(RSSRK0 + 4 * i);
      } else {
        for (unsigned i = 0; i < 8; ++i) {
          m[1 + i] = 0;
          for (unsigned j = 0; j < 16; j += 4) {
            const uint32_t reta = rd(RETA0 + 4 * ((16 * i + j) / 4));
            for (unsigned k = 0; k < 4; ++k) m[1 + i] |= ((reta >> (8 * k)) & 0x3) << (2 * (j + k));
          }
        }
      }
      break;
    }
    case VF_UPDATE_XCAST_MODE:
      r = msg_update_xcast_mode(m, vf);
      break;
    case VF_GET_LINK_STATE:
      r = msg_get_link_state(m, vf);
      break;
    case VF_IPSEC_ADD:
    case VF_IPSEC_DEL:
      r = -EACCES;
      break;  // no IPsec offload (the !CONFIG_IXGBE_IPSEC stubs)
    default:
      log(lvl::netdev_err, fmt::format("Unhandled Msg {:08x}", m[0]));
      ++m_stats.unknown;
      r = -EIO;
      break;
  }
  m[0] |= (r ? VT_MSGTYPE_NACK : VT_MSGTYPE_ACK) | VT_MSGTYPE_CTS;
  write_mbx(vf, m.data(), VFMAILBOX_SIZE);
}

// ---- VF reset ----------------------------------------------------------------------------

// ixgbe_vf_reset_event(): the VF's filters and offloads back to what the administrator set.
void ixgbe_sriov::vf_reset_event(unsigned vf) {
  if (vf >= m_num_vfs) return;
  vf_data_storage& v = m_vfs[vf];
  m_hal.charge(m_p.filter_write_ns);
  clear_vf_vlans(vf);
  v.vlan_count = 0;
  set_vf_vlan_filter(true, v.pf_vlan, vf);  // the port VLAN, or VLAN 0
  set_vmolr(vf, !v.pf_vlan);
  if (!v.pf_vlan && !v.pf_qos) {  // no traffic classes (hw_tcs 0)
    wr(VMVIR(vf), 0);
  } else {
    set_vmvir(v.pf_vlan, v.pf_qos, vf);
    if (v.spoofchk_enabled) {
      set_vlan_anti_spoofing(true, vf);
      set_mac_anti_spoofing(true, vf);
    }
  }
  v.num_mc_hashes = 0;
  rx_mode();  // the MTA without the VF's hashes
  del_mac_filter(v.mac, vf);
  set_vf_macvlan(vf, 0, 0);
  v.vf_api = mbox_api_10;
  // Restart each configured TX queue of the pool.
  const unsigned qpp = queues_per_pool();
  for (unsigned q = 0; q < qpp; ++q) {
    const unsigned idx = vf * qpp + q;
    const uint32_t ctl = rd(PVFTXDCTL(idx));
    if (!ctl) continue;
    wr(PVFTXDCTL(idx), ctl | TXDCTL_ENABLE);
    wr(PVFTXDCTL(idx), ctl & ~TXDCTL_ENABLE);
  }
}

// ixgbe_vf_reset_msg(): clean state, the MAC back, queues and mailbox open; ACK with
// the MAC only when the administrator set it.
void ixgbe_sriov::vf_reset_msg(unsigned vf) {
  vf_data_storage& v = m_vfs[vf];
  log(lvl::netdev_info, fmt::format("VF Reset msg received from vf {}", vf));
  vf_reset_event(vf);
  for (unsigned i = 0; i < VFMAILBOX_SIZE; ++i) wr(PFMBMEM(vf) + 4 * i, 0);  // ixgbe_vf_clear_mbx()
  if (v.mac) set_vf_mac_filter(vf, v.mac);
  write_qde(vf, QDE_ENABLE | (v.pf_vlan ? QDE_HIDE_VLAN : 0));
  set_vf_rx_tx(vf);
  v.clear_to_send = true;
  wr(VMECM(vf / 32), rd(VMECM(vf / 32)) | 1u << (vf % 32));  // count its spoofed frames
  const unsigned qpp = queues_per_pool();
  for (unsigned q = 0; q < qpp; ++q) {  // not cleared by an FLR
    wr(PVFTDWBAH(vf * qpp + q), 0);
    wr(PVFTDWBAL(vf * qpp + q), 0);
  }
  uint32_t reply[VF_PERMADDR_MSG_LEN] = {VF_RESET, 0, 0, m_p.mc_filter_type};
  if (v.mac && v.pf_set_mac) {
    reply[0] |= VT_MSGTYPE_ACK;
    for (unsigned b = 0; b < 6; ++b)
      reply[1 + b / 4] |= static_cast<uint32_t>((v.mac >> (40 - 8 * b)) & 0xff) << (8 * (b % 4));
  } else {
    reply[0] |= VT_MSGTYPE_NACK;
  }
  write_mbx(vf, reply, VF_PERMADDR_MSG_LEN);
}

// ---- messages ------------------------------------------------------------------------------

int ixgbe_sriov::msg_set_mac_addr(const msg& m, unsigned vf) {
  const uint64_t mac = mac_of(m);
  const vf_data_storage& v = m_vfs[vf];
  if (!valid_ether(mac)) {
    log(lvl::netdev_warn, fmt::format("VF {} attempted to set invalid mac", vf));
    return -1;
  }
  if (v.pf_set_mac && !v.trusted && v.mac != mac) {
    log(lvl::netdev_warn, fmt::format("VF {} attempted to override administratively set MAC address\n"
                                      "Reload the VF driver to resume operations",
                                      vf));
    return -1;
  }
  return set_vf_mac_filter(vf, mac) < 0;
}

// ixgbe_set_vf_multicasts(): at most 30 hashes (the count is clamped, not refused),
// kept for ixgbe_restore_vf_multicasts() and ORed into the MTA now.
int ixgbe_sriov::msg_set_multicasts(const msg& m, unsigned vf) {
  vf_data_storage& v = m_vfs[vf];
  const unsigned entries = std::min((m[0] & VT_MSGINFO_MASK) >> VT_MSGINFO_SHIFT, MAX_VF_MC_ENTRIES);
  const uint32_t vmolr = rd(VMOLR(vf));
  m_hal.charge(m_p.filter_write_ns);
  v.num_mc_hashes = entries;
  for (unsigned i = 0; i < entries; ++i) v.mc_hashes[i] = static_cast<uint16_t>(m[1 + i / 2] >> (16 * (i % 2)));
  for (unsigned i = 0; i < entries; ++i) {
    const unsigned reg = (v.mc_hashes[i] >> 5) & 0x7F;
    wr(MTA(reg), rd(MTA(reg)) | 1u << (v.mc_hashes[i] & 0x1F));
  }
  wr(VMOLR(vf), vmolr | VMOLR_ROMPE);
  return 0;
}

int ixgbe_sriov::msg_set_vlan(const msg& m, unsigned vf) {
  const bool add = (m[0] & VT_MSGINFO_MASK) >> VT_MSGINFO_SHIFT;
  const unsigned vid = m[1] & VLVF_VLANID_MASK;
  vf_data_storage& v = m_vfs[vf];
  if (v.pf_vlan) {
    log(lvl::netdev_warn, fmt::format("VF {} attempted to override administratively set VLAN configuration\n"
                                      "Reload the VF driver to resume operations",
                                      vf));
    return -1;
  }
  if (!vid && !add) return 0;  // VLAN 0 stays
  const int r = set_vf_vlan_filter(add, vid, vf);
  if (!r) v.vlan_count = add ? v.vlan_count + 1 : (v.vlan_count ? v.vlan_count - 1 : 0);
  return r;
}

// ixgbe_set_vf_lpe(): the frame size range; the 82599 cannot mix jumbo and standard
// frames between PF and legacy VFs, and turns such a VF's receive off.
int ixgbe_sriov::msg_set_lpe(uint32_t max_frame, unsigned vf) {
  if (max_frame < ETH_MIN_MTU || max_frame > MAX_JUMBO_FRAME_SIZE) {
    log(lvl::netdev_err, fmt::format("VF max_frame {} out of range", static_cast<int32_t>(max_frame)));
    return -EINVAL;
  }
  if (m_p.mac_type == ixgbe_mac_type::mac_82599) {
    const unsigned pf_max_frame = m_pf_mtu + ETH_HLEN;
    int err = 0;
    const uint32_t api = m_vfs[vf].vf_api;
    const bool v11 = api == mbox_api_11 || api == mbox_api_12 || api == mbox_api_13 || api == mbox_api_14;
    if (!(v11 && pf_max_frame > ETH_FRAME_LEN))
      if (pf_max_frame > ETH_FRAME_LEN || max_frame > ETH_FRAME_LEN + ETH_FCS_LEN) err = -EINVAL;
    const uint32_t vfre = rd(VFRE(vf / 32));
    wr(VFRE(vf / 32), err ? vfre & ~(1u << (vf % 32)) : vfre | 1u << (vf % 32));
    if (err) {
      log(lvl::netdev_err, fmt::format("VF max_frame {} out of range", static_cast<int32_t>(max_frame)));
      return err;
    }
  }
  const uint32_t max_frs = (rd(MAXFRS) & MHADD_MFS_MASK) >> MHADD_MFS_SHIFT;
  if (max_frs < max_frame) wr(MAXFRS, max_frame << MHADD_MFS_SHIFT);
  m_vfs[vf].max_frame = max_frame;
  // ixgbe_set_vf_lpe() says "VF requests change max MTU to N" with e_info(hw, ...):
  // NETIF_MSG_HW is not in ixgbe's DEFAULT_MSG_ENABLE (DRV | PROBE | LINK), so a
  // default kernel prints nothing.
  return 0;
}

// ixgbe_set_vf_macvlan_msg(): extra unicast filters; a VF that may set them loses MAC
// and VLAN anti-spoofing, which would drop its own frames.
int ixgbe_sriov::msg_set_macvlan(const msg& m, unsigned vf) {
  const uint64_t mac = mac_of(m);
  const unsigned index = (m[0] & VT_MSGINFO_MASK) >> VT_MSGINFO_SHIFT;
  const vf_data_storage& v = m_vfs[vf];
  if (v.pf_set_mac && !v.trusted && index > 0) {
    log(lvl::netdev_warn, fmt::format("VF {} requested MACVLAN filter but is administratively denied", vf));
    return -1;
  }
  if (index) {
    if (!valid_ether(mac)) {
      log(lvl::netdev_warn, fmt::format("VF {} attempted to set invalid mac", vf));
      return -1;
    }
    if (v.spoofchk_enabled) {
      set_mac_anti_spoofing(false, vf);
      set_vlan_anti_spoofing(false, vf);
    }
  }
  const int err = set_vf_macvlan(vf, index, mac);
  if (err == -ENOSPC)
    log(lvl::netdev_warn, fmt::format("VF {} has requested a MACVLAN filter but there is no space for it", vf));
  return err < 0;
}

int ixgbe_sriov::msg_negotiate_api(const msg& m, unsigned vf) {
  const uint32_t api = m[1];
  switch (api) {
    case mbox_api_10:
    case mbox_api_11:
    case mbox_api_12:
    case mbox_api_13:
    case mbox_api_14:
      m_vfs[vf].vf_api = api;
      return 0;
    default:
      break;
  }
  log(lvl::netdev_info, fmt::format("VF {} requested invalid api version {}", vf, api));
  return -1;
}

// ixgbe_get_vf_queues(): the pool's queues, whether a port VLAN is inserted, queue 0.
int ixgbe_sriov::msg_get_queues(msg& m, unsigned vf) {
  const vf_data_storage& v = m_vfs[vf];
  if (v.vf_api == mbox_api_10 || v.vf_api > mbox_api_14) return -1;  // 2.0 and 1.1..1.4
  m[VF_TX_QUEUES] = queues_per_pool();
  m[VF_RX_QUEUES] = queues_per_pool();
  m[VF_TRANS_VLAN] = (v.pf_vlan || v.pf_qos) ? 1 : 0;
  m[VF_DEF_QUEUE] = 0;
  return 0;
}

// ixgbe_update_vf_xcast_mode(): an untrusted VF gets MULTI at most; PROMISC needs API
// 1.3, a part after the 82599 and a PF in promiscuous mode. Word 1 is the mode granted.
int ixgbe_sriov::msg_update_xcast_mode(msg& m, unsigned vf) {
  vf_data_storage& v = m_vfs[vf];
  uint32_t mode = m[1];
  switch (v.vf_api) {
    case mbox_api_12:
      if (mode == XCAST_MODE_PROMISC) return -EOPNOTSUPP;
      break;
    case mbox_api_13:
    case mbox_api_14:
      break;
    default:
      return -EOPNOTSUPP;
  }
  if (mode > XCAST_MODE_MULTI && !v.trusted) mode = XCAST_MODE_MULTI;
  if (v.xcast_mode != mode) {
    uint32_t disable = 0, enable = 0;
    switch (mode) {
      case XCAST_MODE_NONE:
        disable = VMOLR_ROMPE | VMOLR_MPE | VMOLR_UPE | VMOLR_VPE;
        enable = VMOLR_BAM;
        break;
      case XCAST_MODE_MULTI:
        disable = VMOLR_MPE | VMOLR_UPE | VMOLR_VPE;
        enable = VMOLR_BAM | VMOLR_ROMPE;
        break;
      case XCAST_MODE_ALLMULTI:
        disable = VMOLR_UPE | VMOLR_VPE;
        enable = VMOLR_BAM | VMOLR_ROMPE | VMOLR_MPE;
        break;
      case XCAST_MODE_PROMISC:
        if (m_p.mac_type == ixgbe_mac_type::mac_82599) return -EOPNOTSUPP;
        if (!(rd(FCTRL) & FCTRL_UPE)) {
          log(lvl::netdev_warn, "Enabling VF promisc requires PF in promisc");
          return -EPERM;
        }
        disable = VMOLR_VPE;
        enable = VMOLR_BAM | VMOLR_ROMPE | VMOLR_MPE | VMOLR_UPE;
        break;
      default:
        return -EOPNOTSUPP;
    }
    wr(VMOLR(vf), (rd(VMOLR(vf)) & ~disable) | enable);
    v.xcast_mode = mode;
  }
  m[1] = mode;
  return 0;
}

int ixgbe_sriov::msg_get_link_state(msg& m, unsigned vf) {
  const uint32_t api = m_vfs[vf].vf_api;
  if (api != mbox_api_12 && api != mbox_api_13 && api != mbox_api_14) return -EOPNOTSUPP;
  m[1] = m_vfs[vf].link_enable ? 1 : 0;
  return 0;
}

}  // namespace iovsim::fw
