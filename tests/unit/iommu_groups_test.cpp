// The Intel IOMMU driver's interrupt remapping API (irq_remapping.cpp) against the VT-d
// model, end to end: the table set up on first use, IRTEs written and their cache
// entries invalidated through the queue, remapped and posted delivery of the MSI a
// function would send, the fault line after an entry is freed; and IOMMU groups of
// multifunction devices (iommu_groups.cpp): the X540's functions share a group, the
// 82599's (a quirk) and those with ACS do not.
#include <gtest/gtest.h>

#include <cerrno>
#include <memory>
#include <string>
#include <vector>

#include "drivers-sim/iommu/dmar.h"
#include "drivers-sim/kernel/page_alloc.h"
#include "models/iommu/vtd.h"
#include "models/iommu/vtd_ir.h"
#include "models/memory/dram.h"
#include "models/pcie/config_space.h"
#include "tests/unit/dmar_bench_bus.h"
#include "tests/unit/sc_fixture.h"

namespace iovsim::test {
namespace {

using namespace iommu;
using sc_core::sc_time;

constexpr uint64_t DRAM_BYTES = 1ull << 30;
constexpr uint16_t SID_PF0 = 0x0300, SID_PF1 = 0x0301, SID_VF = 0x0381;

host::pci_dev make_dev(unsigned bus, unsigned devfn, uint16_t device = 0, bool multifunction = false) {
  host::pci_dev d;
  d.bus = bus;
  d.devfn = devfn;
  d.vendor = 0x8086;
  d.device = device;
  d.multifunction = multifunction;
  d.exp_pos = 0xa0;  // PCIe endpoint
  return d;
}

class iommu_host_test : public sc_fixture {
 protected:
  void build(const std::string& cmdline, std::vector<host::pci_dev> functions, host::dmar_options o = {}) {
    dram = std::make_unique<mem::dram>("dram", DRAM_BYTES);
    vtd = std::make_unique<vtd_unit>("dmar0", *dram);
    bus = std::make_unique<bench_bus>("cpu", *dram);
    bus->regs.bind(vtd->regs);
    pages = std::make_unique<host::page_allocator>(*bus, host::page_allocator::DEFAULT_BASE, DRAM_BYTES);
    iommu = std::make_unique<host::intel_iommu>(*bus, *pages, host::kernel_params::parse(cmdline), log, o);
    vtd->set_interrupt_sink([this](uint64_t a, uint32_t d) { iommu->handle_msi(a, d); });
    devs = std::move(functions);
  }
  void boot() {
    std::vector<host::pci_dev*> p;
    for (auto& d : devs) p.push_back(&d);
    iommu->init(p);
  }
  std::vector<std::string> dmesg() const {
    std::vector<std::string> out;
    for (const auto& l : log.lines()) out.push_back(l.substr(l.find("] ") + 2));
    return out;
  }
  bool dmesg_has(const std::string& s) const {
    for (const auto& l : dmesg())
      if (l == s) return true;
    return false;
  }
  // The function's MSI as it reaches the unit.
  interrupt_result msi(uint16_t sid, uint64_t addr, uint32_t data = 0) {
    sc_time lat = sc_core::SC_ZERO_TIME;
    return vtd->remap_interrupt(sid, addr, data, lat);
  }

