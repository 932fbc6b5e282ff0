// The simulated Linux host end to end: boot on a real machine model, then shell
// lines as a user types them (sysfs sriov_numvfs, modprobe, reboot, ip link), with
// the outputs, errno names and kernel messages Linux gives.
#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "drivers-sim/host.h"
#include "models/pcie/sriov.h"
#include "platform/platform.h"
#include "scenarios/loader.h"
#include "tests/unit/host_fixture.h"

namespace iovsim::host {
namespace {

using sc_core::sc_time;

const std::string PF0 = "/sys/bus/pci/devices/0000:01:00.0/";
const std::string PF1 = "/sys/bus/pci/devices/0000:01:00.1/";

const char* const X540 = R"(
  root_port { name: "rp1" device: 1 }
  endpoint { name: "nic" profile: "x540" attach: "rp1" }
)";

class host : public test::host_fixture {};
using test::dmesg;
using test::out;

std::vector<std::string> netdev_names(host_system& h) {
  std::vector<std::string> names;
  for (netdev* n : h.net().netdevs()) names.push_back(n->name);
  return names;
}

TEST_F(host, boot_binds_drivers_and_names_interfaces) {
  boot(X540, 1, [](host_system& h) {
    EXPECT_EQ(out(h, "cat " + PF0 + "vendor " + PF0 + "device " + PF0 + "class"), "0x8086\n0x1528\n0x020000\n");
    // `driver` is a link to the driver's directory, as in Linux: cat refuses it.
    EXPECT_EQ(out(h, "readlink " + PF0 + "driver"), "../../../../bus/pci/drivers/ixgbe\n");
    EXPECT_EQ(h.run("cat " + PF0 + "driver").errno_name, "EISDIR");
    EXPECT_EQ(out(h, "ls /sys/bus/pci/drivers"), "iovsim_dma\niovsim_pciebench\nixgbe\n");
    EXPECT_EQ(netdev_names(h), (std::vector<std::string>{"enp1s0f0", "enp1s0f1"}));
    EXPECT_EQ(out(h, "cat /sys/class/net/enp1s0f1/address"), "00:1b:21:a1:00:01\n");  // read from RAL0/RAH0
    EXPECT_EQ(out(h, "ip link show enp1s0f0"),
              "2: enp1s0f0: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000\n"
              "    link/ether 00:1b:21:a1:00:00 brd ff:ff:ff:ff:ff:ff\n");
    EXPECT_EQ(dmesg(h, "renamed"), (std::vector<std::string>{"ixgbe 0000:01:00.0 enp1s0f0: renamed from eth0",
                                                             "ixgbe 0000:01:00.1 enp1s0f1: renamed from eth1"}));
    EXPECT_EQ(out(h, "cat " + PF0 + "sriov_totalvfs " + PF0 + "sriov_numvfs"), "63\n0\n");  // ixgbe caps at 63
    EXPECT_EQ(out(h, "cat " + PF0 + "sriov_offset " + PF0 + "sriov_stride " + PF0 + "sriov_vf_device"),
              "128\n2\n1515\n");
  });
}

TEST_F(host, sriov_numvfs_enables_and_disables_vfs) {
  boot(X540, 1, [](host_system& h) {
    sc_time t0 = sc_core::sc_time_stamp();
    EXPECT_EQ(out(h, "echo 3 > " + PF0 + "sriov_numvfs"), "");
    const sc_time took = sc_core::sc_time_stamp() - t0;
    EXPECT_GE(took, sc_time(100, sc_core::SC_MS));  // iov.c msleep(100) after VF Enable
    // plus config accesses and each VF's probe: ixgbevf's reset waits up to 200 x 5 us
    // for a PF that is down (RSTI stays set) before it gives up.
    EXPECT_LT(took, sc_time(105, sc_core::SC_MS));
    EXPECT_EQ(out(h, "cat " + PF0 + "sriov_numvfs"), "3\n");
    EXPECT_EQ(out(h, "lspci -n -d 8086:1515"),
              "01:10.0 0200: 8086:1515 (rev 01)\n01:10.2 0200: 8086:1515 (rev 01)\n01:10.4 0200: 8086:1515 (rev 01)\n");
    EXPECT_EQ(out(h, "cat " + PF0 + "virtfn2/vendor " + PF0 + "virtfn2/device"), "0x8086\n0x1515\n");
    EXPECT_EQ(out(h, "cat /sys/bus/pci/devices/0000:01:10.2/physfn/sriov_numvfs"), "3\n");
    EXPECT_EQ(out(h, "readlink /sys/bus/pci/devices/0000:01:10.2/driver"), "../../../../bus/pci/drivers/ixgbevf\n");
    EXPECT_EQ(dmesg(h, "SR-IOV enabled"), (std::vector<std::string>{"ixgbe 0000:01:00.0 enp1s0f0: SR-IOV enabled with 3 VFs"}));
    // Writing the current value again is accepted and changes nothing.
    EXPECT_EQ(out(h, "echo 3 > " + PF0 + "sriov_numvfs"), "");

    t0 = sc_core::sc_time_stamp();
    EXPECT_EQ(out(h, "echo 0 > " + PF0 + "sriov_numvfs"), "");
    EXPECT_GE(sc_core::sc_time_stamp() - t0, sc_time(1, sc_core::SC_SEC));  // ssleep(1)
    EXPECT_EQ(out(h, "cat " + PF0 + "sriov_numvfs"), "0\n");
    EXPECT_EQ(out(h, "lspci -n -d 8086:1515"), "");
    EXPECT_EQ(netdev_names(h), (std::vector<std::string>{"enp1s0f0", "enp1s0f1"}));
    EXPECT_EQ(h.run("cat /sys/bus/pci/devices/0000:01:10.2/vendor").errno_name, "ENOENT");
  });
}

TEST_F(host, sriov_numvfs_errors) {
  boot(X540, 1, [](host_system& h) {
    ASSERT_EQ(out(h, "echo 3 > " + PF0 + "sriov_numvfs"), "");
    cmd_result r = h.run("echo 2 > " + PF0 + "sriov_numvfs");
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.errno_name, "EBUSY");
    EXPECT_EQ(r.err, "-bash: echo: write error: Device or resource busy\n");
    EXPECT_EQ(dmesg(h, "already enabled"),
              (std::vector<std::string>{"pci 0000:01:00.0: 3 VFs already enabled. Disable before enabling 2 VFs"}));
    r = h.run("echo 64 > " + PF1 + "sriov_numvfs");  // TotalVFs 64, ixgbe allows 63
    EXPECT_EQ(r.errno_name, "ERANGE");
    EXPECT_EQ(r.err, "-bash: echo: write error: Numerical result out of range\n");
    r = h.run("echo three > " + PF1 + "sriov_numvfs");
    EXPECT_EQ(r.errno_name, "EINVAL");
    EXPECT_EQ(r.err, "-bash: echo: write error: Invalid argument\n");
    r = h.run("echo 1 > " + PF0 + "sriov_totalvfs");
    EXPECT_EQ(r.errno_name, "EACCES");
    EXPECT_EQ(out(h, "cat " + PF1 + "sriov_numvfs"), "0\n");
    EXPECT_EQ(out(h, "echo 63 > " + PF1 + "sriov_numvfs"), "");
    EXPECT_EQ(out(h, "cat " + PF1 + "sriov_numvfs"), "63\n");
  });
}

