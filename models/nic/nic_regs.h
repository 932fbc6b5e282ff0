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
// RXDCTL/TXDCTL PTHRESH [6:0], HTHRESH [14:8] (ixgbe_type.h; 82598 data sheet 4.4.3.5.6).
constexpr uint32_t DCTL_PTHRESH_MASK = 0x7f, DCTL_HTHRESH_SHIFT = 8;
constexpr uint32_t SRRCTL_BSIZEPKT_MASK = 0x1f;  // receive buffer size, 1 KiB units
constexpr uint32_t RAL0 = 0x0A200;               // RAL(n) = 0xA200 + 8n, RAH(n) = RAL(n) + 4
constexpr uint32_t RAH_AV = 0x80000000;          // address valid
constexpr uint32_t MPSAR_LO0 = 0x0A600;          // MPSAR_LO(n) = 0xA600 + 8n: pools 0-31 of RAR n; HI: 32-63
constexpr uint32_t LINKS = 0x042A4;
constexpr uint32_t LINKS_UP = 0x40000000, LINKS_SPEED_10G = 0x30000000, LINKS_SPEED_1G = 0x20000000;
// Per-queue statistics (queue n < 16): QPRC 0x1030 + 0x40n, QPTC 0x6030 + 0x40n are
// not modelled; the port's GPRC / GPTC are.
constexpr uint32_t GPRC = 0x04074, GPTC = 0x04080;
// MPC(n) 0x03FA0 + 4n (n < 8), "Missed Packets Count" per packet buffer (Linux
// ixgbe_type.h IXGBE_MPC; ixgbe_update_stats() sums them into rx_missed_errors):
// frames dropped because the receive packet buffer was full, clear on read. One
// packet buffer without DCB: MPC(0) counts, MPC(1..7) read 0.
constexpr uint32_t MPC0 = 0x03FA0, MPC_COUNT = 8;
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

// ---- the embedded switch (nic_switch.h; Linux ixgbe_type.h, checked there) ------------
// FCTRL: MPE all multicast, UPE all unicast, BAM broadcast (the port's L2 filter).
constexpr uint32_t FCTRL = 0x05080, FCTRL_MPE = 0x100, FCTRL_UPE = 0x200, FCTRL_BAM = 0x400;
// VLNCTRL.VFE: VLAN filtering by VFTA; VME is the 82598's global strip (per queue on 82599).
constexpr uint32_t VLNCTRL = 0x05088, VLNCTRL_VFE = 0x40000000;
// MCSTCTRL: MO [1:0] picks the 12 address bits hashed into MTA/PFUTA, MFE (bit 2)
// enables the multicast table (ixgbe_mta_vector(), ixgbe_update_mc_addr_list_generic()).
constexpr uint32_t MCSTCTRL = 0x05090, MCSTCTRL_MO_MASK = 0x3, MCSTCTRL_MFE = 0x4;
constexpr uint32_t MTA0 = 0x05200;  // MTA(n) = 0x5200 + 4n, 128 words: 4096 hash bits
// VT_CTL: VT_ENA bit 0, DEF_PL [12:7] the default pool, DIS_DEFPL bit 29, REPLEN bit 30.
constexpr uint32_t VT_CTL = 0x051B0, VT_CTL_VT_ENA = 0x1, VT_CTL_POOL_SHIFT = 7, VT_CTL_POOL_MASK = 0x3F << 7,
                   VT_CTL_DIS_DEFPL = 0x20000000, VT_CTL_REPLEN = 0x40000000;
