// Modelling kit: register banks (construction checks, masks, partial accesses,
// handlers, reset), time parsing and deterministic random streams (sim_env:
// kit_sim_env_test.cpp).
#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/kit/reg_bank.h"
#include "models/kit/rng.h"
#include "models/kit/sim_env.h"
#include "models/kit/units.h"
#include "tests/unit/test_util.h"

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
  bank.add({"A", 0x0, 2, 0, 0xffff, 0, [&](reg_bank&, uint64_t, uint64_t) { ++a_writes; }, nullptr, {}, ""});
  bank.add({"B", 0x4, 2, 0, 0xffff, 0, [&](reg_bank&, uint64_t, uint64_t) { ++b_writes; }, nullptr, {}, ""});
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
            [&](reg_bank&, uint64_t o, uint64_t n) { seen.emplace_back(o, n); },
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
  r.on_write = [](reg_bank& b, uint64_t old, uint64_t) { b.set(0x0, 2, old); };
  bank.write(0x0, 2, 9);
  EXPECT_EQ(bank.read(0x0, 2), 7u);
}

// Banks of one shape share their declarations; handlers find what they act on
// through the bank (context, index), and a bank that changes the layout gets its own.
TEST(reg_bank, banks_share_a_layout_and_handlers_see_their_bank) {
  struct device {
    std::vector<uint64_t> written = std::vector<uint64_t>(2);
  } dev;
  reg_bank proto("proto", 8);
  proto.add(reg("CTRL", 0x0, 4, 0x5, 0xff).on_write_fn([](reg_bank& b, uint64_t, uint64_t v) {
    b.context<device>().written[b.index()] = v;
  }));
  proto.add(reg("ID", 0x4, 4, 0x8086));
  reg_bank a("a", proto.layout(), &dev, 0), b("b", proto.layout(), &dev, 1);
  EXPECT_EQ(a.get(0x0, 4), 0x5u);  // made at reset
  EXPECT_EQ(&a.regs(), &b.regs());
  a.write(0x0, 4, 0x11);
  b.write(0x0, 4, 0x22);
  EXPECT_EQ(dev.written, (std::vector<uint64_t>{0x11, 0x22}));
  EXPECT_EQ(a.get(0x0, 4), 0x11u);
  EXPECT_EQ(b.get(0x0, 4), 0x22u);
  // b changes a reset value: its own copy; a and the prototype keep theirs.
  b.set_reset(0x4, 0x10de);
  EXPECT_NE(&a.regs(), &b.regs());
  EXPECT_EQ(b.get(0x4, 4), 0x10deu);
  a.reset();
  b.reset();
  EXPECT_EQ(a.get(0x4, 4), 0x8086u);
  EXPECT_EQ(b.get(0x4, 4), 0x10deu);
  EXPECT_EQ(a.get(0x0, 4), 0x5u);
  EXPECT_EQ(proto.layout()->regs()[1].reset, 0x8086u);
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
            [&](reg_bank&) {
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
