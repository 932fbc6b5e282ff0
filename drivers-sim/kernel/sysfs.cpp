// The files the host shell sees: sysfs (drivers/pci/pci-sysfs.c, iov.c sysfs
// attributes, net-sysfs, the IOMMU groups of drivers/iommu/iommu.c), /proc/cmdline
// and plain files such as /etc/modprobe.d/*.conf. Attribute formats follow the
// kernel's show functions.
//
// Symbolic links (driver, physfn, virtfnN, iommu_group, a group's devices/<bdf>,
// /sys/class/net/X/device) are followed by resolve(); readlink() gives their
// targets. PCI functions live in /sys/bus/pci/devices/<bdf> itself (Linux links
// those to /sys/devices/pci0000:00/...), and targets are relative to where the link
// is in this tree, so that following them by hand lands where resolve() does: a
// function's iommu_group is ../../../../kernel/iommu_groups/N, which is also what
// Linux shows for a function behind one bridge (a root-bus function has three ..).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <sstream>

#include "drivers-sim/host.h"

namespace iovsim::host {

namespace {
const std::string k_pci_devices = "/sys/bus/pci/devices/";
const std::string k_class_net = "/sys/class/net/";
const std::string k_iommu_groups = "/sys/kernel/iommu_groups";

// The directories that always exist (the iommu_groups kset is made by iommu_init(), a
// core_initcall, whether or not an IOMMU is found: empty without one).
const char* const k_fixed_dirs[] = {"/",    "/sys",     "/sys/bus",          "/sys/bus/pci", "/sys/bus/pci/devices",
                                    "/sys/bus/pci/drivers", "/sys/class", "/sys/class/net", "/sys/kernel",
                                    "/sys/kernel/iommu_groups", "/etc", "/etc/modprobe.d", "/proc", "/tmp"};

// intel/iommu.c IOAPIC_RANGE_START/END: the interrupt window intel_iommu_get_resv_regions()
// reserves for every device as IOMMU_RESV_MSI (there is no RMRR in our DMAR table).
constexpr uint64_t IOAPIC_RANGE_START = 0xfee00000, IOAPIC_RANGE_END = 0xfeefffff;
// PCI_CLASS_BRIDGE_ISA: intel_iommu_get_resv_regions() also reserves 0-16 MiB as
// IOMMU_RESV_DIRECT_RELAXABLE for ISA bridges (CONFIG_INTEL_IOMMU_FLOPPY_WA, y on x86).
constexpr uint32_t PCI_CLASS_BRIDGE_ISA = 0x0601;
constexpr uint64_t ISA_DMA_BYTES = 1ull << 24;

const iommu_group_info* group_of(const std::vector<iommu_group_info>& groups, const std::string& bdf) {
  for (const auto& g : groups)
    if (std::find(g.devices.begin(), g.devices.end(), bdf) != g.devices.end()) return &g;
  return nullptr;
}

// A group directory's name is its id in decimal (iommu_group_alloc(): "%d").
const iommu_group_info* group_named(const std::vector<iommu_group_info>& groups, const std::string& name) {
  for (const auto& g : groups)
    if (std::to_string(g.id) == name) return &g;
  return nullptr;
}

// Linux v6.1 drivers/iommu/iommu.c iommu_group_show_type(): the type of the group's
// *default* domain as "%s\n": blocked, identity, unmanaged, DMA, DMA-FQ (a device
// given to VFIO keeps it). Every group here gets the same default: identity with
// iommu=pt, DMA when strict, else DMA-FQ (v6.1's lazy default).
std::string group_type(const intel_iommu& iommu) {
  return iommu.pass_through() ? "identity" : iommu.strict() ? "DMA" : "DMA-FQ";
}

// drivers/iommu/iommu.c iommu_group_show_resv_regions(): "0x%016llx 0x%016llx %s\n"
// (start, end, iommu_group_resv_type_string[type]: direct, direct-relaxable,
// reserved, msi) per region, sorted by start (iommu_insert_resv_region()).
std::string reserved_regions(const iommu_group_info& g, pci_core& pci) {
  std::string out;
  bool isa = false;
  for (const std::string& bdf : g.devices)
    if (const pci_dev* d = pci.find(bdf); d && (d->class_code >> 8) == PCI_CLASS_BRIDGE_ISA) isa = true;
  if (isa) out += fmt::format("0x{:016x} 0x{:016x} direct-relaxable\n", 0, ISA_DMA_BYTES - 1);
  out += fmt::format("0x{:016x} 0x{:016x} msi\n", IOAPIC_RANGE_START, IOAPIC_RANGE_END);
  return out;
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::stringstream in(path);
  std::string p;
  while (std::getline(in, p, '/')) {
    if (p.empty() || p == ".") continue;
    if (p == "..") {
      if (!parts.empty()) parts.pop_back();
    } else {
      parts.push_back(p);
    }
  }
  return parts;
}

std::string join(const std::vector<std::string>& parts, size_t from) {
  std::string out;
  for (size_t i = from; i < parts.size(); ++i) out += "/" + parts[i];
  return out;
}

// kstrtou16(buf, 0, ...) (lib/kstrtox.c): an optional '+', then decimal, 0x hex or
// 0 octal digits, one trailing newline allowed; no blanks. Returns 0, EINVAL or
// ERANGE (a number too big for 16 bits).
int parse_u16(std::string text, unsigned& out) {
  if (!text.empty() && text.back() == '\n') text.pop_back();
  if (!text.empty() && text[0] == '+') text.erase(0, 1);
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text[0]))) return EINVAL;
  unsigned base = 10;
  size_t i = 0;
  if (text.size() > 1 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    i = 2;
  } else if (text[0] == '0') {
    base = 8;
  }
  if (i >= text.size()) return EINVAL;
  unsigned long long v = 0;
  bool overflow = false;
  for (; i < text.size(); ++i) {
    const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(text[i])));
    unsigned d;
    if (c >= '0' && c <= '9') d = static_cast<unsigned>(c - '0');
    else if (c >= 'a' && c <= 'f') d = static_cast<unsigned>(c - 'a' + 10);
    else return EINVAL;
    if (d >= base) return EINVAL;
    if (v > (~0ull - d) / base) overflow = true;
    else v = v * base + d;
  }
  if (overflow || v > 0xffff) return ERANGE;
  out = static_cast<unsigned>(v);
  return 0;
}
}  // namespace

