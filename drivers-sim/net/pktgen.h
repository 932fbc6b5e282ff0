// pktgen, the kernel's packet generator (Linux net/core/pktgen.c, Documentation/
// networking/pktgen.rst): UDP frames of one size built once and handed to the
// driver's ndo_start_xmit in a loop, below the stack, for a count, at a rate or as
// fast as the driver takes them. NETDEV_TX_BUSY (ring full) is retried after
// `host.pktgen.busy_wait`, as pktgen's xmit loop retries. The result reads like the
// "Result:" line of /proc/net/pktgen/<dev>.
#pragma once

#include <cstdint>
#include <string>
#include <systemc>

#include "drivers-sim/net/netdev.h"
#include "models/kit/param.h"

namespace iovsim::host {

struct pktgen_config {
  uint64_t dst_mac = 0;
  uint64_t src_mac = 0;             // pktgen.c "src_mac"; 0: the device's address
  uint32_t dst_ip = 0, src_ip = 0;  // 0.0.0.0 as pktgen leaves them unset
  uint32_t pkt_size = 60;           // bytes without FCS (pktgen's pkt_size counts FCS: 64)
  uint64_t count = 1000;
  uint64_t rate_pps = 0;  // 0: as fast as the driver takes them
};

struct pktgen_result {
  uint64_t sent = 0, errors = 0, busy = 0;
  sc_core::sc_time elapsed;
  std::string text() const;  // "Result: OK: ..."
  uint32_t pkt_size = 0;
};

class pktgen {
 public:
  // Runs in the calling SystemC thread until `count` frames were accepted or dropped.
  pktgen_result run(netdev& nd, const pktgen_config& cfg);

 private:
  kit::scope m_scope{"host.pktgen", "host.pktgen"};
  kit::param<sc_core::sc_time> m_busy_wait{m_scope, "busy_wait", sc_core::sc_time(100, sc_core::SC_NS),
                                           "wait before retrying a frame the driver refused (ring full)"};
};

}  // namespace iovsim::host
