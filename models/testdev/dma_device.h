// A DMA test endpoint, in the spirit of QEMU's `edu` teaching device (the idea, not
// its register map): software programs a source, a destination and a length, sets
// START, and the device copies between host memory and its 64 KiB internal buffer
// by DMA, then reports DONE (or ERROR) and optionally interrupts. Built from a device
// profile like every endpoint (profile `iovsim_dma`); only PF 0 has the engine.
//
// The BAR0 register map is declared in the constructor (dma_device.cpp) and printed
// by regs().map_text(); the offsets and bits software needs are the constants below.
// STATUS_ERR_CODE: ERR_LENGTH bad length/offset, ERR_NO_BUS_MASTER, ERR_DMA a request
// (or a translation request) completed with an error, ERR_ATS_DENIED a translation
// gave no permission for the access and PRI could not be used, ERR_PAGE_REQUEST_FAILED
// the host answered the page request with a failure (or it still gave no permission).
//
// DMA leaves through the initiator socket `dma` as memory requests of at most MPS
// (writes) or MRRS (reads) bytes, as programmed in the PF's Device Control register,
// never crossing a 4 KiB boundary (PCIe base spec 2.2.7), each with the PF's
// requester ID in a kit::pcie_ext. All requests of a transfer are issued at once
// (the path's reservations serialise them); the transfer ends when the last one
// returns, one event later. A non-OK TLM response (an IOMMU fault, an Unsupported
// Request, a Completer Abort) stops the transfer with STATUS_ERROR / ERR_DMA.
//
// ATS (dma_device_ats.cpp), when the PF's ATS Control Enable is set: each request
// looks its page up in the device-TLB (dma.atc_entries, fully associative LRU). A hit
// goes out translated (AT = 10b) at once, or when its translation arrived; a miss
// first sends a translation request (AT = 01b) and caches the answer (its range, at
// least the STU). A translation without the needed permission (R = W = 0 or
// read-only for a write) is not cached; with PRI Enable set and an Outstanding Page
// Request Allocation of at least 1 the device sends a page request for that page
// and waits for the PRG response; success: one more translation request, and the
// transfer goes on. The page request group index is taken from a counter per
// transfer (9 bits, wrapping); every page request is sent with Last set, as a group
// of one page, and the next fault of the same transfer reuses the index once the
// response has freed it. A PRG response for no outstanding group sets PRI Status
// UPRGI. Reset (platform reset) empties the device-TLB, and so does a transfer that
// finds ATS Enable clear; the IOMMU's device-TLB invalidations arrive through
// invalidate_atc().
#pragma once

#include <cstdint>
#include <functional>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <vector>

#include "models/kit/param.h"
#include "models/kit/pcie_ext.h"
#include "models/kit/reg_bank.h"
#include "models/pcie/atc.h"
#include "models/pcie/endpoint.h"

namespace iovsim::pcie {

class dma_device : public endpoint {
 public:
  static constexpr uint32_t ID = 0x000, VERSION = 0x004, SCRATCH = 0x008, SRC_ADDR = 0x010, DST_ADDR = 0x018,
                            LENGTH = 0x020, CONTROL = 0x024, STATUS = 0x028, XFER_COUNT = 0x030,
                            ERR_ADDR = 0x038, ATC_HITS = 0x040, ATC_MISSES = 0x048, PAGE_REQS = 0x050,
                            REGS_BYTES = 0x058;
  static constexpr uint32_t BUFFER_OFFSET = 0x8000, BUFFER_BYTES = 0x10000;
  static constexpr unsigned ATC_MAX_ENTRIES = 1u << 16;   // a linear search per lookup: keep it sane
  static constexpr uint32_t ID_VALUE = 0x30414d44, VERSION_VALUE = 0x00010000;
  static constexpr uint32_t CONTROL_START = 0x1, CONTROL_DIR_TO_HOST = 0x2, CONTROL_IRQ_EN = 0x4;
  static constexpr uint32_t STATUS_BUSY = 0x1, STATUS_DONE = 0x2, STATUS_ERROR = 0x4, STATUS_ERR_CODE_SHIFT = 8;
  // STATUS_ERR_CODE values.
  static constexpr uint32_t ERR_NONE = 0, ERR_LENGTH = 1, ERR_NO_BUS_MASTER = 2, ERR_DMA = 3, ERR_ATS_DENIED = 4,
                            ERR_PAGE_REQUEST_FAILED = 5;

