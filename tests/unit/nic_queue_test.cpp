// The NIC's queue engines driven like a driver drives them: descriptor rings and
// buffers in host memory, tail writes, and the hardware's answers checked in memory
// (write-back descriptors, DD bits, frame bytes) and on the wire. Host memory here is
// a test dma_port with fixed latencies, so every time below is computed by hand.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <systemc>
#include <vector>

#include "models/net/frame.h"
#include "models/net/headers.h"
#include "models/nic/descriptors.h"
#include "models/nic/interrupts.h"
#include "models/nic/rx_queue.h"
#include "models/nic/tx_engine.h"
#include "models/wire/traffic.h"
#include "models/wire/wire.h"
#include "tests/unit/nic_test_util.h"
#include "tests/unit/sc_fixture.h"

namespace iovsim::nic {
namespace {

using sc_core::SC_NS;
using sc_core::sc_time;
using sc_core::SC_US;

constexpr uint16_t RID = 0x0310;  // 03:02.0, a VF
constexpr uint64_t RING = 0x10000, BUFFERS = 0x20000;

const net::mac_addr MAC_A = net::mac_addr::from_u64(0x001b21a00001);
const net::mac_addr MAC_B = net::mac_addr::from_u64(0x001b21a00002);

// A UDP frame of `bytes` (without FCS) with payload pattern `seed`.
net::frame_ptr udp_frame(net::frame_pool& pool, uint32_t bytes, uint8_t seed) {
  net::udp_spec u;
  u.eth.dst = MAC_B;
  u.eth.src = MAC_A;
  u.ip.src = *net::ipv4_addr::parse("10.0.0.1");
  u.ip.dst = *net::ipv4_addr::parse("10.0.0.2");
  u.src_port = 5000;
  u.dst_port = 9;
  u.payload = {net::udp_payload_for(bytes, false), seed};
  net::frame_ptr f = pool.get();
  net::build_udp(*f, u);
  return f;
}

class nic_queue_test : public test::sc_fixture {
 public:
  void ring_of(rx_queue& q, uint32_t n) { rx_ring(q, n); }
  template <class F>
  void run(F&& body) {
    run_thread(std::forward<F>(body));
  }

