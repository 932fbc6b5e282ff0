// The kit's declarations: parameters as members (instance and kind names, ranges,
// enumerations by name), statistics (counters, formulas, distributions, groups and
// their listing order), register builders with named fields, and log categories.
#include <gtest/gtest.h>

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/kit/param.h"
#include "models/kit/reg_bank.h"
#include "models/kit/sim_env.h"
#include "models/kit/stats.h"
#include "tests/unit/test_util.h"

namespace iovsim::kit {
namespace {

using sc_core::sc_time;
using sc_core::SC_NS;

using test::invalid_argument_of;

enum class policy { lru, random };

// A model's parameters, declared the way models declare them.
struct model {
  scope m_scope;
  param<sc_time> latency{m_scope, "latency", sc_time(4, SC_NS), "a lookup"};
  param<unsigned> entries{m_scope, "entries", 1024, "entries", "cache entries", {1, 1u << 20}};
  enum_param<policy> replacement{m_scope, "replacement", policy::lru,
                                 {{"lru", policy::lru}, {"random", policy::random}}, "replacement policy"};
  explicit model(std::string path) : m_scope{std::move(path), "cache"} {}
};

TEST(params, instance_name_beats_kind_name_and_defaults_stay) {
  sim_env env(1);
  env.params().set_override("cache.entries", "64");      // every cache
  env.params().set_override("c1.entries", "16");         // this one
  env.params().set_override("c1.replacement", "random");
  model c0("c0"), c1("c1");
  EXPECT_EQ(c0.entries(), 64u);
  EXPECT_EQ(c1.entries(), 16u);
  EXPECT_EQ(c0.latency(), sc_time(4, SC_NS));
  EXPECT_EQ(c0.replacement(), policy::lru);
  EXPECT_EQ(c1.replacement(), policy::random);
  EXPECT_EQ(c0.entries.key(), "cache.entries");
  EXPECT_EQ(c1.entries.key(), "c1.entries");
  EXPECT_EQ(c1.entries.sibling(c1.latency), "c1.latency");
  EXPECT_EQ(c0.entries.sibling(c0.latency), "cache.latency");   // named the way entries was set
  const auto& d = env.params().declared();
  ASSERT_EQ(d.count("c0.entries"), 1u);
  EXPECT_EQ(d.at("c0.entries").kind_name, "cache.entries");
  EXPECT_EQ(d.at("c0.entries").unit, "entries");
  EXPECT_EQ(d.at("c0.entries").default_text, "1024");
  EXPECT_EQ(d.at("c0.entries").value_text, "64");
  EXPECT_EQ(d.at("c1.replacement").unit, "one of lru, random");
  EXPECT_EQ(d.at("c1.replacement").value_text, "random");
  EXPECT_TRUE(env.params().unused_overrides().empty());
}

TEST(params, bad_values_name_the_parameter_as_it_was_set) {
  sim_env env(1);
  env.params().set_override("cache.entries", "0");
  EXPECT_EQ(invalid_argument_of([] { model m("c0"); }), "parameter cache.entries: 0 is not in 1..1048576");
  env.params().set_override("cache.entries", "5000000");
  EXPECT_EQ(invalid_argument_of([] { model m("c0"); }), "parameter cache.entries: 5000000 is not in 1..1048576");
  env.params().set_override("cache.entries", "12");
  env.params().set_override("c0.latency", "fast");
  EXPECT_EQ(invalid_argument_of([] { model m("c0"); }),
            "parameter c0.latency: \"fast\" is not a time (use e.g. 100ns, 2.5us, 1ms)");
  env.params().set_override("c0.latency", "1ns");
  env.params().set_override("c0.replacement", "fifo");
  EXPECT_EQ(invalid_argument_of([] { model m("c0"); }),
            "parameter c0.replacement: \"fifo\" is not one of lru, random");
  env.params().set_override("c0.replacement", "lru");
  env.params().set_override("c0.entries", "-1");
  EXPECT_EQ(invalid_argument_of([] { model m("c0"); }), "parameter c0.entries: \"-1\" is not a whole number");
  env.params().set_override("c0.entries", "4294967296");   // beyond unsigned
  EXPECT_EQ(invalid_argument_of([] { model m("c0"); }), "parameter c0.entries: \"4294967296\" is not a whole number");
  env.params().set_override("c0.entries", "0x40");
  model ok("c0");
  EXPECT_EQ(ok.entries(), 64u);
  EXPECT_EQ(invalid_argument_of([&] { ok.entries.fail("does not divide 3"); }),
            "parameter c0.entries: does not divide 3");
}

TEST(params, an_override_no_model_declared_is_unused) {
  sim_env env(1);
  env.params().set_override("cache.entires", "1");
  env.params().set_override("c9.entries", "1");
  model m("c0");
  EXPECT_EQ(env.params().unused_overrides(), (std::vector<std::string>{"c9.entries", "cache.entires"}));
}

TEST(params, time_literals) {
  EXPECT_EQ(4_ns, sc_time(4, SC_NS));
  EXPECT_EQ(2_us, sc_time(2000, SC_NS));
  EXPECT_EQ(3_ms + 5_ps, sc_time(3e9 + 5, sc_core::SC_PS));
  EXPECT_EQ(1_s, sc_time(1, sc_core::SC_SEC));
}

// ---------------------------------------------------------------------------

std::vector<std::string> listing(sim_env& env) {
  std::vector<std::string> out;
  env.stats().visit([&](const stat& s) { out.push_back(s.path() + "=" + std::to_string(s.value())); });
  return out;
}

TEST(stats, groups_list_by_name_statistics_in_declaration_order) {
  sim_env env(1);
  stat_group b("b.unit");
  counter b2(b, "zeta", "events", "second declared");
  counter b1(b, "alpha", "events", "first declared? no: declared after zeta");
  stat_group a("a.unit");
  stat_group child2(a, "03:00.0");
  stat_group child1(a, "01:00.0");
  counter c2(child2, "hits", "lookups", "");
  counter c1(child1, "hits", "lookups", "");
  double level = 2.5;
  formula f(a, "level", "s", "computed when read", [&] { return level; });
  ++b2;
  b1 += 5;
  ++c1;
  level = 7;
  EXPECT_EQ(listing(env), (std::vector<std::string>{"a.unit.level=7.000000", "a.unit.01:00.0.hits=1.000000",
                                                    "a.unit.03:00.0.hits=0.000000", "b.unit.zeta=1.000000",
                                                    "b.unit.alpha=5.000000"}));
  a.reset();
  EXPECT_EQ(c1.get(), 0u);
  EXPECT_EQ(b1.get(), 5u);
  {
    stat_group gone("c.gone");
    counter x(gone, "x", "events", "");
    EXPECT_EQ(listing(env).size(), 6u);
  }
  EXPECT_EQ(listing(env).size(), 5u);   // a group that died left the registry
  EXPECT_THROW(stat_group(a, "01:00.0"), std::logic_error);
}

TEST(stats, nozero_and_descriptions) {
  sim_env env(1);
  stat_group g("dev");
  counter used(g, "used", "events", "always shown");
  counter spare(g, "spare", "events", "shown once non-zero", true);
  EXPECT_TRUE(spare.nozero());
  EXPECT_TRUE(spare.zero());
  ++spare;
  EXPECT_FALSE(spare.zero());
  EXPECT_EQ(used.description(), "always shown");
  EXPECT_EQ(spare.unit(), "events");
  EXPECT_EQ(spare.path(), "dev.spare");
}

TEST(stats, distribution_percentiles_and_buckets) {
  sim_env env(1);
  stat_group g("dev");
  distribution d(g, "latency", "s", "time per request", 1e-12);
  EXPECT_TRUE(d.zero());
  for (int i = 0; i < 99; ++i) d.sample(1000);   // 1 ns
  d.sample(1'000'000);                            // one 1 us outlier
  EXPECT_EQ(d.count(), 100u);
  EXPECT_EQ(d.percentile(0), d.percentile(1));
  EXPECT_DOUBLE_EQ(d.min(), 1e-9);
  EXPECT_DOUBLE_EQ(d.max(), 1e-6);
  EXPECT_NEAR(d.mean(), (99 * 1e-9 + 1e-6) / 100, 1e-15);
  // 1000 lies in [960, 1023] (2^9 + 7 x 64 .. 2^10 - 1): a percentile is the largest
  // sample of its bucket, exact for repeated values.
  EXPECT_NEAR(d.percentile(50), 1000e-12, 1e-18);
  EXPECT_NEAR(d.percentile(99), 1000e-12, 1e-18);
  EXPECT_NEAR(d.percentile(100), 1e-6, 1e-15);
  const auto b = d.buckets();
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].lower, 960u);
  EXPECT_EQ(b[0].upper, 1023u);
  EXPECT_EQ(b[0].count, 99u);
  EXPECT_LE(b[1].lower, 1'000'000u);
  EXPECT_GE(b[1].upper, 1'000'000u);
  EXPECT_LE(b[1].upper - b[1].lower + 1, 1'000'000u / 8 + 1);   // 12.5% wide at most
  // Small values have a bucket each; the largest fit too.
  distribution small(g, "small", "count", "");
  for (uint64_t v : {0ull, 1ull, 7ull, 8ull, ~0ull}) small.sample(v);
  const auto sb = small.buckets();
  ASSERT_EQ(sb.size(), 5u);
  EXPECT_EQ(sb[0].upper, 0u);
  EXPECT_EQ(sb[2].lower, 7u);
  EXPECT_EQ(sb[3].lower, 8u);
  EXPECT_EQ(sb[4].upper, ~0ull);
  d.sample(1010);   // same bucket, larger: the 50th percentile moves to it
  EXPECT_NEAR(d.percentile(50), 1010e-12, 1e-18);
  d.reset();
  EXPECT_EQ(d.count(), 0u);
  EXPECT_TRUE(d.buckets().empty());
}

