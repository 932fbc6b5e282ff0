// Modelling kit: register banks (construction checks, masks, partial accesses,
// handlers, reset), time parsing, deterministic random streams, and sim_env (log
// format, timing parameters, the Chrome trace).
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cctype>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/kit/asan.h"
#include "models/kit/reg_bank.h"
#include "models/kit/rng.h"
#include "models/kit/sim_env.h"
#include "models/kit/units.h"
#include "tests/unit/test_util.h"
#ifdef IOVSIM_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace iovsim::kit {
namespace {

using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_US;

// A register declaration without handlers (they are set on the result when needed).
reg_def reg(const std::string& name, uint32_t offset, unsigned width, uint64_t reset = 0, uint64_t writable = 0,
            uint64_t w1c = 0) {
  reg_def d;
  d.name = name;
  d.offset = offset;
  d.width = width;
  d.reset = reset;
  d.writable = writable;
  d.w1c = w1c;
  return d;
}

std::string logic_error_of(reg_bank& bank, reg_def def) {
  try {
    bank.add(std::move(def));
  } catch (const std::logic_error& e) {
    return e.what();
  }
  return "(accepted)";
}

// ---------------------------------------------------------------------------
// reg_bank

TEST(reg_bank, refuses_overlap_naming_both_registers) {
  reg_bank bank("dev", 64);
  bank.add(reg("CTRL", 0x0, 4));
  EXPECT_EQ(logic_error_of(bank, reg("STATUS", 0x2, 2)), "dev: register STATUS at 0x2 overlaps or precedes CTRL at 0x0");
  EXPECT_EQ(bank.regs().size(), 1u);
}

TEST(reg_bank, refuses_out_of_order_registers) {
  reg_bank bank("dev", 64);
  bank.add(reg("B", 0x10, 4));
  EXPECT_EQ(logic_error_of(bank, reg("A", 0x8, 4)), "dev: register A at 0x8 overlaps or precedes B at 0x10");
}

TEST(reg_bank, refuses_register_that_does_not_fit) {
  reg_bank bank("dev", 16);
  EXPECT_EQ(logic_error_of(bank, reg("LAST", 0xe, 4)), "dev: register LAST at 0xe does not fit in 16 bytes");
  EXPECT_EQ(logic_error_of(bank, reg("ODD", 0x0, 3)), "dev: register ODD has width 3");
  bank.add(reg("EXACT", 0xc, 4));  // ends exactly at the end: accepted
  EXPECT_EQ(bank.get(0xc, 4), 0u);
}

TEST(reg_bank, refuses_register_whose_end_wraps_around) {
  reg_bank bank("dev", 16);
  EXPECT_EQ(logic_error_of(bank, reg("WRAP", 0xfffffffe, 4)), "dev: register WRAP at 0xfffffffe does not fit in 16 bytes");
}

TEST(reg_bank, adjacent_registers_and_reset_values) {
  reg_bank bank("dev", 16);
  bank.add(reg("A", 0x0, 2, 0x1234));
  bank.add(reg("B", 0x2, 1, 0x1ff));  // reset is cut to the width
  bank.add(reg("C", 0x8, 8, 0x1122334455667788ull));
  EXPECT_EQ(bank.get(0x0, 4), 0x00ff1234u);
  EXPECT_EQ(bank.read(0x8, 8), 0x1122334455667788ull);
  EXPECT_EQ(bank.find(0x1)->name, "A");
  EXPECT_EQ(bank.find(0xf)->name, "C");
  EXPECT_EQ(bank.find(0x3), nullptr);
  EXPECT_EQ(bank.find(0x40), nullptr);
}

TEST(reg_bank, writable_mask_limits_software_writes) {
  reg_bank bank("dev", 8);
  bank.add(reg("CTRL", 0x0, 4, 0xa0000005, 0x0000ff0f));
  bank.write(0x0, 4, 0xffffffff);
  EXPECT_EQ(bank.read(0x0, 4), 0xa000ff0fu);
  bank.write(0x0, 4, 0);
  EXPECT_EQ(bank.read(0x0, 4), 0xa0000000u);
  // The model side ignores the mask.
  bank.set(0x0, 4, 0x12345678);
  EXPECT_EQ(bank.get(0x0, 4), 0x12345678u);
}

TEST(reg_bank, write_one_to_clear) {
  reg_bank bank("dev", 4);
  bank.add(reg("STATUS", 0x0, 2, 0, 0x00ff, 0xf000));
  bank.set(0x0, 2, 0xf000);         // hardware raised four status bits
  bank.write(0x0, 2, 0x5000);       // software clears two of them
  EXPECT_EQ(bank.read(0x0, 2), 0xa000u);
  bank.write(0x0, 2, 0x0000);       // writing 0 leaves W1C bits alone
  EXPECT_EQ(bank.read(0x0, 2), 0xa000u);
  bank.write(0x0, 2, 0x20ab);       // writable bits change in the same access
  EXPECT_EQ(bank.read(0x0, 2), 0x80abu);
}

TEST(reg_bank, byte_and_word_accesses_into_the_middle_of_a_register) {
  reg_bank bank("dev", 8);
  bank.add(reg("DATA", 0x0, 4, 0x44332211, 0xffffffff));
  EXPECT_EQ(bank.read(0x1, 1), 0x22u);
  EXPECT_EQ(bank.read(0x2, 2), 0x4433u);
  EXPECT_EQ(bank.read(0x1, 2), 0x3322u);
  bank.write(0x2, 1, 0xaa);
  EXPECT_EQ(bank.read(0x0, 4), 0x44aa2211u);
  bank.write(0x1, 2, 0xccbb);
  EXPECT_EQ(bank.read(0x0, 4), 0x44ccbb11u);
  // The byte mask applies within the register: a byte write touches only its byte.
  reg_bank masked("dev2", 4);
  masked.add(reg("M", 0x0, 4, 0, 0x00ff00ff));
  masked.write(0x2, 1, 0xff);
  EXPECT_EQ(masked.get(0x0, 4), 0x00ff0000u);
}

TEST(reg_bank, access_spanning_two_registers_and_a_gap) {
  reg_bank bank("dev", 8);
  int a_writes = 0, b_writes = 0;
  bank.add({"A", 0x0, 2, 0, 0xffff, 0, [&](uint64_t, uint64_t) { ++a_writes; }, nullptr, {}, ""});
  bank.add({"B", 0x4, 2, 0, 0xffff, 0, [&](uint64_t, uint64_t) { ++b_writes; }, nullptr, {}, ""});
  bank.write(0x0, 8, 0x8877665544332211ull);
  EXPECT_EQ(bank.get(0x0, 8), 0x0000665500002211ull);
  EXPECT_EQ(a_writes, 1);
  EXPECT_EQ(b_writes, 1);
}

TEST(reg_bank, unimplemented_bytes_read_zero_and_ignore_writes) {
  reg_bank bank("dev", 16);
  bank.add(reg("A", 0x4, 4, 0xdeadbeef, 0xffffffff));
  EXPECT_EQ(bank.read(0x0, 4), 0u);
  bank.write(0x0, 4, 0xffffffff);
  EXPECT_EQ(bank.read(0x0, 4), 0u);
  bank.write(0x8, 8, ~0ull);
  EXPECT_EQ(bank.read(0x8, 8), 0u);
  EXPECT_EQ(bank.read(0x4, 4), 0xdeadbeefu);
  // Beyond the bank: reads are 0 as well.
  EXPECT_EQ(bank.get(0x10, 4), 0u);
}

TEST(reg_bank, on_write_sees_old_and_new_value) {
  reg_bank bank("dev", 4);
  std::vector<std::pair<uint64_t, uint64_t>> seen;
  bank.add({"CTRL",
            0x0,
            4,
            0x100,
            0x0000ffff,
            0,
            [&](uint64_t o, uint64_t n) { seen.emplace_back(o, n); },
            nullptr,
            {},
            ""});
  bank.write(0x0, 4, 0xffff0042);
  bank.write(0x1, 1, 0x12);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], std::make_pair(uint64_t{0x100}, uint64_t{0x42}));
  EXPECT_EQ(seen[1], std::make_pair(uint64_t{0x42}, uint64_t{0x1242}));
  // Model-side set and reads do not call it.
  bank.set(0x0, 4, 0);
  bank.read(0x0, 4);
  EXPECT_EQ(seen.size(), 2u);
}

