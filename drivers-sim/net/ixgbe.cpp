// ixgbe: the Intel 82599 and X540 10 GbE PF driver, Linux 6.1
// (drivers/net/ethernet/intel/ixgbe: ixgbe_main.c ixgbe_probe/ixgbe_remove/
// ixgbe_sw_init, ixgbe_sriov.c ixgbe_enable_sriov/__ixgbe_enable_sriov/
// ixgbe_disable_sriov/ixgbe_pci_sriov_configure, the ndo_set_vf_* and fdb hooks,
// ixgbe_set_rx_mode). The PF side of SR-IOV (the mailbox, the switch tables, the
// administrator's VF settings) is firmware/ixgbe_sriov: Linux runs ixgbe_sriov.c in
// this driver, so this driver runs that code, through a HAL of its own MMIO, from its
// mailbox interrupt and its netdev hooks. Left out: the "Multiqueue ..." and "MAC:
// %d, PHY: %d ... PBA No" probe lines (queue counts and NVM contents the model does
// not have).
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <map>
#include <vector>

#include "drivers-sim/net/intel.h"
#include "drivers-sim/net/ixgbe_hw.h"
#include "drivers-sim/net/ixgbe_mbx.h"
#include "firmware/ixgbe_sriov.h"

namespace iovsim::host {

namespace {
constexpr unsigned IXGBE_MAX_VFS_DRV_LIMIT = 63;  // IXGBE_MAX_VF_FUNCTIONS - 1
// IXGBE_MAX_JUMBO_FRAME_SIZE (9728) - (ETH_HLEN + ETH_FCS_LEN): netdev->max_mtu.
constexpr unsigned MAX_JUMBO_MTU = 9728 - 14 - 4;

using namespace ixgbe_hw;

// The PF-side SR-IOV service of one port and the HAL it runs on: this driver's MMIO
// to the PF's BAR0, its log lines, and the CPU time it charges, waited by the caller
// (a shell command's thread or the mailbox interrupt's).
class sriov_hal final : public fw::nic_hal {
 public:
  sriov_hal(platform::host_bus& bus, net_core& net, kernel_log& log, pci_dev& pf, std::string driver)
      : m_bus(bus), m_net(net), m_log(log), m_pf(pf), m_driver(std::move(driver)) {}
  uint32_t read32(uint32_t off) override { return static_cast<uint32_t>(m_bus.mmio_read(m_pf.bars[0].start + off, 4)); }
  void write32(uint32_t off, uint32_t v) override { m_bus.mmio_write(m_pf.bars[0].start + off, 4, v); }
  void log(level l, const std::string& text) override {
    const netdev* nd = m_net.of(m_pf);
    if (nd && (l == level::netdev_info || l == level::netdev_warn || l == level::netdev_err))
      m_net.info(*nd, text);
    else
      m_log.print(fmt::format("{} {}: {}", m_driver, m_pf.bdf(), text));
  }
  void charge(uint64_t ns) override { m_debt += sc_core::sc_time(static_cast<double>(ns), sc_core::SC_NS); }
  // Waits the CPU time charged since the last call (a SystemC thread only).
  void settle() {
    if (m_debt > sc_core::SC_ZERO_TIME) sc_core::wait(m_debt);
    m_debt = sc_core::SC_ZERO_TIME;
  }

 private:
  platform::host_bus& m_bus;
  net_core& m_net;
  kernel_log& m_log;
  pci_dev& m_pf;
  std::string m_driver;
  sc_core::sc_time m_debt;
};

struct pf_data {
  unsigned other_vector = 0;  // the mailbox / link interrupt
  std::unique_ptr<sriov_hal> hal;
  std::unique_ptr<fw::ixgbe_sriov> sriov;
  uint64_t spoofed = 0;              // SSVPC, read to clear, summed
  unsigned watchdog_generation = 0;  // a newer open's watchdog replaces an older one
};

class ixgbe_driver final : public intel_pf_driver {
 public:
  using intel_pf_driver::intel_pf_driver;

