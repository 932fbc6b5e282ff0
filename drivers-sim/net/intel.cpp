#include "drivers-sim/net/intel.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>

#include "models/pcie/pci_regs.h"

namespace iovsim::host {

using namespace iovsim::pcie;

namespace {
// pci_enable_device(): memory decoding and bus mastering, with the kernel's line
// when memory decoding was off (pci_enable_resources()).
void enable_device(intel_env& env, pci_dev& dev, const std::string& driver) {
  platform::host_bus& bus = env.pci.hw();
  const uint32_t cmd = bus.cfg_read(dev.bus, dev.devfn, CFG_COMMAND, 2);
  if (!(cmd & COMMAND_MEMORY) && !dev.is_virtfn)
    env.log.print(fmt::format("{} {}: enabling device ({:04x} -> {:04x})", driver, dev.bdf(), cmd,
                              cmd | COMMAND_MEMORY));
  bus.cfg_write(dev.bus, dev.devfn, CFG_COMMAND, 2, cmd | COMMAND_MEMORY | COMMAND_MASTER);
}

// The driver's device table: the profiles that name it (MODULE_DEVICE_TABLE).
std::vector<pci_device_id> id_table_of(const pb::ProfileLibrary& profiles, const std::string& driver, bool vf) {
  std::vector<pci_device_id> ids;
  for (const auto& p : profiles.device()) {
    if (!vf && p.driver() == driver)
      ids.push_back({static_cast<uint16_t>(p.vendor_id()), static_cast<uint16_t>(p.device_id())});
    if (vf && p.has_sriov() && p.vf_driver() == driver)
      ids.push_back({static_cast<uint16_t>(p.vendor_id()), static_cast<uint16_t>(p.sriov().vf_device_id())});
  }
  return ids;
}

const pb::DeviceProfile* profile_of(const pb::ProfileLibrary& profiles, const pci_dev& dev) {
  const pb::DeviceProfile* found = nullptr;
  for (const auto& p : profiles.device())
    if (p.vendor_id() == dev.vendor && p.device_id() == dev.device) found = &p;
  return found;
}
}  // namespace

// ---- PF ------------------------------------------------------------------------

intel_pf_driver::intel_pf_driver(const intel_traits& traits, intel_env& env)
    : m_traits(traits), m_env(env), m_ids(id_table_of(env.profiles, traits.name, false)) {}

intel_pf_driver::~intel_pf_driver() { *m_alive = false; }

void intel_pf_driver::info(const pci_dev& dev, const std::string& text) {
  m_env.log.print(fmt::format("{} {}: {}", m_traits.name, dev.bdf(), text));
}

int intel_pf_driver::probe(pci_dev& dev) {
  enable_device(m_env, dev, m_traits.name);
  // The driver's VF limit (pci_sriov_set_totalvfs): sysfs sriov_totalvfs shows it.
  if (dev.sriov_pos) dev.driver_max_vfs = static_cast<uint16_t>(m_traits.max_vfs_limit);
  // Link status as the driver reports it (pcie_print_link_status).
  if (dev.exp_pos) {
    const uint32_t sta = m_env.pci.hw().cfg_read(dev.bus, dev.devfn, dev.exp_pos + EXP_LNKSTA, 2);
    const unsigned speed = sta & 0xf, width = (sta >> 4) & 0x3f;
    static const char* gts[] = {"?", "2.5 GT/s", "5.0 GT/s", "8.0 GT/s", "16.0 GT/s", "32.0 GT/s"};
    // Usable bandwidth per lane after encoding (REFERENCE.md section 9), in Mb/s.
    static const unsigned mbps[] = {0, 2000, 4000, 7877, 15754, 31508};
    if (speed >= 1 && speed <= 5) {
      const unsigned total = mbps[speed] * width;
      info(dev, fmt::format("{}.{:03} Gb/s available PCIe bandwidth ({} PCIe x{} link)", total / 1000, total % 1000,
                            gts[speed], width));
    }
  }
  // The permanent MAC address sits in receive address register 0 (RAL0/RAH0).
  uint64_t mac = 0;
  const pb::DeviceProfile* prof = profile_of(m_env.profiles, dev);
  if (prof && prof->mac_ral_offset() && dev.bars[0].assigned) {
    const uint64_t base = dev.bars[0].start;
    const uint32_t lo = static_cast<uint32_t>(m_env.pci.hw().mmio_read(base + prof->mac_ral_offset(), 4));
    const uint32_t hi = static_cast<uint32_t>(m_env.pci.hw().mmio_read(base + prof->mac_ral_offset() + 4, 4));
    for (int b = 0; b < 4; ++b) mac = mac << 8 | ((lo >> (8 * b)) & 0xff);
    for (int b = 0; b < 2; ++b) mac = mac << 8 | ((hi >> (8 * b)) & 0xff);
  }
  info(dev, format_mac(mac));  // ixgbe_probe prints the MAC with printk %pM
  info(dev, m_traits.connection);
  m_env.net.register_netdev(dev, m_traits.name, mac, *this);
  // The legacy module parameter enables VFs on every port the driver binds
  // (PHENOMENA A2); the sysfs file replaced it.
  if (!m_max_vfs.empty() && dev.sriov_pos) {
    unsigned n_vfs = static_cast<unsigned>(std::strtoul(m_max_vfs.c_str(), nullptr, 0));
    if (n_vfs > 0) {
      info(dev, "Enabling SR-IOV VFs using the max_vfs module parameter is deprecated - please use the pci sysfs "
                "interface instead.");
      if (n_vfs > m_traits.max_vfs_limit) {
        info(dev, fmt::format("Maximum of {} VFs per PF, using max", m_traits.max_vfs_limit));
        n_vfs = m_traits.max_vfs_limit;
      }
      const int err = enable_vfs(dev, n_vfs);
      if (err) info(dev, fmt::format("Failed to enable PCI sriov: {}", err));
    }
  }
  return 0;
}

void intel_pf_driver::remove(pci_dev& dev) {
  if (dev.num_vfs) m_env.pci.disable_sriov(dev);
  m_env.net.unregister_netdev(dev);
}

int intel_pf_driver::enable_vfs(pci_dev& pf, unsigned n) {
  if (n > m_traits.max_vfs_limit) return -EPERM;
  const int err = m_env.pci.enable_sriov(pf, n);
  if (err) return err;
  if (netdev* nd = m_env.net.of(pf)) m_env.net.info(*nd, fmt::format("SR-IOV enabled with {} VFs", n));
  else info(pf, fmt::format("{} VFs allocated", n));
  update_vf_carriers(pf);
  return 0;
}

int intel_pf_driver::sriov_configure(pci_dev& pf, unsigned num_vfs) {
  if (num_vfs == 0) {
    m_env.pci.disable_sriov(pf);
    return 0;
  }
  const int err = enable_vfs(pf, num_vfs);
  if (err && err != -EPERM) info(pf, fmt::format("Failed to enable PCI sriov: {}", err));
  return err ? err : static_cast<int>(num_vfs);
}

int intel_pf_driver::open(netdev& nd) {
  schedule_carrier(nd);
  update_vf_carriers(*nd.dev);
  return 0;
}

int intel_pf_driver::stop(netdev& nd) {
  if (nd.carrier) m_env.net.info(nd, "NIC Link is Down");
  m_env.net.set_carrier(nd, false);
  update_vf_carriers(*nd.dev);
  return 0;
}

std::vector<vf_link_info> intel_pf_driver::vf_config(netdev& nd) {
  // ndo_get_vf_config: MACs the PF assigned (none yet: zero), spoof checking on by
  // default, trust off.
  return std::vector<vf_link_info>(nd.dev->vfs.size());
}

void intel_pf_driver::schedule_carrier(netdev& nd) {
  // Link training finishes later; the watchdog then reports carrier.
  const int ifindex = nd.ifindex;
  std::weak_ptr<bool> alive = m_alive;
  net_core* net = &m_env.net;
  sc_core::sc_spawn([this, net, ifindex, alive] {
    sc_core::wait(m_env.link_up_time());
    if (alive.expired() || !*alive.lock()) return;   // the driver that asked was unloaded or rebooted away
    netdev* n = net->find(ifindex);
    if (!n || !n->admin_up || n->carrier) return;
    net->set_carrier(*n, true);
    net->info(*n, fmt::format(fmt::runtime(m_traits.link_up_text), n->name));
    update_vf_carriers(*n->dev);
  });
}

void intel_pf_driver::update_vf_carriers(pci_dev& pf) {
  netdev* p = m_env.net.of(pf);
  for (pci_dev* vf : pf.vfs)
    if (netdev* v = m_env.net.of(*vf)) m_env.net.set_carrier(*v, v->admin_up && p && p->carrier);
}

// ---- VF ------------------------------------------------------------------------

intel_vf_driver::intel_vf_driver(const intel_traits& traits, intel_env& env)
    : m_traits(traits), m_env(env), m_ids(id_table_of(env.profiles, traits.name, true)) {}

int intel_vf_driver::probe(pci_dev& dev) {
  enable_device(m_env, dev, m_traits.name);
  // Until the PF is up the VF cannot get its MAC from the PF over the mailbox, and
  // the driver invents one (PHENOMENA A6; ixgbevf_sw_init, eth_hw_addr_random).
  netdev* pf_nd = dev.physfn ? m_env.net.of(*dev.physfn) : nullptr;
  if (!pf_nd || !pf_nd->admin_up)
    m_env.log.print(fmt::format("{} {}: PF still in reset state.  Is the PF interface up?", m_traits.name, dev.bdf()));
  m_env.log.print(fmt::format("{} {}: Assigning random MAC address", m_traits.name, dev.bdf()));
  m_env.net.register_netdev(dev, m_traits.name, m_env.net.random_mac(), *this);
  return 0;
}

void intel_vf_driver::remove(pci_dev& dev) { m_env.net.unregister_netdev(dev); }

int intel_vf_driver::open(netdev& nd) {
  netdev* pf = nd.dev->physfn ? m_env.net.of(*nd.dev->physfn) : nullptr;
  m_env.net.set_carrier(nd, pf && pf->carrier);
  return 0;
}

int intel_vf_driver::stop(netdev& nd) {
  m_env.net.set_carrier(nd, false);
  return 0;
}

// ---- module --------------------------------------------------------------------

intel_module::intel_module(const intel_traits& traits, intel_env& env) : m_traits(traits), m_env(env) {}

std::vector<module_param_def> intel_module::params() const {
  if (m_traits.vf) return {};
  return {{"max_vfs", module_param_def::type::uint,
           "Maximum number of virtual functions to allocate per physical function"}};
}

int intel_module::init(const std::map<std::string, std::string>& params) {
  m_env.log.print(fmt::format("{}: {}", m_traits.name, m_traits.description));
  m_env.log.print(fmt::format("{}: {}", m_traits.name, m_traits.copyright));
  if (m_traits.vf) {
    m_vf = std::make_unique<intel_vf_driver>(m_traits, m_env);
    m_env.bus.register_driver(*m_vf);
  } else {
    m_pf = std::make_unique<intel_pf_driver>(m_traits, m_env);
    if (auto it = params.find("max_vfs"); it != params.end()) m_pf->set_max_vfs(it->second);
    m_env.bus.register_driver(*m_pf);
  }
  return 0;
}

void intel_module::exit() {
  if (m_pf) m_env.bus.unregister_driver(*m_pf);
  if (m_vf) m_env.bus.unregister_driver(*m_vf);
  m_pf.reset();
  m_vf.reset();
}

bool intel_module::matches_alias(const std::string& modalias) const {
  for (const pci_device_id& id : id_table_of(m_env.profiles, m_traits.name, m_traits.vf))
    if (modalias.rfind(fmt::format("pci:v{:08X}d{:08X}", id.vendor, id.device), 0) == 0) return true;
  return false;
}

void install_net_modules(module_loader& loader, intel_env& env) {
  for (const intel_traits* t : {&ixgbe_traits(), &igb_traits(), &ixgbevf_traits(), &igbvf_traits()})
    loader.install(std::make_unique<intel_module>(*t, env));
}

}  // namespace iovsim::host
