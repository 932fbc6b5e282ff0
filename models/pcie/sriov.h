// SR-IOV physical and virtual functions (PCIe SR-IOV spec 1.1; register layout in
// REFERENCE.md section 2, Linux pci_regs.h PCI_SRIOV_*). A VF keeps no state of its
// own beyond its configuration space: its BARs are slices of the PF's VF BARs.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "models/pcie/capabilities.h"
#include "models/pcie/pci_function.h"
#include "profile.pb.h"

namespace iovsim::pcie {

class physical_function;

class virtual_function : public pci_function {
 public:
  virtual_function(const std::string& name, physical_function& pf, unsigned index, uint16_t routing_offset);

  physical_function& pf() { return m_pf; }
  unsigned index() const { return m_index; }
  // Routing ID relative to the device's captured bus/devfn 0: PF devfn + offset + stride * index.
  uint16_t routing_offset() const { return m_routing_offset; }
  // VF memory decoding: VF BAR k of VF i = PF VF BAR k + i * size, when VF MSE is set.
  bool decode_vf_mem(uint64_t addr, int& bar, uint64_t& offset) const;

 private:
  physical_function& m_pf;
  unsigned m_index;
  uint16_t m_routing_offset;
};

class physical_function : public pci_function {
 public:
  // Called when VF Enable rises (with NumVFs) or falls (with 0).
  using vf_change_fn = std::function<void(physical_function&, unsigned num_vfs)>;

  physical_function(const std::string& name, const pb::DeviceProfile& profile, unsigned function_number,
                    unsigned device_functions, vf_change_fn on_vf_change);

  const pb::DeviceProfile& profile() const { return m_profile; }
  unsigned function_number() const { return m_function; }
  bool has_sriov() const { return m_sriov != 0; }
  uint32_t sriov_offset() const { return m_sriov; }
  uint16_t num_vfs() const { return static_cast<uint16_t>(m_cfg.get(m_sriov + SRIOV_NUM_VF, 2)); }
  uint16_t vf_offset() const { return static_cast<uint16_t>(m_cfg.get(m_sriov + SRIOV_VF_OFFSET, 2)); }
  uint16_t vf_stride() const { return static_cast<uint16_t>(m_cfg.get(m_sriov + SRIOV_VF_STRIDE, 2)); }
  uint16_t sriov_ctrl() const { return static_cast<uint16_t>(m_cfg.get(m_sriov + SRIOV_CTRL, 2)); }
  const std::array<bar_info, 6>& vf_bars() const { return m_vf_bars; }
  uint64_t vf_bar_base(int index) const;

  std::vector<std::unique_ptr<virtual_function>>& vfs() { return m_vfs; }
  // Its VFs' configuration spaces are all alike: declared once (by the first VF), shared
  // by all (a rack enables 2,016 of them).
  const std::shared_ptr<const kit::reg_layout>& vf_config_layout() const { return m_vf_cfg_layout; }
  void set_vf_config_layout(std::shared_ptr<const kit::reg_layout> l) { m_vf_cfg_layout = std::move(l); }

  // The MMIO register window behind BAR0: the NIC core's per-port registers. The
  // driver reads the permanent MAC address from RAL(0)/RAH(0) here.
  kit::reg_bank& regs();

  // Conventional reset: VFs gone, every register at its reset value.
  void reset();

  // ARI Capable Hierarchy lives in the lowest-numbered PF of the device and governs
  // all of them (SR-IOV spec 3.3.3.5): it is RW there and reads 0 in the others,
  // whose VF offset and stride follow the lowest PF's bit. The device links its PFs.
  void follow_ari_of(physical_function& lowest);
  bool ari_capable_hierarchy() const;

 private:
  void build_sriov_cap();
  void update_offset_stride();
  void write_sriov_ctrl(uint64_t old, uint64_t now);

  const pb::DeviceProfile& m_profile;
  unsigned m_function;
  vf_change_fn m_on_vf_change;
  physical_function* m_ari_owner = this;            // whose ARI Capable Hierarchy counts
  std::vector<physical_function*> m_ari_followers;  // PFs that follow this one's bit
  uint32_t m_sriov = 0;
  std::array<bar_info, 6> m_vf_bars{};
  std::vector<std::unique_ptr<virtual_function>> m_vfs;
  std::unique_ptr<kit::reg_bank> m_regs;
  std::shared_ptr<const kit::reg_layout> m_vf_cfg_layout;
};

// Offset and stride the profile gives for NumVFs under the ARI setting (the first
// matching rule); false when no rule covers it.
bool lookup_offset_stride(const pb::DeviceProfile& profile, unsigned function_number, unsigned num_vfs,
                          bool ari, uint16_t& offset, uint16_t& stride);

// Bars of a profile as bar_info (header BARs or VF BARs).
std::array<bar_info, 6> bars_from_profile(const google::protobuf::RepeatedPtrField<pb::Bar>& bars);

}  // namespace iovsim::pcie
