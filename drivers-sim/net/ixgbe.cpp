// ixgbe: the Intel 82599 and X540 10 GbE PF driver, Linux 6.1
// (drivers/net/ethernet/intel/ixgbe: ixgbe_main.c ixgbe_probe/ixgbe_remove/
// ixgbe_sw_init, ixgbe_sriov.c ixgbe_enable_sriov/__ixgbe_enable_sriov/
// ixgbe_disable_sriov/ixgbe_pci_sriov_configure/ixgbe_vf_reset_msg). Left out: the
// "Multiqueue ..." and "MAC: %d, PHY: %d ... PBA No" probe lines (queue counts and
// NVM contents the model does not have).
#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>

#include "drivers-sim/net/intel.h"

namespace iovsim::host {

namespace {
constexpr unsigned IXGBE_MAX_VFS_DRV_LIMIT = 63;  // IXGBE_MAX_VF_FUNCTIONS - 1

class ixgbe_driver final : public intel_pf_driver {
 public:
  using intel_pf_driver::intel_pf_driver;

  int probe(pci_dev& dev) override {
    enable_device(dev);
    // ixgbe_sw_init(): the legacy parameter is checked against the driver's limit;
    // out of range, the module-wide value becomes 0 (later ports stay silent).
    if (m_max_vfs > 0) {
      info(dev,
           "Enabling SR-IOV VFs using the max_vfs module parameter is deprecated - please use the pci sysfs "
           "interface instead.");
      if (m_max_vfs > IXGBE_MAX_VFS_DRV_LIMIT) {
        m_max_vfs = 0;
        info(dev, "max_vfs parameter out of range. Not assigning any SR-IOV VFs");
      }
    }
    unsigned vfs = 0;
    if (dev.sriov_pos) {
      dev.driver_max_vfs = IXGBE_MAX_VFS_DRV_LIMIT;  // pci_sriov_set_totalvfs()
      vfs = enable_sriov_at_probe(dev);              // before the netdev exists
    }
    const pcie_link_status link = read_link_status(m_env.pci, dev);
    if (link.speed >= 1 && link.speed <= 5) {
      // pcie_print_link_status(): usable bandwidth per lane after encoding, Mb/s.
      static const char* gts[] = {"?", "2.5 GT/s", "5.0 GT/s", "8.0 GT/s", "16.0 GT/s", "32.0 GT/s"};
      static const unsigned mbps[] = {0, 2000, 4000, 7877, 15754, 31508};
      const unsigned total = mbps[link.speed] * link.width;
      info(dev, fmt::format("{}.{:03} Gb/s available PCIe bandwidth ({} PCIe x{} link)", total / 1000, total % 1000,
                            gts[link.speed], link.width));
    }
    const uint64_t mac = read_mac(dev);
    info(dev, format_mac(mac));  // e_dev_info() of the address in printk's MAC format
    netdev& nd = m_env.net.register_netdev(dev, name(), mac, *this);
    if (vfs) m_env.net.info(nd, fmt::format("IOV is enabled with {} VFs", vfs));
    info(dev, "Intel(R) 10 Gigabit Network Connection");
    return 0;
  }

  void remove(pci_dev& dev) override {
    disable_sriov(dev);  // with assigned VFs it warns and leaves them
    m_env.net.unregister_netdev(dev);
    info(dev, "complete");
  }

  int sriov_configure(pci_dev& pf, unsigned num_vfs) override {
    if (num_vfs == 0) return disable_sriov(pf);  // ixgbe_pci_sriov_disable()
    // ixgbe_pci_sriov_enable(): 63 VFs with one traffic class and no macvlans.
    if (num_vfs > IXGBE_MAX_VFS_DRV_LIMIT) return -EPERM;
    // __ixgbe_enable_sriov() speaks before the VFs exist, so the line stands even
    // when pci_enable_sriov() then fails.
    if (netdev* nd = m_env.net.of(pf)) m_env.net.info(*nd, fmt::format("SR-IOV enabled with {} VFs", num_vfs));
    const int err = m_env.pci.enable_sriov(pf, num_vfs);
    if (err) {
      info(pf, fmt::format("Failed to enable PCI sriov: {}", err));
      return err;
    }
    update_vf_carriers(pf);
    return static_cast<int>(num_vfs);
  }

  // The PF's side of a VF's reset over the mailbox (ixgbe_vf_reset_msg()); no MAC
  // was set by the administrator, so the answer is a NACK.
  bool vf_reset(pci_dev& pf, unsigned vf_index) {
    if (netdev* nd = m_env.net.of(pf)) m_env.net.info(*nd, fmt::format("VF Reset msg received from vf {}", vf_index));
    return false;
  }

 protected:
  std::string link_up_text(const netdev&) const override { return "NIC Link is Up 10 Gbps, Flow Control: RX/TX"; }
  bool reports_rss_query() const override { return true; }

 private:
  // ixgbe_enable_sriov() at probe: VFs first, then the message, whose netdev has no
  // name yet.
  unsigned enable_sriov_at_probe(pci_dev& dev) {
    const std::string unnamed = fmt::format("{} {} (unnamed net_device) (uninitialized): ", name(), dev.bdf());
    if (dev.num_vfs) {
      info(dev,
           "Virtual Functions already enabled for this device - Please reload all VF drivers to avoid spoofed "
           "packet errors");
      m_env.log.print(unnamed + fmt::format("SR-IOV enabled with {} VFs", dev.num_vfs));
      return dev.num_vfs;
    }
    if (m_max_vfs == 0) return 0;
    const unsigned n = std::min(m_max_vfs, IXGBE_MAX_VFS_DRV_LIMIT);
    const int err = m_env.pci.enable_sriov(dev, n);
    if (err) {
      m_env.log.print(unnamed + fmt::format("Failed to enable PCI sriov: {}", err));
      return 0;
    }
    m_env.log.print(unnamed + fmt::format("SR-IOV enabled with {} VFs", n));
    return n;
  }

  // ixgbe_disable_sriov(): refused while a VF is assigned (pci_vfs_assigned()),
  // silent otherwise.
  int disable_sriov(pci_dev& pf) {
    if (!pf.num_vfs) return 0;
    if (pf.vfs_assigned()) {
      info(pf, "Unloading driver while VFs are assigned - VFs will not be deallocated");
      return -EPERM;
    }
    m_env.pci.disable_sriov(pf);
    return 0;
  }
};
}  // namespace

const intel_module_info& ixgbe_module() {
  static const intel_module_info m{
      "ixgbe",
      false,
      "Intel(R) 10 Gigabit PCI Express Network Driver",
      "Copyright (c) 1999-2016 Intel Corporation.",
      {{"max_vfs", module_param_def::type::uint,
        "Maximum number of virtual functions to allocate per physical function - default is zero and maximum value "
        "is 63. (Deprecated)"}},
      [](intel_env& env) -> std::unique_ptr<intel_driver> {
        return std::make_unique<ixgbe_driver>(ixgbe_module(), env);
      }};
  return m;
}

bool ixgbe_vf_reset(pci_bus_type& bus, pci_dev& pf, unsigned vf_index) {
  auto* drv = dynamic_cast<ixgbe_driver*>(bus.driver_of(pf));
  return drv ? drv->vf_reset(pf, vf_index) : false;
}

}  // namespace iovsim::host
