#include "models/pcie/capabilities.h"

#include <fmt/format.h>

#include <stdexcept>

namespace iovsim::pcie {

unsigned mps_field(unsigned bytes) {
  unsigned f = 0;
  while ((128u << f) < bytes && f < 5) ++f;
  return f;
}

uint32_t add_pm_cap(config_space& cfg) {
  const uint32_t at = cfg.add_cap(CAP_ID_PM, 8);
  // PMC: version 3, DSI, PME from D0, D3hot and D3cold (PCI PM 1.2; the values the
  // Intel parts report, e.g. "Flags: PMEClk- DSI+ D1- D2- ... PME(D0+,D1-,D2-,D3hot+,D3cold+)").
  cfg.ro("PM.PMC", at + 2, 2, 0x0003 | 0x0020 | 0x0800 | 0x4000 | 0x8000);
  // PMCSR: power state [1:0], PME enable 0x100 RW, PME status 0x8000 W1C; data scale 1.
  cfg.reg(kit::reg("PM.PMCSR", at + 4, 2).reset_to(0x2000).rw(0x0103).clear_on_1(0x8000));
  cfg.ro("PM.DATA", at + 6, 2, 0);
  return at;
}

uint32_t add_msi_cap(config_space& cfg, unsigned vectors_log2, bool addr64, bool maskable) {
  const uint32_t size = 0x0c + (addr64 ? 4 : 0) + (maskable ? 8 : 0);
  const uint32_t at = cfg.add_cap(CAP_ID_MSI, size);
  // Flags: enable 0x1, multiple message capable [3:1], enable [6:4], 64-bit 0x80, mask 0x100.
  const uint16_t flags = static_cast<uint16_t>((vectors_log2 & 7) << 1 | (addr64 ? 0x80 : 0) | (maskable ? 0x100 : 0));
  cfg.reg(kit::reg("MSI.FLAGS", at + 2, 2).reset_to(flags).rw(0x0071));
  cfg.reg(kit::reg("MSI.ADDRESS_LO", at + 4, 4).rw(0xfffffffc));
  uint32_t next = at + 8;
  if (addr64) {
    cfg.reg(kit::reg("MSI.ADDRESS_HI", next, 4).rw(0xffffffff));
    next += 4;
  }
  cfg.reg(kit::reg("MSI.DATA", next, 2).rw(0xffff));
  next += 4;
  if (maskable) {
    cfg.reg(kit::reg("MSI.MASK", next, 4).rw(0xffffffff));
    cfg.ro("MSI.PENDING", next + 4, 4, 0);
  }
  return at;
}

uint32_t add_msix_cap(config_space& cfg, unsigned vectors, unsigned table_bar, uint32_t table_offset,
                      unsigned pba_bar, uint32_t pba_offset) {
  const uint32_t at = cfg.add_cap(CAP_ID_MSIX, 12);
  // Control: table size N-1 [10:0] RO, function mask 0x4000, enable 0x8000 RW.
  cfg.reg(kit::reg("MSIX.CONTROL", at + 2, 2).reset_to((vectors - 1) & 0x7ff).rw(0xc000));
  cfg.ro("MSIX.TABLE", at + 4, 4, table_offset | (table_bar & 7));
  cfg.ro("MSIX.PBA", at + 8, 4, pba_offset | (pba_bar & 7));
  return at;
}

uint32_t add_pcie_cap(config_space& cfg, const pcie_cap_params& p) {
  const uint32_t at = cfg.add_cap(CAP_ID_EXP, 0x3c);
  const bool is_port = p.type == port_type::root_port || p.type == port_type::downstream;
  // Flags: capability version 2, device/port type [7:4], slot implemented 0x100.
  cfg.ro("EXP.FLAGS", at + EXP_FLAGS, 2, 0x2 | static_cast<unsigned>(p.type) << 4 | (p.slot ? 0x100 : 0));
  // DevCap: MPS supported [2:0]; endpoints: L0s/L1 acceptable latency "unlimited"
  // ([8:6]=7, [11:9]=7), role-based error reporting 0x8000; FLR bit 28.
  uint32_t devcap = mps_field(p.max_payload_bytes) | 0x8000;
  if (p.type == port_type::endpoint) devcap |= 7u << 6 | 7u << 9;
  if (p.flr) devcap |= EXP_DEVCAP_FLR;
  cfg.ro("EXP.DEVCAP", at + EXP_DEVCAP, 4, devcap);
  // DevCtl: error reporting enables [3:0], relaxed ordering 0x10, MPS [7:5],
  // no-snoop 0x800, MRRS [14:12] (reset 512 B = 2); bit 15 initiates FLR on endpoints.
  kit::reg_def devctl = kit::reg("EXP.DEVCTL", at + EXP_DEVCTL, 2)
                            .reset_to(0x2000 | 0x10 | 0x800)
                            .rw(0x7fffu | (p.flr ? EXP_DEVCTL_BCR_FLR : 0u));
  if (p.flr) {
    const uint32_t devctl_at = at + EXP_DEVCTL;
    auto on_flr = p.on_flr;
    devctl.on_write = [devctl_at, on_flr](kit::reg_bank& b, uint64_t, uint64_t now) {
      if (!(now & EXP_DEVCTL_BCR_FLR)) return;
      b.set(devctl_at, 2, static_cast<uint32_t>(now & ~EXP_DEVCTL_BCR_FLR));  // reads as 0
      if (on_flr) on_flr();
    };
  }
  cfg.reg(std::move(devctl));
  // DevSta: error detected bits [3:0] W1C.
  cfg.reg(kit::reg("EXP.DEVSTA", at + EXP_DEVSTA, 2).clear_on_1(0x000f));
  // LnkCap: max speed [3:0], max width [9:4], ASPM none, port number [31:24];
  // ports report Data Link Layer Link Active reporting (0x100000).
  const uint32_t lnkcap = (p.link_gen & 0xf) | (p.link_width & 0x3f) << 4 | (is_port ? 0x100000u : 0) |
                          (p.port_number & 0xff) << 24;
  cfg.ro("EXP.LNKCAP", at + EXP_LNKCAP, 4, lnkcap);
  cfg.reg(kit::reg("EXP.LNKCTL", at + EXP_LNKCTL, 2).rw(0x0ffb));
  // LnkSta: the capability until the platform says what the link trained at
  // (set_link_status()).
  // Downstream-facing ports also show DL active (0x2000); slot clock 0x1000.
  const uint16_t lnksta = static_cast<uint16_t>((p.link_gen & 0xf) | (p.link_width & 0x3f) << 4 | 0x1000 |
                                                (is_port ? 0x2000 : 0));
  cfg.ro("EXP.LNKSTA", at + EXP_LNKSTA, 2, lnksta);
  cfg.ro("EXP.SLTCAP", at + 0x14, 4, 0);
  cfg.reg(kit::reg("EXP.SLTCTL", at + 0x18, 2).rw(is_port && p.slot ? 0x1fffu : 0u));
  // Presence detect state 0x40 for an occupied slot.
  cfg.reg(kit::reg("EXP.SLTSTA", at + 0x1a, 2).reset_to(is_port && p.slot ? 0x40u : 0u).clear_on_1(0x011f));
  if (p.type == port_type::root_port) {
    cfg.reg(kit::reg("EXP.RTCTL", at + 0x1c, 2).rw(0x001f));
    cfg.ro("EXP.RTCAP", at + 0x1e, 2, 0);
    cfg.reg(kit::reg("EXP.RTSTA", at + 0x20, 4).clear_on_1(0x00010000));
  }
  // DevCap2: completion timeout ranges A-D (0xf), timeout disable 0x10, ARI forwarding.
  const uint32_t devcap2 = 0x1f | (p.ari_forwarding ? EXP_DEVCAP2_ARI : 0);
  cfg.ro("EXP.DEVCAP2", at + EXP_DEVCAP2, 4, devcap2);
  // DevCtl2: completion timeout value [3:0], timeout disable 0x10, ARI forwarding
  // enable 0x20 writable only where supported.
  cfg.reg(kit::reg("EXP.DEVCTL2", at + EXP_DEVCTL2, 2).rw(static_cast<uint64_t>(0x001fu | (p.ari_forwarding ? EXP_DEVCTL2_ARI : 0u))));
  cfg.ro("EXP.DEVSTA2", at + 0x2a, 2, 0);
  // LnkCap2: supported link speeds vector [7:1] up to the max generation.
  const uint32_t speeds = ((1u << p.link_gen) - 1) << 1;
  cfg.ro("EXP.LNKCAP2", at + EXP_LNKCAP2, 4, speeds);
  cfg.reg(kit::reg("EXP.LNKCTL2", at + EXP_LNKCTL2, 2).reset_to(p.link_gen & 0xf).rw(0x0fff));
  cfg.ro("EXP.LNKSTA2", at + 0x32, 2, 0);
  return at;
}

void set_link_status(config_space& cfg, unsigned gen, unsigned width) {
  const uint32_t at = cfg.find_cap(CAP_ID_EXP);
  if (!at) return;
  const uint32_t keep = cfg.get(at + EXP_LNKSTA, 2) & ~0x3ffu;
  cfg.bank().set_reset(at + EXP_LNKSTA, keep | (gen & 0xf) | (width & 0x3f) << 4);
}

uint32_t add_aer_cap(config_space& cfg) {
  const uint32_t at = cfg.add_ext_cap(ECAP_ID_AER, 1, 0x48);
  // Uncorrectable status W1C; mask and severity RW (default severities per spec:
  // DLP 0x10, SDES 0x20, FCP 0x2000, RO 0x20000, MTLP 0x40000 => 0x00062030).
  cfg.reg(kit::reg("AER.UNCOR_STATUS", at + 0x04, 4).clear_on_1(0x03fff030));
  cfg.reg(kit::reg("AER.UNCOR_MASK", at + 0x08, 4).rw(0x03fff030));
  cfg.reg(kit::reg("AER.UNCOR_SEVER", at + 0x0c, 4).reset_to(0x00062030).rw(0x03fff030));
  cfg.reg(kit::reg("AER.COR_STATUS", at + 0x10, 4).clear_on_1(0x0000f1c1));
  cfg.reg(kit::reg("AER.COR_MASK", at + 0x14, 4).reset_to(0x00002000).rw(0x0000f1c1));
  // Capabilities and control: ECRC generation/check capable bits left clear.
  cfg.reg(kit::reg("AER.CAP", at + 0x18, 4).rw(0x00000140));
  for (int i = 0; i < 4; ++i) cfg.ro("AER.HEADER_LOG", at + 0x1c + 4u * static_cast<uint32_t>(i), 4, 0);
  return at;
}

uint32_t add_dsn_cap(config_space& cfg, uint64_t serial) {
  const uint32_t at = cfg.add_ext_cap(ECAP_ID_DSN, 1, 12);
  cfg.ro("DSN.LOW", at + 4, 4, static_cast<uint32_t>(serial));
  cfg.ro("DSN.HIGH", at + 8, 4, static_cast<uint32_t>(serial >> 32));
  return at;
}

uint32_t add_ari_cap(config_space& cfg, uint8_t next_function) {
  const uint32_t at = cfg.add_ext_cap(ECAP_ID_ARI, 1, 8);
  // ARI capability: next function number [15:8]; MFVC/ACS function groups unused.
  cfg.ro("ARI.CAP", at + 4, 2, static_cast<uint32_t>(next_function) << 8);
  cfg.ro("ARI.CTRL", at + 6, 2, 0);
  return at;
}

uint32_t add_ats_cap(config_space& cfg, unsigned invalidate_queue_depth, bool page_aligned) {
  if (invalidate_queue_depth == 0 || invalidate_queue_depth > 32)
    throw std::invalid_argument(
        fmt::format("ATS invalidate queue depth {} is not in 1..32", invalidate_queue_depth));
  const uint32_t at = cfg.add_ext_cap(ECAP_ID_ATS, 1, 8);
  // The depth field holds 0 for 32 (pci_regs.h PCI_ATS_MAX_QDEP).
  const uint32_t cap = (invalidate_queue_depth & ATS_CAP_QDEP_MASK) | (page_aligned ? ATS_CAP_PAGE_ALIGNED : 0u);
  cfg.ro("ATS.CAP", at + ATS_CAP, 2, cap);
  cfg.reg(kit::reg("ATS.CTRL", at + ATS_CTRL, 2).rw(ATS_CTRL_ENABLE | ATS_CTRL_STU_MASK));
  return at;
}

uint32_t add_pri_cap(config_space& cfg, uint32_t outstanding_capacity) {
  const uint32_t at = cfg.add_ext_cap(ECAP_ID_PRI, 1, 16);
  const uint32_t ctrl = at + PRI_CTRL, status = at + PRI_STATUS;
  cfg.reg(kit::reg("PRI.CTRL", ctrl, 2)
              .rw(PRI_CTRL_ENABLE | PRI_CTRL_RESET)
              .on_write_fn([ctrl, status](kit::reg_bank& b, uint64_t old, uint64_t now) {
                // Reset is a command: it reads 0 (PCIe 10.5.2.2).
                if (now & PRI_CTRL_RESET) b.set(ctrl, 2, static_cast<uint32_t>(now & ~uint64_t{PRI_CTRL_RESET}));
                const bool was = old & PRI_CTRL_ENABLE, is = now & PRI_CTRL_ENABLE;
                const uint32_t st = static_cast<uint32_t>(b.get(status, 2));
                // Enabling clears the status flags (10.5.2.3); disabling stops the interface.
                if (!was && is) b.set(status, 2, st & ~uint32_t{PRI_STATUS_RF | PRI_STATUS_UPRGI | PRI_STATUS_STOPPED});
                if (was && !is) b.set(status, 2, st | PRI_STATUS_STOPPED);
              }));
  cfg.reg(kit::reg("PRI.STATUS", status, 2).reset_to(PRI_STATUS_STOPPED).clear_on_1(PRI_STATUS_RF | PRI_STATUS_UPRGI));
  cfg.ro("PRI.MAX_REQ", at + PRI_MAX_REQ, 4, outstanding_capacity);
  cfg.reg(kit::reg("PRI.ALLOC_REQ", at + PRI_ALLOC_REQ, 4).rw(0xffffffff));
  return at;
}

}  // namespace iovsim::pcie
