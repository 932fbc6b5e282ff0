// Scenario/profile loader: time strings, a good scenario, the built-in library,
// every semantic check with its exact message, and the bad-input corpus
// (tests/bad_input/NAME.pbtxt + NAME.err).
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "scenarios/loader.h"
#include "scenarios/loader_internal.h"

namespace iovsim::scen {
namespace {

// Paths in messages are as passed, so run from the source tree and pass relative paths.
class loader : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(chdir(IOVSIM_SOURCE_DIR), 0); }
};

std::string error_of(const std::string& text, const std::string& path = "t.pbtxt") {
  try {
    load_scenario_text(path, text);
  } catch (const input_error& e) {
    return e.what();
  }
  return "(loaded)";
}

const pb::DeviceProfile* find_device(const pb::ProfileLibrary& lib, const std::string& name) {
  for (const auto& d : lib.device())
    if (d.name() == name) return &d;
  return nullptr;
}

const pb::PortProfile* find_port(const pb::ProfileLibrary& lib, const std::string& name) {
  for (const auto& p : lib.port())
    if (p.name() == name) return &p;
  return nullptr;
}

// ---------------------------------------------------------------- parse_sim_time

TEST(parse_sim_time, accepts_units_and_decimals) {
  const std::pair<const char*, long long> good[] = {
      {"0", 0},           {"0ns", 0},         {"10ps", 10},
      {"250ns", 250000},  {"100us", 100000000}, {"1.5ms", 1500000000},
      {"2s", 2000000000000}, {"0.001ns", 1},  {"9223372s", 9223372000000000000},
      {"1.25us", 1250000},
  };
  for (const auto& [text, ps] : good) {
    long long out = -1;
    EXPECT_TRUE(parse_sim_time(text, out)) << text;
    EXPECT_EQ(out, ps) << text;
  }
}

TEST(parse_sim_time, rejects_bad_text) {
  const char* bad[] = {"",      "100",    "-1ms", "+1ms", "1 ms",  "1e3ns", ".5ms",
                       "5.ms",  "1.5",    "1min", "ms",   "0.0",   "1.0001ps",
                       "9223373s", "99999999999999999999999999999999999999s", "1ms ", "0x10ns"};
  for (const char* text : bad) {
    long long out = 42;
    EXPECT_FALSE(parse_sim_time(text, out)) << '"' << text << '"';
  }
}

// ---------------------------------------------------------------- good inputs

TEST_F(loader, good_scenario_loads_with_step_times_and_locations) {
  const loaded_scenario s = load_scenario("tests/loader_inputs/good.pbtxt");
  EXPECT_EQ(s.path, "tests/loader_inputs/good.pbtxt");
  EXPECT_EQ(s.scenario.name(), "loader_good");
  ASSERT_EQ(s.step_time_ps.size(), 5u);
  // "0", omitted (same time), "1.5ms", "1.5ms", "2s"
  EXPECT_EQ(s.step_time_ps, (std::vector<long long>{0, 0, 1500000000, 1500000000, 2000000000000}));
  ASSERT_EQ(s.step_loc.size(), 5u);
  EXPECT_EQ(s.step_loc[0].line, 27);
  EXPECT_EQ(s.step_loc[0].col, 1);
  EXPECT_EQ(s.step_loc[1].line, 28);
  ASSERT_EQ(s.param_loc.size(), 2u);
  EXPECT_EQ(s.param_loc[1].line, 45);
  // Built-ins, the profile file and the inline port profile, all in one library.
  EXPECT_NE(find_device(s.profiles, "x540"), nullptr);
  EXPECT_NE(find_device(s.profiles, "tiny_nic"), nullptr);
  EXPECT_NE(find_port(s.profiles, "inline_port"), nullptr);
  EXPECT_EQ(s.profiles.device_size(), builtin_profiles().device_size() + 1);
  EXPECT_EQ(s.profiles.port_size(), builtin_profiles().port_size() + 1);
}

TEST_F(loader, profile_library_file_loads_alone) {
  const pb::ProfileLibrary lib = load_profile_library("tests/loader_inputs/lib/extra_profiles.pbtxt");
  ASSERT_EQ(lib.device_size(), 1);
  EXPECT_EQ(lib.device(0).sriov().total_vfs(), 4u);
}

