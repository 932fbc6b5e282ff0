// Time series of a run (issue 13): what the models want plotted over time, sampled at a
// fixed simulated interval into a bounded buffer, written as series.json, as counter
// tracks in trace.json and, on request, through SystemC's own VCD writer.
//
// A model marks what to plot next to its statistics, with a category and a short label:
//
//   kit::series_track m_up{m_stat_up_payload, kit::series_category::link, "nic0 up"};
//   kit::series_track m_rx{name + ".pf.rx_bytes", kit::series_category::throughput,
//                          [this] { return bdf_of(0) + " rx"; }, "bytes", m_fn[0].rx_bytes};
//   kit::series_track m_free{name + ".pf.rx_ring_free", kit::series_category::ring, "01:00.0 rx ring", "descriptors",
//                            kit::series_kind::gauge, [this] { return free_descriptors(0); }};
//
// A counter track is a count that only grows (a reset to a smaller value counts as a
// restart from zero): each sample holds its increase during the interval. A gauge
// holds its value at the end of the interval. The sampler (one per run) knows no model:
// it reads whatever tracks exist, including those made while the run goes on.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <systemc>
#include <utility>
#include <vector>

#include "models/kit/param.h"
#include "models/kit/stats.h"

namespace iovsim::kit {

// In the order series.json lists them.
enum class series_category : uint8_t { throughput, drops, ring, iotlb, link };
const char* series_category_name(series_category c);
enum class series_kind : uint8_t { counter, gauge };

// A label: text, or a function asked when the run ends (a function's bus number is
// known only once the firmware enumerated it).
class series_label {
 public:
  series_label(std::string text) : m_text(std::move(text)) {}  // NOLINT: implicit on purpose
  series_label(const char* text) : m_text(text) {}             // NOLINT
  template <typename F, typename = decltype(std::string(std::declval<F&>()()))>
  series_label(F fn) : m_fn(std::move(fn)) {}  // NOLINT
  std::string get() const { return m_fn ? m_fn() : m_text; }

 private:
  std::string m_text;
  std::function<std::string()> m_fn;
};

class series_track {
 public:
  using label_fn = series_label;
  // A statistic (counter or formula) as a track, named by its path, in its unit.
  series_track(const stat& s, series_category category, label_fn label, series_kind kind = series_kind::counter);
  // A count the model keeps (read through the reference: no call per sample).
  series_track(std::string name, series_category category, label_fn label, std::string unit, const uint64_t& count);
  // A value computed when sampled.
  series_track(std::string name, series_category category, label_fn label, std::string unit, series_kind kind,
               std::function<double()> fn);
  ~series_track();
  series_track(const series_track&) = delete;
  series_track& operator=(const series_track&) = delete;

  const std::string& name() const { return m_name; }
  std::string label() const { return m_label.get(); }
  const std::string& unit() const { return m_unit; }
  series_category category() const { return m_category; }
  series_kind kind() const { return m_kind; }
  double read() const { return m_count ? static_cast<double>(*m_count) : m_stat ? m_stat->value() : m_fn(); }
  // A dormant track is not read (what a VF that software has not enabled yet would
  // show): a port's 64 functions cost what its enabled ones do. Tracks are live when made.
  bool live() const { return m_live; }
  void set_live(bool live);

 private:
  friend class series_registry;
  friend class series_sampler;
  void enrol();
  static constexpr uint32_t NONE = ~0u;
  uint32_t m_registry_index = NONE;  // its place in the registry (series_registry)
  uint32_t m_slot = NONE;            // its slot in the sampler (series_sampler)
  std::string m_name;
  series_category m_category;
  label_fn m_label;
  std::string m_unit;
  series_kind m_kind;
  const uint64_t* m_count = nullptr;
  const stat* m_stat = nullptr;
  std::function<double()> m_fn;
  bool m_live = true;
};

// One track's samples, as the outputs print them.
struct series_values {
  std::string name, label, unit;
  series_category category = series_category::throughput;
  series_kind kind = series_kind::counter;
  std::vector<double> values;  // one per sample
};

// A run's samples: `time_ps[i]` ends sample i; tracks whose values are all zero are
// left out; ordered by category, then name.
struct series_data {
  uint64_t interval_ps = 0;  // after any decimation
  std::vector<uint64_t> time_ps;
  std::vector<series_values> tracks;
};

// Who is told when a track comes or goes (the sampler).
class series_listener {
 public:
  virtual ~series_listener() = default;
  virtual void track_added(series_track& t) = 0;
  virtual void track_removed(series_track& t) = 0;
  virtual void track_live_changed(series_track& t) = 0;
};

// The run's tracks (sim_env holds one), and the samples of the run once it ended.
class series_registry {
 public:
  void add(series_track* t);
  void remove(series_track* t);
  std::vector<series_track*> tracks() const;  // registration order
  void set_listener(series_listener* l) { m_listener = l; }
  series_listener* listener() const { return m_listener; }
  // The finished run's samples (empty without a sampler).
  void set_result(series_data d) { m_result = std::move(d); }
  const series_data& result() const { return m_result; }

