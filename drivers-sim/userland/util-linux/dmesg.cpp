// util-linux's dmesg: the kernel ring buffer through syslog(2).
#include "drivers-sim/userland/tools.h"

namespace iovsim::host {

void register_util_linux(shell& sh, syscalls& sys) {
  sh.add_command("dmesg", [&sys](const std::vector<std::string>&, const std::string&) {
    std::string out;
    for (const auto& l : sys.syslog()) out += l + "\n";
    return cmd_result{0, out, "", ""};
  }, "print the kernel log");
}

}  // namespace iovsim::host
