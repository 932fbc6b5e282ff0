// The simulator's own verbs: commands no real Linux has, kept apart from the real
// tools so a reader knows which is which. `run` / `sleep` advance simulated time,
// `reboot` resets the platform and boots again, `inject` makes the host software
// commit the bugs an IOMMU catches, `iommu stats|config|groups` shows and reshapes
// the remapping unit, `vm` gives guests functions, `dmatest` streams DMA through the
// test device, `traffic` and `capture` drive the world's generators and wire taps. They may reach anything of the host,
// through sim_host.
#pragma once

#include <string>

#include "drivers-sim/iommu/dmar.h"
#include "drivers-sim/kernel/irq.h"
#include "drivers-sim/kernel/page_alloc.h"
#include "drivers-sim/misc/dmatest.h"
#include "drivers-sim/misc/pciebench.h"
#include "drivers-sim/net/netdev.h"
#include "drivers-sim/net/pktgen.h"
#include "drivers-sim/pci/pci.h"
#include "drivers-sim/pci/pci_driver.h"
#include "drivers-sim/userland/shell/shell.h"
#include "drivers-sim/virt/vfio.h"
#include "drivers-sim/virt/vm.h"
#include "models/wire/traffic.h"
#include "platform/platform.h"

namespace iovsim::host {

class fault_injector;

// The world outside the machine (DESIGN.md 7a): the wires between NIC ports and the
// traffic generators and sinks on wire ends, which the `traffic` and `capture` verbs
// drive from any machine's shell, as a tester's controller would. The scenario
// engine provides it.
class world_access {
 public:
  virtual ~world_access() = default;
  // The generators by name, sorted; one of them (nullptr: no such generator).
  virtual std::vector<std::string> traffic_names() const = 0;
  virtual wire::traffic_port* traffic_port(const std::string& name) = 0;
  // What generator `name` sends unless told otherwise: its own MAC and addresses, the
  // MAC of the port at the other end of its wire, 64-byte frames at line rate.
  virtual wire::traffic_spec default_spec(const std::string& name) = 0;
  // Captures at a wire end ("a:nic0:1", "a:nic0" for port 0, "traffic:gen0") into
  // `file` in the run's output folder. Both return "" or what went wrong.
  virtual std::string start_capture(const std::string& end, const std::string& file, uint32_t snaplen) = 0;
  // `frames` and `path`: what the capture wrote.
  virtual std::string stop_capture(const std::string& end, uint64_t& frames, std::string& path) = 0;
  // Writes `text` as `file` (a plain name ending in .csv) in the run's output folder,
  // replacing what an earlier step wrote there; "" or what went wrong.
  virtual std::string write_output(const std::string& file, const std::string& text) = 0;
};

// What the verbs reach. The kernel objects are new after every reboot: ask each time.
class sim_host {
 public:
  virtual ~sim_host() = default;
  // The platform the software runs on: a physical machine or a guest's.
  virtual platform::board& board() = 0;
  virtual const kernel_params& params() const = 0;
  virtual pci_core& pci() = 0;
  virtual pci_bus_type& pci_bus() = 0;
  virtual intel_iommu& iommu_driver() = 0;
  virtual dmatest_driver& dmatest() = 0;
  virtual pciebench_driver& pciebench() = 0;
  // The hypervisor (nullptr inside a guest: no nested virtualisation).
  virtual vm_manager* vms() = 0;
  virtual vfio_core& vfio() = 0;
  // The kernel's page allocator (what hugetlbfs pages and DMA buffers come from).
  virtual page_allocator& pages() = 0;
  // modprobe NAME (no parameters): 0 or -errno.
  virtual int load_module(const std::string& name) = 0;
  virtual fault_injector& injector() = 0;
  virtual net_core& net() = 0;
  virtual irq_core& irq() = 0;
  virtual pktgen& packet_generator() = 0;
  // Platform reset and a new boot with this kernel command line.
  virtual void reboot(const std::string& cmdline) = 0;
  // The world's wires and traffic ports (nullptr: the machine is alone).
  virtual world_access* world() { return nullptr; }
};

void register_sim_verbs(shell& sh, sim_host& host);

// The verbs' implementations (one file each).
cmd_result dmatest_verb(sim_host& host, const std::vector<std::string>& argv);
cmd_result pciebench_verb(sim_host& host, const std::vector<std::string>& argv);
cmd_result vm_verb(sim_host& host, const std::vector<std::string>& argv);
cmd_result iommu_verb(sim_host& host, const std::vector<std::string>& argv);
cmd_result pktgen_verb(sim_host& host, const std::vector<std::string>& argv);
cmd_result cpu_verb(sim_host& host, const std::vector<std::string>& argv);
cmd_result traffic_verb(sim_host& host, const std::vector<std::string>& argv);
cmd_result capture_verb(sim_host& host, const std::vector<std::string>& argv);

}  // namespace iovsim::host
