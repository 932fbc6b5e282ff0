#include "drivers-sim/virt/vm.h"

#include <fmt/format.h>

#include <cerrno>

#include "drivers-sim/kernel/errno.h"
#include "models/kit/sim_env.h"

namespace iovsim::host {

vm_manager::vm_manager(platform::machine& machine, page_allocator& pages, dma_api& dma, kernel_log& log)
    : m_machine(machine), m_pages(pages), m_dma(dma), m_log(log) {}

vm_manager::~vm_manager() {
  if (!m_vms.empty()) m_machine.dram().set_owner(0, m_machine.dram().size_bytes(), "");
  for (const auto& [rid, owner] : m_requester_owner) m_machine.dram().assign_requester(rid, "");
}

void vm_manager::observe(uint64_t addr, unsigned len, uint16_t requester) {
  auto who = m_requester_owner.find(requester);
  if (who == m_requester_owner.end()) return;
  const std::string owner = m_machine.dram().owner_of(addr);
  if (owner == who->second) return;
  const std::string text =
      fmt::format("isolation breach: {:02x}:{:02x}.{} ({}) wrote {} bytes at 0x{:x}, memory of {}", requester >> 8,
                  (requester >> 3) & 0x1f, requester & 7, who->second, len, addr, owner.empty() ? "nobody" : owner);
  m_violations.push_back(text);
  kit::sim_env::current().log("mem", "mem.observer", text);
}

int vm_manager::create(const std::string& name, uint64_t bytes, bool demand, bool read_only) {
  if (m_vms.count(name)) return -EEXIST;
  guest_vm v;
  v.name = name;
  v.bytes = bytes;
  v.demand = demand;
  v.dma_read_only = read_only;
  v.hpa = m_pages.alloc_contiguous(bytes, GUEST_ALIGN);
  // Everything below the guest is the host's (kernel, its page pool): tag it so
  // a stray write there is seen.
  if (m_machine.dram().owner_of(0).empty()) m_machine.dram().set_owner(0, v.hpa, "host");
  m_machine.dram().set_owner(v.hpa, bytes, "vm:" + name);
  m_vms[name] = v;
  return 0;
}

void vm_manager::device_removed(const pci_dev& dev) {
  for (auto& [name, v] : m_vms) {
    if (v.dev != &dev) continue;
    const auto rid = static_cast<uint16_t>(dev.bus << 8 | dev.devfn);
    m_requester_owner.erase(rid);
    m_machine.dram().assign_requester(rid, "");
    kit::sim_env::current().log("host", "host.vm", fmt::format("{}: {} went away", name, dev.bdf()));
    v.dev = nullptr;
    v.iommu_mapped = false;
  }
}

guest_vm* vm_manager::find(const std::string& name) {
  auto it = m_vms.find(name);
  return it == m_vms.end() ? nullptr : &it->second;
}

int vm_manager::assign(guest_vm& v, pci_dev& dev, std::string& why) {
  why.clear();
  // One function per guest, one guest per function (VFIO: the group is owned once).
  if (v.dev || dev.assigned) {
    why = v.dev ? fmt::format("{} already has {}", v.name, v.dev->bdf()) : fmt::format("{} is in use", dev.bdf());
    return -EBUSY;
  }
  if (v.demand) {
    // Refused before anything changes: no ATS/PRI, no demand paging.
    if (!m_dma.translated(dev)) return -ENODEV;
    const int rc = m_dma.attach_iopf_domain(dev, why);
    if (rc) return rc;
  }
  v.dev = &dev;
  // Classic device assignment flags the function (pci_set_dev_assigned(), as
  // xen-pciback and KVM's legacy assignment did): PF drivers then refuse to remove
  // its VFs. VFIO (the guests issue) does not flag; Linux blocks the removal instead.
  dev.assigned = true;
  const uint16_t rid = static_cast<uint16_t>(dev.bus << 8 | dev.devfn);
  m_requester_owner[rid] = "vm:" + v.name;
  m_machine.dram().assign_requester(rid, "vm:" + v.name);
  if (v.demand) {
    v.iommu_mapped = true;
    return 0;
  }
  // VFIO maps all of guest memory for the device: guest-physical -> host-physical.
  v.iommu_mapped = m_dma.translated(dev) && m_dma.map_guest_memory(dev, 0, v.hpa, v.bytes) == 0;
  return 0;
}

// The demand-paged VM's side of a page request (the iommufd fault handler's job, done
// by the VMM in Linux): the page must lie in guest memory and the access be allowed;
// then pin_user_pages() + iommu_map() of one 4 KiB page, GPA -> HPA.
int vm_manager::resolve_page_request(const iommu::page_request& r, sc_core::sc_time& cpu, std::string& why) {
  guest_vm* v = nullptr;
  for (auto& [name, vm] : m_vms)
    if (vm.demand && vm.dev && static_cast<uint16_t>(vm.dev->bus << 8 | vm.dev->devfn) == r.source_id) v = &vm;
  if (!v) {
    why = "no demand-paged VM owns the requester";
    return -ENODEV;
  }
  auto refuse = [&](int err, const std::string& reason) {
    ++v->requests_refused;
    why = reason;
    return err;
  };
  if (r.iova >= v->bytes)
    return refuse(-EFAULT, fmt::format("0x{:x} is outside the guest memory of {} (0x0-0x{:x})", r.iova, v->name,
                                       v->bytes - 1));
  if (r.write && v->dma_read_only) return refuse(-EACCES, fmt::format("{} allows the device no writes", v->name));
  const uint64_t gpa = r.iova & ~(iommu::PAGE_4K - 1);
  const int rc = m_dma.map_guest_page(*v->dev, gpa, v->hpa + gpa, !v->dma_read_only, cpu);
  if (rc == -EEXIST) return 0;   // mapped by an earlier request: the function only has to translate again
  if (rc) return refuse(rc, fmt::format("mapping failed ({})", errno_name(-rc)));
  ++v->pages_faulted;
  kit::sim_env::current().log("iommu", "host.iopf", fmt::format("{} ({}): guest page 0x{:x} mapped at host 0x{:x}{}",
                                                       v->dev->short_bdf(), v->name, gpa, v->hpa + gpa,
                                                       v->dma_read_only ? ", read-only" : ""));
  return 0;
}

}  // namespace iovsim::host