  int probe(pci_dev& dev) override {
    enable_device(dev);
    // ixgbe_sw_init(): the legacy parameter is checked against the driver's limit;
    // out of range, the module-wide value becomes 0 (later ports stay silent).
    if (m_max_vfs > 0) {
      info(dev,
           "Enabling SR-IOV VFs using the max_vfs module parameter is deprecated - please use the pci sysfs "
           "interface instead.");
      if (m_max_vfs > IXGBE_MAX_VFS_DRV_LIMIT) {
        m_max_vfs = 0;
        info(dev, "max_vfs parameter out of range. Not assigning any SR-IOV VFs");
      }
    }
    make_sriov(dev);
    unsigned vfs = 0;
    if (dev.sriov_pos) {
      dev.driver_max_vfs = IXGBE_MAX_VFS_DRV_LIMIT;  // pci_sriov_set_totalvfs()
      vfs = enable_sriov_at_probe(dev);              // before the netdev exists
      m_pf[&dev].sriov->set_num_vfs(vfs);
    }
    // ixgbe_check_minimum_link() -> pcie_print_link_status().
    if (const std::string line = pcie_link_status_line(m_env.pci, dev); !line.empty()) info(dev, line);
    const uint64_t mac = read_mac(dev);
    info(dev, format_mac(mac));  // e_dev_info() of the address in printk's MAC format
    netdev& nd = m_env.net.register_netdev(dev, name(), mac, *this);
    nd.rx_csum_offload = true;  // ixgbe_probe(): NETIF_F_RXCSUM in the features
    nd.unicast_flt = true;      // IFF_UNICAST_FLT: extra unicast addresses go to the RARs
    nd.max_mtu = MAX_JUMBO_MTU;
    if (vfs) m_env.net.info(nd, fmt::format("IOV is enabled with {} VFs", vfs));
    info(dev, "Intel(R) 10 Gigabit Network Connection");
    return 0;
  }

  void remove(pci_dev& dev) override {
    drop_datapath(dev);
    m_pf.erase(&dev);
    m_rx_no_dma_resources.erase(&dev);
    disable_sriov(dev);  // with assigned VFs it warns and leaves them
    m_env.net.unregister_netdev(dev);
    info(dev, "complete");
  }

  // ixgbe_get_ethtool_stats() calls ixgbe_update_stats() first, which adds the
  // clear-on-read QPRDC(0..15) to hw_rx_no_dma_resources (ethtool's
  // "rx_no_dma_resources": frames a queue dropped for want of a descriptor).
  std::vector<std::pair<std::string, uint64_t>> ethtool_stats(netdev& nd) override {
    std::vector<std::pair<std::string, uint64_t>> out = intel_pf_driver::ethtool_stats(nd);
    if (!nd.dev || !datapath_of(*nd.dev)) return out;
    uint64_t& drops = m_rx_no_dma_resources[nd.dev];
    for (unsigned i = 0; i < 16; ++i) drops += read(*nd.dev, QPRDC(i));
    auto after = std::find_if(out.begin(), out.end(), [](const auto& e) { return e.first == "multicast"; });
    update_missed(*nd.dev, nd);
    out.insert(after == out.end() ? out.end() : after + 1,
               {{"rx_no_dma_resources", drops}, {"rx_missed_errors", nd.stats.rx_missed_errors}});
    vf_stats(*nd.dev, nd, out);
    return out;
  }

  int sriov_configure(pci_dev& pf, unsigned num_vfs) override {
    // ixgbe_sriov_reinit(): the PF's queues move to the pool after the VFs', so an
    // interface that is up is closed and opened around the change.
    netdev* nd = m_env.net.of(pf);
    // ixgbe_pci_sriov_enable(): "reset before enabling SRIOV to avoid mailbox issues":
    // the PF is up in its new pool before the VFs exist, so their resets get answers.
    const bool reopen = nd && nd->admin_up && datapath_of(pf) && datapath_of(pf)->is_up();
    if (reopen) {
      datapath_stop(*nd);
      m_pool_vfs = num_vfs;
      datapath_open(*nd);
      m_pool_vfs = -1;
    }
    const int r = configure_vfs(pf, num_vfs);
    if (reopen && r < 0) {  // back to the pool the PF really has
      datapath_stop(*nd);
      datapath_open(*nd);
    }
    return r;
  }

