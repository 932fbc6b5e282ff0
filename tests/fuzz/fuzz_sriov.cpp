// fuzz_sriov: the PF's SR-IOV service (firmware/ixgbe_sriov) against misbehaving VF
// drivers and an administrator typing anything. No SystemC: a register file with the
// mailbox's semantics (PFMBICR write-1-to-clear, the PFU lock, STS handing the buffer
// to the VF) stands for the NIC.
//
// Input, one operation after another (byte = next input byte, 0 when it ran out):
//   op % 8 == 0  a VF message: vf = byte % 64, then the 16 words, each from 2 bytes
//                (word 0 = type byte | info byte << 16 | flags byte's top 3 bits << 29),
//                then the mailbox task runs
//   op % 8 == 1  an administrator call: kind = byte % 8, vf = (int8) byte, args from bytes
//   op % 8 == 2  set_rx_mode: flags byte, then up to 40 multicast and 140 unicast MACs
//   op % 8 == 3  configure(PF MAC, byte % 70 VFs) and pf_up()
//   op % 8 == 4  pf_down()           op % 8 == 5  link_changed(byte & 1, 10000)
//   op % 8 == 6  vlan_add / vlan_del (12-bit VID)
//   op % 8 == 7  set_num_vfs(byte % 70), a VF's FLR (vf_flr)
//
// Must hold: no crash or undefined behaviour; a VF that has not reset gets nothing but
// NACK or a ping from the PF, except the answer to its RESET; every valid receive
// address names a pool; no more valid receive addresses than the table has;
// available_rars() within 0..num_rar.
#include <fmt/format.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "firmware/ixgbe_sriov.h"
#include "tests/fuzz/fuzz_common.h"

namespace {

using namespace iovsim::fw;
using namespace iovsim::fw::ixgbe;
using iovsim::fuzz::fuzz_fail;

class fake_nic final : public nic_hal {
 public:
  std::map<uint32_t, uint32_t> regs;
  std::array<uint32_t, 4> icr{};
  std::array<std::array<uint32_t, 16>, 64> mem{};
  std::array<bool, 64> pfu{};
  std::array<std::vector<uint32_t>, 64> delivered;  // word 0 of what each VF got (STS)

  uint32_t read32(uint32_t off) override {
    if (off >= MBVFICR(0) && off < MBVFICR(4)) return icr[(off - MBVFICR(0)) / 4];
    if (off >= PFMAILBOX(0) && off < PFMAILBOX(64)) return pfu[(off - PFMAILBOX(0)) / 4] ? PFMAILBOX_PFU : 0;
    if (off >= PFMBMEM(0) && off < PFMBMEM(64)) return mem[(off - PFMBMEM(0)) / 64][(off % 64) / 4];
    auto it = regs.find(off);
    return it == regs.end() ? 0 : it->second;
  }
  void write32(uint32_t off, uint32_t v) override {
    if (off >= MBVFICR(0) && off < MBVFICR(4)) {
      icr[(off - MBVFICR(0)) / 4] &= ~v;
    } else if (off >= PFMAILBOX(0) && off < PFMAILBOX(64)) {
      const unsigned vf = (off - PFMAILBOX(0)) / 4;
      pfu[vf] = v & PFMAILBOX_PFU;
      if (v & PFMAILBOX_STS) delivered[vf].push_back(mem[vf][0]);
    } else if (off >= PFMBMEM(0) && off < PFMBMEM(64)) {
      mem[(off - PFMBMEM(0)) / 64][(off % 64) / 4] = v;
    } else {
      regs[off] = v;
    }
  }
  void log(level, const std::string& text) override {
    if (text.empty()) fuzz_fail("an empty log line");
  }
  void charge(uint64_t) override {}
};

class input {
 public:
  input(const uint8_t* data, size_t size) : m_data(data), m_size(size) {}
  bool more() const { return m_pos < m_size; }
  uint8_t byte() { return m_pos < m_size ? m_data[m_pos++] : 0; }
  uint16_t u16() { return static_cast<uint16_t>(byte() | byte() << 8); }
  uint64_t mac() {
    uint64_t m = 0;
    for (int i = 0; i < 6; ++i) m = m << 8 | byte();
    return m;
  }

