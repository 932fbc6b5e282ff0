#include "drivers-sim/net/net_drivers.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <sstream>
#include <systemc>

#include "models/kit/sim_env.h"
#include "models/pcie/pci_regs.h"

namespace iovsim::host {

using namespace iovsim::pcie;

namespace {
// Linux drivers/net/ethernet/intel: the module banner and copyright of
// *_init_module, the VF cap each PF driver sets with pci_sriov_set_totalvfs
// (ixgbe IXGBE_MAX_VFS_DRV_LIMIT 63; igb 7), the link messages of the
// *_watchdog_link_is_up functions and the last line of each probe.
const driver_traits k_drivers[] = {
    {"ixgbe", false, "Intel(R) 10 Gigabit PCI Express Network Driver", "Copyright (c) 1999-2016 Intel Corporation.",
     63, "NIC Link is Up 10 Gbps, Flow Control: RX/TX", "Intel(R) 10 Gigabit Network Connection"},
    {"igb", false, "Intel(R) Gigabit Ethernet Network Driver", "Copyright (c) 2007-2014 Intel Corporation.", 7,
     "igb: {} NIC Link is Up 1000 Mbps Full Duplex, Flow Control: RX/TX", "Intel(R) Gigabit Ethernet Network Connection"},
    {"ixgbevf", true, "Intel(R) 10 Gigabit PCI Express Virtual Function Network Driver",
     "Copyright (c) 2009 - 2018 Intel Corporation.", 0, "NIC Link is Up 10 Gbps", "Intel(R) Virtual Function"},
    {"igbvf", true, "Intel(R) Gigabit Virtual Function Network Driver", "Copyright (c) 2009 - 2012 Intel Corporation.",
     0, "Link is Up 1000 Mbps Full Duplex", "Intel(R) Virtual Function"},
};
}  // namespace

const driver_traits* find_driver_traits(const std::string& name) {
  for (const auto& t : k_drivers)
    if (t.name == name) return &t;
  return nullptr;
}

std::string format_mac(uint64_t mac) {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", (mac >> 40) & 0xff, (mac >> 32) & 0xff,
                     (mac >> 24) & 0xff, (mac >> 16) & 0xff, (mac >> 8) & 0xff, mac & 0xff);
}

driver_core::driver_core(pci_core& pci, kernel_log& log, const pb::ProfileLibrary& profiles, uint64_t seed)
    : m_pci(pci), m_log(log), m_profiles(profiles), m_rng(seed, "host.net") {
  // 1000BASE-T and 10GBASE-T autonegotiation and link training take seconds
  // (IEEE 802.3 clauses 28/40/55); Intel drivers report link 1-3 s after ifup.
  m_link_up_time = kit::sim_env::current().params().time(
      "host.link_up_time", sc_core::sc_time(2, sc_core::SC_SEC), "time from `ip link set up` to carrier on a PF");
}

void driver_core::dev_info(const pci_dev& dev, const std::string& driver, const std::string& text) {
  m_log.print(fmt::format("{} {}: {}", driver, dev.bdf(), text));
}

void driver_core::net_info(const netdev& nd, const std::string& text) {
  m_log.print(fmt::format("{} {} {}: {}", nd.driver, nd.dev->bdf(), nd.name, text));
}

std::string driver_core::module_for(const pci_dev& dev) const {
  for (const auto& p : m_profiles.device()) {
    if (p.vendor_id() != dev.vendor) continue;
    if (!dev.is_virtfn && p.device_id() == dev.device) return p.driver();
    if (dev.is_virtfn && p.has_sriov() && p.sriov().vf_device_id() == dev.device) return p.vf_driver();
  }
  return "";
}

bool driver_core::blacklisted(const std::string& module) const {
  if (!m_conf) return false;
  for (const std::string& line : m_conf()) {
    std::istringstream in(line);
    std::string word, name;
    if (in >> word >> name && word == "blacklist" && name == module) return true;
  }
  return false;
}

