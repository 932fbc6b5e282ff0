// fuzz_config: configuration-space writes and reads from a driver that may write
// anything: any offset, width 1, 2 or 4, any value, on root ports, switch ports, PFs,
// VFs (after SR-IOV is enabled through the PF's capability) and functions that are
// not there, interleaved with time passing. The machine is fuzz_machine.h's, brought up
// by the BIOS afresh for every input.
//
// The input is a sequence of operations, each an opcode byte and its operands:
//   0 write   target, offset (2 bytes), width, value (4 bytes)
//   1 read    target, offset, width (absent functions must read all ones)
//   2 write a register of interest: target, register index, width, value
//   3 SR-IOV  target (a PF), NumVFs, flags (bit 0: ARI Capable Hierarchy)
//   4 wait    16-bit count of 100 ns
//   5 write   raw bus, devfn, offset, width, value (routing through every port)
// A target byte picks one of the functions present at that moment. After every
// operation fuzz_machine::check() holds the invariants.
#include <fmt/format.h>

#include <cstdint>

#include "models/kit/sim_env.h"
#include "models/pcie/pci_regs.h"
#include "platform/hal/pci_access.h"
#include "tests/fuzz/fuzz_common.h"
#include "tests/fuzz/fuzz_machine.h"

using namespace iovsim;
using fuzz::function_ref;

