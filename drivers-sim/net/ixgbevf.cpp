// ixgbevf: the 82599/X540 VF driver, Linux 6.1 (drivers/net/ethernet/intel/ixgbevf/
// ixgbevf_main.c: ixgbevf_probe, ixgbevf_sw_init, ixgbevf_negotiate_api,
// ixgbevf_open / ixgbevf_up_complete / ixgbevf_down / ixgbevf_reset,
// ixgbevf_set_rx_mode, ixgbevf_change_mtu / ixgbevf_configure_rx (set_rlpml),
// ixgbevf_msix_other and the watchdog's link check; vf.c for the messages).
//
// Everything the VF wants from the switch it asks the PF for over the mailbox: its
// MAC (SET_MAC_ADDR), its multicast hashes, its xcast mode (NONE / MULTI / ALLMULTI /
// PROMISC), its largest frame (SET_LPE), its extra unicast filters (SET_MACVLAN).
// The answers are ignored where ixgbevf ignores them: an untrusted VF that asks for
// promiscuous mode believes it has it while the PF granted MULTI.
//
// Reset: a PF that resets (RSTD/RSTI in VFMAILBOX) or tells the VF it must (a PF
// control message without CTS: its interface went down, the administrator changed
// the VF's trust or link state) takes the VF's link down and makes it reset and
// configure again, as ixgbevf's watchdog does (ixgbevf_check_mac_link_vf(),
// ixgbevf_reset_subtask()). Simplification: Linux's watchdog polls every 2 s; here
// the VF acts when the PF next talks (ixgbe_up_complete() restarts every VF with a
// ping without CTS, and the PF pings them when its link changes), so a PF that stays
// down costs no events. A reset the PF did not answer still leaves the VF running
// with its mailbox vector armed (ixgbevf_reinit_locked() brings it up regardless),
// so that next message is heard.
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <memory>

#include "drivers-sim/net/intel.h"
#include "drivers-sim/net/ixgbe_hw.h"
#include "drivers-sim/net/ixgbe_mbx.h"

namespace iovsim::host {

namespace {
using namespace ixgbe_hw;

constexpr unsigned ETH_HLEN = 14, ETH_FCS_LEN = 4;

// ixgbevf_mta_vector() with mc_filter_type 0 (what the PF reports in RESET's word 3):
// bits 47:36 of the address.
uint16_t mta_vector(uint64_t mac) {
  const auto b4 = static_cast<uint16_t>((mac >> 8) & 0xff), b5 = static_cast<uint16_t>(mac & 0xff);
  return static_cast<uint16_t>(((b4 >> 4) | (b5 << 4)) & 0xfff);
}

class ixgbevf_driver final : public intel_vf_driver {
 public:
  using intel_vf_driver::intel_vf_driver;

  int probe(pci_dev& dev) override {
    enable_device(dev);
    vf_state& st = m_vf[&dev];
    st.mbx = std::make_unique<ixgbevf_mailbox>(m_env.pci.hw(), bar0(dev));
    // ixgbevf_sw_init(): reset_hw over the mailbox, the API, then the MAC the PF
    // handed out.
    uint64_t mac = 0;
    ixgbevf_mailbox::result r = ixgbevf_mailbox::result::reset_failed;
    if (dev.bars[0].assigned) {
      ixgbevf_mailbox_guard g(*st.mbx);
      r = st.mbx->reset_hw(mac);
      if (r == ixgbevf_mailbox::result::ok || r == ixgbevf_mailbox::result::nack) st.mbx->negotiate_api();
    }
    st.reset_ok = r == ixgbevf_mailbox::result::ok || r == ixgbevf_mailbox::result::nack;
    if (!st.reset_ok)
      info(dev, "PF still in reset state.  Is the PF interface up?");
    else if (!mac)
      info(dev, "MAC address not assigned by administrator.");
    // hw->mac.perm_addr from RESET's ACK, hw->mac.addr from it (ixgbevf_get_mac_addr_vf).
    if (!mac) {
      info(dev, "Assigning random MAC address");
      mac = m_env.net.random_mac();
    }
    st.hw_addr = st.perm_addr = mac;
    netdev& nd = m_env.net.register_netdev(dev, name(), mac, *this);
    nd.rx_csum_offload = true;                   // ixgbevf_probe(): NETIF_F_RXCSUM
    nd.unicast_flt = true;                       // IFF_UNICAST_FLT: SET_MACVLAN
    nd.max_mtu = 9728 - ETH_HLEN - ETH_FCS_LEN;  // IXGBE_MAX_JUMBO_FRAME_SIZE - (ETH_HLEN + ETH_FCS_LEN)
    // After register_netdev: the MAC, the board (ixgbevf_pci_tbl: board_82599_vf = 1,
    // board_X540_vf = 2) and its name.
    info(dev, format_mac(nd.mac));
    const bool x540 = dev.device == 0x1515;  // IXGBE_DEV_ID_X540_VF
    info(dev, fmt::format("MAC: {}", x540 ? 2 : 1));
    info(dev, x540 ? "Intel(R) X540 Virtual Function" : "Intel(R) 82599 Virtual Function");
    return 0;
  }

