#include "drivers-sim/host.h"

#include <fmt/format.h>

#include <cerrno>
#include <systemc>

#include "models/kit/sim_env.h"
#include "models/kit/units.h"

namespace iovsim::host {

void firmware_hal::log(const std::string& who, const std::string& message) {
  kit::sim_env::current().log(who, message);
}

fw::bios_options bios_options_of(const pb::Firmware& f) {
  fw::bios_options o;
  o.reserve_vf_buses = f.bus_numbering() == pb::Firmware::RESERVE_VF_BUSES;
  o.assign_iov_bars = f.iov_bars() == pb::Firmware::ASSIGN_IOV_BARS;
  if (f.mmio_base()) o.mmio_base = f.mmio_base();
  if (f.mmio64_base()) o.mmio64_base = f.mmio64_base();
  return o;
}

host_system::host_system(platform::machine& machine, uint64_t seed)
    : m_machine(machine), m_params(kernel_params::parse(machine.spec().kernel_cmdline())) {
  for (const auto& f : machine.spec().file()) m_files[f.path()] = f.content();
  m_seed = seed;
  // DMA writes are checked against memory ownership for the whole run (reboots too).
  machine.dram().add_write_observer([this](uint64_t addr, unsigned len, uint16_t rid) {
    if (m_vms) m_vms->observe(addr, len, rid);
    if (m_dmatest) m_dmatest->observe(addr, len, rid);   // DMA into buffers it unmapped
  });
  start_kernel();
  m_shell = std::make_unique<shell>(*this);
  register_commands();
}

void host_system::start_kernel() {
  m_inject.reset();
  m_iopf.reset();   // before the VMs its resolver serves
  m_vms.reset();
  m_dmatest.reset();
  m_drivers.reset();
  m_pages = std::make_unique<page_allocator>(m_machine.cpu(), page_allocator::DEFAULT_BASE, m_machine.dram().size_bytes());
  m_dma_api.reset();
  m_iommu = std::make_unique<intel_iommu>(m_machine.cpu(), *m_pages, m_params, m_log);
  m_dma_api = std::make_unique<dma_api>(m_iommu.get(), m_log);
  m_pci = std::make_unique<pci_core>(m_machine.cpu(), m_params, m_log);
  m_drivers = std::make_unique<driver_core>(*m_pci, m_log, m_machine.profiles(), m_seed + m_boots);
  m_drivers->set_modprobe_conf([this] { return modprobe_conf_lines(); });
  m_dmatest = std::make_unique<dmatest_driver>(
      m_machine, [this](uint64_t len, uint64_t align) { return m_pages->alloc_contiguous(len, align); }, m_log);
  m_dmatest->set_mapper(m_dma_api.get());
  m_inject = std::make_unique<fault_injector>(*m_iommu, *m_dmatest);
  m_vms = std::make_unique<vm_manager>(m_machine, *m_pages, *m_dma_api, *m_dmatest, m_log);
  m_iopf = std::make_unique<iopf_service>(m_machine.iommu(), m_iommu->costs());
  m_iopf->set_resolver([this](const iommu::page_request& r, sc_core::sc_time& cpu, std::string& why) {
    return m_vms->resolve_page_request(r, cpu, why);
  });
  m_machine.iommu().set_page_request_sink(m_iopf->sink());
  m_machine.set_msi_handler([this](uint64_t addr, uint32_t data) { m_iommu->handle_msi(addr, data); });
  m_pci->on_enumerated = [this] {
    m_iommu->init(m_pci->devices());
    m_iommu_ready = true;
  };
  m_pci->on_add = [this](pci_dev& d) {
    // Devices that appear after boot (VFs) join the IOMMU first, then bind.
    if (m_iommu_ready && d.is_virtfn) m_iommu->add_device(d);
    if (is_dma_test(d)) m_dmatest->bind(d);
    else m_drivers->device_added(d);
  };
  m_pci->on_remove = [this](pci_dev& d) {
    m_drivers->device_removed(d);
    if (m_iommu_ready) m_iommu->remove_device(d);
  };
}

bool host_system::is_dma_test(const pci_dev& dev) const {
  bool is_vf = false;
  const pb::DeviceProfile* p = m_machine.device_profile_for(dev.vendor, dev.device, is_vf);
  return p && !is_vf && p->model() == "dma_test";
}

void host_system::reboot(const std::string& cmdline) {
  ++m_boots;
  m_machine.reset_hardware();
  m_params = kernel_params::parse(cmdline);
  m_log = kernel_log{};
  start_kernel();
  kit::sim_env::current().log("host.kernel", "reboot: " + cmdline);
  boot();
}

host_system::~host_system() = default;

void host_system::boot() {
  firmware_hal hw(m_machine.cpu());
  m_bios = fw::run_bios(hw, bios_options_of(m_machine.spec().firmware()));
  m_pci->set_root_windows({m_bios.mmio_base, m_bios.mmio64_base});
  m_log.print("Linux version 6.1.0-iovsim (iovsim) #1 SMP");
  m_log.print("Command line: " + m_params.cmdline);
  if (m_params.noats) m_log.print("PCIe: ATS is disabled");   // pci.c pci_setup(): pci=noats
  m_iommu_ready = false;
  m_iommu->early_init();
  m_pci->scan();
  kit::sim_env::current().log("host.kernel", fmt::format("boot done: {} PCI functions", m_pci->devices().size()));
}

std::vector<lspci_device> host_system::lspci_view() {
  std::vector<lspci_device> out;
  for (pci_dev* d : m_pci->devices()) {
    lspci_device l;
    l.domain = static_cast<uint16_t>(d->domain);
    l.bus = static_cast<uint8_t>(d->bus);
    l.dev = static_cast<uint8_t>(d->dev());
    l.fn = static_cast<uint8_t>(d->fn());
    l.config = m_pci->config_bytes(*d);
    bool is_vf = false;
    if (const pb::DeviceProfile* p = m_machine.device_profile_for(d->vendor, d->device, is_vf)) {
      l.vendor_name = p->vendor_name();
      l.device_name = is_vf ? p->sriov().vf_device_name() : p->device_name();
      // pci.ids names the PF's subsystem only; a VF shows "Device xxxx".
      if (d->subsys_vendor == p->subsystem_vendor_id()) l.subsys_vendor_name = p->vendor_name();
      if (!is_vf && d->subsys_device == p->subsystem_id()) l.subsys_name = p->subsystem_name();
    } else if (const pb::PortProfile* pp = m_machine.port_profile_for(d->vendor, d->device)) {
      l.vendor_name = pp->vendor_name();
      l.device_name = pp->device_name();
    }
    l.irq = l.config[0x3d] ? l.config[0x3c] : 0;  // the line the firmware routed
    l.driver = d->driver;
    if (d->is_bridge) l.driver = "pcieport";
    const std::string module = m_drivers->module_for(*d);
    if (!module.empty()) l.modules.push_back(module);
    for (unsigned i = 0; i < 6; ++i) {
      const resource& r = d->bars[i];
      l.bars[i].start = r.assigned ? r.start : 0;
      l.bars[i].size = r.size;
      l.bars[i].flags = (r.io ? 1u : 0u) | (r.is_64bit ? 4u : 0u) | (r.prefetchable ? 8u : 0u);
      l.iov_bars[i].start = d->iov_bars[i].assigned ? d->iov_bars[i].start : 0;
      l.iov_bars[i].size = d->iov_bars[i].size;
      l.iov_bars[i].flags = (d->iov_bars[i].is_64bit ? 4u : 0u) | (d->iov_bars[i].prefetchable ? 8u : 0u);
    }
    out.push_back(std::move(l));
  }
  return out;
}

void host_system::register_commands() {
  shell& sh = *m_shell;
  sh.add_command("lspci", [this](const std::vector<std::string>& argv, const std::string&) {
    const lspci_result r = lspci(lspci_view(), std::vector<std::string>(argv.begin() + 1, argv.end()));
    return cmd_result{r.status, r.out, r.err, ""};
  }, "list PCI devices (pciutils options -v -vv -vvv -n -nn -t -k -x -xxxx -s -d -D)");
  sh.add_command("dmesg", [this](const std::vector<std::string>&, const std::string&) {
    std::string out;
    for (const auto& l : m_log.lines()) out += l + "\n";
    return cmd_result{0, out, "", ""};
  }, "print the kernel log");
  sh.add_command("modprobe", [this](const std::vector<std::string>& argv, const std::string&) {
    std::vector<std::string> args(argv.begin() + 1, argv.end());
    const bool remove = !args.empty() && args[0] == "-r";
    if (remove) args.erase(args.begin());
    if (args.empty()) return cmd_result{1, "", "modprobe: ERROR: missing module name.\n", ""};
    std::string err;
    const int rc = remove ? m_drivers->rmmod(args[0], err)
                          : m_drivers->modprobe(args[0], std::vector<std::string>(args.begin() + 1, args.end()), err);
    if (rc == 0) return cmd_result{};
    return cmd_result{1, "", err + "\n", errno_name(-rc)};
  }, "load a kernel module: modprobe NAME [param=value ...], modprobe -r NAME");
  sh.add_command("rmmod", [this](const std::vector<std::string>& argv, const std::string&) {
    if (argv.size() < 2) return cmd_result{1, "", "rmmod: ERROR: missing module name.\n", ""};
    std::string err;
    const int rc = m_drivers->rmmod(argv[1], err);
    return rc == 0 ? cmd_result{} : cmd_result{1, "", err + "\n", errno_name(-rc)};
  }, "unload a kernel module");
  sh.add_command("lsmod", [this](const std::vector<std::string>&, const std::string&) {
    std::string out = "Module                  Size  Used by\n";
    for (const auto& m : m_drivers->loaded_modules()) out += fmt::format("{:<24}{:>6}  0\n", m, 0);
    return cmd_result{0, out, "", ""};
  }, "list loaded kernel modules");
  sh.add_command("ip", [this](const std::vector<std::string>& argv, const std::string&) { return cmd_ip(argv); },
                 "network devices: ip link [show [dev] IF], ip link set [dev] IF up|down");
  sh.add_command("run", [this](const std::vector<std::string>& argv, const std::string&) { return cmd_run(argv); },
                 "advance simulated time: run 10ms");
  sh.add_command("reboot", [this](const std::vector<std::string>& argv, const std::string&) {
    std::string cmdline;
    for (size_t i = 1; i < argv.size(); ++i) cmdline += (i > 1 ? " " : "") + argv[i];
    if (argv.size() == 1) cmdline = m_params.cmdline;
    const kernel_params p = kernel_params::parse(cmdline);
    if (!p.unknown.empty())
      return cmd_result{2, "", fmt::format("reboot: unknown kernel parameter \"{}\"\n", p.unknown.front()), "EINVAL"};
    reboot(cmdline);
    return cmd_result{};
  }, "reset the platform and boot again: reboot [KERNEL PARAMETERS...] (simulator verb)");
  sh.add_command("dmatest", [this](const std::vector<std::string>& argv, const std::string&) {
    return m_dmatest->command(argv, m_pci->devices());
  }, "stream buffers through a DMA test device: dmatest [-s BDF] [--size N] [--count N] [--from-host] [--static] [--addr A]");
  sh.add_command("inject", [this](const std::vector<std::string>& argv, const std::string&) {
    return m_inject->command(argv, m_pci->devices());
  }, "fault injection (simulator verb): inject drop-invalidation [--count N] (the IOMMU driver skips its next N "
     "IOTLB flushes), inject unmap [-s BDF] --after TIME (the next dmatest run loses its DMA mappings TIME in), "
     "inject status, inject clear");
  sh.add_command("vm", [this](const std::vector<std::string>& argv, const std::string&) {
    return m_vms->command(argv, m_pci->devices());
  }, "virtual machines with an assigned function: vm create|assign|dma|list|isolation (simulator verb)");
  sh.add_command("devmem", [this](const std::vector<std::string>& argv, const std::string&) { return cmd_devmem(argv); },
                 "read or write host physical memory: devmem ADDRESS [WIDTH [VALUE]] (busybox)");
  sh.add_command("iommu", [this](const std::vector<std::string>& argv, const std::string&) { return cmd_iommu(argv); },
                 "IOMMU state: iommu stats (IOTLB and walk statistics per requester); simulator controls: "
                 "iommu stats reset, iommu config [entries=N [ways=M] [policy=lru|random]] (empties the IOTLB) "
                 "[pwc=N] (paging-structure cache entries per level, 0 = none)");
  sh.add_command("sleep", [this](const std::vector<std::string>& argv, const std::string&) {
    std::vector<std::string> a = argv;
    if (a.size() == 2 && a[1].find_first_not_of("0123456789.") == std::string::npos) a[1] += "s";
    return cmd_run(a);
  }, "sleep SECONDS (simulated)");
}

cmd_result host_system::cmd_run(const std::vector<std::string>& argv) {
  sc_core::sc_time t;
  if (argv.size() != 2 || !kit::parse_time(argv[1], t))
    return cmd_result{2, "", fmt::format("{}: usage: {} TIME (e.g. 10ms, 2s)\n", argv[0], argv[0]), "EINVAL"};
  sc_core::wait(t);
  return cmd_result{};
}

cmd_result host_system::cmd_devmem(const std::vector<std::string>& argv) {
  // busybox devmem: ADDRESS [WIDTH (8/16/32/64 bits, default 32) [VALUE]].
  auto num = [](const std::string& s, uint64_t& v) { return kit::parse_u64(s, v); };
  uint64_t addr = 0, width = 32, value = 0;
  if (argv.size() < 2 || !num(argv[1], addr) || (argv.size() > 2 && !num(argv[2], width)) ||
      (width != 8 && width != 16 && width != 32 && width != 64) || (argv.size() > 3 && !num(argv[3], value)) ||
      argv.size() > 4)
    return cmd_result{1, "", "BusyBox devmem: usage: devmem ADDRESS [WIDTH [VALUE]]\n", "EINVAL"};
  const unsigned bytes = static_cast<unsigned>(width / 8);
  if (addr + bytes > m_machine.dram().size_bytes())
    return cmd_result{1, "", fmt::format("devmem: 0x{:x} is not RAM\n", addr), "EFAULT"};
  if (argv.size() == 4) {
    m_machine.cpu().mem_write(addr, &value, bytes);
    return cmd_result{};
  }
  uint64_t v = 0;
  m_machine.cpu().mem_read(addr, &v, bytes);
  return cmd_result{0, fmt::format("0x{:0{}X}\n", v, bytes * 2), "", ""};
}

cmd_result host_system::cmd_iommu(const std::vector<std::string>& argv) {
  // `config` and `stats reset` are simulator controls: no Linux tool reshapes an IOTLB.
  const std::string usage =
      "usage: iommu stats | iommu stats reset | iommu groups | iommu config [entries=N [ways=M] [policy=lru|random]] "
      "[pwc=N]\n";
  auto fail = [](const std::string& msg) { return cmd_result{2, "", "iommu: " + msg + "\n", "EINVAL"}; };
  iommu::vtd_unit& u = m_machine.iommu();
  if (argv.size() == 2 && argv[1] == "groups") {
    // What /sys/kernel/iommu_groups/N/{devices,type} would show, one group a line.
    std::string out;
    for (const iommu_group_info& g : m_iommu->groups()) {
      out += fmt::format("group {}: type {}, domain {}:", g.id, g.type, g.domain_id);
      for (const std::string& d : g.devices) out += " " + d;
      out += "\n";
    }
    if (out.empty()) out = "no IOMMU groups (the IOMMU is off)\n";
    return cmd_result{0, out, "", ""};
  }
  if (argv.size() == 3 && argv[1] == "stats" && argv[2] == "reset") {
    u.reset_stats();
    m_iommu->reset_device_tlb_stats();
    return cmd_result{};
  }
  if (argv.size() >= 2 && argv[1] == "config") {
    iommu::iotlb_config c = u.tlb().config();
    bool have_entries = false, have_ways = false, have_policy = false, have_pwc = false;
    unsigned pwc = 0;
    for (size_t i = 2; i < argv.size(); ++i) {
      const std::string& a = argv[i];
      const size_t eq = a.find('=');
      const std::string key = a.substr(0, eq), value = eq == std::string::npos ? "" : a.substr(eq + 1);
      if (eq == std::string::npos) return fail(fmt::format("\"{}\" is not KEY=VALUE", a));
      if (key == "policy") {
        if (value != "lru" && value != "random") return fail(fmt::format("policy \"{}\" is not lru or random", value));
        c.policy = value == "lru" ? iommu::replacement::lru : iommu::replacement::random;
        have_policy = true;
        continue;
      }
      if (key != "entries" && key != "ways" && key != "pwc") return fail(fmt::format("unknown setting \"{}\"", key));
      if (value.empty() || value.size() > 9 || value.find_first_not_of("0123456789") != std::string::npos)
        return fail(fmt::format("{} \"{}\" is not a number", key, value));
      const auto n = static_cast<unsigned>(std::stoul(value));
      if (key == "pwc") {
        pwc = n;
        have_pwc = true;
        continue;
      }
      (key == "entries" ? c.entries : c.ways) = n;
      (key == "entries" ? have_entries : have_ways) = true;
    }
    if (have_pwc) {
      try {
        u.configure_pwc(pwc);
      } catch (const std::invalid_argument& e) {
        return fail(e.what());
      }
      if (!have_entries && !have_ways && !have_policy) return cmd_result{};
    }
    if (!have_entries) return cmd_result{2, "", usage, "EINVAL"};
    // Without ways=, keep the associativity if it still fits, else fully associative.
    if (!have_ways && (c.ways > c.entries || c.entries % c.ways != 0)) c.ways = c.entries;
    try {
      u.configure_iotlb(c);
    } catch (const std::invalid_argument& e) {
      return fail(e.what());
    }
    return cmd_result{};
  }
  if (argv.size() != 2 || argv[1] != "stats") return cmd_result{2, "", usage, "EINVAL"};
  std::string out = fmt::format("translation {}\n", u.translation_enabled() ? "enabled" : "disabled");
  out += "requester  translations     hits   misses    walks  evictions  faults\n";
  for (const auto& [sid, st] : u.stats_by_requester())
    out += fmt::format("{:02x}:{:02x}.{}   {:>12} {:>8} {:>8} {:>8} {:>10} {:>7}\n", sid >> 8, (sid >> 3) & 0x1f, sid & 7,
                       st.translations, st.hits, st.misses, st.walks, st.evictions, st.faults);
  // ATS translation requests and PRI page requests, for requesters that sent any.
  std::string ats;
  for (const auto& [sid, st] : u.stats_by_requester())
    if (st.ats_requests || st.page_requests)
      ats += fmt::format("{:02x}:{:02x}.{}   {:>12} {:>14}\n", sid >> 8, (sid >> 3) & 0x1f, sid & 7, st.ats_requests,
                         st.page_requests);
  if (!ats.empty()) out += "requester  ats_requests  page_requests\n" + ats;
  if (!ats.empty() || m_iommu->device_tlb_invalidations())
    out += fmt::format("device-TLB invalidations issued by the driver: {} ({} functions with ATS enabled)\n",
                       m_iommu->device_tlb_invalidations(), m_iommu->ats_enabled_functions());
  const iommu::walk_cache& pwc = u.paging_structure_cache();
  if (pwc.enabled() || pwc.stats().hits || pwc.stats().misses) {
    const iommu::walk_cache_stats& ps = pwc.stats();
    out += fmt::format("paging-structure caches: {} entries per level, {} hits (to PDE {}, PDPE {}, PML4E {}), "
                       "{} misses, {} evictions, {} invalidated\n",
                       pwc.entries_per_level(), ps.hits, ps.hits_to_level[1], ps.hits_to_level[2], ps.hits_to_level[3],
                       ps.misses, ps.evictions, ps.invalidated);
  }
  return cmd_result{0, out, "", ""};
}

std::string host_system::ip_link_show(const netdev* only) {
  // iproute2 `ip link show` layout (ip/ipaddress.c print_linkinfo).
  std::string out;
  if (!only)
    out += "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\n"
           "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n";
  for (netdev* n : m_drivers->netdevs()) {
    if (only && n != only) continue;
    std::string flags = n->admin_up && !n->carrier ? "NO-CARRIER,BROADCAST,MULTICAST,UP" : "BROADCAST,MULTICAST";
    if (n->admin_up && n->carrier) flags += ",UP,LOWER_UP";
    const char* qdisc = n->admin_up ? "mq" : "noop";
    const char* state = n->admin_up && n->carrier ? "UP" : "DOWN";
    out += fmt::format("{}: {}: <{}> mtu {} qdisc {} state {} mode DEFAULT group default qlen 1000\n", n->ifindex,
                       n->name, flags, n->mtu, qdisc, state);
    out += fmt::format("    link/ether {} brd ff:ff:ff:ff:ff:ff\n", format_mac(n->mac));
    // VF lines come from the PF driver's ndo_get_vf_config: MACs the PF assigned
    // (none yet: zero), spoof checking on by default, trust off.
    for (size_t i = 0; i < n->dev->vfs.size(); ++i)
      out += fmt::format("    vf {}     link/ether 00:00:00:00:00:00 brd ff:ff:ff:ff:ff:ff, spoof checking on, "
                         "link-state auto, trust off\n",
                         i);
  }
  return out;
}

cmd_result host_system::cmd_ip(const std::vector<std::string>& argv) {
  std::vector<std::string> a(argv.begin() + 1, argv.end());
  const std::string usage = "Usage: ip link [ show [ dev ] IFNAME ] | ip link set [ dev ] IFNAME { up | down }\n";
  if (a.empty() || (a[0] != "link" && a[0] != "l")) return cmd_result{255, "", usage, ""};
  if (a.size() == 1 || a[1] == "show" || a[1] == "list" || a[1] == "ls") {
    if (a.size() <= 2) return cmd_result{0, ip_link_show(nullptr), "", ""};
    const std::string name = a[2] == "dev" && a.size() > 3 ? a[3] : a[2];
    netdev* nd = m_drivers->find_netdev(name);
    if (!nd && name != "lo")
      return cmd_result{1, "", fmt::format("Device \"{}\" does not exist.\n", name), "ENODEV"};
    if (!nd)
      return cmd_result{0, "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n", "", ""};
    return cmd_result{0, ip_link_show(nd), "", ""};
  }
  if (a[1] == "set" && a.size() >= 4) {
    size_t i = 2;
    if (a[i] == "dev") ++i;
    if (i + 1 >= a.size()) return cmd_result{255, "", usage, ""};
    netdev* nd = m_drivers->find_netdev(a[i]);
    if (!nd) return cmd_result{1, "", fmt::format("Cannot find device \"{}\"\n", a[i]), "ENODEV"};
    const std::string& what = a[i + 1];
    if (what != "up" && what != "down")
      return cmd_result{255, "", fmt::format("Error: either \"dev\" is duplicate, or \"{}\" is a garbage.\n", what), ""};
    m_drivers->set_link(*nd, what == "up");
    return cmd_result{};
  }
  return cmd_result{255, "", usage, ""};
}

}  // namespace iovsim::host
