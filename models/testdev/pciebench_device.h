// The pcie-bench engine (profile `iovsim_pciebench`): a device-side DMA benchmark
// after Neugebauer et al., "Understanding PCIe performance for end host networking"
// (SIGCOMM 2018), whose NFP firmware (github.com/pcie-bench/pciebench-nfp, me/*.c)
// and host tool (python/pciebench/nfpbench.py) define the experiments this engine
// runs. Read for the rules below, not copied:
//
// - Tests keep the paper's names and numbers: LAT_DMA_RD (3), LAT_DMA_WRRD (4),
//   BW_DMA_RD (5), BW_DMA_WR (6), BW_DMA_RW (7). Flags as the firmware's: WARM (the
//   device writes the window before the run), THRASH (it writes all host memory it
//   was given), RANDOM (random units instead of sequential), LONG (more transfers).
// - The host hands the device its buffer as CHUNKS chunks of 4 MiB, each contiguous
//   in bus address space and 4 KiB aligned (CHUNK_ADDR[i]); the window starts at
//   chunk 0 and runs on into the next chunks (pciebench.h, "Memory management").
// - Addresses: the window is cut into units of SIZE + HOST_OFF rounded up to 64 B;
//   transfer k goes to a unit (the next one for sequential, a uniform draw from the
//   device's seeded stream for random) at HOST_OFF into it, skipping units where the
//   transfer would cross a 4 KiB boundary (utils.c dma_addr_init). SIZE + HOST_OFF
//   must fit in 4096 bytes and in the window.
// - Latency tests run one transfer at a time. A sample is the time from before the
//   transfer was issued to its completion, in device cycles, read off a timestamp
//   counter that advances every `pciebench.timestamp_cycles` cycles (the NFP's every
//   16: nfpbench.py multiplies by 16). LAT_DMA_WRRD writes the unit, then reads it
//   back: one sample covers both (pcie_dma.c dma_lat). The device keeps every
//   sample (at most JOURNAL_MAX) and reports min, max, sum, median, 95th and 99.9th
//   percentiles (interpolated, as stats.py's ListStats) and outliers (samples above
//   three times the 95th percentile, as nfpbench.py counts them).
// - Bandwidth tests keep IN_FLIGHT transfers outstanding (the firmware's worker
//   contexts, each with one DMA in flight); BW_DMA_RW alternates: odd transfers
//   read, even ones write (dma_bw_worker). The result is START_TS..END_TS.
//
// Timing: every transfer leaves through the `dma` socket as memory requests of at
// most MPS (writes) or MRRS (reads) bytes, as the PF's Device Control says. Its
// completion is its last request's (a write's: when it reached memory). A read
// request holds a tag from its issue until its completion arrives: 32 tags, or 256
// with Device Control's Extended Tag Field Enable (PCIe base spec 2.2.6.2: 5-bit
// tags unless extended tags are enabled); a request waits for a free tag. Transfer k
// is issued at max(issue of k-1 + `pciebench.issue_interval`, completion of k -
// IN_FLIGHT). Transfers are issued in batches with annotated delays, in issue
// order, so the path's reservations order them; one event per `pciebench.lookahead` of them.
//
// What the NFP has and this engine has not: the DMA engine's own descriptor
// processing and queueing (the paper's small-transfer ceiling comes from it:
// `pciebench.issue_interval` and `pciebench.transfer_overhead` are the knobs, 0 by
// default); the PCIe command interface (LAT_CMD_*); the journal as a host-readable
// memory (results are registers).
#pragma once

#include <tlm_utils/simple_initiator_socket.h>

#include <cstdint>
#include <functional>
#include <systemc>
#include <tlm>
#include <vector>

#include "models/kit/param.h"
#include "models/kit/pcie_ext.h"
#include "models/kit/reg_bank.h"
#include "models/kit/rng.h"
#include "models/pcie/endpoint.h"

