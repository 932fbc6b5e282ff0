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
    m_dir[side].trace_name = fmt::format("{}.from{}", this->name(), side);
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
  for (; !d.flights.empty(); d.flights.pop_front()) {
    d.flights.front().f.reset();
    ++d.counts.dropped_link_down;
  }
  d.arrive.cancel();
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
  const sc_core::sc_time on_wire = serialization_time(wire_bytes(f->size()), m_rate_mbps);
  const sc_core::sc_time done = d.channel.reserve(now, on_wire);
  if (m_tap[side]) m_tap[side]->frame_seen(*f, done - on_wire, true);
  // Category "wire": one frame in trace.sample_every as a span on its direction, with
  // a counter track of the bytes sent carrying the frames between samples.
  kit::sim_env& env = kit::sim_env::current();
  if (env.trace_enabled("wire") && env.trace_sample(d.trace_seq)) {
    env.trace_complete(d.trace_name, "frame", "wire", done - on_wire, on_wire,
                       fmt::format(R"({{"bytes":{}}})", f->size()));
    env.trace_counter(d.trace_name, "bytes sent", "wire", "bytes", static_cast<double>(d.counts.bytes_sent));
  }
  // The last bit of the FCS leaves one IFG before the direction is free again.
  const sc_core::sc_time arrival = done - serialization_time(IFG_BYTES, m_rate_mbps) + propagation_delay();
  const bool first = d.flights.empty();
  d.flights.push_slot() = flight{std::move(f), arrival};
  if (first) d.arrive.notify(arrival - now);
  return done;
}

void wire::deliver(unsigned side) {
  direction& d = m_dir[side];
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  while (!d.flights.empty() && d.flights.front().arrival <= now) {
    net::frame_ptr f = std::move(d.flights.front().f);
    d.flights.pop_front();
    ++d.counts.frames_delivered;
    if (m_tap[1 - side]) m_tap[1 - side]->frame_seen(*f, now, false);
    // The receiver may send (on either direction) or take the link down from here.
    m_end[1 - side]->frame_arrived(std::move(f));
  }
  if (!d.flights.empty()) d.arrive.notify(d.flights.front().arrival - now);
}

}  // namespace iovsim::wire
