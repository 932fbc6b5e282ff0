// The modelling kit's sim_env: one at a time, the log line, times, parameters and
// their overrides, the Chrome trace (valid JSON, ordered, bounded, sampled, counter
// tracks), random streams per model; and the sanitizer build's munmap.
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cctype>
#include <cstdlib>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/kit/asan.h"
#include "models/kit/rng.h"
#include "models/kit/sim_env.h"
#include "tests/unit/test_util.h"
#ifdef IOVSIM_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace iovsim::kit {
namespace {

using sc_core::SC_NS;
using sc_core::sc_time;
using sc_core::SC_US;
// ---------------------------------------------------------------------------
// sim_env

TEST(sim_env, one_at_a_time) {
  EXPECT_FALSE(sim_env::exists());
  EXPECT_THROW(sim_env::current(), std::logic_error);
  {
    sim_env env(5);
    EXPECT_TRUE(sim_env::exists());
    EXPECT_EQ(&sim_env::current(), &env);
    EXPECT_EQ(env.seed(), 5u);
    EXPECT_THROW(sim_env second(6), std::logic_error);
  }
  EXPECT_FALSE(sim_env::exists());
}

TEST(sim_env, log_line_format) {
  sim_env env(1);
  env.log("pci", "top.nic.pf0", "VF Enable set");
  env.log("host", "host.kernel", "boot done");
  ASSERT_EQ(env.log_lines().size(), 2u);
  EXPECT_EQ(env.log_lines()[0], "[0.000000000] top.nic.pf0: VF Enable set");
  EXPECT_EQ(env.log_lines()[1], "[0.000000000] host.kernel: boot done");
}

TEST(sim_env, format_sim_time) {
  EXPECT_EQ(format_sim_time(sc_time(0, SC_NS)), "0.000000000");
  EXPECT_EQ(format_sim_time(sc_time(100, sc_core::SC_MS)), "0.100000000");
  EXPECT_EQ(format_sim_time(sc_time(2.5, SC_US)), "0.000002500");
  EXPECT_EQ(format_sim_time(sc_time(3, sc_core::SC_SEC) + sc_time(7, SC_NS)), "3.000000007");
  EXPECT_EQ(format_sim_time(sc_time(999, sc_core::SC_PS)), "0.000000000");  // below a nanosecond
}

TEST(sim_env, parse_time_into_sc_time) {
  sc_time t;
  ASSERT_TRUE(parse_time("2.5us", t));
  EXPECT_EQ(t, sc_time(2500, SC_NS));
  sc_time keep(1, SC_NS);
  EXPECT_FALSE(parse_time("2.5", keep));
  EXPECT_EQ(keep, sc_time(1, SC_NS));
}

TEST(sim_env, params_default_and_override) {
  sim_env env(1);
  param_registry& p = env.params();
  p.set_override("a.latency", "250ns");
  p.set_override("a.depth", "0x10");
  const scope a{"a", "a"};
  EXPECT_EQ(param<sc_time>(a, "latency", sc_time(1, SC_US), "doc")(), sc_time(250, SC_NS));
  EXPECT_EQ(param<sc_time>(a, "other", sc_time(1, SC_US), "doc")(), sc_time(1, SC_US));
  EXPECT_EQ(param<uint64_t>(a, "depth", 4, "entries", "queue depth")(), 16u);
  EXPECT_EQ(param<unsigned>(a, "width", 8, "lanes", "link width")(), 8u);
  const auto& d = p.declared();
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(d.at("a.depth").unit, "entries");
  EXPECT_EQ(d.at("a.depth").default_text, "4");
  EXPECT_EQ(d.at("a.depth").value_text, "16");
  EXPECT_EQ(d.at("a.depth").doc, "queue depth");
  EXPECT_EQ(d.at("a.latency").unit, "s");
  EXPECT_EQ(d.at("a.latency").value_text, sc_time(250, SC_NS).to_string());
  EXPECT_EQ(d.at("a.latency").default_text, sc_time(1, SC_US).to_string());
}

using test::invalid_argument_of;

TEST(sim_env, bad_overrides_throw_naming_the_parameter) {
  sim_env env(1);
  param_registry& p = env.params();
  const scope top{"top", "top"};
  p.set_override("top.t", "fast");
  EXPECT_EQ(invalid_argument_of([&] { param<sc_time>(top, "t", sc_time(1, SC_NS), ""); }),
            "parameter top.t: \"fast\" is not a time (use e.g. 100ns, 2.5us, 1ms)");
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"n1", "12abc"}, {"n2", "-3"}, {"n3", ""}, {"n4", "99999999999999999999999"}, {"n5", "10ns"}};
  for (const auto& [name, value] : bad) {
    p.set_override("top." + name, value);
    EXPECT_EQ(invalid_argument_of([&, n = name] { param<uint64_t>(top, n, 1, "count", ""); }),
              "parameter top." + name + ": \"" + value + "\" is not a whole number");
  }
  EXPECT_EQ(p.declared().count("top.t"), 0u);  // a refused value declares nothing
}

