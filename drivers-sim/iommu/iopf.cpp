#include "drivers-sim/iommu/iopf.h"

#include <fmt/format.h>

#include <cerrno>
#include <map>
#include <utility>
#include <vector>

#include "models/kit/sim_env.h"

namespace iovsim::host {

iopf_service::iopf_service(iommu::vtd_unit& unit, const dma_costs& costs) {
  m_ctx->unit = &unit;
  m_ctx->costs = costs;
}

iopf_service::~iopf_service() {
  m_ctx->alive = false;
  m_ctx->resolve = nullptr;
  m_ctx->event.notify(sc_core::SC_ZERO_TIME);
}

iommu::vtd_unit::page_request_sink iopf_service::sink() {
  return [ctx = m_ctx](const iommu::page_request& r) {
    if (!ctx->alive) return;
    ctx->queue.push_back(r);
    if (!ctx->running) {
      // The PRQ interrupt thread, started by the first request (request_threaded_irq()).
      ctx->running = true;
      sc_core::sc_spawn([ctx] { thread(ctx); }, sc_core::sc_gen_unique_name("dmar0_prq"));
    }
    ctx->event.notify(sc_core::SC_ZERO_TIME);
  };
}

// prq_event_thread() + iommu_handle_iopf() + the domain's handler + iopf_group_response().
void iopf_service::thread(const std::shared_ptr<context>& ctx) {
  kit::sim_env& env = kit::sim_env::current();
  for (;;) {
    while (ctx->alive && ctx->queue.empty()) sc_core::wait(ctx->event);
    if (!ctx->alive) return;
    // Requests of one group arrive together (its last one ends it): take all there are.
    std::deque<iommu::page_request> batch;
    batch.swap(ctx->queue);
    std::vector<std::pair<uint16_t, uint16_t>> order;                  // groups, as they arrived
    std::map<std::pair<uint16_t, uint16_t>, bool> ok;                  // (requester, group) -> success
    sc_core::sc_time spend = sc_core::SC_ZERO_TIME;
    for (const iommu::page_request& r : batch) {
      const auto key = std::make_pair(r.source_id, r.group);
      if (!ok.count(key)) {
        order.push_back(key);
        ok[key] = true;
      }
      ++ctx->stats.requests;
      ctx->stats.cpu.charge("host.iopf.handle", ctx->costs.iopf_handle);
      spend += ctx->costs.iopf_handle;
      sc_core::sc_time cpu = sc_core::SC_ZERO_TIME;
      std::string why = "no handler installed";
      const int rc = ctx->resolve ? ctx->resolve(r, cpu, why) : -ENODEV;
      spend += cpu;   // charged to the function's DMA account by the resolver
      if (rc == 0) {
        ++ctx->stats.pages_mapped;
        continue;
      }
      ok[key] = false;
      env.log("host.iopf", fmt::format("page request from {} ({} 0x{:x}, group {}) refused: {}",
                                       iommu::format_source_id(r.source_id), r.write ? "write" : "read", r.iova,
                                       r.group, why));
    }
    // intel_iommu_page_response(): a Page Group Response descriptor through the
    // invalidation queue (qi_submit_sync()), once per group.
    ctx->stats.cpu.charge("host.dma.invalidation_submit", ctx->costs.invalidation_submit, order.size());
    spend += ctx->costs.invalidation_submit * static_cast<double>(order.size());
    sc_core::wait(spend);
    if (!ctx->alive) return;   // rebooted meanwhile: the unit's groups are gone too
    for (const auto& key : order) {
      ++ctx->stats.groups;
      if (!ok[key]) ++ctx->stats.groups_failed;
      ctx->unit->page_response(key.first, key.second, ok[key]);
    }
  }
}

}  // namespace iovsim::host