  void remove(pci_dev& dev) override {
    if (netdev* nd = m_env.net.of(dev)) free_other(*nd);
    drop_datapath(dev);
    m_vf.erase(&dev);
    intel_vf_driver::remove(dev);
  }

  // ixgbevf_open() -> ixgbevf_up_complete(): rings and vectors, the mailbox vector,
  // the switch configured through the PF (ixgbevf_configure: rx mode, SET_LPE), then
  // set_rar (SET_MAC_ADDR) so the switch sends the VF its frames.
  int open(netdev& nd) override {
    vf_state* st = state(nd);
    // hw->adapter_stopped: the last reset got no answer; one more try, then refuse
    // with IXGBE_ERR_MBX (-5: "Input/output error" to the user).
    if (st && !st->reset_ok) {
      reset(nd);
      if (!st->reset_ok) {
        m_env.log.print("ixgbevf: Unable to start - perhaps the PF Driver isn't up yet");
        return -EIO;
      }
    }
    if (ixgbe_datapath* dp = datapath(nd, true); dp && st) {
      if (int err = dp->up(0, 1)) return err;
      request_other(nd, *st, *dp);
      configure(nd, *st);
    }
    const int err = intel_vf_driver::open(nd);
    link_up_message(nd);
    return err;
  }

  int stop(netdev& nd) override {
    down(nd);
    return intel_vf_driver::stop(nd);
  }

  // ixgbevf_change_mtu(): a running interface is reinitialised with buffers for the
  // new size, and ixgbevf_configure_rx() asks the PF for the frame size (SET_LPE).
  int change_mtu(netdev& nd, unsigned mtu) override {
    ixgbe_datapath* dp = datapath_of(*nd.dev);
    const bool running = nd.admin_up && dp && dp->is_up();
    if (running) dp->down();
    nd.mtu = mtu;
    if (!running) return 0;
    if (int err = dp->up(0, 1)) return err;
    if (vf_state* st = state(nd)) set_lpe(nd, *st);
    return 0;
  }

  // ixgbevf_set_rx_mode(): the most inclusive mode the flags need, the multicast
  // list and the unicast list, each a message; answers ignored, as ixgbevf does.
  void set_rx_mode(netdev& nd) override {
    vf_state* st = state(nd);
    if (!st || !nd.admin_up || !st->reset_ok) return;
    ixgbevf_mailbox_guard g(*st->mbx);
    int mode = XCAST_MODE_MULTI;  // IFF_BROADCAST | IFF_MULTICAST
    if (nd.promiscuity)
      mode = XCAST_MODE_PROMISC;
    else if (nd.allmulti)
      mode = XCAST_MODE_ALLMULTI;
    int granted = -1;
    st->mbx->update_xcast_mode(mode, granted);
    st->xcast_granted = granted;
    std::vector<uint16_t> hashes;
    for (const netdev_hw_addr& a : nd.mc) hashes.push_back(mta_vector(a.addr));
    st->mbx->set_multicast(hashes);
    // ixgbevf_write_uc_addr_list(): index 1.. for each address, index 0 to clear.
    if (nd.uc.empty()) {
      st->mbx->set_macvlan(0, 0);
    } else {
      unsigned index = 0;
      for (const netdev_hw_addr& a : nd.uc) {
        st->mbx->set_macvlan(++index, a.addr);
        sc_core::wait(sc_core::sc_time(200, sc_core::SC_US));  // udelay(200) between them
      }
    }
  }

