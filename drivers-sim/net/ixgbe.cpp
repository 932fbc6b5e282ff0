// ixgbe: Intel 82599, X540 (and X520, X550) 10 GbE PF driver
// (drivers/net/ethernet/intel/ixgbe: ixgbe_main.c, ixgbe_sriov.c).
#include "drivers-sim/net/intel.h"

namespace iovsim::host {

const intel_traits& ixgbe_traits() {
  // ixgbe_init_module banner and copyright; IXGBE_MAX_VFS_DRV_LIMIT = 63
  // (pci_sriov_set_totalvfs in ixgbe_probe); ixgbe_watchdog_link_is_up.
  static const intel_traits t{"ixgbe", false, "Intel(R) 10 Gigabit PCI Express Network Driver",
                              "Copyright (c) 1999-2016 Intel Corporation.", 63,
                              "NIC Link is Up 10 Gbps, Flow Control: RX/TX", "Intel(R) 10 Gigabit Network Connection"};
  return t;
}

}  // namespace iovsim::host