TEST_F(host, sriov_numvfs_parses_numbers_like_kstrtou16) {
  boot(X540, 1, [](host_system& h) {
    EXPECT_EQ(out(h, "echo 0x2 > " + PF0 + "sriov_numvfs"), "");  // base 0: hex
    EXPECT_EQ(out(h, "echo 0 > " + PF0 + "sriov_numvfs"), "");
    EXPECT_EQ(out(h, "echo 010 > " + PF0 + "sriov_numvfs"), "");  // octal 8
    EXPECT_EQ(out(h, "cat " + PF0 + "sriov_numvfs"), "8\n");
    EXPECT_EQ(out(h, "echo +2 > " + PF1 + "sriov_numvfs"), "");
    // drivers/pci/iov.c sriov_numvfs_store: any kstrtou16() failure is EINVAL, overflow too.
    EXPECT_EQ(h.run("echo 70000 > " + PF1 + "sriov_numvfs").errno_name, "EINVAL");
    EXPECT_EQ(h.run("echo ' 1' > " + PF1 + "sriov_numvfs").errno_name, "EINVAL");
  });
}

TEST_F(host, sriov_numvfs_without_a_driver_is_enoent) {
  const std::string platform =
      std::string(X540) + R"(file { path: "/etc/modprobe.d/blacklist.conf" content: "blacklist ixgbe\n" })";
  boot(platform, 1, [](host_system& h) {
    EXPECT_FALSE(h.modules().loaded("ixgbe"));
    EXPECT_TRUE(netdev_names(h).empty());
    EXPECT_EQ(out(h, "cat " + PF0 + "sriov_totalvfs"), "64\n");  // no driver cap
    const cmd_result r = h.run("echo 1 > " + PF0 + "sriov_numvfs");
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.errno_name, "ENOENT");
    EXPECT_EQ(r.err, "-bash: echo: write error: No such file or directory\n");
    EXPECT_EQ(dmesg(h, "no driver"),
              (std::vector<std::string>{"pci 0000:01:00.0: no driver bound to device; cannot configure SR-IOV"}));
    // Loading the module by hand binds it; then it works.
    EXPECT_EQ(out(h, "modprobe ixgbe"), "");
    EXPECT_EQ(out(h, "cat " + PF0 + "sriov_totalvfs"), "63\n");
    EXPECT_EQ(out(h, "echo 1 > " + PF0 + "sriov_numvfs"), "");
    EXPECT_EQ(out(h, "lspci -n -d 8086:1515"), "01:10.0 0200: 8086:1515 (rev 01)\n");
  });
}

