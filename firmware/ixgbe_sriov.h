// The PF side of SR-IOV on the 82599/X540: the PF-VF mailbox service and the switch
// tables it shares with the PF's own filters. The logic of Linux 6.1's ixgbe_sriov.c
// (ixgbe_msg_task and the ndo_set_vf_* handlers) with the table management of
// ixgbe_main.c (mac_table, ixgbe_set_rx_mode, the VLAN filter helpers) and
// ixgbe_common.c (set_rar, set_vfta, anti-spoofing), written against a register HAL.
// On the 82599 and X540 Linux runs this in the PF driver, which instantiates it and
// calls it from its mailbox interrupt and its netdev hooks; the NIC model implements
// the registers. No SystemC here: firmware_sriov_test drives it with a fake HAL.
//
// MACs are 48-bit integers, the first octet in bits 47:40 (aa:bb:... = 0xaabb...).
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <string>
#include <vector>

#include "firmware/ixgbe_defs.h"

namespace iovsim::fw {

// What the service may use of the machine: the PF's BAR0, the kernel log, CPU time.
class nic_hal {
 public:
  virtual ~nic_hal() = default;
  virtual uint32_t read32(uint32_t offset) = 0;  // a register of the PF's BAR0
  virtual void write32(uint32_t offset, uint32_t value) = 0;
  // e_info / e_warn / e_err (netdev_*) against dev_info / dev_warn / dev_err.
  // dev_err: ixgbe_ndo_set_vf_link_state()'s refusals.
  enum class level { netdev_info, netdev_warn, netdev_err, dev_info, dev_warn, dev_err };
  // The text only, as Linux prints it (no prefix, no trailing newline; a "\n" inside stays).
  virtual void log(level l, const std::string& text) = 0;
  virtual void charge(uint64_t ns) = 0;  // CPU time the service spends
};

enum class ixgbe_mac_type { mac_82599, mac_x540 };  // ixgbe_mac_82599EB < ixgbe_mac_X540

// struct vf_data_storage (ixgbe.h), with what `ip link show` reports.
struct vf_data_storage {
  uint64_t mac = 0;  // vf_mac_addresses
  bool pf_set_mac = false;
  bool clear_to_send = false;
  uint16_t pf_vlan = 0, pf_qos = 0;  // port VLAN set by the administrator
  unsigned vlan_count = 0;           // VLANs the VF added by SET_VLAN (not in Linux: for reports)
  bool spoofchk_enabled = true;
  bool trusted = false;
  bool rss_query_enabled = false;
  int link_state = ixgbe::IFLA_VF_LINK_STATE_AUTO;
  bool link_enable = true;
  unsigned tx_rate = 0;  // Mb/s, 0 = unlimited
  uint32_t vf_api = ixgbe::mbox_api_10;
  uint32_t xcast_mode = ixgbe::XCAST_MODE_NONE;
  std::array<uint16_t, ixgbe::MAX_VF_MC_ENTRIES> mc_hashes{};
  unsigned num_mc_hashes = 0;
  unsigned max_frame = 0;  // the last SET_LPE accepted (0: none)
};

class ixgbe_sriov {
 public:
  struct params {
    ixgbe_mac_type mac_type = ixgbe_mac_type::mac_x540;
    unsigned num_rar = 128;       // receive addresses (82599/X540 data sheets; hw->mac.num_rar_entries)
    unsigned num_vlvf = 64;       // IXGBE_VLVF_ENTRIES
    unsigned mta_words = 128;     // hw->mac.mcft_size: 4096-bit multicast hash
    unsigned vft_size = 128;      // hw->mac.vft_size: 4096-bit VLAN filter
    unsigned mc_filter_type = 0;  // hw->mac.mc_filter_type: bits 47:36 of the address
    // Queues per pool; 0 = Linux's choice (ixgbe_set_sriov_queues(): 2 when the VFs and
    // the PF need more than 32 pools, else 4). 16 x 8 needs DCB, which is not modelled.
    unsigned queues_per_pool = 0;
    // The handler's own CPU work (its MMIO is timed by the HAL). Estimates, not
    // measurements: a few hundred instructions at ~3 GHz for a message's dispatch and
    // bookkeeping under vfs_lock; a table walk of ~128 entries per filter change.
    uint64_t msg_ns = 500;           // per mailbox message read and answered
    uint64_t filter_write_ns = 200;  // per switch-table change (mac_table/VLVF/MTA walk)
    uint64_t admin_ns = 1000;        // per ndo_set_vf_* call (locking, argument checks)
    uint64_t rx_mode_addr_ns = 20;   // per address set_rx_mode walks (uc/mc lists)
  };

