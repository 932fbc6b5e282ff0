// The pcie-bench engine's rules on the bare bench (pciebench_bench_fixture.h): which
// units the transfers go to (sequential, random, across chunks, never across 4 KiB),
// what WARM and THRASH touch, the runs it refuses and the one a failed request stops,
// and the statistics functions against pcie-bench's ListStats. Timing:
// pciebench_timing_test.cpp.
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

// 4. Address rules. 64 B units in order from HOST_OFF, wrapping at the window; the
// RW test alternating write (even) and read (odd).
TEST_F(pciebench_bench, sequential_units_in_order_wrap_at_the_window) {
  build();
  run_thread([&] {
    probe();
    experiment e;
    e.test = pbd::BW_DMA_RW;
    e.in_flight = 16;
    e.count = 300;  // 128 units of 64 B in 8 KiB: two wraps
    ASSERT_EQ(run(e), DONE);
    ASSERT_EQ(m_tap->seen.size(), e.count);
    for (uint64_t k = 0; k < e.count; ++k) {
      EXPECT_EQ(m_tap->seen[k].addr, CHUNK0 + k % 128 * 64) << k;
      EXPECT_EQ(m_tap->seen[k].len, 64u) << k;
      EXPECT_EQ(m_tap->seen[k].write, k % 2 == 0) << k;
    }
    EXPECT_EQ(m_mem->dma_writes(), 150u);
    EXPECT_EQ(m_mem->dma_reads(), 150u);

    // 63 bytes at offset 1: units stay 64 B.
    m_tap->seen.clear();
    e.test = pbd::BW_DMA_WR;
    e.size = 63;
    e.host_off = 1;
    e.count = 200;
    ASSERT_EQ(run(e), DONE);
    ASSERT_EQ(m_tap->seen.size(), e.count);
    for (uint64_t k = 0; k < e.count; ++k) {
      EXPECT_EQ(m_tap->seen[k].addr, CHUNK0 + k % 128 * 64 + 1) << k;
      EXPECT_EQ(m_tap->seen[k].len, 63u) << k;
    }
  });
}

// Units that would make a transfer cross a 4 KiB boundary are skipped: 1000 B at
// offset 100 in units of 1152 B (1100 rounded up to 64), 56 units in 64 KiB.
TEST_F(pciebench_bench, transfers_never_cross_4k_and_skip_the_units_that_would) {
  build();
  const uint64_t unit = 1152, units = 64 * KiB / unit;
  std::vector<uint64_t> fit;  // the units a transfer fits in
  for (uint64_t u = 0; u < units; ++u)
    if ((u * unit + 100) % PAGE + 1000 <= PAGE) fit.push_back(u);
  ASSERT_EQ(units, 56u);
  ASSERT_LT(fit.size(), units);  // some are skipped (unit 3: 3556 + 1000 > 4096)
  EXPECT_EQ(std::count(fit.begin(), fit.end(), 3u), 0);
  run_thread([&] {
    probe();
    for (uint32_t test : {pbd::BW_DMA_WR, pbd::BW_DMA_RD}) {
      m_tap->seen.clear();
      experiment e;
      e.test = test;
      e.size = 1000;
      e.host_off = 100;
      e.window = 64 * KiB;
      e.in_flight = 32;
      e.count = 2 * fit.size() + 5;  // two wraps and a bit
      ASSERT_EQ(run(e), DONE);
      // Writes: 256 + 256 + 256 + 232; reads: 512 + 488.
      const std::vector<unsigned> pieces =
          test == pbd::BW_DMA_WR ? std::vector<unsigned>{256, 256, 256, 232} : std::vector<unsigned>{512, 488};
      ASSERT_EQ(m_tap->seen.size(), e.count * pieces.size());
      for (uint64_t k = 0, i = 0; k < e.count; ++k) {
        uint64_t a = CHUNK0 + fit[k % fit.size()] * unit + 100;
        for (unsigned n : pieces) {
          const tap::request& q = m_tap->seen[i++];
          EXPECT_EQ(q.addr, a) << k;
          EXPECT_EQ(q.len, n) << k;
          EXPECT_LE(q.addr % PAGE + q.len, PAGE) << k;
          a += n;
        }
      }
    }
  });
}

