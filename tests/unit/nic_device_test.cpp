// The X540 as the platform builds it (profile model "ixgbe"): the booted host has
// enumerated it and enabled VFs; the test then reaches the NIC the way a driver does,
// through the BARs the kernel assigned: the PF's BAR0 is the port's core, a VF's BAR0
// its view of the same queues, and a vector programmed in a VF's MSI-X table arrives
// at the platform's interrupt controller as a write of its data to its address.
#include "models/nic/nic_device.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "drivers-sim/host.h"
#include "models/nic/nic_regs.h"
#include "models/pcie/pci_regs.h"
#include "tests/unit/host_fixture.h"

namespace iovsim::nic {
namespace {

using test::out;

const char* const X540 = test::X540_PLATFORM;

// The start of BAR `bar` of a function, from sysfs `resource` (one line per BAR).
uint64_t bar_start(host::host_system& h, const std::string& bdf, unsigned bar) {
  const std::string res = out(h, "cat /sys/bus/pci/devices/" + bdf + "/resource");
  size_t line = 0;
  for (unsigned i = 0; i < bar; ++i) line = res.find('\n', line) + 1;
  return std::strtoull(res.c_str() + line, nullptr, 16);
}

class nic_device_test : public test::host_fixture {};

TEST_F(nic_device_test, the_kernel_sees_the_core_through_the_bars_and_vf_vectors_reach_the_interrupt_controller) {
  boot(X540, 1, [](host::host_system& h) {
    platform::machine& m = h.machine();
    auto& dev = dynamic_cast<nic_device&>(*m.endpoints().at(0));
    std::vector<std::pair<uint64_t, uint32_t>> msis;
    m.set_msi_handler([&msis](uint64_t a, uint32_t d) { msis.emplace_back(a, d); });
    ASSERT_EQ(out(h, "echo 2 > /sys/class/net/enp1s0f1/device/sriov_numvfs"), "");
    EXPECT_EQ(dev.core(1).num_vfs(), 2u);
    platform::host_cpu& cpu = m.cpu();
    // PF 01:00.1: RAL/RAH(0) hold the permanent address (port 1: mac_base + 1).
    const uint64_t pf_bar0 = bar_start(h, "0000:01:00.1", 0);
    EXPECT_EQ(cpu.mmio_read(pf_bar0 + RAL0, 4), 0xa1211b00u);  // 00:1b:21:a1:00:01
    EXPECT_EQ(cpu.mmio_read(pf_bar0 + RAL0 + 4, 4), RAH_AV | 0x0100u);
    // VF 0 of port 1 (01:10.1): its queue 0 is the core's queue 0 (pool 0).
    const std::string vf = "0000:01:10.1";
    const uint64_t vf_bar0 = bar_start(h, vf, 0);
    cpu.mmio_write(vf_bar0 + VF_RX_QUEUE0 + Q_BAL, 4, 0x12345000);
    cpu.mmio_write(vf_bar0 + VF_RX_QUEUE0 + Q_LEN, 4, 0x1000);
    EXPECT_EQ(cpu.mmio_read(pf_bar0 + RX_QUEUE0 + Q_BAL, 4), 0x12345000u);
    EXPECT_EQ(cpu.mmio_read(pf_bar0 + RX_QUEUE0 + Q_LEN, 4), 0x1000u);
    EXPECT_EQ(cpu.mmio_read(bar_start(h, "0000:01:00.0", 0) + RX_QUEUE0 + Q_BAL, 4), 0u) << "port 0 is another core";
    // The VF's MSI-X: table in BAR3, vector 1 -> 0xfee01000 / 0x4041, MSI-X and Bus
    // Master enabled in its config space (what the VF driver's pci_enable_msix does).
    const uint64_t table = bar_start(h, vf, 3);
    cpu.mmio_write(table + 16 + 0, 4, 0xfee01000);
    cpu.mmio_write(table + 16 + 4, 4, 0);
    cpu.mmio_write(table + 16 + 8, 4, 0x4041);
    cpu.mmio_write(table + 16 + 12, 4, 0);  // unmasked
    const unsigned bus = 1, devfn = 0x10 << 3 | 1;
    auto& hw = m.cpu();
    const uint32_t cap = [&] {
      for (uint32_t p = hw.cfg_read(bus, devfn, pcie::CFG_CAP_PTR, 1); p; p = hw.cfg_read(bus, devfn, p + 1, 1))
        if (hw.cfg_read(bus, devfn, p, 1) == pcie::CAP_ID_MSIX) return p;
      return 0u;
    }();
    ASSERT_NE(cap, 0u);
    hw.cfg_write(bus, devfn, cap + 2, 2, 0x8000);  // MSI-X Enable
    hw.cfg_write(bus, devfn, pcie::CFG_COMMAND, 2, pcie::COMMAND_MASTER | pcie::COMMAND_MEMORY);
    cpu.mmio_write(vf_bar0 + VTEIMS, 4, 0x2);
    cpu.mmio_write(vf_bar0 + VTEICS, 4, 0x2);  // raise vector 1
    sc_core::wait(sc_core::sc_time(5, sc_core::SC_US));
    ASSERT_EQ(msis.size(), 1u);
    EXPECT_EQ(msis[0], std::make_pair(uint64_t{0xfee01000}, uint32_t{0x4041}));
    // Masked: the vector waits in the PBA and goes when unmasked.
    cpu.mmio_write(table + 16 + 12, 4, 1);
    cpu.mmio_write(vf_bar0 + VTEIMS, 4, 0x2);
    cpu.mmio_write(vf_bar0 + VTEICS, 4, 0x2);
    sc_core::wait(sc_core::sc_time(5, sc_core::SC_US));
    EXPECT_EQ(msis.size(), 1u);
    EXPECT_EQ(cpu.mmio_read(table + 0x2000, 4), 0x2u) << "PBA";
    cpu.mmio_write(table + 16 + 12, 4, 0);
    sc_core::wait(sc_core::sc_time(5, sc_core::SC_US));
    EXPECT_EQ(msis.size(), 2u);
    EXPECT_EQ(cpu.mmio_read(table + 0x2000, 4), 0u);
    EXPECT_EQ(dev.msix_sent(), 2u);
    // VFs gone: the core's pools are too.
    ASSERT_EQ(out(h, "echo 0 > /sys/class/net/enp1s0f1/device/sriov_numvfs"), "");
    EXPECT_EQ(dev.core(1).num_vfs(), 0u);
  });
}

}  // namespace
}  // namespace iovsim::nic
