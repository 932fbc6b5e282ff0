// A scenario as a world (DESIGN.md 7a): the loader resolves machines, wires and traffic
// ports and refuses bad wiring with its location; the engine builds every machine in
// one kernel with its models under its name, runs each step on its machine, and the
// traffic and capture verbs drive the wires.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "models/net/traffic_text.h"
#include "scenarios/engine.h"
#include "scenarios/loader.h"
#include "scenarios/outputs.h"

namespace iovsim::scen {
namespace {

const char* const TWO_MACHINES = R"(
name: "w"
machine {
  name: "a"
  platform {
    root_port { name: "rp1" device: 1 }
    endpoint { name: "nic0" profile: "x540" attach: "rp1" }
    file { path: "/etc/modprobe.d/blacklist.conf" content: "blacklist ixgbe\n" }
  }
}
machine {
  name: "b"
  platform {
    root_port { name: "rp2" device: 2 }
    endpoint { name: "nic0" profile: "82599" attach: "rp2" }
    file { path: "/etc/modprobe.d/blacklist.conf" content: "blacklist ixgbe\n" }
  }
}
wire { a: "a:nic0:0" b: "b:nic0:1" rate: "1G" }
wire { a: "traffic:gen" b: "traffic:sink" }
wire { a: "a:nic0:1" b: "traffic:tester" }
traffic { name: "gen" size: "imix" count: 36 start: "1ms" }
traffic { name: "sink" }
traffic { name: "tester" }
)";

std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(world_loader, resolves_machines_wires_and_traffic) {
  const std::string text = std::string(TWO_MACHINES) + R"(
step { at: "2ms" shell: "lspci" }
step { machine: "b" shell: "lspci" }
)";
  const loaded_scenario s = load_scenario_text("w.pbtxt", text);
  ASSERT_EQ(s.machine_names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(s.step_machine, (std::vector<size_t>{0, 1}));
  ASSERT_EQ(s.wires.size(), 3u);
  EXPECT_EQ(s.wires[0].rate_mbps, 1000u);
  EXPECT_EQ(s.wires[0].end[1].machine, 1u);
  EXPECT_EQ(s.wires[0].end[1].endpoint, "nic0");
  EXPECT_EQ(s.wires[0].end[1].port, 1u);
  EXPECT_EQ(s.wires[1].rate_mbps, 10000u);  // the default: the ports' speed
  ASSERT_EQ(s.traffic.size(), 3u);
  EXPECT_EQ(s.traffic[0].sizes.size(), 12u);  // one IMIX period, 7:4:1
  EXPECT_EQ(s.traffic[0].start_ps, 1000000000);
  EXPECT_EQ(s.traffic[1].start_ps, -1);
  EXPECT_EQ(s.traffic[2].wire, 2u);
  EXPECT_EQ(s.traffic[2].side, 1u);
}

TEST(world_loader, a_platform_alone_is_one_machine_named_as_before) {
  const loaded_scenario s = load_scenario_text("one.pbtxt",
                                               "name: \"one\" platform { root_port { name: \"rp\" device: 1 } }\n"
                                               "step { shell: \"lspci\" }\n");
  EXPECT_EQ(s.machine_names, (std::vector<std::string>{DEFAULT_MACHINE_NAME}));
  EXPECT_EQ(s.step_machine, (std::vector<size_t>{0}));
}

TEST(world_loader, refuses_a_wire_on_a_port_twice_with_where) {
  const std::string text = std::string(TWO_MACHINES) + "wire { a: \"b:nic0:1\" b: \"a:nic0\" }\n";
  try {
    load_scenario_text("w.pbtxt", text);
    FAIL() << "loaded";
  } catch (const input_error& e) {
    EXPECT_EQ(e.line(), 25);
    EXPECT_EQ(e.message(), "wire end \"b:nic0:1\": port b:nic0:1 is already wired (wire 1, line 19)");
  }
}

TEST(traffic_text, reads_rates_sizes_and_speeds) {
  uint64_t bps = 0, pps = 0;
  std::string error;
  ASSERT_TRUE(net::parse_traffic_rate("2.5Gbps", bps, pps, error));
  EXPECT_EQ(bps, 2500000000u);
  ASSERT_TRUE(net::parse_traffic_rate("10kpps", bps, pps, error));
  EXPECT_EQ(pps, 10000u);
  EXPECT_EQ(bps, 0u);
  EXPECT_FALSE(net::parse_traffic_rate("5G", bps, pps, error));
  std::vector<uint32_t> sizes;
  ASSERT_TRUE(net::parse_frame_sizes("64,1518", sizes, error));
  EXPECT_EQ(sizes, (std::vector<uint32_t>{64, 1518}));
  EXPECT_FALSE(net::parse_frame_sizes("63", sizes, error));
  uint32_t mbps = 0;
  ASSERT_TRUE(net::parse_link_speed("25G", mbps, error));
  EXPECT_EQ(mbps, 25000u);
  EXPECT_FALSE(net::parse_link_speed("7G", mbps, error));
}

TEST(world_loader, traffic_sources_and_tunnel_reach_the_generator_spec) {
  std::string text = TWO_MACHINES;
  const std::string gen = R"(traffic { name: "gen" size: "imix" count: 36 start: "1ms" })";
  text.replace(text.find(gen), gen.size(),
               R"(traffic { name: "gen" count: 2 start: "1ms" vxlan: 7 src: "02:00:00:00:00:aa,02:00:00:00:00:bb" })");
  const loaded_scenario s = load_scenario_text("w.pbtxt", text);
  ASSERT_EQ(s.traffic.size(), 3u);
  EXPECT_EQ(s.traffic[0].vxlan_vni, 7u);
  ASSERT_EQ(s.traffic[0].src.size(), 2u);
  EXPECT_EQ(s.traffic[0].src[1], (std::array<uint8_t, 6>{2, 0, 0, 0, 0, 0xbb}));
  EXPECT_EQ(s.traffic[1].vxlan_vni, 0u);
  EXPECT_TRUE(s.traffic[1].src.empty());
}

class world_run : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() /
          ("iovsim-world-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir);
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
  run_report run(const std::string& steps, std::vector<std::pair<std::string, std::string>> sets = {}) {
    const loaded_scenario s = load_scenario_text("w.pbtxt", std::string(TWO_MACHINES) + steps);
    run_options o;
    o.out_dir = dir.string();
    o.sets = std::move(sets);
    prepare_output_dir(o.out_dir, true);
    return run_scenario(s, o);
  }
  std::filesystem::path dir;
};

TEST_F(world_run, builds_every_machine_and_runs_each_step_on_its_own) {
  const run_report r = run(R"(
step { at: "5ms" shell: "lspci -n -s 01:00.0" }
step { machine: "b" shell: "lspci -n -s 01:00.0" }
step { shell: "traffic stats sink" }
step { machine: "b" shell: "traffic start tester --count 5 --size 128" }
step { machine: "a" shell: "run 1ms" }
)");
  ASSERT_EQ(r.exit_code, 0) << r.error;
  ASSERT_EQ(r.steps.size(), 5u);
  EXPECT_EQ(r.steps[0].machine, "a");
  EXPECT_NE(r.steps[0].output.find("8086:1528"), std::string::npos) << r.steps[0].output;  // a's X540
  EXPECT_EQ(r.steps[1].machine, "b");
  EXPECT_NE(r.steps[1].output.find("8086:10fb"), std::string::npos) << r.steps[1].output;  // b's 82599
  // The generator started at 1ms sent its 36 IMIX frames to the sink, none lost.
  EXPECT_NE(r.steps[2].output.find("received            36 frames"), std::string::npos) << r.steps[2].output;
  EXPECT_NE(r.steps[2].output.find("loss                 0 frames"), std::string::npos) << r.steps[2].output;
  // Machine b's models are named under b; the world's under net.
  const std::string results = slurp(dir / "results.json");
  EXPECT_NE(results.find("\"name\": \"b.host.pci.functions\""), std::string::npos);
  EXPECT_NE(results.find("\"name\": \"host.pci.functions\""), std::string::npos);
  EXPECT_NE(results.find("\"name\": \"net.sink.rx_frames\""), std::string::npos);
  // The tester's 5 frames reached a's port 1, which counts them as offered (no
  // driver: no receive queue enabled), and every link is up (both ends attached).
  EXPECT_NE(results.find("\"end\": \"a:nic0:1\",\n    \"link_up\": true,\n    \"rx_offered\": \"5\""),
            std::string::npos)
      << results;
  EXPECT_EQ(results.find("\"link_up\": false"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir / "b" / "dmesg.txt"));
  EXPECT_TRUE(std::filesystem::exists(dir / "b" / "config" / "0000_01_00_1.txt"));
}

TEST_F(world_run, parameters_of_a_machine_go_by_its_name_and_by_kind_for_all) {
  EXPECT_EQ(run("", {{"b.dmar0.iotlb_entries", "64"}, {"net.wire0.rate", "10000"}}).exit_code, 0);
  EXPECT_EQ(run("", {{"iommu.iotlb_entries", "64"}}).exit_code, 0);
  const run_report r = run("", {{"c.dmar0.iotlb_entries", "64"}});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("unknown parameter \"c.dmar0.iotlb_entries\""), std::string::npos) << r.error;
}

