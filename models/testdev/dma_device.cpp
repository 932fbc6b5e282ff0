#include "models/testdev/dma_device.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "models/kit/sim_env.h"
#include "models/pcie/capabilities.h"

namespace iovsim::pcie {

namespace {
constexpr uint64_t BOUNDARY_4K = 4096;  // requests never cross it (PCIe base spec 2.2.7)
constexpr uint32_t ERR_CODE_MASK = 0xff00;
}  // namespace

dma_device::dma_device(sc_core::sc_module_name name, const pb::DeviceProfile& profile)
    : endpoint(name, profile), dma("dma"), m_regs(std::string(this->name()) + ".regs", REGS_BYTES),
      m_buffer(BUFFER_BYTES, 0) {
  // The BAR0 register map (little endian; accesses of 1..8 bytes); the buffer follows
  // at BUFFER_OFFSET.
  m_regs.add(kit::reg("ID", ID, 4).reset_to(ID_VALUE).doc("\"DMA0\" in memory order"));
  m_regs.add(kit::reg("VERSION", VERSION, 4).reset_to(VERSION_VALUE).doc("major << 16 | minor"));
  m_regs.add(kit::reg("SCRATCH", SCRATCH, 4).rw().doc("free for software (liveness checks)"));
  m_regs.add(kit::reg("SRC_ADDR", SRC_ADDR, 8).rw().doc("source: host bus address, or a buffer offset (DIR_TO_HOST)"));
  m_regs.add(kit::reg("DST_ADDR", DST_ADDR, 8).rw().doc("destination: buffer offset, or a host bus address (DIR_TO_HOST)"));
  m_regs.add(kit::reg("LENGTH", LENGTH, 4).field("BYTES", 0, 17).doc("bytes to move, 1..BUFFER_BYTES"));
  m_regs.add(kit::reg("CONTROL", CONTROL, 4)
                 .field("START", 0)          // write 1 to start; reads 0
                 .field("DIR_TO_HOST", 1)    // 0: host -> buffer, 1: buffer -> host
                 .field("IRQ_EN", 2)         // interrupt when the transfer ends
                 .on_write_fn([this](uint64_t o, uint64_t n) { write_control(o, n); }));
  m_regs.add(kit::reg("STATUS", STATUS, 4)
                 .field("BUSY", 0, 1, kit::ro)
                 .field("DONE", 1, 1, kit::w1c)
                 .field("ERROR", 2, 1, kit::w1c)   // clearing it clears ERR_CODE
                 .field("ERR_CODE", STATUS_ERR_CODE_SHIFT, 8, kit::ro)
                 .on_write_fn([this](uint64_t o, uint64_t n) { write_status(o, n); }));
  m_regs.add(kit::reg("XFER_COUNT", XFER_COUNT, 8).doc("transfers completed without error"));
  m_regs.add(kit::reg("ERR_ADDR", ERR_ADDR, 8).doc("host (untranslated) address of the request that failed"));
  m_regs.add(kit::reg("ATC_HITS", ATC_HITS, 8).doc("device-TLB lookups that hit (since reset)"));
  m_regs.add(kit::reg("ATC_MISSES", ATC_MISSES, 8).doc("device-TLB lookups that missed (each sent a translation request)"));
  m_regs.add(kit::reg("PAGE_REQS", PAGE_REQS, 8).doc("PRI page requests sent"));

  m_atc = atc(atc_entries);
  m_pf = pfs()[0].get();
  m_ats_cap = m_pf->cfg().find_ext_cap(ECAP_ID_ATS);
  m_pri_cap = m_pf->cfg().find_ext_cap(ECAP_ID_PRI);

  m_trans.set_extension(&m_ext);
  m_trans.set_byte_enable_ptr(nullptr);

  SC_METHOD(run_transfer);
  sensitive << m_start_event;
  dont_initialize();
  SC_METHOD(finish_transfer);
  sensitive << m_done_event;
  dont_initialize();
  SC_THREAD(ats_thread);
}

dma_device::~dma_device() { m_trans.clear_extension(&m_ext); }  // not heap-allocated: not the payload's to free

void dma_device::reset() {
  endpoint::reset();
  m_regs.reset();
  std::fill(m_buffer.begin(), m_buffer.end(), 0);
  m_start_event.cancel();
  m_done_event.cancel();
  m_atc.clear();
  // A transfer waiting for a page response is abandoned: wake it to leave.
  ++m_epoch;
  m_ats_pending = false;
  if (m_prg_waiting) {
    m_prg_waiting = false;
    m_prg_event.notify(sc_core::SC_ZERO_TIME);
  }
}

uint16_t dma_device::requester_id() const { return kit::make_rid(captured_bus(), m_pf->function_number()); }

void dma_device::count(uint32_t reg) { m_regs.set(reg, 8, m_regs.get(reg, 8) + 1); }

uint64_t dma_device::mmio_read(physical_function& pf, int bar, uint64_t offset, unsigned len) {
  if (pf.function_number() != 0 || bar != 0) return endpoint::mmio_read(pf, bar, offset, len);
  if (offset + len <= REGS_BYTES) return m_regs.read(static_cast<uint32_t>(offset), len);
  if (offset >= BUFFER_OFFSET && offset + len <= BUFFER_OFFSET + BUFFER_BYTES) {
    uint64_t v = 0;
    std::memcpy(&v, m_buffer.data() + (offset - BUFFER_OFFSET), std::min(len, 8u));
    return v;
  }
  return 0;  // unimplemented: reads 0, writes ignored
}

void dma_device::mmio_write(physical_function& pf, int bar, uint64_t offset, unsigned len, uint64_t value) {
  if (pf.function_number() != 0 || bar != 0) return endpoint::mmio_write(pf, bar, offset, len, value);
  if (offset + len <= REGS_BYTES) m_regs.write(static_cast<uint32_t>(offset), len, value);
  else if (offset >= BUFFER_OFFSET && offset + len <= BUFFER_OFFSET + BUFFER_BYTES)
    std::memcpy(m_buffer.data() + (offset - BUFFER_OFFSET), &value, std::min(len, 8u));
}

void dma_device::write_status(uint64_t, uint64_t now) {
  if (!(now & STATUS_ERROR)) m_regs.set(STATUS, 4, now & ~uint64_t{ERR_CODE_MASK});
}

void dma_device::write_control(uint64_t, uint64_t now) {
  if (!(now & CONTROL_START)) return;
  m_regs.set(CONTROL, 4, now & ~uint64_t{CONTROL_START});  // START reads 0
  if (m_regs.get(STATUS, 4) & STATUS_BUSY) return;         // ignored while a transfer runs
  // A new transfer clears the previous outcome.
  m_regs.set(STATUS, 4, STATUS_BUSY);
  m_started = sc_core::sc_time_stamp();
  m_start_event.notify(sc_core::SC_ZERO_TIME);
}

void dma_device::run_transfer() {
  physical_function& pf = *pfs()[0];
  const uint64_t ctrl = m_regs.get(CONTROL, 4), len = m_regs.get(LENGTH, 4);
  const bool to_host = ctrl & CONTROL_DIR_TO_HOST;
  const uint64_t host = m_regs.get(to_host ? DST_ADDR : SRC_ADDR, 8);
  const uint64_t buf = m_regs.get(to_host ? SRC_ADDR : DST_ADDR, 8);
  m_pending_bytes = 0;
  if (len == 0 || len > BUFFER_BYTES || buf > BUFFER_BYTES - len) {
    m_pending_error = ERR_LENGTH;
    m_done_event.notify(sc_core::SC_ZERO_TIME);
    return;
  }
  if (!pf.bus_master()) {  // Bus Master Enable clear: the function may not issue requests
    m_pending_error = ERR_NO_BUS_MASTER;
    m_done_event.notify(sc_core::SC_ZERO_TIME);
    return;
  }
  // Request sizes from Device Control as software programmed them (128 << field).
  const uint32_t exp = pf.cfg().find_cap(CAP_ID_EXP);
  const uint32_t devctl = exp ? static_cast<uint32_t>(pf.cfg().get(exp + EXP_DEVCTL, 2)) : 0x2000;
  const uint64_t max_req = to_host ? 128u << ((devctl >> 5) & 7) : 128u << ((devctl >> 12) & 7);

  if (ats_enabled()) {   // the thread may have to wait (PRI): it runs this transfer now
    m_plan = {to_host, host, buf, len, max_req};
    m_ats_pending = true;
    m_ats_start.notify();
    return;
  }
  if (m_atc.occupancy()) m_atc.clear();   // ATS Enable was cleared: cached translations go

  m_ext = kit::pcie_ext{};
  m_ext.kind = kit::tlp_kind::mem;
  m_ext.requester_id = kit::make_rid(captured_bus(), pf.function_number());
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  sc_core::sc_time last = now;
  m_pending_error = ERR_NONE;
  for (uint64_t done = 0; done < len;) {
    const uint64_t addr = host + done;
    const uint64_t n = std::min({len - done, max_req, BOUNDARY_4K - addr % BOUNDARY_4K});
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;  // all issued now; the path queues them
    const bool ok = send(to_host ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND, addr, m_buffer.data() + buf + done,
                         static_cast<unsigned>(n), delay);
    ++m_requests;
    last = std::max(last, now + delay);
    if (!ok) {
      m_pending_error = ERR_DMA;
      m_regs.set(ERR_ADDR, 8, addr);
      break;
    }
    done += n;
    m_pending_bytes = done;
  }
  m_done_event.notify(last - now);
}

bool dma_device::send(tlm::tlm_command cmd, uint64_t addr, unsigned char* data, unsigned n, sc_core::sc_time& delay) {
  m_trans.set_command(cmd);
  m_trans.set_address(addr);
  m_trans.set_data_ptr(data);
  m_trans.set_data_length(n);
  m_trans.set_streaming_width(n);
  m_trans.set_dmi_allowed(false);
  m_trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  dma->b_transport(m_trans, delay);
  return m_trans.get_response_status() == tlm::TLM_OK_RESPONSE;
}

void dma_device::finish_transfer() { complete(m_pending_error); }

void dma_device::complete(uint32_t err_code) {
  auto& env = kit::sim_env::current();
  uint64_t status = err_code ? STATUS_ERROR | (uint64_t{err_code} << STATUS_ERR_CODE_SHIFT) : STATUS_DONE;
  m_regs.set(STATUS, 4, status);
  m_bytes += m_pending_bytes;
  const uint64_t len = m_regs.get(LENGTH, 4);
  const bool to_host = m_regs.get(CONTROL, 4) & CONTROL_DIR_TO_HOST;
  if (err_code) {
    ++m_failed;
    env.log("dma", name(), fmt::format("DMA {} of {} bytes failed after {} bytes: error code {}",
                                to_host ? "to host" : "from host", len, m_pending_bytes, err_code));
  } else {
    ++m_transfers;
    m_regs.set(XFER_COUNT, 8, m_regs.get(XFER_COUNT, 8) + 1);
  }
  const sc_core::sc_time took = sc_core::sc_time_stamp() - m_started;
  m_transfer_time.sample(static_cast<uint64_t>(took.value()));   // picoseconds (1 ps resolution)
  // One transfer in trace.sample_every is a span; when some are skipped, a counter
  // track of the bytes moved so far carries what the spans leave out.
  if (env.trace_sample(m_trace_seq)) {
    env.trace_complete(name(), fmt::format("DMA {} {} B", to_host ? "to host" : "from host", len), "dma", m_started,
                       took);
    if (env.trace_sample_every() > 1)
      env.trace_counter(name(), "bytes moved", "dma", "bytes", static_cast<double>(m_bytes));
  }
  m_end_event.notify();
  if (m_regs.get(CONTROL, 4) & CONTROL_IRQ_EN) {
    ++m_interrupts;
    if (m_irq) m_irq();
  }
}

}  // namespace iovsim::pcie