  // ixgbevf_vlan_rx_add_vid(): the PF must put the VF's pool in the VLAN (SET_VLAN);
  // a refusal (an administrator's port VLAN, a full VLVF table) is -EACCES, no
  // answer -EIO, each said.
  int vlan_rx_add_vid(netdev& nd, uint16_t /*proto*/, uint16_t vid) override {
    vf_state* st = state(nd);
    if (!st) return -ENODEV;
    ixgbevf_mailbox::result r;
    {
      ixgbevf_mailbox_guard g(*st->mbx);
      r = st->mbx->set_vlan(vid, true);
    }
    if (r != ixgbevf_mailbox::result::ok) {
      m_env.net.info(nd, fmt::format("VF could not set VLAN {}", vid));
      return r == ixgbevf_mailbox::result::nack ? -EACCES : -EIO;
    }
    if (std::find(st->active_vlans.begin(), st->active_vlans.end(), vid) == st->active_vlans.end())
      st->active_vlans.push_back(vid);
    return 0;
  }
  // ixgbevf_vlan_rx_kill_vid(): SET_VLAN off; the VLAN leaves the list either way.
  int vlan_rx_kill_vid(netdev& nd, uint16_t /*proto*/, uint16_t vid) override {
    vf_state* st = state(nd);
    if (!st) return -ENODEV;
    ixgbevf_mailbox::result r;
    {
      ixgbevf_mailbox_guard g(*st->mbx);
      r = st->mbx->set_vlan(vid, false);
    }
    if (r != ixgbevf_mailbox::result::ok) m_env.net.info(nd, fmt::format("Could not remove VLAN {}", vid));
    st->active_vlans.erase(std::remove(st->active_vlans.begin(), st->active_vlans.end(), vid), st->active_vlans.end());
    return 0;
  }

  // ixgbevf_set_mac(): the PF must take the address (SET_MAC_ADDR); a refusal (an
  // administrator's MAC, an untrusted VF) is -EPERM.
  int set_mac_address(netdev& nd, uint64_t mac) override {
    if (!net_core::valid_ether_addr(mac)) return -EADDRNOTAVAIL;
    vf_state* st = state(nd);
    if (!st) return -ENODEV;
    ixgbevf_mailbox_guard g(*st->mbx);
    if (st->mbx->set_mac(mac) != ixgbevf_mailbox::result::ok) return -EPERM;
    nd.mac = mac;
    return 0;
  }

 private:
  struct vf_state {
    std::unique_ptr<ixgbevf_mailbox> mbx;
    unsigned other_vector = 0;  // the mailbox vector (ixgbevf_msix_other)
    bool reset_ok = false;      // the last reset got an answer from the PF
    bool link_enabled = true;   // GET_LINK_STATE
    int xcast_granted = -1;
    bool reinit_running = false;
    uint64_t hw_addr = 0;    // hw->mac.addr: what the netdev uses and set_rar registers
    uint64_t perm_addr = 0;  // hw->mac.perm_addr: the PF's last RESET ACK
    std::vector<uint16_t> active_vlans;  // adapter->active_vlans, in the order added
  };

  vf_state* state(const netdev& nd) {
    auto it = nd.dev ? m_vf.find(nd.dev) : m_vf.end();
    return it == m_vf.end() ? nullptr : &it->second;
  }

  // ixgbevf_configure() and ixgbevf_up_complete(): rx mode, frame size, MAC.
  void configure(netdev& nd, vf_state& st) {
    set_rx_mode(nd);
    // ixgbevf_restore_vlan(): every VLAN a VLAN device asked for, again after a reset.
    for (const uint16_t vid : std::vector<uint16_t>(st.active_vlans)) vlan_rx_add_vid(nd, ETH_P_8021Q, vid);
    set_lpe(nd, st);
    ixgbevf_mailbox_guard g(*st.mbx);
    // ixgbevf_up_complete(): set_rar with hw->mac.addr (perm_addr if that is not valid);
    // a PF that holds an administrator MAC refuses another one (and says so).
    st.mbx->set_mac(st.hw_addr ? st.hw_addr : st.perm_addr);
    if (st.mbx->api() >= MBOX_API_12) st.mbx->get_link_state(st.link_enabled);
  }

  void set_lpe(netdev& nd, vf_state& st) {
    ixgbevf_mailbox_guard g(*st.mbx);
    if (st.mbx->set_lpe(nd.mtu + ETH_HLEN + ETH_FCS_LEN) == ixgbevf_mailbox::result::nack)
      info(*nd.dev, fmt::format("Failed to set MTU at {}", nd.mtu));
  }

  // ixgbevf_down(): the data path stops, then ixgbevf_reset(): reset_hw, the API
  // again, and the MAC the PF handed out, if it handed out one (the administrator's).
  void down(netdev& nd) {
    free_other(nd);
    if (ixgbe_datapath* dp = datapath_of(*nd.dev)) dp->down();
    reset(nd);
  }

  // ixgbevf_reset(): RESET's ACK updates only hw->mac.perm_addr (ixgbevf_reset_hw_vf);
  // the netdev takes hw->mac.addr, the address it already had. So an administrator MAC
  // set while the driver is bound reaches the netdev only at the next probe
  // (ixgbevf_sw_init -> get_mac_addr): "Reload the VF driver", not ifdown/ifup.
  void reset(netdev& nd) {
    vf_state* st = state(nd);
    if (!st || !nd.dev->bars[0].assigned) return;
    uint64_t mac = 0;
    ixgbevf_mailbox_guard g(*st->mbx);
    const ixgbevf_mailbox::result r = st->mbx->reset_hw(mac);
    st->reset_ok = r == ixgbevf_mailbox::result::ok || r == ixgbevf_mailbox::result::nack;
    if (st->reset_ok) st->mbx->negotiate_api();  // hw_dbg "PF still resetting" otherwise
    if (mac) st->perm_addr = mac;
    if (st->hw_addr) nd.mac = st->hw_addr;  // eth_hw_addr_set(netdev, hw->mac.addr)
  }

