// Kernel modules, the driver core and the Intel NIC drivers' behaviour that users
// see: modprobe/rmmod with parameters and blacklists, binding by device ID,
// netdev naming, link state, the legacy `max_vfs` parameter and each driver's
// sriov_configure limits. Driver facts are from Linux drivers/net/ethernet/intel
// (ixgbe_main.c, ixgbe_sriov.c, igb_main.c, ixgbevf_main.c, igbvf/netdev.c).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <systemc>
#include <vector>

#include "drivers-sim/kernel/kernel.h"
#include "drivers-sim/pci/pci.h"
#include "models/kit/rng.h"
#include "profile.pb.h"

namespace iovsim::host {

struct netdev {
  int ifindex = 0;
  std::string name;
  uint64_t mac = 0;             // 48 bits, first byte in bits 47:40
  bool admin_up = false;
  bool carrier = false;
  unsigned mtu = 1500;
  pci_dev* dev = nullptr;
  std::string driver;
};

// What differs between the drivers (values from the Linux sources named above).
struct driver_traits {
  std::string name;
  bool vf = false;
  std::string description;      // module banner
  std::string copyright;
  unsigned max_vfs_limit = 0;   // the driver's cap on VFs per PF (pci_sriov_set_totalvfs)
  std::string link_up_text;     // "NIC Link is Up 10 Gbps, Flow Control: RX/TX"
  std::string connection;       // last probe line
};

const driver_traits* find_driver_traits(const std::string& name);

class driver_core {
 public:
  driver_core(pci_core& pci, kernel_log& log, const pb::ProfileLibrary& profiles, uint64_t seed);

  // Reads /etc/modprobe.d files: `blacklist NAME`, `options NAME k=v ...`.
  void set_modprobe_conf(std::function<std::vector<std::string>()> conf_lines) { m_conf = std::move(conf_lines); }

  // modprobe NAME [k=v ...]: returns 0 or -errno (ENOENT for an unknown module).
  int modprobe(const std::string& name, const std::vector<std::string>& params, std::string& err);
  int rmmod(const std::string& name, std::string& err);
  bool loaded(const std::string& name) const { return m_modules.count(name) != 0; }
  std::vector<std::string> loaded_modules() const;
  // The module parameter value as sysfs shows it, "" if none.
  std::string module_param(const std::string& module, const std::string& param) const;

  // Driver-core hooks from the PCI core. A device whose module is not loaded gets
  // it loaded (udev's modalias autoload, also at boot) unless it is blacklisted.
  void device_added(pci_dev& dev);
  void device_removed(pci_dev& dev);

  // sysfs sriov_numvfs store (pci-sysfs.c sriov_numvfs_store): 0 or -errno.
  int sriov_numvfs_store(pci_dev& pf, unsigned num_vfs);
  // What sysfs sriov_totalvfs reports: the driver's cap when bound.
  unsigned sriov_totalvfs(const pci_dev& pf) const;

  // Links.
  int set_link(netdev& nd, bool up);
  std::vector<netdev*> netdevs();                  // by ifindex
  netdev* find_netdev(const std::string& name);
  netdev* netdev_of(const pci_dev& dev);

  // Names of the modules that bind these IDs, from the device profiles.
  std::string module_for(const pci_dev& dev) const;

 private:
  bool blacklisted(const std::string& module) const;
  std::map<std::string, std::string> conf_options(const std::string& module) const;
  void bind(pci_dev& dev, const std::string& module);
  void unbind(pci_dev& dev);
  void probe_pf(pci_dev& dev, const driver_traits& t);
  void probe_vf(pci_dev& dev, const driver_traits& t);
  int enable_vfs(pci_dev& pf, const driver_traits& t, unsigned n);
  void update_vf_carriers(pci_dev& pf);
  void schedule_carrier(netdev& nd);
  std::string predictable_name(const pci_dev& dev) const;
  void dev_info(const pci_dev& dev, const std::string& driver, const std::string& text);
  void net_info(const netdev& nd, const std::string& text);

  pci_core& m_pci;
  kernel_log& m_log;
  const pb::ProfileLibrary& m_profiles;
  kit::rng_stream m_rng;
  std::function<std::vector<std::string>()> m_conf;
  std::map<std::string, std::map<std::string, std::string>> m_modules;  // loaded -> params
  std::vector<std::unique_ptr<netdev>> m_netdevs;
  int m_next_ifindex = 2;   // 1 is lo
  int m_next_eth = 0;
  sc_core::sc_time m_link_up_time;
  // Timers spawned by this driver core outlive it across a reboot: they check this.
  std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
};

std::string format_mac(uint64_t mac);

}  // namespace iovsim::host
