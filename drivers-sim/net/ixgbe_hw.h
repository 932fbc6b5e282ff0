// The 82599/X540 as the drivers know it: register offsets, bits and descriptor
// layouts from Linux drivers/net/ethernet/intel/ixgbe/ixgbe_type.h, ixgbe_mbx.h and
// ixgbevf/regs.h, defs.h, mbx.h (REFERENCE.md sections 4 and 10). The driver keeps
// its own copy, as the real one does: the model (models/nic/nic_regs.h) is the
// hardware, this is the data sheet the driver was written from.
#pragma once

#include <cstdint>

namespace iovsim::host::ixgbe_hw {

// ---- PF BAR0 ------------------------------------------------------------------------
constexpr uint32_t CTRL_EXT = 0x00018, CTRL_EXT_PFRSTD = 0x00004000;
constexpr uint32_t EICR = 0x00800, EIMS = 0x00880, EIMC = 0x00888, EIAM = 0x00890;
inline uint32_t EITR(unsigned v) { return 0x00820 + 4 * v; }
inline uint32_t IVAR(unsigned n) { return 0x00900 + 4 * n; }
constexpr uint32_t IVAR_MISC = 0x00A00, IVAR_ALLOC_VAL = 0x80;
inline uint32_t RDBAL(unsigned q) { return q < 64 ? 0x01000 + 0x40 * q : 0x0D000 + 0x40 * (q - 64); }
inline uint32_t TDBAL(unsigned q) { return 0x06000 + 0x40 * q; }
inline uint32_t SRRCTL(unsigned q) { return q <= 15 ? 0x02100 + 4 * q : RDBAL(q) + 0x14; }
constexpr uint32_t LINKS = 0x042A4, LINKS_UP = 0x40000000;
inline uint32_t QPRDC(unsigned n) { return 0x01430 + 0x40 * n; }  // n < 16, clear on read
constexpr uint32_t MRQC = 0x05818, MRQC_RSSEN = 0x1;
constexpr uint32_t MRQC_RSS_FIELD_IPV4_TCP = 0x00010000, MRQC_RSS_FIELD_IPV4 = 0x00020000,
                   MRQC_RSS_FIELD_IPV4_UDP = 0x00400000;
inline uint32_t RETA(unsigned n) { return 0x05C00 + 4 * n; }
inline uint32_t RSSRK(unsigned n) { return 0x05C80 + 4 * n; }
inline uint32_t RAL(unsigned n) { return 0x0A200 + 8 * n; }
inline uint32_t RAH(unsigned n) { return 0x0A204 + 8 * n; }
constexpr uint32_t RAH_AV = 0x80000000;
inline uint32_t MPSAR_LO(unsigned n) { return 0x0A600 + 8 * n; }
inline uint32_t MPSAR_HI(unsigned n) { return 0x0A604 + 8 * n; }
// Switch statistics: SSVPC, the anti-spoofing drops (clear on read); per-pool counters
// (PVFGPRC ...: ixgbe_type.h, as the VF-statistics patches for ixgbe define them).
constexpr uint32_t SSVPC = 0x08780;
inline uint32_t MPC(unsigned n) { return 0x03FA0 + 4 * n; }  // missed packets, n < 8, clear on read
inline uint32_t PVFGPRC(unsigned x) { return 0x0101C + 0x40 * x; }
inline uint32_t PVFGORC_LSB(unsigned x) { return 0x01020 + 0x40 * x; }
inline uint32_t PVFGORC_MSB(unsigned x) { return 0x0D020 + 0x40 * x; }
inline uint32_t PVFMPRC(unsigned x) { return 0x0D01C + 0x40 * x; }
inline uint32_t PVFGPTC(unsigned x) { return 0x08300 + 4 * x; }
inline uint32_t PVFGOTC_LSB(unsigned x) { return 0x08400 + 8 * x; }
inline uint32_t PVFGOTC_MSB(unsigned x) { return 0x08404 + 8 * x; }
// Mailbox (ixgbe_mbx.h)
inline uint32_t PFMAILBOX(unsigned v) { return 0x04B00 + 4 * v; }
inline uint32_t PFMBMEM(unsigned v) { return 0x13000 + 64 * v; }
inline uint32_t PFMBICR(unsigned i) { return 0x00710 + 4 * i; }
constexpr uint32_t PFMAILBOX_STS = 0x01, PFMAILBOX_ACK = 0x02, PFMAILBOX_VFU = 0x04, PFMAILBOX_PFU = 0x08,
                   PFMAILBOX_RVFU = 0x10;
constexpr uint32_t MBVFICR_VFREQ_VF1 = 0x00000001, MBVFICR_VFACK_VF1 = 0x00010000;

// ---- VF BAR0 (ixgbevf regs.h) -----------------------------------------------------------
constexpr uint32_t VFCTRL = 0x0000, VFLINKS = 0x0010, CTRL_RST = 0x04000000;
constexpr uint32_t VTEICR = 0x0100, VTEIMS = 0x0108, VTEIMC = 0x010C, VTEIAM = 0x0114;
inline uint32_t VTEITR(unsigned v) { return 0x0820 + 4 * v; }
inline uint32_t VTIVAR(unsigned n) { return 0x0120 + 4 * n; }
constexpr uint32_t VTIVAR_MISC = 0x0140;
inline uint32_t VFRDBAL(unsigned q) { return 0x1000 + 0x40 * q; }
inline uint32_t VFTDBAL(unsigned q) { return 0x2000 + 0x40 * q; }
constexpr uint32_t VFMBMEM = 0x0200, VFMAILBOX = 0x02FC;
constexpr uint32_t VFMAILBOX_REQ = 0x01, VFMAILBOX_ACK = 0x02, VFMAILBOX_VFU = 0x04, VFMAILBOX_PFU = 0x08,
                   VFMAILBOX_PFSTS = 0x10, VFMAILBOX_PFACK = 0x20, VFMAILBOX_RSTI = 0x40, VFMAILBOX_RSTD = 0x80,
                   VFMAILBOX_R2C_BITS = 0xB0;

// A queue's registers, from its RDBAL / TDBAL (the same layout for PF and VF).
constexpr uint32_t Q_BAL = 0x00, Q_BAH = 0x04, Q_LEN = 0x08, Q_H = 0x10, Q_T = 0x18, Q_DCTL = 0x28;
constexpr uint32_t VF_SRRCTL = 0x14;  // a VF's SRRCTL sits in its queue's block
constexpr uint32_t DCTL_ENABLE = 0x02000000;
constexpr uint32_t SRRCTL_DESCTYPE_ADV_ONEBUF = 0x02000000;

// ---- Mailbox messages (REFERENCE.md section 4, ixgbevf mbx.h) ---------------------------
constexpr uint32_t MBX_WORDS = 16;
constexpr uint32_t VF_RESET = 0x01, VF_SET_MAC_ADDR = 0x02, VF_SET_MULTICAST = 0x03, VF_SET_VLAN = 0x04,
                   VF_SET_LPE = 0x05, VF_SET_MACVLAN = 0x06, VF_API_NEGOTIATE = 0x08, VF_GET_QUEUES = 0x09,
                   VF_UPDATE_XCAST_MODE = 0x0C, VF_GET_LINK_STATE = 0x10;
constexpr uint32_t PF_CONTROL_MSG = 0x0100;  // a PF-initiated message (ping): CTS when the VF may talk
// enum ixgbe_pfvf_api_rev: the VF asks for the newest first (ixgbevf_negotiate_api()).
constexpr int MBOX_API_10 = 0, MBOX_API_20 = 1, MBOX_API_11 = 2, MBOX_API_12 = 3, MBOX_API_13 = 4, MBOX_API_14 = 5;
// GET_QUEUES reply words (IXGBE_VF_TX_QUEUES ...), IXGBE_VF_GET_QUEUES_RESP_LEN.
constexpr unsigned VF_TX_QUEUES = 1, VF_RX_QUEUES = 2, VF_TRANS_VLAN = 3, VF_DEF_QUEUE = 4, VF_GET_QUEUES_LEN = 5;
constexpr unsigned VF_MAX_MC_ENTRIES = 30;  // IXGBE_MAX_VF_MC_ENTRIES: hashes in one SET_MULTICAST
// enum ixgbevf_xcast_modes.
constexpr int XCAST_MODE_NONE = 0, XCAST_MODE_MULTI = 1, XCAST_MODE_ALLMULTI = 2, XCAST_MODE_PROMISC = 3;
constexpr uint32_t VT_MSGTYPE_ACK = 0x80000000, VT_MSGTYPE_NACK = 0x40000000, VT_MSGTYPE_CTS = 0x20000000;
constexpr uint32_t VT_MSGINFO_SHIFT = 16;
constexpr uint32_t VF_PERMADDR_MSG_LEN = 4;   // type, MAC (2 words), mc_filter_type
constexpr uint32_t MC_FILTER_TYPE_47_36 = 0;  // hw->mac.mc_filter_type as ixgbe leaves it

// ---- Advanced descriptors (union ixgbe_adv_rx_desc / ixgbe_adv_tx_desc) -----------------
constexpr uint32_t DESC_BYTES = 16;
constexpr uint32_t RXD_STAT_DD = 0x01, RXD_STAT_EOP = 0x02;
constexpr uint32_t ADVTXD_DTYP_DATA = 0x00300000, ADVTXD_DCMD_EOP = 0x01000000, ADVTXD_DCMD_IFCS = 0x02000000,
                   ADVTXD_DCMD_RS = 0x08000000, ADVTXD_DCMD_DEXT = 0x20000000;
constexpr uint32_t ADVTXD_PAYLEN_SHIFT = 14;
constexpr uint32_t TXD_STAT_DD = 0x01;

// ---- Driver defaults (ixgbe.h, ixgbevf.h) ------------------------------------------------
constexpr unsigned DEFAULT_TXD = 512, DEFAULT_RXD = 512;  // IXGBE_DEFAULT_TXD / RXD
constexpr unsigned RX_BUFFER_WRITE = 16;                  // IXGBE_RX_BUFFER_WRITE: tail bumps in batches
constexpr unsigned RXBUFFER_2K = 2048;
constexpr uint32_t ITR_20K = 200;  // IXGBE_20K_ITR: EITR value for 20,000 interrupts/s (50 us)
constexpr unsigned NAPI_POLL_WEIGHT = 64;
// ixgbevf mbx.h: the VF's reset wait (IXGBE_VF_INIT_TIMEOUT polls of 5 us) and its
// mailbox timeout (IXGBE_VF_MBX_INIT_TIMEOUT polls, IXGBE_VF_MBX_INIT_DELAY us apart).
constexpr unsigned VF_INIT_TIMEOUT = 200, VF_INIT_POLL_US = 5;
constexpr unsigned VF_MBX_INIT_TIMEOUT = 2000, VF_MBX_INIT_DELAY_US = 500;

}  // namespace iovsim::host::ixgbe_hw