  tlm_utils::simple_initiator_socket<dma_device> dma;

  SC_HAS_PROCESS(dma_device);
  // dma.atc_entries (device-TLB entries) is read from kit::sim_env::current(); 0 throws
  // std::invalid_argument naming it.
  dma_device(sc_core::sc_module_name name, const pb::DeviceProfile& profile);
  ~dma_device() override;

  // Notified when a transfer ends (DONE or ERROR set, BUSY clear).
  const sc_core::sc_event& transfer_end() const { return m_end_event; }
  // The completion interrupt (MSI delivery arrives later): called when a transfer
  // ends with CONTROL_IRQ_EN set.
  void set_interrupt_handler(std::function<void()> fn) { m_irq = std::move(fn); }

  void reset() override;

  // The requester ID DMA goes out with: PF 0 on the captured bus.
  uint16_t requester_id() const;
  // A device-TLB invalidation (the IOMMU's Invalidate Request): entries overlapping
  // [addr, addr + size_bytes) are dropped.
  void invalidate_atc(uint64_t addr, uint64_t size_bytes);
  // A PRG Response for page request group `group`, arriving `delay` from now.
  void page_response(uint16_t group, bool success, const sc_core::sc_time& delay = sc_core::SC_ZERO_TIME);

  kit::reg_bank& regs() { return m_regs; }
  std::vector<uint8_t>& buffer() { return m_buffer; }
  const atc& device_tlb() const { return m_atc; }

  uint64_t transfers() const { return m_transfers; }
  uint64_t failed_transfers() const { return m_failed; }
  uint64_t requests_issued() const { return m_requests; }
  uint64_t bytes_moved() const { return m_bytes; }
  uint64_t interrupts() const { return m_interrupts; }
  uint64_t atc_hits() const { return m_atc_hits; }
  uint64_t atc_misses() const { return m_atc_misses; }
  uint64_t translation_requests() const { return m_translation_requests; }
  uint64_t atc_invalidations() const { return m_atc_invalidations; }            // requests
  uint64_t atc_entries_invalidated() const { return m_atc_entries_invalidated; }
  uint64_t page_requests() const { return m_page_requests; }
  uint64_t page_request_failures() const { return m_page_request_failures; }

 protected:
  uint64_t mmio_read(physical_function& pf, int bar, uint64_t offset, unsigned len) override;
  void mmio_write(physical_function& pf, int bar, uint64_t offset, unsigned len, uint64_t value) override;

 private:
  void write_control(uint64_t old, uint64_t now);
  void write_status(uint64_t old, uint64_t now);
  void run_transfer();      // SC_METHOD on m_start_event
  void finish_transfer();   // SC_METHOD on m_done_event
  void complete(uint32_t err_code);
  // Sends m_trans through `dma` with m_ext as the caller set it: `n` bytes at bus
  // address `addr` to or from `data`. `delay`: in, when to issue (from now); out, when
  // it completes. True for a TLM_OK_RESPONSE.
  bool send(tlm::tlm_command cmd, uint64_t addr, unsigned char* data, unsigned n, sc_core::sc_time& delay);
  void count(uint32_t reg);  // one more in a BAR0 counter

