// 802.1Q VLAN devices (Linux net/8021q: vlan.c register_vlan_device / vlan_device_event,
// vlan_dev.c vlan_dev_open / vlan_dev_hard_start_xmit / vlan_ethtool_get_drvinfo,
// vlan_core.c vlan_do_receive / vlan_vid_add). A VLAN device sits on a real one,
// shares its MAC and MTU, puts its tag on what it sends and takes what arrives with
// its VID. Creating it asks the real device's filter for the VID
// (ndo_vlan_rx_add_vid: ixgbe adds it to the VLAN tables, ixgbevf asks its PF with
// SET_VLAN, which may refuse). Left out: reorder_hdr off, GVRP/MVRP, loose binding,
// egress/ingress QoS maps; a VLAN device has no `-d` details in `ip link`.
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "drivers-sim/net/netdev.h"

namespace iovsim::host {

namespace {

constexpr uint16_t VLAN_N_VID = 4096;

class vlan_ops final : public netdev_ops {
 public:
  // vlan_dev_open(): the real device must be up; the VLAN's carrier is the real one's.
  int open(netdev& nd) override {
    if (!nd.vlan_real || !nd.vlan_real->admin_up) return -ENETDOWN;
    nd.carrier = nd.vlan_real->carrier;
    return 0;
  }
  int stop(netdev& nd) override {
    nd.carrier = false;
    return 0;
  }
  // vlan_dev_hard_start_xmit(): the tag after the addresses, then the real device's
  // queue (counted as the VLAN device's when the real one took it).
  int start_xmit(netdev& nd, const uint8_t* frame, uint32_t len) override {
    netdev* real = nd.vlan_real;
    if (!real || len < 12 || !real->admin_up) return -ENETDOWN;
    // A buffer per frame in flight: the real driver may wait (its ring's lock, CPU
    // time) before it copies the bytes, and another thread may send meanwhile.
    std::vector<uint8_t> tagged = m_tagged.take(len + 4);
    std::memcpy(tagged.data(), frame, 12);
    tagged[12] = static_cast<uint8_t>(nd.vlan_proto >> 8);
    tagged[13] = static_cast<uint8_t>(nd.vlan_proto);
    tagged[14] = static_cast<uint8_t>(nd.vlan_id >> 8);
    tagged[15] = static_cast<uint8_t>(nd.vlan_id);
    std::memcpy(tagged.data() + 16, frame + 12, len - 12);
    const int rc = real->ops->start_xmit(*real, tagged.data(), len + 4);
    m_tagged.give(std::move(tagged));
    if (rc == 0) {
      ++nd.stats.tx_packets;
      nd.stats.tx_bytes += len;
    }
    return rc;
  }
  // vlan_dev_change_mtu(): no larger than the real device's.
  int change_mtu(netdev& nd, unsigned mtu) override {
    if (nd.vlan_real && mtu > nd.vlan_real->mtu) return -ERANGE;
    nd.mtu = mtu;
    return 0;
  }
  drvinfo get_drvinfo(netdev& nd) override {
    drvinfo d = netdev_ops::get_drvinfo(nd);
    d.driver = "802.1Q VLAN Support";
    d.version = "1.8";
    d.fw_version = "N/A";
    return d;
  }

 private:
  frame_buffers m_tagged;
};

}  // namespace

std::unique_ptr<netdev_ops> make_vlan_ops() { return std::make_unique<vlan_ops>(); }

int net_core::add_vlan(netdev& real, const std::string& name, uint16_t proto, uint16_t vid, std::string& why) {
  // vlan_newlink() -> vlan_validate(): the VID in range; vlan_check_real_dev(): not
  // already there; then the name (register_netdevice(): -EEXIST).
  if (vid >= VLAN_N_VID - 1) {
    why = "8021q: Invalid VLAN id";
    return -ERANGE;
  }
  for (const auto& n : m_netdevs)
    if (n->vlan_real == &real && n->vlan_id == vid && n->vlan_proto == proto) return -EEXIST;
  if (name.empty() || name.size() >= 16 || name.find_first_of("/: \t\n") != std::string::npos) return -EINVAL;
  if (find(name)) return -EEXIST;
  // vlan_vid_add(): the real device's filter, when it has one.
  if (int err = real.ops->vlan_rx_add_vid(real, proto, vid)) return err;
  if (!m_vlan_ops) m_vlan_ops = make_vlan_ops();
  auto nd = std::make_unique<netdev>();
  nd->ifindex = m_next_ifindex++;
  nd->name = name;
  nd->mac = real.mac;
  nd->mtu = real.mtu;
  nd->max_mtu = real.mtu;
  nd->driver = "8021q";
  nd->ops = m_vlan_ops.get();
  nd->core = this;
  nd->unicast_flt = true;  // vlan_setup(): IFF_UNICAST_FLT
  nd->vlan_real = &real;
  nd->vlan_id = vid;
  nd->vlan_proto = proto;
  m_netdevs.push_back(std::move(nd));
  return 0;
}

int net_core::del_link(netdev& nd) {
  if (!nd.vlan_real) return -EOPNOTSUPP;  // rtnl_dellink(): no rtnl_link_ops
  if (nd.admin_up) change_flags(nd, 0, IFF_UP);
  netdev& real = *nd.vlan_real;
  real.ops->vlan_rx_kill_vid(real, nd.vlan_proto, nd.vlan_id);  // vlan_vid_del()
  remove_netdev(nd);
  return 0;
}

void net_core::remove_netdev(netdev& nd) {
  auto it = std::find_if(m_netdevs.begin(), m_netdevs.end(), [&](const auto& n) { return n.get() == &nd; });
  if (it != m_netdevs.end()) m_netdevs.erase(it);
}

void net_core::set_carrier(netdev& nd, bool on) {
  nd.carrier = on;
  for (const auto& n : m_netdevs)
    if (n->vlan_real == &nd && n->admin_up) n->carrier = on;
}

// __netif_receive_skb_core() -> vlan_do_receive(): a frame tagged with the VID of a
// VLAN device on `nd` goes to that device without its tag; one no VLAN device takes
// stays on `nd` (whose stack has no handler for it).
void net_core::receive(netdev& nd, const uint8_t* frame, uint32_t len, sc_core::sc_time& debt) {
  if (len >= 18) {
    const uint16_t tpid = static_cast<uint16_t>(frame[12] << 8 | frame[13]);
    if (tpid == ETH_P_8021Q || tpid == ETH_P_8021AD) {
      const uint16_t vid = static_cast<uint16_t>((frame[14] << 8 | frame[15]) & 0xfff);
      for (const auto& n : m_netdevs) {
        if (n->vlan_real != &nd || n->vlan_id != vid || n->vlan_proto != tpid) continue;
        if (!n->admin_up) break;  // a VLAN device that is down drops what it would take
        // A buffer per frame in flight: the handler may wait (a reply sent), and
        // another queue's poll may hand up a frame meanwhile.
        std::vector<uint8_t> buf = m_untagged.take(len - 4);
        std::memcpy(buf.data(), frame, 12);
        std::memcpy(buf.data() + 12, frame + 16, len - 16);
        ++n->stats.rx_packets;
        n->stats.rx_bytes += len - 4;
        if (frame[0] & 1) ++n->stats.multicast;
        if (m_handler)
          m_handler->receive(*n, buf.data(), len - 4, debt);
        else
          ++n->stats.rx_dropped;
        m_untagged.give(std::move(buf));
        return;
      }
    }
  }
  if (m_handler)
    m_handler->receive(nd, frame, len, debt);
  else
    ++nd.stats.rx_dropped;
}

}  // namespace iovsim::host
