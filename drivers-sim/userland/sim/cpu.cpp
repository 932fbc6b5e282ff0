// `cpu stats [--reset]`: the host CPU time each interrupt thread spent (entry, the
// handler, and for a NIC queue vector its NAPI polls: driver, DMA API and stack costs
// and the MMIO it waited for), since boot or the last reset. Linux has no such file
// (/proc/interrupts counts, /proc/stat adds softirq time per CPU); this is what an
// architect reads to see the host's cost per packet.
#include <fmt/format.h>

#include "drivers-sim/userland/sim/sim.h"

namespace iovsim::host {

cmd_result cpu_verb(sim_host& host, const std::vector<std::string>& argv) {
  const bool reset = argv.size() == 3 && argv[2] == "--reset";
  if (argv.size() < 2 || argv[1] != "stats" || (argv.size() == 3 && !reset) || argv.size() > 3)
    return cmd_result{2, "", "usage: cpu stats [--reset]\n", "EINVAL"};
  irq_core& irq = host.irq();
  if (reset) {
    irq.reset_stats();
    return cmd_result{};
  }
  const double window = (sc_core::sc_time_stamp() - irq.stats_since()).to_seconds();
  std::string out =
      fmt::format("{:<6} {:<22} {:>10} {:>10} {:>14} {:>7}\n", "vector", "irq", "messages", "runs", "busy_us", "util");
  uint64_t messages = 0, runs = 0;
  double total = 0;
  for (const irq_core::irq_info& i : irq.irqs()) {
    const double busy = i.busy.to_seconds();
    out += fmt::format("0x{:02x}   {:<22} {:>10} {:>10} {:>14.3f} {:>6.1f}%\n", i.vector, i.name, i.count, i.runs,
                       busy * 1e6, window > 0 ? 100.0 * busy / window : 0.0);
    messages += i.count;
    runs += i.runs;
    total += busy;
  }
  // The sum over the threads: a port's cost whichever queue RSS picked for a flow.
  out += fmt::format("{:<6} {:<22} {:>10} {:>10} {:>14.3f} {:>6.1f}%\n", "total", "", messages, runs, total * 1e6,
                     window > 0 ? 100.0 * total / window : 0.0);
  out += fmt::format("window {:.6f} s, spurious {}\n", window, irq.spurious());
  return cmd_result{0, out, "", ""};
}

}  // namespace iovsim::host
