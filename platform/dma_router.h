// The upstream half of the fabric: device DMA travels up its links to the root
// complex, is translated by the IOMMU when translation is on, and reaches DRAM.
// Each link on the way is a reserved resource (posted writes up; read requests
// up, completions down), so links shared by several devices (a switch uplink)
// slow all of them. A translation fault completes the request with an error
// (unsupported request / completer abort) and memory is never touched.
#pragma once

#include <memory>
#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <vector>

#include "models/iommu/vtd.h"
#include "models/kit/pcie_ext.h"
#include "models/pcie/link.h"

namespace iovsim::platform {

class dma_router : public sc_core::sc_module {
 public:
  // One binding per DMA master; a platform may have none.
  tlm_utils::multi_passthrough_target_socket<dma_router, 32, tlm::tlm_base_protocol_types, 0,
                                             sc_core::SC_ZERO_OR_MORE_BOUND>
      from_devices;
  tlm_utils::simple_initiator_socket<dma_router> to_memory;

  dma_router(sc_core::sc_module_name name, iommu::vtd_unit& iommu);

  // Binds a device's DMA socket; `path` lists the links from the device up to the
  // root port (device's own link first).
  void attach(tlm::tlm_initiator_socket<32>& device, std::vector<pcie::pcie_link*> path);

  uint64_t requests() const { return m_requests; }
  uint64_t faults() const { return m_faults; }

 private:
  void b_transport(int index, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);

  iommu::vtd_unit& m_iommu;
  std::vector<std::vector<pcie::pcie_link*>> m_paths;   // by socket index
  uint64_t m_requests = 0;
  uint64_t m_faults = 0;
};

}  // namespace iovsim::platform
