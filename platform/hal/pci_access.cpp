#include "platform/hal/pci_access.h"

#include "models/pcie/pci_regs.h"

namespace iovsim::hal {

using namespace iovsim::pcie;

resource read_bar(platform::host_bus& bus, unsigned busnr, unsigned devfn, unsigned reg, bool& used_two) {
  resource r;
  used_two = false;
  const uint32_t orig = bus.cfg_read(busnr, devfn, reg, 4);
  bus.cfg_write(busnr, devfn, reg, 4, 0xffffffff);
  const uint32_t probe = bus.cfg_read(busnr, devfn, reg, 4);
  bus.cfg_write(busnr, devfn, reg, 4, orig);
  if (probe == 0 || probe == 0xffffffff) return r;  // not implemented
  if (orig & BAR_IO) {
    r.io = true;
    r.size = (~(probe & ~0x3u) + 1) & 0xffff;
    r.start = orig & ~0x3u;
    r.assigned = r.start != 0;
    return r;
  }
  r.prefetchable = orig & BAR_PREFETCH;
  uint64_t mask = probe & ~0xfull;
  uint64_t start = orig & ~0xfull;
  if ((orig & 0x6) == BAR_MEM_64) {
    used_two = true;
    r.is_64bit = true;
    const uint32_t orig_hi = bus.cfg_read(busnr, devfn, reg + 4, 4);
    bus.cfg_write(busnr, devfn, reg + 4, 4, 0xffffffff);
    const uint32_t probe_hi = bus.cfg_read(busnr, devfn, reg + 4, 4);
    bus.cfg_write(busnr, devfn, reg + 4, 4, orig_hi);
    mask |= static_cast<uint64_t>(probe_hi) << 32;
    start |= static_cast<uint64_t>(orig_hi) << 32;
  } else {
    mask |= 0xffffffff00000000ull;
  }
  r.size = ~mask + 1;
  r.start = start;
  r.assigned = start != 0;
  return r;
}

void write_bar(platform::host_bus& bus, unsigned busnr, unsigned devfn, unsigned reg, const resource& r) {
  const uint32_t type = bus.cfg_read(busnr, devfn, reg, 4) & 0xf;
  bus.cfg_write(busnr, devfn, reg, 4, static_cast<uint32_t>(r.start & ~0xfull) | type);
  if (r.is_64bit) bus.cfg_write(busnr, devfn, reg + 4, 4, static_cast<uint32_t>(r.start >> 32));
}

uint32_t find_capability(platform::host_bus& bus, unsigned busnr, unsigned devfn, uint8_t id) {
  if (!(bus.cfg_read(busnr, devfn, CFG_STATUS, 2) & STATUS_CAP_LIST)) return 0;
  uint32_t at = bus.cfg_read(busnr, devfn, CFG_CAP_PTR, 1) & ~3u;
  for (int ttl = 48; at >= 0x40 && ttl > 0; --ttl) {
    const uint32_t hdr = bus.cfg_read(busnr, devfn, at, 2);
    if ((hdr & 0xff) == id) return at;
    at = (hdr >> 8) & ~3u;
  }
  return 0;
}

uint32_t find_ext_capability(platform::host_bus& bus, unsigned busnr, unsigned devfn, uint16_t id) {
  uint32_t at = EXT_CAP_START;
  for (int ttl = 480; at >= EXT_CAP_START && ttl > 0; --ttl) {
    const uint32_t hdr = bus.cfg_read(busnr, devfn, at, 4);
    if (hdr == 0 || hdr == 0xffffffff) return 0;
    if ((hdr & 0xffff) == id) return at;
    at = (hdr >> 20) & ~3u;
  }
  return 0;
}

void write_bridge_windows(platform::host_bus& bus, unsigned busnr, unsigned devfn, uint64_t mem_base,
                          uint64_t mem_size, uint64_t pref_base, uint64_t pref_size) {
  // Base/limit registers hold address bits [31:20]; a base above the limit closes a window.
  if (mem_size) {
    bus.cfg_write(busnr, devfn, CFG_MEM_BASE, 2, static_cast<uint32_t>(mem_base >> 16) & 0xfff0);
    bus.cfg_write(busnr, devfn, CFG_MEM_LIMIT, 2, static_cast<uint32_t>((mem_base + mem_size - 1) >> 16) & 0xfff0);
  } else {
    bus.cfg_write(busnr, devfn, CFG_MEM_BASE, 2, 0xfff0);
    bus.cfg_write(busnr, devfn, CFG_MEM_LIMIT, 2, 0);
  }
  if (pref_size) {
    const uint64_t limit = pref_base + pref_size - 1;
    bus.cfg_write(busnr, devfn, CFG_PREF_BASE, 2, static_cast<uint32_t>(pref_base >> 16) & 0xfff0);
    bus.cfg_write(busnr, devfn, CFG_PREF_LIMIT, 2, static_cast<uint32_t>(limit >> 16) & 0xfff0);
    bus.cfg_write(busnr, devfn, CFG_PREF_BASE_UPPER, 4, static_cast<uint32_t>(pref_base >> 32));
    bus.cfg_write(busnr, devfn, CFG_PREF_LIMIT_UPPER, 4, static_cast<uint32_t>(limit >> 32));
  } else {
    bus.cfg_write(busnr, devfn, CFG_PREF_BASE, 2, 0xfff0);
    bus.cfg_write(busnr, devfn, CFG_PREF_LIMIT, 2, 0);
    bus.cfg_write(busnr, devfn, CFG_PREF_BASE_UPPER, 4, 0);
    bus.cfg_write(busnr, devfn, CFG_PREF_LIMIT_UPPER, 4, 0);
  }
}

}  // namespace iovsim::hal