 protected:
  test_memory mem;
  net::frame_pool pool{32};
  // An RX ring of `n` descriptors, buffer i at BUFFERS + 2 KiB * i, tail at n - 1
  // (the driver keeps one descriptor back, as ixgbe does).
  void rx_ring(rx_queue& q, uint32_t n) {
    for (uint32_t i = 0; i < n; ++i) {
      mem.put64(RING + 16 * i, BUFFERS + 2048 * i);
      mem.put64(RING + 16 * i + 8, 0);
    }
    q.ring.base = RING;
    q.ring.len_bytes = 16 * n;
    q.ring.head = 0;
    q.ring.tail = n - 1;
    q.ring.enabled = true;
    q.restart();
  }
};

TEST_F(nic_queue_test, received_frames_land_in_the_buffers_and_their_descriptors_are_written_back) {
  rx_queue q(mem, RID, 8);
  rx_ring(q, 8);
  std::vector<sc_time> done;
  run_thread([&] {
    for (uint8_t i = 0; i < 3; ++i) {
      net::frame_ptr f = udp_frame(pool, 60 + 100 * i, i);
      sc_time d;
      uint64_t fault = 0;
      EXPECT_EQ(q.receive(*f, 1, 0x1234 + i, d, fault), rx_drop::none);
      done.push_back(d);
      EXPECT_EQ(mem.get(BUFFERS + 2048 * i, f->size()), std::vector<uint8_t>(f->data(), f->data() + f->size()));
    }
  });
  // One fetch of the 7 descriptors handed over (a 112-byte read at 0), then per frame
  // the data and the write-back right behind it (posted writes stay in order; the
  // port does not wait for the data to land): all asked at once, all done by 600 ns.
  EXPECT_EQ(q.descriptor_fetches(), 1u);
  ASSERT_GE(mem.log.size(), 1u);
  EXPECT_EQ(mem.log[0].addr, RING);
  EXPECT_EQ(mem.log[0].len, 7u * 16);
  EXPECT_FALSE(mem.log[0].write);
  EXPECT_EQ(mem.log[0].rid, RID);
  EXPECT_EQ(done, (std::vector<sc_time>(3, sc_time(600, SC_NS))));
  for (uint32_t i = 0; i < 3; ++i) {
    const uint64_t d = RING + 16 * i;
    EXPECT_EQ(mem.get32(d) & 0xf, 1u) << "RSS type";
    EXPECT_EQ(mem.get32(d + 4), 0x1234u + i) << "RSS hash";
    EXPECT_EQ(mem.get32(d + 8), RXD_STAT_DD | RXD_STAT_EOP);
    EXPECT_EQ(mem.get32(d + 12) & 0xffff, 60u + 100 * i) << "length";
  }
  EXPECT_EQ(mem.get32(RING + 16 * 3 + 8), 0u) << "the next descriptor is untouched";
  EXPECT_EQ(q.ring.head, 3u);
  EXPECT_EQ(q.frames(), 3u);
  EXPECT_EQ(q.bytes(), 60u + 160 + 260);
}

TEST_F(nic_queue_test, a_full_ring_drops_until_the_driver_gives_descriptors_back) {
  rx_queue q(mem, RID, 4);
  rx_ring(q, 8);
  run_thread([&] {
    net::frame_ptr f = udp_frame(pool, 60, 0);
    sc_time d;
    uint64_t fault = 0;
    for (int i = 0; i < 7; ++i) EXPECT_EQ(q.receive(*f, 0, 0, d, fault), rx_drop::none) << i;
    EXPECT_EQ(q.receive(*f, 0, 0, d, fault), rx_drop::no_descriptor);
    EXPECT_EQ(q.receive(*f, 0, 0, d, fault), rx_drop::no_descriptor);
    // The driver cleaned 7 and gives them back: RDT moves on by 7.
    q.ring.tail = (q.ring.tail + 7) % 8;
    EXPECT_EQ(q.receive(*f, 0, 0, d, fault), rx_drop::none);
    EXPECT_EQ(q.ring.head, 0u);
  });
  EXPECT_EQ(q.frames(), 8u);
  EXPECT_EQ(q.drops(rx_drop::no_descriptor), 2u);
  // Batches of at most 4: 4, then 3 as soon as the first 4 are used; after the refill
  // the 1 left before the ring's end when a frame comes, and at once the next 4 from
  // its start (the cache ran dry with descriptors out).
  EXPECT_EQ(q.descriptor_fetches(), 4u);
}

TEST_F(nic_queue_test, dma_faults_oversize_frames_and_a_disabled_queue_are_drops_with_their_reason) {
  rx_queue q(mem, RID, 8);
  run_thread([&] {
    net::frame_ptr f = udp_frame(pool, 60, 0);
    sc_time d;
    uint64_t fault = 0;
    EXPECT_EQ(q.receive(*f, 0, 0, d, fault), rx_drop::queue_disabled);
    rx_ring(q, 8);
    mem.fault_lo = BUFFERS;  // the first buffer is not mapped
    mem.fault_hi = BUFFERS + 2048;
    EXPECT_EQ(q.receive(*f, 0, 0, d, fault), rx_drop::dma_fault);
    EXPECT_EQ(fault, BUFFERS);
    // The data write is posted: the NIC cannot see it fail, so the descriptor is
    // consumed and written back (DD) as for any frame, and the next one is used next.
    EXPECT_TRUE(q.consumed());
    EXPECT_EQ(q.ring.head, 1u);
    EXPECT_EQ(mem.get32(RING + 8) & RXD_STAT_DD, RXD_STAT_DD);
    // Every later frame is not stuck on the bad buffer.
    EXPECT_EQ(q.receive(*f, 0, 0, d, fault), rx_drop::none);
    EXPECT_EQ(q.ring.head, 2u);
    mem.fault_hi = 0;
    net::frame_ptr big = udp_frame(pool, 3000, 0);
    EXPECT_EQ(q.receive(*big, 0, 0, d, fault), rx_drop::buffer_too_small);
    EXPECT_EQ(q.receive(*f, 0, 0, d, fault), rx_drop::none);
  });
  EXPECT_EQ(q.drops(rx_drop::queue_disabled), 1u);
  EXPECT_EQ(q.drops(rx_drop::dma_fault), 1u);
  EXPECT_EQ(q.drops(rx_drop::buffer_too_small), 1u);
  EXPECT_EQ(q.frames(), 2u);
  EXPECT_EQ(std::string(rx_drop_name(rx_drop::no_descriptor)), "no_rx_descriptor");
}

// RXDCTL thresholds (82598 data sheet 3.5.2.6): PTHRESH 0 fetches only when the
// on-chip buffer is empty, and then as many as it holds; with PTHRESH the next fetch
// goes out while descriptors are left, so frames do not wait for its round trip.
// A frame every 100 ns into a queue with an 8-descriptor buffer; returns when each
// write-back was done, and the fetches.
std::vector<sc_time> frames_every_100ns(nic_queue_test& t, test_memory& mem, net::frame_pool& pool, uint32_t pthresh,
                                        std::vector<test_memory::request>& fetches) {
  rx_queue q(mem, RID, 8);
  t.ring_of(q, 32);
  q.set_thresholds(pthresh, 1);
  std::vector<sc_time> done;
  t.run([&] {
    net::frame_ptr f = udp_frame(pool, 60, 0);
    for (int i = 0; i < 16; ++i) {
      sc_time d;
      uint64_t fault = 0;
      EXPECT_EQ(q.receive(*f, 0, 0, d, fault), rx_drop::none) << i;
      done.push_back(d);
      sc_core::wait(sc_time(100, SC_NS));
    }
  });
  for (const auto& r : mem.log) {
    EXPECT_GE(r.at, r.made) << "nothing asked for before it is made";
    if (!r.write) fetches.push_back(r);
  }
  return done;
}

TEST_F(nic_queue_test, without_pthresh_a_fetch_fills_the_buffer_once_it_is_empty) {
  std::vector<test_memory::request> fetches;
  const std::vector<sc_time> done = frames_every_100ns(*this, mem, pool, 0, fetches);
  ASSERT_EQ(fetches.size(), 3u);
  EXPECT_EQ(fetches[0].len, 8u * 16) << "the whole buffer in one read";
  // Fetched when the eighth frame used the buffer up (at 700 ns, behind its writes):
  // frame 9 (at 800 ns) waits for that read until 1200, its write-back is done at
  // 1300; the sixteenth frame empties it again.
  EXPECT_EQ(fetches[1].at, sc_time(700, SC_NS));
  EXPECT_EQ(fetches[1].len, 8u * 16);
  EXPECT_EQ(done[8], sc_time(1300, SC_NS));
  EXPECT_EQ(fetches[2].at, sc_time(1500, SC_NS));
}

TEST_F(nic_queue_test, with_pthresh_the_next_fetch_goes_out_before_the_buffer_runs_dry) {
  std::vector<test_memory::request> fetches;
  const std::vector<sc_time> done = frames_every_100ns(*this, mem, pool, 4, fetches);
  ASSERT_GE(fetches.size(), 2u);
  EXPECT_EQ(fetches[0].len, 8u * 16);
  // Fewer than 4 left after the fifth frame (at 400 ns): the 5 free entries are
  // fetched then, behind its writes (the first descriptors arrived at 500 ns), so they
  // are there at 1000 ns...
  EXPECT_EQ(fetches[1].made, sc_time(400, SC_NS));
  EXPECT_EQ(fetches[1].at, sc_time(500, SC_NS));
  EXPECT_EQ(fetches[1].len, 5u * 16);
  // ...and frame 9 (at 800 ns) waits 200 ns for them instead of 400.
  EXPECT_EQ(done[8], sc_time(1100, SC_NS));
}

// ---- transmit ----------------------------------------------------------------------

class nic_tx_test : public nic_queue_test {
 protected:
  // Descriptor i of the TX ring: a data descriptor for `len` bytes at `buffer`.
  void tx_desc(uint32_t i, uint64_t buffer, uint32_t len, bool eop, bool rs = true) {
    mem.put64(RING + 16 * i, buffer);
    const uint32_t cmd =
        TXD_CMD_DEXT | TXD_DTYP_DATA | TXD_CMD_IFCS | (eop ? TXD_CMD_EOP : 0) | (rs ? TXD_CMD_RS : 0) | len;
    mem.put64(RING + 16 * i + 8, cmd);
  }
  void put_frame(uint64_t at, const net::frame& f) {
    for (uint32_t i = 0; i < f.size(); ++i) mem.bytes[at + i] = f.data()[i];
  }
};

TEST_F(nic_tx_test, frames_the_driver_queues_go_out_on_the_wire_and_get_dd_back) {
  wire::wire w("w0", 10000);
  wire::traffic_port sink("sink", w, 1);
  std::vector<std::pair<std::string, sc_time>> completions;
  tx_engine engine("tx", mem, pool, [&](tx_queue& q, const sc_time& at) { completions.emplace_back(q.name, at); });
  engine.connect(&w, 0);
  struct quiet : wire::wire_end {
    void frame_arrived(net::frame_ptr) override {}
  } nic_side;
  w.attach(0, nic_side);
  tx_queue q("tx0", RID);
  q.ring = {RING, 8 * 16, 0, 0, true};
  q.restart();
  engine.add_queue(q);
  std::vector<net::frame_ptr> frames;
  for (uint8_t i = 0; i < 3; ++i) frames.push_back(udp_frame(pool, 1514, i));
  run_thread([&] {
    for (uint32_t i = 0; i < 3; ++i) {
      put_frame(BUFFERS + 2048 * i, *frames[i]);
      tx_desc(i, BUFFERS + 2048 * i, 1514, true);
    }
    q.ring.tail = 3;
    engine.doorbell();
    sc_core::wait(sc_time(10, SC_US));
  });
  // Descriptors at 500 ns, data of all three at 1000 ns; then back to back on the
  // wire: 1538 B = 1230.4 ns each.
  EXPECT_EQ(sink.port_counts().rx_frames, 3u);
  EXPECT_EQ(sink.port_counts().rx_bad, 0u);
  EXPECT_EQ(sink.port_counts().rx_bytes, 3u * 1514);
  EXPECT_EQ(q.frames, 3u);
  EXPECT_EQ(q.ring.head, 3u);
  for (uint32_t i = 0; i < 3; ++i) EXPECT_EQ(mem.get32(RING + 16 * i + 12) & TXD_STAT_DD, TXD_STAT_DD) << i;
  EXPECT_EQ(mem.get32(RING + 16 * 3 + 12), 0u);
  ASSERT_EQ(completions.size(), 3u);
  EXPECT_EQ(completions[0].second, sc_time(1100, SC_NS));
  EXPECT_EQ(completions[1].second, sc_time(1000 + 1230.4 + 100, SC_NS));
  EXPECT_EQ(completions[2].second, sc_time(1000 + 2 * 1230.4 + 100, SC_NS));
  EXPECT_EQ(w.channel(0).busy_until(), sc_time(1000 + 3 * 1230.4, SC_NS));
  EXPECT_EQ(engine.buffered_bytes(), 0u);
}

TEST_F(nic_tx_test, a_frame_in_two_buffers_waits_for_its_eop_and_leaves_whole) {
  wire::wire w("w0", 10000);
  struct capture : wire::wire_end {
    std::vector<std::vector<uint8_t>> frames;
    void frame_arrived(net::frame_ptr f) override { frames.emplace_back(f->data(), f->data() + f->size()); }
  } far, near;
  w.attach(0, near);
  w.attach(1, far);
  tx_engine engine("tx", mem, pool, [](tx_queue&, const sc_time&) {});
  engine.connect(&w, 0);
  tx_queue q("tx0", RID);
  q.ring = {RING, 8 * 16, 0, 0, true};
  q.restart();
  engine.add_queue(q);
  net::frame_ptr f = udp_frame(pool, 1000, 7);
  run_thread([&] {
    put_frame(BUFFERS, *f);  // header and payload in two buffers: 42 + 958 bytes
    for (uint32_t i = 42; i < 1000; ++i) mem.bytes[BUFFERS + 0x1000 + i - 42] = f->data()[i];
    tx_desc(0, BUFFERS, 42, false, false);
    q.ring.tail = 1;  // the first half only: nothing may leave
    engine.doorbell();
    sc_core::wait(sc_time(5, SC_US));
    EXPECT_TRUE(far.frames.empty());
    tx_desc(1, BUFFERS + 0x1000, 958, true);
    q.ring.tail = 2;
    engine.doorbell();
    sc_core::wait(sc_time(5, SC_US));
  });
  ASSERT_EQ(far.frames.size(), 1u);
  EXPECT_EQ(far.frames[0], std::vector<uint8_t>(f->data(), f->data() + f->size()));
  EXPECT_EQ(mem.get32(RING + 12), 0u) << "no RS on the first descriptor: no DD";
  EXPECT_EQ(mem.get32(RING + 16 + 12), TXD_STAT_DD);
}

// 64 B frames (84 B on the wire with preamble and IFG: 67.2 ns at 10 Gb/s) from one
// queue leave back to back once the pipeline is full: the fetch of the next
// descriptors and the data reads of the next frames overlap the wire time of those
// before them. No DMA is asked for ahead of the time it is made.
TEST_F(nic_tx_test, sixty_four_byte_frames_from_one_queue_leave_at_line_rate) {
  constexpr uint32_t N = 96, RING_SIZE = 128;
  wire::wire w("w0", 10000);
  struct capture : wire::wire_end {
    std::vector<sc_time> at;
    void frame_arrived(net::frame_ptr) override { at.push_back(sc_core::sc_time_stamp()); }
  } far, near;
  w.attach(0, near);
  w.attach(1, far);
  tx_engine engine("tx", mem, pool, [](tx_queue&, const sc_time&) {});
  engine.connect(&w, 0);
  tx_queue q("tx0", RID);
  q.ring = {RING, RING_SIZE * 16, 0, 0, true};
  q.restart();
  engine.add_queue(q);
  net::frame_ptr f = udp_frame(pool, 60, 1);
  run_thread([&] {
    for (uint32_t i = 0; i < N; ++i) {
      put_frame(BUFFERS + 2048 * i, *f);
      tx_desc(i, BUFFERS + 2048 * i, 60, true, i % 32 == 31);  // RS every 32 (DPDK's tx_rs_thresh)
    }
    q.ring.tail = N;
    engine.doorbell();
    sc_core::wait(sc_time(20, SC_US));
  });
  ASSERT_EQ(far.at.size(), N);
  for (uint32_t i = 1; i < N; ++i) EXPECT_EQ(far.at[i] - far.at[i - 1], sc_time(67.2, SC_NS)) << i;
  // Descriptors by the buffer's size at a time (40), each fetch asked for when the one
  // before was used up; every request asked for when it was made.
  const uint32_t cache = engine.tx_desc_cache;
  uint32_t fetches = 0, fetched = 0;
  for (const auto& r : mem.log) {
    EXPECT_EQ(r.at, r.made);
    if (!r.write && r.addr >= RING && r.addr < RING + RING_SIZE * 16) {
      EXPECT_EQ(r.len, std::min(cache, N - fetched) * 16);
      fetched += r.len / 16;
      ++fetches;
    }
  }
  EXPECT_EQ(fetched, N);
  EXPECT_EQ(fetches, (N + cache - 1) / cache);
  EXPECT_EQ(q.frames, N);
}

TEST_F(nic_tx_test, two_queues_share_the_port_round_robin) {
  wire::wire w("w0", 10000);
  struct capture : wire::wire_end {
    std::vector<uint8_t> seeds;  // the payload pattern tells the queue
    void frame_arrived(net::frame_ptr f) override { seeds.push_back(f->data()[42]); }
  } far, near;
  w.attach(0, near);
  w.attach(1, far);
  tx_engine engine("tx", mem, pool, [](tx_queue&, const sc_time&) {});
  engine.connect(&w, 0);
  tx_queue a("a", RID), b("b", RID + 1);
  a.ring = {RING, 8 * 16, 0, 0, true};
  b.ring = {RING + 0x1000, 8 * 16, 0, 0, true};
  a.restart();
  b.restart();
  engine.add_queue(a);
  engine.add_queue(b);
  run_thread([&] {
    for (uint32_t i = 0; i < 3; ++i) {
      net::frame_ptr fa = udp_frame(pool, 100, 0xa0), fb = udp_frame(pool, 100, 0xb0);
      put_frame(BUFFERS + 256 * i, *fa);
      put_frame(BUFFERS + 0x1000 + 256 * i, *fb);
      tx_desc(i, BUFFERS + 256 * i, 100, true);
      mem.put64(RING + 0x1000 + 16 * i, BUFFERS + 0x1000 + 256 * i);
      mem.put64(RING + 0x1000 + 16 * i + 8, TXD_CMD_DEXT | TXD_DTYP_DATA | TXD_CMD_EOP | 100);
    }
    a.ring.tail = 3;
    b.ring.tail = 3;
    engine.doorbell();
    sc_core::wait(sc_time(10, SC_US));
  });
  EXPECT_EQ(far.seeds, (std::vector<uint8_t>{0xa0, 0xb0, 0xa0, 0xb0, 0xa0, 0xb0}));
  EXPECT_EQ(mem.log[0].rid, RID);
  bool b_used_its_rid = false;
  for (const auto& r : mem.log) b_used_its_rid |= r.rid == RID + 1 && r.addr >= RING + 0x1000 && r.addr < RING + 0x2000;
  EXPECT_TRUE(b_used_its_rid);
}

}  // namespace
}  // namespace iovsim::nic

