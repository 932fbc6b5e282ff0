// The upstream half of the fabric: device DMA travels up its links to the root
// complex, is translated by the IOMMU when translation is on, and reaches DRAM.
// Each link on the way is a reserved resource (posted writes up; read requests
// up, completions down), so links shared by several devices (a switch uplink)
// slow all of them. A translation fault completes the request with an error
// (unsupported request / completer abort) and memory is never touched.
//
// ATS (PCIe base spec 10.2, 10.4; the extension's address type and message code):
// - a translation request (AT = 01b) goes up as a read request, asks the IOMMU
//   (vtd_unit::translate_ats) and comes back as one completion of 8 data bytes with
//   the Translation Completion in the extension. Missing permission is a successful
//   completion with R = W = 0; so is an address beyond the address width (Intel
//   datasheets, CAP_REG.MGAW: "translation requests to addresses above 2^(x+1)-1 ...
//   return a null Translation Completion Data Entry with R=W=0"). A missing root or
//   context entry, or a context whose TT blocks translation requests (reason 3 here),
//   completes as Unsupported Request; a table the unit could not read (reasons 7-9) as
//   Completer Abort: configuration says "no", an error aborts. That split is the
//   SMMUv3 ATS flow's (Arm IHI 0070, chapter 15: Deny/UR vs. Deny/CA); VT-d's own
//   table of translation-request outcomes was not at hand to check it against.
// - a translated request (AT = 10b) reaches memory at its address, untranslated, if
//   vtd_unit::translated_request_allowed() says the requester may use a device-TLB;
//   else it is dropped like a faulting request.
// - a Page Request message goes up as a posted message without data and reaches
//   vtd_unit::page_request() when it arrives: the caller must be an SC_THREAD, which
//   the call makes wait until then.
//
// Interrupts: a write to 0xFEEx_xxxx is a message-signalled interrupt, not memory (the
// x86 interrupt address range; VT-d 5.1: with interrupt remapping off, such
// compatibility-format requests pass the remapping unit untranslated). It travels up
// the links like any posted write and reaches the interrupt sink (the host's
// interrupt controller) with its address and data when it arrives. With interrupt
// remapping on (GSTS.IRES), it meets the remapping unit when it arrives
// (vtd_unit::remap_interrupt(): IRTE reads, posting) and what comes out (the remapped
// message or a posting's notification event) reaches the sink after that cost; a
// blocked request, or a posting without notification, reaches nothing.
#pragma once

#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>

#include <functional>
#include <memory>
#include <systemc>
#include <tlm>
#include <vector>

#include "models/iommu/vtd.h"
#include "models/kit/pcie_ext.h"
#include "models/kit/stats.h"
#include "models/kit/timed_queue.h"
#include "models/pcie/link.h"

namespace iovsim::platform {

// The x86 interrupt address range (Intel SDM vol. 3, 11.11.1: 0xFEEx_xxxx).
constexpr uint64_t MSI_ADDRESS_BASE = 0xFEE00000, MSI_ADDRESS_BYTES = 0x100000;

class dma_router : public sc_core::sc_module {
 public:
  // One binding per DMA master; a platform may have none.
  tlm_utils::multi_passthrough_target_socket<dma_router, 32, tlm::tlm_base_protocol_types, 0,
                                             sc_core::SC_ZERO_OR_MORE_BOUND>
      from_devices;
  tlm_utils::simple_initiator_socket<dma_router> to_memory;

  dma_router(sc_core::sc_module_name name, iommu::vtd_unit& iommu);

  // Binds a device's DMA socket; `path` lists the links from the device up to the
  // root port (device's own link first). Returns the device's port number.
  size_t attach(tlm::tlm_initiator_socket<32>& device, std::vector<pcie::pcie_link*> path);

  // A message from the root complex down to the device on `port`, sent at `now`
  // (a PRG Response): when it arrives.
  sc_core::sc_time message_down(size_t port, const sc_core::sc_time& now);

  // Where message-signalled interrupts from devices go: (address, data).
  void set_interrupt_sink(std::function<void(uint64_t, uint32_t)> fn) { m_interrupt_sink = std::move(fn); }

  uint64_t requests() const { return m_requests; }
  uint64_t faults() const { return m_faults; }
  uint64_t translation_requests() const { return m_translation_requests; }
  uint64_t translated_requests() const { return m_translated_requests; }
  uint64_t page_request_messages() const { return m_page_request_messages; }

 private:
  void b_transport(int index, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  void translation_request(const std::vector<pcie::pcie_link*>& path, tlm::tlm_generic_payload& trans,
                           kit::pcie_ext& ext, sc_core::sc_time& delay);
  void message(const std::vector<pcie::pcie_link*>& path, tlm::tlm_generic_payload& trans, kit::pcie_ext& ext,
               sc_core::sc_time& delay);

  iommu::vtd_unit& m_iommu;
  std::vector<std::vector<pcie::pcie_link*>> m_paths;   // by socket index
  std::function<void(uint64_t, uint32_t)> m_interrupt_sink;
  // Interrupt messages on their way, delivered when they arrive.
  struct interrupt_message {
    uint64_t address;
    uint32_t data;
    uint16_t requester;
    bool remapped;  // already through the remapping unit
  };
  void interrupt_arrived(interrupt_message& m);
  kit::timed_queue<interrupt_message> m_interrupts{"interrupts",
                                                   [this](interrupt_message& m) { interrupt_arrived(m); }};

  // Statistics (the DMA path from every device to memory).
  kit::stat_group m_stats{name(), "device requests between the links and memory"};
  kit::counter m_requests{m_stats, "requests", "requests", "memory requests that came up the links", true};
  kit::counter m_faults{m_stats, "faults", "requests", "requests the IOMMU refused (the device saw an error)", true};
  kit::counter m_translation_requests{m_stats, "translation_requests", "requests", "ATS translation requests",
                                      true};
  kit::counter m_translated_requests{m_stats, "translated_requests", "requests",
                                     "requests with translated addresses (AT = 10b)", true};
  kit::counter m_page_request_messages{m_stats, "page_request_messages", "messages", "PRI page request messages",
                                       true};
  kit::counter m_interrupt_messages{m_stats, "interrupt_messages", "messages",
                                    "message-signalled interrupts (writes to 0xFEEx_xxxx) from devices", true};
};

}  // namespace iovsim::platform
