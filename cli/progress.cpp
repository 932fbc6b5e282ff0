#include "cli/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace iovsim::cli {

bool progress_wanted(bool quiet) {
  if (quiet) return false;
  if (const char* force = std::getenv("IOVSIM_PROGRESS"); force && *force) return std::strcmp(force, "0") != 0;
  return !quiet && isatty(STDERR_FILENO);
}

std::string format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  if (s < 60) return fmt::format("{:.1f} s", s);
  const auto total = static_cast<uint64_t>(std::llround(s));
  if (total < 3600) return fmt::format("{} min {:02} s", total / 60, total % 60);
  return fmt::format("{} h {:02} min", total / 3600, (total / 60) % 60);
}

bool progress_line::due() const { return m_enabled && std::chrono::steady_clock::now() - m_last >= MIN_INTERVAL; }

void progress_line::show(const std::string& text) {
  if (!m_enabled) return;
  m_last = std::chrono::steady_clock::now();
  // \r back to the start, the text, then erase what a longer earlier line left.
  std::fputs(fmt::format("\r{}\033[K", text).c_str(), stderr);
  std::fflush(stderr);
  m_shown = true;
}

void progress_line::clear() {
  if (!m_shown) return;
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  m_shown = false;
}

namespace {
// 1234567 -> "1.23M"
std::string si(double v) {
  if (v >= 1e9) return fmt::format("{:.2f}G", v / 1e9);
  if (v >= 1e6) return fmt::format("{:.2f}M", v / 1e6);
  if (v >= 1e3) return fmt::format("{:.1f}k", v / 1e3);
  return fmt::format("{:.0f}", v);
}
}  // namespace

void run_meter::attach(scen::run_options& opt) {
  opt.progress = [this](const scen::run_progress& p) { on_progress(p); };
  opt.progress_every_ps = m_line.enabled() ? OBSERVE_EVERY_PS : 0;
  // Tests make the slices small to show that slicing changes no output byte.
  if (const char* ns = std::getenv("IOVSIM_PROGRESS_SLICE_NS"); ns && m_line.enabled())
    opt.progress_every_ps = std::max<uint64_t>(1, std::strtoull(ns, nullptr, 10)) * 1000;
}

void run_meter::on_progress(const scen::run_progress& p) {
  const auto now = std::chrono::steady_clock::now();
  if (p.done) {
    m_last = p;
    m_wall_seconds = std::chrono::duration<double>(now - m_start).count();
    m_line.clear();
    return;
  }
  if (!m_line.due()) return;
  // Rates over the last line's interval: what the run does now, not on average.
  const double wall = std::chrono::duration<double>(now - m_start).count();
  const double dt = std::chrono::duration<double>(now - m_shown_at).count();
  if (dt > 0)
    m_line.show(fmt::format("simulated {:.6f} s | {:.3g} sim s per wall s | {} events/s | wall {}", p.sim_seconds,
                            (p.sim_seconds - m_last.sim_seconds) / dt,
                            si(static_cast<double>(p.events - m_last.events) / dt), format_duration(wall)));
  m_last = p;
  m_shown_at = now;
}

void run_meter::write_info(const std::string& dir) const {
  const double wall = m_wall_seconds;
  const auto ratio = [wall](double v) { return wall > 0 ? v / wall : 0.0; };
  std::ofstream f(dir + "/run-info.json", std::ios::binary);
  f << fmt::format(
      "{{\"wall_seconds\": {:.6f}, \"sim_seconds\": {:.12g}, \"sim_per_wall\": {:.6g}, \"events\": {}, "
      "\"events_per_wall_second\": {:.6g}}}\n",
      wall, m_last.sim_seconds, ratio(m_last.sim_seconds), m_last.events, ratio(static_cast<double>(m_last.events)));
}

}  // namespace iovsim::cli
