// ixgbe: the Intel 82599 and X540 10 GbE PF driver, Linux 6.1
// (drivers/net/ethernet/intel/ixgbe: ixgbe_main.c ixgbe_probe/ixgbe_remove/
// ixgbe_sw_init, ixgbe_sriov.c ixgbe_enable_sriov/__ixgbe_enable_sriov/
// ixgbe_disable_sriov/ixgbe_pci_sriov_configure/ixgbe_vf_reset_msg). Left out: the
// "Multiqueue ..." and "MAC: %d, PHY: %d ... PBA No" probe lines (queue counts and
// NVM contents the model does not have).
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <map>
#include <vector>

#include "drivers-sim/net/intel.h"
#include "drivers-sim/net/ixgbe_hw.h"
#include "drivers-sim/net/ixgbe_mbx.h"

namespace iovsim::host {

namespace {
constexpr unsigned IXGBE_MAX_VFS_DRV_LIMIT = 63;  // IXGBE_MAX_VF_FUNCTIONS - 1
constexpr unsigned QUEUES_PER_POOL = 2;           // the model's VMDq split (64 pools x 2)
constexpr unsigned NUM_RAR = 128;                 // 82599/X540 receive addresses
// IXGBE_MAX_JUMBO_FRAME_SIZE (9728) - (ETH_HLEN + ETH_FCS_LEN): netdev->max_mtu.
constexpr unsigned MAX_JUMBO_MTU = 9728 - 14 - 4;

using namespace ixgbe_hw;

// What the PF driver keeps per VF (struct vf_data_storage): the MAC the VF uses, whether
// the administrator set it, whether the VF has reset (clear_to_send), its RAR entry.
struct vf_data {
  uint64_t mac = 0;
  bool pf_set_mac = false;
  bool clear_to_send = false;
  int rar = -1;
};
struct pf_data {
  unsigned other_vector = 0;  // the mailbox / link interrupt
  std::vector<vf_data> vfs;
  std::vector<bool> rar_used;  // ixgbe's mac_table: entry 0 is the PF's
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
    unsigned vfs = 0;
    if (dev.sriov_pos) {
      dev.driver_max_vfs = IXGBE_MAX_VFS_DRV_LIMIT;  // pci_sriov_set_totalvfs()
      vfs = enable_sriov_at_probe(dev);              // before the netdev exists
    }
    const pcie_link_status link = read_link_status(m_env.pci, dev);
    if (link.speed >= 1 && link.speed <= 5) {
      // pcie_print_link_status(): usable bandwidth per lane after encoding, Mb/s.
      static const char* gts[] = {"?", "2.5 GT/s", "5.0 GT/s", "8.0 GT/s", "16.0 GT/s", "32.0 GT/s"};
      static const unsigned mbps[] = {0, 2000, 4000, 7877, 15754, 31508};
      const unsigned total = mbps[link.speed] * link.width;
      info(dev, fmt::format("{}.{:03} Gb/s available PCIe bandwidth ({} PCIe x{} link)", total / 1000, total % 1000,
                            gts[link.speed], link.width));
    }
    const uint64_t mac = read_mac(dev);
    info(dev, format_mac(mac));  // e_dev_info() of the address in printk's MAC format
    netdev& nd = m_env.net.register_netdev(dev, name(), mac, *this);
    nd.rx_csum_offload = true;  // ixgbe_probe(): NETIF_F_RXCSUM in the features
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
    out.insert(after == out.end() ? out.end() : after + 1, {"rx_no_dma_resources", drops});
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
    if (num_vfs == 0) return disable_sriov(pf);  // ixgbe_pci_sriov_disable()
    // ixgbe_pci_sriov_enable(): 63 VFs with one traffic class and no macvlans.
    if (num_vfs > IXGBE_MAX_VFS_DRV_LIMIT) return -EPERM;
    // __ixgbe_enable_sriov() speaks before the VFs exist, so the line stands even
    // when pci_enable_sriov() then fails.
    if (netdev* nd = m_env.net.of(pf)) m_env.net.info(*nd, fmt::format("SR-IOV enabled with {} VFs", num_vfs));
    const int err = m_env.pci.enable_sriov(pf, num_vfs);
    if (err) {
      info(pf, fmt::format("Failed to enable PCI sriov: {}", err));
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
    st.vfs.resize(pf.num_vfs);
    st.rar_used.resize(NUM_RAR);
    st.rar_used[0] = true;
    // With VFs the PF owns the pool after theirs (VMDQ_P(0)), two queues; without, RSS queues.
    const unsigned num_vfs = m_pool_vfs >= 0 ? static_cast<unsigned>(m_pool_vfs) : pf.num_vfs;
    const unsigned first = num_vfs * QUEUES_PER_POOL;
    const unsigned queues = num_vfs ? std::min<unsigned>(m_env.dp.pf_queues(), QUEUES_PER_POOL) : m_env.dp.pf_queues();
    if (int err = dp->up(first, queues)) return err;
    const unsigned used = dp->queues();
    // ixgbe_mac_set_default_filter(): RAR 0 in the PF's pool.
    write(pf, MPSAR_LO(0), num_vfs && num_vfs < 32 ? 1u << num_vfs : 0);
    write(pf, MPSAR_HI(0), num_vfs >= 32 ? 1u << (num_vfs - 32) : 0);
    setup_rss(pf, used, num_vfs);
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
    write(pf, CTRL_EXT, read(pf, CTRL_EXT) | CTRL_EXT_PFRSTD);
    return 0;
  }

