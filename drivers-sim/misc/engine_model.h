// The model behind a test engine's PCI function, for the built-in drivers that drive
// their engines through the model's events (dmatest, pciebench): the endpoint of type T
// that captured the function's bus, function 0. nullptr when there is none, or no
// machine (a guest: its functions are assigned, their models belong to the host).
#pragma once

#include "drivers-sim/pci/pci_dev.h"
#include "models/pcie/endpoint.h"
#include "platform/platform.h"

namespace iovsim::host {

template <class T>
T* engine_model(platform::machine* m, const pci_dev& dev) {
  if (!m || dev.fn() != 0) return nullptr;
  for (pcie::endpoint* ep : m->endpoints())
    if (auto* d = dynamic_cast<T*>(ep); d && ep->captured_bus() == dev.bus) return d;
  return nullptr;
}

}  // namespace iovsim::host
