// One simulated Linux host, assembled: the firmware run at power-on, a kernel made
// of the subsystems in kernel/, pci/, iommu/, net/, misc/ and virt/ (all new at
// every boot), the file tree they mount, and the userland on top: the shell with the
// tools each package registers and the simulator's verbs. It runs in a SystemC
// thread and reaches the hardware only through platform::host_bus. Adding a driver
// or a command touches the subsystem that owns it, not this file.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "drivers-sim/iommu/dma_api.h"
#include "drivers-sim/iommu/dmar.h"
#include "drivers-sim/iommu/iopf.h"
#include "drivers-sim/kernel/irq.h"
#include "drivers-sim/kernel/kernel.h"
#include "drivers-sim/kernel/kernfs.h"
#include "drivers-sim/kernel/module.h"
#include "drivers-sim/kernel/page_alloc.h"
#include "drivers-sim/kernel/syscalls.h"
#include "drivers-sim/misc/dmatest.h"
#include "drivers-sim/misc/pciebench.h"
#include "drivers-sim/net/intel.h"
#include "drivers-sim/net/netdev.h"
#include "drivers-sim/net/pktgen.h"
#include "drivers-sim/net/stack.h"
#include "drivers-sim/pci/pci.h"
#include "drivers-sim/pci/pci_driver.h"
#include "drivers-sim/pci/pci_sysfs.h"
#include "drivers-sim/userland/lspci/lspci.h"
#include "drivers-sim/userland/lspci/pci_ids.h"
#include "drivers-sim/userland/shell/shell.h"
#include "drivers-sim/userland/sim/inject.h"
#include "drivers-sim/userland/sim/sim.h"
#include "drivers-sim/userland/tools.h"
#include "drivers-sim/virt/vfio.h"
#include "drivers-sim/virt/vm.h"
#include "firmware/bios.h"
#include "models/kit/stats.h"

namespace iovsim::host {

// The BIOS runs on the machine before the kernel: it sees the host bus and logs as
// `host.bios` in log.txt.
class firmware_hal : public fw::hal {
 public:
  explicit firmware_hal(platform::host_bus& bus) : m_bus(bus) {}
  platform::host_bus& bus() override { return m_bus; }
  void log(const std::string& who, const std::string& message) override;

 private:
  platform::host_bus& m_bus;
};

// What the scenario's `firmware` section says this machine's BIOS does.
fw::bios_options bios_options_of(const pb::Firmware& firmware);

// pci.ids as the device profiles name the parts.
pci_ids pci_ids_of(const pb::ProfileLibrary& profiles);

class host_system : public sim_host, public guest_kernel, private syscalls {
 public:
  // `name_prefix`: "" for a machine alone or the first of a world, "b." for machine
  // b, so the host's statistics (b.host.pci.functions) stay apart; a guest's is its
  // machine's and "guest.NAME." ("b.guest.vm1.host.pci.functions").
  // `hw`: a physical machine, or a guest's virtual platform.
  host_system(platform::board& hw, uint64_t seed, const std::string& name_prefix = "");
  ~host_system() override;

  // Firmware, then kernel enumeration and coldplug. Call from an SC_THREAD.
  void boot() override;
  // Platform reset and a new boot with this kernel command line; files under /etc
  // survive, everything the kernel knew does not.
  void reboot(const std::string& cmdline) override;
  cmd_result run(const std::string& line) override { return m_shell->run(line); }

  // The booted kernel's parts (new after every reboot).
  pci_core& pci() override { return *m_k->pci; }
  pci_bus_type& pci_bus() override { return *m_k->bus; }
  net_core& net() override { return *m_k->net; }
  pktgen& packet_generator() override { return *m_k->packet_generator; }
  ipv4_stack& stack() { return *m_k->stack; }
  module_loader& modules() { return *m_k->modules; }
  intel_iommu& iommu_driver() override { return *m_k->iommu; }
  dma_api& dma() { return *m_k->dma; }
  irq_core& irq() override { return *m_k->irq; }
  vfio_core& vfio() override { return *m_k->vfio; }
  page_allocator& pages() override { return *m_k->pages; }
  int load_module(const std::string& name) override;
  dmatest_driver& dmatest() override { return *m_k->dmatest; }
  pciebench_driver& pciebench() override { return *m_k->pciebench; }
  // The hypervisor: nullptr inside a guest (no nested virtualisation).
  vm_manager* vms() override { return m_k->vms.get(); }
  fault_injector& injector() override { return *m_k->inject; }
  kernel_log& dmesg() { return m_log; }
  const kernel_params& params() const override { return m_params; }
  platform::board& board() override { return m_board; }
  // The physical machine (a host's, not a guest's: throws std::logic_error there).
  platform::machine& machine();
  const fw::bios_summary& bios() const { return m_bios; }
  shell& sh() { return *m_shell; }
  // The file tree userland sees (sysfs, procfs, /etc, /tmp).
  kernfs& files() override { return m_fs; }
  // The wires and traffic ports of the world this machine is in (nullptr: none).
  world_access* world() override { return m_world; }
  void set_world(world_access* w) { m_world = w; }

  // What `lspci` sees: every function with its config bytes and names (or only the
  // functions `which` accepts, by "0000:03:00.1": the others' config is not read),
  // read as an observer (host_bus::set_observer): no simulated time, no counts.
  std::vector<lspci_device> lspci_view(const std::function<bool(const std::string& bdf)>& which = {});

