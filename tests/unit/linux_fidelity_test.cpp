// What a user of Linux 6.1 sees, checked against the source each behaviour comes
// from: assigned VFs, the drivers' own words, module parameters, ARI, sysfs files
// and interface names. Each test types what a user would and compares with the exact
// string or errno the kernel and its tools give.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "drivers-sim/host.h"
#include "tests/unit/host_fixture.h"

namespace iovsim::host {
namespace {

using test::dmesg;
using test::out;

// Dual-port X540 (ixgbe/ixgbevf) behind a root port, DMA remapping on.
const char* const X540 = test::X540_PLATFORM;
// Quad-port I350 (igb/igbvf).
const char* const I350 = R"(
  kernel_cmdline: "intel_iommu=on"
  root_port { name: "rp1" device: 1 }
  endpoint { name: "nic" profile: "i350" attach: "rp1" }
)";
// The same machines with the PF driver left for the user to load.
std::string unloaded(const std::string& platform, const std::string& driver) {
  return platform + R"(file { path: "/etc/modprobe.d/blacklist.conf" content: "blacklist )" + driver + R"(\n" })";
}

const std::string NUMVFS = "/sys/class/net/enp1s0f1/device/sriov_numvfs";

class linux_fidelity : public test::host_fixture {};

// Section 1 of the audit: a VF assigned to a guest, then the PF asked to drop it.
// drivers/net/ethernet/intel/ixgbe/ixgbe_sriov.c ixgbe_disable_sriov(): with
// pci_vfs_assigned() it warns and returns -EPERM; the VFs stay.
TEST_F(linux_fidelity, ixgbe_keeps_assigned_vfs_and_the_guest_keeps_its_function) {
  boot(X540, 1, [](host_system& h) {
    ASSERT_EQ(out(h, "echo 2 > " + NUMVFS), "");
    ASSERT_EQ(out(h, "vm create g --mem 8M").substr(0, 2), "g:");
    // libvirt's managed detach: ixgbevf lets go, driver_override keeps it away.
    ASSERT_EQ(out(h, "vm assign g 0000:01:10.1"),
              "g: 0000:01:10.1 assigned at guest 00:04.0 (host driver ixgbevf detached), guest memory mapped in its "
              "IOMMU domain (4K pages)\n");
    EXPECT_EQ(out(h, "cat /sys/bus/pci/devices/0000:01:10.1/driver_override"), "vfio-pci\n");
    EXPECT_EQ(out(h, "readlink /sys/bus/pci/devices/0000:01:10.1/driver"), "../../../../bus/pci/drivers/vfio-pci\n");
    EXPECT_EQ(out(h, "ls /sys/class/net"), "enp1s0f0\nenp1s0f1\nenp1s0f1v1\nlo\n");
    cmd_result r = h.run("echo 0 > " + NUMVFS);
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.errno_name, "EPERM");
    EXPECT_EQ(dmesg(h, "assigned"),
              (std::vector<std::string>{
                  "ixgbe 0000:01:00.1: Unloading driver while VFs are assigned - VFs will not be deallocated"}));
    EXPECT_EQ(out(h, "cat " + NUMVFS), "2\n");
    EXPECT_EQ(out(h, "lspci -n -d 8086:1515 | wc -l"), "2\n");
    EXPECT_NE(out(h, "vm list").find("device 0000:01:10.1 (IOMMU domain)"), std::string::npos);
    // A second guest cannot take the same function; the first may take a second one.
    ASSERT_EQ(out(h, "vm create g2 --mem 8M").substr(0, 3), "g2:");
    r = h.run("vm assign g2 0000:01:10.1");
    EXPECT_EQ(r.errno_name, "EBUSY");
    EXPECT_EQ(r.err, "vm assign: vfio 0000:01:10.1 is already assigned to g\n");
    EXPECT_EQ(out(h, "vm assign g 0000:01:10.3"),
              "g: 0000:01:10.3 assigned at guest 00:05.0 (host driver ixgbevf detached), guest memory mapped in its "
              "IOMMU domain (4K pages)\n");
  });
}

// The kernel log lines printed after the first `from` ones, without time stamps.
std::vector<std::string> log_since(host_system& h, size_t from) {
  std::vector<std::string> lines;
  const auto& all = h.dmesg().lines();
  for (size_t i = from; i < all.size(); ++i) lines.push_back(all[i].substr(all[i].find("] ") + 2));
  return lines;
}