  // Messages handled and refused (hw->mbx.stats and what Linux does not count).
  struct counters {
    std::array<uint64_t, 0x11> by_type{};  // messages read, by type (word 0 [15:0]) up to GET_LINK_STATE
    uint64_t other_type = 0;               // type past 0x10
    uint64_t acks = 0, nacks = 0;          // replies sent
    uint64_t unknown = 0;                  // "Unhandled Msg": NACKed
    uint64_t before_reset = 0;             // NACKed: the VF had not reset
    uint64_t ignored = 0;                  // ACK/NACK set in a request: dropped, as Linux does
    uint64_t lock_failures = 0;            // PFU did not read back
    uint64_t vf_acks = 0, pings = 0;
  };

  ixgbe_sriov(nic_hal& hal, const params& p);
  ixgbe_sriov(nic_hal& hal) : ixgbe_sriov(hal, params{}) {}

  // ---- PF bring-up and its own filters ------------------------------------------
  // ixgbe_reset()'s table part + ixgbe_configure_virtualization() + the default MAC
  // filter: RAR[0] = pf_mac in pool num_vfs, VT_CTL, GCR_EXT, PFVFRE/TE, loopback,
  // VMOLR, MRQC, each VF's anti-spoofing. Forgets every filter (VFs must reset).
  void configure(uint64_t pf_mac, unsigned num_vfs);
  // ixgbe_set_mac() -> ixgbe_mac_set_default_filter(): the PF's address in RAR 0.
  void set_default_filter(uint64_t pf_mac);
  // __ixgbe_enable_sriov() / ixgbe_disable_sriov(): per-VF state to defaults.
  void set_num_vfs(unsigned n);
  unsigned num_vfs() const { return m_num_vfs; }
  unsigned pf_pool() const { return m_num_vfs; }  // VMDQ_P(0)
  unsigned queues_per_pool() const;
  // __dev_uc_sync(ixgbe_uc_sync, ixgbe_uc_unsync): 0, or -ENOMEM when RARs ran out.
  int uc_sync(const std::vector<uint64_t>& uc_list);
  int available_rars() const;  // ixgbe_available_rars(adapter, VMDQ_P(0))
  // ixgbe_set_rx_mode(): FCTRL, the PF pool's VMOLR, the MTA (PF list + every VF's
  // hashes), the unicast list; true when it fell back to unicast promiscuous.
  bool set_rx_mode(bool promisc, bool allmulti, const std::vector<uint64_t>& mc_list,
                   const std::vector<uint64_t>& uc_list);
  bool uc_promisc_fallback() const { return m_uc_fallback; }
  bool vlan_promisc() const { return m_vlan_promisc; }
  // NETIF_F_HW_VLAN_CTAG_FILTER (ethtool -K rx-vlan-filter): off, the PF takes every
  // VLAN as in promiscuous mode. Reruns the receive mode.
  void set_vlan_filter_feature(bool on);
  void vlan_add(uint16_t vid);                       // ixgbe_vlan_rx_add_vid()
  void vlan_del(uint16_t vid);                       // ixgbe_vlan_rx_kill_vid()
  void set_pf_mtu(unsigned mtu) { m_pf_mtu = mtu; }  // the 82599's SET_LPE rules need it

  // ---- Mailbox -------------------------------------------------------------------
  unsigned service();  // ixgbe_msg_task(): returns the requests handled
  void ping_vf(unsigned vf);
  void ping_all_vfs();
  void pf_up();    // ixgbe_up_complete(): PFRSTD, every VF's RX/TX per its link state, pinged
  void pf_down();  // ixgbe_down(): every VF loses clear_to_send, RX/TX off, pinged
  void link_changed(bool up, unsigned mbps);  // watchdog: rate limits checked, VFs pinged
  void vf_flr(unsigned vf) {                  // ixgbe_check_for_rst(): a VF's FLR
    if (vf < m_num_vfs) vf_reset_event(vf);
  }

  // ---- Administrator (ndo_set_vf_*): 0 or -errno -------------------------------
  int set_vf_mac(int vf, uint64_t mac, bool pf_up);
  int set_vf_vlan(int vf, unsigned vlan, unsigned qos, uint16_t proto, bool pf_up);
  int set_vf_spoofchk(int vf, bool on);
  int set_vf_trust(int vf, bool on);
  int set_vf_link_state(int vf, int state);
  int set_vf_rate(int vf, unsigned min_mbps, unsigned max_mbps, unsigned link_mbps);
  int set_vf_rss_query_en(int vf, bool on);

  const vf_data_storage& vf(unsigned vf) const { return m_vfs.at(vf); }
  std::vector<uint64_t> vf_macvlans(unsigned vf) const;
  const counters& stats() const { return m_stats; }
  const params& config() const { return m_p; }

 private:
  struct mac_entry {
    uint64_t addr = 0;
    unsigned pool = 0;
    uint8_t state = 0;  // IXGBE_MAC_STATE_*
  };
  struct macvlan {
    int vf = -1;
    bool free = true;
    uint64_t addr = 0;
  };
  using msg = std::array<uint32_t, ixgbe::VFMAILBOX_SIZE>;

