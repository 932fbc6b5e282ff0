#include "models/kit/sim_env.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <stdexcept>

#include "models/kit/units.h"

namespace iovsim::kit {

namespace {
sim_env* g_current = nullptr;
}  // namespace

namespace {
// libsystemc's own context: its static objects (sc_event::none...) point at it and
// are destroyed at exit, so it lives as long as the process. Runs get their own.
sc_core::sc_simcontext* g_library_context = nullptr;
sc_core::sc_simcontext* g_run_context = nullptr;
}  // namespace

void fresh_systemc_context() {
  // The previous run's context goes first (its modules, processes and coroutine
  // stacks with it), so a sweep of many runs in one process does not grow; the last
  // one goes at exit, before LeakSanitizer looks.
  static const bool release_at_exit = [] {
    g_library_context = sc_core::sc_get_curr_simcontext();
    return std::atexit(release_systemc_context) == 0;
  }();
  (void)release_at_exit;
  release_systemc_context();
  g_run_context = new sc_core::sc_simcontext();
  sc_core::sc_curr_simcontext = g_run_context;
  sc_core::sc_default_global_context = g_run_context;
}

void release_systemc_context() {
  if (!g_run_context) return;
  // A timed notification still queued when the run stopped was cancelled when its
  // event went with its module, but it stays in the context's queue, and
  // ~sc_simcontext frees the queue, not what it holds. SystemC's next-event search
  // frees the cancelled ones it meets (sc_simcontext::next_time() in 2.3.4), so ask.
  sc_core::sc_curr_simcontext = g_run_context;
  (void)sc_core::sc_pending_activity_at_future_time();
  delete g_run_context;
  g_run_context = nullptr;
  sc_core::sc_curr_simcontext = g_library_context;
  sc_core::sc_default_global_context = g_library_context;
}

uint64_t to_ps(const sc_core::sc_time& t) { return static_cast<uint64_t>(t.to_seconds() * 1e12 + 0.5); }

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20)
          out += fmt::format("\\u{:04x}", c);
        else
          out += c;
    }
  }
  return out;
}

std::string ps_as_us(uint64_t ps) { return fmt::format("{}.{:06d}", ps / 1000000, ps % 1000000); }

std::string format_sim_time(const sc_core::sc_time& t) {
  const uint64_t ps = to_ps(t);
  return fmt::format("{}.{:09d}", ps / 1000000000000ULL, (ps / 1000) % 1000000000ULL);
}

bool parse_time(const std::string& text, sc_core::sc_time& out) {
  long long ps;
  if (!parse_time_ps(text, ps)) return false;
  out = sc_core::sc_time(static_cast<double>(ps), sc_core::SC_PS);
  return true;
}

sim_env::sim_env(uint64_t seed) : m_seed(seed) {
  if (g_current) throw std::logic_error("sim_env: one run at a time");
  g_current = this;
}

sim_env::~sim_env() { g_current = nullptr; }

sim_env& sim_env::current() {
  if (!g_current) throw std::logic_error("sim_env: no run in progress");
  return *g_current;
}

bool sim_env::exists() { return g_current != nullptr; }

void sim_env::log(const std::string& category, const std::string& who, const std::string& message) {
  if (!log_enabled(category)) return;
  const std::string stamp = format_sim_time(sc_core::sc_time_stamp());
  size_t start = 0;
  do {
    const size_t end = message.find('\n', start);
    const std::string line = message.substr(start, end == std::string::npos ? std::string::npos : end - start);
    m_log.push_back(fmt::format("[{}] {}: {}", stamp, who, line));
    if (m_verbose) std::cerr << m_log.back() << '\n';
    start = end == std::string::npos ? end : end + 1;
  } while (start != std::string::npos && start < message.size());
}

uint32_t sim_env::thread_id(const std::string& who) {
  auto it = m_tid.find(who);
  if (it != m_tid.end()) return it->second;
  m_threads.push_back(who);
  const auto tid = static_cast<uint32_t>(m_threads.size());
  m_tid.emplace(who, tid);
  return tid;
}

bool sim_env::trace_room() {
  if (m_trace.size() < m_trace_max_events) return true;
  ++m_trace_dropped;
  return false;
}

void sim_env::trace_complete(const std::string& who, const std::string& name, const std::string& cat,
                             const sc_core::sc_time& start, const sc_core::sc_time& dur,
                             const std::string& args_json) {
  if (!trace_enabled(cat) || !trace_room()) return;
  m_trace.push_back({name, cat, 'X', to_ps(start), to_ps(dur), thread_id(who), args_json});
}

void sim_env::trace_instant(const std::string& who, const std::string& name, const std::string& cat,
                            const std::string& args_json) {
  if (!trace_enabled(cat) || !trace_room()) return;
  m_trace.push_back({name, cat, 'i', to_ps(sc_core::sc_time_stamp()), 0, thread_id(who), args_json});
}

void sim_env::trace_counter(const std::string& who, const std::string& name, const std::string& cat,
                            const std::string& series, double value) {
  if (!trace_enabled(cat) || !trace_room()) return;
  m_trace.push_back({name, cat, 'C', to_ps(sc_core::sc_time_stamp()), 0, thread_id(who),
                     fmt::format("{{\"{}\":{}}}", json_escape(series), value)});
}

trace_limits::trace_limits() { sim_env::current().set_trace_limits(max_events, sample_every); }

std::string sim_env::trace_json(const std::string& extra_events) const {
  std::vector<size_t> order(m_trace.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return m_trace[a].ts_ps < m_trace[b].ts_ps; });
  std::string out = "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n";
  out += R"({"name":"process_name","ph":"M","pid":1,"tid":0,"args":{"name":"iovsim"}})";
  for (size_t t = 0; t < m_threads.size(); ++t)
    out += fmt::format(",\n{{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":{},\"args\":{{\"name\":\"{}\"}}}}",
                       t + 1, json_escape(m_threads[t]));
  for (size_t i : order) {
    const trace_event& e = m_trace[i];
    out += fmt::format(",\n{{\"name\":\"{}\",\"cat\":\"{}\",\"ph\":\"{}\",\"ts\":{},\"pid\":1,\"tid\":{}",
                       json_escape(e.name), json_escape(e.cat), e.ph, ps_as_us(e.ts_ps), e.tid);
    if (e.ph == 'X') out += fmt::format(",\"dur\":{}", ps_as_us(e.dur_ps));
    if (e.ph == 'i') out += ",\"s\":\"t\"";
    if (!e.args_json.empty()) out += ",\"args\":" + e.args_json;
    out += "}";
  }
  out += extra_events;
  out += "\n]}\n";
  return out;
}

}  // namespace iovsim::kit
