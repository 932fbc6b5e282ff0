#include "drivers-sim/net/ixgbe_mbx.h"

#include <algorithm>
#include <systemc>

#include "drivers-sim/net/ixgbe_hw.h"

namespace iovsim::host {

using namespace ixgbe_hw;

namespace {
sc_core::sc_time us(unsigned n) { return sc_core::sc_time(n, sc_core::SC_US); }
uint32_t rd(platform::host_bus& b, uint64_t a) { return static_cast<uint32_t>(b.mmio_read(a, 4)); }
void wr(platform::host_bus& b, uint64_t a, uint32_t v) { b.mmio_write(a, 4, v); }
}  // namespace

// ---- VF --------------------------------------------------------------------------------

// ixgbevf_read_v2p_mailbox(): PFSTS, PFACK and RSTD clear when read, so the driver
// keeps what it saw until it checks for it.
uint32_t ixgbevf_mailbox::read_v2p() {
  const uint32_t v = rd(m_bus, m_bar0 + VFMAILBOX) | m_v2p;
  m_v2p |= v & VFMAILBOX_R2C_BITS;
  return v;
}

bool ixgbevf_mailbox::check_bit(uint32_t mask) {
  const bool set = read_v2p() & mask;
  m_v2p &= ~mask;
  return set;
}

// ixgbevf_poll_for_msg / _ack: IXGBE_VF_MBX_INIT_TIMEOUT reads, IXGBE_VF_MBX_INIT_DELAY apart.
bool ixgbevf_mailbox::poll(uint32_t mask) {
  for (unsigned n = 0; n < VF_MBX_INIT_TIMEOUT; ++n) {
    if (check_bit(mask)) return true;
    sc_core::wait(us(VF_MBX_INIT_DELAY_US));
  }
  return false;
}

// Takes the buffer (VFU), drops stale status bits, writes the message, posts it (REQ).
// ixgbevf_obtain_mbx_lock_vf(): the PF may hold the buffer (PFU, a message of its own
// on the way), so the VF asks again, mbx->timeout times, mbx->udelay apart.
bool ixgbevf_mailbox::post(const uint32_t* msg, unsigned words) {
  bool owned = false;
  for (unsigned n = 0; n < VF_MBX_INIT_TIMEOUT && !owned; ++n) {
    wr(m_bus, m_bar0 + VFMAILBOX, VFMAILBOX_VFU);
    owned = read_v2p() & VFMAILBOX_VFU;
    if (!owned) sc_core::wait(us(VF_MBX_INIT_DELAY_US));
  }
  if (!owned) return false;
  check_bit(VFMAILBOX_PFSTS | VFMAILBOX_PFACK);  // stale bits from an earlier exchange
  for (unsigned i = 0; i < words; ++i) wr(m_bus, m_bar0 + VFMBMEM + 4 * i, msg[i]);
  wr(m_bus, m_bar0 + VFMAILBOX, VFMAILBOX_REQ);
  return true;
}

// Waits for the PF's message (PFSTS), reads it and acknowledges it (which frees the buffer).
bool ixgbevf_mailbox::read_reply(mbx_msg& reply, unsigned words) {
  if (!poll(VFMAILBOX_PFSTS)) return false;
  wr(m_bus, m_bar0 + VFMAILBOX, VFMAILBOX_VFU);
  for (unsigned i = 0; i < words; ++i) reply[i] = rd(m_bus, m_bar0 + VFMBMEM + 4 * i);
  wr(m_bus, m_bar0 + VFMAILBOX, VFMAILBOX_ACK);
  return true;
}

ixgbevf_mailbox::result ixgbevf_mailbox::request(const uint32_t* msg, unsigned words, mbx_msg& reply,
                                                 unsigned reply_words) {
  if (!post(msg, words) || !poll(VFMAILBOX_PFACK) || !read_reply(reply, reply_words)) return result::timeout;
  return result::ok;
}

// ixgbevf_write_msg_read_ack() and the callers' check of the reply: the type of the
// request back with ACK, or NACK (IXGBE_VT_MSGTYPE_FAILURE); CTS is ignored.
ixgbevf_mailbox::result ixgbevf_mailbox::exchange(const uint32_t* msg, unsigned words, mbx_msg& reply,
                                                  unsigned reply_words) {
  const result r = request(msg, words, reply, reply_words);
  if (r != result::ok) return r;
  // The type must be the request's (the info field may come back, as SET_VLAN's
  // does); then NACK (FAILURE) or ACK (SUCCESS).
  if ((reply[0] & 0xffff) != (msg[0] & 0xffff)) return result::timeout;  // a ping in between: IXGBE_ERR_MBX
  if (reply[0] & VT_MSGTYPE_NACK) return result::nack;
  return (reply[0] & VT_MSGTYPE_ACK) ? result::ok : result::timeout;
}

void ixgbevf_mailbox::lock() {
  while (m_busy) sc_core::wait(m_free);
  m_busy = true;
}

void ixgbevf_mailbox::unlock() {
  m_busy = false;
  m_free.notify(sc_core::SC_ZERO_TIME);
}

ixgbevf_mailbox::result ixgbevf_mailbox::reset_hw(uint64_t& mac) {
  mac = 0;
  m_v2p = 0;
  m_api = MBOX_API_10;  // ixgbevf_reset_hw_vf(): hw->api_version = ixgbe_mbox_api_10
  wr(m_bus, m_bar0 + VFCTRL, CTRL_RST);
  // "we cannot reset while the RSTI / RSTD bits are asserted": RSTD clears when read,
  // RSTI stays while the PF driver is not ready.
  unsigned timeout = VF_INIT_TIMEOUT;
  while (check_bit(VFMAILBOX_RSTD | VFMAILBOX_RSTI) && timeout) {
    --timeout;
    sc_core::wait(us(VF_INIT_POLL_US));
  }
  if (!timeout) return result::reset_failed;
  // ixgbevf_reset_hw_vf() writes RESET, then mdelay(10) before reading the reply.
  const uint32_t msg = VF_RESET;
  if (!post(&msg, 1)) return result::timeout;
  sc_core::wait(sc_core::sc_time(10, sc_core::SC_MS));
  mbx_msg reply{};
  if (!read_reply(reply, VF_PERMADDR_MSG_LEN)) return result::timeout;
  if (reply[0] == (VF_RESET | VT_MSGTYPE_ACK)) {
    // The MAC in words 1 and 2, first octet lowest.
    for (unsigned b = 0; b < 6; ++b) mac = mac << 8 | ((reply[1 + b / 4] >> (8 * (b % 4))) & 0xff);
    return result::ok;
  }
  return reply[0] == (VF_RESET | VT_MSGTYPE_NACK) ? result::nack : result::timeout;
}

namespace {
// A MAC in mailbox words from `at`, first octet lowest (memcpy of the address).
void put_mac(uint32_t* words, uint64_t mac) {
  words[0] = words[1] = 0;
  for (unsigned b = 0; b < 6; ++b) words[b / 4] |= static_cast<uint32_t>((mac >> (40 - 8 * b)) & 0xff) << (8 * (b % 4));
}
}  // namespace

ixgbevf_mailbox::result ixgbevf_mailbox::set_mac(uint64_t mac) {
  uint32_t msg[3] = {VF_SET_MAC_ADDR, 0, 0};
  put_mac(msg + 1, mac);
  mbx_msg reply{};
  return exchange(msg, 3, reply, 3);
}

ixgbevf_mailbox::result ixgbevf_mailbox::negotiate_api() {
  // ixgbevf_negotiate_api(): the newest first; the first the PF ACKs is kept.
  for (const int api : {MBOX_API_14, MBOX_API_13, MBOX_API_12, MBOX_API_11, MBOX_API_10}) {
    const uint32_t msg[3] = {VF_API_NEGOTIATE, static_cast<uint32_t>(api), 0};
    mbx_msg reply{};
    const result r = exchange(msg, 3, reply, 3);
    if (r == result::ok) {
      m_api = api;
      return r;
    }
    if (r == result::timeout) return r;
  }
  return result::nack;
}

ixgbevf_mailbox::result ixgbevf_mailbox::get_queues(unsigned& tx, unsigned& rx, unsigned& num_tcs,
                                                    unsigned& def_queue) {
  if (m_api < MBOX_API_11 || m_api == MBOX_API_20) return result::nack;
  const uint32_t msg[VF_GET_QUEUES_LEN] = {VF_GET_QUEUES, 0, 0, 0, 0};
  mbx_msg reply{};
  const result r = exchange(msg, VF_GET_QUEUES_LEN, reply, VF_GET_QUEUES_LEN);
  if (r != result::ok) return r;
  tx = reply[VF_TX_QUEUES];
  rx = reply[VF_RX_QUEUES];
  num_tcs = reply[VF_TRANS_VLAN];
  def_queue = reply[VF_DEF_QUEUE];
  return r;
}

ixgbevf_mailbox::result ixgbevf_mailbox::set_multicast(const std::vector<uint16_t>& hashes) {
  // The count in the info field, the 12-bit hashes packed two to a word after it.
  const auto n = static_cast<uint32_t>(std::min<size_t>(hashes.size(), VF_MAX_MC_ENTRIES));
  uint32_t msg[MBX_WORDS] = {VF_SET_MULTICAST | n << VT_MSGINFO_SHIFT};
  for (uint32_t i = 0; i < n; ++i) msg[1 + i / 2] |= uint32_t{hashes[i]} << (16 * (i % 2));
  mbx_msg reply{};
  return exchange(msg, MBX_WORDS, reply, 1);
}

ixgbevf_mailbox::result ixgbevf_mailbox::set_vlan(unsigned vid, bool on) {
  const uint32_t msg[2] = {VF_SET_VLAN | (on ? 1u : 0u) << VT_MSGINFO_SHIFT, vid};
  mbx_msg reply{};
  return exchange(msg, 2, reply, 2);
}

ixgbevf_mailbox::result ixgbevf_mailbox::set_lpe(unsigned max_frame) {
  const uint32_t msg[2] = {VF_SET_LPE, max_frame};
  mbx_msg reply{};
  return exchange(msg, 2, reply, 2);
}

ixgbevf_mailbox::result ixgbevf_mailbox::set_macvlan(unsigned index, uint64_t mac) {
  uint32_t msg[3] = {VF_SET_MACVLAN | index << VT_MSGINFO_SHIFT, 0, 0};
  if (index) put_mac(msg + 1, mac);
  mbx_msg reply{};
  return exchange(msg, 3, reply, 3);
}

ixgbevf_mailbox::result ixgbevf_mailbox::update_xcast_mode(int mode, int& granted) {
  granted = -1;
  // ixgbevf_update_xcast_mode(): API 1.2 and later only (-EOPNOTSUPP).
  if (m_api < MBOX_API_12) return result::nack;
  const uint32_t msg[2] = {VF_UPDATE_XCAST_MODE, static_cast<uint32_t>(mode)};
  mbx_msg reply{};
  const result r = exchange(msg, 2, reply, 2);
  if (r == result::ok) granted = static_cast<int>(reply[1]);
  return r;
}

ixgbevf_mailbox::result ixgbevf_mailbox::get_link_state(bool& enabled) {
  enabled = true;
  if (m_api < MBOX_API_12) return result::nack;
  const uint32_t msg[2] = {VF_GET_LINK_STATE, 0};
  mbx_msg reply{};
  const result r = exchange(msg, 2, reply, 2);
  enabled = r != result::ok || reply[1] != 0;
  if (r == result::nack) enabled = false;  // "*link_state = false" on failure
  return r;
}

bool ixgbevf_mailbox::read_pf_message(mbx_msg& msg) {
  if (!check_bit(VFMAILBOX_PFSTS)) return false;
  wr(m_bus, m_bar0 + VFMAILBOX, VFMAILBOX_VFU);
  msg[0] = rd(m_bus, m_bar0 + VFMBMEM);
  wr(m_bus, m_bar0 + VFMAILBOX, VFMAILBOX_ACK);
  return true;
}

bool ixgbevf_mailbox::check_for_rst() { return check_bit(VFMAILBOX_RSTD | VFMAILBOX_RSTI); }

}  // namespace iovsim::host
