// The Ethernet wire: what a frame costs (preamble, SFD, FCS, padding, IFG), timing by
// reservation per direction with in-order delivery after the propagation delay, the
// link's state from both ends, and frames lost when it goes down, counted.
#include "models/wire/wire.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <systemc>
#include <vector>

#include "models/net/byte_order.h"
#include "models/net/frame.h"
#include "models/wire/ethernet.h"
#include "models/wire/traffic.h"
#include "tests/unit/sc_fixture.h"

namespace iovsim::wire {
namespace {

using sc_core::SC_NS;
using sc_core::SC_PS;
using sc_core::sc_time;
using sc_core::SC_US;

// An end that records what arrives and when, and the link changes it saw.
struct recorder : wire_end {
  struct arrival {
    uint64_t id;
    uint32_t size;
    sc_time at;
  };
  std::vector<arrival> frames;
  std::vector<bool> link;
  void frame_arrived(net::frame_ptr f) override { frames.push_back({f->id, f->size(), sc_core::sc_time_stamp()}); }
  void link_changed(bool up) override { link.push_back(up); }
};

TEST(ethernet, a_frame_holds_the_wire_for_preamble_sfd_fcs_padding_and_ifg) {
  EXPECT_EQ(wire_bytes(60), 84u);      // the 64 B minimum frame: 14.88 Mpps at 10 Gb/s
  EXPECT_EQ(wire_bytes(14), 84u);      // shorter frames are padded to the minimum
  EXPECT_EQ(wire_bytes(1514), 1538u);  // a full 1500 B MTU frame
  EXPECT_EQ(wire_bytes(9014), 9038u);
  EXPECT_EQ(serialization_time(84, 10000), sc_time(67200, SC_PS));
  EXPECT_EQ(serialization_time(1538, 1000), sc_time(12304, SC_NS));
  EXPECT_EQ(serialization_time(1, 25000), sc_time(320, SC_PS));
  EXPECT_EQ(serialization_time(1, 100000), sc_time(80, SC_PS));
  EXPECT_TRUE(is_supported_rate(40000));
  EXPECT_FALSE(is_supported_rate(2500));
  EXPECT_EQ(supported_rates_text(), "1000, 10000, 25000, 40000, 100000");
}

class wire_test : public test::sc_fixture {
 protected:
  net::frame_pool pool{64};
  net::frame_ptr frame(uint32_t size) {
    net::frame_ptr f = pool.get();
    f->resize(size);
    return f;
  }
};

TEST_F(wire_test, frames_arrive_in_order_one_after_another_at_line_rate) {
  wire w("w0", 10000);
  recorder a, b;
  w.attach(0, a);
  w.attach(1, b);
  EXPECT_TRUE(w.link_up());
  EXPECT_EQ(a.link, std::vector<bool>{true});
  std::vector<sc_time> done;
  run_thread([&] {
    for (int i = 0; i < 3; ++i) done.push_back(w.send(0, frame(60)));
    sc_core::wait(sc_time(1, SC_US));
  });
  // 84 B at 800 ps a byte = 67.2 ns each; the last FCS bit leaves 12 B (9.6 ns)
  // before that and arrives 10 ns later.
  EXPECT_EQ(done, (std::vector<sc_time>{sc_time(67.2, SC_NS), sc_time(134.4, SC_NS), sc_time(201.6, SC_NS)}));
  ASSERT_EQ(b.frames.size(), 3u);
  EXPECT_EQ(b.frames[0].at, sc_time(67.6, SC_NS));
  EXPECT_EQ(b.frames[1].at, sc_time(134.8, SC_NS));
  EXPECT_EQ(b.frames[2].at, sc_time(202.0, SC_NS));
  EXPECT_LT(b.frames[0].id, b.frames[1].id);
  EXPECT_LT(b.frames[1].id, b.frames[2].id);
  EXPECT_TRUE(a.frames.empty());
  EXPECT_EQ(w.counts(0).frames_sent, 3u);
  EXPECT_EQ(w.counts(0).frames_delivered, 3u);
  EXPECT_EQ(w.counts(0).bytes_sent, 180u);
  EXPECT_EQ(w.channel(0).busy_total(), sc_time(201.6, SC_NS));
  EXPECT_EQ(pool.in_use(), 0u);
}

TEST_F(wire_test, the_two_directions_are_independent) {
  wire w("w0", 1000);
  recorder a, b;
  w.attach(0, a);
  w.attach(1, b);
  run_thread([&] {
    w.send(0, frame(1514));
    w.send(1, frame(1514));
    sc_core::wait(sc_time(100, SC_US));
  });
  // 1538 B at 1 Gb/s = 12.304 us, less the 96 ns IFG, plus 10 ns: both at 12.218 us.
  ASSERT_EQ(a.frames.size(), 1u);
  ASSERT_EQ(b.frames.size(), 1u);
  EXPECT_EQ(a.frames[0].at, sc_time(12218, SC_NS));
  EXPECT_EQ(b.frames[0].at, a.frames[0].at);
}

TEST_F(wire_test, a_deep_burst_is_delivered_whole_and_in_order) {
  wire w("w0", 100000);
  recorder a, b;
  w.attach(0, a);
  w.attach(1, b);
  run_thread([&] {
    for (int i = 0; i < 50; ++i) w.send(0, frame(i % 2 ? 1514 : 60));  // more in flight than the ring's start
    EXPECT_EQ(w.in_flight(0), 50u);
    sc_core::wait(sc_time(1, SC_US));
    for (int i = 0; i < 50; ++i) w.send(0, frame(60));
    sc_core::wait(sc_time(1, SC_US));
  });
  ASSERT_EQ(b.frames.size(), 100u);
  for (size_t i = 1; i < b.frames.size(); ++i) {
    EXPECT_LT(b.frames[i - 1].id, b.frames[i].id);
    EXPECT_LE(b.frames[i - 1].at, b.frames[i].at);
  }
  EXPECT_EQ(pool.in_use(), 0u);
}

TEST_F(wire_test, the_link_is_up_only_with_both_ends_attached_and_up) {
  wire w("w0", 10000);
  recorder a, b;
  w.attach(0, a);
  EXPECT_FALSE(w.link_up());
  EXPECT_TRUE(a.link.empty());
  run_thread([&] {
    w.send(0, frame(60));  // nobody at the other end
    EXPECT_EQ(w.counts(0).dropped_link_down, 1u);
    w.attach(1, b);
    EXPECT_TRUE(w.link_up());
    EXPECT_EQ(a.link, std::vector<bool>{true});
    EXPECT_EQ(b.link, std::vector<bool>{true});
    // Three full frames, 1230.4 ns of wire each: the first arrives at 1230.8 ns, the
    // link goes down with the other two on the wire, and they are lost, counted.
    for (int i = 0; i < 3; ++i) w.send(0, frame(1514));
    sc_core::wait(sc_time(1300, SC_NS));
    w.set_port_up(1, false);
    EXPECT_FALSE(w.link_up());
    EXPECT_EQ(w.in_flight(0), 0u);
    sc_core::wait(sc_time(10, SC_US));
    w.send(1, frame(60));
    w.set_port_up(1, true);
    w.send(1, frame(60));
    sc_core::wait(sc_time(1, SC_US));
  });
  EXPECT_EQ(b.frames.size(), 1u);
  EXPECT_EQ(a.frames.size(), 1u);
  EXPECT_EQ(w.counts(0).dropped_link_down, 3u);
  EXPECT_EQ(w.counts(1).dropped_link_down, 1u);
  EXPECT_EQ(b.link, (std::vector<bool>{true, false, true}));
  // Conservation per direction: sent = delivered + dropped (+ in flight, none now).
  for (unsigned side = 0; side < 2; ++side)
    EXPECT_EQ(w.counts(side).frames_sent, w.counts(side).frames_delivered + w.counts(side).dropped_link_down);
  EXPECT_EQ(pool.in_use(), 0u);
}

// An end that sends every frame straight back (a loopback plug): the wire must cope
// with a send from inside a delivery.
struct reflector : wire_end {
  wire* w = nullptr;
  unsigned side = 0;
  void frame_arrived(net::frame_ptr f) override { w->send(side, std::move(f)); }
};

TEST_F(wire_test, an_end_may_send_from_inside_a_delivery) {
  wire w("w0", 10000);
  recorder a;
  reflector b;
  b.w = &w;
  b.side = 1;
  w.attach(0, a);
  w.attach(1, b);
  run_thread([&] {
    for (int i = 0; i < 4; ++i) w.send(0, frame(60));
    sc_core::wait(sc_time(1, SC_US));
  });
  ASSERT_EQ(a.frames.size(), 4u);
  // There at 67.6 ns, sent back at once: 67.6 ns again (67.2 of wire less the 9.6 ns
  // IFG, plus 10 ns of cable).
  EXPECT_EQ(a.frames[0].at, sc_time(135.2, SC_NS));
}

TEST_F(wire_test, the_rate_is_a_parameter_and_must_be_a_port_speed) {
  env->params().set_override("wire.rate", "25000");
  wire w("w0", 10000);
  EXPECT_EQ(w.rate_mbps(), 25000u);
  env->params().set_override("w1.rate", "2500");
  try {
    wire bad("w1", 10000);
    FAIL() << "2500 Mb/s accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()),
              "parameter w1.rate: 2500 Mb/s is not a port speed (one of 1000, 10000, 25000, 40000, 100000)");
  }
}

}  // namespace
}  // namespace iovsim::wire

