// `vm create|assign|start|stop|console|list|stats|dma|isolation`: what a VMM (QEMU with
// KVM, driven as libvirt drives it) does for an administrator. `vm console NAME CMD`
// runs a shell line inside a running guest.
#include <fmt/format.h>

#include "drivers-sim/userland/sim/sim.h"
#include "models/kit/units.h"

namespace iovsim::host {

namespace {
// 64M, 1G, 4096, 0x1000
bool parse_size(const std::string& s, uint64_t& v) { return kit::parse_u64(s, v, true); }

std::string us(const sc_core::sc_time& t) { return fmt::format("{:.3f} us", t.to_seconds() * 1e6); }

cmd_result usage_error(const std::string& text) { return cmd_result{2, "", text, "EINVAL"}; }
}  // namespace

cmd_result vm_verb(sim_host& host, const std::vector<std::string>& argv) {
  const std::string usage =
      "usage: vm create NAME --mem SIZE [--vcpus N] [--hugepages 2M|1G] [--posted-interrupts] "
      "[--demand [--readonly]] | vm assign NAME BDF | vm start|stop NAME | vm console NAME COMMAND... | "
      "vm stats NAME [--reset] | vm dma NAME --addr ADDR [--size N] [--from-host] | vm list | vm isolation\n";
  vm_manager* vmsp = host.vms();
  if (!vmsp)
    return cmd_result{1, "", "vm: /dev/kvm: No such file or directory (nested virtualisation is not modelled)\n",
                      "ENOENT"};
  vm_manager& vms = *vmsp;
  if (argv.size() < 2) return usage_error(usage);
  const std::string& verb = argv[1];
  if (verb == "list") {
    std::string out;
    for (const auto& [name, v] : vms.vms()) {
      std::string demand;
      if (v.demand)
        demand = fmt::format(", demand-paged{}: {} pages faulted in, {} page requests refused",
                             v.dma_read_only ? " (device read-only)" : "", v.pages_faulted, v.requests_refused);
      std::string devices = v.dev ? v.dev->bdf() : "-";
      for (size_t i = 1; i < v.functions.size(); ++i) devices += " " + v.functions[i].host->bdf();
      std::string extra;
      if (v.opt.vcpus != 1 || v.opt.page_bytes != iommu::PAGE_4K || v.os || v.opt.posted)
        extra = fmt::format(", {} vCPU{}, {} pages{}{}", v.opt.vcpus, v.opt.vcpus == 1 ? "" : "s",
                            size_text(v.opt.page_bytes), v.opt.posted ? ", posted interrupts" : "",
                            v.os ? ", running" : ", stopped");
      out += fmt::format("{}: memory 0x{:x} bytes at host 0x{:x}, device {}{}{}{}\n", name, v.bytes, v.hpa, devices,
                         v.iommu_mapped ? " (IOMMU domain)" : "", demand, extra);
    }
    return cmd_result{0, out, "", ""};
  }
  if (verb == "isolation") {
    std::string out = fmt::format("isolation breaches: {}\n", vms.violations().size());
    for (const auto& v : vms.violations()) out += v + "\n";
    return cmd_result{0, out, "", ""};
  }
  if (argv.size() < 3) return usage_error(usage);
  const std::string& name = argv[2];
  if (verb == "create") {
    vm_options o;
    bool have_mem = false;
    for (size_t i = 3; i < argv.size(); ++i) {
      const std::string& a = argv[i];
      if (a == "--demand") {
        o.demand = true;
      } else if (a == "--readonly") {
        o.read_only = true;
      } else if (a == "--posted-interrupts") {
        o.posted = true;
      } else if (a == "--mem" && !have_mem) {
        have_mem = true;
        if (i + 1 == argv.size() || !parse_size(argv[++i], o.bytes) || o.bytes == 0 ||
            o.bytes % vm_manager::GUEST_ALIGN)
          return usage_error("vm create: --mem takes a multiple of 2M, e.g. 64M\n");
      } else if (a == "--vcpus") {
        uint64_t n = 0;
        if (i + 1 == argv.size() || !kit::parse_u64(argv[++i], n) || n < 1 || n > 288)
          return usage_error("vm create: --vcpus takes 1..288 (KVM_MAX_VCPUS on x86 is larger; 288 is QEMU q35's)\n");
        o.vcpus = static_cast<unsigned>(n);
      } else if (a == "--hugepages") {
        const std::string p = i + 1 < argv.size() ? argv[++i] : "";
        if (p == "2M")
          o.page_bytes = iommu::PAGE_2M;
        else if (p == "1G")
          o.page_bytes = iommu::PAGE_1G;
        else
          return usage_error("vm create: --hugepages takes 2M or 1G\n");
      } else {
        return usage_error(usage);
      }
    }
    if (!have_mem) return usage_error("vm create: --mem takes a multiple of 2M, e.g. 64M\n");
    if (o.read_only && !o.demand)
      return usage_error("vm create: --readonly is a policy of demand paging: it needs --demand\n");
    if (o.posted && !host.iommu_driver().enabled())
      return cmd_result{1, "",
                        "vm create: posted interrupts need interrupt remapping: the IOMMU is off (intel_iommu=on)\n",
                        "ENODEV"};
    std::string why;
    const int rc = vms.create(name, o, why);
    if (rc) return cmd_result{rc == -EINVAL ? 2 : 1, "", fmt::format("vm create: {}\n", why), errno_name(-rc)};
    const guest_vm& v = *vms.find(name);
    return cmd_result{0,
                      fmt::format("{}: guest memory 0x0-0x{:x} at host 0x{:x}{}\n", name, o.bytes - 1, v.hpa,
                                  o.demand ? ", demand-paged" : ""),
                      "", ""};
  }
  guest_vm* vp = vms.find(name);
  if (!vp) return cmd_result{1, "", fmt::format("vm: no such VM {}\n", name), "ENOENT"};
  guest_vm& v = *vp;
  if (verb == "assign") {
    if (argv.size() != 4) return usage_error(usage);
    pci_dev* dev = host.pci().find(argv[3]);
    if (!dev) return cmd_result{1, "", fmt::format("vm assign: no device {}\n", argv[3]), "ENODEV"};
    // libvirt's managed detach (virPCIDeviceDetach): driver_override = vfio-pci, unbind
    // the host driver, bind vfio-pci. The DMA test engine keeps its host driver: it
    // stands in for a guest's driver in the isolation scenarios.
    std::string detached;
    if (!v.demand && dev->driver != "iovsim_dma" && dev->driver != "vfio-pci" && !v.os) {
      if (!dev->is_virtfn && dev->num_vfs)
        return cmd_result{1, "",
                          fmt::format("vm assign: {} has {} VFs enabled: vfio-pci cannot take a PF with SR-IOV "
                                      "enabled (disable them with sriov_numvfs first)\n",
                                      dev->bdf(), dev->num_vfs),
                          "EBUSY"};
      host.load_module("vfio_pci");  // libvirt: modprobe vfio-pci before the detach
      if (!dev->driver.empty()) detached = fmt::format(" (host driver {} detached)", dev->driver);
      dev->driver_override = "vfio-pci";
      if (!dev->driver.empty()) host.pci_bus().unbind_store(dev->driver, dev->bdf());
      const int err = host.pci_bus().bind_store("vfio-pci", dev->bdf());
      if (err)
        return cmd_result{1, "", fmt::format("vm assign: vfio-pci cannot bind {} ({})\n", dev->bdf(), errno_name(err)),
                          errno_name(err)};
    }
    std::string why;
    const int rc = vms.assign(v, *dev, why);
    if (rc && why.empty())
      return cmd_result{1, "",
                        fmt::format("vm assign: {} is demand-paged: {} needs DMA remapping (intel_iommu=on, "
                                    "not iommu=pt)\n",
                                    name, dev->bdf()),
                        "ENODEV"};
    if (rc && v.demand && rc != -EBUSY)
      return cmd_result{1, "", fmt::format("vm assign: {} cannot be demand-paged: {}\n", dev->bdf(), why),
                        errno_name(-rc)};
    if (rc == -EPERM || rc == -EBUSY || rc == -ENODEV)
      return cmd_result{1, "", fmt::format("vm assign: vfio {}\n", why), errno_name(-rc)};
    if (rc)
      return cmd_result{1, "", fmt::format("vm assign: {} cannot be demand-paged: {}\n", dev->bdf(), why),
                        errno_name(-rc)};
    if (v.demand)
      return cmd_result{0,
                        fmt::format("{}: {} assigned{}, guest memory mapped on demand (ATS and PRI enabled, nothing "
                                    "mapped yet)\n",
                                    name, dev->bdf(), detached),
                        "", ""};
    const guest_function& f = v.functions.back();
    const std::string slot =
        dev->driver == "iovsim_dma" ? "" : fmt::format(" at guest 00:{:02x}.{}", f.devfn >> 3, f.devfn & 7);
    return cmd_result{0,
                      fmt::format("{}: {} assigned{}{}{}\n", name, dev->bdf(), slot, detached,
                                  v.iommu_mapped ? fmt::format(", guest memory mapped in its IOMMU domain ({} pages)",
                                                               size_text(v.opt.page_bytes))
                                                 : " without an IOMMU: bus addresses are host-physical"),
                      "", ""};
  }
  if (verb == "start") {
    if (argv.size() != 3) return usage_error(usage);
    const sc_core::sc_time t0 = sc_core::sc_time_stamp();
    const int rc = vms.start(v);
    if (rc == -EBUSY) return cmd_result{1, "", fmt::format("vm start: {} is running\n", name), "EBUSY"};
    if (rc) return cmd_result{1, "", fmt::format("vm start: {}: no guest software\n", name), errno_name(-rc)};
    return cmd_result{0,
                      fmt::format("{}: booted in {:.3f} ms ({} functions passed through)\n", name,
                                  (sc_core::sc_time_stamp() - t0).to_seconds() * 1e3, v.functions.size()),
                      "", ""};
  }
  if (verb == "stop") {
    if (argv.size() != 3) return usage_error(usage);
    if (vms.stop(v)) return cmd_result{1, "", fmt::format("vm stop: {} is not running\n", name), "EINVAL"};
    return cmd_result{0, fmt::format("{}: powered off\n", name), "", ""};
  }
  if (verb == "console") {
    if (argv.size() < 4)
      return usage_error(
          "vm console: give the command to run in the guest (iovsim shell: `vm console NAME` enters "
          "it)\n");
    guest_kernel* os = vms.guest(name);
    if (!os) return cmd_result{1, "", fmt::format("vm console: {} is not running\n", name), "EINVAL"};
    std::string line;
    for (size_t i = 3; i < argv.size(); ++i) line += (i > 3 ? " " : "") + argv[i];
    return os->run(line);
  }
  if (verb == "stats") {
    const bool reset = argv.size() == 4 && argv[3] == "--reset";
    if (argv.size() != 3 && !reset) return usage_error(usage);
    if (reset) {
      // Counts and CPU times of the VM start again (the guest's interrupt lines too).
      if (v.board) {
        v.board->reset_counters();
        v.os->irq().reset_stats();
      }
      return cmd_result{};
    }
    std::string out = fmt::format("{}: {} vCPU{}, {} of {} pages, posted interrupts {}, {}\n", name, v.opt.vcpus,
                                  v.opt.vcpus == 1 ? "" : "s", size_text(v.bytes), size_text(v.opt.page_bytes),
                                  v.opt.posted ? "on" : "off", v.os ? "running" : "stopped");
    if (!v.board) return cmd_result{0, out, "", ""};
    sc_core::sc_time guest_irq;
    uint64_t taken = 0;
    for (const irq_core::irq_info& i : v.os->irq().irqs()) {
      guest_irq += i.busy;
      taken += i.count;
    }
    const guest_counters& c = v.board->counters();
    const sc_core::sc_time host_irq = v.board->host_irq_time();
    out += fmt::format("  guest CPU: {} in interrupt handlers ({} interrupts taken)\n", us(guest_irq), taken);
    out += fmt::format("  host CPU for the guest: {} (vfio interrupt handlers {}, exits {})\n",
                       us(host_irq + c.host_cpu), us(host_irq), us(c.host_cpu));
    out +=
        fmt::format("  interrupts: {} injected, {} posted ({} notifications)\n", c.injected, c.posted, c.notifications);
    out += fmt::format("  exits: {} external interrupt, {} EOI, {} config, {} MMIO; {} vCPU wakeups after halt polling\n",
                       c.exits_external, c.exits_eoi, c.exits_config, c.exits_mmio, c.wakeups);
    return cmd_result{0, out, "", ""};
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
        return usage_error(usage);
      }
    }
    if (!have_addr) return usage_error(usage);
    // The guest driver programs the device directly (the function is assigned).
    std::vector<std::string> args{"dmatest", "-s", v.dev->bdf(), "--addr", fmt::format("0x{:x}", addr),
                                  "--size", std::to_string(size), "--count", "1"};
    if (!to_host) args.push_back("--from-host");
    return dmatest_verb(host, args);
  }
  return usage_error(usage);
}

}  // namespace iovsim::host
