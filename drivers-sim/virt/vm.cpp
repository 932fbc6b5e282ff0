#include "drivers-sim/virt/vm.h"

#include <fmt/format.h>

#include <cerrno>

#include "drivers-sim/userland/shell/shell.h"
#include "models/kit/sim_env.h"
#include "models/kit/units.h"

namespace iovsim::host {

namespace {
// 64M, 1G, 4096, 0x1000
bool parse_size(const std::string& s, uint64_t& v) { return kit::parse_u64(s, v, true); }
constexpr uint64_t GUEST_ALIGN = 2ull << 20;   // guest memory in 2 MiB pieces, as hugetlbfs backs it
}  // namespace

vm_manager::vm_manager(platform::machine& machine, page_allocator& pages, dma_api& dma, dmatest_driver& dmatest,
                       kernel_log& log)
    : m_machine(machine), m_pages(pages), m_dma(dma), m_dmatest(dmatest), m_log(log) {}

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
  kit::sim_env::current().log("mem.observer", text);
}

cmd_result vm_manager::command(const std::vector<std::string>& argv, const std::vector<pci_dev*>& devices) {
  const std::string usage =
      "usage: vm create NAME --mem SIZE [--demand [--readonly]] | vm assign NAME BDF | "
      "vm dma NAME --addr ADDR [--size N] [--from-host] | vm list | vm isolation\n";
  if (argv.size() < 2) return cmd_result{2, "", usage, "EINVAL"};
  const std::string& verb = argv[1];
  if (verb == "list") {
    std::string out;
    for (const auto& [name, v] : m_vms) {
      std::string demand;
      if (v.demand)
        demand = fmt::format(", demand-paged{}: {} pages faulted in, {} page requests refused",
                             v.dma_read_only ? " (device read-only)" : "", v.pages_faulted, v.requests_refused);
      out += fmt::format("{}: memory 0x{:x} bytes at host 0x{:x}, device {}{}{}\n", name, v.bytes, v.hpa,
                         v.dev ? v.dev->bdf() : "-", v.iommu_mapped ? " (IOMMU domain)" : "", demand);
    }
    return cmd_result{0, out, "", ""};
  }
  if (verb == "isolation") {
    std::string out = fmt::format("isolation breaches: {}\n", m_violations.size());
    for (const auto& v : m_violations) out += v + "\n";
    return cmd_result{0, out, "", ""};
  }
  if (argv.size() < 3) return cmd_result{2, "", usage, "EINVAL"};
  const std::string& name = argv[2];
  if (verb == "create") {
    uint64_t bytes = 0;
    bool have_mem = false, demand = false, read_only = false;
    for (size_t i = 3; i < argv.size(); ++i) {
      if (argv[i] == "--demand") {
        demand = true;
      } else if (argv[i] == "--readonly") {
        read_only = true;
      } else if (argv[i] == "--mem" && !have_mem) {
        have_mem = true;
        if (i + 1 == argv.size() || !parse_size(argv[++i], bytes) || bytes == 0 || bytes % GUEST_ALIGN)
          return cmd_result{2, "", "vm create: --mem takes a multiple of 2M, e.g. 64M\n", "EINVAL"};
      } else {
        return cmd_result{2, "", usage, "EINVAL"};
      }
    }
    if (!have_mem) return cmd_result{2, "", "vm create: --mem takes a multiple of 2M, e.g. 64M\n", "EINVAL"};
    if (read_only && !demand)
      return cmd_result{2, "", "vm create: --readonly is a policy of demand paging: it needs --demand\n", "EINVAL"};
    if (m_vms.count(name)) return cmd_result{1, "", fmt::format("vm create: {} exists\n", name), "EEXIST"};
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
    return cmd_result{0, fmt::format("{}: guest memory 0x0-0x{:x} at host 0x{:x}{}\n", name, bytes - 1, v.hpa,
                                     demand ? ", demand-paged" : ""),
                      "", ""};
  }
  auto it = m_vms.find(name);
  if (it == m_vms.end()) return cmd_result{1, "", fmt::format("vm: no such VM {}\n", name), "ENOENT"};
  guest_vm& v = it->second;
  if (verb == "assign") {
    if (argv.size() != 4) return cmd_result{2, "", usage, "EINVAL"};
    pci_dev* dev = nullptr;
    for (pci_dev* d : devices)
      if (d->bdf() == argv[3] || d->short_bdf() == argv[3]) dev = d;
    if (!dev) return cmd_result{1, "", fmt::format("vm assign: no device {}\n", argv[3]), "ENODEV"};
    if (v.demand) {
      // Refused before anything changes: no ATS/PRI, no demand paging.
      if (!m_dma.translated(*dev))
        return cmd_result{1, "",
                          fmt::format("vm assign: {} is demand-paged: {} needs DMA remapping (intel_iommu=on, "
                                      "not iommu=pt)\n",
                                      name, dev->bdf()),
                          "ENODEV"};
      std::string why;
      const int rc = m_dma.attach_iopf_domain(*dev, why);
      if (rc)
        return cmd_result{1, "", fmt::format("vm assign: {} cannot be demand-paged: {}\n", dev->bdf(), why),
                          errno_name(-rc)};
    }
    v.dev = dev;
    const uint16_t rid = static_cast<uint16_t>(dev->bus << 8 | dev->devfn);
    m_requester_owner[rid] = "vm:" + name;
    m_machine.dram().assign_requester(rid, "vm:" + name);
    if (v.demand) {
      v.iommu_mapped = true;
      return cmd_result{0, fmt::format("{}: {} assigned, guest memory mapped on demand (ATS and PRI enabled, nothing "
                                       "mapped yet)\n",
                                       name, dev->bdf()),
                        "", ""};
    }
    // VFIO maps all of guest memory for the device: guest-physical -> host-physical.
    v.iommu_mapped = m_dma.translated(*dev) && m_dma.map_guest_memory(*dev, 0, v.hpa, v.bytes) == 0;
    return cmd_result{0, fmt::format("{}: {} assigned{}\n", name, dev->bdf(),
                                     v.iommu_mapped ? ", guest memory mapped in its IOMMU domain"
                                                    : " without an IOMMU: bus addresses are host-physical"),
                      "", ""};
  }
  if (verb == "dma") {
    if (!v.dev) return cmd_result{1, "", fmt::format("vm dma: {} has no device\n", name), "ENODEV"};
    dmatest_options opt;
    opt.bdf = v.dev->bdf();
    opt.raw = true;
    opt.count = 1;
    opt.size = 4096;
    bool have_addr = false;
    for (size_t i = 3; i < argv.size(); ++i) {
      if (argv[i] == "--addr" && i + 1 < argv.size() && parse_size(argv[i + 1], opt.addr)) {
        have_addr = true;
        ++i;
      } else if (argv[i] == "--size" && i + 1 < argv.size() && parse_size(argv[i + 1], opt.size)) {
        ++i;
      } else if (argv[i] == "--from-host") {
        opt.to_host = false;
      } else {
        return cmd_result{2, "", usage, "EINVAL"};
      }
    }
    if (!have_addr) return cmd_result{2, "", usage, "EINVAL"};
    // The guest driver programs the device directly (the function is assigned).
    std::vector<std::string> args{"dmatest", "-s", v.dev->bdf(), "--addr", fmt::format("0x{:x}", opt.addr),
                                  "--size", std::to_string(opt.size), "--count", "1"};
    if (!opt.to_host) args.push_back("--from-host");
    return m_dmatest.command(args, devices);
  }
  return cmd_result{2, "", usage, "EINVAL"};
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
  kit::sim_env::current().log("host.iopf", fmt::format("{} ({}): guest page 0x{:x} mapped at host 0x{:x}{}",
                                                       v->dev->short_bdf(), v->name, gpa, v->hpa + gpa,
                                                       v->dma_read_only ? ", read-only" : ""));
  return 0;
}

}  // namespace iovsim::host