  int configure_vfs(pci_dev& pf, unsigned num_vfs) {
    if (num_vfs == 0) {  // ixgbe_pci_sriov_disable()
      const int r = disable_sriov(pf);
      if (r == 0) sriov_of(pf).set_num_vfs(0);
      return r;
    }
    // ixgbe_pci_sriov_enable(): 63 VFs with one traffic class and no macvlans.
    if (num_vfs > IXGBE_MAX_VFS_DRV_LIMIT) return -EPERM;
    // __ixgbe_enable_sriov() speaks before the VFs exist, so the line stands even
    // when pci_enable_sriov() then fails.
    if (netdev* nd = m_env.net.of(pf)) m_env.net.info(*nd, fmt::format("SR-IOV enabled with {} VFs", num_vfs));
    // __ixgbe_enable_sriov(): vfinfo, every VF at its defaults, before the VFs exist
    // (their drivers' resets are answered); an interface reopened for the new pool
    // layout already has it.
    fw::ixgbe_sriov& sv = sriov_of(pf);
    if (sv.num_vfs() != num_vfs) sv.set_num_vfs(num_vfs);
    const int err = m_env.pci.enable_sriov(pf, num_vfs);
    if (err) {
      info(pf, fmt::format("Failed to enable PCI sriov: {}", err));
      sv.set_num_vfs(0);
      return err;
    }
    update_vf_carriers(pf);
    return static_cast<int>(num_vfs);
  }

  // ---- the data path and the mailbox ----------------------------------------------

  int datapath_open(netdev& nd) override {
    pci_dev& pf = *nd.dev;
    ixgbe_datapath* dp = datapath(nd, false);
    if (!dp) return 0;
    pf_data& st = m_pf[&pf];
    fw::ixgbe_sriov& sv = *st.sriov;
    // ixgbe_configure(): the switch for the VF count the PF's pool follows (during
    // ixgbe_sriov_reinit() the one it is about to have), the default filter in it.
    const unsigned num_vfs = m_pool_vfs >= 0 ? static_cast<unsigned>(m_pool_vfs) : pf.num_vfs;
    if (num_vfs != sv.num_vfs()) sv.set_num_vfs(num_vfs);
    sv.set_pf_mtu(nd.mtu);
    sv.configure(nd.mac, num_vfs);
    // With VFs the PF owns the pool after theirs (VMDQ_P(0)); without, RSS queues.
    const unsigned qpp = sv.queues_per_pool();
    const unsigned first = num_vfs * qpp;
    const unsigned queues = num_vfs ? std::min<unsigned>(m_env.dp.pf_queues(), qpp) : m_env.dp.pf_queues();
    if (int err = dp->up(first, queues)) return err;
    const unsigned used = dp->queues();
    setup_rss(pf, used, num_vfs);
    sv.set_rx_mode(nd.promiscuity > 0, nd.allmulti > 0, addresses_of(nd.mc), addresses_of(nd.uc));
    // The other causes' vector (ixgbe_request_msix_irqs(): named after the netdev):
    // the mailbox task runs in it.
    std::weak_ptr<bool> alive = m_alive;
    pci_dev* pfp = &pf;
    st.other_vector = m_env.irq->request_irq(nd.name, [this, alive, pfp] {
      if (!alive.expired() && *alive.lock()) msg_task(*pfp);
    });
    if (st.other_vector) {
      dp->program_msix_entry(used, st.other_vector, false);
      write(pf, IVAR_MISC, (used | IVAR_ALLOC_VAL) << 8);
      write(pf, EIMS, 1u << used);
    }
    // ixgbe_up_complete(): "PF reset done": VFs may reset now.
    sv.pf_up();  // CTRL_EXT.PFRSTD, the VFs pinged
    st.hal->settle();
    start_watchdog(nd);
    return 0;
  }