// rmmod with assigned VFs: ixgbe_remove() calls ixgbe_disable_sriov() (same warning),
// finishes with "complete", and the PCI core reports the VFs it left
// (drivers/pci/iov.c pci_iov_remove(), under the driver's name: dd.c clears
// dev->driver after the bus remove). Loading ixgbe again adopts them
// (ixgbe_sriov.c ixgbe_enable_sriov(): pre-existing VFs win over max_vfs).
TEST_F(linux_fidelity, rmmod_ixgbe_with_assigned_vfs_leaves_them_and_modprobe_adopts_them) {
  boot(X540, 1, [](host_system& h) {
    ASSERT_EQ(out(h, "echo 2 > " + NUMVFS), "");
    ASSERT_EQ(out(h, "vm create g --mem 8M").substr(0, 2), "g:");
    ASSERT_EQ(h.run("vm assign g 0000:01:10.3").status, 0);
    EXPECT_EQ(out(h, "rmmod ixgbevf"), "");  // ixgbevf_remove() logs nothing (hw_dbg only)
    size_t mark = h.dmesg().lines().size();
    EXPECT_EQ(out(h, "rmmod ixgbe"), "");
    EXPECT_EQ(log_since(h, mark),
              (std::vector<std::string>{
                  "ixgbe 0000:01:00.0: complete",
                  "ixgbe 0000:01:00.1: Unloading driver while VFs are assigned - VFs will not be deallocated",
                  "ixgbe 0000:01:00.1: complete",
                  "ixgbe 0000:01:00.1: driver left SR-IOV enabled after remove",
              }));
    EXPECT_EQ(out(h, "lspci -n -d 8086:1515"), "01:10.1 0200: 8086:1515 (rev 01)\n01:10.3 0200: 8086:1515 (rev 01)\n");
    EXPECT_EQ(out(h, "ls /sys/class/net"), "lo\n");
    EXPECT_NE(out(h, "vm list").find("device 0000:01:10.3"), std::string::npos);
    // Without a driver, sriov_numvfs cannot change (iov.c sriov_numvfs_store).
    cmd_result r = h.run("echo 0 > /sys/bus/pci/devices/0000:01:00.1/sriov_numvfs");
    EXPECT_EQ(r.errno_name, "ENOENT");
    EXPECT_EQ(dmesg(h, "no driver bound"),
              (std::vector<std::string>{"pci 0000:01:00.1: no driver bound to device; cannot configure SR-IOV"}));

    mark = h.dmesg().lines().size();
    EXPECT_EQ(out(h, "modprobe ixgbe max_vfs=4"), "");
    const std::vector<std::string> pf1 = [&] {
      std::vector<std::string> l;
      for (const std::string& line : log_since(h, mark))
        if (line.find("0000:01:00.1") != std::string::npos && line.find("Gb/s") == std::string::npos &&
            line.find(":00:") == std::string::npos)
          l.push_back(line);
      return l;
    }();
    EXPECT_EQ(pf1, (std::vector<std::string>{
                       "ixgbe 0000:01:00.1: Enabling SR-IOV VFs using the max_vfs module parameter is deprecated - "
                       "please use the pci sysfs interface instead.",
                       "ixgbe 0000:01:00.1: Virtual Functions already enabled for this device - Please reload all VF "
                       "drivers to avoid spoofed packet errors",
                       "ixgbe 0000:01:00.1 (unnamed net_device) (uninitialized): SR-IOV enabled with 2 VFs",
                       "ixgbe 0000:01:00.1 eth4: IOV is enabled with 2 VFs",
                       "ixgbe 0000:01:00.1: Intel(R) 10 Gigabit Network Connection",
                       "ixgbe 0000:01:00.1 enp1s0f1: renamed from eth4",
                   }));
    EXPECT_EQ(out(h, "cat " + NUMVFS), "2\n");
    // PF 0's four new VFs and PF 1's free one have ixgbevf (loaded for the new VFs by
    // their uevent); the assigned one does not.
    EXPECT_EQ(out(h, "ls /sys/class/net"),
              "enp1s0f0\nenp1s0f0v0\nenp1s0f0v1\nenp1s0f0v2\nenp1s0f0v3\nenp1s0f1\nenp1s0f1v0\nlo\n");
    EXPECT_EQ(out(h, "readlink /sys/bus/pci/devices/0000:01:10.3/driver"), "../../../../bus/pci/drivers/vfio-pci\n");
  });
}

