#include "models/pcie/link.h"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

#include "models/kit/sim_env.h"

namespace iovsim::pcie {

namespace {

uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

// Row of the interval tables for a width. x12 is in older spec editions but not in
// the 5.0 tables PBM copies; it takes the x8 row (x12's limits lie between x8's and
// x16's, so this errs toward more DLLP overhead).
int width_row(unsigned width) {
  switch (width) {
    case 1: return 0;
    case 2: return 1;
    case 4: return 2;
    case 8: case 12: return 3;
    case 16: return 4;
    case 32: return 5;
    default:
      throw std::invalid_argument(fmt::format("PCIe link width x{} is not one of 1, 2, 4, 8, 12, 16, 32", width));
  }
}

int mps_col(unsigned mps) {
  for (int i = 0; i < 6; ++i)
    if (mps == (128u << i)) return i;
  throw std::invalid_argument(fmt::format("{} is not a power of two in 128..4096", mps));
}

int gen_index(unsigned gen) {
  if (gen < 1 || gen > 5) throw std::invalid_argument(fmt::format("PCIe generation {} is not 1..5", gen));
  return gen >= 3 ? 2 : static_cast<int>(gen) - 1;  // Gen4/5 use the Gen3 values (spec 5.0 Table 3-9)
}

// [gen1, gen2, gen3+][x1, x2, x4, x8, x16, x32][MPS 128 .. 4096], in symbol times,
// taken as bytes of link traffic. PCIe base spec 5.0 Tables 3-7, 3-8, 3-9 (AckNak
// latency limits), as transcribed in pcie-bench model/pcie.py Ack_Limits.
constexpr uint16_t ACK_LIMIT[3][6][6] = {
    {{237, 416, 559, 1071, 2095, 4143}, {128, 217, 289, 545, 1057, 2081}, {73, 118, 154, 282, 538, 1050},
     {67, 107, 86, 150, 278, 534}, {48, 72, 86, 150, 278, 534}, {33, 45, 52, 84, 148, 276}},
    {{288, 467, 610, 1122, 2146, 4194}, {179, 268, 340, 596, 1108, 2132}, {124, 169, 205, 333, 589, 1101},
     {118, 158, 137, 201, 329, 585}, {99, 123, 137, 201, 329, 585}, {84, 96, 103, 135, 199, 237}},
    {{333, 512, 655, 1167, 2191, 4239}, {224, 313, 385, 641, 1153, 2177}, {169, 214, 250, 378, 634, 1146},
     {163, 203, 182, 246, 374, 630}, {144, 168, 182, 246, 374, 630}, {129, 141, 148, 180, 244, 372}},
};
// UpdateFC transmission guidelines: PCIe base spec 5.0 Tables 2-46, 2-47, 2-48 (pcie-bench
// FC_Guide). Equal to the ACK limits except two x32 entries.
constexpr uint16_t FC_GUIDE_X32[2][6] = {
    {33, 45, 52, 84, 248, 276},   // Gen1
    {84, 96, 103, 135, 199, 327}, // Gen2
};

sc_core::sc_time ps(double v) { return sc_core::sc_time(std::ceil(v), sc_core::SC_PS); }

}  // namespace

double raw_gbps(unsigned gen, unsigned width) {
  static constexpr double GT_PER_S[5] = {2.5, 5.0, 8.0, 16.0, 32.0};
  width_row(width);
  gen_index(gen);
  const double encoding = gen <= 2 ? 8.0 / 10.0 : 128.0 / 130.0;
  return GT_PER_S[gen - 1] * encoding * width;
}

unsigned ack_interval_bytes(unsigned gen, unsigned width, unsigned mps) {
  return ACK_LIMIT[gen_index(gen)][width_row(width)][mps_col(mps)];
}

unsigned fc_interval_bytes(unsigned gen, unsigned width, unsigned mps) {
  const int g = gen_index(gen), w = width_row(width), m = mps_col(mps);
  if (g < 2 && w == 5) return FC_GUIDE_X32[g][m];
  return ACK_LIMIT[g][w][m];
}

double tlp_gbps(const link_config& c) {
  const double overhead = double(DLLP_BYTES) / ack_interval_bytes(c.gen, c.width, c.mps) +
                          double(DLLP_BYTES) / fc_interval_bytes(c.gen, c.width, c.mps) +
                          double(SKP_BYTES) / SKP_INTERVAL_BYTES;
  return raw_gbps(c.gen, c.width) * (1.0 - overhead);
}

write_cost write_wire(const link_config& c, uint64_t bytes) {
  write_cost w;
  w.tlps = bytes ? ceil_div(bytes, c.mps) : 0;
  w.wire_bytes = bytes + w.tlps * MWR64_OVERHEAD_BYTES;
  return w;
}

read_cost read_wire(const link_config& c, uint64_t bytes) {
  read_cost r;
  if (bytes == 0) return r;
  r.requests = ceil_div(bytes, c.mrrs);
  r.request_bytes = r.requests * MRD64_BYTES;
  r.completions = ceil_div(bytes, c.rcb);
  r.completion_bytes = bytes + r.completions * CPLD_OVERHEAD_BYTES;
  return r;
}

double write_goodput_gbps(const link_config& c, uint64_t bytes) {
  return tlp_gbps(c) * double(bytes) / double(write_wire(c, bytes).wire_bytes);
}

double read_goodput_gbps(const link_config& c, uint64_t bytes) {
  return tlp_gbps(c) * double(bytes) / double(read_wire(c, bytes).completion_bytes);
}

// --- pcie_link -----------------------------------------------------------------

pcie_link::pcie_link(std::string name, const link_config& negotiated)
    : m_name(std::move(name)), m_negotiated(negotiated) {
  m_cfg = link_config{gen, width, mps, mrrs, rcb};
  // The cost tables know these values only (they throw std::invalid_argument).
  auto check = [](const kit::param_base& p, auto fn) {
    try {
      fn();
    } catch (const std::invalid_argument& e) {
      p.fail(e.what());
    }
  };
  check(gen, [&] { gen_index(m_cfg.gen); });
  check(width, [&] { width_row(m_cfg.width); });
  // An override is the link training lower (a slot wired narrower, a generation
  // forced down), never above what both ends' Link Capabilities allow.
  if (m_cfg.gen > m_negotiated.gen)
    gen.fail(fmt::format("Gen{} is above what both ends of the link support (Gen{})", m_cfg.gen, m_negotiated.gen));
  if (m_cfg.width > m_negotiated.width)
    width.fail(fmt::format("x{} is wider than both ends of the link support (x{})", m_cfg.width, m_negotiated.width));
  check(mps, [&] { mps_col(m_cfg.mps); });
  check(mrrs, [&] { mps_col(m_cfg.mrrs); });
  if (m_cfg.rcb != 64 && m_cfg.rcb != 128) rcb.fail(fmt::format("{} is not 64 or 128", m_cfg.rcb));
  m_tlp_gbps = pcie::tlp_gbps(m_cfg);
}

sc_core::sc_time pcie_link::wire_time(uint64_t wire_bytes) const {
  return ps(double(wire_bytes) * 8000.0 / m_tlp_gbps);  // Gb/s = bit/ns
}

sc_core::sc_time pcie_link::send_write(kit::timed_resource& dir, direction_stats& st, const sc_core::sc_time& now,
                                       uint64_t bytes) {
  const write_cost w = write_wire(m_cfg, bytes);
  st.tlps += w.tlps;
  st.payload_bytes += bytes;
  st.wire_bytes += w.wire_bytes;
  return dir.reserve(now, wire_time(w.wire_bytes)) + hop_latency();
}

sc_core::sc_time pcie_link::send_requests(kit::timed_resource& dir, direction_stats& st, const sc_core::sc_time& now,
                                          uint64_t bytes) {
  const read_cost r = read_wire(m_cfg, bytes);
  st.tlps += r.requests;
  st.wire_bytes += r.request_bytes;
  return dir.reserve(now, wire_time(r.request_bytes)) + hop_latency();
}

sc_core::sc_time pcie_link::send_completions(kit::timed_resource& dir, direction_stats& st,
                                             const sc_core::sc_time& ready, uint64_t bytes) {
  read_cost r = read_wire(m_cfg, bytes);
  if (bytes == 0) r = {0, 0, 1, CPLD_OVERHEAD_BYTES};  // a Cpl without data: same 3 DW header
  st.tlps += r.completions;
  st.payload_bytes += bytes;
  st.wire_bytes += r.completion_bytes;
  return dir.reserve(ready, wire_time(r.completion_bytes)) + hop_latency();
}

sc_core::sc_time pcie_link::posted_write(const sc_core::sc_time& now, uint64_t bytes) {
  return send_write(m_up, m_up_stats, now, bytes);
}

sc_core::sc_time pcie_link::read_request(const sc_core::sc_time& now, uint64_t bytes) {
  return send_requests(m_up, m_up_stats, now, bytes);
}

sc_core::sc_time pcie_link::read_completion(const sc_core::sc_time& data_ready, uint64_t bytes) {
  return send_completions(m_down, m_down_stats, data_ready, bytes);
}

sc_core::sc_time pcie_link::read(const sc_core::sc_time& now, uint64_t bytes,
                                 const sc_core::sc_time& completer_latency) {
  return read_completion(read_request(now, bytes) + completer_latency, bytes);
}

sc_core::sc_time pcie_link::host_write(const sc_core::sc_time& now, uint64_t bytes) {
  return send_write(m_down, m_down_stats, now, bytes);
}

sc_core::sc_time pcie_link::host_read(const sc_core::sc_time& now, uint64_t bytes,
                                      const sc_core::sc_time& completer_latency) {
  const sc_core::sc_time req = send_requests(m_down, m_down_stats, now, bytes);
  return send_completions(m_up, m_up_stats, req + completer_latency, bytes);
}

// --- link_upstream_path ------------------------------------------------------------

link_upstream_path::link_upstream_path(sc_core::sc_module_name name, pcie_link& link)
    : sc_module(name), from_device("from_device"), to_host("to_host"), m_link(link) {
  from_device.register_b_transport(this, &link_upstream_path::b_transport);
}

void link_upstream_path::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  const sc_core::sc_time stamp = sc_core::sc_time_stamp();
  const uint64_t bytes = trans.get_data_length();
  if (trans.is_write()) {
    delay = m_link.posted_write(stamp + delay, bytes) - stamp;
    to_host->b_transport(trans, delay);
    return;
  }
  delay = m_link.read_request(stamp + delay, bytes) - stamp;
  to_host->b_transport(trans, delay);  // the host side adds the completer latency
  // A failed read still returns one completion (UR/CA status, no data): charge the header.
  const uint64_t data = trans.get_response_status() == tlm::TLM_OK_RESPONSE ? bytes : 0;
  delay = m_link.read_completion(stamp + delay, data) - stamp;
}

}  // namespace iovsim::pcie