  // ixgbe_service_timer every 2 s while the interface is up (mod_timer in
  // ixgbe_up_complete) -> ixgbe_watchdog_subtask() -> ixgbe_spoof_check(): with VFs,
  // SSVPC (clear on read) and e_warn(drv, "%u Spoofed packets detected"). One event
  // per 2 s of simulated time; the link part of the watchdog is schedule_carrier's.
  void start_watchdog(netdev& nd) {
    pci_dev* pf = nd.dev;
    const unsigned generation = ++m_pf[pf].watchdog_generation;
    const int ifindex = nd.ifindex;
    std::weak_ptr<bool> alive = m_alive;
    sc_core::sc_spawn([this, alive, pf, ifindex, generation] {
      while (true) {
        sc_core::wait(sc_core::sc_time(2, sc_core::SC_SEC));
        if (alive.expired() || !*alive.lock()) return;  // unloaded or rebooted away
        auto it = m_pf.find(pf);
        netdev* n = m_env.net.find(ifindex);
        if (it == m_pf.end() || it->second.watchdog_generation != generation || !n || n->dev != pf || !pf_up(*n))
          return;
        update_missed(*pf, *n);
        if (!pf->num_vfs) continue;
        const uint32_t ssvpc = read(*pf, SSVPC);
        it->second.spoofed += ssvpc;
        if (ssvpc) m_env.net.info(*n, fmt::format("{} Spoofed packets detected", ssvpc));
      }
    });
  }

  void datapath_stop(netdev& nd) override {
    pci_dev& pf = *nd.dev;
    auto it = m_pf.find(&pf);
    if (it != m_pf.end() && it->second.other_vector) {
      // ixgbe_down(): the VFs are told and stopped, then the PF resets (PFRSTD clear:
      // every VF reads RSTI until the PF is up again).
      it->second.sriov->pf_down();
      m_env.irq->free_irq(it->second.other_vector);
      it->second.other_vector = 0;
      it->second.hal->settle();
    }
    if (ixgbe_datapath* dp = datapath_of(pf)) dp->down();
  }

  // ---- the administrator's VF settings (ixgbe_ndo_set_vf_*) ---------------------------

  int set_vf_mac(netdev& nd, unsigned vf, uint64_t mac) override {
    return with_sriov(nd, [&](fw::ixgbe_sriov& s) { return s.set_vf_mac(static_cast<int>(vf), mac, pf_up(nd)); });
  }
  int set_vf_vlan(netdev& nd, unsigned vf, unsigned vlan, unsigned qos, uint16_t proto) override {
    return with_sriov(
        nd, [&](fw::ixgbe_sriov& s) { return s.set_vf_vlan(static_cast<int>(vf), vlan, qos, proto, pf_up(nd)); });
  }
  int set_vf_spoofchk(netdev& nd, unsigned vf, bool on) override {
    return with_sriov(nd, [&](fw::ixgbe_sriov& s) { return s.set_vf_spoofchk(static_cast<int>(vf), on); });
  }
  int set_vf_trust(netdev& nd, unsigned vf, bool on) override {
    return with_sriov(nd, [&](fw::ixgbe_sriov& s) { return s.set_vf_trust(static_cast<int>(vf), on); });
  }
  int set_vf_link_state(netdev& nd, unsigned vf, unsigned state) override {
    return with_sriov(
        nd, [&](fw::ixgbe_sriov& s) { return s.set_vf_link_state(static_cast<int>(vf), static_cast<int>(state)); });
  }
  int set_vf_rate(netdev& nd, unsigned vf, unsigned min_mbps, unsigned max_mbps) override {
    // ixgbe_ndo_set_vf_bw(): against the link's speed (adapter->link_speed), 10G when up.
    const unsigned link = nd.carrier ? 10000 : 0;
    return with_sriov(
        nd, [&](fw::ixgbe_sriov& s) { return s.set_vf_rate(static_cast<int>(vf), min_mbps, max_mbps, link); });
  }

