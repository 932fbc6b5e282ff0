// The machine the register-level targets (fuzz_config, fuzz_mmio) drive as a driver
// would, and the helpers they share: a byte reader, the functions the BIOS found,
// their BARs, and the machine's invariants.
//
// The machine: a dual-port X540 (SR-IOV, ARI) behind root port 00:01.0; a switch
// behind 00:02.0 with a quad-port I350 (SR-IOV) on its first downstream port and the
// DMA test engine with ATS and PRI on its second; the plain DMA test engine behind
// 00:03.1; an empty root port 00:03.0; 256 MiB of DRAM. The BIOS (firmware/bios.cpp)
// numbers the buses and assigns the BARs before the input's operations start.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "models/testdev/dma_device.h"
#include "platform/platform.h"

namespace iovsim::fuzz {

// Reads the input front to back; past its end every read gives 0.
class byte_reader {
 public:
  byte_reader(const uint8_t* data, size_t size) : m_data(data), m_size(size) {}
  bool empty() const { return m_pos >= m_size; }
  uint8_t u8() { return m_pos < m_size ? m_data[m_pos++] : 0; }
  uint16_t u16() { return static_cast<uint16_t>(u8() | u8() << 8); }
  uint32_t u32() { return u16() | static_cast<uint32_t>(u16()) << 16; }
  uint64_t u64() { return u32() | static_cast<uint64_t>(u32()) << 32; }

 private:
  const uint8_t* m_data;
  size_t m_size;
  size_t m_pos = 0;
};

// A function the host can address: bus and devfn as the BIOS left them.
struct function_ref {
  unsigned bus = 0, devfn = 0;
  pcie::pci_function* model = nullptr;
  pcie::physical_function* pf = nullptr;  // for an SR-IOV capable PF
};

// A memory range the CPU can reach with MMIO.
struct mmio_region {
  std::string name;
  uint64_t base = 0, size = 0;
};

class fuzz_machine {
 public:
  // Builds the machine in a fresh SystemC context (the caller owns the sim_env):
  // the one described above, or `platform_text` (a pb::Platform in text form; the
  // functions it has are found the same way, switches below its second root port).
  explicit fuzz_machine(const char* platform_text = nullptr);

  platform::machine& hw() { return m_machine; }
  platform::host_bus& bus() { return m_machine.cpu(); }

  // In the SC_THREAD: the BIOS, then Memory Space and Bus Master enabled on every
  // function it found (what the kernel's pci_enable_device and pci_set_master do).
  void bring_up();

  // The functions present now (root ports, switch ports, PFs, VFs), in a stable order.
  std::vector<function_ref> functions();
  // Every MMIO range that decodes now: the VT-d registers, PF BARs, VF BARs.
  std::vector<mmio_region> regions();
  // Enables (num_vfs > 0) or disables SR-IOV on a PF through its capability, the way
  // drivers/pci/iov.c sriov_enable() does: NumVFs, then VF Enable and VF MSE.
  void set_vfs(const function_ref& pf, unsigned num_vfs, bool ari);

  // The invariants a driver cannot break, whatever it wrote: the host bridge and root
  // ports answer with their IDs, absent functions read all ones, a PF has exactly the
  // VFs its SR-IOV control asks for, capability chains are unchanged. fuzz_fail()s.
  void check();

  // DRAM the input may plant tables and descriptors in.
  static constexpr uint64_t SCRATCH_BASE = 0x1000000, SCRATCH_BYTES = 64 * 4096;
  static constexpr uint64_t MEMORY_BYTES = 256ull << 20;

 private:
  struct chain {
    std::vector<uint32_t> caps;
  };
  chain chain_of(pcie::pci_function& fn) const;

  platform::machine m_machine;
  std::vector<pcie::pci_function*> m_bus0;  // host bridge and root ports
  std::vector<std::pair<pcie::pci_function*, chain>> m_chains;
};

// A width from a selector byte: 1, 2 or 4 (config) / 1, 2, 4 or 8 (MMIO).
inline unsigned cfg_width(uint8_t sel) { return 1u << (sel % 3); }
inline unsigned mmio_width(uint8_t sel) { return 1u << (sel % 4); }
inline uint64_t width_mask(unsigned len) { return len >= 8 ? ~0ull : (1ull << (8 * len)) - 1; }

// One input of a register-level target: a fresh SystemC context, a machine brought
// up by the BIOS, `run` decoding the input against it on a host thread, then the
// checks every run gets (fuzz_common.h after_run()). Returns 0 for libFuzzer.
int run_on_machine(const uint8_t* data, size_t size, void (*run)(fuzz_machine& m, byte_reader& in));

}  // namespace iovsim::fuzz
