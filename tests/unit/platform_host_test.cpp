// The platform and the host software that drives it through its registers: config
// reads through the fabric, the BIOS (bus numbering, BARs, windows), the window
// allocator, and the kernel's PCI core (enumeration, ARI, SR-IOV enable/disable).
// Host code runs in an SC_THREAD of a small bench, as in the real simulator.
#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <string>
#include <vector>

#include "firmware/bios.h"
#include "platform/hal/pci_access.h"
#include "drivers-sim/host.h"
#include "drivers-sim/pci/pci.h"
#include "models/pcie/capabilities.h"
#include "models/pcie/sriov.h"
#include "platform/platform.h"
#include "scenarios/loader.h"
#include "tests/unit/sc_fixture.h"

namespace iovsim::host {
namespace {

using namespace iovsim::pcie;
using namespace iovsim::hal;
using fw::bios_summary;
using sc_core::sc_time;

bios_summary run_bios(platform::host_bus& bus, const pb::Firmware& firmware) {
  firmware_hal hw(bus);
  return fw::run_bios(hw, bios_options_of(firmware));
}

constexpr uint64_t MMIO64 = 0x380000000000ull;

class platform_host : public test::sc_fixture {
 protected:
  platform::machine& build(const std::string& text) {
    pb::Platform spec;
    EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &spec)) << text;
    m_machine = std::make_unique<platform::machine>(spec, m_profiles);
    return *m_machine;
  }
  // The built-ins plus "x540_noari": an X540 without the ARI capability.
  platform_host() : m_profiles(scen::builtin_profiles()) {
    for (const auto& d : scen::builtin_profiles().device())
      if (d.name() == "x540") {
        pb::DeviceProfile* p = m_profiles.add_device();
        *p = d;
        p->set_name("x540_noari");
        p->set_ari(false);
      }
  }
  // A new run inside one test: new SystemC context, new sim_env.
  void restart() {
    m_machine.reset();
    env.reset();
    test::fresh_systemc_context();
    env = std::make_unique<kit::sim_env>(1);
  }
  void TearDown() override {
    m_machine.reset();
    sc_fixture::TearDown();
  }

  pb::ProfileLibrary m_profiles;
  std::unique_ptr<platform::machine> m_machine;
};

const char* const X540 = R"(
  root_port { name: "rp1" device: 1 }
  endpoint { name: "nic" profile: "x540" attach: "rp1" }
)";

// dmesg without the time stamp: "[    0.001234] text" -> "text".
std::vector<std::string> texts(const kernel_log& log) {
  std::vector<std::string> out;
  for (const auto& l : log.lines()) out.push_back(l.substr(l.find("] ") + 2));
  return out;
}

bool has(const std::vector<std::string>& lines, const std::string& text) {
  return std::find(lines.begin(), lines.end(), text) != lines.end();
}

// ---------------------------------------------------------------------------
// Host CPU accesses through the fabric

