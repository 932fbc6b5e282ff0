#include "models/iommu/vtd.h"

#include <fmt/format.h>

#include <cstring>
#include <stdexcept>

#include "models/kit/sim_env.h"

namespace iovsim::iommu {

namespace {

constexpr unsigned POLICY_LRU = 0, POLICY_RANDOM = 1;
constexpr uint64_t IOTLB_MAX_ENTRIES = 1u << 20;
constexpr uint64_t PWC_MAX_ENTRIES = 4096;   // a linear scan per level: keep it small
constexpr unsigned HAW_MIN_BITS = 32, HAW_MAX_BITS = 52;   // DMAR HAW; PTE ADDR reaches bit 51

iotlb_config read_iotlb_config() {
  kit::param_registry& p = kit::sim_env::current().params();
  // QEMU's VT-d model caches up to 1024 IOTLB entries (VTD_IOTLB_MAX_SIZE); real sizes
  // are not published (REFERENCE.md 5), so size and shape are knobs.
  const uint64_t entries = p.count("iommu.iotlb_entries", 1024, "count",
                                   "IOTLB entries (QEMU VT-d keeps 1024; real sizes unpublished)");
  const uint64_t ways = p.count("iommu.iotlb_ways", 8, "count",
                                "IOTLB associativity; equal to iommu.iotlb_entries for fully associative");
  const uint64_t policy = p.count("iommu.iotlb_policy", POLICY_LRU, "count",
                                  "IOTLB replacement: 0 = LRU, 1 = seeded random");
  if (entries == 0 || entries > IOTLB_MAX_ENTRIES)
    throw std::invalid_argument(
        fmt::format("parameter iommu.iotlb_entries: {} is not in 1..{}", entries, IOTLB_MAX_ENTRIES));
  if (ways == 0 || ways > entries || entries % ways != 0)
    throw std::invalid_argument(
        fmt::format("parameter iommu.iotlb_ways: {} does not divide iommu.iotlb_entries = {}", ways, entries));
  if (policy > POLICY_RANDOM)
    throw std::invalid_argument(fmt::format("parameter iommu.iotlb_policy: {} is not 0 (lru) or 1 (random)", policy));
  iotlb_config c;
  c.entries = static_cast<unsigned>(entries);
  c.ways = static_cast<unsigned>(ways);
  c.policy = policy == POLICY_RANDOM ? replacement::random : replacement::lru;
  return c;
}

unsigned read_pwc_entries() {
  // VT-d 6.2.4 allows caching non-leaf entries; no Intel part publishes the sizes, so
  // the default is none: every IOTLB miss walks from the root (the architectural
  // worst case). Set it to see what PML4E/PDPE/PDE caches save.
  const uint64_t n = kit::sim_env::current().params().count(
      "iommu.pwc_entries", 0, "count", "paging-structure cache entries per non-leaf level (0 = none)");
  if (n > PWC_MAX_ENTRIES)
    throw std::invalid_argument(fmt::format("parameter iommu.pwc_entries: {} is not in 0..{}", n, PWC_MAX_ENTRIES));
  return static_cast<unsigned>(n);
}

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
      m_iotlb(read_iotlb_config(), kit::sim_env::current().rng(std::string(this->name()) + ".iotlb")),
      m_pwc(read_pwc_entries()) {
  kit::param_registry& p = kit::sim_env::current().params();
  // A few cycles of the root complex's clock for a CAM/set lookup.
  m_hit_latency = p.time("iommu.iotlb_hit_latency", sc_core::sc_time(4, sc_core::SC_NS),
                         "context-cache + IOTLB lookup (a few uncore cycles)");
  // Server DRAM load-to-use latency is about 80-100 ns; page tables are not in the
  // CPU caches from the root complex's point of view (ECAP.C aside).
  m_read_latency = p.time("iommu.walk_read_latency", sc_core::sc_time(90, sc_core::SC_NS),
                          "one memory read by the remapping unit: table entry or queue descriptor");
  m_invalidation_latency = p.time("iommu.invalidation_latency", sc_core::sc_time(100, sc_core::SC_NS),
                                  "completion of a context-cache or IOTLB invalidation inside the unit");
  // An ATS invalidate request and its completion message cross the link twice.
  m_device_tlb_latency = p.time("iommu.device_tlb_invalidation_latency", sc_core::sc_time(2, sc_core::SC_US),
                                "completion of a device-TLB invalidation (PCIe round trip + device work)");
  const uint64_t records = p.count("iommu.fault_records", 8, "count", "fault recording registers (CAP.NFR + 1)");
  if (records == 0 || records > FRCD_MAX_RECORDS)
    throw std::invalid_argument(fmt::format("parameter iommu.fault_records: {} is not in 1..{}", records,
                                            FRCD_MAX_RECORDS));
  // Xeon DMAR tables report a 46-bit host address width.
  const uint64_t haw = p.count("iommu.host_address_width_bits", 46, "bits",
                               "host address width: table pointers at or above 2^HAW are invalid (reason 7)");
  if (haw < HAW_MIN_BITS || haw > HAW_MAX_BITS)
    throw std::invalid_argument(fmt::format("parameter iommu.host_address_width_bits: {} is not in {}..{}", haw,
                                            HAW_MIN_BITS, HAW_MAX_BITS));
  m_fault_records = static_cast<unsigned>(records);
  m_host_address_width = static_cast<unsigned>(haw);

  build_registers();
  regs.register_b_transport(this, &vtd_unit::b_transport);
  SC_THREAD(qi_thread);
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
  m_next_fault_record = 0;
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
  const context_result c = lookup_context(m_mem, m_root_table, source_id, m_host_address_width);
  reads += c.memory_reads;
  fault = c.fault;
  if (c.fault != fault_reason::none) return nullptr;
  return &m_context_cache.emplace(source_id, c.ctx).first->second;
}

void vtd_unit::charge(uint16_t source_id, unsigned reads, sc_core::sc_time& latency) {
  if (reads == 0) return;
  ++m_stats[source_id].walks;
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  const sc_core::sc_time start = now + latency;
  const sc_core::sc_time done = m_walker.reserve(start, m_read_latency * static_cast<double>(reads));
  latency = done - now;
}

void vtd_unit::fault_taken(uint16_t source_id, uint64_t iova, bool is_write, const translation& t) {
  requester_stats& st = m_stats[source_id];
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
  ++m_stats[source_id].translations;
  if (!translation_enabled()) return untranslated(iova);
  latency += m_hit_latency;
  unsigned reads = 0;
  fault_reason cf = fault_reason::none;
  const context_entry* ctx = context_for(source_id, reads, cf);
  translation t;
  if (!ctx) {
    t.fault = cf;
    t.memory_reads = reads;
  } else if (ctx->tt == static_cast<unsigned>(translation_type::pass_through)) {
    t = walk_second_level(m_mem, *ctx, iova, access_check::read, m_host_address_width);
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
                          m_host_address_width, &m_pwc);
    reads += t.memory_reads;
    t.memory_reads = reads;
    if (t.fault == fault_reason::none) m_iotlb.insert(ctx->domain, iova, t, source_id);
  }
  const sc_core::sc_time before = latency;
  charge(source_id, reads, latency);
  if (reads)
    kit::sim_env::current().trace_complete(
        name(), "walk", "iommu", sc_core::sc_time_stamp() + before, latency - before,
        fmt::format(R"({{"source":"{}","iova":"{}","reads":{}}})", format_source_id(source_id), hex(iova), reads));
  if (t.fault != fault_reason::none) fault_taken(source_id, iova, is_write, t);
  return t;
}

translation vtd_unit::translate_ats(uint16_t source_id, uint64_t iova, sc_core::sc_time& latency) {
  ++m_stats[source_id].ats_requests;
  if (!translation_enabled()) return untranslated(iova);
  translation t;
  latency += m_hit_latency;
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
    t = walk_second_level(m_mem, *ctx, iova, access_check::none, m_host_address_width, &m_pwc);
    reads += t.memory_reads;
    if (t.fault == fault_reason::none && (t.read || t.write)) m_iotlb.insert(ctx->domain, iova, t, source_id);
  }
  t.memory_reads = reads;
  charge(source_id, reads, latency);
  if (t.fault != fault_reason::none) fault_taken(source_id, iova, false, t);
  return t;
}

