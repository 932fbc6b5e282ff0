// What every model of one run shares: the log, the trace, the timing parameters and
// the run seed. One sim_env exists per simulated run; models reach it through
// sim_env::current(), the way SystemC models reach their simcontext.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <systemc>
#include <vector>

#include "models/kit/rng.h"

namespace iovsim::kit {

// Starts a new SystemC simulation context. SystemC 2.3 elaborates once per
// context, so every in-process run (scenario, test, benchmark iteration) makes one.
void fresh_systemc_context();

// Formats simulated time as seconds with nanosecond digits: "0.100000000".
std::string format_sim_time(const sc_core::sc_time& t);

// Parses "100ms", "2.5us", "0", "10ps" into a time; false when it is not one.
bool parse_time(const std::string& text, sc_core::sc_time& out);

// A named parameter: unit, default and one line of documentation (DESIGN.md 2).
struct param_info {
  std::string name;
  std::string unit;          // "s" for times, "bytes", "count", ...
  std::string default_text;
  std::string doc;
  std::string value_text;    // what the run uses
};

class param_registry {
 public:
  // Overrides given before models exist (--set name=value, scenario params).
  void set_override(const std::string& name, const std::string& value) { m_overrides[name] = value; }

  // Declare-and-read. A model calls these in its constructor; an override of the
  // wrong form throws std::invalid_argument naming the parameter.
  sc_core::sc_time time(const std::string& name, const sc_core::sc_time& def, const std::string& doc);
  uint64_t count(const std::string& name, uint64_t def, const std::string& unit, const std::string& doc);

  // Overrides that named no declared parameter (the run reports them as errors).
  std::vector<std::string> unused_overrides() const;
  const std::map<std::string, param_info>& declared() const { return m_declared; }

 private:
  std::map<std::string, std::string> m_overrides;
  std::map<std::string, param_info> m_declared;
};

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

  // `[time] name: message` into log.txt; echoed to stderr when verbose.
  void log(const std::string& who, const std::string& message);
  const std::vector<std::string>& log_lines() const { return m_log; }
  void set_verbose(bool v) { m_verbose = v; }

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
  std::vector<std::string> m_log;
  std::vector<trace_event> m_trace;
  std::vector<std::string> m_threads;      // tid-1 -> model name, in first-use order
  std::map<std::string, uint32_t> m_tid;
};

}  // namespace iovsim::kit
