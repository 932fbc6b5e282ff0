// fuzz_profile: bytes as a device/port profile library (what a scenario's profile_file
// names), through the loader's profile checks; a library that loads is put in a
// scenario (its profiles inline, renamed `f_<name>` so they never clash with the
// built-ins): its first port profile is the host bridge's and the root ports', its
// last the switch's; its first three device profiles hang below a root port, below the
// switch and below another root port. That scenario is loaded, booted and driven: each
// SR-IOV PF gets up to 3 VFs, lspci decodes every config space, the DMA test engine
// (if a profile is one) moves buffers, and the VFs go again.
//
// Findings: a crash, leak, UB, SystemC error or exception; a refused library whose
// error is not one `FILE:LINE:COL:` line; a loaded library whose scenario the loader
// or the models refuse (the profile checks let through something the models cannot
// build); a shell command that fails with "internal error".
#include <google/protobuf/text_format.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "scenarios/engine.h"
#include "scenarios/loader.h"
#include "tests/fuzz/fuzz_common.h"
#include "tests/fuzz/fuzz_run.h"

using namespace iovsim;

namespace {

const char* const STEPS[] = {
    // min(TotalVFs, 3) VFs on every SR-IOV PF: the kernel's VF enumeration over the
    // profile's offset/stride rules and VF BARs (few, to keep executions quick).
    "for d in /sys/bus/pci/devices/*; do [ -e $d/sriov_totalvfs ] || continue; n=$(cat $d/sriov_totalvfs); "
    "[ $n -gt 3 ] && n=3; echo $n > $d/sriov_numvfs; done",
    "lspci -vvv",
    "dmatest --size 8192 --count 2",
    "for d in /sys/bus/pci/devices/*; do [ -e $d/sriov_numvfs ] && echo 0 > $d/sriov_numvfs; done",
};

std::string step_summary(const scen::step_outcome& s) { return "$ " + s.shell + "\n" + s.output; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  pb::ProfileLibrary lib;
  try {
    lib = scen::load_profile_library_text("fuzz_profiles.pbtxt", text);
  } catch (const scen::input_error& e) {
    fuzz::check_error_line(e.what(), false);
    return 0;
  }
  if (lib.device_size() == 0 && lib.port_size() == 0) return 0;

  for (auto& d : *lib.mutable_device()) d.set_name("f_" + d.name());
  for (auto& p : *lib.mutable_port()) p.set_name("f_" + p.name());

  pb::Scenario s;
  s.set_name("fuzz_profile");
  pb::Platform& p = *s.mutable_platform();
  p.set_kernel_cmdline("intel_iommu=on");
  *p.add_profiles() = lib;
  const std::string port = lib.port_size() ? lib.port(0).name() : "";
  const std::string sw_port = lib.port_size() ? lib.port(lib.port_size() - 1).name() : "";
  if (!port.empty()) p.set_host_bridge(port);
  for (int i = 0; i < 3; ++i) {
    pb::RootPort& rp = *p.add_root_port();
    rp.set_name("rp" + std::to_string(i));
    rp.set_device(static_cast<uint32_t>(i + 1));
    rp.set_profile(port);
  }
  pb::Switch& sw = *p.add_switch_();
  sw.set_name("sw");
  sw.set_attach("rp1");
  sw.set_profile(sw_port);
  for (int i = 0; i < 2; ++i) {
    pb::SwitchPort& dp = *sw.add_downstream();
    dp.set_name("dp" + std::to_string(i));
    dp.set_device(static_cast<uint32_t>(i));
  }
  const char* const ATTACH[] = {"rp0", "dp0", "rp2"};
  for (int i = 0; i < std::min(lib.device_size(), 3); ++i) {
    pb::Endpoint& ep = *p.add_endpoint();
    ep.set_name("ep" + std::to_string(i));
    ep.set_profile(lib.device(i).name());
    ep.set_attach(ATTACH[i]);
  }
  for (const char* line : STEPS) s.add_step()->set_shell(line);

  std::string scenario_text;
  if (!google::protobuf::TextFormat::PrintToString(s, &scenario_text)) fuzz::fuzz_fail("cannot print the scenario");
  scen::loaded_scenario loaded;
  try {
    loaded = scen::load_scenario_text("fuzz_profile.pbtxt", scenario_text);
  } catch (const scen::input_error& e) {
    fuzz::fuzz_fail(std::string("a loaded profile library makes a scenario the loader refuses: ") + e.what());
  }
  const scen::run_report r = fuzz::run_scenario(loaded, scen::run_options{});
  if (r.exit_code != 0) fuzz::fuzz_fail("a loaded profile library does not run: " + r.error);
  for (const scen::step_outcome& st : r.steps)
    if (st.output.find("internal error") != std::string::npos) fuzz::fuzz_fail(step_summary(st));
  return 0;
}
