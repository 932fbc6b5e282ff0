// The pcie-bench engine (models/testdev/pciebench_device.h) driven as a driver drives
// it: config space (BAR0, Memory and Bus Master, Device Control's MPS and Extended
// Tags), the experiment registers, CONTROL.START and the end of the run, then the
// results read back over MMIO and checked against values derived from the link and
// DRAM models' own formulas (models/pcie/link.h, models/memory/dram.h). A bare bench
// (device -> link -> a tap -> DRAM) for timing and addresses; a booted host with an
// iovsim_pciebench endpoint for the IOMMU, the driver (drivers-sim/misc/pciebench.h)
// and the `pciebench` shell verb.
#include "drivers-sim/misc/pciebench.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <systemc>
#include <tlm>
#include <vector>

#include "drivers-sim/host.h"
#include "models/kit/pcie_ext.h"
#include "models/memory/dram.h"
#include "models/pcie/capabilities.h"
#include "models/pcie/link.h"
#include "models/pcie/pci_regs.h"
#include "models/testdev/pciebench_device.h"
#include "platform/platform.h"
#include "scenarios/loader.h"
#include "tests/unit/host_fixture.h"
#include "tests/unit/sc_fixture.h"

namespace iovsim {
namespace {

using pcie::pciebench_device;
using sc_core::SC_NS;
using sc_core::SC_PS;
using sc_core::sc_time;
using sc_core::SC_US;
using sc_core::SC_ZERO_TIME;
using pbd = pcie::pciebench_device;

constexpr uint64_t KiB = 1024, MiB = 1024 * KiB;
constexpr uint64_t PAGE = 4096;
// Where the bare bench's host buffer lies: two 4 MiB chunks, not adjacent and out of order.
constexpr uint64_t CHUNK0 = 0x0400'0000, CHUNK1 = 0x0100'0000;
constexpr uint64_t BAR0 = 0xfe00'0000;
constexpr unsigned BUS = 3;
constexpr uint32_t DONE = pbd::STATUS_DONE;
constexpr uint32_t error_status(uint32_t code) { return pbd::STATUS_ERROR | code << pbd::STATUS_ERR_CODE_SHIFT; }

const pb::DeviceProfile& pciebench_profile() {
  for (const auto& p : scen::builtin_profiles().device())
    if (p.name() == "iovsim_pciebench") return p;
  throw std::runtime_error("no built-in device profile iovsim_pciebench");
}

// The device's timestamp counter at t: whole cycles of a clock of `khz` (1 ps resolution).
uint64_t counter(const sc_time& t, uint64_t khz) {
  return static_cast<uint64_t>(static_cast<unsigned __int128>(t.value()) * khz / 1'000'000'000u);
}

// pcie-bench's ListStats (python/pciebench/stats.py), written out again for the
// expected values: closest-rank interpolation, median of the middle two.
double ref_percentile(const std::vector<uint32_t>& s, double p) {
  const double idx = static_cast<double>(s.size() - 1) * p / 100.0;
  const double lo = std::floor(idx), hi = std::ceil(idx);
  if (lo == hi) return s[static_cast<size_t>(lo)];
  return s[static_cast<size_t>(lo)] * (hi - idx) + s[static_cast<size_t>(hi)] * (idx - lo);
}
double ref_median(const std::vector<uint32_t>& s) {
  const size_t n = s.size();
  return n % 2 ? s[n / 2] : (s[n / 2 - 1] + static_cast<double>(s[n / 2])) / 2.0;
}
uint64_t fixed8(double v) { return static_cast<uint64_t>(std::llround(v * 256.0)); }

// Time DRAM's channel is held for an access of `bytes` (bytes / bandwidth, up to the ps).
sc_time channel_time(const mem::dram& m, uint64_t bytes) {
  const unsigned __int128 ps =
      (static_cast<unsigned __int128>(bytes) * 1'000'000'000'000ull + m.bandwidth_bytes_per_s() - 1) /
      m.bandwidth_bytes_per_s();
  return sc_time(static_cast<double>(ps), SC_PS);
}

// One read of `bytes` (one request: bytes <= MRRS) on an idle path: the request's
// serialisation and hop up, the channel and DRAM latency, the completions'
// serialisation and hop down.
sc_time idle_read_latency(const pcie::pcie_link& link, const mem::dram& m, uint64_t bytes) {
  const pcie::read_cost rc = pcie::read_wire(link.config(), bytes);
  return link.wire_time(rc.request_bytes) + link.hop_latency() + channel_time(m, bytes) + m.latency() +
         link.wire_time(rc.completion_bytes) + link.hop_latency();
}

// One posted write of `bytes` (<= MPS) on an idle path until it is in memory.
sc_time idle_write_latency(const pcie::pcie_link& link, const mem::dram& m, uint64_t bytes) {
  return link.wire_time(pcie::write_wire(link.config(), bytes).wire_bytes) + link.hop_latency() +
         channel_time(m, bytes) + m.latency();
}

// Between the link and DRAM: records every request that reaches memory, and can fail
// or slow down requests into an address window.
class tap : public sc_core::sc_module {
 public:
  struct request {
    bool write;
    uint64_t addr;
    unsigned len;
  };
  tlm_utils::simple_target_socket<tap> in;
  tlm_utils::simple_initiator_socket<tap> out;
  std::vector<request> seen;
  uint64_t fail_lo = 0, fail_hi = 0, slow_lo = 0, slow_hi = 0;
  sc_time slow_extra = SC_ZERO_TIME;

  explicit tap(sc_core::sc_module_name n) : sc_module(n), in("in"), out("out") {
    in.register_b_transport(this, &tap::b_transport);
  }

 private:
  void b_transport(tlm::tlm_generic_payload& t, sc_time& delay) {
    const uint64_t a = t.get_address();
    const unsigned len = t.get_data_length();
    seen.push_back({t.is_write(), a, len});
    if (a < fail_hi && a + len > fail_lo) {
      t.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
      return;
    }
    if (a < slow_hi && a + len > slow_lo) delay += slow_extra;
    out->b_transport(t, delay);
  }
};

struct host_port : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<host_port> socket;
  explicit host_port(sc_core::sc_module_name n) : sc_module(n), socket("socket") {}
};

// One experiment as a driver programs it.
struct experiment {
  uint32_t test = pbd::BW_DMA_RD;
  uint32_t flags = 0;
  uint32_t size = 64, host_off = 0, dev_off = 0;
  uint64_t window = 8192;
  uint32_t in_flight = 1;
  uint64_t count = 1000;
  std::vector<uint64_t> chunks{CHUNK0, CHUNK1};
  bool irq = false;  // CONTROL.IRQ_EN
};

// ---------------------------------------------------------------------------
// The bare bench: the engine's DMA socket -> the link's upstream path -> tap -> DRAM,
// with the profile's link (Gen3 x8, MPS 256) and Linux's MRRS 512. Host requests
// reach the engine directly (no MMIO latency): START lands at the thread's time.

class pciebench_bench : public test::sc_fixture {
 protected:
  void TearDown() override {
    teardown_models();
    sc_fixture::TearDown();
  }
  // Builds the models (parameters are read then: set overrides before).
  void build() {
    const pb::DeviceProfile& prof = pciebench_profile();
    cfg = pcie::link_config{prof.link().gen(), prof.link().width(), prof.link().max_payload_bytes(), 512, 64};
    m_mem = std::make_unique<mem::dram>("mem", 256 * MiB);
    m_link = std::make_unique<pcie::pcie_link>("link.pcb", cfg);
    m_path = std::make_unique<pcie::link_upstream_path>("path", *m_link);
    m_tap = std::make_unique<tap>("tap");
    m_dev = std::make_unique<pciebench_device>("pcb", prof);
    m_host = std::make_unique<host_port>("host");
    m_host->socket.bind(m_dev->upstream);
    m_dev->dma.bind(m_path->from_device);
    m_path->to_host.bind(m_tap->in);
    m_tap->out.bind(m_mem->dma);
    m_trans.set_extension(&m_ext);
  }
  void teardown_models() {
    if (m_dev) m_trans.clear_extension(&m_ext);
    m_host.reset();
    m_dev.reset();
    m_tap.reset();
    m_path.reset();
    m_link.reset();
    m_mem.reset();
  }
  // A new simulation (new context, new parameters) inside one test.
  void rebuild_with(const std::vector<std::pair<std::string, std::string>>& overrides) {
    teardown_models();
    env.reset();
    test::fresh_systemc_context();
    env = std::make_unique<kit::sim_env>(1);
    for (const auto& [k, v] : overrides) env->params().set_override(k, v);
    build();
  }