namespace iovsim::pcie {

class pciebench_device : public endpoint {
 public:
  // BAR0 register map (little endian; 4- and 8-byte registers).
  static constexpr uint32_t ID = 0x000, VERSION = 0x004, TEST = 0x008, FLAGS = 0x00c, SIZE = 0x010, HOST_OFF = 0x014,
                            WINDOW = 0x018, DEV_OFF = 0x020, IN_FLIGHT = 0x024, COUNT = 0x028, CONTROL = 0x030,
                            STATUS = 0x034, CHUNKS = 0x038, CLOCK_KHZ = 0x03c, START_TS = 0x040, END_TS = 0x048,
                            TRANSFERS = 0x050, LAT_MIN = 0x058, LAT_MAX = 0x060, LAT_SUM = 0x068, LAT_MED = 0x070,
                            LAT_P95 = 0x078, LAT_P999 = 0x080, OUTLIERS = 0x088, SAMPLES = 0x090, ERR_ADDR = 0x098,
                            CHUNK_ADDR = 0x100, REGS_BYTES = 0x300;
  static constexpr uint32_t ID_VALUE = 0x4e424350;  // "PCBN" in memory order
  static constexpr uint32_t VERSION_VALUE = 0x00010000;
  // TEST values: pcie-bench's enum pciebench_tests.
  static constexpr uint32_t LAT_DMA_RD = 3, LAT_DMA_WRRD = 4, BW_DMA_RD = 5, BW_DMA_WR = 6, BW_DMA_RW = 7;
  // FLAGS bits: pcie-bench's enum lat_flags.
  static constexpr uint32_t FLAG_WARM = 1u << 0, FLAG_THRASH = 1u << 1, FLAG_RANDOM = 1u << 2, FLAG_LONG = 1u << 3;
  static constexpr uint32_t CONTROL_START = 0x1, CONTROL_IRQ_EN = 0x2;
  static constexpr uint32_t STATUS_BUSY = 0x1, STATUS_DONE = 0x2, STATUS_ERROR = 0x4, STATUS_ERR_CODE_SHIFT = 8;
  static constexpr uint32_t ERR_NONE = 0, ERR_PARAMS = 1, ERR_NO_BUS_MASTER = 2, ERR_DMA = 3;
  // The host buffer: up to MAX_CHUNKS chunks of CHUNK_BYTES (pcie-bench: 16 x 4 MiB).
  static constexpr uint64_t CHUNK_BYTES = 4ull << 20;
  static constexpr unsigned MAX_CHUNKS = 64;
  // The device-side buffer reads land in and writes come from (the NFP's 8 KiB CTM buffer).
  static constexpr uint32_t BUFFER_BYTES = 8192;
  static constexpr uint32_t MAX_IN_FLIGHT = 256;        // 8-bit PCIe tags
  static constexpr uint64_t JOURNAL_MAX = 16ull << 20;  // pcie-bench's journal: 16 Mi entries
  // Percentile registers hold cycles x 2^PCT_FRAC_BITS (interpolated values are fractional).
  static constexpr unsigned PCT_FRAC_BITS = 8;

  tlm_utils::simple_initiator_socket<pciebench_device> dma;

  SC_HAS_PROCESS(pciebench_device);
  pciebench_device(sc_core::sc_module_name name, const pb::DeviceProfile& profile);
  ~pciebench_device() override;

  // Notified when a run ends (DONE or ERROR set, BUSY clear).
  const sc_core::sc_event& run_end() const { return m_end_event; }
  void set_interrupt_handler(std::function<void()> fn) { m_irq = std::move(fn); }
  void reset() override;
  uint16_t requester_id() const;
  kit::reg_bank& regs() { return m_regs; }

  uint64_t runs() const { return m_runs; }
  uint64_t transfers() const { return m_transfers; }
  uint64_t requests_issued() const { return m_requests; }

  // The statistics pcie-bench computes over a journal of samples (cycles), exposed for
  // tests: interpolated percentile p (0..100) of sorted values, as ListStats does.
  static double percentile(const std::vector<uint32_t>& sorted, double p);
  static double median(const std::vector<uint32_t>& sorted);

 protected:
  uint64_t mmio_read(physical_function& pf, int bar, uint64_t offset, unsigned len) override;
  void mmio_write(physical_function& pf, int bar, uint64_t offset, unsigned len, uint64_t value) override;