 private:
  // Registration order; a removed track leaves a hole (null) until holes are half of it:
  // a rack's thousands of tracks are removed in O(1) each, not by a search.
  std::vector<series_track*> m_tracks;
  size_t m_holes = 0;
  series_listener* m_listener = nullptr;
  series_data m_result;
};

// The sampling parameters (`--set series.interval=...`).
class series_params {
 public:
  series_params();

 private:
  scope m_scope{"series", "series"};

 public:
  // 10 us: at 10 Gb/s, 12.5 KB (8 frames of 1500 B, 148 of 64 B) an interval; a
  // 512-descriptor ring filled at 64 B line rate takes 34 us, interrupt moderation
  // (EITR) acts within tens of us: fine enough to see both, and a 20 ms burst fits the
  // buffer before the first decimation.
  param<sc_core::sc_time> interval{m_scope, "interval", sc_core::sc_time(10, sc_core::SC_US),
                                   "time series: simulated time between samples (doubles when the buffer fills)"};
  param<unsigned> max_samples{m_scope,
                              "max_samples",
                              2048,
                              "samples",
                              "time series: samples kept per track; when full, neighbours merge (even)",
                              {2, 1u << 20}};
};

// Samples every track at each multiple of `interval` from the start of the run; at
// `max_samples` neighbouring pairs merge (counters add, gauges keep the later) and the
// interval doubles, so memory is bounded and the result deterministic. Per track one
// buffer of max_samples, made the first time it reads non-zero: nothing is allocated
// per sample.
// It schedules nothing: a SystemC trace file's hook, called when all activity at a
// time is done, reads the tracks when the next activity lies beyond a sample time
// (what they hold then is what they hold at that sample time). A timed event of its
// own would reorder simultaneous events of the models (SystemC's timed queue is a heap:
// equal times leave in no fixed order) and change the run.
class series_sampler : public series_listener {
 public:
  explicit series_sampler(const series_params& params);
  ~series_sampler() override;
  series_sampler(const series_sampler&) = delete;
  series_sampler& operator=(const series_sampler&) = delete;

  // Before the run starts: one VCD variable per track that exists now (SystemC's
  // writer; `path` without ".vcd", which it adds): a counter's running total, a
  // gauge's value, written when the sampler reads them.
  void trace_vcd(const std::string& path);
  // After the run stopped: a last sample at the end time (partial interval), closes
  // the VCD and hands the samples to the registry (sim_env::series().result()).
  void finish();
  series_data data() const;
  uint64_t samples_taken() const { return m_taken; }

  void track_added(series_track& t) override;
  void track_removed(series_track& t) override;
  void track_live_changed(series_track& t) override;

 private:
  class clock;
  struct slot {
    series_track* track = nullptr;  // null once the track is gone
    std::string name, label, unit;  // the track's, kept when it goes or the run ends
    void keep_names();
    series_category category = series_category::throughput;
    series_kind kind = series_kind::counter;
    bool live = true, active = false;  // active: read at every sample (it is, or was, live)
    double last = 0;                   // counter: its reading at the previous sample
    double pending = 0;                // counter: what it grew by between the last sample and its end
    double* vcd = nullptr;
    std::vector<double> values;  // empty while every sample was zero
  };
  void time_step_done();  // from the clock
  void read_all();        // the tracks into m_reading
  // Records the samples whose time is before `until` and not after `limit`, from m_reading.
  void commit(uint64_t until, uint64_t limit);
  // `repeat`: the same reading as the sample just recorded (a run idle across several
  // intervals): only slots holding a buffer can take a value other than zero.
  void record(uint64_t time_ps, bool into_last, bool repeat = false);
  void decimate();
  void add_slot(series_track& t);
  uint64_t next_boundary() const { return (m_time_ps.empty() ? m_start_ps : m_time_ps.back()) + m_interval_ps; }

  slot* slot_of(const series_track& t);  // null when it has none (any more)

  std::vector<slot> m_slots;
  std::vector<uint32_t> m_active;  // the slots read at every sample
  std::vector<uint32_t> m_buffered;  // the slots that hold values (had a non-zero sample)
  std::vector<double> m_reading;   // the tracks as last read
  uint64_t m_read_until = 0;       // m_reading stands for the sample times before this
  uint64_t m_boundary_ticks = 0;   // next_boundary() in the kernel's ticks
  std::vector<uint64_t> m_time_ps;
  uint64_t m_start_ps = 0, m_interval_ps;
  unsigned m_max;
  uint64_t m_taken = 0;
  bool m_started = false, m_finished = false;
  clock* m_clock = nullptr;
  std::vector<double> m_vcd_values;  // sized once, before the run: sc_trace keeps their addresses
  sc_core::sc_trace_file* m_vcd = nullptr;
};

// series.json (issue 13 spec): deterministic bytes, numbers as {:.9g}.
std::string series_json(const series_data& d);
// The tracks as Perfetto/Chrome counter events ("ph":"C"), one process per category
// (pid 2...), each event ",\n{...}" ready to append to trace.json's event list.
// Counters are drawn over the interval they cover, gauges at their sample time; a
// value equal to the track's previous one is not repeated.
std::string series_trace_events(const series_data& d);

}  // namespace iovsim::kit
