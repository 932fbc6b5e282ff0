#include "drivers-sim/net/intel.h"

#include "models/nic/nic_regs.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>

#include "drivers-sim/net/ixgbe_hw.h"
#include "models/pcie/pci_regs.h"

namespace iovsim::host {

using namespace iovsim::pcie;

namespace {
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
}  // namespace

pcie_link_status read_link_status(pci_core& pci, const pci_dev& dev) {
  if (!dev.exp_pos) return {};
  const uint32_t sta = pci.hw().cfg_read(dev.bus, dev.devfn, dev.exp_pos + EXP_LNKSTA, 2);
  return {sta & 0xf, (sta >> 4) & 0x3f};
}

std::string pcie_link_status_line(pci_core& pci, const pci_dev& dev) {
  // PCIE_SPEED2MBS_ENC(): usable Mb/s per lane after encoding; pci_speed_string().
  static const unsigned mbps[] = {0, 2000, 4000, 7877, 15754, 31508};
  static const char* speeds[] = {
      "?", "2.5 GT/s PCIe", "5.0 GT/s PCIe", "8.0 GT/s PCIe", "16.0 GT/s PCIe", "32.0 GT/s PCIe"};
  if (!dev.exp_pos) return "";
  const uint32_t cap = pci.hw().cfg_read(dev.bus, dev.devfn, dev.exp_pos + EXP_LNKCAP, 4);
  const unsigned cap_speed = cap & 0xf, cap_width = (cap >> 4) & 0x3f;
  if (cap_speed < 1 || cap_speed > 5) return "";
  const unsigned bw_cap = mbps[cap_speed] * cap_width;
  // pcie_bandwidth_available(): up to the root, the last device with the lowest
  // bandwidth is the limiting one ("next_bw <= bw").
  unsigned bw = 0, speed = 0, width = 0;
  const pci_dev* limiting = nullptr;
  for (const pci_dev* d = &dev; d; d = d->bridge) {
    if (!d->exp_pos) break;
    const pcie_link_status l = read_link_status(pci, *d);
    const unsigned next = (l.speed >= 1 && l.speed <= 5 ? mbps[l.speed] : 0) * l.width;
    if (!bw || next <= bw) {
      bw = next;
      speed = l.speed;
      width = l.width;
      limiting = d;
    }
  }
  if (bw >= bw_cap)
    return fmt::format("{}.{:03} Gb/s available PCIe bandwidth ({} x{} link)", bw_cap / 1000, bw_cap % 1000,
                       speeds[cap_speed], cap_width);
  return fmt::format(
      "{}.{:03} Gb/s available PCIe bandwidth, limited by {} x{} link at {} (capable of {}.{:03} Gb/s with {} x{} "
      "link)",
      bw / 1000, bw % 1000, speed >= 1 && speed <= 5 ? speeds[speed] : "Unknown", width,
      limiting ? limiting->bdf() : "<unknown>", bw_cap / 1000, bw_cap % 1000, speeds[cap_speed], cap_width);
}

// ---- the driver ----------------------------------------------------------------

intel_driver::intel_driver(const intel_module_info& info, intel_env& env)
    : m_info(info), m_env(env), m_ids(id_table_of(env.profiles, info.name, info.vf)) {}

intel_driver::~intel_driver() { *m_alive = false; }

void intel_driver::info(const pci_dev& dev, const std::string& text) {
  m_env.log.print(fmt::format("{} {}: {}", m_info.name, dev.bdf(), text));
}

void intel_driver::enable_device(pci_dev& dev) {
  platform::host_bus& bus = m_env.pci.hw();
  const uint32_t cmd = bus.cfg_read(dev.bus, dev.devfn, CFG_COMMAND, 2);
  // pci_enable_resources(): a VF has no Memory Space bit of its own (VF MSE decodes it).
  if (!(cmd & COMMAND_MEMORY) && !dev.is_virtfn)
    info(dev, fmt::format("enabling device ({:04x} -> {:04x})", cmd, cmd | COMMAND_MEMORY));
  bus.cfg_write(dev.bus, dev.devfn, CFG_COMMAND, 2, cmd | COMMAND_MEMORY | COMMAND_MASTER);
}

uint64_t intel_driver::read_mac(const pci_dev& dev) {
  const pb::DeviceProfile* prof = nullptr;
  for (const auto& p : m_env.profiles.device())
    if (p.vendor_id() == dev.vendor && p.device_id() == dev.device) prof = &p;
  uint64_t mac = 0;
  if (!prof || !prof->mac_ral_offset() || !dev.bars[0].assigned) return mac;
  const uint64_t base = dev.bars[0].start;
  const uint32_t lo = static_cast<uint32_t>(m_env.pci.hw().mmio_read(base + prof->mac_ral_offset(), 4));
  const uint32_t hi = static_cast<uint32_t>(m_env.pci.hw().mmio_read(base + prof->mac_ral_offset() + 4, 4));
  for (int b = 0; b < 4; ++b) mac = mac << 8 | ((lo >> (8 * b)) & 0xff);
  for (int b = 0; b < 2; ++b) mac = mac << 8 | ((hi >> (8 * b)) & 0xff);
  return mac;
}

ixgbe_datapath* intel_driver::datapath(netdev& nd, bool vf) {
  if (!m_env.dma || !m_env.pages || !m_env.irq || !nd.dev) return nullptr;
  auto& dp = m_datapaths[nd.dev];
  if (!dp) {
    ixgbe_regs_view view;
    view.vf = vf;
    dp = std::make_unique<ixgbe_datapath>(
        ixgbe_dp_env{m_env.pci.hw(), *m_env.pages, *m_env.dma, *m_env.irq, m_env.net, m_env.dp}, *nd.dev, nd, view);
  }
  return dp.get();
}

ixgbe_datapath* intel_driver::datapath_of(const pci_dev& dev) const {
  auto it = m_datapaths.find(&dev);
  return it == m_datapaths.end() ? nullptr : it->second.get();
}

void intel_driver::drop_datapath(const pci_dev& dev) {
  auto it = m_datapaths.find(&dev);
  if (it == m_datapaths.end()) return;
  std::unique_ptr<ixgbe_datapath> dp = std::move(it->second);
  m_datapaths.erase(it);
  dp->down();
}

int intel_driver::start_xmit(netdev& nd, const uint8_t* frame, uint32_t len) {
  ixgbe_datapath* dp = nd.dev ? datapath_of(*nd.dev) : nullptr;
  if (!dp || !dp->is_up() || !nd.carrier) {
    ++nd.stats.tx_dropped;
    return -ENETDOWN;
  }
  return dp->xmit(frame, len);
}

// ixgbe_get_ethtool_stats(): the netdev's counters, then the rings'.
std::vector<std::pair<std::string, uint64_t>> intel_driver::ethtool_stats(netdev& nd) {
  std::vector<std::pair<std::string, uint64_t>> out{
      {"rx_packets", nd.stats.rx_packets}, {"tx_packets", nd.stats.tx_packets}, {"rx_bytes", nd.stats.rx_bytes},
      {"tx_bytes", nd.stats.tx_bytes},     {"rx_errors", nd.stats.rx_errors},   {"tx_errors", nd.stats.tx_errors},
      {"rx_dropped", nd.stats.rx_dropped}, {"tx_dropped", nd.stats.tx_dropped}, {"multicast", nd.stats.multicast}};
  if (ixgbe_datapath* dp = nd.dev ? datapath_of(*nd.dev) : nullptr) {
    const ixgbe_ring_stats st = dp->stats();
    out.emplace_back("tx_busy", st.tx_busy);
    out.emplace_back("tx_dma_map_failed", st.tx_map_failed);
    out.emplace_back("rx_irqs", st.rx_irqs);
    out.emplace_back("rx_polls", st.rx_polls);
    dp->ethtool_stats(out);
  }
  return out;
}

// ixgbe_get_drvinfo(): in-tree drivers report the kernel release as their version.
drvinfo intel_driver::get_drvinfo(netdev& nd) {
  drvinfo d = netdev_ops::get_drvinfo(nd);
  d.version = "6.1.0-iovsim";
  d.supports_test = !m_info.vf;
  d.supports_eeprom_access = !m_info.vf;
  d.supports_register_dump = true;
  d.supports_priv_flags = !m_info.vf;
  return d;
}

// ---- PF ------------------------------------------------------------------------

int intel_pf_driver::open(netdev& nd) {
  if (int err = datapath_open(nd)) return err;
  schedule_carrier(nd);
  update_vf_carriers(*nd.dev);
  return 0;
}

int intel_pf_driver::stop(netdev& nd) {
  const bool had_carrier = nd.carrier;
  if (had_carrier) m_env.net.info(nd, "NIC Link is Down");
  m_env.net.set_carrier(nd, false);
  update_vf_carriers(*nd.dev);
  if (had_carrier) link_changed(nd, false);
  datapath_stop(nd);
  return 0;
}

std::vector<vf_link_info> intel_pf_driver::vf_config(netdev& nd) {
  // ndo_get_vf_config: MACs the PF assigned (none yet: zero), spoof checking on by
  // default, trust off; ixgbe also reports RSS query (off).
  std::vector<vf_link_info> vfs(nd.dev->vfs.size());
  for (vf_link_info& v : vfs) v.has_rss_query = reports_rss_query();
  return vfs;
}

void intel_pf_driver::set_params(const std::map<std::string, std::string>& params) {
  if (auto it = params.find("max_vfs"); it != params.end())
    m_max_vfs = static_cast<unsigned>(std::strtoul(it->second.c_str(), nullptr, 0));
}

void intel_pf_driver::schedule_carrier(netdev& nd) {
  // Link training finishes later; the watchdog then reports carrier.
  const int ifindex = nd.ifindex;
  std::weak_ptr<bool> alive = m_alive;
  net_core* net = &m_env.net;
  // Everything the thread needs from the driver is read now: the driver may be gone
  // by the time the thread first runs (rmmod in the same delta cycle).
  const sc_core::sc_time training = m_env.link_up_time();
  sc_core::sc_spawn([this, net, ifindex, alive, training] {
    sc_core::wait(training);
    // The watchdog (ixgbe_watchdog_task, every 2 s) until the PHY reports a link.
    while (true) {
      if (alive.expired() || !*alive.lock()) return;  // the driver that asked was unloaded or rebooted away
      netdev* n = net->find(ifindex);
      if (!n || !n->admin_up || n->carrier) return;
      if (phy_link_up(*n)) break;
      sc_core::wait(sc_core::sc_time(2, sc_core::SC_SEC));
    }
    netdev* n = net->find(ifindex);
    net->set_carrier(*n, true);
    net->info(*n, link_up_text(*n));
    update_vf_carriers(*n->dev);
    link_changed(*n, true);
  });
}

void intel_pf_driver::update_vf_carriers(pci_dev& pf) {
  netdev* p = m_env.net.of(pf);
  for (pci_dev* vf : pf.vfs) {
    netdev* v = m_env.net.of(*vf);
    if (!v) continue;
    const bool on = v->admin_up && p && p->carrier;
    // ixgbevf's watchdog: ixgbevf_watchdog_link_is_up() / _down() (dev_info).
    if (on != v->carrier && v->admin_up && v->driver == "ixgbevf")
      m_env.log.print(fmt::format("ixgbevf {}: NIC Link is {}", vf->bdf(), on ? "Up 10 Gbps" : "Down"));
    m_env.net.set_carrier(*v, on);
  }
}

// ---- VF ------------------------------------------------------------------------

bool intel_vf_driver::pf_answers(const pci_dev& vf) const {
  const netdev* pf = vf.physfn ? m_env.net.of(*vf.physfn) : nullptr;
  return pf && pf->admin_up;
}

int intel_vf_driver::open(netdev& nd) {
  if (!nd.dev->physfn) {
    // A VF whose PF this kernel does not know (a guest's): the link as the VF's own
    // register shows it (ixgbevf_check_mac_link_vf(): VFLINKS.LINK_UP).
    const uint32_t links = static_cast<uint32_t>(m_env.pci.hw().mmio_read(nd.dev->bars[0].start + nic::VFLINKS, 4));
    m_env.net.set_carrier(nd, links & nic::LINKS_UP);
    return 0;
  }
  netdev* pf = m_env.net.of(*nd.dev->physfn);
  m_env.net.set_carrier(nd, pf && pf->carrier);
  return 0;
}

int intel_vf_driver::stop(netdev& nd) {
  m_env.net.set_carrier(nd, false);
  return 0;
}

// ---- module --------------------------------------------------------------------

int intel_module::init(const std::map<std::string, std::string>& params) {
  m_env.log.print(fmt::format("{}: {}", m_info.name, m_info.description));
  m_env.log.print(fmt::format("{}: {}", m_info.name, m_info.copyright));
  m_driver = m_info.make(m_env);
  m_driver->set_params(params);
  m_env.bus.register_driver(*m_driver);
  return 0;
}

void intel_module::exit() {
  if (m_driver) m_env.bus.unregister_driver(*m_driver);
  m_driver.reset();
}

bool intel_module::matches_alias(const std::string& modalias) const {
  for (const pci_device_id& id : id_table_of(m_env.profiles, m_info.name, m_info.vf))
    if (modalias.rfind(fmt::format("pci:v{:08X}d{:08X}", id.vendor, id.device), 0) == 0) return true;
  return false;
}

void install_net_modules(module_loader& loader, intel_env& env) {
  for (const intel_module_info* m : {&ixgbe_module(), &igb_module(), &ixgbevf_module(), &igbvf_module()})
    loader.install(std::make_unique<intel_module>(*m, env));
}

}  // namespace iovsim::host