  uint32_t rd(uint32_t off) { return m_hal.read32(off); }
  void wr(uint32_t off, uint32_t v) { m_hal.write32(off, v); }
  void log(nic_hal::level l, const std::string& s) { m_hal.log(l, s); }
  bool valid_vf(int vf) const { return vf >= 0 && static_cast<unsigned>(vf) < m_num_vfs; }

  // mac_table (ixgbe_main.c) and the RAR helpers (ixgbe_common.c)
  int add_mac_filter(uint64_t addr, unsigned pool);
  int del_mac_filter(uint64_t addr, unsigned pool);
  void sync_mac_table(bool full);
  void set_rar(unsigned i, uint64_t addr, unsigned pool);
  void set_vmdq(unsigned i, unsigned pool);
  void clear_rar(unsigned i);
  void clear_vmdq_all(unsigned i);
  // VLAN tables
  int set_vfta(unsigned vlan, unsigned pool, bool on, bool bypass);
  int find_vlvf_slot(unsigned vlan, bool bypass);
  int find_vlvf_entry(unsigned vlan);
  void update_pf_promisc_vlvf(unsigned vid);
  void vlan_promisc_enable();
  void vlan_promisc_disable();
  void scrub_vfta(unsigned offset);
  // per-VF helpers (ixgbe_sriov.c)
  int set_vf_vlan_filter(bool add, unsigned vid, unsigned vf);
  void clear_vf_vlans(unsigned vf);
  void set_vmolr(unsigned vf, bool aupe);
  void set_vmvir(unsigned vid, unsigned qos, unsigned vf);
  void set_mac_anti_spoofing(bool on, unsigned vf);
  void set_vlan_anti_spoofing(bool on, unsigned vf);
  int set_vf_mac_filter(unsigned vf, uint64_t mac);
  int set_vf_macvlan(unsigned vf, unsigned index, uint64_t mac);
  void vf_reset_event(unsigned vf);
  void set_vf_rx_tx(unsigned vf);
  void write_qde(unsigned vf, uint32_t qde);
  void apply_vf_link_state(unsigned vf, int state);
  void set_vf_rate_limit(unsigned vf);
  void restore_vf_multicasts();
  void rx_mode();  // ixgbe_set_rx_mode() with the stored flags and lists
  int enable_port_vlan(unsigned vf, unsigned vlan, unsigned qos, bool pf_up);
  int disable_port_vlan(unsigned vf);
  // mailbox (ixgbe_sriov_mbx.cpp)
  bool check_for_bit(uint32_t mask, unsigned index);
  bool obtain_lock(unsigned vf);
  bool read_mbx(unsigned vf, msg& m);
  bool write_mbx(unsigned vf, const uint32_t* m, unsigned words);
  void rcv_msg_from_vf(unsigned vf);
  void rcv_ack_from_vf(unsigned vf);
  void vf_reset_msg(unsigned vf);
  int msg_set_mac_addr(const msg& m, unsigned vf);
  int msg_set_multicasts(const msg& m, unsigned vf);
  int msg_set_vlan(const msg& m, unsigned vf);
  int msg_set_lpe(uint32_t max_frame, unsigned vf);
  int msg_set_macvlan(const msg& m, unsigned vf);
  int msg_negotiate_api(const msg& m, unsigned vf);
  int msg_get_queues(msg& m, unsigned vf);
  int msg_update_xcast_mode(msg& m, unsigned vf);
  int msg_get_link_state(msg& m, unsigned vf);

  nic_hal& m_hal;
  params m_p;
  unsigned m_num_vfs = 0;
  uint64_t m_pf_mac = 0;
  bool m_pf_up = false;  // !__IXGBE_DOWN
  unsigned m_pf_mtu = 1500;
  std::vector<vf_data_storage> m_vfs;
  std::vector<mac_entry> m_mac_table;
  std::vector<macvlan> m_macvlans;  // adapter->vf_mvs
  std::bitset<4096> m_active_vlans;
  bool m_vlan_promisc = false;  // IXGBE_FLAG2_VLAN_PROMISC
  // set_rx_mode's inputs, kept for the reruns a VF reset makes
  bool m_promisc = false, m_allmulti = false, m_uc_fallback = false, m_vlan_filter = true;
  std::vector<uint64_t> m_mc_list, m_uc_list, m_uc_synced;
  bool m_link_up = false;
  unsigned m_link_mbps = 0, m_vf_rate_link_speed = 0;
  counters m_stats;
};

std::string format_mac(uint64_t mac);  // %pM: aa:bb:cc:dd:ee:ff (allow-nondeterminism: a MAC, not a pointer)

}  // namespace iovsim::fw
