// What software running on a machine has of its hardware: configuration and MMIO
// accesses and CPU loads and stores to DRAM. The platform implements it over TLM
// (platform::host_cpu); firmware, the kernel and tests call it. Plain C++, no
// SystemC, so firmware and unit tests can use it without a simulation kernel.
#pragma once

#include <cstdint>

namespace iovsim::platform {

// Blocking: on the simulated machine each access waits its modelled latency, so the
// platform's implementation must be called from an SC_THREAD.
class host_bus {
 public:
  virtual ~host_bus() = default;
  // Reads all ones when no function answers (Unsupported Request), like hardware.
  virtual uint32_t cfg_read(unsigned bus, unsigned devfn, unsigned reg, unsigned len) = 0;
  virtual void cfg_write(unsigned bus, unsigned devfn, unsigned reg, unsigned len, uint32_t value) = 0;
  virtual uint64_t mmio_read(uint64_t addr, unsigned len) = 0;
  virtual void mmio_write(uint64_t addr, unsigned len, uint64_t value) = 0;
  // CPU loads and stores to host DRAM (coherent, functional: callers charge CPU time).
  virtual void mem_read(uint64_t addr, void* data, unsigned len) = 0;
  virtual void mem_write(uint64_t addr, const void* data, unsigned len) = 0;
  // While set, config and MMIO accesses are an observer's (the outputs' final view of
  // every function): they take no simulated time and count in no statistic, so what
  // a run writes out does not change the run. The models still see the accesses.
  virtual void set_observer(bool on) { (void)on; }
};

}  // namespace iovsim::platform
