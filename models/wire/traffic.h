// A traffic generator and sink on a wire end, what a tester port (TRex, a Spirent
// port, pktgen) does: it sends UDP frames at a rate, sizes from a list (IMIX is a
// list), to destination MACs and flows in turn, for a count or a duration; and it
// receives, counting frames and bytes, and for frames a generator sent (a 16-byte
// test header at the start of the UDP payload) the latency and the sequence gaps.
//
// Tunnelled (`vxlan_vni` set): each frame is VXLAN (RFC 7348) over UDP to port 4789
// from the generator's addresses, the inner frame a UDP frame between two fixed hosts
// (TUNNEL_INNER_*) that carries the test header; the frame size is the outer frame's.
// A sink finds the test header inside VXLAN frames too.
//
// Test header, big-endian: magic 0x10C5 (2 bytes), stream id (2), sequence (4),
// transmit time in ps (8). A frame too small to hold it with its headers (64 B with
// an 802.1Q tag) grows to the smallest that does.
//
// One event per frame sent: the next frame starts when the rate allows and the wire is
// free (at line rate, back to back). Rates count wire bits, preamble, FCS and gap
// included (a tester's "L1" rate), so 10 Gb/s is line rate on a 10G port at any size.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <systemc>
#include <vector>

#include "models/kit/param.h"
#include "models/kit/stats.h"
#include "models/net/frame.h"
#include "models/net/headers.h"
#include "models/wire/wire.h"

namespace iovsim::wire {

constexpr uint16_t TEST_HEADER_MAGIC = 0x10C5;
constexpr uint32_t TEST_HEADER_BYTES = 16;
// The hosts inside the tunnel: locally administered MACs no generator port takes
// (scenarios/world.cpp gives 02:00:00:00:00:NN), RFC 5737 documentation addresses.
// The same in every frame: only the outer addresses tell tunnelled frames apart.
inline const net::mac_addr TUNNEL_INNER_SRC_MAC = net::mac_addr::from_u64(0x020000ff0001ull);
inline const net::mac_addr TUNNEL_INNER_DST_MAC = net::mac_addr::from_u64(0x020000ff0002ull);
constexpr net::ipv4_addr TUNNEL_INNER_SRC_IP{0xc0000201u};  // 192.0.2.1
constexpr net::ipv4_addr TUNNEL_INNER_DST_IP{0xc0000202u};  // 192.0.2.2
// RFC 7348 section 5: the outer source port from the inner flow, in 49152..65535.
constexpr uint16_t TUNNEL_SRC_PORT_BASE = 49152;

struct traffic_spec {
  uint64_t rate_bps = 0;            // wire bits per second; 0 with rate_pps 0: line rate
  uint64_t rate_pps = 0;            // frames per second (wins over rate_bps)
  std::vector<uint32_t> sizes{64};  // frame sizes with FCS, as testers quote them, in turn
  std::vector<net::mac_addr> dst;   // destination MACs, in turn (at least one)
  net::mac_addr src;                // the source MAC when src_macs is empty
  std::vector<net::mac_addr> src_macs;  // source MACs, in turn (forged sources, many senders)
  std::optional<uint16_t> vlan_tci;
  net::ipv4_addr src_ip, dst_ip;
  uint16_t src_port = 1024, dst_port = 9;  // UDP discard
  uint32_t flows = 1;                      // source ports src_port.. src_port + flows - 1, in turn
  uint64_t count = 0;                      // frames; 0: until the duration ends or stop()
  sc_core::sc_time duration = sc_core::SC_ZERO_TIME;
  uint16_t stream = 0;  // the id a sink reports this generator's frames under
  std::optional<uint32_t> vxlan_vni;  // tunnelled in VXLAN with this VNI (0..16777215)
};

class traffic_port : public sc_core::sc_module, public wire_end {
 public:
  // Attaches to `side` of `w`. `pool_frames`: frames preallocated for sending.
  traffic_port(sc_core::sc_module_name name, wire& w, unsigned side, uint32_t pool_frames = 256);

  // Starts generating now (a running generation is replaced). Throws
  // std::invalid_argument for a spec the port cannot send (no destination, a size
  // outside 64..MAX+4, a rate above the line rate, flows 0, a VNI over 24 bits).
  void start(const traffic_spec& spec);
  void stop();
  bool running() const { return m_running; }

  struct stream_counts {
    uint64_t frames = 0;
    uint64_t lost = 0;       // sequence numbers skipped (frames behind them arrived)
    uint64_t reordered = 0;  // arrived after a later one (or twice)
    uint32_t next_seq = 0;
  };
  struct counts {
    uint64_t tx_frames = 0, tx_bytes = 0;  // bytes without FCS
    uint64_t rx_frames = 0, rx_bytes = 0;
    uint64_t rx_test_frames = 0;  // with a test header
    uint64_t rx_bad = 0;          // truncated, malformed or a bad checksum
  };
  const counts& port_counts() const { return m_counts; }
  const std::map<uint16_t, stream_counts>& streams() const { return m_streams; }
  // One-way latency of test frames, transmit to last bit received, ps.
  const kit::distribution& latency() const { return m_latency; }
  bool link_up() const { return m_link_up; }

  void frame_arrived(net::frame_ptr f) override;
  void link_changed(bool up) override;

 private:
  // A frame per size, built once when generation starts: each frame sent is a copy
  // with its destination, IP id, source port and test header written in and the
  // checksums completed from the payload's precomputed sum (no pass over the payload).
  struct frame_template {
    net::frame_ptr f;
    uint32_t rest_sum = 0;  // RFC 1071 sum of the UDP payload after the test header
  };
  // Where build() writes: the outer IPv4 and UDP headers, and the IPv4 and UDP
  // headers of the frame holding the test header (the inner ones in a tunnel).
  struct offsets {
    uint32_t l3 = 0, l4 = 0, test_l3 = 0, test_l4 = 0;
  };
  void send_next();
  net::frame_ptr build(uint64_t n, const sc_core::sc_time& now);

  kit::scope m_scope{name(), "traffic"};

 public:
  kit::param<unsigned> verify_checksums{m_scope,
                                        "verify_checksums",
                                        1,
                                        "0 or 1",
                                        "the sink checks the IP and UDP checksums of every frame it receives "
                                        "(0 saves a pass over each payload)",
                                        {0, 1}};

 private:
  wire& m_wire;
  unsigned m_side;
  net::frame_pool m_pool;
  traffic_spec m_spec;
  std::vector<frame_template> m_templates;
  offsets m_at;
  bool m_running = false;
  bool m_link_up = false;
  uint64_t m_sent = 0;           // frames of this generation
  sc_core::sc_time m_started;    // for the duration
  sc_core::sc_time m_pace_base;  // the pacing schedule counts from here (see send_next)
  unsigned __int128 m_paced = 0;
  sc_core::sc_event m_tick;
  counts m_counts;
  std::map<uint16_t, stream_counts> m_streams;

  kit::stat_group m_stats{name(), "a traffic generator and sink"};
  kit::distribution m_latency{m_stats, "latency", "s", "one-way latency of test frames received", 1e-12};
  kit::formula m_stat_tx{
      m_stats, "tx_frames", "frames", "frames sent", [this] { return static_cast<double>(m_counts.tx_frames); }, true};
  kit::formula m_stat_rx{
      m_stats, "rx_frames", "frames", "frames received", [this] { return static_cast<double>(m_counts.rx_frames); },
      true};
};

}  // namespace iovsim::wire