// ---------------------------------------------------------------------------

TEST(reg_builder, fields_give_the_masks_and_describe_values) {
  reg_bank bank("dev.regs", 0x10);
  bank.add(reg("STATUS", 0x0, 4)
               .field("BUSY", 0, 1, ro)
               .field("DONE", 1, 1, w1c)
               .field("MODE", 4, 3)
               .field("ERR_CODE", 8, 8, ro)
               .reset_to(0x0301)
               .doc("transfer state"));
  const reg_def& r = *bank.find(0);
  EXPECT_EQ(r.writable, 0x70u);
  EXPECT_EQ(r.w1c, 0x2u);
  EXPECT_EQ(r.field_named("ERR_CODE").mask(), 0xff00u);
  EXPECT_THROW(r.field_named("NOPE"), std::logic_error);
  bank.write(0, 4, 0xffffffff);   // MODE takes 7, DONE is cleared (it was 0), BUSY and ERR_CODE keep
  EXPECT_EQ(bank.read(0, 4), 0x0371u);
  EXPECT_EQ(bank.describe(0, 0x0371), "STATUS=0x371 (BUSY=1 DONE=0 MODE=0x7 ERR_CODE=0x3)");
  EXPECT_EQ(bank.describe(0x8, 5), "0x8=0x5");
  const std::string map = bank.map_text();
  EXPECT_NE(map.find("0x0000  STATUS"), std::string::npos) << map;
  EXPECT_NE(map.find("RW+W1C  transfer state"), std::string::npos) << map;
  EXPECT_NE(map.find("[15:8] ERR_CODE RO"), std::string::npos) << map;
}