  void datapath_stop(netdev& nd) override {
    pci_dev& pf = *nd.dev;
    auto it = m_pf.find(&pf);
    if (it != m_pf.end() && it->second.other_vector) {
      write(pf, CTRL_EXT, read(pf, CTRL_EXT) & ~CTRL_EXT_PFRSTD);
      m_env.irq->free_irq(it->second.other_vector);
      it->second.other_vector = 0;
      for (vf_data& v : it->second.vfs) v.clear_to_send = false;  // they must reset again
    }
    if (ixgbe_datapath* dp = datapath_of(pf)) dp->down();
  }

  // ixgbe_change_mtu(): said in the log, and a running interface is reinitialised
  // (ixgbe_reinit_locked()): its rings come back with buffers for the new size.
  int change_mtu(netdev& nd, unsigned mtu) override {
    m_env.net.info(nd, fmt::format("changing MTU from {} to {}", nd.mtu, mtu));
    const bool running = nd.admin_up && datapath_of(*nd.dev) && datapath_of(*nd.dev)->is_up();
    if (running) datapath_stop(nd);
    nd.mtu = mtu;
    return running ? datapath_open(nd) : 0;
  }

  bool phy_link_up(const netdev& nd) override {
    return nd.dev && nd.dev->bars[0].assigned && (read(*nd.dev, LINKS) & LINKS_UP);
  }

 protected:
  std::string link_up_text(const netdev&) const override { return "NIC Link is Up 10 Gbps, Flow Control: RX/TX"; }
  bool reports_rss_query() const override { return true; }

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

  // ixgbe_msg_task(): every VF with a message waiting is served (ixgbe_rcv_msg_from_vf()).
  void msg_task(pci_dev& pf) {
    auto it = m_pf.find(&pf);
    if (it == m_pf.end()) return;
    ixgbe_pf_mailbox mbx(m_env.pci.hw(), bar0(pf));
    const uint64_t pending = mbx.take_requests();
    for (unsigned vf = 0; vf < 64; ++vf) {
      if (!(pending & (1ull << vf))) continue;
      mbx_msg msg{};
      if (!mbx.read(vf, msg)) continue;
      if (m_pf.find(&pf) == m_pf.end()) return;  // the interface went while we read
      pf_data& st = m_pf[&pf];
      if (vf >= st.vfs.size()) st.vfs.resize(vf + 1);
      if (msg[0] & (VT_MSGTYPE_ACK | VT_MSGTYPE_NACK)) continue;  // a reply to us: nothing to do
      if (msg[0] == VF_RESET) {
        vf_reset_msg(pf, st, vf, mbx);
        continue;
      }
      uint32_t reply[1] = {msg[0]};
      if (!st.vfs[vf].clear_to_send) {
        reply[0] |= VT_MSGTYPE_NACK;  // not reset yet
      } else if ((msg[0] & 0xffff) == VF_SET_MAC_ADDR) {
        uint64_t mac = 0;
        for (unsigned b = 0; b < 6; ++b) mac = mac << 8 | ((msg[1 + b / 4] >> (8 * (b % 4))) & 0xff);
        reply[0] |= set_vf_mac_addr(pf, st, vf, mac) ? VT_MSGTYPE_ACK : VT_MSGTYPE_NACK;
        reply[0] |= VT_MSGTYPE_CTS;
      } else {
        reply[0] |= VT_MSGTYPE_NACK | VT_MSGTYPE_CTS;  // the rest of the message set: the next issue
      }
      mbx.write(vf, reply, 1);
    }
  }

