// What the NIC's queue engines ask of the PCIe side: memory reads and writes by a
// function's requester ID, asked for at a time and answered with the time the data
// arrived (reads) or left (posted writes). Loosely timed: the data moves at once, the
// time says when; the path's reservations (link, IOMMU, memory) serialise requests,
// so an engine issues what it needs and takes one event at the end.
#pragma once

#include <tlm_utils/simple_initiator_socket.h>

#include <algorithm>
#include <cstdint>
#include <systemc>
#include <tlm>
#include <vector>

#include "models/kit/param.h"
#include "models/kit/pcie_ext.h"

namespace iovsim::nic {

class dma_port {
 public:
  virtual ~dma_port() = default;
  // False when the request completed with an error (an IOMMU fault, an Unsupported
  // Request): nothing was read (data untouched) or written.
  virtual bool read(uint16_t rid, uint64_t addr, void* data, uint32_t len, const sc_core::sc_time& at,
                    sc_core::sc_time& done) = 0;
  virtual bool write(uint16_t rid, uint64_t addr, const void* data, uint32_t len, const sc_core::sc_time& at,
                     sc_core::sc_time& done) = 0;
  // When a read asked for at `at` could have a tag (`at` when one is free): an engine
  // that waits until then keeps its reads from being reserved ahead of time.
  virtual sc_core::sc_time read_tag_free(const sc_core::sc_time& at) const { return at; }
};

// The dma_port of a device on the platform: TLM memory requests through `socket`
// (bound to the link toward the root complex), split at 4 KiB boundaries (PCIe base
// spec 2.2.7: no request crosses one; the IOMMU translates per page), each with the
// requester ID in a kit::pcie_ext. Usable from SC_METHODs: nothing on the path waits.
class tlm_dma_port : public sc_core::sc_module, public dma_port {
 public:
  tlm_utils::simple_initiator_socket<tlm_dma_port> socket;

  explicit tlm_dma_port(sc_core::sc_module_name name);
  ~tlm_dma_port() override;
  bool read(uint16_t rid, uint64_t addr, void* data, uint32_t len, const sc_core::sc_time& at,
            sc_core::sc_time& done) override;
  bool write(uint16_t rid, uint64_t addr, const void* data, uint32_t len, const sc_core::sc_time& at,
             sc_core::sc_time& done) override;
  sc_core::sc_time read_tag_free(const sc_core::sc_time& at) const override {
    if (m_read_tags.size() < max_read_requests) return at;
    return std::max(at, m_read_tags[m_oldest_tag]);
  }

 private:
  bool transfer(bool write, uint16_t rid, uint64_t addr, uint8_t* data, uint32_t len, const sc_core::sc_time& at,
                sc_core::sc_time& done);
  tlm::tlm_generic_payload m_trans;
  kit::pcie_ext m_ext;
  kit::scope m_scope{name(), "nic"};
  // Completion times of the read requests in flight, oldest first: a read asks for a
  // tag, and with every tag out it starts when the oldest read's completion frees one.
  std::vector<sc_core::sc_time> m_read_tags;
  size_t m_oldest_tag = 0;

 public:
  // Non-posted requests a function may have outstanding: 32 with 5-bit tags (PCIe
  // base spec 2.0, 2.2.6.2: without Extended Tag Field Enable, which Linux leaves
  // off on these parts). The 82599's own limit is not in the sources at hand; the
  // spec's is the ceiling.
  kit::param<unsigned> max_read_requests{
      m_scope, "max_read_requests", 32, "requests", "read requests in flight at once (PCIe tags)", {1, 256}};
};

}  // namespace iovsim::nic