TEST(reg_bank, on_write_can_veto_by_restoring) {
  reg_bank bank("dev", 4);
  reg_def& r = bank.add({"LOCKED", 0x0, 2, 7, 0xffff, 0, nullptr, nullptr, {}, ""});
  r.on_write = [&bank](uint64_t old, uint64_t) { bank.set(0x0, 2, old); };
  bank.write(0x0, 2, 9);
  EXPECT_EQ(bank.read(0x0, 2), 7u);
}

TEST(reg_bank, on_read_refreshes_before_the_value_is_returned) {
  reg_bank bank("dev", 8);
  uint64_t counter = 0;
  int calls = 0;
  bank.add({"COUNT",
            0x0,
            4,
            0,
            0,
            0,
            nullptr,
            [&] {
              ++calls;
              bank.set(0x0, 4, ++counter);
            },
            {},
            ""});
  bank.add({"OTHER", 0x4, 4, 0x55, 0, 0, nullptr, nullptr, {}, ""});
  EXPECT_EQ(bank.read(0x0, 4), 1u);
  EXPECT_EQ(bank.read(0x0, 4), 2u);
  // A 2-byte read inside the register still refreshes it once.
  EXPECT_EQ(bank.read(0x2, 2), 0u);
  EXPECT_EQ(calls, 3);
  // An 8-byte read over COUNT and OTHER refreshes COUNT once.
  EXPECT_EQ(bank.read(0x0, 8), 0x0000005500000004ull);
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(bank.get(0x0, 4), 4u);  // model side: no refresh
  EXPECT_EQ(calls, 4);
}