  uint64_t request(kit::tlp_kind kind, uint64_t addr, unsigned len, bool write, uint64_t value = 0) {
    uint64_t data = value;
    m_ext = kit::pcie_ext{};
    m_ext.kind = kind;
    m_ext.target_id = kit::make_rid(BUS, 0);
    m_trans.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
    m_trans.set_address(kind == kit::tlp_kind::mem ? addr : kit::ecam_address(BUS, 0, static_cast<unsigned>(addr)));
    m_trans.set_data_ptr(reinterpret_cast<unsigned char*>(&data));
    m_trans.set_data_length(len);
    m_trans.set_streaming_width(len);
    m_trans.set_byte_enable_ptr(nullptr);
    m_trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_time delay = SC_ZERO_TIME;
    m_host->socket->b_transport(m_trans, delay);
    EXPECT_EQ(m_trans.get_response_status(), tlm::TLM_OK_RESPONSE);
    return data;
  }
  void cfg_write(unsigned reg, unsigned len, uint32_t v) { request(kit::tlp_kind::cfg0, reg, len, true, v); }
  uint32_t cfg_read(unsigned reg, unsigned len) {
    return static_cast<uint32_t>(request(kit::tlp_kind::cfg0, reg, len, false));
  }
  uint64_t rd(uint32_t off, unsigned len = 8) { return request(kit::tlp_kind::mem, BAR0 + off, len, false); }
  void wr(uint32_t off, unsigned len, uint64_t v) { request(kit::tlp_kind::mem, BAR0 + off, len, true, v); }

