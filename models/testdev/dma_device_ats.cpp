// The DMA test device's ATS side (register map and behaviour in dma_device.h):
// device-TLB lookups, translation requests (AT = 01b), translated requests (AT = 10b)
// and PRI page requests (PCIe base spec 10.2, 10.4). It runs in an SC_THREAD because a
// page request waits for the host's PRG response; everything else is issued with
// annotated delays, as the untranslated path does.
#include <fmt/format.h>

#include <algorithm>

#include "models/kit/sim_env.h"
#include "models/pcie/capabilities.h"
#include "models/testdev/dma_device.h"

namespace iovsim::pcie {

namespace {
constexpr uint64_t PAGE_4K = 4096;           // requests never cross it; the smallest translation
constexpr uint16_t PRG_INDEX_MASK = 0x1ff;   // Page Request Group Index: 9 bits (PCIe 10.4.1)

bool power_of_two(uint64_t v) { return v && !(v & (v - 1)); }
}  // namespace

bool dma_device::ats_enabled() const {
  return m_ats_cap && (m_pf->cfg().get(m_ats_cap + ATS_CTRL, 2) & ATS_CTRL_ENABLE);
}

void dma_device::set_pri_status(uint32_t bits) {
  if (m_pri_cap) m_pf->cfg().set(m_pri_cap + PRI_STATUS, 2, m_pf->cfg().get(m_pri_cap + PRI_STATUS, 2) | bits);
}

void dma_device::invalidate_atc(uint64_t addr, uint64_t size_bytes) {
  ++m_atc_invalidations;
  m_atc_entries_invalidated += m_atc.invalidate(addr, size_bytes);
}

void dma_device::page_response(uint16_t group, bool success, const sc_core::sc_time& delay) {
  if (!m_prg_waiting || m_prg_answered || group != m_prg_group) {
    // A response to a group with no outstanding request (PCIe 10.5.2.3 UPRGI).
    set_pri_status(PRI_STATUS_UPRGI);
    kit::sim_env::current().log("dma", name(), fmt::format("PRG response for group {} matches no page request", group));
    return;
  }
  m_prg_answered = true;
  m_prg_success = success;
  m_prg_arrival = sc_core::sc_time_stamp() + delay;
  m_prg_event.notify(delay);
}

void dma_device::ats_thread() {
  for (;;) {
    // A flag, not just the event: a transfer started while an abandoned one was
    // still unwinding (reset during a wait) is not lost.
    while (!m_ats_pending) sc_core::wait(m_ats_start);
    m_ats_pending = false;
    run_ats_transfer();
  }
}

// One translation request for the page holding addr. `entry` receives what was cached
// (ok), `arrived` when the completion came back (ok and denied).
dma_device::xlate dma_device::translate(uint64_t addr, bool write, atc_entry& entry, sc_core::sc_time& arrived) {
  ++m_translation_requests;
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  m_ext = kit::pcie_ext{};
  m_ext.kind = kit::tlp_kind::mem;
  m_ext.at = kit::address_type::translation_request;
  m_ext.requester_id = requester_id();
  // A read of one 8-byte Translation Completion Data Entry (PCIe 10.2.2).
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  const bool ok = send(tlm::TLM_READ_COMMAND, addr & ~(PAGE_4K - 1), reinterpret_cast<unsigned char*>(&m_message_data),
                       8, delay);
  arrived = now + delay;
  if (!ok || m_ext.status != kit::completion_status::success)
    return xlate::failed;
  if (!(write ? m_ext.translation_write : m_ext.translation_read)) return xlate::denied;
  // The range: what the completion says, at least the Smallest Translation Unit
  // software programmed (PCIe 10.5.1.3: 2^STU 4 KiB blocks).
  const uint64_t returned = power_of_two(m_ext.translation_bytes) && m_ext.translation_bytes >= PAGE_4K
                                ? m_ext.translation_bytes
                                : PAGE_4K;
  const unsigned stu = m_pf->cfg().get(m_ats_cap + ATS_CTRL, 2) & ATS_CTRL_STU_MASK;
  const uint64_t size = std::max(returned, PAGE_4K << stu);
  atc_entry e;
  e.untranslated = addr & ~(size - 1);
  e.translated = m_ext.translated_address - ((addr & ~(returned - 1)) - e.untranslated);
  e.size_bytes = size;
  e.read = m_ext.translation_read;
  e.write = m_ext.translation_write;
  e.ready = arrived;
  m_atc.insert(e);
  entry = e;
  return xlate::ok;
}

// PRI: asks the host to make the page at addr present for the access, once the
// denying completion is in (`from`), and waits for the PRG response.
dma_device::xlate dma_device::request_page(uint64_t addr, bool write, uint16_t group, const sc_core::sc_time& from) {
  const config_space& cfg = m_pf->cfg();
  const bool usable = m_pri_cap && (cfg.get(m_pri_cap + PRI_CTRL, 2) & PRI_CTRL_ENABLE) &&
                      !(cfg.get(m_pri_cap + PRI_STATUS, 2) & PRI_STATUS_RF) && cfg.get(m_pri_cap + PRI_ALLOC_REQ, 4) >= 1;
  if (!usable) return xlate::denied;
  const uint64_t epoch = m_epoch;
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  if (from > now) sc_core::wait(from - now);
  if (epoch != m_epoch) return xlate::aborted;

  ++m_page_requests;
  count(PAGE_REQS);
  m_prg_waiting = true;
  m_prg_answered = false;
  m_prg_group = group;
  m_ext = kit::pcie_ext{};
  m_ext.kind = kit::tlp_kind::msg;
  m_ext.message = kit::message_code::page_request;
  m_ext.requester_id = requester_id();
  m_ext.prg_index = group;
  m_ext.prg_last = true;   // a group of one page
  m_ext.page_read = !write;
  m_ext.page_write = write;
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  // Posted, no data; the router delivers it when it arrives.
  const bool ok = send(tlm::TLM_WRITE_COMMAND, addr & ~(PAGE_4K - 1), reinterpret_cast<unsigned char*>(&m_message_data),
                       0, delay);
  if (epoch != m_epoch) return xlate::aborted;
  if (!ok) {
    m_prg_waiting = false;
    ++m_page_request_failures;
    return xlate::failed;
  }
  while (!m_prg_answered) {
    sc_core::wait(m_prg_event);
    if (epoch != m_epoch) return xlate::aborted;
  }
  const sc_core::sc_time t = sc_core::sc_time_stamp();
  if (m_prg_arrival > t) sc_core::wait(m_prg_arrival - t);
  if (epoch != m_epoch) return xlate::aborted;
  m_prg_waiting = false;
  if (!m_prg_success) {
    ++m_page_request_failures;
    return xlate::failed;
  }
  return xlate::ok;
}

void dma_device::run_ats_transfer() {
  const transfer_plan p = m_plan;
  const uint16_t group = m_next_group;
  m_next_group = static_cast<uint16_t>((m_next_group + 1) & PRG_INDEX_MASK);
  m_pending_error = ERR_NONE;
  m_pending_bytes = 0;
  sc_core::sc_time last = sc_core::sc_time_stamp();
  for (uint64_t done = 0; done < p.len;) {
    const uint64_t addr = p.host + done;
    const uint64_t n = std::min({p.len - done, p.max_req, PAGE_4K - addr % PAGE_4K});
    atc_entry e;
    const atc_entry* hit = m_atc.lookup(addr);
    if (hit && (p.to_host ? hit->write : hit->read)) {
      ++m_atc_hits;
      count(ATC_HITS);
      e = *hit;
    } else {
      // A miss, or a cached translation without the permission: ask again.
      ++m_atc_misses;
      count(ATC_MISSES);
      sc_core::sc_time arrived;
      xlate r = translate(addr, p.to_host, e, arrived);
      uint32_t err = r == xlate::failed ? ERR_DMA : ERR_NONE;
      if (r == xlate::denied) {
        const xlate page = request_page(addr, p.to_host, group, arrived);
        if (page == xlate::aborted) return;   // reset while waiting: nothing more to report
        if (page == xlate::denied) {
          err = ERR_ATS_DENIED;   // no usable PRI
        } else if (page == xlate::failed) {
          err = ERR_PAGE_REQUEST_FAILED;
        } else {
          // The host made the page present: one more translation, which must now allow it.
          r = translate(addr, p.to_host, e, arrived);
          err = r == xlate::ok ? ERR_NONE : r == xlate::failed ? ERR_DMA : ERR_PAGE_REQUEST_FAILED;
        }
      }
      if (err) {   // known when the (last) completion came back
        m_pending_error = err;
        m_regs.set(ERR_ADDR, 8, addr);
        last = std::max(last, arrived);
        break;
      }
    }
    const sc_core::sc_time now = sc_core::sc_time_stamp();
    m_ext = kit::pcie_ext{};
    m_ext.kind = kit::tlp_kind::mem;
    m_ext.at = kit::address_type::translated;
    m_ext.requester_id = requester_id();
    // Not before its translation arrived; the path queues the rest.
    sc_core::sc_time delay = e.ready > now ? e.ready - now : sc_core::SC_ZERO_TIME;
    const bool ok = send(p.to_host ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND,
                         e.translated + (addr - e.untranslated), m_buffer.data() + p.buf + done, static_cast<unsigned>(n),
                         delay);
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
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  m_done_event.notify(last > now ? last - now : sc_core::SC_ZERO_TIME);
}

}  // namespace iovsim::pcie