namespace {

constexpr unsigned MAX_OPS = 256;

// Offsets a driver writes on purpose: header registers, then registers inside the
// capabilities (relative to each capability, found by walking the chains).
struct reg_of_interest {
  int cap;  // 0: header; > 0: capability ID; < 0: -extended capability ID
  uint32_t offset;
};
constexpr reg_of_interest REGS[] = {
    {0, pcie::CFG_COMMAND},
    {0, pcie::CFG_STATUS},
    {0, pcie::CFG_BAR0},
    {0, pcie::CFG_BAR0 + 4},
    {0, pcie::CFG_BAR0 + 8},
    {0, pcie::CFG_BAR0 + 12},
    {0, pcie::CFG_BAR0 + 16},
    {0, pcie::CFG_BAR0 + 20},
    {0, pcie::CFG_PRIMARY_BUS},
    {0, pcie::CFG_SECONDARY_BUS},
    {0, pcie::CFG_SUBORDINATE_BUS},
    {0, pcie::CFG_MEM_BASE},
    {0, pcie::CFG_MEM_LIMIT},
    {0, pcie::CFG_PREF_BASE},
    {0, pcie::CFG_PREF_LIMIT},
    {0, pcie::CFG_PREF_BASE_UPPER},
    {0, pcie::CFG_PREF_LIMIT_UPPER},
    {0, pcie::CFG_BRIDGE_CONTROL},
    {0, pcie::CFG_INT_LINE},
    {0, 0x30},
    {pcie::CAP_ID_PM, 4},
    {pcie::CAP_ID_MSI, 2},
    {pcie::CAP_ID_MSI, 4},
    {pcie::CAP_ID_MSIX, 2},
    {pcie::CAP_ID_EXP, pcie::EXP_DEVCTL},
    {pcie::CAP_ID_EXP, pcie::EXP_DEVSTA},
    {pcie::CAP_ID_EXP, pcie::EXP_LNKCTL},
    {pcie::CAP_ID_EXP, pcie::EXP_DEVCTL2},
    {pcie::CAP_ID_EXP, pcie::EXP_LNKCTL2},
    {pcie::CAP_ID_EXP, 0x18},
    {-pcie::ECAP_ID_AER, 4},
    {-pcie::ECAP_ID_AER, 8},
    {-pcie::ECAP_ID_AER, 0x10},
    {-pcie::ECAP_ID_AER, 0x18},
    {-pcie::ECAP_ID_ARI, 6},
    {-pcie::ECAP_ID_ATS, pcie::ATS_CTRL},
    {-pcie::ECAP_ID_PRI, pcie::PRI_CTRL},
    {-pcie::ECAP_ID_PRI, pcie::PRI_STATUS},
    {-pcie::ECAP_ID_PRI, pcie::PRI_ALLOC_REQ},
    {-pcie::ECAP_ID_SRIOV, pcie::SRIOV_CTRL},
    {-pcie::ECAP_ID_SRIOV, pcie::SRIOV_STATUS},
    {-pcie::ECAP_ID_SRIOV, pcie::SRIOV_NUM_VF},
    {-pcie::ECAP_ID_SRIOV, pcie::SRIOV_SYS_PGSIZE},
    {-pcie::ECAP_ID_SRIOV, pcie::SRIOV_BAR},
    {-pcie::ECAP_ID_SRIOV, pcie::SRIOV_BAR + 4},
    {-pcie::ECAP_ID_SRIOV, pcie::SRIOV_BAR + 8},
    {-pcie::ECAP_ID_SRIOV, pcie::SRIOV_BAR + 12},
    {-pcie::ECAP_ID_SRIOV, pcie::SRIOV_BAR + 16},
    {-pcie::ECAP_ID_SRIOV, pcie::SRIOV_BAR + 20},
    {-pcie::ECAP_ID_SRIOV, pcie::SRIOV_VF_OFFSET},
    {-pcie::ECAP_ID_SRIOV, pcie::SRIOV_TOTAL_VF},
};
constexpr unsigned REG_COUNT = sizeof REGS / sizeof REGS[0];

// Values drivers and broken drivers write.
constexpr uint32_t VALUES[] = {0,          0xffffffff, 1,          2,          4,          6,
                               7,          0x10,       0x8000,     0xffff,     0x80000000, 0x90000000,
                               0xfff00000, 0x0000ffff, 0x00ff0100, 0x00020100, 0x3f,       0x40};

uint32_t reg_offset(fuzz::fuzz_machine& m, const function_ref& f, const reg_of_interest& r) {
  if (r.cap == 0) return r.offset;
  const uint32_t at = r.cap > 0 ? hal::find_capability(m.bus(), f.bus, f.devfn, static_cast<uint8_t>(r.cap))
                                : hal::find_ext_capability(m.bus(), f.bus, f.devfn, static_cast<uint16_t>(-r.cap));
  return at ? at + r.offset : r.offset;  // absent capability: somewhere in the header
}

void run(fuzz::fuzz_machine& m, fuzz::byte_reader& in) {
  m.bring_up();
  m.check();
  if (fuzz::verbose())
    for (const function_ref& f : m.functions())
      fuzz::trace(fmt::format("function {:02x}:{:02x}.{} {}", f.bus, f.devfn >> 3, f.devfn & 7, f.model->name()));
  for (unsigned n = 0; n < MAX_OPS && !in.empty(); ++n) {
    const uint8_t op = in.u8() % 6;
    const std::vector<function_ref> fns = m.functions();
    const function_ref& target = fns[in.u8() % fns.size()];
    const std::string who = fmt::format("{:02x}:{:02x}.{}", target.bus, target.devfn >> 3, target.devfn & 7);
    switch (op) {
      case 0: {
        const uint32_t offset = in.u16() & 0xfff;
        const unsigned len = fuzz::cfg_width(in.u8());
        const uint32_t value = in.u32();
        fuzz::trace(fmt::format("write {} +0x{:03x}/{} = 0x{:x}", who, offset, len, value));
        m.bus().cfg_write(target.bus, target.devfn, offset, len, value);
        break;
      }
      case 1: {
        const uint32_t offset = in.u16() & 0xfff;
        const unsigned len = fuzz::cfg_width(in.u8());
        const uint32_t v = m.bus().cfg_read(target.bus, target.devfn, offset, len);
        fuzz::trace(fmt::format("read {} +0x{:03x}/{} -> 0x{:x}", who, offset, len, v));
        if (v > fuzz::width_mask(len)) fuzz::fuzz_fail("config read wider than asked");
        break;
      }
      case 2: {
        const reg_of_interest& r = REGS[in.u8() % REG_COUNT];
        const unsigned len = fuzz::cfg_width(in.u8());
        const uint8_t sel = in.u8();
        const uint32_t value = sel < 0x80 ? VALUES[sel % (sizeof VALUES / sizeof VALUES[0])] : in.u32();
        const uint32_t at = reg_offset(m, target, r);
        fuzz::trace(fmt::format("write {} +0x{:03x}/{} = 0x{:x} (register of interest)", who, at, len, value));
        m.bus().cfg_write(target.bus, target.devfn, at, len, value);
        break;
      }
      case 3: {
        const unsigned num_vfs = in.u8();
        const bool ari = in.u8() & 1;
        fuzz::trace(
            fmt::format("sriov {} {} VFs{}{}", who, num_vfs, ari ? " ARI" : "", target.pf ? "" : " (not a PF)"));
        if (target.pf) m.set_vfs(target, num_vfs, ari);
        break;
      }
      case 4: {
        const unsigned n = in.u16();
        fuzz::trace(fmt::format("wait {}00 ns", n));
        sc_core::wait(sc_core::sc_time(100.0 * n, sc_core::SC_NS));
        break;
      }
      default: {
        const unsigned bus = in.u8(), devfn = in.u8();
        const uint32_t offset = in.u16() & 0xfff;
        const unsigned len = fuzz::cfg_width(in.u8());
        const uint32_t value = in.u32();
        fuzz::trace(fmt::format("write {:02x}:{:02x}.{} +0x{:03x}/{} = 0x{:x} (raw)", bus, devfn >> 3, devfn & 7,
                                offset, len, value));
        m.bus().cfg_write(bus, devfn, offset, len, value);
        break;
      }
    }
    m.check();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return fuzz::run_on_machine(data, size, run);
}
