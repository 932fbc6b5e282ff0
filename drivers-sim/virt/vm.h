// Virtual machines as far as DMA isolation is concerned: a guest owns a range of
// host memory, a PCI function is assigned to it, and the guest's driver programs
// the device with addresses of its choosing. With the IOMMU on, the function's
// domain maps guest-physical to host-physical addresses (VFIO's job) and anything
// else faults; without it, bus addresses are host-physical and nothing stops a
// guest from writing where it likes. Every DMA write is checked against memory
// ownership, so a breach is reported rather than silent (DESIGN.md section 9).
//
// A demand-paged VM (`vm create ... --demand`) has none of its memory mapped when its
// function is assigned: the function gets an empty IOPF-capable domain with ATS and
// PRI on (as an iommufd HWPT with a fault object), and every page it touches first
// arrives as a PRI page request, which resolve_page_request() serves: the page must be
// inside guest memory (a write also needs a writable VM), then it is pinned and mapped
// GPA -> HPA. Functions without ATS or PRI cannot be assigned to such a VM.
#pragma once

#include <map>
#include <string>
#include <systemc>
#include <vector>

#include "drivers-sim/iommu/dma_api.h"
#include "drivers-sim/kernel/page_alloc.h"
#include "platform/platform.h"

namespace iovsim::host {

struct guest_vm {
  std::string name;
  uint64_t hpa = 0;        // host-physical base of guest memory (guest-physical 0)
  uint64_t bytes = 0;
  pci_dev* dev = nullptr;  // the assigned function, if any
  bool iommu_mapped = false;
  bool demand = false;          // --demand: pages mapped on page requests only
  bool dma_read_only = false;   // --readonly: the device may read guest memory, not write it
  uint64_t pages_faulted = 0;   // pages mapped on page requests
  uint64_t requests_refused = 0;
};

class vm_manager {
 public:
  vm_manager(platform::machine& machine, page_allocator& pages, dma_api& dma, kernel_log& log);

  // Guest memory comes in 2 MiB pieces, as hugetlbfs backs it.
  static constexpr uint64_t GUEST_ALIGN = 2ull << 20;

  // A VM of `bytes` of guest memory (a multiple of GUEST_ALIGN), taken from host
  // memory; demand-paged VMs map it only on page requests. 0 or -EEXIST.
  int create(const std::string& name, uint64_t bytes, bool demand, bool read_only);
  guest_vm* find(const std::string& name);
  const std::map<std::string, guest_vm>& vms() const { return m_vms; }
  // VFIO-like assignment: the function's DMA belongs to the VM, and (IOMMU on) all of
  // guest memory is mapped GPA -> HPA in its domain, or for a demand-paged VM an empty
  // IOPF-capable domain with ATS and PRI on. 0, or -errno with the reason in `why`
  // ("" when a demand-paged VM's function has no DMA remapping).
  int assign(guest_vm& vm, pci_dev& dev, std::string& why);

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
  // A reboot ends every VM: ownership tags go too.
  ~vm_manager();

 private:
  platform::machine& m_machine;
  page_allocator& m_pages;
  dma_api& m_dma;
  kernel_log& m_log;
  std::map<std::string, guest_vm> m_vms;
  std::map<uint16_t, std::string> m_requester_owner;
  std::vector<std::string> m_violations;
};

}  // namespace iovsim::host
