#include "drivers-sim/pci/pci_sysfs.h"

#include <fmt/format.h>

#include <algorithm>
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

constexpr const char* ROOT = "/sys/devices/pci0000:00";
constexpr const char* DEVICES = "/sys/bus/pci/devices";
constexpr const char* DRIVERS = "/sys/bus/pci/drivers";
}  // namespace

std::string pci_sysfs::device_path(const pci_dev& dev) {
  // A VF's parent is its PF's parent (pci_iov_add_virtfn(): virtfn->dev.parent).
  const pci_dev* parent = dev.bridge;
  return (parent ? device_path(*parent) : std::string(ROOT)) + "/" + dev.bdf();
}

pci_sysfs::pci_sysfs(kernfs& fs, pci_core& pci, pci_bus_type& bus) : m_pci(pci), m_bus(bus) {
  // The root bus's functions, each with the functions below it when it is a bridge.
  fs.mount(
      ROOT,
      [this] {
        std::vector<kernfs_node> out;
        for (pci_dev* d : m_pci.devices())
          if (!d->bridge) out.push_back(device_node(d));
        return out;
      },
      [this](const std::string& name, kernfs_node& out) {
        pci_dev* d = find_by_name(name);
        if (!d || d->bridge) return false;
        out = device_node(d);
        return true;
      });
  auto device_link = [](const pci_dev& d) {
    return kernfs_node::link(d.bdf(), relative_path(DEVICES, device_path(d)));
  };
  fs.mount(
      DEVICES,
      [this, device_link] {
        std::vector<kernfs_node> out;
        for (pci_dev* d : m_pci.devices()) out.push_back(device_link(*d));
        return out;
      },
      [this, device_link](const std::string& name, kernfs_node& out) {
        const pci_dev* d = find_by_name(name);
        if (!d) return false;
        out = device_link(*d);
        return true;
      },
      [this] {
        std::vector<std::string> out;
        for (pci_dev* d : m_pci.devices()) out.push_back(d->bdf());
        return out;
      });
  fs.mount(DRIVERS, [this] {
    std::vector<kernfs_node> out;
    for (pci_driver* drv : m_bus.drivers()) {
      const std::string name = drv->name();
      out.push_back(kernfs_node::dir(name, [this, name] { return driver_dir(name); }));
    }
    return out;
  });
}

std::vector<kernfs_node> pci_sysfs::driver_dir(const std::string& name) {
  std::vector<kernfs_node> e;
  const pci_driver* drv = m_bus.find_driver(name);
  if (!drv) return e;
  // Write-only files (0200): reading them is refused.
  auto store = [this, name](int (pci_bus_type::*fn)(const std::string&, const std::string&)) {
    return [this, name, fn](const std::string& data) {
      std::string v = data;
      if (!v.empty() && v.back() == '\n') v.pop_back();
      return (m_bus.*fn)(name, v);
    };
  };
  e.push_back(kernfs_node::file("bind", {}, store(&pci_bus_type::bind_store)));
  e.push_back(kernfs_node::file("unbind", {}, store(&pci_bus_type::unbind_store)));
  e.push_back(kernfs_node::file("new_id", {}, store(&pci_bus_type::new_id_store)));
  e.push_back(kernfs_node::file("remove_id", {}, store(&pci_bus_type::remove_id_store)));
  const std::string here = std::string(DRIVERS) + "/" + name;
  for (pci_dev* d : m_bus.devices_of(*drv))
    e.push_back(kernfs_node::link(d->bdf(), relative_path(here, device_path(*d))));
  return e;
}

pci_dev* pci_sysfs::find_by_name(const std::string& bdf) const {
  pci_dev* d = m_pci.find(bdf);
  return d && d->bdf() == bdf ? d : nullptr;
}

kernfs_node pci_sysfs::device_node(pci_dev* d) {
  return kernfs_node::dir(
      d->bdf(), [this, d] { return device_dir(*d); },
      [this, d](const std::string& name, kernfs_node& out) { return find_in_device_dir(*d, name, out); });
}

bool pci_sysfs::find_in_device_dir(pci_dev& dev, const std::string& name, kernfs_node& out) {
  // No attribute is named like a function, so a function below a bridge is found
  // by its address; any other name among the attributes.
  if (dev.is_bridge)
    if (pci_dev* c = find_by_name(name); c && c->bridge == &dev) {
      out = device_node(c);
      return true;
    }
  const std::vector<kernfs_node> e = device_dir(dev, false, &name);
  auto it = std::find_if(e.begin(), e.end(), [&name](const kernfs_node& n) { return n.name == name; });
  if (it == e.end()) return false;
  out = *it;
  return true;
}