TEST_F(host, reboot_with_assign_busses_renumbers_and_reserves_the_vf_bus) {
  const std::string platform = R"(
    kernel_cmdline: "pci=noari"
    firmware { bus_numbering: TIGHT }
    root_port { name: "rp1" device: 1 }
    root_port { name: "rp2" device: 2 }
    endpoint { name: "nic" profile: "82599" attach: "rp1" }
    endpoint { name: "nic2" profile: "i350" attach: "rp2" }
  )";
  boot(platform, 1, [](host_system& h) {
    platform::host_cpu& cpu = h.machine().cpu();
    EXPECT_EQ(cpu.cfg_read(0, 0x08, pcie::CFG_PRIMARY_BUS, 4) & 0xffffff, 0x010100u);
    EXPECT_EQ(cpu.cfg_read(0, 0x10, pcie::CFG_PRIMARY_BUS, 4) & 0xffffff, 0x020200u);
    EXPECT_EQ(out(h, "cat " + PF0 + "sriov_offset"), "384\n");
    cmd_result r = h.run("echo 8 > " + PF0 + "sriov_numvfs");
    EXPECT_EQ(r.errno_name, "ENOMEM");
    EXPECT_EQ(r.err, "-bash: echo: write error: Cannot allocate memory\n");
    EXPECT_EQ(dmesg(h, "out of range"),
              (std::vector<std::string>{"pci 0000:01:00.0: can't enable 8 VFs (bus 02 out of range of [bus 01])"}));

    r = h.run("reboot pci=noari pci=bogus");
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(r.errno_name, "EINVAL");
    EXPECT_EQ(r.err, "reboot: unknown kernel parameter \"pci=bogus\"\n");

    EXPECT_EQ(out(h, "reboot pci=noari pci=assign-busses"), "");
    EXPECT_EQ(out(h, "cat /proc/cmdline"), "pci=noari pci=assign-busses\n");
    // The kernel numbered the buses itself, one spare bus after each port's device.
    EXPECT_EQ(cpu.cfg_read(0, 0x08, pcie::CFG_PRIMARY_BUS, 4) & 0xffffff, 0x020100u);
    EXPECT_EQ(cpu.cfg_read(0, 0x10, pcie::CFG_PRIMARY_BUS, 4) & 0xffffff, 0x040300u);
    EXPECT_EQ(h.pci().find("00:02.0")->secondary, 3u);
    EXPECT_EQ(dmesg(h, "PCI bridge to"), (std::vector<std::string>{"pci 0000:00:01.0: PCI bridge to [bus 01-02]",
                                                                   "pci 0000:00:02.0: PCI bridge to [bus 03-04]"}));
    EXPECT_TRUE(dmesg(h, "out of range").empty());  // a fresh kernel log
    EXPECT_EQ(out(h, "cat /sys/bus/pci/devices/0000:03:00.3/vendor"), "0x8086\n");
    EXPECT_EQ(out(h, "echo 8 > " + PF0 + "sriov_numvfs"), "");
    EXPECT_EQ(out(h, "lspci -n -d 8086:10ed | head -n 2"),
              "02:10.0 0200: 8086:10ed (rev 01)\n02:10.2 0200: 8086:10ed (rev 01)\n");
    // Without pci= switches: ARI forwarding, offset 128, and the firmware's numbering again.
    EXPECT_EQ(out(h, "reboot"), "");
    EXPECT_EQ(out(h, "cat /proc/cmdline"), "pci=noari pci=assign-busses\n");  // reboot keeps the command line
    EXPECT_EQ(out(h, "reboot quiet"), "");
    EXPECT_EQ(cpu.cfg_read(0, 0x08, pcie::CFG_PRIMARY_BUS, 4) & 0xffffff, 0x010100u);
    EXPECT_EQ(out(h, "cat " + PF1 + "sriov_offset"), "128\n");
  });
}