// Canonical form: /sys/class/net/X/device/... and virtfn/physfn links are
// followed to /sys/bus/pci/devices/<bdf>/...
std::string host_system::resolve(const std::string& path) {
  std::vector<std::string> parts = split_path(path);
  std::string canon = join(parts, 0);
  for (int hops = 0; hops < 8; ++hops) {
    parts = split_path(canon);
    if (parts.size() >= 5 && canon.rfind(k_class_net, 0) == 0 && parts[4] == "device") {
      netdev* nd = m_drivers->find_netdev(parts[3]);
      if (!nd) return canon;
      canon = k_pci_devices + nd->dev->bdf() + join(parts, 5);
      continue;
    }
    if (parts.size() >= 6 && canon.rfind(k_pci_devices, 0) == 0) {
      pci_dev* d = m_pci->find(parts[4]);
      if (!d) return canon;
      if (parts[5] == "physfn" && d->physfn) {
        canon = k_pci_devices + d->physfn->bdf() + join(parts, 6);
        continue;
      }
      if (parts[5] == "iommu_group") {
        const auto groups = m_iommu->groups();
        if (const iommu_group_info* g = group_of(groups, d->bdf())) {
          canon = k_iommu_groups + "/" + std::to_string(g->id) + join(parts, 6);
          continue;
        }
      }
      if (parts[5].rfind("virtfn", 0) == 0) {
        const std::string n = parts[5].substr(6);
        const unsigned i = static_cast<unsigned>(std::strtoul(n.c_str(), nullptr, 10));
        if (!n.empty() && std::all_of(n.begin(), n.end(), ::isdigit) && i < d->vfs.size()) {
          canon = k_pci_devices + d->vfs[i]->bdf() + join(parts, 6);
          continue;
        }
      }
    }
    if (parts.size() >= 6 && canon.rfind(k_iommu_groups + "/", 0) == 0 && parts[4] == "devices") {
      const auto groups = m_iommu->groups();
      const iommu_group_info* g = group_named(groups, parts[3]);
      if (g && std::find(g->devices.begin(), g->devices.end(), parts[5]) != g->devices.end()) {
        canon = k_pci_devices + parts[5] + join(parts, 6);
        continue;
      }
    }
    break;
  }
  return canon;
}