TEST_F(loader, missing_files_are_reported) {
  try {
    load_scenario("tests/loader_inputs/nope.pbtxt");
    FAIL();
  } catch (const input_error& e) {
    EXPECT_STREQ(e.what(), "tests/loader_inputs/nope.pbtxt: cannot open file");
  }
  try {
    load_profile_library("nope.pbtxt");
    FAIL();
  } catch (const input_error& e) {
    EXPECT_STREQ(e.what(), "nope.pbtxt: cannot open file");
  }
}

TEST_F(loader, absolute_profile_file_path_is_used_as_is) {
  const std::string text = std::string("profile_file: \"") + IOVSIM_SOURCE_DIR +
                           "/tests/loader_inputs/lib/extra_profiles.pbtxt\"\n";
  const loaded_scenario s = load_scenario_text("elsewhere/t.pbtxt", text);
  EXPECT_NE(find_device(s.profiles, "tiny_nic"), nullptr);
}

TEST_F(loader, default_port_profiles_need_no_profile_field) {
  const loaded_scenario s = load_scenario_text(
      "t.pbtxt",
      "platform {\n  root_port { name: \"rp0\" device: 1 }\n"
      "  switch { name: \"sw\" attach: \"rp0\" downstream { name: \"dp\" device: 0 } }\n"
      "  endpoint { name: \"nic\" profile: \"82599\" attach: \"dp\" }\n}\n");
  EXPECT_EQ(s.scenario.platform().switch__size(), 1);
}

// ---------------------------------------------------------------- built-in profiles

TEST(builtin_profiles, contain_the_parts_and_ports) {
  const pb::ProfileLibrary& lib = builtin_profiles();
  for (const char* name : {"82599", "x540", "i350", "82576", "renumber_demo"})
    EXPECT_NE(find_device(lib, name), nullptr) << name;
  for (const char* name : {"generic_root_port", "generic_switch_port", "snb_ep_root_port_3c",
                           "plx_pex8747"})
    EXPECT_NE(find_port(lib, name), nullptr) << name;
}

TEST(builtin_profiles, carry_reference_values) {
  const pb::ProfileLibrary& lib = builtin_profiles();
  const pb::DeviceProfile& x540 = *find_device(lib, "x540");
  EXPECT_EQ(x540.vendor_id(), 0x8086u);
  EXPECT_EQ(x540.device_id(), 0x1528u);
  EXPECT_EQ(x540.functions(), 2u);
  EXPECT_EQ(x540.sriov().total_vfs(), 64u);
  EXPECT_EQ(x540.sriov().vf_device_id(), 0x1515u);
  EXPECT_EQ(x540.mac_filters(), 128u);
  const pb::DeviceProfile& p82599 = *find_device(lib, "82599");
  ASSERT_EQ(p82599.sriov().offset_stride_size(), 2);
  EXPECT_EQ(p82599.sriov().offset_stride(0).first_vf_offset(), 128u);
  EXPECT_EQ(p82599.sriov().offset_stride(1).first_vf_offset(), 384u);
  EXPECT_EQ(find_device(lib, "i350")->sriov().offset_stride(1).vf_stride(), 4u);
  EXPECT_EQ(find_device(lib, "i350")->mac_filters(), 32u);
  EXPECT_EQ(find_device(lib, "82576")->mac_filters(), 24u);
  EXPECT_EQ(find_device(lib, "renumber_demo")->sriov().offset_stride_size(), 2);
  EXPECT_TRUE(find_port(lib, "generic_root_port")->ari_forwarding());
  EXPECT_EQ(find_port(lib, "snb_ep_root_port_3c")->device_id(), 0x3c0au);
}

TEST(builtin_profiles, are_embedded_sorted_by_file_name) {
  ASSERT_GE(k_builtin_profile_count, 5u);
  std::vector<std::string> names;
  for (unsigned i = 0; i < k_builtin_profile_count; ++i) names.push_back(k_builtin_profile_files[i].name);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_NE(std::find(names.begin(), names.end(), "platform/profiles/intel_x540.pbtxt"), names.end());
}

// ---------------------------------------------------------------- topology checks

struct check_case {
  const char* text;
  const char* error;
};

void expect_errors(const std::vector<check_case>& cases) {
  for (const check_case& c : cases) EXPECT_EQ(error_of(c.text), c.error) << c.text;
}

