// pmd, the poll-mode forwarder (drivers-sim/userland/pmd): a world with an X540 whose
// ports are wired to traffic generators; the functions go to vfio-pci through sysfs
// as a user would, pmd forwards, the generators count what came back.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>
#include <vector>

#include "scenarios/engine.h"
#include "scenarios/loader.h"
#include "scenarios/outputs.h"

namespace iovsim::scen {
namespace {

const char* const WORLD = R"(
name: "pmd"
machine {
  name: "a"
  platform {
    kernel_cmdline: "intel_iommu=on"
    root_port { name: "rp1" device: 1 }
    endpoint { name: "nic0" profile: "x540" attach: "rp1" }
  }
}
wire { a: "traffic:gen0" b: "a:nic0:0" }
wire { a: "traffic:gen1" b: "a:nic0:1" }
traffic { name: "gen0" }
traffic { name: "gen1" }
)";

// The shell lines that give `bdf` to vfio-pci (what the brief's user types).
std::string to_vfio(const std::string& bdf) {
  return "step { shell: \"echo vfio-pci > /sys/bus/pci/devices/" + bdf +
         "/driver_override\" }\n"
         "step { shell: \"echo " +
         bdf + " > /sys/bus/pci/devices/" + bdf +
         "/driver/unbind\" }\n"
         "step { shell: \"echo " +
         bdf + " > /sys/bus/pci/drivers/vfio-pci/bind\" }\n";
}

uint64_t number_after(const std::string& text, const std::string& label) {
  std::smatch m;
  if (!std::regex_search(text, m, std::regex(label + " +([0-9]+)"))) return UINT64_MAX;
  return std::stoull(m[1]);
}

class pmd_world : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() /
          ("iovsim-pmd-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir);
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
  run_report run(const std::string& steps) {
    const loaded_scenario s = load_scenario_text("pmd.pbtxt", std::string(WORLD) + steps);
    run_options o;
    o.out_dir = dir.string();
    prepare_output_dir(o.out_dir, true);
    return run_scenario(s, o);
  }
  // The output of the step whose command starts with `prefix` (the last such).
  static std::string output_of(const run_report& r, const std::string& prefix) {
    std::string found = "<no step " + prefix + ">";
    for (const auto& s : r.steps)
      if (s.shell.rfind(prefix, 0) == 0) found = s.output;
    return found;
  }
  std::filesystem::path dir;
};

// The VF flow: the PF up under ixgbe with one VF whose MAC the administrator set, the
// VF given to vfio-pci, pmd resets it over the mailbox (the PF's ACK carries the MAC)
// and forwards what the generator sends it back onto the wire, MACs rewritten.
const char* const VF_SETUP = R"(
step { at: "1ms" shell: "ip link set dev enp1s0f0 up" }
step { shell: "echo 1 > /sys/class/net/enp1s0f0/device/sriov_numvfs" }
step { shell: "ip link set enp1s0f0 vf 0 mac 02:00:00:00:01:00" }
step { at: "2500ms" shell: "modprobe vfio-pci" }
)";

