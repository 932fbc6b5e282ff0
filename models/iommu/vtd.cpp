#include "models/iommu/vtd.h"

#include <fmt/format.h>

#include <cstring>
#include <stdexcept>

#include "models/kit/sim_env.h"

namespace iovsim::iommu {

namespace {

std::string hex(uint64_t v) { return fmt::format("0x{:x}", v); }

}  // namespace

std::string format_source_id(uint16_t source_id) {
  return fmt::format("{:02x}:{:02x}.{}", source_id >> 8, (source_id >> 3) & 0x1f, source_id & 7);
}

vtd_unit::vtd_unit(sc_core::sc_module_name name, mem::phys_mem& memory)
    : sc_module(name),
      regs("regs"),
      m_mem(memory),
      m_regs(std::string(this->name()) + ".regs", VTD_REG_WINDOW_BYTES),
      m_iotlb(iotlb_config_from_params(), kit::sim_env::current().rng(std::string(this->name()) + ".iotlb")),
      m_pwc(pwc_entries) {
  build_registers();
  regs.register_b_transport(this, &vtd_unit::b_transport);
  SC_THREAD(qi_thread);
  SC_THREAD(prq_thread);
}

iotlb_config vtd_unit::iotlb_config_from_params() const {
  if (iotlb_ways == 0 || iotlb_ways > iotlb_entries || iotlb_entries % iotlb_ways != 0)
    iotlb_ways.fail(fmt::format("{} does not divide {} = {}", iotlb_ways(), iotlb_ways.sibling(iotlb_entries),
                                iotlb_entries()));
  iotlb_config c;
  c.entries = iotlb_entries;
  c.ways = iotlb_ways;
  c.policy = iotlb_policy;
  return c;
}

vtd_unit::requester_group::requester_group(vtd_unit& u, uint16_t sid)
    : group(u.m_stat_group, format_source_id(sid), "what one requester asked of the unit"),
      translations(group, "translations", "requests", "untranslated requests looked up",
                   [&u, sid] { return static_cast<double>(u.stats_by_requester()[sid].translations); }),
      iotlb_hits(group, "iotlb_hits", "lookups", "IOTLB lookups that hit",
                 [&u, sid] { return static_cast<double>(u.stats_by_requester()[sid].hits); }),
      iotlb_misses(group, "iotlb_misses", "lookups", "IOTLB lookups that missed",
                   [&u, sid] { return static_cast<double>(u.stats_by_requester()[sid].misses); }),
      walks(group, "walks", "walks", "lookups that read tables (context or second level)",
            [&u, sid] { return static_cast<double>(u.stats_by_requester()[sid].walks); }),
      evictions(group, "evictions", "entries", "IOTLB entries it filled that were evicted",
                [&u, sid] { return static_cast<double>(u.stats_by_requester()[sid].evictions); }),
      faults(group, "faults", "faults", "translation faults recorded",
             [&u, sid] { return static_cast<double>(u.stats_by_requester()[sid].faults); }),
      ats_requests(
          group, "ats_requests", "requests", "ATS translation requests",
          [&u, sid] { return static_cast<double>(u.stats_by_requester()[sid].ats_requests); }, true),
      page_requests(
          group, "page_requests", "requests", "PRI page requests",
          [&u, sid] { return static_cast<double>(u.stats_by_requester()[sid].page_requests); }, true),
      track_hits(iotlb_hits.path(), kit::series_category::iotlb, format_source_id(sid) + " hits", "lookups",
                 kit::series_kind::counter, [&u, sid] { return u.iotlb_lookups(sid, true); }),
      track_misses(iotlb_misses.path(), kit::series_category::iotlb, format_source_id(sid) + " misses", "lookups",
                   kit::series_kind::counter, [&u, sid] { return u.iotlb_lookups(sid, false); }) {}

requester_stats& vtd_unit::stats_of(uint16_t source_id) {
  if (!m_requester_groups.count(source_id))
    m_requester_groups.emplace(source_id, std::make_unique<requester_group>(*this, source_id));
  return m_stats[source_id];
}

bool vtd_unit::translation_enabled() const {
  return (m_regs.get(GSTS_REG, 4) & GSTS_TES) != 0;
}

void vtd_unit::reset() {
  m_regs.reset();
  m_iotlb.invalidate_all();
  m_pwc.invalidate_all();
  m_context_cache.clear();
  m_root_table = 0;
  m_irta = 0;
  m_iec.clear();
  m_next_fault_record = 0;
  m_prq_inbox.clear();
  ++m_prq_epoch;
  m_page_groups.clear();
}

void vtd_unit::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& /*delay*/) {
  const uint64_t addr = trans.get_address();
  const unsigned len = trans.get_data_length();
  if (len == 0 || len > 8 || addr + len > VTD_REG_WINDOW_BYTES || trans.get_byte_enable_ptr()) {
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  const auto offset = static_cast<uint32_t>(addr);
  uint64_t value = 0;
  if (trans.is_write()) {
    std::memcpy(&value, trans.get_data_ptr(), len);
    m_regs.write(offset, len, value);
  } else if (trans.is_read()) {
    value = m_regs.read(offset, len);
    std::memcpy(trans.get_data_ptr(), &value, len);
  }
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

// ---- translation -------------------------------------------------------------

const context_entry* vtd_unit::context_for(uint16_t source_id, unsigned& reads, fault_reason& fault) {
  auto it = m_context_cache.find(source_id);
  if (it != m_context_cache.end()) return &it->second;
  const context_result c = lookup_context(m_mem, m_root_table, source_id, host_address_width_bits());
  reads += c.memory_reads;
  fault = c.fault;
  if (c.fault != fault_reason::none) return nullptr;
  return &m_context_cache.emplace(source_id, c.ctx).first->second;
}

void vtd_unit::charge(uint16_t source_id, unsigned reads, sc_core::sc_time& latency) {
  if (reads == 0) return;
  ++stats_of(source_id).walks;
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  const sc_core::sc_time start = now + latency;
  const sc_core::sc_time done = m_walker.reserve(start, walk_read_latency() * static_cast<double>(reads));
  latency = done - now;
}

void vtd_unit::fault_taken(uint16_t source_id, uint64_t iova, bool is_write, const translation& t) {
  requester_stats& st = stats_of(source_id);
  if (t.fault_processing_disabled) {
    ++st.faults_suppressed;
    return;
  }
  ++st.faults;
  record_fault(source_id, iova, t.fault, is_write);
}

// Translation disabled (GSTS.TES clear): addresses pass through with full access.
translation vtd_unit::untranslated(uint64_t iova) {
  translation t;
  t.hpa = iova;
  t.read = t.write = true;
  t.pass_through = true;
  return t;
}

translation vtd_unit::translate(uint16_t source_id, uint64_t iova, bool is_write, sc_core::sc_time& latency) {
  ++stats_of(source_id).translations;
  if (!translation_enabled()) return untranslated(iova);
  const sc_core::sc_time asked = latency;
  latency += iotlb_hit_latency();
  unsigned reads = 0;
  fault_reason cf = fault_reason::none;
  const context_entry* ctx = context_for(source_id, reads, cf);
  translation t;
  if (!ctx) {
    t.fault = cf;
    t.memory_reads = reads;
  } else if (ctx->tt == static_cast<unsigned>(translation_type::pass_through)) {
    t = walk_second_level(m_mem, *ctx, iova, access_check::read, host_address_width_bits());
    t.memory_reads = reads;
  } else if (const translation* hit = m_iotlb.lookup(ctx->domain, iova, source_id)) {
    t = *hit;
    t.hpa |= iova & (t.page_size - 1);
    t.memory_reads = reads;
    // The IOTLB caches the permissions; a request they do not allow faults (VT-d 6.2.1).
    if (is_write && !t.write) t.fault = fault_reason::write_not_allowed;
    else if (!is_write && !t.read) t.fault = fault_reason::read_not_allowed;
  } else {
    t = walk_second_level(m_mem, *ctx, iova, is_write ? access_check::write : access_check::read,
                          host_address_width_bits(), &m_pwc);
    reads += t.memory_reads;
    t.memory_reads = reads;
    if (t.fault == fault_reason::none) m_iotlb.insert(ctx->domain, iova, t, source_id);
  }
  const sc_core::sc_time before = latency;
  charge(source_id, reads, latency);
  // The event's text only when the category is on (a walk is on the per-packet path),
  // for one walk in trace.sample_every.
  if (reads && kit::sim_env::current().trace_enabled("iommu") && kit::sim_env::current().trace_sample(m_walk_trace_seq))
    kit::sim_env::current().trace_complete(
        name(), "walk", "iommu", sc_core::sc_time_stamp() + before, latency - before,
        fmt::format(R"({{"source":"{}","iova":"{}","reads":{}}})", format_source_id(source_id), hex(iova), reads));
  if (t.fault != fault_reason::none) fault_taken(source_id, iova, is_write, t);
  m_translation_time.sample(static_cast<uint64_t>((latency - asked).value()));
  return t;
}

translation vtd_unit::translate_ats(uint16_t source_id, uint64_t iova, sc_core::sc_time& latency) {
  ++stats_of(source_id).ats_requests;
  if (!translation_enabled()) return untranslated(iova);
  translation t;
  latency += iotlb_hit_latency();
  unsigned reads = 0;
  fault_reason cf = fault_reason::none;
  const context_entry* ctx = context_for(source_id, reads, cf);
  if (!ctx) {
    t.fault = cf;
  } else if (ctx->tt != static_cast<unsigned>(translation_type::with_device_tlb)) {
    // VT-d 9.3 (TT): only 01b lets a device-TLB ask; 00b and 10b (pass-through) block
    // translation and translated requests alike.
    t.fault = fault_reason::invalid_context;
    t.fault_processing_disabled = ctx->fault_processing_disable;
  } else if (const translation* hit = m_iotlb.lookup(ctx->domain, iova, source_id)) {
    t = *hit;
    t.hpa |= iova & (t.page_size - 1);
  } else {
    t = walk_second_level(m_mem, *ctx, iova, access_check::none, host_address_width_bits(), &m_pwc);
    reads += t.memory_reads;
    if (t.fault == fault_reason::none && (t.read || t.write)) m_iotlb.insert(ctx->domain, iova, t, source_id);
  }
  t.memory_reads = reads;
  charge(source_id, reads, latency);
  if (t.fault != fault_reason::none) fault_taken(source_id, iova, false, t);
  return t;
}

// ---- simulator controls and statistics ----------------------------------------

void vtd_unit::configure_iotlb(const iotlb_config& config) {
  if (config.entries == 0 || config.entries > IOTLB_MAX_ENTRIES)
    throw std::invalid_argument(fmt::format("iotlb entries: {} is not in 1..{}", config.entries, IOTLB_MAX_ENTRIES));
  if (config.ways == 0 || config.ways > config.entries || config.entries % config.ways != 0)
    throw std::invalid_argument(
        fmt::format("iotlb ways: {} does not divide iotlb entries = {}", config.ways, config.entries));
  iotlb fresh(config, kit::sim_env::current().rng(std::string(name()) + ".iotlb"));
  for (const auto& [rid, s] : m_iotlb.stats_by_requester()) {
    const iotlb_stats& base = m_iotlb_baseline[rid];
    iotlb_stats& r = m_iotlb_retired[rid];
    r.hits += s.hits - base.hits;
    r.misses += s.misses - base.misses;
    r.evictions += s.evictions - base.evictions;
  }
  m_iotlb_baseline.clear();
  m_iotlb = std::move(fresh);
  kit::sim_env::current().log("iommu", name(), fmt::format("IOTLB replaced: {} entries, {} ways, {}", config.entries,
                                                  config.ways, config.policy == replacement::lru ? "lru" : "random"));
}

void vtd_unit::configure_pwc(unsigned entries) {
  if (entries > PWC_MAX_ENTRIES)
    throw std::invalid_argument(fmt::format("pwc entries: {} is not in 0..{}", entries, PWC_MAX_ENTRIES));
  m_pwc.resize(entries);
  kit::sim_env::current().log("iommu", name(), fmt::format("paging-structure caches replaced: {} entries per level", entries));
}

void vtd_unit::reset_stats() {
  m_stats.clear();
  m_pwc.reset_stats();
  m_iotlb_retired.clear();
  m_iotlb_baseline = m_iotlb.stats_by_requester();
  m_stat_group.reset();
}

std::map<uint16_t, requester_stats> vtd_unit::stats_by_requester() const {
  std::map<uint16_t, requester_stats> out = m_stats;
  for (const auto& [rid, s] : m_iotlb_retired) {
    requester_stats& o = out[rid];
    o.hits += s.hits;
    o.misses += s.misses;
    o.evictions += s.evictions;
  }
  for (const auto& [rid, s] : m_iotlb.stats_by_requester()) {
    requester_stats& o = out[rid];
    auto base = m_iotlb_baseline.find(rid);
    const iotlb_stats b = base == m_iotlb_baseline.end() ? iotlb_stats{} : base->second;
    o.hits += s.hits - b.hits;
    o.misses += s.misses - b.misses;
    o.evictions += s.evictions - b.evictions;
  }
  return out;
}

double vtd_unit::iotlb_lookups(uint16_t sid, bool hits) const {
  auto count = [hits](const auto& map, uint16_t rid) -> uint64_t {
    const auto it = map.find(rid);
    return it == map.end() ? 0 : hits ? it->second.hits : it->second.misses;
  };
  return static_cast<double>(count(m_stats, sid) + count(m_iotlb_retired, sid) +
                             count(m_iotlb.stats_by_requester(), sid) - count(m_iotlb_baseline, sid));
}

double vtd_unit::iotlb_lookups(bool hits) const {
  uint64_t n = 0;
  for (const auto& [rid, s] : m_stats) n += hits ? s.hits : s.misses;
  for (const auto& [rid, s] : m_iotlb_retired) n += hits ? s.hits : s.misses;
  for (const auto& [rid, s] : m_iotlb.stats_by_requester()) n += hits ? s.hits : s.misses;
  for (const auto& [rid, s] : m_iotlb_baseline) n -= hits ? s.hits : s.misses;
  return static_cast<double>(n);
}

requester_stats vtd_unit::totals() const {
  requester_stats t;
  for (const auto& [rid, s] : stats_by_requester()) {
    t.translations += s.translations;
    t.hits += s.hits;
    t.misses += s.misses;
    t.walks += s.walks;
    t.evictions += s.evictions;
    t.faults += s.faults;
    t.faults_suppressed += s.faults_suppressed;
    t.ats_requests += s.ats_requests;
    t.page_requests += s.page_requests;
  }
  return t;
}

}  // namespace iovsim::iommu