TEST(reg_builder, fields_that_overlap_or_do_not_fit_are_refused) {
  EXPECT_THROW(reg("A", 0, 2).field("X", 0, 4).field("Y", 3, 2), std::logic_error);
  EXPECT_THROW(reg("B", 0, 1).field("X", 6, 4), std::logic_error);
  EXPECT_THROW(reg("C", 0, 4).field("X", 0, 0), std::logic_error);
  EXPECT_NO_THROW(reg("D", 0, 8).field("ALL", 0, 64));
}

// ---------------------------------------------------------------------------

TEST(log, one_entry_per_line_and_categories) {
  sim_env env(1);
  env.log("iommu", "dmar0", "first\nsecond");
  env.log("pci", "nic", "one");
  ASSERT_EQ(env.log_lines().size(), 3u);
  EXPECT_EQ(env.log_lines()[0], "[0.000000000] dmar0: first");
  EXPECT_EQ(env.log_lines()[1], "[0.000000000] dmar0: second");
  env.set_log_categories({"pci"});
  env.log("iommu", "dmar0", "dropped");
  env.log("pci", "nic", "kept");
  ASSERT_EQ(env.log_lines().size(), 4u);
  EXPECT_EQ(env.log_lines().back(), "[0.000000000] nic: kept");
  EXPECT_FALSE(env.log_enabled("iommu"));
  env.set_trace_categories({"dma"});
  env.trace_instant("dmar0", "walk", "iommu");
  env.trace_instant("dma0", "transfer", "dma");
  const std::string trace = env.trace_json();
  EXPECT_EQ(trace.find("\"walk\""), std::string::npos);
  EXPECT_NE(trace.find("\"transfer\""), std::string::npos);
}

}  // namespace
}  // namespace iovsim::kit
