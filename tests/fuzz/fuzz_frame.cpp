// fuzz_frame: bytes as a frame arriving from the wire. The packet library's parser
// (models/net/headers.h) and RSS hash take it, then a traffic sink receives it the
// way a frame off a wire reaches it. When the NIC core lands, its receive path joins
// here (issue 10).
//
// Findings: a crash, an out-of-bounds read (ASan; the frame's bytes are an exact-size
// copy so a read one past the end is caught), UB; a layer marked present whose header
// is not inside the frame; a payload past the end; a hash that differs between two
// computations; a parser that finds different layers when asked to skip checksums.
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "models/kit/sim_env.h"
#include "models/net/frame.h"
#include "models/net/headers.h"
#include "models/net/toeplitz.h"
#include "models/wire/traffic.h"
#include "models/wire/wire.h"
#include "tests/fuzz/fuzz_common.h"

using namespace iovsim;

namespace {

// The sink: built once (receiving needs no simulation time to pass).
struct bench {
  bench() {
    kit::fresh_systemc_context();
    env = std::make_unique<kit::sim_env>(1);
    w = std::make_unique<wire::wire>("w0", 10000);
    sink = std::make_unique<wire::traffic_port>("sink", *w, 0);
  }
  std::unique_ptr<kit::sim_env> env;
  std::unique_ptr<wire::wire> w;
  std::unique_ptr<wire::traffic_port> sink;
  net::frame_pool pool{4};
  net::toeplitz rss;
};

void check_layers(const net::parsed_frame& p, uint32_t n) {
  auto inside = [&](bool present, uint32_t offset, uint32_t bytes, const char* what) {
    if (present && (offset > n || bytes > n - offset))
      fuzz::fuzz_fail(std::string(what) + " header is not inside the frame");
  };
  inside(p.has_eth, 0, net::ETH_HEADER_BYTES, "Ethernet");
  inside(p.has_arp, p.l3_offset, net::ARP_IPV4_BYTES, "ARP");
  inside(p.has_ipv4, p.l3_offset, net::IPV4_HEADER_BYTES, "IPv4");
  inside(p.has_udp, p.l4_offset, net::UDP_HEADER_BYTES, "UDP");
  inside(p.has_tcp, p.l4_offset, net::TCP_HEADER_BYTES, "TCP");
  inside(p.has_icmp, p.l4_offset, net::ICMP_ECHO_HEADER_BYTES, "ICMP");
  if (p.payload_offset > n || p.payload_bytes > n - p.payload_offset) fuzz::fuzz_fail("payload past the end");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bench b;
  const auto n = static_cast<uint32_t>(std::min<size_t>(size, net::MAX_FRAME_BYTES));
  const std::vector<uint8_t> exact(data, data + n);  // heap, exact size: ASan sees over-reads
  const net::parsed_frame checked = net::parse(exact.data(), n, true);
  const net::parsed_frame unchecked = net::parse(exact.data(), n, false);
  check_layers(checked, n);
  check_layers(unchecked, n);
  if (checked.has_ipv4 != unchecked.has_ipv4 || checked.has_udp != unchecked.has_udp ||
      checked.has_tcp != unchecked.has_tcp || checked.payload_offset != unchecked.payload_offset)
    fuzz::fuzz_fail("checking checksums changed which layers were found");
  for (const uint32_t fields :
       {net::MRQC_RSS_FIELD_IPV4, net::MRQC_RSS_FIELD_IPV4_TCP, net::MRQC_RSS_FIELD_IPV4_UDP,
        net::MRQC_RSS_FIELD_IPV4 | net::MRQC_RSS_FIELD_IPV4_TCP | net::MRQC_RSS_FIELD_IPV4_UDP}) {
    const net::rss_result a = net::rss_hash(b.rss, checked, fields), c = net::rss_hash(b.rss, checked, fields);
    if (a.hash != c.hash || a.type != c.type) fuzz::fuzz_fail("RSS hash is not a function of the frame");
  }
  net::frame_ptr f = b.pool.get();
  f->assign(exact.data(), n);
  b.sink->frame_arrived(std::move(f));
  if (b.pool.in_use() != 0) fuzz::fuzz_fail("the sink kept a frame");
  return 0;
}
