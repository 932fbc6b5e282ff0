// The platform firmware and the config-space conventions under it, without SystemC:
// the BIOS runs against a fake HAL whose config space is a few plain arrays (a root
// port with an SR-IOV endpoint behind it, and a lone endpoint on bus 0), and the
// window allocator against hand-built trees. This executable links no simulator.
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "firmware/bios.h"
#include "models/pcie/pci_regs.h"
#include "platform/hal/pci_access.h"
#include "platform/hal/res_alloc.h"

namespace iovsim::fw {
namespace {

using namespace iovsim::pcie;
using namespace iovsim::hal;

constexpr uint64_t MMIO64 = 0x380000000000ull;
constexpr uint32_t SRIOV_AT = 0x100;

// One function's config space: bytes, and which bits of each BAR software may set.
struct fake_function {
  std::array<uint8_t, 4096> cfg{};
  std::map<unsigned, uint32_t> bar_mask;   // config offset -> writable bits
  std::map<unsigned, bool> bar_upper;      // the upper dword of a 64-bit BAR: no type bits
  bool bridge = false;

  uint32_t get(unsigned off, unsigned len) const {
    uint32_t v = 0;
    for (unsigned i = 0; i < len; ++i) v |= uint32_t{cfg[off + i]} << (8 * i);
    return v;
  }
  void set(unsigned off, unsigned len, uint32_t v) {
    for (unsigned i = 0; i < len; ++i) cfg[off + i] = static_cast<uint8_t>(v >> (8 * i));
  }
  void add_bar(unsigned off, uint64_t size, bool is64, bool pref) {
    const uint32_t type = (is64 ? BAR_MEM_64 : 0) | (pref ? BAR_PREFETCH : 0);
    set(off, 4, type);
    bar_mask[off] = static_cast<uint32_t>(~(size - 1)) & ~0xfu;
    if (is64) {
      bar_mask[off + 4] = static_cast<uint32_t>(~(size - 1) >> 32);
      bar_upper[off + 4] = true;
    }
  }
};

// A config space the BIOS can enumerate: type-0 and type-1 headers, BARs that size,
// bus-number registers that route, and an SR-IOV capability whose NumVFs is writable.
class fake_hal : public hal, public platform::host_bus {
 public:
  fake_hal() {
    // 00:01.0 root port; behind it 01:00.0, an SR-IOV NIC (PF BAR0 2 MiB 64-bit pref,
    // BAR2 16 KiB 32-bit; 4 VFs at offset 0x80 stride 2, all on the PF's bus; VF BAR0
    // 16 KiB 64-bit pref).
    fake_function& rp = m_bus0[0x08];
    header(rp, 0x8086, 0x3c0a, 0x060400, 1);
    rp.bridge = true;
    fake_function& nic = m_below[0x00];
    header(nic, 0x8086, 0x1528, 0x020000, 0);
    nic.set(CFG_INT_PIN, 1, 1);
    nic.add_bar(CFG_BAR0, 2u << 20, true, true);
    nic.add_bar(CFG_BAR0 + 8, 16u << 10, false, false);
    nic.set(SRIOV_AT, 4, ECAP_ID_SRIOV | 1u << 16);
    nic.set(SRIOV_AT + SRIOV_TOTAL_VF, 2, 4);
    nic.set(SRIOV_AT + SRIOV_VF_OFFSET, 2, 0x80);
    nic.set(SRIOV_AT + SRIOV_VF_STRIDE, 2, 2);
    nic.add_bar(SRIOV_AT + SRIOV_BAR, 16u << 10, true, true);
    // 00:02.0: an endpoint on the root bus with one 4 KiB BAR.
    fake_function& ep = m_bus0[0x10];
    header(ep, 0x1234, 0x0001, 0x088000, 0);
    ep.add_bar(CFG_BAR0, 4096, false, false);
  }

  platform::host_bus& bus() override { return *this; }
  void log(const std::string& who, const std::string& message) override { lines.push_back(who + ": " + message); }

