// Host DRAM: sparse 4 KiB pages allocated on first write (never-written memory
// reads as 0), a size limit, one channel timed by reservation, a TLM target for
// device DMA, and the observers that prove DMA isolation (DESIGN.md section 9: "no
// DMA reaches memory that is not mapped for that requester").
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>
#include <vector>

#include "models/kit/param.h"
#include "models/kit/stats.h"
#include "models/kit/timed_resource.h"
#include "models/memory/phys_mem.h"

namespace iovsim::mem {

class dram : public sc_core::sc_module, public phys_mem {
 public:
  static constexpr uint64_t PAGE_BYTES = 4096;

  // Device DMA (after the IOMMU): reads and writes carrying kit::pcie_ext; the
  // annotated delay grows by the access time.
  tlm_utils::simple_target_socket<dram> dma;

  dram(sc_core::sc_module_name name, uint64_t size_bytes);

  uint64_t size_bytes() const { return m_size; }

  // Functional access (host software, page walker): no timing, no observers. An
  // access beyond size_bytes is reported as a SystemC error naming this model (a
  // model must check contains() first: software chose the address).
  void read(uint64_t addr, void* data, unsigned len) override;
  void write(uint64_t addr, const void* data, unsigned len) override;
  bool contains(uint64_t addr, uint64_t len) const override { return addr <= m_size && len <= m_size - addr; }

  // Timing of one access of `bytes` asked for at `now`: the channel is held for
  // bytes / bandwidth from when it is free; the data is there `latency` later.
  sc_core::sc_time access(const sc_core::sc_time& now, unsigned bytes);

  // Called for every DMA write that reached memory, in arrival order.
  using write_observer = std::function<void(uint64_t addr, unsigned len, uint16_t requester)>;
  void add_write_observer(write_observer fn) { m_observers.push_back(std::move(fn)); }

  // Ownership tags for the isolation proof. set_owner tags [addr, addr+len) (an
  // empty owner clears the tag); owner_of returns "" for untagged memory. A
  // requester is given an owner with assign_requester; a DMA write by a requester
  // into memory tagged for another owner counts as a foreign write.
  void set_owner(uint64_t addr, uint64_t len, const std::string& owner);
  std::string owner_of(uint64_t addr) const;
  void assign_requester(uint16_t requester, const std::string& owner) { m_requester_owner[requester] = owner; }

  uint64_t pages_allocated() const { return m_pages.size(); }
  uint64_t dma_reads() const { return m_dma_reads; }
  uint64_t dma_writes() const { return m_dma_writes; }
  uint64_t dma_bytes() const { return m_dma_bytes; }
  uint64_t foreign_writes() const { return m_foreign_writes; }
  uint64_t dma_beyond_memory() const { return m_dma_beyond; }
  const std::map<uint16_t, uint64_t>& foreign_writes_by_requester() const { return m_foreign_by; }
  const kit::timed_resource& channel() const { return m_channel; }
  uint64_t bandwidth_bytes_per_s() const { return bandwidth; }

 private:
  kit::scope m_scope{name(), "mem"};

 public:
  // Parameters. Idle load-to-use latency of local DRAM: Intel's Xeon 5500 performance
  // analysis guide gives ~60 ns, Intel MLC measures ~80-90 ns on Xeon E5 v3/v4 and
  // Xeon SP (qdpma.com "Memory Latency II", 2018).
  kit::param<sc_core::sc_time> latency{m_scope, "latency", sc_core::sc_time(80, sc_core::SC_NS),
                                       "DRAM access latency after the channel took the request (idle load-to-use)"};
  // One DDR4-2400 channel: 2400 MT/s x 8 bytes = 19.2 GB/s peak (JEDEC JESD79-4 speed bin).
  kit::param<uint64_t> bandwidth{m_scope, "bandwidth", 19'200'000'000ull, "bytes/s",
                                 "peak bandwidth of the memory channel DMA uses", {1, UINT64_MAX}};

 private:
  using page = std::array<uint8_t, PAGE_BYTES>;
  struct owner_range {
    uint64_t end;  // exclusive
    std::string owner;
  };

  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  bool in_range(uint64_t addr, uint64_t len, const char* what);
  bool writes_foreign(uint64_t addr, uint64_t len, uint16_t requester) const;

  uint64_t m_size;
  kit::timed_resource m_channel;
  std::map<uint64_t, std::unique_ptr<page>> m_pages;   // page number -> bytes
  // Pages are never freed: a direct-mapped cache of page pointers saves the map walk
  // on the hot paths (descriptors, buffers and page tables are touched again and again).
  // 4096 entries (64 KiB): a NIC's rings and buffers for a few VFs, plus page tables.
  static constexpr size_t PAGE_CACHE = 4096;
  struct cached_page {
    uint64_t number = ~0ull;
    page* p = nullptr;
  };
  std::array<cached_page, PAGE_CACHE> m_page_cache{};
  page* find_page(uint64_t number, bool create);
  std::map<uint64_t, owner_range> m_owners;            // start -> [start, end) owner
  std::map<uint16_t, std::string> m_requester_owner;
  std::vector<write_observer> m_observers;
  std::map<uint16_t, uint64_t> m_foreign_by;

  // Statistics.
  kit::stat_group m_stats{name(), "host DRAM"};
  kit::counter m_dma_reads{m_stats, "dma_reads", "requests", "DMA reads that reached memory", true};
  kit::counter m_dma_writes{m_stats, "dma_writes", "requests", "DMA writes that reached memory", true};
  kit::counter m_dma_bytes{m_stats, "dma_bytes", "bytes", "bytes moved by DMA", true};
  kit::counter m_foreign_writes{m_stats, "foreign_writes", "requests",
                                "DMA writes into memory another owner holds (isolation breaches)", true};
  kit::counter m_dma_beyond{m_stats, "dma_beyond_memory", "requests",
                            "DMA requests to addresses no memory decodes (completed as Unsupported Request)", true};
  kit::formula m_channel_busy{m_stats, "channel_busy", "s", "time the memory channel was busy with DMA",
                              [this] { return m_channel.busy_total().to_seconds(); }, true};
};

}  // namespace iovsim::mem
