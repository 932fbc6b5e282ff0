#include "drivers-sim/net/ixgbe_mbx.h"

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
bool ixgbevf_mailbox::post(const uint32_t* msg, unsigned words) {
  wr(m_bus, m_bar0 + VFMAILBOX, VFMAILBOX_VFU);
  if (!(read_v2p() & VFMAILBOX_VFU)) return false;
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

ixgbevf_mailbox::result ixgbevf_mailbox::reset_hw(uint64_t& mac) {
  mac = 0;
  m_v2p = 0;
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

ixgbevf_mailbox::result ixgbevf_mailbox::set_mac(uint64_t mac) {
  uint32_t msg[3] = {VF_SET_MAC_ADDR, 0, 0};
  for (unsigned b = 0; b < 6; ++b)
    msg[1 + b / 4] |= static_cast<uint32_t>((mac >> (40 - 8 * b)) & 0xff) << (8 * (b % 4));
  mbx_msg reply{};
  const result r = request(msg, 3, reply, 1);
  if (r != result::ok) return r;
  return (reply[0] & VT_MSGTYPE_ACK) ? result::ok : result::nack;
}

// ---- PF --------------------------------------------------------------------------------

uint64_t ixgbe_pf_mailbox::take_requests() {
  uint64_t vfs = 0;
  for (unsigned i = 0; i < 4; ++i) {
    const uint32_t icr = rd(m_bus, m_bar0 + PFMBICR(i));
    if (!icr) continue;
    wr(m_bus, m_bar0 + PFMBICR(i), icr);  // write 1 to clear
    vfs |= uint64_t{icr & 0xffff} << (16 * i);
  }
  return vfs;
}

bool ixgbe_pf_mailbox::lock(unsigned vf) {
  wr(m_bus, m_bar0 + PFMAILBOX(vf), PFMAILBOX_PFU);
  return rd(m_bus, m_bar0 + PFMAILBOX(vf)) & PFMAILBOX_PFU;
}

bool ixgbe_pf_mailbox::read(unsigned vf, mbx_msg& msg) {
  if (!lock(vf)) return false;
  for (unsigned i = 0; i < MBX_WORDS; ++i) msg[i] = rd(m_bus, m_bar0 + PFMBMEM(vf) + 4 * i);
  wr(m_bus, m_bar0 + PFMAILBOX(vf), PFMAILBOX_ACK);  // received; the buffer is free again
  return true;
}

bool ixgbe_pf_mailbox::write(unsigned vf, const uint32_t* msg, unsigned words) {
  if (!lock(vf)) return false;
  for (unsigned i = 0; i < words; ++i) wr(m_bus, m_bar0 + PFMBMEM(vf) + 4 * i, msg[i]);
  wr(m_bus, m_bar0 + PFMAILBOX(vf), PFMAILBOX_STS);
  return true;
}

}  // namespace iovsim::host
