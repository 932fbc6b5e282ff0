// pmd, the poll-mode forwarder (drivers-sim/userland/pmd): a world with an X540 whose
// ports are wired to traffic generators; the functions go to vfio-pci through sysfs
// as a user would, pmd forwards, the generators count what came back.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
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

TEST_F(pmd_world, forwards_frames_back_through_a_vf_with_mac_forwarding) {
  const run_report r = run(std::string(R"(
step { at: "1ms" shell: "ip link set dev enp1s0f0 up" }
step { shell: "echo 1 > /sys/class/net/enp1s0f0/device/sriov_numvfs" }
step { shell: "ip link set enp1s0f0 vf 0 mac 02:00:00:00:01:00" }
step { at: "2500ms" shell: "modprobe vfio-pci" }
)") + to_vfio("0000:01:10.0") + R"(
step { shell: "pmd start --dev 0000:01:10.0 --fwd mac" }
step { shell: "traffic start gen0 --dst 02:00:00:00:01:00 --count 1000 --size 64" }
step { shell: "run 1ms" }
step { shell: "pmd stats" }
step { shell: "pmd stop" }
step { shell: "traffic stats gen0" }
)");
  ASSERT_EQ(r.exit_code, 0) << r.error;
  for (const auto& s : r.steps) std::cout << "$ " << s.shell << "\n" << s.output;
}

}  // namespace
}  // namespace iovsim::scen
