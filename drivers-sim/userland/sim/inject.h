// Fault injection from the host shell: the `inject` command makes the host software
// commit the bugs an IOMMU exists to catch, at a chosen moment, deterministically.
//
//   inject drop-invalidation [--count N]   the intel_iommu driver's next N IOTLB
//       invalidations (flush_iotlb_psi / flush_iotlb_domain, each with the
//       device-TLB invalidations that follow it) are not submitted; the wait
//       descriptor still is, so the CPU sees the flush "complete". The IOTLB (and an
//       ATS device's device-TLB) keeps the unmapped translation, and a later DMA
//       through it reaches memory the driver gave up: dmatest counts such writes
//       (drivers-sim/dmatest.h). Strict unmaps flush at once; lazy ones (DMA-FQ, the
//       default) only when the flush queue is flushed, up to 10 ms later.
//   inject unmap [-s BDF] --after TIME     TIME into the device's next dmatest run,
//       the host unmaps the run's DMA mappings while the device still uses them
//       (dmatest_driver::arm_unmap). The next request to a page whose translation is
//       not cached (all of them once a strict unmap flushed) faults: a DMAR fault
//       record and dmesg line, or with ATS a Translation Completion without
//       permission; the transfer ends in error and dmatest reports it.
//   inject status | inject clear
//
// A simulator verb: nothing like it exists in Linux (the kernel's fault-injection
// framework, Documentation/fault-injection/, fails allocations, not flushes). What
// each injection did goes to the log (`host.inject`) and to `inject status`.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "drivers-sim/iommu/dmar.h"
#include "drivers-sim/misc/dmatest.h"
#include "drivers-sim/userland/shell/shell.h"

namespace iovsim::host {

class fault_injector {
 public:
  // Installs the invalidation filter in `iommu`; both must outlive the injector.
  fault_injector(intel_iommu& iommu, dmatest_driver& dmatest);
  ~fault_injector();
  fault_injector(const fault_injector&) = delete;
  fault_injector& operator=(const fault_injector&) = delete;

  cmd_result command(const std::vector<std::string>& argv, const std::vector<pci_dev*>& devices);

  uint64_t invalidations_pending() const { return m_drop_pending; }
  uint64_t invalidations_dropped() const { return m_dropped; }

 private:
  bool drop(const dmar_domain& d, uint64_t iova, uint64_t pages);
  cmd_result drop_invalidation(const std::vector<std::string>& argv);
  cmd_result unmap(const std::vector<std::string>& argv, const std::vector<pci_dev*>& devices);
  cmd_result status() const;
  void clear();

  intel_iommu& m_iommu;
  dmatest_driver& m_dmatest;
  uint64_t m_drop_pending = 0, m_dropped = 0;
  std::vector<std::string> m_dropped_lines;                    // what was dropped, when
  std::vector<std::shared_ptr<unmap_injection>> m_unmaps;      // armed and past, in order
};

}  // namespace iovsim::host
