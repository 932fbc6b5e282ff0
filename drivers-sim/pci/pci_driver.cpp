#include "drivers-sim/pci/pci_driver.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

namespace iovsim::host {

std::string pci_modalias(const pci_dev& dev) {
  return fmt::format("pci:v{:08X}d{:08X}sv{:08X}sd{:08X}bc{:02X}sc{:02X}i{:02X}", dev.vendor, dev.device,
                     dev.subsys_vendor, dev.subsys_device, (dev.class_code >> 16) & 0xff, (dev.class_code >> 8) & 0xff,
                     dev.class_code & 0xff);
}

bool pci_bus_type::matches(const pci_driver& drv, const pci_dev& dev) const {
  if (!dev.driver_override.empty()) return dev.driver_override == drv.name();
  auto same = [&](const pci_device_id& id) { return id.vendor == dev.vendor && id.device == dev.device; };
  if (auto it = m_dynids.find(drv.name());
      it != m_dynids.end() && std::any_of(it->second.begin(), it->second.end(), same))
    return true;
  const auto& ids = drv.id_table();
  return std::any_of(ids.begin(), ids.end(), same);
}

pci_driver* pci_bus_type::find_driver(const std::string& name) const {
  for (pci_driver* d : m_drivers)
    if (d->name() == name) return d;
  return nullptr;
}

std::vector<pci_dev*> pci_bus_type::devices_of(const pci_driver& drv) const {
  std::vector<pci_dev*> out;
  for (pci_dev* d : m_pci.devices())
    if (d->driver == drv.name()) out.push_back(d);
  return out;
}

pci_driver* pci_bus_type::driver_of(const pci_dev& dev) const {
  if (dev.driver.empty()) return nullptr;
  for (pci_driver* d : m_drivers)
    if (d->name() == dev.driver) return d;
  return nullptr;
}

int pci_bus_type::bind(pci_dev& dev, pci_driver& drv) {
  // pci_device_can_probe(): a VF is probed only when its PF allows it or an
  // override names the driver.
  if (dev.is_virtfn && dev.physfn && !dev.physfn->drivers_autoprobe && dev.driver_override.empty()) return -ENODEV;
  dev.driver = drv.name();
  const int err = drv.probe(dev);
  if (err) {
    dev.driver.clear();
    m_log.print(fmt::format("{}: probe of {} failed with error {}", drv.name(), dev.bdf(), err));
  }
  return err;
}

void pci_bus_type::unbind(pci_dev& dev) {
  pci_driver* drv = driver_of(dev);
  if (!drv) return;
  drv->remove(dev);
  // pci-driver.c pci_device_remove() -> iov.c pci_iov_remove(): the driver's VF limit
  // goes with the driver; VFs it left behind (assigned ones) are reported while
  // dev->driver is still set (dd.c clears it after the bus remove), so under its name.
  dev.driver_max_vfs = 0;
  if (!dev.is_virtfn && dev.num_vfs)
    m_log.print(fmt::format("{} {}: driver left SR-IOV enabled after remove", dev.driver, dev.bdf()));
  dev.driver.clear();
}

void pci_bus_type::register_driver(pci_driver& drv) {
  m_drivers.push_back(&drv);
  for (pci_dev* d : m_pci.devices())
    if (d->driver.empty() && matches(drv, *d)) bind(*d, drv);
}

void pci_bus_type::unregister_driver(pci_driver& drv) {
  // driver_detach(): the devices bound now, by name, each looked up again before it is
  // unbound: removing a PF takes its VFs away (sriov_del_vfs()), so pointers taken
  // before would dangle (a use after free found by fuzz_shell: `rmmod ixgbe` with VFs).
  std::vector<std::string> bound;
  for (pci_dev* d : m_pci.devices())
    if (d->driver == drv.name()) bound.push_back(d->bdf());
  for (const std::string& bdf : bound)
    if (pci_dev* d = m_pci.find(bdf); d && d->driver == drv.name()) unbind(*d);
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

int pci_bus_type::bind_store(const std::string& driver, const std::string& bdf) {
  pci_driver* drv = find_driver(driver);
  pci_dev* dev = m_pci.find(bdf);
  if (!drv || !dev || !matches(*drv, *dev)) return ENODEV;
  if (!dev->driver.empty()) return EBUSY;
  const int err = bind(*dev, *drv);
  return err ? -err : 0;
}

int pci_bus_type::unbind_store(const std::string& driver, const std::string& bdf) {
  pci_dev* dev = m_pci.find(bdf);
  if (!dev || dev->driver != driver) return ENODEV;
  unbind(*dev);
  return 0;
}

namespace {
// sscanf("%x %x %x %x %x %x %lx") as new_id_store() parses; the number of fields.
int parse_ids(const std::string& text, unsigned (&f)[7]) {
  return std::sscanf(text.c_str(), "%x %x %x %x %x %x %x", &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6]);
}
}  // namespace

int pci_bus_type::new_id_store(const std::string& driver, const std::string& text) {
  pci_driver* drv = find_driver(driver);
  if (!drv) return ENODEV;
  unsigned f[7] = {};
  const int fields = parse_ids(text, f);
  if (fields < 2) return EINVAL;
  const pci_device_id id{static_cast<uint16_t>(f[0]), static_cast<uint16_t>(f[1])};
  // A short form that the driver already matches is refused (pci_match_id()).
  const auto& ids = drv->id_table();
  if (fields < 7 && std::any_of(ids.begin(), ids.end(),
                                [&](const pci_device_id& i) { return i.vendor == id.vendor && i.device == id.device; }))
    return EEXIST;
  m_dynids[driver].push_back(id);
  // driver_attach(): unbound devices it now matches are probed at once.
  for (pci_dev* d : m_pci.devices())
    if (d->driver.empty() && matches(*drv, *d)) bind(*d, *drv);
  return 0;
}

int pci_bus_type::remove_id_store(const std::string& driver, const std::string& text) {
  unsigned f[7] = {};
  if (parse_ids(text, f) < 2) return EINVAL;
  auto it = m_dynids.find(driver);
  if (it == m_dynids.end()) return ENODEV;
  auto& v = it->second;
  auto found =
      std::find_if(v.begin(), v.end(), [&](const pci_device_id& i) { return i.vendor == f[0] && i.device == f[1]; });
  if (found == v.end()) return ENODEV;
  v.erase(found);  // devices already bound stay bound
  return 0;
}

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
