#include "drivers-sim/virt/vm.h"

#include <fmt/format.h>

#include <cerrno>

#include "drivers-sim/kernel/errno.h"
#include "models/kit/sim_env.h"

namespace iovsim::host {

namespace {
uint16_t rid_of(const pci_dev& d) { return static_cast<uint16_t>(d.bus << 8 | d.devfn); }
// Guest slots of assigned functions: QEMU's `-device vfio-pci,addr=0x4` and on.
constexpr unsigned FIRST_GUEST_SLOT = 4;
}  // namespace

std::string size_text(uint64_t bytes) {
  const char* units[] = {"", "K", "M", "G", "T"};
  unsigned u = 0;
  while (u < 4 && bytes >= 1024 && bytes % 1024 == 0) {
    bytes /= 1024;
    ++u;
  }
  return fmt::format("{}{}", bytes, units[u]);
}

vm_manager::vm_manager(platform::machine& machine, page_allocator& pages, dma_api& dma, vfio_core& vfio, irq_core& irq,
                       kernel_log& log, std::string prefix)
    : m_machine(machine),
      m_pages(pages),
      m_dma(dma),
      m_vfio(vfio),
      m_irq(irq),
      m_log(log),
      m_prefix(std::move(prefix)) {}

vm_manager::~vm_manager() {
  for (auto& [name, v] : m_vms) {
    v.os.reset();  // the guest's software before its platform
    v.board.reset();
  }
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
  vm_options o;
  o.bytes = bytes;
  o.demand = demand;
  o.read_only = read_only;
  std::string why;
  return create(name, o, why);
}

int vm_manager::create(const std::string& name, const vm_options& opt, std::string& why) {
  if (m_vms.count(name)) {
    why = fmt::format("{} exists", name);
    return -EEXIST;
  }
  const uint64_t align = std::max<uint64_t>(opt.page_bytes, GUEST_ALIGN);
  if (opt.bytes == 0 || opt.bytes % align) {
    why = fmt::format("--mem must be a multiple of the {} page size", size_text(align));
    return -EINVAL;
  }
  const uint64_t host_bytes = m_pages.end() - m_pages.base();
  if (opt.bytes > host_bytes) {
    why = fmt::format("{} of guest memory is more than the host's {} of RAM for guests", size_text(opt.bytes),
                      size_text(host_bytes));
    return -ENOMEM;
  }
  const uint64_t hpa = m_pages.alloc_contiguous(opt.bytes, align);
  if (!hpa) {
    why = fmt::format("cannot allocate {} of {} pages: not enough free host memory", size_text(opt.bytes),
                      size_text(opt.page_bytes));
    return -ENOMEM;
  }
  guest_vm v;
  v.name = name;
  v.opt = opt;
  v.bytes = opt.bytes;
  v.demand = opt.demand;
  v.dma_read_only = opt.read_only;
  v.hpa = hpa;
  // Everything below the guest is the host's (kernel, its page pool): tag it so
  // a stray write there is seen.
  if (m_machine.dram().owner_of(0).empty()) m_machine.dram().set_owner(0, v.hpa, "host");
  m_machine.dram().set_owner(v.hpa, opt.bytes, "vm:" + name);
  m_vms.emplace(name, std::move(v));
  return 0;
}

void vm_manager::device_removed(const pci_dev& dev) {
  for (auto& [name, v] : m_vms) {
    for (size_t i = 0; i < v.functions.size(); ++i) {
      if (v.functions[i].host != &dev) continue;
      const auto rid = rid_of(dev);
      m_requester_owner.erase(rid);
      m_machine.dram().assign_requester(rid, "");
      kit::sim_env::current().log("host", "host.vm", fmt::format("{}: {} went away", name, dev.bdf()));
      v.functions.erase(v.functions.begin() + static_cast<long>(i));
      v.handles.erase(v.handles.begin() + static_cast<long>(i));
      break;
    }
    if (v.dev == &dev) {
      v.dev = v.functions.empty() ? nullptr : v.functions.front().host;
      if (!v.dev) v.iommu_mapped = false;
    }
  }
}

guest_vm* vm_manager::find(const std::string& name) {
  auto it = m_vms.find(name);
  return it == m_vms.end() ? nullptr : &it->second;
}

guest_kernel* vm_manager::guest(const std::string& name) {
  guest_vm* v = find(name);
  return v ? v->os.get() : nullptr;
}

int vm_manager::assign(guest_vm& v, pci_dev& dev, std::string& why) {
  why.clear();
  if (v.os) {
    why = fmt::format("{} is running: stop it first (hotplug is not modelled)", v.name);
    return -EBUSY;
  }
  for (const auto& [name, other] : m_vms)
    for (const guest_function& f : other.functions)
      if (f.host == &dev) {
        why = fmt::format("{} is already assigned to {}", dev.bdf(), name);
        return -EBUSY;
      }
  const bool dma_test = dev.driver == "iovsim_dma";
  // The DMA test engine and demand paging keep one function per guest (the first
  // isolation scenarios' model of a guest).
  if ((dma_test || v.demand) && v.dev) {
    why = fmt::format("{} already has {}", v.name, v.dev->bdf());
    return -EBUSY;
  }
  if (dev.assigned) {
    why = fmt::format("{} is in use", dev.bdf());
    return -EBUSY;
  }
  if (v.demand) {
    // Refused before anything changes: no ATS/PRI, no demand paging.
    if (!m_dma.translated(dev)) return -ENODEV;
    const int rc = m_dma.attach_iopf_domain(dev, why);
    if (rc) return rc;
  }
  vfio_core::device* handle = nullptr;
  if (!dma_test && !v.demand) {
    if (dev.is_virtfn == false && dev.num_vfs) {
      why = fmt::format("{} has {} VFs enabled: vfio-pci cannot take a PF with SR-IOV enabled", dev.bdf(), dev.num_vfs);
      return -EBUSY;
    }
    const int rc = m_vfio.open(dev, "vm:" + v.name, handle, why);
    if (rc) return rc;
  }
  v.functions.push_back({&dev, (FIRST_GUEST_SLOT + static_cast<unsigned>(v.functions.size())) << 3});
  v.handles.push_back(handle);
  if (!v.dev) v.dev = &dev;
  // The DMA test engine is flagged as classic device assignment flags a function
  // (pci_set_dev_assigned(), as xen-pciback and KVM's legacy assignment did): PF
  // drivers then refuse to remove its VFs. VFIO does not flag; Linux blocks the
  // removal through the bound vfio-pci instead.
  dev.assigned = true;
  const uint16_t rid = rid_of(dev);
  m_requester_owner[rid] = "vm:" + v.name;
  m_machine.dram().assign_requester(rid, "vm:" + v.name);
  if (v.demand) {
    v.iommu_mapped = true;
    return 0;
  }
  // VFIO maps all of guest memory for the device: guest-physical -> host-physical, in
  // IOMMU pages no larger than the backing's.
  if (!m_dma.translated(dev)) {
    v.iommu_mapped = false;
    return 0;
  }
  const int rc = handle ? m_vfio.dma_map(*handle, 0, v.hpa, v.bytes, v.opt.page_bytes)
                        : m_dma.map_guest_memory(dev, 0, v.hpa, v.bytes, v.opt.page_bytes);
  v.iommu_mapped = rc == 0;
  return 0;
}

int vm_manager::start(guest_vm& v) {
  if (v.os) return -EBUSY;
  if (!m_factory) return -ENODEV;
  guest_board::config c;
  c.name = v.name;
  c.hpa = v.hpa;
  c.bytes = v.bytes;
  c.cmdline = v.opt.cmdline;
  c.posted = v.opt.posted;
  v.board = std::make_unique<guest_board>(c, m_machine, m_irq, m_iommu, m_pages, m_costs, v.functions);
  v.os = m_factory(*v.board, m_prefix + "guest." + v.name + ".");
  // Guest CPU and host CPU apart, per VM, in the run's results.
  v.stats = std::make_unique<kit::stat_group>(m_prefix + "guest." + v.name + ".vm", "the VM as the hypervisor sees it");
  guest_vm* vp = &v;
  auto add = [&](const char* name, const char* unit, const char* what, std::function<double()> fn) {
    v.formulas.push_back(std::make_unique<kit::formula>(*v.stats, name, unit, what, std::move(fn)));
  };
  add("guest_irq_cpu", "s", "vCPU time in the guest's interrupt handlers (exits included)", [vp] {
    sc_core::sc_time t;
    for (const irq_core::irq_info& i : vp->os->irq().irqs()) t += i.busy;
    return t.to_seconds();
  });
  add("host_cpu", "s", "host CPU for the guest: vfio interrupt handlers, exits and wakeups",
      [vp] { return (vp->board->host_irq_time() + vp->board->counters().host_cpu).to_seconds(); });
  add("interrupts_injected", "interrupts", "interrupts taken by the host and injected",
      [vp] { return static_cast<double>(vp->board->counters().injected); });
  add("interrupts_posted", "interrupts", "interrupts posted to the vCPU without the host",
      [vp] { return static_cast<double>(vp->board->counters().posted); });
  add("exits", "exits", "VM exits: external interrupt, EOI, config and MMIO emulation", [vp] {
    const guest_counters& c = vp->board->counters();
    return static_cast<double>(c.exits_external + c.exits_eoi + c.exits_config + c.exits_mmio);
  });
  add("vcpu_wakeups", "wakeups", "interrupts that found the vCPU asleep past halt polling",
      [vp] { return static_cast<double>(vp->board->counters().wakeups); });
  v.started = sc_core::sc_time_stamp();
  kit::sim_env::current().log("host", "host.vm",
                              fmt::format("{}: starting ({} functions)", v.name, v.functions.size()));
  v.os->boot();
  return 0;
}

int vm_manager::stop(guest_vm& v) {
  if (!v.os) return -EINVAL;
  v.formulas.clear();
  v.stats.reset();
  v.os.reset();
  v.board.reset();
  kit::sim_env::current().log("host", "host.vm", fmt::format("{}: powered off", v.name));
  return 0;
}

bool vm_manager::handle_msi(uint64_t addr, uint32_t data) {
  for (auto& [name, v] : m_vms)
    if (v.board && v.board->posted_notification(addr, data)) return true;
  return false;
}

// The demand-paged VM's side of a page request (the iommufd fault handler's job, done
// by the VMM in Linux): the page must lie in guest memory and the access be allowed;
// then pin_user_pages() + iommu_map() of one 4 KiB page, GPA -> HPA.
int vm_manager::resolve_page_request(const iommu::page_request& r, sc_core::sc_time& cpu, std::string& why) {
  guest_vm* v = nullptr;
  for (auto& [name, vm] : m_vms)
    if (vm.demand && vm.dev && rid_of(*vm.dev) == r.source_id) v = &vm;
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
