#include "models/kit/stats.h"

#include <algorithm>
#include <stdexcept>

#include "models/kit/sim_env.h"

namespace iovsim::kit {

// ---- stat ------------------------------------------------------------------------

stat::stat(stat_group& group, std::string name, std::string unit, std::string description, bool nozero)
    : m_group(group), m_name(std::move(name)), m_unit(std::move(unit)), m_description(std::move(description)),
      m_nozero(nozero) {
  group.m_stats.push_back(this);
}

stat::~stat() {
  auto& v = m_group.m_stats;
  v.erase(std::remove(v.begin(), v.end(), this), v.end());
}

std::string stat::path() const { return m_group.path() + "." + m_name; }

// ---- distribution ----------------------------------------------------------------

unsigned distribution::index_of(uint64_t v) {
  // Values below SUB_BUCKETS have a bucket each; above, each power of two [2^e,
  // 2^(e+1)) is cut into SUB_BUCKETS equal parts.
  if (v < SUB_BUCKETS) return static_cast<unsigned>(v);
  const unsigned e = 63 - static_cast<unsigned>(__builtin_clzll(v));   // 2^e <= v
  const unsigned sub = static_cast<unsigned>((v >> (e - 3)) & (SUB_BUCKETS - 1));
  return (e - 2) * SUB_BUCKETS + sub;
}

distribution::bucket distribution::bounds_of(unsigned index) {
  if (index < SUB_BUCKETS) return {index, index, 0};
  const unsigned e = index / SUB_BUCKETS + 2, sub = index % SUB_BUCKETS;
  const uint64_t width = 1ull << (e - 3);
  const uint64_t lower = (1ull << e) + sub * width;
  return {lower, lower + width - 1, 0};
}

void distribution::sample(uint64_t v) {
  if (m_count == 0 || v < m_min) m_min = v;
  if (v > m_max) m_max = v;
  ++m_count;
  m_sum += v;
  const unsigned i = index_of(v);
  ++m_hist[i];
  if (v > m_bucket_max[i]) m_bucket_max[i] = v;
}

double distribution::percentile(double p) const {
  if (m_count == 0) return 0;
  const auto want = static_cast<uint64_t>(static_cast<double>(m_count) * p / 100.0 + 0.999999999);
  uint64_t seen = 0;
  for (unsigned i = 0; i < BUCKETS; ++i) {
    seen += m_hist[i];
    if (seen >= std::max<uint64_t>(want, 1)) return static_cast<double>(m_bucket_max[i]) * m_scale;
  }
  return max();
}

std::vector<distribution::bucket> distribution::buckets() const {
  std::vector<bucket> out;
  for (unsigned i = 0; i < BUCKETS; ++i)
    if (m_hist[i]) {
      bucket b = bounds_of(i);
      b.count = m_hist[i];
      out.push_back(b);
    }
  return out;
}

void distribution::reset() {
  m_count = m_min = m_max = 0;
  m_sum = 0;
  m_hist.fill(0);
  m_bucket_max.fill(0);
}

// ---- groups ----------------------------------------------------------------------

stat_group::stat_group(std::string name, std::string description)
    : m_name(std::move(name)), m_description(std::move(description)) {
  if (sim_env::exists()) sim_env::current().stats().add(this);
}

stat_group::stat_group(stat_group& parent, std::string name, std::string description)
    : m_parent(&parent), m_name(std::move(name)), m_description(std::move(description)) {
  if (!parent.m_children.emplace(m_name, this).second)
    throw std::logic_error("statistics group " + parent.path() + " has two children named " + m_name);
}

stat_group::~stat_group() {
  if (m_parent) m_parent->m_children.erase(m_name);
  else if (sim_env::exists()) sim_env::current().stats().remove(this);
}

std::string stat_group::path() const { return m_parent ? m_parent->path() + "." + m_name : m_name; }

void stat_group::reset() {
  for (stat* s : m_stats) s->reset();
  for (auto& [name, g] : m_children) g->reset();
}

void stat_group::visit(const std::function<void(const stat&)>& fn) const {
  for (const stat* s : m_stats) fn(*s);
  for (const auto& [name, g] : m_children) g->visit(fn);
}

void stat_registry::add(stat_group* g) { m_groups.emplace(g->name(), g); }

void stat_registry::remove(stat_group* g) {
  for (auto it = m_groups.begin(); it != m_groups.end(); ++it)
    if (it->second == g) {
      m_groups.erase(it);
      return;
    }
}

void stat_registry::visit(const std::function<void(const stat&)>& fn) const {
  for (const auto& [name, g] : m_groups) g->visit(fn);
}

}  // namespace iovsim::kit