  // The mailbox vector: entry after the queue vectors, VTIVAR_MISC, VTEIMS.
  void request_other(netdev& nd, vf_state& st, ixgbe_datapath& dp) {
    std::weak_ptr<bool> alive = m_alive;
    pci_dev* dev = nd.dev;
    st.other_vector = m_env.irq->request_irq(nd.name, [this, alive, dev] {
      if (!alive.expired() && *alive.lock()) msix_other(*dev);
    });
    if (!st.other_vector) return;
    const unsigned entry = dp.queues();
    dp.program_msix_entry(entry, st.other_vector, false);
    write(*dev, VTIVAR_MISC, entry | IVAR_ALLOC_VAL);
    write(*dev, VTEIMS, 1u << entry);
  }

  void free_other(netdev& nd) {
    vf_state* st = state(nd);
    if (!st || !st->other_vector) return;
    if (ixgbe_datapath* dp = datapath_of(*nd.dev)) {
      write(*nd.dev, VTEIMC, 1u << dp->queues());
      dp->program_msix_entry(dp->queues(), 0, true);
    }
    m_env.irq->free_irq(st->other_vector);
    st->other_vector = 0;
  }

  // ixgbevf_msix_other() and the watchdog's ixgbevf_check_mac_link_vf(): a reset of
  // the PF, or a PF message without CTS, means the VF must reset and configure again
  // (ixgbevf_reinit_locked()).
  void msix_other(pci_dev& dev) {
    netdev* nd = m_env.net.of(dev);
    vf_state* st = nd ? state(*nd) : nullptr;
    if (!st || !nd->admin_up || st->reinit_running) return;
    bool must_reset = false;
    {
      ixgbevf_mailbox_guard g(*st->mbx);
      must_reset = st->mbx->check_for_rst();
      mbx_msg msg{};
      if (st->mbx->read_pf_message(msg) && !(msg[0] & VT_MSGTYPE_CTS)) must_reset = true;
    }
    if (st->other_vector) write(dev, VTEIMS, 1u << (datapath_of(dev) ? datapath_of(dev)->queues() : 1));
    if (!must_reset) return;
    st->reinit_running = true;
    m_env.net.set_carrier(*nd, false);
    ixgbe_datapath* dp = datapath_of(dev);
    if (dp) dp->down();
    reset(*nd);
    // ixgbevf_reinit_locked(): ixgbevf_up() follows ixgbevf_down() whether or not the
    // PF answered the reset; ixgbevf_configure_msix() re-arms the mailbox vector the
    // VF reset cleared, so the PF's next message (its ping when it is back) is heard.
    if (dp && nd->admin_up && dp->up(0, 1) == 0) {
      write(dev, VTIVAR_MISC, dp->queues() | IVAR_ALLOC_VAL);
      write(dev, VTEIMS, 1u << dp->queues());
      if (st->reset_ok) {
        configure(*nd, *st);
        intel_vf_driver::open(*nd);  // carrier as the PF's, while the administrator lets it
        if (!st->link_enabled) m_env.net.set_carrier(*nd, false);
        link_up_message(*nd);
      }
    }
    st->reinit_running = false;
  }

  // ixgbevf_open() and ixgbevf_down() turn the carrier off; the watchdog's first run
  // after ixgbevf_up_complete() finds the PF's link and says so
  // (ixgbevf_watchdog_link_is_up). Link changes while the VF runs: update_vf_carriers.
  void link_up_message(netdev& nd) {
    if (nd.carrier) info(*nd.dev, "NIC Link is Up 10 Gbps");
  }

  void write(const pci_dev& dev, uint32_t off, uint32_t v) { m_env.pci.hw().mmio_write(bar0(dev) + off, 4, v); }

  std::map<const pci_dev*, vf_state> m_vf;
};
}  // namespace

const intel_module_info& ixgbevf_module() {
  static const intel_module_info m{"ixgbevf",
                                   true,
                                   "Intel(R) 10 Gigabit PCI Express Virtual Function Network Driver",
                                   "Copyright (c) 2009 - 2018 Intel Corporation.",
                                   {},
                                   [](intel_env& env) -> std::unique_ptr<intel_driver> {
                                     return std::make_unique<ixgbevf_driver>(ixgbevf_module(), env);
                                   }};
  return m;
}

}  // namespace iovsim::host