  // ATS (dma_device_ats.cpp).
  enum class xlate { ok, denied, failed, aborted };
  bool ats_enabled() const;
  void ats_thread();        // SC_THREAD: transfers with ATS on, which may wait for PRI
  void run_ats_transfer();
  xlate translate(uint64_t addr, bool write, atc_entry& entry, sc_core::sc_time& arrived);
  xlate request_page(uint64_t addr, bool write, uint16_t group, const sc_core::sc_time& from);
  void set_pri_status(uint32_t bits);

  // One transfer, as run_transfer() decoded it.
  struct transfer_plan {
    bool to_host = false;
    uint64_t host = 0, buf = 0, len = 0, max_req = 0;
  };

  kit::scope m_scope{name(), "dma"};

 public:
  // Real ATC sizes are not published; 32 entries is an estimate (a few pages per
  // queue of a small device), a knob for sweeps.
  kit::param<unsigned> atc_entries{m_scope, "atc_entries", 32, "entries",
                                   "device-TLB (ATC) entries of the DMA test device (estimate; fully associative)",
                                   {1, ATC_MAX_ENTRIES}};

 private:
  kit::reg_bank m_regs;
  std::vector<uint8_t> m_buffer;
  tlm::tlm_generic_payload m_trans;
  kit::pcie_ext m_ext;
  sc_core::sc_event m_start_event, m_done_event, m_end_event, m_ats_start, m_prg_event;
  std::function<void()> m_irq;
  sc_core::sc_time m_started;
  uint32_t m_pending_error = ERR_NONE;
  uint64_t m_pending_bytes = 0;
  uint64_t m_trace_seq = 0;  // transfers seen by the trace's sampling

  atc m_atc;
  physical_function* m_pf = nullptr;       // PF 0: the engine's function
  uint32_t m_ats_cap = 0, m_pri_cap = 0;   // config-space offsets, 0: absent
  transfer_plan m_plan;
  uint64_t m_epoch = 0;                    // bumped by reset(): a waiting transfer is abandoned
  uint16_t m_next_group = 0;
  bool m_ats_pending = false;              // a transfer for the ATS thread
  bool m_prg_waiting = false, m_prg_answered = false, m_prg_success = false;
  uint16_t m_prg_group = 0;
  sc_core::sc_time m_prg_arrival;
  uint64_t m_message_data = 0;             // what translation requests and messages point at

  // Statistics (in the device's group: `dma0.transfers`).
  kit::counter m_transfers{m_stats, "transfers", "transfers", "transfers completed without error", true};
  kit::counter m_failed{m_stats, "failed_transfers", "transfers", "transfers that ended in STATUS.ERROR", true};
  kit::counter m_requests{m_stats, "requests", "TLPs", "memory requests issued (reads and writes)", true};
  kit::counter m_bytes{m_stats, "bytes", "bytes", "bytes moved by transfers", true};
  kit::counter m_interrupts{m_stats, "interrupts", "interrupts", "completion interrupts raised", true};
  kit::distribution m_transfer_time{m_stats, "transfer_time", "s",
                                    "START to DONE (or ERROR) of one transfer: queueing, translation and DMA", 1e-12};
  kit::counter m_atc_hits{m_stats, "atc_hits", "lookups", "device-TLB lookups that hit", true};
  kit::counter m_atc_misses{m_stats, "atc_misses", "lookups", "device-TLB lookups that missed", true};
  kit::counter m_translation_requests{m_stats, "translation_requests", "requests",
                                      "ATS translation requests sent (AT = 01b)", true};
  kit::counter m_atc_invalidations{m_stats, "atc_invalidations", "requests", "device-TLB invalidations received", true};
  kit::counter m_atc_entries_invalidated{m_stats, "atc_entries_invalidated", "entries",
                                         "device-TLB entries those invalidations dropped", true};
  kit::counter m_page_requests{m_stats, "page_requests", "requests", "PRI page requests sent", true};
  kit::counter m_page_request_failures{m_stats, "page_request_failures", "responses",
                                       "PRG responses that refused the page", true};
};

}  // namespace iovsim::pcie
