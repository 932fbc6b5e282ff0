// igb: Intel 82576, I350 1 GbE PF driver (drivers/net/ethernet/intel/igb/igb_main.c).
#include "drivers-sim/net/intel.h"

namespace iovsim::host {

const intel_traits& igb_traits() {
  // igb_init_module banner and copyright; at most 7 VFs per PF (igb_probe_vfs,
  // pci_sriov_set_totalvfs); igb_watchdog_task's link message.
  static const intel_traits t{"igb", false, "Intel(R) Gigabit Ethernet Network Driver",
                              "Copyright (c) 2007-2014 Intel Corporation.", 7,
                              "igb: {} NIC Link is Up 1000 Mbps Full Duplex, Flow Control: RX/TX",
                              "Intel(R) Gigabit Ethernet Network Connection"};
  return t;
}

}  // namespace iovsim::host
