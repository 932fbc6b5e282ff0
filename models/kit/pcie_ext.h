// The PCIe extension every transaction carries (DESIGN.md section 4): who asks
// (requester ID), what kind of TLP it is and, for configuration requests, where it
// goes. Config requests address functions by routing ID (ECAM layout: bus<<20 |
// devfn<<12 | register), so the payload address of a config TLP is its ECAM offset.
// Memory requests carry the address type (AT) of ATS; a translation request comes
// back with its Translation Completion filled in; a message (kind msg) says which.
#pragma once

#include <cstdint>
#include <tlm>

namespace iovsim::kit {

enum class tlp_kind : uint8_t { mem, cfg0, cfg1, io, msg };

// The AT field of a memory request (PCIe base spec 2.2.4.1, 10.1): 00b untranslated,
// 01b translation request, 10b translated (11b reserved).
enum class address_type : uint8_t { untranslated = 0, translation_request = 1, translated = 2 };

// Message codes of the ATS/PRI messages (PCIe base spec 10.3.1, 10.3.2, 10.4.1, 10.4.2).
enum class message_code : uint8_t {
  none = 0,
  invalidate_request = 0x01,
  invalidate_completion = 0x02,
  page_request = 0x04,
  prg_response = 0x05,
};

// Completion Status (PCIe base spec 2.2.9): Successful Completion, Unsupported
// Request, Completer Abort.
enum class completion_status : uint8_t { success = 0, unsupported_request = 1, completer_abort = 4 };

// Routing ID helpers: bus [15:8], devfn [7:0]; devfn = device << 3 | function, or the
// 8-bit ARI function number.
constexpr uint16_t make_rid(unsigned bus, unsigned devfn) {
  return static_cast<uint16_t>(((bus & 0xff) << 8) | (devfn & 0xff));
}
constexpr unsigned rid_bus(uint16_t rid) { return rid >> 8; }
constexpr unsigned rid_devfn(uint16_t rid) { return rid & 0xff; }
constexpr uint64_t ecam_address(unsigned bus, unsigned devfn, unsigned reg) {
  return (static_cast<uint64_t>(bus & 0xff) << 20) | (static_cast<uint64_t>(devfn & 0xff) << 12) |
         (reg & 0xfff);
}

class pcie_ext : public tlm::tlm_extension<pcie_ext> {
 public:
  tlp_kind kind = tlp_kind::mem;
  uint16_t requester_id = 0;   // the host bridge (00:00.0) for CPU-issued requests
  uint16_t target_id = 0;      // cfg: the routing ID addressed
  // Completion status as the requester sees it: UR when nobody claimed the request
  // (config reads then return all ones, as the root complex synthesises).
  bool unsupported_request = false;

  // ATS (kind mem). A translation request is a read of one 8-byte Translation
  // Completion Data Entry (PCIe base spec 10.2.2, 10.2.3) for the page holding the
  // payload address; the translation agent fills the fields below.
  address_type at = address_type::untranslated;
  completion_status status = completion_status::success;
  uint64_t translated_address = 0;   // of the start of the translated range
  uint64_t translation_bytes = 0;    // range size (the S bit and address encoding): >= 4 KiB
  bool translation_read = false;     // R: reads allowed
  bool translation_write = false;    // W: writes allowed; R = W = 0: no access

  // Messages (kind msg): the code; for a Page Request (PCIe 10.4.1) the page is the
  // payload address, with its PRG index (9 bits), Last bit and the access wanted.
  message_code message = message_code::none;
  uint16_t prg_index = 0;
  bool prg_last = false;
  bool page_read = false;
  bool page_write = false;

  tlm::tlm_extension_base* clone() const override { return new pcie_ext(*this); }
  void copy_from(const tlm::tlm_extension_base& other) override {
    *this = static_cast<const pcie_ext&>(other);
  }
};

}  // namespace iovsim::kit
