// lspci -v / -vv / -vvv: the lines between the one-line form and the capability
// list, following pciutils 3.9.0 lspci.c (show_verbose, show_bases, show_rom,
// show_range, show_htype0/1/2).
#include "drivers-sim/userland/lspci/lspci_caps.h"

namespace iovsim::host::lspci_impl {
namespace {

constexpr uint16_t CMD_IO = 0x1, CMD_MEMORY = 0x2, CMD_MASTER = 0x4, CMD_SPECIAL = 0x8;
constexpr uint16_t CMD_INVALIDATE = 0x10, CMD_VGA_PALETTE = 0x20, CMD_PARITY = 0x40;
constexpr uint16_t CMD_WAIT = 0x80, CMD_SERR = 0x100, CMD_FAST_BACK = 0x200, CMD_INTX_DIS = 0x400;
constexpr uint16_t ST_INTX = 0x8, ST_66MHZ = 0x20, ST_UDF = 0x40, ST_FAST_BACK = 0x80;
constexpr uint16_t ST_PARITY = 0x100, ST_DEVSEL_MASK = 0x600, ST_SIG_TABORT = 0x800;
constexpr uint16_t ST_REC_TABORT = 0x1000, ST_REC_MABORT = 0x2000, ST_SIG_SERR = 0x4000;
constexpr uint16_t ST_DET_PARITY = 0x8000;
constexpr uint32_t BAR_IO = 0x1, BAR_MEM_TYPE = 0x6, BAR_MEM_64 = 0x4, BAR_PREFETCH = 0x8;
constexpr uint64_t ROM_ADDRESS_MASK = ~uint64_t{0x7ff};

const char* devsel(uint16_t status) {
  switch (status & ST_DEVSEL_MASK) {
    case 0x000: return "fast";
    case 0x200: return "medium";
    case 0x400: return "slow";
    default: return "??";
  }
}

// lspci.c show_size(): exact multiples of 1024 get a suffix.
void show_size(std::string& out, uint64_t size) {
  static const char* const suffix[] = {"", "K", "M", "G", "T"};
  if (!size) return;
  unsigned i = 0;
  for (; i < 4 && !(size % 1024); ++i) size /= 1024;
  put(out, " [size={}{}]", static_cast<unsigned>(size), suffix[i]);
}

void show_range(std::string& out, const device_ctx& d, const char* prefix, uint64_t base,
                uint64_t limit, int bits) {
  put(out, "{}:", prefix);
  int width = (bits + 3) / 4;
  if (base <= limit || d.opt.verbose > 2) put(out, " {:0{}x}-{:0{}x}", base, width, limit, width);
  if (base <= limit) show_size(out, limit - base + 1);
  else out += " [disabled]";
  if (bits) put(out, " [{}-bit]", bits);
  out += '\n';
}

// The BAR type bits the kernel reports for resource i (sysfs `resource` flags).
uint32_t kernel_flags(const device_ctx& d, int i) {
  const pci_resource& r = d.dev.bars[i];
  if (!r.start && !r.size) return 0;
  uint32_t reg = d.cfg.u32(CFG_BAR0 + 4 * i);
  if (reg && reg != 0xffffffff) return reg & ((reg & BAR_IO) ? 0x3 : 0xf);
  return r.flags;
}

void show_bases(std::string& out, const device_ctx& d, int count) {
  uint16_t cmd = d.cfg.u16(CFG_COMMAND);
  bool kernel = d.kernel_resources();
  for (int i = 0; i < count; ++i) {
    uint64_t pos = d.base_addr(i);
    uint64_t len = kernel ? d.dev.bars[i].size : 0;
    uint32_t flg = kernel ? kernel_flags(d, i) : d.cfg.u32(CFG_BAR0 + 4 * i);
    if (flg == 0xffffffff) flg = 0;
    if (!pos && !flg && !len) continue;
    if (d.opt.verbose > 1) put(out, "\tRegion {}: ", i);
    else out += '\t';
    // With the kernel's view, a resource whose register reads 0 is "virtual" (a VF's).
    uint32_t hw_lower = 0, hw_upper = 0;
    bool broken = false, is_virtual = false;
    if (kernel) {
      hw_lower = d.cfg.u32(CFG_BAR0 + 4 * i);
      if ((hw_lower & BAR_IO) == (flg & BAR_IO)) {
        if (!(flg & BAR_IO) && (hw_lower & BAR_MEM_TYPE) == BAR_MEM_64) {
          if (i >= count - 1) broken = true;
          else hw_upper = d.cfg.u32(CFG_BAR0 + 4 * i + 4);
        }
        is_virtual = pos && !hw_lower && !hw_upper;
      }
    }
    if (flg & BAR_IO) {
      uint64_t a = pos & ~uint64_t{0x3};
      out += "I/O ports at ";
      if (a || (cmd & CMD_IO)) put(out, "{:04x}", a);
      else out += hw_lower ? "<ignored>" : "<unassigned>";
      if (is_virtual) out += " [virtual]";
      else if (!(cmd & CMD_IO)) out += " [disabled]";
    } else {
      uint32_t type = flg & BAR_MEM_TYPE;
      uint64_t a = pos & ~uint64_t{0xf};
      out += "Memory at ";
      if (broken) out += "<broken-64-bit-slot>";
      else if (a) put(out, "{:08x}", a);
      else out += (hw_lower || hw_upper) ? "<ignored>" : "<unassigned>";
      put(out, " ({}, {}prefetchable)",
          type == 0 ? "32-bit" : type == BAR_MEM_64 ? "64-bit" : type == 2 ? "low-1M" : "type 3",
          (flg & BAR_PREFETCH) ? "" : "non-");
      if (is_virtual) out += " [virtual]";
      else if (!(cmd & CMD_MEMORY)) out += " [disabled]";
    }
    show_size(out, len);
    out += '\n';
  }
}

void show_rom(std::string& out, const device_ctx& d, unsigned reg) {
  uint32_t flg = d.cfg.u32(reg);
  uint64_t rom = flg == 0xffffffff ? 0 : flg;
  if (!rom && !flg) return;
  out += "\tExpansion ROM at ";
  if (rom & ROM_ADDRESS_MASK) put(out, "{:08x}", rom & ROM_ADDRESS_MASK);
  else out += (flg & ROM_ADDRESS_MASK) ? "<ignored>" : "<unassigned>";
  if (!(flg & 1)) out += " [disabled]";
  else if (!(d.cfg.u16(CFG_COMMAND) & CMD_MEMORY)) out += " [disabled by cmd]";
  out += '\n';
}

// The primary status register (-vv "Status:") and a bridge's secondary one.
void show_status(std::string& out, uint16_t s) {
  put(out, "\tStatus: Cap{} 66MHz{} UDF{} FastB2B{} ParErr{} DEVSEL={} >TAbort{} <TAbort{} "
      "<MAbort{} >SERR{} <PERR{} INTx{}\n",
      flag(s, STATUS_CAP_LIST), flag(s, ST_66MHZ), flag(s, ST_UDF), flag(s, ST_FAST_BACK),
      flag(s, ST_PARITY), devsel(s), flag(s, ST_SIG_TABORT), flag(s, ST_REC_TABORT),
      flag(s, ST_REC_MABORT), flag(s, ST_SIG_SERR), flag(s, ST_DET_PARITY), flag(s, ST_INTX));
}

void show_secondary_status(std::string& out, uint16_t s) {
  put(out, "\tSecondary status: 66MHz{} FastB2B{} ParErr{} DEVSEL={} >TAbort{} <TAbort{} "
      "<MAbort{} <SERR{} <PERR{}\n",
      flag(s, ST_66MHZ), flag(s, ST_FAST_BACK), flag(s, ST_PARITY), devsel(s),
      flag(s, ST_SIG_TABORT), flag(s, ST_REC_TABORT), flag(s, ST_REC_MABORT), flag(s, ST_SIG_SERR),
      flag(s, ST_DET_PARITY));
}

void show_htype1(std::string& out, const device_ctx& d) {
  const config_view& c = d.cfg;
  show_bases(out, d, 2);
  put(out, "\tBus: primary={:02x}, secondary={:02x}, subordinate={:02x}, sec-latency={}\n",
      c.u8(0x18), c.u8(0x19), c.u8(0x1a), c.u8(0x1b));
  uint32_t io_base = c.u8(0x1c), io_limit = c.u8(0x1d), io_type = io_base & 0xf;
  if (io_type != (io_limit & 0xf) || (io_type != 0 && io_type != 1)) {
    put(out, "\t!!! Unknown I/O range types {:x}/{:x}\n", io_base, io_limit);
  } else {
    uint64_t base = (io_base & 0xf0) << 8, limit = (io_limit & 0xf0) << 8;
    if (io_type == 1) {
      base |= uint64_t{c.u16(0x30)} << 16;
      limit |= uint64_t{c.u16(0x32)} << 16;
    }
    show_range(out, d, "\tI/O behind bridge", base, limit + 0xfff, io_type == 1 ? 32 : 16);
  }
  uint32_t mem_base = c.u16(0x20), mem_limit = c.u16(0x22);
  if ((mem_base & 0xf) != (mem_limit & 0xf) || (mem_base & 0xf)) {
    put(out, "\t!!! Unknown memory range types {:x}/{:x}\n", mem_base, mem_limit);
  } else {
    show_range(out, d, "\tMemory behind bridge", uint64_t{mem_base & 0xfff0} << 16,
               (uint64_t{mem_limit & 0xfff0} << 16) + 0xfffff, 32);
  }
  uint32_t pref_base = c.u16(0x24), pref_limit = c.u16(0x26), pref_type = pref_base & 0xf;
  if (pref_type != (pref_limit & 0xf) || (pref_type != 0 && pref_type != 1)) {
    put(out, "\t!!! Unknown prefetchable memory range types {:x}/{:x}\n", pref_base, pref_limit);
  } else {
    uint64_t base = uint64_t{pref_base & 0xfff0} << 16, limit = uint64_t{pref_limit & 0xfff0} << 16;
    if (pref_type == 1) {
      base |= uint64_t{c.u32(0x28)} << 32;
      limit |= uint64_t{c.u32(0x2c)} << 32;
    }
    show_range(out, d, "\tPrefetchable memory behind bridge", base, limit + 0xfffff,
               pref_type == 1 ? 64 : 32);
  }
  if (d.opt.verbose > 1) show_secondary_status(out, c.u16(0x1e));
  show_rom(out, d, 0x38);
  if (d.opt.verbose > 1) {
    uint16_t b = c.u16(0x3e);
    put(out, "\tBridgeCtl: Parity{} SERR{} NoISA{} VGA{} VGA16{} MAbort{} >Reset{} FastB2B{}\n",
        flag(b, 0x1), flag(b, 0x2), flag(b, 0x4), flag(b, 0x8), flag(b, 0x10), flag(b, 0x20),
        flag(b, 0x40), flag(b, 0x80));
    put(out, "\t\tPriDiscTmr{} SecDiscTmr{} DiscTmrStat{} DiscTmrSERREn{}\n", flag(b, 0x100),
        flag(b, 0x200), flag(b, 0x400), flag(b, 0x800));
  }
  show_caps(out, d, CFG_CAP_PTR);
}

void show_htype2(std::string& out, const device_ctx& d) {
  const config_view& c = d.cfg;
  uint16_t cmd = c.u16(CFG_COMMAND), brc = c.u16(0x3e);
  show_bases(out, d, 1);
  put(out, "\tBus: primary={:02x}, secondary={:02x}, subordinate={:02x}, sec-latency={}\n",
      c.u8(0x18), c.u8(0x19), c.u8(0x1a), c.u8(0x1b));
  for (unsigned i = 0; i < 2; ++i) {
    uint32_t base = c.u32(0x1c + 8 * i), limit = c.u32(0x20 + 8 * i) + 0xfff;
    if (base <= limit || d.opt.verbose > 2)
      put(out, "\tMemory window {}: {:08x}-{:08x}{}{}\n", i, base, limit,
          (cmd & CMD_MEMORY) ? "" : " [disabled]", (brc & (0x100 << i)) ? " (prefetchable)" : "");
  }
  for (unsigned i = 0; i < 2; ++i) {
    uint32_t base = c.u32(0x2c + 8 * i), limit = c.u32(0x30 + 8 * i);
    if (!(base & 1)) {
      base &= 0xffff;
      limit &= 0xffff;
    }
    base &= ~3u;
    limit = (limit & ~3u) + 3;
    if (base <= limit || d.opt.verbose > 2)
      put(out, "\tI/O window {}: {:08x}-{:08x}{}\n", i, base, limit, (cmd & CMD_IO) ? "" : " [disabled]");
  }
  if (c.u16(0x16) & ST_SIG_SERR) out += "\tSecondary status: SERR\n";
  if (d.opt.verbose > 1)
    put(out, "\tBridgeCtl: Parity{} SERR{} ISA{} VGA{} MAbort{} >Reset{} 16bInt{} PostWrite{}\n",
        flag(brc, 0x1), flag(brc, 0x2), flag(brc, 0x4), flag(brc, 0x8), flag(brc, 0x20),
        flag(brc, 0x40), flag(brc, 0x80), flag(brc, 0x400));
  if (uint16_t exca = c.u16(0x44)) put(out, "\t16-bit legacy interface ports at {:04x}\n", exca);
  show_caps(out, d, 0x14);
}

}  // namespace

bool device_ctx::kernel_resources() const {
  for (const auto& r : dev.bars)
    if (r.start || r.size) return true;
  return false;
}

uint64_t device_ctx::base_addr(int i) const {
  if (kernel_resources()) {
    const pci_resource& r = dev.bars[i];
    if (!r.start && !r.size) return 0;
    return r.start | kernel_flags(*this, i);
  }
  // The raw view (lspci -F): libpci's generic fill_info joins 64-bit halves into
  // the lower BAR and leaves the upper one empty.
  int count = header_type() == HEADER_NORMAL ? 6 : header_type() == HEADER_BRIDGE ? 2 : 1;
  for (int j = 0; j < count; ++j) {
    uint32_t x = cfg.u32(CFG_BAR0 + 4 * j);
    if (!x || x == 0xffffffff) continue;
    uint64_t addr = x;
    bool wide = !(x & BAR_IO) && (x & BAR_MEM_TYPE) == BAR_MEM_64;
    if (wide && j + 1 >= count) addr = 0;   // no room for the upper half: ignored
    else if (wide) addr |= uint64_t{cfg.u32(CFG_BAR0 + 4 * (j + 1))} << 32;
    if (j == i) return addr;
    if (wide) ++j;
  }
  return 0;
}

bool device_ctx::has_memory_bar() const {
  for (int i = 0; i < 6; ++i) {
    uint64_t a = base_addr(i);
    if ((a || dev.bars[i].size) && !(a & BAR_IO)) return true;
  }
  return false;
}

void show_verbose_header(std::string& out, const device_ctx& d) {
  const config_view& c = d.cfg;
  show_terse(out, d);
  unsigned htype = d.header_type();
  uint16_t cls = d.device_class();
  uint8_t min_gnt = 0, max_lat = 0;
  if (htype == HEADER_NORMAL) {
    if (cls == 0x0604) put(out, "\t!!! Invalid class {:04x} for header type {:02x}\n", cls, htype);
    max_lat = c.u8(0x3f);
    min_gnt = c.u8(0x3e);
  } else if (htype == HEADER_BRIDGE || htype == HEADER_CARDBUS) {
    if ((cls >> 8) != 0x06) put(out, "\t!!! Invalid class {:04x} for header type {:02x}\n", cls, htype);
  } else {
    put(out, "\t!!! Unknown header type {:02x}\n", htype);
    return;
  }
  uint16_t cmd = c.u16(CFG_COMMAND), status = c.u16(CFG_STATUS);
  uint8_t latency = c.u8(0x0d);
  if (d.opt.verbose > 1) {
    put(out, "\tControl: I/O{} Mem{} BusMaster{} SpecCycle{} MemWINV{} VGASnoop{} ParErr{} "
        "Stepping{} SERR{} FastB2B{} DisINTx{}\n",
        flag(cmd, CMD_IO), flag(cmd, CMD_MEMORY), flag(cmd, CMD_MASTER), flag(cmd, CMD_SPECIAL),
        flag(cmd, CMD_INVALIDATE), flag(cmd, CMD_VGA_PALETTE), flag(cmd, CMD_PARITY),
        flag(cmd, CMD_WAIT), flag(cmd, CMD_SERR), flag(cmd, CMD_FAST_BACK), flag(cmd, CMD_INTX_DIS));
    show_status(out, status);
    if (cmd & CMD_MASTER) {
      put(out, "\tLatency: {}", latency);
      if (min_gnt || max_lat) {
        out += " (";
        if (min_gnt) put(out, "{}ns min", min_gnt * 250);
        if (min_gnt && max_lat) out += ", ";
        if (max_lat) put(out, "{}ns max", max_lat * 250);
        out += ')';
      }
      if (uint8_t cache_line = c.u8(0x0c)) put(out, ", Cache Line Size: {} bytes", cache_line * 4);
      out += '\n';
    }
    uint8_t pin = c.u8(CFG_INT_PIN);
    if (pin || d.dev.irq)
      put(out, "\tInterrupt: pin {} routed to IRQ {}\n", pin ? static_cast<char>('A' + pin - 1) : '?',
          d.dev.irq);
    if (!d.dev.iommu_group.empty()) put(out, "\tIOMMU group: {}\n", d.dev.iommu_group);
  } else {
    out += "\tFlags: ";
    if (cmd & CMD_MASTER) out += "bus master, ";
    if (cmd & CMD_VGA_PALETTE) out += "VGA palette snoop, ";
    if (cmd & CMD_WAIT) out += "stepping, ";
    if (cmd & CMD_FAST_BACK) out += "fast Back2Back, ";
    if (status & ST_66MHZ) out += "66MHz, ";
    if (status & ST_UDF) out += "user-definable features, ";
    put(out, "{} devsel", devsel(status));
    if (cmd & CMD_MASTER) put(out, ", latency {}", latency);
    if (d.dev.irq) put(out, ", IRQ {}", d.dev.irq);
    if (!d.dev.iommu_group.empty()) put(out, ", IOMMU group {}", d.dev.iommu_group);
    out += '\n';
  }
  uint8_t bist = c.u8(0x0f);
  if (bist & 0x80) {
    if (bist & 0x40) out += "\tBIST is running\n";
    else put(out, "\tBIST result: {:02x}\n", bist & 0x0f);
  }
  if (htype == HEADER_NORMAL) {
    show_bases(out, d, 6);
    show_rom(out, d, 0x30);
    show_caps(out, d, CFG_CAP_PTR);
  } else if (htype == HEADER_BRIDGE) {
    show_htype1(out, d);
  } else {
    show_htype2(out, d);
  }
}

}  // namespace iovsim::host::lspci_impl
