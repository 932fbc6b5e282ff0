// igb: the Intel 82576 and I350 1 GbE PF driver, Linux 6.1
// (drivers/net/ethernet/intel/igb/igb_main.c: igb_probe, igb_sw_init, igb_probe_vfs,
// igb_enable_sriov, igb_disable_sriov, igb_pci_sriov_configure, igb_remove).
// Left out: the "PBA No" and "Using MSI-X interrupts" probe lines (NVM contents and
// queue counts the model does not have).
#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>

#include "drivers-sim/net/intel.h"

namespace iovsim::host {

namespace {
constexpr unsigned IGB_MAX_VFS = 7;  // igb_enable_sriov(), igb_probe_vfs()

class igb_driver final : public intel_pf_driver {
 public:
  using intel_pf_driver::intel_pf_driver;

  int probe(pci_dev& dev) override {
    enable_device(dev);
    if (dev.sriov_pos) {
      // igb_sw_init(): clamp to 7 (module-wide), then the deprecation warning.
      if (m_max_vfs > IGB_MAX_VFS) {
        info(dev, fmt::format("Maximum of {} VFs per PF, using max", IGB_MAX_VFS));
        m_max_vfs = IGB_MAX_VFS;
      }
      if (m_max_vfs)
        info(dev,
             "Enabling SR-IOV VFs using the module parameter is deprecated - please use the pci sysfs "
             "interface.");
      // igb_probe_vfs(): before the netdev is registered.
      dev.driver_max_vfs = IGB_MAX_VFS;  // pci_sriov_set_totalvfs()
      enable_sriov(dev, m_max_vfs);
    }
    const uint64_t mac = read_mac(dev);
    netdev& nd = m_env.net.register_netdev(dev, name(), mac, *this);
    info(dev, "Intel(R) Gigabit Ethernet Network Connection");
    // "(PCIe:<speed>:<width>)": igb knows 2.5 and 5 GT/s, x1, x2 and x4 (igb_probe).
    const pcie_link_status link = read_link_status(m_env.pci, dev);
    const char* speed = link.speed == 1 ? "2.5Gb/s" : link.speed == 2 ? "5.0Gb/s" : "unknown";
    const std::string width =
        link.width == 4 || link.width == 2 || link.width == 1 ? fmt::format("Width x{}", link.width) : "unknown";
    m_env.net.info(nd, fmt::format("(PCIe:{}:{}) {}", speed, width, format_mac(mac)));  // netdev_info
    return 0;
  }

  void remove(pci_dev& dev) override {
    disable_sriov(dev);  // with assigned VFs it warns and leaves them
    m_env.net.unregister_netdev(dev);
  }

  int sriov_configure(pci_dev& pf, unsigned num_vfs) override {
    if (num_vfs == 0) return disable_sriov(pf);  // igb_pci_disable_sriov()
    const int err = enable_sriov(pf, num_vfs);   // igb_pci_enable_sriov()
    if (err) return err;
    update_vf_carriers(pf);
    return static_cast<int>(num_vfs);
  }

 protected:
  std::string link_up_text(const netdev& nd) const override {
    return fmt::format("igb: {} NIC Link is Up 1000 Mbps Full Duplex, Flow Control: RX/TX", nd.name);
  }

 private:
  // igb_enable_sriov(): at most 7; VFs already there are adopted; the count is
  // announced once the VFs exist.
  int enable_sriov(pci_dev& pf, unsigned num_vfs) {
    if (num_vfs > IGB_MAX_VFS) return -EPERM;
    if (num_vfs == 0) return 0;
    if (pf.num_vfs) {
      info(pf, fmt::format("{} pre-allocated VFs found - override max_vfs setting of {}", pf.num_vfs, m_max_vfs));
      info(pf, fmt::format("{} VFs allocated", pf.num_vfs));
      return 0;
    }
    const int err = m_env.pci.enable_sriov(pf, num_vfs);
    if (err) return err;
    info(pf, fmt::format("{} VFs allocated", num_vfs));
    return 0;
  }

  // igb_disable_sriov(): refused while a VF is assigned; otherwise the VFs go, the
  // driver sleeps 500 + 100 ms around resetting IOVCTL, and says so.
  int disable_sriov(pci_dev& pf) {
    if (!pf.num_vfs) return 0;
    if (pf.vfs_assigned()) {
      info(pf, "Cannot deallocate SR-IOV virtual functions while they are assigned - VFs will not be deallocated");
      return -EPERM;
    }
    m_env.pci.disable_sriov(pf);
    sc_core::wait(sc_core::sc_time(600, sc_core::SC_MS));  // msleep(500); ... msleep(100)
    info(pf, "IOV Disabled");
    return 0;
  }
};
}  // namespace

const intel_module_info& igb_module() {
  static const intel_module_info m{
      "igb",
      false,
      "Intel(R) Gigabit Ethernet Network Driver",
      "Copyright (c) 2007-2014 Intel Corporation.",
      {{"max_vfs", module_param_def::type::uint,
        "Maximum number of virtual functions to allocate per physical function"}},
      [](intel_env& env) -> std::unique_ptr<intel_driver> { return std::make_unique<igb_driver>(igb_module(), env); }};
  return m;
}

}  // namespace iovsim::host
