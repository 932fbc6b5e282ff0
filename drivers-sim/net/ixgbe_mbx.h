// The PF-VF mailbox as the VF driver drives it (REFERENCE.md section 4; ixgbevf mbx.c,
// vf.c). The PF side, primitives and messages, is firmware/ixgbe_sriov, run by the PF
// driver as Linux runs ixgbe_mbx.c and ixgbe_sriov.c: a VF whose PF interface is down gets no
// answer (the PF's mailbox interrupt is requested by ixgbe_open) and reads RSTI until
// the PF driver sets CTRL_EXT.PFRSTD.
//
// Every mailbox access is an MMIO read or write through the host bus, so it pays the
// link's latency; the VF polls as ixgbevf does (udelay between reads).
#pragma once

#include <array>
#include <cstdint>
#include <systemc>
#include <vector>

#include "platform/hal/host_bus.h"

namespace iovsim::host {

using mbx_msg = std::array<uint32_t, 16>;

// The VF's side (ixgbevf mbx.c, vf.c). One object per VF, kept as long as the driver
// is bound: it holds what the read-to-clear bits showed (hw->mbx.v2p_mailbox) and the
// mailbox lock (adapter->mbx_lock), so an interrupt handler looking for the PF's
// messages and a request in flight do not steal each other's bits. Every call must
// come from a SystemC thread (it waits between polls).
class ixgbevf_mailbox {
 public:
  ixgbevf_mailbox(platform::host_bus& bus, uint64_t bar0) : m_bus(bus), m_bar0(bar0) {}

  enum class result { ok, reset_failed, timeout, nack };
  // ixgbevf_reset_hw_vf(): VFCTRL.RST, wait for the reset to finish (RSTI clear: the
  // PF is ready), send RESET, read the reply. `mac` is the PF's MAC for us when it
  // answered ACK (assigned by the administrator), 0 after a NACK. The API falls back
  // to 1.0 (a reset forgets the negotiated one).
  result reset_hw(uint64_t& mac);
  // ixgbevf_set_rar_vf(): SET_MAC_ADDR; ok when the PF took it.
  result set_mac(uint64_t mac);
  // ixgbevf_negotiate_api(): the newest API the PF accepts, 1.4 down to 1.0.
  result negotiate_api();
  int api() const { return m_api; }
  // ixgbevf_get_queues(): queues and traffic classes (API 1.1 and later).
  result get_queues(unsigned& tx, unsigned& rx, unsigned& num_tcs, unsigned& def_queue);
  // ixgbevf_update_mc_addr_list_vf(): up to 30 MTA hashes of the multicast list.
  result set_multicast(const std::vector<uint16_t>& hashes);
  // ixgbevf_set_vfta_vf(): a VLAN filter on or off.
  result set_vlan(unsigned vid, bool on);
  // ixgbevf_set_rlpml_vf(): the largest frame (MTU + header + FCS).
  result set_lpe(unsigned max_frame);
  // ixgbevf_set_uc_addr_vf(): MACVLAN filter `index` (1..) to `mac`; index 0 clears them all.
  result set_macvlan(unsigned index, uint64_t mac);
  // ixgbevf_update_xcast_mode(): NONE, MULTI, ALLMULTI, PROMISC (API 1.2 and later;
  // `nack` for an older API, as -EOPNOTSUPP). `granted` is what the PF answered with.
  result update_xcast_mode(int mode, int& granted);
  // ixgbevf_get_link_state(): whether the administrator lets the VF's link up (API 1.2+).
  result get_link_state(bool& enabled);

  // The PF's own message, if one is waiting (PFSTS): read and acknowledged.
  bool read_pf_message(mbx_msg& msg);
  // ixgbevf_check_for_rst_vf(): the PF reset us (RSTD) or is in reset (RSTI).
  bool check_for_rst();

  // adapter->mbx_lock: one user at a time, waiting for the others.
  void lock();
  void unlock();

 private:
  // One message out (lock, words, REQ, wait for the PF's ACK) and the reply in.
  result request(const uint32_t* msg, unsigned words, mbx_msg& reply, unsigned reply_words);
  // request() and the reply's type check: ok for ACK, nack for NACK, timeout otherwise.
  result exchange(const uint32_t* msg, unsigned words, mbx_msg& reply, unsigned reply_words);
  bool post(const uint32_t* msg, unsigned words);
  bool read_reply(mbx_msg& reply, unsigned words);
  uint32_t read_v2p();
  bool check_bit(uint32_t mask);
  bool poll(uint32_t mask);

  platform::host_bus& m_bus;
  uint64_t m_bar0;
  uint32_t m_v2p = 0;  // read-to-clear bits seen and not yet consumed (hw->mbx.v2p_mailbox)
  int m_api = 0;       // hw->api_version (ixgbe_mbox_api_10)
  bool m_busy = false;
  sc_core::sc_event m_free;
};

class ixgbevf_mailbox_guard {
 public:
  explicit ixgbevf_mailbox_guard(ixgbevf_mailbox& m) : m_m(m) { m_m.lock(); }
  ~ixgbevf_mailbox_guard() { m_m.unlock(); }
  ixgbevf_mailbox_guard(const ixgbevf_mailbox_guard&) = delete;
  ixgbevf_mailbox_guard& operator=(const ixgbevf_mailbox_guard&) = delete;

 private:
  ixgbevf_mailbox& m_m;
};

}  // namespace iovsim::host
