// igbvf: the 82576/I350 VF driver (drivers/net/ethernet/intel/igbvf/netdev.c).
#include "drivers-sim/net/intel.h"

namespace iovsim::host {

const intel_traits& igbvf_traits() {
  static const intel_traits t{"igbvf", true, "Intel(R) Gigabit Virtual Function Network Driver",
                              "Copyright (c) 2009 - 2012 Intel Corporation.", 0, "Link is Up 1000 Mbps Full Duplex",
                              "Intel(R) Virtual Function"};
  return t;
}

}  // namespace iovsim::host