TEST_F(loader, topology_checks) {
  expect_errors({
      {"platform {\n  root_port { name: \"a\" device: 1 }\n  root_port { name: \"a\" device: 2 }\n}",
       "t.pbtxt:3:15: duplicate name \"a\": already used by the root port at line 2"},
      {"platform {\n  root_port { name: \"rp\" device: 1 }\n"
       "  switch { name: \"sw\" attach: \"rp\" downstream { name: \"rp\" device: 0 } }\n}",
       "t.pbtxt:3:49: duplicate name \"rp\": already used by the root port at line 2"},
      {"platform { root_port { device: 1 } }", "t.pbtxt:1:12: root port has no name"},
      {"platform { root_port { name: \"r\" device: 32 } }",
       "t.pbtxt:1:34: root port \"r\": device 32 out of range 0..31"},
      {"platform { root_port { name: \"r\" device: 1 function: 8 } }",
       "t.pbtxt:1:44: root port \"r\": function 8 out of range 0..7"},
      {"platform { root_port { name: \"r\" function: 0 } }",
       "t.pbtxt:1:12: root port \"r\" at 00:00.0 clashes with the host bridge"},
      {"platform { root_port { name: \"a\" device: 2 }\n root_port { name: \"b\" device: 2 } }",
       "t.pbtxt:2:2: root port \"b\" at 00:02.0 clashes with root port \"a\""},
      {"platform { root_port { name: \"r\" device: 1 profile: \"i350\" } }",
       "t.pbtxt:1:44: root port \"r\": unknown port profile \"i350\""},
      {"platform { root_port { name: \"r\" device: 1 }\n"
       " switch { name: \"s\" attach: \"r\" profile: \"nope\" } }",
       "t.pbtxt:2:33: switch \"s\": unknown port profile \"nope\""},
      {"platform { root_port { name: \"r\" device: 1 }\n"
       " switch { name: \"s\" attach: \"r\" downstream { name: \"d\" device: 32 } } }",
       "t.pbtxt:2:56: switch \"s\": downstream port \"d\" device 32 out of range 0..31"},
      {"platform { root_port { name: \"r\" device: 1 }\n switch { name: \"s\" attach: \"r\"\n"
       "  downstream { name: \"d0\" device: 4 }\n  downstream { name: \"d1\" device: 4 } } }",
       "t.pbtxt:4:27: switch \"s\": downstream port \"d1\" device 4 is already used by \"d0\""},
      {"platform { root_port { name: \"r\" device: 1 }\n endpoint { name: \"e\" attach: \"r\" } }",
       "t.pbtxt:2:2: endpoint \"e\" has no profile"},
      {"platform { root_port { name: \"r\" device: 1 }\n endpoint { name: \"e\" profile: \"x\" attach: \"r\" } }",
       "t.pbtxt:2:23: endpoint \"e\": unknown device profile \"x\""},
      {"platform { endpoint { name: \"e\" profile: \"x540\" } }",
       "t.pbtxt:1:12: endpoint \"e\" has no attach (the root port or switch downstream port above it)"},
      {"platform { switch { name: \"s\" } }",
       "t.pbtxt:1:12: switch \"s\" has no attach (the root port or switch downstream port above it)"},
      {"platform { endpoint { name: \"e\" profile: \"x540\" attach: \"r9\" } }",
       "t.pbtxt:1:49: endpoint \"e\" attaches to unknown port \"r9\""},
      {"platform { root_port { name: \"r\" device: 1 }\n switch { name: \"s\" attach: \"r\" }\n"
       " endpoint { name: \"e\" profile: \"x540\" attach: \"s\" } }",
       "t.pbtxt:3:39: endpoint \"e\" attaches to \"s\", which is a switch, not a port"},
      {"platform { root_port { name: \"r\" device: 1 }\n switch { name: \"s\" attach: \"r\" }\n"
       " endpoint { name: \"e\" profile: \"x540\" attach: \"r\" } }",
       "t.pbtxt:3:39: endpoint \"e\" attaches to port \"r\", which already has switch \"s\" below "
       "it (a PCIe link has one device)"},
      {"platform {\n switch { name: \"s\" attach: \"d\" downstream { name: \"d\" device: 0 } } }",
       "t.pbtxt:2:21: switch \"s\" attaches to its own downstream port \"d\""},
      {"platform { root_port { name: \"r\" device: 1 }\n"
       " switch { name: \"low\" attach: \"a2\" }\n"
       " switch { name: \"a\" attach: \"b1\" downstream { name: \"a1\" device: 1 } "
       "downstream { name: \"a2\" device: 2 } }\n"
       " switch { name: \"b\" attach: \"a1\" downstream { name: \"b1\" device: 1 } } }",
       "t.pbtxt:3:21: switch \"a\" is below itself: a -> b -> a"},
  });
}

