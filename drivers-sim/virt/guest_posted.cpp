// Posted interrupts for a guest's functions (VT-d 5.2 / 9.11 / 9.12; Linux
// drivers/iommu/intel/irq_remapping.c intel_ir_set_vcpu_affinity(), KVM
// arch/x86/kvm/vmx/posted_intr.c): each unmasked MSI-X entry gets an interrupt-
// remapping entry in posted format that names the vCPU's posted-interrupt descriptor
// and the guest's vector; the function's MSI is a remappable-format write the IOMMU
// turns into a PIR bit and, when ON was clear, one notification event (vector
// POSTED_INTR_VECTOR to the vCPU's CPU). A CPU in guest mode processes it without an
// exit (`virt.posted_delivery`) and APICv virtualises the guest's EOI.
#include <fmt/format.h>

#include "drivers-sim/iommu/dmar.h"
#include "drivers-sim/kernel/page_alloc.h"
#include "drivers-sim/virt/guest.h"
#include "models/iommu/vtd_ir.h"
#include "models/kit/sim_env.h"

namespace iovsim::host {

namespace {
// arch/x86/include/asm/irq_vectors.h: POSTED_INTR_VECTOR.
constexpr uint8_t POSTED_INTR_VECTOR = 0xf2;
constexpr uint32_t VCPU_APIC_ID = 0;   // the pCPU the vCPU runs on
}  // namespace

struct guest_board::posted_state {
  sc_core::sc_event wake;
  bool alive = true;
  std::array<uint32_t, 8> pending{};   // vectors taken from the PIR, not yet delivered
};

bool guest_board::route_posted(vdev& d, unsigned i, uint32_t guest_data) {
  if (!m_iommu || !m_iommu->posted_interrupts()) return false;
  msix_entry& e = d.table[i];
  if (!m_pid) {
    // The vCPU's descriptor: 64 bytes in host memory (a zeroed page here), NV and NDST
    // as KVM's vmx_vcpu_pi_load() sets them for a running vCPU.
    m_pid = m_host_pages.alloc_page();
    if (!m_pid) return false;
    const uint64_t control = static_cast<uint64_t>(POSTED_INTR_VECTOR) << iommu::PID_NV_SHIFT |
                             static_cast<uint64_t>(iommu::pi_ndst(VCPU_APIC_ID)) << iommu::PID_NDST_SHIFT;
    m_host.cpu().mem_write(m_pid + iommu::PID_CONTROL_OFFSET, &control, 8);
    m_posted = std::make_shared<posted_state>();
    auto st = m_posted;
    sc_core::sc_spawn(
        [this, st] {
          while (true) {
            sc_core::wait(st->wake);
            if (!st->alive) return;
            // Posted-interrupt processing in guest mode: no exit, no host handler.
            sc_core::wait(m_costs.posted_delivery());
            if (!st->alive || !wake_vcpu()) return;
            for (unsigned w = 0; w < 8; ++w)
              while (st->pending[w]) {
                const unsigned bit = static_cast<unsigned>(__builtin_ctz(st->pending[w]));
                st->pending[w] &= st->pending[w] - 1;
                ++m_counters.posted;
                if (m_msi) m_msi(irq_core::MSI_ADDRESS, w * 32 + bit);
              }
          }
        },
        sc_core::sc_gen_unique_name("posted"));
  }
  if (e.host_vector) {   // it was injected until now
    m_host_irq.free_irq(e.host_vector);
    e.host_vector = 0;
  }
  const uint16_t rid = static_cast<uint16_t>(d.fn.host->bus << 8 | d.fn.host->devfn);
  if (e.irte < 0) {
    uint16_t handle = 0;
    if (m_iommu->alloc_irte(rid, handle)) return false;
    e.irte = handle;
  }
  if (m_iommu->set_irte_posted(static_cast<uint16_t>(e.irte), m_pid, static_cast<uint8_t>(guest_data & 0xff))) {
    m_iommu->free_irte(static_cast<uint16_t>(e.irte));
    e.irte = -1;
    return false;
  }
  write_hw_entry(d, i, intel_iommu::remappable_msi_address(static_cast<uint16_t>(e.irte)), 0, false);
  e.routed = true;
  return true;
}

void guest_board::unroute_posted(vdev& d, unsigned i) {
  msix_entry& e = d.table[i];
  if (e.irte >= 0 && m_iommu) m_iommu->free_irte(static_cast<uint16_t>(e.irte));
  e.irte = -1;
}

bool guest_board::posted_notification(uint64_t addr, uint32_t data) {
  if (!m_pid || !m_posted || (data & 0xff) != POSTED_INTR_VECTOR || (addr & 0xfff00000) != irq_core::MSI_ADDRESS)
    return false;
  platform::host_bus& mem = m_host.cpu();
  uint64_t control = 0;
  mem.mem_read(m_pid + iommu::PID_CONTROL_OFFSET, &control, 8);
  if (!(control & iommu::PID_ON)) return false;   // not this vCPU's descriptor
  // pi_test_and_clear_on() and the PIR moved into the virtual APIC's IRR.
  std::array<uint32_t, 8> pir{};
  mem.mem_read(m_pid + iommu::PID_PIR_OFFSET, pir.data(), iommu::PID_PIR_BYTES);
  const std::array<uint32_t, 8> zero{};
  mem.mem_write(m_pid + iommu::PID_PIR_OFFSET, zero.data(), iommu::PID_PIR_BYTES);
  control &= ~iommu::PID_ON;
  mem.mem_write(m_pid + iommu::PID_CONTROL_OFFSET, &control, 8);
  ++m_counters.notifications;
  for (unsigned w = 0; w < 8; ++w) m_posted->pending[w] |= pir[w];
  m_posted->wake.notify(sc_core::SC_ZERO_TIME);
  return true;
}

void guest_board::stop_posting() {
  if (m_posted) {
    m_posted->alive = false;
    m_posted->wake.notify(sc_core::SC_ZERO_TIME);
  }
}

}  // namespace iovsim::host
