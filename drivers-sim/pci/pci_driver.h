// The PCI bus type of the driver core (drivers/base/dd.c, drivers/pci/pci-driver.c):
// drivers register with their device tables, devices are matched and probed when
// either side appears, a device nobody claims is announced as a uevent with its
// MODALIAS (udev then loads a module), and sysfs's sriov_numvfs reaches the bound
// driver's sriov_configure (pci-sysfs.c sriov_numvfs_store).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "drivers-sim/kernel/kernel.h"
#include "drivers-sim/pci/pci.h"

namespace iovsim::host {

struct pci_device_id {
  uint16_t vendor = 0;
  uint16_t device = 0;
};

class pci_driver {
 public:
  virtual ~pci_driver() = default;
  virtual const std::string& name() const = 0;
  virtual const std::vector<pci_device_id>& id_table() const = 0;
  // 0 when the device is now the driver's, else -errno (not bound).
  virtual int probe(pci_dev& dev) = 0;
  virtual void remove(pci_dev& dev) = 0;
  // .sriov_configure: enable `num_vfs` VFs (0: disable). Returns the number enabled
  // or -errno. Drivers without it keep the default (sysfs then refuses).
  virtual bool has_sriov_configure() const { return false; }
  virtual int sriov_configure(pci_dev& /*dev*/, unsigned /*num_vfs*/) { return -ENODEV; }
};

// "pci:v00008086d00001528sv*sd*bc02sc00i00" style MODALIAS of a function
// (pci-driver.c pci_uevent, as file2alias writes it: vendor, device, subsystem IDs,
// base class, subclass, interface).
std::string pci_modalias(const pci_dev& dev);

class pci_bus_type {
 public:
  pci_bus_type(pci_core& pci, kernel_log& log) : m_pci(pci), m_log(log) {}

  // driver_register: binds every unbound device it matches, in device order.
  void register_driver(pci_driver& drv);
  // driver_unregister: unbinds its devices first.
  void unregister_driver(pci_driver& drv);

  // The PCI core's hooks: a device appeared (probe a matching driver, else emit a
  // uevent) or is going away (unbind).
  void device_added(pci_dev& dev);
  void device_removed(pci_dev& dev);

  pci_driver* driver_of(const pci_dev& dev) const;
  std::vector<pci_driver*> drivers() const { return m_drivers; }

  // sriov_numvfs_store after the number parsed: 0 or -errno.
  int sriov_numvfs_store(pci_dev& pf, unsigned num_vfs);

  // The driver directory's files (drivers/base/bus.c bind_store/unbind_store,
  // pci-driver.c new_id_store/remove_id_store): 0 or a positive errno.
  int bind_store(const std::string& driver, const std::string& bdf);
  int unbind_store(const std::string& driver, const std::string& bdf);
  int new_id_store(const std::string& driver, const std::string& text);
  int remove_id_store(const std::string& driver, const std::string& text);
  pci_driver* find_driver(const std::string& name) const;
  // Devices bound to a driver, in device order.
  std::vector<pci_dev*> devices_of(const pci_driver& drv) const;

  // KOBJ_ADD uevents of devices no driver claimed (udev's modalias autoload).
  std::function<void(pci_dev& dev, const std::string& modalias)> on_uevent;

 private:
  // pci_match_device(): driver_override first, then dynamic IDs, then the table.
  bool matches(const pci_driver& drv, const pci_dev& dev) const;
  // pci_device_probe(): 0 or -errno (-ENODEV for a VF its PF keeps from autoprobe).
  int bind(pci_dev& dev, pci_driver& drv);
  void unbind(pci_dev& dev);

  pci_core& m_pci;
  kernel_log& m_log;
  std::vector<pci_driver*> m_drivers;   // registration order
  std::map<std::string, std::vector<pci_device_id>> m_dynids;  // new_id, by driver
};

}  // namespace iovsim::host
