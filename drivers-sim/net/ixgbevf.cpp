// ixgbevf: the 82599/X540 VF driver (drivers/net/ethernet/intel/ixgbevf/ixgbevf_main.c).
#include "drivers-sim/net/intel.h"

namespace iovsim::host {

const intel_traits& ixgbevf_traits() {
  static const intel_traits t{"ixgbevf", true, "Intel(R) 10 Gigabit PCI Express Virtual Function Network Driver",
                              "Copyright (c) 2009 - 2018 Intel Corporation.", 0, "NIC Link is Up 10 Gbps",
                              "Intel(R) Virtual Function"};
  return t;
}

}  // namespace iovsim::host
