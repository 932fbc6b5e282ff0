// The host's I/O page fault (PRI) service: the Intel IOMMU driver's page request queue
// thread and the fault handling behind it. Page requests the remapping unit wrote into
// its page request queue are read back, resolved by host software, and every page
// request group is answered once with a Page Group Response descriptor through the
// invalidation queue (Success, or Invalid Request: the function must not retry).
//
// What it models: the path for requests without PASID of the newer kernels
// (drivers/iommu/intel/prq.c prq_event_thread() -> intel_prq_report() ->
// iommu_report_device_fault(), io-pgfault.c iommu_handle_iopf() -> the RID domain's
// iopf_handler -> iopf_group_response() -> intel_iommu_page_response()), where an
// IOPF-capable domain (an iommufd HWPT with a fault object) takes them. Linux 6.1
// serves page requests only with a PASID, in scalable mode: one without ("IOMMU:
// dmar0: Page request without PASID") is refused with handle_bad_prq_event(). Our unit
// is legacy mode and our devices send no PASID, so 6.1's behaviour would make PRI
// useless; the newer routing is what a demand-paged guest needs. The handler itself
// (the VMM answering the iommufd fault queue, or an in-kernel one) is collapsed into a
// resolver callback: find the owner, check the page, pin and map it.
//
// The thread (prq_event_thread()), woken by the page request event MSI that
// intel_iommu::handle_msi() hands over: clears PRS.PPR, reads PQT and PQH, reads each
// descriptor with CPU loads, and holds the pages of a group until its last one (LPIG;
// io-pgfault's partial list). A complete group is resolved page by page, spending
// host.iopf.handle CPU time per request plus what the resolver charged, then answered
// (intel_iommu::page_group_response(): host.dma.invalidation_submit and the wait
// polls); a group fails when any of its pages does. Then PQH = PQT, and PRS.PRO is
// cleared once the queue is empty, dropping the partial groups whose last page the
// unit answered itself. Failures print nothing in dmesg (neither iopf_group_response()
// nor the handlers log them); they are logged at model level under "host.iopf". The
// thread and its state survive the service (a reboot) through a shared context, as
// the DMAR fault thread does.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <systemc>
#include <utility>
#include <vector>

#include "drivers-sim/iommu/dmar.h"
#include "models/iommu/vtd.h"

namespace iovsim::host {

struct iopf_stats {
  uint64_t requests = 0, groups = 0, groups_failed = 0, pages_mapped = 0;
  uint64_t overflows = 0;   // passes that found PRS.PRO set
  cpu_account cpu;
};

class iopf_service {
 public:
  // Resolves one page request: 0 when the page is mapped now (or already was), else a
  // negative errno and, in `why`, the reason. CPU time it charged but did not spend
  // goes to `cpu`. Called from the service's thread; must not wait.
  using resolver = std::function<int(const iommu::page_request& request, sc_core::sc_time& cpu, std::string& why)>;

  // Takes the unit's page request event (intel_iommu::set_prq_handler()).
  iopf_service(intel_iommu& iommu, kernel_log& log);
  ~iopf_service();

  void set_resolver(resolver r) { m_ctx->resolve = std::move(r); }
  const iopf_stats& stats() const { return m_ctx->stats; }
  // Pages of groups whose last page has not been read yet.
  size_t partial_requests() const;

 private:
  using group_key = std::pair<uint16_t, uint16_t>;   // (requester, page request group index)
  struct context {
    intel_iommu* iommu = nullptr;
    kernel_log* log = nullptr;
    dma_costs costs;
    resolver resolve;
    sc_core::sc_event event;
    bool pending = false, alive = true, running = false;
    std::map<group_key, std::vector<iommu::page_request>> partial;
    iopf_stats stats;
  };
  static void thread(const std::shared_ptr<context>& ctx);
  // One run of prq_event_thread(); false when the service went away meanwhile.
  static bool drain(context& ctx);
  static bool answer_group(context& ctx, const group_key& key, sc_core::sc_time& spend);

  std::shared_ptr<context> m_ctx = std::make_shared<context>();
};

}  // namespace iovsim::host
