// The PF-VF mailbox as the drivers drive it (REFERENCE.md section 4): the VF side of
// ixgbevf (mbx.c, vf.c ixgbevf_reset_hw_vf / ixgbevf_set_rar_vf) and the PF side of
// ixgbe (ixgbe_mbx.c, ixgbe_sriov.c ixgbe_msg_task / ixgbe_rcv_msg_from_vf). The PF
// side runs in the PF driver, as in Linux: a VF whose PF interface is down gets no
// answer (the PF's mailbox interrupt is requested by ixgbe_open) and reads RSTI until
// the PF driver sets CTRL_EXT.PFRSTD. The next issue moves the PF side into the NIC's
// firmware with the whole message set; here it knows RESET and SET_MAC_ADDR and
// refuses the rest (NACK), as a PF that does not know a message does.
//
// Every mailbox access is an MMIO read or write through the host bus, so it pays the
// link's latency; the VF polls as ixgbevf does (udelay between reads).
#pragma once

#include <array>
#include <cstdint>

#include "platform/hal/host_bus.h"

namespace iovsim::host {

using mbx_msg = std::array<uint32_t, 16>;

// The VF's side. Must be called from a SystemC thread (it waits between polls).
class ixgbevf_mailbox {
 public:
  ixgbevf_mailbox(platform::host_bus& bus, uint64_t bar0) : m_bus(bus), m_bar0(bar0) {}

  enum class result { ok, reset_failed, timeout, nack };
  // ixgbevf_reset_hw_vf(): VFCTRL.RST, wait for the reset to finish (RSTI clear: the
  // PF is ready), send RESET, read the reply. `mac` is the PF's MAC for us when it
  // answered ACK (assigned by the administrator), 0 after a NACK.
  result reset_hw(uint64_t& mac);
  // ixgbevf_set_rar_vf(): SET_MAC_ADDR; ok when the PF took it.
  result set_mac(uint64_t mac);

 private:
  // One message out (lock, words, REQ, wait for the PF's ACK) and the reply in.
  result request(const uint32_t* msg, unsigned words, mbx_msg& reply, unsigned reply_words);
  bool post(const uint32_t* msg, unsigned words);
  bool read_reply(mbx_msg& reply, unsigned words);
  uint32_t read_v2p();
  bool check_bit(uint32_t mask);
  bool poll(uint32_t mask);

  platform::host_bus& m_bus;
  uint64_t m_bar0;
  uint32_t m_v2p = 0;  // read-to-clear bits seen and not yet consumed (hw->mbx.v2p_mailbox)
};

// The PF's primitives (ixgbe_mbx.c *_pf): read a VF's message (and ACK it), write a
// reply (STS), the pending requests.
class ixgbe_pf_mailbox {
 public:
  ixgbe_pf_mailbox(platform::host_bus& bus, uint64_t bar0) : m_bus(bus), m_bar0(bar0) {}
  // VFs with a message waiting (PFMBICR VFREQ), the bits cleared.
  uint64_t take_requests();
  bool read(unsigned vf, mbx_msg& msg);
  bool write(unsigned vf, const uint32_t* msg, unsigned words);

 private:
  bool lock(unsigned vf);
  platform::host_bus& m_bus;
  uint64_t m_bar0;
};

}  // namespace iovsim::host
