// The time-series sampler (models/kit/series.h): counters as increases per interval,
// gauges as values, the last partial interval, decimation when the buffer is full,
// tracks made and gone during the run, the bytes of series.json, the trace's counter
// events and the VCD file SystemC writes.
#include "models/kit/series.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <string>

#include "models/kit/sim_env.h"
#include "tests/unit/sc_fixture.h"

namespace iovsim::kit {
namespace {

using sc_core::sc_time;
using sc_core::SC_US;

class series_test : public test::sc_fixture {
 protected:
  // Runs `body` in a thread, the run stopping when it ends (as the engine's runner
  // does), and returns what the sampler made of it.
  const series_data& run(const std::function<void()>& body, const std::string& vcd = "") {
    const series_params params;
    test::thread_bench bench("bench", [&] {
      body();
      sc_core::sc_stop();
    });
    series_sampler sampler(params);
    if (!vcd.empty()) sampler.trace_vcd(vcd);
    sc_core::sc_start();
    sampler.finish();
    taken = sampler.samples_taken();
    return env->series().result();
  }
  static void wait_us(double us) { sc_core::wait(sc_time(us, SC_US)); }
  uint64_t taken = 0;
};

TEST_F(series_test, counters_gauges_and_the_bytes_of_series_json) {
  env->params().set_override("series.interval", "10us");
  uint64_t rx = 0, idle = 0;
  double ring = 0;
  stat_group group("dev");
  counter drops(group, "drops", "frames", "frames dropped");
  const series_track t_rx("dev.rx_bytes", series_category::throughput, "01:00.0 rx", "bytes", rx);
  const series_track t_ring("dev.ring", series_category::ring, "ring", "descriptors", series_kind::gauge,
                            [&] { return ring; });
  const series_track t_idle("dev.idle", series_category::throughput, "idle", "bytes", idle);
  const series_track t_drops(drops, series_category::drops, "drops");
  const series_data& d = run([&] {
    wait_us(5);
    rx = 100;
    ring = 2;
    wait_us(10);  // 15 us
    rx = 150;
    ++drops;
    wait_us(10);  // 25 us
    ring = 7;
    wait_us(10);  // 35 us
    rx = 400;
    wait_us(10);  // 45 us: the run ends inside the fifth interval
    rx = 401;
  });
  EXPECT_EQ(taken, 5u);
  // The idle track is left out; categories in order (throughput, drops, ring).
  EXPECT_EQ(series_json(d),
            "{\"interval_s\": 1e-05,\n"
            " \"time_s\": [1e-05, 2e-05, 3e-05, 4e-05, 4.5e-05],\n"
            " \"tracks\": [\n"
            "  {\"name\": \"dev.rx_bytes\", \"label\": \"01:00.0 rx\", \"category\": \"throughput\", \"unit\": "
            "\"bytes\", \"kind\": \"counter\",\n"
            "   \"values\": [100, 50, 0, 250, 1]},\n"
            "  {\"name\": \"dev.drops\", \"label\": \"drops\", \"category\": \"drops\", \"unit\": \"frames\", "
            "\"kind\": \"counter\",\n"
            "   \"values\": [0, 1, 0, 0, 0]},\n"
            "  {\"name\": \"dev.ring\", \"label\": \"ring\", \"category\": \"ring\", \"unit\": \"descriptors\", "
            "\"kind\": \"gauge\",\n"
            "   \"values\": [2, 2, 7, 7, 7]}]}\n");
  // Counter events cover their interval (drawn from its start), gauges at their time;
  // a value equal to the previous is not repeated; a counter drops to 0 at the end.
  const std::string events = series_trace_events(d);
  EXPECT_NE(events.find(R"({"name":"process_name","ph":"M","pid":2,"tid":0,"args":{"name":"series: throughput"}})"),
            std::string::npos);
  EXPECT_NE(
      events.find(
          R"({"name":"dev.rx_bytes","cat":"series","ph":"C","ts":0.000000,"pid":2,"tid":0,"args":{"bytes":100}})"),
      std::string::npos);
  EXPECT_NE(events.find(
                R"({"name":"dev.rx_bytes","cat":"series","ph":"C","ts":45.000000,"pid":2,"tid":0,"args":{"bytes":0}})"),
            std::string::npos);
  EXPECT_NE(
      events.find(
          R"({"name":"dev.ring","cat":"series","ph":"C","ts":30.000000,"pid":4,"tid":0,"args":{"descriptors":7}})"),
      std::string::npos);
  EXPECT_EQ(events.find(R"("ts":40.000000,"pid":4)"), std::string::npos);  // 7 again: not repeated
}

TEST_F(series_test, a_full_buffer_merges_pairs_and_doubles_the_interval) {
  env->params().set_override("series.interval", "10us");
  env->params().set_override("series.max_samples", "4");
  uint64_t frames = 0;
  double level = 0;
  const series_track t_frames("q.frames", series_category::throughput, "frames", "frames", frames);
  const series_track t_level("q.level", series_category::ring, "level", "descriptors", series_kind::gauge,
                             [&] { return level; });
  const series_data& d = run([&] {
    for (int i = 0; i < 8; ++i) {  // at 5, 15, ... 75 us
      wait_us(i ? 10 : 5);
      ++frames;
      level = i;
    }
    wait_us(10);  // 85 us
  });
  // 10..40 us merge into 20, 40; 60 and 80 fill it again: 40, 80; then 85 (the end).
  EXPECT_EQ(taken, 7u);
  EXPECT_EQ(d.interval_ps, 40000000u);
  EXPECT_EQ(d.time_ps, (std::vector<uint64_t>{40000000, 80000000, 85000000}));
  ASSERT_EQ(d.tracks.size(), 2u);
  EXPECT_EQ(d.tracks[0].name, "q.frames");
  EXPECT_EQ(d.tracks[0].values, (std::vector<double>{4, 4, 0}));  // conserved: 8 in all
  EXPECT_EQ(d.tracks[1].values, (std::vector<double>{3, 7, 7}));  // the later of each pair
}

TEST_F(series_test, tracks_made_and_gone_during_the_run) {
  env->params().set_override("series.interval", "10us");
  uint64_t hits = 5;  // a requester's first lookups, counted before its track was made
  std::unique_ptr<series_track> late;
  uint64_t vf_bytes = 7;
  series_track dormant("vf.rx_bytes", series_category::throughput, "vf rx", "bytes", vf_bytes);
  dormant.set_live(false);  // a VF not enabled yet: what it shows is not read
  const series_data& d = run([&] {
    wait_us(22);
    late = std::make_unique<series_track>("dmar.hits", series_category::iotlb, "hits", "lookups", hits);
    wait_us(11);  // 33 us
    hits += 9;
    vf_bytes += 1;
    dormant.set_live(true);  // counts from here
    late.reset();            // its last 9 go into the next sample
    wait_us(4);
    vf_bytes += 100;
    wait_us(8);  // 45 us
  });
  ASSERT_EQ(d.tracks.size(), 2u);
  EXPECT_EQ(d.tracks[0].name, "vf.rx_bytes");
  EXPECT_EQ(d.tracks[0].values, (std::vector<double>{0, 0, 0, 100, 0}));
  EXPECT_EQ(d.tracks[1].name, "dmar.hits");
  EXPECT_EQ(d.tracks[1].label, "hits");
  EXPECT_EQ(d.tracks[1].values, (std::vector<double>{0, 0, 5, 9, 0}));
}

TEST_F(series_test, run_vcd_is_systemc_s_file_with_one_variable_per_track) {
  env->params().set_override("series.interval", "10us");
  uint64_t rx = 0;
  double ring = 0;
  const series_track t_rx("nic0.port0.pf.rx_bytes", series_category::throughput, "01:00.0 rx", "bytes", rx);
  const series_track t_ring("nic0.port0.pf.rx_ring_free", series_category::ring, "ring", "descriptors",
                            series_kind::gauge, [&] { return ring; });
  const std::filesystem::path dir = std::filesystem::path(IOVSIM_BINARY_DIR) / "series-test";
  std::filesystem::create_directories(dir);
  run(
      [&] {
        wait_us(5);
        rx = 1514;
        ring = 511;
        wait_us(30);  // 35 us
        rx = 3028;
        wait_us(10);
      },
      (dir / "series").string());
  std::ifstream in(dir / "series.vcd");
  ASSERT_TRUE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  const std::string vcd = text.str();
  // Header: a date (so the file is never compared), a timescale, one real per track.
  EXPECT_NE(vcd.find("$date"), std::string::npos);
  EXPECT_NE(vcd.find("$timescale"), std::string::npos);
  EXPECT_NE(vcd.find("$enddefinitions"), std::string::npos);
  std::map<std::string, std::string> id_of;  // variable -> identifier
  const std::regex var(R"(\$var real\s+\d+\s+(\S+)\s+(\S+)\s+\$end)");
  for (std::sregex_iterator it(vcd.begin(), vcd.end(), var), end; it != end; ++it) id_of[(*it)[2]] = (*it)[1];
  ASSERT_EQ(id_of.size(), 2u);
  ASSERT_TRUE(id_of.count("rx_bytes"));
  ASSERT_TRUE(id_of.count("rx_ring_free"));
  // Values when the sampler read them: the counter's running total, the gauge's value.
  const size_t at5 = vcd.find("\n#5000000\n"), at35 = vcd.find("\n#35000000\n");
  ASSERT_NE(at5, std::string::npos);
  ASSERT_NE(at35, std::string::npos);
  EXPECT_NE(vcd.find("r1514 " + id_of["rx_bytes"], at5), std::string::npos);
  EXPECT_NE(vcd.find("r511 " + id_of["rx_ring_free"], at5), std::string::npos);
  EXPECT_NE(vcd.find("r3028 " + id_of["rx_bytes"], at35), std::string::npos);
}

}  // namespace
}  // namespace iovsim::kit