  // ndo_get_vf_config.
  std::vector<vf_link_info> vf_config(netdev& nd) override {
    std::vector<vf_link_info> out = intel_pf_driver::vf_config(nd);
    auto it = m_pf.find(nd.dev);
    if (it == m_pf.end()) return out;
    const fw::ixgbe_sriov& sv = *it->second.sriov;
    for (unsigned i = 0; i < out.size() && i < sv.num_vfs(); ++i) {
      const fw::vf_data_storage& v = sv.vf(i);
      out[i].mac = v.mac;
      out[i].vlan = v.pf_vlan;
      out[i].qos = v.pf_qos;
      out[i].spoofchk = v.spoofchk_enabled;
      out[i].trusted = v.trusted;
      out[i].rss_query = v.rss_query_enabled;
      out[i].max_tx_rate = v.tx_rate;
      out[i].link_state = v.link_state == 1 ? "enable" : v.link_state == 2 ? "disable" : "auto";
    }
    return out;
  }

  // ixgbe_ndo_fdb_add(): a unicast address needs a receive address of its own in the
  // PF's pool (ixgbe_available_rars()), else -ENOMEM; then the core's default.
  int fdb_add(netdev& nd, uint64_t mac, uint16_t vid, uint16_t ndm_state, bool excl) override {
    const bool unicast = !((mac >> 40) & 1);
    if (unicast) {
      auto it = m_pf.find(nd.dev);
      if (it != m_pf.end() && nd.uc.size() >= static_cast<size_t>(it->second.sriov->available_rars())) return -ENOMEM;
    }
    return netdev_ops::fdb_add(nd, mac, vid, ndm_state, excl);
  }

  // ixgbe_vlan_rx_add_vid() / _kill_vid(): the PF's VLAN filters (VFTA, and VLVF when
  // a VF shares the VLAN), through the SR-IOV service that owns the tables.
  int vlan_rx_add_vid(netdev& nd, uint16_t /*proto*/, uint16_t vid) override {
    auto it = m_pf.find(nd.dev);
    if (it == m_pf.end()) return 0;
    it->second.sriov->vlan_add(vid);
    it->second.hal->settle();
    return 0;
  }
  int vlan_rx_kill_vid(netdev& nd, uint16_t /*proto*/, uint16_t vid) override {
    auto it = m_pf.find(nd.dev);
    if (it == m_pf.end()) return 0;
    it->second.sriov->vlan_del(vid);
    it->second.hal->settle();
    return 0;
  }

  // ixgbe_set_mac(): a valid address, into RAR 0 at once (running or not).
  int set_mac_address(netdev& nd, uint64_t mac) override {
    if (!net_core::valid_ether_addr(mac)) return -EADDRNOTAVAIL;
    nd.mac = mac;
    auto it = m_pf.find(nd.dev);
    if (it == m_pf.end()) return 0;
    it->second.sriov->set_default_filter(mac);
    it->second.hal->settle();
    return 0;
  }

  // ixgbe_set_rx_mode(): flags and address lists into the switch tables.
  void set_rx_mode(netdev& nd) override {
    auto it = m_pf.find(nd.dev);
    if (it == m_pf.end() || !pf_up(nd)) return;
    it->second.sriov->set_rx_mode(nd.promiscuity > 0, nd.allmulti > 0, addresses_of(nd.mc), addresses_of(nd.uc));
    it->second.hal->settle();
  }

  int change_mtu(netdev& nd, unsigned mtu) override {
    m_env.net.info(nd, fmt::format("changing MTU from {} to {}", nd.mtu, mtu));
    const bool running = nd.admin_up && datapath_of(*nd.dev) && datapath_of(*nd.dev)->is_up();
    if (running) datapath_stop(nd);
    nd.mtu = mtu;
    if (auto it = m_pf.find(nd.dev); it != m_pf.end()) it->second.sriov->set_pf_mtu(mtu);
    return running ? datapath_open(nd) : 0;
  }