// ---- PRI ---------------------------------------------------------------------

void vtd_unit::page_request(uint16_t source_id, uint64_t iova, bool is_write, uint16_t group) {
  ++m_stats[source_id].page_requests;
  const iommu::page_request req{source_id, iova & ~(PAGE_4K - 1), is_write, group};
  m_page_groups[{source_id, group}].push_back(req);
  kit::sim_env::current().log(name(), fmt::format("page request from {}: {} {} group {}",
                                                  format_source_id(source_id), is_write ? "write" : "read",
                                                  hex(req.iova), group));
  if (m_page_request) m_page_request(req);
}

void vtd_unit::page_response(uint16_t source_id, uint16_t group, bool success) {
  auto it = m_page_groups.find({source_id, group});
  if (it == m_page_groups.end()) {
    kit::sim_env::current().log(name(), fmt::format("page response to {} group {} matches no request: dropped",
                                                    format_source_id(source_id), group));
    return;
  }
  m_page_groups.erase(it);
  if (m_page_response) m_page_response(source_id, group, success);
}

size_t vtd_unit::pending_page_requests() const {
  size_t n = 0;
  for (const auto& [key, reqs] : m_page_groups) n += reqs.size();
  return n;
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
  kit::sim_env::current().log(name(), fmt::format("IOTLB replaced: {} entries, {} ways, {}", config.entries,
                                                  config.ways, config.policy == replacement::lru ? "lru" : "random"));
}

void vtd_unit::configure_pwc(unsigned entries) {
  if (entries > PWC_MAX_ENTRIES)
    throw std::invalid_argument(fmt::format("pwc entries: {} is not in 0..{}", entries, PWC_MAX_ENTRIES));
  m_pwc.resize(entries);
  kit::sim_env::current().log(name(), fmt::format("paging-structure caches replaced: {} entries per level", entries));
}

void vtd_unit::reset_stats() {
  m_stats.clear();
  m_pwc.reset_stats();
  m_iotlb_retired.clear();
  m_iotlb_baseline = m_iotlb.stats_by_requester();
  m_faults_dropped = 0;
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