  std::unique_ptr<mem::dram> dram;
  std::unique_ptr<vtd_unit> vtd;
  std::unique_ptr<bench_bus> bus;
  std::unique_ptr<host::page_allocator> pages;
  host::kernel_log log;
  std::unique_ptr<host::intel_iommu> iommu;
  std::vector<host::pci_dev> devs;
};

TEST_F(iommu_host_test, irtes_remap_then_post_a_functions_msi) {
  build("intel_iommu=on", {make_dev(3, 0, 0x10fb, true), make_dev(3, 0x81, 0x10ed)});
  run_thread([&] {
    boot();
    EXPECT_TRUE(iommu->irq_remapping());
    EXPECT_TRUE(iommu->posted_interrupts());
    // Nothing set up at boot: no table, IR off in the unit, no "DMAR-IR" line yet.
    EXPECT_FALSE(iommu->irq_remapping_enabled());
    EXPECT_FALSE(vtd->interrupt_remapping_enabled());
    uint16_t h = 0, h2 = 0;
    ASSERT_EQ(iommu->alloc_irte(SID_VF, h), 0);
    ASSERT_EQ(iommu->alloc_irte(SID_VF, h2), 0);
    EXPECT_EQ(h, 0u);
    EXPECT_EQ(h2, 1u);
    EXPECT_TRUE(dmesg_has("DMAR-IR: Enabled IRQ remapping in xapic mode"));
    EXPECT_EQ(vtd->bank().get(GSTS_REG, 4), GSTS_TES | GSTS_RTPS | GSTS_QIES | GSTS_IRES | GSTS_IRTPS | GSTS_CFIS);
    EXPECT_EQ(vtd->bank().get(IRTA_REG, 8), iommu->irq_remapping_table() | 0xf);
    // fill_msi_msg(): remappable format, SHV, handle in bits 19:5 and 2.
    EXPECT_EQ(host::intel_iommu::remappable_msi_address(1), 0xfee00038u);
    EXPECT_EQ(host::intel_iommu::remappable_msi_address(0x8001), 0xfee0003cu);
    const uint64_t addr = host::intel_iommu::remappable_msi_address(h2);
    // Allocated, not written: not present.
    EXPECT_EQ(msi(SID_VF, addr).fault, fault_reason::ir_entry_not_present);
    const uint64_t waits = vtd->invalidation_waits();
    ASSERT_EQ(iommu->set_irte_remapped(h2, 0x61, 5), 0);
    EXPECT_EQ(vtd->invalidation_waits(), waits + 1);  // modify_irte(): IEC flush + wait
    interrupt_result r = msi(SID_VF, addr);
    ASSERT_TRUE(r.deliver);
    EXPECT_EQ(r.address, 0xfee05000u);
    EXPECT_EQ(r.data, 0x61u);
    EXPECT_EQ(msi(SID_PF0, addr).fault, fault_reason::ir_source_id_mismatch);  // set_msi_sid()
    // The hypervisor's descriptor, then posted mode: the cached remapped entry is gone.
    const uint64_t pid = pages->alloc_page() + PID_ALIGN;
    const uint64_t control = (uint64_t{0xf1} << PID_NV_SHIFT) | (uint64_t{pi_ndst(2)} << PID_NDST_SHIFT);
    dram->write(pid + PID_CONTROL_OFFSET, &control, 8);
    EXPECT_EQ(iommu->set_irte_posted(h2, pid + 8, 0x61), -EINVAL);  // misaligned
    ASSERT_EQ(iommu->set_irte_posted(h2, pid, 0x61), 0);
    r = msi(SID_VF, addr);
    EXPECT_TRUE(r.posted);
    ASSERT_TRUE(r.deliver);
    EXPECT_EQ(r.address, 0xfee02000u);
    EXPECT_EQ(r.data, 0xf1u);
    uint64_t pir1 = 0;
    dram->read(pid + 8, &pir1, 8);  // vector 0x61: bit 33 of PIR qword 1
    EXPECT_EQ(pir1, 1ull << 33);
    EXPECT_FALSE(msi(SID_VF, addr).deliver);  // ON set: no second notification
    // CPU time: two allocations, two IRTE updates, each update with its flush.
    const host::cpu_account& cpu = iommu->irq_remapping_cpu();
    EXPECT_EQ(cpu.charges.at("host.dma.irte_alloc"), 2u);
    EXPECT_EQ(cpu.charges.at("host.dma.irte_update"), 2u);
    EXPECT_EQ(cpu.charges.at("host.dma.invalidation_submit"), 3u);  // + the global IEC flush
    // Freed: the entry is cleared and its cache entry flushed; the next MSI faults and
    // the fault thread prints Linux's line.
    iommu->free_irte(h2);
    EXPECT_EQ(msi(SID_VF, addr).fault, fault_reason::ir_entry_not_present);
    sc_core::wait(sc_time(10, sc_core::SC_US));
    EXPECT_TRUE(
        dmesg_has("DMAR: [INTR-REMAP] Request device [03:10.1] fault index 0x1 [fault reason 0x22] "
                  "Present field in the IRTE entry is clear"));
    uint16_t again = 0;
    ASSERT_EQ(iommu->alloc_irte(SID_VF, again), 0);
    EXPECT_EQ(again, 1u);  // the lowest free entry
  });
}

TEST_F(iommu_host_test, remapping_at_boot_and_without_the_iommu) {
  host::dmar_options o;
  o.irq_remapping_at_boot = true;
  build("intel_iommu=on", {make_dev(3, 0, 0x10fb)}, o);
  run_thread([&] { boot(); });
  EXPECT_TRUE(iommu->irq_remapping_enabled());
  EXPECT_TRUE(vtd->interrupt_remapping_enabled());
  EXPECT_TRUE(dmesg_has("DMAR-IR: Enabled IRQ remapping in xapic mode"));
}

TEST_F(iommu_host_test, no_remapping_without_intel_iommu_on) {
  build("", {make_dev(3, 0, 0x10fb)});
  run_thread([&] {
    boot();
    uint16_t h = 0;
    EXPECT_FALSE(iommu->irq_remapping());
    EXPECT_FALSE(iommu->posted_interrupts());
    EXPECT_EQ(iommu->alloc_irte(SID_VF, h), -ENODEV);
    EXPECT_EQ(iommu->set_irte_remapped(0, 0x30, 0), -EINVAL);
  });
  EXPECT_FALSE(vtd->interrupt_remapping_enabled());
}

// v6.1 pci_device_group(): the X540 (8086:1528) is not on quirks.c's multifunction
// endpoint list and has no ACS capability, so its two functions share a group; its VFs
// (not multifunction) get their own. The 82599 (8086:10fb) is on the list.
TEST_F(iommu_host_test, x540_functions_share_a_group_82599_functions_do_not) {
  build("intel_iommu=on", {make_dev(0, 0), make_dev(3, 0, 0x1528, true), make_dev(3, 1, 0x1528, true),
                           make_dev(3, 0x80, 0x1515), make_dev(4, 0, 0x10fb, true), make_dev(4, 1, 0x10fb, true)});
  devs[3].is_virtfn = true;
  devs[3].physfn = &devs[1];
  run_thread([&] {
    boot();
    EXPECT_EQ(iommu->group_of(0x0000), 0);
    EXPECT_EQ(iommu->group_of(SID_PF0), 1);
    EXPECT_EQ(iommu->group_of(SID_PF1), 1);
    EXPECT_EQ(iommu->group_of(0x0380), 2);
    EXPECT_EQ(iommu->group_of(0x0400), 3);
    EXPECT_EQ(iommu->group_of(0x0401), 4);
    EXPECT_EQ(iommu->group_of(0x0500), -1);
    EXPECT_EQ(iommu->group_members(1), (std::vector<uint16_t>{SID_PF0, SID_PF1}));
    EXPECT_EQ(iommu->group_members(3), std::vector<uint16_t>{0x0400});
    EXPECT_TRUE(iommu->group_members(9).empty());
    EXPECT_TRUE(dmesg_has("pci 0000:03:00.1: Adding to iommu group 1"));
    const auto groups = iommu->groups();
    ASSERT_EQ(groups.size(), 5u);
    EXPECT_EQ(groups[1].devices, (std::vector<std::string>{"0000:03:00.0", "0000:03:00.1"}));
    // The group goes when its last function does.
    iommu->remove_device(devs[1]);
    EXPECT_EQ(iommu->group_members(1), std::vector<uint16_t>{SID_PF1});
  });
}

// An ACS capability with SV, RR, CR and UF enabled isolates the functions
// (pci_acs_flags_enabled()); one without RR does not.
TEST_F(iommu_host_test, acs_request_redirect_isolates_multifunction_functions) {
  pcie::config_space isolated("acs0"), leaky("acs1"), other("acs2");
  for (auto* cs : {&isolated, &leaky}) {
    const uint32_t at = cs->add_ext_cap(pcie::ECAP_ID_ACS, 1, 8);
    cs->ro("ACS_CAP", at + 4, 2, 0x1f);                            // SV TB RR CR UF
    cs->ro("ACS_CTRL", at + 6, 2, cs == &isolated ? 0x1d : 0x19);  // leaky: no RR
  }
  build("intel_iommu=on", {make_dev(3, 0, 0x1528, true), make_dev(3, 1, 0x1528, true), make_dev(4, 0, 0x1528, true),
                           make_dev(4, 1, 0x1528, true)});
  bus->cfg[0x0300] = &isolated;
  bus->cfg[0x0301] = &isolated;
  bus->cfg[0x0400] = &leaky;
  bus->cfg[0x0401] = &leaky;
  run_thread([&] { boot(); });
  EXPECT_NE(iommu->group_of(0x0300), iommu->group_of(0x0301));
  EXPECT_EQ(iommu->group_of(0x0400), iommu->group_of(0x0401));
}

}  // namespace
}  // namespace iovsim::test
