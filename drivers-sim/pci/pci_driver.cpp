#include "drivers-sim/pci/pci_driver.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>

namespace iovsim::host {

std::string pci_modalias(const pci_dev& dev) {
  return fmt::format("pci:v{:08X}d{:08X}sv{:08X}sd{:08X}bc{:02X}sc{:02X}i{:02X}", dev.vendor, dev.device,
                     dev.subsys_vendor, dev.subsys_device, (dev.class_code >> 16) & 0xff, (dev.class_code >> 8) & 0xff,
                     dev.class_code & 0xff);
}

bool pci_bus_type::matches(const pci_driver& drv, const pci_dev& dev) const {
  const auto& ids = drv.id_table();
  return std::any_of(ids.begin(), ids.end(),
                     [&](const pci_device_id& id) { return id.vendor == dev.vendor && id.device == dev.device; });
}

pci_driver* pci_bus_type::driver_of(const pci_dev& dev) const {
  if (dev.driver.empty()) return nullptr;
  for (pci_driver* d : m_drivers)
    if (d->name() == dev.driver) return d;
  return nullptr;
}

void pci_bus_type::bind(pci_dev& dev, pci_driver& drv) {
  // pci_device_can_probe(): VFs are probed only when their PF allows it.
  if (dev.is_virtfn && dev.physfn && !dev.physfn->drivers_autoprobe) return;
  dev.driver = drv.name();
  if (drv.probe(dev) != 0) dev.driver.clear();
}

void pci_bus_type::unbind(pci_dev& dev) {
  pci_driver* drv = driver_of(dev);
  if (!drv) return;
  drv->remove(dev);
  dev.driver.clear();
  // pci_iov_remove(): the driver's VF limit goes with the driver.
  dev.driver_max_vfs = 0;
}

void pci_bus_type::register_driver(pci_driver& drv) {
  m_drivers.push_back(&drv);
  for (pci_dev* d : m_pci.devices())
    if (d->driver.empty() && matches(drv, *d)) bind(*d, drv);
}

void pci_bus_type::unregister_driver(pci_driver& drv) {
  for (pci_dev* d : m_pci.devices())
    if (d->driver == drv.name()) unbind(*d);
  m_drivers.erase(std::remove(m_drivers.begin(), m_drivers.end(), &drv), m_drivers.end());
}

void pci_bus_type::device_added(pci_dev& dev) {
  // A driver bound during an earlier device's module load may already hold it.
  if (!dev.driver.empty()) return;
  for (pci_driver* drv : m_drivers)
    if (matches(*drv, dev)) {
      bind(dev, *drv);
      return;
    }
  // VFs the PF keeps from autoprobing are not announced for module loading either.
  if (dev.is_virtfn && dev.physfn && !dev.physfn->drivers_autoprobe) return;
  if (on_uevent) on_uevent(dev, pci_modalias(dev));
}

void pci_bus_type::device_removed(pci_dev& dev) { unbind(dev); }

int pci_bus_type::sriov_numvfs_store(pci_dev& pf, unsigned num_vfs) {
  // drivers/pci/iov.c sriov_numvfs_store().
  if (num_vfs > pf.sriov_totalvfs()) return -ERANGE;
  if (num_vfs == pf.num_vfs) return 0;
  pci_driver* drv = driver_of(pf);
  if (!drv) {
    m_log.print(fmt::format("pci {}: no driver bound to device; cannot configure SR-IOV", pf.bdf()));
    return -ENOENT;
  }
  if (!drv->has_sriov_configure()) {
    m_log.print(fmt::format("pci {}: driver does not support SR-IOV configuration via sysfs", pf.bdf()));
    return -ENOENT;
  }
  if (num_vfs == 0) {
    const int r = drv->sriov_configure(pf, 0);
    return r < 0 ? r : 0;
  }
  if (pf.num_vfs) {
    m_log.print(fmt::format("pci {}: {} VFs already enabled. Disable before enabling {} VFs", pf.bdf(), pf.num_vfs,
                            num_vfs));
    return -EBUSY;
  }
  const int r = drv->sriov_configure(pf, num_vfs);
  if (r < 0) return r;
  if (static_cast<unsigned>(r) != num_vfs)
    m_log.print(fmt::format("pci {}: {} VFs requested; only {} enabled", pf.bdf(), num_vfs, r));
  return 0;
}

}  // namespace iovsim::host
