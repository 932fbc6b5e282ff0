#include "models/memory/dram.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "models/kit/pcie_ext.h"
#include "models/kit/sim_env.h"

namespace iovsim::mem {

dram::dram(sc_core::sc_module_name name, uint64_t size_bytes)
    : sc_module(name), dma("dma"), m_size(size_bytes) {
  dma.register_b_transport(this, &dram::b_transport);
}

bool dram::in_range(uint64_t addr, uint64_t len, const char* what) {
  if (contains(addr, len)) return true;
  SC_REPORT_ERROR(name(), fmt::format("{} of {} bytes at 0x{:x} is beyond memory (size 0x{:x})", what, len, addr,
                                      m_size).c_str());
  return false;
}

void dram::read(uint64_t addr, void* data, unsigned len) {
  auto* out = static_cast<uint8_t*>(data);
  if (!in_range(addr, len, "read")) {
    std::memset(out, 0, len);
    return;
  }
  while (len) {
    const uint64_t off = addr % PAGE_BYTES;
    const unsigned n = static_cast<unsigned>(std::min<uint64_t>(len, PAGE_BYTES - off));
    page* pg = find_page(addr / PAGE_BYTES, false);
    if (!pg)
      std::memset(out, 0, n);
    else
      std::memcpy(out, pg->data() + off, n);
    addr += n;
    out += n;
    len -= n;
  }
}

dram::page* dram::find_page(uint64_t number, bool create) {
  cached_page& c = m_page_cache[number % PAGE_CACHE];
  if (c.number == number) return c.p;
  page* p = nullptr;
  if (create) {
    std::unique_ptr<page>& pg = m_pages[number];
    if (!pg) pg = std::make_unique<page>();  // value-initialised: zero-filled
    p = pg.get();
  } else {
    auto it = m_pages.find(number);
    if (it == m_pages.end()) return nullptr;  // not cached: a later write creates it
    p = it->second.get();
  }
  c = {number, p};
  return p;
}

void dram::write(uint64_t addr, const void* data, unsigned len) {
  const auto* in = static_cast<const uint8_t*>(data);
  if (!in_range(addr, len, "write")) return;
  while (len) {
    const uint64_t off = addr % PAGE_BYTES;
    const unsigned n = static_cast<unsigned>(std::min<uint64_t>(len, PAGE_BYTES - off));
    std::memcpy(find_page(addr / PAGE_BYTES, true)->data() + off, in, n);
    addr += n;
    in += n;
    len -= n;
  }
}

sc_core::sc_time dram::access(const sc_core::sc_time& now, unsigned bytes) {
  const unsigned __int128 num = static_cast<unsigned __int128>(bytes) * 1'000'000'000'000ull;
  const auto occupancy_ps = static_cast<uint64_t>((num + bandwidth() - 1) / bandwidth());
  return m_channel.reserve(now, sc_core::sc_time(static_cast<double>(occupancy_ps), sc_core::SC_PS)) + latency();
}

void dram::set_owner(uint64_t addr, uint64_t len, const std::string& owner) {
  if (len == 0) return;
  const uint64_t end = addr + len;
  // Split the ranges that straddle either boundary, then replace what lies between.
  for (uint64_t cut : {addr, end}) {
    auto it = m_owners.upper_bound(cut);
    if (it == m_owners.begin()) continue;
    --it;
    if (it->first < cut && cut < it->second.end) {
      m_owners.emplace(cut, owner_range{it->second.end, it->second.owner});
      it->second.end = cut;
    }
  }
  m_owners.erase(m_owners.lower_bound(addr), m_owners.lower_bound(end));
  if (!owner.empty()) m_owners.emplace(addr, owner_range{end, owner});
}

std::string dram::owner_of(uint64_t addr) const {
  auto it = m_owners.upper_bound(addr);
  if (it == m_owners.begin()) return "";
  --it;
  return addr < it->second.end ? it->second.owner : "";
}

bool dram::writes_foreign(uint64_t addr, uint64_t len, uint16_t requester) const {
  if (m_owners.empty()) return false;
  auto r = m_requester_owner.find(requester);
  const std::string mine = r == m_requester_owner.end() ? "" : r->second;
  auto it = m_owners.upper_bound(addr);
  if (it != m_owners.begin()) --it;
  for (; it != m_owners.end() && it->first < addr + len; ++it)
    if (it->second.end > addr && it->second.owner != mine) return true;
  return false;
}

void dram::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  const uint64_t addr = trans.get_address();
  const unsigned len = trans.get_data_length();
  const kit::pcie_ext* ext = trans.get_extension<kit::pcie_ext>();
  const uint16_t requester = ext ? ext->requester_id : 0;
  if (trans.get_byte_enable_ptr()) {
    trans.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return;
  }
  if (!contains(addr, len)) {
    // Device DMA goes where software pointed it: a request no memory decodes is an
    // Unsupported Request (PCIe base spec 2.3.2; the root complex's master abort),
    // which the device sees as an error completion. Nothing is read or written.
    ++m_dma_beyond;
    kit::sim_env::current().log(
        "mem", name(),
        fmt::format("DMA {} of {} bytes at 0x{:x} from {:02x}:{:02x}.{} is beyond memory (size 0x{:x}): "
                    "Unsupported Request",
                    trans.is_write() ? "write" : "read", len, addr, requester >> 8, (requester >> 3) & 0x1f,
                    requester & 7, m_size));
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  const sc_core::sc_time stamp = sc_core::sc_time_stamp();
  delay = access(stamp + delay, len) - stamp;
  m_dma_bytes += len;
  if (trans.is_read()) {
    ++m_dma_reads;
    read(addr, trans.get_data_ptr(), len);
  } else if (trans.is_write()) {
    ++m_dma_writes;
    write(addr, trans.get_data_ptr(), len);
    if (writes_foreign(addr, len, requester)) {
      ++m_foreign_writes;
      ++m_foreign_by[requester];
    }
    for (auto& fn : m_observers) fn(addr, len, requester);
  }
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

}  // namespace iovsim::mem
