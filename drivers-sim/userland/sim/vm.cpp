// `vm create NAME --mem SIZE [--demand [--readonly]]`, `vm assign NAME BDF`,
// `vm dma NAME --addr A [--size N] [--from-host]`, `vm list`, `vm isolation`: what
// a VMM and its guest do, collapsed into one verb until guests run their own kernel.
#include <fmt/format.h>

#include "drivers-sim/userland/sim/sim.h"
#include "models/kit/units.h"

namespace iovsim::host {

namespace {
// 64M, 1G, 4096, 0x1000
bool parse_size(const std::string& s, uint64_t& v) { return kit::parse_u64(s, v, true); }
}  // namespace

cmd_result vm_verb(sim_host& host, const std::vector<std::string>& argv) {
  const std::string usage =
      "usage: vm create NAME --mem SIZE [--demand [--readonly]] | vm assign NAME BDF | "
      "vm dma NAME --addr ADDR [--size N] [--from-host] | vm list | vm isolation\n";
  vm_manager& vms = host.vms();
  if (argv.size() < 2) return cmd_result{2, "", usage, "EINVAL"};
  const std::string& verb = argv[1];
  if (verb == "list") {
    std::string out;
    for (const auto& [name, v] : vms.vms()) {
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
    std::string out = fmt::format("isolation breaches: {}\n", vms.violations().size());
    for (const auto& v : vms.violations()) out += v + "\n";
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
        if (i + 1 == argv.size() || !parse_size(argv[++i], bytes) || bytes == 0 || bytes % vm_manager::GUEST_ALIGN)
          return cmd_result{2, "", "vm create: --mem takes a multiple of 2M, e.g. 64M\n", "EINVAL"};
      } else {
        return cmd_result{2, "", usage, "EINVAL"};
      }
    }
    if (!have_mem) return cmd_result{2, "", "vm create: --mem takes a multiple of 2M, e.g. 64M\n", "EINVAL"};
    if (read_only && !demand)
      return cmd_result{2, "", "vm create: --readonly is a policy of demand paging: it needs --demand\n", "EINVAL"};
    if (vms.create(name, bytes, demand, read_only) != 0)
      return cmd_result{1, "", fmt::format("vm create: {} exists\n", name), "EEXIST"};
    const guest_vm& v = *vms.find(name);
    return cmd_result{0, fmt::format("{}: guest memory 0x0-0x{:x} at host 0x{:x}{}\n", name, bytes - 1, v.hpa,
                                     demand ? ", demand-paged" : ""),
                      "", ""};
  }
  guest_vm* vp = vms.find(name);
  if (!vp) return cmd_result{1, "", fmt::format("vm: no such VM {}\n", name), "ENOENT"};
  guest_vm& v = *vp;
  if (verb == "assign") {
    if (argv.size() != 4) return cmd_result{2, "", usage, "EINVAL"};
    pci_dev* dev = host.pci().find(argv[3]);
    if (!dev) return cmd_result{1, "", fmt::format("vm assign: no device {}\n", argv[3]), "ENODEV"};
    std::string why;
    const int rc = vms.assign(v, *dev, why);
    if (rc && why.empty())
      return cmd_result{1, "",
                        fmt::format("vm assign: {} is demand-paged: {} needs DMA remapping (intel_iommu=on, "
                                    "not iommu=pt)\n",
                                    name, dev->bdf()),
                        "ENODEV"};
    if (rc == -EBUSY) return cmd_result{1, "", fmt::format("vm assign: {}\n", why), "EBUSY"};
    if (rc)
      return cmd_result{1, "", fmt::format("vm assign: {} cannot be demand-paged: {}\n", dev->bdf(), why),
                        errno_name(-rc)};
    // libvirt's managed detach (virPCIDeviceDetach): driver_override = vfio-pci, then
    // unbind the host driver, so no host driver binds the function again. The DMA
    // test driver stays: it stands in for the guest's driver until guests run one.
    std::string detached;
    if (!dev->driver.empty() && dev->driver != "iovsim_dma") {
      detached = fmt::format(" (host driver {} detached)", dev->driver);
      dev->driver_override = "vfio-pci";
      host.pci_bus().unbind_store(dev->driver, dev->bdf());
    }
    if (v.demand)
      return cmd_result{0,
                        fmt::format("{}: {} assigned{}, guest memory mapped on demand (ATS and PRI enabled, nothing "
                                    "mapped yet)\n",
                                    name, dev->bdf(), detached),
                        "", ""};
    return cmd_result{0,
                      fmt::format("{}: {} assigned{}{}\n", name, dev->bdf(), detached,
                                  v.iommu_mapped ? ", guest memory mapped in its IOMMU domain"
                                                 : " without an IOMMU: bus addresses are host-physical"),
                      "", ""};
  }
  if (verb == "dma") {
    if (!v.dev) return cmd_result{1, "", fmt::format("vm dma: {} has no device\n", name), "ENODEV"};
    uint64_t addr = 0, size = 4096;
    bool have_addr = false, to_host = true;
    for (size_t i = 3; i < argv.size(); ++i) {
      if (argv[i] == "--addr" && i + 1 < argv.size() && parse_size(argv[i + 1], addr)) {
        have_addr = true;
        ++i;
      } else if (argv[i] == "--size" && i + 1 < argv.size() && parse_size(argv[i + 1], size)) {
        ++i;
      } else if (argv[i] == "--from-host") {
        to_host = false;
      } else {
        return cmd_result{2, "", usage, "EINVAL"};
      }
    }
    if (!have_addr) return cmd_result{2, "", usage, "EINVAL"};
    // The guest driver programs the device directly (the function is assigned).
    std::vector<std::string> args{"dmatest", "-s", v.dev->bdf(), "--addr", fmt::format("0x{:x}", addr),
                                  "--size", std::to_string(size), "--count", "1"};
    if (!to_host) args.push_back("--from-host");
    return dmatest_verb(host, args);
  }
  return cmd_result{2, "", usage, "EINVAL"};
}

}  // namespace iovsim::host
