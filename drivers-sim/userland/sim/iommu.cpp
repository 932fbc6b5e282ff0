// `iommu stats | stats reset | groups | config ...`: the remapping unit's statistics
// per requester, the groups sysfs shows, and simulator controls no Linux tool has
// (reshaping the IOTLB and the paging-structure caches mid-run).
#include <fmt/format.h>

#include "drivers-sim/userland/sim/sim.h"

namespace iovsim::host {

cmd_result iommu_verb(sim_host& host, const std::vector<std::string>& argv) {
  // `config` and `stats reset` are simulator controls: no Linux tool reshapes an IOTLB.
  const std::string usage =
      "usage: iommu stats | iommu stats reset | iommu groups | iommu config [entries=N [ways=M] [policy=lru|random]] "
      "[pwc=N]\n";
  auto fail = [](const std::string& msg) { return cmd_result{2, "", "iommu: " + msg + "\n", "EINVAL"}; };
  platform::machine* m = host.board().physical();
  if (!m) return cmd_result{1, "", "iommu: this guest has no IOMMU (no vIOMMU is modelled)\n", "ENODEV"};
  iommu::vtd_unit& u = m->iommu();
  intel_iommu& driver = host.iommu_driver();
  if (argv.size() == 2 && argv[1] == "groups") {
    // What /sys/kernel/iommu_groups/N/{devices,type} would show, one group a line.
    std::string out;
    for (const iommu_group_info& g : driver.groups()) {
      out += fmt::format("group {}: type {}, domain {}:", g.id, g.type, g.domain_id);
      for (const std::string& d : g.devices) out += " " + d;
      out += "\n";
    }
    if (out.empty()) out = "no IOMMU groups (the IOMMU is off)\n";
    return cmd_result{0, out, "", ""};
  }
  if (argv.size() == 3 && argv[1] == "stats" && argv[2] == "reset") {
    u.reset_stats();
    driver.reset_device_tlb_stats();
    return cmd_result{};
  }
  if (argv.size() >= 2 && argv[1] == "config") {
    iommu::iotlb_config c = u.tlb().config();
    bool have_entries = false, have_ways = false, have_policy = false, have_pwc = false;
    unsigned pwc = 0;
    for (size_t i = 2; i < argv.size(); ++i) {
      const std::string& a = argv[i];
      const size_t eq = a.find('=');
      const std::string key = a.substr(0, eq), value = eq == std::string::npos ? "" : a.substr(eq + 1);
      if (eq == std::string::npos) return fail(fmt::format("\"{}\" is not KEY=VALUE", a));
      if (key == "policy") {
        if (value != "lru" && value != "random") return fail(fmt::format("policy \"{}\" is not lru or random", value));
        c.policy = value == "lru" ? iommu::replacement::lru : iommu::replacement::random;
        have_policy = true;
        continue;
      }
      if (key != "entries" && key != "ways" && key != "pwc") return fail(fmt::format("unknown setting \"{}\"", key));
      if (value.empty() || value.size() > 9 || value.find_first_not_of("0123456789") != std::string::npos)
        return fail(fmt::format("{} \"{}\" is not a number", key, value));
      const auto n = static_cast<unsigned>(std::stoul(value));
      if (key == "pwc") {
        pwc = n;
        have_pwc = true;
        continue;
      }
      (key == "entries" ? c.entries : c.ways) = n;
      (key == "entries" ? have_entries : have_ways) = true;
    }
    if (have_pwc) {
      try {
        u.configure_pwc(pwc);
      } catch (const std::invalid_argument& e) {
        return fail(e.what());
      }
      if (!have_entries && !have_ways && !have_policy) return cmd_result{};
    }
    if (!have_entries) return cmd_result{2, "", usage, "EINVAL"};
    // Without ways=, keep the associativity if it still fits, else fully associative.
    if (!have_ways && (c.ways > c.entries || c.entries % c.ways != 0)) c.ways = c.entries;
    try {
      u.configure_iotlb(c);
    } catch (const std::invalid_argument& e) {
      return fail(e.what());
    }
    return cmd_result{};
  }
  if (argv.size() != 2 || argv[1] != "stats") return cmd_result{2, "", usage, "EINVAL"};
  std::string out = fmt::format("translation {}\n", u.translation_enabled() ? "enabled" : "disabled");
  out += "requester  translations     hits   misses    walks  evictions  faults\n";
  for (const auto& [sid, st] : u.stats_by_requester())
    out += fmt::format("{:02x}:{:02x}.{}   {:>12} {:>8} {:>8} {:>8} {:>10} {:>7}\n", sid >> 8, (sid >> 3) & 0x1f, sid & 7,
                       st.translations, st.hits, st.misses, st.walks, st.evictions, st.faults);
  // ATS translation requests and PRI page requests, for requesters that sent any.
  std::string ats;
  for (const auto& [sid, st] : u.stats_by_requester())
    if (st.ats_requests || st.page_requests)
      ats += fmt::format("{:02x}:{:02x}.{}   {:>12} {:>14}\n", sid >> 8, (sid >> 3) & 0x1f, sid & 7, st.ats_requests,
                         st.page_requests);
  if (!ats.empty()) out += "requester  ats_requests  page_requests\n" + ats;
  if (!ats.empty() || driver.device_tlb_invalidations())
    out += fmt::format("device-TLB invalidations issued by the driver: {} ({} functions with ATS enabled)\n",
                       driver.device_tlb_invalidations(), driver.ats_enabled_functions());
  const iommu::walk_cache& pwc = u.paging_structure_cache();
  if (pwc.enabled() || pwc.stats().hits || pwc.stats().misses) {
    const iommu::walk_cache_stats& ps = pwc.stats();
    out += fmt::format("paging-structure caches: {} entries per level, {} hits (to PDE {}, PDPE {}, PML4E {}), "
                       "{} misses, {} evictions, {} invalidated\n",
                       pwc.entries_per_level(), ps.hits, ps.hits_to_level[1], ps.hits_to_level[2], ps.hits_to_level[3],
                       ps.misses, ps.evictions, ps.invalidated);
  }
  return cmd_result{0, out, "", ""};
}

}  // namespace iovsim::host