  // The driver's probe: BAR0, Memory Space and Bus Master, MPS 256 (the firmware's
  // choice for this hierarchy), Extended Tag Field Enable if asked.
  void probe(bool ext_tag = false) {
    cfg_write(pcie::CFG_BAR0, 4, static_cast<uint32_t>(BAR0));
    cfg_write(pcie::CFG_COMMAND, 2, pcie::COMMAND_MEMORY | pcie::COMMAND_MASTER);
    const uint32_t exp = m_dev->pfs()[0]->cfg().find_cap(pcie::CAP_ID_EXP);
    ASSERT_NE(exp, 0u);
    uint32_t devctl = cfg_read(exp + pcie::EXP_DEVCTL, 2);
    EXPECT_EQ((devctl >> 12) & 7, 2u);  // MRRS 512 B from reset
    devctl = (devctl & ~0xe0u) | (1u << 5);
    devctl = ext_tag ? devctl | pcie::EXP_DEVCTL_EXT_TAG : devctl & ~uint32_t{pcie::EXP_DEVCTL_EXT_TAG};
    cfg_write(exp + pcie::EXP_DEVCTL, 2, devctl);
    ASSERT_EQ(rd(pbd::ID, 4), pbd::ID_VALUE);
    ASSERT_EQ(rd(pbd::VERSION, 4), pbd::VERSION_VALUE);
  }
  // Programs the experiment, sets START and waits for the end of the run (a run refused
  // at START ends at once: STATUS shows it without BUSY). Returns STATUS; t0 is when
  // START was written.
  uint32_t run(const experiment& e) {
    wr(pbd::TEST, 4, e.test);
    wr(pbd::FLAGS, 4, e.flags);
    wr(pbd::SIZE, 4, e.size);
    wr(pbd::HOST_OFF, 4, e.host_off);
    wr(pbd::DEV_OFF, 4, e.dev_off);
    wr(pbd::WINDOW, 8, e.window);
    wr(pbd::IN_FLIGHT, 4, e.in_flight);
    wr(pbd::COUNT, 8, e.count);
    wr(pbd::CHUNKS, 4, e.chunks.size());
    for (size_t i = 0; i < e.chunks.size(); ++i) wr(pbd::CHUNK_ADDR + 8 * static_cast<uint32_t>(i), 8, e.chunks[i]);
    t0 = sc_core::sc_time_stamp();
    wr(pbd::CONTROL, 4, pbd::CONTROL_START | (e.irq ? pbd::CONTROL_IRQ_EN : 0));
    EXPECT_EQ(rd(pbd::CONTROL, 4) & pbd::CONTROL_START, 0u);  // START reads 0
    if (rd(pbd::STATUS, 4) & pbd::STATUS_BUSY) sc_core::wait(m_dev->run_end());
    const uint32_t status = static_cast<uint32_t>(rd(pbd::STATUS, 4));
    EXPECT_EQ(status & pbd::STATUS_BUSY, 0u);
    return status;
  }
  uint64_t khz() { return rd(pbd::CLOCK_KHZ, 4); }
  // Measured transfers per second of the last run, from the engine's timestamps.
  double rate() {
    const double seconds = static_cast<double>(rd(pbd::END_TS) - rd(pbd::START_TS)) / (khz() * 1e3);
    return static_cast<double>(rd(pbd::TRANSFERS)) / seconds;
  }
  sc_time read_latency(uint64_t bytes) { return idle_read_latency(*m_link, *m_mem, bytes); }

