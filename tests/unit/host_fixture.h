// A booted simulated host for shell-level tests: the machine is built from a
// platform in protobuf text, the host boots in an SC_THREAD and the test body runs
// there, typing shell lines as a user would.
#pragma once

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "drivers-sim/host.h"
#include "models/nic/nic_device.h"
#include "models/wire/wire.h"
#include "platform/platform.h"
#include "scenarios/loader.h"
#include "tests/unit/sc_fixture.h"

namespace iovsim::test {

// A dual-port X540 (ixgbe/ixgbevf) behind a root port, DMA remapping on.
inline const char* const X540_PLATFORM = R"(
  kernel_cmdline: "intel_iommu=on"
  root_port { name: "rp1" device: 1 }
  endpoint { name: "nic" profile: "x540" attach: "rp1" }
)";

class host_fixture : public sc_fixture {
 protected:
  // Builds the machine, boots the host in an SC_THREAD and runs `body` there.
  void boot(const std::string& platform_text, uint64_t seed, const std::function<void(host::host_system&)>& body) {
    pb::Platform spec;
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(platform_text, &spec)) << platform_text;
    platform::machine m(spec, scen::builtin_profiles());
    // A cable between the two ports of each two-port NIC (a loopback cable, as on a
    // test bench): without one a port never has a link.
    std::vector<std::unique_ptr<wire::wire>> cables;
    if (loopback_cable)
      for (pcie::endpoint* ep : m.endpoints())
        if (auto* nic = dynamic_cast<nic::nic_device*>(ep); nic && nic->ports() >= 2) {
          cables.push_back(std::make_unique<wire::wire>(sc_core::sc_gen_unique_name("cable"), 10000));
          nic->core(0).connect(*cables.back(), 0);
          nic->core(1).connect(*cables.back(), 1);
        }
    host::host_system h(m, seed);
    run_thread([&] {
      h.boot();
      body(h);
    });
  }
  // Cable the two ports of each dual-port NIC to each other before booting.
  bool loopback_cable = false;
  // A new run inside one test: new SystemC context, new sim_env.
  void restart() {
    env.reset();
    fresh_systemc_context();
    env = std::make_unique<kit::sim_env>(1);
  }
};

// Output of a command that must succeed.
inline std::string out(host::host_system& h, const std::string& line) {
  const host::cmd_result r = h.run(line);
  EXPECT_EQ(r.status, 0) << line << "\n" << r.err;
  EXPECT_EQ(r.err, "") << line;
  return r.out;
}

// The kernel log lines containing `text`, without their time stamps.
inline std::vector<std::string> dmesg(host::host_system& h, const std::string& text) {
  std::vector<std::string> found;
  for (const auto& l : h.dmesg().lines())
    if (l.find(text) != std::string::npos) found.push_back(l.substr(l.find("] ") + 2));
  return found;
}

}  // namespace iovsim::test
