#include "drivers-sim/pci/pci_sysfs.h"

#include <fmt/format.h>

#include <cerrno>

#include "drivers-sim/kernel/kstrtox.h"

namespace iovsim::host {

namespace {
kernfs_node hex_attr(const std::string& name, unsigned width, uint32_t value) {
  return kernfs_node::text(name, fmt::format("0x{:0{}x}\n", value, width));
}

// One line of sysfs `resource` (pci-sysfs.c resource_show): start, end, flags.
std::string resource_line(const resource& r, uint64_t size) {
  if (!size) return fmt::format("0x{:016x} 0x{:016x} 0x{:016x}\n", 0, 0, 0);
  uint64_t flags = r.io ? IORESOURCE_IO | 0x1 : IORESOURCE_MEM | IORESOURCE_SIZEALIGN;
  if (r.is_64bit) flags |= IORESOURCE_MEM_64 | 0x4;
  if (r.prefetchable) flags |= IORESOURCE_PREFETCH | 0x8;
  if (!r.assigned) flags |= IORESOURCE_UNSET;
  const uint64_t start = r.assigned ? r.start : 0;
  return fmt::format("0x{:016x} 0x{:016x} 0x{:016x}\n", start, start + size - 1, flags);
}

// Bytes 0..N as a string (sysfs `config` is a binary attribute).
std::string as_bytes(const std::vector<uint8_t>& v) { return std::string(v.begin(), v.end()); }
}  // namespace

pci_sysfs::pci_sysfs(kernfs& fs, pci_core& pci, pci_bus_type& bus) : m_pci(pci), m_bus(bus) {
  fs.mount("/sys/bus/pci/devices", [this] {
    std::vector<kernfs_node> out;
    for (pci_dev* d : m_pci.devices())
      out.push_back(kernfs_node::dir(d->bdf(), [this, d] { return device_dir(*d); }));
    return out;
  });
  fs.mount("/sys/bus/pci/drivers", [this] {
    std::vector<kernfs_node> out;
    for (pci_driver* drv : m_bus.drivers()) out.push_back(kernfs_node::dir(drv->name(), {}));
    return out;
  });
}

std::vector<kernfs_node> pci_sysfs::device_dir(pci_dev& dev) {
  pci_dev* d = &dev;
  std::vector<kernfs_node> e;
  e.push_back(hex_attr("vendor", 4, d->vendor));
  e.push_back(hex_attr("device", 4, d->device));
  e.push_back(hex_attr("subsystem_vendor", 4, d->subsys_vendor));
  e.push_back(hex_attr("subsystem_device", 4, d->subsys_device));
  e.push_back(hex_attr("class", 6, d->class_code));
  e.push_back(hex_attr("revision", 2, d->revision));
  e.push_back(kernfs_node::text("modalias", pci_modalias(*d) + "\n"));
  e.push_back(kernfs_node::file("config", [this, d] { return fs_result{0, as_bytes(m_pci.config_bytes(*d))}; }));
  e.push_back(kernfs_node::file("resource", [d] {
    std::string out;
    for (const resource& r : d->bars) out += resource_line(r, r.size);
    out += resource_line(resource{}, 0);   // expansion ROM: none modelled
    for (const resource& r : d->iov_bars) out += resource_line(r, r.size * d->total_vfs);
    if (d->is_bridge)
      for (int i = 0; i < 4; ++i) out += resource_line(resource{}, 0);   // windows: in the bridge's config
    return fs_result{0, out};
  }));
  if (!d->driver.empty()) e.push_back(kernfs_node::link("driver", "../../../../bus/pci/drivers/" + d->driver));
  if (d->is_virtfn && d->physfn) e.push_back(kernfs_node::link("physfn", "../" + d->physfn->bdf()));
  for (size_t i = 0; i < d->vfs.size(); ++i)
    e.push_back(kernfs_node::link(fmt::format("virtfn{}", i), "../" + d->vfs[i]->bdf()));
  if (d->sriov_pos && !d->is_virtfn) {
    // drivers/pci/iov.c sriov_pf_dev_attrs.
    e.push_back(kernfs_node::file("sriov_numvfs", [d] { return fs_result{0, fmt::format("{}\n", d->num_vfs)}; },
                                  [this, d](const std::string& data) {
                                    // kstrtou16(buf, 0, &num_vfs)
                                    unsigned long long n = 0;
                                    if (const int err = kstrtoull(data, 0xffff, n)) return err;
                                    return -m_bus.sriov_numvfs_store(*d, static_cast<unsigned>(n));
                                  }));
    e.push_back(kernfs_node::file("sriov_totalvfs",
                                  [d] { return fs_result{0, fmt::format("{}\n", d->sriov_totalvfs())}; }));
    e.push_back(kernfs_node::text("sriov_offset", fmt::format("{}\n", d->vf_offset)));
    e.push_back(kernfs_node::text("sriov_stride", fmt::format("{}\n", d->vf_stride)));
    e.push_back(kernfs_node::text("sriov_vf_device", fmt::format("{:x}\n", d->vf_device)));
    e.push_back(kernfs_node::file(
        "sriov_drivers_autoprobe", [d] { return fs_result{0, d->drivers_autoprobe ? "1\n" : "0\n"}; },
        [d](const std::string& data) {
          std::string v = data;
          if (!v.empty() && v.back() == '\n') v.pop_back();
          if (v == "1" || v == "y" || v == "Y" || v == "on") d->drivers_autoprobe = true;
          else if (v == "0" || v == "n" || v == "N" || v == "off") d->drivers_autoprobe = false;
          else return EINVAL;
          return 0;
        }));
  }
  for (const attributes_fn& g : m_groups) g(*d, e);
  return e;
}

}  // namespace iovsim::host
