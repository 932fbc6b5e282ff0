// PCIe link cost model: the worked values of REFERENCE.md section 9 (pcie-bench's
// pcie-model), TLP accounting for writes and reads, and timing by reservation of
// the two directions, directly and through the TLM upstream path.
#include <gtest/gtest.h>

#include <stdexcept>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "models/kit/pcie_ext.h"
#include "models/pcie/link.h"
#include "tests/unit/sc_fixture.h"

namespace iovsim::pcie {
namespace {

using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_PS;
using sc_core::SC_ZERO_TIME;

link_config cfg(unsigned gen, unsigned width, unsigned mps, unsigned mrrs = 512, unsigned rcb = 64) {
  return link_config{gen, width, mps, mrrs, rcb};
}

// Within 1% of the published value.
#define EXPECT_WITHIN_1PCT(actual, expected) EXPECT_NEAR((actual), (expected), 0.01 * (expected))

constexpr uint64_t LARGE = 1ull << 30;  // "use large transfers": a GiB makes rounding vanish

// ---------------------------------------------------------------------------
// Pure functions

TEST(link_model, raw_rates_per_generation_and_width) {
  EXPECT_DOUBLE_EQ(raw_gbps(1, 1), 2.0);
  EXPECT_DOUBLE_EQ(raw_gbps(2, 8), 32.0);
  EXPECT_WITHIN_1PCT(raw_gbps(3, 8), 63.0);
  EXPECT_NEAR(raw_gbps(3, 1), 7.877, 0.001);
  EXPECT_NEAR(raw_gbps(4, 1), 15.754, 0.001);
  EXPECT_NEAR(raw_gbps(5, 16), 504.12, 0.01);
  EXPECT_NEAR(raw_gbps(3, 32), 252.06, 0.01);
  EXPECT_THROW(raw_gbps(6, 8), std::invalid_argument);
  EXPECT_THROW(raw_gbps(3, 3), std::invalid_argument);
}

TEST(link_model, ack_and_fc_intervals_follow_the_spec_tables) {
  EXPECT_EQ(ack_interval_bytes(2, 8, 128), 118u);
  EXPECT_EQ(ack_interval_bytes(2, 8, 256), 158u);
  EXPECT_EQ(ack_interval_bytes(3, 8, 128), 163u);
  EXPECT_EQ(ack_interval_bytes(3, 8, 256), 203u);
  EXPECT_EQ(ack_interval_bytes(1, 1, 4096), 4143u);
  EXPECT_EQ(ack_interval_bytes(5, 16, 512), 182u);   // Gen4/5 share Gen3's limits
  EXPECT_EQ(ack_interval_bytes(3, 12, 256), 203u);   // x12 takes the x8 row
  // The two x32 entries where the FC guideline differs from the ACK limit.
  EXPECT_EQ(ack_interval_bytes(1, 32, 2048), 148u);
  EXPECT_EQ(fc_interval_bytes(1, 32, 2048), 248u);
  EXPECT_EQ(ack_interval_bytes(2, 32, 4096), 237u);
  EXPECT_EQ(fc_interval_bytes(2, 32, 4096), 327u);
  EXPECT_EQ(fc_interval_bytes(3, 8, 256), 203u);
  EXPECT_THROW(ack_interval_bytes(3, 8, 100), std::invalid_argument);
  EXPECT_THROW(ack_interval_bytes(3, 8, 8192), std::invalid_argument);
}

TEST(link_model, reference_worked_values_gen2_x8) {
  EXPECT_WITHIN_1PCT(tlp_gbps(cfg(2, 8, 128)), 27.6);
  EXPECT_WITHIN_1PCT(tlp_gbps(cfg(2, 8, 256)), 28.7);
  EXPECT_WITHIN_1PCT(write_goodput_gbps(cfg(2, 8, 128), LARGE), 23.2);
  EXPECT_WITHIN_1PCT(write_goodput_gbps(cfg(2, 8, 256), LARGE), 26.2);
}

TEST(link_model, reference_worked_values_gen3_x8) {
  EXPECT_WITHIN_1PCT(tlp_gbps(cfg(3, 8, 128)), 56.7);
  EXPECT_WITHIN_1PCT(tlp_gbps(cfg(3, 8, 256)), 57.9);
  EXPECT_WITHIN_1PCT(write_goodput_gbps(cfg(3, 8, 128), LARGE), 47.7);
  EXPECT_WITHIN_1PCT(write_goodput_gbps(cfg(3, 8, 256), LARGE), 52.9);
}

TEST(link_model, small_writes_pay_the_header_per_tlp) {
  const link_config c = cfg(3, 8, 256);
  EXPECT_EQ(write_wire(c, 0).tlps, 0u);
  EXPECT_EQ(write_wire(c, 0).wire_bytes, 0u);
  EXPECT_EQ(write_wire(c, 4).tlps, 1u);
  EXPECT_EQ(write_wire(c, 4).wire_bytes, 28u);
  EXPECT_EQ(write_wire(c, 256).wire_bytes, 280u);
  EXPECT_EQ(write_wire(c, 257).tlps, 2u);
  EXPECT_EQ(write_wire(c, 1000).wire_bytes, 1000u + 4 * 24);
  // 64 B writes: 64 / 88 of the TLP bandwidth.
  EXPECT_NEAR(write_goodput_gbps(c, 64), tlp_gbps(c) * 64 / 88, 1e-9);
}

TEST(link_model, reads_split_at_mrrs_and_completions_at_rcb) {
  const read_cost r = read_wire(cfg(3, 8, 256, 512, 64), 4096);
  EXPECT_EQ(r.requests, 8u);
  EXPECT_EQ(r.request_bytes, 8u * 24);
  EXPECT_EQ(r.completions, 64u);
  EXPECT_EQ(r.completion_bytes, 4096u + 64 * 20);
  const read_cost r128 = read_wire(cfg(3, 8, 256, 4096, 128), 4096);
  EXPECT_EQ(r128.requests, 1u);
  EXPECT_EQ(r128.completions, 32u);
  EXPECT_EQ(r128.completion_bytes, 4096u + 32 * 20);
  const read_cost small = read_wire(cfg(3, 8, 256), 1);
  EXPECT_EQ(small.requests, 1u);
  EXPECT_EQ(small.completion_bytes, 21u);
  EXPECT_EQ(read_wire(cfg(3, 8, 256), 0).requests, 0u);
  // A larger RCB halves the completion headers: reads get faster.
  EXPECT_NEAR(read_goodput_gbps(cfg(3, 8, 256, 512, 64), LARGE), tlp_gbps(cfg(3, 8, 256)) * 64 / 84, 1e-6);
  EXPECT_GT(read_goodput_gbps(cfg(3, 8, 256, 512, 128), LARGE), read_goodput_gbps(cfg(3, 8, 256, 512, 64), LARGE));
}

// ---------------------------------------------------------------------------
// Timed link

class link_timing : public test::sc_fixture {};

TEST_F(link_timing, parameters_are_declared_and_overridable) {
  env->params().set_override("pcie1.gen", "2");
  env->params().set_override("pcie1.hop_latency", "100ns");
  pcie_link link("pcie1", cfg(3, 8, 256));
  EXPECT_EQ(link.config().gen, 2u);
  EXPECT_EQ(link.config().width, 8u);
  EXPECT_EQ(link.hop_latency(), sc_time(100, SC_NS));
  EXPECT_WITHIN_1PCT(link.tlp_gbps(), 28.7);
  const auto& declared = env->params().declared();
  for (const char* p : {"pcie1.gen", "pcie1.width", "pcie1.mps", "pcie1.mrrs", "pcie1.rcb", "pcie1.hop_latency"})
    EXPECT_EQ(declared.count(p), 1u) << p;
  EXPECT_EQ(declared.at("pcie1.mps").unit, "bytes");
  EXPECT_EQ(declared.at("pcie1.hop_latency").default_text.empty(), false);

  env->params().set_override("pcie2.width", "3");
  try {
    pcie_link bad("pcie2", cfg(3, 8, 256));
    ADD_FAILURE() << "width 3 accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("pcie2"), std::string::npos) << e.what();
  }
  env->params().set_override("pcie3.rcb", "256");
  EXPECT_THROW(pcie_link("pcie3", cfg(3, 8, 256)), std::invalid_argument);
}

TEST_F(link_timing, wire_time_is_bytes_over_the_tlp_rate) {
  pcie_link link("pcie0", cfg(3, 8, 256));
  // 280 B at 57.88 Gb/s = 38.70 ns.
  EXPECT_NEAR(link.wire_time(280).to_seconds() * 1e9, 280 * 8 / tlp_gbps(cfg(3, 8, 256)), 0.001);
  EXPECT_EQ(link.wire_time(0), SC_ZERO_TIME);
}

TEST_F(link_timing, back_to_back_writes_queue_and_directions_are_independent) {
  pcie_link link("pcie0", cfg(3, 8, 256));
  const sc_time hop = link.hop_latency();
  EXPECT_EQ(hop, sc_time(150, SC_NS));
  const sc_time w = link.wire_time(280);
  const sc_time t0(1, sc_core::SC_US);
  EXPECT_EQ(link.posted_write(t0, 256), t0 + w + hop);
  EXPECT_EQ(link.posted_write(t0, 256), t0 + 2 * w + hop);      // waits for the first
  EXPECT_EQ(link.upstream().wait_total(), w);
  EXPECT_EQ(link.host_write(t0, 256), t0 + w + hop);            // downstream was idle
  // After the link went idle a write starts at once.
  const sc_time later(10, sc_core::SC_US);
  EXPECT_EQ(link.posted_write(later, 1024), later + link.wire_time(1024 + 4 * 24) + hop);

  const auto& up = link.upstream_stats();
  EXPECT_EQ(up.tlps, 2u + 4u);
  EXPECT_EQ(up.payload_bytes, 256u + 256 + 1024);
  EXPECT_EQ(up.wire_bytes, 280u + 280 + 1120);
  EXPECT_EQ(link.downstream_stats().tlps, 1u);
  EXPECT_EQ(link.upstream().busy_total(), 2 * w + link.wire_time(1120));
}

TEST_F(link_timing, a_device_read_crosses_twice_around_the_completer) {
  pcie_link link("pcie0", cfg(3, 8, 256, 512, 64));
  const sc_time hop = link.hop_latency(), mem(80, SC_NS);
  const sc_time t0(2, sc_core::SC_US);
  const sc_time req = link.wire_time(8 * 24), cpl = link.wire_time(4096 + 64 * 20);
  EXPECT_EQ(link.read(t0, 4096, mem), t0 + req + hop + mem + cpl + hop);
  EXPECT_EQ(link.upstream_stats().tlps, 8u);
  EXPECT_EQ(link.upstream_stats().payload_bytes, 0u);
  EXPECT_EQ(link.downstream_stats().tlps, 64u);
  EXPECT_EQ(link.downstream_stats().payload_bytes, 4096u);
  // A 64 B read round trip: two hops, the completer and ~10 ns of wire.
  pcie_link fresh("pcie9", cfg(3, 8, 256));
  const sc_time rtt = fresh.read(SC_ZERO_TIME, 64, mem);
  EXPECT_EQ(rtt, fresh.wire_time(24) + hop + mem + fresh.wire_time(84) + hop);
  EXPECT_GT(rtt, sc_time(250, SC_NS));
  EXPECT_LT(rtt, sc_time(500, SC_NS));
  // Host reads (MMIO) use the opposite directions.
  const sc_time t1(5, sc_core::SC_US);
  EXPECT_EQ(link.host_read(t1, 4, sc_time(20, SC_NS)),
            t1 + link.wire_time(24) + hop + sc_time(20, SC_NS) + link.wire_time(24) + hop);
  EXPECT_EQ(link.downstream_stats().tlps, 65u);
  EXPECT_EQ(link.upstream_stats().tlps, 9u);
}

// A host side that takes a fixed completer latency and fails one address.
class stub_host : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<stub_host> socket;
  explicit stub_host(sc_core::sc_module_name n) : sc_module(n), socket("socket") {
    socket.register_b_transport(this, &stub_host::b_transport);
  }
  sc_time latency{80, SC_NS};
  uint64_t bad_address = ~0ull;
  uint16_t last_requester = 0;
  sc_time last_arrival;

