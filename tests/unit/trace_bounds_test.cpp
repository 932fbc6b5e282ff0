// The trace of a whole run stays bounded (issue 10, "tracing at packet rates"): the
// iotlb_reach scenario moves 1,024 DMA transfers and records ~15,000 events; with
// trace.max_events lowered the file stops there and summary.txt says how many were
// not recorded; with trace.sample_every one transfer in N is a span and a counter
// track of the bytes moved carries the rest.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "scenarios/engine.h"
#include "scenarios/loader.h"
#include "scenarios/outputs.h"

namespace iovsim::scen {
namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class trace_bounds : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() /
          ("iovsim-trace-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir);
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
  run_report run(std::vector<std::pair<std::string, std::string>> sets) {
    const loaded_scenario s = load_scenario(IOVSIM_SOURCE_DIR "/scenarios/library/iotlb_reach.pbtxt");
    run_options o;
    o.out_dir = dir.string();
    o.sets = std::move(sets);
    prepare_output_dir(o.out_dir, true);
    return run_scenario(s, o);
  }
  std::filesystem::path dir;
};

TEST_F(trace_bounds, a_full_trace_stops_at_its_bound_and_the_summary_says_so) {
  const run_report r = run({{"trace.max_events", "1000"}});
  ASSERT_EQ(r.exit_code, 0) << r.error;
  const std::string trace = slurp(dir / "trace.json");
  // The time series' counter tracks (kit/series.h) come on top: bounded by series.max_samples.
  const size_t series = count(trace, "\"cat\":\"series\",\"ph\":\"C\"");
  EXPECT_GT(series, 0u);
  EXPECT_EQ(count(trace, "\"ph\":\"X\"") + count(trace, "\"ph\":\"i\"") + count(trace, "\"ph\":\"C\"") - series, 1000u);
  const std::string summary = slurp(dir / "summary.txt");
  EXPECT_NE(summary.find("trace: 1000 events recorded, "), std::string::npos) << summary.substr(0, 400);
  EXPECT_NE(summary.find("more not (trace.max_events 1000;"), std::string::npos);
}

TEST_F(trace_bounds, sampled_transfers_leave_a_counter_track) {
  const run_report all = run({});
  ASSERT_EQ(all.exit_code, 0) << all.error;
  const size_t spans_all = count(slurp(dir / "trace.json"), "\"cat\":\"dma\",\"ph\":\"X\"");
  EXPECT_EQ(slurp(dir / "summary.txt").find("trace:"), std::string::npos) << "a trace that fit says nothing";
  const run_report sampled = run({{"trace.sample_every", "10"}});
  ASSERT_EQ(sampled.exit_code, 0) << sampled.error;
  const std::string trace = slurp(dir / "trace.json");
  const size_t spans = count(trace, "\"cat\":\"dma\",\"ph\":\"X\"");
  EXPECT_GT(spans_all, 1000u);
  EXPECT_EQ(spans, (spans_all + 9) / 10);
  EXPECT_EQ(count(trace, "\"name\":\"bytes moved\",\"cat\":\"dma\",\"ph\":\"C\""), spans);
}

}  // namespace
}  // namespace iovsim::scen
