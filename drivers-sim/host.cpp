#include "drivers-sim/host.h"

#include <fmt/format.h>

#include <cerrno>
#include <systemc>

#include "drivers-sim/iommu/iommu_sysfs.h"
#include "drivers-sim/kernel/procfs.h"
#include "drivers-sim/net/net_sysfs.h"
#include "drivers-sim/userland/lspci/sysfs_access.h"
#include "drivers-sim/userland/tools.h"
#include "models/kit/sim_env.h"

namespace iovsim::host {

namespace {
constexpr const char* RELEASE = "6.1.0-iovsim";

// The directories a freshly booted Debian has whatever the kernel mounts.
const char* const k_fixed_dirs[] = {"/sys/bus/pci/devices", "/sys/bus/pci/drivers", "/sys/class/net",
                                    "/sys/kernel/iommu_groups", "/etc/modprobe.d", "/proc", "/tmp"};

// The devices a built-in driver takes: the profiles built by one device model
// (iovsim_dma: "dma_test", iovsim_pciebench: "pciebench").
std::vector<pci_device_id> ids_of_model(const pb::ProfileLibrary& profiles, const std::string& model) {
  std::vector<pci_device_id> ids;
  for (const auto& p : profiles.device())
    if (p.model() == model) ids.push_back({static_cast<uint16_t>(p.vendor_id()), static_cast<uint16_t>(p.device_id())});
  return ids;
}
}  // namespace

void firmware_hal::log(const std::string& who, const std::string& message) {
  kit::sim_env::current().log("firmware", who, message);
}

fw::bios_options bios_options_of(const pb::Firmware& f) {
  fw::bios_options o;
  o.reserve_vf_buses = f.bus_numbering() == pb::Firmware::RESERVE_VF_BUSES;
  o.assign_iov_bars = f.iov_bars() == pb::Firmware::ASSIGN_IOV_BARS;
  if (f.mmio_base()) o.mmio_base = f.mmio_base();
  if (f.mmio64_base()) o.mmio64_base = f.mmio64_base();
  return o;
}

pci_ids pci_ids_of(const pb::ProfileLibrary& profiles) {
  pci_ids ids;
  for (const auto& p : profiles.device()) {
    const auto v = static_cast<uint16_t>(p.vendor_id());
    ids.add_vendor(v, p.vendor_name());
    ids.add_device(v, static_cast<uint16_t>(p.device_id()), p.device_name());
    if (p.has_sriov()) ids.add_device(v, static_cast<uint16_t>(p.sriov().vf_device_id()), p.sriov().vf_device_name());
    // pci.ids names the PF's subsystem only; a VF shows "Device xxxx".
    if (!p.subsystem_name().empty())
      ids.add_subsystem(v, static_cast<uint16_t>(p.device_id()), static_cast<uint16_t>(p.subsystem_vendor_id()),
                        static_cast<uint16_t>(p.subsystem_id()), p.subsystem_name());
  }
  for (const auto& p : profiles.port()) {
    ids.add_vendor(static_cast<uint16_t>(p.vendor_id()), p.vendor_name());
    ids.add_device(static_cast<uint16_t>(p.vendor_id()), static_cast<uint16_t>(p.device_id()), p.device_name());
  }
  return ids;
}

class host_system::settling_vfs : public vfs {
 public:
  explicit settling_vfs(host_system& host) : m_host(host) {}
  fs_result read(const std::string& path) override { return m_host.m_fs.read(path); }
  int write(const std::string& path, const std::string& data, bool append) override {
    const int err = m_host.m_fs.write(path, data, append);
    m_host.settle();
    return err;
  }
  fs_result list(const std::string& path) override { return m_host.m_fs.list(path); }
  bool is_dir(const std::string& path) override { return m_host.m_fs.is_dir(path); }
  fs_result readlink(const std::string& path) override { return m_host.m_fs.readlink(path); }
  fs_stat lstat(const std::string& path) override { return m_host.m_fs.lstat(path); }

