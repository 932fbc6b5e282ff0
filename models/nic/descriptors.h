// The 82599/X540 advanced descriptors (16 bytes, little-endian), in the forms the
// driver writes (read) and the NIC writes back. Layouts and bits: Linux
// drivers/net/ethernet/intel/ixgbe/ixgbe_type.h (union ixgbe_adv_rx_desc,
// union ixgbe_adv_tx_desc, IXGBE_RXD_STAT_*, IXGBE_ADVTXD_*, IXGBE_TXD_*), the
// 82599 data sheet sections 7.1.6 and 7.2.3.
#pragma once

#include <cstdint>
#include <cstring>

namespace iovsim::nic {

constexpr uint32_t DESCRIPTOR_BYTES = 16;

// RX read form: packet buffer address, header buffer address (unused without
// header split; its bit 0 overlays DD in the write-back form).
// RX write-back form:
//   dword 0: pkt_info [3:0] RSS type, [16:4] packet type; hdr_info [31:21]
//   dword 1: RSS hash
//   dword 2: status_error: DD bit 0, EOP bit 1, VP (VLAN stripped) bit 3
//   dword 3: [15:0] packet length, [31:16] VLAN tag
constexpr uint32_t RXD_STAT_DD = 0x01, RXD_STAT_EOP = 0x02, RXD_STAT_VP = 0x08;

// TX data descriptor (read form): buffer address; cmd_type_len: [15:0] buffer
// length, DTYP [23:20] (3 = data), DCMD [31:24] (EOP, IFCS, RS, DEXT, VLE...);
// olinfo_status: [31:14] PAYLEN (the frame's bytes). Write-back: DD in status bit 0
// of dword 3, written when RS was set.
constexpr uint32_t TXD_LEN_MASK = 0x0000ffff;
constexpr uint32_t TXD_DTYP_MASK = 0x00f00000, TXD_DTYP_DATA = 0x00300000, TXD_DTYP_CTXT = 0x00200000;
constexpr uint32_t TXD_CMD_EOP = 0x01000000, TXD_CMD_IFCS = 0x02000000, TXD_CMD_RS = 0x08000000,
                   TXD_CMD_DEXT = 0x20000000, TXD_CMD_VLE = 0x40000000;
constexpr uint32_t TXD_PAYLEN_SHIFT = 14;
constexpr uint32_t TXD_STAT_DD = 0x01;

inline uint64_t le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | p[i];
  return v;
}
inline uint32_t le32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}
inline void put_le32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline void put_le64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

struct rx_writeback {
  uint8_t rss_type = 0;
  uint32_t rss_hash = 0;
  uint32_t status = RXD_STAT_DD | RXD_STAT_EOP;
  uint16_t length = 0;
  uint16_t vlan = 0;
  void encode(uint8_t* d) const {
    put_le32(d, rss_type);
    put_le32(d + 4, rss_hash);
    put_le32(d + 8, status);
    put_le32(d + 12, uint32_t{length} | uint32_t{vlan} << 16);
  }
};

struct tx_descriptor {
  uint64_t buffer = 0;
  uint32_t cmd_type_len = 0;
  uint32_t olinfo_status = 0;
  static tx_descriptor decode(const uint8_t* d) { return {le64(d), le32(d + 8), le32(d + 12)}; }
  uint32_t length() const { return cmd_type_len & TXD_LEN_MASK; }
  bool eop() const { return cmd_type_len & TXD_CMD_EOP; }
  bool rs() const { return cmd_type_len & TXD_CMD_RS; }
  // An advanced data descriptor (DEXT set, DTYP data); anything else is not one the
  // engine can send (a context descriptor is consumed without data).
  bool is_data() const { return (cmd_type_len & TXD_CMD_DEXT) && (cmd_type_len & TXD_DTYP_MASK) == TXD_DTYP_DATA; }
  bool is_context() const { return (cmd_type_len & TXD_CMD_DEXT) && (cmd_type_len & TXD_DTYP_MASK) == TXD_DTYP_CTXT; }
};

}  // namespace iovsim::nic
