// busybox devmem: read and write physical memory through /dev/mem.
#include <fmt/format.h>

#include <cerrno>

#include "drivers-sim/userland/tools.h"
#include "models/kit/units.h"

namespace iovsim::host {

void register_busybox(shell& sh, syscalls& sys) {
  sh.add_command("devmem", [&sys](const std::vector<std::string>& argv, const std::string&) {
    // ADDRESS [WIDTH (8/16/32/64 bits, default 32) [VALUE]].
    uint64_t addr = 0, width = 32, value = 0;
    if (argv.size() < 2 || !kit::parse_u64(argv[1], addr) || (argv.size() > 2 && !kit::parse_u64(argv[2], width)) ||
        (width != 8 && width != 16 && width != 32 && width != 64) ||
        (argv.size() > 3 && !kit::parse_u64(argv[3], value)) || argv.size() > 4)
      return cmd_result{1, "", "BusyBox devmem: usage: devmem ADDRESS [WIDTH [VALUE]]\n", "EINVAL"};
    const unsigned bytes = static_cast<unsigned>(width / 8);
    uint64_t v = value;
    if (sys.devmem(addr, &v, bytes, argv.size() == 4) != 0)
      return cmd_result{1, "", fmt::format("devmem: 0x{:x} is not RAM\n", addr), "EFAULT"};
    if (argv.size() == 4) return cmd_result{};
    return cmd_result{0, fmt::format("0x{:0{}X}\n", v, bytes * 2), "", ""};
  }, "read or write host physical memory: devmem ADDRESS [WIDTH [VALUE]] (busybox)");
}

}  // namespace iovsim::host