 private:
  host_system& m_host;
};

void host_system::settle() {
  if (m_k && m_k->net) m_k->net->flush_uevents();
}

host_system::host_system(platform::board& hw, uint64_t seed, const std::string& name_prefix)
    : m_board(hw),
      m_seed(seed),
      m_params(kernel_params::parse(hw.spec().kernel_cmdline())),
      m_ids(pci_ids_of(hw.profiles())),
      m_prefix(name_prefix) {
  for (const char* d : k_fixed_dirs) m_fs.mkdir(d);
  for (const auto& f : hw.spec().file()) m_fs.put_file(f.path(), f.content());
  // DMA writes are checked against memory ownership for the whole run (reboots too).
  if (platform::machine* m = hw.physical())
    m->dram().add_write_observer([this](uint64_t addr, unsigned len, uint16_t rid) {
      if (!m_k) return;
      if (m_k->vms) m_k->vms->observe(addr, len, rid);
      if (m_k->dmatest) m_k->dmatest->observe(addr, len, rid);  // DMA into buffers it unmapped
    });
  start_kernel();
  m_user_fs = std::make_unique<settling_vfs>(*this);
  m_shell = std::make_unique<shell>(*m_user_fs);
  syscalls& sys = *this;
  register_kmod(*m_shell, sys);
  register_iproute2(*m_shell, sys);
  register_util_linux(*m_shell, sys);
  register_busybox(*m_shell, sys);
  register_pciutils(*m_shell, sys, m_ids);
  register_iputils(*m_shell, sys);
  register_ethtool(*m_shell, sys);
  register_sim_verbs(*m_shell, *this);
}

host_system::~host_system() { stop_kernel(); }

platform::machine& host_system::machine() {
  if (!m_board.physical()) throw std::logic_error("a guest has no physical machine");
  return *m_board.physical();
}

void host_system::stop_kernel() {
  m_fs.unmount_all();
  if (!m_k) return;
  // Users before what they use (the reverse of start_kernel()).
  m_k->iopf.reset();
  m_k->inject.reset();
  m_k->vms.reset();
  m_k->sysfs.reset();
  m_k->modules.reset();
  m_k->vfio.reset();  // after the modules: vfio_pci's exit unregisters it
  m_k->dmatest.reset();
  m_k->net_env.reset();
  if (m_k->net) m_k->net->set_packet_handler(nullptr);
  m_k->stack.reset();
  m_k->net.reset();
  m_k->bus.reset();
  m_k->pci.reset();
  m_k->dma.reset();
  m_k->iommu.reset();
  m_k->pages.reset();
  m_k.reset();
}

void host_system::start_kernel() {
  stop_kernel();
  m_k = std::make_unique<kernel_parts>();
  kernel_parts& k = *m_k;
  platform::machine* phys = m_board.physical();
  k.pages = std::make_unique<page_allocator>(m_board.bus(), page_allocator::DEFAULT_BASE, m_board.memory_bytes());
  k.irq = std::make_unique<irq_core>();
  k.irq->set_entry_overhead(m_board.interrupt_overhead());
  k.iommu = std::make_unique<intel_iommu>(m_board.bus(), *k.pages, m_params, m_log);
  k.dma = std::make_unique<dma_api>(k.iommu.get(), m_log);
  k.pci = std::make_unique<pci_core>(m_board.bus(), m_params, m_log);
  k.bus = std::make_unique<pci_bus_type>(*k.pci, m_log);
  k.bus->on_uevent = [this](pci_dev&, const std::string& modalias) { udev_device_added(*this, m_udev_kmod, modalias); };
  k.net = std::make_unique<net_core>(m_log, m_seed + m_boots);
  k.packet_generator = std::make_unique<pktgen>();
  k.net->on_uevent = [this](const std::string& ifname) { udev_net_added(*this, ifname); };
  k.stack = std::make_unique<ipv4_stack>(*k.net, m_log, m_seed + m_boots);
  k.net->set_packet_handler(k.stack.get());
  k.net_env.reset(new intel_env{*k.pci, *k.bus, *k.net, m_log, m_board.profiles()});
  k.net_env->dma = k.dma.get();
  k.net_env->pages = k.pages.get();
  k.net_env->irq = k.irq.get();
  k.dmatest = std::make_unique<dmatest_driver>(
      phys, [this](uint64_t len, uint64_t align) { return m_k->pages->alloc_contiguous(len, align); }, m_log,
      ids_of_model(m_board.profiles(), "dma_test"));
  k.dmatest->set_mapper(k.dma.get());
  k.bus->register_driver(*k.dmatest);   // built in (=y), not a module
  k.pciebench = std::make_unique<pciebench_driver>(
      phys, [this](uint64_t len, uint64_t align) { return m_k->pages->alloc_contiguous(len, align); }, m_log,
      ids_of_model(m_board.profiles(), "pciebench"));
  k.pciebench->set_dma_api(k.dma.get());
  k.bus->register_driver(*k.pciebench);  // built in, as iovsim_dma
  k.modules = std::make_unique<module_loader>(m_log);
  install_net_modules(*k.modules, *k.net_env);
  k.sysfs = std::make_unique<pci_sysfs>(m_fs, *k.pci, *k.bus);
  mount_net_sysfs(m_fs, *k.sysfs, *k.net);
  mount_iommu_sysfs(m_fs, *k.sysfs, *k.pci, *k.iommu);
  mount_procfs(m_fs, m_params, *k.modules);
  // sysctl net.ipv4.conf.all.arp_ignore (devinet.c takes 0..8): 1 is modelled, the rest act as 0.
  m_fs.mount("/proc/sys/net/ipv4/conf/all", [this] {
    return std::vector<kernfs_node>{kernfs_node::file(
        "arp_ignore", [this] { return fs_result{0, fmt::format("{}\n", m_k->stack->arp_ignore())}; },
        [this](const std::string& data) {
          const std::string v = data.substr(0, data.find('\n'));
          if (v.size() != 1 || v[0] < '0' || v[0] > '8') return EINVAL;
          m_k->stack->set_arp_ignore(static_cast<unsigned>(v[0] - '0') == 1 ? 1 : 0);
          return 0;
        })};
  });
  k.vfio = std::make_unique<vfio_core>(*k.pci, *k.bus, k.iommu.get(), *k.dma, m_log, m_fs);
  install_vfio_modules(*k.modules, *k.vfio, *k.bus);
  if (phys) {
    k.vms = std::make_unique<vm_manager>(*phys, *k.pages, *k.dma, *k.vfio, *k.irq, m_log, m_prefix);
    k.vms->set_iommu(k.iommu.get());
    k.vms->set_guest_factory([this](platform::board& hw, const std::string& prefix) -> std::unique_ptr<guest_kernel> {
      return std::make_unique<host_system>(hw, m_seed, prefix);
    });
  }
  k.inject = std::make_unique<fault_injector>(*k.iommu, *k.dmatest);
  // The driver's page request queue thread; its event MSI reaches it through handle_msi().
  k.iopf = std::make_unique<iopf_service>(*k.iommu, m_log);
  k.iopf->set_resolver([this](const iommu::page_request& r, sc_core::sc_time& cpu, std::string& why) {
    return m_k->vms->resolve_page_request(r, cpu, why);
  });
  // Message-signalled interrupts: the remapping unit's own events, then the devices'.
  m_board.set_msi_handler([this](uint64_t addr, uint32_t data) {
    if (m_k->iommu->handle_msi(addr, data)) return;
    if (m_k->vms && m_k->vms->handle_msi(addr, data)) return;  // posted to a guest
    m_k->irq->deliver(addr, data);
  });
  k.pci->on_enumerated = [this] {
    m_k->iommu->init(m_k->pci->devices());
    m_iommu_ready = true;
  };
  k.pci->on_add = [this](pci_dev& d) {
    // Devices that appear after boot (VFs) join the IOMMU first, then bind.
    if (m_iommu_ready && d.is_virtfn) m_k->iommu->add_device(d);
    m_k->bus->device_added(d);
  };
  // Everyone that holds a function learns it is going (the bus notifier chain).
  k.pci->on_remove = [this](pci_dev& d) {
    m_k->bus->device_removed(d);
    if (m_k->vms) m_k->vms->device_removed(d);
    if (m_iommu_ready) m_k->iommu->remove_device(d);
  };
}

void host_system::reboot(const std::string& cmdline) {
  ++m_boots;
  m_board.reset_hardware();
  m_params = kernel_params::parse(cmdline);
  m_log = kernel_log{};
  start_kernel();
  kit::sim_env::current().log("host", "host.kernel", "reboot: " + cmdline);
  boot();
}

void host_system::boot() {
  firmware_hal hw(m_board.bus());
  m_bios = fw::run_bios(hw, bios_options_of(m_board.spec().firmware()));
  m_k->pci->set_root_windows({m_bios.mmio_base, m_bios.mmio64_base});
  m_log.print("Linux version 6.1.0-iovsim (iovsim) #1 SMP");
  m_log.print("Command line: " + m_params.cmdline);
  if (m_params.noats) m_log.print("PCIe: ATS is disabled");   // pci.c pci_setup(): pci=noats
  m_iommu_ready = false;
  m_k->iommu->early_init();
  m_k->pci->scan();
  settle();  // coldplug: udev names the interfaces the boot made
  kit::sim_env::current().log("host", "host.kernel", fmt::format("boot done: {} PCI functions", m_k->pci->devices().size()));
}

std::vector<lspci_device> host_system::lspci_view(const std::function<bool(const std::string& bdf)>& which) {
  // An observer's reads: the run's time and counters are the run's, whatever is dumped.
  struct observing {
    platform::host_bus& bus;
    explicit observing(platform::host_bus& b) : bus(b) { bus.set_observer(true); }
    ~observing() { bus.set_observer(false); }
  } guard(m_board.bus());
  return read_pci_devices(*this, m_ids, which);
}

// ---- system calls --------------------------------------------------------------

std::vector<std::string> host_system::syslog() { return m_log.lines(); }

int host_system::init_module(const std::string& name, const std::string& params) {
  const int rc = m_k->modules->load(name, params);
  settle();
  return rc;
}

int host_system::load_module(const std::string& name) {
  if (m_k->modules->loaded(name)) return 0;
  return init_module(name, "");
}

int host_system::delete_module(const std::string& name) { return m_k->modules->unload(name); }

std::string host_system::module_for_alias(const std::string& modalias) {
  return m_k->modules->module_for_alias(modalias);
}

std::string host_system::release() { return RELEASE; }

std::vector<link_info> host_system::rtnl_getlink() { return m_k->net->getlink(); }

int host_system::rtnl_setlink_up(int ifindex, bool up) {
  netdev* nd = m_k->net->find(ifindex);
  return nd ? m_k->net->set_up(*nd, up) : -ENODEV;
}

int host_system::rtnl_setlink_name(int ifindex, const std::string& name) { return m_k->net->rename(ifindex, name); }

int host_system::rtnl_setlink_mtu(int ifindex, unsigned mtu, std::string& why) {
  netdev* nd = m_k->net->find(ifindex);
  return nd ? m_k->net->set_mtu(*nd, mtu, why) : -ENODEV;
}

int host_system::rtnl_setlink_flags(int ifindex, unsigned flags, unsigned change) {
  netdev* nd = m_k->net->find(ifindex);
  return nd ? m_k->net->change_flags(*nd, flags, change) : -ENODEV;
}

int host_system::rtnl_newlink_vlan(int link_ifindex, const std::string& name, uint16_t proto, uint16_t vid,
                                   std::string& why) {
  netdev* real = m_k->net->find(link_ifindex);
  return real ? m_k->net->add_vlan(*real, name, proto, vid, why) : -ENODEV;
}

int host_system::rtnl_dellink(int ifindex) {
  netdev* nd = m_k->net->find(ifindex);
  return nd ? m_k->net->del_link(*nd) : -ENODEV;
}

int host_system::rtnl_setlink_address(int ifindex, uint64_t mac) {
  netdev* nd = m_k->net->find(ifindex);
  return nd ? m_k->net->set_mac_address(*nd, mac) : -ENODEV;
}

int host_system::rtnl_setlink_vf(int ifindex, const vf_setting& s) {
  netdev* nd = m_k->net->find(ifindex);
  return nd ? m_k->net->set_vf(*nd, s) : -ENODEV;
}

int host_system::rtnl_fdb_add(const fdb_request& r, std::string& why) { return m_k->net->fdb_add(r, why); }
int host_system::rtnl_fdb_del(const fdb_request& r, std::string& why) { return m_k->net->fdb_del(r, why); }
int host_system::rtnl_fdb_dump(int brport_ifindex, int br_ifindex, std::vector<fdb_entry>& out) {
  return m_k->net->fdb_dump(brport_ifindex, br_ifindex, out);
}

int host_system::rtnl_newaddr(int ifindex, uint32_t local, unsigned prefixlen, uint32_t broadcast) {
  return m_k->stack->add_address(ifindex, local, prefixlen, broadcast);
}

int host_system::rtnl_deladdr(int ifindex, uint32_t local, unsigned prefixlen) {
  return m_k->stack->del_address(ifindex, local, prefixlen);
}

std::vector<ifaddr_info> host_system::rtnl_getaddr() { return m_k->stack->addresses(); }
std::vector<route_info> host_system::rtnl_getroute() { return m_k->stack->routes(); }
std::vector<neigh_info> host_system::rtnl_getneigh() { return m_k->stack->neighbours(); }

int host_system::ethtool_drvinfo(const std::string& ifname, drvinfo& info) {
  netdev* nd = m_k->net->find(ifname);
  if (!nd) return -ENODEV;
  info = nd->ops->get_drvinfo(*nd);
  return 0;
}

int host_system::ethtool_stats(const std::string& ifname, std::vector<std::pair<std::string, uint64_t>>& stats) {
  netdev* nd = m_k->net->find(ifname);
  if (!nd) return -ENODEV;
  stats = nd->ops->ethtool_stats(*nd);
  return 0;
}

int host_system::ping_socket(const std::string& ifname) { return m_k->stack->ping_open(ifname); }

int host_system::ping_send(int fd, uint32_t dst, uint16_t sequence, const std::vector<uint8_t>& data) {
  return m_k->stack->ping_send(fd, dst, sequence, data);
}

int host_system::ping_recv(int fd, ping_message& msg, uint64_t timeout_ns) {
  return m_k->stack->ping_recv(fd, msg, sc_core::sc_time(static_cast<double>(timeout_ns), sc_core::SC_NS));
}

void host_system::close_socket(int fd) { m_k->stack->close(fd); }

uint64_t host_system::clock_ns() {
  return static_cast<uint64_t>(sc_core::sc_time_stamp().value() / sc_core::sc_time(1, sc_core::SC_NS).value());
}

int host_system::devmem(uint64_t addr, void* data, unsigned len, bool write) {
  if (addr + len < addr || addr + len > m_board.memory_bytes()) return -EFAULT;
  if (write)
    m_board.bus().mem_write(addr, data, len);
  else
    m_board.bus().mem_read(addr, data, len);
  return 0;
}

}  // namespace iovsim::host
