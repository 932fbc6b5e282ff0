#include "models/kit/series.h"

#include <fmt/format.h>

#include <algorithm>

#include "models/kit/sim_env.h"

namespace iovsim::kit {

namespace {

// A time in picoseconds as the kernel counts it (its resolution's ticks).
uint64_t ticks_of(uint64_t ps) { return sc_core::sc_time(static_cast<double>(ps), sc_core::SC_PS).value(); }

std::string json_text(const std::string& s) { return "\"" + json_escape(s) + "\""; }

std::string number(double v) { return fmt::format("{:.9g}", v); }
std::string seconds(uint64_t ps) { return number(static_cast<double>(ps) / 1e12); }

// VCD scopes are the dots of the name; a colon is no identifier character.
std::string vcd_name(std::string name) {
  std::replace(name.begin(), name.end(), ':', '_');
  return name;
}

}  // namespace

const char* series_category_name(series_category c) {
  switch (c) {
    case series_category::throughput:
      return "throughput";
    case series_category::drops:
      return "drops";
    case series_category::ring:
      return "ring";
    case series_category::iotlb:
      return "iotlb";
    case series_category::link:
      return "link";
  }
  return "?";
}

// ---- tracks ----------------------------------------------------------------------

series_track::series_track(const stat& s, series_category category, label_fn label, series_kind kind)
    : m_name(s.path()), m_category(category), m_label(std::move(label)), m_unit(s.unit()), m_kind(kind), m_stat(&s) {
  enrol();
}

series_track::series_track(std::string name, series_category category, label_fn label, std::string unit,
                           const uint64_t& count)
    : m_name(std::move(name)),
      m_category(category),
      m_label(std::move(label)),
      m_unit(std::move(unit)),
      m_kind(series_kind::counter),
      m_count(&count) {
  enrol();
}

series_track::series_track(std::string name, series_category category, label_fn label, std::string unit,
                           series_kind kind, std::function<double()> fn)
    : m_name(std::move(name)),
      m_category(category),
      m_label(std::move(label)),
      m_unit(std::move(unit)),
      m_kind(kind),
      m_fn(std::move(fn)) {
  enrol();
}

void series_track::enrol() {
  if (sim_env::exists()) sim_env::current().series().add(this);
}

series_track::~series_track() {
  if (sim_env::exists()) sim_env::current().series().remove(this);
}

void series_track::set_live(bool live) {
  if (live == m_live) return;
  m_live = live;
  if (sim_env::exists() && sim_env::current().series().listener())
    sim_env::current().series().listener()->track_live_changed(*this);
}

void series_registry::add(series_track* t) {
  t->m_registry_index = static_cast<uint32_t>(m_tracks.size());
  m_tracks.push_back(t);
  if (m_listener) m_listener->track_added(*t);
}

void series_registry::remove(series_track* t) {
  if (t->m_registry_index >= m_tracks.size() || m_tracks[t->m_registry_index] != t) return;
  m_tracks[t->m_registry_index] = nullptr;
  t->m_registry_index = series_track::NONE;
  if (++m_holes > m_tracks.size() / 2) {
    m_tracks.erase(std::remove(m_tracks.begin(), m_tracks.end(), nullptr), m_tracks.end());
    for (size_t i = 0; i < m_tracks.size(); ++i) m_tracks[i]->m_registry_index = static_cast<uint32_t>(i);
    m_holes = 0;
  }
  if (m_listener) m_listener->track_removed(*t);
}

std::vector<series_track*> series_registry::tracks() const {
  std::vector<series_track*> out;
  out.reserve(m_tracks.size() - m_holes);
  for (series_track* t : m_tracks)
    if (t) out.push_back(t);
  return out;
}

series_params::series_params() {
  if (interval.get() == sc_core::SC_ZERO_TIME) interval.fail("a sampling interval must be longer than 0");
  if (max_samples % 2) max_samples.fail(std::to_string(max_samples.get()) + " is odd (samples merge in pairs)");
}

// ---- the sampler -----------------------------------------------------------------

// SystemC calls every trace file once all activity at a time is done, before time
// moves on (sc_simcontext::simulate(), trace_cycle()); a file that writes nothing is
// the sampler's hook there. Every tracing call is a no-op.
class series_sampler::clock : public sc_core::sc_trace_file {
 public:
  explicit clock(series_sampler& s) : m_sampler(s) {}
  ~clock() override = default;

#define IOVSIM_NO_TRACE_A(tp) \
  void trace(const tp&, const std::string&) override {}
#define IOVSIM_NO_TRACE_B(tp) \
  void trace(const tp&, const std::string&, int) override {}
  IOVSIM_NO_TRACE_A(sc_core::sc_event)
  IOVSIM_NO_TRACE_A(sc_core::sc_time)
  IOVSIM_NO_TRACE_A(bool)
  IOVSIM_NO_TRACE_A(sc_dt::sc_bit)
  IOVSIM_NO_TRACE_A(sc_dt::sc_logic)
  IOVSIM_NO_TRACE_B(unsigned char)
  IOVSIM_NO_TRACE_B(unsigned short)
  IOVSIM_NO_TRACE_B(unsigned int)
  IOVSIM_NO_TRACE_B(unsigned long)
  IOVSIM_NO_TRACE_B(char)
  IOVSIM_NO_TRACE_B(short)
  IOVSIM_NO_TRACE_B(int)
  IOVSIM_NO_TRACE_B(long)
  IOVSIM_NO_TRACE_B(sc_dt::int64)
  IOVSIM_NO_TRACE_B(sc_dt::uint64)
  IOVSIM_NO_TRACE_A(float)
  IOVSIM_NO_TRACE_A(double)
  IOVSIM_NO_TRACE_A(sc_dt::sc_int_base)
  IOVSIM_NO_TRACE_A(sc_dt::sc_uint_base)
  IOVSIM_NO_TRACE_A(sc_dt::sc_signed)
  IOVSIM_NO_TRACE_A(sc_dt::sc_unsigned)
  IOVSIM_NO_TRACE_A(sc_dt::sc_fxval)
  IOVSIM_NO_TRACE_A(sc_dt::sc_fxval_fast)
  IOVSIM_NO_TRACE_A(sc_dt::sc_fxnum)
  IOVSIM_NO_TRACE_A(sc_dt::sc_fxnum_fast)
  IOVSIM_NO_TRACE_A(sc_dt::sc_bv_base)
  IOVSIM_NO_TRACE_A(sc_dt::sc_lv_base)
#undef IOVSIM_NO_TRACE_A
#undef IOVSIM_NO_TRACE_B
  void trace(const unsigned int&, const std::string&, const char**) override {}
  void write_comment(const std::string&) override {}
  void set_time_unit(double, sc_core::sc_time_unit) override {}

