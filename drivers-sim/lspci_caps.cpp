// lspci's decoding of the conventional capability list at -v / -vv: Power
// Management, MSI, PCI Express, MSI-X, Subsystem ID and vendor-specific (VirtIO),
// following pciutils 3.9.0 ls-caps.c and ls-caps-vendor.c. PCIe register bits are
// Linux include/uapi/linux/pci_regs.h; extended capabilities are in lspci_ecaps.cpp.
#include "drivers-sim/lspci_caps.h"

namespace iovsim::host::lspci_impl {
namespace {

constexpr uint8_t CAP_NULL = 0x00, CAP_PM = 0x01, CAP_AGP = 0x02, CAP_VPD = 0x03;
constexpr uint8_t CAP_SLOTID = 0x04, CAP_MSI = 0x05, CAP_CHSWP = 0x06, CAP_PCIX = 0x07;
constexpr uint8_t CAP_VNDR = 0x09, CAP_DBG = 0x0a, CAP_CCRC = 0x0b, CAP_HOTPLUG = 0x0c;
constexpr uint8_t CAP_SSVID = 0x0d, CAP_AGP3 = 0x0e, CAP_SECURE = 0x0f, CAP_EXP = 0x10;
constexpr uint8_t CAP_MSIX = 0x11, CAP_AF = 0x13;

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

void cap_pm(std::string& out, const device_ctx& d, unsigned where, uint16_t cap) {
  static const int aux_current_ma[8] = {0, 55, 100, 160, 220, 270, 320, 375};
  put(out, "Power Management version {}\n", cap & 7);
  if (d.opt.verbose < 2) return;
  put(out, "\t\tFlags: PMEClk{} DSI{} D1{} D2{} AuxCurrent={}mA PME(D0{},D1{},D2{},D3hot{},D3cold{})\n",
      flag(cap, 0x8), flag(cap, 0x20), flag(cap, 0x200), flag(cap, 0x400),
      aux_current_ma[bits(cap, 6, 3)], flag(cap, 0x800), flag(cap, 0x1000), flag(cap, 0x2000),
      flag(cap, 0x4000), flag(cap, 0x8000));
  if (!d.cfg.has(where + 4, 4)) return;
  uint16_t t = d.cfg.u16(where + 4);
  put(out, "\t\tStatus: D{} NoSoftRst{} PME-Enable{} DSel={} DScale={} PME{}\n", t & 3, flag(t, 0x8),
      flag(t, 0x100), bits(t, 9, 4), bits(t, 13, 2), flag(t, 0x8000));
  if (uint8_t bridge = d.cfg.u8(where + 6))
    put(out, "\t\tBridge: PM{} B3{}\n", flag(bridge, 0x80), flag(~bridge, 0x40));
}

void cap_msi(std::string& out, const device_ctx& d, unsigned where, uint16_t cap) {
  put(out, "MSI: Enable{} Count={}/{} Maskable{} 64bit{}\n", flag(cap, 0x1), 1 << bits(cap, 4, 3),
      1 << bits(cap, 1, 3), flag(cap, 0x100), flag(cap, 0x80));
  if (d.opt.verbose < 2) return;
  bool is64 = cap & 0x80;
  if (!d.cfg.has(where + 4, is64 ? 10 : 6)) return;
  out += "\t\tAddress: ";
  if (is64) put(out, "{:08x}", d.cfg.u32(where + 8));
  put(out, "{:08x}  Data: {:04x}\n", d.cfg.u32(where + 4), d.cfg.u16(where + (is64 ? 12 : 8)));
  if (cap & 0x100) {
    unsigned mask = where + (is64 ? 16 : 12);
    if (!d.cfg.has(mask, 8)) return;
    put(out, "\t\tMasking: {:08x}  Pending: {:08x}\n", d.cfg.u32(mask), d.cfg.u32(mask + 4));
  }
}

void cap_msix(std::string& out, const device_ctx& d, unsigned where, uint16_t cap) {
  put(out, "MSI-X: Enable{} Count={} Masked{}\n", flag(cap, 0x8000), (cap & 0x7ff) + 1, flag(cap, 0x4000));
  if (d.opt.verbose < 2 || !d.cfg.has(where + 4, 8)) return;
  uint32_t table = d.cfg.u32(where + 4), pba = d.cfg.u32(where + 8);
  put(out, "\t\tVector table: BAR={} offset={:08x}\n", table & 7, table & ~7u);
  put(out, "\t\tPBA: BAR={} offset={:08x}\n", pba & 7, pba & ~7u);
}

// ls-caps-vendor.c: lspci 3.9.0 knows only VirtIO's layout (Red Hat 1af4:1000-107f).
void cap_vendor(std::string& out, const device_ctx& d, unsigned where, uint16_t cap) {
  out += "Vendor Specific Information: ";
  unsigned length = cap & 0xff, type = cap >> 8;
  bool virtio = d.vendor_id() == 0x1af4 && d.device_id() >= 0x1000 && d.device_id() <= 0x107f;
  if (!virtio || length < 16 || !d.cfg.has(where, length)) {
    put(out, "Len={:02x} <?>\n", length);
    return;
  }
  static const char* const names[] = {"<unknown>", "CommonCfg", "Notify", "ISR", "DeviceCfg"};
  put(out, "VirtIO: {}\n", type <= 4 ? names[type] : names[0]);
  if (d.opt.verbose < 2) return;
  put(out, "\t\tBAR={} offset={:08x} size={:08x}", d.cfg.u8(where + 4), d.cfg.u32(where + 8),
      d.cfg.u32(where + 12));
  if (type == 2 && length >= 20) put(out, " multiplier={:08x}", d.cfg.u32(where + 16));
  out += '\n';
}

void cap_af(std::string& out, const device_ctx& d, unsigned where) {
  out += "PCI Advanced Features\n";
  if (d.opt.verbose < 2 || !d.cfg.has(where + 3, 3)) return;
  uint8_t cap = d.cfg.u8(where + 3), ctrl = d.cfg.u8(where + 4), status = d.cfg.u8(where + 5);
  put(out, "\t\tAFCap: TP{} FLR{}\n\t\tAFCtrl: FLR{}\n\t\tAFStatus: TP{}\n", flag(cap, 1), flag(cap, 2),
      flag(ctrl, 1), flag(status, 1));
}

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

}  // namespace

std::optional<std::pair<uint16_t, uint16_t>> ssvid_capability(const device_ctx& d) {
  if (!(d.cfg.u16(CFG_STATUS) & STATUS_CAP_LIST)) return std::nullopt;
  uint8_t seen[256] = {};
  for (unsigned where = d.cfg.u8(CFG_CAP_PTR) & ~3u; where && !seen[where]++;
       where = d.cfg.u8(where + 1) & ~3u) {
    if (d.cfg.u8(where) == CAP_SSVID && d.cfg.has(where, 8))
      return std::make_pair(d.cfg.u16(where + 4), d.cfg.u16(where + 6));
    if (d.cfg.u8(where) == 0xff) break;
  }
  return std::nullopt;
}

// ls-caps.c show_caps(): walk the list, then the extended list of PCIe functions.
void show_caps(std::string& out, const device_ctx& d, unsigned pointer_offset) {
  int type = -1;
  bool can_have_ext_caps = false;
  if (d.cfg.u16(CFG_STATUS) & STATUS_CAP_LIST) {
    uint8_t seen[256] = {};
    unsigned where = d.cfg.u8(pointer_offset) & ~3u;
    while (where) {
      out += "\tCapabilities: ";
      if (!d.cfg.has(where, 4)) {
        out += "<access denied>\n";
        break;
      }
      uint8_t id = d.cfg.u8(where);
      unsigned next = d.cfg.u8(where + 1) & ~3u;
      uint16_t cap = d.cfg.u16(where + 2);
      put(out, "[{:02x}] ", where);
      if (seen[where]++) {
        out += "<chain looped>\n";
        break;
      }
      if (id == 0xff) {
        out += "<chain broken>\n";
        break;
      }
      switch (id) {
        case CAP_NULL: out += "Null\n"; break;
        case CAP_PM: cap_pm(out, d, where, cap); break;
        case CAP_AGP: put(out, "AGP version {:x}.{:x}\n", bits(cap, 4, 4), cap & 0xf); break;
        case CAP_VPD:
          // VPD is read through sysfs, not config space; the shell has none to show.
          out += "Vital Product Data\n";
          if (d.opt.verbose > 1) out += "\t\tNot readable\n";
          break;
        case CAP_SLOTID:
          put(out, "Slot ID: {} slots, First{}, chassis {:02x}\n", cap & 0x1f, flag(cap, 0x20), cap >> 8);
          break;
        case CAP_MSI: cap_msi(out, d, where, cap); break;
        case CAP_CHSWP: out += "CompactPCI hot-swap <?>\n"; break;
        case CAP_PCIX:
          put(out, "PCI-X {}device\n", d.header_type() == HEADER_BRIDGE ? "bridge " : "non-bridge ");
          can_have_ext_caps = true;
          break;
        case CAP_VNDR: cap_vendor(out, d, where, cap); break;
        case CAP_DBG: put(out, "Debug port: BAR={} offset={:04x}\n", cap >> 13, cap & 0x1fff); break;
        case CAP_CCRC: out += "CompactPCI central resource control <?>\n"; break;
        case CAP_HOTPLUG: out += "Hot-plug capable\n"; break;
        case CAP_SSVID:
          if (d.cfg.has(where, 8))
            put(out, "Subsystem: {}\n", subsystem_text(d, d.cfg.u16(where + 4), d.cfg.u16(where + 6)));
          break;
        case CAP_AGP3: out += "AGP3 <?>\n"; break;
        case CAP_SECURE: out += "Secure device <?>\n"; break;
        case CAP_EXP:
          type = cap_express(out, d, where, cap);
          can_have_ext_caps = true;
          break;
        case CAP_MSIX: cap_msix(out, d, where, cap); break;
        case CAP_AF: cap_af(out, d, where); break;
        default: put(out, "Capability ID {:#x} [{:04x}]\n", id, cap);
      }
      where = next;
    }
  }
  if (can_have_ext_caps) show_ext_caps(out, d, type);
}

}  // namespace iovsim::host::lspci_impl
