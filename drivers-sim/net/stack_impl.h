// What the IPv4 stack's files share and nobody else sees: the neighbour and socket
// records and the frame builders over models/net/headers.h.
#pragma once

#include <deque>
#include <systemc>
#include <vector>

#include "drivers-sim/net/stack.h"

namespace iovsim::host {

// struct neighbour (include/net/neighbour.h) of the ARP table.
struct ipv4_stack::neighbour {
  int ifindex = 0;
  uint32_t ip = 0;
  unsigned state = 0;  // NUD_*; 0 is NUD_NONE
  uint64_t mac = 0;
  sc_core::sc_time confirmed;                    // when a reply last confirmed it
  sc_core::sc_time reachable_time;               // how long REACHABLE lasts after that
  std::deque<net::frame_pool::frame_ptr> queue;  // arp_queue: packets waiting for the MAC
  uint32_t queue_bytes = 0;
  bool timer_running = false;  // a solicit thread owns the entry's probes
};

struct ipv4_stack::socket {
  bool ping = false;
  uint16_t ident = 0;     // ping: the echo identifier (the socket's "port")
  uint16_t port = 0;      // UDP: the bound port, 0 until bound or used
  int bound_ifindex = 0;  // SO_BINDTODEVICE
  std::deque<ping_message> pings;
  std::deque<udp_datagram> datagrams;
  sc_core::sc_event arrived;
};

// An ICMP echo to build: Ethernet source, IP addresses and ID, DF, reply or request.
struct echo_fields {
  uint64_t src_mac = 0;
  uint32_t src = 0, dst = 0;
  uint16_t ip_id = 0;
  bool dont_fragment = true, reply = false;
  uint16_t ident = 0, sequence = 0;
};
// The destination MAC is left zero: the neighbour layer writes it (neigh_resolve_output).
void build_echo(net::frame& f, const echo_fields& e, const uint8_t* data, uint32_t bytes);
void build_udp_frame(net::frame& f, uint64_t src_mac, uint32_t src, uint32_t dst, uint16_t ip_id, uint16_t src_port,
                     uint16_t dst_port, const std::vector<uint8_t>& data);
void set_dst_mac(net::frame& f, uint64_t mac);
uint64_t now_ns();

}  // namespace iovsim::host