// rmmod ixgbe while ixgbevf drives the VFs: ixgbe_remove() disables SR-IOV, which
// unbinds and deletes each VF (iov.c sriov_del_vfs()); the driver core then goes on to
// the next device ixgbe holds (driver_detach()). Found by fuzz_shell: the PCI core kept
// pointers to the deleted VFs (a use after free).
TEST_F(linux_fidelity, rmmod_ixgbe_takes_the_vfs_ixgbevf_drives_with_it) {
  boot(X540, 1, [](host_system& h) {
    ASSERT_EQ(out(h, "echo 2 > /sys/class/net/enp1s0f0/device/sriov_numvfs"), "");
    ASSERT_EQ(out(h, "echo 2 > " + NUMVFS), "");
    ASSERT_EQ(out(h, "lspci -n -d 8086:1515 | wc -l"), "4\n");
    const size_t mark = h.dmesg().lines().size();
    EXPECT_EQ(out(h, "rmmod ixgbe"), "");
    EXPECT_EQ(log_since(h, mark), (std::vector<std::string>{
                                      "pci 0000:01:10.0: Removing from iommu group 3",
                                      "pci 0000:01:10.2: Removing from iommu group 4",
                                      "ixgbe 0000:01:00.0: complete",
                                      "pci 0000:01:10.1: Removing from iommu group 5",
                                      "pci 0000:01:10.3: Removing from iommu group 6",
                                      "ixgbe 0000:01:00.1: complete",
                                  }));
    EXPECT_EQ(out(h, "lspci -n -d 8086:1515"), "");
    EXPECT_EQ(out(h, "ls /sys/class/net"), "lo\n");
    EXPECT_EQ(out(h, "lsmod"), "Module                  Size  Used by\nixgbevf                      0  0\n");
  });
}

// igb in its own words (igb_main.c igb_disable_sriov(), igb_remove()).
TEST_F(linux_fidelity, igb_refuses_with_its_own_message) {
  boot(I350, 1, [](host_system& h) {
    ASSERT_EQ(out(h, "echo 2 > " + NUMVFS), "");
    EXPECT_EQ(dmesg(h, "VFs allocated"), (std::vector<std::string>{"igb 0000:01:00.1: 2 VFs allocated"}));
    ASSERT_EQ(h.run("vm assign g 0000:01:10.5").errno_name, "ENOENT");  // no such VM yet
    ASSERT_EQ(out(h, "vm create g --mem 8M").substr(0, 2), "g:");
    ASSERT_EQ(h.run("vm assign g 0000:01:10.5").status, 0);
    const cmd_result r = h.run("echo 0 > " + NUMVFS);
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.errno_name, "EPERM");
    EXPECT_EQ(r.err, "-bash: echo: write error: Operation not permitted\n");
    const size_t mark = h.dmesg().lines().size();
    EXPECT_EQ(out(h, "rmmod igb"), "");
    const std::string refusal =
        "Cannot deallocate SR-IOV virtual functions while they are assigned - VFs will not be deallocated";
    EXPECT_EQ(dmesg(h, refusal),
              (std::vector<std::string>{"igb 0000:01:00.1: " + refusal, "igb 0000:01:00.1: " + refusal}));
    EXPECT_EQ(log_since(h, mark), (std::vector<std::string>{
                                      "igb 0000:01:00.1: " + refusal,
                                      "igb 0000:01:00.1: driver left SR-IOV enabled after remove",
                                  }));
    EXPECT_EQ(out(h, "lspci -n -d 8086:1520 | wc -l"), "2\n");
  });
}

// Without assignment igb tears its VFs down, sleeping 500 + 100 ms around the IOVCTL
// reset before "IOV Disabled" (igb_disable_sriov), after the PCI core's 1 s.
TEST_F(linux_fidelity, igb_disable_takes_its_sleeps_and_says_iov_disabled) {
  boot(I350, 1, [](host_system& h) {
    ASSERT_EQ(out(h, "echo 3 > " + NUMVFS), "");
    const sc_core::sc_time before = sc_core::sc_time_stamp();
    EXPECT_EQ(out(h, "echo 0 > " + NUMVFS), "");
    // Plus the config cycles over the link (microseconds).
    EXPECT_GE(sc_core::sc_time_stamp() - before, sc_core::sc_time(1600, sc_core::SC_MS));
    EXPECT_LT(sc_core::sc_time_stamp() - before, sc_core::sc_time(1601, sc_core::SC_MS));
    EXPECT_EQ(dmesg(h, "IOV Disabled"), (std::vector<std::string>{"igb 0000:01:00.1: IOV Disabled"}));
    EXPECT_EQ(dmesg(h, "Removing from iommu group"),
              (std::vector<std::string>{"pci 0000:01:10.1: Removing from iommu group 6",
                                        "pci 0000:01:10.5: Removing from iommu group 7",
                                        "pci 0000:01:11.1: Removing from iommu group 8"}));
  });
}

