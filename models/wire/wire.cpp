#include "models/wire/wire.h"

#include <fmt/format.h>

#include <stdexcept>
#include <utility>

#include "models/kit/sim_env.h"
#include "models/wire/ethernet.h"

namespace iovsim::wire {

wire::wire(sc_core::sc_module_name name, uint32_t rate_mbps) : sc_module(name), m_negotiated_mbps(rate_mbps) {
  if (!is_supported_rate(rate))
    rate.fail(fmt::format("{} Mb/s is not a port speed (one of {})", rate.get(), supported_rates_text()));
  m_rate_mbps = rate;
  for (unsigned side = 0; side < 2; ++side) {
    sc_core::sc_spawn_options o;
    o.spawn_method();
    o.set_sensitivity(&m_dir[side].arrive);
    o.dont_initialize();
    sc_core::sc_spawn([this, side] { deliver(side); }, side == 0 ? "deliver_0_to_1" : "deliver_1_to_0", &o);
  }
}

void wire::attach(unsigned side, wire_end& end) {
  if (side > 1 || m_end[side])
    throw std::logic_error(fmt::format("{}: end {} is {}", name(), side, side > 1 ? "not 0 or 1" : "already attached"));
  m_end[side] = &end;
  m_port_up[side] = true;
  update_link();
}

void wire::set_port_up(unsigned side, bool up) {
  m_port_up[side] = up;
  update_link();
}

void wire::update_link() {
  const bool up = m_end[0] && m_end[1] && m_port_up[0] && m_port_up[1];
  if (up == m_link_up) return;
  m_link_up = up;
  if (sc_core::sc_is_running()) kit::sim_env::current().log("wire", name(), up ? "link up" : "link down");
  if (!up)
    for (direction& d : m_dir) drop_in_flight(d);
  for (wire_end* e : m_end)
    if (e) e->link_changed(up);
}

void wire::drop_in_flight(direction& d) {
  for (; d.count; --d.count) {
    d.ring[d.head].f.reset();
    d.head = (d.head + 1) % d.ring.size();
    ++d.counts.dropped_link_down;
  }
  d.arrive.cancel();
}

void wire::push(direction& d, flight&& fl) {
  if (d.count == d.ring.size()) {
    // Full: twice the room, the frames in flight moved to the front in order.
    std::vector<flight> bigger(d.ring.empty() ? 8 : 2 * d.ring.size());
    for (size_t i = 0; i < d.count; ++i) bigger[i] = std::move(d.ring[(d.head + i) % d.ring.size()]);
    d.ring = std::move(bigger);
    d.head = 0;
  }
  d.ring[(d.head + d.count) % d.ring.size()] = std::move(fl);
  ++d.count;
}

sc_core::sc_time wire::send(unsigned side, net::frame_ptr f) {
  direction& d = m_dir[side];
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  ++d.counts.frames_sent;
  d.counts.bytes_sent += f->size();
  if (!m_link_up) {
    ++d.counts.dropped_link_down;
    return now;
  }
  const sc_core::sc_time done = d.channel.reserve(now, serialization_time(wire_bytes(f->size()), m_rate_mbps));
  // The last bit of the FCS leaves one IFG before the direction is free again.
  const sc_core::sc_time arrival = done - serialization_time(IFG_BYTES, m_rate_mbps) + propagation_delay();
  const bool first = d.count == 0;
  push(d, flight{std::move(f), arrival});
  if (first) d.arrive.notify(arrival - now);
  return done;
}

void wire::deliver(unsigned side) {
  direction& d = m_dir[side];
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  while (d.count && d.ring[d.head].arrival <= now) {
    net::frame_ptr f = std::move(d.ring[d.head].f);
    d.head = (d.head + 1) % d.ring.size();
    --d.count;
    ++d.counts.frames_delivered;
    // The receiver may send (on either direction) or take the link down from here.
    m_end[1 - side]->frame_arrived(std::move(f));
  }
  if (d.count) d.arrive.notify(d.ring[d.head].arrival - now);
}

}  // namespace iovsim::wire