  uint32_t cfg_read(unsigned b, unsigned devfn, unsigned reg, unsigned len) override {
    const fake_function* f = at(b, devfn);
    return f ? f->get(reg, len) : (len == 4 ? 0xffffffffu : (1u << (8 * len)) - 1);
  }
  void cfg_write(unsigned b, unsigned devfn, unsigned reg, unsigned len, uint32_t value) override {
    ++cfg_writes;
    fake_function* f = at(b, devfn);
    if (!f) return;
    const unsigned dword = reg & ~3u;
    if (f->bar_mask.count(dword)) {
      // A BAR keeps its type bits; only the address bits the size allows change.
      const uint32_t type = f->bar_upper.count(dword) ? 0 : f->get(dword, 4) & 0xf;
      f->set(dword, 4, (value & f->bar_mask[dword]) | type);
      return;
    }
    if (reg == CFG_VENDOR_ID || reg == SRIOV_AT + SRIOV_TOTAL_VF || reg == SRIOV_AT + SRIOV_VF_OFFSET) return;
    f->set(reg, len, value);
  }
  uint64_t mmio_read(uint64_t, unsigned) override { return ~0ull; }
  void mmio_write(uint64_t, unsigned, uint64_t) override {}
  void mem_read(uint64_t, void* data, unsigned len) override { std::memset(data, 0, len); }
  void mem_write(uint64_t, const void*, unsigned) override {}

  fake_function& root_port() { return m_bus0[0x08]; }
  fake_function& nic() { return m_below[0x00]; }
  fake_function& lone() { return m_bus0[0x10]; }
  std::vector<std::string> lines;
  unsigned cfg_writes = 0;