std::vector<kernfs_node> pci_sysfs::device_dir(pci_dev& dev, bool with_children, const std::string* only) {
  pci_dev* d = &dev;
  std::vector<kernfs_node> e;
  // A lookup by name builds that entry only: a path walk through a rack's sysfs looks
  // up "config" or "driver" of a function, not its whole directory.
  const auto want = [only](const char* name) { return !only || *only == name; };
  if (want("vendor")) e.push_back(hex_attr("vendor", 4, d->vendor));
  if (want("device")) e.push_back(hex_attr("device", 4, d->device));
  if (want("subsystem_vendor")) e.push_back(hex_attr("subsystem_vendor", 4, d->subsys_vendor));
  if (want("subsystem_device")) e.push_back(hex_attr("subsystem_device", 4, d->subsys_device));
  if (want("class")) e.push_back(hex_attr("class", 6, d->class_code));
  if (want("revision")) e.push_back(hex_attr("revision", 2, d->revision));
  if (want("modalias")) e.push_back(kernfs_node::text("modalias", pci_modalias(*d) + "\n"));
  if (want("config")) {
    kernfs_node config = kernfs_node::file("config", [this, d] {
      return fs_result{0, as_bytes(m_pci.config_bytes(*d))};
    });
    config.show_some = [this, d](size_t n) { return fs_result{0, as_bytes(m_pci.config_bytes(*d, n))}; };
    e.push_back(std::move(config));
  }
  if (want("resource"))
    e.push_back(kernfs_node::file("resource", [d] {
      std::string out;
      for (const resource& r : d->bars) out += resource_line(r, r.size);
      out += resource_line(resource{}, 0);  // expansion ROM: none modelled
      for (const resource& r : d->iov_bars) out += resource_line(r, r.size * d->total_vfs);
      if (d->is_bridge)
        for (int i = 0; i < 4; ++i) out += resource_line(resource{}, 0);  // windows: in the bridge's config
      return fs_result{0, out};
    }));
  if (!d->driver.empty() && want("driver"))
    e.push_back(kernfs_node::link("driver", relative_path(device_path(*d), std::string(DRIVERS) + "/" + d->driver)));
  // driver_override (pci-sysfs.c driver_override_show/store, drivers/base/driver.c
  // driver_set_override()): "(null)" when unset; the first line of what is written,
  // an empty one clears it.
  if (want("driver_override"))
    e.push_back(kernfs_node::file(
        "driver_override",
        [d] {
          return fs_result{0, (d->driver_override.empty() ? "(null)" : d->driver_override) + "\n"};
        },
        [d](const std::string& data) {
          if (data.size() >= 4096 - 1) return EINVAL;  // PAGE_SIZE - 1
          d->driver_override = data.substr(0, data.find('\n'));
          return 0;
        }));
  if (d->is_virtfn && d->physfn && want("physfn")) e.push_back(kernfs_node::link("physfn", "../" + d->physfn->bdf()));
  for (size_t i = 0; i < d->vfs.size(); ++i)
    if (!only || only->rfind("virtfn", 0) == 0)
      e.push_back(kernfs_node::link(fmt::format("virtfn{}", i), "../" + d->vfs[i]->bdf()));
  if (d->sriov_pos && !d->is_virtfn) {
    // drivers/pci/iov.c sriov_pf_dev_attrs.
    if (want("sriov_numvfs"))
      e.push_back(kernfs_node::file(
          "sriov_numvfs",
          [d] {
            return fs_result{0, fmt::format("{}\n", d->num_vfs)};
          },
          [this, d](const std::string& data) {
            // drivers/pci/iov.c sriov_numvfs_store (6.1): any kstrtou16()
            // failure, overflow included, is EINVAL.
            unsigned long long n = 0;
            if (kstrtoull(data, 0xffff, n)) return EINVAL;
            return -m_bus.sriov_numvfs_store(*d, static_cast<unsigned>(n));
          }));
    if (want("sriov_totalvfs"))
      e.push_back(kernfs_node::file("sriov_totalvfs", [d] {
        return fs_result{0, fmt::format("{}\n", d->sriov_totalvfs())};
      }));
    if (want("sriov_offset")) e.push_back(kernfs_node::text("sriov_offset", fmt::format("{}\n", d->vf_offset)));
    // sriov_vf_total_msix: what the PF driver's sriov_get_vf_total_msix() reports;
    // ixgbe and igb have none, so 0.
    if (want("sriov_vf_total_msix")) e.push_back(kernfs_node::text("sriov_vf_total_msix", "0\n"));
    if (want("sriov_stride")) e.push_back(kernfs_node::text("sriov_stride", fmt::format("{}\n", d->vf_stride)));
    if (want("sriov_vf_device")) e.push_back(kernfs_node::text("sriov_vf_device", fmt::format("{:x}\n", d->vf_device)));
    if (want("sriov_drivers_autoprobe"))
      e.push_back(kernfs_node::file(
          "sriov_drivers_autoprobe",
          [d] {
            return fs_result{0, d->drivers_autoprobe ? "1\n" : "0\n"};
          },
          [d](const std::string& data) {
            std::string v = data;
            if (!v.empty() && v.back() == '\n') v.pop_back();
            if (v == "1" || v == "y" || v == "Y" || v == "on")
              d->drivers_autoprobe = true;
            else if (v == "0" || v == "n" || v == "N" || v == "off")
              d->drivers_autoprobe = false;
            else
              return EINVAL;
            return 0;
          }));
  }
  if (d->is_virtfn) {
    // sriov_vf_msix_count (write-only): kstrtoint, then the PF driver must implement
    // sriov_set_msix_vec_count (ixgbe and igb do not), then the VF must be unbound.
    if (want("sriov_vf_msix_count"))
      e.push_back(kernfs_node::file("sriov_vf_msix_count", {}, [](const std::string& data) {
        unsigned long long v = 0;
        if (!data.empty() && data[0] == '-') return EINVAL;  // val < 0
        if (kstrtoull(data, 0x7fffffff, v)) return EINVAL;
        return EOPNOTSUPP;
      }));
  }
  // A bridge's directory holds the functions on its secondary bus.
  if (d->is_bridge && with_children)
    for (pci_dev* c : m_pci.devices())
      if (c->bridge == d) e.push_back(device_node(c));
  for (const attributes_fn& g : m_groups) g(*d, e);
  return e;
}

}  // namespace iovsim::host
