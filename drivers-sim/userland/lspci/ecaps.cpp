// lspci's decoding of the PCIe extended capability list (from 0x100) at -v / -vv:
// AER, Device Serial Number, ACS, ARI, ATS, SR-IOV, PRI, PASID, LTR, TPH,
// Secondary PCIe and DPC in full, other known IDs by name only. Formats follow
// pciutils 3.9.0 ls-ecaps.c; register layouts are Linux pci_regs.h (REFERENCE.md 1-2).
#include "drivers-sim/userland/lspci/lspci_caps.h"

namespace iovsim::host::lspci_impl {
namespace {

constexpr int TYPE_ROOT_PORT = 4, TYPE_ROOT_EC = 10;

unsigned bits(uint32_t v, unsigned shift, unsigned width) { return (v >> shift) & ((1u << width) - 1); }

void uncorrectable_line(std::string& out, const char* title, uint32_t l) {
  put(out, "\t\t{}:\tDLP{} SDES{} TLP{} FCP{} CmpltTO{} CmpltAbrt{} UnxCmplt{} RxOF{} MalfTLP{} ECRC{} "
      "UnsupReq{} ACSViol{}\n",
      title, flag(l, 1u << 4), flag(l, 1u << 5), flag(l, 1u << 12), flag(l, 1u << 13),
      flag(l, 1u << 14), flag(l, 1u << 15), flag(l, 1u << 16), flag(l, 1u << 17), flag(l, 1u << 18),
      flag(l, 1u << 19), flag(l, 1u << 20), flag(l, 1u << 21));
}

void correctable_line(std::string& out, const char* title, uint32_t l) {
  put(out, "\t\t{}:\tRxErr{} BadTLP{} BadDLLP{} Rollover{} Timeout{} AdvNonFatalErr{}\n", title,
      flag(l, 1u << 0), flag(l, 1u << 6), flag(l, 1u << 7), flag(l, 1u << 8), flag(l, 1u << 12),
      flag(l, 1u << 13));
}

void cap_aer(std::string& out, const device_ctx& d, unsigned where, int type) {
  out += "Advanced Error Reporting\n";
  if (d.opt.verbose < 2 || !d.cfg.has(where + 4, 40)) return;
  const config_view& c = d.cfg;
  uncorrectable_line(out, "UESta", c.u32(where + 0x04));
  uncorrectable_line(out, "UEMsk", c.u32(where + 0x08));
  uncorrectable_line(out, "UESvrt", c.u32(where + 0x0c));
  correctable_line(out, "CESta", c.u32(where + 0x10));
  correctable_line(out, "CEMsk", c.u32(where + 0x14));
  uint32_t l = c.u32(where + 0x18);
  put(out, "\t\tAERCap:\tFirst Error Pointer: {:02x}, ECRCGenCap{} ECRCGenEn{} ECRCChkCap{} ECRCChkEn{}\n"
      "\t\t\tMultHdrRecCap{} MultHdrRecEn{} TLPPfxPres{} HdrLogCap{}\n",
      l & 0x1f, flag(l, 0x20), flag(l, 0x40), flag(l, 0x80), flag(l, 0x100), flag(l, 0x200),
      flag(l, 0x400), flag(l, 0x800), flag(l, 0x1000));
  put(out, "\t\tHeaderLog: {:08x} {:08x} {:08x} {:08x}\n", c.u32(where + 0x1c), c.u32(where + 0x20),
      c.u32(where + 0x24), c.u32(where + 0x28));
  if ((type != TYPE_ROOT_PORT && type != TYPE_ROOT_EC) || !c.has(where + 0x2c, 12)) return;
  l = c.u32(where + 0x2c);
  put(out, "\t\tRootCmd: CERptEn{} NFERptEn{} FERptEn{}\n", flag(l, 1), flag(l, 2), flag(l, 4));
  l = c.u32(where + 0x30);
  put(out, "\t\tRootSta: CERcvd{} MultCERcvd{} UERcvd{} MultUERcvd{}\n"
      "\t\t\t FirstFatal{} NonFatalMsg{} FatalMsg{} IntMsg {}\n",
      flag(l, 0x1), flag(l, 0x2), flag(l, 0x4), flag(l, 0x8), flag(l, 0x10), flag(l, 0x20),
      flag(l, 0x40), l >> 27);
  put(out, "\t\tErrorSrc: ERR_COR: {:04x} ERR_FATAL/NONFATAL: {:04x}\n", c.u16(where + 0x34),
      c.u16(where + 0x36));
}

void cap_dsn(std::string& out, const device_ctx& d, unsigned where) {
  if (!d.cfg.has(where + 4, 8)) return;
  uint32_t lo = d.cfg.u32(where + 4), hi = d.cfg.u32(where + 8);
  put(out, "Device Serial Number {:02x}-{:02x}-{:02x}-{:02x}-{:02x}-{:02x}-{:02x}-{:02x}\n", hi >> 24,
      bits(hi, 16, 8), bits(hi, 8, 8), hi & 0xff, lo >> 24, bits(lo, 16, 8), bits(lo, 8, 8), lo & 0xff);
}

void cap_acs(std::string& out, const device_ctx& d, unsigned where) {
  out += "Access Control Services\n";
  if (d.opt.verbose < 2 || !d.cfg.has(where + 4, 4)) return;
  for (unsigned off : {4u, 6u}) {
    uint16_t w = d.cfg.u16(where + off);
    put(out, "\t\t{}:\tSrcValid{} TransBlk{} ReqRedir{} CmpltRedir{} UpstreamFwd{} EgressCtrl{} "
        "DirectTrans{}\n",
        off == 4 ? "ACSCap" : "ACSCtl", flag(w, 0x1), flag(w, 0x2), flag(w, 0x4), flag(w, 0x8),
        flag(w, 0x10), flag(w, 0x20), flag(w, 0x40));
  }
}

void cap_ari(std::string& out, const device_ctx& d, unsigned where) {
  out += "Alternative Routing-ID Interpretation (ARI)\n";
  if (d.opt.verbose < 2 || !d.cfg.has(where + 4, 4)) return;
  uint16_t w = d.cfg.u16(where + 4);
  put(out, "\t\tARICap:\tMFVC{} ACS{}, Next Function: {}\n", flag(w, 1), flag(w, 2), w >> 8);
  w = d.cfg.u16(where + 6);
  put(out, "\t\tARICtl:\tMFVC{} ACS{}, Function Group: {}\n", flag(w, 1), flag(w, 2), bits(w, 4, 3));
}

void cap_ats(std::string& out, const device_ctx& d, unsigned where) {
  out += "Address Translation Service (ATS)\n";
  if (d.opt.verbose < 2 || !d.cfg.has(where + 4, 4)) return;
  put(out, "\t\tATSCap:\tInvalidate Queue Depth: {:02x}\n", d.cfg.u16(where + 4) & 0x1f);
  uint16_t w = d.cfg.u16(where + 6);
  put(out, "\t\tATSCtl:\tEnable{}, Smallest Translation Unit: {:02x}\n", flag(w, 0x8000), w & 0x1f);
}

void cap_pri(std::string& out, const device_ctx& d, unsigned where) {
  out += "Page Request Interface (PRI)\n";
  if (d.opt.verbose < 2 || !d.cfg.has(where + 4, 0xc)) return;
  uint16_t w = d.cfg.u16(where + 4);
  put(out, "\t\tPRICtl: Enable{} Reset{}\n", flag(w, 1), flag(w, 2));
  w = d.cfg.u16(where + 6);
  put(out, "\t\tPRISta: RF{} UPRGI{} Stopped{}\n", flag(w, 1), flag(w, 2), flag(w, 0x100));
  put(out, "\t\tPage Request Capacity: {:08x}, Page Request Allocation: {:08x}\n", d.cfg.u32(where + 8),
      d.cfg.u32(where + 12));
}

void cap_pasid(std::string& out, const device_ctx& d, unsigned where) {
  out += "Process Address Space ID (PASID)\n";
  if (d.opt.verbose < 2 || !d.cfg.has(where + 4, 4)) return;
  uint16_t w = d.cfg.u16(where + 4);
  put(out, "\t\tPASIDCap: Exec{} Priv{}, Max PASID Width: {:02x}\n", flag(w, 2), flag(w, 4), bits(w, 8, 5));
  w = d.cfg.u16(where + 6);
  put(out, "\t\tPASIDCtl: Enable{} Exec{} Priv{}\n", flag(w, 1), flag(w, 2), flag(w, 4));
}

// SR-IOV (REFERENCE.md section 2): what the PF's capability says about its VFs.
void cap_sriov(std::string& out, const device_ctx& d, unsigned where) {
  out += "Single Root I/O Virtualization (SR-IOV)\n";
  const config_view& c = d.cfg;
  if (d.opt.verbose < 2 || !c.has(where + 4, 0x3c)) return;
  uint32_t l = c.u32(where + 0x04);
  put(out, "\t\tIOVCap:\tMigration{} 10BitTagReq{} Interrupt Message Number: {:03x}\n", flag(l, 1),
      flag(l, 4), l >> 21);
  uint16_t w = c.u16(where + 0x08);
  put(out, "\t\tIOVCtl:\tEnable{} Migration{} Interrupt{} MSE{} ARIHierarchy{} 10BitTagReq{}\n",
      flag(w, 0x1), flag(w, 0x2), flag(w, 0x4), flag(w, 0x8), flag(w, 0x10), flag(w, 0x20));
  put(out, "\t\tIOVSta:\tMigration{}\n", flag(c.u16(where + 0x0a), 1));
  put(out, "\t\tInitial VFs: {}, Total VFs: {}, Number of VFs: {}, Function Dependency Link: {:02x}\n",
      c.u16(where + 0x0c), c.u16(where + 0x0e), c.u16(where + 0x10), c.u8(where + 0x12));
  put(out, "\t\tVF offset: {}, stride: {}, Device ID: {:04x}\n", c.u16(where + 0x14), c.u16(where + 0x16),
      c.u16(where + 0x1a));
  put(out, "\t\tSupported Page Size: {:08x}, System Page Size: {:08x}\n", c.u32(where + 0x1c),
      c.u32(where + 0x20));
  for (unsigned i = 0; i < 6; ++i) {
    l = c.u32(where + 0x24 + 4 * i);
    if (l == 0xffffffff) l = 0;
    if (!l) continue;
    put(out, "\t\tRegion {}: Memory at ", i);
    unsigned type = l & 0x6;
    if (type == 0x4) put(out, "{:08x}", c.u32(where + 0x24 + 4 * ++i));   // upper half
    put(out, "{:08x} ({}-bit, {}prefetchable)\n", l & ~0xfu, type == 0 ? "32" : "64",
        (l & 0x8) ? "" : "non-");
  }
  l = c.u32(where + 0x3c);
  put(out, "\t\tVF Migration: offset: {:08x}, BIR: {:x}\n", l & ~7u, l & 7);
}

void cap_ltr(std::string& out, const device_ctx& d, unsigned where) {
  out += "Latency Tolerance Reporting\n";
  if (d.opt.verbose < 2 || !d.cfg.has(where + 4, 4)) return;
  for (unsigned off : {4u, 6u}) {
    uint16_t v = d.cfg.u16(where + off);
    // lspci computes 1 << (scale * 5) in 32 bits; x86 wraps the shift count.
    uint64_t scale = uint32_t{1} << ((bits(v, 10, 3) * 5) & 31);
    put(out, "\t\tMax {}snoop latency: {}ns\n", off == 4 ? "" : "no ", (v & 0x3ff) * scale);
  }
}

void cap_tph(std::string& out, const device_ctx& d, unsigned where) {
  out += "Transaction Processing Hints\n";
  if (d.opt.verbose < 2 || !d.cfg.has(where + 4, 4)) return;
  uint32_t t = d.cfg.u32(where + 4);
  if (t & 0x2) out += "\t\tInterrupt vector mode supported\n";
  if (t & 0x4) out += "\t\tDevice specific mode supported\n";
  if (t & 0x100) out += "\t\tExtended requester support\n";
  static const char* const where_table[] = {"No steering table available",
      "Steering table in TPH capability structure", "Steering table in MSI-X table",
      "Reserved steering table location"};
  put(out, "\t\t{}\n", where_table[bits(t, 9, 2)]);
}

void cap_secondary_pcie(std::string& out, const device_ctx& d, unsigned where) {
  out += "Secondary PCI Express\n";
  if (d.opt.verbose < 2 || !d.cfg.has(where + 4, 12)) return;
  uint16_t ctl3 = d.cfg.u16(where + 4);
  put(out, "\t\tLnkCtl3: LnkEquIntrruptEn{} PerformEqu{}\n", flag(ctl3, 2), flag(ctl3, 1));
  uint32_t lanes = d.cfg.u16(where + 8);
  out += "\t\tLaneErrStat: ";
  if (!lanes) out += "0";
  else out += "LaneErr at lane:";
  for (unsigned lane = 0; lanes; lanes >>= 1, ++lane)
    if (lanes & 1) put(out, " {}", lane);
  out += '\n';
}

void cap_dpc(std::string& out, const device_ctx& d, unsigned where) {
  out += "Downstream Port Containment\n";
  if (d.opt.verbose < 2 || !d.cfg.has(where + 4, 8)) return;
  uint16_t l = d.cfg.u16(where + 4);
  put(out, "\t\tDpcCap:\tINT Msg #{}, RPExt{} PoisonedTLP{} SwTrigger{} RP PIO Log {}, DL_ActiveErr{}\n",
      l & 0x1f, flag(l, 0x20), flag(l, 0x40), flag(l, 0x80), bits(l, 8, 4), flag(l, 0x1000));
  l = d.cfg.u16(where + 6);
  put(out, "\t\tDpcCtl:\tTrigger:{:x} Cmpl{} INT{} ErrCor{} PoisonedTLP{} SwTrigger{} DL_ActiveErr{}\n",
      l & 3, flag(l, 0x4), flag(l, 0x8), flag(l, 0x10), flag(l, 0x20), flag(l, 0x40), flag(l, 0x80));
  l = d.cfg.u16(where + 8);
  put(out, "\t\tDpcSta:\tTrigger{} Reason:{:02x} INT{} RPBusy{} TriggerExt:{:02x} RP PIO ErrPtr:{:02x}\n",
      flag(l, 1), bits(l, 1, 2), flag(l, 0x8), flag(l, 0x10), bits(l, 5, 2), bits(l, 8, 5));
  put(out, "\t\tSource:\t{:04x}\n", d.cfg.u16(where + 10));
}

// Capabilities lspci 3.9.0 names without decoding ("<?>").
const char* undecoded_name(unsigned id) {
  switch (id) {
    case 0x04: return "Power Budgeting <?>";
    case 0x06: return "Root Complex Internal Link <?>";
    case 0x08: return "Multi-Function Virtual Channel <?>";
    case 0x0a: return "Root Complex Register Block <?>";
    case 0x11: return "Multi-Root I/O Virtualization <?>";
    case 0x16: return "Dynamic Power Allocation <?>";
    case 0x1a: return "Protocol Multiplexing <?>";
    case 0x1c: return "LN Requester <?>";
    case 0x20: return "PCI Express over M_PHY <?>";
    case 0x21: return "FRS Queueing <?>";
    case 0x22: return "Readiness Time Reporting <?>";
    case 0x25: return "Data Link Feature <?>";
    case 0x26: return "Physical Layer 16.0 GT/s <?>";
    case 0x27: return "Lane Margining at the Receiver <?>";
    case 0x28: return "Hierarchy ID <?>";
    case 0x29: return "Native PCIe Enclosure Management <?>";
    default: return nullptr;
  }
}

// Capabilities lspci decodes but this shell shows by name only (their -vv detail
// lines are left out; see the report in the change that added this file).
const char* title_only(unsigned id) {
  switch (id) {
    case 0x02: case 0x09: return "Virtual Channel";
    case 0x05: return "Root Complex Link";
    case 0x07: return "Root Complex Event Collector Endpoint Association";
    case 0x12: return "Multicast";
    case 0x15: return "Physical Resizable BAR";
    case 0x1e: return "L1 PM Substates";
    case 0x1f: return "Precision Time Measurement";
    case 0x24: return "Virtual Resizable BAR";
    case 0x2e: return "Data Object Exchange";
    default: return nullptr;
  }
}

}  // namespace

void show_ext_caps(std::string& out, const device_ctx& d, int express_type) {
  std::vector<bool> seen(0x1000);
  unsigned where = 0x100;
  do {
    if (!d.cfg.has(where, 4)) break;
    uint32_t header = d.cfg.u32(where);
    if (!header || header == 0xffffffff) break;
    unsigned id = header & 0xffff;
    put(out, "\tCapabilities: [{:03x}", where);
    if (d.opt.verbose > 1) put(out, " v{}", bits(header, 16, 4));
    out += "] ";
    if (seen[where]) {
      out += "<chain looped>\n";
      break;
    }
    seen[where] = true;
    switch (id) {
      case 0x00: out += "Null\n"; break;
      case 0x01: cap_aer(out, d, where, express_type); break;
      case 0x03: cap_dsn(out, d, where); break;
      case 0x0b: {
        uint32_t vsec = d.cfg.u32(where + 4);
        put(out, "Vendor Specific Information: ID={:04x} Rev={} Len={:03x} <?>\n", vsec & 0xffff,
            bits(vsec, 16, 4), vsec >> 20);
        break;
      }
      case 0x0d: cap_acs(out, d, where); break;
      case 0x0e: cap_ari(out, d, where); break;
      case 0x0f: cap_ats(out, d, where); break;
      case 0x10: cap_sriov(out, d, where); break;
      case 0x13: cap_pri(out, d, where); break;
      case 0x17: cap_tph(out, d, where); break;
      case 0x18: cap_ltr(out, d, where); break;
      case 0x19: cap_secondary_pcie(out, d, where); break;
      case 0x1b: cap_pasid(out, d, where); break;
      case 0x1d: cap_dpc(out, d, where); break;
      case 0x23: {
        uint32_t h1 = d.cfg.u32(where + 4);
        put(out, "Designated Vendor-Specific: Vendor={:04x} ID={:04x} Rev={} Len={} <?>\n", h1 & 0xffff,
            d.cfg.u16(where + 8), bits(h1, 16, 4), h1 >> 20);
        break;
      }
      default:
        if (const char* name = undecoded_name(id)) put(out, "{}\n", name);
        else if (const char* title = title_only(id)) put(out, "{}\n", title);
        else put(out, "Extended Capability ID {:#x}\n", id);
    }
    where = bits(header, 20, 12) & ~3u;
  } while (where);
}

}  // namespace iovsim::host::lspci_impl
