// What host software needs of the machine it runs on, physical or virtual: its CPU's
// view of the hardware (configuration, MMIO and memory accesses), the platform
// description its firmware and kernel read (command line, files, firmware options),
// the device profiles that name its parts, how much memory it has, where its
// message-signalled interrupts arrive and how it is reset. platform::machine is the
// physical board; a guest's virtual platform (drivers-sim/virt/guest.h) is another,
// so the same kernel, drivers and shell run on both (DESIGN.md 7a).
#pragma once

#include <cstdint>
#include <functional>
#include <systemc>

#include "platform/hal/host_bus.h"
#include "profile.pb.h"
#include "scenario.pb.h"

namespace iovsim::platform {

class machine;

class board {
 public:
  virtual ~board() = default;
  virtual host_bus& bus() = 0;
  virtual const pb::Platform& spec() const = 0;
  virtual const pb::ProfileLibrary& profiles() const = 0;
  // Bytes of RAM from physical address 0.
  virtual uint64_t memory_bytes() const = 0;
  // Message-signalled interrupts for the software: (address, data) of each message.
  virtual void set_msi_handler(std::function<void(uint64_t addr, uint32_t data)> fn) = 0;
  // Platform reset (a reboot): every function back to its reset state.
  virtual void reset_hardware() = 0;
  // CPU time a virtual platform adds to every interrupt the software takes (the EOI
  // exit of a guest without APIC virtualisation); zero on a physical machine.
  virtual sc_core::sc_time interrupt_overhead() const { return sc_core::SC_ZERO_TIME; }
  // The physical machine, or nullptr for a virtual platform (a guest has no IOMMU,
  // DMA engines or DRAM observers of its own).
  virtual machine* physical() { return nullptr; }
};

}  // namespace iovsim::platform
