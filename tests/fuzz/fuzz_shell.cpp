// fuzz_shell: a booted host typing lines the input spells. The machine (built afresh for
// every input, so runs are independent and deterministic): a dual-port X540 with two
// VFs on each port behind root port 00:01.0, the DMA test engine with ATS and PRI
// behind 00:02.0, DMA remapping on. The input is decoded into at most MAX_LINES shell
// lines: a byte below 0x80 is itself, a newline ends a line, a byte from 0x80 up is a
// whole word of the shell's vocabulary (WORDS: commands with their options, sysfs
// paths that exist on this machine, shell syntax), so the fuzzer reaches deep
// commands without spelling them. Text seeds are plain lines; fuzz_shell.dict offers
// the same words to libFuzzer's mutator.
//
// The lines run as the steps of a scenario through the engine (what `iovsim run`
// does). Findings: crashes, leaks, UB, SystemC errors, exceptions out of the engine,
// and a command that fails with "internal error" (an exception a command let out).
#include <cstdint>
#include <cstdio>
#include <string>

#include "scenarios/engine.h"
#include "scenarios/loader.h"
#include "tests/fuzz/fuzz_common.h"
#include "tests/fuzz/fuzz_run.h"

using namespace iovsim;

namespace {

constexpr size_t MAX_LINES = 6;
constexpr size_t MAX_LINE_BYTES = 400;

const char* const PLATFORM = R"(
name: "fuzz_shell"
platform {
  kernel_cmdline: "intel_iommu=on"
  root_port { name: "rp1" device: 1 }
  endpoint { name: "nic" profile: "x540" attach: "rp1" }
  root_port { name: "rp2" device: 2 }
  endpoint { name: "dma0" profile: "iovsim_dma_ats" attach: "rp2" }
}
step { shell: "echo 2 > /sys/class/net/enp1s0f0/device/sriov_numvfs" }
step { shell: "echo 2 > /sys/class/net/enp1s0f1/device/sriov_numvfs" }
)";

// The vocabulary, indexed by (byte - 0x80) modulo its size. Keep in step with
// fuzz_shell.dict (which adds the same words for libFuzzer's own mutations).
const char* const WORDS[] = {
    // commands
    "lspci ", "lspci -vvv ", "lspci -vt ", "lspci -nn ", "lspci -xxxx ", "lspci -s ", "lspci -d 8086:1515 ",
    "lspci -k ", "lspci -D ", "cat ", "echo ", "ls ", "ls -l ", "ls -la ", "readlink ", "ip link ", "ip link show ",
    "ip link set dev ", " up", " down", "modprobe ", "modprobe -r ", "rmmod ", "lsmod", "dmesg", "vm create g --mem 8M",
    "vm create g --mem 64M --demand", "vm assign g ", "vm dma g --addr ", "vm list", "vm isolation", "dmatest ",
    "dmatest --size ", "--count ", "--static", "--from-host", "--addr ", "-s ", "run ", "sleep ", "reboot",
    "reboot pci=assign-busses", "reboot pci=noari", "reboot iommu=pt", "reboot intel_iommu=off", "iommu stats",
    "iommu stats reset", "iommu config entries=", " ways=", " pwc=", "policy=random",
    "inject drop-invalidation --count ", "inject unmap --after ", "inject status", "inject clear", "devmem ", "grep ",
    "wc -l", "head -n ", "tail -n ", "sort", "uniq", "cut -d: -f", "tr ", "help", "true", "false", "export ", "unset ",
    "read ", "test ", "[ ", " ]", "[[ ", " ]]", " vf ", " mac 02:00:00:00:00:01", " vlan ", " qos ", " proto 802.1ad",
    " spoofchk off", " trust on", " state disable", " max_tx_rate ", " promisc on", " allmulticast on",
    "bridge fdb add ", "bridge fdb del ", "bridge fdb show", " self permanent", "enp1s0f1v0",
    "ip link add link enp1s0f1v0 name v10 type vlan id ", "ip link del ", " address ",
    // sysfs and files that exist on this machine
    "/sys/class/net/enp1s0f0/device/", "/sys/class/net/enp1s0f1/device/", "/sys/bus/pci/devices/0000:01:00.0/",
    "/sys/bus/pci/devices/0000:01:00.1/", "/sys/bus/pci/devices/0000:01:10.0/", "/sys/bus/pci/devices/0000:01:10.1/",
    "/sys/bus/pci/devices/", "/sys/bus/pci/drivers/", "/sys/bus/pci/drivers/ixgbevf/", "/sys/kernel/iommu_groups/",
    "/etc/modprobe.d/x.conf", "/proc/", "sriov_numvfs", "sriov_totalvfs", "sriov_drivers_autoprobe", "sriov_offset",
    "sriov_stride", "sriov_vf_device", "driver_override", "bind", "unbind", "new_id", "remove_id", "config", "resource",
    "vendor", "device", "iommu_group", "driver", "enable", "remove", "rescan", "reset", "ixgbe", "ixgbevf", "igb",
    "max_vfs=", "enp1s0f0", "enp1s0f1", "enp1s16", "0000:01:10.1", "01:00.0", "/sys/bus/pci/devices/0000:03:00.0/",
    "/sys/bus/pci/drivers/iovsim_dma/", "0000:03:00.0", "03:00.0",
    // shell syntax
    " > ", " >> ", " | ", " && ", " || ", "; ", "$(", ")", "$((", "))", "${", "}", "for i in 1 2 3; do ", "; done",
    "while ", "if ", "; then ", "; else ", "; fi", "case $x in ", ") ;; esac", "0x", "4096", "7", "63", "64", "65536",
    "-1", "1000000000", "10ms", "2s"};
constexpr size_t WORD_COUNT = sizeof WORDS / sizeof WORDS[0];

std::vector<std::string> decode(const uint8_t* data, size_t size) {
  std::vector<std::string> lines(1);
  for (size_t i = 0; i < size && lines.size() <= MAX_LINES; ++i) {
    const uint8_t b = data[i];
    if (b == '\n') {
      lines.emplace_back();
      continue;
    }
    std::string& line = lines.back();
    if (b >= 0x80)
      line += WORDS[(b - 0x80) % WORD_COUNT];
    else
      line += static_cast<char>(b);
    if (line.size() > MAX_LINE_BYTES) line.resize(MAX_LINE_BYTES);
  }
  if (lines.size() > MAX_LINES) lines.resize(MAX_LINES);
  return lines;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const scen::loaded_scenario base = scen::load_scenario_text("fuzz_shell.pbtxt", PLATFORM);
  scen::loaded_scenario s = base;
  for (const std::string& line : decode(data, size)) {
    // A step's shell line may not be empty (the loader refuses it): skip.
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    s.scenario.add_step()->set_shell(line);
    s.step_loc.push_back(scen::source_location{});
    s.step_time_ps.push_back(0);
    s.step_machine.push_back(0);
  }
  const scen::run_report r = fuzz::run_scenario(s, scen::run_options{});
  if (r.exit_code != 0) fuzz::fuzz_fail("the engine refused the run: " + r.error);
  for (const scen::step_outcome& st : r.steps) {
    if (fuzz::verbose()) std::fprintf(stderr, "$ %s\n%s(status %d)\n", st.shell.c_str(), st.output.c_str(), st.status);
    if (st.output.find("internal error") != std::string::npos) fuzz::fuzz_fail("$ " + st.shell + "\n" + st.output);
  }
  return 0;
}
