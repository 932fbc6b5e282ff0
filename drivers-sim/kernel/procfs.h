// /proc (fs/proc): the kernel command line and the loaded modules.
#pragma once

#include "drivers-sim/kernel/kernel.h"
#include "drivers-sim/kernel/kernfs.h"
#include "drivers-sim/kernel/module.h"

namespace iovsim::host {

void mount_procfs(kernfs& fs, const kernel_params& params, const module_loader& modules);

}  // namespace iovsim::host
