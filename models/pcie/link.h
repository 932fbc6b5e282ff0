// A PCIe link as a cost model (REFERENCE.md section 9, pcie-bench's pcie-model
// `model/pcie.py`, "PBM"): raw rate per generation and width, the Data Link Layer's
// ACK and flow-control DLLPs and the SKP ordered sets taken off the top, and per-TLP
// framing, sequence number, LCRC and header bytes charged per TLP. Writes split at
// Max Payload Size, reads at Max Read Request Size with completions split at the Read
// Completion Boundary. Timing by reservation (DESIGN.md section 2): each direction is
// one kit::timed_resource, so a transfer of B bytes holds its direction for
// wire_bytes(B) / link rate and arrives `hop_latency` after its last byte left.
#pragma once

#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <string>
#include <systemc>
#include <tlm>

#include "models/kit/param.h"
#include "models/kit/series.h"
#include "models/kit/stats.h"
#include "models/kit/timed_resource.h"

namespace iovsim::pcie {

// Per-TLP bytes on the wire besides the payload (PBM pcie.py TLP_*/DLLP_Hdr): 2 B
// physical-layer framing (start/end), 2 B sequence number, 4 B LCRC, 4 B common
// header, then the type-specific header.
constexpr unsigned TLP_FRAMING_BYTES = 2, TLP_SEQUENCE_BYTES = 2, TLP_LCRC_BYTES = 4,
                   TLP_COMMON_HEADER_BYTES = 4;
constexpr unsigned TLP_LINK_BYTES = TLP_FRAMING_BYTES + TLP_SEQUENCE_BYTES + TLP_LCRC_BYTES;  // 8
// 64-bit memory write / read request: 8 B address + 4 B requester/tag/BE = 24 B in all.
constexpr unsigned MWR64_OVERHEAD_BYTES = TLP_LINK_BYTES + TLP_COMMON_HEADER_BYTES + 12;
constexpr unsigned MRD64_BYTES = MWR64_OVERHEAD_BYTES;
// Completion with data: completer ID, byte count, requester ID, tag = 20 B in all.
constexpr unsigned CPLD_OVERHEAD_BYTES = TLP_LINK_BYTES + TLP_COMMON_HEADER_BYTES + 8;
// ACK / UpdateFC DLLP: 2 B framing + 4 B DLLP + 2 B CRC; SKP: ~4 B every 1538 B.
constexpr unsigned DLLP_BYTES = 8, SKP_BYTES = 4, SKP_INTERVAL_BYTES = 1538;
constexpr unsigned DEFAULT_RCB_BYTES = 64;  // PCIe base spec 2.3.1.1: root complexes may use 64 or 128

// What a link negotiated.
struct link_config {
  unsigned gen = 3;         // 1..5 (2.5, 5, 8, 16, 32 GT/s)
  unsigned width = 8;       // lanes: 1, 2, 4, 8, 12, 16, 32
  unsigned mps = 256;       // Max Payload Size, bytes: 128..4096
  unsigned mrrs = 512;      // Max Read Request Size, bytes: 128..4096
  unsigned rcb = DEFAULT_RCB_BYTES;  // Read Completion Boundary, bytes: 64 or 128
};

// --- Pure functions (no SystemC state) ----------------------------------------
// Raw rate after line encoding, Gb/s (8b/10b for Gen1/2, 128b/130b for Gen3-5).
double raw_gbps(unsigned gen, unsigned width);
// Spec-recommended ACK and UpdateFC intervals in bytes for gen/width/MPS: PCIe base
// spec 5.0 Tables 3-7..3-9 (AckNak latency limits) and 2-46..2-48 (UpdateFC
// guidelines), the values pcie-bench's model/pcie.py Ack_Limits / FC_Guide hold.
// Throws std::invalid_argument for values outside the tables.
unsigned ack_interval_bytes(unsigned gen, unsigned width, unsigned mps);
unsigned fc_interval_bytes(unsigned gen, unsigned width, unsigned mps);
// Bandwidth left for TLPs: raw x (1 - 8/ack - 8/fc - 4/1538), Gb/s.
double tlp_gbps(const link_config& c);

struct write_cost {
  uint64_t tlps = 0;
  uint64_t wire_bytes = 0;  // payload + per-TLP overhead
};
// A memory write of `bytes`: ceil(bytes / MPS) TLPs of 24 B overhead each.
write_cost write_wire(const link_config& c, uint64_t bytes);

struct read_cost {
  uint64_t requests = 0;           // read request TLPs (requester -> completer)
  uint64_t request_bytes = 0;
  uint64_t completions = 0;        // completion-with-data TLPs (completer -> requester)
  uint64_t completion_bytes = 0;
};
// A memory read of `bytes`: ceil(bytes / MRRS) requests one way, the data in
// ceil(bytes / RCB) completions of 20 B overhead each the other way.
read_cost read_wire(const link_config& c, uint64_t bytes);

// Effective bandwidth for transfers of `bytes`, Gb/s of payload.
double write_goodput_gbps(const link_config& c, uint64_t bytes);
double read_goodput_gbps(const link_config& c, uint64_t bytes);  // the completion direction

// --- The timed link -----------------------------------------------------------
class pcie_link {
 public:
  struct direction_stats {
    uint64_t tlps = 0;
    uint64_t payload_bytes = 0;
    uint64_t wire_bytes = 0;
  };

  // `name` is the link's hierarchical name ("link.nic"); `negotiated` is what the
  // profiles negotiated, the parameters' defaults. Impossible values throw
  // std::invalid_argument naming the parameter.
  pcie_link(std::string name, const link_config& negotiated);

