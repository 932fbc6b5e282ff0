// The 82599/X540 registers and PF-VF mailbox messages the SR-IOV service drives: the
// data sheet it was written from, in Linux 6.1's words (drivers/net/ethernet/intel/
// ixgbe: ixgbe_type.h for offsets and bits, ixgbe_mbx.h for the mailbox, ixgbe.h for
// driver limits). The NIC model keeps its own copy (models/nic/nic_regs.h), as real
// firmware and hardware do; checked against the 6.1.119 sources.
#pragma once

#include <cstdint>

namespace iovsim::fw::ixgbe {

// ---- Receive filtering (ixgbe_type.h) -----------------------------------------------
constexpr uint32_t CTRL_EXT = 0x00018, CTRL_EXT_PFRSTD = 0x00004000;
constexpr uint32_t FCTRL = 0x05080;
constexpr uint32_t FCTRL_SBP = 0x002, FCTRL_MPE = 0x100, FCTRL_UPE = 0x200, FCTRL_BAM = 0x400, FCTRL_PMCF = 0x1000,
                   FCTRL_DPF = 0x2000;
constexpr uint32_t VLNCTRL = 0x05088, VLNCTRL_VFE = 0x40000000;
constexpr uint32_t MCSTCTRL = 0x05090, MCSTCTRL_MFE = 0x4;
inline constexpr uint32_t MTA(unsigned i) { return 0x05200 + 4 * i; }
inline constexpr uint32_t VFTA(unsigned i) { return 0x0A000 + 4 * i; }
// RAL/RAH(n): ixgbe_type.h maps n <= 15 to the 82598-compatible alias at 0x05400; the
// 82599 and X540 decode both places to the same entry, the model only the 0x0A200 one.
inline constexpr uint32_t RAL(unsigned n) { return 0x0A200 + 8 * n; }
inline constexpr uint32_t RAH(unsigned n) { return 0x0A204 + 8 * n; }
constexpr uint32_t RAH_AV = 0x80000000;
inline constexpr uint32_t MPSAR_LO(unsigned n) { return 0x0A600 + 8 * n; }
inline constexpr uint32_t MPSAR_HI(unsigned n) { return 0x0A604 + 8 * n; }
constexpr uint32_t MRQC = 0x05818;
constexpr uint32_t MRQC_VMDQRSS32EN = 0x0A, MRQC_VMDQRSS64EN = 0x0B;  // VMDq 32 / 64 pools (+RSS)
constexpr uint32_t MAXFRS = 0x04268, MHADD_MFS_SHIFT = 16, MHADD_MFS_MASK = 0xFFFF0000;

// ---- Virtualisation (ixgbe_type.h) --------------------------------------------------
constexpr uint32_t VT_CTL = 0x051B0;
constexpr uint32_t VT_CTL_VT_ENABLE = 0x1, VT_CTL_POOL_SHIFT = 7, VT_CTL_POOL_MASK = 0x3F << 7,
                   VT_CTL_DIS_DEFPL = 0x20000000, VT_CTL_REPLEN = 0x40000000;
inline constexpr uint32_t VFRE(unsigned i) { return 0x051E0 + 4 * i; }  // PFVFRE: pools 32i..32i+31
inline constexpr uint32_t VFTE(unsigned i) { return 0x08110 + 4 * i; }  // PFVFTE
inline constexpr uint32_t VMECM(unsigned i) { return 0x08790 + 4 * i; }
inline constexpr uint32_t VMOLR(unsigned i) { return 0x0F000 + 4 * i; }
constexpr uint32_t VMOLR_UPE = 0x00400000, VMOLR_VPE = 0x00800000, VMOLR_AUPE = 0x01000000, VMOLR_ROMPE = 0x02000000,
                   VMOLR_ROPE = 0x04000000, VMOLR_BAM = 0x08000000, VMOLR_MPE = 0x10000000;
inline constexpr uint32_t VLVF(unsigned i) { return 0x0F100 + 4 * i; }   // 64 entries
inline constexpr uint32_t VLVFB(unsigned i) { return 0x0F200 + 4 * i; }  // two per VLVF entry
constexpr uint32_t VLVF_VIEN = 0x80000000, VLVF_VLANID_MASK = 0x00000FFF;
inline constexpr uint32_t VMVIR(unsigned i) { return 0x08000 + 4 * i; }
constexpr uint32_t VMVIR_VLANA_DEFAULT = 0x40000000;
constexpr unsigned VLAN_PRIO_SHIFT = 13;                                     // linux/if_vlan.h
inline constexpr uint32_t PFVFSPOOF(unsigned i) { return 0x08200 + 4 * i; }  // 8 pools each
constexpr unsigned SPOOF_VLANAS_SHIFT = 8;
constexpr uint32_t PFDTXGSWC = 0x08220, PFDTXGSWC_VT_LBEN = 0x1;
constexpr uint32_t PFUTA0 = 0x0F400;  // unicast hash table: ixgbe leaves it to reset (0)
constexpr uint32_t GCR_EXT = 0x11050, GCR_EXT_VT_MODE_16 = 1, GCR_EXT_VT_MODE_32 = 2, GCR_EXT_VT_MODE_64 = 3;
constexpr uint32_t QDE = 0x2F04, QDE_ENABLE = 0x1, QDE_HIDE_VLAN = 0x2, QDE_IDX_SHIFT = 8, QDE_WRITE = 0x00010000;
inline constexpr uint32_t PVFTXDCTL(unsigned q) { return 0x06028 + 0x40 * q; }
constexpr uint32_t TXDCTL_ENABLE = 0x02000000;
inline constexpr uint32_t PVFTDWBAL(unsigned q) { return 0x06038 + 0x40 * q; }
inline constexpr uint32_t PVFTDWBAH(unsigned q) { return 0x0603C + 0x40 * q; }

// ---- Transmit rate limiter (ixgbe_type.h) -------------------------------------------
constexpr uint32_t RTTDQSEL = 0x04904, RTTBCNRC = 0x04984, RTTBCNRM = 0x04980;
constexpr uint32_t RTTBCNRC_RS_ENA = 0x80000000, RTTBCNRC_RF_DEC_MASK = 0x00003FFF, RTTBCNRC_RF_INT_SHIFT = 14,
                   RTTBCNRC_RF_INT_MASK = 0x3FFFu << 14;

// ---- Mailbox registers (ixgbe_type.h, ixgbe_mbx.h) ----------------------------------
inline constexpr uint32_t PFMAILBOX(unsigned vf) { return 0x04B00 + 4 * vf; }
inline constexpr uint32_t PFMBMEM(unsigned vf) { return 0x13000 + 64 * vf; }
inline constexpr uint32_t MBVFICR(unsigned i) { return 0x00710 + 4 * i; }  // PFMBICR: VFs 16i..16i+15
constexpr uint32_t PFMAILBOX_STS = 0x01, PFMAILBOX_ACK = 0x02, PFMAILBOX_VFU = 0x04, PFMAILBOX_PFU = 0x08,
                   PFMAILBOX_RVFU = 0x10;
constexpr uint32_t MBVFICR_VFREQ_VF1 = 0x00000001, MBVFICR_VFACK_VF1 = 0x00010000;
constexpr unsigned VFMAILBOX_SIZE = 16;  // words

// ---- Mailbox messages (ixgbe_mbx.h) -------------------------------------------------
constexpr uint32_t VT_MSGTYPE_ACK = 0x80000000, VT_MSGTYPE_NACK = 0x40000000, VT_MSGTYPE_CTS = 0x20000000;
constexpr uint32_t VT_MSGINFO_SHIFT = 16, VT_MSGINFO_MASK = 0xFF << 16;
constexpr uint32_t VF_RESET = 0x01, VF_SET_MAC_ADDR = 0x02, VF_SET_MULTICAST = 0x03, VF_SET_VLAN = 0x04,
                   VF_SET_LPE = 0x05, VF_SET_MACVLAN = 0x06, VF_API_NEGOTIATE = 0x08, VF_GET_QUEUES = 0x09,
                   VF_GET_RETA = 0x0a, VF_GET_RSS_KEY = 0x0b, VF_UPDATE_XCAST_MODE = 0x0c, VF_IPSEC_ADD = 0x0d,
                   VF_IPSEC_DEL = 0x0e, VF_GET_LINK_STATE = 0x10;
constexpr unsigned VF_TX_QUEUES = 1, VF_RX_QUEUES = 2, VF_TRANS_VLAN = 3, VF_DEF_QUEUE = 4;  // GET_QUEUES words
constexpr unsigned VF_PERMADDR_MSG_LEN = 4, VF_MC_TYPE_WORD = 3;
constexpr uint32_t PF_CONTROL_MSG = 0x0100;

// enum ixgbe_pfvf_api_rev: the numbering is the enum's order, not the version's.
enum mbox_api : uint32_t { mbox_api_10, mbox_api_20, mbox_api_11, mbox_api_12, mbox_api_13, mbox_api_14 };
// ixgbe.h IXGBEVF_XCAST_MODE_*.
enum xcast_mode : uint32_t { XCAST_MODE_NONE, XCAST_MODE_MULTI, XCAST_MODE_ALLMULTI, XCAST_MODE_PROMISC };

// ---- Driver limits (ixgbe.h, linux/if_ether.h, linux/if_link.h) ---------------------
constexpr unsigned MAX_VF_MC_ENTRIES = 30, MAX_PF_MACVLANS = 15, MAX_VFS_DRV_LIMIT = 63;
constexpr unsigned MAX_JUMBO_FRAME_SIZE = 9728;
constexpr unsigned ETH_MIN_MTU = 68, ETH_HLEN = 14, ETH_FRAME_LEN = 1514, ETH_FCS_LEN = 4;
constexpr uint16_t ETH_P_8021Q = 0x8100, ETH_P_8021AD = 0x88A8;
constexpr int IFLA_VF_LINK_STATE_AUTO = 0, IFLA_VF_LINK_STATE_ENABLE = 1, IFLA_VF_LINK_STATE_DISABLE = 2;

}  // namespace iovsim::fw::ixgbe
