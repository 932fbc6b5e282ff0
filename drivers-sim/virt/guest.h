// A guest's virtual platform (DESIGN.md 7a): what a KVM guest with functions passed
// through by VFIO sees, as a platform::board the same kernel, drivers and shell run
// on.
//
// - Memory: guest-physical [0, size) is host memory at the VM's base (the guest's
//   loads and stores go to host DRAM; EPT is not modelled beyond that offset).
// - PCI: bus 0 with a host bridge at 00:00.0 (QEMU q35's 8086:29c0) and each
//   assigned function at its guest slot (00:04.0, 00:05.0 ...). Config space is
//   partly virtualised as vfio-pci and QEMU do (drivers/vfio/pci/vfio_pci_config.c,
//   QEMU hw/vfio/pci.c): vendor and device IDs from the kernel's pci_dev (a VF's own
//   read as 0xffff), BARs and the command register's decode bits virtual (the guest
//   BIOS places BARs where it likes), the ROM BAR and INTx pin hidden, the MSI-X
//   capability's enable and mask bits virtual, an Endpoint shown as a Root Complex
//   Integrated Endpoint without link registers (QEMU vfio_setup_pcie_cap: the function
//   sits on the root bus of a PCIe machine), the SR-IOV and ARI extended
//   capabilities dropped from the chain (QEMU vfio_add_ext_cap), everything else read
//   from and written to the function. Every config access is an exit to the VMM
//   (`virt.config_exit`).
// - MMIO: BAR accesses go straight to the function's host BAR (EPT-mapped, no exit),
//   except the MSI-X table, which is trapped and emulated (`virt.mmio_exit`): the
//   guest's entries (its vectors) stay virtual; the host gives each unmasked entry a
//   vector of its own (vfio_msi_set_vector_signal, "vfio-msix[N](BDF)") and writes
//   that into the real table, or, with posted interrupts, an interrupt-remapping
//   entry in posted mode.
// - Interrupts: a host vector's handler (vfio's, after the host's interrupt entry)
//   signals KVM's irqfd, which injects the guest's vector at the next VM entry
//   (`virt.irqfd_inject`, `virt.exit_entry`); the guest then takes it with its own
//   entry cost plus the EOI exit of an APIC without virtualisation (`virt.eoi_exit`).
//   With posted interrupts the IOMMU posts the vector into the vCPU's descriptor and
//   the CPU delivers it in guest mode (`virt.posted_delivery`): no host handler, no
//   exit, and APICv virtualises the EOI.
//
// Simplifications: one vCPU takes every interrupt and is always running (halt polling);
// no timer or IPI exits; the guest has no vIOMMU; hotplug of functions into a running
// guest is not modelled.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <systemc>
#include <vector>

#include "drivers-sim/kernel/irq.h"
#include "drivers-sim/pci/pci_dev.h"
#include "models/kit/param.h"
#include "platform/board.h"
#include "platform/platform.h"

