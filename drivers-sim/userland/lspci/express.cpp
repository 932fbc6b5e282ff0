// lspci's decoding of the PCI Express capability at -v / -vv (pciutils 3.9.0
// ls-caps.c cap_express and its helpers): device, link, slot and root registers
// and their "2" versions. Register bits are Linux include/uapi/linux/pci_regs.h.
#include "drivers-sim/userland/lspci/lspci_caps.h"

namespace iovsim::host::lspci_impl {
namespace {

// PCI Express capability register offsets and device/port types.
constexpr unsigned EXP_FLAGS = 0x02, EXP_DEVCAP = 0x04, EXP_DEVCTL = 0x08, EXP_DEVSTA = 0x0a;
constexpr unsigned EXP_LNKCAP = 0x0c, EXP_LNKCTL = 0x10, EXP_LNKSTA = 0x12, EXP_SLTCAP = 0x14;
constexpr unsigned EXP_SLTCTL = 0x18, EXP_SLTSTA = 0x1a, EXP_RTCTL = 0x1c, EXP_RTCAP = 0x1e;
constexpr unsigned EXP_RTSTA = 0x20, EXP_DEVCAP2 = 0x24, EXP_DEVCTL2 = 0x28, EXP_LNKCAP2 = 0x2c;
constexpr unsigned EXP_LNKCTL2 = 0x30, EXP_LNKSTA2 = 0x32;
constexpr int TYPE_ENDPOINT = 0, TYPE_LEG_END = 1, TYPE_ROOT_PORT = 4, TYPE_UPSTREAM = 5;
constexpr int TYPE_DOWNSTREAM = 6, TYPE_PCI_BRIDGE = 7, TYPE_PCIE_BRIDGE = 8;
constexpr int TYPE_ROOT_INT_EP = 9, TYPE_ROOT_EC = 10;

unsigned bits(uint32_t v, unsigned shift, unsigned width) { return (v >> shift) & ((1u << width) - 1); }

// ls-caps.c show_power_limit(): slot power in watts, printf("%g") style.
std::string power_limit(unsigned value, unsigned scale) {
  static const float scales[4] = {1.0f, 0.1f, 0.01f, 0.001f};
  if (scale == 0 && value == 0xff) return ">600W";
  if (scale == 0 && value >= 0xf0 && value <= 0xfe) value = 250 + 25 * (value - 0xf0);
  return fmt::format("{:g}W", static_cast<double>(value * scales[scale]));
}

const char* latency_l0s(unsigned v) {
  static const char* const t[] = {"<64ns", "<128ns", "<256ns", "<512ns", "<1us", "<2us", "<4us", "unlimited"};
  return t[v & 7];
}

const char* latency_l1(unsigned v) {
  static const char* const t[] = {"<1us", "<2us", "<4us", "<8us", "<16us", "<32us", "<64us", "unlimited"};
  return t[v & 7];
}

void express_dev(std::string& out, const device_ctx& d, unsigned where, int type) {
  uint32_t t = d.cfg.u32(where + EXP_DEVCAP);
  bool endpoint = type == TYPE_ENDPOINT || type == TYPE_LEG_END;
  put(out, "\t\tDevCap:\tMaxPayload {} bytes, PhantFunc {}", 128 << (t & 7), (1 << bits(t, 3, 2)) - 1);
  if (endpoint) put(out, ", Latency L0s {}, L1 {}", latency_l0s(bits(t, 6, 3)), latency_l1(bits(t, 9, 3)));
  put(out, "\n\t\t\tExtTag{}", flag(t, 0x20));
  if (endpoint || type == TYPE_UPSTREAM || type == TYPE_PCI_BRIDGE)
    put(out, " AttnBtn{} AttnInd{} PwrInd{}", flag(t, 0x1000), flag(t, 0x2000), flag(t, 0x4000));
  put(out, " RBE{}", flag(t, 0x8000));
  bool flr_type = endpoint || type == TYPE_ROOT_INT_EP;
  if (flr_type) put(out, " FLReset{}", flag(t, 0x10000000));
  if (type == TYPE_ENDPOINT || type == TYPE_UPSTREAM || type == TYPE_PCI_BRIDGE)
    put(out, " SlotPowerLimit {}", power_limit(bits(t, 18, 8), bits(t, 26, 2)));
  out += '\n';

  uint16_t w = d.cfg.u16(where + EXP_DEVCTL);
  put(out, "\t\tDevCtl:\tCorrErr{} NonFatalErr{} FatalErr{} UnsupReq{}\n", flag(w, 0x1), flag(w, 0x2),
      flag(w, 0x4), flag(w, 0x8));
  put(out, "\t\t\tRlxdOrd{} ExtTag{} PhantFunc{} AuxPwr{} NoSnoop{}", flag(w, 0x10), flag(w, 0x100),
      flag(w, 0x200), flag(w, 0x400), flag(w, 0x800));
  if (type == TYPE_PCI_BRIDGE) put(out, " BrConfRtry{}", flag(w, 0x8000));
  if (flr_type && (t & 0x10000000)) put(out, " FLReset{}", flag(w, 0x8000));
  put(out, "\n\t\t\tMaxPayload {} bytes, MaxReadReq {} bytes\n", 128 << bits(w, 5, 3), 128 << bits(w, 12, 3));

  w = d.cfg.u16(where + EXP_DEVSTA);
  put(out, "\t\tDevSta:\tCorrErr{} NonFatalErr{} FatalErr{} UnsupReq{} AuxPwr{} TransPend{}\n",
      flag(w, 0x1), flag(w, 0x2), flag(w, 0x4), flag(w, 0x8), flag(w, 0x10), flag(w, 0x20));
}

const char* link_speed(unsigned speed) {
  static const char* const t[] = {"unknown", "2.5GT/s", "5GT/s", "8GT/s", "16GT/s", "32GT/s", "64GT/s"};
  return speed <= 6 ? t[speed] : "unknown";
}

const char* link_compare(int type, unsigned sta, unsigned cap) {
  if (sta > cap) return " (overdriven)";
  if (sta == cap) return "";
  if (type == TYPE_ROOT_PORT || type == TYPE_DOWNSTREAM || type == TYPE_PCIE_BRIDGE) return "";
  return " (downgraded)";
}

void express_link(std::string& out, const device_ctx& d, unsigned where, int type) {
  static const char* const aspm_support[] = {"not supported", "L0s", "L1", "L0s L1"};
  static const char* const aspm_enabled[] = {"Disabled", "L0s Enabled", "L1 Enabled", "L0s L1 Enabled"};
  uint32_t t = d.cfg.u32(where + EXP_LNKCAP);
  unsigned aspm = bits(t, 10, 2), cap_speed = t & 0xf, cap_width = bits(t, 4, 6);
  put(out, "\t\tLnkCap:\tPort #{}, Speed {}, Width x{}, ASPM {}", t >> 24, link_speed(cap_speed),
      cap_width, aspm_support[aspm]);
  if (aspm) {
    out += ", Exit Latency ";
    if (aspm & 1) put(out, "L0s {}", latency_l0s(bits(t, 12, 3)));
    if (aspm & 2) put(out, "{}L1 {}", (aspm & 1) ? ", " : "", latency_l1(bits(t, 15, 3)));
  }
  put(out, "\n\t\t\tClockPM{} Surprise{} LLActRep{} BwNot{} ASPMOptComp{}\n", flag(t, 0x40000),
      flag(t, 0x80000), flag(t, 0x100000), flag(t, 0x200000), flag(t, 0x400000));

  uint16_t w = d.cfg.u16(where + EXP_LNKCTL);
  put(out, "\t\tLnkCtl:\tASPM {};", aspm_enabled[w & 3]);
  if (type == TYPE_ROOT_PORT || type == TYPE_ENDPOINT || type == TYPE_LEG_END || type == TYPE_PCI_BRIDGE)
    put(out, " RCB {} bytes,", (w & 0x8) ? 128 : 64);
  put(out, " Disabled{} CommClk{}\n\t\t\tExtSynch{} ClockPM{} AutWidDis{} BWInt{} AutBWInt{}\n",
      flag(w, 0x10), flag(w, 0x40), flag(w, 0x80), flag(w, 0x100), flag(w, 0x200), flag(w, 0x400),
      flag(w, 0x800));

  w = d.cfg.u16(where + EXP_LNKSTA);
  unsigned sta_speed = w & 0xf, sta_width = bits(w, 4, 6);
  put(out, "\t\tLnkSta:\tSpeed {}{}, Width x{}{}\n", link_speed(sta_speed),
      link_compare(type, sta_speed, cap_speed), sta_width, link_compare(type, sta_width, cap_width));
  put(out, "\t\t\tTrErr{} Train{} SlotClk{} DLActive{} BWMgmt{} ABWMgmt{}\n", flag(w, 0x400),
      flag(w, 0x800), flag(w, 0x1000), flag(w, 0x2000), flag(w, 0x4000), flag(w, 0x8000));
}

void express_slot(std::string& out, const device_ctx& d, unsigned where) {
  static const char* const indicator[] = {"Unknown", "On", "Blink", "Off"};
  uint32_t t = d.cfg.u32(where + EXP_SLTCAP);
  put(out, "\t\tSltCap:\tAttnBtn{} PwrCtrl{} MRL{} AttnInd{} PwrInd{} HotPlug{} Surprise{}\n",
      flag(t, 0x1), flag(t, 0x2), flag(t, 0x4), flag(t, 0x8), flag(t, 0x10), flag(t, 0x40), flag(t, 0x20));
  put(out, "\t\t\tSlot #{}, PowerLimit {}; Interlock{} NoCompl{}\n", t >> 19,
      power_limit(bits(t, 7, 8), bits(t, 15, 2)), flag(t, 0x20000), flag(t, 0x40000));
  uint16_t w = d.cfg.u16(where + EXP_SLTCTL);
  put(out, "\t\tSltCtl:\tEnable: AttnBtn{} PwrFlt{} MRL{} PresDet{} CmdCplt{} HPIrq{} LinkChg{}\n",
      flag(w, 0x1), flag(w, 0x2), flag(w, 0x4), flag(w, 0x8), flag(w, 0x10), flag(w, 0x20), flag(w, 0x1000));
  put(out, "\t\t\tControl: AttnInd {}, PwrInd {}, Power{} Interlock{}\n", indicator[bits(w, 6, 2)],
      indicator[bits(w, 8, 2)], flag(w, 0x400), flag(w, 0x800));
  w = d.cfg.u16(where + EXP_SLTSTA);
  put(out, "\t\tSltSta:\tStatus: AttnBtn{} PowerFlt{} MRL{} CmdCplt{} PresDet{} Interlock{}\n",
      flag(w, 0x1), flag(w, 0x2), flag(w, 0x20), flag(w, 0x10), flag(w, 0x40), flag(w, 0x80));
  put(out, "\t\t\tChanged: MRL{} PresDet{} LinkState{}\n", flag(w, 0x4), flag(w, 0x8), flag(w, 0x100));
}

void express_root(std::string& out, const device_ctx& d, unsigned where) {
  uint16_t w = d.cfg.u16(where + EXP_RTCAP);
  put(out, "\t\tRootCap: CRSVisible{}\n", flag(w, 0x1));
  w = d.cfg.u16(where + EXP_RTCTL);
  put(out, "\t\tRootCtl: ErrCorrectable{} ErrNon-Fatal{} ErrFatal{} PMEIntEna{} CRSVisible{}\n",
      flag(w, 0x1), flag(w, 0x2), flag(w, 0x4), flag(w, 0x8), flag(w, 0x10));
  uint32_t l = d.cfg.u32(where + EXP_RTSTA);
  put(out, "\t\tRootSta: PME ReqID {:04x}, PMEStatus{} PMEPending{}\n", l & 0xffff, flag(l, 0x10000),
      flag(l, 0x20000));
}

const char* timeout_range(unsigned v) {
  switch (v) {
    case 0: return "Not Supported";
    case 1: return "Range A";
    case 2: return "Range B";
    case 3: return "Range AB";
    case 6: return "Range BC";
    case 7: return "Range ABC";
    case 14: return "Range BCD";
    case 15: return "Range ABCD";
    default: return "Unknown";
  }
}

const char* timeout_value(unsigned v) {
  switch (v) {
    case 0: return "50us to 50ms";
    case 1: return "50us to 100us";
    case 2: return "1ms to 10ms";
    case 5: return "16ms to 55ms";
    case 6: return "65ms to 210ms";
    case 9: return "260ms to 900ms";
    case 10: return "1s to 3.5s";
    case 13: return "4s to 13s";
    case 14: return "17s to 64s";
    default: return "Unknown";
  }
}

void express_dev2(std::string& out, const device_ctx& d, unsigned where, int type) {
  static const char* const obff_cap[] = {"Not Supported", "Via message", "Via WAKE#", "Via message/WAKE#"};
  static const char* const epr[] = {"Not Supported", "Dev Specific", "Form Factor Dev Specific", "Reserved"};
  static const char* const ln_cls[] = {"Not Supported", "64byte cachelines", "128byte cachelines", "Reserved"};
  static const char* const tph[] = {"TPHComp- ExtTPHComp-", "TPHComp+ ExtTPHComp-", "", "TPHComp+ ExtTPHComp+"};
  static const char* const obff_ctl[] = {"Disabled", "Via message A", "Via message B", "Via WAKE#"};
  bool port = type == TYPE_ROOT_PORT || type == TYPE_DOWNSTREAM;
  bool switch_or_root = port || type == TYPE_UPSTREAM;
  uint32_t l = d.cfg.u32(where + EXP_DEVCAP2);
  put(out, "\t\tDevCap2: Completion Timeout: {}, TimeoutDis{} NROPrPrP{} LTR{}", timeout_range(l & 0xf),
      flag(l, 0x10), flag(l, 0x400), flag(l, 0x800));
  put(out, "\n\t\t\t 10BitTagComp{} 10BitTagReq{} OBFF {}, ExtFmt{} EETLPPrefix{}", flag(l, 0x10000),
      flag(l, 0x20000), obff_cap[bits(l, 18, 2)], flag(l, 0x100000), flag(l, 0x200000));
  if (l & 0x200000) put(out, ", MaxEETLPPrefixes {}", bits(l, 22, 2) ? bits(l, 22, 2) : 4);
  put(out, "\n\t\t\t EmergencyPowerReduction {}, EmergencyPowerReductionInit{}", epr[bits(l, 24, 2)],
      flag(l, 0x4000000));
  put(out, "\n\t\t\t FRS{}", flag(l, 0x80000000));
  if (type == TYPE_ROOT_PORT) put(out, " LN System CLS {},", ln_cls[bits(l, 14, 2)]);
  if (type == TYPE_ROOT_PORT || type == TYPE_ENDPOINT) put(out, " {}", tph[bits(l, 12, 2)]);
  if (port) put(out, " ARIFwd{}", flag(l, 0x20));
  out += '\n';
  bool mem_bar = d.has_memory_bar();
  if (switch_or_root || mem_bar) {
    out += "\t\t\t AtomicOpsCap:";
    if (switch_or_root) put(out, " Routing{}", flag(l, 0x40));
    if (type == TYPE_ROOT_PORT || mem_bar)
      put(out, " 32bit{} 64bit{} 128bitCAS{}", flag(l, 0x80), flag(l, 0x100), flag(l, 0x200));
    out += '\n';
  }

  uint16_t w = d.cfg.u16(where + EXP_DEVCTL2);
  put(out, "\t\tDevCtl2: Completion Timeout: {}, TimeoutDis{} LTR{} 10BitTagReq{} OBFF {},",
      timeout_value(w & 0xf), flag(w, 0x10), flag(w, 0x400), flag(w, 0x1000), obff_ctl[bits(w, 13, 2)]);
  if (port) put(out, " ARIFwd{}", flag(w, 0x20));
  out += '\n';
  bool requester = type == TYPE_ROOT_PORT || type == TYPE_ENDPOINT || type == TYPE_ROOT_INT_EP ||
                   type == TYPE_LEG_END;
  if (switch_or_root || requester) {
    out += "\t\t\t AtomicOpsCtl:";
    if (requester) put(out, " ReqEn{}", flag(w, 0x40));
    if (switch_or_root) put(out, " EgressBlck{}", flag(w, 0x80));
    out += '\n';
  }
}

const char* link2_speed_cap(unsigned vector) {
  if (vector & 0x60) return "RsvdP";
  if (vector & 0x10) return "2.5-32GT/s";
  if (vector & 0x08) return "2.5-16GT/s";
  if (vector & 0x04) return "2.5-8GT/s";
  if (vector & 0x02) return "2.5-5GT/s";
  if (vector & 0x01) return "2.5GT/s";
  return "Unknown";
}

const char* link2_speed(unsigned v) { return v == 0 ? "2.5GT/s" : v <= 6 ? link_speed(v) : "Unknown"; }

const char* deemphasis(unsigned v) { return v == 0 ? "-6dB" : v == 1 ? "-3.5dB" : "Unknown"; }

const char* compliance_preset(unsigned v) {
  static const char* const t[] = {
      "-6dB de-emphasis, 0dB preshoot",   "-3.5dB de-emphasis, 0dB preshoot",
      "-4.4dB de-emphasis, 0dB preshoot", "-2.5dB de-emphasis, 0dB preshoot",
      "0dB de-emphasis, 0dB preshoot",    "0dB de-emphasis, 1.9dB preshoot",
      "0dB de-emphasis, 2.5dB preshoot",  "-6.0dB de-emphasis, 3.5dB preshoot",
      "-3.5dB de-emphasis, 3.5dB preshoot", "0dB de-emphasis, 3.5dB preshoot"};
  return v < 10 ? t[v] : "Unknown";
}

const char* transmit_margin(unsigned v) {
  if (v == 0) return "Normal Operating Range";
  if (v == 1) return "800-1200mV(full-swing)/400-700mV(half-swing)";
  if (v <= 5) return "200-400mV(full-swing)/100-200mV(half-swing)";
  return "Unknown";
}

void express_link2(std::string& out, const device_ctx& d, unsigned where, int type) {
  static const char* const crosslink[] = {"unsupported", "Upstream Port", "Downstream Port", "incomplete"};
  static const char* const component[] = {
      "Link Down - Not Determined", "Link Down - Not Present", "Link Down - Present", "Reserved",
      "Link Up - Present", "Link Up - Present and DRS Received", "Reserved", "Reserved"};
  uint32_t l = 0;
  // Link Capabilities/Control 2 are reserved in endpoints other than function 0.
  if (!((type == TYPE_ENDPOINT || type == TYPE_LEG_END) && (d.dev.dev != 0 || d.dev.fn != 0))) {
    l = d.cfg.u32(where + EXP_LNKCAP2);
    if (l)
      put(out, "\t\tLnkCap2: Supported Link Speeds: {}, Crosslink{} Retimer{} 2Retimers{} DRS{}\n",
          link2_speed_cap(bits(l, 1, 7)), flag(l, 0x100), flag(l, 0x800000), flag(l, 0x1000000),
          flag(l, 0x80000000));
    uint16_t w = d.cfg.u16(where + EXP_LNKCTL2);
    put(out, "\t\tLnkCtl2: Target Link Speed: {}, EnterCompliance{} SpeedDis{}", link2_speed(w & 0xf),
        flag(w, 0x10), flag(w, 0x20));
    if (type == TYPE_DOWNSTREAM) put(out, ", Selectable De-emphasis: {}", deemphasis(bits(w, 6, 1)));
    put(out, "\n\t\t\t Transmit Margin: {}, EnterModifiedCompliance{} ComplianceSOS{}\n",
        transmit_margin(bits(w, 7, 3)), flag(w, 0x400), flag(w, 0x800));
    put(out, "\t\t\t Compliance Preset/De-emphasis: {}\n", compliance_preset(bits(w, 12, 4)));
  }
  uint16_t w = d.cfg.u16(where + EXP_LNKSTA2);
  put(out, "\t\tLnkSta2: Current De-emphasis Level: {}, EqualizationComplete{} EqualizationPhase1{}\n",
      deemphasis(w & 1), flag(w, 0x2), flag(w, 0x4));
  put(out, "\t\t\t EqualizationPhase2{} EqualizationPhase3{} LinkEqualizationRequest{}\n", flag(w, 0x8),
      flag(w, 0x10), flag(w, 0x20));
  put(out, "\t\t\t Retimer{} 2Retimers{} CrosslinkRes: {}", flag(w, 0x40), flag(w, 0x80),
      crosslink[bits(w, 8, 2)]);
  bool downstream = type == TYPE_ROOT_PORT || type == TYPE_DOWNSTREAM || type == TYPE_PCIE_BRIDGE;
  if (downstream && (l & 0x80000000))
    put(out, ", DRS{}\n\t\t\t DownstreamComp: {}\n", flag(w, 0x8000), component[bits(w, 12, 3)]);
  else
    out += '\n';
}

}  // namespace

int cap_express(std::string& out, const device_ctx& d, unsigned where, uint16_t cap) {
  int type = bits(cap, 4, 4);
  bool slot = false, link = true;
  out += "Express ";
  if (d.opt.verbose >= 2) put(out, "(v{}) ", cap & 0xf);
  switch (type) {
    case TYPE_ENDPOINT: out += "Endpoint"; break;
    case TYPE_LEG_END: out += "Legacy Endpoint"; break;
    case TYPE_ROOT_PORT:
      slot = cap & 0x100;
      put(out, "Root Port (Slot{})", flag(cap, 0x100));
      break;
    case TYPE_UPSTREAM: out += "Upstream Port"; break;
    case TYPE_DOWNSTREAM:
      slot = cap & 0x100;
      put(out, "Downstream Port (Slot{})", flag(cap, 0x100));
      break;
    case TYPE_PCI_BRIDGE: out += "PCI-Express to PCI/PCI-X Bridge"; break;
    case TYPE_PCIE_BRIDGE:
      slot = cap & 0x100;
      put(out, "PCI/PCI-X to PCI-Express Bridge (Slot{})", flag(cap, 0x100));
      break;
    case TYPE_ROOT_INT_EP:
      link = false;
      out += "Root Complex Integrated Endpoint";
      break;
    case TYPE_ROOT_EC:
      link = false;
      out += "Root Complex Event Collector";
      break;
    default: put(out, "Unknown type {}", type);
  }
  put(out, ", MSI {:02x}\n", bits(cap, 9, 5));
  if (d.opt.verbose < 2) return type;
  bool root = type == TYPE_ROOT_PORT || type == TYPE_ROOT_EC;
  if (!d.cfg.has(where + EXP_DEVCAP, root ? 32 : slot ? 24 : 16)) return type;
  express_dev(out, d, where, type);
  if (link) express_link(out, d, where, type);
  if (slot) express_slot(out, d, where);
  if (root) express_root(out, d, where);
  if ((cap & 0xf) < 2 || !d.cfg.has(where + EXP_DEVCAP2, slot ? 24 : 16)) return type;
  express_dev2(out, d, where, type);
  if (link) express_link2(out, d, where, type);
  return type;
}


}  // namespace iovsim::host::lspci_impl