  bool phy_link_up(const netdev& nd) override {
    return nd.dev && nd.dev->bars[0].assigned && (read(*nd.dev, LINKS) & LINKS_UP);
  }

 protected:
  std::string link_up_text(const netdev&) const override { return "NIC Link is Up 10 Gbps, Flow Control: RX/TX"; }
  bool reports_rss_query() const override { return true; }
  // ixgbe_watchdog_link_is_up() / _down(): every VF is pinged.
  void link_changed(netdev& nd, bool up) override {
    auto it = m_pf.find(nd.dev);
    if (it == m_pf.end()) return;
    it->second.sriov->link_changed(up, up ? 10000 : 0);
    it->second.hal->settle();
  }

 private:
  // ixgbe_enable_sriov() at probe: VFs first, then the message, whose netdev has no
  // name yet.
  unsigned enable_sriov_at_probe(pci_dev& dev) {
    const std::string unnamed = fmt::format("{} {} (unnamed net_device) (uninitialized): ", name(), dev.bdf());
    if (dev.num_vfs) {
      info(dev,
           "Virtual Functions already enabled for this device - Please reload all VF drivers to avoid spoofed "
           "packet errors");
      m_env.log.print(unnamed + fmt::format("SR-IOV enabled with {} VFs", dev.num_vfs));
      return dev.num_vfs;
    }
    if (m_max_vfs == 0) return 0;
    const unsigned n = std::min(m_max_vfs, IXGBE_MAX_VFS_DRV_LIMIT);
    const int err = m_env.pci.enable_sriov(dev, n);
    if (err) {
      m_env.log.print(unnamed + fmt::format("Failed to enable PCI sriov: {}", err));
      return 0;
    }
    m_env.log.print(unnamed + fmt::format("SR-IOV enabled with {} VFs", n));
    return n;
  }

  uint32_t read(const pci_dev& pf, uint32_t off) {
    return static_cast<uint32_t>(m_env.pci.hw().mmio_read(bar0(pf) + off, 4));
  }
  void write(const pci_dev& pf, uint32_t off, uint32_t v) { m_env.pci.hw().mmio_write(bar0(pf) + off, 4, v); }

  // ixgbe_setup_mrqc(): RSS over the PF's queues with IPv4, TCP and UDP fields; the
  // key from the kernel's random stream (netdev_rss_key_fill()), the table round robin.
  void setup_rss(const pci_dev& pf, unsigned queues, unsigned num_vfs) {
    if (queues < 2 || num_vfs) {
      write(pf, MRQC, 0);
      return;
    }
    for (unsigned i = 0; i < 10; ++i) write(pf, RSSRK(i), static_cast<uint32_t>(m_env.net.random_mac()));
    for (unsigned i = 0; i < 32; ++i) {
      uint32_t reta = 0;
      for (unsigned b = 0; b < 4; ++b) reta |= ((4 * i + b) % queues) << (8 * b);
      write(pf, RETA(i), reta);
    }
    write(pf, MRQC, MRQC_RSSEN | MRQC_RSS_FIELD_IPV4 | MRQC_RSS_FIELD_IPV4_TCP | MRQC_RSS_FIELD_IPV4_UDP);
  }

  // ixgbe_update_stats(): MPC(0..7), frames the receive packet buffer had no room for
  // (clear on read), summed into rx_missed_errors (ip -s link's "missed").
  void update_missed(const pci_dev& pf, netdev& nd) {
    for (unsigned i = 0; i < 8; ++i) nd.stats.rx_missed_errors += read(pf, MPC(i));
  }

  // ixgbe_msg_task(): every VF with a message waiting is served.
  void msg_task(pci_dev& pf) {
    auto it = m_pf.find(&pf);
    if (it == m_pf.end()) return;
    it->second.sriov->service();
    it->second.hal->settle();
  }

  void make_sriov(pci_dev& pf) {
    pf_data& st = m_pf[&pf];
    st.hal = std::make_unique<sriov_hal>(m_env.pci.hw(), m_env.net, m_env.log, pf, name());
    fw::ixgbe_sriov::params p;
    p.mac_type = pf.device == 0x10fb ? fw::ixgbe_mac_type::mac_82599 : fw::ixgbe_mac_type::mac_x540;
    st.sriov = std::make_unique<fw::ixgbe_sriov>(*st.hal, p);
  }