namespace iovsim::host {

class intel_iommu;
class page_allocator;

// The hypervisor's costs (`virt.*`).
struct virt_costs {
  kit::scope scope{"virt", "virt"};
  // A VM exit and the VM entry after it, hardware world switch only: ~2,000 cycles on
  // a Xeon X5570 at 2.93 GHz (Landau et al., "SplitX: Split Guest/Hypervisor Execution
  // on Multi-Core", WIOV 2011, table 1: direct cost of an exit).
  kit::param<sc_core::sc_time> exit_entry{scope, "exit_entry", sc_core::sc_time(700, sc_core::SC_NS),
                                          "hardware cost of one VM exit and the VM entry after it"};
  // vfio_msihandler -> eventfd_signal -> irqfd wakeup -> kvm_set_msi -> vCPU kick and
  // event injection: the host-side work of one injected interrupt. ELI (Gordon et al.,
  // ASPLOS 2012) attributes several microseconds per interrupt to the host path
  // (external-interrupt exit, handler, injection); 1.5 us is our share of it after
  // the host's own interrupt entry (host.irq.entry, 1 us).
  kit::param<sc_core::sc_time> irqfd_inject{scope, "irqfd_inject", sc_core::sc_time(1500, sc_core::SC_NS),
                                            "host CPU time to signal KVM's irqfd and inject one interrupt"};
  // The guest's EOI write to an APIC without virtualisation traps (an APIC-access or
  // x2APIC MSR exit) and KVM emulates it: an exit plus the emulation (ELI: the EOI
  // exit is one of the two exits per interrupt it removes).
  kit::param<sc_core::sc_time> eoi_exit{scope, "eoi_exit", sc_core::sc_time(1000, sc_core::SC_NS),
                                        "exit, EOI emulation and entry of a guest EOI without APIC virtualisation"};
  // Posted-interrupt processing by a CPU in guest mode: the notification vector, the
  // PIR moved into the virtual APIC and the guest's vector dispatched (Intel SDM vol. 3
  // 29.6); no exit.
  kit::param<sc_core::sc_time> posted_delivery{scope, "posted_delivery", sc_core::sc_time(100, sc_core::SC_NS),
                                               "posted-interrupt processing in guest mode, without an exit"};
  // A config access or a trapped MMIO access: exit, return to QEMU in user space,
  // emulation, back through the KVM_RUN ioctl: an order of magnitude above a kernel
  // exit (SplitX table 1: I/O instruction exits ~10x the direct cost).
  // A vCPU that has been idle longer than KVM's halt-polling window sleeps in the host
  // (the HLT exit ended in kvm_vcpu_block()); an interrupt for it must wake its thread:
  // a scheduler wakeup and context switch (a few microseconds, lmbench lat_ctx class)
  // and the VM entry. halt_poll_ns defaults to 200 us on x86 (virt/kvm/kvm_main.c,
  // KVM_HALT_POLL_NS_DEFAULT; Documentation/virt/kvm/halt-polling.rst). The wakeup
  // cost is our estimate, not a measurement.
  kit::param<sc_core::sc_time> halt_poll{scope, "halt_poll", sc_core::sc_time(200, sc_core::SC_US),
                                         "how long an idle vCPU polls before it sleeps (halt_poll_ns)"};
  kit::param<sc_core::sc_time> halt_wakeup{scope, "halt_wakeup", sc_core::sc_time(5, sc_core::SC_US),
                                           "host time to wake a sleeping vCPU's thread and enter the guest"};
  kit::param<sc_core::sc_time> config_exit{scope, "config_exit", sc_core::sc_time(5, sc_core::SC_US),
                                           "guest config access emulated by the VMM in user space"};
  kit::param<sc_core::sc_time> mmio_exit{scope, "mmio_exit", sc_core::sc_time(5, sc_core::SC_US),
                                         "guest access to a trapped MMIO page (MSI-X table) emulated by the VMM"};
};

// What a guest's virtual platform counts (vm stats).
struct guest_counters {
  uint64_t injected = 0, posted = 0, notifications = 0;
  uint64_t exits_external = 0, exits_eoi = 0, exits_config = 0, exits_mmio = 0;
  uint64_t wakeups = 0;   // interrupts that found the vCPU asleep (past halt polling)
  sc_core::sc_time host_cpu;  // exits and injection work the host did for the guest
};

// The guest-side view of one assigned function.
struct guest_function {
  pci_dev* host = nullptr;
  unsigned devfn = 0;  // guest slot (bus 0)
};

class guest_board : public platform::board, public platform::host_bus {
 public:
  struct config {
    std::string name;
    uint64_t hpa = 0, bytes = 0;
    std::string cmdline;
    bool posted = false;
  };
  // `iommu`: the host's IOMMU driver (interrupt remapping for posted interrupts).
  guest_board(const config& c, platform::machine& host, irq_core& host_irq, intel_iommu* iommu,
              page_allocator& host_pages, const virt_costs& costs, std::vector<guest_function> functions);
  ~guest_board() override;

  // platform::board
  platform::host_bus& bus() override { return *this; }
  const pb::Platform& spec() const override { return m_spec; }
  const pb::ProfileLibrary& profiles() const override { return m_host.profiles(); }
  uint64_t memory_bytes() const override { return m_cfg.bytes; }
  void set_msi_handler(std::function<void(uint64_t addr, uint32_t data)> fn) override { m_msi = std::move(fn); }
  void reset_hardware() override;
  sc_core::sc_time interrupt_overhead() const override;

  // platform::host_bus: the vCPU's accesses.
  uint32_t cfg_read(unsigned bus, unsigned devfn, unsigned reg, unsigned len) override;
  void cfg_write(unsigned bus, unsigned devfn, unsigned reg, unsigned len, uint32_t value) override;
  uint64_t mmio_read(uint64_t addr, unsigned len) override;
  void mmio_write(uint64_t addr, unsigned len, uint64_t value) override;
  void mem_read(uint64_t addr, void* data, unsigned len) override;
  void mem_write(uint64_t addr, const void* data, unsigned len) override;