 private:
  enum class phase { idle, prepare, run };
  void write_control(uint64_t now);
  void write_status(uint64_t now);
  void step();       // SC_METHOD on m_kick: the transfers due now
  bool start_run();  // checks the parameters, sets up the phases
  void begin_measurement();
  void finish(uint32_t err_code);
  uint64_t next_unit_address();  // bus address of the next transfer (sequential or random)
  uint64_t bus_address(uint64_t lin) const;
  // One transfer of `bytes` at `addr`, issued `at` from now; false on an error response.
  // `done`: when its last request completed (offset from now).
  bool transfer(bool write, uint64_t addr, uint32_t bytes, const sc_core::sc_time& at, sc_core::sc_time& done);
  uint64_t cycles_at(const sc_core::sc_time& t) const;  // the timestamp counter at absolute time t
  void publish_latency_stats();

  kit::scope m_scope{name(), "pciebench"};

 public:
  // The NFP-6000 of the paper's runs clocks its MEs at 1.2 GHz (the data directories'
  // "nfp6000-1.2GHz"; nfpbench.py reads me.speed): cycle columns then read alike.
  kit::param<uint64_t> clock_khz{m_scope,           "clock_khz", 1'200'000, "kHz", "device clock the timestamps count",
                                 {1000, 10'000'000}};
  kit::param<unsigned> timestamp_cycles{
      m_scope, "timestamp_cycles", 1, "cycles", "timestamp counter granularity (the NFP's: 16 cycles)", {1, 1024}};
  // The engine itself never limits by default: what is measured is the host's path.
  kit::param<sc_core::sc_time> issue_interval{m_scope, "issue_interval", sc_core::SC_ZERO_TIME,
                                              "least time between two transfers' issue (the DMA engine's rate)"};
  kit::param<sc_core::sc_time> transfer_overhead{
      m_scope, "transfer_overhead", sc_core::SC_ZERO_TIME,
      "device time per transfer before its first request leaves and after its completion arrives"};
  // Transfers due within this much of now are issued in one event: fewer events, but
  // the path's resources are reserved up to this far ahead of other traffic.
  kit::param<sc_core::sc_time> lookahead{m_scope, "lookahead", sc_core::sc_time(1, sc_core::SC_US),
                                         "how far ahead of now one event issues transfers (simulation speed)"};

 private:
  kit::reg_bank m_regs;
  std::vector<uint8_t> m_buffer;
  tlm::tlm_generic_payload m_trans;
  kit::pcie_ext m_ext;
  sc_core::sc_event m_kick, m_end_event;
  std::function<void()> m_irq;
  kit::rng_stream m_rng;
  physical_function* m_pf = nullptr;

  // One run.
  phase m_phase = phase::idle;
  uint32_t m_test = 0, m_flags = 0, m_size = 0, m_hoff = 0, m_doff = 0, m_in_flight = 1;
  uint64_t m_window = 0, m_count = 0, m_done = 0, m_unit = 0, m_units = 0, m_cursor = 0;
  uint64_t m_max_read = 512, m_max_write = 256;
  uint64_t m_prep_count = 0, m_prep_done = 0;                     // warm / thrash writes: one line per page
  std::vector<uint64_t> m_chunks;                                 // CHUNK_ADDR[0..CHUNKS) as the run started
  std::vector<sc_core::sc_time> m_ring;                           // completion times of the last IN_FLIGHT transfers
  sc_core::sc_time m_last_issue;                                  // absolute
  sc_core::sc_time m_last_done;                                   // absolute: the latest completion so far
  sc_core::sc_time m_measure_start;                               // absolute: START_TS
  std::vector<uint32_t> m_journal;                                // latency samples, cycles
  std::vector<sc_core::sc_time> m_tags;  // min-heap: when each tag in use is free again (absolute)
  unsigned m_tag_limit = 32;
  uint32_t m_error = ERR_NONE;

  // Statistics (`pcb0.transfers`).
  kit::counter m_runs{m_stats, "runs", "runs", "benchmark runs completed", true};
  kit::counter m_transfers{m_stats, "transfers", "transfers", "measured transfers completed", true};
  kit::counter m_requests{m_stats, "requests", "TLPs", "memory requests issued (reads and writes)", true};
  kit::counter m_bytes{m_stats, "bytes", "bytes", "bytes moved by measured transfers", true};
  kit::distribution m_latency{m_stats, "latency", "s", "latency test samples: issue to completion", 1e-12};
};

}  // namespace iovsim::pcie
