#include "platform/dma_router.h"

#include <algorithm>
#include <cstring>

namespace iovsim::platform {

namespace {
constexpr uint64_t TRANSLATION_BYTES = 8;   // one Translation Completion Data Entry (PCIe 10.2.3)
constexpr uint64_t PAGE_4K = 4096;

bool in_thread() {
  return sc_core::sc_get_current_process_handle().proc_kind() == sc_core::SC_THREAD_PROC_;
}
}  // namespace

dma_router::dma_router(sc_core::sc_module_name name, iommu::vtd_unit& iommu)
    : sc_module(name), from_devices("from_devices"), to_memory("to_memory"), m_iommu(iommu) {
  from_devices.register_b_transport(this, &dma_router::b_transport);
}

size_t dma_router::attach(tlm::tlm_initiator_socket<32>& device, std::vector<pcie::pcie_link*> path) {
  device.bind(from_devices);
  m_paths.push_back(std::move(path));
  return m_paths.size() - 1;
}

sc_core::sc_time dma_router::message_down(size_t port, const sc_core::sc_time& now) {
  const auto& path = m_paths.at(port);
  sc_core::sc_time t = now;
  // A message without data: the link charges its hop (payload 0 bytes).
  for (auto it = path.rbegin(); it != path.rend(); ++it) t = (*it)->host_write(t, 0);
  return t;
}

void dma_router::translation_request(const std::vector<pcie::pcie_link*>& path, tlm::tlm_generic_payload& trans,
                                     kit::pcie_ext& ext, sc_core::sc_time& delay) {
  ++m_translation_requests;
  const sc_core::sc_time base = sc_core::sc_time_stamp();
  sc_core::sc_time t = base + delay;
  // A read request for one 8-byte entry: the request TLP itself carries no data.
  for (pcie::pcie_link* link : path) t = link->read_request(t, TRANSLATION_BYTES);
  const uint64_t iova = trans.get_address() & ~(PAGE_4K - 1);
  // The unit takes latencies as offsets from now: the request reaches it at t.
  sc_core::sc_time lat = t - base;
  const iommu::translation tr = m_iommu.translate_ats(ext.requester_id, iova, lat);
  t = base + lat;
  ext.translated_address = 0;
  ext.translation_bytes = PAGE_4K;
  ext.translation_read = ext.translation_write = false;
  switch (tr.fault) {
    case iommu::fault_reason::none:
      ext.status = kit::completion_status::success;
      ext.translation_bytes = tr.page_size;
      ext.translated_address = tr.hpa & ~(tr.page_size - 1);
      ext.translation_read = tr.read;
      ext.translation_write = tr.write;
      break;
    case iommu::fault_reason::beyond_address_width:
    case iommu::fault_reason::read_not_allowed:
    case iommu::fault_reason::write_not_allowed:
      ext.status = kit::completion_status::success;   // R = W = 0
      break;
    case iommu::fault_reason::next_table_invalid:
    case iommu::fault_reason::root_table_invalid:
    case iommu::fault_reason::context_table_invalid:
      ext.status = kit::completion_status::completer_abort;
      break;
    default:   // root or context not present, context invalid or TT blocking
      ext.status = kit::completion_status::unsupported_request;
      break;
  }
  const bool ok = ext.status == kit::completion_status::success;
  ext.unsupported_request = ext.status == kit::completion_status::unsupported_request;
  if (!ok) ++m_faults;
  for (auto it = path.rbegin(); it != path.rend(); ++it) t = (*it)->read_completion(t, ok ? TRANSLATION_BYTES : 0);
  trans.set_response_status(ok ? tlm::TLM_OK_RESPONSE : tlm::TLM_GENERIC_ERROR_RESPONSE);
  delay = t - base;
}

void dma_router::message(const std::vector<pcie::pcie_link*>& path, tlm::tlm_generic_payload& trans,
                         kit::pcie_ext& ext, sc_core::sc_time& delay) {
  if (ext.message != kit::message_code::page_request) {
    trans.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);   // nothing else goes upstream here
    return;
  }
  ++m_page_request_messages;
  const sc_core::sc_time base = sc_core::sc_time_stamp();
  sc_core::sc_time t = base + delay;
  for (pcie::pcie_link* link : path) t = link->posted_write(t, 0);
  // The IOMMU sees the request when it arrives (and queues it for the host).
  if (t > base && in_thread()) {
    sc_core::wait(t - base);
    delay = sc_core::SC_ZERO_TIME;
  } else {
    delay = t - base;
  }
  m_iommu.page_request(ext.requester_id, trans.get_address(), ext.page_write, ext.prg_index, ext.prg_last);
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

void dma_router::interrupt_arrived(interrupt_message& m) {
  if (!m.remapped && m_iommu.interrupt_remapping_enabled()) {
    sc_core::sc_time lat = sc_core::SC_ZERO_TIME;
    const iommu::interrupt_result r = m_iommu.remap_interrupt(m.requester, m.address, m.data, lat);
    if (!r.deliver) return;
    if (lat > sc_core::SC_ZERO_TIME) {
      m_interrupts.push(sc_core::sc_time_stamp() + lat, {r.address, r.data, m.requester, true});
      return;
    }
    m.address = r.address;
    m.data = r.data;
  }
  if (m_interrupt_sink) m_interrupt_sink(m.address, m.data);
}

void dma_router::b_transport(int index, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  ++m_requests;
  const auto& path = m_paths.at(static_cast<size_t>(index));
  kit::pcie_ext* ext = trans.get_extension<kit::pcie_ext>();
  if (ext && ext->kind == kit::tlp_kind::msg) return message(path, trans, *ext, delay);
  if (ext && ext->at == kit::address_type::translation_request) return translation_request(path, trans, *ext, delay);
  const uint16_t requester = ext ? ext->requester_id : 0;
  const uint64_t bytes = trans.get_data_length();
  const sc_core::sc_time base = sc_core::sc_time_stamp();
  sc_core::sc_time t = base + delay;
  // Up the links: a posted write's data, or a read request.
  for (pcie::pcie_link* link : path) t = trans.is_write() ? link->posted_write(t, bytes) : link->read_request(t, bytes);

  // An interrupt message: to the interrupt controller when it arrives, not to memory.
  const uint64_t addr = trans.get_address();
  if (trans.is_write() && addr >= MSI_ADDRESS_BASE && addr < MSI_ADDRESS_BASE + MSI_ADDRESS_BYTES) {
    ++m_interrupt_messages;
    uint32_t data = 0;
    std::memcpy(&data, trans.get_data_ptr(), std::min<unsigned>(trans.get_data_length(), 4));
    m_interrupts.push(t, {addr, data, requester, false});
    trans.set_response_status(tlm::TLM_OK_RESPONSE);
    delay = t - base;
    return;
  }

  // The root complex asks the IOMMU (identity when translation is off). A translated
  // request skips translation if its requester may hold a device-TLB.
  const uint64_t iova = trans.get_address();
  // The unit takes latencies as offsets from now: the request reaches it at t, so the
  // page walker is asked from then (it was asked from now, and the offset then counted
  // twice: under a burst of misses each walk queued behind the last and added its own
  // head start again, delaying line-rate RX by hundreds of microseconds).
  sc_core::sc_time lat = t - base;
  iommu::translation tr;
  if (ext && ext->at == kit::address_type::translated) {
    ++m_translated_requests;
    tr.hpa = iova;
    if (!m_iommu.translated_request_allowed(requester, iova, trans.is_write(), lat))
      tr.fault = iommu::fault_reason::invalid_context;
  } else {
    tr = m_iommu.translate(requester, iova, trans.is_write(), lat);
  }
  t = base + lat;
  if (tr.fault != iommu::fault_reason::none) {
    // The request is dropped at the root complex: writes vanish, reads complete
    // with Unsupported Request (VT-d spec 7.1); the device sees an error.
    ++m_faults;
    if (ext) ext->unsupported_request = true;
    if (!trans.is_write())
      for (auto it = path.rbegin(); it != path.rend(); ++it) t = (*it)->read_completion(t, 0);
    trans.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
    delay = t - base;
    return;
  }
  trans.set_address(tr.hpa);
  sc_core::sc_time mem_delay = t - base;
  to_memory->b_transport(trans, mem_delay);
  trans.set_address(iova);
  t = base + mem_delay;
  // An address no memory decodes (the DRAM model logs and counts it) completes as
  // Unsupported Request: reads come back without data.
  const bool ok = trans.get_response_status() == tlm::TLM_OK_RESPONSE;
  if (!ok && ext) ext->unsupported_request = true;
  // Completions come back down the same links.
  if (!trans.is_write())
    for (auto it = path.rbegin(); it != path.rend(); ++it) t = (*it)->read_completion(t, ok ? bytes : 0);
  delay = t - base;
}

}  // namespace iovsim::platform