TEST_F(pmd_world, forwards_frames_back_through_a_vf_with_mac_forwarding) {
  const std::string steps = std::string(VF_SETUP) + to_vfio("0000:01:10.0") + R"(
step { shell: "pmd start --dev 0000:01:10.0 --fwd mac --eth-peer 0,02:00:00:00:00:77" }
step { shell: "capture start traffic:gen0 gen0.pcap" }
step { shell: "traffic start gen0 --dst 02:00:00:00:01:00 --count 1000 --size 64 --rate 1Mpps" }
step { shell: "run 2ms" }
step { shell: "capture stop traffic:gen0" }
step { shell: "pmd stats" }
step { shell: "pmd stop" }
step { shell: "traffic stats gen0" }
step { shell: "pmd stats" }
step { shell: "pmd start --dev 0000:01:10.0 --fwd io" }
step { shell: "pmd stop" }
)";
  const run_report r = run(steps);
  ASSERT_EQ(r.exit_code, 0) << r.error;
  for (const auto& s : r.steps) {
    if (s.shell.rfind("pmd stats", 0) != 0) {
      EXPECT_EQ(s.status, 0) << s.shell << "\n" << s.output;
    }
  }
  const std::string start = output_of(r, "pmd start --dev 0000:01:10.0 --fwd mac");
  EXPECT_NE(start.find("EAL: Probe PCI driver: net_ixgbe_vf (8086:1515) device: 0000:01:10.0 (socket 0)\n"),
            std::string::npos)
      << start;
  EXPECT_NE(start.find("Port 0: 02:00:00:00:01:00\n"), std::string::npos) << start;  // the PF's ACK
  EXPECT_NE(start.find("peer=02:00:00:00:00:77"), std::string::npos) << start;
  // Every frame went out again (1 Mpps is within what the queue sends).
  std::string stats;
  for (const auto& s : r.steps)
    if (s.shell == "pmd stats") {
      stats = s.output;
      break;
    }
  EXPECT_NE(stats.find("NIC statistics for port 0 "), std::string::npos) << stats;
  EXPECT_EQ(number_after(stats, "RX-packets:"), 1000u) << stats;
  EXPECT_EQ(number_after(stats, "TX-packets:"), 1000u) << stats;
  EXPECT_EQ(number_after(stats, "RX-missed:"), 0u) << stats;
  EXPECT_NE(stats.find("Throughput (since last show)"), std::string::npos);
  const std::string stop = output_of(r, "pmd stop");
  const std::string first_stop = r.steps[r.steps.size() - 5].output;
  EXPECT_NE(first_stop.find("Forward statistics for port 0 "), std::string::npos) << first_stop;
  EXPECT_NE(first_stop.find("RX-packets: 1000           RX-dropped: 0              RX-total: 1000"), std::string::npos)
      << first_stop;
  EXPECT_NE(first_stop.find("TX-packets: 1000           TX-dropped: 0              TX-total: 1000"), std::string::npos)
      << first_stop;
  EXPECT_NE(first_stop.find("Accumulated forward statistics for all ports"), std::string::npos);
  const std::string gen = output_of(r, "traffic stats gen0");
  EXPECT_EQ(number_after(gen, "received"), 1000u) << gen;
  // On the wire back: from the VF's MAC to the peer's, every one of them.
  std::ifstream pcap(dir / "gen0.pcap", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(pcap)), std::istreambuf_iterator<char>());
  unsigned forwarded = 0, other = 0;
  for (size_t at = 24; at + 16 + 12 <= bytes.size();) {
    const auto* h = reinterpret_cast<const uint8_t*>(bytes.data() + at);
    const uint32_t caplen = h[8] | h[9] << 8 | h[10] << 16 | static_cast<uint32_t>(h[11]) << 24;
    const std::string dst(bytes.data() + at + 16, 6), src(bytes.data() + at + 22, 6);
    if (src == std::string("\x02\x00\x00\x00\x01\x00", 6))
      dst == std::string("\x02\x00\x00\x00\x00\x77", 6) ? ++forwarded : ++other;
    at += 16 + caplen;
  }
  EXPECT_EQ(forwarded, 1000u);
  EXPECT_EQ(other, 0u);
  // Released: no forwarding, and the device opens again.
  EXPECT_EQ(r.steps[r.steps.size() - 3].output, "pmd: not forwarding (pmd start first)\n");
  EXPECT_NE(stop.find("Bye..."), std::string::npos) << stop;
}

