#include "models/testdev/pciebench_device.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <numeric>

#include "models/kit/sim_env.h"
#include "models/pcie/capabilities.h"

namespace iovsim::pcie {

namespace {
constexpr uint64_t PAGE = 4096;  // transfers never cross it (PCIe base spec 2.2.7)
constexpr uint64_t LINE = 64;    // pcie-bench's unit granule: a host cache line
constexpr uint32_t ERR_CODE_MASK = 0xff00;
// Transfers per run when COUNT is 0: pcie-bench's PCIEBENCH_LAT_TRANS and
// PCIEBENCH_BW_TRANS; with FLAG_LONG its journal size.
constexpr uint64_t DEFAULT_LAT_TRANSFERS = 2ull << 20, DEFAULT_BW_TRANSFERS = 8ull << 20;
constexpr unsigned MAX_PER_EVENT = 4096;  // a bound on one event's work whatever the timing
constexpr unsigned RANDOM_TRIES = 64;     // draws before a random unit falls back to the next that fits

bool is_latency_test(uint32_t t) { return t == pciebench_device::LAT_DMA_RD || t == pciebench_device::LAT_DMA_WRRD; }
}  // namespace

pciebench_device::pciebench_device(sc_core::sc_module_name name, const pb::DeviceProfile& profile)
    : endpoint(name, profile),
      dma("dma"),
      m_regs(std::string(this->name()) + ".regs", REGS_BYTES),
      m_buffer(BUFFER_BYTES, 0),
      m_rng(kit::sim_env::current().rng(this->name())) {
  m_regs.add(kit::reg("ID", ID, 4).reset_to(ID_VALUE).doc("\"PCBN\" in memory order"));
  m_regs.add(kit::reg("VERSION", VERSION, 4).reset_to(VERSION_VALUE).doc("major << 16 | minor"));
  m_regs.add(kit::reg("TEST", TEST, 4).rw().doc("3 LAT_DMA_RD, 4 LAT_DMA_WRRD, 5 BW_DMA_RD, 6 BW_DMA_WR, 7 BW_DMA_RW"));
  m_regs.add(kit::reg("FLAGS", FLAGS, 4)
                 .field("WARM", 0)    // the device writes the window first
                 .field("THRASH", 1)  // the device writes every chunk first
                 .field("RANDOM", 2)  // random units, else sequential
                 .field("LONG", 3)    // COUNT 0 means the journal's size
                 .doc("pcie-bench's test flags"));
  m_regs.add(kit::reg("SIZE", SIZE, 4).rw(0x1fff).doc("bytes per transfer; SIZE + HOST_OFF <= 4096"));
  m_regs.add(kit::reg("HOST_OFF", HOST_OFF, 4).rw(0xfff).doc("offset of each transfer into its unit"));
  m_regs.add(kit::reg("WINDOW", WINDOW, 8).rw().doc("bytes of the host buffer used, a multiple of 64"));
  m_regs.add(kit::reg("DEV_OFF", DEV_OFF, 4).rw(0x1fff).doc("offset into the device buffer"));
  m_regs.add(kit::reg("IN_FLIGHT", IN_FLIGHT, 4).rw(0x1ff).reset_to(1).doc("bandwidth tests: transfers outstanding"));
  m_regs.add(kit::reg("COUNT", COUNT, 8).rw().doc("transfers to run; 0: pcie-bench's defaults"));
  m_regs.add(
      kit::reg("CONTROL", CONTROL, 4).field("START", 0).field("IRQ_EN", 1).on_write_fn([this](uint64_t, uint64_t n) {
        write_control(n);
      }));
  m_regs.add(kit::reg("STATUS", STATUS, 4)
                 .field("BUSY", 0, 1, kit::ro)
                 .field("DONE", 1, 1, kit::w1c)
                 .field("ERROR", 2, 1, kit::w1c)
                 .field("ERR_CODE", STATUS_ERR_CODE_SHIFT, 8, kit::ro)
                 .on_write_fn([this](uint64_t, uint64_t n) { write_status(n); }));
  m_regs.add(kit::reg("CHUNKS", CHUNKS, 4).rw(0x7f).doc("CHUNK_ADDR entries valid (4 MiB each)"));
  m_regs.add(kit::reg("CLOCK_KHZ", CLOCK_KHZ, 4).reset_to(clock_khz()).doc("device clock: cycles to time"));
  m_regs.add(kit::reg("START_TS", START_TS, 8).doc("timestamp (cycles) when the measured transfers began"));
  m_regs.add(kit::reg("END_TS", END_TS, 8).doc("timestamp (cycles) when the last one completed"));
  m_regs.add(kit::reg("TRANSFERS", TRANSFERS, 8).doc("measured transfers completed"));
  m_regs.add(kit::reg("LAT_MIN", LAT_MIN, 8).doc("latency tests: least sample, cycles"));
  m_regs.add(kit::reg("LAT_MAX", LAT_MAX, 8).doc("greatest sample, cycles"));
  m_regs.add(kit::reg("LAT_SUM", LAT_SUM, 8).doc("sum of the samples, cycles"));
  m_regs.add(kit::reg("LAT_MED", LAT_MED, 8).doc("median, cycles x 256"));
  m_regs.add(kit::reg("LAT_P95", LAT_P95, 8).doc("95th percentile, cycles x 256"));
  m_regs.add(kit::reg("LAT_P999", LAT_P999, 8).doc("99.9th percentile, cycles x 256"));
  m_regs.add(kit::reg("OUTLIERS", OUTLIERS, 8).doc("samples above 3 x the 95th percentile"));
  m_regs.add(kit::reg("SAMPLES", SAMPLES, 8).doc("samples in the journal"));
  m_regs.add(kit::reg("ERR_ADDR", ERR_ADDR, 8).doc("bus address of the request that failed"));
  for (unsigned i = 0; i < MAX_CHUNKS; ++i)
    m_regs.add(kit::reg(fmt::format("CHUNK_ADDR{}", i), CHUNK_ADDR + 8 * i, 8)
                   .rw(~uint64_t{0xfff})
                   .doc("bus address of host buffer chunk i (4 KiB aligned)"));

  m_pf = pfs()[0].get();
  m_trans.set_extension(&m_ext);
  m_trans.set_byte_enable_ptr(nullptr);
  SC_METHOD(step);
  sensitive << m_kick;
  dont_initialize();
}

pciebench_device::~pciebench_device() { m_trans.clear_extension(&m_ext); }

void pciebench_device::reset() {
  endpoint::reset();
  m_regs.reset();
  std::fill(m_buffer.begin(), m_buffer.end(), 0);
  m_kick.cancel();
  // A run cut short by reset ends now: a driver waiting for it sees STATUS without DONE.
  if (m_phase != phase::idle) m_end_event.notify(sc_core::SC_ZERO_TIME);
  m_phase = phase::idle;
  m_journal.clear();
  m_journal.shrink_to_fit();
}

uint16_t pciebench_device::requester_id() const { return kit::make_rid(captured_bus(), m_pf->function_number()); }

uint64_t pciebench_device::mmio_read(physical_function& pf, int bar, uint64_t offset, unsigned len) {
  if (pf.function_number() != 0 || bar != 0) return endpoint::mmio_read(pf, bar, offset, len);
  if (offset + len <= REGS_BYTES) return m_regs.read(static_cast<uint32_t>(offset), len);
  return 0;
}

void pciebench_device::mmio_write(physical_function& pf, int bar, uint64_t offset, unsigned len, uint64_t value) {
  if (pf.function_number() != 0 || bar != 0) return endpoint::mmio_write(pf, bar, offset, len, value);
  if (offset + len <= REGS_BYTES) m_regs.write(static_cast<uint32_t>(offset), len, value);
}

void pciebench_device::write_status(uint64_t now) {
  if (!(now & STATUS_ERROR)) m_regs.set(STATUS, 4, now & ~uint64_t{ERR_CODE_MASK});
}

void pciebench_device::write_control(uint64_t now) {
  if (!(now & CONTROL_START)) return;
  m_regs.set(CONTROL, 4, now & ~uint64_t{CONTROL_START});  // START reads 0
  if (m_regs.get(STATUS, 4) & STATUS_BUSY) return;         // ignored while a run goes on
  m_regs.set(STATUS, 4, STATUS_BUSY);
  for (uint32_t r = START_TS; r <= ERR_ADDR; r += 8) m_regs.set(r, 8, 0);  // the previous run's results
  m_error = ERR_NONE;
  if (!start_run()) return;
  m_kick.notify(sc_core::SC_ZERO_TIME);
}

uint64_t pciebench_device::cycles_at(const sc_core::sc_time& t) const {
  const auto ps = static_cast<unsigned __int128>(t.value());  // 1 ps resolution (kit::sim_env)
  const auto cycles = static_cast<uint64_t>(ps * clock_khz() / 1'000'000'000u);
  return cycles / timestamp_cycles() * timestamp_cycles();
}

bool pciebench_device::start_run() {
  m_test = static_cast<uint32_t>(m_regs.get(TEST, 4));
  m_flags = static_cast<uint32_t>(m_regs.get(FLAGS, 4));
  m_size = static_cast<uint32_t>(m_regs.get(SIZE, 4));
  m_hoff = static_cast<uint32_t>(m_regs.get(HOST_OFF, 4));
  m_doff = static_cast<uint32_t>(m_regs.get(DEV_OFF, 4));
  m_window = m_regs.get(WINDOW, 8);
  const uint64_t chunks = m_regs.get(CHUNKS, 4);
  const bool lat = is_latency_test(m_test);
  m_in_flight = lat ? 1 : static_cast<uint32_t>(m_regs.get(IN_FLIGHT, 4));
  m_count = m_regs.get(COUNT, 8);
  if (m_count == 0) m_count = (m_flags & FLAG_LONG) ? JOURNAL_MAX : lat ? DEFAULT_LAT_TRANSFERS : DEFAULT_BW_TRANSFERS;
  // The firmware's checks (pcie_dma.c): the transfer and its offset fit in a page and
  // in the window; the host tool's: a window of whole cache lines, one cache flag.
  const bool ok = m_test >= LAT_DMA_RD && m_test <= BW_DMA_RW && m_size >= 1 && m_size + m_hoff <= PAGE &&
                  m_size + m_hoff <= m_window && m_window % LINE == 0 && chunks >= 1 && chunks <= MAX_CHUNKS &&
                  m_window <= chunks * CHUNK_BYTES && m_doff + m_size <= BUFFER_BYTES && m_in_flight >= 1 &&
                  m_in_flight <= MAX_IN_FLIGHT && !((m_flags & FLAG_WARM) && (m_flags & FLAG_THRASH)) &&
                  (!lat || m_count <= JOURNAL_MAX);
  if (!ok) {
    finish(ERR_PARAMS);
    return false;
  }
  if (!m_pf->bus_master()) {
    finish(ERR_NO_BUS_MASTER);
    return false;
  }
  // Request sizes from Device Control as software programmed them (128 << field).
  const uint32_t exp = m_pf->cfg().find_cap(CAP_ID_EXP);
  const uint32_t devctl = exp ? static_cast<uint32_t>(m_pf->cfg().get(exp + EXP_DEVCTL, 2)) : 0x2000;
  m_max_write = 128u << ((devctl >> 5) & 7);
  m_max_read = 128u << ((devctl >> 12) & 7);
  m_tag_limit = (devctl & EXP_DEVCTL_EXT_TAG) ? 256 : 32;
  m_tags.clear();

  // The chunks' bus addresses, read once per run (per transfer they are on the hot path).
  m_chunks.resize(chunks);
  for (uint32_t i = 0; i < chunks; ++i) m_chunks[i] = m_regs.get(CHUNK_ADDR + 8 * i, 8);
  m_unit = (m_size + m_hoff + LINE - 1) / LINE * LINE;
  m_units = m_window / m_unit;
  m_cursor = 0;
  m_done = 0;
  m_journal.clear();
  if (lat) m_journal.reserve(m_count);
  // Warming and thrashing write one line of each page: what the models keep per page
  // (IOTLB entries, paging-structure caches) is what they change here; no model of
  // host caches (DDIO into the LLC) would see the difference yet.
  m_prep_done = 0;
  m_prep_count = (m_flags & FLAG_WARM)     ? (m_window + PAGE - 1) / PAGE
                 : (m_flags & FLAG_THRASH) ? chunks * CHUNK_BYTES / PAGE
                                           : 0;
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  m_ring.assign(m_prep_count ? MAX_IN_FLIGHT : m_in_flight, now);  // preparation writes: up to MAX_IN_FLIGHT out
  m_last_issue = now;
  m_last_done = now;
  m_phase = phase::prepare;
  return true;
}

void pciebench_device::begin_measurement() {
  // Measurement starts once the preparation writes completed.
  m_measure_start = std::max(sc_core::sc_time_stamp(), m_last_done);
  m_ring.assign(m_in_flight, m_measure_start);
  m_last_issue = m_measure_start;
  m_last_done = m_measure_start;
  m_phase = phase::run;
  m_regs.set(START_TS, 8, cycles_at(m_measure_start));
}

uint64_t pciebench_device::bus_address(uint64_t lin) const { return m_chunks[lin / CHUNK_BYTES] + lin % CHUNK_BYTES; }

uint64_t pciebench_device::next_unit_address() {
  auto fits = [this](uint64_t u) { return PAGE - (u * m_unit + m_hoff) % PAGE >= m_size; };
  uint64_t u = 0;
  if (m_flags & FLAG_RANDOM) {
    u = m_rng.below(m_units);
    for (unsigned tries = 1; !fits(u) && tries < RANDOM_TRIES; ++tries) u = m_rng.below(m_units);
    while (!fits(u)) u = (u + 1) % m_units;  // unit 0 always fits: this ends
  } else {
    while (!fits(m_cursor)) m_cursor = (m_cursor + 1) % m_units;
    u = m_cursor;
    m_cursor = (m_cursor + 1) % m_units;
  }
  return bus_address(u * m_unit + m_hoff);
}

bool pciebench_device::transfer(bool write, uint64_t addr, uint32_t bytes, const sc_core::sc_time& at,
                                sc_core::sc_time& done) {
  m_ext = kit::pcie_ext{};
  m_ext.kind = kit::tlp_kind::mem;
  m_ext.requester_id = requester_id();
  const uint64_t max_req = write ? m_max_write : m_max_read;
  const sc_core::sc_time start = at + transfer_overhead();
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  const auto later = std::greater<sc_core::sc_time>();
  done = start;
  unsigned char* data = m_buffer.data() + m_doff;
  for (uint64_t off = 0; off < bytes;) {
    const uint64_t a = addr + off;
    const uint64_t n = std::min({uint64_t{bytes} - off, max_req, PAGE - a % PAGE});
    sc_core::sc_time delay = start;  // every request of the transfer issued together; the path queues them
    if (!write) {                    // a read waits for a tag
      if (m_tags.size() >= m_tag_limit) {
        std::pop_heap(m_tags.begin(), m_tags.end(), later);
        if (m_tags.back() > now + delay) delay = m_tags.back() - now;
        m_tags.pop_back();
      }
    }
    m_trans.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
    m_trans.set_address(a);
    m_trans.set_data_ptr(data + off);
    m_trans.set_data_length(static_cast<unsigned>(n));
    m_trans.set_streaming_width(static_cast<unsigned>(n));
    m_trans.set_dmi_allowed(false);
    m_trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    dma->b_transport(m_trans, delay);
    ++m_requests;
    if (!write) {
      m_tags.push_back(now + delay);
      std::push_heap(m_tags.begin(), m_tags.end(), later);
    }
    done = std::max(done, delay);
    if (m_trans.get_response_status() != tlm::TLM_OK_RESPONSE) {
      m_regs.set(ERR_ADDR, 8, a);
      return false;
    }
    off += n;
  }
  done += transfer_overhead();
  return true;
}

void pciebench_device::step() {
  if (m_phase == phase::idle) return;
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  const sc_core::sc_time horizon = now + lookahead();
  for (unsigned n = 0; n < MAX_PER_EVENT; ++n) {
    const bool prep = m_phase == phase::prepare;
    if (prep && m_prep_done == m_prep_count) {
      if (m_last_done > now) {  // the preparation writes are still on their way
        m_kick.notify(m_last_done - now);
        return;
      }
      begin_measurement();
      continue;
    }
    if (!prep && m_done == m_count) {
      if (m_last_done > now) {
        m_kick.notify(m_last_done - now);
        return;
      }
      finish(m_error);
      return;
    }
    // When the next transfer may go: its slot's last transfer completed, and the
    // engine's issue interval since the previous one passed.
    const uint64_t k = prep ? m_prep_done : m_done;
    sc_core::sc_time& slot = m_ring[k % m_ring.size()];
    sc_core::sc_time issue = std::max(slot, k ? m_last_issue + issue_interval() : m_last_issue);
    if (issue < now) issue = now;
    if (issue > horizon) {
      m_kick.notify(issue - now);
      return;
    }
    sc_core::sc_time done;
    bool ok = true;
    if (prep) {
      ok = transfer(true, bus_address(m_prep_done * PAGE), LINE, issue - now, done);  // a line per page
      ++m_prep_done;
    } else {
      const uint64_t addr = next_unit_address();
      switch (m_test) {
        case LAT_DMA_RD:
        case BW_DMA_RD:
          ok = transfer(false, addr, m_size, issue - now, done);
          break;
        case BW_DMA_WR:
          ok = transfer(true, addr, m_size, issue - now, done);
          break;
        case LAT_DMA_WRRD: {
          // The write, then the read of the same unit: the read request follows the
          // write's data up the link, and PCIe ordering (a read may not pass a posted
          // write) makes it return the written data.
          sc_core::sc_time wdone;
          ok = transfer(true, addr, m_size, issue - now, wdone) && transfer(false, addr, m_size, issue - now, done);
          done = std::max(done, wdone);
          break;
        }
        default:  // BW_DMA_RW: odd transfers read, even ones write (dma_bw_worker)
          ok = transfer(!(k & 1), addr, m_size, issue - now, done);
          break;
      }
      ++m_done;
      if (ok) {
        ++m_transfers;
        m_bytes += m_size;
        if (is_latency_test(m_test)) {
          const uint64_t c = cycles_at(now + done) - cycles_at(issue);
          m_journal.push_back(static_cast<uint32_t>(std::min<uint64_t>(c, UINT32_MAX)));
          m_latency.sample(static_cast<uint64_t>((now + done - issue).value()));
        }
      }
    }
    m_last_issue = issue;
    slot = now + done;
    m_last_done = std::max(m_last_done, now + done);
    if (!ok) {
      m_error = ERR_DMA;
      m_count = m_done;  // the run stops: what is outstanding still completes
      m_prep_count = m_prep_done;
      if (prep) {
        m_phase = phase::run;
        m_count = m_done = 0;
      }
    }
  }
  m_kick.notify(sc_core::SC_ZERO_TIME);  // a bounded share of work per event
}

double pciebench_device::median(const std::vector<uint32_t>& sorted) {
  const size_t n = sorted.size();
  if (n == 0) return 0;
  if (n % 2) return sorted[n / 2];
  return (static_cast<double>(sorted[n / 2]) + sorted[n / 2 - 1]) / 2.0;
}

double pciebench_device::percentile(const std::vector<uint32_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  const double idx = static_cast<double>(sorted.size() - 1) * p / 100.0;
  const double lo = std::floor(idx), hi = std::ceil(idx);
  if (lo == hi) return sorted[static_cast<size_t>(idx)];
  return sorted[static_cast<size_t>(lo)] * (hi - idx) + sorted[static_cast<size_t>(hi)] * (idx - lo);
}

void pciebench_device::publish_latency_stats() {
  if (m_journal.empty()) return;
  const uint64_t sum = std::accumulate(m_journal.begin(), m_journal.end(), uint64_t{0});
  std::vector<uint32_t>& sorted = m_journal;  // the journal is done with: sort in place
  std::sort(sorted.begin(), sorted.end());
  const double p95 = percentile(sorted, 95);
  const auto fixed = [](double v) { return static_cast<uint64_t>(std::llround(v * (1u << PCT_FRAC_BITS))); };
  const auto above = std::upper_bound(sorted.begin(), sorted.end(), 3 * p95,
                                      [](double v, uint32_t s) { return v < static_cast<double>(s); });
  m_regs.set(LAT_MIN, 8, sorted.front());
  m_regs.set(LAT_MAX, 8, sorted.back());
  m_regs.set(LAT_SUM, 8, sum);
  m_regs.set(LAT_MED, 8, fixed(median(sorted)));
  m_regs.set(LAT_P95, 8, fixed(p95));
  m_regs.set(LAT_P999, 8, fixed(percentile(sorted, 99.9)));
  m_regs.set(OUTLIERS, 8, static_cast<uint64_t>(sorted.end() - above));
  m_regs.set(SAMPLES, 8, sorted.size());
}

void pciebench_device::finish(uint32_t err_code) {
  m_phase = phase::idle;
  if (!err_code) {
    m_regs.set(END_TS, 8, cycles_at(m_last_done));
    m_regs.set(TRANSFERS, 8, m_done);
    publish_latency_stats();
    ++m_runs;
  }
  m_journal.clear();
  m_journal.shrink_to_fit();
  m_regs.set(STATUS, 4, err_code ? STATUS_ERROR | (uint64_t{err_code} << STATUS_ERR_CODE_SHIFT) : STATUS_DONE);
  if (err_code)
    kit::sim_env::current().log("dma", name(),
                                fmt::format("pcie-bench run (test {}) failed: error code {}", m_test, err_code));
  m_end_event.notify();
  if ((m_regs.get(CONTROL, 4) & CONTROL_IRQ_EN) && m_irq) m_irq();
}

}  // namespace iovsim::pcie