  // The samples a latency run gives when transfer k takes lat[k] and the next one is
  // issued when it completed, from t0 on.
  std::vector<uint32_t> samples_for(const std::vector<sc_time>& lat, uint64_t clock_khz) const {
    std::vector<uint32_t> s;
    sc_time t = t0;
    for (const sc_time& l : lat) {
      s.push_back(static_cast<uint32_t>(counter(t + l, clock_khz) - counter(t, clock_khz)));
      t += l;
    }
    return s;
  }
  // Every statistics register of a latency run against the samples expected.
  void expect_latency_registers(std::vector<uint32_t> s) {
    uint64_t sum = 0;
    for (uint32_t v : s) sum += v;
    std::sort(s.begin(), s.end());
    const double p95 = ref_percentile(s, 95);
    EXPECT_EQ(rd(pbd::SAMPLES), s.size());
    EXPECT_EQ(rd(pbd::TRANSFERS), s.size());
    EXPECT_EQ(rd(pbd::LAT_MIN), s.front());
    EXPECT_EQ(rd(pbd::LAT_MAX), s.back());
    EXPECT_EQ(rd(pbd::LAT_SUM), sum);
    EXPECT_EQ(rd(pbd::LAT_MED), fixed8(ref_median(s)));
    EXPECT_EQ(rd(pbd::LAT_P95), fixed8(p95));
    EXPECT_EQ(rd(pbd::LAT_P999), fixed8(ref_percentile(s, 99.9)));
    EXPECT_EQ(rd(pbd::OUTLIERS),
              static_cast<uint64_t>(std::count_if(s.begin(), s.end(), [&](uint32_t v) { return v > 3 * p95; })));
  }

  pcie::link_config cfg;
  std::unique_ptr<mem::dram> m_mem;
  std::unique_ptr<pcie::pcie_link> m_link;
  std::unique_ptr<pcie::link_upstream_path> m_path;
  std::unique_ptr<tap> m_tap;
  std::unique_ptr<pciebench_device> m_dev;
  std::unique_ptr<host_port> m_host;
  tlm::tlm_generic_payload m_trans;
  kit::pcie_ext m_ext;
  sc_time t0;
};

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

// ---------------------------------------------------------------------------
// A booted host with the engine behind a root port: the built-in driver maps its
// buffer through the DMA API; the shell verb writes pcie-bench's CSV.

const char* const PCIEBENCH_HOST = R"(
  root_port { name: "rp1" device: 1 }
  endpoint { name: "pcb0" profile: "iovsim_pciebench" attach: "rp1" }
)";
std::string platform_with(const std::string& cmdline) {
  return "kernel_cmdline: \"" + cmdline + "\"\n" + PCIEBENCH_HOST;
}
constexpr uint16_t PCB0 = 0x0100;  // 01:00.0

class pciebench_host : public test::host_fixture {};
using test::out;

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> v;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) v.push_back(l);
  return v;
}
std::vector<std::string> fields(const std::string& row) {
  std::vector<std::string> v;
  std::istringstream in(row);
  for (std::string f; std::getline(in, f, ',');) v.push_back(f);
  return v;
}

