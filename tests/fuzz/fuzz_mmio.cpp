// fuzz_mmio: MMIO writes and reads from a driver that may write anything, to every BAR
// of every device model of fuzz_machine.h (NIC PF and VF BARs, both DMA test engines)
// and to the VT-d register block at 0xfed90000 with its invalidation queue, fault
// recording and page request queue, interleaved with stores to DRAM (where the input
// plants root tables, descriptors and queues) and time passing. Nothing sets the
// IOMMU up first: the input does, or DMA goes untranslated, to memory or beyond it.
//
// The input is a sequence of operations, each an opcode byte and its operands:
//   0 write     region, offset (4 bytes, modulo its size), width, value (8 bytes)
//   1 read      region, offset, width
//   2 register  write a declared register of the VT-d unit or a DMA engine: register
//               index (2 bytes), width (below 0x80: the register's own), value (a
//               selector byte, value_of_interest(), or 8 bytes after one from 0x80)
//   3 read      any address (8 bytes), width: outside every region it reads all ones
//   4 store     to DRAM scratch: page, offset (2 bytes), value (as for 2)
//   5 wait      16-bit count of 10 ns
//   6 config    the DMA engines' ATS/PRI enables, SR-IOV on a NIC PF: function, choice
//   7 write     any address (8 bytes), width, value (8 bytes)
// After every operation the invariants of fuzz_machine::check() hold, and the VT-d and
// DMA engine identification registers read what they are.
#include <fmt/format.h>

#include <cstdint>

#include "models/kit/sim_env.h"
#include "models/pcie/pci_regs.h"
#include "platform/hal/pci_access.h"
#include "tests/fuzz/fuzz_common.h"
#include "tests/fuzz/fuzz_machine.h"

using namespace iovsim;
using fuzz::fuzz_machine;

