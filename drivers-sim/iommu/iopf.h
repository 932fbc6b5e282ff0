// The host's I/O page fault (PRI) service: page requests the remapping unit received
// from a function are resolved by host software and the whole page request group is
// answered (Success, or Invalid Request: the function must not retry).
//
// What it models: the v6.9+ path for requests without PASID (drivers/iommu/intel/
// prq.c prq_event_thread() -> intel_prq_report() -> iommu_report_device_fault(),
// io-pgfault.c iommu_handle_iopf() -> the RID domain's iopf_handler ->
// iopf_group_response()), where an IOPF-capable domain (an iommufd HWPT with a fault
// object) takes them. Linux 6.1 serves page requests only with a PASID, in scalable
// mode: one without ("IOMMU: dmar0: Page request without PASID") is refused with
// handle_bad_prq_event(). Our unit is legacy mode and our devices send no PASID, so
// 6.1's behaviour would make PRI useless; the newer routing is what a demand-paged
// guest needs. The handler itself (the VMM answering the iommufd fault queue, or an
// in-kernel one) is collapsed into a resolver callback: find the owner, check the
// page, pin and map it.
//
// sink() is what the unit calls from inside a model's process: it only queues the
// request and wakes the service's thread. The thread takes every request that
// arrived, spends host.iopf.handle CPU time per request plus what the resolver
// charged, then answers each group once with vtd_unit::page_response(). A group fails
// when any of its pages does. Failures print nothing in dmesg (neither
// iopf_group_response() nor the handlers log them); they are logged at model level
// under "host.iopf". The thread and the queue survive the service (a reboot) through
// a shared context, as the DMAR fault thread does.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <systemc>

#include "drivers-sim/iommu/dmar.h"
#include "models/iommu/vtd.h"

namespace iovsim::host {

struct iopf_stats {
  uint64_t requests = 0, groups = 0, groups_failed = 0, pages_mapped = 0;
  cpu_account cpu;
};

class iopf_service {
 public:
  // Resolves one page request: 0 when the page is mapped now (or already was), else a
  // negative errno and, in `why`, the reason. CPU time it charged but did not spend
  // goes to `cpu`. Called from the service's thread; must not wait.
  using resolver = std::function<int(const iommu::page_request& request, sc_core::sc_time& cpu, std::string& why)>;

  iopf_service(iommu::vtd_unit& unit, const dma_costs& costs);
  ~iopf_service();

  void set_resolver(resolver r) { m_ctx->resolve = std::move(r); }
  // The unit's page-request sink (vtd_unit::set_page_request_sink()); never blocks.
  iommu::vtd_unit::page_request_sink sink();
  const iopf_stats& stats() const { return m_ctx->stats; }
  size_t queued() const { return m_ctx->queue.size(); }

 private:
  struct context {
    iommu::vtd_unit* unit = nullptr;
    dma_costs costs;
    resolver resolve;
    std::deque<iommu::page_request> queue;
    sc_core::sc_event event;
    bool alive = true, running = false;
    iopf_stats stats;
  };
  static void thread(const std::shared_ptr<context>& ctx);

  std::shared_ptr<context> m_ctx = std::make_shared<context>();
};

}  // namespace iovsim::host