TEST_F(platform_host, absent_functions_read_all_ones) {
  platform::machine& m = build(X540);
  platform::host_cpu& cpu = m.cpu();
  run_thread([&] {
    EXPECT_EQ(cpu.cfg_read(0, 0x00, CFG_VENDOR_ID, 4), 0x29c08086u);  // q35 host bridge
    EXPECT_EQ(cpu.cfg_read(0, 0x08, CFG_VENDOR_ID, 4), 0x000c1b36u);  // root port 00:01.0
    EXPECT_EQ(cpu.cfg_read(0, 0x10, CFG_VENDOR_ID, 4), 0xffffffffu);  // no 00:02.0
    EXPECT_EQ(cpu.cfg_read(0, 0x09, CFG_VENDOR_ID, 2), 0xffffu);
    // Bus 1 is unreachable until the root port has a secondary bus number.
    EXPECT_EQ(cpu.cfg_read(1, 0, CFG_VENDOR_ID, 4), 0xffffffffu);
    cpu.cfg_write(0, 0x08, CFG_PRIMARY_BUS, 4, 0x00010100);
    EXPECT_EQ(cpu.cfg_read(1, 0, CFG_VENDOR_ID, 4), 0x15288086u);
    EXPECT_EQ(cpu.cfg_read(1, 1, CFG_VENDOR_ID, 2), 0x8086u);
    EXPECT_EQ(cpu.cfg_read(1, 2, CFG_VENDOR_ID, 4), 0xffffffffu);     // a two-function device
    EXPECT_EQ(cpu.cfg_read(1, 0x08, CFG_VENDOR_ID, 4), 0xffffffffu);  // only device 0 on a link
    EXPECT_EQ(cpu.cfg_read(2, 0, CFG_VENDOR_ID, 4), 0xffffffffu);     // beyond subordinate
    // Every config access and MMIO read waits the root complex's 700 ns.
    const sc_time t0 = sc_core::sc_time_stamp();
    cpu.cfg_read(1, 0, CFG_VENDOR_ID, 4);
    EXPECT_EQ(sc_core::sc_time_stamp() - t0, sc_time(700, sc_core::SC_NS));
    EXPECT_EQ(cpu.mmio_read(0x90000000, 4), 0xffffffffu);  // nothing decodes it
    EXPECT_EQ(sc_core::sc_time_stamp() - t0, sc_time(1400, sc_core::SC_NS));
    cpu.mmio_write(0x90000000, 4, 1);  // posted: no wait
    EXPECT_EQ(sc_core::sc_time_stamp() - t0, sc_time(1400, sc_core::SC_NS));
  });
  EXPECT_EQ(m.cpu().cfg_accesses(), 12u);
  EXPECT_EQ(m.cpu().mmio_accesses(), 2u);
  EXPECT_EQ(env->params().declared().at("rc.cfg_access_latency").value_text, sc_time(700, sc_core::SC_NS).to_string());
}

// ---------------------------------------------------------------------------
// BIOS

const char* const TWO_PORTS = R"(
  root_port { name: "rp1" device: 1 }
  root_port { name: "rp2" device: 2 }
  endpoint { name: "nic" profile: "x540" attach: "rp1" }
  endpoint { name: "igb" profile: "i350" attach: "rp2" }
)";

TEST_F(platform_host, bios_numbers_buses_tightly_or_with_room_for_vfs) {
  for (const char* numbering : {"TIGHT", "RESERVE_VF_BUSES"}) {
    SCOPED_TRACE(numbering);
    restart();
    platform::machine& m = build(std::string(TWO_PORTS) + "firmware { bus_numbering: " + numbering + " }");
    const bool tight = std::string(numbering) == "TIGHT";
    bios_summary s;
    run_thread([&] {
      s = run_bios(m.cpu(), m.spec().firmware());
      // Primary, secondary, subordinate. Without ARI both parts put their VFs on
      // the next bus (offset 384), so a reserving BIOS leaves one bus spare each.
      EXPECT_EQ(m.cpu().cfg_read(0, 0x08, CFG_PRIMARY_BUS, 4) & 0xffffff, tight ? 0x010100u : 0x020100u);
      EXPECT_EQ(m.cpu().cfg_read(0, 0x10, CFG_PRIMARY_BUS, 4) & 0xffffff, tight ? 0x020200u : 0x040300u);
      EXPECT_EQ(m.cpu().cfg_read(tight ? 2 : 3, 3, CFG_VENDOR_ID, 4), 0x15218086u);  // I350 port 3
      // The probe for the VF bus range leaves NumVFs at 0.
      const uint32_t sr = find_ext_capability(m.cpu(), 1, 0, ECAP_ID_SRIOV);
      EXPECT_EQ(m.cpu().cfg_read(1, 0, sr + SRIOV_NUM_VF, 2), 0u);
    });
    EXPECT_EQ(s.last_bus, tight ? 2u : 4u);
    EXPECT_EQ(s.functions, 1u + 2u + 2u + 4u);
  }
}

