// PRI on the remapping unit: the page request queue (VT-d 3.x PQH_REG, PQT_REG,
// PQA_REG, PRS_REG, PECTL_REG and the Page Request Descriptor), the page request event,
// and the Page Group Response descriptor software answers with through the invalidation
// queue. The register, event and overflow rules follow QEMU's implementation of the
// spec (hw/i386/intel_iommu.c vtd_pri_request_page(), vtd_generate_page_request_event(),
// vtd_handle_prs_write(), vtd_handle_pectl_write(), vtd_process_page_group_response_desc()).
//
// Overflow: a request that finds the queue full (PQT + 1 == PQH modulo its size) sets
// PRS.PRO; while PRO is set nothing more is written and no event is raised. The unit
// then answers a request that ends its group (LPIG) itself with Response Code Success:
// the function translates again, is denied again and sends a new page request, which
// lands once software has drained the queue and cleared PRO. That is the VT-d rule as
// we read it (the same auto-response is spelled out by the RISC-V IOMMU spec, which
// copies VT-d's PRI handling; riscv-non-isa/riscv-iommu issue 262 explains why Success
// and not Response Failure: failure would disable the function's PRI for good). Linux
// matches it: prq_event_thread() clears PRO only with the queue empty and throws away
// the partial groups (iopf_queue_discard_partial()) whose last page was auto-answered.
// Not-last requests are dropped without an answer, as the group's last one gets it.
#include <fmt/format.h>

#include <array>

#include "models/iommu/vtd.h"
#include "models/kit/sim_env.h"

