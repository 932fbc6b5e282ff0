// The platform firmware's PCI initialisation, run before the kernel: depth-first
// bus numbering, BAR sizing and assignment, bridge windows. Its choices are the
// scenario's `firmware` section: whether it reserves bus numbers for VFs and
// whether it assigns the SR-IOV VF BARs (a BIOS without SR-IOV support does not:
// PHENOMENA A3, A4).
#pragma once

#include "platform/platform.h"
#include "scenario.pb.h"

namespace iovsim::host {

struct bios_summary {
  unsigned last_bus = 0;
  unsigned functions = 0;
  unsigned bars_assigned = 0;
  unsigned iov_bars_left = 0;     // VF BARs left unassigned
};

bios_summary run_bios(platform::host_bus& bus, const pb::Firmware& firmware);

}  // namespace iovsim::host