 private:
  void b_transport(tlm::tlm_generic_payload& t, sc_time& delay) {
    last_arrival = sc_core::sc_time_stamp() + delay;
    if (auto* ext = t.get_extension<kit::pcie_ext>()) last_requester = ext->requester_id;
    if (t.get_address() == bad_address) {
      t.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
      return;
    }
    delay += latency;
    t.set_response_status(tlm::TLM_OK_RESPONSE);
  }
};

struct stub_device : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<stub_device> socket;
  explicit stub_device(sc_core::sc_module_name n) : sc_module(n), socket("socket") {}
};

TEST_F(link_timing, upstream_path_charges_the_link_and_passes_status_through) {
  pcie_link link("pcie0", cfg(3, 4, 256, 512, 64));
  link_upstream_path path("path", link);
  stub_host host("host");
  stub_device dev("dev");
  dev.socket.bind(path.from_device);
  path.to_host.bind(host.socket);
  const sc_time hop = link.hop_latency();

  uint8_t data[512] = {};
  kit::pcie_ext ext;
  ext.requester_id = kit::make_rid(3, 0);
  tlm::tlm_generic_payload t;
  t.set_extension(&ext);
  t.set_data_ptr(data);
  auto send = [&](tlm::tlm_command cmd, uint64_t addr, unsigned len) {
    t.set_command(cmd);
    t.set_address(addr);
    t.set_data_length(len);
    t.set_streaming_width(len);
    t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_time delay = SC_ZERO_TIME;
    dev.socket->b_transport(t, delay);
    return delay;
  };
  // A write: the host sees it when its last byte arrived, then adds its latency.
  const sc_time w = link.wire_time(280);
  EXPECT_EQ(send(tlm::TLM_WRITE_COMMAND, 0x1000, 256), w + hop + host.latency);
  EXPECT_EQ(host.last_arrival, w + hop);
  EXPECT_EQ(host.last_requester, kit::make_rid(3, 0));
  EXPECT_EQ(t.get_response_status(), tlm::TLM_OK_RESPONSE);
  // A read: request up, the host's latency, completions down.
  const sc_time r = send(tlm::TLM_READ_COMMAND, 0x2000, 512);
  // (the request waits for the write still on the upstream direction)
  EXPECT_EQ(r, w + link.wire_time(24) + hop + host.latency + link.wire_time(512 + 8 * 20) + hop);
  // A failed read returns one completion without data and the error status.
  host.bad_address = 0x3000;
  const uint64_t down_before = link.downstream_stats().wire_bytes;
  const sc_time f = send(tlm::TLM_READ_COMMAND, 0x3000, 512);
  EXPECT_EQ(t.get_response_status(), tlm::TLM_GENERIC_ERROR_RESPONSE);
  EXPECT_EQ(link.downstream_stats().wire_bytes - down_before, 20u);
  EXPECT_GT(f, hop + hop);
  t.clear_extension(&ext);
}

}  // namespace
}  // namespace iovsim::pcie