// Without a cable the PHY never reports a link: the interface stays NO-CARRIER.
TEST_F(host, no_cable_no_carrier) {
  boot(X540, 1, [](host_system& h) {
    EXPECT_EQ(out(h, "ip link set enp1s0f0 up"), "");
    EXPECT_EQ(out(h, "run 10s"), "");
    EXPECT_EQ(out(h, "cat /sys/class/net/enp1s0f0/carrier"), "0\n");
    EXPECT_EQ(dmesg(h, "Link is Up"), std::vector<std::string>{});
  });
}

TEST_F(host, link_comes_up_after_link_up_time) {
  loopback_cable = true;  // port 0 to port 1
  boot(X540, 1, [](host_system& h) {
    const std::string carrier = "cat /sys/class/net/enp1s0f0/carrier";
    cmd_result r = h.run(carrier);
    EXPECT_EQ(r.errno_name, "EINVAL");  // carrier is unreadable while the interface is down
    EXPECT_EQ(r.err, "cat: /sys/class/net/enp1s0f0/carrier: Invalid argument\n");
    EXPECT_EQ(out(h, "ip link set enp1s0f0 up"), "");
    EXPECT_EQ(out(h, carrier), "0\n");
    EXPECT_EQ(out(h, "ip link show dev enp1s0f0"),
              "2: enp1s0f0: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc mq state DOWN mode DEFAULT group "
              "default qlen 1000\n    link/ether 00:1b:21:a1:00:00 brd ff:ff:ff:ff:ff:ff\n");
    EXPECT_EQ(out(h, "run 1999ms"), "");
    EXPECT_EQ(out(h, carrier), "0\n");
    EXPECT_EQ(out(h, "run 2ms"), "");
    EXPECT_EQ(out(h, carrier), "1\n");
    EXPECT_EQ(out(h, "cat /sys/class/net/enp1s0f0/operstate /sys/class/net/enp1s0f1/operstate"), "up\ndown\n");
    EXPECT_EQ(dmesg(h, "Link is Up"),
              (std::vector<std::string>{"ixgbe 0000:01:00.0 enp1s0f0: NIC Link is Up 10 Gbps, Flow Control: RX/TX"}));
    EXPECT_EQ(out(h, "ip link set dev enp1s0f0 down"), "");
    EXPECT_EQ(dmesg(h, "Link is Down"), (std::vector<std::string>{"ixgbe 0000:01:00.0 enp1s0f0: NIC Link is Down"}));
    r = h.run("ip link set enp9s0 up");
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, "Cannot find device \"enp9s0\"\n");
  });
  EXPECT_EQ(env->params().declared().at("host.link_up_time").default_text, sc_time(2, sc_core::SC_SEC).to_string());
}

TEST_F(host, link_up_time_is_a_parameter_and_vfs_follow_the_pf) {
  loopback_cable = true;
  env->params().set_override("host.link_up_time", "500ms");
  boot(X540, 1, [](host_system& h) {
    ASSERT_EQ(out(h, "echo 2 > " + PF1 + "sriov_numvfs"), "");
    // PF1's VFs: 01:00.1 + 128 + 2i = 01:10.1 and 01:10.3, named by systemd v252's
    // net_id after the PF and the VF's index (virtfnN).
    EXPECT_EQ(netdev_names(h), (std::vector<std::string>{"enp1s0f0", "enp1s0f1", "enp1s0f1v0", "enp1s0f1v1"}));
    // ixgbevf_open() with no answer from the PF (its interface is down): refused.
    const cmd_result r = h.run("ip link set enp1s0f1v1 up");
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(r.err, "RTNETLINK answers: Input/output error\n");
    EXPECT_EQ(dmesg(h, "Unable to start"),
              (std::vector<std::string>{"ixgbevf: Unable to start - perhaps the PF Driver isn't up yet"}));
    EXPECT_EQ(out(h, "ip link set enp1s0f1 up"), "");
    // The VF's open talks to the PF over the mailbox (a few ms of the 500).
    EXPECT_EQ(out(h, "ip link set enp1s0f1v1 up"), "");
    EXPECT_EQ(out(h, "run 400ms"), "");
    EXPECT_EQ(out(h, "cat /sys/class/net/enp1s0f1/carrier /sys/class/net/enp1s0f1v1/carrier"), "0\n0\n");
    EXPECT_EQ(out(h, "run 101ms"), "");
    EXPECT_EQ(out(h, "cat /sys/class/net/enp1s0f1/carrier /sys/class/net/enp1s0f1v1/carrier"), "1\n1\n");
    EXPECT_EQ(out(h, "cat /sys/class/net/enp1s0f1v1/device/physfn/device"), "0x1528\n");
  });
}

