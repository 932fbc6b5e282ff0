#include "models/wire/traffic.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "models/net/byte_order.h"
#include "models/wire/ethernet.h"

namespace iovsim::wire {

namespace {

using net::get16;
using net::get32;
using net::get64;
using net::put16;
using net::put32;
using net::put64;

constexpr uint64_t PS_PER_S = 1'000'000'000'000ull;

uint64_t to_ps(const sc_core::sc_time& t) { return t.value(); }  // the kernel's resolution is 1 ps
sc_core::sc_time from_ps(uint64_t ps) { return sc_core::sc_time(static_cast<double>(ps), sc_core::SC_PS); }

}  // namespace

traffic_port::traffic_port(sc_core::sc_module_name name, wire& w, unsigned side, uint32_t pool_frames)
    : sc_module(name), m_wire(w), m_side(side), m_pool(pool_frames) {
  sc_core::sc_spawn_options o;
  o.spawn_method();
  o.set_sensitivity(&m_tick);
  o.dont_initialize();
  sc_core::sc_spawn([this] { send_next(); }, "send", &o);
  m_wire.attach(side, *this);
}

void traffic_port::start(const traffic_spec& spec) {
  const std::string who = name();
  if (spec.dst.empty()) throw std::invalid_argument(who + ": traffic needs a destination MAC");
  if (spec.sizes.empty()) throw std::invalid_argument(who + ": traffic needs a frame size");
  if (spec.flows == 0) throw std::invalid_argument(who + ": flows must be at least 1");
  uint64_t wire_bits = 0;
  for (const uint32_t size : spec.sizes) {
    if (size < MIN_FRAME_BYTES || size > net::with_fcs(net::MAX_FRAME_BYTES))
      throw std::invalid_argument(fmt::format("{}: a {} B frame is outside {}..{} B (FCS included)", who, size,
                                              MIN_FRAME_BYTES, net::with_fcs(net::MAX_FRAME_BYTES)));
    wire_bits += 8 * wire_bytes(net::without_fcs(size));
  }
  const uint64_t line_bps = uint64_t{m_wire.rate_mbps()} * 1'000'000;
  // Frames per second times the mean wire bits of the sizes, against the line.
  const unsigned __int128 pps_bits = static_cast<unsigned __int128>(spec.rate_pps) * wire_bits;
  if (spec.rate_bps > line_bps || pps_bits > static_cast<unsigned __int128>(line_bps) * spec.sizes.size())
    throw std::invalid_argument(
        fmt::format("{}: {} is above the line rate of {} Mb/s", who,
                    spec.rate_pps ? fmt::format("{} frames/s", spec.rate_pps) : fmt::format("{} b/s", spec.rate_bps),
                    m_wire.rate_mbps()));
  if (spec.vxlan_vni && *spec.vxlan_vni > net::VXLAN_MAX_VNI)
    throw std::invalid_argument(
        fmt::format("{}: VXLAN VNI {} is outside 0..{}", who, *spec.vxlan_vni, net::VXLAN_MAX_VNI));
  m_spec = spec;
  m_templates.clear();
  const bool tunnel = spec.vxlan_vni.has_value();
  m_at.l3 = net::ETH_HEADER_BYTES + (spec.vlan_tci ? net::VLAN_TAG_BYTES : 0);
  m_at.l4 = m_at.l3 + net::IPV4_HEADER_BYTES;
  m_at.test_l3 = tunnel ? m_at.l4 + net::UDP_HEADER_BYTES + net::VXLAN_HEADER_BYTES + net::ETH_HEADER_BYTES : m_at.l3;
  m_at.test_l4 = m_at.test_l3 + net::IPV4_HEADER_BYTES;
  for (const uint32_t size : spec.sizes) {
    const uint32_t frame_bytes = net::without_fcs(size);
    net::udp_spec u;
    u.eth.src = spec.src;
    u.eth.vlan_tci = spec.vlan_tci;
    u.ip.src = spec.src_ip;
    u.ip.dst = spec.dst_ip;
    u.dst_port = spec.dst_port;
    frame_template t{m_pool.get(), 0};
    if (tunnel) {
      // The inner frame carries the test header; a frame too small to hold it grows.
      net::vxlan_spec v;
      v.eth = u.eth;
      v.ip = u.ip;
      v.vni = *spec.vxlan_vni;
      v.inner.eth = {TUNNEL_INNER_DST_MAC, TUNNEL_INNER_SRC_MAC, std::nullopt};
      v.inner.ip.src = TUNNEL_INNER_SRC_IP;
      v.inner.ip.dst = TUNNEL_INNER_DST_IP;
      v.inner.dst_port = spec.dst_port;
      v.inner.payload.bytes =
          std::max(net::vxlan_udp_payload_for(frame_bytes, spec.vlan_tci.has_value()), TEST_HEADER_BYTES);
      u.payload = v.inner.payload;
      net::build_vxlan(*t.f, v);
    } else {
      u.payload.bytes = std::max(net::udp_payload_for(frame_bytes, spec.vlan_tci.has_value()), TEST_HEADER_BYTES);
      net::build_udp(*t.f, u);
    }
    const uint32_t payload = m_at.test_l4 + net::UDP_HEADER_BYTES;
    t.rest_sum = net::checksum_add(0, t.f->data() + payload + TEST_HEADER_BYTES, u.payload.bytes - TEST_HEADER_BYTES);
    m_templates.push_back(std::move(t));
  }
  m_running = true;
  m_sent = 0;
  m_started = sc_core::sc_time_stamp();
  m_pace_base = m_started;
  m_paced = 0;
  m_tick.notify(sc_core::SC_ZERO_TIME);
}

void traffic_port::stop() {
  m_running = false;
  m_tick.cancel();
}

void traffic_port::link_changed(bool up) {
  m_link_up = up;
  // A generator pauses while its link is down and picks up at its rate, without a
  // burst to catch up, when it comes back.
  if (up && m_running && sc_core::sc_is_running()) {
    m_pace_base = sc_core::sc_time_stamp();
    m_paced = 0;
    m_tick.notify(sc_core::SC_ZERO_TIME);
  }
}

net::frame_ptr traffic_port::build(uint64_t n, const sc_core::sc_time& now) {
  const traffic_spec& s = m_spec;
  const frame_template& t = m_templates[n % m_templates.size()];
  net::frame_ptr f = m_pool.get();
  f->assign(t.f->data(), t.f->size());
  uint8_t* d = f->data();
  const uint32_t l3 = m_at.l3, l4 = m_at.test_l4;  // l4: the UDP header before the test header
  const net::mac_addr& dst = s.dst[n % s.dst.size()];
  std::copy(dst.bytes.begin(), dst.bytes.end(), d);
  if (!s.src_macs.empty()) {
    const net::mac_addr& src = s.src_macs[n % s.src_macs.size()];
    std::copy(src.bytes.begin(), src.bytes.end(), d + 6);
  }
  put16(d + l3 + 4, static_cast<uint16_t>(n));  // IP identification
  put16(d + l3 + 10, 0);
  put16(d + l3 + 10, net::inet_checksum(d + l3, net::IPV4_HEADER_BYTES));
  const uint16_t flow = static_cast<uint16_t>(n % s.flows);
  // A tunnel's outer source port follows the inner flow (RFC 7348 section 5), as a
  // VTEP's hash would; its UDP checksum stays zero. The inner IP id stays the template's.
  if (s.vxlan_vni) put16(d + m_at.l4, static_cast<uint16_t>(TUNNEL_SRC_PORT_BASE + flow % 16384));
  put16(d + l4, static_cast<uint16_t>(s.src_port + flow));
  uint8_t* h = d + l4 + net::UDP_HEADER_BYTES;
  put16(h, TEST_HEADER_MAGIC);
  put16(h + 2, s.stream);
  put32(h + 4, static_cast<uint32_t>(n));
  put64(h + 8, to_ps(now));
  // RFC 768: pseudo header, UDP header without its checksum field, the test header,
  // then the rest of the payload, whose sum the template keeps.
  const uint32_t udp_bytes = get16(d + l4 + 4);
  uint8_t pseudo[12];
  std::copy(d + m_at.test_l3 + 12, d + m_at.test_l3 + 20, pseudo);
  pseudo[8] = 0;
  pseudo[9] = net::IP_PROTO_UDP;
  put16(pseudo + 10, static_cast<uint16_t>(udp_bytes));
  uint32_t sum = net::checksum_add(0, pseudo, sizeof pseudo);
  sum = net::checksum_add(sum, d + l4, 6);
  sum = net::checksum_add(sum, h, TEST_HEADER_BYTES);
  const uint16_t c = net::checksum_fold(sum + t.rest_sum);
  put16(d + l4 + 6, c == 0 ? 0xffff : c);
  f->born_ps = to_ps(now);
  return f;
}

void traffic_port::send_next() {
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  if (!m_running) return;
  if ((m_spec.count && m_sent >= m_spec.count) ||
      (m_spec.duration != sc_core::SC_ZERO_TIME && now >= m_started + m_spec.duration)) {
    m_running = false;
    return;
  }
  if (!m_link_up) return;  // link_changed() starts again
  net::frame_ptr f = build(m_sent, now);
  const uint32_t bytes = f->size();
  ++m_counts.tx_frames;
  m_counts.tx_bytes += bytes;
  ++m_sent;
  const sc_core::sc_time wire_free = m_wire.send(m_side, std::move(f));
  // The schedule is kept as an exact count since m_pace_base (frames for a packet
  // rate, wire bits for a bit rate), so rounding never drifts.
  sc_core::sc_time next = wire_free;
  if (m_spec.rate_pps) {
    m_paced += 1;
    next = std::max(next, m_pace_base + from_ps(static_cast<uint64_t>(m_paced * PS_PER_S / m_spec.rate_pps)));
  } else if (m_spec.rate_bps) {
    m_paced += 8 * wire_bytes(bytes);
    next = std::max(next, m_pace_base + from_ps(static_cast<uint64_t>(m_paced * PS_PER_S / m_spec.rate_bps)));
  }
  m_tick.notify(next - now);
}

void traffic_port::frame_arrived(net::frame_ptr f) {
  ++m_counts.rx_frames;
  m_counts.rx_bytes += f->size();
  const bool verify = verify_checksums() != 0;
  net::parsed_frame p = net::parse(*f, verify);
  uint32_t base = 0;  // where the frame holding the test header starts
  if (p.ok() && p.has_vxlan) {
    base = p.inner_offset;
    p = net::parse(f->data() + base, f->size() - base, verify);
  }
  if (!p.ok()) {
    ++m_counts.rx_bad;
    return;
  }
  if (!p.has_udp || p.payload_bytes < TEST_HEADER_BYTES) return;
  const uint8_t* h = f->data() + base + p.payload_offset;
  if (get16(h) != TEST_HEADER_MAGIC) return;
  ++m_counts.rx_test_frames;
  const uint64_t now = to_ps(sc_core::sc_time_stamp());
  const uint64_t sent = get64(h + 8);
  if (sent <= now) m_latency.sample(now - sent);
  stream_counts& s = m_streams[get16(h + 2)];
  ++s.frames;
  const uint32_t seq = get32(h + 4);
  // Serial-number arithmetic (RFC 1982 style): a sequence ahead of the expected one
  // skipped the frames between; one behind came late or twice.
  const auto ahead = static_cast<int32_t>(seq - s.next_seq);
  if (ahead >= 0) {
    s.lost += static_cast<uint32_t>(ahead);
    s.next_seq = seq + 1;
  } else {
    ++s.reordered;
  }
}

}  // namespace iovsim::wire