// The lines of `log` that mention `what`.
std::vector<std::string> grep(const std::vector<std::string>& log, const std::string& what) {
  std::vector<std::string> found;
  for (const std::string& l : log)
    if (l.find(what) != std::string::npos) found.push_back(l);
  return found;
}

// kernel/params.c parse_one(): a value the parameter's type rejects fails the load
// with "`abc' invalid for parameter `max_vfs'"; kmod's modprobe reports -EINVAL.
// ixgbe declares max_vfs with permissions 0, so it is not in /sys/module.
TEST_F(linux_fidelity, module_parameter_that_is_not_a_number_fails_the_load) {
  boot(unloaded(X540, "ixgbe"), 1, [](host_system& h) {
    const cmd_result r = h.run("modprobe ixgbe max_vfs=abc");
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, "modprobe: ERROR: could not insert 'ixgbe': Invalid argument\n");
    EXPECT_EQ(dmesg(h, "invalid for parameter"),
              (std::vector<std::string>{"ixgbe: `abc' invalid for parameter `max_vfs'"}));
    EXPECT_EQ(out(h, "lsmod | grep -c ixgbe || true"), "0\n");
    EXPECT_EQ(out(h, "modprobe ixgbe max_vfs=1"), "");
    EXPECT_EQ(h.run("cat /sys/module/ixgbe/parameters/max_vfs").errno_name, "ENOENT");
  });
}

// ixgbe_main.c ixgbe_sw_init(): the deprecation warning for any max_vfs, and above
// IXGBE_MAX_VFS_DRV_LIMIT (63) "out of range" and max_vfs = 0 for the module, so the
// second port says nothing and neither port gets VFs.
TEST_F(linux_fidelity, ixgbe_max_vfs_above_63_is_refused_once_for_the_module) {
  boot(unloaded(X540, "ixgbe"), 1, [](host_system& h) {
    EXPECT_EQ(out(h, "modprobe ixgbe max_vfs=64"), "");
    EXPECT_EQ(
        grep(log_since(h, 0), "max_vfs"),
        (std::vector<std::string>{"ixgbe 0000:01:00.0: Enabling SR-IOV VFs using the max_vfs module parameter is "
                                  "deprecated - please use the pci sysfs interface instead.",
                                  "ixgbe 0000:01:00.0: max_vfs parameter out of range. Not assigning any SR-IOV VFs"}));
    EXPECT_EQ(out(h, "cat /sys/bus/pci/devices/0000:01:00.*/sriov_numvfs"), "0\n0\n");
  });
}

// With max_vfs the VFs come before the PF's netdev: ixgbe_probe() -> ixgbe_enable_sriov()
// (pci_enable_sriov, then __ixgbe_enable_sriov's e_info on a netdev not yet
// registered), then register_netdev() and "IOV is enabled with N VFs".
TEST_F(linux_fidelity, ixgbe_max_vfs_creates_the_vfs_before_the_pf_netdev) {
  boot(unloaded(X540, "ixgbe") + R"(file { path: "/etc/modprobe.d/vf.conf" content: "blacklist ixgbevf\n" })", 1,
       [](host_system& h) {
         EXPECT_EQ(out(h, "modprobe ixgbe max_vfs=2"), "");
         std::vector<std::string> pf0;
         for (const std::string& l : log_since(h, 0))
           if (l.find("0000:01:00.0") != std::string::npos || l.find("0000:01:10.0") != std::string::npos ||
               l.find("0000:01:10.2") != std::string::npos)
             if (l.find("reg 0x") == std::string::npos && l.find("BAR") == std::string::npos) pf0.push_back(l);
         const std::vector<std::string> want{
             "ixgbe 0000:01:00.0: enabling device (0000 -> 0002)",
             "ixgbe 0000:01:00.0: Enabling SR-IOV VFs using the max_vfs module parameter is deprecated - please use "
             "the pci sysfs interface instead.",
             "pci 0000:01:10.0: [8086:1515] type 00 class 0x020000",
             "pci 0000:01:10.0: Adding to iommu group 3",
             "pci 0000:01:10.2: [8086:1515] type 00 class 0x020000",
             "pci 0000:01:10.2: Adding to iommu group 4",
             "ixgbe 0000:01:00.0 (unnamed net_device) (uninitialized): SR-IOV enabled with 2 VFs",
             "ixgbe 0000:01:00.0: 32.000 Gb/s available PCIe bandwidth (5.0 GT/s PCIe x8 link)",
             "ixgbe 0000:01:00.0: 00:1b:21:a1:00:00",
             "ixgbe 0000:01:00.0 eth0: IOV is enabled with 2 VFs",
             "ixgbe 0000:01:00.0: Intel(R) 10 Gigabit Network Connection",
             "ixgbe 0000:01:00.0 enp1s0f0: renamed from eth0",
         };
         ASSERT_GE(pf0.size(), want.size());
         EXPECT_EQ(std::vector<std::string>(pf0.end() - static_cast<long>(want.size()), pf0.end()), want);
       });
}