// At line rate (14.88 Mpps of 64 B) the lcore takes every frame, but the TX queue
// drains slower than that: what does not fit the TX ring is dropped and counted.
TEST_F(pmd_world, at_line_rate_the_books_balance_and_runs_repeat) {
  const std::string steps = std::string(VF_SETUP) + to_vfio("0000:01:10.0") + R"(
step { shell: "pmd start --dev 0000:01:10.0 --fwd mac" }
step { shell: "traffic start gen0 --dst 02:00:00:00:01:00 --count 3000 --size 64" }
step { shell: "run 2ms" }
step { shell: "pmd stop" }
step { shell: "traffic stats gen0" }
)";
  const run_report r = run(steps);
  ASSERT_EQ(r.exit_code, 0) << r.error;
  const std::string stop = output_of(r, "pmd stop");
  const uint64_t rx = number_after(stop, "RX-packets:"), tx = number_after(stop, "TX-packets:"),
                 tx_drop = number_after(stop, "TX-dropped:");
  EXPECT_EQ(rx, 3000u) << stop;
  EXPECT_EQ(tx + tx_drop, rx) << stop;
  EXPECT_GT(tx, 500u) << stop;
  EXPECT_EQ(number_after(output_of(r, "traffic stats gen0"), "received"), tx);
  // Deterministic: a second run says the same.
  const run_report again = run(steps);
  EXPECT_EQ(output_of(again, "pmd stop"), stop);
}

// The PFs: both functions to vfio-pci (a PF without VFs; each is its own IOMMU
// group), port 0 <-> port 1 with mac forwarding, a generator on each wire.
TEST_F(pmd_world, forwards_between_the_two_pfs) {
  const run_report r = run(std::string(R"(
step { at: "1ms" shell: "modprobe vfio-pci" }
)") + to_vfio("0000:01:00.0") +
                           to_vfio("0000:01:00.1") + R"(
step { shell: "pmd start --dev 0000:01:00.0 --dev 0000:01:00.1 --fwd mac --eth-peer 1,02:00:00:00:aa:01" }
step { shell: "traffic start gen0 --count 1000 --size 64 --rate 1Mpps" }
step { shell: "traffic start gen1 --count 500 --size 128 --rate 1Mpps" }
step { shell: "run 2ms" }
step { shell: "pmd stats" }
step { shell: "pmd stop" }
step { shell: "traffic stats gen0" }
step { shell: "traffic stats gen1" }
)");
  ASSERT_EQ(r.exit_code, 0) << r.error;
  const std::string start = output_of(r, "pmd start");
  EXPECT_NE(start.find("EAL: Probe PCI driver: net_ixgbe (8086:1528) device: 0000:01:00.0"), std::string::npos)
      << start;
  EXPECT_NE(start.find("Port 1: 00:1B:21:A1:00:01"), std::string::npos) << start;
  EXPECT_NE(start.find("RX P=0/Q=0 (socket 0) -> TX P=1/Q=0 (socket 0) peer=02:00:00:00:AA:01"), std::string::npos)
      << start;
  const std::string stats = output_of(r, "pmd stats");
  EXPECT_NE(stats.find("NIC statistics for port 1 "), std::string::npos) << stats;
  const std::string stop = output_of(r, "pmd stop");
  EXPECT_NE(stop.find("RX-packets: 1500           RX-dropped: 0              RX-total: 1500"), std::string::npos)
      << stop;
  EXPECT_NE(stop.find("TX-packets: 1500           TX-dropped: 0              TX-total: 1500"), std::string::npos)
      << stop;
  EXPECT_EQ(number_after(output_of(r, "traffic stats gen1"), "received"), 1000u);
  EXPECT_EQ(number_after(output_of(r, "traffic stats gen0"), "received"), 500u);
}

