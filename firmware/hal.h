// What firmware may use of the machine it runs on (DESIGN.md section 1): the
// configuration, MMIO and memory accesses of platform::host_bus, and a log line
// (`[time] who: message` in log.txt). Plain C++: firmware is unit-tested against a
// fake of this interface, without SystemC. The NIC's embedded code (mailbox service,
// switch-table manager) will add DMA, interrupts and a clock when it lands.
#pragma once

#include <string>

#include "platform/hal/host_bus.h"

namespace iovsim::fw {

class hal {
 public:
  virtual ~hal() = default;
  virtual platform::host_bus& bus() = 0;
  virtual void log(const std::string& who, const std::string& message) = 0;
};

}  // namespace iovsim::fw
