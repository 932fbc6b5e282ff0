#include "models/pcie/endpoint.h"

#include <fmt/format.h>

#include <cstring>

#include "models/kit/sim_env.h"

namespace iovsim::pcie {

uint64_t payload_value(const tlm::tlm_generic_payload& trans) {
  uint64_t v = 0;
  std::memcpy(&v, trans.get_data_ptr(), std::min<unsigned>(trans.get_data_length(), 8));
  return v;
}

void set_payload_value(tlm::tlm_generic_payload& trans, uint64_t value) {
  std::memcpy(trans.get_data_ptr(), &value, std::min<unsigned>(trans.get_data_length(), 8));
}

endpoint::endpoint(sc_core::sc_module_name name, const pb::DeviceProfile& profile)
    : sc_module(name), upstream("upstream"), m_profile(profile) {
  upstream.register_b_transport(this, &endpoint::b_transport);
  const unsigned n = profile.functions() ? profile.functions() : 1;
  for (unsigned f = 0; f < n; ++f)
    m_pfs.push_back(std::make_unique<physical_function>(
        fmt::format("{}.pf{}", this->name(), f), profile, f, n,
        [this](physical_function& pf, unsigned num) { vf_change(pf, num); }));
  for (auto& pf : m_pfs) pf->follow_ari_of(*m_pfs.front());
}

void endpoint::reset() {
  for (auto& pf : m_pfs) pf->reset();
  m_bus = 0;
}

pci_function* endpoint::function_at(uint16_t rid) {
  // Routing IDs are relative to the captured bus: PFs at devfn 0..n-1 of it.
  const int rel = static_cast<int>(rid) - static_cast<int>(m_bus << 8);
  if (rel < 0) return nullptr;
  for (auto& pf : m_pfs) {
    if (rel == static_cast<int>(pf->function_number())) return pf.get();
    if (pci_function* vf = vf_at(*pf, rel)) return vf;
  }
  return nullptr;
}

pci_function* endpoint::vf_at(physical_function& pf, int rel) {
  // vf_change() puts VF i at first + stride * i: the index follows from the offset,
  // so a configuration request costs the same with 63 VFs as with none. Offsets that
  // wrapped past 0xffff break the progression; those are searched one by one.
  auto& vfs = pf.vfs();
  if (vfs.empty()) return nullptr;
  const int n = static_cast<int>(vfs.size());
  const int first = vfs.front()->routing_offset();
  const int stride = n > 1 ? static_cast<uint16_t>(vfs[1]->routing_offset() - vfs[0]->routing_offset()) : 0;
  if (first + stride * (n - 1) == static_cast<int>(vfs.back()->routing_offset())) {
    if (rel < first) return nullptr;
    if (stride == 0) return rel == first ? vfs.front().get() : nullptr;
    if ((rel - first) % stride) return nullptr;
    const int i = (rel - first) / stride;
    return i < n ? vfs[static_cast<size_t>(i)].get() : nullptr;
  }
  for (auto& vf : vfs)
    if (rel == static_cast<int>(vf->routing_offset())) return vf.get();
  return nullptr;
}

void endpoint::vf_change(physical_function& pf, unsigned num_vfs) {
  auto& env = kit::sim_env::current();
  auto& vfs = pf.vfs();
  vfs.clear();
  if (num_vfs == 0) {
    env.log("pci", pf.name(), "VF Enable cleared: VFs removed");
    vfs_changed(pf, 0);
    return;
  }
  const unsigned n = std::min<unsigned>(num_vfs, pf.profile().sriov().total_vfs());
  const uint16_t offset = pf.vf_offset(), stride = pf.vf_stride();
  vfs.reserve(n);
  for (unsigned i = 0; i < n; ++i) {
    const auto rid = static_cast<uint16_t>(pf.function_number() + offset + stride * i);
    vfs.push_back(std::make_unique<virtual_function>(fmt::format("{}.vf{}", pf.name(), i), pf, i, rid));
  }
  m_vfs_created += n;
  env.log("pci", pf.name(), fmt::format("VF Enable set: {} VFs at routing ID offset {} stride {}", n, offset, stride));
  env.trace_instant(pf.name(), fmt::format("VF enable ({} VFs)", n), "sriov");
  vfs_changed(pf, n);
}

void endpoint::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  kit::pcie_ext* ext = trans.get_extension<kit::pcie_ext>();
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
  if (ext && (ext->kind == kit::tlp_kind::cfg0 || ext->kind == kit::tlp_kind::cfg1)) cfg_access(trans, *ext);
  else mem_access(trans);
}

void endpoint::cfg_access(tlm::tlm_generic_payload& trans, kit::pcie_ext& ext) {
  ++m_cfg_requests;
  const unsigned bus = kit::rid_bus(ext.target_id), devfn = kit::rid_devfn(ext.target_id);
  const auto reg = static_cast<uint32_t>(trans.get_address() & 0xfff);
  const unsigned len = trans.get_data_length();
  // A Type 0 write tells the device its bus number (PCIe base spec 2.2.6.2).
  if (ext.kind == kit::tlp_kind::cfg0 && trans.is_write()) m_bus = bus;
  pci_function* fn = nullptr;
  if (ext.kind == kit::tlp_kind::cfg0) {
    // Type 0 reaches only this link's device: it answers by devfn whatever the bus.
    fn = function_at(kit::make_rid(m_bus, devfn));
  } else if (m_bus != 0) {
    // Type 1 for a bus above ours: only VF routing IDs live there.
    fn = function_at(kit::make_rid(bus, devfn));
  }
  if (!fn || len == 0 || len > 4 || reg + len > CONFIG_SPACE_BYTES) {
    ext.unsupported_request = true;
    if (trans.is_read()) set_payload_value(trans, 0xffffffffu);
    return;
  }
  if (trans.is_read()) set_payload_value(trans, fn->cfg_read(reg, len));
  else fn->cfg_write(reg, len, static_cast<uint32_t>(payload_value(trans)));
}

void endpoint::mem_access(tlm::tlm_generic_payload& trans) {
  const uint64_t addr = trans.get_address();
  const unsigned len = trans.get_data_length();
  int bar = 0;
  uint64_t off = 0;
  for (auto& pf : m_pfs) {
    if (pf->decode_mem(addr, bar, off)) {
      if (trans.is_read()) set_payload_value(trans, mmio_read(*pf, bar, off, len));
      else mmio_write(*pf, bar, off, len, payload_value(trans));
      return;
    }
    for (auto& vf : pf->vfs())
      if (vf->decode_vf_mem(addr, bar, off)) {
        if (trans.is_read())
          set_payload_value(trans, vf_mmio_read(*vf, bar, off, len));
        else
          vf_mmio_write(*vf, bar, off, len, payload_value(trans));
        return;
      }
  }
  trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
}

uint64_t endpoint::mmio_read(physical_function& pf, int bar, uint64_t offset, unsigned len) {
  kit::reg_bank& regs = pf.regs();
  if (bar == 0 && offset + len <= regs.size()) return regs.read(static_cast<uint32_t>(offset), len);
  return 0;
}

void endpoint::mmio_write(physical_function& pf, int bar, uint64_t offset, unsigned len, uint64_t value) {
  kit::reg_bank& regs = pf.regs();
  if (bar == 0 && offset + len <= regs.size()) regs.write(static_cast<uint32_t>(offset), len, value);
}

}  // namespace iovsim::pcie
