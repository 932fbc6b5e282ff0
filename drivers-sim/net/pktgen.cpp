#include "drivers-sim/net/pktgen.h"

#include <fmt/format.h>

#include <cerrno>

#include "models/net/frame.h"
#include "models/net/headers.h"

namespace iovsim::host {

// pktgen.c show_results(): "OK: <usec>(c<usec>+d<idle>) usec, <sent> (<size>byte,<frags>frags)"
// then "<pps>pps <Mb>Mb/sec (<bps>bps) errors: <errors>". Sizes count the FCS.
std::string pktgen_result::text() const {
  const uint64_t usec = static_cast<uint64_t>(elapsed.to_seconds() * 1e6);
  const double secs = elapsed.to_seconds();
  const uint64_t pps = secs > 0 ? static_cast<uint64_t>(static_cast<double>(sent) / secs) : 0;
  const uint64_t bps = pps * (pkt_size + 4) * 8;
  return fmt::format("Result: OK: {}(c{}+d0) usec, {} ({}byte,0frags)\n  {}pps {}Mb/sec ({}bps) errors: {}\n", usec,
                     usec, sent, pkt_size + 4, pps, bps / 1000000, bps, errors);
}

pktgen_result pktgen::run(netdev& nd, const pktgen_config& cfg) {
  net::frame_pool pool(1);
  net::frame_pool::frame_ptr f = pool.get();
  net::udp_spec u;
  for (int b = 0; b < 6; ++b) {
    u.eth.dst.bytes[b] = static_cast<uint8_t>(cfg.dst_mac >> (40 - 8 * b));
    u.eth.src.bytes[b] = static_cast<uint8_t>((cfg.src_mac ? cfg.src_mac : nd.mac) >> (40 - 8 * b));
  }
  u.ip.src = net::ipv4_addr{cfg.src_ip};
  u.ip.dst = net::ipv4_addr{cfg.dst_ip};
  u.src_port = 9;  // pktgen's udp_src_min / udp_dst_min defaults
  u.dst_port = 9;
  u.payload.bytes = net::udp_payload_for(cfg.pkt_size, false);
  net::build_udp(*f, u);
  pktgen_result r;
  r.pkt_size = f->size();
  const sc_core::sc_time start = sc_core::sc_time_stamp();
  const sc_core::sc_time gap =
      cfg.rate_pps ? sc_core::sc_time(1e12 / static_cast<double>(cfg.rate_pps), sc_core::SC_PS) : sc_core::SC_ZERO_TIME;
  for (uint64_t i = 0; i < cfg.count; ++i) {
    // pktgen_xmit(): "If device is offline, then don't send": a device that is not
    // running or has no carrier stops the run (pktgen_stop_device).
    if (!nd.admin_up || !nd.carrier) break;
    if (cfg.rate_pps) {
      const sc_core::sc_time due = start + gap * static_cast<double>(i);
      if (due > sc_core::sc_time_stamp()) sc_core::wait(due - sc_core::sc_time_stamp());
    }
    while (true) {
      const int err = nd.ops->start_xmit(nd, f->data(), f->size());
      if (err == 0) {
        ++r.sent;
        break;
      }
      if (err != -EBUSY) {
        ++r.errors;
        break;
      }
      ++r.busy;
      sc_core::wait(m_busy_wait());
    }
  }
  r.elapsed = sc_core::sc_time_stamp() - start;
  return r;
}

}  // namespace iovsim::host