const std::string BW_HEADER = "Test,PAT,Cache,HO,DO,WinSZ,SZ,Time(cyc),Time,Bytes,Trans,BW (GB/s),Trans/s";
const std::string LAT_HEADER =
    "Test,PAT,Cache,HO,DO,WinSZ,SZ,TAvg,Avg,Med,Min,Max,95%,99.9%,TAvg(ns),Avg(ns),Med(ns),Min(ns),Max(ns),95%(ns),"
    "99.9%(ns),#outliers,#samples";

pciebench_device& engine(host::host_system& h) {
  for (pcie::endpoint* ep : h.machine().endpoints())
    if (auto* d = dynamic_cast<pciebench_device*>(ep)) return *d;
  throw std::runtime_error("no pcie-bench engine");
}

// 8. The verb: one CSV row per window x size under pcie-bench's bandwidth header, the
// columns consistent with each other and the times with the link model.
TEST_F(pciebench_host, bw_verb_prints_one_row_per_window_and_size) {
  boot(PCIEBENCH_HOST, 1, [](host::host_system& h) {
    EXPECT_EQ(test::dmesg(h, "pcie-bench engine"),
              std::vector<std::string>{"iovsim_pciebench 0000:01:00.0: pcie-bench engine at 1200 MHz, 16 x 4 MiB host "
                                       "buffer"});
    const std::string o = out(h, "pciebench BW_DMA_WR --size 64,256 --window 8K,16K --count 1000 --in-flight 88");
    const std::vector<std::string> l = lines(o);
    ASSERT_EQ(l.size(), 5u) << o;
    EXPECT_EQ(l[0], BW_HEADER);
    platform::machine& m = h.machine();
    const pcie::pcie_link& link = *m.links()[0];
    EXPECT_EQ(link.config().mps, 256u);
    const uint64_t khz = engine(h).regs().get(pbd::CLOCK_KHZ, 4);
    const uint64_t windows[] = {8192, 8192, 16384, 16384}, sizes[] = {64, 256, 64, 256};
    for (size_t i = 0; i < 4; ++i) {
      const std::vector<std::string> f = fields(l[i + 1]);
      ASSERT_EQ(f.size(), 13u) << l[i + 1];
      EXPECT_EQ(l[i + 1].rfind(fmt::format("BW_DMA_WR,Seq,HWarm,0,0,{},{},", windows[i], sizes[i]), 0), 0u) << l[i + 1];
      const uint64_t cyc = std::stoull(f[7]);
      const double ns = std::stod(f[8]);
      EXPECT_EQ(std::stoull(f[9]), 1000 * sizes[i]);  // Bytes
      EXPECT_EQ(std::stoull(f[10]), 1000u);           // Trans
      EXPECT_NEAR(ns, static_cast<double>(cyc) * 1e6 / static_cast<double>(khz), 1e-9 * ns);
      EXPECT_NEAR(std::stod(f[11]), 8.0 * 1000 * sizes[i] / ns, 1e-9 * std::stod(f[11]));
      EXPECT_NEAR(std::stod(f[12]), 1000 / ns * 1e9, 1e-9 * std::stod(f[12]));
      // The link is never idle: 1000 writes' serialisation plus one write's latency,
      // give or take the counter's cycle.
      const sc_time run = 999.0 * link.wire_time(pcie::write_wire(link.config(), sizes[i]).wire_bytes) +
                          idle_write_latency(link, m.dram(), sizes[i]);
      const uint64_t expect = counter(run, khz);
      EXPECT_TRUE(cyc == expect || cyc == expect + 1) << cyc << " vs " << expect;
    }
    EXPECT_EQ(engine(h).runs(), 4u);

    // Without the header; read-write runs count half their transfers (nfpbench.py).
    const std::vector<std::string> rw = lines(out(h, "pciebench bw_rw --count 1000 --no-header --pattern rand"));
    ASSERT_EQ(rw.size(), 1u);
    const std::vector<std::string> f = fields(rw[0]);
    ASSERT_EQ(f.size(), 13u);
    EXPECT_EQ(rw[0].rfind("BW_DMA_RW,Rand,HWarm,0,0,8192,64,", 0), 0u) << rw[0];
    EXPECT_EQ(f[9], "32000");
    EXPECT_EQ(f[10], "500");
    for (const auto& [cache, name] :
         std::vector<std::pair<std::string, std::string>>{{"cold", "Cold"}, {"dwarm", "DWarm"}, {"hwarm", "HWarm"}}) {
      const std::string row = out(h, "pciebench BW_DMA_RD --count 200 --no-header --cache " + cache);
      EXPECT_EQ(row.rfind("BW_DMA_RD,Seq," + name + ",0,0,8192,64,", 0), 0u) << row;
    }
  });
}