 private:
  const uint8_t* m_data;
  size_t m_size;
  size_t m_pos = 0;
};

void check_tables(fake_nic& nic, const ixgbe_sriov& sv) {
  unsigned valid = 0;
  for (unsigned i = 0; i < 128; ++i) {
    if (!(nic.read32(RAH(i)) & RAH_AV)) continue;
    ++valid;
    if (!nic.read32(MPSAR_LO(i)) && !nic.read32(MPSAR_HI(i)))
      fuzz_fail(fmt::format("receive address {} is valid with no pool", i));
  }
  if (valid > sv.config().num_rar) fuzz_fail("more valid receive addresses than the table holds");
  const int avail = sv.available_rars();
  if (avail < 0 || avail > static_cast<int>(sv.config().num_rar))
    fuzz_fail(fmt::format("available_rars() {} out of range", avail));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  input in(data, size);
  fake_nic nic;
  ixgbe_sriov::params p;
  p.mac_type = (in.byte() & 1) ? ixgbe_mac_type::mac_82599 : ixgbe_mac_type::mac_x540;
  ixgbe_sriov sv(nic, p);
  const uint64_t pf_mac = 0x001b21000000ull;
  sv.set_num_vfs(8);
  sv.configure(pf_mac, 8);
  sv.pf_up();
  while (in.more()) {
    const uint8_t op = in.byte();
    switch (op % 8) {
      case 0: {
        const unsigned vf = in.byte() % 64;
        for (unsigned i = 0; i < 16; ++i) nic.mem[vf][i] = in.u16();
        nic.mem[vf][0] = in.byte() | uint32_t{in.byte()} << VT_MSGINFO_SHIFT | uint32_t{in.byte() & 0xE0u} << 24;
        const bool cts = vf < sv.num_vfs() && sv.vf(vf).clear_to_send;
        const bool is_reset = (nic.mem[vf][0] & 0xFFFF) == VF_RESET;
        const size_t before = nic.delivered[vf].size();
        nic.icr[vf / 16] |= MBVFICR_VFREQ_VF1 << (vf % 16);
        sv.service();
        for (size_t i = before; i < nic.delivered[vf].size(); ++i) {
          const uint32_t w = nic.delivered[vf][i];
          if (!cts && !is_reset && !(w & VT_MSGTYPE_NACK) && (w & 0xFFFF) != PF_CONTROL_MSG)
            fuzz_fail(fmt::format("VF {} had not reset and got {:#x}", vf, w));
        }
        break;
      }
      case 1: {
        const uint8_t kind = in.byte() % 8;
        const int vf = static_cast<int8_t>(in.byte());
        switch (kind) {
          case 0:
            sv.set_vf_mac(vf, in.mac(), in.byte() & 1);
            break;
          case 1:
            sv.set_vf_vlan(vf, in.u16() % 4200, in.byte() % 10, (in.byte() & 1) ? ETH_P_8021AD : ETH_P_8021Q,
                           in.byte() & 1);
            break;
          case 2:
            sv.set_vf_spoofchk(vf, in.byte() & 1);
            break;
          case 3:
            sv.set_vf_trust(vf, in.byte() & 1);
            break;
          case 4:
            sv.set_vf_link_state(vf, in.byte() % 4);
            break;
          case 5:
            sv.set_vf_rate(vf, in.u16() % 11000, in.u16() % 11000, (in.byte() & 1) ? 10000 : 1000);
            break;
          case 6:
            sv.set_vf_rss_query_en(vf, in.byte() & 1);
            break;
          default:
            sv.ping_vf(static_cast<unsigned>(vf) & 0xff);
            break;
        }
        break;
      }
      case 2: {
        const uint8_t flags = in.byte();
        std::vector<uint64_t> mc(in.byte() % 41), uc(in.byte() % 141);
        for (uint64_t& m : mc) m = in.mac() | 0x010000000000ull;
        for (uint64_t& m : uc) m = in.mac() & ~0x010000000000ull;
        sv.set_rx_mode(flags & 1, flags & 2, mc, uc);
        break;
      }
      case 3: {
        const unsigned n = in.byte() % 70;
        sv.set_num_vfs(n);
        sv.configure(pf_mac, sv.num_vfs());
        sv.pf_up();
        break;
      }
      case 4:
        sv.pf_down();
        break;
      case 5:
        sv.link_changed(in.byte() & 1, 10000);
        break;
      case 6: {
        const uint16_t vid = in.u16() & 0xFFF;
        if (in.byte() & 1)
          sv.vlan_add(vid);
        else
          sv.vlan_del(vid);
        break;
      }
      default: {
        const uint8_t b = in.byte();
        if (b & 0x80)
          sv.vf_flr(b % 64 < sv.num_vfs() ? b % 64 : 0);
        else
          sv.set_num_vfs(b % 70);
        break;
      }
    }
    check_tables(nic, sv);
  }
  return 0;
}