  // A posted-interrupt notification arrived at the host: deliver what the vCPU's
  // descriptor holds. True when it was this guest's.
  bool posted_notification(uint64_t addr, uint32_t data);
  const guest_counters& counters() const { return m_counters; }
  // Host CPU in the vfio interrupt handlers of this guest's functions (since the last
  // reset_counters()).
  sc_core::sc_time host_irq_time() const;
  // `vm stats NAME --reset`: counts and times start again from now.
  void reset_counters();
  const std::vector<guest_function>& functions() const { return m_functions; }

 private:
  struct msix_entry {
    uint32_t addr_lo = 0, addr_hi = 0, data = 0, ctrl = 1;  // masked at reset
    unsigned host_vector = 0;
    int irte = -1;
    bool routed = false;
  };
  struct vdev {
    guest_function fn;
    unsigned hbus = 0, hdevfn = 0;
    std::array<uint32_t, 6> bar{};       // guest-programmed BAR dwords
    std::array<uint64_t, 6> bar_size{};  // 0: none (the upper half of a 64-bit BAR too)
    std::array<uint32_t, 6> bar_flags{};
    uint16_t command = 0;
    uint8_t irq_line = 0;
    uint32_t exp_cap = 0;    // the PCI Express capability
    uint32_t msix_cap = 0;
    unsigned msix_bir = 0, msix_entries = 0;
    uint32_t msix_table = 0;
    bool msix_enable = false, msix_mask = false;
    std::vector<msix_entry> table;
    std::vector<std::pair<uint32_t, uint32_t>> ext_kept;    // (offset, header) of kept ext caps
    std::vector<std::pair<uint32_t, uint32_t>> ext_hidden;  // (offset, end) of dropped ones
  };
  vdev* find(unsigned bus, unsigned devfn);
  uint32_t read_dword(vdev& d, unsigned off);
  void write_dword(vdev& d, unsigned off, uint32_t value, uint32_t mask);
  uint64_t guest_bar(const vdev& d, unsigned i) const;
  // Guest address -> (function, BAR, offset); false when nothing decodes it.
  bool decode(uint64_t addr, vdev*& d, unsigned& bar, uint64_t& off);
  bool in_msix_table(const vdev& d, unsigned bar, uint64_t off) const;
  uint32_t msix_read(vdev& d, uint64_t off);
  void msix_write(vdev& d, uint64_t off, uint32_t value);
  void update_route(vdev& d, unsigned entry);
  void unroute(vdev& d, unsigned entry);
  void write_hw_entry(vdev& d, unsigned entry, uint64_t addr, uint32_t data, bool masked);
  void inject(uint64_t addr, uint32_t data);
  // Posted mode (guest_posted.cpp): an IRTE in posted format for the entry, pointing at
  // the vCPU's descriptor with the guest's vector. False when the host cannot post.
  bool route_posted(vdev& d, unsigned entry, uint32_t guest_data);
  void unroute_posted(vdev& d, unsigned entry);
  void stop_posting();
  struct posted_state;
  // A VM exit the VMM handles: counted, charged and waited. False when the VM was
  // stopped meanwhile (nothing of the board may be touched then).
  bool exit(uint64_t& counter, const sc_core::sc_time& cost);
  // An interrupt reaches the vCPU: if it slept past halt polling, wake it (waits).
  // False when the board went away meanwhile (touch nothing of it then).
  bool wake_vcpu();

  config m_cfg;
  platform::machine& m_host;
  irq_core& m_host_irq;
  intel_iommu* m_iommu;
  page_allocator& m_host_pages;
  const virt_costs& m_costs;
  std::vector<guest_function> m_functions;
  std::vector<vdev> m_devs;
  pb::Platform m_spec;
  std::function<void(uint64_t, uint32_t)> m_msi;
  guest_counters m_counters;
  sc_core::sc_time m_vcpu_active;
  sc_core::sc_time m_host_irq_base;  // host_irq_time() at the last reset   // when the vCPU last took an interrupt
  uint64_t m_pid = 0;  // the vCPU's posted-interrupt descriptor (host-physical)
  std::shared_ptr<posted_state> m_posted;   // shared with the delivery thread
  std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
};

}  // namespace iovsim::host
