// pmd's ports: EAL's device open through VFIO, the hugepage memory, and each
// function started as DPDK's ixgbe PMDs start it (drivers/net/ixgbe/ixgbe_ethdev.c
// ixgbe_dev_start / ixgbevf_dev_start, ixgbe_rxtx.c ixgbe_dev_rx_init /
// ixgbe_dev_tx_init / ixgbe_dev_rxtx_start and their ixgbevf_ twins), one queue
// pair, no interrupts.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>

#include "drivers-sim/net/ixgbe_hw.h"
#include "drivers-sim/userland/pmd/pmd.h"

namespace iovsim::host {

using namespace ixgbe_hw;

namespace {
// The PF registers DPDK's ixgbe_dev_rx_init / ixgbe_dev_tx_init write (ixgbe_type.h).
constexpr uint32_t CTRL = 0x00000;
constexpr uint32_t RXCTRL = 0x03000, RXCTRL_RXEN = 0x1;
constexpr uint32_t HLREG0 = 0x04240, HLREG0_TXCRCEN = 0x1, HLREG0_RXCRCSTRP = 0x2, HLREG0_TXPADEN = 0x400;
constexpr uint32_t DMATXCTL = 0x04A80, DMATXCTL_TE = 0x1;
constexpr uint32_t FCTRL = 0x05080, FCTRL_MPE = 0x100, FCTRL_UPE = 0x200, FCTRL_BAM = 0x400;
constexpr uint32_t VT_CTL = 0x051B0;
constexpr uint32_t PCI_COMMAND = 0x04, PCI_COMMAND_MEMORY = 0x2, PCI_COMMAND_MASTER = 0x4;
// DPDK's defaults: RTE_MBUF_DEFAULT_BUF_SIZE = 2 KiB data room + 128 B headroom.
constexpr uint64_t MBUF_HEADROOM = 128, MBUF_DATA = 2048, MBUF_BYTES = MBUF_HEADROOM + MBUF_DATA;
constexpr uint64_t RING_ALIGN = 4096;
constexpr uint32_t MAX_FRAME = 1518;  // RTE_ETHER_MAX_LEN: what the VF asks the PF for (SET_LPE)

void put64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
}  // namespace

// MMIO waits its latency: the world may have gone meanwhile (host_gone()).
uint32_t pmd_app::rd(const pmd_port& p, uint32_t off) {
  const auto v = static_cast<uint32_t>(bus().mmio_read(p.bar0 + off, 4));
  if (m_gone) throw lcore_gone{};
  return v;
}
void pmd_app::wr(const pmd_port& p, uint32_t off, uint32_t v) {
  bus().mmio_write(p.bar0 + off, 4, v);
  if (m_gone) throw lcore_gone{};
}

// rte_pci_probe -> pci_vfio_map_resource: the VFIO device (viable group, container),
// bus mastering on (pci_vfio_set_bus_master), then the PMD's dev_start.
std::string pmd_app::open_port(pmd_port& p, std::string& out) {
  std::string why;
  const int rc = m_host.vfio().open(*p.dev, "pmd", p.vfio, why);
  if (rc == -ENODEV)
    return fmt::format("EAL: Requested device {} cannot be used\nEAL: {}\n", p.bdf, why);
  if (rc == -EPERM)
    return fmt::format("EAL: {} VFIO group is not viable! Not all devices in IOMMU group bound to VFIO or unbound\n"
                       "EAL: Requested device {} cannot be used\n",
                       p.bdf, p.bdf);
  if (rc == -EBUSY)  // vfio_get_group_fd(): the group belongs to another container
    return fmt::format(
        "EAL: Cannot open /dev/vfio/{}: Device or resource busy\nEAL: ({})\n"
        "EAL: Requested device {} cannot be used\n",
        m_host.vfio().group_of(*p.dev), why, p.bdf);
  if (rc)
    return fmt::format("EAL: {} failed to open VFIO device: {}\nEAL: Requested device {} cannot be used\n", p.bdf, why,
                       p.bdf);
  const uint16_t vendor = p.dev->vendor, device = p.dev->device;
  p.vf = device == 0x1515 || device == 0x10ed;  // IXGBE_DEV_ID_X540_VF, IXGBE_DEV_ID_82599_VF
  const bool pf = device == 0x1528 || device == 0x10fb;  // IXGBE_DEV_ID_X540T, IXGBE_DEV_ID_82599_SFP
  if (vendor != 0x8086 || (!p.vf && !pf) || !p.dev->bars[0].assigned)
    return fmt::format("EAL: Requested device {} cannot be used\nEAL: no PMD for {:04x}:{:04x}\n", p.bdf, vendor,
                       device);
  p.bar0 = p.dev->bars[0].start;
  out += fmt::format("EAL: Probe PCI driver: {} ({:04x}:{:04x}) device: {} (socket 0)\n",
                     p.vf ? "net_ixgbe_vf" : "net_ixgbe", vendor, device, p.bdf);
  if (p.vfio->noiommu) out += fmt::format("EAL: {} using no-IOMMU mode (physical addresses)\n", p.bdf);
  const uint32_t cmd = bus().cfg_read(p.dev->bus, p.dev->devfn, PCI_COMMAND, 2);
  bus().cfg_write(p.dev->bus, p.dev->devfn, PCI_COMMAND, 2, cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
  return p.vf ? start_vf(p) : start_pf(p);
}

// eth_ixgbevf_dev_init + ixgbevf_dev_start: VF reset over the mailbox (the PF's ACK
// carries our MAC), the API, the frame size; then the queues (setup_queues).
std::string pmd_app::start_vf(pmd_port& p) {
  p.mbx = std::make_unique<ixgbevf_mailbox>(bus(), p.bar0);
  ixgbevf_mailbox_guard g(*p.mbx);
  uint64_t mac = 0;
  const ixgbevf_mailbox::result r = p.mbx->reset_hw(mac);
  if (r != ixgbevf_mailbox::result::ok && r != ixgbevf_mailbox::result::nack)
    return fmt::format("ixgbevf_dev_start(): Unable to reset VF {}: PF still resetting (is the PF interface up?)\n"
                       "Fail to start port {}\n",
                       p.bdf, p.bdf);
  p.mbx->negotiate_api();
  if (!mac) {
    // eth_ixgbevf_dev_init(): "VF MAC address not assigned by Host PF", a random one
    // (here derived from the function, for determinism), then set_rar.
    mac = 0x020900000000ull | (uint64_t{p.dev->bus} << 8) | p.dev->devfn;
    p.mbx->set_mac(mac);
  }
  p.mac = mac;
  p.mbx->set_lpe(MAX_FRAME);  // ixgbevf_dev_rx_init() -> ixgbevf_rlpml_set_vf()
  // testpmd enables promiscuous mode on every port (ixgbevf_dev_promiscuous_enable:
  // UPDATE_XCAST_MODE PROMISC; an untrusted VF is granted less, and runs anyway).
  int granted = -1;
  p.mbx->update_xcast_mode(XCAST_MODE_PROMISC, granted);
  return "";
}

// ixgbe_dev_start: the MAC reset (ixgbe_pf_reset_hw -> reset_hw: CTRL.RST, then the
// 50 ms ixgbe_reset_hw_82599 waits), the port's MAC from RAR0, the receive filter
// promiscuous (testpmd's default; FCTRL.BAM for broadcast), one queue without RSS or
// pools (MRQC, VT_CTL 0), CRC stripping and TX padding in HLREG0, DMATXCTL.TE and
// RXCTRL.RXEN around the queue enables (ixgbe_dev_rxtx_start).
std::string pmd_app::start_pf(pmd_port& p) {
  wr(p, CTRL, CTRL_RST);
  for (int i = 0; i < 10 && (rd(p, CTRL) & CTRL_RST); ++i) sc_core::wait(sc_core::sc_time(1, sc_core::SC_US));
  sc_core::wait(sc_core::sc_time(50, sc_core::SC_MS));
  const uint32_t ral = rd(p, RAL(0)), rah = rd(p, RAH(0));
  p.mac = 0;
  for (int b = 0; b < 4; ++b) p.mac |= uint64_t{(ral >> (8 * b)) & 0xff} << (40 - 8 * b);
  for (int b = 0; b < 2; ++b) p.mac |= uint64_t{(rah >> (8 * b)) & 0xff} << (8 - 8 * b);
  wr(p, FCTRL, rd(p, FCTRL) | FCTRL_BAM | FCTRL_UPE | FCTRL_MPE);
  wr(p, MRQC, 0);
  wr(p, VT_CTL, 0);
  wr(p, HLREG0, rd(p, HLREG0) | HLREG0_TXCRCEN | HLREG0_RXCRCSTRP | HLREG0_TXPADEN);
  wr(p, DMATXCTL, rd(p, DMATXCTL) | DMATXCTL_TE);
  // The missed counters are clear on read: start from zero.
  rd(p, MPC(0));
  rd(p, QPRDC(0));
  return "";
}

// ixgbe(vf)_dev_tx_init / _rx_init / _rxtx_start for queue 0: base, length, head and
// tail 0, SRRCTL (advanced one-buffer descriptors, 2 KiB buffers), the enables, then
// every RX descriptor handed over but one (RDT = nb_rx_desc - 1).
void pmd_app::setup_queues(pmd_port& p, const options& o) {
  const uint32_t t = p.vf ? VFTDBAL(0) : TDBAL(0);
  const uint32_t r = p.vf ? VFRDBAL(0) : RDBAL(0);
  const uint32_t srrctl = p.vf ? VFRDBAL(0) + VF_SRRCTL : SRRCTL(0);
  wr(p, t + Q_DCTL, 0);
  wr(p, t + Q_BAL, static_cast<uint32_t>(p.tx_ring));
  wr(p, t + Q_BAH, static_cast<uint32_t>(p.tx_ring >> 32));
  wr(p, t + Q_LEN, o.txd * DESC_BYTES);
  wr(p, t + Q_H, 0);
  wr(p, t + Q_T, 0);
  wr(p, r + Q_DCTL, 0);
  wr(p, r + Q_BAL, static_cast<uint32_t>(p.rx_ring));
  wr(p, r + Q_BAH, static_cast<uint32_t>(p.rx_ring >> 32));
  wr(p, r + Q_LEN, o.rxd * DESC_BYTES);
  wr(p, r + Q_H, 0);
  wr(p, r + Q_T, 0);
  wr(p, srrctl, SRRCTL_DESCTYPE_ADV_ONEBUF | static_cast<uint32_t>(MBUF_DATA / 1024));
  // ixgbe_alloc_rx_queue_mbufs(): an mbuf per descriptor.
  p.rx_mbuf.assign(o.rxd, 0);
  p.tx_mbuf.assign(o.txd, UINT32_MAX);
  uint8_t d[DESC_BYTES] = {};
  for (unsigned i = 0; i < o.rxd; ++i) {
    p.rx_mbuf[i] = m_free.back();
    m_free.pop_back();
    put64(d, m_mbufs + p.rx_mbuf[i] * MBUF_BYTES + MBUF_HEADROOM);
    bus().mem_write(p.rx_ring + uint64_t{i} * DESC_BYTES, d, DESC_BYTES);
  }
  p.rx_next = 0;
  p.tx_tail = 0;
  p.tx_free = o.txd - 1;
  p.tx_next_dd = TX_RS_THRESH - 1;
  if (!p.vf) {
    wr(p, RXCTRL, rd(p, RXCTRL) & ~RXCTRL_RXEN);
  }
  wr(p, t + Q_DCTL, DCTL_ENABLE);
  wr(p, r + Q_DCTL, DCTL_ENABLE);
  if (!p.vf) wr(p, RXCTRL, rd(p, RXCTRL) | RXCTRL_RXEN);
  wr(p, r + Q_T, o.rxd - 1);
}

// rte_eal_init's memory and rte_pktmbuf_pool_create: rings and the pool in one
// hugepage-backed region, mapped once per device.
cmd_result pmd_app::start(const std::vector<std::string>& argv) {
  const char* usage =
      "Usage: pmd start --dev BDF [--dev BDF] --fwd io|mac [--burst N] [--rxd N] [--txd N] [--hugepages 2M|1G] "
      "[--eth-peer N,MAC]\n";
  auto bad = [&](const std::string& what) { return cmd_result{2, "", "pmd: " + what + "\n" + usage, "EINVAL"}; };
  if (m_lcore && m_vfio == &m_host.vfio()) return cmd_result{1, "", "pmd: already forwarding (pmd stop first)\n", "EBUSY"};
  if (m_vfio != &m_host.vfio()) {  // rebooted: what we held is gone
    retire_lcore();
    m_ports.clear();
  }
  options o;
  bool fwd_given = false;
  for (size_t i = 2; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (i + 1 >= argv.size()) return bad("option " + a + " needs a value");
    const std::string& v = argv[++i];
    auto number = [&](unsigned& n, unsigned lo, unsigned hi) {
      if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos || v.size() > 6) return false;
      n = static_cast<unsigned>(std::stoul(v));
      return n >= lo && n <= hi;
    };
    if (a == "--dev") {
      o.devs.push_back(v);
    } else if (a == "--fwd") {
      if (v != "io" && v != "mac") return bad("unknown forwarding mode \"" + v + "\" (io, mac)");
      o.mac_fwd = v == "mac";
      fwd_given = true;
    } else if (a == "--burst") {
      if (!number(o.burst, 1, 512)) return bad("--burst: 1..512 (MAX_PKT_BURST)");
    } else if (a == "--rxd") {
      if (!number(o.rxd, 64, 4096) || o.rxd % 8) return bad("--rxd: 64..4096, a multiple of 8");
    } else if (a == "--txd") {
      if (!number(o.txd, 64, 4096) || o.txd % TX_RS_THRESH)
        return bad(fmt::format("--txd: 64..4096, a multiple of {} (tx_rs_thresh)", TX_RS_THRESH));
    } else if (a == "--hugepages") {
      if (v == "2M" || v == "2048k" || v == "2048kB")
        o.hugepage = 2ull << 20;
      else if (v == "1G")
        o.hugepage = 1ull << 30;
      else
        return bad("--hugepages: 2M or 1G");
    } else if (a == "--eth-peer") {
      const size_t comma = v.find(',');
      unsigned n = 0;
      uint64_t mac = 0;
      const std::string port = comma == std::string::npos ? "" : v.substr(0, comma);
      const std::string text = comma == std::string::npos ? "" : v.substr(comma + 1);
      bool ok = !port.empty() && port.find_first_not_of("0123456789") == std::string::npos && port.size() < 3 &&
                text.size() == 17;
      for (size_t k = 0; ok && k < 6; ++k) {
        const std::string byte = text.substr(3 * k, 2);
        ok = std::isxdigit(static_cast<unsigned char>(byte[0])) && std::isxdigit(static_cast<unsigned char>(byte[1])) &&
             (k == 5 || text[3 * k + 2] == ':');
        if (ok) mac = mac << 8 | std::stoul(byte, nullptr, 16);
      }
      if (!ok) return bad("--eth-peer: N,XX:XX:XX:XX:XX:XX");
      n = static_cast<unsigned>(std::stoul(port));
      o.peers.emplace_back(n, mac);
    } else {
      return bad("unknown option " + a);
    }
  }
  if (o.devs.empty() || o.devs.size() > 2) return bad("one or two --dev");
  if (!fwd_given) return bad("--fwd io|mac");
  for (const auto& [n, mac] : o.peers)
    if (n >= o.devs.size()) return bad(fmt::format("--eth-peer: no port {}", n));
  if (!m_params) m_params = std::make_unique<pmd_params>();

  std::string out = "EAL: Detected CPU lcores: 1\nEAL: Selected IOVA mode 'PA'\nEAL: VFIO support initialized\n";
  m_vfio = &m_host.vfio();
  m_ports.clear();
  m_ports.resize(o.devs.size());
  for (size_t i = 0; i < o.devs.size(); ++i) {
    pmd_port& p = m_ports[i];
    p.dev = m_host.pci().find(o.devs[i]);
    if (!p.dev) {
      m_ports.clear();
      return cmd_result{1, out, fmt::format("EAL: failed to parse device \"{}\"\n", o.devs[i]), "ENODEV"};
    }
    p.bdf = p.dev->bdf();
    for (size_t k = 0; k < i; ++k)
      if (m_ports[k].dev == p.dev) {
        m_ports.clear();
        return cmd_result{2, out, fmt::format("pmd: {} given twice\n", p.bdf), "EINVAL"};
      }
    p.out = o.devs.size() == 1 ? 0 : static_cast<unsigned>(1 - i);
    p.peer = 0x020000000000ull | i;  // testpmd's default peer 02:00:00:00:00:0N
    for (const auto& [n, mac] : o.peers)
      if (n == i) p.peer = mac;
  }
  // Hugepage memory: rings (4 KiB aligned each) then the pool; DPDK sizes its pool for
  // the rings plus bursts in flight (testpmd: RX + TX descriptors + MAX_PKT_BURST per port).
  const uint64_t ring_bytes = ((o.rxd + o.txd) * uint64_t{DESC_BYTES} + 2 * RING_ALIGN) / RING_ALIGN * RING_ALIGN;
  const uint64_t nb_mbuf = (uint64_t{o.rxd} + o.txd + o.burst) * m_ports.size();
  const uint64_t want = ring_bytes * m_ports.size() + nb_mbuf * MBUF_BYTES;
  m_region_bytes = (want + o.hugepage - 1) / o.hugepage * o.hugepage;
  m_region = m_host.pages().alloc_contiguous(m_region_bytes, o.hugepage, false);
  if (!m_region) {
    m_ports.clear();
    return cmd_result{1, out,
                      fmt::format("EAL: Not enough memory available! Requested: {}MB, available: 0MB\n"
                                  "EAL: Cannot init memory\n",
                                  m_region_bytes >> 20),
                      "ENOMEM"};
  }
  out += fmt::format("EAL: {} hugepages of {} reserved at 0x{:x}\n", m_region_bytes / o.hugepage,
                     o.hugepage >= (1ull << 30) ? "1GB" : "2MB", m_region);
  const uint8_t zero[DESC_BYTES] = {};
  for (size_t i = 0; i < m_ports.size(); ++i) {
    m_ports[i].rx_ring = m_region + i * ring_bytes;
    m_ports[i].tx_ring = (m_ports[i].rx_ring + o.rxd * uint64_t{DESC_BYTES} + RING_ALIGN - 1) / RING_ALIGN * RING_ALIGN;
    for (unsigned k = 0; k < o.txd; ++k) bus().mem_write(m_ports[i].tx_ring + uint64_t{k} * DESC_BYTES, zero, DESC_BYTES);
  }
  m_mbufs = m_region + ring_bytes * m_ports.size();
  m_free.clear();
  m_free.reserve(nb_mbuf);
  for (uint64_t k = nb_mbuf; k-- > 0;) m_free.push_back(static_cast<uint32_t>(k));  // lowest first out
  m_burst_mbuf.assign(o.burst, 0);
  m_burst_len.assign(o.burst, 0);
  // Devices: open, map the region once (IOVA = physical), start.
  for (pmd_port& p : m_ports) {
    std::string err = open_port(p, out);
    if (err.empty() && !p.vfio->noiommu) {
      const int rc = m_host.vfio().dma_map(*p.vfio, m_region, m_region, m_region_bytes, o.hugepage);
      if (rc) err = fmt::format("EAL: {} VFIO_IOMMU_MAP_DMA failed: {}\n", p.bdf, errno_name(-rc));
    }
    if (!err.empty()) {
      release();
      return cmd_result{1, out, err, "ENODEV"};
    }
  }
  for (pmd_port& p : m_ports) {
    setup_queues(p, o);
    out += fmt::format("Port {}: {:02X}:{:02X}:{:02X}:{:02X}:{:02X}:{:02X}\n", &p - m_ports.data(), (p.mac >> 40) & 0xff,
                       (p.mac >> 32) & 0xff, (p.mac >> 24) & 0xff, (p.mac >> 16) & 0xff, (p.mac >> 8) & 0xff,
                       p.mac & 0xff);
  }
  m_opt = o;
  out += fmt::format("{} packet forwarding - ports={} - cores=1 - streams={} - NUMA support enabled, MP allocation mode: native\n",
                     o.mac_fwd ? "mac" : "io", m_ports.size(), m_ports.size());
  out += fmt::format("Logical Core 0 (socket 0) forwards packets on {} streams:\n", m_ports.size());
  for (size_t i = 0; i < m_ports.size(); ++i) {
    const uint64_t peer = m_ports[m_ports[i].out].peer;
    out += fmt::format(
        "  RX P={}/Q=0 (socket 0) -> TX P={}/Q=0 (socket 0) peer={:02X}:{:02X}:{:02X}:{:02X}:{:02X}:{:02X}\n", i,
        m_ports[i].out, (peer >> 40) & 0xff, (peer >> 32) & 0xff, (peer >> 24) & 0xff, (peer >> 16) & 0xff,
        (peer >> 8) & 0xff, peer & 0xff);
  }
  m_started = sc_core::sc_time_stamp();
  for (pmd_port& p : m_ports) p.shown_at = m_started;
  m_debt = sc_core::SC_ZERO_TIME;
  m_lcore = std::make_shared<lcore_state>();
  std::shared_ptr<lcore_state> st = m_lcore;
  std::shared_ptr<pmd_app> self = shared_from_this();
  sc_core::sc_spawn(
      [self, st] {
        try {
          self->lcore(st);
        } catch (const lcore_gone&) {  // the kernel went: nothing of it may be touched
        }
      },
      sc_core::sc_gen_unique_name("pmd_lcore"));
  return cmd_result{0, out, "", ""};
}

// Queues off, the devices closed (their maps undone), the memory freed.
void pmd_app::release() {
  if (m_vfio == &m_host.vfio()) {
    for (pmd_port& p : m_ports) {
      if (!p.vfio) continue;
      if (p.bar0 && !p.rx_mbuf.empty()) {
        const uint32_t t = p.vf ? VFTDBAL(0) : TDBAL(0);
        const uint32_t r = p.vf ? VFRDBAL(0) : RDBAL(0);
        wr(p, r + Q_DCTL, 0);
        wr(p, t + Q_DCTL, 0);
      }
      m_host.vfio().close(*p.vfio);
      p.vfio = nullptr;
    }
    if (m_region) m_host.pages().free_contiguous(m_region, m_region_bytes);
  }
  m_region = 0;
  m_ports.clear();
}

}  // namespace iovsim::host