// ---- interrupts ----------------------------------------------------------------------

namespace iovsim::nic {
namespace {

using sc_core::SC_NS;
using sc_core::sc_time;
using sc_core::SC_US;

class nic_irq_test : public test::sc_fixture {
 protected:
  struct message {
    unsigned vector;
    sc_time at;
    bool operator==(const message& o) const { return vector == o.vector && at == o.at; }
  };
  std::vector<message> sent;
  std::function<void(unsigned)> record() {
    return [this](unsigned v) { sent.push_back({v, sc_core::sc_time_stamp()}); };
  }
};

TEST_F(nic_irq_test, a_cause_fires_its_vector_when_unmasked_and_waits_when_masked) {
  interrupt_scheduler sched("irq");
  interrupt_block b(sched, 3, record());
  run_thread([&] {
    b.write_ims(0x1);
    b.cause(0, sc_time(1, SC_US));
    b.cause(1, sc_time(2, SC_US));  // masked
    sc_core::wait(sc_time(5, SC_US));
    EXPECT_EQ(b.read_icr(), 0x2u) << "vector 0's cause went with its message; vector 1 waits";
    b.write_ims(0x2);
    EXPECT_EQ(b.read_icr(), 0u);
    sc_core::wait(sc_time(1, SC_US));
    b.write_ics(0x4);  // software raises vector 2 (masked): pending only
    sc_core::wait(sc_time(1, SC_US));
    EXPECT_EQ(b.read_icr(), 0x4u);
    b.write_icr(0x4);  // and clears it
    EXPECT_EQ(b.read_icr(), 0u);
  });
  EXPECT_EQ(sent, (std::vector<message>{{0, sc_time(1, SC_US)}, {1, sc_time(5, SC_US)}}));
  EXPECT_EQ(b.messages(), 2u);
}

TEST_F(nic_irq_test, eitr_sends_at_most_one_message_per_interval) {
  interrupt_scheduler sched("irq");
  interrupt_block b(sched, 1, record());
  run_thread([&] {
    b.write_itr(0, 200);  // ixgbe's IXGBE_20K_ITR: 50 us
    b.write_ims(0x1);
    for (int t : {0, 10, 20, 30}) b.cause(0, sc_time(t, SC_US));
    b.cause(0, sc_time(120, SC_US));
    sc_core::wait(sc_time(200, SC_US));
  });
  // The first at once, the three inside the window in one message at its end, the
  // last one outside any window.
  EXPECT_EQ(sent, (std::vector<message>{{0, sc_time(0, SC_US)}, {0, sc_time(50, SC_US)}, {0, sc_time(120, SC_US)}}));
}

TEST_F(nic_irq_test, auto_mask_holds_further_causes_until_the_driver_re_enables) {
  interrupt_scheduler sched("irq");
  interrupt_block b(sched, 2, record());
  run_thread([&] {
    b.write_iam(0x3);
    b.write_ims(0x3);
    b.cause(1, sc_time(1, SC_US));
    b.cause(1, sc_time(2, SC_US));  // after the auto-mask: pending (NAPI is polling)
    sc_core::wait(sc_time(10, SC_US));
    EXPECT_EQ(b.read_ims(), 0x1u);
    EXPECT_EQ(b.read_icr(), 0x2u);
    b.write_ims(0x2);  // napi_complete: re-arm; the pending cause fires now
    sc_core::wait(sc_time(1, SC_US));
    b.write_imc(0x3);
    EXPECT_EQ(b.read_ims(), 0u);
  });
  EXPECT_EQ(sent, (std::vector<message>{{1, sc_time(1, SC_US)}, {1, sc_time(10, SC_US)}}));
}

}  // namespace
}  // namespace iovsim::nic
