#include "models/kit/param.h"

#include <fmt/format.h>

#include <stdexcept>

#include "models/kit/sim_env.h"
#include "models/kit/units.h"

namespace iovsim::kit {

sc_core::sc_time operator""_ps(unsigned long long v) { return sc_core::sc_time(static_cast<double>(v), sc_core::SC_PS); }
sc_core::sc_time operator""_ns(unsigned long long v) { return sc_core::sc_time(static_cast<double>(v), sc_core::SC_NS); }
sc_core::sc_time operator""_us(unsigned long long v) { return sc_core::sc_time(static_cast<double>(v), sc_core::SC_US); }
sc_core::sc_time operator""_ms(unsigned long long v) { return sc_core::sc_time(static_cast<double>(v), sc_core::SC_MS); }
sc_core::sc_time operator""_s(unsigned long long v) { return sc_core::sc_time(static_cast<double>(v), sc_core::SC_SEC); }

bool parse_whole_number(const std::string& text, uint64_t& v) { return parse_u64(text, v); }

std::string param_registry::find_override(const std::string& name, const std::string& kind_name,
                                          std::string& value) {
  for (const std::string& key : {name, kind_name}) {
    auto it = m_overrides.find(key);
    if (it == m_overrides.end()) continue;
    m_used.insert(key);
    value = it->second;
    return key;
  }
  return "";
}

std::vector<std::string> param_registry::unused_overrides() const {
  std::vector<std::string> out;
  for (const auto& [name, value] : m_overrides)
    if (!m_used.count(name)) out.push_back(name);
  return out;
}

param_base::param_base(const scope& s, const std::string& name)
    : m_name(s.path + "." + name), m_kind_name(s.kind + "." + name), m_kind(s.kind), m_key(m_name) {}

bool param_base::lookup(std::string& text) {
  const std::string key = sim_env::current().params().find_override(m_name, m_kind_name, text);
  if (key.empty()) return false;
  m_key = key;
  m_by_kind = key == m_kind_name && key != m_name;
  return true;
}

std::string param_base::sibling(const param_base& other) const {
  return m_by_kind ? other.m_kind_name : other.m_name;
}

void param_base::fail(const std::string& what) const {
  throw std::invalid_argument(fmt::format("parameter {}: {}", m_key, what));
}

void param_base::declare(const std::string& unit, const std::string& default_text, const std::string& value_text,
                         const std::string& doc) {
  sim_env::current().params().declare({m_name, m_kind_name, m_kind, unit, default_text, doc, value_text});
}

param<sc_core::sc_time>::param(const scope& s, const std::string& name, const sc_core::sc_time& def,
                               const std::string& doc)
    : param_base(s, name), m_value(def) {
  std::string text;
  if (lookup(text) && !parse_time(text, m_value))
    fail("\"" + text + "\" is not a time (use e.g. 100ns, 2.5us, 1ms)");
  declare("s", def.to_string(), m_value.to_string(), doc);
}

}  // namespace iovsim::kit