// The same program in a guest: the VF assigned to a VM (its memory mapped GPA -> HPA
// in the VF's IOMMU domain by the host's VFIO), and inside the guest, which has no
// IOMMU, vfio-pci in no-IOMMU mode: pmd maps nothing and gives the VF guest-physical
// addresses, which the host's IOMMU translates.
TEST_F(pmd_world, forwards_in_a_guest_through_vfio_in_noiommu_mode) {
  const std::string guest = "0000:00:04.0";
  const run_report r = run(std::string(VF_SETUP) + R"(
step { shell: "vm create vm1 --mem 64M --hugepages 2M" }
step { shell: "vm assign vm1 0000:01:10.0" }
step { shell: "pmd start --dev 0000:01:10.0 --fwd io" }
step { shell: "vm start vm1" }
step { shell: "vm console vm1 modprobe vfio-pci" }
step { shell: "vm console vm1 'echo 1 > /sys/module/vfio/parameters/enable_unsafe_noiommu_mode'" }
step { shell: "vm console vm1 'echo vfio-pci > /sys/bus/pci/devices/0000:00:04.0/driver_override'" }
step { shell: "vm console vm1 'echo 0000:00:04.0 > /sys/bus/pci/devices/0000:00:04.0/driver/unbind'" }
step { shell: "vm console vm1 'echo 0000:00:04.0 > /sys/bus/pci/drivers/vfio-pci/bind'" }
step { shell: "vm console vm1 pmd start --dev 0000:00:04.0 --fwd mac" }
step { shell: "traffic start gen0 --dst 02:00:00:00:01:00 --count 1000 --size 64 --rate 1Mpps" }
step { shell: "run 2ms" }
step { shell: "vm console vm1 pmd stop" }
step { shell: "traffic stats gen0" }
step { shell: "vm console vm1 pmd start --dev 0000:00:04.0 --fwd mac" }
step { shell: "traffic start gen0 --dst 02:00:00:00:01:00 --count 1000 --size 64 --rate 1Mpps" }
step { shell: "run 100us" }
step { shell: "vm stop vm1" }
step { shell: "run 2ms" }
step { shell: "traffic stats gen0" }
)");
  ASSERT_EQ(r.exit_code, 0) << r.error;
  // The host cannot have the VF the VM holds (its group is in the VM's container).
  const std::string busy = output_of(r, "pmd start --dev 0000:01:10.0");
  EXPECT_NE(busy.find("EAL: Cannot open /dev/vfio/"), std::string::npos) << busy;
  EXPECT_NE(busy.find("is in use by vm:vm1"), std::string::npos) << busy;
  EXPECT_NE(busy.find("EAL: Requested device 0000:01:10.0 cannot be used"), std::string::npos) << busy;
  for (const auto& s : r.steps) {
    if (s.shell.rfind("pmd start --dev 0000:01:10.0", 0) != 0) {
      EXPECT_EQ(s.status, 0) << s.shell << "\n" << s.output;
    }
  }
  const std::string start = output_of(r, "vm console vm1 pmd start");
  EXPECT_NE(start.find("EAL: Probe PCI driver: net_ixgbe_vf (8086:1515) device: " + guest), std::string::npos) << start;
  EXPECT_NE(start.find("EAL: " + guest + " using no-IOMMU mode (physical addresses)\n"), std::string::npos) << start;
  EXPECT_NE(start.find("Port 0: 02:00:00:00:01:00\n"), std::string::npos) << start;
  const std::string stop = output_of(r, "vm console vm1 pmd stop");
  EXPECT_NE(stop.find("TX-packets: 1000           TX-dropped: 0              TX-total: 1000"), std::string::npos)
      << stop;
  EXPECT_EQ(number_after(r.steps[r.steps.size() - 7].output, "received"), 1000u);
  // Powered off while forwarding: the lcore ends with the guest (the second 1000 frames
  // are not all returned) and nothing of the gone kernel is touched.
  const uint64_t total = number_after(r.steps.back().output, "received");
  EXPECT_GT(total, 1000u);
  EXPECT_LT(total, 2000u);
}