  fw::ixgbe_sriov& sriov_of(pci_dev& pf) {
    if (!m_pf[&pf].sriov) make_sriov(pf);
    return *m_pf[&pf].sriov;
  }

  // !test_bit(__IXGBE_DOWN): the interface is up and its data path runs.
  bool pf_up(const netdev& nd) const {
    const ixgbe_datapath* dp = nd.dev ? datapath_of(*nd.dev) : nullptr;
    return nd.admin_up && dp && dp->is_up();
  }

  // An ndo_set_vf_* call: VF indexes checked by the service (-EINVAL), its CPU time waited.
  template <typename F>
  int with_sriov(netdev& nd, F f) {
    auto it = nd.dev ? m_pf.find(nd.dev) : m_pf.end();
    if (it == m_pf.end()) return -EOPNOTSUPP;
    const int r = f(*it->second.sriov);
    it->second.hal->settle();
    return r;
  }

  // Per-VF counters of the pools (PVFGPRC ... the 82599's per-pool statistics, which
  // ixgbe 6.1 does not report; an iovsim addition, named vf<N>_*), and tx_spoofed (also
  // an addition): what the watchdog's ixgbe_spoof_check() has read of SSVPC so far.
  void vf_stats(pci_dev& pf, netdev& /*nd*/, std::vector<std::pair<std::string, uint64_t>>& out) {
    auto it = m_pf.find(&pf);
    if (it == m_pf.end() || !pf.num_vfs) return;
    out.emplace_back("tx_spoofed", it->second.spoofed);
    for (unsigned v = 0; v < pf.num_vfs; ++v) {
      out.emplace_back(fmt::format("vf{}_rx_packets", v), read(pf, PVFGPRC(v)));
      out.emplace_back(fmt::format("vf{}_rx_bytes", v),
                       read(pf, PVFGORC_LSB(v)) | uint64_t{read(pf, PVFGORC_MSB(v))} << 32);
      out.emplace_back(fmt::format("vf{}_rx_multicast", v), read(pf, PVFMPRC(v)));
      out.emplace_back(fmt::format("vf{}_tx_packets", v), read(pf, PVFGPTC(v)));
      out.emplace_back(fmt::format("vf{}_tx_bytes", v),
                       read(pf, PVFGOTC_LSB(v)) | uint64_t{read(pf, PVFGOTC_MSB(v))} << 32);
    }
  }

  std::map<const pci_dev*, pf_data> m_pf;
  std::map<const pci_dev*, uint64_t> m_rx_no_dma_resources;  // adapter->hw_rx_no_dma_resources
  int m_pool_vfs = -1;  // during ixgbe_sriov_reinit(): the VF count the PF's pool follows

  // ixgbe_disable_sriov(): refused while a VF is assigned (pci_vfs_assigned()),
  // silent otherwise.
  int disable_sriov(pci_dev& pf) {
    if (!pf.num_vfs) return 0;
    if (pf.vfs_assigned()) {
      info(pf, "Unloading driver while VFs are assigned - VFs will not be deallocated");
      return -EPERM;
    }
    m_env.pci.disable_sriov(pf);
    return 0;
  }
};
}  // namespace

const intel_module_info& ixgbe_module() {
  static const intel_module_info m{
      "ixgbe",
      false,
      "Intel(R) 10 Gigabit PCI Express Network Driver",
      "Copyright (c) 1999-2016 Intel Corporation.",
      {{"max_vfs", module_param_def::type::uint,
        "Maximum number of virtual functions to allocate per physical function - default is zero and maximum value "
        "is 63. (Deprecated)"}},
      [](intel_env& env) -> std::unique_ptr<intel_driver> {
        return std::make_unique<ixgbe_driver>(ixgbe_module(), env);
      }};
  return m;
}

}  // namespace iovsim::host
