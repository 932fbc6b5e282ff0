// The simulator's own verbs: commands no real Linux has, kept apart from the real
// tools so a reader knows which is which. `run` / `sleep` advance simulated time,
// `reboot` resets the platform and boots again, `inject` makes the host software
// commit the bugs an IOMMU catches, `iommu stats|config|groups` shows and reshapes
// the remapping unit, `vm` gives guests functions, `dmatest` streams DMA through the
// test device. They may reach anything of the host, through sim_host.
#pragma once

#include <string>

#include "drivers-sim/iommu/dmar.h"
#include "drivers-sim/misc/dmatest.h"
#include "drivers-sim/net/netdev.h"
#include "drivers-sim/net/pktgen.h"
#include "drivers-sim/pci/pci.h"
#include "drivers-sim/pci/pci_driver.h"
#include "drivers-sim/userland/shell/shell.h"
#include "drivers-sim/virt/vm.h"
#include "platform/platform.h"

namespace iovsim::host {

class fault_injector;

// What the verbs reach. The kernel objects are new after every reboot: ask each time.
class sim_host {
 public:
  virtual ~sim_host() = default;
  virtual platform::machine& machine() = 0;
  virtual const kernel_params& params() const = 0;
  virtual pci_core& pci() = 0;
  virtual pci_bus_type& pci_bus() = 0;
  virtual intel_iommu& iommu_driver() = 0;
  virtual dmatest_driver& dmatest() = 0;
  virtual vm_manager& vms() = 0;
  virtual fault_injector& injector() = 0;
  virtual net_core& net() = 0;
  virtual pktgen& packet_generator() = 0;
  // Platform reset and a new boot with this kernel command line.
  virtual void reboot(const std::string& cmdline) = 0;
};

void register_sim_verbs(shell& sh, sim_host& host);

// The verbs' implementations (one file each).
cmd_result dmatest_verb(sim_host& host, const std::vector<std::string>& argv);
cmd_result vm_verb(sim_host& host, const std::vector<std::string>& argv);
cmd_result iommu_verb(sim_host& host, const std::vector<std::string>& argv);
cmd_result pktgen_verb(sim_host& host, const std::vector<std::string>& argv);

}  // namespace iovsim::host