 protected:
  void cycle(bool delta_cycle) override {
    if (!delta_cycle) m_sampler.time_step_done();
  }

 private:
  series_sampler& m_sampler;
};

series_sampler::series_sampler(const series_params& params)
    : m_interval_ps(to_ps(params.interval)), m_max(params.max_samples) {
  m_start_ps = to_ps(sc_core::sc_time_stamp());
  m_time_ps.reserve(m_max);
  series_registry& reg = sim_env::current().series();
  for (series_track* t : reg.tracks()) add_slot(*t);
  reg.set_listener(this);
  m_boundary_ticks = ticks_of(next_boundary());
  m_clock = new clock(*this);
  sc_core::sc_get_curr_simcontext()->add_trace_file(m_clock);
}

series_sampler::~series_sampler() {
  if (m_vcd) sc_core::sc_close_vcd_trace_file(m_vcd);
  sc_core::sc_get_curr_simcontext()->remove_trace_file(m_clock);
  delete m_clock;
  if (sim_env::exists()) sim_env::current().series().set_listener(nullptr);
}

void series_sampler::add_slot(series_track& t) {
  slot s;
  s.track = &t;
  s.category = t.category();
  s.kind = t.kind();
  // A track there before the run counts from its value then; one made during the run
  // (a requester's first request, a hot-added device) from zero.
  s.live = t.live();
  if (s.live) {
    s.active = true;
    m_active.push_back(static_cast<uint32_t>(m_slots.size()));
    if (!m_started && s.kind == series_kind::counter) s.last = t.read();
  }
  t.m_slot = static_cast<uint32_t>(m_slots.size());
  m_slots.push_back(std::move(s));
}

series_sampler::slot* series_sampler::slot_of(const series_track& t) {
  return t.m_slot < m_slots.size() && m_slots[t.m_slot].track == &t ? &m_slots[t.m_slot] : nullptr;
}

void series_sampler::track_live_changed(series_track& t) {
  if (m_finished) return;
  slot* s = slot_of(t);
  if (!s) return;
  commit(m_read_until, ~0ull);
  const auto i = static_cast<uint32_t>(s - m_slots.data());
  s->live = t.live();
  if (s->live && s->kind == series_kind::counter) s->last = t.read();  // it counts from now
  if (s->live && !s->active) {
    s->active = true;
    m_active.push_back(i);
  }
  if (i < m_reading.size()) m_reading[i] = s->last;
}

void series_sampler::track_added(series_track& t) {
  if (m_finished) return;
  // Samples read before it came are recorded as they were read.
  commit(m_read_until, ~0ull);
  add_slot(t);
}

void series_sampler::track_removed(series_track& t) {
  slot* s = slot_of(t);
  if (!s) return;
  if (!m_finished) {
    commit(m_read_until, ~0ull);
    // What it grew by since the last sample goes into the next one.
    if (s->kind == series_kind::counter) {
      const double now = t.read();
      s->pending += now >= s->last ? now - s->last : now;
      s->last = now;
    }
    s->keep_names();  // after the run ended, finish() kept those it prints
  }
  s->track = nullptr;
  t.m_slot = series_track::NONE;
}

void series_sampler::slot::keep_names() {
  if (!track) return;
  name = track->name();
  unit = track->unit();
  label = track->label();
}

void series_sampler::trace_vcd(const std::string& path) {
  m_vcd = sc_core::sc_create_vcd_trace_file(path.c_str());
  m_vcd->set_time_unit(1, sc_core::SC_PS);
  m_vcd_values.assign(m_slots.size(), 0.0);
  for (size_t i = 0; i < m_slots.size(); ++i) {
    m_slots[i].vcd = &m_vcd_values[i];
    sc_core::sc_trace(m_vcd, m_vcd_values[i], vcd_name(m_slots[i].track->name()));
  }
  // SystemC calls the files last made first: the sampler's hook goes after the VCD
  // file so what it sets is written at this time step, not the next one.
  sc_core::sc_get_curr_simcontext()->remove_trace_file(m_clock);
  sc_core::sc_get_curr_simcontext()->add_trace_file(m_clock);
}

void series_sampler::time_step_done() {
  if (m_finished) return;
  m_started = true;
  // The samples read before are valid now that time moved on.
  if (m_read_until) commit(m_read_until, ~0ull);
  // Called at every time step: one look at the kernel's next event, integer times.
  const sc_core::sc_time next = sc_core::sc_time_stamp() + sc_core::sc_time_to_pending_activity();
  if (next.value() <= m_boundary_ticks) return;
  if (!sc_core::sc_pending_activity_at_future_time()) return;  // the run ends here: finish() samples
  // Nothing changes before `next`: today's values are those of every sample time up to it.
  read_all();
  m_read_until = to_ps(next);
  m_boundary_ticks = ticks_of(next_boundary());
}

void series_sampler::read_all() {
  m_reading.resize(m_slots.size());
  for (const uint32_t i : m_active) {
    const slot& s = m_slots[i];
    m_reading[i] = s.track && s.live ? s.track->read() : s.kind == series_kind::counter ? s.last : 0;
    if (s.vcd) *s.vcd = m_reading[i];
  }
}

void series_sampler::commit(uint64_t until, uint64_t limit) {
  // One reading for every boundary up to `until`: the first sample takes the change,
  // the others repeat it (zero increases, the same gauges).
  for (bool repeat = false; next_boundary() < until && next_boundary() <= limit; repeat = true)
    record(next_boundary(), false, repeat);
  m_read_until = 0;
  m_boundary_ticks = ticks_of(next_boundary());
}

void series_sampler::record(uint64_t time_ps, bool into_last, bool repeat) {
  // A repeat changes no slot without a buffer: its counters grew by zero since the
  // sample before, and a gauge it holds was zero then (or it would have a buffer).
  for (const uint32_t i : repeat ? m_buffered : m_active) {
    slot& s = m_slots[i];
    // A track made after the tracks were read: nothing of it before.
    const double now = i < m_reading.size() ? m_reading[i] : s.kind == series_kind::counter ? s.last : 0;
    double v = now;
    if (s.kind == series_kind::counter) {
      v = (now >= s.last ? now - s.last : now) + s.pending;  // smaller: reset, counted from zero
      s.last = now;
      s.pending = 0;
    }
    if (v != 0 && s.values.capacity() == 0) {
      // Its first non-zero sample: zeros before it, room for the whole buffer.
      s.values.reserve(m_max);
      m_buffered.push_back(i);
      s.values.assign(m_time_ps.size() - (into_last ? 1 : 0), 0.0);
      if (into_last) s.values.push_back(0);
    }
    if (s.values.capacity() == 0) continue;
    if (!into_last)
      s.values.push_back(v);
    else if (s.kind == series_kind::counter)
      s.values.back() += v;
    else
      s.values.back() = v;
  }
  if (into_last) return;
  m_time_ps.push_back(time_ps);
  ++m_taken;
  if (m_time_ps.size() == m_max) decimate();
}

void series_sampler::decimate() {
  const size_t half = m_time_ps.size() / 2;
  for (size_t i = 0; i < half; ++i) m_time_ps[i] = m_time_ps[2 * i + 1];
  m_time_ps.resize(half);
  for (slot& s : m_slots) {
    if (s.values.capacity() == 0) continue;
    const bool add = s.kind == series_kind::counter;
    for (size_t i = 0; i < half; ++i) s.values[i] = add ? s.values[2 * i] + s.values[2 * i + 1] : s.values[2 * i + 1];
    s.values.resize(half);
  }
  m_interval_ps *= 2;
}

void series_sampler::finish() {
  if (m_finished) return;
  const uint64_t now = to_ps(sc_core::sc_time_stamp());
  commit(m_read_until, now);  // sample times after the stop are not
  // The interval the run ended in; merged into the last sample when it ended on one.
  read_all();
  record(now, !m_time_ps.empty() && now <= m_time_ps.back());
  // What the outputs print of each track that holds values (the others are left out:
  // a rack's thousands of idle VF tracks are not asked for a label).
  for (slot& s : m_slots)
    if (s.track && !s.values.empty()) s.keep_names();
  m_finished = true;
  if (m_vcd) sc_core::sc_close_vcd_trace_file(m_vcd);
  m_vcd = nullptr;
  sim_env::current().series().set_result(data());
}

series_data series_sampler::data() const {
  series_data d;
  d.interval_ps = m_interval_ps;
  d.time_ps = m_time_ps;
  for (const slot& s : m_slots) {
    if (std::all_of(s.values.begin(), s.values.end(), [](double v) { return v == 0; })) continue;
    d.tracks.push_back({s.name, s.label, s.unit, s.category, s.kind, s.values});
  }
  std::stable_sort(d.tracks.begin(), d.tracks.end(), [](const series_values& a, const series_values& b) {
    return a.category != b.category ? a.category < b.category : a.name < b.name;
  });
  return d;
}

// ---- outputs ---------------------------------------------------------------------

std::string series_json(const series_data& d) {
  std::string out = fmt::format("{{\"interval_s\": {},\n \"time_s\": [", seconds(d.interval_ps));
  for (size_t i = 0; i < d.time_ps.size(); ++i) out += (i ? ", " : "") + seconds(d.time_ps[i]);
  out += "],\n \"tracks\": [";
  for (size_t t = 0; t < d.tracks.size(); ++t) {
    const series_values& s = d.tracks[t];
    out += fmt::format(
        "{}\n  {{\"name\": {}, \"label\": {}, \"category\": \"{}\", \"unit\": {}, \"kind\": \"{}\",\n   \"values\": [",
        t ? "," : "", json_text(s.name), json_text(s.label), series_category_name(s.category), json_text(s.unit),
        s.kind == series_kind::counter ? "counter" : "gauge");
    for (size_t i = 0; i < s.values.size(); ++i) out += (i ? ", " : "") + number(s.values[i]);
    out += "]}";
  }
  out += "]}\n";
  return out;
}

std::string series_trace_events(const series_data& d) {
  std::string out;
  bool named[5] = {};
  for (const series_values& s : d.tracks) {
    const auto c = static_cast<unsigned>(s.category);
    if (named[c]) continue;
    named[c] = true;
    out += fmt::format(
        ",\n{{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":{},\"tid\":0,\"args\":{{\"name\":\"series: {}\"}}}}",
        2 + c, series_category_name(s.category));
  }
  auto event = [&](const series_values& s, uint64_t ts_ps, double v) {
    out += fmt::format(
        ",\n{{\"name\":{},\"cat\":\"series\",\"ph\":\"C\",\"ts\":{},\"pid\":{},\"tid\":0,\"args\":{{{}:{}}}}}",
        json_text(s.name), ps_as_us(ts_ps), 2 + static_cast<unsigned>(s.category), json_text(s.unit), number(v));
  };
  for (size_t i = 0; i < d.time_ps.size(); ++i)
    for (const series_values& s : d.tracks) {
      if (i && s.values[i] == s.values[i - 1]) continue;
      const bool counter = s.kind == series_kind::counter;
      event(s, counter ? (i ? d.time_ps[i - 1] : 0) : d.time_ps[i], s.values[i]);
    }
  // A counter's last interval ends: its track drops to zero there.
  if (!d.time_ps.empty())
    for (const series_values& s : d.tracks)
      if (s.kind == series_kind::counter && s.values.back() != 0) event(s, d.time_ps.back(), 0);
  return out;
}

}  // namespace iovsim::kit