TEST_F(pciebench_host, lat_verb_prints_the_latency_columns) {
  boot(PCIEBENCH_HOST, 1, [](host::host_system& h) {
    const std::string o = out(h, "pciebench LAT_DMA_RD --size 64 --count 500 --host-off 8");
    const std::vector<std::string> l = lines(o);
    ASSERT_EQ(l.size(), 2u) << o;
    EXPECT_EQ(l[0], LAT_HEADER);
    EXPECT_EQ(l[1].rfind("LAT_DMA_RD,Seq,HWarm,8,0,8192,64,", 0), 0u) << l[1];
    const std::vector<std::string> f = fields(l[1]);
    ASSERT_EQ(f.size(), 23u);
    platform::machine& m = h.machine();
    const uint64_t khz = engine(h).regs().get(pbd::CLOCK_KHZ, 4);
    const uint64_t whole = counter(idle_read_latency(*m.links()[0], m.dram(), 64), khz);
    EXPECT_EQ(std::stoull(f[10]), whole);      // Min
    EXPECT_EQ(std::stoull(f[11]), whole + 1);  // Max
    const double med = std::stod(f[9]);
    EXPECT_TRUE(med == whole || med == whole + 0.5 || med == whole + 1) << med;
    EXPECT_EQ(f[21], "0");    // #outliers
    EXPECT_EQ(f[22], "500");  // #samples
    // TAvg: the whole run's cycles over the samples, whole cycles.
    EXPECT_TRUE(std::stoull(f[7]) == whole || std::stoull(f[7]) == whole + 1) << f[7];
    EXPECT_NEAR(std::stod(f[17]), std::stod(f[10]) * 1e6 / khz, 1e-6);  // Min(ns)

    EXPECT_EQ(lines(out(h, "pciebench lat_wrrd --count 10"))[1].rfind("LAT_DMA_WRRD,Seq,HWarm,0,0,8192,64,", 0), 0u);
  });
}

TEST_F(pciebench_host, verb_refuses_bad_arguments) {
  boot(PCIEBENCH_HOST, 1, [](host::host_system& h) {
    struct bad {
      const char* line;
      const char* first;
    };
    for (const bad& b : {
             bad{"pciebench BW_DMA_RD --size 5000",
                 "pciebench: a transfer of 5000 bytes at host offset 0 must fit in 4096 bytes (and the device's 8 KiB "
                 "buffer at its offset)"},
             bad{"pciebench BW_DMA_RD --size 4000 --host-off 100",
                 "pciebench: a transfer of 4000 bytes at host offset 100 must fit in 4096 bytes (and the device's 8 "
                 "KiB buffer at its offset)"},
             bad{"pciebench BW_DMA_RD --window 100",
                 "pciebench: the window must be a multiple of 64 bytes up to 256 "
                 "MiB: 100"},
             bad{"pciebench BW_DMA_RD --window 512M",
                 "pciebench: the window must be a multiple of 64 bytes up to 256 MiB: 536870912"},
             bad{"pciebench BW_DMA_RD --size 128 --window 64",
                 "pciebench: a transfer of 128 bytes at host offset 0 does not fit in a 64-byte window"},
             bad{"pciebench BW_DMA_RD --size 64,128 --window 64",
                 "pciebench: a transfer of 128 bytes at host offset 0 does not fit in a 64-byte window"},
             bad{"pciebench LAT_DMA_RD --count 16777217",
                 "pciebench: a latency test keeps at most 16777216 samples (--count)"},
             bad{"pciebench BW_DMA_FOO", "pciebench: unexpected \"BW_DMA_FOO\""},
             bad{"pciebench LAT_CMD_RD", "pciebench: unexpected \"LAT_CMD_RD\""},
             bad{"pciebench --size 64", "pciebench: which test?"},
             bad{"pciebench BW_DMA_RD --in-flight 0", "pciebench: --in-flight is 1..256"},
             bad{"pciebench BW_DMA_RD --in-flight 257", "pciebench: --in-flight is 1..256"},
             bad{"pciebench BW_DMA_RD --count 0", "pciebench: --count is at least 1"},
             bad{"pciebench BW_DMA_RD --pattern zigzag", "pciebench: --pattern is seq or rand"},
             bad{"pciebench BW_DMA_RD --cache hot", "pciebench: --cache is hwarm, dwarm, cold or dthrash"},
             bad{"pciebench BW_DMA_RD --size 64,x", "pciebench: --size takes sizes in bytes: \"64,x\""},
             bad{"pciebench BW_DMA_RD BW_DMA_WR", "pciebench: unexpected \"BW_DMA_WR\""},
         }) {
      const host::cmd_result r = h.run(b.line);
      EXPECT_EQ(r.status, 2) << b.line;
      EXPECT_EQ(r.out, "") << b.line;
      EXPECT_EQ(r.errno_name, "EINVAL") << b.line;
      EXPECT_EQ(r.err.substr(0, r.err.find('\n')), b.first) << b.line;
      EXPECT_NE(r.err.find("\nusage: pciebench "), std::string::npos) << b.line;
    }
    EXPECT_EQ(engine(h).runs(), 0u);
    EXPECT_EQ(engine(h).requests_issued(), 0u);
  });
}