TEST_F(platform_host, bios_assigns_bars_inside_the_bridge_windows) {
  platform::machine& m = build(TWO_PORTS);
  platform::host_cpu& cpu = m.cpu();
  bios_summary s;
  run_thread([&] {
    s = run_bios(cpu, m.spec().firmware());
    // X540 (bus 1): 64-bit prefetchable BARs only, largest alignment first: PF0 BAR0,
    // PF1 BAR0 (2 MiB), then in function order the BAR4s and the IOV resources
    // (64 x 16 KiB, aligned to one 16 KiB VF BAR as Linux aligns them).
    EXPECT_EQ(cpu.cfg_read(1, 0, 0x10, 4), 0x0000000cu);
    EXPECT_EQ(cpu.cfg_read(1, 0, 0x14, 4), 0x3800u);
    EXPECT_EQ(cpu.cfg_read(1, 1, 0x10, 4), 0x0020000cu);
    EXPECT_EQ(cpu.cfg_read(1, 0, 0x20, 4), 0x0040000cu);
    EXPECT_EQ(cpu.cfg_read(1, 1, 0x20, 4), 0x0060400cu);
    const uint32_t sr = find_ext_capability(cpu, 1, 0, ECAP_ID_SRIOV);
    EXPECT_EQ(cpu.cfg_read(1, 0, sr + SRIOV_BAR, 4), 0x0040400cu);
    EXPECT_EQ(cpu.cfg_read(1, 0, sr + SRIOV_BAR + 4, 4), 0x3800u);
    EXPECT_EQ(cpu.cfg_read(1, 0, sr + SRIOV_BAR + 12, 4), 0x0050400cu);
    EXPECT_EQ(cpu.cfg_read(1, 1, sr + SRIOV_BAR, 4), 0x0060800cu);
    EXPECT_EQ(cpu.cfg_read(1, 1, sr + SRIOV_BAR + 12, 4), 0x0070800cu);
    // Root port 1: no 32-bit window, prefetchable window of 9 MiB (8 MiB + 32 KiB rounded up).
    EXPECT_EQ(cpu.cfg_read(0, 0x08, CFG_MEM_BASE, 4), 0x0000fff0u);
    EXPECT_EQ(cpu.cfg_read(0, 0x08, CFG_PREF_BASE, 4), 0x00810001u);
    EXPECT_EQ(cpu.cfg_read(0, 0x08, CFG_PREF_BASE_UPPER, 4), 0x3800u);
    EXPECT_EQ(cpu.cfg_read(0, 0x08, CFG_PREF_LIMIT_UPPER, 4), 0x3800u);
    EXPECT_EQ(cpu.cfg_read(0, 0x08, CFG_COMMAND, 2), COMMAND_MEMORY | COMMAND_MASTER);
    // I350 (bus 3): 32-bit BARs in the 1 MiB non-prefetchable window at 0x9000_0000,
    // its VF BARs (8 x 16 KiB each) in the prefetchable one after root port 1's.
    EXPECT_EQ(cpu.cfg_read(0, 0x10, CFG_MEM_BASE, 4), 0x90009000u);
    EXPECT_EQ(cpu.cfg_read(0, 0x10, CFG_PREF_BASE, 4), 0x00910091u);
    EXPECT_EQ(cpu.cfg_read(3, 0, 0x10, 4), 0x90000000u);
    EXPECT_EQ(cpu.cfg_read(3, 3, 0x10, 4), 0x90060000u);
    EXPECT_EQ(cpu.cfg_read(3, 0, 0x1c, 4), 0x90080000u);
    EXPECT_EQ(cpu.cfg_read(3, 3, 0x1c, 4), 0x9008c000u);
    EXPECT_EQ(cpu.cfg_read(3, 2, 0x18, 4), 0x00000001u);  // I/O BARs are left alone
    const uint32_t isr = find_ext_capability(cpu, 3, 0, ECAP_ID_SRIOV);
    EXPECT_EQ(cpu.cfg_read(3, 0, isr + SRIOV_BAR, 4), 0x0090000cu);
    EXPECT_EQ(cpu.cfg_read(3, 3, isr + SRIOV_BAR + 12, 4), 0x009e000cu);
    // The windows really route: each PF's MAC is in RAL0/RAH0 behind BAR0.
    EXPECT_EQ(cpu.mmio_read(MMIO64 + 0xa200, 4), 0xffffffffu);  // PF Memory Space still off
    cpu.cfg_write(1, 1, CFG_COMMAND, 2, COMMAND_MEMORY);
    cpu.cfg_write(3, 2, CFG_COMMAND, 2, COMMAND_MEMORY);
    EXPECT_EQ(cpu.mmio_read(MMIO64 + 0x200000 + 0xa200, 8), 0x80000100a1211b00ull);  // 00:1b:21:a1:00:01
    EXPECT_EQ(cpu.mmio_read(0x90040000 + 0x5400, 4), 0xa2211b00u);                   // 00:1b:21:a2:00:02
    EXPECT_EQ(cpu.mmio_read(0x90040000 + 0x5404, 4), 0x80000200u);
  });
  EXPECT_EQ(s.bars_assigned, 8u + 8u + 8u);
  EXPECT_EQ(s.iov_bars_left, 0u);
  ASSERT_FALSE(env->log_lines().empty());
  const std::string& last = env->log_lines().back();
  EXPECT_EQ(last.substr(last.find("] ") + 2),
            "host.bios: PCI init: 9 functions, buses 00-04, 24 BARs assigned, 0 VF BARs left unassigned");
}