std::vector<std::string> host_system::modprobe_conf_lines() {
  std::vector<std::string> lines;
  for (const auto& [path, content] : m_files) {
    if (path.rfind("/etc/modprobe.d/", 0) != 0 || path.size() < 5 || path.substr(path.size() - 5) != ".conf") continue;
    std::istringstream in(content);
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
  }
  return lines;
}

fs_result host_system::read(const std::string& raw) {
  const std::string path = resolve(raw);
  if (auto it = m_files.find(path); it != m_files.end()) return {0, it->second};
  if (path == "/proc/cmdline") return {0, m_params.cmdline + "\n"};
  const std::vector<std::string> parts = split_path(path);
  if (is_dir(path)) return {EISDIR, ""};
  if (parts.size() == 6 && path.rfind(k_pci_devices, 0) == 0) {
    pci_dev* d = m_pci->find(parts[4]);
    if (!d) return {ENOENT, ""};
    const std::string& a = parts[5];
    if (a == "vendor") return {0, fmt::format("0x{:04x}\n", d->vendor)};
    if (a == "device") return {0, fmt::format("0x{:04x}\n", d->device)};
    if (a == "subsystem_vendor") return {0, fmt::format("0x{:04x}\n", d->subsys_vendor)};
    if (a == "subsystem_device") return {0, fmt::format("0x{:04x}\n", d->subsys_device)};
    if (a == "class") return {0, fmt::format("0x{:06x}\n", d->class_code)};
    if (a == "revision") return {0, fmt::format("0x{:02x}\n", d->revision)};
    if (a == "driver" && !d->driver.empty()) return {0, "../../../bus/pci/drivers/" + d->driver + "\n"};
    if (d->sriov_pos && !d->is_virtfn) {
      if (a == "sriov_numvfs") return {0, fmt::format("{}\n", d->num_vfs)};
      if (a == "sriov_totalvfs") return {0, fmt::format("{}\n", m_drivers->sriov_totalvfs(*d))};
      if (a == "sriov_offset") return {0, fmt::format("{}\n", d->vf_offset)};
      if (a == "sriov_stride") return {0, fmt::format("{}\n", d->vf_stride)};
      if (a == "sriov_vf_device") return {0, fmt::format("{:x}\n", d->vf_device)};
      if (a == "sriov_drivers_autoprobe") return {0, d->drivers_autoprobe ? "1\n" : "0\n"};
    }
    return {ENOENT, ""};
  }
  if (parts.size() == 5 && path.rfind(k_iommu_groups + "/", 0) == 0) {
    const auto groups = m_iommu->groups();
    const iommu_group_info* g = group_named(groups, parts[3]);
    if (!g) return {ENOENT, ""};
    if (parts[4] == "type") return {0, group_type(*m_iommu) + "\n"};
    if (parts[4] == "reserved_regions") return {0, reserved_regions(*g, *m_pci)};
    return {ENOENT, ""};
  }
  if (parts.size() == 5 && path.rfind(k_class_net, 0) == 0) {
    netdev* nd = m_drivers->find_netdev(parts[3]);
    if (!nd) return {ENOENT, ""};
    const std::string& a = parts[4];
    if (a == "address") return {0, format_mac(nd->mac) + "\n"};
    if (a == "mtu") return {0, fmt::format("{}\n", nd->mtu)};
    if (a == "ifindex") return {0, fmt::format("{}\n", nd->ifindex)};
    if (a == "operstate") return {0, nd->admin_up && nd->carrier ? "up\n" : "down\n"};
    // net-sysfs carrier_show: -EINVAL while the interface is down.
    if (a == "carrier") return nd->admin_up ? fs_result{0, nd->carrier ? "1\n" : "0\n"} : fs_result{EINVAL, ""};
  }
  return {ENOENT, ""};
}

