// Statistics declared in the model (the gem5 habit): members with a name, a unit and
// one line of description, grouped per model instance under its hierarchical name.
// The run's outputs (results.json, summary.txt) walk the registry and list whatever
// the models declared; nothing outside the model names or formats them.
//
//   kit::stat_group m_stats{name(), "the remapping unit"};
//   kit::counter faults_dropped{m_stats, "faults_dropped", "faults", "faults lost to a full fault log (PFO)"};
//   kit::distribution translation_latency{m_stats, "translation_latency", "s",
//                                         "time to translate one request: IOTLB hit or page walk"};
//
// Groups may nest (`dmar0.03:00.0.iotlb_hits`, one child per requester) and may be
// made while the run goes on. Listing order: top-level groups by name, then each
// group's statistics in declaration order, then its children by name. A statistic
// marked `nozero` is left out of the outputs while it is zero (what a model did not
// use does not clutter the page).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace iovsim::kit {

class stat_group;

class stat {
 public:
  stat(stat_group& group, std::string name, std::string unit, std::string description, bool nozero);
  virtual ~stat();
  stat(const stat&) = delete;
  stat& operator=(const stat&) = delete;

  const std::string& name() const { return m_name; }
  const std::string& unit() const { return m_unit; }
  const std::string& description() const { return m_description; }
  bool nozero() const { return m_nozero; }
  std::string path() const;   // "dmar0.03:00.0.iotlb_hits"
  virtual bool is_distribution() const { return false; }
  // A scalar's value (a distribution's mean).
  virtual double value() const = 0;
  virtual bool zero() const { return value() == 0; }
  virtual void reset() {}

 private:
  stat_group& m_group;
  std::string m_name, m_unit, m_description;
  bool m_nozero;
};

// A count of events (or bytes, or whatever the unit says).
class counter : public stat {
 public:
  counter(stat_group& group, std::string name, std::string unit, std::string description, bool nozero = false)
      : stat(group, std::move(name), std::move(unit), std::move(description), nozero) {}
  counter& operator++() {
    ++m_value;
    return *this;
  }
  counter& operator+=(uint64_t n) {
    m_value += n;
    return *this;
  }
  uint64_t get() const { return m_value; }
  operator uint64_t() const { return m_value; }
  double value() const override { return static_cast<double>(m_value); }
  void reset() override { m_value = 0; }

 private:
  uint64_t m_value = 0;
};

// A value computed from the model's state when it is read (a utilisation, a time).
class formula : public stat {
 public:
  formula(stat_group& group, std::string name, std::string unit, std::string description, std::function<double()> fn,
          bool nozero = false)
      : stat(group, std::move(name), std::move(unit), std::move(description), nozero), m_fn(std::move(fn)) {}
  double value() const override { return m_fn(); }

 private:
  std::function<double()> m_fn;
};

// A distribution of samples (latencies in picoseconds, sizes...): count, sum, min,
// max and a log-linear histogram (8 sub-buckets per power of two, HdrHistogram's
// shape with 3 significant bits), so percentiles are within 12.5% and the memory is
// fixed (512 buckets) however many samples arrive.
class distribution : public stat {
 public:
  static constexpr unsigned SUB_BUCKETS = 8, BUCKETS = 64 * SUB_BUCKETS;
  struct bucket {
    uint64_t lower = 0, upper = 0;   // [lower, upper]
    uint64_t count = 0;
  };
  // `scale` converts a sample to the unit shown (1e-12 for picoseconds shown as s).
  distribution(stat_group& group, std::string name, std::string unit, std::string description, double scale = 1.0,
               bool nozero = true)
      : stat(group, std::move(name), std::move(unit), std::move(description), nozero), m_scale(scale) {}
  void sample(uint64_t v);
  uint64_t count() const { return m_count; }
  double sum() const { return static_cast<double>(m_sum) * m_scale; }
  double min() const { return m_count ? static_cast<double>(m_min) * m_scale : 0; }
  double max() const { return static_cast<double>(m_max) * m_scale; }
  double mean() const { return m_count ? sum() / static_cast<double>(m_count) : 0; }
  // The p-th percentile (p in 0..100), scaled: the largest sample that fell into the
  // bucket holding it (exact for values that repeat, within 12.5% otherwise).
  double percentile(double p) const;
  // Non-empty buckets in order, bounds unscaled.
  std::vector<bucket> buckets() const;
  double scale() const { return m_scale; }
  bool is_distribution() const override { return true; }
  double value() const override { return mean(); }
  bool zero() const override { return m_count == 0; }
  void reset() override;

 private:
  static unsigned index_of(uint64_t v);
  static bucket bounds_of(unsigned index);
  double m_scale;
  uint64_t m_count = 0, m_min = 0, m_max = 0;
  unsigned __int128 m_sum = 0;
  std::array<uint64_t, BUCKETS> m_hist{};
  std::array<uint64_t, BUCKETS> m_bucket_max{};   // the largest sample seen per bucket
};

class stat_group {
 public:
  // A top-level group (a model instance), registered with the run's registry.
  explicit stat_group(std::string name, std::string description = "");
  // A child group, e.g. one per requester.
  stat_group(stat_group& parent, std::string name, std::string description = "");
  ~stat_group();
  stat_group(const stat_group&) = delete;
  stat_group& operator=(const stat_group&) = delete;

  const std::string& name() const { return m_name; }
  std::string path() const;
  const std::string& description() const { return m_description; }
  // Every statistic below to zero (simulator control; models keep their state).
  void reset();

  // The walk the outputs use: each statistic under this group, in listing order.
  void visit(const std::function<void(const stat&)>& fn) const;

 private:
  friend class stat;
  stat_group* m_parent = nullptr;
  std::string m_name, m_description;
  std::vector<stat*> m_stats;                      // declaration order
  std::map<std::string, stat_group*> m_children;   // by name
};

// The run's top-level groups (sim_env holds one).
class stat_registry {
 public:
  void add(stat_group* g);
  void remove(stat_group* g);
  // Every statistic of every group, in listing order.
  void visit(const std::function<void(const stat&)>& fn) const;

 private:
  std::multimap<std::string, stat_group*> m_groups;   // by name; registration order among equal names
};

}  // namespace iovsim::kit
