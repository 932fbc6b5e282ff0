// Timing and sizing parameters declared where the model is (DESIGN.md section 2, the
// gem5/VCML habit): a member with its name, default, unit and one line of
// documentation, read once when the model is built.
//
//   kit::scope m_scope{name(), "iommu"};
//   kit::param<sc_core::sc_time> hit_latency{m_scope, "iotlb_hit_latency", 4_ns,
//                                            "context-cache + IOTLB lookup (a few uncore cycles)"};
//   kit::param<unsigned> entries{m_scope, "iotlb_entries", 1024, "entries", "IOTLB entries", {1, 1u << 20}};
//   kit::enum_param<replacement> policy{m_scope, "iotlb_policy", replacement::lru,
//                                       {{"lru", replacement::lru}, {"random", replacement::random}}, "..."};
//
// A parameter's name is its instance's hierarchical name and its own
// (`dmar0.iotlb_entries`), so two IOMMUs or forty VFs have distinct ones. A value
// set by that name (`--set`, a scenario's `param`) wins; one set by the kind's name
// (`iommu.iotlb_entries`) sets every instance of the kind. A value of the wrong form
// or outside the declared range throws std::invalid_argument naming the parameter
// the way it was set, so the scenario line that set it can be found.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <systemc>
#include <utility>
#include <vector>

namespace iovsim::kit {

// Where a model's parameters and statistics live: its hierarchical instance name and
// its kind (the model type), e.g. {"dmar0", "iommu"}, {"link.nic", "link"}.
struct scope {
  std::string path;
  std::string kind;
};

// A declared parameter, as `iovsim list --params` and results.json show it.
struct param_info {
  std::string name;          // instance name: "dmar0.iotlb_entries"
  std::string kind_name;     // "iommu.iotlb_entries": sets every instance of the kind
  std::string kind;          // "iommu"
  std::string unit;          // "s" for times, "entries", "bytes/s", "one of lru, random"
  std::string default_text;
  std::string doc;
  std::string value_text;    // what the run uses
};

// The run's parameters: overrides given before the models exist (--set, a scenario's
// `param`), and what the models declared.
class param_registry {
 public:
  void set_override(const std::string& name, const std::string& value) { m_overrides[name] = value; }
  // The override for a parameter, by instance name first, then by kind name: the key
  // it was set by, or "" when none.
  std::string find_override(const std::string& name, const std::string& kind_name, std::string& value);
  void declare(const param_info& p) { m_declared[p.name] = p; }
  // Overrides that named no declared parameter (the run reports them as errors).
  std::vector<std::string> unused_overrides() const;

  // Declared parameters by instance name.
  const std::map<std::string, param_info>& declared() const { return m_declared; }

 private:
  std::map<std::string, std::string> m_overrides;
  std::set<std::string> m_used;
  std::map<std::string, param_info> m_declared;
};

// Time literals for defaults: 4_ns, 2_us, 100_ms.
sc_core::sc_time operator""_ps(unsigned long long v);
sc_core::sc_time operator""_ns(unsigned long long v);
sc_core::sc_time operator""_us(unsigned long long v);
sc_core::sc_time operator""_ms(unsigned long long v);
sc_core::sc_time operator""_s(unsigned long long v);

class param_base {
 public:
  const std::string& name() const { return m_name; }    // "dmar0.iotlb_entries"
  // The name to show the user: the one the value was set by, else the instance name.
  const std::string& key() const { return m_key; }
  // The same parameter of another instance, named the way this one was set
  // ("iommu.iotlb_entries" next to "iommu.iotlb_ways").
  std::string sibling(const param_base& other) const;
  // Throws std::invalid_argument("parameter <key>: <what>").
  [[noreturn]] void fail(const std::string& what) const;

 protected:
  param_base(const scope& s, const std::string& name);
  // The override for this parameter ("" and false when none), and records the key.
  bool lookup(std::string& text);
  void declare(const std::string& unit, const std::string& default_text, const std::string& value_text,
               const std::string& doc);

 private:
  std::string m_name, m_kind_name, m_kind, m_key;
  bool m_by_kind = false;
};

template <typename T>
class param : public param_base {
  static_assert(std::is_integral<T>::value, "param<T> is for whole numbers, sc_time and enums (enum_param)");

 public:
  struct range {
    T min = std::numeric_limits<T>::min();
    T max = std::numeric_limits<T>::max();
  };
  param(const scope& s, const std::string& name, T def, const std::string& unit, const std::string& doc,
        range r = {})
      : param_base(s, name), m_value(def) {
    std::string text;
    if (lookup(text)) {
      uint64_t v = 0;
      if (!parse_whole(text, v) || v > static_cast<uint64_t>(std::numeric_limits<T>::max()))
        fail("\"" + text + "\" is not a whole number");
      m_value = static_cast<T>(v);
    }
    if (m_value < r.min || m_value > r.max)
      fail(std::to_string(m_value) + " is not in " + std::to_string(r.min) + ".." + std::to_string(r.max));
    declare(unit, std::to_string(def), std::to_string(m_value), doc);
  }
  operator T() const { return m_value; }
  T get() const { return m_value; }
  T operator()() const { return m_value; }

 private:
  static bool parse_whole(const std::string& text, uint64_t& v);
  T m_value;
};

template <>
class param<sc_core::sc_time> : public param_base {
 public:
  param(const scope& s, const std::string& name, const sc_core::sc_time& def, const std::string& doc);
  operator const sc_core::sc_time&() const { return m_value; }
  const sc_core::sc_time& get() const { return m_value; }
  const sc_core::sc_time& operator()() const { return m_value; }

 private:
  sc_core::sc_time m_value;
};

// An enumeration set by name (`policy=lru`).
template <typename E>
class enum_param : public param_base {
 public:
  enum_param(const scope& s, const std::string& name, E def, std::vector<std::pair<std::string, E>> names,
             const std::string& doc)
      : param_base(s, name), m_value(def) {
    std::string text, choices;
    for (const auto& [n, v] : names) choices += (choices.empty() ? "" : ", ") + n;
    if (lookup(text)) {
      bool found = false;
      for (const auto& [n, v] : names)
        if (n == text) {
          m_value = v;
          found = true;
        }
      if (!found) fail("\"" + text + "\" is not one of " + choices);
    }
    declare("one of " + choices, name_of(names, def), name_of(names, m_value), doc);
  }
  operator E() const { return m_value; }
  E get() const { return m_value; }
  E operator()() const { return m_value; }

 private:
  static std::string name_of(const std::vector<std::pair<std::string, E>>& names, E v) {
    for (const auto& [n, x] : names)
      if (x == v) return n;
    return "?";
  }
  E m_value;
};

bool parse_whole_number(const std::string& text, uint64_t& v);

template <typename T>
bool param<T>::parse_whole(const std::string& text, uint64_t& v) {
  return parse_whole_number(text, v);
}

}  // namespace iovsim::kit
