// lspci's decoding of the conventional capability list at -v / -vv: Power
// Management, MSI, MSI-X, Subsystem ID, vendor-specific (VirtIO) and the rest by
// name, following pciutils 3.9.0 ls-caps.c and ls-caps-vendor.c. The PCI Express
// capability is in lspci_express.cpp, extended capabilities in lspci_ecaps.cpp.
#include "drivers-sim/userland/lspci/lspci_caps.h"

namespace iovsim::host::lspci_impl {
namespace {

constexpr uint8_t CAP_NULL = 0x00, CAP_PM = 0x01, CAP_AGP = 0x02, CAP_VPD = 0x03;
constexpr uint8_t CAP_SLOTID = 0x04, CAP_MSI = 0x05, CAP_CHSWP = 0x06, CAP_PCIX = 0x07;
constexpr uint8_t CAP_VNDR = 0x09, CAP_DBG = 0x0a, CAP_CCRC = 0x0b, CAP_HOTPLUG = 0x0c;
constexpr uint8_t CAP_SSVID = 0x0d, CAP_AGP3 = 0x0e, CAP_SECURE = 0x0f, CAP_EXP = 0x10;
constexpr uint8_t CAP_MSIX = 0x11, CAP_SATA = 0x12, CAP_AF = 0x13, CAP_EA = 0x14, CAP_HT = 0x08;

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

// ls-caps.c cap_ht(): the interface or feature type only; the register dumps of the
// primary/secondary interfaces at -vv are not reproduced (no HyperTransport here).
void cap_ht(std::string& out, uint16_t cmd) {
  out += "HyperTransport: ";
  if ((cmd & 0xe000) == 0x0000) out += "Slave or Primary Interface\n";
  else if ((cmd & 0xe000) == 0x2000) out += "Host or Secondary Interface\n";
  else switch (cmd & 0xf800) {
    case 0x4000: out += "Switch\n"; break;
    case 0x8000: out += "Interrupt Discovery and Configuration\n"; break;
    case 0x8800: put(out, "Revision ID: {}.{:02}\n", bits(cmd, 5, 3), cmd & 0x1f); break;
    case 0x9000: out += "UnitID Clumping\n"; break;
    case 0x9800: out += "Extended Configuration Space Access\n"; break;
    case 0xa000: out += "Address Mapping\n"; break;
    case 0xa800: put(out, "MSI Mapping Enable{} Fixed{}\n", flag(cmd, 1), flag(cmd, 2)); break;
    case 0xb000: out += "DirectRoute\n"; break;
    case 0xb800: out += "VCSet\n"; break;
    case 0xc000: out += "Retry Mode\n"; break;
    case 0xc800: out += "X86 (reserved)\n"; break;
    default: put(out, "#{:02x}\n", cmd >> 11);
  }
}

void cap_sata(std::string& out, const device_ctx& d, unsigned where, uint16_t cap) {
  put(out, "SATA HBA v{}.{}", bits(cap, 4, 4), cap & 0xf);
  if (d.opt.verbose < 2 || !d.cfg.has(where + 4, 4)) {
    out += '\n';
    return;
  }
  uint32_t bars = d.cfg.u32(where + 4);
  unsigned bar = bars & 0xf;
  if (bar >= 4 && bar <= 9) put(out, " BAR{} Offset={:08x}\n", bar - 4, bits(bars, 4, 20));
  else if (bar == 15) out += " InCfgSpace\n";
  else put(out, " BAR??{}\n", bar);
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
        case CAP_HT: cap_ht(out, cap); break;
        case CAP_SATA: cap_sata(out, d, where, cap); break;
        case CAP_EA:   // entries at -vv are not reproduced
          put(out, "Enhanced Allocation (EA): NumEntries={}", cap & 0x3f);
          if (d.header_type() == HEADER_BRIDGE)
            put(out, ", secondary={}, subordinate={}", d.cfg.u8(where + 4), d.cfg.u8(where + 5));
          out += '\n';
          break;
        default: put(out, "Capability ID {:#x} [{:04x}]\n", id, cap);
      }
      where = next;
    }
  }
  if (can_have_ext_caps) show_ext_caps(out, d, type);
}

}  // namespace iovsim::host::lspci_impl