 private:
  static void header(fake_function& f, uint16_t vendor, uint16_t device, uint32_t cls, uint8_t type) {
    f.set(CFG_VENDOR_ID, 2, vendor);
    f.set(CFG_DEVICE_ID, 2, device);
    f.set(CFG_CLASS_PROG, 1, cls & 0xff);
    f.set(CFG_CLASS_PROG + 1, 2, cls >> 8);
    f.set(CFG_HEADER_TYPE, 1, type);
  }
  // Bus 0 is the root bus; the root port's secondary bus reaches the NIC.
  fake_function* at(unsigned b, unsigned devfn) {
    if (b == 0) {
      auto it = m_bus0.find(devfn);
      return it == m_bus0.end() ? nullptr : &it->second;
    }
    const unsigned sec = root_port().get(CFG_SECONDARY_BUS, 1);
    if (sec != 0 && b == sec) {
      auto it = m_below.find(devfn);
      return it == m_below.end() ? nullptr : &it->second;
    }
    return nullptr;
  }
  std::map<unsigned, fake_function> m_bus0, m_below;
};

TEST(bios, numbers_buses_assigns_bars_and_opens_windows) {
  fake_hal hw;
  const bios_summary s = run_bios(hw, bios_options{});
  // Bus numbers: primary 0, secondary 1; VF 3 is at devfn 0 + 0x80 + 3 x 2 = 0x86,
  // still bus 1, so no bus is reserved beyond it.
  EXPECT_EQ(hw.root_port().get(CFG_PRIMARY_BUS, 4) & 0xffffff, 0x010100u);
  EXPECT_EQ(s.last_bus, 1u);
  EXPECT_EQ(s.functions, 3u);
  // The NIC's 64-bit prefetchable BARs (PF 2 MiB, VFs 4 x 16 KiB) sit in the
  // prefetchable window from mmio64_base, largest first; its 32-bit BAR in the
  // root port's 1 MiB memory window from mmio_base, then the lone endpoint's.
  EXPECT_EQ(hw.nic().get(CFG_BAR0, 4), 0x0000000cu);
  EXPECT_EQ(hw.nic().get(CFG_BAR0 + 4, 4), 0x3800u);
  EXPECT_EQ(hw.nic().get(SRIOV_AT + SRIOV_BAR, 4), 0x0020000cu);
  EXPECT_EQ(hw.nic().get(CFG_BAR0 + 8, 4), 0x90000000u);
  EXPECT_EQ(hw.lone().get(CFG_BAR0, 4), 0x90100000u);
  EXPECT_EQ(hw.root_port().get(CFG_MEM_BASE, 4), 0x90009000u);   // [0x90000000, 0x900fffff]
  EXPECT_EQ(hw.root_port().get(CFG_PREF_BASE_UPPER, 4), 0x3800u);
  EXPECT_EQ(hw.root_port().get(CFG_COMMAND, 2), COMMAND_MEMORY | COMMAND_MASTER);
  // The VF bus probe left NumVFs at 0; INTA of 01:00.0 is routed (GSI 16 + (0 + 1 + 0) % 8).
  EXPECT_EQ(hw.nic().get(SRIOV_AT + SRIOV_NUM_VF, 2), 0u);
  EXPECT_EQ(hw.nic().get(CFG_INT_LINE, 1), 17u);
  EXPECT_EQ(s.bars_assigned, 4u);
  EXPECT_EQ(s.iov_bars_left, 0u);
  EXPECT_EQ(s.mmio_base, 0x90000000u);
  EXPECT_EQ(s.mmio64_base, MMIO64);
  ASSERT_EQ(hw.lines.size(), 1u);
  EXPECT_EQ(hw.lines[0], "host.bios: PCI init: 3 functions, buses 00-01, 4 BARs assigned, 0 VF BARs left unassigned");
}

TEST(bios, without_sriov_support_vf_bars_stay_unassigned_and_windows_move) {
  fake_hal hw;
  bios_options o;
  o.assign_iov_bars = false;
  o.mmio_base = 0xa0000000;
  o.mmio64_base = MMIO64 + (64u << 20);
  const bios_summary s = run_bios(hw, o);
  EXPECT_EQ(hw.nic().get(SRIOV_AT + SRIOV_BAR, 4), 0x0000000cu);
  EXPECT_EQ(hw.nic().get(CFG_BAR0 + 8, 4), 0xa0000000u);
  EXPECT_EQ(hw.nic().get(CFG_BAR0 + 4, 4), 0x3800u);
  EXPECT_EQ(hw.nic().get(CFG_BAR0, 4), 0x0400000cu);
  EXPECT_EQ(s.iov_bars_left, 1u);
  EXPECT_EQ(s.bars_assigned, 3u);
  EXPECT_EQ(s.mmio_base, 0xa0000000u);
}

TEST(pci_access, sizes_bars_and_walks_capabilities) {
  fake_hal hw;
  bool two = false;
  const resource r = read_bar(hw, 0, 0x10, CFG_BAR0, two);
  EXPECT_EQ(r.size, 4096u);
  EXPECT_FALSE(r.is_64bit);
  EXPECT_FALSE(two);
  EXPECT_FALSE(r.assigned);
  hw.root_port().set(CFG_SECONDARY_BUS, 1, 5);
  const resource big = read_bar(hw, 5, 0, CFG_BAR0, two);
  EXPECT_TRUE(two);
  EXPECT_TRUE(big.is_64bit && big.prefetchable);
  EXPECT_EQ(big.size, 2u << 20);
  EXPECT_EQ(find_ext_capability(hw, 5, 0, ECAP_ID_SRIOV), SRIOV_AT);
  EXPECT_EQ(find_ext_capability(hw, 5, 0, ECAP_ID_ARI), 0u);
  EXPECT_EQ(find_capability(hw, 5, 0, CAP_ID_EXP), 0u);   // no capability list bit
  EXPECT_EQ(virtfn_bus(3, 0x01, 0x80, 2, 63), 3u + ((0x01 + 0x80 + 126) >> 8));
  EXPECT_EQ(virtfn_devfn(0x01, 0x80, 2, 63), (0x01u + 0x80 + 126) & 0xff);
}

// ---------------------------------------------------------------------------
// Window allocator on a hand-built tree

alloc_node* add_bridge(alloc_node& parent) {
  parent.children.push_back(std::make_unique<alloc_node>());
  parent.children.back()->is_bridge = true;
  return parent.children.back().get();
}

alloc_node* add_function(alloc_node& parent, std::vector<alloc_request> reqs) {
  parent.children.push_back(std::make_unique<alloc_node>());
  parent.children.back()->requests = std::move(reqs);
  return parent.children.back().get();
}

alloc_request req(uint64_t size, bool pref64) {
  alloc_request r;
  r.size = size;
  r.pref64 = pref64;
  return r;
}

TEST(res_alloc, sizes_windows_and_places_largest_alignment_first) {
  alloc_node root;
  root.is_bridge = true;
  alloc_node* a = add_bridge(root);
  alloc_node* b = add_bridge(root);
  // 32-bit prefetchable BARs go to the non-prefetchable window: only 64-bit
  // prefetchable ones may go above 4 GiB.
  alloc_node* f1 = add_function(*a, {req(0x10000, false), req(0x200000, true), req(0x100000, false)});
  alloc_node* f2 = add_function(*b, {req(0x1000, false), req(0x10000, false), req(0x4000, true)});
  size_windows(root);
  EXPECT_EQ(a->mem_size, 0x200000u);  // 1 MiB + 64 KiB, in 1 MiB granules
  EXPECT_EQ(a->mem_align, 0x100000u);
  EXPECT_EQ(a->pref_size, 0x200000u);
  EXPECT_EQ(a->pref_align, 0x200000u);
  EXPECT_EQ(b->mem_size, 0x100000u);
  EXPECT_EQ(b->pref_size, 0x100000u);
  EXPECT_EQ(root.mem_size, 0x300000u);
  EXPECT_EQ(root.pref_size, 0x300000u);
  EXPECT_EQ(root.pref_align, 0x200000u);
  place(root, 0x90000000, MMIO64);
  EXPECT_EQ(a->mem_base, 0x90000000u);
  EXPECT_EQ(f1->requests[2].assigned, 0x90000000u);  // 1 MiB first
  EXPECT_EQ(f1->requests[0].assigned, 0x90100000u);
  EXPECT_EQ(b->mem_base, 0x90200000u);
  EXPECT_EQ(f2->requests[1].assigned, 0x90200000u);  // 64 KiB before 4 KiB
  EXPECT_EQ(f2->requests[0].assigned, 0x90210000u);
  EXPECT_EQ(a->pref_base, MMIO64);
  EXPECT_EQ(f1->requests[1].assigned, MMIO64);
  EXPECT_EQ(b->pref_base, MMIO64 + 0x200000);
  EXPECT_EQ(f2->requests[2].assigned, MMIO64 + 0x200000);
}

TEST(res_alloc, aligns_children_to_their_largest_bar) {
  alloc_node root;
  root.is_bridge = true;
  alloc_node* small = add_bridge(root);
  alloc_node* big = add_bridge(root);
  add_function(*small, {req(0x4000, true)});
  alloc_node* f = add_function(*big, {req(0x400000, true), req(0x4000, true)});
  alloc_node* empty = add_bridge(root);
  size_windows(root);
  EXPECT_EQ(big->pref_size, 0x500000u);
  EXPECT_EQ(big->pref_align, 0x400000u);
  EXPECT_EQ(empty->pref_size, 0u);
  EXPECT_EQ(empty->mem_size, 0u);
  // A base on a 1 MiB boundary: the 4 MiB-aligned child moves up to 4 MiB, the
  // smaller one follows it (placement order is by alignment, not by bus order).
  place(root, 0x90000000, MMIO64 + 0x100000);
  EXPECT_EQ(big->pref_base, MMIO64 + 0x400000);
  EXPECT_EQ(f->requests[0].assigned, MMIO64 + 0x400000);
  EXPECT_EQ(f->requests[1].assigned, MMIO64 + 0x800000);
  EXPECT_EQ(small->pref_base, MMIO64 + 0x900000);
  EXPECT_EQ(small->mem_base, 0u);  // closed windows get no base
  EXPECT_EQ(empty->pref_base, 0u);
}

}  // namespace
}  // namespace iovsim::fw