// Random units: every transfer at HOST_OFF into a unit of the window, inside a page,
// and the draws are not the sequential order.
TEST_F(pciebench_bench, random_units_stay_in_the_window_and_inside_pages) {
  build();
  run_thread([&] {
    probe();
    experiment e;
    e.test = pbd::BW_DMA_WR;
    e.flags = pbd::FLAG_RANDOM;
    e.size = 1000;
    e.host_off = 100;
    e.window = 64 * KiB;
    e.in_flight = 32;
    e.count = 400;
    ASSERT_EQ(run(e), DONE);
    ASSERT_EQ(m_tap->seen.size(), 4 * e.count);
    std::set<uint64_t> units;
    bool sequential = true;
    for (uint64_t k = 0; k < e.count; ++k) {
      const tap::request& q = m_tap->seen[4 * k];
      ASSERT_GE(q.addr, CHUNK0 + 100);
      const uint64_t off = q.addr - CHUNK0 - 100;
      EXPECT_EQ(off % 1152, 0u) << k;
      EXPECT_LT(off / 1152, 56u) << k;
      EXPECT_LE((q.addr % PAGE) + 1000, PAGE) << k;
      if (k && off / 1152 != units.size()) sequential = false;
      units.insert(off / 1152);
    }
    EXPECT_FALSE(sequential);
    EXPECT_GT(units.size(), 30u);
  });
}

// A window past 4 MiB runs on into the next chunk, wherever the host put it.
TEST_F(pciebench_bench, the_window_runs_on_into_the_next_chunk) {
  build();
  run_thread([&] {
    probe();
    experiment e;
    e.test = pbd::BW_DMA_WR;
    e.size = 4096;
    e.window = 8 * MiB;
    e.in_flight = 64;
    e.count = 1030;
    ASSERT_EQ(run(e), DONE);
    ASSERT_EQ(m_tap->seen.size(), 16 * e.count);
    EXPECT_EQ(m_tap->seen[16 * 1023].addr, CHUNK0 + 1023 * PAGE);
    EXPECT_EQ(m_tap->seen[16 * 1024].addr, CHUNK1);
    EXPECT_EQ(m_tap->seen[16 * 1029 + 15].addr, CHUNK1 + 5 * PAGE + 15 * 256);
  });
}

// WARM writes one line of each page of the window first, THRASH of every page the
// host gave; neither is counted in the measurement.
TEST_F(pciebench_bench, warm_and_thrash_touch_each_page_before_the_run) {
  build();
  run_thread([&] {
    probe();
    experiment e;
    e.test = pbd::BW_DMA_RD;
    e.flags = pbd::FLAG_WARM;
    e.window = 40 * KiB;  // 10 pages
    e.in_flight = 8;
    e.count = 50;
    ASSERT_EQ(run(e), DONE);
    ASSERT_EQ(m_tap->seen.size(), 10u + 50u);
    for (unsigned p = 0; p < 10; ++p) {
      EXPECT_TRUE(m_tap->seen[p].write);
      EXPECT_EQ(m_tap->seen[p].addr, CHUNK0 + p * PAGE);
      EXPECT_EQ(m_tap->seen[p].len, 64u);
    }
    EXPECT_FALSE(m_tap->seen[10].write);
    EXPECT_EQ(m_tap->seen[10].addr, CHUNK0);
    EXPECT_EQ(rd(pbd::TRANSFERS), 50u);
    EXPECT_EQ(m_dev->transfers(), 50u);
    // The measurement starts when the last warming write is in memory.
    EXPECT_GT(rd(pbd::START_TS), counter(t0, khz()));

    m_tap->seen.clear();
    e.flags = pbd::FLAG_THRASH;
    e.chunks = {CHUNK0};
    ASSERT_EQ(run(e), DONE);
    ASSERT_EQ(m_tap->seen.size(), 1024u + 50u);  // every page of one 4 MiB chunk
    EXPECT_EQ(m_tap->seen[1023].addr, CHUNK0 + 1023 * PAGE);
  });
}

