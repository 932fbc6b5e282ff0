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
  // The whole trace as a JSON document (ordered by time, then by emission order).
  std::string trace_json() const;

  // A deterministic random stream for a model, from the run seed and its name.
  rng_stream rng(const std::string& who) const { return rng_stream(m_seed, who); }

 private:
  uint32_t thread_id(const std::string& who);

  uint64_t m_seed;
  bool m_verbose = false;
  param_registry m_params;
  stat_registry m_stats;
  std::set<std::string> m_log_on, m_trace_on;
  std::vector<std::string> m_log;
  std::vector<trace_event> m_trace;
  std::vector<std::string> m_threads;      // tid-1 -> model name, in first-use order
  std::map<std::string, uint32_t> m_tid;
};

}  // namespace iovsim::kit
