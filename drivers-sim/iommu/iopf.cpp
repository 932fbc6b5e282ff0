#include "drivers-sim/iommu/iopf.h"

#include <fmt/format.h>

#include <cerrno>
#include <utility>

#include "models/kit/sim_env.h"

namespace iovsim::host {

using namespace iommu;

iopf_service::iopf_service(intel_iommu& iommu, kernel_log& log) {
  m_ctx->iommu = &iommu;
  m_ctx->log = &log;
  m_ctx->costs = iommu.costs();
  // The hard IRQ half only wakes the thread (request_threaded_irq(irq, NULL, ...)).
  iommu.set_prq_handler([ctx = m_ctx] {
    if (!ctx->alive) return;
    ctx->pending = true;
    if (!ctx->running) {
      // The PRQ interrupt thread ("dmar0-prq"), started by the first event.
      ctx->running = true;
      sc_core::sc_spawn([ctx] { thread(ctx); }, sc_core::sc_gen_unique_name("dmar0_prq"));
    }
    ctx->event.notify(sc_core::SC_ZERO_TIME);
  });
}

// The driver outlives the service (host_system::stop_kernel() drops users first).
iopf_service::~iopf_service() {
  m_ctx->alive = false;
  m_ctx->resolve = nullptr;
  m_ctx->iommu->set_prq_handler(nullptr);
  m_ctx->event.notify(sc_core::SC_ZERO_TIME);
}

size_t iopf_service::partial_requests() const {
  size_t n = 0;
  for (const auto& [key, pages] : m_ctx->partial) n += pages.size();
  return n;
}

void iopf_service::thread(const std::shared_ptr<context>& ctx) {
  for (;;) {
    while (ctx->alive && !ctx->pending) sc_core::wait(ctx->event);
    if (!ctx->alive) return;
    ctx->pending = false;
    if (!drain(*ctx)) return;
  }
}

// prq.c prq_event_thread(). After every access that waits the service may be gone (a
// reboot): then the driver is too, and nothing more is touched.
bool iopf_service::drain(context& ctx) {
  intel_iommu& iommu = *ctx.iommu;
  // PPR first, then head and tail: a request written from now on raises a new event.
  iommu.clear_prq_status(PRS_PPR);
  if (!ctx.alive) return false;
  const uint64_t tail = iommu.prq_tail();
  if (!ctx.alive) return false;
  uint64_t head = iommu.prq_head();
  if (!ctx.alive) return false;
  sc_core::sc_time spend = sc_core::SC_ZERO_TIME;
  while (head != tail) {
    // struct page_req_dsc, read with CPU loads.
    const uint64_t at = iommu.prq_base() + head;
    const uint64_t qw0 = iommu.memory().read64(at), qw1 = iommu.memory().read64(at + 8);
    head = (head + PRQ_DESCRIPTOR_BYTES) & intel_iommu::PRQ_RING_MASK;
    ++ctx.stats.requests;
    ctx.stats.cpu.charge("host.iopf.handle", ctx.costs.iopf_handle);
    spend += ctx.costs.iopf_handle;
    page_request r;
    r.source_id = static_cast<uint16_t>((qw0 >> PRD_RID_SHIFT) & PRD_RID_MASK);
    r.iova = qw1 & PRD_HI_ADDR_MASK;
    r.write = (qw1 & PRD_HI_WRITE) != 0;
    r.group = static_cast<uint16_t>((qw1 >> PRD_HI_PRGI_SHIFT) & PRD_HI_PRGI_MASK);
    r.last_in_group = (qw1 & PRD_HI_LPIG) != 0;
    // A Stop Marker (last, neither read nor write) wants no response.
    if (r.last_in_group && !(qw1 & (PRD_HI_READ | PRD_HI_WRITE))) continue;
    const group_key key{r.source_id, r.group};
    ctx.partial[key].push_back(r);   // iommu_report_device_fault(): partial until the last page
    if (r.last_in_group && !answer_group(ctx, key, spend)) return false;
  }
  if (spend > sc_core::SC_ZERO_TIME) {
    sc_core::wait(spend);
    if (!ctx.alive) return false;
  }
  iommu.set_prq_head(tail);
  if (!ctx.alive) return false;
  // The overflow goes once the queue is empty; the groups it cut short are dropped
  // (iopf_queue_discard_partial()): their last page was answered by the unit.
  const uint32_t prs = iommu.prq_status();
  if (!ctx.alive) return false;
  if (prs & PRS_PRO) {
    ++ctx.stats.overflows;
    ctx.log->print("IOMMU: dmar0: PRQ overflow detected");
    const uint64_t h = iommu.prq_head();
    if (!ctx.alive) return false;
    const uint64_t t = iommu.prq_tail();
    if (!ctx.alive) return false;
    if (h == t) {
      ctx.partial.clear();
      iommu.clear_prq_status(PRS_PRO);
      if (!ctx.alive) return false;
      ctx.log->print("IOMMU: dmar0: PRQ overflow cleared");
    }
  }
  return ctx.alive;
}

// iommu_handle_iopf() -> the domain's handler -> iopf_group_response(): every page of
// the group resolved, the CPU time spent, then one Page Group Response.
bool iopf_service::answer_group(context& ctx, const group_key& key, sc_core::sc_time& spend) {
  kit::sim_env& env = kit::sim_env::current();
  const std::vector<page_request> pages = std::move(ctx.partial[key]);
  ctx.partial.erase(key);
  bool ok = true;
  for (const page_request& r : pages) {
    sc_core::sc_time cpu = sc_core::SC_ZERO_TIME;
    std::string why = "no handler installed";
    const int rc = ctx.resolve ? ctx.resolve(r, cpu, why) : -ENODEV;
    spend += cpu;   // charged to the function's DMA account by the resolver
    if (rc == 0) {
      ++ctx.stats.pages_mapped;
      continue;
    }
    ok = false;
    env.log("iommu", "host.iopf", fmt::format("page request from {} ({} 0x{:x}, group {}) refused: {}",
                                     format_source_id(r.source_id), r.write ? "write" : "read", r.iova, r.group, why));
  }
  sc_core::wait(spend);
  spend = sc_core::SC_ZERO_TIME;
  if (!ctx.alive) return false;
  ++ctx.stats.groups;
  if (!ok) ++ctx.stats.groups_failed;
  ctx.iommu->page_group_response(key.first, key.second, true, ok ? QI_RESP_SUCCESS : QI_RESP_INVALID,
                                 &ctx.stats.cpu);
  return ctx.alive;
}

}  // namespace iovsim::host