  const std::string& name() const { return m_name; }
  const link_config& config() const { return m_cfg; }
  double tlp_gbps() const { return m_tlp_gbps; }
  // Time `wire_bytes` hold one direction.
  sc_core::sc_time wire_time(uint64_t wire_bytes) const;

  // Device -> host memory write (posted): occupies upstream; returns when the last
  // byte reached the root complex.
  sc_core::sc_time posted_write(const sc_core::sc_time& now, uint64_t bytes);
  // Device reads host memory: requests upstream, `completer_latency` at the root
  // complex, completions downstream; returns when the last completion arrived.
  sc_core::sc_time read(const sc_core::sc_time& now, uint64_t bytes, const sc_core::sc_time& completer_latency);
  // The two halves of read(), for callers that learn the completer latency from the
  // completer itself: the time the last request arrived, and the time the last
  // completion arrived given when the data was ready (bytes 0: one completion
  // without data, as an Unsupported Request or Completer Abort returns).
  sc_core::sc_time read_request(const sc_core::sc_time& now, uint64_t bytes);
  sc_core::sc_time read_completion(const sc_core::sc_time& data_ready, uint64_t bytes);

  // Host -> device (MMIO): the same with the directions swapped.
  sc_core::sc_time host_write(const sc_core::sc_time& now, uint64_t bytes);
  sc_core::sc_time host_read(const sc_core::sc_time& now, uint64_t bytes, const sc_core::sc_time& completer_latency);

  // Traffic per direction; upstream = toward the root complex.
  const direction_stats& upstream_stats() const { return m_up_stats; }
  const direction_stats& downstream_stats() const { return m_down_stats; }
  const kit::timed_resource& upstream() const { return m_up; }
  const kit::timed_resource& downstream() const { return m_down; }

 private:
  sc_core::sc_time send_write(kit::timed_resource& dir, direction_stats& st, const sc_core::sc_time& now,
                              uint64_t bytes);
  sc_core::sc_time send_requests(kit::timed_resource& dir, direction_stats& st, const sc_core::sc_time& now,
                                 uint64_t bytes);
  sc_core::sc_time send_completions(kit::timed_resource& dir, direction_stats& st, const sc_core::sc_time& ready,
                                    uint64_t bytes);

  std::string m_name;
  const link_config m_negotiated;
  kit::scope m_scope{m_name, "link"};

 public:
  // Parameters (`link.nic.width=4` for this link, `link.width=4` for every link).
  kit::param<unsigned> gen{m_scope, "gen", m_negotiated.gen, "generation",
                           "PCIe generation negotiated (1..5: 2.5..32 GT/s per lane)"};
  kit::param<unsigned> width{m_scope, "width", m_negotiated.width, "lanes", "negotiated link width"};
  kit::param<unsigned> mps{m_scope, "mps", m_negotiated.mps, "bytes", "Max Payload Size: writes and completions split at it"};
  kit::param<unsigned> mrrs{m_scope, "mrrs", m_negotiated.mrrs, "bytes", "Max Read Request Size: reads split at it"};
  kit::param<unsigned> rcb{m_scope, "rcb", m_negotiated.rcb, "bytes",
                           "Read Completion Boundary: completions split at it (64 or 128)"};
  // pcie-bench (Neugebauer et al., SIGCOMM 2018) measured 64 B DMA read round trips
  // of a few hundred ns (~250-500 ns) on Xeon hosts: two hops of 150 ns plus ~80 ns
  // of DRAM and the serialisation land in that range.
  kit::param<sc_core::sc_time> hop_latency{
      m_scope, "hop_latency", sc_core::sc_time(150, sc_core::SC_NS),
      "one-way latency of a TLP through PHY, data link layer and the wire, after its last byte"};

 private:
  link_config m_cfg;
  double m_tlp_gbps = 0;
  kit::timed_resource m_up, m_down;
  direction_stats m_up_stats, m_down_stats;

  // Statistics (shown once the link carried a TLP).
  kit::stat_group m_stats{m_name, "a PCIe link"};
  kit::formula m_stat_up_payload{m_stats, "upstream_payload", "bytes", "payload bytes toward the root complex",
                                 [this] { return static_cast<double>(m_up_stats.payload_bytes); }, true};
  kit::formula m_stat_down_payload{m_stats, "downstream_payload", "bytes", "payload bytes toward the device",
                                   [this] { return static_cast<double>(m_down_stats.payload_bytes); }, true};
  kit::formula m_stat_up_busy{m_stats, "upstream_busy", "s", "time the upstream direction was busy sending",
                              [this] { return m_up.busy_total().to_seconds(); }, true};
  // Plotted over time (series.json, category link).
  kit::series_track m_track_up{m_stat_up_payload, kit::series_category::link, m_name + " up"};
  kit::series_track m_track_down{m_stat_down_payload, kit::series_category::link, m_name + " down"};
};

// TLM glue: device-initiated memory requests crossing a link toward the root
// complex. Writes hold upstream; reads hold upstream for the requests, then ask the
// host side (whose annotated delay is the completer latency) and hold downstream for
// the completions. Response status and extensions pass through untouched.
class link_upstream_path : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<link_upstream_path> from_device;
  tlm_utils::simple_initiator_socket<link_upstream_path> to_host;

  link_upstream_path(sc_core::sc_module_name name, pcie_link& link);

 private:
  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  pcie_link& m_link;
};

}  // namespace iovsim::pcie
