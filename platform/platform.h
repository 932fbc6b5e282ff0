// Assembles one simulated machine from a scenario's platform section: the root
// complex and its root ports, switches and endpoints wired by their `attach`
// names, and the host CPU port through which host software reaches the hardware
// (configuration and MMIO accesses over TLM-2.0, each charged its latency).
#pragma once

#include <tlm_utils/simple_initiator_socket.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <systemc>
#include <vector>

#include "models/iommu/vtd.h"
#include "models/kit/pcie_ext.h"
#include "models/kit/stats.h"
#include "models/memory/dram.h"
#include "models/pcie/endpoint.h"
#include "models/pcie/fabric.h"
#include "models/pcie/link.h"
#include "platform/board.h"
#include "platform/dma_router.h"
#include "platform/hal/host_bus.h"
#include "profile.pb.h"
#include "scenario.pb.h"

namespace iovsim::pcie {
class dma_device;
}

namespace iovsim::platform {

// Where the VT-d unit's registers appear (the DRHD base of Intel chipsets' DMAR
// ACPI tables is typically 0xfed90000).
constexpr uint64_t DMAR_BASE = 0xfed90000;
constexpr uint64_t DEFAULT_MEMORY_BYTES = 4ull << 30;

class host_cpu : public sc_core::sc_module, public host_bus {
 public:
  tlm_utils::simple_initiator_socket<host_cpu> bus;

  explicit host_cpu(sc_core::sc_module_name name);
  ~host_cpu() override;

  uint32_t cfg_read(unsigned bus, unsigned devfn, unsigned reg, unsigned len) override;
  void cfg_write(unsigned bus, unsigned devfn, unsigned reg, unsigned len, uint32_t value) override;
  uint64_t mmio_read(uint64_t addr, unsigned len) override;
  void mmio_write(uint64_t addr, unsigned len, uint64_t value) override;
  void mem_read(uint64_t addr, void* data, unsigned len) override { m_memory->read(addr, data, len); }
  void mem_write(uint64_t addr, const void* data, unsigned len) override { m_memory->write(addr, data, len); }
  void set_memory(mem::phys_mem& memory) { m_memory = &memory; }
  void set_observer(bool on) override { m_observer = on; }

  uint64_t cfg_accesses() const { return m_cfg_accesses; }
  uint64_t mmio_accesses() const { return m_mmio_accesses; }

 private:
  uint64_t transport(kit::tlp_kind kind, uint16_t target, uint64_t addr, unsigned len, bool write, uint64_t value);

  tlm::tlm_generic_payload m_trans;
  kit::pcie_ext m_ext;
  mem::phys_mem* m_memory = nullptr;
  bool m_observer = false;
  kit::stat_group m_stats{name(), "the host CPU's accesses to the hardware"};
  kit::counter m_cfg_accesses{m_stats, "config_accesses", "accesses", "configuration reads and writes"};
  kit::counter m_mmio_accesses{m_stats, "mmio_accesses", "accesses", "MMIO reads and writes"};
};

// A node of the hardware topology (for drawings and checks).
struct hw_node {
  std::string name;        // scenario name
  std::string kind;        // root_port, switch, switch_port, endpoint
  std::string parent;      // the port it attaches to ("" for root ports)
  std::string profile;
};

class machine : public board {
 public:
  // Builds the hardware. Throws std::invalid_argument for an impossible platform
  // the loader could not know about (it validates names and references).
  // `name_prefix` goes before the names of its models that are not SystemC modules
  // (the PCIe links, "b.link.nic"): "" for a machine alone, "b." for machine b of a
  // world, whose modules are built inside a module named "b".
  // `instance`: the machine's place in its world (0 for the first). NICs get their
  // profile's MAC base plus instance << 12 and, for the n-th endpoint of the same
  // profile in this machine, n << 4: every port of a world has its own address, as
  // every real card does, and the first machine's first card keeps the profile's.
  machine(const pb::Platform& spec, const pb::ProfileLibrary& profiles, const std::string& name_prefix = "",
          unsigned instance = 0);
  ~machine() override;

  // platform::board
  host_bus& bus() override { return *m_cpu; }
  uint64_t memory_bytes() const override;
  machine* physical() override { return this; }

  host_cpu& cpu() { return *m_cpu; }
  mem::dram& dram() { return *m_dram; }
  iommu::vtd_unit& iommu() { return *m_iommu; }
  dma_router& dma() { return *m_dma; }
  // The links, in the order endpoints and switches were built.
  const std::vector<std::unique_ptr<pcie::pcie_link>>& links() const { return m_links; }
  // Message-signalled interrupts: the chipset's (VT-d fault and invalidation events) and
  // the devices' (writes to 0xFEEx_xxxx through the DMA path).
  void set_msi_handler(std::function<void(uint64_t addr, uint32_t data)> fn) override;
  // Platform reset (a reboot): every function back to its reset state.
  void reset_hardware() override;
  pcie::root_complex& rc() { return *m_rc; }
  const std::vector<pcie::endpoint*>& endpoints() const { return m_endpoints; }
  // The switches, in the order they were built.
  const std::vector<std::unique_ptr<pcie::pcie_switch>>& switches() const { return m_switches; }
  const std::vector<hw_node>& nodes() const { return m_nodes; }
  const pb::Platform& spec() const override { return m_spec; }
  const pb::ProfileLibrary& profiles() const override { return m_profiles; }
  // Profile of a PCI vendor:device, for names (nullptr if unknown).
  const pb::DeviceProfile* device_profile_for(uint16_t vendor, uint16_t device, bool& is_vf) const;
  const pb::PortProfile* port_profile_for(uint16_t vendor, uint16_t device) const;

 private:
  // A device with a device-TLB and PRI, and its port on the DMA router.
  struct ats_device {
    pcie::dma_device* device;
    size_t port;
  };

  const pb::PortProfile& port_profile(const std::string& name, const std::string& fallback) const;
  const pb::DeviceProfile& device_profile(const std::string& name) const;
  const ats_device* ats_device_for(uint16_t source_id) const;
  void wire_device_tlbs();

  pb::Platform m_spec;
  pb::ProfileLibrary m_profiles;
  std::unique_ptr<host_cpu> m_cpu;
  std::unique_ptr<mem::dram> m_dram;
  std::unique_ptr<iommu::vtd_unit> m_iommu;
  std::unique_ptr<dma_router> m_dma;
  std::unique_ptr<pcie::root_complex> m_rc;
  std::vector<std::unique_ptr<pcie::pcie_link>> m_links;
  std::vector<std::unique_ptr<pcie::pcie_switch>> m_switches;
  std::vector<std::unique_ptr<pb::DeviceProfile>> m_instance_profiles;  // per endpoint (its MAC base)
  std::vector<std::unique_ptr<pcie::endpoint>> m_endpoint_store;
  std::vector<pcie::endpoint*> m_endpoints;
  std::vector<ats_device> m_ats_devices;   // in build order
  std::vector<hw_node> m_nodes;
};

}  // namespace iovsim::platform
