// igbvf: the 82576/I350 VF driver, Linux 6.1 (drivers/net/ethernet/intel/igbvf/
// netdev.c: igbvf_probe, igbvf_print_device_info). e1000_reset_hw_vf() counts
// anything but RESET|ACK as a failure, and an igb PF without a MAC set by the
// administrator answers NACK (a PF that is down does not answer at all): either way
// the driver reports the PF in reset and invents a MAC.
#include <fmt/format.h>

#include "drivers-sim/net/intel.h"

namespace iovsim::host {

namespace {
class igbvf_driver final : public intel_vf_driver {
 public:
  using intel_vf_driver::intel_vf_driver;

  int probe(pci_dev& dev) override {
    enable_device(dev);
    info(dev, "PF still in reset state. Is the PF interface up?");
    info(dev, "Assigning random MAC address.");
    netdev& nd = m_env.net.register_netdev(dev, name(), m_env.net.random_mac(), *this);
    // igbvf_print_device_info(): the board by VF device ID, then the address.
    info(dev, dev.device == 0x1520 ? "Intel(R) I350 Virtual Function" : "Intel(R) 82576 Virtual Function");
    info(dev, "Address: " + format_mac(nd.mac));
    return 0;
  }
};
}  // namespace

const intel_module_info& igbvf_module() {
  static const intel_module_info m{"igbvf",
                                   true,
                                   "Intel(R) Gigabit Virtual Function Network Driver",
                                   "Copyright (c) 2009 - 2012 Intel Corporation.",
                                   {},
                                   [](intel_env& env) -> std::unique_ptr<intel_driver> {
                                     return std::make_unique<igbvf_driver>(igbvf_module(), env);
                                   }};
  return m;
}

}  // namespace iovsim::host