TEST(sim_env, unused_overrides_are_reported_sorted) {
  sim_env env(1);
  param_registry& p = env.params();
  p.set_override("z.unknown", "1");
  p.set_override("a.used", "3");
  p.set_override("b.typo", "1ns");
  param<uint64_t>(scope{"a", "a"}, "used", 1, "count", "");
  EXPECT_EQ(p.unused_overrides(), (std::vector<std::string>{"b.typo", "z.unknown"}));
}

// A small JSON reader, enough to check that trace_json() is well formed.
struct json {
  enum kind_t { NUL, BOOL, NUM, STR, ARR, OBJ } kind = NUL;
  double num = 0;
  std::string str;
  std::vector<json> arr;
  std::vector<std::pair<std::string, json>> obj;
  const json* get(const std::string& k) const {
    for (const auto& [key, v] : obj)
      if (key == k) return &v;
    return nullptr;
  }
};

class json_reader {
 public:
  explicit json_reader(const std::string& s) : m_s(s) {}
  bool parse(json& out) {
    if (!value(out)) return false;
    ws();
    return m_i == m_s.size();
  }

 private:
  void ws() {
    while (m_i < m_s.size() && std::isspace(static_cast<unsigned char>(m_s[m_i]))) ++m_i;
  }
  bool lit(const char* w) {
    const std::string word(w);
    if (m_s.compare(m_i, word.size(), word) != 0) return false;
    m_i += word.size();
    return true;
  }
  bool string(std::string& out) {
    if (m_s[m_i] != '"') return false;
    for (++m_i; m_i < m_s.size(); ++m_i) {
      const char c = m_s[m_i];
      if (c == '"') return ++m_i, true;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c == '\\') {
        if (++m_i >= m_s.size()) return false;
        const char e = m_s[m_i];
        if (e == 'u') {
          if (m_i + 4 >= m_s.size()) return false;
          out += static_cast<char>(std::strtol(m_s.substr(m_i + 1, 4).c_str(), nullptr, 16));
          m_i += 4;
        } else if (e == 'n')
          out += '\n';
        else if (e == '"' || e == '\\' || e == '/')
          out += e;
        else
          return false;
      } else {
        out += c;
      }
    }
    return false;
  }
  bool value(json& v) {
    ws();
    if (m_i >= m_s.size()) return false;
    const char c = m_s[m_i];
    if (c == '{') {
      v.kind = json::OBJ;
      ++m_i;
      ws();
      if (m_s[m_i] == '}') return ++m_i, true;
      while (true) {
        ws();
        std::string key;
        if (!string(key)) return false;
        ws();
        if (m_s[m_i++] != ':') return false;
        json child;
        if (!value(child)) return false;
        v.obj.emplace_back(key, std::move(child));
        ws();
        if (m_s[m_i] == ',')
          ++m_i;
        else if (m_s[m_i] == '}')
          return ++m_i, true;
        else
          return false;
      }
    }
    if (c == '[') {
      v.kind = json::ARR;
      ++m_i;
      ws();
      if (m_s[m_i] == ']') return ++m_i, true;
      while (true) {
        json child;
        if (!value(child)) return false;
        v.arr.push_back(std::move(child));
        ws();
        if (m_s[m_i] == ',')
          ++m_i;
        else if (m_s[m_i] == ']')
          return ++m_i, true;
        else
          return false;
      }
    }
    if (c == '"') return v.kind = json::STR, string(v.str);
    if (lit("true") || lit("false")) return v.kind = json::BOOL, true;
    if (lit("null")) return true;
    char* end = nullptr;
    v.kind = json::NUM;
    v.num = std::strtod(m_s.c_str() + m_i, &end);
    if (end == m_s.c_str() + m_i) return false;
    m_i = static_cast<size_t>(end - m_s.c_str());
    return true;
  }

  const std::string& m_s;
  size_t m_i = 0;
};