// One port, io forwarding back out of it, the pool on a 1 GiB page (one IOMMU page
// maps it all): frames sent to the PF come back to their sender unchanged. The X540's
// ports share an IOMMU group: both go to vfio-pci for the group to be viable.
TEST_F(pmd_world, one_pf_io_forwarding_on_a_1g_page) {
  const run_report r = run(std::string(R"(
step { at: "1ms" shell: "modprobe vfio-pci" }
)") + to_vfio("0000:01:00.0") + to_vfio("0000:01:00.1") +
                           R"(
step { shell: "pmd start --dev 0000:01:00.0 --fwd io --hugepages 1G --burst 16 --rxd 256 --txd 256" }
step { shell: "traffic start gen0 --count 300 --size 1500 --rate 100kpps" }
step { shell: "run 4ms" }
step { shell: "pmd stop" }
step { shell: "traffic stats gen0" }
)");
  ASSERT_EQ(r.exit_code, 0) << r.error;
  const std::string start = output_of(r, "pmd start");
  EXPECT_NE(start.find("EAL: 1 hugepages of 1GB reserved at 0x"), std::string::npos) << start;
  const std::string stop = output_of(r, "pmd stop");
  EXPECT_NE(stop.find("TX-packets: 300            TX-dropped: 0              TX-total: 300"), std::string::npos)
      << stop;
  const std::string gen = output_of(r, "traffic stats gen0");
  EXPECT_EQ(number_after(gen, "received"), 300u) << gen;
  EXPECT_NE(gen.find("(300 test frames, 0 bad)"), std::string::npos) << gen;
}

// DPDK's EAL words for a device it cannot use, and the command's own usage errors.
TEST_F(pmd_world, refuses_devices_not_bound_to_vfio_and_bad_arguments) {
  const std::vector<std::string> lines = {
      "pmd start --dev 0000:01:00.0 --fwd io",
      "pmd start --dev 0000:05:00.0 --fwd io",
      "pmd start --dev 0000:01:00.0",
      "pmd start --dev 0000:01:00.0 --fwd rxonly",
      "pmd start --dev 0000:01:00.0 --fwd io --txd 100",
      "pmd start --dev 0000:01:00.0 --fwd io --hugepages 4K",
      "pmd start --dev 0000:01:00.0 --fwd io --eth-peer 3,02:00:00:00:00:01",
      "pmd start --dev 0000:01:00.0 --fwd io --burst",
      "pmd stats",
      "pmd stop",
      "pmd",
      "pmd bogus",
  };
  std::string steps = "step { at: \"1ms\" shell: \"modprobe vfio-pci\" }\n";
  for (const std::string& l : lines) steps += "step { shell: \"" + l + "\" }\n";
  const run_report r = run(steps);
  ASSERT_EQ(r.exit_code, 0) << r.error;
  ASSERT_EQ(r.steps.size(), lines.size() + 1);
  const std::string& unbound = r.steps[1].output;
  EXPECT_EQ(r.steps[1].status, 1);
  EXPECT_NE(unbound.find("EAL: Requested device 0000:01:00.0 cannot be used\nEAL: 0000:01:00.0 is bound to ixgbe, not "
                         "vfio-pci\n"),
            std::string::npos)
      << unbound;
  EXPECT_NE(r.steps[2].output.find("EAL: failed to parse device \"0000:05:00.0\""), std::string::npos);
  for (size_t i = 3; i <= 8; ++i) {
    EXPECT_EQ(r.steps[i].status, 2) << r.steps[i].shell << "\n" << r.steps[i].output;
    EXPECT_NE(r.steps[i].output.find("Usage: pmd start"), std::string::npos) << r.steps[i].output;
  }
  EXPECT_EQ(r.steps[9].output, "pmd: not forwarding (pmd start first)\n");
  EXPECT_EQ(r.steps[10].status, 1);
  EXPECT_EQ(r.steps[11].status, 2);
  EXPECT_EQ(r.steps[12].status, 2);
}

}  // namespace
}  // namespace iovsim::scen