std::map<std::string, std::string> driver_core::conf_options(const std::string& module) const {
  std::map<std::string, std::string> out;
  if (!m_conf) return out;
  for (const std::string& line : m_conf()) {
    std::istringstream in(line);
    std::string word, name, kv;
    if (!(in >> word >> name) || word != "options" || name != module) continue;
    while (in >> kv) {
      const auto eq = kv.find('=');
      if (eq != std::string::npos) out[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
  }
  return out;
}

std::vector<std::string> driver_core::loaded_modules() const {
  std::vector<std::string> out;
  for (const auto& [name, params] : m_modules) out.push_back(name);
  return out;
}

std::string driver_core::module_param(const std::string& module, const std::string& param) const {
  auto it = m_modules.find(module);
  if (it == m_modules.end()) return "";
  auto p = it->second.find(param);
  return p == it->second.end() ? "" : p->second;
}

int driver_core::modprobe(const std::string& name, const std::vector<std::string>& params, std::string& err) {
  const driver_traits* t = find_driver_traits(name);
  bool known = false;
  for (const auto& p : m_profiles.device()) known |= p.driver() == name || p.vf_driver() == name;
  if (!t || !known) {
    err = fmt::format("modprobe: FATAL: Module {} not found in directory /lib/modules/6.1.0-iovsim", name);
    return -ENOENT;
  }
  if (m_modules.count(name)) return 0;
  auto options = conf_options(name);
  for (const std::string& kv : params) {
    const auto eq = kv.find('=');
    options[kv.substr(0, eq)] = eq == std::string::npos ? "" : kv.substr(eq + 1);
  }
  std::map<std::string, std::string> accepted;
  for (const auto& [k, v] : options) {
    if (k == "max_vfs" && !t->vf) accepted[k] = v;
    else m_log.print(fmt::format("{}: unknown parameter '{}' ignored", name, k));
  }
  m_modules[name] = accepted;
  m_log.print(fmt::format("{}: {}", name, t->description));
  m_log.print(fmt::format("{}: {}", name, t->copyright));
  for (pci_dev* d : m_pci.devices())
    if (d->driver.empty() && module_for(*d) == name) bind(*d, name);
  return 0;
}

int driver_core::rmmod(const std::string& name, std::string& err) {
  if (!m_modules.count(name)) {
    err = fmt::format("rmmod: ERROR: Module {} is not currently loaded", name);
    return -ENOENT;
  }
  for (pci_dev* d : m_pci.devices())
    if (d->driver == name) unbind(*d);
  m_modules.erase(name);
  return 0;
}

void driver_core::device_added(pci_dev& dev) {
  const std::string m = module_for(dev);
  // Loading the module for an earlier device may already have bound this one.
  if (m.empty() || !dev.driver.empty()) return;
  // VFs are probed only when the PF allows it (sysfs sriov_drivers_autoprobe).
  if (dev.is_virtfn && dev.physfn && !dev.physfn->drivers_autoprobe) return;
  if (m_modules.count(m)) bind(dev, m);
  else if (!blacklisted(m)) {  // udev loads the module by modalias
    std::string err;
    modprobe(m, {}, err);
  }
}

void driver_core::device_removed(pci_dev& dev) {
  if (!dev.driver.empty()) unbind(dev);
}

std::string driver_core::predictable_name(const pci_dev& dev) const {
  // systemd-udev net_id "path" names: en + p<bus> + s<slot> [+ f<function>], the
  // function suffix only for multi-function devices or non-zero functions.
  std::string name = fmt::format("enp{}s{}", dev.bus, dev.dev());
  if (dev.fn() != 0 || dev.multifunction) name += fmt::format("f{}", dev.fn());
  return name;
}

void driver_core::bind(pci_dev& dev, const std::string& module) {
  const driver_traits* t = find_driver_traits(module);
  if (!t || !dev.driver.empty()) return;
  dev.driver = module;
  // pci_enable_device: memory decoding and bus mastering.
  platform::host_bus& bus = m_pci.hw();
  const uint32_t cmd = bus.cfg_read(dev.bus, dev.devfn, CFG_COMMAND, 2);
  const uint32_t want = cmd | COMMAND_MEMORY | COMMAND_MASTER;
  if (!(cmd & COMMAND_MEMORY) && !dev.is_virtfn)
    dev_info(dev, module, fmt::format("enabling device ({:04x} -> {:04x})", cmd, cmd | COMMAND_MEMORY));
  bus.cfg_write(dev.bus, dev.devfn, CFG_COMMAND, 2, want);
  if (t->vf) probe_vf(dev, *t);
  else probe_pf(dev, *t);
}

void driver_core::unbind(pci_dev& dev) {
  if (!dev.is_virtfn && dev.num_vfs) m_pci.disable_sriov(dev);
  auto it = std::find_if(m_netdevs.begin(), m_netdevs.end(), [&](const auto& n) { return n->dev == &dev; });
  if (it != m_netdevs.end()) m_netdevs.erase(it);
  dev.driver.clear();
}

void driver_core::probe_pf(pci_dev& dev, const driver_traits& t) {
  // Link status as the driver reports it (pcie_print_link_status).
  if (dev.exp_pos) {
    const uint32_t sta = m_pci.hw().cfg_read(dev.bus, dev.devfn, dev.exp_pos + EXP_LNKSTA, 2);
    const unsigned speed = sta & 0xf, width = (sta >> 4) & 0x3f;
    static const char* gts[] = {"?", "2.5 GT/s", "5.0 GT/s", "8.0 GT/s", "16.0 GT/s", "32.0 GT/s"};
    // Usable bandwidth per lane after encoding (REFERENCE.md section 9), in Mb/s.
    static const unsigned mbps[] = {0, 2000, 4000, 7877, 15754, 31508};
    if (speed >= 1 && speed <= 5) {
      const unsigned total = mbps[speed] * width;
      dev_info(dev, t.name, fmt::format("{}.{:03} Gb/s available PCIe bandwidth ({} PCIe x{} link)", total / 1000,
                                        total % 1000, gts[speed], width));
    }
  }
  auto nd = std::make_unique<netdev>();
  nd->ifindex = m_next_ifindex++;
  nd->dev = &dev;
  nd->driver = t.name;
  // The permanent MAC address sits in receive address register 0 (RAL0/RAH0).
  const pb::DeviceProfile* prof = nullptr;
  for (const auto& p : m_profiles.device())
    if (p.vendor_id() == dev.vendor && p.device_id() == dev.device) prof = &p;
  if (prof && prof->mac_ral_offset() && dev.bars[0].assigned) {
    const uint64_t base = dev.bars[0].start;
    const uint32_t lo = static_cast<uint32_t>(m_pci.hw().mmio_read(base + prof->mac_ral_offset(), 4));
    const uint32_t hi = static_cast<uint32_t>(m_pci.hw().mmio_read(base + prof->mac_ral_offset() + 4, 4));
    uint64_t mac = 0;
    for (int b = 0; b < 4; ++b) mac = mac << 8 | ((lo >> (8 * b)) & 0xff);
    for (int b = 0; b < 2; ++b) mac = mac << 8 | ((hi >> (8 * b)) & 0xff);
    nd->mac = mac;
  }
  const std::string eth = fmt::format("eth{}", m_next_eth++);
  nd->name = predictable_name(dev);
  netdev* n = nd.get();
  m_netdevs.push_back(std::move(nd));
  dev.netdev = n->name;
  dev_info(dev, t.name, format_mac(n->mac));  // ixgbe_probe prints the MAC with printk pM
  dev_info(dev, t.name, t.connection);
  m_log.print(fmt::format("{} {} {}: renamed from {}", t.name, dev.bdf(), n->name, eth));
  // The legacy module parameter enables VFs on every port the driver binds
  // (PHENOMENA A2); the sysfs file replaced it.
  const std::string max_vfs = module_param(t.name, "max_vfs");
  if (!max_vfs.empty() && dev.sriov_pos) {
    unsigned n_vfs = static_cast<unsigned>(std::strtoul(max_vfs.c_str(), nullptr, 10));
    if (n_vfs > 0) {
      dev_info(dev, t.name,
               "Enabling SR-IOV VFs using the max_vfs module parameter is deprecated - please use the pci sysfs "
               "interface instead.");
      if (n_vfs > t.max_vfs_limit) {
        dev_info(dev, t.name, fmt::format("Maximum of {} VFs per PF, using max", t.max_vfs_limit));
        n_vfs = t.max_vfs_limit;
      }
      const int err = enable_vfs(dev, t, n_vfs);
      if (err) dev_info(dev, t.name, fmt::format("Failed to enable PCI sriov: {}", err));
    }
  }
}

int driver_core::enable_vfs(pci_dev& pf, const driver_traits& t, unsigned n) {
  if (n > t.max_vfs_limit) return -EPERM;
  const int err = m_pci.enable_sriov(pf, n);
  if (err) return err;
  if (netdev* nd = netdev_of(pf)) net_info(*nd, fmt::format("SR-IOV enabled with {} VFs", n));
  else dev_info(pf, t.name, fmt::format("{} VFs allocated", n));
  update_vf_carriers(pf);
  return 0;
}

void driver_core::probe_vf(pci_dev& dev, const driver_traits& t) {
  auto nd = std::make_unique<netdev>();
  nd->ifindex = m_next_ifindex++;
  nd->dev = &dev;
  nd->driver = t.name;
  // Until the PF is up the VF cannot get its MAC from the PF over the mailbox, and
  // the driver invents one (PHENOMENA A6; ixgbevf_sw_init, eth_hw_addr_random).
  netdev* pf_nd = dev.physfn ? netdev_of(*dev.physfn) : nullptr;
  if (!pf_nd || !pf_nd->admin_up) dev_info(dev, t.name, "PF still in reset state.  Is the PF interface up?");
  dev_info(dev, t.name, "Assigning random MAC address");
  uint64_t mac = m_rng.next() & 0xffffffffffffull;
  mac &= ~(1ull << 40);  // unicast
  mac |= 1ull << 41;     // locally administered
  nd->mac = mac;
  const std::string eth = fmt::format("eth{}", m_next_eth++);
  nd->name = predictable_name(dev);
  dev.netdev = nd->name;
  m_log.print(fmt::format("{} {} {}: renamed from {}", t.name, dev.bdf(), nd->name, eth));
  m_netdevs.push_back(std::move(nd));
}

int driver_core::sriov_numvfs_store(pci_dev& pf, unsigned num_vfs) {
  if (num_vfs > sriov_totalvfs(pf)) return -ERANGE;
  if (num_vfs == pf.num_vfs) return 0;
  const driver_traits* t = pf.driver.empty() ? nullptr : find_driver_traits(pf.driver);
  if (!t) {
    m_log.print(fmt::format("pci {}: no driver bound to device; cannot configure SR-IOV", pf.bdf()));
    return -ENOENT;
  }
  if (num_vfs == 0) {
    m_pci.disable_sriov(pf);
    return 0;
  }
  if (pf.num_vfs) {
    m_log.print(fmt::format("pci {}: {} VFs already enabled. Disable before enabling {} VFs", pf.bdf(), pf.num_vfs,
                            num_vfs));
    return -EBUSY;
  }
  const int err = enable_vfs(pf, *t, num_vfs);
  if (err && err != -EPERM) dev_info(pf, t->name, fmt::format("Failed to enable PCI sriov: {}", err));
  return err;
}

unsigned driver_core::sriov_totalvfs(const pci_dev& pf) const {
  const driver_traits* t = pf.driver.empty() ? nullptr : find_driver_traits(pf.driver);
  if (t && t->max_vfs_limit && t->max_vfs_limit < pf.total_vfs) return t->max_vfs_limit;
  return pf.total_vfs;
}

std::vector<netdev*> driver_core::netdevs() {
  std::vector<netdev*> out;
  for (auto& n : m_netdevs) out.push_back(n.get());
  std::sort(out.begin(), out.end(), [](const netdev* a, const netdev* b) { return a->ifindex < b->ifindex; });
  return out;
}

netdev* driver_core::find_netdev(const std::string& name) {
  for (auto& n : m_netdevs)
    if (n->name == name) return n.get();
  return nullptr;
}

netdev* driver_core::netdev_of(const pci_dev& dev) {
  for (auto& n : m_netdevs)
    if (n->dev == &dev) return n.get();
  return nullptr;
}

int driver_core::set_link(netdev& nd, bool up) {
  if (nd.admin_up == up) return 0;
  nd.admin_up = up;
  if (!up) {
    if (nd.carrier && !nd.dev->is_virtfn) net_info(nd, "NIC Link is Down");
    nd.carrier = false;
  } else if (!nd.dev->is_virtfn) {
    schedule_carrier(nd);
  }
  if (nd.dev->is_virtfn) {
    netdev* pf = nd.dev->physfn ? netdev_of(*nd.dev->physfn) : nullptr;
    nd.carrier = up && pf && pf->carrier;
  } else {
    update_vf_carriers(*nd.dev);
  }
  return 0;
}

void driver_core::schedule_carrier(netdev& nd) {
  // Link training finishes later; the watchdog then reports carrier.
  const int ifindex = nd.ifindex;
  std::weak_ptr<bool> alive = m_alive;
  const sc_core::sc_time delay = m_link_up_time;
  sc_core::sc_spawn([this, ifindex, alive, delay] {
    sc_core::wait(delay);
    if (alive.expired()) return;  // the kernel that asked was rebooted away
    for (auto& n : m_netdevs)
      if (n->ifindex == ifindex && n->admin_up && !n->carrier) {
        n->carrier = true;
        const driver_traits* t = find_driver_traits(n->driver);
        const std::string text = t ? fmt::format(fmt::runtime(t->link_up_text), n->name) : "NIC Link is Up";
        net_info(*n, text);
        update_vf_carriers(*n->dev);
      }
  });
}

void driver_core::update_vf_carriers(pci_dev& pf) {
  netdev* p = netdev_of(pf);
  for (pci_dev* vf : pf.vfs)
    if (netdev* v = netdev_of(*vf)) v->carrier = v->admin_up && p && p->carrier;
}

}  // namespace iovsim::host
