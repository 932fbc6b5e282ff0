// What the Intel NIC drivers share (Linux drivers/net/ethernet/intel): enabling the
// device, the permanent MAC from RAL0/RAH0, netdev registration, carrier after
// autonegotiation, the PF's view of its VFs, and the module around each driver.
// Each driver's own behaviour and words are in its file: ixgbe.cpp (82599, X540),
// igb.cpp (82576, I350), ixgbevf.cpp and igbvf.cpp, with the sources they follow.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <systemc>
#include <vector>

#include "drivers-sim/iommu/dma_api.h"
#include "drivers-sim/kernel/irq.h"
#include "drivers-sim/kernel/module.h"
#include "drivers-sim/kernel/page_alloc.h"
#include "drivers-sim/net/ixgbe_ring.h"
#include "drivers-sim/net/netdev.h"
#include "drivers-sim/pci/pci_driver.h"
#include "models/kit/param.h"
#include "profile.pb.h"

namespace iovsim::host {

// What the drivers use of the kernel, and their parameters.
struct intel_env {
  pci_core& pci;
  pci_bus_type& bus;
  net_core& net;
  kernel_log& log;
  const pb::ProfileLibrary& profiles;

  kit::scope scope{"host", "host"};
  // 1000BASE-T and 10GBASE-T autonegotiation and link training take seconds (IEEE
  // 802.3 clauses 28/40/55); Intel drivers report link 1-3 s after ifup.
  kit::param<sc_core::sc_time> link_up_time{scope, "link_up_time", sc_core::sc_time(2, sc_core::SC_SEC),
                                            "time from `ip link set up` to carrier on a PF"};
  // The data path's memory, mappings and interrupts (set by the kernel after
  // construction; null in tests that only enumerate).
  dma_api* dma = nullptr;
  page_allocator* pages = nullptr;
  irq_core* irq = nullptr;
  ixgbe_dp_params dp{};
};

class intel_driver;
using intel_driver_factory = std::unique_ptr<intel_driver> (*)(intel_env& env);

// What a module is: its name, banner and parameters, and the driver it registers.
struct intel_module_info {
  std::string name;
  bool vf = false;
  std::string description;  // module banner (*_init_module)
  std::string copyright;
  std::vector<module_param_def> params;
  intel_driver_factory make;
};

// A PCI driver of the family: a pci_driver and the netdev_ops of its interfaces.
class intel_driver : public pci_driver, public netdev_ops {
 public:
  intel_driver(const intel_module_info& info, intel_env& env);
  ~intel_driver() override;
  const std::string& name() const override { return m_info.name; }
  const std::vector<pci_device_id>& id_table() const override { return m_ids; }
  // The module's parameters, as they parsed.
  virtual void set_params(const std::map<std::string, std::string>& /*params*/) {}

 protected:
  // dev_info / dev_warn: "<driver> <bdf>: text".
  void info(const pci_dev& dev, const std::string& text);
  // pci_enable_device_mem(): memory decoding and bus mastering, with the kernel's
  // line when memory decoding was off.
  void enable_device(pci_dev& dev);
  // The permanent MAC in receive address register 0, through BAR0.
  uint64_t read_mac(const pci_dev& dev);
  // The data path of a netdev (ixgbe_ring.h), made on first use; null when the
  // kernel gave the drivers no DMA API (enumeration-only tests).
  ixgbe_datapath* datapath(netdev& nd, bool vf);
  void drop_datapath(const pci_dev& dev);
  ixgbe_datapath* datapath_of(const pci_dev& dev) const;
  int start_xmit(netdev& nd, const uint8_t* frame, uint32_t len) override;
  std::vector<std::pair<std::string, uint64_t>> ethtool_stats(netdev& nd) override;
  drvinfo get_drvinfo(netdev& nd) override;
  // The MMIO base of BAR0.
  uint64_t bar0(const pci_dev& dev) const { return dev.bars[0].start; }