// 7. Parameters the engine refuses end the run at once with ERR_PARAMS, before any
// DMA; without Bus Master Enable, ERR_NO_BUS_MASTER. Writing 1 to ERROR clears the code.
TEST_F(pciebench_bench, bad_parameters_and_no_bus_master_fail_without_dma) {
  build();
  run_thread([&] {
    probe();
    auto bad = [](const char* what, auto edit) {
      experiment e;
      e.test = pbd::BW_DMA_RD;
      e.in_flight = 8;
      e.count = 10;
      edit(e);
      return std::make_pair(std::string(what), e);
    };
    const std::vector<std::pair<std::string, experiment>> cases = {
        bad("SIZE + HOST_OFF > 4096", [](experiment& e) { e.size = 4000, e.host_off = 100; }),
        bad("SIZE > 4096", [](experiment& e) { e.size = 4097; }),
        bad("SIZE 0", [](experiment& e) { e.size = 0; }),
        bad("WINDOW not a multiple of 64", [](experiment& e) { e.window = 8200; }),
        bad("WINDOW smaller than SIZE", [](experiment& e) { e.size = 128, e.window = 64; }),
        bad("WINDOW > CHUNKS x 4 MiB", [](experiment& e) { e.window = 8 * MiB + 64; }),
        bad("CHUNKS 0", [](experiment& e) { e.chunks.clear(); }),
        bad("IN_FLIGHT 0", [](experiment& e) { e.in_flight = 0; }),
        bad("IN_FLIGHT 257", [](experiment& e) { e.in_flight = 257; }),
        bad("TEST 9", [](experiment& e) { e.test = 9; }),
        bad("TEST 2 (LAT_CMD_WRRD)", [](experiment& e) { e.test = 2; }),
        bad("WARM and THRASH", [](experiment& e) { e.flags = pbd::FLAG_WARM | pbd::FLAG_THRASH; }),
        bad("DEV_OFF + SIZE > 8 KiB", [](experiment& e) { e.dev_off = 8192 - 32; }),
        bad("a journal longer than 16 Mi", [](experiment& e) { e.test = pbd::LAT_DMA_RD, e.count = (16u << 20) + 1; }),
    };
    for (const auto& [what, e] : cases) {
      EXPECT_EQ(run(e), error_status(pbd::ERR_PARAMS)) << what;
      EXPECT_EQ(rd(pbd::TRANSFERS), 0u) << what;
      EXPECT_EQ(rd(pbd::END_TS), 0u) << what;
      wr(pbd::STATUS, 4, pbd::STATUS_ERROR);
      EXPECT_EQ(rd(pbd::STATUS, 4), 0u) << what;  // the code goes with ERROR
    }
    EXPECT_EQ(m_dev->requests_issued(), 0u);
    EXPECT_EQ(m_dev->runs(), 0u);
    // The limits themselves are fine.
    experiment ok;
    ok.size = 4000;
    ok.host_off = 96;
    ok.window = 8 * MiB;
    ok.in_flight = 256;
    ok.count = 3;
    EXPECT_EQ(run(ok), DONE);
    wr(pbd::STATUS, 4, pbd::STATUS_DONE);
    EXPECT_EQ(rd(pbd::STATUS, 4), 0u);
    const uint64_t requests = m_dev->requests_issued();

    cfg_write(pcie::CFG_COMMAND, 2, pcie::COMMAND_MEMORY);  // Bus Master Enable off
    experiment e;
    e.count = 10;
    EXPECT_EQ(run(e), error_status(pbd::ERR_NO_BUS_MASTER));
    EXPECT_EQ(m_dev->requests_issued(), requests);
  });
}