// igb_main.c igb_sw_init(): above 7 it clamps the module-wide value (so only the
// first port says so), then warns on every port that the parameter is deprecated;
// igb_probe_vfs() -> igb_enable_sriov() creates the VFs before register_netdev().
TEST_F(linux_fidelity, igb_max_vfs_clamps_to_7_and_speaks_igb) {
  boot(unloaded(I350, "igb") + R"(file { path: "/etc/modprobe.d/vf.conf" content: "blacklist igbvf\n" })", 1,
       [](host_system& h) {
         EXPECT_EQ(out(h, "modprobe igb max_vfs=9"), "");
         const std::vector<std::string> log = log_since(h, 0);
         EXPECT_EQ(grep(log, "Maximum"),
                   (std::vector<std::string>{"igb 0000:01:00.0: Maximum of 7 VFs per PF, using max"}));
         EXPECT_EQ(grep(log, "deprecated").size(), 4u);
         EXPECT_EQ(grep(log,
                        "igb 0000:01:00.1: Enabling SR-IOV VFs using the module parameter is deprecated - please "
                        "use the pci sysfs interface.")
                       .size(),
                   1u);
         EXPECT_EQ(
             grep(log, "VFs allocated"),
             (std::vector<std::string>{"igb 0000:01:00.0: 7 VFs allocated", "igb 0000:01:00.1: 7 VFs allocated",
                                       "igb 0000:01:00.2: 7 VFs allocated", "igb 0000:01:00.3: 7 VFs allocated"}));
         EXPECT_TRUE(grep(log, "SR-IOV enabled").empty());  // ixgbe's words, not igb's
         const std::vector<std::string> port0 = grep(log, "igb 0000:01:00.0");
         EXPECT_EQ(std::vector<std::string>(port0.end() - 4, port0.end()),
                   (std::vector<std::string>{"igb 0000:01:00.0: 7 VFs allocated",
                                             "igb 0000:01:00.0: Intel(R) Gigabit Ethernet Network Connection",
                                             "igb 0000:01:00.0 eth0: (PCIe:5.0Gb/s:Width x4) 00:1b:21:a2:00:00",
                                             "igb 0000:01:00.0 enp1s0f0: renamed from eth0"}));
         EXPECT_EQ(out(h, "lspci -n -d 8086:1520 | wc -l"), "28\n");
       });
}

// Through sysfs, ixgbe announces before it enables (ixgbe_sriov.c
// ixgbe_pci_sriov_enable(): __ixgbe_enable_sriov, then pci_enable_sriov), so the
// line is there even when enabling fails; the PCI core's error and the driver's
// follow, and the write fails with the core's errno.
TEST_F(linux_fidelity, ixgbe_says_sriov_enabled_before_enabling_even_when_it_fails) {
  const std::string tight = R"(
    kernel_cmdline: "intel_iommu=on pci=noari"
    firmware { bus_numbering: TIGHT }
    root_port { name: "rp1" device: 1 }
    endpoint { name: "nic" profile: "x540" attach: "rp1" })";
  boot(tight, 1, [](host_system& h) {
    const size_t mark = h.dmesg().lines().size();
    const cmd_result r = h.run("echo 8 > /sys/bus/pci/devices/0000:01:00.0/sriov_numvfs");
    EXPECT_EQ(r.errno_name, "ENOMEM");
    EXPECT_EQ(log_since(h, mark),
              (std::vector<std::string>{"ixgbe 0000:01:00.0 enp1s0f0: SR-IOV enabled with 8 VFs",
                                        "pci 0000:01:00.0: can't enable 8 VFs (bus 02 out of range of [bus 01])",
                                        "ixgbe 0000:01:00.0: Failed to enable PCI sriov: -12"}));
  });
}

