// pciutils' linux-sysfs access method (lib/sysfs.c): what lspci knows of each function
// comes from /sys/bus/pci/devices/<bdf>/ (config, resource, driver, modalias), names
// from pci.ids and the modules that could drive it from kmod's modules.alias.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "drivers-sim/kernel/syscalls.h"
#include "drivers-sim/userland/lspci/lspci.h"
#include "drivers-sim/userland/lspci/pci_ids.h"

namespace iovsim::host {

// Every function, or only those `which` accepts (by "0000:03:00.1"): the others'
// files are not read at all.
std::vector<lspci_device> read_pci_devices(syscalls& sys, const pci_ids& ids,
                                           const std::function<bool(const std::string& bdf)>& which = {});

}  // namespace iovsim::host