int host_system::write(const std::string& raw, const std::string& data, bool append) {
  const std::string path = resolve(raw);
  if (path.rfind("/sys/", 0) != 0 && path.rfind("/proc/", 0) != 0) {
    if (is_dir(path)) return EISDIR;
    const std::string dir = path.substr(0, path.rfind('/'));
    if (!is_dir(dir)) return ENOENT;
    if (append) m_files[path] += data;
    else m_files[path] = data;
    return 0;
  }
  const std::vector<std::string> parts = split_path(path);
  if (parts.size() == 6 && path.rfind(k_pci_devices, 0) == 0) {
    pci_dev* d = m_pci->find(parts[4]);
    if (!d) return ENOENT;
    const std::string& a = parts[5];
    if (a == "sriov_numvfs" && d->sriov_pos && !d->is_virtfn) {
      unsigned n = 0;
      if (const int err = parse_u16(data, n)) return err;
      return -m_drivers->sriov_numvfs_store(*d, n);
    }
    if (a == "sriov_drivers_autoprobe" && d->sriov_pos && !d->is_virtfn) {
      std::string v = data;
      if (!v.empty() && v.back() == '\n') v.pop_back();
      if (v == "1" || v == "y" || v == "Y" || v == "on") d->drivers_autoprobe = true;
      else if (v == "0" || v == "n" || v == "N" || v == "off") d->drivers_autoprobe = false;
      else return EINVAL;
      return 0;
    }
  }
  // Existing read-only attributes refuse writes; everything else does not exist.
  return read(raw).error == 0 ? EACCES : ENOENT;
}

