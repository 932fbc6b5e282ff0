// The NIC data path end to end, as the drivers drive it: a dual-port X540 whose ports
// are cabled to each other, ixgbe bringing both PFs up (rings in host memory through
// the DMA API, MSI-X vectors, NAPI), ixgbevf bringing a VF up after its reset over the
// mailbox, and frames handed to ndo_start_xmit on one port arriving at the other
// port's netdev through TX DMA, the wire, the forwarding stage, RX DMA, an interrupt
// and a NAPI poll. The stack above is a recorder (net_core's packet handler).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "models/net/headers.h"
#include "tests/unit/nic_host_fixture.h"

namespace iovsim::host {
namespace {

using sc_core::sc_time;
using test::dmesg;
using test::out;

using recorder = test::frame_recorder;
using test::raw_frame;

class nic_datapath : public test::nic_host_fixture {};

const char* const X540_IOMMU = R"(
  kernel_cmdline: "intel_iommu=on"
  root_port { name: "rp1" device: 1 }
  endpoint { name: "nic" profile: "x540" attach: "rp1" }
)";

TEST_F(nic_datapath, pf_to_pf_over_the_cable) {
  boot(X540_IOMMU, 1, [](host_system& h) {
    recorder rec;
    h.net().set_packet_handler(&rec);
    bring_up(h, {"enp1s0f0", "enp1s0f1"});
    ASSERT_EQ(dmesg(h, "Link is Up").size(), 2u);
    netdev& a = *h.net().find("enp1s0f0");
    netdev& b = *h.net().find("enp1s0f1");
    const std::vector<uint8_t> f = raw_frame(b.mac, a.mac, 1000);
    const sc_time sent = sc_core::sc_time_stamp();
    for (int i = 0; i < 3; ++i) ASSERT_EQ(a.ops->start_xmit(a, f.data(), static_cast<uint32_t>(f.size())), 0);
    out(h, "run 1ms");
    ASSERT_EQ(rec.frames.size(), 3u);
    for (const auto& s : rec.frames) {
      EXPECT_EQ(s.dev, "enp1s0f1");
      EXPECT_EQ(s.bytes, f);
    }
    // Wire time alone is 0.8 us a frame at 10 Gb/s; with DMA, the interrupt and the
    // poll, the first frame is up within microseconds, not at the 50 us throttle.
    const double first_us = (rec.frames[0].at - sent).to_seconds() * 1e6;
    EXPECT_GT(first_us, 1.0);
    EXPECT_LT(first_us, 60.0);
    EXPECT_EQ(a.stats.tx_packets, 3u);
    EXPECT_EQ(b.stats.rx_packets, 3u);
    EXPECT_EQ(b.stats.rx_bytes, 3000u);
    // ethtool -S: the driver's counters and its rings'.
    bool found = false;
    for (const auto& [name, v] : b.ops->ethtool_stats(b))
      if (name == "rx_queue_0_packets" || name == "rx_queue_1_packets") found |= v > 0;
    EXPECT_TRUE(found);
  });
}

TEST_F(nic_datapath, vf_resets_over_the_mailbox_and_receives_its_frames) {
  boot(X540_IOMMU, 3, [](host_system& h) {
    recorder rec;
    h.net().set_packet_handler(&rec);
    out(h, "ip link set enp1s0f0 up");
    out(h, "ip link set enp1s0f1 up");
    out(h, "echo 1 > /sys/bus/pci/devices/0000:01:00.1/sriov_numvfs");
    EXPECT_EQ(dmesg(h, "VF Reset msg received").size(), 1u);
    EXPECT_EQ(dmesg(h, "PF still in reset").size(), 0u);
    out(h, "ip link set enp1s0f1v0 up");
    out(h, "run 2100ms");
    netdev& a = *h.net().find("enp1s0f0");
    netdev& pf = *h.net().find("enp1s0f1");
    netdev& vf = *h.net().find("enp1s0f1v0");
    ASSERT_TRUE(vf.carrier);
    // To the VF's MAC (the PF put it in a receive address for the VF's pool when the
    // VF sent SET_MAC_ADDR), then to the PF's.
    const std::vector<uint8_t> to_vf = raw_frame(vf.mac, a.mac, 200), to_pf = raw_frame(pf.mac, a.mac, 300);
    ASSERT_EQ(a.ops->start_xmit(a, to_vf.data(), 200), 0);
    ASSERT_EQ(a.ops->start_xmit(a, to_pf.data(), 300), 0);
    out(h, "run 1ms");
    ASSERT_EQ(rec.frames.size(), 2u);
    EXPECT_EQ(rec.frames[0].dev, "enp1s0f1v0");
    EXPECT_EQ(rec.frames[0].bytes, to_vf);
    EXPECT_EQ(rec.frames[1].dev, "enp1s0f1");
    EXPECT_EQ(rec.frames[1].bytes, to_pf);
    // And back: the VF sends to port 0.
    const std::vector<uint8_t> back = raw_frame(a.mac, vf.mac, 64);
    ASSERT_EQ(vf.ops->start_xmit(vf, back.data(), 64), 0);
    out(h, "run 1ms");
    ASSERT_EQ(rec.frames.size(), 3u);
    EXPECT_EQ(rec.frames[2].dev, "enp1s0f0");
    EXPECT_EQ(vf.stats.tx_packets, 1u);
  });
}

// Three laps of both rings: buffers are refilled where the ring's empty slot moved
// (next_to_alloc), TX descriptors are cleaned and reused.
TEST_F(nic_datapath, many_laps_of_the_rings) {
  boot(X540_IOMMU, 2, [](host_system& h) {
    recorder rec;
    h.net().set_packet_handler(&rec);
    bring_up(h, {"enp1s0f0", "enp1s0f1"});
    netdev& a = *h.net().find("enp1s0f0");
    netdev& b = *h.net().find("enp1s0f1");
    const std::vector<uint8_t> f = raw_frame(b.mac, a.mac, 128);
    for (int batch = 0; batch < 6; ++batch) {
      for (int i = 0; i < 256; ++i) ASSERT_EQ(a.ops->start_xmit(a, f.data(), 128), 0) << batch << " " << i;
      out(h, "run 2ms");
    }
    EXPECT_EQ(rec.frames.size(), 1536u);
    EXPECT_EQ(b.stats.rx_packets, 1536u);
    EXPECT_EQ(a.stats.tx_packets, 1536u);
  });
}

// Jumbo frames: a 9000-byte frame needs MTU 9000 on the receiver (its buffers follow
// the MTU); with 1500 it is dropped by the NIC for want of a buffer big enough. The
// MTU's range is the driver's (ixgbe: 9710) and iproute2 says so.
TEST_F(nic_datapath, jumbo_frames_follow_the_receivers_mtu) {
  boot(X540_IOMMU, 1, [](host_system& h) {
    recorder rec;
    h.net().set_packet_handler(&rec);
    bring_up(h, {"enp1s0f0", "enp1s0f1"});
    netdev& a = *h.net().find("enp1s0f0");
    netdev& b = *h.net().find("enp1s0f1");
    out(h, "ip link set dev enp1s0f0 mtu 9000");
    EXPECT_EQ(a.mtu, 9000u);
    const std::vector<uint8_t> big = raw_frame(b.mac, a.mac, 9014);
    ASSERT_EQ(a.ops->start_xmit(a, big.data(), static_cast<uint32_t>(big.size())), 0);
    out(h, "run 1ms");
    EXPECT_TRUE(rec.frames.empty());  // b's 2 KiB buffers cannot take it
    out(h, "ip link set dev enp1s0f1 mtu 9000");
    ASSERT_EQ(a.ops->start_xmit(a, big.data(), static_cast<uint32_t>(big.size())), 0);
    out(h, "run 1ms");
    ASSERT_EQ(rec.frames.size(), 1u);
    EXPECT_EQ(rec.frames[0].bytes, big);
    EXPECT_EQ(dmesg(h, "changing MTU"),
              (std::vector<std::string>{"ixgbe 0000:01:00.0 enp1s0f0: changing MTU from 1500 to 9000",
                                        "ixgbe 0000:01:00.1 enp1s0f1: changing MTU from 1500 to 9000"}));
    const cmd_result r = h.run("ip link set dev enp1s0f1 mtu 9711");
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(r.err, "Error: mtu greater than device maximum.\n");
    EXPECT_EQ(h.run("ip link set dev enp1s0f1 mtu 67").err, "Error: mtu less than device minimum.\n");
    EXPECT_EQ(h.run("ip link set dev enp1s0f1 mtu big").err,
              "Error: argument \"big\" is wrong: Invalid \"mtu\" value\n");
    EXPECT_NE(out(h, "ip link show dev enp1s0f1").find("mtu 9000"), std::string::npos);
  });
}

// The PF down: a VF probing then cannot finish its reset (RSTI), as ixgbevf says.
TEST_F(nic_datapath, vf_under_a_pf_that_is_down) {
  boot(X540_IOMMU, 1, [](host_system& h) {
    out(h, "echo 1 > /sys/bus/pci/devices/0000:01:00.0/sriov_numvfs");
    EXPECT_EQ(dmesg(h, "PF still in reset state").size(), 1u);
  });
}

// Strict unmapping makes every sent frame cost an IOTLB invalidation; pass-through
// none: the same 200 frames take longer to send in strict mode.
TEST_F(nic_datapath, strict_iommu_costs_more_per_sent_frame_than_passthrough) {
  auto send = [this](const std::string& cmdline) {
    sc_time took;
    const std::string platform = "kernel_cmdline: \"" + cmdline + "\"\n" +
                                 "root_port { name: \"rp1\" device: 1 }\n"
                                 "endpoint { name: \"nic\" profile: \"x540\" attach: \"rp1\" }\n";
    boot(platform, 1, [&took](host_system& h) {
      recorder rec;
      h.net().set_packet_handler(&rec);
      bring_up(h, {"enp1s0f0", "enp1s0f1"});
      netdev& a = *h.net().find("enp1s0f0");
      netdev& b = *h.net().find("enp1s0f1");
      const std::vector<uint8_t> f = raw_frame(b.mac, a.mac, 64);
      const sc_time t0 = sc_core::sc_time_stamp();
      for (int i = 0; i < 200; ++i) ASSERT_EQ(a.ops->start_xmit(a, f.data(), 64), 0);
      took = sc_core::sc_time_stamp() - t0;
      out(h, "run 10ms");
      EXPECT_EQ(rec.frames.size(), 200u);
    });
    restart();
    return took;
  };
  const sc_time pt = send("intel_iommu=on iommu=pt");
  const sc_time strict = send("intel_iommu=on iommu.strict=1");
  EXPECT_GT(strict, pt);
}

// ---- the VF and its PF (pf_down_vf, anti_spoof_trusted_vf as host-level checks) ----

// A running VF under a PF that goes down and up: ixgbe_down() takes the VFs' link and
// clear-to-send, ixgbe_up_complete() restarts them; the VF resets over the mailbox by
// itself and receives again, with no one touching it.
TEST_F(nic_datapath, running_vf_resets_after_its_pf_goes_down_and_up) {
  boot(X540_IOMMU, 3, [](host_system& h) {
    recorder rec;
    h.net().set_packet_handler(&rec);
    bring_up(h, {"enp1s0f0", "enp1s0f1"});
    out(h, "echo 1 > /sys/bus/pci/devices/0000:01:00.1/sriov_numvfs");
    out(h, "ip link set enp1s0f1v0 up");
    out(h, "run 1ms");
    netdev& a = *h.net().find("enp1s0f0");
    netdev& vf = *h.net().find("enp1s0f1v0");
    ASSERT_TRUE(vf.carrier);
    EXPECT_EQ(dmesg(h, "ixgbevf 0000:01:10.1: NIC Link is Up 10 Gbps").size(), 1u);  // the watchdog's, at open
    const size_t resets = dmesg(h, "VF Reset msg received from vf 0").size();
    out(h, "ip link set enp1s0f1 down");
    out(h, "run 1ms");
    EXPECT_FALSE(vf.carrier);
    EXPECT_EQ(dmesg(h, "ixgbevf 0000:01:10.1: NIC Link is Down").size(), 1u);
    out(h, "ip link set enp1s0f1 up");
    out(h, "run 2100ms");
    EXPECT_TRUE(vf.carrier);
    EXPECT_EQ(dmesg(h, "VF Reset msg received from vf 0").size(), resets + 1);
    const std::vector<uint8_t> to_vf = raw_frame(vf.mac, a.mac, 200);
    ASSERT_EQ(a.ops->start_xmit(a, to_vf.data(), 200), 0);
    out(h, "run 1ms");
    ASSERT_EQ(rec.frames.size(), 1u);
    EXPECT_EQ(rec.frames[0].dev, "enp1s0f1v0");
  });
}

// ixgbevf_reset() keeps hw->mac.addr: after an administrator MAC, ifdown/ifup leaves
// the VF on its old address (and ixgbe refuses it); a reload takes the new one.
TEST_F(nic_datapath, administrator_mac_reaches_the_vf_at_a_reload_only) {
  boot(X540_IOMMU, 3, [](host_system& h) {
    bring_up(h, {"enp1s0f1"});
    out(h, "echo 1 > /sys/bus/pci/devices/0000:01:00.1/sriov_numvfs");
    out(h, "ip link set enp1s0f1v0 up");
    const uint64_t invented = h.net().find("enp1s0f1v0")->mac;
    out(h, "ip link set dev enp1s0f1 vf 0 mac 02:00:00:00:00:11");
    EXPECT_EQ(dmesg(h, "Reload the VF driver to make this change effective.").size(), 1u);
    EXPECT_EQ(h.net().find("enp1s0f1v0")->mac, invented);
    out(h, "ip link set enp1s0f1v0 down");
    out(h, "ip link set enp1s0f1v0 up");
    EXPECT_EQ(h.net().find("enp1s0f1v0")->mac, invented);
    EXPECT_EQ(dmesg(h, "VF 0 attempted to override administratively set MAC address").size(), 1u);
    out(h, "modprobe -r ixgbevf");
    out(h, "modprobe ixgbevf");
    ASSERT_NE(h.net().find("enp1s0f1v0"), nullptr);
    EXPECT_EQ(h.net().find("enp1s0f1v0")->mac, 0x020000000011u);
  });
}

// ixgbe_update_vf_xcast_mode(): PROMISC only for a trusted VF and only with the PF
// promiscuous; an untrusted VF silently gets MULTI. A frame to an address nobody has
// reaches the trusted VF only: not the untrusted one, and not the promiscuous PF,
// whose pool gets no VMOLR.UPE (ixgbe_set_rx_mode) and which is the default pool only
// for frames no pool took.
TEST_F(nic_datapath, only_a_trusted_vf_becomes_promiscuous) {
  boot(X540_IOMMU, 3, [](host_system& h) {
    recorder rec;
    h.net().set_packet_handler(&rec);
    bring_up(h, {"enp1s0f0", "enp1s0f1"});
    out(h, "echo 2 > /sys/bus/pci/devices/0000:01:00.1/sriov_numvfs");
    out(h, "ip link set enp1s0f1v0 up");
    out(h, "ip link set enp1s0f1v1 up");
    out(h, "ip link set dev enp1s0f1 vf 1 trust on");
    out(h, "run 100ms");  // VF 1 resets on the trust change's ping and configures again
    out(h, "ip link set enp1s0f1v0 promisc on");
    out(h, "ip link set enp1s0f1v1 promisc on");
    EXPECT_EQ(dmesg(h, "Enabling VF promisc requires PF in promisc").size(), 1u);  // VF 1's; VF 0 was capped
    out(h, "ip link set enp1s0f1 promisc on");
    out(h, "ip link set enp1s0f1v1 promisc off");
    out(h, "ip link set enp1s0f1v1 promisc on");
    EXPECT_EQ(dmesg(h, "Enabling VF promisc requires PF in promisc").size(), 1u);
    out(h, "run 1ms");
    netdev& a = *h.net().find("enp1s0f0");
    const std::vector<uint8_t> stranger = raw_frame(0x020000009901, a.mac, 100);
    ASSERT_EQ(a.ops->start_xmit(a, stranger.data(), 100), 0);
    out(h, "run 1ms");
    std::vector<std::string> devs;
    for (const auto& f : rec.frames) devs.push_back(f.dev);
    std::sort(devs.begin(), devs.end());
    EXPECT_EQ(devs, (std::vector<std::string>{"enp1s0f1v1"}));
  });
}

// 802.1Q devices: the VF's asks its PF for the VLAN (SET_VLAN: its pool joins the
// VLAN's VLVF entry), the PF's goes into VFTA only (the default pool takes it); a
// tagged frame between them is switched by VLAN and handed to the VLAN device
// untagged. An administrator's port VLAN makes the PF refuse the VF's own VLANs.
TEST_F(nic_datapath, vlan_devices_on_a_pf_and_a_vf) {
  boot(X540_IOMMU, 3, [](host_system& h) {
    recorder rec;
    h.net().set_packet_handler(&rec);
    bring_up(h, {"enp1s0f0", "enp1s0f1"});
    out(h, "echo 2 > /sys/bus/pci/devices/0000:01:00.1/sriov_numvfs");
    out(h, "ip link set enp1s0f1v0 up");
    EXPECT_EQ(out(h, "ip link add link enp1s0f1v0 name vf.10 type vlan id 10"), "");
    EXPECT_EQ(out(h, "ip link add link enp1s0f0 name pf.10 type vlan id 10"), "");
    EXPECT_EQ(out(h, "ip link add link enp1s0f1 name pf1.10 type vlan id 10"), "");
    out(h, "ip link set pf.10 up");
    out(h, "ip link set vf.10 up");
    out(h, "ip link set pf1.10 up");
    const std::string show = out(h, "ip link show dev vf.10");
    EXPECT_NE(show.find("vf.10@enp1s0f1v0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP"),
              std::string::npos)
        << show;
    netdev& pf = *h.net().find("pf.10");
    netdev& vf = *h.net().find("vf.10");
    EXPECT_EQ(vf.mac, h.net().find("enp1s0f1v0")->mac);
    // From port 0's VLAN 10 to the VF's address, then to port 1's PF: each arrives on
    // the VLAN device above the function that took it, without its tag.
    const std::vector<uint8_t> to_vf = raw_frame(vf.mac, pf.mac, 200),
                               to_pf1 = raw_frame(h.net().find("pf1.10")->mac, pf.mac, 300);
    ASSERT_EQ(pf.ops->start_xmit(pf, to_vf.data(), 200), 0);
    ASSERT_EQ(pf.ops->start_xmit(pf, to_pf1.data(), 300), 0);
    out(h, "run 1ms");
    ASSERT_EQ(rec.frames.size(), 2u);
    EXPECT_EQ(rec.frames[0].dev, "vf.10");
    EXPECT_EQ(rec.frames[0].bytes, to_vf);
    EXPECT_EQ(rec.frames[1].dev, "pf1.10");
    EXPECT_EQ(pf.stats.tx_packets, 2u);
    EXPECT_EQ(vf.stats.rx_packets, 1u);
    // Errors: a VID out of range, a second device for VID 10, a physical device.
    cmd_result r = h.run("ip link add link enp1s0f1v0 name vf.4095 type vlan id 4095");
    EXPECT_EQ(r.err, "Error: 8021q: Invalid VLAN id.\n");
    r = h.run("ip link add link enp1s0f1v0 name other type vlan id 10");
    EXPECT_EQ(r.err, "RTNETLINK answers: File exists\n");
    r = h.run("ip link del enp1s0f1v0");
    EXPECT_EQ(r.err, "RTNETLINK answers: Operation not supported\n");
    // A port VLAN: the PF refuses the VF's own VLANs (ixgbe_set_vf_vlan_msg()).
    out(h, "ip link set enp1s0f1v1 up");
    out(h, "ip link set dev enp1s0f1 vf 1 vlan 20");
    r = h.run("ip link add link enp1s0f1v1 name vf1.30 type vlan id 30");
    EXPECT_EQ(r.err, "RTNETLINK answers: Permission denied\n");
    EXPECT_EQ(dmesg(h, "VF could not set VLAN 30").size(), 1u);
    EXPECT_EQ(dmesg(h, "attempted to override administratively set VLAN configuration").size(), 1u);
    // Deleting the VLAN device takes the VID out of the VF's filter.
    EXPECT_EQ(out(h, "ip link del vf.10"), "");
    EXPECT_EQ(h.net().find("vf.10"), nullptr);
  });
}

}  // namespace
}  // namespace iovsim::host