// A VF under a PF that is up: the PF answers the VF's reset over the mailbox
// (ixgbe_sriov.c ixgbe_vf_reset_msg: "VF Reset msg received from vf N") and has no
// administrator-set MAC for it (ixgbevf_main.c ixgbevf_sw_init). Each VF's IOMMU
// group line follows its "type 00" line (iommu_probe_device from device_add).
TEST_F(linux_fidelity, vf_probe_with_the_pf_up_and_iommu_groups_in_order) {
  boot(X540, 1, [](host_system& h) {
    EXPECT_EQ(out(h, "ip link set enp1s0f1 up"), "");
    EXPECT_EQ(out(h, "run 3s"), "");
    const size_t mark = h.dmesg().lines().size();
    EXPECT_EQ(out(h, "echo 1 > " + NUMVFS), "");
    std::vector<std::string> log = log_since(h, mark);
    ASSERT_EQ(log.size(), 12u);
    EXPECT_EQ(log[8], "ixgbevf 0000:01:10.1: " + out(h, "cat /sys/class/net/enp1s0f1v0/address").substr(0, 17));
    log[8] = "ixgbevf 0000:01:10.1: <mac>";  // random, checked above
    EXPECT_EQ(log, (std::vector<std::string>{
                       "ixgbe 0000:01:00.1 enp1s0f1: SR-IOV enabled with 1 VFs",
                       "pci 0000:01:10.1: [8086:1515] type 00 class 0x020000",
                       "pci 0000:01:10.1: Adding to iommu group 3",
                       "ixgbevf: Intel(R) 10 Gigabit PCI Express Virtual Function Network Driver",
                       "ixgbevf: Copyright (c) 2009 - 2018 Intel Corporation.",
                       "ixgbe 0000:01:00.1 enp1s0f1: VF Reset msg received from vf 0",
                       "ixgbevf 0000:01:10.1: MAC address not assigned by administrator.",
                       "ixgbevf 0000:01:10.1: Assigning random MAC address",
                       "ixgbevf 0000:01:10.1: <mac>",
                       "ixgbevf 0000:01:10.1: MAC: 2",
                       "ixgbevf 0000:01:10.1: Intel(R) X540 Virtual Function",
                       "ixgbevf 0000:01:10.1 enp1s0f1v0: renamed from eth0",
                   }));
    EXPECT_EQ(out(h, "ip link show enp1s0f1 | grep vf"),
              "    vf 0     link/ether 00:00:00:00:00:00 brd ff:ff:ff:ff:ff:ff, spoof checking on, link-state auto, "
              "trust off, query_rss off\n");
    EXPECT_EQ(out(h, "echo 0 > " + NUMVFS), "");
    EXPECT_EQ(dmesg(h, "Removing"), (std::vector<std::string>{"pci 0000:01:10.1: Removing from iommu group 3"}));
  });
}

// igb's VF lines in `ip link` have no query_rss (igb_ndo_get_vf_config leaves
// rss_query_en unset, so iproute2 prints nothing for it).
TEST_F(linux_fidelity, igb_vf_lines_have_no_query_rss) {
  boot(I350, 1, [](host_system& h) {
    EXPECT_EQ(out(h, "echo 1 > " + NUMVFS), "");
    const std::string vf = out(h, "ip link show enp1s0f1 | grep vf");
    EXPECT_NE(vf.find("vf 0 "), std::string::npos);
    EXPECT_EQ(vf.find("query_rss"), std::string::npos) << vf;
  });
}

