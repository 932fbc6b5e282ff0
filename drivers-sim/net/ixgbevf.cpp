// ixgbevf: the 82599/X540 VF driver, Linux 6.1 (drivers/net/ethernet/intel/ixgbevf/
// ixgbevf_main.c: ixgbevf_probe, ixgbevf_sw_init). The VF resets through the PF's
// mailbox; an ixgbe PF whose interface is down does not answer (its interrupts are
// requested in ixgbe_open), and one that is up logs the reset and, with no MAC set
// by the administrator, answers NACK: the VF then invents a MAC.
#include <fmt/format.h>

#include "drivers-sim/net/intel.h"
#include "drivers-sim/net/ixgbe_mbx.h"

namespace iovsim::host {

namespace {
class ixgbevf_driver final : public intel_vf_driver {
 public:
  using intel_vf_driver::intel_vf_driver;

  int probe(pci_dev& dev) override {
    enable_device(dev);
    // ixgbevf_sw_init(): reset_hw over the mailbox, then the MAC the PF handed out.
    uint64_t mac = 0;
    ixgbevf_mailbox mbx(m_env.pci.hw(), bar0(dev));
    const ixgbevf_mailbox::result r = dev.bars[0].assigned ? mbx.reset_hw(mac) : ixgbevf_mailbox::result::reset_failed;
    if (r == ixgbevf_mailbox::result::reset_failed || r == ixgbevf_mailbox::result::timeout)
      info(dev, "PF still in reset state.  Is the PF interface up?");
    else if (!mac)
      info(dev, "MAC address not assigned by administrator.");
    if (!mac) {
      info(dev, "Assigning random MAC address");
      mac = m_env.net.random_mac();
    }
    netdev& nd = m_env.net.register_netdev(dev, name(), mac, *this);
    nd.rx_csum_offload = true;  // ixgbevf_probe(): NETIF_F_RXCSUM
    nd.max_mtu = 9728 - 14 - 4;  // IXGBE_MAX_JUMBO_FRAME_SIZE - (ETH_HLEN + ETH_FCS_LEN)
    // After register_netdev: the MAC, the board (ixgbevf_pci_tbl: board_82599_vf = 1,
    // board_X540_vf = 2) and its name.
    info(dev, format_mac(nd.mac));
    const bool x540 = dev.device == 0x1515;  // IXGBE_DEV_ID_X540_VF
    info(dev, fmt::format("MAC: {}", x540 ? 2 : 1));
    info(dev, x540 ? "Intel(R) X540 Virtual Function" : "Intel(R) 82599 Virtual Function");
    return 0;
  }

  void remove(pci_dev& dev) override {
    drop_datapath(dev);
    intel_vf_driver::remove(dev);
  }

  // ixgbevf_open(): rings and vectors (one queue pair: no API negotiation, so the PF
  // grants the default single queue), then ixgbevf_up_complete() tells the PF the MAC
  // (set_rar: SET_MAC_ADDR), so the switch sends the VF its frames.
  int open(netdev& nd) override {
    if (ixgbe_datapath* dp = datapath(nd, true)) {
      if (int err = dp->up(0, 1)) return err;
      ixgbevf_mailbox mbx(m_env.pci.hw(), bar0(*nd.dev));
      mbx.set_mac(nd.mac);
    }
    return intel_vf_driver::open(nd);
  }

  // ixgbevf_change_mtu(): the PF is asked for large frames (SET_LPE, issue 11: not
  // sent yet), a running interface is reinitialised with buffers for the new size.
  int change_mtu(netdev& nd, unsigned mtu) override {
    ixgbe_datapath* dp = datapath_of(*nd.dev);
    const bool running = nd.admin_up && dp && dp->is_up();
    if (running) dp->down();
    nd.mtu = mtu;
    return running ? dp->up(0, 1) : 0;
  }

  int stop(netdev& nd) override {
    if (ixgbe_datapath* dp = datapath_of(*nd.dev)) dp->down();
    return intel_vf_driver::stop(nd);
  }
};
}  // namespace

const intel_module_info& ixgbevf_module() {
  static const intel_module_info m{"ixgbevf",
                                   true,
                                   "Intel(R) 10 Gigabit PCI Express Virtual Function Network Driver",
                                   "Copyright (c) 2009 - 2018 Intel Corporation.",
                                   {},
                                   [](intel_env& env) -> std::unique_ptr<intel_driver> {
                                     return std::make_unique<ixgbevf_driver>(ixgbevf_module(), env);
                                   }};
  return m;
}

}  // namespace iovsim::host
