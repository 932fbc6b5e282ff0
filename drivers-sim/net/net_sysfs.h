// /sys/class/net (net/core/net-sysfs.c): a directory per interface with its
// attributes and the `device` link, and the `net` directory in each PCI function's
// sysfs directory that names its interface.
#pragma once

#include "drivers-sim/kernel/kernfs.h"
#include "drivers-sim/net/netdev.h"
#include "drivers-sim/pci/pci_sysfs.h"

namespace iovsim::host {

void mount_net_sysfs(kernfs& fs, pci_sysfs& pci, net_core& net);

}  // namespace iovsim::host
