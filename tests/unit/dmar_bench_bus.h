// The host's bus on a bench, for driving the intel_iommu driver without a machine:
// MMIO at platform::DMAR_BASE goes to a remapping unit's register socket (each access
// costs 100 ns, an uncached access across the uncore), CPU loads and stores go to the
// DRAM, and config space is whatever config spaces a test puts in `cfg` (by routing
// ID; absent functions read all ones).
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "models/memory/dram.h"
#include "models/pcie/config_space.h"
#include "platform/platform.h"

namespace iovsim::test {

class bench_bus : public sc_core::sc_module, public platform::host_bus {
 public:
  tlm_utils::simple_initiator_socket<bench_bus> regs;
  tlm_utils::simple_initiator_socket<bench_bus> dma_unused;   // the DRAM's DMA target must be bound
  bench_bus(sc_core::sc_module_name n, mem::dram& dram) : sc_module(n), regs("regs"), dma_unused("dma"), m_dram(dram) {
    dma_unused.bind(dram.dma);
  }
  uint32_t cfg_read(unsigned bus, unsigned devfn, unsigned reg, unsigned len) override {
    ++cfg_accesses;
    auto it = cfg.find(static_cast<uint16_t>(bus << 8 | devfn));
    return it == cfg.end() ? ~0u : it->second->read(reg, len);
  }
  void cfg_write(unsigned bus, unsigned devfn, unsigned reg, unsigned len, uint32_t v) override {
    ++cfg_accesses;
    auto it = cfg.find(static_cast<uint16_t>(bus << 8 | devfn));
    if (it != cfg.end()) it->second->write(reg, len, v);
  }
  uint64_t mmio_read(uint64_t addr, unsigned len) override { return access(addr, len, false, 0); }
  void mmio_write(uint64_t addr, unsigned len, uint64_t v) override { access(addr, len, true, v); }
  void mem_read(uint64_t addr, void* data, unsigned len) override { m_dram.read(addr, data, len); }
  void mem_write(uint64_t addr, const void* data, unsigned len) override { m_dram.write(addr, data, len); }

  std::map<uint16_t, pcie::config_space*> cfg;
  uint64_t cfg_accesses = 0;

 private:
  uint64_t access(uint64_t addr, unsigned len, bool write, uint64_t v) {
    EXPECT_GE(addr, platform::DMAR_BASE);
    tlm::tlm_generic_payload t;
    t.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
    t.set_address(addr - platform::DMAR_BASE);
    t.set_data_ptr(reinterpret_cast<unsigned char*>(&v));
    t.set_data_length(len);
    t.set_streaming_width(len);
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    regs->b_transport(t, delay);
    EXPECT_EQ(t.get_response_status(), tlm::TLM_OK_RESPONSE);
    sc_core::wait(sc_core::sc_time(100, sc_core::SC_NS));
    return len < 8 ? v & ((1ull << (8 * len)) - 1) : v;
  }
  mem::dram& m_dram;
};

}  // namespace iovsim::test