// Bad arguments to the world's verbs and the host's simulator verbs: each step
// fails with status 2 and a one-line reason or the usage, the run goes on (issue 10).
TEST_F(world_run, bad_arguments_to_traffic_capture_pktgen_and_cpu_are_clear_errors) {
  const std::vector<std::string> lines = {
      "traffic",
      "traffic start",
      "traffic start tester --rate",
      "traffic start tester --rate 5G",
      "traffic start tester --size 9800",
      "traffic start tester --size 63",
      "traffic start tester --size 64,,128",
      "traffic start tester --rate 20Mpps --size 64",
      "traffic start tester --vlan 4095",
      "traffic start tester --flows 0",
      "traffic start tester --count 0",
      "traffic start tester --count 99999999999999999999999",
      "traffic start tester --duration forever",
      "traffic start tester --dst 00:11:22:33:44",
      "traffic start tester --src 00:11:22:33:44:55,",
      "traffic start tester --src",
      "traffic start tester --vxlan 16777216",
      "traffic start tester --vxlan -1",
      "traffic start tester --bogus 1",
      "traffic stop",
      "traffic stop tester extra",
      "traffic stats nosuch",
      "traffic stats a b c",
      "capture",
      "capture start",
      "capture start a:nic0:7 x.pcap",
      "capture start nosuch:nic0 x.pcap",
      "capture start a:nic0:1 x.pcap --snaplen 0",
      "capture start a:nic0:1 x.pcap --snaplen 99999999999",
      "capture start a:nic0:1 /abs.pcap",
      "capture stop traffic:nosuch",
      "pktgen",
      "pktgen nosuch --dst 00:11:22:33:44:55",
      "cpu",
      "cpu stats --bogus",
      "cpu load",
  };
  std::string steps;
  for (const std::string& l : lines) steps += "step { shell: \"" + l + "\" }\n";
  const run_report r = run(steps);
  ASSERT_EQ(r.exit_code, 0) << r.error;
  ASSERT_EQ(r.steps.size(), lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(r.steps[i].status, 2) << lines[i] << "\n" << r.steps[i].output;
    EXPECT_FALSE(r.steps[i].output.empty()) << lines[i];
    EXPECT_EQ(r.steps[i].output.find("internal error"), std::string::npos) << lines[i] << "\n" << r.steps[i].output;
  }
  EXPECT_FALSE(std::filesystem::exists(dir.parent_path() / "abs.pcap"));
}

