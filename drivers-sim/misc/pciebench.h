// The host side of the pcie-bench engine (models/testdev/pciebench_device.h): a
// built-in PCI driver in the role of pcie-bench's kernel module and host tool
// (pciebench-nfp kernel/nfp_pciebench_main.c, python/pciebench/nfpbench.py). It gives
// the device a host buffer of 4 MiB chunks, each physically contiguous and mapped
// for DMA in both directions through the kernel's DMA API (so with intel_iommu=on
// the device's addresses are IOVAs, translated with 2 MiB pages, or 4 KiB ones under
// intel_iommu=sp_off), programs one experiment, waits for its end and reads the
// results back from the device's registers. The host takes no part during a run.
//
// Results are reported in pcie-bench's own columns (pciebench_csv_header()), so the
// simulated series and the paper's published data can be plotted together.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "drivers-sim/iommu/dma_api.h"
#include "drivers-sim/kernel/kernel.h"
#include "drivers-sim/pci/pci_driver.h"
#include "platform/platform.h"

namespace iovsim::host {

// The Cache column: which side touched the window before the run (nfpbench.py).
enum class pciebench_cache { cold, host_warm, device_warm, device_thrash };

struct pciebench_options {
  std::string bdf;         // empty: the first engine
  uint32_t test = 5;       // pciebench_device::TEST values (BW_DMA_RD)
  uint32_t size = 64;      // bytes per transfer
  uint64_t window = 8192;  // bytes of host buffer the transfers spread over
  uint32_t host_off = 0, dev_off = 0;
  bool random = false;
  bool long_run = false;
  pciebench_cache cache = pciebench_cache::host_warm;
  uint64_t count = 0;  // 0: pcie-bench's (2 Mi latency, 8 Mi bandwidth transfers)
  // Bandwidth tests: transfers outstanding. pcie-bench's firmware runs its DMAs from
  // 11 worker MEs of 8 contexts, each context with one DMA outstanding (pciebench.h
  // PCIEBENCH_LAST_WORKER_ME, pcie_dma.c dma_bw_worker): 88.
  uint32_t in_flight = 88;
};

struct pciebench_result {
  bool ok = false;
  uint32_t status = 0;  // the device's STATUS
  uint64_t err_addr = 0;
  uint64_t clock_khz = 0;
  uint64_t start_ts = 0, end_ts = 0, transfers = 0;
  uint64_t lat_min = 0, lat_max = 0, lat_sum = 0, samples = 0, outliers = 0;
  double lat_med = 0, lat_p95 = 0, lat_p999 = 0;  // cycles (interpolated)
};

// Names as pcie-bench prints them.
std::string pciebench_test_name(uint32_t test);
const char* pciebench_cache_name(pciebench_cache c);
bool pciebench_is_latency(uint32_t test);
// The header and one row of pcie-bench's CSV files for this kind of test
// (bw_*.csv / lat_*.csv columns).
std::string pciebench_csv_header(bool latency);
std::string pciebench_csv_row(const pciebench_options& opt, const pciebench_result& r);

class pciebench_driver : public pci_driver {
 public:
  // The host buffer is at least pcie-bench's 64 MiB (PCIEBENCH_MAX_MEM), in 4 MiB chunks
  // (PCIEBENCH_CHUNK_SZ); a larger window grows it up to the device's 64 chunks.
  static constexpr uint64_t CHUNK_BYTES = 4ull << 20, MIN_CHUNKS = 16;

  using allocator = std::function<uint64_t(uint64_t len, uint64_t align)>;
  pciebench_driver(platform::machine* machine, allocator alloc, kernel_log& log, std::vector<pci_device_id> ids);

  void set_dma_api(dma_api* api) { m_dma = api; }
  const std::string& name() const override { return m_name; }
  const std::vector<pci_device_id>& id_table() const override { return m_ids; }
  int probe(pci_dev& dev) override;
  void remove(pci_dev& dev) override;
  // One experiment; "" or why it could not run (the result says how it ended).
  std::string run(pci_dev& dev, const pciebench_options& opt, pciebench_result& r);

 private:
  struct buffer {
    std::vector<uint64_t> phys, bus;  // per chunk
  };
  // Grows the device's buffer to `chunks` chunks; false when memory or mappings ran out.
  bool ensure_chunks(pci_dev& dev, buffer& b, uint64_t chunks);

  const std::string m_name = "iovsim_pciebench";
  std::vector<pci_device_id> m_ids;
  platform::machine* m_machine;
  allocator m_alloc;
  kernel_log& m_log;
  dma_api* m_dma = nullptr;
  std::map<std::string, buffer> m_buffers;  // by BDF
};

}  // namespace iovsim::host