namespace iovsim::iommu {

void vtd_unit::page_request(uint16_t source_id, uint64_t iova, bool is_write, uint16_t group, bool last_in_group) {
  ++stats_of(source_id).page_requests;
  const iommu::page_request req{source_id, iova & ~(PAGE_4K - 1), is_write, group, last_in_group};
  kit::sim_env::current().log("iommu", name(), fmt::format("page request from {}: {} 0x{:x} group {}",
                                                  format_source_id(source_id), is_write ? "write" : "read",
                                                  req.iova, group));
  m_prq_inbox.push_back(req);
  m_prq_kick.notify(sc_core::SC_ZERO_TIME);
}

size_t vtd_unit::pending_page_requests() const {
  size_t n = 0;
  for (const auto& [key, reqs] : m_page_groups) n += reqs.size();
  return n;
}

// One request at a time, in arrival order: check for room, write the descriptor, then
// move PQT and signal.
void vtd_unit::prq_thread() {
  for (;;) {
    while (m_prq_inbox.empty()) wait(m_prq_kick);
    const iommu::page_request r = m_prq_inbox.front();
    m_prq_inbox.pop_front();
    const uint64_t pqa = m_regs.get(PQA_REG, 8);
    if (!(pqa & PQA_BASE_MASK)) {
      // No queue was ever set up (PQA_REG at its reset value): legacy-mode context
      // entries have no Page Request Enable bit to refuse the request with, so the unit
      // answers Response Failure, which stops the function's PRI (PCIe 10.4.2.1).
      kit::sim_env::current().log("iommu", name(), fmt::format("page request from {} group {}: no page request queue "
                                                      "(PQA_REG 0), answered Response Failure",
                                                      format_source_id(r.source_id), r.group));
      if (r.last_in_group) send_page_response(r.source_id, r.group, false);
      continue;
    }
    const uint32_t prs = static_cast<uint32_t>(m_regs.get(PRS_REG, 4));
    if (prs & PRS_PRO) {
      prq_overflow(r, false);
      continue;
    }
    const uint64_t entries = uint64_t{PRQ_DESCRIPTORS_PER_PAGE} << (pqa & PQA_QS_MASK);
    const uint64_t head = (m_regs.get(PQH_REG, 8) & PQ_OFFSET_MASK) / PRQ_DESCRIPTOR_BYTES;
    const uint64_t tail = (m_regs.get(PQT_REG, 8) & PQ_OFFSET_MASK) / PRQ_DESCRIPTOR_BYTES;
    // Offsets beyond the queue (software set them wrong) leave no room either.
    if (head >= entries || tail >= entries || (tail + 1) % entries == head) {
      prq_overflow(r, true);
      continue;
    }
    prq_write(r);
  }
}

void vtd_unit::prq_write(const iommu::page_request& r) {
  const uint64_t epoch = m_prq_epoch;
  wait(prq_write_latency());
  if (epoch != m_prq_epoch) return;   // reset while the write was under way
  const uint64_t pqa = m_regs.get(PQA_REG, 8);
  const uint64_t entries = uint64_t{PRQ_DESCRIPTORS_PER_PAGE} << (pqa & PQA_QS_MASK);
  const uint64_t tail = (m_regs.get(PQT_REG, 8) & PQ_OFFSET_MASK) / PRQ_DESCRIPTOR_BYTES;
  const std::array<uint64_t, 4> desc = {
      PRD_TYPE_PAGE_REQUEST | (uint64_t{r.source_id} << PRD_RID_SHIFT),
      (r.write ? PRD_HI_WRITE : PRD_HI_READ) | (r.last_in_group ? PRD_HI_LPIG : 0) |
          ((uint64_t{r.group} & PRD_HI_PRGI_MASK) << PRD_HI_PRGI_SHIFT) | (r.iova & PRD_HI_ADDR_MASK),
      0, 0};   // no private data
  const uint64_t addr = (pqa & PQA_BASE_MASK) + tail * PRQ_DESCRIPTOR_BYTES;
  // A queue where no memory is cannot take the descriptor: the write completes with
  // an error. VT-d has no status for it; the unit treats it as no queue at all (the
  // PQA 0 case in prq_thread()) and writes nothing.
  if (!m_mem.contains(addr, PRQ_DESCRIPTOR_BYTES)) {
    kit::sim_env::current().log("iommu", name(),
                                fmt::format("page request from {} group {}: queue slot 0x{:x} is "
                                            "beyond memory, answered Response Failure",
                                            format_source_id(r.source_id), r.group, addr));
    if (r.last_in_group) send_page_response(r.source_id, r.group, false);
    return;
  }
  m_mem.write(addr, desc.data(), PRQ_DESCRIPTOR_BYTES);
  m_regs.set(PQT_REG, 8, ((tail + 1) % entries) * PRQ_DESCRIPTOR_BYTES);
  m_page_groups[{r.source_id, r.group}].push_back(r);
  ++m_prq_written;
  kit::sim_env::current().trace_instant(
      name(), "prq_write", "iommu",
      fmt::format(R"({{"source":"{}","addr":"0x{:x}","group":{},"slot":{}}})", format_source_id(r.source_id), r.iova,
                  r.group, tail));
  const uint32_t prs = static_cast<uint32_t>(m_regs.get(PRS_REG, 4));
  if (!(prs & PRS_PPR)) {
    m_regs.set(PRS_REG, 4, prs | PRS_PPR);
    raise_page_request_event(prs);
  }
}

// `newly`: this request found the queue full (PRO goes on now); else PRO was already set.
void vtd_unit::prq_overflow(const iommu::page_request& r, bool newly) {
  ++m_prq_overflows;
  kit::sim_env& env = kit::sim_env::current();
  env.log("iommu", name(), fmt::format("page request from {} (group {}) not queued: {}{}", format_source_id(r.source_id),
                              r.group, newly ? "page request queue full, overflow" : "overflow pending (PRS.PRO)",
                              r.last_in_group ? "; group answered Success" : ""));
  env.trace_instant(name(), "prq_overflow", "iommu",
                    fmt::format(R"({{"source":"{}","addr":"0x{:x}","group":{}}})", format_source_id(r.source_id),
                                r.iova, r.group));
  if (newly) {
    const uint32_t prs = static_cast<uint32_t>(m_regs.get(PRS_REG, 4));
    m_regs.set(PRS_REG, 4, prs | PRS_PRO);
    raise_page_request_event(prs);
  }
  if (r.last_in_group) {
    m_page_groups.erase({r.source_id, r.group});
    send_page_response(r.source_id, r.group, true);
  }
}

// A new event only when neither PPR nor PRO was set before (VT-d: one event until
// software services the status); held pending (PECTL.IP) while masked.
void vtd_unit::raise_page_request_event(uint32_t prs_before) {
  if (prs_before & (PRS_PPR | PRS_PRO)) return;
  const uint64_t pectl = m_regs.get(PECTL_REG, 4);
  if (pectl & PECTL_IP) return;
  if (pectl & PECTL_IM) {
    m_regs.set(PECTL_REG, 4, pectl | PECTL_IP);
    return;
  }
  if (m_interrupt)
    m_interrupt((m_regs.get(PEUADDR_REG, 4) << 32) | m_regs.get(PEADDR_REG, 4),
                static_cast<uint32_t>(m_regs.get(PEDATA_REG, 4)));
}

// Software serviced the status: with PPR and PRO both clear, a held event is dropped.
void vtd_unit::write_prs(uint64_t /*old_value*/, uint64_t value) {
  if (!(value & (PRS_PPR | PRS_PRO))) m_regs.set(PECTL_REG, 4, m_regs.get(PECTL_REG, 4) & ~uint64_t{PECTL_IP});
}

// Clearing IM with an event pending sends it (as FECTL, VT-d 7.3.1).
void vtd_unit::write_pectl(uint64_t /*old_value*/, uint64_t value) {
  if ((value & PECTL_IM) || !(value & PECTL_IP)) return;
  m_regs.set(PECTL_REG, 4, value & ~uint64_t{PECTL_IP});
  if (m_interrupt)
    m_interrupt((m_regs.get(PEUADDR_REG, 4) << 32) | m_regs.get(PEADDR_REG, 4),
                static_cast<uint32_t>(m_regs.get(PEDATA_REG, 4)));
}

// A Page Group Response descriptor from the invalidation queue: the PRG Response goes
// to the function whatever the unit remembers (a function answered for a group it has
// no request outstanding in reports UPRGI itself, PCIe 10.5.2.3). False for reserved
// bits, or a PASID this unit cannot have (no ECAP.PASID): an invalidation queue error.
bool vtd_unit::page_group_response(uint64_t lo, uint64_t hi) {
  if ((lo & (QI_PGRP_LO_RSVD | QI_PGRP_PASID_P)) || (hi & QI_PGRP_HI_RSVD)) return false;
  const auto sid = static_cast<uint16_t>((lo >> QI_PGRP_RID_SHIFT) & QI_PGRP_RID_MASK);
  const auto code = static_cast<unsigned>((lo >> QI_PGRP_RESP_CODE_SHIFT) & QI_PGRP_RESP_CODE_MASK);
  const auto group = static_cast<uint16_t>((hi >> QI_PGRP_HI_IDX_SHIFT) & QI_PGRP_HI_IDX_MASK);
  auto it = m_page_groups.find({sid, group});
  if (it == m_page_groups.end())
    kit::sim_env::current().log("iommu", name(), fmt::format("page group response to {} group {} matches no queued request",
                                                    format_source_id(sid), group));
  else
    m_page_groups.erase(it);
  send_page_response(sid, group, code == QI_RESP_SUCCESS);
  return true;
}

void vtd_unit::send_page_response(uint16_t source_id, uint16_t group, bool success) {
  kit::sim_env::current().trace_instant(
      name(), "prg_response", "iommu",
      fmt::format(R"({{"source":"{}","group":{},"success":{}}})", format_source_id(source_id), group,
                  success ? "true" : "false"));
  if (m_page_response) m_page_response(source_id, group, success);
}

}  // namespace iovsim::iommu