namespace {

constexpr unsigned MAX_OPS = 256;

// A declared register reachable by MMIO.
struct mmio_reg {
  uint64_t address;
  unsigned width;
};

std::vector<mmio_reg> declared_registers(fuzz_machine& m) {
  std::vector<mmio_reg> out;
  for (const kit::reg_def& r : m.hw().iommu().bank().regs()) out.push_back({platform::DMAR_BASE + r.offset, r.width});
  for (pcie::endpoint* ep : m.hw().endpoints())
    if (auto* dma = dynamic_cast<pcie::dma_device*>(ep)) {
      const uint64_t bar0 = dma->pfs()[0]->bar_base(0);
      for (const kit::reg_def& r : dma->regs().regs()) out.push_back({bar0 + r.offset, r.width});
    }
  return out;
}

// A value from a selector byte: scratch pages (tables and queues, with a present or
// size bit), VT-d command bits, the end of DRAM and beyond it, small values; from 0x80
// up, the next 8 input bytes.
uint64_t value_of_interest(fuzz::byte_reader& in) {
  const uint8_t sel = in.u8();
  if (sel >= 0x80) return in.u64();
  auto page = [](unsigned n) { return fuzz_machine::SCRATCH_BASE + n * 4096ull; };
  if (sel < 0x40) return page(sel);
  if (sel < 0x60) return page(sel & 0x1f) | 1;                              // present bit, queue size 1
  if (sel < 0x68) return 0x80000000u >> (sel & 7);                          // GCMD.TE, SRTP, ..., QIE
  if (sel < 0x6c) return fuzz_machine::MEMORY_BYTES - 8 * (sel & 3);        // the last bytes of DRAM
  if (sel < 0x70) return fuzz_machine::MEMORY_BYTES + (sel & 3) * 4096ull;  // beyond DRAM
  return sel & 0xf;                                                         // START, DIR, IRQ_EN, PPR...
}

void check_identities(fuzz_machine& m) {
  auto& cpu = m.hw().cpu();
  if (cpu.mmio_read(platform::DMAR_BASE + iommu::VER_REG, 4) != iommu::VER_1_0) fuzz::fuzz_fail("VER_REG changed");
  if (cpu.mmio_read(platform::DMAR_BASE + iommu::CAP_REG, 8) != m.hw().iommu().bank().regs()[1].reset)
    fuzz::fuzz_fail("CAP_REG changed");
  for (pcie::endpoint* ep : m.hw().endpoints())
    if (auto* dma = dynamic_cast<pcie::dma_device*>(ep))
      if (dma->regs().get(pcie::dma_device::ID, 4) != pcie::dma_device::ID_VALUE) fuzz::fuzz_fail("DMA ID changed");
}

bool in_a_region(const std::vector<fuzz::mmio_region>& regions, uint64_t addr, unsigned len) {
  for (const auto& r : regions)
    if (addr - r.base < r.size || r.base - addr < len) return true;
  return false;
}

void config_op(fuzz_machine& m, fuzz::byte_reader& in) {
  const std::vector<fuzz::function_ref> fns = m.functions();
  const fuzz::function_ref& f = fns[in.u8() % fns.size()];
  const uint8_t choice = in.u8();
  auto& bus = m.bus();
  fuzz::trace(fmt::format("config {:02x}:{:02x}.{} choice 0x{:02x}", f.bus, f.devfn >> 3, f.devfn & 7, choice));
  switch (choice % 4) {
    case 0:
      if (const uint32_t ats = hal::find_ext_capability(bus, f.bus, f.devfn, pcie::ECAP_ID_ATS))
        bus.cfg_write(f.bus, f.devfn, ats + pcie::ATS_CTRL, 2,
                      (choice & 0x80 ? pcie::ATS_CTRL_ENABLE : 0) | (choice >> 2 & 3));
      break;
    case 1:
      if (const uint32_t pri = hal::find_ext_capability(bus, f.bus, f.devfn, pcie::ECAP_ID_PRI)) {
        bus.cfg_write(f.bus, f.devfn, pri + pcie::PRI_ALLOC_REQ, 4, choice >> 4);
        bus.cfg_write(f.bus, f.devfn, pri + pcie::PRI_CTRL, 2, choice >> 2 & 3);
      }
      break;
    case 2:
      if (f.pf) m.set_vfs(f, choice >> 2, choice & 0x80);
      break;
    default:
      bus.cfg_write(f.bus, f.devfn, pcie::CFG_COMMAND, 2, choice >> 2 & 7);
      break;
  }
}

void run(fuzz_machine& m, fuzz::byte_reader& in) {
  m.bring_up();
  // Every PF with SR-IOV starts with two VFs, so VF BARs decode.
  for (const fuzz::function_ref& f : m.functions())
    if (f.pf) m.set_vfs(f, 2, false);
  auto& cpu = m.hw().cpu();
  const std::vector<mmio_reg> regs = declared_registers(m);
  if (fuzz::verbose()) {
    for (const fuzz::mmio_region& r : m.regions())
      fuzz::trace(fmt::format("region {} 0x{:x} +0x{:x}", r.name, r.base, r.size));
    for (size_t i = 0; i < regs.size(); ++i)
      fuzz::trace(fmt::format("register {} 0x{:x}/{}", i, regs[i].address, regs[i].width));
  }
  for (unsigned n = 0; n < MAX_OPS && !in.empty(); ++n) {
    const std::vector<fuzz::mmio_region> regions = m.regions();
    switch (in.u8() % 8) {
      case 0: {
        const fuzz::mmio_region& r = regions[in.u8() % regions.size()];
        const uint64_t offset = in.u32() % r.size;
        const unsigned len = fuzz::mmio_width(in.u8());
        const uint64_t value = in.u64();
        fuzz::trace(fmt::format("write {}+0x{:x}/{} = 0x{:x}", r.name, offset, len, value));
        cpu.mmio_write(r.base + offset, len, value);
        break;
      }
      case 1: {
        const fuzz::mmio_region& r = regions[in.u8() % regions.size()];
        const uint64_t offset = in.u32() % r.size;
        const unsigned len = fuzz::mmio_width(in.u8());
        const uint64_t v = cpu.mmio_read(r.base + offset, len);
        fuzz::trace(fmt::format("read {}+0x{:x}/{} -> 0x{:x}", r.name, offset, len, v));
        if (v > fuzz::width_mask(len)) fuzz::fuzz_fail("MMIO read wider than asked");
        break;
      }
      case 2: {
        const mmio_reg& r = regs[in.u16() % regs.size()];
        const uint8_t w = in.u8();
        const unsigned len = w & 0x80 ? fuzz::mmio_width(w) : r.width;
        const uint64_t value = value_of_interest(in);
        fuzz::trace(fmt::format("write 0x{:x}/{} = 0x{:x} (register)", r.address, len, value));
        cpu.mmio_write(r.address, len, value);
        break;
      }
      case 3: {
        const uint64_t addr = in.u64();
        const unsigned len = fuzz::mmio_width(in.u8());
        const uint64_t v = cpu.mmio_read(addr, len);
        fuzz::trace(fmt::format("read 0x{:x}/{} -> 0x{:x}", addr, len, v));
        if (!in_a_region(regions, addr, len) && v != fuzz::width_mask(len))
          fuzz::fuzz_fail("MMIO read of unclaimed address " + std::to_string(addr) + " gave " + std::to_string(v));
        break;
      }
      case 4: {
        const uint64_t addr = fuzz_machine::SCRATCH_BASE + (in.u8() % 64) * 4096ull + (in.u16() & 0xff8);
        const uint64_t v = value_of_interest(in);
        fuzz::trace(fmt::format("store 0x{:x} = 0x{:x}", addr, v));
        cpu.mem_write(addr, &v, 8);
        break;
      }
      case 5: {
        const unsigned n = in.u16();
        fuzz::trace(fmt::format("wait {}0 ns", n));
        sc_core::wait(sc_core::sc_time(10.0 * n, sc_core::SC_NS));
        break;
      }
      case 6:
        config_op(m, in);
        break;
      default: {
        const uint64_t addr = in.u64();
        const unsigned len = fuzz::mmio_width(in.u8());
        const uint64_t value = in.u64();
        fuzz::trace(fmt::format("write 0x{:x}/{} = 0x{:x} (any address)", addr, len, value));
        cpu.mmio_write(addr, len, value);
        break;
      }
    }
    m.check();
    check_identities(m);
  }
  // Let queued invalidations, page requests and DMA finish.
  sc_core::wait(sc_core::sc_time(1, sc_core::SC_MS));
  m.check();
  check_identities(m);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return fuzz::run_on_machine(data, size, run);
}
