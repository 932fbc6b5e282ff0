// An Ethernet wire between two ends (DESIGN.md 7a): a NIC port, a traffic generator
// or sink, or nothing. Each direction is one kit::timed_resource: a frame holds its
// direction for wire_bytes() at the rate (preamble, SFD, FCS, padding and IFG
// charged) and arrives `propagation_delay` after its last bit left. One event per
// direction delivers frames in order; a frame in flight costs no event of its own
// until it is the next to arrive.
//
// The link is up while both ends are attached and both have their port up (a NIC
// whose driver brought the interface down, a pulled cable, a generator on one end
// only: down). Frames sent on a link that is down, or in flight when it goes down,
// are dropped and counted (`dropped_link_down`): conservation holds at every end.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <systemc>
#include <vector>

#include "models/kit/param.h"
#include "models/kit/ring.h"
#include "models/kit/stats.h"
#include "models/kit/timed_resource.h"
#include "models/net/frame.h"

namespace iovsim::wire {

// What sits at one end of a wire.
class wire_end {
 public:
  virtual ~wire_end() = default;
  // A frame's last bit arrived; the end owns the frame now.
  virtual void frame_arrived(net::frame_ptr f) = 0;
  // The link came up or went down.
  virtual void link_changed(bool up) { (void)up; }
};

// Sees the frames at one end of a wire, as a capture on that port would (tcpdump):
// frames the end sends, at the time their first bit leaves, and frames it receives,
// when their last bit arrives. Frames sent on a link that is down are not seen.
class wire_tap {
 public:
  virtual ~wire_tap() = default;
  virtual void frame_seen(const net::frame& f, const sc_core::sc_time& at, bool sent) = 0;
};

class wire : public sc_core::sc_module {
 public:
  // `rate_mbps`: the speed the ports negotiated (a parameter's default); one of
  // SUPPORTED_RATES_MBPS, else std::invalid_argument.
  wire(sc_core::sc_module_name name, uint32_t rate_mbps);

  // Ends are 0 and 1. An end attaches once; its port starts up.
  void attach(unsigned side, wire_end& end);
  // A port going down or up at `side` (ip link set down/up, a cable pulled).
  void set_port_up(unsigned side, bool up);
  bool link_up() const { return m_link_up; }
  // What sits at `side` (nullptr: nothing attached).
  wire_end* end(unsigned side) const { return m_end[side]; }
  // One tap per end (nullptr: none); a capture starts and stops with it.
  void set_tap(unsigned side, wire_tap* tap) { m_tap[side] = tap; }
  wire_tap* tap(unsigned side) const { return m_tap[side]; }
  uint32_t rate_mbps() const { return m_rate_mbps; }

  // Sends `f` from `side` now. Returns when its last bit (and the IFG after it) has
  // left: the earliest the sender can start the next frame without queueing here.
  // A frame sent while the link is down is dropped at once.
  sc_core::sc_time send(unsigned side, net::frame_ptr f);
  // When the direction from `side` is free again.
  const sc_core::sc_time& tx_free_at(unsigned side) const { return m_dir[side].channel.busy_until(); }

  struct direction_counts {
    uint64_t frames_sent = 0, bytes_sent = 0;  // frame bytes without FCS
    uint64_t frames_delivered = 0;
    uint64_t dropped_link_down = 0;
  };
  const direction_counts& counts(unsigned side) const { return m_dir[side].counts; }
  // Frames on the wire from `side` now.
  uint64_t in_flight(unsigned side) const { return m_dir[side].flights.size(); }
  const kit::timed_resource& channel(unsigned side) const { return m_dir[side].channel; }

 private:
  struct flight {
    net::frame_ptr f;
    sc_core::sc_time arrival;
  };
  // One direction: frames in flight in a ring that only grows (no allocation per
  // frame once it reached the deepest the wire ever held).
  struct direction {
    kit::timed_resource channel;
    kit::grow_ring<flight> flights;
    sc_core::sc_event arrive;
    direction_counts counts;
    uint64_t trace_seq = 0;  // frames sent, for trace sampling
    std::string trace_name;  // "<wire>.from0": the direction's trace row
  };
  void deliver(unsigned side);
  void update_link();
  void drop_in_flight(direction& d);

  const uint32_t m_negotiated_mbps;
  kit::scope m_scope{name(), "wire"};

 public:
  kit::param<unsigned> rate{m_scope, "rate", m_negotiated_mbps, "Mb/s",
                            "line rate of both directions (1000, 10000, 25000, 40000 or 100000)"};
  // Light covers about 0.2 m/ns in fibre and twinax (velocity factor ~0.66-0.7), so
  // 5 ns per metre; a 2 m direct-attach cable between two ports of a rack.
  kit::param<sc_core::sc_time> propagation_delay{m_scope, "propagation_delay", sc_core::sc_time(10, sc_core::SC_NS),
                                                 "time from a bit leaving one end to reaching the other"};

 private:
  uint32_t m_rate_mbps = 0;
  std::array<wire_end*, 2> m_end{};
  std::array<wire_tap*, 2> m_tap{};
  std::array<bool, 2> m_port_up{};
  bool m_link_up = false;
  std::array<direction, 2> m_dir;

  kit::stat_group m_stats{name(), "an Ethernet wire"};
  kit::formula m_stat_frames_ab{m_stats,
                                "frames_0_to_1",
                                "frames",
                                "frames sent from end 0",
                                [this] { return static_cast<double>(m_dir[0].counts.frames_sent); },
                                true};
  kit::formula m_stat_frames_ba{m_stats,
                                "frames_1_to_0",
                                "frames",
                                "frames sent from end 1",
                                [this] { return static_cast<double>(m_dir[1].counts.frames_sent); },
                                true};
  kit::formula m_stat_dropped{
      m_stats,
      "dropped_link_down",
      "frames",
      "frames lost because the link was down",
      [this] { return static_cast<double>(m_dir[0].counts.dropped_link_down + m_dir[1].counts.dropped_link_down); },
      true};
  kit::formula m_stat_busy_ab{m_stats,
                              "busy_0_to_1",
                              "s",
                              "time the direction from end 0 was busy",
                              [this] { return m_dir[0].channel.busy_total().to_seconds(); },
                              true};
  kit::formula m_stat_busy_ba{m_stats,
                              "busy_1_to_0",
                              "s",
                              "time the direction from end 1 was busy",
                              [this] { return m_dir[1].channel.busy_total().to_seconds(); },
                              true};
};

}  // namespace iovsim::wire
