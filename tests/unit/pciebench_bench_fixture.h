// The bare bench the pcie-bench engine tests share (pciebench_timing_test.cpp,
// pciebench_rules_test.cpp): the engine's DMA socket -> the link's upstream path -> a
// tap that records (and can fail or slow) what reaches DRAM -> DRAM, with a host port
// that plays the driver: config space, the experiment registers, START, the results.
#pragma once

#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <systemc>
#include <tlm>
#include <utility>
#include <vector>

#include "models/kit/pcie_ext.h"
#include "models/kit/sim_env.h"
#include "models/pcie/pci_regs.h"
#include "tests/unit/pciebench_test_util.h"
#include "tests/unit/sc_fixture.h"

namespace iovsim::test::pcb {

// Where the bare bench's host buffer lies: two 4 MiB chunks, not adjacent and out of order.
constexpr uint64_t CHUNK0 = 0x0400'0000, CHUNK1 = 0x0100'0000;
constexpr uint64_t BAR0 = 0xfe00'0000;
constexpr unsigned BUS = 3;
constexpr uint32_t DONE = pbd::STATUS_DONE;
constexpr uint32_t error_status(uint32_t code) { return pbd::STATUS_ERROR | code << pbd::STATUS_ERR_CODE_SHIFT; }

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

}  // namespace iovsim::test::pcb
