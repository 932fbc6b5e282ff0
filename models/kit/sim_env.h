// What every model of one run shares: the log, the trace, the timing parameters and
// the run seed. One sim_env exists per simulated run; models reach it through
// sim_env::current(), the way SystemC models reach their simcontext.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <systemc>
#include <vector>

#include "models/kit/param.h"
#include "models/kit/rng.h"
#include "models/kit/series.h"
#include "models/kit/stats.h"

namespace iovsim::kit {

// Starts a new SystemC simulation context. SystemC 2.3 elaborates once per
// context, so every in-process run (scenario, test, benchmark iteration) makes one.
// Every object of the previous run's context must be gone by then.
void fresh_systemc_context();
// Frees the current context (no SystemC object may be left in it).
void release_systemc_context();

// Formats simulated time as seconds with nanosecond digits: "0.100000000".
std::string format_sim_time(const sc_core::sc_time& t);
// A Chrome trace timestamp: picoseconds printed exactly as decimal microseconds.
std::string ps_as_us(uint64_t ps);
// A simulated time in whole picoseconds (rounded).
uint64_t to_ps(const sc_core::sc_time& t);
// Text for inside a JSON string: quotes, backslashes and control characters escaped.
std::string json_escape(const std::string& s);

// Parses "100ms", "2.5us", "0", "10ps" into a time; false when it is not one.
bool parse_time(const std::string& text, sc_core::sc_time& out);

struct trace_event {
  std::string name;
  std::string cat;
  char ph = 'X';             // X complete, i instant, C counter
  uint64_t ts_ps = 0;
  uint64_t dur_ps = 0;
  uint32_t tid = 0;
  std::string args_json;     // "{...}" or empty
};

class sim_env {
 public:
  explicit sim_env(uint64_t seed);
  ~sim_env();

  static sim_env& current();
  static bool exists();

  uint64_t seed() const { return m_seed; }
  param_registry& params() { return m_params; }
  stat_registry& stats() { return m_stats; }
  series_registry& series() { return m_series; }

  // `[time] who: message` into log.txt, one entry per line (a message of several
  // lines becomes several entries), when its category is on; echoed to stderr when
  // verbose. Categories are subsystems: iommu, pci, dma, mem, link, host, bios...
  void log(const std::string& category, const std::string& who, const std::string& message);
  const std::vector<std::string>& log_lines() const { return m_log; }
  void set_verbose(bool v) { m_verbose = v; }
  // Only these categories are logged (`--log iommu,pci`); empty: all of them.
  void set_log_categories(std::set<std::string> on) { m_log_on = std::move(on); }
  bool log_enabled(const std::string& category) const { return m_log_on.empty() || m_log_on.count(category); }
  // Only trace events of these categories are recorded (`--trace iommu,dma`); empty: all.
  void set_trace_categories(std::set<std::string> on) { m_trace_on = std::move(on); }
  bool trace_enabled(const std::string& category) const { return m_trace_on.empty() || m_trace_on.count(category); }

  // Trace events: one timeline across all models (Chrome trace-event format).
  void trace_complete(const std::string& who, const std::string& name, const std::string& cat,
                      const sc_core::sc_time& start, const sc_core::sc_time& dur,
                      const std::string& args_json = "");
  void trace_instant(const std::string& who, const std::string& name, const std::string& cat,
                     const std::string& args_json = "");
  // A counter track sample (Perfetto "C" event): `series` = value at now, drawn as a
  // graph under `who` (rates, ring occupancy, bytes moved).
  void trace_counter(const std::string& who, const std::string& name, const std::string& cat, const std::string& series,
                     double value);
  // Per-frame (per-transfer) events are sampled: true for the first of every
  // `sample_every` calls on `counter` (a model keeps one per event stream), so a run
  // at millions of frames a second traces every Nth and counter tracks carry the rest.
  bool trace_sample(uint64_t& counter) const { return counter++ % m_trace_sample_every == 0; }
  // The trace keeps at most `max_events`; later ones are counted, not recorded (a
  // line in summary.txt says so). trace_limits sets both from parameters.
  void set_trace_limits(uint64_t max_events, uint32_t sample_every) {
    m_trace_max_events = max_events;
    m_trace_sample_every = sample_every ? sample_every : 1;
  }
  uint64_t trace_max_events() const { return m_trace_max_events; }
  uint32_t trace_sample_every() const { return m_trace_sample_every; }
  uint64_t trace_events() const { return m_trace.size(); }
  uint64_t trace_events_dropped() const { return m_trace_dropped; }
  // The whole trace as a JSON document (ordered by time, then by emission order);
  // `extra_events` (",\n{...}" each: the time series' counter tracks) follow the rest.
  std::string trace_json(const std::string& extra_events = "") const;

  // A deterministic random stream for a model, from the run seed and its name.
  rng_stream rng(const std::string& who) const { return rng_stream(m_seed, who); }

 private:
  uint32_t thread_id(const std::string& who);
  bool trace_room();  // false (and counted) once the trace is full

  uint64_t m_seed;
  bool m_verbose = false;
  param_registry m_params;
  stat_registry m_stats;
  series_registry m_series;
  std::set<std::string> m_log_on, m_trace_on;
  std::vector<std::string> m_log;
  std::vector<trace_event> m_trace;
  uint64_t m_trace_max_events = ~0ull, m_trace_dropped = 0;
  uint32_t m_trace_sample_every = 1;
  std::vector<std::string> m_threads;      // tid-1 -> model name, in first-use order
  std::map<std::string, uint32_t> m_tid;
};

// The trace's bounds as a run's parameters (`--set trace.max_events=...`): declared
// once per run, after the overrides and before the models, and applied to the
// current sim_env. Defaults keep a trace to a few MB (about 110 bytes an event).
class trace_limits {
 public:
  trace_limits();

 private:
  scope m_scope{"trace", "trace"};

 public:
  param<unsigned> max_events{m_scope,
                             "max_events",
                             30000,
                             "events",
                             "trace events recorded at most; later ones are counted in summary.txt",
                             {1, 100000000}};
  param<unsigned> sample_every{
      m_scope,     "sample_every", 1, "events", "per-frame and per-transfer events: one in this many is traced",
      {1, 1000000}};
};

}  // namespace iovsim::kit