// A request that fails (an IOMMU fault, an Unsupported Request) stops the run with
// ERR_DMA and the failing address; what was issued before it still completes.
TEST_F(pciebench_bench, a_failed_request_stops_the_run_with_err_dma) {
  build();
  m_tap->fail_lo = CHUNK0 + 5 * 64;
  m_tap->fail_hi = CHUNK0 + 6 * 64;
  unsigned irqs = 0;
  m_dev->set_interrupt_handler([&] { ++irqs; });
  run_thread([&] {
    probe();
    experiment e;
    e.test = pbd::BW_DMA_WR;
    e.in_flight = 4;
    e.count = 100;
    e.irq = true;
    EXPECT_EQ(run(e), error_status(pbd::ERR_DMA));
    EXPECT_EQ(irqs, 1u);  // the end of the run, failed or not
    EXPECT_EQ(rd(pbd::ERR_ADDR), CHUNK0 + 5 * 64);
    EXPECT_EQ(m_tap->seen.size(), 6u);  // nothing after the failing one
    EXPECT_EQ(m_dev->transfers(), 5u);
    EXPECT_EQ(m_dev->runs(), 0u);
    // The next run is clean; a run refused at START interrupts too; none without IRQ_EN.
    m_tap->fail_hi = 0;
    EXPECT_EQ(run(e), DONE);
    EXPECT_EQ(rd(pbd::ERR_ADDR), 0u);
    EXPECT_EQ(irqs, 2u);
    e.in_flight = 0;
    EXPECT_EQ(run(e), error_status(pbd::ERR_PARAMS));
    EXPECT_EQ(irqs, 3u);
    e.in_flight = 4;
    e.irq = false;
    EXPECT_EQ(run(e), DONE);
    EXPECT_EQ(irqs, 3u);
  });
}

// 6. The statistics functions against hand-computed ListStats values.
TEST(pciebench_stats, percentile_and_median_follow_pcie_benchs_list_stats) {
  using v = std::vector<uint32_t>;
  EXPECT_EQ(pbd::median(v{}), 0.0);
  EXPECT_EQ(pbd::percentile(v{}, 95), 0.0);
  EXPECT_EQ(pbd::median(v{7}), 7.0);
  EXPECT_EQ(pbd::percentile(v{7}, 99.9), 7.0);
  EXPECT_EQ(pbd::median(v{1, 2, 3, 4}), 2.5);      // mean of the middle two
  EXPECT_EQ(pbd::median(v{1, 2, 4, 9, 10}), 4.0);  // the middle one
  EXPECT_EQ(pbd::median(v{3, 3}), 3.0);
  EXPECT_EQ(pbd::median(v{400, 401}), 400.5);
  // idx = (n - 1) p / 100, linear between the closest ranks.
  EXPECT_DOUBLE_EQ(pbd::percentile(v{1, 2, 3, 4}, 50), 2.5);   // idx 1.5
  EXPECT_DOUBLE_EQ(pbd::percentile(v{1, 2, 3, 4}, 95), 3.85);  // idx 2.85: 3 x 0.15 + 4 x 0.85
  EXPECT_DOUBLE_EQ(pbd::percentile(v{1, 2, 3, 4}, 0), 1.0);
  EXPECT_DOUBLE_EQ(pbd::percentile(v{1, 2, 3, 4}, 100), 4.0);
  EXPECT_DOUBLE_EQ(pbd::percentile(v{15, 20, 35, 40, 50}, 25), 20.0);  // idx 1: exact rank
  EXPECT_DOUBLE_EQ(pbd::percentile(v{15, 20, 35, 40, 50}, 40), 29.0);  // idx 1.6: 20 x 0.4 + 35 x 0.6
  EXPECT_NEAR(pbd::percentile(v{1, 2, 3, 4, 5}, 99.9), 4.996, 1e-12);  // idx 3.996
  // 1000 samples 1..1000: the 95th at idx 949.05, the 99.9th at 998.001.
  v thousand(1000);
  for (uint32_t i = 0; i < 1000; ++i) thousand[i] = i + 1;
  EXPECT_NEAR(pbd::percentile(thousand, 95), 950.05, 1e-9);
  EXPECT_NEAR(pbd::percentile(thousand, 99.9), 999.001, 1e-9);
  EXPECT_EQ(pbd::median(thousand), 500.5);
}

}  // namespace
}  // namespace iovsim