// ---------------------------------------------------------------- platform checks

TEST_F(loader, kernel_cmdline_and_file_checks) {
  expect_errors({
      {"platform { kernel_cmdline: \"quiet iommu=off\" }",
       "t.pbtxt:1:12: kernel_cmdline: unknown parameter \"iommu=off\" (known: pci=..., "
       "intel_iommu=..., iommu.strict=0, iommu.strict=1, iommu=nopt, iommu=pt, quiet)"},
      {"platform { kernel_cmdline: \"pci=nomsi\" }",
       "t.pbtxt:1:12: kernel_cmdline: unknown pci= option \"nomsi\" in \"pci=nomsi\" (known: "
       "assign-busses, noari, noats, realloc, realloc=off, realloc=on)"},
      {"platform { kernel_cmdline: \"pci=\" }",
       "t.pbtxt:1:12: kernel_cmdline: \"pci=\" has no option (known: assign-busses, noari, noats, "
       "realloc, realloc=off, realloc=on)"},
      {"platform { kernel_cmdline: \"pci=assign-busses pci=realloc pci=realloc=on "
       "pci=realloc=off pci=noari,realloc intel_iommu=on intel_iommu=off intel_iommu=on,sp_off iommu=pt "
       "iommu=nopt quiet\" }",
       "(loaded)"},
      {"platform { host: \"nope\" }",
       "t.pbtxt:1:12: unknown host profile \"nope\" (known: bdw_e5_2630v4, hsw_e5_2620v3)"},
      {"platform { profiles { host { name: \"h\" param { name: \"mem.latency\" } } } }",
       "t.pbtxt:1:40: host profile \"h\": a param needs a name and a value"},
      {"platform { profiles { host { name: \"h\" root_port: \"nope\" } } host: \"h\" "
       "root_port { name: \"rp\" device: 1 } }",
       "t.pbtxt:1:72: root port \"rp\": unknown port profile \"nope\""},
      {"machine { name: \"a\" platform { host: \"hsw_e5_2620v3\" } } "
       "machine { name: \"b\" platform { host: \"bdw_e5_2630v4\" } }",
       "t.pbtxt:1:89: host profile \"bdw_e5_2630v4\" sets mem.bandwidth=17064000000, but host profile "
       "\"hsw_e5_2620v3\" of another machine sets 14936000000: model parameters are the same for every machine"},
      {"platform { kernel_cmdline: \"intel_iommu=on,sp\" }",
       "t.pbtxt:1:12: kernel_cmdline: unknown intel_iommu= option \"sp\" in \"intel_iommu=on,sp\" (known: off, on, "
       "sp_off)"},
      {"platform { file { path: \"etc/x\" } }", "t.pbtxt:1:19: file path \"etc/x\" is not absolute"},
      {"platform { file { content: \"x\" } }", "t.pbtxt:1:12: file path \"\" is not absolute"},
      {"profile_file: \"nope.pbtxt\"",
       "t.pbtxt:1:1: cannot open profile file \"nope.pbtxt\" (looked for \"nope.pbtxt\")"},
  });
  EXPECT_EQ(error_of("\n profile_file: \"lib/nope.pbtxt\"", "tests/x/s.pbtxt"),
            "tests/x/s.pbtxt:2:2: cannot open profile file \"lib/nope.pbtxt\" (looked for "
            "\"tests/x/lib/nope.pbtxt\")");
}

// ---------------------------------------------------------------- step checks