// --csv writes the rows into the run's output folder, which only a scenario run has: a
// host alone runs the experiment, prints the rows and says it could not write them.
TEST_F(pciebench_host, csv_needs_an_output_folder) {
  boot(PCIEBENCH_HOST, 1, [](host::host_system& h) {
    const host::cmd_result r = h.run("pciebench BW_DMA_WR --count 10 --csv bw.csv");
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.errno_name, "EIO");
    EXPECT_EQ(lines(r.out).size(), 2u) << r.out;
    EXPECT_EQ(r.err, "pciebench: --csv: this machine has no output folder\n");
  });
}

// The verb finds the engine by -s (full or short BDF) and says so when there is none.
TEST_F(pciebench_host, verb_picks_the_engine_by_bdf) {
  boot(PCIEBENCH_HOST, 1, [](host::host_system& h) {
    EXPECT_EQ(lines(out(h, "pciebench -s 01:00.0 BW_DMA_WR --count 10 --no-header")).size(), 1u);
    EXPECT_EQ(lines(out(h, "pciebench -s 0000:01:00.0 BW_DMA_WR --count 10 --no-header")).size(), 1u);
    const host::cmd_result r = h.run("pciebench -s 02:00.0 BW_DMA_WR --count 10");
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, "pciebench: no pcie-bench engine bound to iovsim_pciebench\n");
    EXPECT_EQ(r.errno_name, "ENODEV");
    EXPECT_EQ(engine(h).runs(), 2u);
  });
}

// 9. The same runs in two fresh simulations print the same bytes.
TEST_F(pciebench_host, the_same_runs_print_the_same_csv) {
  const std::string cmds[] = {"pciebench BW_DMA_RD --size 64,1000 --window 16K --pattern rand --count 2000",
                              "pciebench LAT_DMA_WRRD --size 128 --window 64K --pattern rand --count 300"};
  std::vector<std::string> first, second;
  boot(PCIEBENCH_HOST, 1, [&](host::host_system& h) {
    for (const std::string& c : cmds) first.push_back(out(h, c));
  });
  restart();
  boot(PCIEBENCH_HOST, 1, [&](host::host_system& h) {
    for (const std::string& c : cmds) second.push_back(out(h, c));
  });
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(lines(first[0]).size(), 3u);
  EXPECT_EQ(first, second);
}