TEST_F(host, pf_link_up_then_reboot_before_carrier) {
  boot(X540, 1, [](host_system& h) {
    EXPECT_EQ(out(h, "ip link set enp1s0f0 up"), "");
    EXPECT_EQ(out(h, "reboot"), "");
    EXPECT_EQ(out(h, "run 3s"), "");
    EXPECT_EQ(out(h, "cat /sys/class/net/enp1s0f0/operstate"), "down\n");
    EXPECT_TRUE(dmesg(h, "Link is Up").empty());
  });
}

// The VFs' MAC addresses (random: the PF is down, so no MAC from the PF) for a seed.
std::vector<std::string> vf_macs(host_system& h) {
  EXPECT_EQ(out(h, "echo 2 > " + PF1 + "sriov_numvfs"), "");
  // drivers/net/ethernet/intel/ixgbevf/ixgbevf_main.c ixgbevf_probe / ixgbevf_sw_init:
  // no reply from a PF that is down, a random address, then the probe lines after
  // register_netdev; eth0 is free again once udev renamed the PFs.
  const std::vector<std::string> lines = dmesg(h, "0000:01:10.1");
  EXPECT_EQ(lines.size(), 7u);
  if (lines.size() == 7u) {
    EXPECT_EQ(std::vector<std::string>(lines.begin(), lines.begin() + 3),
              (std::vector<std::string>{"pci 0000:01:10.1: [8086:1515] type 00 class 0x020000",
                                        "ixgbevf 0000:01:10.1: PF still in reset state.  Is the PF interface up?",
                                        "ixgbevf 0000:01:10.1: Assigning random MAC address"}));
    EXPECT_EQ(lines[3], "ixgbevf 0000:01:10.1: " + out(h, "cat /sys/class/net/enp1s0f1v0/address").substr(0, 17));
    EXPECT_EQ(std::vector<std::string>(lines.begin() + 4, lines.end()),
              (std::vector<std::string>{"ixgbevf 0000:01:10.1: MAC: 2",
                                        "ixgbevf 0000:01:10.1: Intel(R) X540 Virtual Function",
                                        "ixgbevf 0000:01:10.1 enp1s0f1v0: renamed from eth0"}));
  }
  return {out(h, "cat /sys/class/net/enp1s0f1v0/address"), out(h, "cat /sys/class/net/enp1s0f1v1/address")};
}

TEST_F(host, random_vf_macs_are_deterministic_per_seed) {
  std::vector<std::string> first, again, other;
  boot(X540, 7, [&](host_system& h) { first = vf_macs(h); });
  restart();
  boot(X540, 7, [&](host_system& h) { again = vf_macs(h); });
  restart();
  boot(X540, 8, [&](host_system& h) { other = vf_macs(h); });
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first, again);
  EXPECT_NE(first[0], other[0]);
  EXPECT_NE(first[1], other[1]);
  EXPECT_NE(first[0], first[1]);
  for (const auto& macs : {first, other})
    for (const std::string& mac : macs) {
      ASSERT_EQ(mac.size(), 18u) << mac;  // "xx:xx:xx:xx:xx:xx\n"
      const unsigned octet0 = static_cast<unsigned>(std::stoul(mac.substr(0, 2), nullptr, 16));
      EXPECT_EQ(octet0 & 1u, 0u) << mac;  // unicast
      EXPECT_EQ(octet0 & 2u, 2u) << mac;  // locally administered
    }
}

}  // namespace
}  // namespace iovsim::host
