// The hypervisor (KVM and a QEMU-like VMM, collapsed): virtual machines whose memory
// is a range of host memory, with functions assigned through VFIO and, once started,
// a guest kernel of their own on a virtual platform (guest.h).
//
// Memory: a guest owns [hpa, hpa + bytes) of host memory, backed by pages of the size
// asked for (4 KiB, 2 MiB or 1 GiB hugetlbfs pages), pinned when a function is
// assigned. VFIO maps all of it GPA -> HPA in the function's IOMMU domain once, with
// IOMMU pages no larger than the backing's; anything else the function touches
// faults. Without an IOMMU, bus addresses are host-physical and nothing stops a guest
// from writing where it likes. Every DMA write is checked against memory ownership,
// so a breach is reported rather than silent (DESIGN.md section 9).
//
// Assignment: the function must be bound to vfio-pci (libvirt's managed detach does it
// when it is not: driver_override, unbind, bind) and its IOMMU group viable and not
// used by another VM (vfio.h). The DMA test engine (iovsim_dma) keeps its host driver
// for `vm dma`, standing in for a guest driver in the isolation scenarios.
//
// A demand-paged VM (`vm create ... --demand`) has none of its memory mapped when its
// function is assigned: the function gets an empty IOPF-capable domain with ATS and
// PRI on (as an iommufd HWPT with a fault object), and every page it touches first
// arrives as a PRI page request, which resolve_page_request() serves: the page must be
// inside guest memory (a write also needs a writable VM), then it is pinned and mapped
// GPA -> HPA. Functions without ATS or PRI cannot be assigned to such a VM.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <systemc>
#include <vector>

#include "drivers-sim/iommu/dma_api.h"
#include "drivers-sim/kernel/irq.h"
#include "drivers-sim/kernel/page_alloc.h"
#include "drivers-sim/userland/shell/shell.h"
#include "drivers-sim/virt/guest.h"
#include "drivers-sim/virt/vfio.h"
#include "models/kit/stats.h"
#include "platform/platform.h"

namespace iovsim::host {

// "2G", "512M", "4K": a size as `vm create` takes it.
std::string size_text(uint64_t bytes);

// What the hypervisor needs of the software inside a guest (host_system is one).
class guest_kernel {
 public:
  virtual ~guest_kernel() = default;
  virtual void boot() = 0;
  virtual cmd_result run(const std::string& line) = 0;
  virtual irq_core& irq() = 0;
};
// Builds a guest's software on its virtual platform; `prefix` names its statistics.
using guest_factory = std::function<std::unique_ptr<guest_kernel>(platform::board& hw, const std::string& prefix)>;

struct vm_options {
  uint64_t bytes = 0;
  unsigned vcpus = 1;
  uint64_t page_bytes = iommu::PAGE_4K;  // backing: 4K, 2M (hugetlbfs), 1G
  bool demand = false;                   // --demand: pages mapped on page requests only
  bool read_only = false;                // --readonly: the device may read guest memory, not write it
  bool posted = false;                   // --posted-interrupts
  std::string cmdline = "console=ttyS0 root=/dev/vda1";
};

struct guest_vm {
  std::string name;
  vm_options opt;
  uint64_t hpa = 0;        // host-physical base of guest memory (guest-physical 0)
  uint64_t bytes = 0;
  pci_dev* dev = nullptr;                   // the first assigned function, if any
  std::vector<guest_function> functions;    // every assigned function and its guest slot
  std::vector<vfio_core::device*> handles;  // their VFIO devices (null for iovsim_dma)
  bool iommu_mapped = false;
  bool demand = false;
  bool dma_read_only = false;
  uint64_t pages_faulted = 0;   // pages mapped on page requests
  uint64_t requests_refused = 0;
  // Running: the virtual platform and the guest's software.
  std::unique_ptr<guest_board> board;
  std::unique_ptr<guest_kernel> os;
  sc_core::sc_time started;
  // Its statistics while it runs (results.json: guest.NAME.vm.*).
  std::unique_ptr<kit::stat_group> stats;
  std::vector<std::unique_ptr<kit::formula>> formulas;
};

class vm_manager {
 public:
  vm_manager(platform::machine& machine, page_allocator& pages, dma_api& dma, vfio_core& vfio, irq_core& irq,
             kernel_log& log, std::string prefix = "");
  ~vm_manager();

  // Guest memory comes in 2 MiB pieces at least, as hugetlbfs backs it.
  static constexpr uint64_t GUEST_ALIGN = 2ull << 20;

  void set_guest_factory(guest_factory f) { m_factory = std::move(f); }
  void set_iommu(intel_iommu* iommu) { m_iommu = iommu; }

  // A VM of `bytes` of guest memory (a multiple of GUEST_ALIGN), taken from host
  // memory. 0, -EEXIST, -ENOMEM (the host has not that much free: `why`), -EINVAL.
  int create(const std::string& name, const vm_options& opt, std::string& why);
  int create(const std::string& name, uint64_t bytes, bool demand, bool read_only);
  guest_vm* find(const std::string& name);
  const std::map<std::string, guest_vm>& vms() const { return m_vms; }
  // VFIO assignment (see above). 0, or -errno with the reason in `why` ("" when a
  // demand-paged VM's function has no DMA remapping).
  int assign(guest_vm& vm, pci_dev& dev, std::string& why);
  // Boots the guest's kernel on its virtual platform (call from an SC_THREAD: it waits
  // the boot's time). 0, -EBUSY (running), -ENODEV (no guest software).
  int start(guest_vm& vm);
  // Powers the guest off: its kernel goes, its functions stay bound to vfio-pci.
  int stop(guest_vm& vm);
  // A running guest's software (nullptr when stopped).
  guest_kernel* guest(const std::string& name);

  // A posted-interrupt notification for one of the guests (host_system's MSI path).
  bool handle_msi(uint64_t addr, uint32_t data);

  // The page-request resolver (iopf_service::resolver): maps the requested page for
  // the demand-paged VM that owns the requester. 0 (mapped now or before), -ENODEV
  // (no demand-paged VM owns it), -EFAULT (outside guest memory), -EACCES (a write to
  // a read-only VM); CPU time charged goes to `cpu`, the reason to `why`.
  int resolve_page_request(const iommu::page_request& request, sc_core::sc_time& cpu, std::string& why);

  // The PCI core removed a function: a VM that had it has no device any more.
  void device_removed(const pci_dev& dev);
  // What the memory observer saw: writes into memory another owner holds.
  const std::vector<std::string>& violations() const { return m_violations; }
  // The DRAM write observer (registered once by the host, which outlives reboots).
  void observe(uint64_t addr, unsigned len, uint16_t requester);
  const virt_costs& costs() const { return m_costs; }

 private:
  platform::machine& m_machine;
  page_allocator& m_pages;
  dma_api& m_dma;
  vfio_core& m_vfio;
  irq_core& m_irq;
  kernel_log& m_log;
  std::string m_prefix;
  intel_iommu* m_iommu = nullptr;
  guest_factory m_factory;
  virt_costs m_costs;
  std::map<std::string, guest_vm> m_vms;
  std::map<uint16_t, std::string> m_requester_owner;
  std::vector<std::string> m_violations;
};

}  // namespace iovsim::host
