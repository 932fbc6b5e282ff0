// The SR-IOV NIC of the 82599/X540 family as a PCIe device (profiles with
// model "ixgbe"): the endpoint's functions (configuration space, BARs, SR-IOV, from
// the profile) in front of one nic_core per port. QEMU igb's split: this is the bus
// glue, the core holds the state.
//  - PF BAR0 is the port's core (nic_core::pf_read/write), each VF's BAR0 its view of
//    the same core; VF Enable pools the core's queues.
//  - MSI-X: each function's table and PBA live in its last BAR (the PF's BAR4, a VF's
//    BAR3; table at 0, PBA at 0x2000: models/pcie/sriov.cpp). A vector the core fires
//    becomes a memory write of the entry's data to its address, with the function's
//    requester ID, through the same DMA path as the data (the platform turns writes to
//    0xFEEx_xxxx into interrupts). A masked vector (entry or function mask) sets its
//    PBA bit and is sent when unmasked; with MSI-X or Bus Master disabled nothing goes.
//  - DMA leaves through `dma` (the platform binds it), each function's requester ID
//    from the bus the device captured and the SR-IOV routing offsets.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "models/nic/dma_port.h"
#include "models/nic/nic_core.h"
#include "models/pcie/endpoint.h"

namespace iovsim::nic {

class nic_device : public pcie::endpoint {
 public:
  nic_device(sc_core::sc_module_name name, const pb::DeviceProfile& profile);

  tlm_dma_port dma{"dma"};

  nic_core& core(unsigned port) { return *m_ports[port]->core; }
  unsigned ports() const { return static_cast<unsigned>(m_ports.size()); }
  void reset() override;

  // The routing ID of function `fn` (0 PF, 1 + v VF v) of `port`.
  uint16_t requester_id(unsigned port, unsigned fn);
  uint64_t msix_sent() const { return m_msix_sent; }
  uint64_t msix_pending() const { return m_msix_pended; }

 protected:
  uint64_t mmio_read(pcie::physical_function& pf, int bar, uint64_t offset, unsigned len) override;
  void mmio_write(pcie::physical_function& pf, int bar, uint64_t offset, unsigned len, uint64_t value) override;
  uint64_t vf_mmio_read(pcie::virtual_function& vf, int bar, uint64_t offset, unsigned len) override;
  void vf_mmio_write(pcie::virtual_function& vf, int bar, uint64_t offset, unsigned len, uint64_t value) override;
  void vfs_changed(pcie::physical_function& pf, unsigned num_vfs) override;

 private:
  // One function's MSI-X table (16 bytes a vector: address low/high, data, control)
  // and pending bits.
  struct msix_table {
    std::vector<uint8_t> entries;
    uint64_t pending = 0;
  };
  struct port {
    std::unique_ptr<nic_core> core;
    int pf_msix_bar = -1, vf_msix_bar = -1;
    msix_table pf_table;
    std::vector<msix_table> vf_tables;  // by VF index (TotalVFs)
  };
  pcie::pci_function* function(unsigned port, unsigned fn);
  msix_table& table(unsigned port, unsigned fn);
  void fire(unsigned port, unsigned fn, unsigned vector);
  // Sends `vector` of `fn` if nothing masks it; otherwise marks it pending.
  void deliver(unsigned port, unsigned fn, unsigned vector);
  uint64_t table_read(unsigned port, unsigned fn, uint64_t offset, unsigned len);
  void table_write(unsigned port, unsigned fn, uint64_t offset, unsigned len, uint64_t value);

  std::vector<std::unique_ptr<port>> m_ports;
  uint64_t m_msix_sent = 0, m_msix_pended = 0;
};

}  // namespace iovsim::nic
