#include "drivers-sim/virt/vfio.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>

#include "drivers-sim/kernel/errno.h"
#include "drivers-sim/kernel/module.h"
#include "models/kit/sim_env.h"

namespace iovsim::host {

namespace {
const std::string k_name = "vfio-pci";
const std::vector<pci_device_id> k_no_ids;
uint16_t rid_of(const pci_dev& d) { return static_cast<uint16_t>(d.bus << 8 | d.devfn); }
}  // namespace

vfio_core::vfio_core(pci_core& pci, pci_bus_type& bus, intel_iommu* iommu, dma_api& dma, kernel_log& log, kernfs& fs)
    : m_pci(pci), m_bus(bus), m_iommu(iommu), m_dma(dma), m_log(log), m_fs(fs) {
  mount();
}

vfio_core::~vfio_core() = default;

const std::string& vfio_core::name() const { return k_name; }
const std::vector<pci_device_id>& vfio_core::id_table() const { return k_no_ids; }

void vfio_core::mount() {
  // /dev/vfio: the container node and one node per group with a vfio-pci member
  // (vfio/group.c vfio_group_alloc: "vfio/%s", the group's number or noiommu-N).
  m_fs.mount("/dev/vfio", [this] {
    std::vector<kernfs_node> out;
    out.push_back(kernfs_node::text("vfio", ""));
    std::vector<std::string> groups;
    for (const auto& [dev, g] : m_bound)
      if (std::find(groups.begin(), groups.end(), g) == groups.end()) groups.push_back(g);
    std::sort(groups.begin(), groups.end());
    for (const auto& g : groups) out.push_back(kernfs_node::text(g, ""));
    return out;
  });
  // vfio.ko's module parameter (drivers/vfio/vfio_main.c, CONFIG_VFIO_NOIOMMU):
  // "Y"/"N"; writing 1/Y/y turns the unsafe mode on for functions bound from now on.
  m_fs.mount("/sys/module/vfio/parameters", [this] {
    return std::vector<kernfs_node>{kernfs_node::file(
        "enable_unsafe_noiommu_mode",
        [this] {
          return fs_result{0, m_noiommu ? "Y\n" : "N\n"};
        },
        [this](const std::string& data) {
          const std::string v = data.substr(0, data.find('\n'));
          if (v == "1" || v == "Y" || v == "y")
            m_noiommu = true;
          else if (v == "0" || v == "N" || v == "n")
            m_noiommu = false;
          else
            return EINVAL;  // param_set_bool: kstrtobool
          return 0;
        })};
  });
}

std::string vfio_core::group_of(const pci_dev& dev) const {
  auto it = m_bound.find(&dev);
  return it == m_bound.end() ? "" : it->second;
}

std::vector<pci_dev*> vfio_core::group_members(const pci_dev& dev) const {
  std::vector<pci_dev*> out;
  if (m_iommu && m_iommu->enabled()) {
    for (const iommu_group_info& g : m_iommu->groups()) {
      if (std::find(g.devices.begin(), g.devices.end(), dev.bdf()) == g.devices.end()) continue;
      for (const std::string& bdf : g.devices)
        if (pci_dev* d = m_pci.find(bdf)) out.push_back(d);
    }
  }
  if (out.empty()) out.push_back(const_cast<pci_dev*>(&dev));
  std::sort(out.begin(), out.end(), [](const pci_dev* a, const pci_dev* b) { return rid_of(*a) < rid_of(*b); });
  return out;
}

int vfio_core::probe(pci_dev& dev) {
  // vfio_pci_probe(): only normal (type 0) headers; vfio_pci_core_register_device():
  // a PF whose VFs are enabled by another driver is refused.
  if (dev.hdr_type != 0) return -EINVAL;
  if (dev.num_vfs) {
    m_log.print(fmt::format("vfio-pci {}: Cannot bind to PF with SR-IOV enabled", dev.bdf()));
    return -EBUSY;
  }
  std::string group;
  if (m_iommu && m_iommu->enabled()) {
    for (const iommu_group_info& g : m_iommu->groups())
      if (std::find(g.devices.begin(), g.devices.end(), dev.bdf()) != g.devices.end()) group = std::to_string(g.id);
  }
  if (group.empty()) {
    // vfio_group_find_or_alloc(): no IOMMU group and no unsafe mode, no device.
    if (!m_noiommu) return -EINVAL;
    group = fmt::format("noiommu-{}", m_next_noiommu++);
    m_log.print(fmt::format("vfio-pci {}: Adding kernel taint for vfio-noiommu group on device", dev.bdf()));
  }
  m_bound[&dev] = group;
  return 0;
}

void vfio_core::remove(pci_dev& dev) {
  auto it = m_open.find(&dev);
  if (it != m_open.end()) close(*it->second);
  m_bound.erase(&dev);
}

int vfio_core::open(pci_dev& dev, const std::string& owner, device*& out, std::string& why) {
  out = nullptr;
  const std::string group = group_of(dev);
  if (group.empty()) {
    why = dev.driver.empty() ? fmt::format("{} is not bound to vfio-pci (no driver)", dev.bdf())
                             : fmt::format("{} is bound to {}, not vfio-pci", dev.bdf(), dev.driver);
    return -ENODEV;
  }
  // Viability: every member bound to vfio-pci or to nothing (QEMU's vfio_get_group():
  // "group N is not viable"; DPDK: "VFIO group is not viable! Not all devices in IOMMU
  // group bound to VFIO or unbound").
  for (pci_dev* m : group_members(dev)) {
    if (m->driver.empty() || m->driver == k_name) continue;
    why = fmt::format(
        "{}: group {} is not viable\nPlease ensure all devices within the iommu_group are bound to their vfio bus "
        "driver.\n({} is bound to {})",
        dev.bdf(), group, m->bdf(), m->driver);
    return -EPERM;
  }
  auto held = m_group_owner.find(group);
  if (held != m_group_owner.end() && held->second != owner) {
    why = fmt::format("{}: group {} is in use by {}", dev.bdf(), group, held->second);
    return -EBUSY;
  }
  if (m_open.count(&dev)) {
    why = fmt::format("{}: device is already open by {}", dev.bdf(), m_open.at(&dev)->owner);
    return -EBUSY;
  }
  auto d = std::make_unique<device>();
  d->dev = &dev;
  d->owner = owner;
  d->group = group;
  d->noiommu = group.rfind("noiommu-", 0) == 0;
  m_group_owner[group] = owner;
  out = d.get();
  m_open[&dev] = std::move(d);
  kit::sim_env::current().log("host", "host.vfio", fmt::format("{} (group {}) opened by {}", dev.bdf(), group, owner));
  return 0;
}

void vfio_core::close(device& d) {
  pci_dev* dev = d.dev;
  for (const auto& [iova, bytes] : d.maps) m_dma.unmap_guest_memory(*dev, iova, bytes);
  const std::string group = d.group;
  m_open.erase(dev);
  bool still = false;
  for (const auto& [k, v] : m_open) still |= v->group == group;
  if (!still) m_group_owner.erase(group);
}

int vfio_core::dma_map(device& d, uint64_t iova, uint64_t phys, uint64_t len, uint64_t max_page) {
  // vfio_iommu_type1 only: a no-IOMMU container has no VFIO_IOMMU_MAP_DMA.
  if (d.noiommu) return -EINVAL;
  const int rc = m_dma.map_guest_memory(*d.dev, iova, phys, len, max_page);
  if (rc) return rc;
  d.maps.emplace_back(iova, len);
  d.mapped_bytes += len;
  return 0;
}

namespace {
class vfio_module : public kernel_module {
 public:
  explicit vfio_module(vfio_core& core) : m_core(core) {}
  std::string name() const override { return "vfio"; }
  std::vector<module_param_def> params() const override {
    return {{"enable_unsafe_noiommu_mode", module_param_def::type::bool_,
             "Enable UNSAFE, no-IOMMU mode.  This mode provides no device isolation, no DMA translation, no host "
             "kernel protection, cannot be used for device assignment to virtual machines, requires RAWIO "
             "permissions, and will taint the kernel.  If you do not know what this is for, step away. "
             "(default: false)"}};
  }
  int init(const std::map<std::string, std::string>& p) override {
    auto it = p.find("enable_unsafe_noiommu_mode");
    if (it != p.end()) m_core.set_noiommu(it->second == "1" || it->second == "Y" || it->second == "y");
    return 0;
  }
  void exit() override { m_core.set_noiommu(false); }

 private:
  vfio_core& m_core;
};

class vfio_pci_module : public kernel_module {
 public:
  vfio_pci_module(vfio_core& core, pci_bus_type& bus) : m_core(core), m_bus(bus) {}
  std::string name() const override { return "vfio_pci"; }
  int init(const std::map<std::string, std::string>&) override {
    m_bus.register_driver(m_core);
    return 0;
  }
  void exit() override { m_bus.unregister_driver(m_core); }

 private:
  vfio_core& m_core;
  pci_bus_type& m_bus;
};
}  // namespace

void install_vfio_modules(module_loader& loader, vfio_core& core, pci_bus_type& bus) {
  loader.install(std::make_unique<vfio_module>(core));
  loader.install(std::make_unique<vfio_pci_module>(core, bus));
}

}  // namespace iovsim::host