// 5. Through VT-d: the driver's buffer is mapped with 4 KiB pages under sp_off, so a
// sequential pass over N pages misses the (larger, cold) IOTLB N times; 2 MiB pages
// make it one miss per 2 MiB.
TEST_F(pciebench_host, iotlb_misses_follow_the_pages_of_the_window) {
  struct point {
    const char* cmd;
    uint64_t misses_4k, misses_2m;
  };
  const point points[] = {
      // 64 B reads over 32 pages, twice: the second pass hits.
      {"pciebench BW_DMA_RD --size 64 --window 128K --count 4096", 32, 1},
      // A page per 4 KiB read, 128 pages twice.
      {"pciebench BW_DMA_RD --size 4096 --window 512K --count 256", 128, 1},
      // Two chunks: 8 MiB in 4 KiB reads, once.
      {"pciebench BW_DMA_RD --size 4096 --window 8M --count 2048", 2048, 4},
  };
  for (const bool sp : {false, true}) {
    if (sp) restart();
    boot(platform_with(sp ? "intel_iommu=on" : "intel_iommu=on,sp_off"), 1, [&](host::host_system& h) {
      iommu::vtd_unit& u = h.machine().iommu();
      ASSERT_TRUE(u.translation_enabled());
      for (const point& p : points) {
        out(h, "iommu config entries=1024");  // a fresh, cold IOTLB
        u.reset_stats();
        out(h, p.cmd);
        const auto st = u.stats_by_requester()[PCB0];
        EXPECT_EQ(st.misses, sp ? p.misses_2m : p.misses_4k) << p.cmd << (sp ? " (superpages)" : " (sp_off)");
        EXPECT_EQ(st.faults, 0u) << p.cmd;
      }
      if (!sp) {
        // An IOTLB smaller than the window: LRU through 8 sets of 8 ways misses every page
        // of the second pass too.
        out(h, "iommu config entries=64");
        u.reset_stats();
        out(h, "pciebench BW_DMA_RD --size 4096 --window 512K --count 256");
        EXPECT_EQ(u.stats_by_requester()[PCB0].misses, 256u);
      }
    });
  }
}

// Runs the engine refuses at START end before the driver waits for them: the driver
// must see the error (ERR_PARAMS for a latency journal past 16 Mi samples, which the
// verb refuses itself but the driver passes on; ERR_NO_BUS_MASTER with Bus Master
// Enable off) and report it, not wait for the end of a run that already ended.
TEST_F(pciebench_host, runs_refused_at_start_are_reported_not_waited_for) {
  boot(PCIEBENCH_HOST, 1, [](host::host_system& h) {
    // The work in a thread of its own; if it still waits after 10 ms, the end-of-run
    // event it waits for is notified by hand so that it returns (and the test ends).
    auto run_bounded = [&h](const std::function<void()>& work) {
      bool done = false;
      sc_core::sc_event finished;
      sc_core::sc_spawn([&] {
        work();
        done = true;
        finished.notify();
      });
      sc_core::wait(sc_time(10, sc_core::SC_MS), finished);
      const bool in_time = done;
      if (!done) {
        const_cast<sc_core::sc_event&>(engine(h).run_end()).notify();
        sc_core::wait(finished);
      }
      return in_time;
    };
    host::cmd_result r = h.run("pciebench LAT_DMA_RD --count 16777217");
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("a latency test keeps at most 16777216 samples"), std::string::npos) << r.err;

    host::pci_dev* dev = nullptr;
    for (host::pci_dev* d : h.pci().devices())
      if (d->driver == "iovsim_pciebench") dev = d;
    ASSERT_NE(dev, nullptr);
    host::pciebench_options opt;
    opt.test = pcie::pciebench_device::LAT_DMA_RD;
    opt.count = pcie::pciebench_device::JOURNAL_MAX + 1;
    host::pciebench_result res;
    std::string why;
    EXPECT_TRUE(run_bounded([&] { why = h.pciebench().run(*dev, opt, res); })) << "the driver still waits for the run";
    EXPECT_EQ(why, "");
    EXPECT_FALSE(res.ok);
    EXPECT_EQ(res.status, 0x104u);

    platform::machine& m = h.machine();
    const uint32_t cmd = m.cpu().cfg_read(1, 0, pcie::CFG_COMMAND, 2);
    m.cpu().cfg_write(1, 0, pcie::CFG_COMMAND, 2, cmd & ~uint32_t{pcie::COMMAND_MASTER});
    EXPECT_TRUE(run_bounded([&] { r = h.run("pciebench BW_DMA_WR --count 10"); }))
        << "the driver still waits for the run";
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("BW_DMA_WR failed: status 0x204"), std::string::npos) << r.err;
  });
}

}  // namespace
}  // namespace iovsim