 private:
  // Everything a boot makes and a reboot throws away, in construction order (the
  // destructor runs it backwards: users before what they use).
  struct kernel_parts {
    std::unique_ptr<page_allocator> pages;
    std::unique_ptr<irq_core> irq;
    std::unique_ptr<intel_iommu> iommu;
    std::unique_ptr<dma_api> dma;
    std::unique_ptr<pci_core> pci;
    std::unique_ptr<pci_bus_type> bus;
    std::unique_ptr<net_core> net;
    std::unique_ptr<pktgen> packet_generator;
    std::unique_ptr<ipv4_stack> stack;  // net_core's packet handler
    std::unique_ptr<intel_env> net_env;
    std::unique_ptr<dmatest_driver> dmatest;
    std::unique_ptr<pciebench_driver> pciebench;
    std::unique_ptr<module_loader> modules;
    std::unique_ptr<pci_sysfs> sysfs;
    std::unique_ptr<vfio_core> vfio;
    std::unique_ptr<vm_manager> vms;
    std::unique_ptr<fault_injector> inject;   // uses iommu and dmatest
    std::unique_ptr<iopf_service> iopf;       // PRI page requests, resolved for demand-paged VMs
  };
  void start_kernel();
  void stop_kernel();
  // Userland catches up with the kernel: udev handles the queued uevents.
  void settle();

  // syscalls
  std::vector<std::string> syslog() override;
  int init_module(const std::string& name, const std::string& params) override;
  int delete_module(const std::string& name) override;
  std::string module_for_alias(const std::string& modalias) override;
  std::string release() override;
  std::vector<link_info> rtnl_getlink() override;
  int rtnl_setlink_up(int ifindex, bool up) override;
  int rtnl_setlink_name(int ifindex, const std::string& name) override;
  int rtnl_setlink_mtu(int ifindex, unsigned mtu, std::string& why) override;
  int rtnl_setlink_flags(int ifindex, unsigned flags, unsigned change) override;
  int rtnl_setlink_vf(int ifindex, const vf_setting& s) override;
  int rtnl_setlink_address(int ifindex, uint64_t mac) override;
  int rtnl_newlink_vlan(int link_ifindex, const std::string& name, uint16_t proto, uint16_t vid,
                        std::string& why) override;
  int rtnl_dellink(int ifindex) override;
  int rtnl_fdb_add(const fdb_request& r, std::string& why) override;
  int rtnl_fdb_del(const fdb_request& r, std::string& why) override;
  int rtnl_fdb_dump(int brport_ifindex, int br_ifindex, std::vector<fdb_entry>& out) override;
  int rtnl_newaddr(int ifindex, uint32_t local, unsigned prefixlen, uint32_t broadcast) override;
  int rtnl_deladdr(int ifindex, uint32_t local, unsigned prefixlen) override;
  std::vector<ifaddr_info> rtnl_getaddr() override;
  std::vector<route_info> rtnl_getroute() override;
  std::vector<neigh_info> rtnl_getneigh() override;
  int ethtool_drvinfo(const std::string& ifname, drvinfo& info) override;
  int ethtool_stats(const std::string& ifname, std::vector<std::pair<std::string, uint64_t>>& stats) override;
  int ping_socket(const std::string& ifname) override;
  int ping_send(int fd, uint32_t dst, uint16_t sequence, const std::vector<uint8_t>& data) override;
  int ping_recv(int fd, ping_message& msg, uint64_t timeout_ns) override;
  void close_socket(int fd) override;
  uint64_t clock_ns() override;
  int devmem(uint64_t addr, void* data, unsigned len, bool write) override;

  platform::board& m_board;
  uint64_t m_seed = 0;
  unsigned m_boots = 0;
  bool m_iommu_ready = false;
  kernel_params m_params;
  kernel_log m_log;
  fw::bios_summary m_bios;
  kernfs m_fs;
  // What the shell's file calls go through: after a write returns to userland, udev
  // handles the uevents the write caused (a VF's netdev renamed).
  class settling_vfs;
  std::unique_ptr<settling_vfs> m_user_fs;
  pci_ids m_ids;
  udev_kmod_context m_udev_kmod;  // systemd-udevd's, across its uevents
  std::unique_ptr<kernel_parts> m_k;
  std::unique_ptr<shell> m_shell;
  world_access* m_world = nullptr;
  const std::string m_prefix;

  // Statistics of the host software (host.pci.functions ...).
  kit::stat_group m_stats{m_prefix + "host", "the host's software"};
  kit::stat_group m_pci_stats{m_stats, "pci", "what the kernel's PCI core found"};
  kit::formula m_functions{m_pci_stats, "functions", "functions", "PCI functions the kernel knows",
                           [this] { return static_cast<double>(m_k->pci->devices().size()); }};
  kit::formula m_sriov_pfs{m_pci_stats, "sriov_pfs", "functions", "PFs with an SR-IOV capability", [this] {
    double n = 0;
    for (pci_dev* d : m_k->pci->devices()) n += d->sriov_pos != 0 && !d->is_virtfn;
    return n;
  }};
  kit::formula m_vfs{m_pci_stats, "vfs", "functions", "VFs enabled", [this] {
    double n = 0;
    for (pci_dev* d : m_k->pci->devices()) n += d->is_virtfn;
    return n;
  }};
  kit::stat_group m_bios_stats{m_stats, "bios", "what the firmware did"};
  kit::formula m_last_bus{m_bios_stats, "last_bus", "bus", "highest bus number the BIOS assigned",
                          [this] { return static_cast<double>(m_bios.last_bus); }};
};

}  // namespace iovsim::host
