// Host DRAM (sparse pages, size limit, channel timing, DMA observers, ownership)
// and the DMA test endpoint driven like a driver: configuration and MMIO requests
// over TLM from an SC_THREAD, DMA through a timed PCIe link into DRAM.
#include <gtest/gtest.h>

#include <cstring>
#include <stdexcept>
#include <string>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <vector>

#include "models/kit/pcie_ext.h"
#include "models/memory/dram.h"
#include "models/pcie/capabilities.h"
#include "models/testdev/dma_device.h"
#include "models/pcie/link.h"
#include "scenarios/loader.h"
#include "tests/unit/sc_fixture.h"

namespace iovsim {
namespace {

using mem::dram;
using pcie::dma_device;
using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_ZERO_TIME;

constexpr uint64_t MiB = 1ull << 20;

// Collects SystemC reports instead of failing the test (restores the test main's
// handler, which turns every warning into a failure, when it goes).
class report_capture {
 public:
  report_capture() {
    messages().clear();
    m_old = sc_core::sc_report_handler::set_handler(&report_capture::handler);
  }
  ~report_capture() { sc_core::sc_report_handler::set_handler(m_old); }
  static std::vector<std::string>& messages() {
    static std::vector<std::string> m;
    return m;
  }

 private:
  static void handler(const sc_core::sc_report& r, const sc_core::sc_actions&) {
    messages().push_back(std::string(r.get_msg_type()) + ": " + r.get_msg());
  }
  sc_core::sc_report_handler_proc m_old;
};

// One DMA request from a test initiator.
struct dma_port : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<dma_port> socket;
  tlm::tlm_generic_payload trans;
  kit::pcie_ext ext;
  explicit dma_port(sc_core::sc_module_name n) : sc_module(n), socket("socket") { trans.set_extension(&ext); }
  ~dma_port() override { trans.clear_extension(&ext); }
  sc_time send(bool write, uint64_t addr, void* data, unsigned len, uint16_t requester, sc_time delay = SC_ZERO_TIME) {
    ext.requester_id = requester;
    trans.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
    trans.set_address(addr);
    trans.set_data_ptr(static_cast<unsigned char*>(data));
    trans.set_data_length(len);
    trans.set_streaming_width(len);
    trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    socket->b_transport(trans, delay);
    return delay;
  }
};

class memory : public test::sc_fixture {};

// ---------------------------------------------------------------------------
// DRAM

TEST_F(memory, sparse_pages_allocate_on_first_write_and_read_zero_before) {
  dram m("mem", 64 * MiB);
  EXPECT_EQ(m.read64(0x123450), 0u);
  EXPECT_EQ(m.pages_allocated(), 0u);  // reading does not allocate
  m.write64(0x1ffc, 0x1122334455667788ull);  // straddles pages 1 and 2
  EXPECT_EQ(m.pages_allocated(), 2u);
  EXPECT_EQ(m.read64(0x1ffc), 0x1122334455667788ull);
  uint8_t b[4];
  m.read(0x2000, b, 4);
  EXPECT_EQ(b[0], 0x44);
  EXPECT_EQ(b[3], 0x11);
  EXPECT_EQ(m.read64(0x1ff8), 0x5566778800000000ull);  // half written, half never
  std::vector<uint8_t> big(3 * dram::PAGE_BYTES, 0xa5);
  m.write(5 * dram::PAGE_BYTES + 100, big.data(), static_cast<unsigned>(big.size()));
  EXPECT_EQ(m.pages_allocated(), 6u);
  std::vector<uint8_t> back(big.size() + 200);
  m.read(5 * dram::PAGE_BYTES, back.data(), static_cast<unsigned>(back.size()));
  EXPECT_EQ(back[99], 0);
  EXPECT_EQ(back[100], 0xa5);
  EXPECT_EQ(back[99 + big.size()], 0xa5);
  EXPECT_EQ(back[100 + big.size()], 0);
  // The last byte is usable.
  m.write64(64 * MiB - 8, 7);
  EXPECT_EQ(m.read64(64 * MiB - 8), 7u);
}

// A model's own access beyond memory is a model bug: a SystemC error. Device DMA goes
// where software pointed it, so DMA beyond memory is modelled instead: an Unsupported
// Request the device sees as an error, logged and counted (found by fuzz_mmio: it used
// to be the same SystemC error, which stopped the run).
TEST_F(memory, accesses_beyond_the_size_are_reported_errors) {
  dram m("mem", 1 * MiB);
  dma_port dev("dev");
  dev.socket.bind(m.dma);
  report_capture cap;
  m.write64(MiB - 4, 1);
  ASSERT_EQ(cap.messages().size(), 1u);
  EXPECT_EQ(cap.messages()[0], "mem: write of 8 bytes at 0xffffc is beyond memory (size 0x100000)");
  EXPECT_EQ(m.pages_allocated(), 0u);
  EXPECT_EQ(m.read64(MiB), 0u);
  ASSERT_EQ(cap.messages().size(), 2u);
  EXPECT_EQ(cap.messages()[1], "mem: read of 8 bytes at 0x100000 is beyond memory (size 0x100000)");
  EXPECT_FALSE(m.contains(MiB - 4, 8));
  EXPECT_TRUE(m.contains(MiB - 8, 8));
  uint64_t v = 0;
  dev.send(true, ~0ull - 3, &v, 8, 0x0100);  // wraps around: still out of range
  EXPECT_EQ(dev.trans.get_response_status(), tlm::TLM_ADDRESS_ERROR_RESPONSE);
  dev.send(false, MiB, &v, 8, 0x0100);
  EXPECT_EQ(dev.trans.get_response_status(), tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_EQ(cap.messages().size(), 2u);  // no SystemC error: the run goes on
  EXPECT_EQ(m.dma_writes(), 0u);
  EXPECT_EQ(m.dma_reads(), 0u);
  EXPECT_EQ(m.dma_beyond_memory(), 2u);
  const auto& log = kit::sim_env::current().log_lines();
  ASSERT_FALSE(log.empty());
  EXPECT_NE(log.back().find("mem: DMA read of 8 bytes at 0x100000 from 01:00.0 is beyond memory (size 0x100000): "
                            "Unsupported Request"),
            std::string::npos)
      << log.back();
}

TEST_F(memory, access_time_is_latency_plus_bytes_over_bandwidth_by_reservation) {
  dram m("mem", 64 * MiB);
  EXPECT_EQ(m.latency(), sc_time(80, SC_NS));
  EXPECT_EQ(m.bandwidth_bytes_per_s(), 19'200'000'000ull);
  EXPECT_EQ(env->params().declared().at("mem.bandwidth").unit, "bytes/s");
  // 64 B at 19.2 GB/s = 3.333 ns (rounded up to the ps).
  const sc_time t0(1, sc_core::SC_US);
  EXPECT_EQ(m.access(t0, 64), t0 + sc_time(3334, sc_core::SC_PS) + sc_time(80, SC_NS));
  EXPECT_EQ(m.access(t0, 64), t0 + sc_time(2 * 3334, sc_core::SC_PS) + sc_time(80, SC_NS));  // queued
  // 4 KiB: 213.334 ns on the channel.
  const sc_time t1(2, sc_core::SC_US);
  EXPECT_EQ(m.access(t1, 4096), t1 + sc_time(213334, sc_core::SC_PS) + sc_time(80, SC_NS));
  EXPECT_EQ(m.channel().uses(), 3u);
}

TEST_F(memory, parameters_can_be_overridden) {
  env->params().set_override("ram.latency", "50ns");
  env->params().set_override("ram.bandwidth", "1000000000");  // 1 GB/s: 1 ns per byte
  dram m("ram", MiB);
  EXPECT_EQ(m.access(SC_ZERO_TIME, 100), sc_time(150, SC_NS));
}

TEST_F(memory, dma_goes_through_the_socket_with_timing_and_observers) {
  dram m("mem", 64 * MiB);
  dma_port dev("dev");
  dev.socket.bind(m.dma);
  struct seen {
    uint64_t addr;
    unsigned len;
    uint16_t rid;
  };
  std::vector<seen> writes;
  m.add_write_observer([&](uint64_t a, unsigned l, uint16_t r) { writes.push_back({a, l, r}); });
  uint8_t buf[256];
  for (unsigned i = 0; i < sizeof buf; ++i) buf[i] = static_cast<uint8_t>(i);
  const sc_time d = dev.send(true, 0x4000, buf, 256, 0x0310, sc_time(10, SC_NS));
  EXPECT_EQ(dev.trans.get_response_status(), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(d, sc_time(10, SC_NS) + sc_time(13334, sc_core::SC_PS) + sc_time(80, SC_NS));
  ASSERT_EQ(writes.size(), 1u);
  EXPECT_EQ(writes[0].addr, 0x4000u);
  EXPECT_EQ(writes[0].len, 256u);
  EXPECT_EQ(writes[0].rid, 0x0310);
  uint8_t in[256] = {};
  dev.send(false, 0x4000, in, 256, 0x0310);
  EXPECT_EQ(std::memcmp(in, buf, 256), 0);
  EXPECT_EQ(writes.size(), 1u);  // reads are not observed
  EXPECT_EQ(m.dma_reads(), 1u);
  EXPECT_EQ(m.dma_writes(), 1u);
  EXPECT_EQ(m.dma_bytes(), 512u);
  // Byte enables are not supported by a DMA target.
  uint8_t be[4] = {0xff, 0, 0xff, 0};
  dev.trans.set_byte_enable_ptr(be);
  dev.trans.set_byte_enable_length(4);
  dev.send(true, 0x4000, buf, 4, 0x0310);
  EXPECT_EQ(dev.trans.get_response_status(), tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
  dev.trans.set_byte_enable_ptr(nullptr);
  EXPECT_EQ(writes.size(), 1u);
}

TEST_F(memory, ownership_ranges_split_and_count_foreign_writes) {
  dram m("mem", 64 * MiB);
  m.set_owner(0x10000, 0x10000, "vm1");     // [0x10000, 0x20000)
  m.set_owner(0x18000, 0x1000, "vm2");      // splits vm1 in two
  EXPECT_EQ(m.owner_of(0xffff), "");
  EXPECT_EQ(m.owner_of(0x10000), "vm1");
  EXPECT_EQ(m.owner_of(0x17fff), "vm1");
  EXPECT_EQ(m.owner_of(0x18000), "vm2");
  EXPECT_EQ(m.owner_of(0x18fff), "vm2");
  EXPECT_EQ(m.owner_of(0x19000), "vm1");
  EXPECT_EQ(m.owner_of(0x1ffff), "vm1");
  EXPECT_EQ(m.owner_of(0x20000), "");
  m.set_owner(0x1f000, 0x2000, "");         // clears across the end of vm1
  EXPECT_EQ(m.owner_of(0x1efff), "vm1");
  EXPECT_EQ(m.owner_of(0x1f000), "");
  m.set_owner(0x18000, 0x1000, "vm1");      // re-tag the hole
  EXPECT_EQ(m.owner_of(0x18800), "vm1");

  dma_port dev("dev");
  dev.socket.bind(m.dma);
  m.assign_requester(0x0310, "vm1");
  m.assign_requester(0x0311, "vm2");
  uint64_t v = 0;
  dev.send(true, 0x10000, &v, 8, 0x0310);   // vm1 into vm1: fine
  dev.send(true, 0x30000, &v, 8, 0x0310);   // untagged memory: nobody to protect
  EXPECT_EQ(m.foreign_writes(), 0u);
  dev.send(true, 0x10000, &v, 8, 0x0311);   // vm2 into vm1
  dev.send(true, 0x0fffc, &v, 8, 0x0312);   // unassigned requester, straddles into vm1
  EXPECT_EQ(m.foreign_writes(), 2u);
  EXPECT_EQ(m.foreign_writes_by_requester().at(0x0311), 1u);
  EXPECT_EQ(m.foreign_writes_by_requester().at(0x0312), 1u);
  EXPECT_EQ(m.foreign_writes_by_requester().count(0x0310), 0u);
}

// ---------------------------------------------------------------------------
// The DMA test endpoint

const pb::DeviceProfile& dma_profile() {
  for (const auto& p : scen::builtin_profiles().device())
    if (p.name() == "iovsim_dma") return p;
  throw std::runtime_error("no built-in device profile iovsim_dma");
}

// Between the link and DRAM: fails requests that touch a window, as an IOMMU fault
// would (the IOMMU arrives with its own model).
class fault_window : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<fault_window> in;
  tlm_utils::simple_initiator_socket<fault_window> out;
  uint64_t lo = 0, hi = 0;
  explicit fault_window(sc_core::sc_module_name n) : sc_module(n), in("in"), out("out") {
    in.register_b_transport(this, &fault_window::b_transport);
  }

 private:
  void b_transport(tlm::tlm_generic_payload& t, sc_time& delay) {
    if (t.get_address() < hi && t.get_address() + t.get_data_length() > lo) {
      t.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
      return;
    }
    out->b_transport(t, delay);
  }
};

// The host's side of the device's upstream link (configuration and MMIO requests).
struct host_port : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<host_port> socket;
  explicit host_port(sc_core::sc_module_name n) : sc_module(n), socket("socket") {}
};

constexpr uint64_t BAR0 = 0xfe000000;
constexpr unsigned BUS = 3;

class dma_bench : public test::sc_fixture {
 protected:
  void SetUp() override {
    sc_fixture::SetUp();
    m_mem = std::make_unique<dram>("mem", 64 * MiB);
    m_link = std::make_unique<pcie::pcie_link>("pcie0", pcie::link_config{3, 4, 256, 512, 64});
    m_path = std::make_unique<pcie::link_upstream_path>("path", *m_link);
    m_faults = std::make_unique<fault_window>("faults");
    m_dev = std::make_unique<dma_device>("dma", dma_profile());
    m_host = std::make_unique<host_port>("host");
    m_host->socket.bind(m_dev->upstream);
    m_dev->dma.bind(m_path->from_device);
    m_path->to_host.bind(m_faults->in);
    m_faults->out.bind(m_mem->dma);
    m_trans.set_extension(&m_ext);
  }
  void TearDown() override {
    m_trans.clear_extension(&m_ext);
    m_host.reset();
    m_dev.reset();
    m_faults.reset();
    m_path.reset();
    m_link.reset();
    m_mem.reset();
    sc_fixture::TearDown();
  }

  uint64_t request(kit::tlp_kind kind, uint64_t addr, unsigned len, bool write, uint64_t value = 0) {
    uint64_t data = value;
    m_ext = kit::pcie_ext{};
    m_ext.kind = kind;
    m_ext.target_id = kit::make_rid(BUS, 0);
    m_trans.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
    m_trans.set_address(kind == kit::tlp_kind::mem ? addr : kit::ecam_address(BUS, 0, static_cast<unsigned>(addr)));
    m_trans.set_data_ptr(reinterpret_cast<unsigned char*>(&data));
    m_trans.set_data_length(len);
    m_trans.set_streaming_width(len);
    sc_time delay = SC_ZERO_TIME;
    m_host->socket->b_transport(m_trans, delay);
    EXPECT_EQ(m_trans.get_response_status(), tlm::TLM_OK_RESPONSE);
    return data;
  }
  void cfg_write(unsigned reg, unsigned len, uint32_t v) { request(kit::tlp_kind::cfg0, reg, len, true, v); }
  uint32_t cfg_read(unsigned reg, unsigned len) {
    return static_cast<uint32_t>(request(kit::tlp_kind::cfg0, reg, len, false));
  }
  uint64_t mmio_read(uint32_t off, unsigned len = 4) { return request(kit::tlp_kind::mem, BAR0 + off, len, false); }
  void mmio_write(uint32_t off, unsigned len, uint64_t v) { request(kit::tlp_kind::mem, BAR0 + off, len, true, v); }

  // What a driver's probe does: place BAR0, enable memory and bus mastering, set MPS.
  void probe(unsigned mps_field = 1) {
    cfg_write(pcie::CFG_BAR0, 4, static_cast<uint32_t>(BAR0));
    cfg_write(pcie::CFG_COMMAND, 2, pcie::COMMAND_MEMORY | pcie::COMMAND_MASTER);
    const uint32_t exp = m_dev->pfs()[0]->cfg().find_cap(pcie::CAP_ID_EXP);
    ASSERT_NE(exp, 0u);
    const uint32_t devctl = cfg_read(exp + pcie::EXP_DEVCTL, 2);
    cfg_write(exp + pcie::EXP_DEVCTL, 2, (devctl & ~0xe0u) | (mps_field << 5));
  }
  // Programs and starts a transfer, waits for its end; returns how long it took.
  sc_time transfer(uint64_t src, uint64_t dst, uint32_t len, uint32_t control) {
    mmio_write(dma_device::SRC_ADDR, 8, src);
    mmio_write(dma_device::DST_ADDR, 8, dst);
    mmio_write(dma_device::LENGTH, 4, len);
    const sc_time t0 = sc_core::sc_time_stamp();
    mmio_write(dma_device::CONTROL, 4, control | dma_device::CONTROL_START);
    EXPECT_EQ(mmio_read(dma_device::STATUS) & dma_device::STATUS_BUSY, dma_device::STATUS_BUSY);
    sc_core::wait(m_dev->transfer_end());
    return sc_core::sc_time_stamp() - t0;
  }

  std::unique_ptr<dram> m_mem;
  std::unique_ptr<pcie::pcie_link> m_link;
  std::unique_ptr<pcie::link_upstream_path> m_path;
  std::unique_ptr<fault_window> m_faults;
  std::unique_ptr<dma_device> m_dev;
  std::unique_ptr<host_port> m_host;
  tlm::tlm_generic_payload m_trans;
  kit::pcie_ext m_ext;
};

TEST_F(dma_bench, identity_registers_and_buffer_window) {
  run_thread([&] {
    EXPECT_EQ(cfg_read(pcie::CFG_VENDOR_ID, 4), 0xd0a01234u);
    EXPECT_EQ(cfg_read(0x08, 4) >> 8, 0xff0000u);  // class code
    probe();
    EXPECT_EQ(mmio_read(dma_device::ID), dma_device::ID_VALUE);
    EXPECT_EQ(mmio_read(dma_device::VERSION), dma_device::VERSION_VALUE);
    mmio_write(dma_device::ID, 4, 0);
    EXPECT_EQ(mmio_read(dma_device::ID), dma_device::ID_VALUE);  // read-only
    mmio_write(dma_device::SCRATCH, 4, 0xcafef00d);
    EXPECT_EQ(mmio_read(dma_device::SCRATCH), 0xcafef00du);
    mmio_write(dma_device::BUFFER_OFFSET + 0x10, 8, 0x0102030405060708ull);
    EXPECT_EQ(mmio_read(dma_device::BUFFER_OFFSET + 0x10, 8), 0x0102030405060708ull);
    EXPECT_EQ(mmio_read(dma_device::BUFFER_OFFSET + 0x14, 2), 0x0304u);
    EXPECT_EQ(m_dev->buffer()[0x10], 0x08);
    EXPECT_EQ(mmio_read(dma_device::BUFFER_OFFSET + dma_device::BUFFER_BYTES - 4), 0u);
    EXPECT_EQ(mmio_read(0x1000), 0u);  // a hole
    mmio_write(dma_device::CONTROL, 4, dma_device::CONTROL_IRQ_EN);
    EXPECT_EQ(mmio_read(dma_device::CONTROL), dma_device::CONTROL_IRQ_EN);
    EXPECT_EQ(mmio_read(dma_device::STATUS), 0u);
  });
}

TEST_F(dma_bench, read_from_host_memory_into_the_buffer) {
  std::vector<uint8_t> pattern(4096);
  for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = static_cast<uint8_t>(i * 7 + 3);
  m_mem->write(0x10000, pattern.data(), 4096);
  unsigned irqs = 0;
  m_dev->set_interrupt_handler([&] { ++irqs; });
  run_thread([&] {
    probe();
    sc_core::wait(sc_time(1, sc_core::SC_US));
    const sc_time took = transfer(0x10000, 0x100, 4096, dma_device::CONTROL_IRQ_EN);
    EXPECT_EQ(mmio_read(dma_device::STATUS), dma_device::STATUS_DONE);
    EXPECT_EQ(mmio_read(dma_device::XFER_COUNT, 8), 1u);
    EXPECT_EQ(std::memcmp(m_dev->buffer().data() + 0x100, pattern.data(), 4096), 0);
    EXPECT_EQ(mmio_read(dma_device::BUFFER_OFFSET + 0x100, 4), 0x18110a03u);  // bytes 3, 10, 17, 24
    EXPECT_EQ(irqs, 1u);
    // MRRS 512 (Device Control reset value): 8 requests, all issued at once. The
    // first 512 B are ready one request + hop + channel + DRAM latency later; the
    // eight completion bursts (512 + 8 x 20 B each) then hold downstream back to back.
    const sc_time hop = m_link->hop_latency(), occ(26667, sc_core::SC_PS);
    const sc_time expect =
        m_link->wire_time(24) + hop + occ + m_mem->latency() + 8 * m_link->wire_time(512 + 8 * 20) + hop;
    EXPECT_EQ(took, expect);
    EXPECT_NEAR(took.to_seconds() * 1e9, 1892.7, 1.0);  // ~1.89 us for 4 KiB on Gen3 x4
    EXPECT_EQ(m_dev->requests_issued(), 8u);
    EXPECT_EQ(m_link->upstream_stats().tlps, 8u);
    EXPECT_EQ(m_link->downstream_stats().tlps, 64u);
    EXPECT_EQ(m_link->downstream_stats().payload_bytes, 4096u);
    // Clearing DONE (write 1) leaves STATUS idle.
    mmio_write(dma_device::STATUS, 4, dma_device::STATUS_DONE);
    EXPECT_EQ(mmio_read(dma_device::STATUS), 0u);
  });
}

TEST_F(dma_bench, write_to_host_memory_with_requester_id_observed) {
  std::vector<uint64_t> seen;
  std::vector<uint16_t> rids;
  m_mem->add_write_observer([&](uint64_t a, unsigned, uint16_t r) {
    seen.push_back(a);
    rids.push_back(r);
  });
  m_mem->set_owner(0x20000, 0x1000, "vm1");
  m_mem->set_owner(0x40000, 0x1000, "host");
  m_mem->assign_requester(kit::make_rid(BUS, 0), "vm1");
  for (unsigned i = 0; i < 4096; ++i) m_dev->buffer()[i] = static_cast<uint8_t>(0xff - i);
  run_thread([&] {
    probe(1);  // MPS 256
    const sc_time took = transfer(0, 0x20000, 4096, dma_device::CONTROL_DIR_TO_HOST);
    EXPECT_EQ(mmio_read(dma_device::STATUS), dma_device::STATUS_DONE);
    // 16 writes of 256 B (280 B on the wire) back to back upstream; DRAM keeps up
    // (13.3 ns per 256 B), so the last one is in memory hop + channel + latency later.
    const sc_time expect = 16 * m_link->wire_time(280) + m_link->hop_latency() + sc_time(13334, sc_core::SC_PS) +
                           m_mem->latency();
    EXPECT_EQ(took, expect);
    EXPECT_EQ(m_mem->foreign_writes(), 0u);
    // The same data into memory that belongs to someone else: every write counts.
    transfer(0, 0x40000, 4096, dma_device::CONTROL_DIR_TO_HOST);
    EXPECT_EQ(m_mem->foreign_writes(), 16u);
    EXPECT_EQ(mmio_read(dma_device::XFER_COUNT, 8), 2u);
    // MPS 128: twice as many requests.
    probe(0);
    transfer(0, 0x60000, 256, dma_device::CONTROL_DIR_TO_HOST);
  });
  ASSERT_EQ(seen.size(), 34u);
  EXPECT_EQ(seen[0], 0x20000u);
  EXPECT_EQ(seen[15], 0x20f00u);
  EXPECT_EQ(seen[33], 0x60080u);
  for (uint16_t r : rids) EXPECT_EQ(r, 0x0300);
  std::vector<uint8_t> back(4096);
  m_mem->read(0x20000, back.data(), 4096);
  EXPECT_EQ(std::memcmp(back.data(), m_dev->buffer().data(), 4096), 0);
  EXPECT_EQ(m_dev->transfers(), 3u);
  EXPECT_EQ(m_dev->bytes_moved(), 2u * 4096 + 256);
  EXPECT_EQ(m_dev->interrupts(), 0u);
}

TEST_F(dma_bench, requests_never_cross_a_4k_boundary) {
  std::vector<uint64_t> seen;
  std::vector<unsigned> lens;
  m_mem->add_write_observer([&](uint64_t a, unsigned l, uint16_t) {
    seen.push_back(a);
    lens.push_back(l);
  });
  run_thread([&] {
    probe(1);
    transfer(0, 0x20f80, 512, dma_device::CONTROL_DIR_TO_HOST);
    EXPECT_EQ(mmio_read(dma_device::STATUS), dma_device::STATUS_DONE);
  });
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], 0x20f80u);
  EXPECT_EQ(lens[0], 128u);
  EXPECT_EQ(seen[1], 0x21000u);
  EXPECT_EQ(lens[1], 256u);
  EXPECT_EQ(lens[2], 128u);
}

TEST_F(dma_bench, a_faulting_request_stops_the_transfer_with_an_error) {
  m_faults->lo = 0x30800;
  m_faults->hi = 0x30900;
  unsigned irqs = 0;
  m_dev->set_interrupt_handler([&] { ++irqs; });
  std::fill(m_dev->buffer().begin(), m_dev->buffer().end(), 0x5a);
  run_thread([&] {
    probe(1);
    transfer(0, 0x30000, 4096, dma_device::CONTROL_DIR_TO_HOST | dma_device::CONTROL_IRQ_EN);
    const uint64_t status = mmio_read(dma_device::STATUS);
    EXPECT_EQ(status, dma_device::STATUS_ERROR | (dma_device::ERR_DMA << dma_device::STATUS_ERR_CODE_SHIFT));
    EXPECT_EQ(mmio_read(dma_device::ERR_ADDR, 8), 0x30800u);
    EXPECT_EQ(mmio_read(dma_device::XFER_COUNT, 8), 0u);
    EXPECT_EQ(irqs, 1u);
    // Writing 1 to ERROR clears it and its code.
    mmio_write(dma_device::STATUS, 4, dma_device::STATUS_ERROR);
    EXPECT_EQ(mmio_read(dma_device::STATUS), 0u);
    // A read from the window fails the same way.
    transfer(0x30800, 0, 256, 0);
    EXPECT_EQ(mmio_read(dma_device::STATUS) >> dma_device::STATUS_ERR_CODE_SHIFT, dma_device::ERR_DMA);
  });
  EXPECT_EQ(m_mem->read64(0x307f8), 0x5a5a5a5a5a5a5a5aull);  // before the fault: written
  EXPECT_EQ(m_mem->read64(0x30a00), 0u);                     // after it: never issued
  EXPECT_EQ(m_dev->failed_transfers(), 2u);
  EXPECT_EQ(m_dev->bytes_moved(), 0x800u);
}

TEST_F(dma_bench, bad_length_and_disabled_bus_master_fail_without_dma) {
  run_thread([&] {
    probe();
    const sc_time none = transfer(0, 0x1000, 0, 0);
    EXPECT_EQ(none, SC_ZERO_TIME);
    EXPECT_EQ(mmio_read(dma_device::STATUS), dma_device::STATUS_ERROR | (dma_device::ERR_LENGTH << 8));
    transfer(0xff00, 0x1000, 0x200, dma_device::CONTROL_DIR_TO_HOST);  // runs off the buffer's end
    EXPECT_EQ(mmio_read(dma_device::STATUS) >> 8, dma_device::ERR_LENGTH);
    cfg_write(pcie::CFG_COMMAND, 2, pcie::COMMAND_MEMORY);  // Bus Master Enable off
    transfer(0, 0x1000, 64, dma_device::CONTROL_DIR_TO_HOST);
    EXPECT_EQ(mmio_read(dma_device::STATUS) >> 8, dma_device::ERR_NO_BUS_MASTER);
  });
  EXPECT_EQ(m_dev->requests_issued(), 0u);
  EXPECT_EQ(m_mem->dma_writes(), 0u);
}

TEST_F(dma_bench, start_while_busy_is_ignored_and_reset_clears_state) {
  run_thread([&] {
    probe(1);
    mmio_write(dma_device::SRC_ADDR, 8, 0);
    mmio_write(dma_device::DST_ADDR, 8, 0x1000);
    mmio_write(dma_device::LENGTH, 4, 0x1000);
    mmio_write(dma_device::CONTROL, 4, dma_device::CONTROL_DIR_TO_HOST | dma_device::CONTROL_START);
    sc_core::wait(sc_time(10, SC_NS));
    mmio_write(dma_device::CONTROL, 4, dma_device::CONTROL_DIR_TO_HOST | dma_device::CONTROL_START);
    sc_core::wait(m_dev->transfer_end());
    sc_core::wait(sc_time(10, sc_core::SC_US));
    EXPECT_EQ(m_dev->transfers(), 1u);
    EXPECT_EQ(m_dev->requests_issued(), 16u);
    m_dev->reset();
    EXPECT_EQ(m_dev->regs().get(dma_device::XFER_COUNT, 8), 0u);
    EXPECT_EQ(m_dev->captured_bus(), 0u);
  });
}

}  // namespace
}  // namespace iovsim
