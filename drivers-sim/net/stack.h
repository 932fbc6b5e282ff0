// The host's IPv4 stack (Linux net/ipv4): what sits on the drivers' datapath seam
// (netdev.h: ndo_start_xmit below it, net_core::receive above it). Addresses with a
// prefix per interface and their connected routes (devinet.c, fib_frontend.c), ARP
// with a neighbour table (arp.c, neighbour.c; arp.cpp here), IPv4 input and output
// (ip_input.c, ip_output.c), ICMP echo (icmp.c), ping sockets (ping.c) and minimal
// UDP sockets (udp.c). IP fragments, forwarding, options and IPv6 are not modelled:
// fragments are counted and dropped.
//
// Every packet costs CPU time, charged with sc_core::wait() in the thread that
// handles it: the driver's NAPI poll thread on receive, the sender's thread (a shell
// command) on transmit.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <systemc>
#include <vector>

#include "drivers-sim/kernel/kernel.h"
#include "drivers-sim/kernel/syscalls.h"
#include "drivers-sim/net/netdev.h"
#include "models/kit/param.h"
#include "models/kit/rng.h"
#include "models/net/frame.h"
#include "models/net/headers.h"

namespace iovsim::host {

// The counters of /proc/net/snmp the stack keeps (RFC 4293 / RFC 4113 names).
struct ipv4_snmp {
  uint64_t ip_in_receives = 0, ip_in_hdr_errors = 0, ip_in_addr_errors = 0, ip_in_delivers = 0;
  uint64_t ip_in_discards = 0, ip_out_requests = 0, ip_out_no_routes = 0, ip_reasm_fails = 0;
  uint64_t icmp_in_msgs = 0, icmp_in_echos = 0, icmp_in_echo_reps = 0, icmp_out_msgs = 0;
  uint64_t icmp_out_echo_reps = 0, icmp_out_dest_unreachs = 0;
  uint64_t icmp_in_errors = 0;
  uint64_t udp_in_datagrams = 0, udp_no_ports = 0, udp_out_datagrams = 0, udp_in_errors = 0;
  uint64_t arp_requests_in = 0, arp_replies_in = 0, arp_requests_out = 0, arp_replies_out = 0;
};

// A UDP socket (SOCK_DGRAM): bind a port, send datagrams, read what arrived.
struct udp_datagram {
  uint32_t src = 0;
  uint16_t src_port = 0;
  std::vector<uint8_t> data;
};

class ipv4_stack : public packet_handler {
 public:
  // net.ipv4.conf.all.arp_ignore (Documentation/networking/ip-sysctl.rst): 0 answers
  // ARP requests for any local address on any interface; 1 only for addresses
  // configured on the interface the request came in on.
  unsigned arp_ignore() const { return m_arp_ignore; }
  void set_arp_ignore(unsigned v) { m_arp_ignore = v; }
  ipv4_stack(net_core& net, kernel_log& log, uint64_t seed);
  ~ipv4_stack() override;
  ipv4_stack(const ipv4_stack&) = delete;
  ipv4_stack& operator=(const ipv4_stack&) = delete;

  // ---- rtnetlink ------------------------------------------------------------------
  // `ip addr add LOCAL/PREFIXLEN [brd B] dev IF`: 0, -ENODEV, -EEXIST, -EINVAL.
  int add_address(int ifindex, uint32_t local, unsigned prefixlen, uint32_t broadcast = 0);
  // 0, -ENODEV, -EADDRNOTAVAIL.
  int del_address(int ifindex, uint32_t local, unsigned prefixlen);
  std::vector<ifaddr_info> addresses() const;  // lo first, then by ifindex
  std::vector<route_info> routes() const;      // connected routes of up interfaces
  std::vector<neigh_info> neighbours() const;  // by interface, then address
  const ipv4_snmp& snmp() const { return m_snmp; }

  // ---- the datapath ---------------------------------------------------------------
  // netif_receive_skb(): from the driver's NAPI poll thread.
  void receive(netdev& nd, const uint8_t* frame, uint32_t len, sc_core::sc_time& debt) override;

  // ---- sockets --------------------------------------------------------------------
  // Ping sockets (net/ipv4/ping.c): the stack picks the echo identifier.
  int ping_open(const std::string& ifname);
  int ping_send(int fd, uint32_t dst, uint16_t sequence, const std::vector<uint8_t>& data);
  int ping_recv(int fd, ping_message& msg, sc_core::sc_time timeout);
  // UDP sockets: bind(port) then sendto/recvfrom. -EADDRINUSE, -EBADF, -ENETUNREACH.
  int udp_open();
  int udp_bind(int fd, uint16_t port);
  int udp_sendto(int fd, uint32_t dst, uint16_t dst_port, const std::vector<uint8_t>& data);
  int udp_recv(int fd, udp_datagram& out, sc_core::sc_time timeout);  // 1, or 0 on timeout
  void close(int fd);