TEST(reg_bank, set_reset_and_reset) {
  reg_bank bank("dev", 16);
  bank.add(reg("A", 0x0, 2, 0x11, 0xffff));
  bank.add(reg("B", 0x4, 4, 0x22, 0xffffffff));
  bank.set_reset(0x4, 0x1'0000'0033ull);  // cut to the width
  EXPECT_EQ(bank.get(0x4, 4), 0x33u);
  EXPECT_EQ(bank.find(0x4)->reset, 0x33u);
  bank.write(0x0, 2, 0xaaaa);
  bank.write(0x4, 4, 0xbbbb);
  bank.set(0xc, 4, 0xffffffff);  // unimplemented bytes changed by the model
  bank.reset();
  EXPECT_EQ(bank.get(0x0, 2), 0x11u);
  EXPECT_EQ(bank.get(0x4, 4), 0x33u);
  EXPECT_EQ(bank.get(0xc, 4), 0u);
  EXPECT_THROW(bank.set_reset(0x5, 1), std::logic_error);  // not the start of B
  EXPECT_THROW(bank.set_reset(0x8, 1), std::logic_error);  // no register
}

// ---------------------------------------------------------------------------
// units

long long ps_of(const std::string& text) {
  long long ps = -1;
  EXPECT_TRUE(parse_time_ps(text, ps)) << text;
  return ps;
}

bool rejects(const std::string& text) {
  long long ps = 12345;
  return !parse_time_ps(text, ps) && ps == 12345;
}