TEST_F(loader, step_checks) {
  expect_errors({
      {"step { at: \"5\" shell: \"x\" }",
       "t.pbtxt:1:8: step 1: bad time \"5\" (expected e.g. \"0\", \"250ns\", \"1.5ms\", \"2s\")"},
      {"step { at: \"2us\" shell: \"x\" }\nstep { at: \"1999ns\" shell: \"y\" }",
       "t.pbtxt:2:8: step 2 at 1999ns is earlier than step 1 at 2us (steps must be in time order)"},
      {"step { at: \"1ms\" shell: \"x\" }\nstep { shell: \"y\" }\nstep { at: \"1ms\" shell: \"z\" }",
       "(loaded)"},
      {"step { at: \"1ms\" }", "t.pbtxt:1:1: step 1 has an empty shell line"},
      {"step { shell: \"x\"\n  expect { } }",
       "t.pbtxt:2:3: step 1, expect 1: nothing to check (set one of output_contains, "
       "output_matches, output_not_contains, output_equals, fails_with, file_equals, "
       "exit_status, output_lines)"},
      {"step { shell: \"x\" expect { exit_status: 0 } expect { output_matches: \"a[b\" } }",
       "t.pbtxt:1:54: step 1, expect 2: bad regex \"a[b\": Unexpected character within '[...]' in "
       "regular expression"},
      {"step { shell: \"x\" expect { fails_with: \"EAGAIN\" } }",
       "t.pbtxt:1:28: step 1, expect 1: unknown errno name \"EAGAIN\" (known: E2BIG, EACCES, "
       "EBUSY, EEXIST, EINVAL, EIO, ENODEV, ENOENT, ENOMEM, ENOSPC, ENOTSUP, ENXIO, EOPNOTSUPP, "
       "EPERM, ERANGE)"},
      {"step { shell: \"x\" expect { fails_with: \"EOPNOTSUPP\" } expect { output_lines: 0 } }",
       "(loaded)"},
  });
}

// ---------------------------------------------------------------- profile checks

// A valid inline device profile, one field per line so locations are easy to read;
// each case edits one line.
const char* const k_profile = R"(platform {
  profiles {
    device {
      name: "t"
      vendor_id: 0x8086
      device_id: 0x1234
      functions: 2
      bars { index: 0 size_bytes: 0x20000 }
      sriov {
        total_vfs: 4
        vf_device_id: 0x1235
        offset_stride { first_vf_offset: 128 vf_stride: 2 }
        vf_bars { index: 0 size_bytes: 0x4000 is_64bit: true }
        supported_page_sizes: 0x553
      }
      link { gen: 2 width: 4 max_payload_bytes: 256 }
      msix_vectors: 64
    }
    port { name: "p" vendor_id: 0x8086 device_id: 0x3c0a }
  }
}
)";

