// The pcie-bench engine's timing on the bare bench (pciebench_bench_fixture.h), driven
// as a driver drives it and checked against values derived from the link and DRAM
// models' own formulas (models/pcie/link.h, models/memory/dram.h): latency samples and
// their statistics, timestamps, WRRD, overhead and issue interval, write goodput, MPS
// and MRRS splits, the 32 read tags. The booted host, driver and verb:
// pciebench_host_test.cpp; addresses and refusals: pciebench_rules_test.cpp.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <systemc>
#include <vector>

#include "models/pcie/capabilities.h"
#include "models/pcie/pci_regs.h"
#include "tests/unit/pciebench_bench_fixture.h"

namespace iovsim {
namespace {

using namespace test::pcb;

// The profile's link and the register file as a driver first sees them.
TEST_F(pciebench_bench, identity_reset_values_and_the_profiles_link) {
  build();
  EXPECT_EQ(cfg.gen, 3u);
  EXPECT_EQ(cfg.width, 8u);
  EXPECT_EQ(cfg.mps, 256u);
  EXPECT_EQ(sc_core::sc_get_time_resolution(), sc_time(1, SC_PS));  // the counter's arithmetic
  run_thread([&] {
    EXPECT_EQ(cfg_read(pcie::CFG_VENDOR_ID, 4), 0xd0b01234u);
    probe();
    EXPECT_EQ(rd(pbd::CLOCK_KHZ, 4), 1'200'000u);
    EXPECT_EQ(rd(pbd::IN_FLIGHT, 4), 1u);
    EXPECT_EQ(rd(pbd::STATUS, 4), 0u);
    wr(pbd::ID, 4, 0);
    EXPECT_EQ(rd(pbd::ID, 4), pbd::ID_VALUE);  // read-only
    wr(pbd::HOST_OFF, 4, 0x1234);
    EXPECT_EQ(rd(pbd::HOST_OFF, 4), 0x234u);  // 12 bits
    wr(pbd::CHUNK_ADDR + 8, 8, 0x123456789abcull);
    EXPECT_EQ(rd(pbd::CHUNK_ADDR + 8), 0x123456789000ull);  // 4 KiB aligned
  });
}

// 1. Latency on an idle path: each LAT_DMA_RD of 64 B is the read round trip of the
// link and DRAM models; with the default 1.2 GHz counter a sample is that time in
// cycles rounded down or up (where the transfer fell against the clock), and every
// statistics register follows from the samples.
TEST_F(pciebench_bench, lat_dma_rd_samples_are_the_idle_read_round_trip) {
  build();
  run_thread([&] {
    probe();
    sc_core::wait(sc_time(10, SC_US));
    experiment e;
    e.test = pbd::LAT_DMA_RD;
    e.count = 2000;
    e.in_flight = 88;  // latency tests run one transfer at a time whatever it says
    ASSERT_EQ(run(e), DONE);
    const uint64_t f = khz();
    const sc_time L = read_latency(64);
    // The worked value: 3.3 + 150 + 3.3 + 80 + 11.6 + 150 ns.
    EXPECT_NEAR(L.to_seconds() * 1e9, 398.3, 0.1);
    const std::vector<sc_time> lat(e.count, L);
    const std::vector<uint32_t> s = samples_for(lat, f);
    EXPECT_EQ(rd(pbd::START_TS), counter(t0, f));
    EXPECT_EQ(rd(pbd::END_TS), counter(t0 + static_cast<double>(e.count) * L, f));
    const uint64_t whole = counter(L, f);  // floor(L x f)
    EXPECT_EQ(rd(pbd::LAT_MIN), whole);
    EXPECT_EQ(rd(pbd::LAT_MAX), whole + 1);
    EXPECT_EQ(rd(pbd::LAT_SUM), rd(pbd::END_TS) - rd(pbd::START_TS));  // samples tile the run
    expect_latency_registers(s);
    EXPECT_EQ(m_dev->requests_issued(), e.count);
    EXPECT_EQ(m_link->upstream_stats().tlps, e.count);
    EXPECT_EQ(m_link->downstream_stats().tlps, e.count);  // 64 B: one completion (RCB 64)
    EXPECT_EQ(m_mem->dma_reads(), e.count);
    EXPECT_EQ(m_mem->dma_writes(), 0u);
  });
}

// 1b. When the round trip is a whole number of cycles and the run starts on a clock
// edge, every sample is that number: DRAM's latency is padded so that the round trip
// is a multiple of 2.5 ns (3 cycles at 1.2 GHz). Percentiles and median are it x 256.
TEST_F(pciebench_bench, lat_dma_rd_of_whole_cycles_gives_one_value_everywhere) {
  build();
  const sc_time L0 = read_latency(64);
  const uint64_t quantum = 2500;  // ps: 3 cycles of 1.2 GHz
  const uint64_t pad = (quantum - L0.value() % quantum) % quantum;
  const sc_time mem_latency = m_mem->latency() + sc_time(static_cast<double>(pad), SC_PS);
  rebuild_with({{"mem.latency", fmt::format("{}ps", mem_latency.value())}});
  ASSERT_EQ(m_mem->latency(), mem_latency);
  const sc_time L = read_latency(64);
  ASSERT_EQ(L.value() % quantum, 0u);
  run_thread([&] {
    probe();
    sc_core::wait(sc_time(10, SC_US));  // a clock edge
    experiment e;
    e.test = pbd::LAT_DMA_RD;
    e.count = 1001;
    ASSERT_EQ(run(e), DONE);
    const uint64_t c = L.value() / quantum * 3;
    EXPECT_EQ(rd(pbd::LAT_MIN), c);
    EXPECT_EQ(rd(pbd::LAT_MAX), c);
    EXPECT_EQ(rd(pbd::LAT_SUM), c * e.count);
    EXPECT_EQ(rd(pbd::LAT_MED), c << pbd::PCT_FRAC_BITS);
    EXPECT_EQ(rd(pbd::LAT_P95), c << pbd::PCT_FRAC_BITS);
    EXPECT_EQ(rd(pbd::LAT_P999), c << pbd::PCT_FRAC_BITS);
    EXPECT_EQ(rd(pbd::OUTLIERS), 0u);
    EXPECT_EQ(rd(pbd::SAMPLES), e.count);
    EXPECT_EQ(rd(pbd::END_TS) - rd(pbd::START_TS), c * e.count);
    EXPECT_EQ(m_dev->transfers(), e.count);
  });
}

// The timestamp granularity (the NFP's every 16 cycles) quantises both ends of a
// sample; pcie-bench multiplies back, so samples are multiples of it.
TEST_F(pciebench_bench, timestamp_granularity_quantises_the_counter) {
  env->params().set_override("pcb.timestamp_cycles", "16");
  build();
  run_thread([&] {
    probe();
    sc_core::wait(sc_time(10, SC_US));
    experiment e;
    e.test = pbd::LAT_DMA_RD;
    e.count = 500;
    ASSERT_EQ(run(e), DONE);
    const uint64_t f = khz();
    auto ts = [&](const sc_time& t) { return counter(t, f) / 16 * 16; };
    std::vector<uint32_t> s;
    const sc_time L = read_latency(64);
    for (uint64_t k = 0; k < e.count; ++k)
      s.push_back(static_cast<uint32_t>(ts(t0 + static_cast<double>(k + 1) * L) - ts(t0 + static_cast<double>(k) * L)));
    for (uint32_t v : s) EXPECT_EQ(v % 16, 0u);
    EXPECT_EQ(rd(pbd::START_TS), ts(t0));
    EXPECT_EQ(rd(pbd::END_TS), ts(t0 + static_cast<double>(e.count) * L));
    expect_latency_registers(s);
  });
}

// LAT_DMA_WRRD: the write goes first, the read request queues behind its data on the
// link and behind it on the memory channel; one sample covers both.
TEST_F(pciebench_bench, lat_dma_wrrd_writes_then_reads_the_unit_back) {
  build();
  run_thread([&] {
    probe();
    sc_core::wait(sc_time(10, SC_US));
    experiment e;
    e.test = pbd::LAT_DMA_WRRD;
    e.count = 300;
    ASSERT_EQ(run(e), DONE);
    const pcie::pcie_link& l = *m_link;
    const sc_time hop = l.hop_latency(), occ = channel_time(*m_mem, 64);
    const sc_time w = l.wire_time(pcie::write_wire(cfg, 64).wire_bytes);
    const sc_time r = l.wire_time(pcie::read_wire(cfg, 64).request_bytes);
    const sc_time c = l.wire_time(pcie::read_wire(cfg, 64).completion_bytes);
    // The write reaches memory at w + hop and holds the channel for occ; the read
    // request arrives r later and takes the channel when the write leaves it.
    const sc_time L = w + hop + std::max(r, occ) + occ + m_mem->latency() + c + hop;
    expect_latency_registers(samples_for(std::vector<sc_time>(e.count, L), khz()));
    ASSERT_EQ(m_tap->seen.size(), 2 * e.count);
    for (uint64_t k = 0; k < e.count; ++k) {
      const tap::request& wq = m_tap->seen[2 * k];
      const tap::request& rq = m_tap->seen[2 * k + 1];
      EXPECT_TRUE(wq.write);
      EXPECT_FALSE(rq.write);
      EXPECT_EQ(wq.addr, CHUNK0 + k % 128 * 64);
      EXPECT_EQ(rq.addr, wq.addr);
      EXPECT_EQ(rq.len, 64u);
    }
  });
}

// Outliers: a slow unit (2 us more in memory) gives 10 samples of 1280 far above the
// 95th percentile; the 99.9th interpolates between two of them.
TEST_F(pciebench_bench, slow_samples_are_outliers_and_set_the_high_percentiles) {
  build();
  m_tap->slow_lo = CHUNK0;
  m_tap->slow_hi = CHUNK0 + 64;
  m_tap->slow_extra = sc_time(2, SC_US);
  run_thread([&] {
    probe();
    sc_core::wait(sc_time(10, SC_US));
    experiment e;
    e.test = pbd::LAT_DMA_RD;
    e.count = 1280;  // 10 passes over 128 units
    ASSERT_EQ(run(e), DONE);
    const sc_time L = read_latency(64);
    std::vector<sc_time> lat;
    for (uint64_t k = 0; k < e.count; ++k) lat.push_back(k % 128 == 0 ? L + sc_time(2, SC_US) : L);
    const std::vector<uint32_t> s = samples_for(lat, khz());
    expect_latency_registers(s);
    EXPECT_EQ(rd(pbd::OUTLIERS), 10u);
    EXPECT_GT(rd(pbd::LAT_P999), 2000u << pbd::PCT_FRAC_BITS);
    EXPECT_LT(rd(pbd::LAT_P95), 500u << pbd::PCT_FRAC_BITS);
  });
}

// The engine's knobs: a transfer overhead at each end of every transfer, and a least
// interval between issues (the DMA engine's own rate).
TEST_F(pciebench_bench, transfer_overhead_and_issue_interval) {
  rebuild_with({{"pcb.transfer_overhead", "20ns"}});
  run_thread([&] {
    probe();
    sc_core::wait(sc_time(10, SC_US));
    experiment e;
    e.test = pbd::LAT_DMA_RD;
    e.count = 100;
    ASSERT_EQ(run(e), DONE);
    const sc_time L = read_latency(64) + sc_time(40, SC_NS);
    expect_latency_registers(samples_for(std::vector<sc_time>(e.count, L), khz()));
  });
  rebuild_with({{"pciebench.issue_interval", "100ns"}});
  run_thread([&] {
    probe();
    sc_core::wait(sc_time(10, SC_US));
    experiment e;
    e.test = pbd::BW_DMA_WR;
    e.in_flight = 88;
    e.count = 500;
    ASSERT_EQ(run(e), DONE);
    // One write every 100 ns, far slower than the link: the last is issued 499 x 100 ns
    // in and lands one idle write latency later.
    const sc_time end = t0 + sc_time(49'900, SC_NS) + idle_write_latency(*m_link, *m_mem, 64);
    EXPECT_EQ(rd(pbd::START_TS), counter(t0, khz()));
    EXPECT_EQ(rd(pbd::END_TS), counter(end, khz()));
  });
}

// 2. BW_DMA_WR of 256 B with 88 in flight: the upstream direction is never idle, so the
// run takes N writes' serialisation plus one write's latency, and the throughput is the
// link model's write goodput for 256 B.
TEST_F(pciebench_bench, bw_dma_wr_256_saturates_the_link_at_its_write_goodput) {
  build();
  run_thread([&] {
    probe();
    sc_core::wait(sc_time(10, SC_US));
    experiment e;
    e.test = pbd::BW_DMA_WR;
    e.size = 256;
    e.window = 64 * KiB;
    e.in_flight = 88;
    e.count = 4000;
    ASSERT_EQ(run(e), DONE);
    const uint64_t f = khz();
    const sc_time per_write = m_link->wire_time(pcie::write_wire(cfg, 256).wire_bytes);
    const sc_time end = t0 + static_cast<double>(e.count - 1) * per_write + idle_write_latency(*m_link, *m_mem, 256);
    EXPECT_EQ(rd(pbd::START_TS), counter(t0, f));
    EXPECT_EQ(rd(pbd::END_TS), counter(end, f));
    EXPECT_EQ(rd(pbd::TRANSFERS), e.count);
    EXPECT_EQ(rd(pbd::SAMPLES), 0u);  // bandwidth tests keep no journal
    const double ns = static_cast<double>(rd(pbd::END_TS) - rd(pbd::START_TS)) * 1e6 / static_cast<double>(f);
    const double gbps = 8.0 * static_cast<double>(e.count * e.size) / ns;
    const double model = pcie::write_goodput_gbps(cfg, 256);
    EXPECT_NEAR(gbps, model, 0.01 * model);
    EXPECT_NEAR(model, 52.9, 0.1);                 // REFERENCE.md's Gen3 x8 MPS 256 value
    EXPECT_EQ(m_dev->requests_issued(), e.count);  // 256 B = MPS: one TLP each
    EXPECT_EQ(m_mem->dma_writes(), e.count);
  });
}

// Requests split at MPS for writes and MRRS for reads, as Device Control says.
TEST_F(pciebench_bench, requests_split_at_device_controls_mps_and_mrrs) {
  build();
  run_thread([&] {
    probe();
    experiment e;
    e.test = pbd::BW_DMA_RW;
    e.size = 4096;
    e.window = 64 * KiB;
    e.in_flight = 8;
    e.count = 4;
    ASSERT_EQ(run(e), DONE);
    // Transfer 0 and 2 write (16 x 256 B), 1 and 3 read (8 x 512 B).
    ASSERT_EQ(m_tap->seen.size(), 2u * 16 + 2u * 8);
    size_t i = 0;
    for (unsigned k = 0; k < 4; ++k) {
      const bool write = k % 2 == 0;
      const unsigned n = write ? 256 : 512;
      for (unsigned j = 0; j < 4096 / n; ++j, ++i) {
        EXPECT_EQ(m_tap->seen[i].write, write) << i;
        EXPECT_EQ(m_tap->seen[i].addr, CHUNK0 + k * 4096 + j * n) << i;
        EXPECT_EQ(m_tap->seen[i].len, n) << i;
      }
    }
    EXPECT_EQ(m_dev->requests_issued(), 48u);
  });
}

// 3. The tag limit: 64 B reads with 88 transfers allowed in flight have only 32 tags, so
// each group of 32 takes at least an idle round trip: the rate is at most 32 / L, and
// after the first group the completions are spaced out enough to reach it. With
// Extended Tag Field Enable the link's completion direction limits instead.
TEST_F(pciebench_bench, reads_are_limited_by_32_tags_unless_extended_tags) {
  build();
  run_thread([&] {
    probe(false);
    sc_core::wait(sc_time(10, SC_US));
    experiment e;
    e.test = pbd::BW_DMA_RD;
    e.in_flight = 88;
    e.count = 4000;
    const sc_time L = read_latency(64);
    const sc_time per_completion = m_link->wire_time(pcie::read_wire(cfg, 64).completion_bytes);
    const double tag_bound = 32.0 / L.to_seconds(), link_bound = 1.0 / per_completion.to_seconds();
    ASSERT_LT(tag_bound, link_bound);  // on this link the tags are the tighter limit
    ASSERT_EQ(run(e), DONE);
    // ceil(N / 32) groups, each at least L: at most one cycle lost to the counter.
    const uint64_t f = khz();
    const uint64_t least = counter(static_cast<double>((e.count + 31) / 32) * L, f);
    EXPECT_GE(rd(pbd::END_TS) - rd(pbd::START_TS) + 1, least);
    const double tagged = rate();
    EXPECT_LE(tagged, tag_bound * 1.0005);
    EXPECT_GE(tagged, tag_bound * 0.98);
    EXPECT_EQ(m_dev->requests_issued(), e.count);

    probe(true);  // Extended Tag Field Enable: 256 tags, more than the 88 in flight
    ASSERT_EQ(run(e), DONE);
    const double extended = rate();
    EXPECT_GT(extended, tagged * 1.05);
    EXPECT_LE(extended, link_bound * 1.0005);
    EXPECT_GE(extended, link_bound * 0.99);
  });
}

// Bandwidth tests with one transfer in flight run as the latency test does.
TEST_F(pciebench_bench, one_transfer_in_flight_is_the_round_trip_each) {
  build();
  run_thread([&] {
    probe();
    sc_core::wait(sc_time(10, SC_US));
    experiment e;
    e.test = pbd::BW_DMA_RD;
    e.in_flight = 1;
    e.count = 700;
    ASSERT_EQ(run(e), DONE);
    EXPECT_EQ(rd(pbd::END_TS), counter(t0 + static_cast<double>(e.count) * read_latency(64), khz()));
  });
}
}  // namespace
}  // namespace iovsim