constexpr uint32_t PFVFRE0 = 0x051E0;  // IXGBE_VFRE(i): pools 32i..32i+31 may receive
constexpr uint32_t VMVIR0 = 0x08000;   // VMVIR(p): port VLAN of pool p
constexpr uint32_t VMVIR_VLANA_MASK = 0xC0000000, VMVIR_VLANA_DEFAULT = 0x40000000, VMVIR_TCI_MASK = 0xFFFF;
constexpr uint32_t PFVFTE0 = 0x08110;     // IXGBE_VFTE(i): pools 32i..32i+31 may transmit
constexpr uint32_t PFVFSPOOF0 = 0x08200;  // 8 of them: pools 8i..8i+7, MAC bits [7:0], VLAN [15:8]
constexpr uint32_t SPOOF_VLANAS_SHIFT = 8;
constexpr uint32_t PFDTXGSWC = 0x08220, PFDTXGSWC_VT_LBEN = 0x1;  // local (VM to VM) switching
constexpr uint32_t PVFGPTC0 = 0x08300;                            // + 4x
constexpr uint32_t PVFGOTC_LSB0 = 0x08400;                        // + 8x, MSB + 4
constexpr uint32_t SSVPC = 0x08780;                               // switch security violation packets (clear on read)
constexpr uint32_t VFTA0 = 0x0A000;                               // 128 words: 4096 VLAN filter bits
constexpr uint32_t VMOLR0 = 0x0F000;                              // VMOLR(p), 64
constexpr uint32_t VMOLR_UPE = 0x00400000, VMOLR_VPE = 0x00800000, VMOLR_AUPE = 0x01000000, VMOLR_ROMPE = 0x02000000,
                   VMOLR_ROPE = 0x04000000, VMOLR_BAM = 0x08000000, VMOLR_MPE = 0x10000000;
constexpr uint32_t VLVF0 = 0x0F100, VLVF_VIEN = 0x80000000, VLVF_VID_MASK = 0xFFF;  // 64 entries
constexpr uint32_t VLVFB0 = 0x0F200;  // VLVFB(2i): pools 0-31 of VLVF i, VLVFB(2i+1): 32-63
constexpr uint32_t PFUTA0 = 0x0F400;  // IXGBE_UTA(i): 128 words, the unicast hash table
constexpr uint32_t GCR_EXT = 0x11050, GCR_EXT_VT_MODE_MASK = 0x3;  // 1: 16 pools, 2: 32, 3: 64
// Per-pool statistics the PF reads (IXGBE_PVFGPRC() ...): inside the RX queue blocks.
constexpr uint32_t PVFGPRC0 = 0x0101C, PVFGORC_LSB0 = 0x01020;  // + 0x40x
constexpr uint32_t PVFMPRC0 = 0x0D01C, PVFGORC_MSB0 = 0x0D020;  // + 0x40x
// MRQC.MRQE [3:0] (ixgbe_setup_mrqc()): RSS alone, VMDq with 64 or 32 pools and RSS in
// each, VMDq without RSS.
constexpr uint32_t MRQC_MRQE_MASK = 0xF, MRQE_RSS = 0x1, MRQE_VMDQ = 0x8, MRQE_VMDQ_RSS32 = 0xA, MRQE_VMDQ_RSS64 = 0xB,
                   MRQE_VMDQ_RT8TC = 0xC, MRQE_VMDQ_RT4TC = 0xD;
// The per-queue transmit rate limiter: RTTDQSEL selects the queue RTTBCNRC shows and
// sets (ixgbe_set_vf_rate_limit()): RS_ENA bit 31, rate factor = line rate / queue
// rate, integer [23:14], fraction [13:0].
constexpr uint32_t RTTDQSEL = 0x04904, RTTBCNRC = 0x04984, RTTBCNRC_RS_ENA = 0x80000000, RTTBCNRC_RF_MASK = 0x00FFFFFF,
                   RTTBCNRC_RF_INT_SHIFT = 14;
constexpr uint32_t RXDCTL_VME = 0x40000000;  // strip the VLAN tag into the write-back
// The VF's view of its pool's counters (ixgbevf regs.h).
constexpr uint32_t VFGORC_LSB = 0x1020, VFGORC_MSB = 0x1024, VFMPRC = 0x1034, VFGOTC_LSB = 0x2020, VFGOTC_MSB = 0x2024;
constexpr uint32_t VF_MAX_QUEUES = 8;  // 16 pools x 8 queues: the most a VF's BAR shows

}  // namespace iovsim::nic
