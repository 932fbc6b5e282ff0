// The IPv4 stack: addresses and connected routes, IP input and output, ICMP echo and
// the sockets. ARP and the neighbour table are in arp.cpp.
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "drivers-sim/net/stack_impl.h"

namespace iovsim::host {

namespace {
constexpr uint32_t LOOPBACK_ADDR = 0x7f000001;  // 127.0.0.1/8 on lo (inet_init -> devinet)
constexpr unsigned ICMP_DEST_UNREACH = 3, ICMP_HOST_UNREACH = 1;

uint32_t mask_of(unsigned prefixlen) { return prefixlen == 0 ? 0 : ~uint32_t{0} << (32 - prefixlen); }
}  // namespace

ipv4_stack::ipv4_stack(net_core& net, kernel_log& log, uint64_t seed)
    : m_net(net), m_log(log), m_rng(seed, "host.net.ipv4") {
  // ping_get_port() hands out identifiers from a rover; start it somewhere seeded.
  m_next_ping_ident = static_cast<uint16_t>(m_rng.below(0x8000) + 1);
}

ipv4_stack::~ipv4_stack() { *m_alive = false; }

// ---- addresses and routes (devinet.c, fib_frontend.c) -------------------------------

int ipv4_stack::add_address(int ifindex, uint32_t local, unsigned prefixlen, uint32_t broadcast) {
  if (ifindex != 1 && !m_net.find(ifindex)) return -ENODEV;
  if (prefixlen > 32) return -EINVAL;
  if (ifindex == 1 && local == LOOPBACK_ADDR && prefixlen == 8) return -EEXIST;
  for (const address& a : m_addresses)
    if (a.ifindex == ifindex && a.local == local && a.prefixlen == prefixlen) return -EEXIST;
  m_addresses.push_back({ifindex, local, prefixlen, broadcast});
  return 0;
}

int ipv4_stack::del_address(int ifindex, uint32_t local, unsigned prefixlen) {
  if (ifindex != 1 && !m_net.find(ifindex)) return -ENODEV;
  auto it = std::find_if(m_addresses.begin(), m_addresses.end(), [&](const address& a) {
    return a.ifindex == ifindex && a.local == local && a.prefixlen == prefixlen;
  });
  if (it == m_addresses.end()) return -EADDRNOTAVAIL;
  m_addresses.erase(it);
  return 0;
}

std::vector<ifaddr_info> ipv4_stack::addresses() const {
  std::vector<ifaddr_info> out;
  ifaddr_info lo;
  lo.ifindex = 1;
  lo.local = LOOPBACK_ADDR;
  lo.prefixlen = 8;
  lo.host_scope = true;
  lo.label = "lo";
  out.push_back(lo);
  // inet_dump_ifaddr(): by interface, each interface's addresses in the order added.
  std::vector<int> ifindexes{1};
  for (netdev* nd : m_net.netdevs()) ifindexes.push_back(nd->ifindex);
  for (int ifindex : ifindexes)
    for (const address& a : m_addresses) {
      if (a.ifindex != ifindex) continue;
      ifaddr_info i;
      i.ifindex = a.ifindex;
      i.local = a.local;
      i.prefixlen = a.prefixlen;
      i.has_broadcast = a.broadcast != 0;
      i.broadcast = a.broadcast;
      i.host_scope = (a.local >> 24) == 127;
      const netdev* nd = m_net.find(a.ifindex);
      i.label = nd ? nd->name : "lo";
      out.push_back(i);
    }
  return out;
}

std::vector<route_info> ipv4_stack::routes() const {
  std::vector<route_info> out;
  for (const address& a : m_addresses) {
    const netdev* nd = m_net.find(a.ifindex);
    // fib_add_ifaddr(): a prefix route for every address but a /32, while the
    // interface is up; lo's routes live in the local table `ip route` does not show.
    if (!nd || !nd->admin_up || a.prefixlen == 32) continue;
    const uint32_t dst = a.local & mask_of(a.prefixlen);
    const bool seen = std::any_of(out.begin(), out.end(), [&](const route_info& r) {
      return r.dst == dst && r.prefixlen == a.prefixlen && r.ifindex == a.ifindex;
    });
    if (seen) continue;  // a second address in the prefix adds no route
    route_info r;
    r.dst = dst;
    r.prefixlen = a.prefixlen;
    r.ifindex = a.ifindex;
    r.prefsrc = a.local;
    r.linkdown = !nd->carrier;
    out.push_back(r);
  }
  // The FIB trie dumps in key order, longer prefixes first for one key.
  std::sort(out.begin(), out.end(), [](const route_info& a, const route_info& b) {
    return a.dst != b.dst               ? a.dst < b.dst
           : a.prefixlen != b.prefixlen ? a.prefixlen > b.prefixlen
                                        : a.ifindex < b.ifindex;
  });
  return out;
}

bool ipv4_stack::is_local(uint32_t addr) const {
  if ((addr >> 24) == 127) return true;
  return std::any_of(m_addresses.begin(), m_addresses.end(), [&](const address& a) { return a.local == addr; });
}

bool ipv4_stack::route(uint32_t dst, int bound_ifindex, netdev*& out, uint32_t& src) const {
  int best = -1;
  for (const address& a : m_addresses) {
    netdev* nd = m_net.find(a.ifindex);
    if (!nd || !nd->admin_up || (bound_ifindex && a.ifindex != bound_ifindex)) continue;
    if (((dst ^ a.local) & mask_of(a.prefixlen)) != 0 || static_cast<int>(a.prefixlen) <= best) continue;
    best = static_cast<int>(a.prefixlen);
    out = nd;
    src = a.local;
  }
  return best >= 0;
}

// ---- output (ip_output.c) -----------------------------------------------------------

uint16_t ipv4_stack::next_ip_id(uint32_t dst) {
  // __ip_select_ident(): one counter per destination, starting at a hashed value.
  auto it = m_ip_ids.find(dst);
  if (it == m_ip_ids.end()) it = m_ip_ids.emplace(dst, static_cast<uint16_t>(m_rng.next())).first;
  return it->second++;
}

void ipv4_stack::xmit(netdev& nd, const uint8_t* frame, uint32_t len) {
  // dev_queue_xmit(): a down interface or a full ring drops the packet.
  if (!nd.admin_up || !nd.ops) {
    ++nd.stats.tx_dropped;
    return;
  }
  if (nd.ops->start_xmit(nd, frame, len) != 0) ++nd.stats.tx_dropped;
}

// ---- input (ip_input.c, net/core/dev.c) ----------------------------------------------

void ipv4_stack::receive(netdev& nd, const uint8_t* frame, uint32_t len, sc_core::sc_time& debt) {
  // The cost is owed (netdev.h): a frame that is only counted and dropped is waited
  // for by the driver later; ARP, ICMP and a datagram for a socket settle first.
  debt += rx_cost();
  // The IP header checksum is always checked (ip_rcv_core(): ip_fast_csum); L4 ones
  // only without the NIC's checksum offload (CHECKSUM_UNNECESSARY skips them).
  net::parsed_frame p = net::parse(frame, len, !nd.rx_csum_offload);
  if (nd.rx_csum_offload && p.has_ipv4 && !p.truncated && p.ip.header_bytes >= 20 &&
      net::inet_checksum(frame + p.l3_offset, p.ip.header_bytes) != 0)
    p.bad_ip_checksum = true;
  if (!p.has_eth) {
    ++nd.stats.rx_dropped;
    return;
  }
  // eth_type_trans(): a unicast frame for another MAC is PACKET_OTHERHOST and ip_rcv
  // drops it (counted since Linux 6.0 as rx_otherhost_dropped).
  if (!p.dst.is_multicast() && p.dst.to_u64() != nd.mac) {
    ++nd.stats.rx_otherhost_dropped;
    return;
  }
  // No VLAN devices: a tagged frame has no handler.
  if (p.has_vlan || (p.ethertype != net::ETHERTYPE_ARP && p.ethertype != net::ETHERTYPE_IPV4)) {
    ++nd.stats.rx_dropped;
    return;
  }
  if (p.ethertype == net::ETHERTYPE_ARP) {
    if (p.has_arp && !p.malformed) {
      settle(debt);
      arp_receive(nd, p);
    }
    return;
  }
  ++m_snmp.ip_in_receives;
  if (!p.has_ipv4 || p.truncated || p.malformed || p.bad_ip_checksum) {
    ++m_snmp.ip_in_hdr_errors;
    return;
  }
  const uint32_t dst = p.ip.dst.value;
  bool for_us = is_local(dst) || dst == 0xffffffff;
  for (const address& a : m_addresses)
    if (a.ifindex == nd.ifindex && a.prefixlen < 31 && dst == (a.local | ~mask_of(a.prefixlen))) for_us = true;
  if (!for_us) {  // ip_forward is off: ip_route_input_slow() says not for us
    ++m_snmp.ip_in_addr_errors;
    return;
  }
  if (p.ip.is_fragment()) {  // ip_defrag() is not modelled
    ++m_snmp.ip_reasm_fails;
    return;
  }
  ++m_snmp.ip_in_delivers;
  if (p.ip.protocol == net::IP_PROTO_ICMP) {
    settle(debt);
    icmp_receive(nd, p, frame);
  } else if (p.ip.protocol == net::IP_PROTO_UDP) {
    udp_receive(p, frame, debt);
  } else
    ++m_snmp.ip_in_discards;
}

// ---- ICMP (icmp.c, ping.c) -----------------------------------------------------------

void ipv4_stack::icmp_receive(netdev& nd, const net::parsed_frame& p, const uint8_t* frame) {
  ++m_snmp.icmp_in_msgs;
  if (!p.has_icmp || p.bad_l4_checksum) {
    ++m_snmp.icmp_in_errors;
    return;
  }
  const uint32_t icmp_bytes = p.ip.total_length - p.ip.header_bytes;
  const uint8_t* data = frame + p.l4_offset + net::ICMP_ECHO_HEADER_BYTES;
  const uint32_t data_bytes = icmp_bytes - net::ICMP_ECHO_HEADER_BYTES;
  if (p.icmp.type == net::ICMP_ECHO_REQUEST) {
    ++m_snmp.icmp_in_echos;
    if (!is_local(p.ip.dst.value)) return;  // icmp_echo_ignore_broadcasts = 1
    // icmp_echo() -> icmp_reply(): from the address asked, through the route back.
    // The ICMP socket sends with IP_PMTUDISC_DONT (icmp_sk_init): no DF on replies.
    netdev* out = nullptr;
    uint32_t src = 0;
    if (!route(p.ip.src.value, 0, out, src)) {
      ++m_snmp.ip_out_no_routes;
      return;
    }
    sc_core::wait(tx_cost());
    auto f = m_pool.get();
    build_echo(
        *f, {out->mac, p.ip.dst.value, p.ip.src.value, next_ip_id(p.ip.src.value), false, true, p.icmp.id, p.icmp.seq},
        data, data_bytes);
    ++m_snmp.icmp_out_msgs;
    ++m_snmp.icmp_out_echo_reps;
    output(*out, p.ip.src.value, std::move(f));
    return;
  }
  if (p.icmp.type == net::ICMP_ECHO_REPLY) {
    ++m_snmp.icmp_in_echo_reps;
    for (auto& [fd, s] : m_sockets) {
      if (!s->ping || s->ident != p.icmp.id) continue;
      ping_message m;
      m.from = p.ip.src.value;
      m.sequence = p.icmp.seq;
      m.ttl = p.ip.ttl;
      m.icmp_bytes = icmp_bytes;
      m.stamp_ns = now_ns();
      m.data.assign(data, data + data_bytes);
      s->pings.push_back(std::move(m));
      s->arrived.notify(sc_core::SC_ZERO_TIME);
      return;
    }
  }
}

void ipv4_stack::report_unreachable(const uint8_t* frame, uint32_t len) {
  // arp_error_report() -> icmp_send(ICMP_DEST_UNREACH, ICMP_HOST_UNREACH): the error
  // comes back from our own address to the ping socket's error queue (ping_err()).
  const net::parsed_frame p = net::parse(frame, len, false);
  if (!p.has_icmp || p.icmp.type != net::ICMP_ECHO_REQUEST) return;
  ++m_snmp.icmp_out_msgs;
  ++m_snmp.icmp_out_dest_unreachs;
  for (auto& [fd, s] : m_sockets) {
    if (!s->ping || s->ident != p.icmp.id) continue;
    ping_message m;
    m.error = true;
    m.from = p.ip.src.value;
    m.sequence = p.icmp.seq;
    m.icmp_type = ICMP_DEST_UNREACH;
    m.icmp_code = ICMP_HOST_UNREACH;
    m.stamp_ns = now_ns();
    s->pings.push_back(std::move(m));
    s->arrived.notify(sc_core::SC_ZERO_TIME);
    return;
  }
}

// ---- UDP (udp.c) --------------------------------------------------------------------

void ipv4_stack::udp_receive(const net::parsed_frame& p, const uint8_t* frame, sc_core::sc_time& debt) {
  if (!p.has_udp || p.bad_l4_checksum) {
    ++m_snmp.udp_in_errors;
    return;
  }
  int listener = -1;
  for (auto& [fd, s] : m_sockets)
    if (!s->ping && s->port == p.dst_port) {
      listener = fd;
      break;
    }
  if (listener >= 0) {
    settle(debt);                       // the socket wakes at the time the stack is done with the frame
    socket* s = find_socket(listener);  // it may have closed while we waited
    if (!s) {
      ++m_snmp.udp_no_ports;
      return;
    }
    udp_datagram d;
    d.src = p.ip.src.value;
    d.src_port = p.src_port;
    d.data.assign(frame + p.payload_offset, frame + p.payload_offset + p.payload_bytes);
    s->datagrams.push_back(std::move(d));
    s->arrived.notify(sc_core::SC_ZERO_TIME);
    ++m_snmp.udp_in_datagrams;
    return;
  }
  ++m_snmp.udp_no_ports;  // Linux also answers port unreachable; not modelled
}

// ---- sockets ------------------------------------------------------------------------

ipv4_stack::socket* ipv4_stack::find_socket(int fd) {
  auto it = m_sockets.find(fd);
  return it == m_sockets.end() ? nullptr : it->second.get();
}

int ipv4_stack::ping_open(const std::string& ifname) {
  int bound = 0;
  if (!ifname.empty()) {
    const netdev* nd = m_net.find(ifname);
    if (!nd && ifname != "lo") return -ENODEV;
    bound = nd ? nd->ifindex : 1;
  }
  auto s = std::make_unique<socket>();
  s->ping = true;
  s->bound_ifindex = bound;
  s->ident = m_next_ping_ident++;
  if (m_next_ping_ident == 0) m_next_ping_ident = 1;
  const int fd = m_next_fd++;
  m_sockets[fd] = std::move(s);
  return fd;
}

int ipv4_stack::ping_send(int fd, uint32_t dst, uint16_t sequence, const std::vector<uint8_t>& data) {
  socket* s = find_socket(fd);
  if (!s || !s->ping) return -EBADF;
  if (data.size() + net::IPV4_HEADER_BYTES + net::ICMP_ECHO_HEADER_BYTES > 65535) return -EMSGSIZE;
  sc_core::wait(tx_cost());
  ++m_snmp.ip_out_requests;
  if (is_local(dst)) {
    // Through lo: the reply is ours to make at once (icmp_rcv on the loopback).
    sc_core::wait(rx_cost());
    ++m_snmp.icmp_in_echos;
    ping_message m;
    m.from = dst;
    m.sequence = sequence;
    m.ttl = 64;
    m.icmp_bytes = static_cast<uint32_t>(data.size()) + net::ICMP_ECHO_HEADER_BYTES;
    m.stamp_ns = now_ns();
    m.data = data;
    s->pings.push_back(std::move(m));
    s->arrived.notify(sc_core::SC_ZERO_TIME);
    return 0;
  }
  netdev* out = nullptr;
  uint32_t src = 0;
  if (!route(dst, s->bound_ifindex, out, src)) {
    ++m_snmp.ip_out_no_routes;
    return -ENETUNREACH;
  }
  if (data.size() + net::ETH_HEADER_BYTES + net::IPV4_HEADER_BYTES + net::ICMP_ECHO_HEADER_BYTES > net::MAX_FRAME_BYTES)
    return -EMSGSIZE;  // would need fragments
  auto f = m_pool.get();
  // A ping socket keeps IP_PMTUDISC_WANT (ip_no_pmtu_disc = 0): DF is set.
  build_echo(*f, {out->mac, src, dst, next_ip_id(dst), true, false, s->ident, sequence}, data.data(),
             static_cast<uint32_t>(data.size()));
  output(*out, dst, std::move(f));
  return 0;
}

int ipv4_stack::ping_recv(int fd, ping_message& msg, sc_core::sc_time timeout) {
  socket* s = find_socket(fd);
  if (!s) return -EBADF;
  if (s->pings.empty() && timeout > sc_core::SC_ZERO_TIME) sc_core::wait(timeout, s->arrived);
  s = find_socket(fd);
  if (!s || s->pings.empty()) return 0;
  msg = std::move(s->pings.front());
  s->pings.pop_front();
  return 1;
}

int ipv4_stack::udp_open() {
  auto s = std::make_unique<socket>();
  const int fd = m_next_fd++;
  m_sockets[fd] = std::move(s);
  return fd;
}

int ipv4_stack::udp_bind(int fd, uint16_t port) {
  socket* s = find_socket(fd);
  if (!s || s->ping) return -EBADF;
  for (const auto& [other_fd, o] : m_sockets)
    if (!o->ping && o->port == port && other_fd != fd) return -EADDRINUSE;
  s->port = port;
  return 0;
}

int ipv4_stack::udp_sendto(int fd, uint32_t dst, uint16_t dst_port, const std::vector<uint8_t>& data) {
  socket* s = find_socket(fd);
  if (!s || s->ping) return -EBADF;
  if (s->port == 0) s->port = static_cast<uint16_t>(32768 + m_rng.below(28232));  // ip_local_port_range
  sc_core::wait(tx_cost());
  netdev* out = nullptr;
  uint32_t src = 0;
  if (!route(dst, 0, out, src)) {
    ++m_snmp.ip_out_no_routes;
    return -ENETUNREACH;
  }
  if (data.size() + net::ETH_HEADER_BYTES + net::IPV4_HEADER_BYTES + net::UDP_HEADER_BYTES > net::MAX_FRAME_BYTES)
    return -EMSGSIZE;
  ++m_snmp.ip_out_requests;
  ++m_snmp.udp_out_datagrams;
  auto f = m_pool.get();
  build_udp_frame(*f, out->mac, src, dst, next_ip_id(dst), s->port, dst_port, data);
  output(*out, dst, std::move(f));
  return 0;
}

int ipv4_stack::udp_recv(int fd, udp_datagram& out, sc_core::sc_time timeout) {
  socket* s = find_socket(fd);
  if (!s) return -EBADF;
  if (s->datagrams.empty() && timeout > sc_core::SC_ZERO_TIME) sc_core::wait(timeout, s->arrived);
  s = find_socket(fd);
  if (!s || s->datagrams.empty()) return 0;
  out = std::move(s->datagrams.front());
  s->datagrams.pop_front();
  return 1;
}

void ipv4_stack::close(int fd) { m_sockets.erase(fd); }

}  // namespace iovsim::host