fs_result host_system::list(const std::string& raw) {
  const std::string path = resolve(raw);
  std::vector<std::string> names;
  const std::vector<std::string> parts = split_path(path);
  if (path == "/sys/bus/pci/devices") {
    for (pci_dev* d : m_pci->devices()) names.push_back(d->bdf());
  } else if (parts.size() == 5 && path.rfind(k_pci_devices, 0) == 0) {
    pci_dev* d = m_pci->find(parts[4]);
    if (!d) return {ENOENT, ""};
    names = {"class", "device", "revision", "subsystem_device", "subsystem_vendor", "vendor"};
    if (!d->driver.empty()) names.push_back("driver");
    if (!d->netdev.empty()) names.push_back("net");
    if (d->is_virtfn) names.push_back("physfn");
    if (d->sriov_pos && !d->is_virtfn)
      for (const char* a : {"sriov_drivers_autoprobe", "sriov_numvfs", "sriov_offset", "sriov_stride",
                            "sriov_totalvfs", "sriov_vf_device"})
        names.push_back(a);
    for (size_t i = 0; i < d->vfs.size(); ++i) names.push_back(fmt::format("virtfn{}", i));
    if (group_of(m_iommu->groups(), d->bdf())) names.push_back("iommu_group");
  } else if (path == k_iommu_groups) {
    for (const auto& g : m_iommu->groups()) names.push_back(std::to_string(g.id));
  } else if (parts.size() == 4 && path.rfind(k_iommu_groups + "/", 0) == 0) {
    if (!group_named(m_iommu->groups(), parts[3])) return {ENOENT, ""};
    names = {"devices", "reserved_regions", "type"};
  } else if (parts.size() == 5 && path.rfind(k_iommu_groups + "/", 0) == 0 && parts[4] == "devices") {
    const auto groups = m_iommu->groups();
    const iommu_group_info* g = group_named(groups, parts[3]);
    if (!g) return {ENOENT, ""};
    names = g->devices;
  } else if (parts.size() == 6 && path.rfind(k_pci_devices, 0) == 0 && parts[5] == "net") {
    pci_dev* d = m_pci->find(parts[4]);
    if (!d || d->netdev.empty()) return {ENOENT, ""};
    names.push_back(d->netdev);
  } else if (path == "/sys/class/net") {
    names.push_back("lo");
    for (netdev* n : m_drivers->netdevs()) names.push_back(n->name);
  } else if (parts.size() == 4 && path.rfind(k_class_net, 0) == 0) {
    if (!m_drivers->find_netdev(parts[3])) return {ENOENT, ""};
    names = {"address", "carrier", "device", "ifindex", "mtu", "operstate"};
  } else if (path == "/sys/bus/pci/drivers") {
    names = m_drivers->loaded_modules();
  } else {
    // Plain files and the fixed directories: list the directory's children.
    const std::string prefix = path == "/" ? "/" : path + "/";
    for (const char* f : k_fixed_dirs) {
      const std::string dir = f;
      if (dir.size() > prefix.size() && dir.rfind(prefix, 0) == 0 && dir.find('/', prefix.size()) == std::string::npos)
        names.push_back(dir.substr(prefix.size()));
    }
    if (path == "/proc") names.push_back("cmdline");
    for (const auto& [file, content] : m_files)
      if (file.rfind(prefix, 0) == 0) {
        const std::string rest = file.substr(prefix.size());
        names.push_back(rest.substr(0, rest.find('/')));
      }
    if (names.empty() && !is_dir(path)) {
      // `ls FILE` names the file itself.
      if (read(path).error == 0) return {0, raw + "\n"};
      return {ENOENT, ""};
    }
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::string out;
  for (const auto& n : names) out += n + "\n";
  return {0, out};
}

bool host_system::is_dir(const std::string& raw) {
  const std::string path = resolve(raw);
  const std::vector<std::string> parts = split_path(path);
  for (const char* f : k_fixed_dirs)
    if (path == f || (path.empty() && std::string(f) == "/")) return true;
  if ((parts.size() == 4 || (parts.size() == 5 && parts[4] == "devices")) && path.rfind(k_iommu_groups + "/", 0) == 0)
    return group_named(m_iommu->groups(), parts[3]) != nullptr;
  if (parts.size() == 5 && path.rfind(k_pci_devices, 0) == 0) return m_pci->find(parts[4]) != nullptr;
  if (parts.size() == 6 && path.rfind(k_pci_devices, 0) == 0 && parts[5] == "net") {
    pci_dev* d = m_pci->find(parts[4]);
    return d && !d->netdev.empty();
  }
  if (parts.size() == 4 && path.rfind(k_class_net, 0) == 0) return m_drivers->find_netdev(parts[3]) != nullptr;
  const std::string prefix = path + "/";
  for (const auto& [file, content] : m_files)
    if (file.rfind(prefix, 0) == 0) return true;
  return false;
}

fs_result host_system::readlink(const std::string& raw) {
  std::vector<std::string> parts = split_path(raw);
  if (parts.empty()) return {EINVAL, ""};
  const std::string name = parts.back();
  parts.pop_back();
  const std::string dir = resolve(join(parts, 0));
  const std::vector<std::string> d = split_path(dir);
  if (d.size() == 5 && dir.rfind(k_pci_devices, 0) == 0) {
    if (pci_dev* dev = m_pci->find(d[4])) {
      // pci-sysfs / iov.c links: siblings and the driver; iommu.c: the group.
      if (name == "physfn" && dev->physfn) return {0, "../" + dev->physfn->bdf()};
      for (size_t i = 0; i < dev->vfs.size(); ++i)
        if (name == fmt::format("virtfn{}", i)) return {0, "../" + dev->vfs[i]->bdf()};
      if (name == "driver" && !dev->driver.empty()) return {0, "../../../../bus/pci/drivers/" + dev->driver};
      if (name == "iommu_group") {
        const auto groups = m_iommu->groups();
        if (const iommu_group_info* g = group_of(groups, dev->bdf()))
          return {0, "../../../../kernel/iommu_groups/" + std::to_string(g->id)};
      }
    }
  } else if (d.size() == 5 && dir.rfind(k_iommu_groups + "/", 0) == 0 && d[4] == "devices") {
    const auto groups = m_iommu->groups();
    const iommu_group_info* g = group_named(groups, d[3]);
    if (g && std::find(g->devices.begin(), g->devices.end(), name) != g->devices.end())
      return {0, "../../../../bus/pci/devices/" + name};
  } else if (d.size() == 4 && dir.rfind(k_class_net, 0) == 0 && name == "device") {
    if (netdev* nd = m_drivers->find_netdev(d[3])) return {0, "../../../bus/pci/devices/" + nd->dev->bdf()};
  }
  const std::string path = dir + "/" + name;
  return {is_dir(path) || read(path).error != ENOENT ? EINVAL : ENOENT, ""};
}

}  // namespace iovsim::host