  // ---- parameters (host.net.*) ----------------------------------------------------
  kit::scope scope{"host.net", "host.net"};
  // The Linux receive path from netif_receive_skb() to a socket queue or an ICMP
  // reply costs on the order of 1 us per packet on a 2-3 GHz core: Cloudflare's "How
  // to receive a million packets per second" (2015) measures ~350 kpps per core into
  // one UDP socket, recvmsg() included (~2.8 us); LWN "Improving Linux networking
  // performance" (2015) puts the per-packet budget at 10 Gb/s at 1.23 us.
  kit::param<sc_core::sc_time> rx_cost{scope, "rx_cost", sc_core::sc_time(1, sc_core::SC_US),
                                       "CPU time of the IPv4 stack per received frame (ARP, IP, ICMP/UDP)"};
  // sendmsg() down to dev_queue_xmit(), the driver's own cost excluded: the same order
  // as the receive path (same sources).
  kit::param<sc_core::sc_time> tx_cost{scope, "tx_cost", sc_core::sc_time(1, sc_core::SC_US),
                                       "CPU time of the IPv4 stack per sent packet, before the driver"};
  // net.ipv4.neigh.default.retrans_time_ms = 1000 (neighbour.c / arp.c arp_tbl).
  kit::param<sc_core::sc_time> arp_retrans_time{scope, "arp_retrans_time", sc_core::sc_time(1, sc_core::SC_SEC),
                                                "time between ARP requests while resolving"};
  // mcast_probes = 3 (arp.c arp_tbl: NEIGH_VAR MCAST_PROBES).
  kit::param<unsigned> arp_probes{scope,   "arp_probes", 3, "requests", "ARP requests before a neighbour FAILS",
                                  {1, 100}};
  // base_reachable_time_ms = 30000 (arp.c arp_tbl): an entry stays REACHABLE a random
  // time in [1/2, 3/2] of it (neigh_rand_reach_time()).
  kit::param<sc_core::sc_time> arp_base_reachable_time{
      scope, "arp_base_reachable_time", sc_core::sc_time(30, sc_core::SC_SEC), "mean time a neighbour stays REACHABLE"};
  // unres_qlen_bytes = SK_WMEM_MAX = 212992 (arp.c arp_tbl, net/core/sock.c).
  kit::param<unsigned> arp_queue_bytes{
      scope, "arp_queue_bytes", 212992, "bytes", "bytes of packets queued per unresolved neighbour", {0, 1u << 30}};

 private:
  struct address {
    int ifindex = 0;
    uint32_t local = 0;
    unsigned prefixlen = 0;
    uint32_t broadcast = 0;
  };
  struct neighbour;
  struct socket;
  friend struct neighbour_ops;

  // ip_route_output(): the interface and source address for `dst`, by the longest
  // connected prefix (an interface bound with SO_BINDTODEVICE restricts it).
  bool route(uint32_t dst, int bound_ifindex, netdev*& out, uint32_t& src) const;
  bool is_local(uint32_t addr) const;
  // ip_finish_output2(): resolves the next hop and hands the frame to the driver.
  void output(netdev& nd, uint32_t next_hop, net::frame_pool::frame_ptr f);
  void xmit(netdev& nd, const uint8_t* frame, uint32_t len);
  uint16_t next_ip_id(uint32_t dst);

  void arp_receive(netdev& nd, const net::parsed_frame& p);
  void arp_send(netdev& nd, uint16_t op, uint32_t src_ip, uint64_t dst_mac, uint32_t target_ip, uint64_t target_mac);
  void arp_solicit(int ifindex, uint32_t ip);  // the resolution thread of one neighbour
  void arp_failed(neighbour& n);
  neighbour* neigh_find(int ifindex, uint32_t ip);
  unsigned neigh_state(const neighbour& n) const;

  void icmp_receive(netdev& nd, const net::parsed_frame& p, const uint8_t* frame);
  void udp_receive(const net::parsed_frame& p, const uint8_t* frame, sc_core::sc_time& debt);
  // An ICMP error about a packet we sent (here: host unreachable after ARP failed),
  // queued on the sending ping socket's error queue.
  void report_unreachable(const uint8_t* frame, uint32_t len);
  socket* find_socket(int fd);

  net_core& m_net;
  kernel_log& m_log;
  kit::rng_stream m_rng;
  net::frame_pool m_pool{16};
  std::vector<address> m_addresses;  // in the order they were added
  unsigned m_arp_ignore = 0;
  std::map<std::pair<int, uint32_t>, std::unique_ptr<neighbour>> m_neighbours;
  std::map<int, std::unique_ptr<socket>> m_sockets;
  std::map<uint32_t, uint16_t> m_ip_ids;  // per destination (ip_idents)
  int m_next_fd = 3;
  uint16_t m_next_ping_ident = 0;
  ipv4_snmp m_snmp;
  // Threads spawned by the stack (ARP timers) outlive it across a reboot: they check this.
  std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
};

}  // namespace iovsim::host
