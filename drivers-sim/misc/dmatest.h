// The host driver of the DMA test device (models/testdev/dma_device.h) and the
// `dmatest` shell command, in the spirit of Linux's dmatest module: stream buffers
// between host memory and the device, with per-buffer (dynamic) or long-lived
// (static) DMA mappings, and report throughput and host CPU time per buffer
// (PHENOMENA A11). `--addr` programs a raw bus address instead of a mapped buffer,
// which is how scenarios make a device DMA where it should not. `--buffers` sets the
// ring, hence the DMA working set; `--pages 2m|1g` maps that working set as one
// region with large IOMMU pages (PHENOMENA D.4, the IOTLB's reach).
//
// Fault injection (`inject unmap`, drivers-sim/inject.h): an armed injection makes
// the host unmap the run's DMA mappings a given time into the device's next run, as
// a driver that frees a buffer the device still uses. The driver also watches DMA
// writes (a DRAM write observer): one that lands in a buffer it has unmapped went
// through a stale translation and is counted and logged.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <systemc>
#include <vector>

#include "drivers-sim/iommu/dma_mapping.h"
#include "drivers-sim/kernel/kernel.h"
#include "drivers-sim/pci/pci_driver.h"
#include "models/kit/param.h"
#include "platform/platform.h"

namespace iovsim::host {

// `inject unmap`: what was asked and, once the run consumed it, what happened.
struct unmap_injection {
  enum class state { armed, running, fired, expired, cleared };
  std::string bdf;                                 // the device, "0000:01:00.0"
  sc_core::sc_time after = sc_core::SC_ZERO_TIME;  // from the start of its next run
  state st = state::armed;
  sc_core::sc_time fired_at = sc_core::SC_ZERO_TIME;
  unsigned mappings = 0;                           // unmapped when it fired
};

struct dmatest_options {
  std::string bdf;                 // empty: the first DMA test device
  uint64_t size = 1500;            // bytes per buffer
  uint64_t count = 100;
  bool to_host = true;             // device writes host memory (receive-like)
  bool dynamic = true;             // map/unmap every buffer vs map once
  bool raw = false;                // use `addr` as the bus address, no mapping
  uint64_t addr = 0;
  unsigned buffers = 8;            // ring size: the working set is buffers x size
  uint64_t page_bytes = 4096;      // static only: above 4 KiB, one region mapped with such pages
  bool working_set_shown = false;  // --buffers or --pages given: the summary gets a second line
};

struct dmatest_result {
  uint64_t transfers = 0, errors = 0, bytes = 0;
  sc_core::sc_time elapsed = sc_core::SC_ZERO_TIME;
  sc_core::sc_time cpu = sc_core::SC_ZERO_TIME;       // host CPU time charged
  uint32_t last_status = 0;
  uint64_t err_addr = 0;
  uint64_t writes_after_unmap = 0;   // DMA writes that reached buffers already unmapped
};

// The largest ring a run may use, and the page sizes a static ring may be mapped with.
constexpr uint64_t DMATEST_MAX_BUFFERS = 65536;
constexpr uint64_t PAGE_4K = 4096, PAGE_2M = 2ull << 20, PAGE_1G = 1ull << 30;

// The `iovsim_dma` PCI driver, built into the kernel (no module): it binds the DMA
// test devices, and runs are started by the `dmatest` simulator verb.
class dmatest_driver : public pci_driver {
 public:
  // Physical address of `len` bytes of host memory aligned to `align` (a power of two).
  using allocator = std::function<uint64_t(uint64_t len, uint64_t align)>;
  // `alloc_buffer` allocates host memory for the runs; `ids` are the DMA test devices.
  dmatest_driver(platform::machine* machine, allocator alloc_buffer, kernel_log& log, std::vector<pci_device_id> ids);

  void set_mapper(dma_mapper* mapper) { m_mapper = mapper; }
  const std::string& name() const override { return m_name; }
  const std::vector<pci_device_id>& id_table() const override { return m_ids; }
  // Probe: enables memory decoding and bus mastering, reads the engine's ID.
  int probe(pci_dev& dev) override;
  void remove(pci_dev& /*dev*/) override {}
  // One run of `opt.count` transfers on a bound device.
  dmatest_result run(pci_dev& dev, const dmatest_options& opt);

  // Arms an unmap injection for the next run on its device (replacing one armed);
  // nullptr disarms.
  void arm_unmap(std::shared_ptr<unmap_injection> injection) { m_unmap = std::move(injection); }
  // The DRAM write observer: writes into buffers this driver unmapped (translated
  // devices only) are counted and the first one per buffer logged.
  void observe(uint64_t addr, unsigned len, uint16_t requester);
  uint64_t writes_after_unmap() const { return m_writes_after_unmap; }

 private:
  struct run_state;   // one run's mappings, shared with its injection thread
  // The injection's thread: at `after` into the run, unmaps what is mapped.
  static void unmap_later(const std::shared_ptr<run_state>& run);
  static void unmap_all(run_state& run);
  void retire(uint64_t phys, uint64_t len, uint64_t iova);
  void unretire(uint64_t phys);

  // A buffer unmapped and not mapped again, by physical start address.
  struct retired_buffer {
    uint64_t end = 0, iova = 0;
    sc_core::sc_time when;
    bool reported = false;
  };
  static constexpr size_t MAX_RETIRED = 65536;   // the oldest (lowest address: buffers only grow) go first

  const std::string m_name = "iovsim_dma";
  std::vector<pci_device_id> m_ids;
  platform::machine* m_machine;  // nullptr in a guest: no test engine model to reach
  allocator m_alloc;
  kernel_log& m_log;
  dma_mapper* m_mapper = nullptr;
  kit::scope m_scope{"host", "host"};

 public:
  // An MSI taken by the host: entry, handler, EOI. Linux interrupt latency on
  // servers is a few microseconds (cyclictest-style measurements).
  kit::param<sc_core::sc_time> irq_cost{m_scope, "irq_cost", sc_core::sc_time(2, sc_core::SC_US),
                                        "host CPU time to take a device interrupt and run its handler"};
  // Filling a descriptor and ringing the doorbell: a few hundred instructions.
  kit::param<sc_core::sc_time> submit_cost{m_scope, "dma_submit_cost", sc_core::sc_time(200, sc_core::SC_NS),
                                           "host CPU time to post one DMA request to a device"};

 private:
  std::shared_ptr<unmap_injection> m_unmap;
  std::map<uint64_t, retired_buffer> m_retired;
  uint64_t m_writes_after_unmap = 0;
};

}  // namespace iovsim::host
