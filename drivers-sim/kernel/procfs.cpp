#include "drivers-sim/kernel/procfs.h"

#include <fmt/format.h>

namespace iovsim::host {

void mount_procfs(kernfs& fs, const kernel_params& params, const module_loader& modules) {
  fs.mount("/proc", [&params, &modules] {
    std::vector<kernfs_node> e;
    e.push_back(kernfs_node::file("cmdline", [&params] { return fs_result{0, params.cmdline + "\n"}; }));
    // kernel/module/procfs.c m_show(): name, size, references, users, state, address.
    // iovsim's modules have no image: size 0, address 0.
    e.push_back(kernfs_node::file("modules", [&modules] {
      std::string out;
      for (const std::string& m : modules.loaded_modules()) out += fmt::format("{} 0 0 - Live 0x{:016x}\n", m, 0);
      return fs_result{0, out};
    }));
    return e;
  });
}

}  // namespace iovsim::host