// A VF's Vendor and Device ID registers read FFFFh (SR-IOV 1.1 section 3.4.1.1); Linux
// fills sysfs `vendor`/`device` from the PF (iov.c pci_iov_add_virtfn) and lspci
// names the function from sysfs but dumps the raw registers, as on real hosts.
TEST_F(linux_fidelity, vf_id_registers_read_ffff_and_sysfs_names_the_function) {
  boot(X540, 1, [](host_system& h) {
    EXPECT_EQ(out(h, "echo 1 > " + NUMVFS), "");
    const std::string vf = "/sys/bus/pci/devices/0000:01:10.1/";
    EXPECT_EQ(out(h, "cat " + vf + "vendor " + vf + "device"), "0x8086\n0x1515\n");
    EXPECT_EQ(out(h, "lspci -x -s 01:10.1 | head -2"),
              "01:10.1 Ethernet controller: Intel Corporation X540 Ethernet Controller Virtual Function (rev 01)\n"
              "00: ff ff ff ff 04 00 10 00 01 00 00 02 00 00 00 00\n");
    EXPECT_EQ(out(h, "lspci -n -s 01:10.1"), "01:10.1 0200: 8086:1515 (rev 01)\n");
  });
}

// drivers/pci/iov.c: sriov_vf_total_msix (PF, read-only: the driver's
// sriov_get_vf_total_msix, none in ixgbe/igb so 0) and sriov_vf_msix_count (VF,
// write-only: kstrtoint, then -EOPNOTSUPP without sriov_set_msix_vec_count).
TEST_F(linux_fidelity, vf_msix_files) {
  boot(X540, 1, [](host_system& h) {
    EXPECT_EQ(out(h, "echo 1 > " + NUMVFS), "");
    EXPECT_EQ(out(h, "cat /sys/bus/pci/devices/0000:01:00.1/sriov_vf_total_msix"), "0\n");
    const std::string count = "/sys/bus/pci/devices/0000:01:10.1/sriov_vf_msix_count";
    EXPECT_EQ(h.run("echo 4 > " + count).errno_name, "EOPNOTSUPP");
    EXPECT_EQ(h.run("echo -1 > " + count).errno_name, "EINVAL");
    EXPECT_EQ(h.run("echo x > " + count).errno_name, "EINVAL");
    EXPECT_EQ(h.run("cat " + count).errno_name, "EACCES");  // kernfs: no show, no read
    EXPECT_EQ(h.run("cat /sys/bus/pci/devices/0000:01:00.1/sriov_vf_msix_count").errno_name, "ENOENT");
  });
}

// drivers/base/bus.c bind_store/unbind_store, pci-driver.c new_id_store and
// pci-sysfs.c driver_override: what vfio users type.
TEST_F(linux_fidelity, bind_unbind_new_id_and_driver_override) {
  boot(X540, 1, [](host_system& h) {
    EXPECT_EQ(out(h, "echo 1 > " + NUMVFS), "");
    const std::string vf = "/sys/bus/pci/devices/0000:01:10.1/";
    const std::string drv = "/sys/bus/pci/drivers/ixgbevf/";
    EXPECT_EQ(out(h, "cat " + vf + "driver_override"), "(null)\n");
    EXPECT_EQ(out(h, "readlink " + vf + "driver"), "../../../../bus/pci/drivers/ixgbevf\n");
    EXPECT_EQ(out(h, "readlink " + drv + "0000:01:10.1"), "../../../../devices/pci0000:00/0000:00:01.0/0000:01:10.1\n");
    EXPECT_EQ(h.run("echo 0000:01:10.1 > " + drv + "bind").errno_name, "EBUSY");                   // already bound
    EXPECT_EQ(h.run("echo 0000:01:10.1 > /sys/bus/pci/drivers/ixgbe/bind").errno_name, "ENODEV");  // no match
    EXPECT_EQ(h.run("echo 0000:01:00.1 > " + drv + "unbind").errno_name, "ENODEV");                // not its device
    EXPECT_EQ(out(h, "echo 0000:01:10.1 > " + drv + "unbind"), "");
    EXPECT_EQ(h.run("readlink " + vf + "driver").status, 1);
    EXPECT_EQ(out(h, "ls /sys/class/net"), "enp1s0f0\nenp1s0f1\nlo\n");
    EXPECT_EQ(h.run("echo 0000:01:10.1 > /sys/bus/pci/drivers/ixgbe/bind").errno_name, "ENODEV");  // no match
    EXPECT_EQ(h.run("echo 8086 1515 > " + drv + "new_id").errno_name, "EEXIST");  // already in its table
    EXPECT_EQ(h.run("cat " + drv + "new_id").errno_name, "EACCES");
    // driver_override wins over the ID tables, both ways.
    EXPECT_EQ(out(h, "echo ixgbe > " + vf + "driver_override"), "");
    EXPECT_EQ(h.run("echo 0000:01:10.1 > " + drv + "bind").errno_name, "ENODEV");
    EXPECT_EQ(out(h, "echo > " + vf + "driver_override"), "");
    EXPECT_EQ(out(h, "cat " + vf + "driver_override"), "(null)\n");
    EXPECT_EQ(out(h, "echo 0000:01:10.1 > " + drv + "bind"), "");
    EXPECT_EQ(out(h, "ls /sys/class/net"), "enp1s0f0\nenp1s0f1\nenp1s0f1v0\nlo\n");
  });
}

