// Guests: a VF assigned through VFIO to a VM whose own kernel runs on the virtual
// platform (drivers-sim/virt/guest.h). Tested as a driver and an administrator see it:
// the guest's config space (IDs, relocated BARs, no SR-IOV), the trapped MSI-X table
// (the guest's vector stays virtual, the function holds the host's), interrupts
// injected or posted, and isolation: a guest that points the VF at a guest-physical
// address outside its memory gets a DMAR fault, never a write.
#include <gtest/gtest.h>

#include <sstream>

#include "drivers-sim/host.h"
#include "models/nic/nic_regs.h"
#include "scenarios/engine.h"
#include "scenarios/loader.h"
#include "tests/unit/host_fixture.h"

namespace iovsim {
namespace {

using host::cmd_result;
using host::host_system;

class guest : public test::host_fixture {
 protected:
  guest() { loopback_cable = true; }

  static std::string out(host_system& h, const std::string& line) {
    const cmd_result r = h.run(line);
    EXPECT_EQ(r.status, 0) << line << "\n" << r.out << r.err;
    return r.out + r.err;
  }
  // PFs up, one VF on port 0 with an administrator MAC, a VM with that VF, started.
  static host_system& start_guest(host_system& h, const std::string& create_options) {
    out(h, "ip link set dev enp1s0f0 up");
    out(h, "ip link set dev enp1s0f1 up");
    out(h, "echo 1 > /sys/class/net/enp1s0f0/device/sriov_numvfs");
    out(h, "ip link set dev enp1s0f0 vf 0 mac 02:00:00:00:10:00");
    out(h, "vm create vm1 --mem 64M " + create_options);
    out(h, "vm assign vm1 01:10.0");
    out(h, "vm start vm1");
    out(h, "run 2100ms");   // the ports' link training
    auto* g = dynamic_cast<host_system*>(h.vms()->guest("vm1"));
    EXPECT_NE(g, nullptr);
    return *g;
  }
};

TEST_F(guest, sees_a_virtualised_config_space_and_boots_its_own_driver) {
  boot(test::X540_PLATFORM, 1, [](host_system& h) {
    host_system& g = start_guest(h, "--hugepages 2M");
    // The VF's own ID registers read 0xffff: vfio fills in the kernel's IDs.
    EXPECT_EQ(out(g, "lspci -n -s 00:04.0"), "00:04.0 0200: 8086:1515 (rev 01)\n");
    EXPECT_EQ(h.board().bus().cfg_read(1, 0x80, 0, 4), 0xffffffffu);
    const std::string vv = out(g, "lspci -vv -s 00:04.0");
    EXPECT_EQ(vv.find("SR-IOV"), std::string::npos);
    EXPECT_EQ(vv.find("Alternative Routing-ID"), std::string::npos);
    EXPECT_NE(vv.find("Advanced Error Reporting"), std::string::npos) << vv;
    EXPECT_NE(vv.find("Kernel driver in use: ixgbevf"), std::string::npos);
    // BARs where the guest's BIOS put them, not where the host's did.
    host::pci_dev* gv = g.pci().find("0000:00:04.0");
    host::pci_dev* hv = h.pci().find("0000:01:10.0");
    ASSERT_TRUE(gv && hv);
    EXPECT_NE(gv->bars[0].start, hv->bars[0].start);
    EXPECT_EQ(gv->bars[0].size, hv->bars[0].size);
    // MMIO goes straight through: the guest reads the VF's link register.
    EXPECT_TRUE(g.board().bus().mmio_read(gv->bars[0].start + nic::VFLINKS, 4) & nic::LINKS_UP);
    // The guest has no hypervisor of its own and no IOMMU.
    EXPECT_EQ(g.run("vm list").errno_name, "ENOENT");
    EXPECT_EQ(g.run("iommu stats").errno_name, "ENODEV");
    EXPECT_NE(out(h, "readlink /sys/bus/pci/devices/0000:01:10.0/driver").find("vfio-pci"), std::string::npos);
  });
}

TEST_F(guest, msix_entries_are_virtual_and_interrupts_are_injected) {
  boot(test::X540_PLATFORM, 1, [](host_system& h) {
    host_system& g = start_guest(h, "--hugepages 2M");
    out(g, "ip link set dev enp0s4 up");
    out(g, "ip addr add 10.0.0.21/24 dev enp0s4");
    host::pci_dev* gv = g.pci().find("0000:00:04.0");
    host::pci_dev* hv = h.pci().find("0000:01:10.0");
    // Entry 0 (the queue vector): the guest reads back its own vector; the function's
    // table holds the vector the host gave vfio-msix[0].
    const uint32_t guest_data = static_cast<uint32_t>(g.board().bus().mmio_read(gv->bars[3].start + 8, 4));
    const uint32_t host_data = static_cast<uint32_t>(h.board().bus().mmio_read(hv->bars[3].start + 8, 4));
    unsigned host_vector = 0;
    for (const auto& i : h.irq().irqs())
      if (i.name == "vfio-msix[0](0000:01:10.0)") host_vector = i.vector;
    ASSERT_NE(host_vector, 0u);
    EXPECT_EQ(host_data, host_vector);
    bool guest_has = false;
    for (const auto& i : g.irq().irqs()) guest_has |= i.vector == (guest_data & 0xff) && i.name == "enp0s4-TxRx-0";
    EXPECT_TRUE(guest_has) << guest_data;
    // Frames from the other port reach the guest's VF through the cable.
    out(h, "pktgen enp1s0f1 --dst 02:00:00:00:10:00 --size 64 --count 10");
    out(h, "run 1ms");
    EXPECT_NE(out(g, "ip -s link show dev enp0s4").find("           600      10"), std::string::npos)
        << out(g, "ip -s link show dev enp0s4");
    const std::string stats = out(h, "vm stats vm1");
    EXPECT_NE(stats.find("posted interrupts off"), std::string::npos);
    EXPECT_NE(stats.find(" injected, 0 posted"), std::string::npos) << stats;
    EXPECT_EQ(stats.find("interrupts: 0 injected"), std::string::npos) << stats;
  });
}

TEST_F(guest, posted_interrupts_bypass_the_host) {
  boot(test::X540_PLATFORM, 1, [](host_system& h) {
    host_system& g = start_guest(h, "--hugepages 2M --posted-interrupts");
    out(g, "ip link set dev enp0s4 up");
    host::pci_dev* hv = h.pci().find("0000:01:10.0");
    // The function's entry 0 holds a remappable-format address (bit 4), data 0.
    const uint64_t addr = h.board().bus().mmio_read(hv->bars[3].start, 4);
    EXPECT_EQ(addr & 0xfff00010u, 0xfee00010u);
    out(h, "pktgen enp1s0f1 --dst 02:00:00:00:10:00 --size 64 --count 10");
    out(h, "run 1ms");
    const std::string stats = out(h, "vm stats vm1");
    EXPECT_NE(stats.find("interrupts: 0 injected"), std::string::npos) << stats;
    EXPECT_NE(stats.find("0 external interrupt, 0 EOI"), std::string::npos) << stats;
    EXPECT_EQ(stats.find(" 0 posted"), std::string::npos) << stats;
    // Nothing ran on the host for them.
    for (const auto& i : h.irq().irqs()) EXPECT_EQ(i.name.rfind("vfio-msix", 0), std::string::npos) << i.name;
  });
}

TEST_F(guest, a_gpa_outside_guest_memory_faults_and_is_never_written) {
  boot(test::X540_PLATFORM, 1, [](host_system& h) {
    host_system& g = start_guest(h, "--hugepages 2M");
    out(g, "ip link set dev enp0s4 up");
    host::pci_dev* gv = g.pci().find("0000:00:04.0");
    platform::host_bus& vcpu = g.board().bus();
    // The guest's RX ring (queue 0): every buffer pointed 16 MiB past the end of its
    // 64 MiB, as a buggy or hostile guest driver would.
    const uint64_t ring = vcpu.mmio_read(gv->bars[0].start + nic::VF_RX_QUEUE0, 4) |
                          vcpu.mmio_read(gv->bars[0].start + nic::VF_RX_QUEUE0 + 4, 4) << 32;
    const uint32_t len = static_cast<uint32_t>(vcpu.mmio_read(gv->bars[0].start + nic::VF_RX_QUEUE0 + 8, 4));
    ASSERT_GT(len, 0u);
    for (uint64_t d = 0; d < len / 16; ++d) {
      const uint64_t bad = (80ull << 20) + d * 2048;
      vcpu.mem_write(ring + d * 16, &bad, 8);
    }
    const uint64_t faults = h.machine().iommu().totals().faults;
    out(h, "pktgen enp1s0f1 --dst 02:00:00:00:10:00 --size 64 --count 4");
    out(h, "run 1ms");
    EXPECT_GT(h.machine().iommu().totals().faults, faults);
    EXPECT_EQ(out(h, "vm isolation"), "isolation breaches: 0\n");
    EXPECT_NE(out(h, "dmesg").find("DMAR: [DMA Write NO_PASID] Request device [01:10.0]"), std::string::npos)
        << out(h, "dmesg | grep DMAR");
  });
}

TEST_F(guest, refusals) {
  boot(test::X540_PLATFORM, 1, [](host_system& h) {
    EXPECT_EQ(h.run("vm create big --mem 6G").errno_name, "ENOMEM");
    EXPECT_EQ(h.run("vm create odd --mem 1G --hugepages 1G").status, 0);
    EXPECT_EQ(h.run("vm create odd2 --mem 1536M --hugepages 1G").status, 2);
    EXPECT_EQ(h.run("vm start nope").errno_name, "ENOENT");
    out(h, "vm create a --mem 64M");
    EXPECT_EQ(h.run("vm console a ls").errno_name, "EINVAL");   // not running
    out(h, "vm start a");
    EXPECT_EQ(h.run("vm start a").errno_name, "EBUSY");
    EXPECT_EQ(out(h, "vm console a lspci"), "00:00.0 Host bridge: Intel Corporation 82G33/G31/P35/P31 Express DRAM Controller (rev 02)\n");
    EXPECT_EQ(h.run("vm assign a 01:00.0").errno_name, "EBUSY");   // running: no hotplug
    out(h, "vm stop a");
    EXPECT_EQ(h.run("vm stop a").errno_name, "EINVAL");
  });
}

}  // namespace
}  // namespace iovsim

