// The PCIe extension every transaction carries (DESIGN.md section 4): who asks
// (requester ID), what kind of TLP it is and, for configuration requests, where it
// goes. Config requests address functions by routing ID (ECAM layout: bus<<20 |
// devfn<<12 | register), so the payload address of a config TLP is its ECAM offset.
#pragma once

#include <cstdint>
#include <tlm>

namespace iovsim::kit {

enum class tlp_kind : uint8_t { mem, cfg0, cfg1, io };

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

  tlm::tlm_extension_base* clone() const override { return new pcie_ext(*this); }
  void copy_from(const tlm::tlm_extension_base& other) override {
    *this = static_cast<const pcie_ext&>(other);
  }
};

}  // namespace iovsim::kit