  // ixgbe_vf_reset_msg(): the VF's filters go, its MAC comes back if it has one, it may
  // talk now; the reply is ACK with the MAC only when the administrator set it.
  void vf_reset_msg(pci_dev& pf, pf_data& st, unsigned vf, ixgbe_pf_mailbox& mbx) {
    if (netdev* nd = m_env.net.of(pf)) m_env.net.info(*nd, fmt::format("VF Reset msg received from vf {}", vf));
    vf_data& v = st.vfs[vf];
    del_vf_filter(pf, st, vf);
    if (v.mac) add_vf_filter(pf, st, vf, v.mac);
    v.clear_to_send = true;
    uint32_t reply[VF_PERMADDR_MSG_LEN] = {VF_RESET, 0, 0, MC_FILTER_TYPE_47_36};
    if (v.mac && v.pf_set_mac) {
      reply[0] |= VT_MSGTYPE_ACK;
      for (unsigned b = 0; b < 6; ++b)
        reply[1 + b / 4] |= static_cast<uint32_t>((v.mac >> (40 - 8 * b)) & 0xff) << (8 * (b % 4));
    } else {
      reply[0] |= VT_MSGTYPE_NACK;
    }
    mbx.write(vf, reply, VF_PERMADDR_MSG_LEN);
  }

  // ixgbe_set_vf_mac_addr(): a valid unicast address the administrator did not fix.
  bool set_vf_mac_addr(pci_dev& pf, pf_data& st, unsigned vf, uint64_t mac) {
    vf_data& v = st.vfs[vf];
    netdev* nd = m_env.net.of(pf);
    if (!mac || (mac & (1ull << 40))) {
      if (nd) m_env.net.info(*nd, fmt::format("VF {} attempted to set invalid mac", vf));
      return false;
    }
    if (v.pf_set_mac && v.mac != mac) {
      if (nd)
        m_env.net.info(*nd, fmt::format("VF {} attempted to override administratively set MAC address\nReload the "
                                        "VF driver to resume operations",
                                        vf));
      return false;
    }
    del_vf_filter(pf, st, vf);
    v.mac = mac;
    return add_vf_filter(pf, st, vf, mac);
  }

  // ixgbe_add_mac_filter(): the first free receive address, in the VF's pool.
  bool add_vf_filter(pci_dev& pf, pf_data& st, unsigned vf, uint64_t mac) {
    for (unsigned i = 1; i < NUM_RAR; ++i) {
      if (st.rar_used[i]) continue;
      st.rar_used[i] = true;
      st.vfs[vf].rar = static_cast<int>(i);
      uint32_t lo = 0, hi = 0;
      for (int b = 0; b < 4; ++b) lo |= static_cast<uint32_t>((mac >> (40 - 8 * b)) & 0xff) << (8 * b);
      for (int b = 0; b < 2; ++b) hi |= static_cast<uint32_t>((mac >> (8 - 8 * b)) & 0xff) << (8 * b);
      write(pf, MPSAR_LO(i), vf < 32 ? 1u << vf : 0);
      write(pf, MPSAR_HI(i), vf >= 32 ? 1u << (vf - 32) : 0);
      write(pf, RAL(i), lo);
      write(pf, RAH(i), hi | RAH_AV);
      return true;
    }
    return false;
  }

  void del_vf_filter(pci_dev& pf, pf_data& st, unsigned vf) {
    const int i = st.vfs[vf].rar;
    if (i <= 0) return;
    write(pf, RAH(static_cast<unsigned>(i)), 0);
    write(pf, MPSAR_LO(static_cast<unsigned>(i)), 0);
    write(pf, MPSAR_HI(static_cast<unsigned>(i)), 0);
    st.rar_used[static_cast<size_t>(i)] = false;
    st.vfs[vf].rar = -1;
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
