// The simulator verbs' registration, and the small ones: run, sleep, reboot, inject.
#include <fmt/format.h>

#include <systemc>

#include "drivers-sim/userland/pmd/pmd.h"
#include "drivers-sim/userland/sim/inject.h"
#include "drivers-sim/userland/sim/sim.h"
#include "models/kit/sim_env.h"

namespace iovsim::host {

namespace {
cmd_result run(const std::vector<std::string>& argv) {
  sc_core::sc_time t;
  if (argv.size() != 2 || !kit::parse_time(argv[1], t))
    return cmd_result{2, "", fmt::format("{}: usage: {} TIME (e.g. 10ms, 2s)\n", argv[0], argv[0]), "EINVAL"};
  sc_core::wait(t);
  return cmd_result{};
}
}  // namespace

void register_sim_verbs(shell& sh, sim_host& host) {
  sh.add_command("run", [](const std::vector<std::string>& argv, const std::string&) { return run(argv); },
                 "advance simulated time: run 10ms");
  // coreutils' sleep, but the time it takes is simulated.
  sh.add_command("sleep", [](const std::vector<std::string>& argv, const std::string&) {
    std::vector<std::string> a = argv;
    if (a.size() == 2 && a[1].find_first_not_of("0123456789.") == std::string::npos) a[1] += "s";
    return run(a);
  }, "sleep SECONDS (simulated)");
  sh.add_command("reboot", [&host](const std::vector<std::string>& argv, const std::string&) {
    std::string cmdline;
    for (size_t i = 1; i < argv.size(); ++i) cmdline += (i > 1 ? " " : "") + argv[i];
    if (argv.size() == 1) cmdline = host.params().cmdline;
    const kernel_params p = kernel_params::parse(cmdline);
    if (!p.unknown.empty())
      return cmd_result{2, "", fmt::format("reboot: unknown kernel parameter \"{}\"\n", p.unknown.front()), "EINVAL"};
    host.reboot(cmdline);
    return cmd_result{};
  }, "reset the platform and boot again: reboot [KERNEL PARAMETERS...] (simulator verb)");
  sh.add_command("dmatest", [&host](const std::vector<std::string>& argv, const std::string&) {
    return dmatest_verb(host, argv);
  }, "stream buffers through a DMA test device: dmatest [-s BDF] [--size N] [--count N] [--from-host] [--static] [--addr A]");
  sh.add_command(
      "pciebench",
      [&host](const std::vector<std::string>& argv, const std::string&) { return pciebench_verb(host, argv); },
      "pcie-bench's DMA experiments on a pcie-bench engine, in its CSV columns: pciebench [-s BDF] TEST "
      "[--size N,...] [--window N,...] [--pattern seq|rand] [--cache hwarm|dwarm|cold|dthrash] [--in-flight N]");
  sh.add_command("inject", [&host](const std::vector<std::string>& argv, const std::string&) {
    return host.injector().command(argv, host.pci().devices());
  }, "fault injection (simulator verb): inject drop-invalidation [--count N] (the IOMMU driver skips its next N "
     "IOTLB flushes), inject unmap [-s BDF] --after TIME (the next dmatest run loses its DMA mappings TIME in), "
     "inject status, inject clear");
  sh.add_command("vm", [&host](const std::vector<std::string>& argv, const std::string&) {
    return vm_verb(host, argv);
  }, "virtual machines with an assigned function: vm create|assign|dma|list|isolation (simulator verb)");
  sh.add_command(
      "cpu", [&host](const std::vector<std::string>& argv, const std::string&) { return cpu_verb(host, argv); },
      "host CPU time in interrupt handlers (simulator verb): cpu stats [--reset]; each irq thread is a CPU of its own");
  sh.add_command(
      "pktgen", [&host](const std::vector<std::string>& argv, const std::string&) { return pktgen_verb(host, argv); },
      "the kernel's packet generator below the stack (simulator verb for /proc/net/pktgen): pktgen DEV --dst MAC "
      "[--size BYTES (with FCS, default 64)] [--count N] [--rate PPS]");
  sh.add_command("iommu", [&host](const std::vector<std::string>& argv, const std::string&) {
    return iommu_verb(host, argv);
  }, "IOMMU state: iommu stats (IOTLB and walk statistics per requester); simulator controls: "
     "iommu stats reset, iommu config [entries=N [ways=M] [policy=lru|random]] (empties the IOTLB) "
     "[pwc=N] (paging-structure cache entries per level, 0 = none)");
  sh.add_command(
      "traffic", [&host](const std::vector<std::string>& argv, const std::string&) { return traffic_verb(host, argv); },
      "the world's traffic generators (simulator verb): traffic start NAME [--rate R] [--size S|imix] [--dst MAC,...] "
      "[--vlan ID] [--flows N] [--count N] [--duration T], traffic stop NAME, traffic stats [NAME]");
  sh.add_command(
      "capture", [&host](const std::vector<std::string>& argv, const std::string&) { return capture_verb(host, argv); },
      "capture frames at a wire end into a pcap file of the run's output folder (simulator verb): "
      "capture start PORT FILE [--snaplen N], capture stop PORT");
  register_pmd(sh, host);
}

}  // namespace iovsim::host