TEST(sim_env, trace_json_is_valid_and_ordered_by_time) {
  sim_env env(1);
  env.trace_complete("nic.dma", "read \"desc\"", "dma", sc_time(5, SC_US), sc_time(1500, sc_core::SC_PS));
  env.trace_complete("pcie.link", "tlp", "link", sc_time(2, SC_US), sc_time(1, SC_US), R"({"bytes":64})");
  env.trace_instant("nic.dma", "doorbell", "mmio");  // at time 0
  env.trace_complete("pcie.link", "tlp2", "link", sc_time(2, SC_US), sc_time(1, SC_NS));

  const std::string text = env.trace_json();
  json doc;
  ASSERT_TRUE(json_reader(text).parse(doc)) << text;
  ASSERT_EQ(doc.kind, json::OBJ);
  ASSERT_NE(doc.get("displayTimeUnit"), nullptr);
  EXPECT_EQ(doc.get("displayTimeUnit")->str, "ns");
  const json* events = doc.get("traceEvents");
  ASSERT_NE(events, nullptr);
  ASSERT_EQ(events->arr.size(), 3u + 4u);  // process name, two thread names, four events

  // Metadata first: the process, then one thread per model in first-use order.
  const json& proc = events->arr[0];
  EXPECT_EQ(proc.get("ph")->str, "M");
  EXPECT_EQ(proc.get("name")->str, "process_name");
  EXPECT_EQ(proc.get("args")->get("name")->str, "iovsim");
  const json& t1 = events->arr[1];
  const json& t2 = events->arr[2];
  EXPECT_EQ(t1.get("name")->str, "thread_name");
  EXPECT_EQ(t1.get("tid")->num, 1);
  EXPECT_EQ(t1.get("args")->get("name")->str, "nic.dma");
  EXPECT_EQ(t2.get("tid")->num, 2);
  EXPECT_EQ(t2.get("args")->get("name")->str, "pcie.link");

  // Events by time; equal times keep emission order.
  std::vector<std::string> names;
  for (size_t i = 3; i < events->arr.size(); ++i) names.push_back(events->arr[i].get("name")->str);
  EXPECT_EQ(names, (std::vector<std::string>{"doorbell", "tlp", "tlp2", "read \"desc\""}));
  const json& doorbell = events->arr[3];
  EXPECT_EQ(doorbell.get("ph")->str, "i");
  EXPECT_EQ(doorbell.get("s")->str, "t");
  EXPECT_EQ(doorbell.get("dur"), nullptr);
  EXPECT_EQ(doorbell.get("tid")->num, 1);
  const json& tlp = events->arr[4];
  EXPECT_EQ(tlp.get("ph")->str, "X");
  EXPECT_EQ(tlp.get("cat")->str, "link");
  EXPECT_EQ(tlp.get("ts")->num, 2.0);
  EXPECT_EQ(tlp.get("dur")->num, 1.0);
  EXPECT_EQ(tlp.get("pid")->num, 1);
  EXPECT_EQ(tlp.get("tid")->num, 2);
  EXPECT_EQ(tlp.get("args")->get("bytes")->num, 64);
  // Timestamps are microseconds printed exactly from picoseconds.
  EXPECT_NE(text.find(R"("ts":5.000000,"pid":1,"tid":1,"dur":0.001500)"), std::string::npos) << text;
}

// A trace stays bounded: past trace.max_events events are counted, not kept; per-frame
// events are sampled one in trace.sample_every; counter tracks are "C" events.
TEST(sim_env, the_trace_is_bounded_sampled_and_has_counter_tracks) {
  sim_env env(1);
  env.set_trace_limits(3, 4);
  uint64_t seq = 0;
  int kept = 0;
  for (int i = 0; i < 9; ++i) kept += env.trace_sample(seq);
  EXPECT_EQ(kept, 3) << "frames 0, 4 and 8 of nine";
  env.trace_counter("nic.port0", "rx rate", "nic", "frames/s", 14880952);
  env.trace_instant("nic.port0", "a", "nic");
  env.trace_instant("nic.port0", "b", "nic");
  env.trace_instant("nic.port0", "c", "nic");  // the fourth: past the bound
  env.trace_instant("nic.port0", "d", "nic");
  EXPECT_EQ(env.trace_events(), 3u);
  EXPECT_EQ(env.trace_events_dropped(), 2u);
  json doc;
  ASSERT_TRUE(json_reader(env.trace_json()).parse(doc));
  const json& counter = doc.get("traceEvents")->arr[2];
  EXPECT_EQ(counter.get("ph")->str, "C");
  EXPECT_EQ(counter.get("name")->str, "rx rate");
  EXPECT_EQ(counter.get("args")->get("frames/s")->num, 14880952);
  env.set_trace_limits(100, 0);  // 0 means every one
  EXPECT_EQ(env.trace_sample_every(), 1u);
}

TEST(sim_env, rng_streams_per_model) {
  sim_env a(9);
  rng_stream x = a.rng("nic"), y = rng_stream(9, "nic");
  EXPECT_EQ(x.next(), y.next());
}

// The sanitizer build's munmap (kit/systemc_asan.cpp): memory unmapped with ASan marks
// in it (a coroutine stack whose thread was still suspended) must not pass them on
// to the next mapping at that address, or the next coroutine stack there reports
// errors that are not there.
TEST(systemc_asan, unmapped_memory_passes_no_marks_on) {
#ifndef IOVSIM_ASAN
  GTEST_SKIP() << "only the sanitizer build replaces munmap";
#else
  constexpr size_t LEN = 4 * 4096;
  void* p = mmap(nullptr, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  __asan_poison_memory_region(static_cast<char*>(p) + 4096, 64);  // as a frame's redzone
  ASSERT_EQ(munmap(p, LEN), 0);
  void* q = mmap(p, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (q == MAP_FAILED) GTEST_SKIP() << "the address was taken again before the test could map it";
  EXPECT_EQ(__asan_region_is_poisoned(q, LEN), nullptr);
  munmap(q, LEN);
#endif
}

}  // namespace
}  // namespace iovsim::kit