namespace iovsim::scen {
namespace {

// `iovsim shell`: `vm console NAME` alone enters the guest (its prompt), `exit` comes
// back to the machine, a second `exit` ends the shell.
TEST(guest_shell, vm_console_enters_a_guest_and_exit_comes_back) {
  const loaded_scenario s =
      load_scenario_text("g.pbtxt", std::string("name: \"g\"\nplatform {") + test::X540_PLATFORM + "}\n");
  std::istringstream in(
      "echo 1 > /sys/class/net/enp1s0f0/device/sriov_numvfs\n"
      "vm create g --mem 64M\nvm assign g 01:10.0\nvm start g\n"
      "vm console nope\nvm console g\nlspci -n -s 00:04.0\nvm list\nexit\nvm list\nexit\n");
  std::ostringstream out;
  run_options opt;
  opt.dry_run = false;
  EXPECT_EQ(run_shell(s, opt, in, out, true), 0);
  const std::string text = out.str();
  EXPECT_NE(text.find("vm console: nope is not running\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Connected to g (`exit` comes back to iovsim)\nroot@g:~# 00:04.0 0200: 8086:1515 (rev 01)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("root@g:~# vm: /dev/kvm: No such file or directory"), std::string::npos) << text;
  EXPECT_NE(text.find("root@g:~# root@iovsim:~# g: memory"), std::string::npos) << text;
}

}  // namespace
}  // namespace iovsim::scen
