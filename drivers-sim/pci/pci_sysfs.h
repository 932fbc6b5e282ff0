// The PCI part of sysfs (drivers/pci/pci-sysfs.c, iov.c's sysfs attributes, the
// driver core's bus directories): each function's directory where Linux puts it,
// /sys/devices/pci0000:00/<bridge>.../<function> (VFs beside their PF), with its
// attributes and links; /sys/bus/pci/devices/<bdf> links to it; a directory per
// registered driver with bind, unbind, new_id, remove_id and links to its devices.
// Other subsystems add their own entries to every function's directory (the IOMMU
// its iommu_group link, the network core the `net` directory) with add_attributes(),
// as attribute groups do.
#pragma once

#include <functional>
#include <vector>

#include "drivers-sim/kernel/kernfs.h"
#include "drivers-sim/pci/pci.h"
#include "drivers-sim/pci/pci_driver.h"

namespace iovsim::host {

class pci_sysfs {
 public:
  using attributes_fn = std::function<void(pci_dev& dev, std::vector<kernfs_node>& entries)>;

  // Mounts /sys/bus/pci/devices and /sys/bus/pci/drivers.
  pci_sysfs(kernfs& fs, pci_core& pci, pci_bus_type& bus);
  void add_attributes(attributes_fn fn) { m_groups.push_back(std::move(fn)); }

  // Where a function's directory is: "/sys/devices/pci0000:00/0000:00:03.2/0000:03:00.1".
  static std::string device_path(const pci_dev& dev);

 private:
  // A function's directory: its attributes, the functions below it when it is a
  // bridge (`with_children`), then the other subsystems' entries.
  // `only`: that entry alone (or none), for a lookup by name.
  std::vector<kernfs_node> device_dir(pci_dev& dev, bool with_children = true, const std::string* only = nullptr);
  // One entry of that directory by name, as device_dir() lists it first.
  bool find_in_device_dir(pci_dev& dev, const std::string& name, kernfs_node& out);
  kernfs_node device_node(pci_dev* dev);
  // The function named exactly `bdf` ("0000:03:00.1"), as the directories name them.
  pci_dev* find_by_name(const std::string& bdf) const;
  std::vector<kernfs_node> driver_dir(const std::string& name);

  pci_core& m_pci;
  pci_bus_type& m_bus;
  std::vector<attributes_fn> m_groups;
};

// Linux's struct resource flags as sysfs `resource` prints them (include/linux/ioport.h
// IORESOURCE_*), with the BAR's own type bits in the low nibble as decode_bar() keeps them.
constexpr uint64_t IORESOURCE_IO = 0x100, IORESOURCE_MEM = 0x200, IORESOURCE_PREFETCH = 0x2000,
                   IORESOURCE_SIZEALIGN = 0x40000, IORESOURCE_MEM_64 = 0x100000, IORESOURCE_UNSET = 0x20000000;

}  // namespace iovsim::host
