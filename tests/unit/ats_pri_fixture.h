// The ATS/PRI test bench: the DMA test device (with a device-TLB and PRI) behind
// VT-d on a platform, driven like a driver (ats_pri_test.cpp, ats_pri_prq_test.cpp).
#pragma once

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "drivers-sim/userland/lspci/lspci.h"
#include "models/iommu/vtd.h"
#include "models/iommu/vtd_tables.h"
#include "models/pcie/atc.h"
#include "models/pcie/capabilities.h"
#include "models/testdev/dma_device.h"
#include "platform/platform.h"
#include "scenarios/loader.h"
#include "tests/unit/iommu_test_util.h"
#include "tests/unit/sc_fixture.h"

namespace iovsim::test_ats {

using namespace iommu;
using pcie::dma_device;
using sc_core::sc_time;

inline const char* const DMA_BEHIND_VTD = R"(
  root_port { name: "rp1" device: 1 }
  endpoint { name: "dma0" profile: "iovsim_dma_ats" attach: "rp1" }
)";
inline constexpr uint16_t DMA0 = 0x0100;  // 01:00.0
inline constexpr uint64_t BAR0 = 0x90000000;
inline constexpr uint64_t ROOT = 0x1000000, IQ = 0x2000000, IQ_STATUS = 0x2001000;
inline constexpr uint64_t IOVA = 0x10000000, HPA = 0x20000000;  // four pages mapped 1:1 above
inline constexpr uint64_t HOLE = IOVA + 5 * PAGE_4K;            // not mapped
inline constexpr uint16_t DOMAIN = 1;

inline const pb::DeviceProfile& dma_profile() {
  for (const auto& p : scen::builtin_profiles().device())
    if (p.name() == "iovsim_dma_ats") return p;
  throw std::runtime_error("no built-in device profile iovsim_dma_ats");
}