// The netdev's `device` link and the VF names of systemd v252's net_id (Debian 12):
// enp<bus>s<slot>f<fn>v<vf> after the PF; net.naming-scheme=v238 (before VF names
// existed) names the VF by its own address; net.ifnames=0 keeps the kernel's names.
TEST_F(linux_fidelity, vf_interface_names_follow_the_naming_scheme) {
  boot(X540, 1, [](host_system& h) {
    EXPECT_EQ(out(h, "echo 1 > " + NUMVFS), "");
    EXPECT_EQ(out(h, "readlink /sys/class/net/enp1s0f1v0/device"), "../../../0000:01:10.1\n");
    EXPECT_EQ(out(h, "readlink /sys/class/net/enp1s0f1v0"),
              "../../devices/pci0000:00/0000:00:01.0/0000:01:10.1/net/enp1s0f1v0\n");
    EXPECT_EQ(out(h, "reboot intel_iommu=on net.naming-scheme=v238"), "");
    EXPECT_EQ(out(h, "echo 1 > " + NUMVFS), "");
    EXPECT_EQ(out(h, "ls /sys/class/net"), "enp1s0f0\nenp1s0f1\nenp1s16f1\nlo\n");
    EXPECT_EQ(out(h, "reboot intel_iommu=on net.ifnames=0"), "");
    EXPECT_EQ(out(h, "echo 1 > /sys/bus/pci/devices/0000:01:00.1/sriov_numvfs"), "");
    EXPECT_EQ(out(h, "ls /sys/class/net"), "eth0\neth1\neth2\nlo\n");
    EXPECT_TRUE(dmesg(h, "renamed").empty());
  });
}

// udevd loads the modprobe configuration once and keeps it across uevents
// (udev-builtin-kmod.c), rereading it when the files changed: a blacklist lifted
// after boot counts at the next uevent.
TEST_F(linux_fidelity, udev_rereads_the_modprobe_configuration_once_it_changed) {
  boot(std::string(X540) + R"(file { path: "/etc/modprobe.d/vf.conf" content: "blacklist ixgbevf\n" })", 1,
       [](host_system& h) {
         const std::string numvfs = "/sys/bus/pci/devices/0000:01:00.0/sriov_numvfs";
         EXPECT_EQ(out(h, "echo 1 > " + numvfs), "");
         EXPECT_EQ(out(h, "lsmod"), out(h, "lsmod | grep -v ixgbevf"));  // blacklisted: not loaded
         EXPECT_EQ(out(h, "echo 0 > " + numvfs), "");
         EXPECT_EQ(out(h, "echo '# none' > /etc/modprobe.d/vf.conf"), "");
         EXPECT_EQ(out(h, "echo 1 > " + numvfs), "");
         EXPECT_NE(out(h, "lsmod").find("ixgbevf"), std::string::npos) << out(h, "lsmod");
       });
}

// The outputs' final view reads every function's config space as an observer
// (host_bus::set_observer): no simulated time passes, unlike the same reads by a
// program on the host.
TEST_F(linux_fidelity, the_final_view_reads_config_space_without_taking_time) {
  boot(X540, 1, [](host_system& h) {
    const sc_core::sc_time before = sc_core::sc_time_stamp();
    const std::vector<lspci_device> view = h.lspci_view();
    EXPECT_EQ(sc_core::sc_time_stamp(), before);
    ASSERT_FALSE(view.empty());
    for (const lspci_device& d : view) EXPECT_GE(d.config.size(), 256u) << unsigned(d.bus) << ":" << unsigned(d.dev);
    out(h, "cat /sys/bus/pci/devices/0000:01:00.0/config > /dev/null");
    EXPECT_GT(sc_core::sc_time_stamp(), before);  // a program's reads wait their config cycles
  });
}

}  // namespace
}  // namespace iovsim::host