TEST_F(platform_host, bios_without_sriov_support_leaves_vf_bars_unassigned) {
  platform::machine& m = build(std::string(X540) + "firmware { iov_bars: LEAVE_UNASSIGNED }");
  platform::host_cpu& cpu = m.cpu();
  bios_summary s;
  run_thread([&] {
    s = run_bios(cpu, m.spec().firmware());
    const uint32_t sr = find_ext_capability(cpu, 1, 0, ECAP_ID_SRIOV);
    EXPECT_EQ(cpu.cfg_read(1, 0, sr + SRIOV_BAR, 4), 0x0000000cu);
    EXPECT_EQ(cpu.cfg_read(1, 0, sr + SRIOV_BAR + 4, 4), 0u);
    EXPECT_EQ(cpu.cfg_read(1, 0, 0x20, 4), 0x0040000cu);   // BAR4s right after the BAR0s
    EXPECT_EQ(cpu.cfg_read(0, 0x08, CFG_PREF_BASE, 4), 0x00410001u);  // 5 MiB: PF BARs only
  });
  EXPECT_EQ(s.bars_assigned, 4u);
  EXPECT_EQ(s.iov_bars_left, 4u);
}

// ---------------------------------------------------------------------------
// PCI core

struct kernel {
  kernel_log log;
  std::unique_ptr<pci_core> pci;
  kernel(platform::machine& m, const std::string& cmdline)
      : pci(std::make_unique<pci_core>(m.cpu(), kernel_params::parse(cmdline), log)) {}
};

TEST_F(platform_host, scan_enables_ari_forwarding_and_reads_sriov) {
  platform::machine& m = build(X540);
  run_thread([&] {
    run_bios(m.cpu(), m.spec().firmware());
    kernel k(m, "");
    k.pci->scan();
    std::vector<std::string> bdfs;
    for (pci_dev* d : k.pci->devices()) bdfs.push_back(d->bdf());
    EXPECT_EQ(bdfs, (std::vector<std::string>{"0000:00:00.0", "0000:00:01.0", "0000:01:00.0", "0000:01:00.1"}));
    pci_dev* rp = k.pci->find("00:01.0");
    ASSERT_NE(rp, nullptr);
    EXPECT_TRUE(rp->ari_enabled);
    EXPECT_EQ(m.cpu().cfg_read(0, 0x08, rp->exp_pos + EXP_DEVCTL2, 2) & EXP_DEVCTL2_ARI, EXP_DEVCTL2_ARI);
    EXPECT_EQ(rp->secondary, 1u);
    EXPECT_EQ(rp->subordinate, 2u);  // what the reserving BIOS set
    for (unsigned fn = 0; fn < 2; ++fn) {
      pci_dev* pf = k.pci->find(1, fn);
      ASSERT_NE(pf, nullptr);
      EXPECT_EQ(pf->total_vfs, 64u);
      EXPECT_EQ(pf->vf_device, 0x1515u);
      EXPECT_EQ(pf->vf_offset, 128u);
      EXPECT_EQ(pf->vf_stride, 2u);
      // Linux sets ARI Capable Hierarchy in the first PF of the bus only (iov.c
      // sriov_init); PF1's VFs still land ARI-style, as the device follows PF0's bit.
      EXPECT_EQ(pf->sriov_ctrl, fn == 0 ? SRIOV_CTRL_ARI : 0u);
      EXPECT_EQ(pf->max_vf_buses, 1u);  // 01:00.1 + 128 + 2 x 63 = function 255 of bus 1
      EXPECT_EQ(m.cpu().cfg_read(1, fn, pf->sriov_pos + SRIOV_NUM_VF, 2), 0u);
      EXPECT_TRUE(pf->iov_bars[0].assigned);
      EXPECT_EQ(pf->iov_bars[0].size, 0x4000u);
    }
    EXPECT_EQ(k.pci->find(1, 1)->iov_bars[3].start, MMIO64 + 0x708000);
    const auto lines = texts(k.log);
    EXPECT_TRUE(has(lines, "pci 0000:01:00.0: [8086:1528] type 00 class 0x020000"));
    EXPECT_TRUE(has(lines, "pci 0000:00:01.0: PCI bridge to [bus 01-02]"));
    EXPECT_TRUE(has(lines, "pci 0000:01:00.0: reg 0x10: [mem 0x380000000000-0x3800001fffff 64bit pref]"));
    EXPECT_TRUE(has(lines, "pci 0000:01:00.0: VF(n) BAR0 space: [mem 0x380000404000-0x380000503fff 64bit pref] "
                           "(contains BAR0 for 64 VFs)"));
  });
}

