#include "models/pcie/sriov.h"

#include <fmt/format.h>

namespace iovsim::pcie {

std::array<bar_info, 6> bars_from_profile(const google::protobuf::RepeatedPtrField<pb::Bar>& bars) {
  std::array<bar_info, 6> out{};
  for (const pb::Bar& b : bars) {
    if (b.index() > 5) continue;
    out[b.index()] = {b.size_bytes(), b.is_64bit(), b.prefetchable(), b.io()};
  }
  return out;
}

bool lookup_offset_stride(const pb::DeviceProfile& profile, unsigned function_number, unsigned num_vfs,
                          bool ari, uint16_t& offset, uint16_t& stride) {
  // Devices report an offset and stride even with NumVFs = 0; use the rule for 1.
  const unsigned n = num_vfs == 0 ? 1 : num_vfs;
  for (const pb::OffsetStrideRule& r : profile.sriov().offset_stride()) {
    if (r.ari() == pb::OffsetStrideRule::ARI_ONLY && !ari) continue;
    if (r.ari() == pb::OffsetStrideRule::NO_ARI_ONLY && ari) continue;
    if (r.min_numvfs() && n < r.min_numvfs()) continue;
    if (r.max_numvfs() && n > r.max_numvfs()) continue;
    offset = static_cast<uint16_t>(static_cast<int>(r.first_vf_offset()) +
                                   r.offset_per_pf() * static_cast<int>(function_number));
    stride = static_cast<uint16_t>(r.vf_stride());
    return true;
  }
  return false;
}

// ---------------------------------------------------------------------------
virtual_function::virtual_function(const std::string& name, physical_function& pf, unsigned index,
                                   uint16_t routing_offset)
    : pci_function(name, pf.vf_config_layout()), m_pf(pf), m_index(index), m_routing_offset(routing_offset) {
  if (pf.vf_config_layout()) return;
  const pb::DeviceProfile& p = pf.profile();
  config_space& c = m_cfg;
  // VF header (SR-IOV spec 3.4.1): Vendor/Device ID read 0xFFFF, Memory Space Enable
  // is controlled by VF MSE in the PF (RO 0 here), no BARs, no INTx.
  c.ro("VENDOR_ID", CFG_VENDOR_ID, 2, 0xffff);
  c.ro("DEVICE_ID", CFG_DEVICE_ID, 2, 0xffff);
  c.reg(kit::reg("COMMAND", CFG_COMMAND, 2).rw(COMMAND_MASTER | COMMAND_SERR | 0x40));
  c.reg(kit::reg("STATUS", CFG_STATUS, 2).clear_on_1(0xf900));
  c.ro("REVISION", CFG_REVISION, 1, p.revision());
  c.ro("CLASS_PROG", CFG_CLASS_PROG, 1, p.class_code() & 0xff);
  c.ro("CLASS_DEVICE", CFG_CLASS_PROG + 1, 2, p.class_code() >> 8);
  c.ro("HEADER_TYPE", CFG_HEADER_TYPE, 1, 0);
  c.ro("SUBSYSTEM_VENDOR_ID", CFG_SUBSYS_VENDOR, 2, p.subsystem_vendor_id());
  c.ro("SUBSYSTEM_ID", CFG_SUBSYS_ID, 2, p.subsystem_id());
  c.ro("CAPABILITY_LIST", CFG_CAP_PTR, 1, 0);
  const unsigned vectors = p.sriov().vf_msix_vectors() ? p.sriov().vf_msix_vectors() : 3;
  // The MSI-X table lives in the last VF BAR (ixgbevf: BAR3), the PBA 8 KiB in.
  unsigned table_bar = 0;
  for (int i = 5; i >= 0; --i)
    if (pf.vf_bars()[static_cast<size_t>(i)].size) {
      table_bar = static_cast<unsigned>(i);
      break;
    }
  const uint64_t table_bar_size = pf.vf_bars()[table_bar].size;
  add_msix_cap(c, vectors, table_bar, 0, table_bar, table_bar_size > 0x2000 ? 0x2000 : static_cast<uint32_t>(table_bar_size / 2));
  pcie_cap_params exp;
  exp.type = port_type::endpoint;
  exp.max_payload_bytes = p.link().max_payload_bytes() ? p.link().max_payload_bytes() : 256;
  exp.flr = true;  // VFs must support FLR (SR-IOV spec 3.5)
  exp.link_gen = p.link().gen();
  exp.link_width = p.link().width();
  add_pcie_cap(c, exp);
  if (p.aer()) add_aer_cap(c);
  if (p.ari()) add_ari_cap(c, 0);
  pf.set_vf_config_layout(c.bank().layout());
}

bool virtual_function::decode_vf_mem(uint64_t addr, int& bar, uint64_t& offset) const {
  if (!(m_pf.sriov_ctrl() & SRIOV_CTRL_MSE) || !(m_pf.sriov_ctrl() & SRIOV_CTRL_VFE)) return false;
  for (int i = 0; i < 6; ++i) {
    const bar_info& b = m_pf.vf_bars()[static_cast<size_t>(i)];
    if (b.size == 0) continue;
    const uint64_t base0 = m_pf.vf_bar_base(i);
    if (base0 == 0) continue;
    const uint64_t base = base0 + static_cast<uint64_t>(m_index) * b.size;
    if (addr >= base && addr - base < b.size) {
      bar = i;
      offset = addr - base;
      return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------------------
physical_function::physical_function(const std::string& name, const pb::DeviceProfile& profile,
                                     unsigned function_number, unsigned device_functions,
                                     vf_change_fn on_vf_change)
    : pci_function(name), m_profile(profile), m_function(function_number), m_on_vf_change(std::move(on_vf_change)) {
  function_ids ids{static_cast<uint16_t>(profile.vendor_id()), static_cast<uint16_t>(profile.device_id()),
                   static_cast<uint8_t>(profile.revision()), profile.class_code(),
                   static_cast<uint16_t>(profile.subsystem_vendor_id()), static_cast<uint16_t>(profile.subsystem_id())};
  const auto bars = bars_from_profile(profile.bars());
  // Interrupt pins: Intel multi-port parts give port n pin A+n (INTA..INTD).
  build_type0_header(ids, bars, device_functions > 1, static_cast<uint8_t>(1 + function_number % 4));
  add_pm_cap(m_cfg);
  add_msi_cap(m_cfg, 0, true, true);
  if (profile.msix_vectors()) {
    unsigned table_bar = 0;
    for (int i = 5; i >= 1; --i)
      if (bars[static_cast<size_t>(i)].size) {
        table_bar = static_cast<unsigned>(i);
        break;
      }
    add_msix_cap(m_cfg, profile.msix_vectors(), table_bar, 0, table_bar, 0x2000);
  }
  pcie_cap_params exp;
  exp.type = port_type::endpoint;
  exp.max_payload_bytes = profile.link().max_payload_bytes() ? profile.link().max_payload_bytes() : 256;
  exp.flr = profile.flr();
  exp.link_gen = profile.link().gen();
  exp.link_width = profile.link().width();
  add_pcie_cap(m_cfg, exp);
  if (profile.aer()) add_aer_cap(m_cfg);
  if (profile.dsn()) add_dsn_cap(m_cfg, (profile.mac_base() & 0xffffff000000ULL) << 16 | 0xfffe000000ULL |
                                            (profile.mac_base() & 0xffffff));
  if (profile.ari()) add_ari_cap(m_cfg, static_cast<uint8_t>(function_number + 1 < device_functions ? function_number + 1 : 0));
  if (profile.has_sriov()) build_sriov_cap();
  // ATS and PRI on the PFs only (no profile gives VFs a device-TLB yet). Invalidate
  // Queue Depth 32 (field 0) and page-aligned translation requests: synthetic values,
  // what the DMA test device (the one model with a device-TLB) does.
  if (profile.ats()) add_ats_cap(m_cfg, 32, true);
  if (profile.pri_outstanding_requests()) add_pri_cap(m_cfg, profile.pri_outstanding_requests());
}

// BAR0 registers of a device without a model of its own behind them: what the PF
// driver reads the permanent address from (receive address 0). Built when first used
// (a NIC's core serves its BAR0, so a rack's 32 ports build none).
kit::reg_bank& physical_function::regs() {
  if (m_regs) return *m_regs;
  const pb::DeviceProfile& profile = m_profile;
  const unsigned function_number = m_function;
  const uint32_t ral = profile.mac_ral_offset();
  m_regs = std::make_unique<kit::reg_bank>(this->name() + ".regs", ral + 0x1000);
  m_regs->add(kit::reg("CTRL", 0x0, 4).rw().doc("device control"));
  m_regs->add(kit::reg("STATUS", 0x8, 4).doc("device status"));
  if (ral >= 0x10) {
    const uint64_t mac = profile.mac_base() + function_number;
    uint32_t lo = 0, hi = 0;
    for (int b = 0; b < 4; ++b) lo |= static_cast<uint32_t>((mac >> (40 - 8 * b)) & 0xff) << (8 * b);
    for (int b = 0; b < 2; ++b) hi |= static_cast<uint32_t>((mac >> (8 - 8 * b)) & 0xff) << (8 * b);
    hi |= 0x80000000u;  // RAH.AV: address valid (82599/I350 data sheets)
    m_regs->add(kit::reg("RAL0", ral, 4).reset_to(lo).rw().doc("receive address 0, low 32 bits"));
    m_regs->add(kit::reg("RAH0", ral + 4, 4)
                    .reset_to(hi)
                    .field("RAH", 0, 16)
                    .field("ASEL", 16, 2)
                    .field("AV", 31)
                    .doc("receive address 0: high 16 bits, address select, address valid"));
  }
  return *m_regs;
}

void physical_function::reset() {
  m_vfs.clear();
  m_cfg.bank().reset();
  if (m_regs) m_regs->reset();
  if (m_sriov) update_offset_stride();
}

uint64_t physical_function::vf_bar_base(int index) const {
  return read_bar_address(m_cfg, m_sriov + SRIOV_BAR, m_vf_bars, index);
}

void physical_function::build_sriov_cap() {
  const pb::Sriov& s = m_profile.sriov();
  m_vf_bars = bars_from_profile(s.vf_bars());
  m_sriov = m_cfg.add_ext_cap(ECAP_ID_SRIOV, 1, 0x40);
  config_space& c = m_cfg;
  const uint32_t at = m_sriov;
  c.ro("SRIOV.CAP", at + SRIOV_CAP, 4, s.vf_migration_capable() ? 1 : 0);
  // ARI Capable Hierarchy is RW only in the lowest-numbered PF (function 0 of the
  // profile's functions); RsvdP, reading 0, in the others (SR-IOV spec 3.3.3.5).
  const uint16_t ari_bit = m_function == 0 ? SRIOV_CTRL_ARI : 0;
  const uint16_t ctrl_mask =
      SRIOV_CTRL_VFE | SRIOV_CTRL_MSE | ari_bit | (s.vf_migration_capable() ? SRIOV_CTRL_VFM | SRIOV_CTRL_INTR : 0);
  c.reg(kit::reg("SRIOV.CTRL", at + SRIOV_CTRL, 2).rw(ctrl_mask).on_write_fn([this](uint64_t old, uint64_t now) { write_sriov_ctrl(old, now); }));
  c.reg(kit::reg("SRIOV.STATUS", at + SRIOV_STATUS, 2).clear_on_1(0x1));
  c.ro("SRIOV.INITIAL_VF", at + SRIOV_INITIAL_VF, 2, s.initial_vfs());
  c.ro("SRIOV.TOTAL_VF", at + SRIOV_TOTAL_VF, 2, s.total_vfs());
  // NumVFs is writable only while VF Enable is clear (SR-IOV spec 3.3.7).
  c.reg(kit::reg("SRIOV.NUM_VF", at + SRIOV_NUM_VF, 2).rw(0xffff).on_write_fn([this, at](uint64_t old, uint64_t now) {
           if (sriov_ctrl() & SRIOV_CTRL_VFE) m_cfg.set(at + SRIOV_NUM_VF, 2, static_cast<uint32_t>(old));
           else if (old != now) update_offset_stride();
         }));
  // Function Dependency Link: Intel ports report their own function number.
  c.ro("SRIOV.FUNC_LINK", at + SRIOV_FUNC_LINK, 1, m_function);
  c.ro("SRIOV.VF_OFFSET", at + SRIOV_VF_OFFSET, 2, 0);
  c.ro("SRIOV.VF_STRIDE", at + SRIOV_VF_STRIDE, 2, 0);
  c.ro("SRIOV.VF_DID", at + SRIOV_VF_DID, 2, s.vf_device_id());
  c.ro("SRIOV.SUP_PGSIZE", at + SRIOV_SUP_PGSIZE, 4, s.supported_page_sizes());
  c.reg(kit::reg("SRIOV.SYS_PGSIZE", at + SRIOV_SYS_PGSIZE, 4).reset_to(1).rw(s.supported_page_sizes()));
  declare_bars(c, at + SRIOV_BAR, m_vf_bars, "SRIOV.VF_BAR");
  c.ro("SRIOV.VFM", at + SRIOV_VFM, 4, 0);
  update_offset_stride();
}

void physical_function::follow_ari_of(physical_function& lowest) {
  if (&lowest == this) return;
  m_ari_owner = &lowest;
  lowest.m_ari_followers.push_back(this);
  if (m_sriov) update_offset_stride();
}

bool physical_function::ari_capable_hierarchy() const {
  return m_ari_owner->m_sriov && (m_ari_owner->sriov_ctrl() & SRIOV_CTRL_ARI);
}

void physical_function::update_offset_stride() {
  uint16_t offset = 0, stride = 0;
  const bool ari = ari_capable_hierarchy();
  if (lookup_offset_stride(m_profile, m_function, num_vfs(), ari, offset, stride)) {
    m_cfg.bank().set_reset(m_sriov + SRIOV_VF_OFFSET, offset);
    m_cfg.bank().set_reset(m_sriov + SRIOV_VF_STRIDE, stride);
  }
}

void physical_function::write_sriov_ctrl(uint64_t old, uint64_t now) {
  // ARI Capable Hierarchy may only change while VF Enable is clear; it changes
  // where the VFs land (SR-IOV spec 3.3.3.5).
  if ((old ^ now) & SRIOV_CTRL_ARI) {
    if (old & SRIOV_CTRL_VFE) {
      m_cfg.set(m_sriov + SRIOV_CTRL, 2, static_cast<uint32_t>((now & ~SRIOV_CTRL_ARI) | (old & SRIOV_CTRL_ARI)));
    } else {
      update_offset_stride();
      for (physical_function* f : m_ari_followers)
        if (f->m_sriov) f->update_offset_stride();
    }
  }
  const bool was = old & SRIOV_CTRL_VFE, is = now & SRIOV_CTRL_VFE;
  if (!was && is) m_on_vf_change(*this, num_vfs());
  if (was && !is) m_on_vf_change(*this, 0);
}

}  // namespace iovsim::pcie