class ats_pri : public test::sc_fixture {
 protected:
  void SetUp() override {
    sc_fixture::SetUp();
    overrides();
    pb::Platform spec;
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(DMA_BEHIND_VTD, &spec));
    m = std::make_unique<platform::machine>(spec, scen::builtin_profiles());
    dev = dynamic_cast<dma_device*>(m->endpoints().at(0));
    ASSERT_NE(dev, nullptr);
    tb = std::make_unique<table_builder>(m->dram(), test::bump_allocator{0x3000000});
    slpt = tb->new_table();
    set_context(translation_type::with_device_tlb);
    for (uint64_t i = 0; i < 4; ++i) tb->map(slpt, IOVA + i * PAGE_4K, HPA + i * PAGE_4K, PAGE_4K, true, true);
  }
  void TearDown() override {
    tb.reset();
    m.reset();
    sc_fixture::TearDown();
  }
  // Parameter overrides, before the machine is built.
  virtual void overrides() {}

  void set_context(translation_type tt) {
    context_entry c;
    c.present = true;
    c.tt = static_cast<unsigned>(tt);
    c.slptptr = slpt;
    c.aw = CTX_AW_48BIT;
    c.domain = DOMAIN;
    tb->set_context(ROOT, DMA0, c);
  }

  platform::host_cpu& cpu() { return m->cpu(); }
  uint32_t cfg_read(unsigned reg, unsigned len) { return cpu().cfg_read(1, 0, reg, len); }
  void cfg_write(unsigned reg, unsigned len, uint32_t v) { cpu().cfg_write(1, 0, reg, len, v); }
  uint64_t reg(uint32_t off, unsigned len = 8) { return cpu().mmio_read(BAR0 + off, len); }
  void set_reg(uint32_t off, unsigned len, uint64_t v) { cpu().mmio_write(BAR0 + off, len, v); }
  uint64_t vtd(uint32_t off, unsigned len = 4) { return cpu().mmio_read(platform::DMAR_BASE + off, len); }
  void set_vtd(uint32_t off, unsigned len, uint64_t v) { cpu().mmio_write(platform::DMAR_BASE + off, len, v); }

  // The extended capability with this ID, found the way a driver walks the list.
  unsigned find_ext_cap(uint16_t id) {
    for (unsigned at = 0x100, guard = 0; at && guard < 64; ++guard) {
      const uint32_t h = cfg_read(at, 4);
      if ((h & 0xffff) == id) return at;
      at = h >> 20;
    }
    return 0;
  }

  // The BIOS and probe: bus 1 behind the root port, BAR0 in its window, memory and
  // bus mastering on; then VT-d on with the root table (Linux order: SRTP, then TE).
  void bring_up() {
    cpu().cfg_write(0, 0x08, pcie::CFG_PRIMARY_BUS, 4, 0x00010100);
    cpu().cfg_write(0, 0x08, pcie::CFG_MEM_BASE, 2, static_cast<uint32_t>(BAR0 >> 16));
    cpu().cfg_write(0, 0x08, pcie::CFG_MEM_LIMIT, 2, static_cast<uint32_t>(BAR0 >> 16));
    cpu().cfg_write(0, 0x08, pcie::CFG_COMMAND, 2, pcie::COMMAND_MEMORY | pcie::COMMAND_MASTER);
    cfg_write(pcie::CFG_BAR0, 4, static_cast<uint32_t>(BAR0));
    cfg_write(pcie::CFG_COMMAND, 2, pcie::COMMAND_MEMORY | pcie::COMMAND_MASTER);
    ASSERT_EQ(reg(dma_device::ID, 4), dma_device::ID_VALUE);
    set_vtd(RTADDR_REG, 8, ROOT);
    set_vtd(GCMD_REG, 4, GCMD_SRTP);
    set_vtd(GCMD_REG, 4, GCMD_TE);
    ASSERT_TRUE(vtd(GSTS_REG) & GSTS_TES);
  }
  // pci_enable_ats(): STU in units of 4 KiB (0: 4 KiB), then Enable.
  void enable_ats(unsigned stu = 0) {
    const unsigned ats = find_ext_cap(pcie::ECAP_ID_ATS);
    ASSERT_NE(ats, 0u);
    cfg_write(ats + pcie::ATS_CTRL, 2, pcie::ATS_CTRL_ENABLE | stu);
  }
  // pci_enable_pri(): PRI must be stopped; allocation = min(capacity, wanted); Enable.
  void enable_pri(uint32_t requests) {
    const unsigned pri = find_ext_cap(pcie::ECAP_ID_PRI);
    ASSERT_NE(pri, 0u);
    ASSERT_TRUE(cfg_read(pri + pcie::PRI_STATUS, 2) & pcie::PRI_STATUS_STOPPED);
    cfg_write(pri + pcie::PRI_ALLOC_REQ, 4, std::min(requests, cfg_read(pri + pcie::PRI_MAX_REQ, 4)));
    cfg_write(pri + pcie::PRI_CTRL, 2, pcie::PRI_CTRL_ENABLE);
  }
  void enable_qi() {
    set_vtd(IQT_REG, 8, 0);
    set_vtd(IQA_REG, 8, IQ);
    set_vtd(GCMD_REG, 4, (vtd(GSTS_REG) & ~GSTS_RTPS) | GCMD_QIE);
    ASSERT_TRUE(vtd(GSTS_REG) & GSTS_QIES);
  }
  // Queues descriptors, then a wait descriptor, and waits for its status write.
  void invalidate(const std::vector<std::array<uint64_t, 2>>& descs) {
    const uint64_t head = vtd(IQT_REG, 8) >> IQ_INDEX_SHIFT;
    uint64_t i = head;
    for (const auto& d : descs) {
      m->dram().write64(IQ + i * IQ_DESCRIPTOR_BYTES, d[0]);
      m->dram().write64(IQ + i * IQ_DESCRIPTOR_BYTES + 8, d[1]);
      ++i;
    }
    const uint32_t token = static_cast<uint32_t>(i);
    m->dram().write64(IQ + i * IQ_DESCRIPTOR_BYTES, QI_IWD_TYPE | QI_IWD_SW | (uint64_t{token} << QI_IWD_DATA_SHIFT));
    m->dram().write64(IQ + i * IQ_DESCRIPTOR_BYTES + 8, IQ_STATUS);
    ++i;
    set_vtd(IQT_REG, 8, i << IQ_INDEX_SHIFT);
    for (int n = 0; n < 1000 && m->dram().read64(IQ_STATUS) != token; ++n) sc_core::wait(sc_time(1, sc_core::SC_US));
    ASSERT_EQ(m->dram().read64(IQ_STATUS), token);
  }
  static std::array<uint64_t, 2> device_tlb_desc(uint16_t sid, uint64_t hi) {
    return {QI_DIOTLB_TYPE | (uint64_t{sid} << QI_DIOTLB_SID_SHIFT), hi};
  }
  // Starts a transfer (CONTROL_DIR_TO_HOST: buffer -> host) without waiting for it.
  void start(uint64_t src, uint64_t dst, uint32_t len, uint32_t control) {
    set_reg(dma_device::SRC_ADDR, 8, src);
    set_reg(dma_device::DST_ADDR, 8, dst);
    set_reg(dma_device::LENGTH, 4, len);
    set_reg(dma_device::CONTROL, 4, control | dma_device::CONTROL_START);
  }
  // A whole transfer; returns how long it took.
  sc_time transfer(uint64_t src, uint64_t dst, uint32_t len, uint32_t control) {
    const sc_time t0 = sc_core::sc_time_stamp();
    start(src, dst, len, control);
    sc_core::wait(dev->transfer_end());
    return sc_core::sc_time_stamp() - t0;
  }
  uint32_t err_code() { return static_cast<uint32_t>(reg(dma_device::STATUS, 4) >> dma_device::STATUS_ERR_CODE_SHIFT); }

  std::unique_ptr<platform::machine> m;
  dma_device* dev = nullptr;
  std::unique_ptr<table_builder> tb;
  uint64_t slpt = 0;
};

}  // namespace iovsim::test_ats