TEST_F(platform_host, scan_without_ari) {
  for (const char* variant : {"noari", "device without ARI"}) {
    SCOPED_TRACE(variant);
    restart();
    const bool noari = std::string(variant) == "noari";
    platform::machine& m = build(noari ? X540 : R"(
      root_port { name: "rp1" device: 1 }
      endpoint { name: "nic" profile: "x540_noari" attach: "rp1" })");
    run_thread([&] {
      run_bios(m.cpu(), m.spec().firmware());
      kernel k(m, noari ? "pci=noari" : "");
      k.pci->scan();
      EXPECT_EQ(k.pci->devices().size(), 4u);  // both functions, as a multi-function device
      pci_dev* rp = k.pci->find("00:01.0");
      EXPECT_FALSE(rp->ari_enabled);
      EXPECT_EQ(m.cpu().cfg_read(0, 0x08, rp->exp_pos + EXP_DEVCTL2, 2) & EXP_DEVCTL2_ARI, 0u);
      pci_dev* pf1 = k.pci->find(1, 1);
      EXPECT_EQ(pf1->ari_pos != 0, noari);
      EXPECT_EQ(pf1->sriov_ctrl, 0u);
      EXPECT_EQ(pf1->vf_offset, 384u);
      EXPECT_EQ(pf1->max_vf_buses, 2u);  // 01:00.1 + 384 + 2 x 63 = bus 2
    });
  }
}

// A switch below the root port: the fabric routes config requests by the bus numbers
// the software wrote and memory by the windows, through both levels.
TEST_F(platform_host, switch_routes_by_bus_numbers_and_windows) {
  platform::machine& m = build(R"(
    root_port { name: "rp1" device: 1 }
    switch { name: "sw" attach: "rp1" profile: "plx_pex8747"
             downstream { name: "dp8" device: 8 } downstream { name: "dp9" device: 9 } }
    endpoint { name: "nic" profile: "x540" attach: "dp8" }
    endpoint { name: "igb" profile: "i350" attach: "dp9" })");
  platform::host_cpu& cpu = m.cpu();
  run_thread([&] {
    const bios_summary s = run_bios(cpu, m.spec().firmware());
    EXPECT_EQ(s.functions, 11u);
    EXPECT_EQ(s.last_bus, 6u);
    EXPECT_EQ(cpu.cfg_read(0, 0x08, CFG_PRIMARY_BUS, 4) & 0xffffff, 0x060100u);  // root port 1-6
    EXPECT_EQ(cpu.cfg_read(1, 0x00, CFG_PRIMARY_BUS, 4) & 0xffffff, 0x060201u);  // upstream port 2-6
    EXPECT_EQ(cpu.cfg_read(2, 0x40, CFG_PRIMARY_BUS, 4) & 0xffffff, 0x040302u);  // 02:08.0 3-4
    EXPECT_EQ(cpu.cfg_read(2, 0x48, CFG_PRIMARY_BUS, 4) & 0xffffff, 0x060502u);  // 02:09.0 5-6
    EXPECT_EQ(cpu.cfg_read(1, 0x00, CFG_VENDOR_ID, 4), 0x874710b5u);
    EXPECT_EQ(cpu.cfg_read(1, 0x08, CFG_VENDOR_ID, 4), 0xffffffffu);  // one device on the link
    EXPECT_EQ(cpu.cfg_read(2, 0x50, CFG_VENDOR_ID, 4), 0xffffffffu);  // no port at device 10
    EXPECT_EQ(cpu.cfg_read(7, 0x00, CFG_VENDOR_ID, 4), 0xffffffffu);  // beyond every range
    EXPECT_EQ(cpu.cfg_read(5, 0x03, CFG_VENDOR_ID, 4), 0x15218086u);
    cpu.cfg_write(5, 2, CFG_COMMAND, 2, COMMAND_MEMORY);
    EXPECT_EQ(cpu.mmio_read(0x90040000 + 0x5400, 4), 0xa2211b00u);  // through rp1, sw.up, dp9
    kernel k(m, "");
    k.pci->scan();
    std::vector<std::string> bdfs;
    for (pci_dev* d : k.pci->devices()) bdfs.push_back(d->short_bdf());
    EXPECT_EQ(bdfs, (std::vector<std::string>{"00:00.0", "00:01.0", "01:00.0", "02:08.0", "02:09.0", "03:00.0",
                                              "03:00.1", "05:00.0", "05:00.1", "05:00.2", "05:00.3"}));
    EXPECT_FALSE(k.pci->find("00:01.0")->ari_enabled);  // a switch port has no ARI capability
    EXPECT_TRUE(k.pci->find("02:08.0")->ari_enabled);
    EXPECT_TRUE(k.pci->find("02:09.0")->ari_enabled);
    ASSERT_EQ(k.pci->enable_sriov(*k.pci->find("05:00.3"), 2), 0);
    // I350 port 3 with ARI: 05:00.3 + 128 + 4i = 05:10.3, 05:10.7.
    EXPECT_EQ(cpu.cfg_read(5, 0x87, CFG_REVISION, 4), 0x02000001u);
    EXPECT_NE(k.pci->find("05:10.7"), nullptr);
  });
}

