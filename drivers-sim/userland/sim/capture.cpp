// `capture start PORT FILE [--snaplen N]` / `capture stop PORT`: a tap at a wire end
// ("a:nic0:1", "traffic:gen0") writing the frames it sends and receives, with their
// simulated times, into a pcap file in the run's output folder. tcpdump's job on a
// real port, done on the wire so it sees what the port does without its driver.
#include <fmt/format.h>

#include "drivers-sim/userland/sim/sim.h"
#include "models/kit/units.h"
#include "models/net/pcap.h"

namespace iovsim::host {

namespace {
const char* const USAGE =
    "usage: capture start PORT FILE [--snaplen N]   (PORT: MACHINE:ENDPOINT[:PORT] or traffic:NAME; FILE: x.pcap)\n"
    "       capture stop PORT\n";

cmd_result fail(const std::string& message) { return cmd_result{2, "", "capture: " + message + "\n", "EINVAL"}; }
}  // namespace

cmd_result capture_verb(sim_host& host, const std::vector<std::string>& argv) {
  world_access* w = host.world();
  const bool start = argv.size() >= 4 && argv[1] == "start";
  const bool stop = argv.size() == 3 && argv[1] == "stop";
  if (!start && !stop) return cmd_result{2, "", USAGE, "EINVAL"};
  if (!w) return fail("this machine is on no wire");
  const std::string& end = argv[2];
  if (stop) {
    uint64_t frames = 0;
    std::string path;
    const std::string error = w->stop_capture(end, frames, path);
    if (!error.empty()) return fail(error);
    return cmd_result{0, fmt::format("capture: {}: {} frames written to {}\n", end, frames, path), "", ""};
  }
  uint64_t snaplen = net::PCAP_MAX_SNAPLEN;
  if (argv.size() == 6 && argv[4] == "--snaplen") {
    if (!kit::parse_u64(argv[5], snaplen) || snaplen < 1 || snaplen > net::PCAP_MAX_SNAPLEN)
      return fail(fmt::format("--snaplen \"{}\" is not 1..{}", argv[5], net::PCAP_MAX_SNAPLEN));
  } else if (argv.size() != 4) {
    return cmd_result{2, "", USAGE, "EINVAL"};
  }
  const std::string error = w->start_capture(end, argv[3], static_cast<uint32_t>(snaplen));
  if (!error.empty()) return fail(error);
  return cmd_result{0, fmt::format("capture: {}: capturing into {}\n", end, argv[3]), "", ""};
}

}  // namespace iovsim::host