std::string edit(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

std::string profile_with(const std::string& from, const std::string& to) {
  return edit(k_profile, from, to);
}

struct edit_case {
  const char* from;
  const char* to;
  const char* error;
};

TEST_F(loader, profile_checks) {
  EXPECT_EQ(error_of(k_profile), "(loaded)");
  const edit_case cases[] = {
      {"name: \"t\"", "", "t.pbtxt:3:5: device profile has no name"},
      {"name: \"t\"", "name: \"i350\"",
       "t.pbtxt:4:7: device profile \"i350\" is already defined at "
       "platform/profiles/intel_i350.pbtxt:3:1"},
      {"vendor_id: 0x8086\n      device_id: 0x1234",
       "vendor_id: 0x10000\n      device_id: 0x1234",
       "t.pbtxt:5:7: device profile \"t\": vendor_id 0x10000 does not fit in 16 bits"},
      {"vendor_id: 0x8086\n      device_id: 0x1234", "vendor_id: 0xffff\n      device_id: 0x1234",
       "t.pbtxt:5:7: device profile \"t\": vendor_id 0xFFFF is not a valid ID (it reads as \"no "
       "device\")"},
      {"device_id: 0x1234", "device_id: 0xffff",
       "t.pbtxt:6:7: device profile \"t\": device_id 0xFFFF is not a valid ID (it reads as \"no "
       "device\")"},
      {"functions: 2", "functions: 0", "t.pbtxt:7:7: device profile \"t\": functions 0 out of range 1..8"},
      {"functions: 2", "functions: 9", "t.pbtxt:7:7: device profile \"t\": functions 9 out of range 1..8"},
      {"bars { index: 0 size_bytes: 0x20000 }", "bars { index: 6 size_bytes: 0x20000 }",
       "t.pbtxt:8:14: device profile \"t\": BAR index 6 out of range 0..5"},
      {"bars { index: 0 size_bytes: 0x20000 }", "bars { index: 0 size_bytes: 0x18000 }",
       "t.pbtxt:8:23: device profile \"t\": BAR 0 size 98304 is not a power of two"},
      {"bars { index: 0 size_bytes: 0x20000 }", "bars { index: 0 size_bytes: 8 }",
       "t.pbtxt:8:23: device profile \"t\": BAR 0 size 8 is below the minimum of 16 bytes for a "
       "memory BAR"},
      {"bars { index: 0 size_bytes: 0x20000 }", "bars { index: 2 size_bytes: 2 io: true }",
       "t.pbtxt:8:23: device profile \"t\": BAR 2 size 2 is below the minimum of 4 bytes for an "
       "I/O BAR"},
      {"bars { index: 0 size_bytes: 0x20000 }", "bars { index: 2 size_bytes: 32 io: true is_64bit: true }",
       "t.pbtxt:8:38: device profile \"t\": BAR 2 cannot be both I/O and 64-bit"},
      {"bars { index: 0 size_bytes: 0x20000 }", "bars { index: 5 size_bytes: 0x20000 is_64bit: true }",
       "t.pbtxt:8:14: device profile \"t\": 64-bit BAR 5 has no room for its upper half (index "
       "must be <= 4)"},
      {"bars { index: 0 size_bytes: 0x20000 }",
       "bars { index: 0 size_bytes: 0x20000 }\n      bars { index: 0 size_bytes: 16 }",
       "t.pbtxt:9:14: device profile \"t\": BAR 0 is defined twice"},
      {"bars { index: 0 size_bytes: 0x20000 }",
       "bars { index: 2 size_bytes: 0x20000 is_64bit: true }\n      bars { index: 3 size_bytes: 16 }",
       "t.pbtxt:9:14: device profile \"t\": BAR 3 is the upper half of 64-bit BAR 2"},
      {"bars { index: 0 size_bytes: 0x20000 }",
       "bars { index: 1 size_bytes: 16 }\n      bars { index: 0 size_bytes: 0x20000 is_64bit: true }",
       "t.pbtxt:9:14: device profile \"t\": 64-bit BAR 0 needs index 1, which BAR 1 uses"},
      {"total_vfs: 4", "total_vfs: 0",
       "t.pbtxt:10:9: device profile \"t\": total_vfs 0 out of range 1..65535"},
      {"total_vfs: 4", "total_vfs: 65536",
       "t.pbtxt:10:9: device profile \"t\": total_vfs 65536 out of range 1..65535"},
      {"total_vfs: 4", "total_vfs: 4 initial_vfs: 5",
       "t.pbtxt:10:22: device profile \"t\": initial_vfs 5 exceeds total_vfs 4"},
      {"vf_device_id: 0x1235", "", "t.pbtxt:9:7: device profile \"t\": SR-IOV capability has no vf_device_id"},
      {"vf_device_id: 0x1235", "vf_device_id: 0xffff",
       "t.pbtxt:11:9: device profile \"t\": vf_device_id 0xFFFF is not a valid ID (it reads as "
       "\"no device\")"},
      {"offset_stride { first_vf_offset", "offset_stride { ari: ARI_ONLY first_vf_offset",
       "t.pbtxt:9:7: device profile \"t\": NumVFs 1 with ARI clear is not covered by any "
       "offset_stride rule"},
      {"offset_stride { first_vf_offset", "offset_stride { max_numvfs: 3 first_vf_offset",
       "t.pbtxt:9:7: device profile \"t\": NumVFs 4 with ARI set is not covered by any "
       "offset_stride rule"},
      {"offset_stride { first_vf_offset", "offset_stride { min_numvfs: 3 max_numvfs: 2 first_vf_offset",
       "t.pbtxt:12:9: device profile \"t\": offset_stride rule 1 has min_numvfs 3 > max_numvfs 2"},
      {"vf_stride: 2", "vf_stride: 0",
       "t.pbtxt:12:46: device profile \"t\": offset_stride rule 1 has vf_stride 0 but applies to "
       "NumVFs 2 (stride must be >= 1 with more than one VF)"},
      {"first_vf_offset: 128", "first_vf_offset: 1 offset_per_pf: -1",
       "t.pbtxt:12:9: device profile \"t\": offset_stride rule 1 gives PF 1 a First VF Offset of "
       "0 (must be 1..65535)"},
      {"first_vf_offset: 128", "first_vf_offset: 65530",
       "t.pbtxt:12:9: device profile \"t\": PF 0 with 4 VFs and ARI set: last VF routing ID "
       "0x10000 does not fit in 16 bits"},
      {"first_vf_offset: 128", "first_vf_offset: 65529",
       "t.pbtxt:12:9: device profile \"t\": PF 1 with 4 VFs and ARI set: last VF routing ID "
       "0x10000 does not fit in 16 bits"},
      {"supported_page_sizes: 0x553", "supported_page_sizes: 0x552",
       "t.pbtxt:14:9: device profile \"t\": supported_page_sizes 0x552 lacks bit 0 (4 KiB pages)"},
      {"vf_bars { index: 0 size_bytes: 0x4000 is_64bit: true }", "",
       "t.pbtxt:9:7: device profile \"t\": SR-IOV capability has no VF BAR"},
      {"vf_bars { index: 0 size_bytes: 0x4000 is_64bit: true }", "vf_bars { index: 2 size_bytes: 16 io: true }",
       "t.pbtxt:13:43: device profile \"t\": VF BAR 2 is an I/O BAR; VF BARs are memory only"},
      {"vf_bars { index: 0 size_bytes: 0x4000 is_64bit: true }", "vf_bars { index: 0 size_bytes: 0x3000 }",
       "t.pbtxt:13:28: device profile \"t\": VF BAR 0 size 12288 is not a power of two"},
      {"link { gen: 2", "link { gen: 6",
       "t.pbtxt:16:14: device profile \"t\": link gen 6 out of range 1..5"},
      {"width: 4", "width: 3",
       "t.pbtxt:16:21: device profile \"t\": link width 3 is not one of 1, 2, 4, 8, 12, 16, 32"},
      {"max_payload_bytes: 256 }\n      msix", "max_payload_bytes: 8192 }\n      msix",
       "t.pbtxt:16:30: device profile \"t\": max_payload_bytes 8192 is not a power of two in "
       "128..4096"},
      {"max_payload_bytes: 256 }\n      msix", "max_payload_bytes: 100 }\n      msix",
       "t.pbtxt:16:30: device profile \"t\": max_payload_bytes 100 is not a power of two in "
       "128..4096"},
      {"msix_vectors: 64", "msix_vectors: 2049",
       "t.pbtxt:17:7: device profile \"t\": msix_vectors 2049 exceeds 2048 (the MSI-X table size "
       "limit)"},
      {"port { name: \"p\" vendor_id: 0x8086", "port { name: \"p\" vendor_id: 0xffff",
       "t.pbtxt:19:22: port profile \"p\": vendor_id 0xFFFF is not a valid ID (it reads as \"no "
       "device\")"},
      {"port { name: \"p\"", "port { name: \"generic_root_port\"",
       "t.pbtxt:19:12: port profile \"generic_root_port\" is already defined at "
       "platform/profiles/ports.pbtxt:8:1"},
      {"device_id: 0x3c0a }", "device_id: 0x3c0a link { gen: 0 width: 8 max_payload_bytes: 256 } }",
       "t.pbtxt:19:65: port profile \"p\": link gen 0 out of range 1..5"},
  };
  for (const edit_case& c : cases)
    EXPECT_EQ(error_of(profile_with(c.from, c.to)), c.error) << c.from << " -> " << c.to;
}

TEST_F(loader, profile_rules_that_are_valid) {
  // NumVFs-dependent rules (the renumber_demo shape), per-PF offsets, one VF with stride 0.
  EXPECT_EQ(error_of(profile_with("offset_stride { first_vf_offset: 128 vf_stride: 2 }",
                                  "offset_stride { max_numvfs: 2 first_vf_offset: 4 vf_stride: 1 }\n"
                                  "        offset_stride { min_numvfs: 3 first_vf_offset: 8 "
                                  "vf_stride: 2 offset_per_pf: -1 }")),
            "(loaded)");
  EXPECT_EQ(error_of(edit(profile_with("total_vfs: 4", "total_vfs: 1"), "vf_stride: 2",
                          "vf_stride: 0")),
            "(loaded)");
}

TEST_F(loader, duplicate_profiles_within_one_library) {
  const std::string text =
      "platform {\n  profiles {\n    port { name: \"q\" vendor_id: 1 device_id: 2 }\n"
      "    port { name: \"q\" vendor_id: 1 device_id: 3 }\n  }\n}\n";
  EXPECT_EQ(error_of(text), "t.pbtxt:4:12: port profile \"q\" is already defined at t.pbtxt:3:5");
}

// ---------------------------------------------------------------- syntax errors

TEST_F(loader, syntax_errors_are_located_and_rephrased) {
  expect_errors({
      {"name: \"a\"\nplatform { endpoint { nam: \"x\" } }",
       "t.pbtxt:2:23: unknown field \"nam\" in iovsim.pb.Endpoint"},
      {"platform {\n  firmware { iov_bars: MAYBE }\n}",
       "t.pbtxt:2:24: unknown value \"MAYBE\" for enum field \"iov_bars\""},
      {"seed: 1.5", "t.pbtxt:1:7: expected an integer, got 1.5"},
      {"name: 3", "t.pbtxt:1:7: expected a string, got 3"},
      {"name: \"a\"\nname: \"b\"", "t.pbtxt:2:1: field \"name\" is set more than once"},
      {"platform {", "t.pbtxt:1:11: unexpected end of file (a \"}\" is missing?)"},
      {"platform { root_port { name \"r\" } }", "t.pbtxt:1:29: expected \":\", found \"r\""},
  });
}

// Messages quote the input: however long a token or relation is, the loader reports it
// without running std::regex over it (libstdc++'s matcher recurses once per character:
// a 300000-character token overflowed the stack; found by fuzz_scenario).
TEST_F(loader, long_tokens_are_reported_without_overflowing_the_stack) {
  const std::string long_name(300000, 'a');
  const std::string token = error_of("name \"" + long_name + "\"");
  EXPECT_EQ(token, "t.pbtxt:1:6: expected \":\", found \"" + long_name + "\"");
  const std::string field = error_of("name: \"a\"\n" + long_name + ": 1");
  EXPECT_EQ(field, "t.pbtxt:2:1: unknown field \"" + long_name + "\" in iovsim.pb.Scenario");
  const std::string relation =
      error_of("name: \"a\"\nstep { shell: \"x\" expect { holds: \"" + long_name + " < 1\" } }");
  EXPECT_EQ(relation, "t.pbtxt:2:28: step 1, expect 1: a relation of 300004 characters is too long (at most 200)");
  const std::string capture = error_of("step { shell: \"x\" capture { name: \"" + long_name + "-\" regex: \"(1)\" } }");
  EXPECT_EQ(capture.substr(0, 50), "t.pbtxt:1:29: step 1, capture 1: name \"aaaaaaaaaaa");
}

// Long numbers are refused only where std::regex reads them as a count or a
// back-reference: inside {m,n} and after a backslash, not as text between commas
// (pcie-bench's CSV rows hold window sizes like 262144).
TEST_F(loader, regex_numbers_outside_counts_are_text) {
  EXPECT_EQ(error_of("step { shell: \"x\" capture { name: \"bw\" regex: \"RD,0,262144,64,(?:[^,]*,){4}([0-9.]+)\" } }"),
            "(loaded)");
  EXPECT_EQ(error_of("step { shell: \"x\" capture { name: \"bw\" regex: \"a{1,262144}\" } }"),
            "t.pbtxt:1:40: step 1, capture 1: bad regex \"a{1,262144}\": the number 262144 is too large for a "
            "repetition count or back-reference");
}

// A message that quotes input is one line: control characters show as escapes.
TEST(one_line_text, escapes_control_characters) {
  EXPECT_EQ(one_line_text("a\nb\tc\rd\x7f\x01\xc3\xa9"), "a\\nb\\tc\\rd\\x7f\\x01\xc3\xa9");
  EXPECT_EQ(input_error("f\n", 1, 2, "m\n").what(), std::string("f\\n:1:2: m\\n"));
}

// ---------------------------------------------------------------- bad-input corpus

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST_F(loader, bad_input_corpus) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator("tests/bad_input"))
    if (entry.is_regular_file() && entry.path().extension() == ".pbtxt")
      names.push_back(entry.path().stem().string());
  std::sort(names.begin(), names.end());
  EXPECT_GE(names.size(), 20u);
  for (const std::string& name : names) {
    const std::string path = "tests/bad_input/" + name + ".pbtxt";
    const std::filesystem::path err_path = "tests/bad_input/" + name + ".err";
    ASSERT_TRUE(std::filesystem::exists(err_path)) << err_path;
    std::string expected = read_text(err_path);
    while (!expected.empty() && expected.back() == '\n') expected.pop_back();
    ASSERT_EQ(expected.find('\n'), std::string::npos) << err_path << " must hold one line";
    std::string actual = "(loaded)";
    try {
      load_scenario(path);
    } catch (const input_error& e) {
      actual = e.what();
    }
    EXPECT_EQ(actual, expected) << path;
  }
}

}  // namespace
}  // namespace iovsim::scen