TEST(units, parse_time_ps_accepts_each_unit) {
  EXPECT_EQ(ps_of("0"), 0);
  EXPECT_EQ(ps_of("0ns"), 0);
  EXPECT_EQ(ps_of("10ps"), 10);
  EXPECT_EQ(ps_of("250ns"), 250'000);
  EXPECT_EQ(ps_of("100us"), 100'000'000);
  EXPECT_EQ(ps_of("1.5ms"), 1'500'000'000);
  EXPECT_EQ(ps_of("2s"), 2'000'000'000'000);
  EXPECT_EQ(ps_of("2.5us"), 2'500'000);
  EXPECT_EQ(ps_of("0.001ns"), 1);
  EXPECT_EQ(ps_of(".5ns"), 500);
  EXPECT_EQ(ps_of("9223372s"), 9'223'372'000'000'000'000);
}

TEST(units, parse_time_ps_rejects_non_times) {
  for (const char* bad : {"", "ns", "5", "5 ns", " 5ns", "5ns ", "-1ns", "+1ns", "1.5", "1e3ns", "5m", "5min", "5NS",
                          "1..5ms", "abc", "0x10ns", "9223373s", "99999999999999999999s"})
    EXPECT_TRUE(rejects(bad)) << '"' << bad << '"';
}

TEST(units, parse_time_ps_keeps_fraction_below_a_picosecond_out) {
  EXPECT_EQ(ps_of("1.0009ns"), 1000);  // 1000.9 ps truncated
  EXPECT_EQ(ps_of("0.123456789012345s"), 123'456'789'012);
}

TEST(units, parse_time_ps_accepts_large_picosecond_counts) {
  EXPECT_EQ(ps_of("20000000000000ps"), 20'000'000'000'000);
}

// ---------------------------------------------------------------------------
// rng

TEST(rng, fnv1a_matches_reference_values) {
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(fnv1a64("foobar"), 0x85944171f73967e8ull);
}

TEST(rng, same_seed_and_name_give_the_same_sequence) {
  rng_stream a(42, "nic.core"), b(42, "nic.core");
  for (int i = 0; i < 100; ++i) ASSERT_EQ(a.next(), b.next()) << i;
}

TEST(rng, different_name_or_seed_gives_a_different_sequence) {
  rng_stream a(42, "nic.core"), b(42, "nic.core2"), c(43, "nic.core");
  const uint64_t a0 = a.next();
  EXPECT_NE(a0, b.next());
  EXPECT_NE(a0, c.next());
}

TEST(rng, splitmix64_reference_output) {
  // splitmix64 seeded with state 0 (name hash cancelled): first value 0xe220a8397b1dcdaf.
  rng_stream r(fnv1a64(""), "");
  EXPECT_EQ(r.next(), 0xe220a8397b1dcdafull);
  EXPECT_EQ(r.next(), 0x6e789e6aa1b965f4ull);
}

TEST(rng, below_stays_below_n_and_covers_the_range) {
  rng_stream r(7, "x");
  std::map<uint64_t, int> seen;
  for (int i = 0; i < 1000; ++i) {
    const uint64_t v = r.below(6);
    ASSERT_LT(v, 6u);
    ++seen[v];
  }
  EXPECT_EQ(seen.size(), 6u);
  EXPECT_EQ(r.below(0), 0u);
  EXPECT_EQ(r.below(1), 0u);
}

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
        } else if (e == 'n') out += '\n';
        else if (e == '"' || e == '\\' || e == '/') out += e;
        else return false;
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
        if (m_s[m_i] == ',') ++m_i;
        else if (m_s[m_i] == '}') return ++m_i, true;
        else return false;
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
        if (m_s[m_i] == ',') ++m_i;
        else if (m_s[m_i] == ']') return ++m_i, true;
        else return false;
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

TEST(units, parse_u64_reads_bases_and_suffixes) {
  uint64_t v = 0;
  EXPECT_TRUE(iovsim::kit::parse_u64("4096", v));
  EXPECT_EQ(v, 4096u);
  EXPECT_TRUE(iovsim::kit::parse_u64("0x1000", v));
  EXPECT_EQ(v, 0x1000u);
  EXPECT_TRUE(iovsim::kit::parse_u64("010", v));
  EXPECT_EQ(v, 8u);
  EXPECT_TRUE(iovsim::kit::parse_u64("64M", v, true));
  EXPECT_EQ(v, 64ull << 20);
  EXPECT_TRUE(iovsim::kit::parse_u64("2G", v, true));
  EXPECT_EQ(v, 2ull << 30);
  EXPECT_FALSE(iovsim::kit::parse_u64("64M", v));           // suffixes only when asked
  EXPECT_FALSE(iovsim::kit::parse_u64("-1", v));
  EXPECT_FALSE(iovsim::kit::parse_u64("12abc", v));
  EXPECT_FALSE(iovsim::kit::parse_u64("", v));
  EXPECT_FALSE(iovsim::kit::parse_u64("18446744073709551616", v));   // 2^64
  EXPECT_FALSE(iovsim::kit::parse_u64("17179869184G", v, true));     // overflows
}
