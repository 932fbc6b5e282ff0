// A PCIe endpoint device built from a device profile: one or more physical
// functions, each possibly SR-IOV capable, and the VFs they bring into being.
// It answers configuration requests for every routing ID it owns (PFs on its
// captured bus, VFs possibly on the buses above it: SR-IOV spec 2.1.2) and memory
// requests that hit its PF or VF BARs.
#pragma once

#include <map>
#include <memory>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>
#include <vector>

#include "models/kit/pcie_ext.h"
#include "models/kit/stats.h"
#include "models/pcie/sriov.h"
#include "profile.pb.h"

namespace iovsim::pcie {

class endpoint : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<endpoint> upstream;

  endpoint(sc_core::sc_module_name name, const pb::DeviceProfile& profile);

  const pb::DeviceProfile& profile() const { return m_profile; }
  std::vector<std::unique_ptr<physical_function>>& pfs() { return m_pfs; }
  // The bus number captured from the last Type 0 configuration write.
  unsigned captured_bus() const { return m_bus; }
  // The function answering a routing ID, or nullptr.
  pci_function* function_at(uint16_t rid);

  // Conventional reset (platform reboot): PFs reset, VFs gone, bus forgotten.
  virtual void reset();

  uint64_t cfg_requests() const { return m_cfg_requests; }
  uint64_t vfs_created() const { return m_vfs_created; }

 protected:
  // Statistics of the device; derived devices add theirs to the group.
  kit::stat_group m_stats{name(), "a PCIe device"};

  // A memory request that hit BAR `bar` of `pf` at `offset` (Memory Space Enable
  // set, len 1..8). The default serves BAR0 from the PF's register bank and reads 0
  // elsewhere; a device with its own register map overrides both.
  virtual uint64_t mmio_read(physical_function& pf, int bar, uint64_t offset, unsigned len);
  virtual void mmio_write(physical_function& pf, int bar, uint64_t offset, unsigned len, uint64_t value);
  // The same for VF BAR `bar` of `vf` (VF MSE set). A VF has no registers of its own
  // here: reads are 0 unless a device maps them onto its core.
  virtual uint64_t vf_mmio_read(virtual_function& vf, int bar, uint64_t offset, unsigned len) { return 0; }
  virtual void vf_mmio_write(virtual_function& vf, int bar, uint64_t offset, unsigned len, uint64_t value) {}
  // After VF Enable changed on `pf`: `num_vfs` VFs exist now (0: none).
  virtual void vfs_changed(physical_function& pf, unsigned num_vfs) {}

 private:
  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  void cfg_access(tlm::tlm_generic_payload& trans, kit::pcie_ext& ext);
  void mem_access(tlm::tlm_generic_payload& trans);
  void vf_change(physical_function& pf, unsigned num_vfs);
  // The VF of `pf` at routing offset `rel` (relative to the captured bus), or nullptr.
  static pci_function* vf_at(physical_function& pf, int rel);

  const pb::DeviceProfile& m_profile;
  std::vector<std::unique_ptr<physical_function>> m_pfs;
  unsigned m_bus = 0;
  kit::counter m_cfg_requests{m_stats, "config_requests", "requests", "configuration requests the device claimed"};
  kit::counter m_vfs_created{m_stats, "vfs_created", "functions", "VFs brought to life by VF Enable"};
};

// Copies a payload's data to/from a 64-bit value (little endian, len <= 8).
uint64_t payload_value(const tlm::tlm_generic_payload& trans);
void set_payload_value(tlm::tlm_generic_payload& trans, uint64_t value);

}  // namespace iovsim::pcie
