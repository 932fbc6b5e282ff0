// What the Intel NIC drivers share (Linux drivers/net/ethernet/intel: ixgbe, igb,
// ixgbevf, igbvf): PF probe (pci_enable_device, link status, the permanent MAC from
// RAL0/RAH0, the netdev, the legacy `max_vfs` parameter), SR-IOV enable/disable
// through sriov_configure, link up after autonegotiation, VF probe with a random MAC
// until the PF hands one out. What differs between the drivers is intel_traits,
// one per driver file (ixgbe.cpp, igb.cpp, ixgbevf.cpp, igbvf.cpp).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <systemc>
#include <vector>

#include "drivers-sim/kernel/module.h"
#include "drivers-sim/net/netdev.h"
#include "drivers-sim/pci/pci_driver.h"
#include "models/kit/param.h"
#include "profile.pb.h"

namespace iovsim::host {

// Values from the Linux sources named above.
struct intel_traits {
  std::string name;
  bool vf = false;
  std::string description;      // module banner (*_init_module)
  std::string copyright;
  unsigned max_vfs_limit = 0;   // the driver's cap on VFs per PF (pci_sriov_set_totalvfs)
  std::string link_up_text;     // watchdog's "NIC Link is Up 10 Gbps, Flow Control: RX/TX"
  std::string connection;       // last probe line
};

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
};

// The PF driver: probe, remove, sriov_configure, ndo_open/stop.
class intel_pf_driver : public pci_driver, public netdev_ops {
 public:
  intel_pf_driver(const intel_traits& traits, intel_env& env);
  ~intel_pf_driver() override;
  // The legacy module parameter, applied at every probe while the module is loaded.
  void set_max_vfs(const std::string& value) { m_max_vfs = value; }

  const std::string& name() const override { return m_traits.name; }
  const std::vector<pci_device_id>& id_table() const override { return m_ids; }
  int probe(pci_dev& dev) override;
  void remove(pci_dev& dev) override;
  bool has_sriov_configure() const override { return true; }
  int sriov_configure(pci_dev& dev, unsigned num_vfs) override;

  int open(netdev& nd) override;
  int stop(netdev& nd) override;
  std::vector<vf_link_info> vf_config(netdev& nd) override;

 private:
  int enable_vfs(pci_dev& pf, unsigned n);
  void update_vf_carriers(pci_dev& pf);
  void schedule_carrier(netdev& nd);
  void info(const pci_dev& dev, const std::string& text);

  const intel_traits& m_traits;
  intel_env& m_env;
  std::vector<pci_device_id> m_ids;
  std::string m_max_vfs;
  // Timers spawned by this driver outlive it across an unload or a reboot: they check this.
  std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
};

// The VF driver: probe with a random MAC, carrier from the PF's.
class intel_vf_driver : public pci_driver, public netdev_ops {
 public:
  intel_vf_driver(const intel_traits& traits, intel_env& env);

  const std::string& name() const override { return m_traits.name; }
  const std::vector<pci_device_id>& id_table() const override { return m_ids; }
  int probe(pci_dev& dev) override;
  void remove(pci_dev& dev) override;

  int open(netdev& nd) override;
  int stop(netdev& nd) override;

 private:
  const intel_traits& m_traits;
  intel_env& m_env;
  std::vector<pci_device_id> m_ids;
};

// The module: banner, parameters, the driver registered with the PCI bus while loaded.
class intel_module : public kernel_module {
 public:
  intel_module(const intel_traits& traits, intel_env& env);
  std::string name() const override { return m_traits.name; }
  std::vector<module_param_def> params() const override;
  int init(const std::map<std::string, std::string>& params) override;
  void exit() override;
  bool matches_alias(const std::string& modalias) const override;

 private:
  const intel_traits& m_traits;
  intel_env& m_env;
  std::unique_ptr<intel_pf_driver> m_pf;
  std::unique_ptr<intel_vf_driver> m_vf;
};

// The driver files' traits.
const intel_traits& ixgbe_traits();
const intel_traits& igb_traits();
const intel_traits& ixgbevf_traits();
const intel_traits& igbvf_traits();

// Installs the Intel NIC modules (net/modules.cpp lists them).
void install_net_modules(module_loader& loader, intel_env& env);

}  // namespace iovsim::host