// Tunnelled frames from forged sources: the verb says what it sends, the sink finds
// the test header inside VXLAN, the wire carries the sources given, in turn.
TEST_F(world_run, traffic_sends_from_given_sources_in_a_vxlan_tunnel) {
  const run_report r = run(R"(
step { at: "5ms" shell: "capture start traffic:sink sink.pcap" }
step { shell: "traffic start gen --vxlan 42 --src 02:00:00:00:00:aa,02:00:00:00:00:bb --dst ff:ff:ff:ff:ff:ff --size 128 --count 3" }
step { shell: "run 1ms" }
step { shell: "capture stop traffic:sink" }
step { shell: "traffic stats sink" }
)");
  ASSERT_EQ(r.exit_code, 0) << r.error;
  EXPECT_EQ(r.steps[1].output,
            "traffic: gen: sending 128 B frames from 02:00:00:00:00:aa (and 1 more in turn) to ff:ff:ff:ff:ff:ff in "
            "VXLAN VNI 42 at line rate, 3 frames\n");
  // 36 IMIX frames from the scenario's start at 1 ms, then the 3 tunnelled ones.
  EXPECT_NE(r.steps[4].output.find("received            39 frames"), std::string::npos) << r.steps[4].output;
  EXPECT_NE(r.steps[4].output.find("(39 test frames, 0 bad)"), std::string::npos) << r.steps[4].output;
  // pcap: a 24-byte file header, then per frame a 16-byte record header and the frame.
  const std::string pcap = slurp(dir / "sink.pcap");
  std::vector<std::string> sources;
  for (size_t at = 24; at + 16 <= pcap.size();) {
    const auto* h = reinterpret_cast<const uint8_t*>(pcap.data() + at);
    const uint32_t caplen = h[8] | h[9] << 8 | h[10] << 16 | static_cast<uint32_t>(h[11]) << 24;
    net::mac_addr src;
    std::copy(h + 16 + 6, h + 16 + 12, src.bytes.begin());
    sources.push_back(src.str());
    EXPECT_EQ(static_cast<uint8_t>(pcap[at + 16 + 36]), 0x12);  // outer UDP to 4789 (0x12b5)
    EXPECT_EQ(static_cast<uint8_t>(pcap[at + 16 + 37]), 0xb5);
    at += 16 + caplen;
  }
  EXPECT_EQ(sources, (std::vector<std::string>{"02:00:00:00:00:aa", "02:00:00:00:00:bb", "02:00:00:00:00:aa"}));
}

