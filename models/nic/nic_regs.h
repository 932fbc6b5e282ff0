// 82599/X540 register offsets and bits the NIC core models (Linux
// drivers/net/ethernet/intel/ixgbe/ixgbe_type.h and ixgbevf/regs.h; REFERENCE.md
// section 10). PF offsets are in the PF's BAR0, VF offsets in each VF's BAR0.
#pragma once

#include <cstdint>

namespace iovsim::nic {

// ---- PF BAR0 -----------------------------------------------------------------------
constexpr uint32_t CTRL = 0x00000, STATUS = 0x00008;
constexpr uint32_t CTRL_RST = 0x04000000;  // software reset (self-clearing)
// CTRL_EXT.PFRSTD: the PF driver is up ("PF reset done", set by ixgbe_up_complete());
// while it is clear every VF reads RSTI in VFMAILBOX and cannot finish its reset.
constexpr uint32_t CTRL_EXT = 0x00018, CTRL_EXT_PFRSTD = 0x00004000;
constexpr uint32_t EICR = 0x00800, EICS = 0x00808, EIMS = 0x00880, EIMC = 0x00888, EIAM = 0x00890;
constexpr uint32_t EITR0 = 0x00820;  // EITR(n) = 0x820 + 4n, n < 24
constexpr uint32_t EITR_COUNT = 24;
constexpr uint32_t IVAR0 = 0x00900;        // IVAR(n) = 0x900 + 4n: queues 2n and 2n+1
constexpr uint32_t IVAR_ALLOC_VAL = 0x80;  // an IVAR entry is valid
// Queue n < 64: RDBAL 0x1000 + 0x40n (+4 RDBAH, +8 RDLEN, +0x10 RDH, +0x18 RDT,
// +0x28 RXDCTL); TDBAL 0x6000 + 0x40n (same layout, TXDCTL +0x28). SRRCTL(n) is
// 0x2100 + 4n for n <= 15 and 0x1014 + 0x40n above.
constexpr uint32_t RX_QUEUE0 = 0x01000, TX_QUEUE0 = 0x06000, QUEUE_STRIDE = 0x40;
constexpr uint32_t RX_QUEUE_HIGH0 = 0x0D000;  // RX queues 64-127 (TX queues all sit at 0x6000 + 0x40n)
constexpr uint32_t Q_BAL = 0x00, Q_BAH = 0x04, Q_LEN = 0x08, Q_H = 0x10, Q_T = 0x18, Q_DCTL = 0x28;
constexpr uint32_t SRRCTL_LOW0 = 0x02100, RX_SRRCTL = 0x14;
constexpr uint32_t DCTL_ENABLE = 0x02000000;     // RXDCTL.ENABLE, TXDCTL.ENABLE
constexpr uint32_t SRRCTL_BSIZEPKT_MASK = 0x1f;  // receive buffer size, 1 KiB units
constexpr uint32_t RAL0 = 0x0A200;               // RAL(n) = 0xA200 + 8n, RAH(n) = RAL(n) + 4
constexpr uint32_t RAH_AV = 0x80000000;          // address valid
constexpr uint32_t MPSAR_LO0 = 0x0A600;          // MPSAR_LO(n) = 0xA600 + 8n: pools 0-31 of RAR n; HI: 32-63
constexpr uint32_t LINKS = 0x042A4;
constexpr uint32_t LINKS_UP = 0x40000000, LINKS_SPEED_10G = 0x30000000, LINKS_SPEED_1G = 0x20000000;
// Per-queue statistics (queue n < 16): QPRC 0x1030 + 0x40n, QPTC 0x6030 + 0x40n are
// not modelled; the port's GPRC / GPTC are.
constexpr uint32_t GPRC = 0x04074, GPTC = 0x04080;
// QPRDC(n) 0x01430 + 0x40n (n < 16), "Receive Queue Drop Packet Count" (82599/X540
// data sheets; Linux ixgbe_type.h IXGBE_QPRDC): frames a queue dropped for want of a
// descriptor, clear on read. Queues reach counter n through RQSMR, whose reset value
// (0) sends every queue to counter 0; ixgbe writes RQSMR only for DCB, which is not
// modelled, so QPRDC(0) counts the port's drops and QPRDC(1..15) read 0.
constexpr uint32_t QPRDC0 = 0x01430, QPRDC_COUNT = 16;
// RSS: MRQC field selection (models/net/toeplitz.h MRQC_RSS_FIELD_*), RETA(n) 0x5C00 + 4n
// (4 entries each, 128 in all), RSSRK(n) 0x5C80 + 4n (the 40-byte key).
constexpr uint32_t MRQC = 0x05818, RETA0 = 0x05C00, RSSRK0 = 0x05C80;

// Other causes (link, mailbox): IVAR_MISC [15:8] names their vector, valid bit 7
// (ixgbe_set_ivar(adapter, -1, 1, v_idx)).
constexpr uint32_t IVAR_MISC = 0x00A00;

// ---- PF-VF mailbox (REFERENCE.md section 4; Linux ixgbe_mbx.h, ixgbe_type.h) -----------
constexpr uint32_t MBX_WORDS = 16;        // IXGBE_VFMAILBOX_SIZE: 64 bytes per VF
constexpr uint32_t PFMAILBOX0 = 0x04B00;  // PFMAILBOX(v) = 0x4B00 + 4v
constexpr uint32_t PFMBMEM0 = 0x13000;    // PFMBMEM(v) = 0x13000 + 64v
constexpr uint32_t PFMBICR0 = 0x00710;    // PFMBICR(i) = 0x710 + 4i: VFs 16i..16i+15
constexpr uint32_t PFMAILBOX_STS = 0x01, PFMAILBOX_ACK = 0x02, PFMAILBOX_VFU = 0x04, PFMAILBOX_PFU = 0x08,
                   PFMAILBOX_RVFU = 0x10;
constexpr uint32_t MBVFICR_VFREQ = 0x00000001, MBVFICR_VFACK = 0x00010000;  // shifted by v % 16
constexpr uint32_t VFMBMEM = 0x0200, VFMAILBOX = 0x02FC;
constexpr uint32_t VFMAILBOX_REQ = 0x01, VFMAILBOX_ACK = 0x02, VFMAILBOX_VFU = 0x04, VFMAILBOX_PFU = 0x08,
                   VFMAILBOX_PFSTS = 0x10, VFMAILBOX_PFACK = 0x20, VFMAILBOX_RSTI = 0x40, VFMAILBOX_RSTD = 0x80;
constexpr uint32_t VFMAILBOX_R2C_BITS = 0xB0;  // RSTD, PFSTS, PFACK clear when read
constexpr uint32_t VTIVAR_MISC = 0x0140;       // the mailbox's vector [5:0], valid bit 7

// ---- VF BAR0 (ixgbevf regs.h) ---------------------------------------------------------
constexpr uint32_t VF_BAR0_BYTES = 0x4000;
constexpr uint32_t VFCTRL = 0x0000, VFSTATUS = 0x0008, VFLINKS = 0x0010;
constexpr uint32_t VTEICR = 0x0100, VTEICS = 0x0104, VTEIMS = 0x0108, VTEIMC = 0x010C, VTEIAM = 0x0114;
constexpr uint32_t VTEITR0 = 0x0820;                              // VTEITR(x) = 0x820 + 4x
constexpr uint32_t VTIVAR0 = 0x0120;                              // VTIVAR(x) = 0x120 + 4x: queues 2x and 2x+1
constexpr uint32_t VF_RX_QUEUE0 = 0x1000, VF_TX_QUEUE0 = 0x2000;  // stride 0x40, layout as the PF's
constexpr uint32_t VF_SRRCTL = 0x14;
constexpr uint32_t VFGPRC = 0x101C, VFGPTC = 0x201C;
constexpr uint32_t VF_VECTORS = 3;  // 82599 VFs: three MSI-X vectors (two queues, the mailbox)

// EITR: the interval field [11:3] counts 2 us (ixgbe.h: "microsecond values ...
// shifted by 2 to fit itr register with the first 3 bits reserved 0": 200 = 50 us).
constexpr uint32_t EITR_INTERVAL_MASK = 0x00000ff8;
constexpr uint32_t EITR_INTERVAL_NS_PER_UNIT = 250;  // of the register value: value x 0.25 us

}  // namespace iovsim::nic