TEST_F(platform_host, enable_sriov_fails_when_the_vf_bus_is_out_of_range) {
  platform::machine& m = build(std::string(X540) + "firmware { bus_numbering: TIGHT }");
  run_thread([&] {
    run_bios(m.cpu(), m.spec().firmware());
    kernel k(m, "pci=noari");
    k.pci->scan();
    pci_dev& pf = *k.pci->find(1, 0);
    EXPECT_EQ(k.pci->find("00:01.0")->subordinate, 1u);
    EXPECT_EQ(k.pci->enable_sriov(pf, 8), -ENOMEM);
    EXPECT_TRUE(has(texts(k.log), "pci 0000:01:00.0: can't enable 8 VFs (bus 02 out of range of [bus 01])"));
    EXPECT_EQ(pf.num_vfs, 0u);
    EXPECT_EQ(m.cpu().cfg_read(1, 0, pf.sriov_pos + SRIOV_NUM_VF, 2), 0u);
    EXPECT_EQ(m.cpu().cfg_read(1, 0, pf.sriov_pos + SRIOV_CTRL, 2), 0u);
    EXPECT_EQ(k.pci->devices().size(), 4u);
  });
}

TEST_F(platform_host, enable_sriov_fails_without_mmio_for_the_vf_bars) {
  platform::machine& m = build(std::string(X540) + "firmware { iov_bars: LEAVE_UNASSIGNED }");
  run_thread([&] {
    run_bios(m.cpu(), m.spec().firmware());
    kernel k(m, "");
    k.pci->scan();
    const auto lines = texts(k.log);
    // No 1 MiB-aligned MiB is left in the 5 MiB window the BIOS sized for PF BARs.
    EXPECT_TRUE(has(lines, "pci 0000:01:00.0: BAR 7: no space for [mem size 0x00100000 64bit pref]"));
    EXPECT_TRUE(has(lines, "pci 0000:01:00.0: BAR 7: failed to assign [mem size 0x00100000 64bit pref]"));
    EXPECT_TRUE(has(lines, "pci 0000:01:00.1: BAR 10: failed to assign [mem size 0x00100000 64bit pref]"));
    pci_dev& pf = *k.pci->find(1, 0);
    EXPECT_FALSE(pf.iov_bars[0].assigned);
    EXPECT_EQ(k.pci->enable_sriov(pf, 1), -ENOMEM);
    EXPECT_EQ(texts(k.log).back(), "pci 0000:01:00.0: not enough MMIO resources for SR-IOV");
    EXPECT_EQ(m.cpu().cfg_read(1, 0, pf.sriov_pos + SRIOV_NUM_VF, 2), 0u);
  });
}