namespace iovsim::wire {
namespace {

using sc_core::SC_NS;
using sc_core::sc_time;
using sc_core::SC_US;

const net::mac_addr MAC_A = net::mac_addr::from_u64(0x001b21a00001);
const net::mac_addr MAC_B = net::mac_addr::from_u64(0x001b21a00002);

traffic_spec udp_to_b() {
  traffic_spec s;
  s.src = MAC_A;
  s.dst = {MAC_B};
  s.src_ip = *net::ipv4_addr::parse("10.0.0.1");
  s.dst_ip = *net::ipv4_addr::parse("10.0.0.2");
  return s;
}

class traffic_test : public test::sc_fixture {};

TEST_F(traffic_test, line_rate_64_byte_frames_for_ten_microseconds) {
  wire w("w0", 10000);
  traffic_port gen("gen", w, 0), sink("sink", w, 1);
  traffic_spec s = udp_to_b();
  s.duration = sc_time(10, SC_US);
  run_thread([&] {
    gen.start(s);
    sc_core::wait(sc_time(20, SC_US));
  });
  // One frame every 67.2 ns from 0 while now < 10 us: 149 of them (14.88 Mpps).
  EXPECT_EQ(gen.port_counts().tx_frames, 149u);
  EXPECT_EQ(gen.port_counts().tx_bytes, 149u * 60);
  EXPECT_FALSE(gen.running());
  EXPECT_EQ(sink.port_counts().rx_frames, 149u);
  EXPECT_EQ(sink.port_counts().rx_test_frames, 149u);
  EXPECT_EQ(sink.port_counts().rx_bad, 0u);
  ASSERT_EQ(sink.streams().count(0), 1u);
  EXPECT_EQ(sink.streams().at(0).frames, 149u);
  EXPECT_EQ(sink.streams().at(0).lost, 0u);
  EXPECT_EQ(sink.streams().at(0).reordered, 0u);
  // Back to back, nothing queues: every frame takes its wire time less the gap, plus
  // the cable.
  EXPECT_EQ(sink.latency().count(), 149u);
  EXPECT_DOUBLE_EQ(sink.latency().min(), 67.6e-9);
  EXPECT_DOUBLE_EQ(sink.latency().max(), 67.6e-9);
  EXPECT_EQ(w.channel(0).busy_total(), sc_time(149 * 67.2, SC_NS));
}

TEST_F(traffic_test, packet_and_bit_rates_pace_the_frames) {
  wire w("w0", 10000);
  traffic_port gen("gen", w, 0), sink("sink", w, 1);
  std::vector<sc_time> at;
  run_thread([&] {
    traffic_spec s = udp_to_b();
    s.rate_pps = 1'000'000;
    s.count = 5;
    gen.start(s);
    sc_core::wait(sc_time(10, SC_US));
    EXPECT_EQ(sink.port_counts().rx_frames, 5u);
    // Half the line: 64 B frames every 134.4 ns instead of 67.2 ns.
    s.rate_pps = 0;
    s.rate_bps = 5'000'000'000;
    s.count = 3;
    gen.start(s);
    sc_core::wait(sc_time(1, SC_US));
  });
  EXPECT_EQ(gen.port_counts().tx_frames, 8u);
  // Arrival = transmit + 67.6 ns: the first five 1 us apart, the next three 134.4 ns.
  EXPECT_EQ(sink.latency().count(), 8u);
  EXPECT_DOUBLE_EQ(sink.latency().max(), 67.6e-9);
  EXPECT_EQ(w.counts(0).frames_delivered, 8u);
  EXPECT_EQ(w.channel(0).busy_until(), sc_time(10000 + 2 * 134.4 + 67.2, SC_NS));
}

TEST_F(traffic_test, sizes_destinations_and_flows_go_in_turn) {
  wire w("w0", 100000);
  traffic_port gen("gen", w, 0);
  struct capture : wire_end {
    std::vector<net::parsed_frame> frames;
    void frame_arrived(net::frame_ptr f) override { frames.push_back(net::parse(*f)); }
  } cap;
  w.attach(1, cap);
  run_thread([&] {
    traffic_spec s = udp_to_b();
    s.sizes = {64, 594, 1518};
    s.dst = {MAC_B, net::mac_addr::broadcast()};
    s.flows = 2;
    s.vlan_tci = net::vlan_tci(3, false, 100);
    s.count = 6;
    s.stream = 7;
    gen.start(s);
    sc_core::wait(sc_time(1, SC_US));
  });
  ASSERT_EQ(cap.frames.size(), 6u);
  // 64 B with a tag cannot hold the headers and the test header: 66 B (62 without FCS).
  const uint32_t sizes[] = {62, 590, 1514, 62, 590, 1514};
  for (size_t i = 0; i < 6; ++i) {
    const net::parsed_frame& p = cap.frames[i];
    EXPECT_TRUE(p.ok()) << i;
    EXPECT_EQ(p.size, sizes[i]) << i;
    EXPECT_EQ(p.dst, i % 2 ? net::mac_addr::broadcast() : MAC_B) << i;
    EXPECT_EQ(p.src_port, 1024 + i % 2) << i;
    EXPECT_EQ(p.dst_port, 9u);
    EXPECT_TRUE(p.has_vlan);
    EXPECT_EQ(net::vlan_vid(p.vlan_tci), 100u);
  }
}

TEST_F(traffic_test, a_spec_the_port_cannot_send_is_refused) {
  wire w("w0", 10000);
  traffic_port gen("gen", w, 0);
  auto refused = [&](traffic_spec s) {
    try {
      gen.start(s);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  traffic_spec s = udp_to_b();
  s.dst.clear();
  EXPECT_EQ(refused(s), "gen: traffic needs a destination MAC");
  s = udp_to_b();
  s.sizes = {63};
  EXPECT_EQ(refused(s), "gen: a 63 B frame is outside 64..9732 B (FCS included)");
  s.sizes = {9733};
  EXPECT_EQ(refused(s), "gen: a 9733 B frame is outside 64..9732 B (FCS included)");
  s = udp_to_b();
  s.rate_bps = 10'000'000'001;
  EXPECT_EQ(refused(s), "gen: 10000000001 b/s is above the line rate of 10000 Mb/s");
  s = udp_to_b();
  s.rate_pps = 14'880'953;  // 64 B line rate is 14,880,952.38 frames/s
  EXPECT_EQ(refused(s), "gen: 14880953 frames/s is above the line rate of 10000 Mb/s");
  s.rate_pps = 14'880'952;
  EXPECT_EQ(refused(s), "accepted");
  s = udp_to_b();
  s.flows = 0;
  EXPECT_EQ(refused(s), "gen: flows must be at least 1");
}

TEST_F(traffic_test, source_macs_go_in_turn_whatever_they_are) {
  wire w("w0", 10000);
  traffic_port gen("gen", w, 0);
  struct capture : wire_end {
    std::vector<net::parsed_frame> frames;
    void frame_arrived(net::frame_ptr f) override { frames.push_back(net::parse(*f)); }
  } cap;
  w.attach(1, cap);
  const net::mac_addr forged = *net::mac_addr::parse("00:1b:21:a1:10:05");  // someone else's
  run_thread([&] {
    traffic_spec s = udp_to_b();
    s.src_macs = {MAC_A, forged, net::mac_addr::from_u64(0x0180c2000000ull)};
    s.dst = {net::mac_addr::broadcast(), *net::mac_addr::parse("01:00:5e:01:02:03")};
    s.count = 5;
    gen.start(s);
    sc_core::wait(sc_time(1, SC_US));
  });
  ASSERT_EQ(cap.frames.size(), 5u);
  const net::mac_addr src[] = {MAC_A, forged, net::mac_addr::from_u64(0x0180c2000000ull), MAC_A, forged};
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_TRUE(cap.frames[i].ok()) << i;
    EXPECT_EQ(cap.frames[i].src, src[i]) << i;
    EXPECT_EQ(cap.frames[i].dst.is_broadcast(), i % 2 == 0) << i;
    EXPECT_TRUE(cap.frames[i].dst.is_multicast()) << i;
  }
}

TEST_F(traffic_test, tunnelled_frames_carry_the_test_header_inside) {
  wire w("w0", 10000);
  traffic_port gen("gen", w, 0);
  struct capture : wire_end {
    std::vector<std::vector<uint8_t>> frames;
    void frame_arrived(net::frame_ptr f) override { frames.emplace_back(f->data(), f->data() + f->size()); }
  } cap;
  w.attach(1, cap);
  run_thread([&] {
    traffic_spec s = udp_to_b();
    s.vxlan_vni = 42;
    s.sizes = {64, 1518};
    s.dst = {MAC_B, net::mac_addr::broadcast()};
    s.flows = 3;
    s.count = 4;
    gen.start(s);
    sc_core::wait(sc_time(2, SC_US));
  });
  ASSERT_EQ(cap.frames.size(), 4u);
  // 64 B cannot hold two sets of headers and the test header: 50 + 42 + 16 bytes.
  const uint32_t sizes[] = {108, 1514, 108, 1514};
  for (uint32_t i = 0; i < 4; ++i) {
    const std::vector<uint8_t>& b = cap.frames[i];
    const net::parsed_frame p = net::parse(b.data(), static_cast<uint32_t>(b.size()));
    EXPECT_TRUE(p.ok()) << i;
    EXPECT_EQ(p.size, sizes[i]) << i;
    EXPECT_EQ(p.dst, i % 2 ? net::mac_addr::broadcast() : MAC_B) << i;
    EXPECT_EQ(p.src, MAC_A) << i;
    ASSERT_TRUE(p.has_vxlan) << i;
    EXPECT_EQ(p.vxlan_vni, 42u) << i;
    EXPECT_EQ(p.src_port, TUNNEL_SRC_PORT_BASE + i % 3) << i;  // follows the inner flow
    EXPECT_EQ(p.ip.id, i) << i;
    const net::parsed_frame in = net::parse(b.data() + p.inner_offset, p.size - p.inner_offset);
    EXPECT_TRUE(in.ok()) << i;  // the inner UDP checksum covers the test header written per frame
    EXPECT_EQ(in.dst, TUNNEL_INNER_DST_MAC) << i;
    EXPECT_EQ(in.ip.src, TUNNEL_INNER_SRC_IP) << i;
    EXPECT_EQ(in.src_port, 1024 + i % 3) << i;
    EXPECT_EQ(net::get16(b.data() + p.inner_offset + in.payload_offset), TEST_HEADER_MAGIC) << i;
    EXPECT_EQ(net::get32(b.data() + p.inner_offset + in.payload_offset + 4), i) << i;
  }
}

TEST_F(traffic_test, a_sink_counts_tunnelled_test_frames_and_refuses_a_wide_vni) {
  wire w("w0", 10000);
  traffic_port gen("gen", w, 0), sink("sink", w, 1);
  run_thread([&] {
    traffic_spec s = udp_to_b();
    s.vxlan_vni = 0xffffff;
    s.sizes = {1518};
    s.count = 10;
    s.stream = 3;
    gen.start(s);
    sc_core::wait(sc_time(20, SC_US));
    s.vxlan_vni = 0x1000000;
    try {
      gen.start(s);
      ADD_FAILURE() << "a 25-bit VNI accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_EQ(std::string(e.what()), "gen: VXLAN VNI 16777216 is outside 0..16777215");
    }
  });
  EXPECT_EQ(sink.port_counts().rx_frames, 10u);
  EXPECT_EQ(sink.port_counts().rx_test_frames, 10u);
  EXPECT_EQ(sink.port_counts().rx_bad, 0u);
  EXPECT_EQ(sink.streams().at(3).frames, 10u);
  EXPECT_EQ(sink.streams().at(3).lost, 0u);
  EXPECT_EQ(sink.latency().count(), 10u);
}

// Drops the frames whose sequence number is in `drop` and forwards the rest over a
// second wire: the sink downstream sees the gaps.
struct dropper : wire_end {
  wire* out = nullptr;
  std::vector<uint32_t> drop;
  void frame_arrived(net::frame_ptr f) override {
    const net::parsed_frame p = net::parse(*f);
    const uint8_t* h = f->data() + p.payload_offset;
    const uint32_t seq = net::get32(h + 4);
    if (std::find(drop.begin(), drop.end(), seq) == drop.end()) out->send(0, std::move(f));
  }
};

TEST_F(traffic_test, the_sink_counts_sequence_gaps_as_loss_and_the_latency_of_the_path) {
  wire w1("w1", 10000), w2("w2", 10000);
  traffic_port gen("gen", w1, 0), sink("sink", w2, 1);
  dropper d;
  d.out = &w2;
  d.drop = {3, 5, 6};
  struct idle : wire_end {
    void frame_arrived(net::frame_ptr) override {}
  } unused;
  w1.attach(1, d);
  w2.attach(0, unused);
  run_thread([&] {
    traffic_spec s = udp_to_b();
    s.count = 10;
    s.stream = 4;
    gen.start(s);
    sc_core::wait(sc_time(5, SC_US));
  });
  const auto& st = sink.streams().at(4);
  EXPECT_EQ(st.frames, 7u);
  EXPECT_EQ(st.lost, 3u);
  EXPECT_EQ(st.next_seq, 10u);
  // Two wires of 67.6 ns each, nothing queued.
  EXPECT_DOUBLE_EQ(sink.latency().min(), 2 * 67.6e-9);
}

TEST_F(traffic_test, a_generator_waits_for_its_link) {
  wire w("w0", 10000);
  traffic_port gen("gen", w, 0), sink("sink", w, 1);
  run_thread([&] {
    w.set_port_up(1, false);
    traffic_spec s = udp_to_b();
    s.rate_pps = 1'000'000;
    gen.start(s);
    sc_core::wait(sc_time(10, SC_US));
    EXPECT_EQ(gen.port_counts().tx_frames, 0u);
    w.set_port_up(1, true);
    sc_core::wait(sc_time(3500, SC_NS));  // frames at 10, 11, 12 and 13 us
    gen.stop();
    sc_core::wait(sc_time(10, SC_US));
  });
  EXPECT_EQ(gen.port_counts().tx_frames, 4u);
  EXPECT_EQ(sink.port_counts().rx_frames, 4u);
  EXPECT_EQ(w.counts(0).dropped_link_down, 0u);
}

}  // namespace
}  // namespace iovsim::wire
