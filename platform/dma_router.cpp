#include "platform/dma_router.h"

namespace iovsim::platform {

dma_router::dma_router(sc_core::sc_module_name name, iommu::vtd_unit& iommu)
    : sc_module(name), from_devices("from_devices"), to_memory("to_memory"), m_iommu(iommu) {
  from_devices.register_b_transport(this, &dma_router::b_transport);
}

void dma_router::attach(tlm::tlm_initiator_socket<32>& device, std::vector<pcie::pcie_link*> path) {
  device.bind(from_devices);
  m_paths.push_back(std::move(path));
}

void dma_router::b_transport(int index, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  ++m_requests;
  const auto& path = m_paths.at(static_cast<size_t>(index));
  kit::pcie_ext* ext = trans.get_extension<kit::pcie_ext>();
  const uint16_t requester = ext ? ext->requester_id : 0;
  const uint64_t bytes = trans.get_data_length();
  const sc_core::sc_time base = sc_core::sc_time_stamp();
  sc_core::sc_time t = base + delay;
  // Up the links: a posted write's data, or a read request.
  for (pcie::pcie_link* link : path) t = trans.is_write() ? link->posted_write(t, bytes) : link->read_request(t, bytes);

  // The root complex asks the IOMMU (identity when translation is off).
  const uint64_t iova = trans.get_address();
  sc_core::sc_time lat = sc_core::SC_ZERO_TIME;
  const iommu::translation tr = m_iommu.translate(requester, iova, trans.is_write(), lat);
  t += lat;
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
  // Completions come back down the same links.
  if (!trans.is_write())
    for (auto it = path.rbegin(); it != path.rend(); ++it) t = (*it)->read_completion(t, bytes);
  delay = t - base;
}

}  // namespace iovsim::platform