TEST_F(world_run, capture_writes_both_directions_with_simulated_times) {
  const run_report r = run(R"(
step { at: "5ms" shell: "capture start a:nic0:1 port.pcap --snaplen 64" }
step { machine: "b" shell: "traffic start tester --count 3 --size 512" }
step { shell: "run 1ms" }
step { shell: "capture stop a:nic0:1" }
step { shell: "capture stop a:nic0:1" }
step { shell: "capture start a:nic0:1 ../escape.pcap" }
step { shell: "traffic start nosuch" }
step { shell: "traffic start tester --rate 20Gbps" }
)");
  ASSERT_EQ(r.exit_code, 0) << r.error;
  EXPECT_EQ(r.steps[3].output, "capture: a:nic0:1: 3 frames written to port.pcap\n");
  EXPECT_EQ(r.steps[4].status, 2);
  EXPECT_EQ(r.steps[4].output, "capture: no capture at a:nic0:1\n");
  EXPECT_EQ(r.steps[5].status, 2);
  EXPECT_EQ(r.steps[6].output, "traffic: no generator \"nosuch\" (generators: gen, sink, tester)\n");
  EXPECT_EQ(r.steps[7].status, 2);
  EXPECT_NE(r.steps[7].output.find("above the line rate of 10000 Mb/s"), std::string::npos) << r.steps[7].output;
  const std::string pcap = slurp(dir / "port.pcap");
  ASSERT_EQ(pcap.size(), 24u + 3 * (16 + 64));  // three frames cut at 64 bytes
  // The first record's time: nanoseconds after 5 ms, not zero.
  const auto u32 = [&](size_t at) {
    return static_cast<uint32_t>(static_cast<uint8_t>(pcap[at])) |
           static_cast<uint32_t>(static_cast<uint8_t>(pcap[at + 1])) << 8 |
           static_cast<uint32_t>(static_cast<uint8_t>(pcap[at + 2])) << 16 |
           static_cast<uint32_t>(static_cast<uint8_t>(pcap[at + 3])) << 24;
  };
  EXPECT_EQ(u32(24), 0u);         // seconds
  EXPECT_GT(u32(28), 5000000u);   // ns: after the step at 5 ms
  EXPECT_EQ(u32(24 + 8), 64u);    // caplen
  EXPECT_EQ(u32(24 + 12), 508u);  // orig_len: 512 without FCS
}

}  // namespace
}  // namespace iovsim::scen

namespace iovsim::scen {
namespace {
// Every library scenario with a world, run as the fuzz targets run them (no output
// folder): nothing the models scheduled may stay in SystemC's queue once the run and
// its models are gone (fuzz_common.cpp after_run() makes the same check).
TEST(world_teardown, no_timed_notification_outlives_a_world_run) {
  for (const char* name : {"two_machines_wire", "ping_two_hosts"}) {
    const loaded_scenario s = load_scenario(std::string(IOVSIM_SOURCE_DIR) + "/scenarios/library/" + name + ".pbtxt");
    run_report r = run_scenario(s, run_options{});
    EXPECT_NE(r.exit_code, 2) << name << ": " << r.error;
    EXPECT_FALSE(sc_core::sc_pending_activity_at_future_time()) << name;
    // As fuzz_scenario runs them: no steps, the run ends right after boot, before the
    // scenario's scheduled traffic starts.
    loaded_scenario bare = s;
    bare.scenario.clear_step();
    bare.step_loc.clear();
    bare.step_time_ps.clear();
    bare.step_machine.clear();
    r = run_scenario(bare, run_options{});
    EXPECT_NE(r.exit_code, 2) << name << ": " << r.error;
    EXPECT_FALSE(sc_core::sc_pending_activity_at_future_time()) << name;
  }
}
}  // namespace
}  // namespace iovsim::scen
