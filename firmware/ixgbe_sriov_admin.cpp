// The administrator's calls (ndo_set_vf_* of Linux 6.1's ixgbe_sriov.c, behind
// `ip link set <pf> vf N ...`): argument checks, the kernel's log lines, and the
// switch registers each one programs.
#include <fmt/format.h>

#include <cerrno>

#include "firmware/ixgbe_sriov.h"

namespace iovsim::fw {

using namespace ixgbe;
using lvl = nic_hal::level;

namespace {
bool multicast(uint64_t mac) { return (mac >> 40) & 1; }
}  // namespace

int ixgbe_sriov::set_vf_mac(int vf, uint64_t mac, bool pf_up) {
  m_hal.charge(m_p.admin_ns);
  if (!valid_vf(vf)) return -EINVAL;
  vf_data_storage& v = m_vfs[static_cast<unsigned>(vf)];
  if (mac && !multicast(mac)) {
    log(lvl::dev_info, fmt::format("setting MAC {} on VF {}", format_mac(mac), vf));
    log(lvl::dev_info, "Reload the VF driver to make this change effective.");
    const int r = set_vf_mac_filter(static_cast<unsigned>(vf), mac);
    if (r >= 0) {
      v.pf_set_mac = true;
      if (!pf_up) {
        log(lvl::dev_warn, "The VF MAC address has been set, but the PF device is not up.");
        log(lvl::dev_warn, "Bring the PF device up before attempting to use the VF device.");
      }
    } else {
      log(lvl::dev_warn, "The VF MAC address was NOT set due to invalid or duplicate MAC address.");
    }
    return r < 0 ? r : 0;
  }
  if (!mac) {
    if (!v.mac) return 0;
    log(lvl::dev_info, fmt::format("removing MAC on VF {}", vf));
    const int r = del_mac_filter(v.mac, static_cast<unsigned>(vf));
    if (r >= 0) {
      v.pf_set_mac = false;
      v.mac = 0;
    } else {
      log(lvl::dev_warn, "Could NOT remove the VF MAC address.");
    }
    return r;
  }
  return -EINVAL;
}

int ixgbe_sriov::enable_port_vlan(unsigned vf, unsigned vlan, unsigned qos, bool pf_up) {
  const int err = set_vf_vlan_filter(true, vlan, vf);
  if (err) return err;
  set_vf_vlan_filter(false, 0, vf);  // no more untagged access through VLAN 0
  set_vmvir(vlan, qos, vf);
  set_vmolr(vf, false);
  m_vfs[vf].pf_vlan = static_cast<uint16_t>(vlan);
  m_vfs[vf].pf_qos = static_cast<uint16_t>(qos);
  log(lvl::dev_info, fmt::format("Setting VLAN {}, QOS 0x{:x} on VF {}", vlan, qos, vf));
  if (!pf_up) {
    log(lvl::dev_warn, "The VF VLAN has been set, but the PF device is not up.");
    log(lvl::dev_warn, "Bring the PF device up before attempting to use the VF device.");
  }
  return 0;
}

int ixgbe_sriov::disable_port_vlan(unsigned vf) {
  const int err = set_vf_vlan_filter(false, m_vfs[vf].pf_vlan, vf);
  set_vf_vlan_filter(true, 0, vf);
  wr(VMVIR(vf), 0);
  set_vmolr(vf, true);
  m_vfs[vf].pf_vlan = 0;
  m_vfs[vf].pf_qos = 0;
  return err;
}

int ixgbe_sriov::set_vf_vlan(int vf, unsigned vlan, unsigned qos, uint16_t proto, bool pf_up) {
  m_hal.charge(m_p.admin_ns);
  if (!valid_vf(vf) || vlan > 4095 || qos > 7) return -EINVAL;
  if (proto != ETH_P_8021Q) return -EPROTONOSUPPORT;
  const unsigned v = static_cast<unsigned>(vf);
  if (vlan || qos) {
    // A port VLAN already there goes first.
    if (m_vfs[v].pf_vlan)
      if (const int err = disable_port_vlan(v)) return err;
    return enable_port_vlan(v, vlan, qos, pf_up);
  }
  return disable_port_vlan(v);
}

int ixgbe_sriov::set_vf_spoofchk(int vf, bool on) {
  m_hal.charge(m_p.admin_ns);
  if (!valid_vf(vf)) return -EINVAL;
  const unsigned v = static_cast<unsigned>(vf);
  m_vfs[v].spoofchk_enabled = on;
  set_mac_anti_spoofing(on, v);
  set_vlan_anti_spoofing(on, v);
  // No ethertype anti-spoofing: hw->mac.ops.set_ethertype_anti_spoofing is X550's only.
  return 0;
}

int ixgbe_sriov::set_vf_trust(int vf, bool on) {
  m_hal.charge(m_p.admin_ns);
  if (!valid_vf(vf)) return -EINVAL;
  vf_data_storage& v = m_vfs[static_cast<unsigned>(vf)];
  if (v.trusted == on) return 0;
  v.trusted = on;
  v.clear_to_send = false;  // the VF resets to renegotiate what it may do
  ping_vf(static_cast<unsigned>(vf));
  log(lvl::netdev_info, fmt::format("VF {} is {}trusted", vf, on ? "" : "not "));
  return 0;
}

int ixgbe_sriov::set_vf_link_state(int vf, int state) {
  m_hal.charge(m_p.admin_ns);
  if (!valid_vf(vf)) {
    log(lvl::dev_err, fmt::format("NDO set VF link - invalid VF identifier {}", vf));
    return -EINVAL;
  }
  const unsigned v = static_cast<unsigned>(vf);
  switch (state) {
    case IFLA_VF_LINK_STATE_ENABLE:
      log(lvl::dev_info, fmt::format("NDO set VF {} link state {} - not supported", vf, state));
      return 0;
    case IFLA_VF_LINK_STATE_DISABLE:
      log(lvl::dev_info, fmt::format("NDO set VF {} link state disable", vf));
      apply_vf_link_state(v, state);
      return 0;
    case IFLA_VF_LINK_STATE_AUTO:
      log(lvl::dev_info, fmt::format("NDO set VF {} link state auto", vf));
      apply_vf_link_state(v, state);
      return 0;
    default:
      log(lvl::dev_err, fmt::format("NDO set VF {} - invalid link state {}", vf, state));
      return -EINVAL;
  }
}

// ixgbe_ndo_set_vf_bw(): only a maximum, only at 10 Gb/s, between 11 Mb/s and the link.
int ixgbe_sriov::set_vf_rate(int vf, unsigned min_mbps, unsigned max_mbps, unsigned link_mbps) {
  m_hal.charge(m_p.admin_ns);
  if (!valid_vf(vf)) return -EINVAL;
  if (!link_mbps || link_mbps != 10000) return -EINVAL;
  if (min_mbps) return -EINVAL;
  if (max_mbps && (max_mbps <= 10 || max_mbps > link_mbps)) return -EINVAL;
  m_vf_rate_link_speed = link_mbps;
  m_vfs[static_cast<unsigned>(vf)].tx_rate = max_mbps;
  set_vf_rate_limit(static_cast<unsigned>(vf));
  return 0;
}

int ixgbe_sriov::set_vf_rss_query_en(int vf, bool on) {
  if (!valid_vf(vf)) return -EINVAL;
  m_vfs[static_cast<unsigned>(vf)].rss_query_enabled = on;
  return 0;
}

}  // namespace iovsim::fw
