// ARP (RFC 826) and the neighbour table, the way Linux runs them (net/ipv4/arp.c,
// net/core/neighbour.c): a packet to an unresolved next hop is queued on the entry
// (arp_queue, bounded by unres_qlen_bytes) while broadcast requests go out every
// retrans_time; mcast_probes of them unanswered make the entry FAILED and every queued
// packet an ICMP host unreachable (arp_error_report). A reply makes it REACHABLE for
// a random reachable_time, then STALE; a STALE entry still sends, moves to DELAY and
// after delay_first_probe_time (5 s) to PROBE: unicast requests until a reply
// (REACHABLE again) or ucast_probes of them fail. A request for one of our addresses
// is answered and leaves the asker's entry STALE (neigh_event_ns).
#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "drivers-sim/net/stack_impl.h"
#include "models/net/byte_order.h"

namespace iovsim::host {

namespace {
// neighbour.c defaults of arp_tbl that are not parameters here.
const sc_core::sc_time DELAY_FIRST_PROBE_TIME(5, sc_core::SC_SEC);
constexpr unsigned UCAST_PROBES = 3;
}  // namespace

uint64_t now_ns() {
  return static_cast<uint64_t>(sc_core::sc_time_stamp().value() / sc_core::sc_time(1, sc_core::SC_NS).value());
}

void set_dst_mac(net::frame& f, uint64_t mac) {
  const net::mac_addr m = net::mac_addr::from_u64(mac);
  std::memcpy(f.data(), m.bytes.data(), 6);
}

void build_echo(net::frame& f, const echo_fields& e, const uint8_t* data, uint32_t bytes) {
  net::icmp_echo_spec s;
  s.eth.src = net::mac_addr::from_u64(e.src_mac);
  s.ip.src.value = e.src;
  s.ip.dst.value = e.dst;
  s.ip.id = e.ip_id;
  s.ip.dont_fragment = e.dont_fragment;
  s.reply = e.reply;
  s.id = e.ident;
  s.seq = e.sequence;
  s.payload.bytes = bytes;
  net::build_icmp_echo(f, s);
  // The builder writes a pattern; the echo carries the caller's bytes: copy them and
  // redo the ICMP checksum over the message.
  uint8_t* icmp = f.data() + net::ETH_HEADER_BYTES + net::IPV4_HEADER_BYTES;
  if (bytes) std::memcpy(icmp + net::ICMP_ECHO_HEADER_BYTES, data, bytes);
  icmp[2] = icmp[3] = 0;
  const uint16_t sum = net::inet_checksum(icmp, net::ICMP_ECHO_HEADER_BYTES + bytes);
  icmp[2] = static_cast<uint8_t>(sum >> 8);
  icmp[3] = static_cast<uint8_t>(sum);
}

void build_udp_frame(net::frame& f, uint64_t src_mac, uint32_t src, uint32_t dst, uint16_t ip_id, uint16_t src_port,
                     uint16_t dst_port, const std::vector<uint8_t>& data) {
  net::udp_spec s;
  s.eth.src = net::mac_addr::from_u64(src_mac);
  s.ip.src.value = src;
  s.ip.dst.value = dst;
  s.ip.id = ip_id;
  s.ip.dont_fragment = true;  // UDP sockets default to IP_PMTUDISC_WANT as well
  s.src_port = src_port;
  s.dst_port = dst_port;
  s.payload.bytes = static_cast<uint32_t>(data.size());
  net::build_udp(f, s);
  uint8_t* udp = f.data() + net::ETH_HEADER_BYTES + net::IPV4_HEADER_BYTES;
  if (!data.empty()) std::memcpy(udp + net::UDP_HEADER_BYTES, data.data(), data.size());
  // RFC 768: the checksum covers a pseudo header, the UDP header and the data.
  const uint32_t udp_len = net::UDP_HEADER_BYTES + static_cast<uint32_t>(data.size());
  uint8_t pseudo[12];
  std::memcpy(pseudo, f.data() + net::ETH_HEADER_BYTES + 12, 8);  // source and destination
  pseudo[8] = 0;
  pseudo[9] = net::IP_PROTO_UDP;
  pseudo[10] = static_cast<uint8_t>(udp_len >> 8);
  pseudo[11] = static_cast<uint8_t>(udp_len);
  udp[6] = udp[7] = 0;
  uint16_t sum = net::checksum_fold(net::checksum_add(net::checksum_add(0, pseudo, 12), udp, udp_len));
  if (sum == 0) sum = 0xffff;
  udp[6] = static_cast<uint8_t>(sum >> 8);
  udp[7] = static_cast<uint8_t>(sum);
}

ipv4_stack::neighbour* ipv4_stack::neigh_find(int ifindex, uint32_t ip) {
  auto it = m_neighbours.find({ifindex, ip});
  return it == m_neighbours.end() ? nullptr : it->second.get();
}

unsigned ipv4_stack::neigh_state(const neighbour& n) const {
  // neigh_periodic_work() turns REACHABLE into STALE once reachable_time has passed;
  // here it is read off the clock.
  if (n.state == NUD_REACHABLE && sc_core::sc_time_stamp() >= n.confirmed + n.reachable_time) return NUD_STALE;
  return n.state;
}

std::vector<neigh_info> ipv4_stack::neighbours() const {
  std::vector<neigh_info> out;
  for (const auto& [key, n] : m_neighbours) {
    const unsigned state = neigh_state(*n);
    if (!state) continue;
    neigh_info i;
    i.dst = n->ip;
    i.ifindex = n->ifindex;
    i.state = state;
    i.has_lladdr = state & (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE);
    i.lladdr = n->mac;
    out.push_back(i);
  }
  return out;
}

void ipv4_stack::arp_send(netdev& nd, uint16_t op, uint32_t src_ip, uint64_t dst_mac, uint32_t target_ip,
                          uint64_t target_mac) {
  auto f = m_pool.get();
  net::arp_spec s;
  s.eth.dst = net::mac_addr::from_u64(dst_mac);
  s.eth.src = net::mac_addr::from_u64(nd.mac);
  s.op = op;
  s.sender_mac = s.eth.src;
  s.sender_ip.value = src_ip;
  s.target_mac = net::mac_addr::from_u64(target_mac);
  s.target_ip.value = target_ip;
  net::build_arp(*f, s);
  if (op == net::ARP_OP_REQUEST)
    ++m_snmp.arp_requests_out;
  else
    ++m_snmp.arp_replies_out;
  xmit(nd, f->data(), f->size());
}

void ipv4_stack::output(netdev& nd, uint32_t next_hop, net::frame_pool::frame_ptr f) {
  auto key = std::make_pair(nd.ifindex, next_hop);
  auto it = m_neighbours.find(key);
  if (it == m_neighbours.end()) {
    auto n = std::make_unique<neighbour>();
    n->ifindex = nd.ifindex;
    n->ip = next_hop;
    it = m_neighbours.emplace(key, std::move(n)).first;
  }
  neighbour& n = *it->second;
  const unsigned state = neigh_state(n);
  if (state & (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE)) {
    // neigh_resolve_output(): a known address is used at once; a STALE one is
    // revalidated (__neigh_event_send: STALE -> DELAY, and a probe later).
    if (state == NUD_STALE) {
      n.state = NUD_DELAY;
      if (!n.timer_running) {
        n.timer_running = true;
        const int ifindex = n.ifindex;
        const uint32_t ip = n.ip;
        std::weak_ptr<bool> alive = m_alive;
        sc_core::sc_spawn([this, alive, ifindex, ip] {
          sc_core::wait(DELAY_FIRST_PROBE_TIME);
          if (alive.expired() || !*alive.lock()) return;
          arp_solicit(ifindex, ip);
        });
      }
    }
    set_dst_mac(*f, n.mac);
    xmit(nd, f->data(), f->size());
    return;
  }
  // INCOMPLETE (or a new or FAILED entry, which starts resolving again): queue it,
  // dropping the oldest packets beyond unres_qlen_bytes.
  n.queue_bytes += f->size();
  n.queue.push_back(std::move(f));
  while (n.queue_bytes > arp_queue_bytes() && !n.queue.empty()) {
    n.queue_bytes -= n.queue.front()->size();
    n.queue.pop_front();
    ++nd.stats.tx_dropped;
  }
  if (state == NUD_INCOMPLETE) return;
  n.state = NUD_INCOMPLETE;
  if (n.timer_running) return;
  n.timer_running = true;
  const int ifindex = nd.ifindex;
  std::weak_ptr<bool> alive = m_alive;
  sc_core::sc_spawn([this, alive, ifindex, next_hop] {
    if (alive.expired() || !*alive.lock()) return;
    arp_solicit(ifindex, next_hop);
  });
}

void ipv4_stack::arp_solicit(int ifindex, uint32_t ip) {
  // neigh_timer_handler(): INCOMPLETE sends mcast_probes broadcast requests, PROBE
  // (from DELAY) ucast_probes unicast ones, retrans_time apart; then FAILED.
  std::weak_ptr<bool> alive = m_alive;
  neighbour* n = neigh_find(ifindex, ip);
  if (!n) return;
  if (n->state == NUD_DELAY) n->state = NUD_PROBE;
  const bool unicast = n->state == NUD_PROBE;
  const unsigned probes = unicast ? UCAST_PROBES : arp_probes();
  for (unsigned i = 0; i < probes; ++i) {
    netdev* nd = m_net.find(ifindex);
    n = neigh_find(ifindex, ip);
    if (!nd || !n || !(n->state & (NUD_INCOMPLETE | NUD_PROBE))) {
      if (n) n->timer_running = false;
      return;
    }
    // arp_solicit(): the source is an address of ours in the target's subnet if one
    // exists, else the interface's first (arp_announce = 0 picks the packet's source).
    uint32_t src = 0;
    for (const address& a : m_addresses)
      if (a.ifindex == ifindex &&
          (!src || ((a.local ^ ip) & (a.prefixlen ? ~uint32_t{0} << (32 - a.prefixlen) : 0)) == 0))
        src = a.local;
    arp_send(*nd, net::ARP_OP_REQUEST, src, unicast ? n->mac : 0xffffffffffffULL, ip, unicast ? n->mac : 0);
    sc_core::wait(arp_retrans_time());
    if (alive.expired() || !*alive.lock()) return;
  }
  n = neigh_find(ifindex, ip);
  if (!n) return;
  n->timer_running = false;
  if (n->state & (NUD_INCOMPLETE | NUD_PROBE)) arp_failed(*n);
}

void ipv4_stack::arp_failed(neighbour& n) {
  n.state = NUD_FAILED;
  std::deque<net::frame_pool::frame_ptr> queue;
  queue.swap(n.queue);
  n.queue_bytes = 0;
  netdev* nd = m_net.find(n.ifindex);
  for (auto& f : queue) {
    if (nd) ++nd->stats.tx_dropped;
    report_unreachable(f->data(), f->size());
  }
}

void ipv4_stack::arp_receive(netdev& nd, const net::parsed_frame& p) {
  const net::arp_fields& a = p.arp;
  if (a.op == net::ARP_OP_REQUEST)
    ++m_snmp.arp_requests_in;
  else if (a.op == net::ARP_OP_REPLY)
    ++m_snmp.arp_replies_in;
  else
    return;
  const uint32_t sender = a.sender_ip.value;
  const uint64_t sender_mac = a.sender_mac.to_u64();
  if (a.sender_mac.is_multicast() || sender == 0) return;  // arp_process(): bogus or a probe (DAD)
  bool target_ours = false;   // arp_ignore 0: any local address; 1: one of the incoming interface's
  for (const address& x : m_addresses)
    target_ours |= x.local == a.target_ip.value && (m_arp_ignore == 0 || x.ifindex == nd.ifindex);
  neighbour* n = neigh_find(nd.ifindex, sender);
  if (a.op == net::ARP_OP_REQUEST && target_ours) {
    arp_send(nd, net::ARP_OP_REPLY, a.target_ip.value, sender_mac, sender, sender_mac);
    // neigh_event_ns(): the asker's address, learnt as STALE.
    if (!n) {
      auto fresh = std::make_unique<neighbour>();
      fresh->ifindex = nd.ifindex;
      fresh->ip = sender;
      n = fresh.get();
      m_neighbours.emplace(std::make_pair(nd.ifindex, sender), std::move(fresh));
    }
    if (n->mac != sender_mac || !(neigh_state(*n) & (NUD_REACHABLE | NUD_DELAY | NUD_PROBE))) n->state = NUD_STALE;
    n->mac = sender_mac;
  } else if (n && a.op == net::ARP_OP_REPLY) {
    // Only an entry we hold is updated (arp_accept = 0); a reply confirms it.
    n->mac = sender_mac;
    n->state = NUD_REACHABLE;
    n->confirmed = sc_core::sc_time_stamp();
    // neigh_rand_reach_time(): uniform in [base/2, 3*base/2).
    const sc_core::sc_time base = arp_base_reachable_time();
    n->reachable_time = base / 2 + base * (static_cast<double>(m_rng.below(1u << 20)) / (1u << 20));
  } else {
    return;
  }
  // neigh_update() to a valid state sends what waited in arp_queue.
  std::deque<net::frame_pool::frame_ptr> queue;
  queue.swap(n->queue);
  n->queue_bytes = 0;
  const uint64_t mac = n->mac;
  for (auto& f : queue) {
    set_dst_mac(*f, mac);
    xmit(nd, f->data(), f->size());
  }
}

}  // namespace iovsim::host
