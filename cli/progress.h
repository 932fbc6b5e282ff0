// The progress line of `iovsim run` and `iovsim sweep` (issue 13): one line on
// standard error, rewritten in place a few times a second, cleared at the end; only
// on a terminal and without --quiet. Wall time is read here, never in the models
// (DESIGN.md section 3); run-info.json is the one output file that holds it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "scenarios/engine.h"

namespace iovsim::cli {

// A progress line is wanted: never with --quiet; IOVSIM_PROGRESS=1 forces it on
// (tests), =0 off; otherwise when standard error is a terminal.
bool progress_wanted(bool quiet);

// "1.5 s", "2 min 05 s", "1 h 02 min".
std::string format_duration(double seconds);

class progress_line {
 public:
  explicit progress_line(bool enabled) : m_enabled(enabled) {}
  ~progress_line() { clear(); }
  progress_line(const progress_line&) = delete;
  progress_line& operator=(const progress_line&) = delete;

  bool enabled() const { return m_enabled; }
  // At least MIN_INTERVAL of wall time since the last line shown (or the start).
  bool due() const;
  void show(const std::string& text);
  void clear();  // erases the line, so what follows starts on a clean one

  static constexpr std::chrono::milliseconds MIN_INTERVAL{250};

 private:
  bool m_enabled;
  bool m_shown = false;
  std::chrono::steady_clock::time_point m_last = std::chrono::steady_clock::now();
};

// `iovsim run`: measures the run's wall time, draws the line from the engine's
// progress calls and writes run-info.json.
class run_meter {
 public:
  explicit run_meter(bool show_line) : m_line(show_line) {}
  // Sets opt.progress (always: the last call gives the totals) and, with a line to
  // show, opt.progress_every_ps.
  void attach(scen::run_options& opt);
  // DIR/run-info.json: wall and simulated seconds, their ratio, events. Best effort.
  void write_info(const std::string& dir) const;

  // Simulated time between observer wakes: short enough for a few lines a second
  // even when a run simulates slowly, long enough to cost nothing.
  static constexpr uint64_t OBSERVE_EVERY_PS = 50'000'000;  // 50 us

 private:
  void on_progress(const scen::run_progress& p);

  progress_line m_line;
  std::chrono::steady_clock::time_point m_start = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point m_shown_at = m_start;
  scen::run_progress m_last;  // at the last line shown, then the totals
  double m_wall_seconds = 0;
};

}  // namespace iovsim::cli