TEST_F(platform_host, enable_sriov_refuses_a_second_enable_and_too_many_vfs) {
  platform::machine& m = build(X540);
  run_thread([&] {
    run_bios(m.cpu(), m.spec().firmware());
    kernel k(m, "");
    k.pci->scan();
    pci_dev& pf0 = *k.pci->find(1, 0);
    pci_dev& pf1 = *k.pci->find(1, 1);
    EXPECT_EQ(k.pci->enable_sriov(pf1, 65), -EINVAL);
    EXPECT_EQ(k.pci->enable_sriov(pf0, 0), 0);
    EXPECT_EQ(pf0.num_vfs, 0u);
    EXPECT_EQ(k.pci->enable_sriov(pf0, 4), 0);
    EXPECT_EQ(k.pci->enable_sriov(pf0, 2), -EINVAL);
    EXPECT_EQ(pf0.num_vfs, 4u);
    EXPECT_EQ(k.pci->enable_sriov(*k.pci->find("00:01.0"), 1), -ENODEV);
  });
}

TEST_F(platform_host, enable_waits_100ms_and_disable_1s) {
  env->params().set_override("rc.cfg_access_latency", "0");  // only the kernel's waits count
  platform::machine& m = build(X540);
  run_thread([&] {
    run_bios(m.cpu(), m.spec().firmware());
    kernel k(m, "");
    k.pci->scan();
    pci_dev& pf = *k.pci->find(1, 0);
    sc_time t0 = sc_core::sc_time_stamp();
    ASSERT_EQ(k.pci->enable_sriov(pf, 4), 0);
    EXPECT_EQ(sc_core::sc_time_stamp() - t0, sc_time(100, sc_core::SC_MS));
    std::vector<std::string> vfs;
    for (pci_dev* d : k.pci->devices())
      if (d->is_virtfn) vfs.push_back(d->short_bdf());
    EXPECT_EQ(vfs, (std::vector<std::string>{"01:10.0", "01:10.2", "01:10.4", "01:10.6"}));
    pci_dev* vf3 = k.pci->find("01:10.6");
    ASSERT_NE(vf3, nullptr);
    EXPECT_EQ(vf3->vendor, 0x8086u);
    EXPECT_EQ(vf3->device, 0x1515u);
    EXPECT_EQ(vf3->class_code, 0x020000u);
    EXPECT_EQ(vf3->physfn, &pf);
    EXPECT_EQ(vf3->vf_index, 3u);
    EXPECT_EQ(vf3->bars[0].start, MMIO64 + 0x404000 + 3 * 0x4000);
    EXPECT_EQ(vf3->bars[3].start, MMIO64 + 0x504000 + 3 * 0x4000);
    EXPECT_EQ(m.cpu().cfg_read(1, 0x86, CFG_VENDOR_ID, 4), 0xffffffffu);  // VF IDs read 0xFFFF
    EXPECT_EQ(m.cpu().cfg_read(1, 0x86, CFG_REVISION, 4), 0x02000001u);
    EXPECT_EQ(m.cpu().cfg_read(1, 0, pf.sriov_pos + SRIOV_CTRL, 2),
              SRIOV_CTRL_ARI | SRIOV_CTRL_VFE | SRIOV_CTRL_MSE);
    EXPECT_EQ(m.endpoints()[0]->pfs()[0]->vfs().size(), 4u);
    EXPECT_TRUE(has(texts(k.log), "pci 0000:01:10.6: [8086:1515] type 00 class 0x020000"));

    t0 = sc_core::sc_time_stamp();
    k.pci->disable_sriov(pf);
    EXPECT_EQ(sc_core::sc_time_stamp() - t0, sc_time(1, sc_core::SC_SEC));
    EXPECT_EQ(pf.num_vfs, 0u);
    EXPECT_TRUE(pf.vfs.empty());
    EXPECT_EQ(k.pci->devices().size(), 4u);
    EXPECT_EQ(m.cpu().cfg_read(1, 0, pf.sriov_pos + SRIOV_CTRL, 2), SRIOV_CTRL_ARI);
    EXPECT_EQ(m.cpu().cfg_read(1, 0, pf.sriov_pos + SRIOV_NUM_VF, 2), 0u);
    EXPECT_TRUE(m.endpoints()[0]->pfs()[0]->vfs().empty());
    EXPECT_EQ(m.cpu().cfg_read(1, 0x86, CFG_REVISION, 4), 0xffffffffu);  // gone: UR
  });
}

}  // namespace
}  // namespace iovsim::host
