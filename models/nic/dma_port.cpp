#include "models/nic/dma_port.h"

#include <algorithm>

namespace iovsim::nic {

namespace {
constexpr uint64_t PAGE_BYTES = 4096;
}

tlm_dma_port::tlm_dma_port(sc_core::sc_module_name name) : sc_module(name), socket("socket") {
  m_trans.set_extension(&m_ext);
  m_trans.set_byte_enable_ptr(nullptr);
}

tlm_dma_port::~tlm_dma_port() { m_trans.clear_extension(&m_ext); }  // a member, not the payload's to free

bool tlm_dma_port::read(uint16_t rid, uint64_t addr, void* data, uint32_t len, const sc_core::sc_time& at,
                        sc_core::sc_time& done) {
  return transfer(false, rid, addr, static_cast<uint8_t*>(data), len, at, done);
}

bool tlm_dma_port::write(uint16_t rid, uint64_t addr, const void* data, uint32_t len, const sc_core::sc_time& at,
                         sc_core::sc_time& done) {
  // The payload's data pointer is not const; a write only reads it.
  return transfer(true, rid, addr, const_cast<uint8_t*>(static_cast<const uint8_t*>(data)), len, at, done);
}

bool tlm_dma_port::transfer(bool write, uint16_t rid, uint64_t addr, uint8_t* data, uint32_t len,
                            const sc_core::sc_time& at, sc_core::sc_time& done) {
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  done = at;
  bool ok = true;
  // Every piece is asked for at `at` (the path serialises them); the transfer is done
  // when the last one is.
  for (uint32_t off = 0; off < len;) {
    const uint64_t a = addr + off;
    const auto n = static_cast<uint32_t>(std::min<uint64_t>(len - off, PAGE_BYTES - (a % PAGE_BYTES)));
    m_ext = kit::pcie_ext{};
    m_ext.requester_id = rid;
    m_trans.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
    m_trans.set_address(a);
    m_trans.set_data_ptr(data + off);
    m_trans.set_data_length(n);
    m_trans.set_streaming_width(n);
    m_trans.set_dmi_allowed(false);
    m_trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_core::sc_time start = at;
    sc_core::sc_time* tag = nullptr;
    if (!write) {
      // A tag: a free one, or the oldest read's once it completes.
      if (m_read_tags.size() < max_read_requests) {
        m_read_tags.push_back(sc_core::SC_ZERO_TIME);
        tag = &m_read_tags.back();
      } else {
        tag = &m_read_tags[m_oldest_tag];
        m_oldest_tag = (m_oldest_tag + 1) % m_read_tags.size();
        start = std::max(start, *tag);
      }
    }
    sc_core::sc_time delay = start > now ? start - now : sc_core::SC_ZERO_TIME;
    socket->b_transport(m_trans, delay);
    done = std::max(done, now + delay);
    if (tag) *tag = now + delay;
    ok = ok && m_trans.get_response_status() == tlm::TLM_OK_RESPONSE;
    off += n;
  }
  return ok;
}

}  // namespace iovsim::nic