  const intel_module_info& m_info;
  intel_env& m_env;
  std::vector<pci_device_id> m_ids;
  // Timers spawned by this driver outlive it across an unload or a reboot: they check this.
  std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
  std::map<const pci_dev*, std::unique_ptr<ixgbe_datapath>> m_datapaths;
};

// A PF driver: carrier after link training, VF carriers following the PF's.
class intel_pf_driver : public intel_driver {
 public:
  using intel_driver::intel_driver;
  bool has_sriov_configure() const override { return true; }
  // `max_vfs`, the legacy module parameter of ixgbe and igb (module_param(max_vfs,
  // uint, 0)): module-wide, so a driver may change it for the ports after this one.
  // kernel/params.c has already refused a value that is not a number.
  void set_params(const std::map<std::string, std::string>& params) override;
  int open(netdev& nd) override;
  int stop(netdev& nd) override;
  std::vector<vf_link_info> vf_config(netdev& nd) override;

 protected:
  // The watchdog's link message once the link trained ("NIC Link is Up ...").
  virtual std::string link_up_text(const netdev& nd) const = 0;
  // Whether ndo_get_vf_config reports IFLA_VF_RSS_QUERY_EN (ixgbe does, igb not).
  virtual bool reports_rss_query() const { return false; }
  // The data path under ndo_open / ndo_stop (ixgbe: rings, vectors, the mailbox
  // interrupt); 0 or -errno. igb has none yet: its interfaces carry no frames.
  virtual int datapath_open(netdev& /*nd*/) { return 0; }
  virtual void datapath_stop(netdev& /*nd*/) {}
  // The watchdog's view of the PHY (LINKS.LINK_UP for ixgbe); igb's is always up.
  virtual bool phy_link_up(const netdev& /*nd*/) { return true; }
  // The watchdog saw the link come up or go down (ixgbe pings every VF then).
  virtual void link_changed(netdev& /*nd*/, bool /*up*/) {}
  void update_vf_carriers(pci_dev& pf);
  void schedule_carrier(netdev& nd);

  unsigned m_max_vfs = 0;
};

// A VF driver: carrier follows the PF's.
class intel_vf_driver : public intel_driver {
 public:
  using intel_driver::intel_driver;
  void remove(pci_dev& dev) override { m_env.net.unregister_netdev(dev); }
  int open(netdev& nd) override;
  int stop(netdev& nd) override;

 protected:
  // Whether the PF answers the VF's mailbox: its interface is up, so its interrupts
  // are requested (ixgbe_open / igb_open request them).
  bool pf_answers(const pci_dev& vf) const;
};

// The module: banner, parameters, the driver registered with the PCI bus while loaded.
class intel_module : public kernel_module {
 public:
  intel_module(const intel_module_info& info, intel_env& env) : m_info(info), m_env(env) {}
  std::string name() const override { return m_info.name; }
  std::vector<module_param_def> params() const override { return m_info.params; }
  int init(const std::map<std::string, std::string>& params) override;
  void exit() override;
  bool matches_alias(const std::string& modalias) const override;

 private:
  const intel_module_info& m_info;
  intel_env& m_env;
  std::unique_ptr<intel_driver> m_driver;
};

// The driver files' modules.
const intel_module_info& ixgbe_module();
const intel_module_info& igb_module();
const intel_module_info& ixgbevf_module();
const intel_module_info& igbvf_module();

// Installs the Intel NIC modules.
void install_net_modules(module_loader& loader, intel_env& env);

// A PCIe link's negotiated speed and width from the Link Status register.
struct pcie_link_status {
  unsigned speed = 0;  // 1..5: 2.5 .. 32 GT/s
  unsigned width = 0;
};
pcie_link_status read_link_status(pci_core& pci, const pci_dev& dev);
// pcie_print_link_status() (drivers/pci/pci.c __pcie_print_link_status): the
// bandwidth the device is capable of (LnkCap) against what the narrowest link on
// the way to the root gives (LnkSta, pcie_bandwidth_available()); the line Linux
// logs, without its "<driver> <bdf>: " prefix ("" when the device has no link).
std::string pcie_link_status_line(pci_core& pci, const pci_dev& dev);

}  // namespace iovsim::host
