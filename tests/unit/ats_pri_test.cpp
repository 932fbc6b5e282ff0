// ATS and PRI end to end through the platform: the DMA test device's device-TLB,
// translation requests, translated requests and page requests, VT-d's answers, the
// device-TLB invalidations of its queued invalidation. Driven like a driver: config
// writes enable ATS/PRI, MMIO programs the engine and VT-d, tables live in DRAM.
#include <gtest/gtest.h>

#include <google/protobuf/text_format.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <unistd.h>
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

namespace iovsim {
namespace {

using namespace iommu;
using pcie::dma_device;
using sc_core::sc_time;

const char* const DMA_BEHIND_VTD = R"(
  root_port { name: "rp1" device: 1 }
  endpoint { name: "dma0" profile: "iovsim_dma_ats" attach: "rp1" }
)";
constexpr uint16_t DMA0 = 0x0100;   // 01:00.0
constexpr uint64_t BAR0 = 0x90000000;
constexpr uint64_t ROOT = 0x1000000, IQ = 0x2000000, IQ_STATUS = 0x2001000;
constexpr uint64_t IOVA = 0x10000000, HPA = 0x20000000;   // four pages mapped 1:1 above
constexpr uint64_t HOLE = IOVA + 5 * PAGE_4K;             // not mapped
constexpr uint16_t DOMAIN = 1;

const pb::DeviceProfile& dma_profile() {
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
    m->dram().write64(IQ + i * IQ_DESCRIPTOR_BYTES,
                      QI_IWD_TYPE | QI_IWD_SW | (uint64_t{token} << QI_IWD_DATA_SHIFT));
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

// ---------------------------------------------------------------------------
// Capabilities

// Our lspci and pciutils' lspci 3.9 decode the ATS and PRI capabilities alike.
TEST_F(ats_pri, capabilities_decode_as_the_real_lspci_does) {
  run_thread([&] {
    bring_up();
    EXPECT_EQ(find_ext_cap(pcie::ECAP_ID_ATS), 0x100u);
    EXPECT_EQ(find_ext_cap(pcie::ECAP_ID_PRI), 0x108u);
    EXPECT_EQ(cfg_read(0x104, 2), 0x0020u);   // queue depth 32 (field 0), page aligned
    cfg_write(0x104, 2, 0xffff);
    EXPECT_EQ(cfg_read(0x104, 2), 0x0020u);   // read-only
    cfg_write(0x106, 2, 0xffff);
    EXPECT_EQ(cfg_read(0x106, 2), 0x801fu);   // Enable and STU only
    cfg_write(0x106, 2, 0x8003);
    // PRI at 0x108: control +4, status +6, capacity +8, allocation +C.
    EXPECT_EQ(cfg_read(0x10e, 2), pcie::PRI_STATUS_STOPPED);   // stopped while disabled
    EXPECT_EQ(cfg_read(0x110, 4), 32u);                        // capacity
    cfg_write(0x110, 4, 7);
    EXPECT_EQ(cfg_read(0x110, 4), 32u);
    cfg_write(0x10e, 2, 0xffff);
    EXPECT_EQ(cfg_read(0x10e, 2), pcie::PRI_STATUS_STOPPED);   // Stopped is read-only
    enable_pri(16);
    EXPECT_EQ(cfg_read(0x114, 4), 16u);
    EXPECT_EQ(cfg_read(0x10c, 2), pcie::PRI_CTRL_ENABLE);
    EXPECT_EQ(cfg_read(0x10e, 2), 0u);   // enabling clears Stopped
    cfg_write(0x10c, 2, pcie::PRI_CTRL_ENABLE | pcie::PRI_CTRL_RESET);
    EXPECT_EQ(cfg_read(0x10c, 2), pcie::PRI_CTRL_ENABLE);   // Reset reads 0
    // UPRGI: a PRG response for a group the device never asked about (W1C).
    dev->page_response(9, true);
    EXPECT_EQ(cfg_read(0x10e, 2), pcie::PRI_STATUS_UPRGI);
    cfg_write(0x10e, 2, 0xffff);
    EXPECT_EQ(cfg_read(0x10e, 2), 0u);
    cfg_write(0x10c, 2, 0);
    EXPECT_EQ(cfg_read(0x10e, 2), pcie::PRI_STATUS_STOPPED);   // disabling stops it
    cfg_write(0x10c, 2, pcie::PRI_CTRL_ENABLE);

    host::lspci_device d;
    d.bus = 1;
    for (unsigned r = 0; r < pcie::CONFIG_SPACE_BYTES; r += 4) {
      const uint32_t v = cfg_read(r, 4);
      for (unsigned b = 0; b < 4; ++b) d.config.push_back(static_cast<uint8_t>(v >> (8 * b)));
    }
    const std::string ours = host::lspci({d}, {"-vvv"}).out;
    const std::string ats_text =
        "\tCapabilities: [100 v1] Address Translation Service (ATS)\n"
        "\t\tATSCap:\tInvalidate Queue Depth: 00\n"
        "\t\tATSCtl:\tEnable+, Smallest Translation Unit: 03\n"
        "\tCapabilities: [108 v1] Page Request Interface (PRI)\n"
        "\t\tPRICtl: Enable+ Reset-\n"
        "\t\tPRISta: RF- UPRGI- Stopped-\n"
        "\t\tPage Request Capacity: 00000020, Page Request Allocation: 00000010\n";
    EXPECT_NE(ours.find(ats_text), std::string::npos) << ours;

    char path[] = "/tmp/iovsim_ats_XXXXXX";
    const int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    close(fd);
    std::ofstream(path) << host::lspci_dump(d);
    std::string real;
    if (FILE* p = popen(("lspci -F " + std::string(path) + " -vvv 2>/dev/null").c_str(), "r")) {
      std::array<char, 4096> buf;
      size_t n;
      while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) real.append(buf.data(), n);
      pclose(p);
    }
    std::remove(path);
    ASSERT_FALSE(real.empty()) << "pciutils' lspci 3.9 is required (apt-get install pciutils)";
    // The names come from different pci.ids: compare from the extended capabilities on.
    const size_t ours_at = ours.find("\tCapabilities: [100"), real_at = real.find("\tCapabilities: [100");
    ASSERT_NE(real_at, std::string::npos) << real;
    EXPECT_EQ(ours.substr(ours_at), real.substr(real_at));
  });
}

// Profiles without `ats` / `pri_outstanding_requests` get neither capability.
TEST_F(ats_pri, profiles_without_ats_have_no_ats_or_pri_capability) {
  for (const auto& p : scen::builtin_profiles().device()) {
    if (p.ats() || p.pri_outstanding_requests()) continue;
    pcie::physical_function pf("pf", p, 0, 1, [](pcie::physical_function&, unsigned) {});
    EXPECT_EQ(pf.cfg().find_ext_cap(pcie::ECAP_ID_ATS), 0u) << p.name();
    EXPECT_EQ(pf.cfg().find_ext_cap(pcie::ECAP_ID_PRI), 0u) << p.name();
  }
  EXPECT_TRUE(dma_profile().ats());
  EXPECT_EQ(dma_profile().pri_outstanding_requests(), 32u);
}

// ---------------------------------------------------------------------------
// The device-TLB

TEST_F(ats_pri, first_transfer_translates_and_a_repeat_hits_the_device_tlb) {
  std::vector<uint8_t> pattern(4 * PAGE_4K);
  for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = static_cast<uint8_t>(i * 13 + 1);
  m->dram().write(HPA, pattern.data(), static_cast<unsigned>(pattern.size()));
  run_thread([&] {
    bring_up();
    enable_ats();
    // 16 KiB from host memory: MRRS 512 (reset value) gives 32 requests over 4 pages.
    const sc_time first = transfer(IOVA, 0, 4 * PAGE_4K, 0);
    EXPECT_EQ(reg(dma_device::STATUS, 4), dma_device::STATUS_DONE);
    EXPECT_EQ(std::memcmp(dev->buffer().data(), pattern.data(), pattern.size()), 0);
    EXPECT_EQ(dev->translation_requests(), 4u);
    EXPECT_EQ(dev->atc_misses(), 4u);
    EXPECT_EQ(dev->atc_hits(), 28u);
    EXPECT_EQ(dev->requests_issued(), 32u);
    EXPECT_EQ(dev->device_tlb().occupancy(), 4u);
    EXPECT_EQ(reg(dma_device::ATC_HITS), 28u);
    EXPECT_EQ(reg(dma_device::ATC_MISSES), 4u);
    requester_stats s = m->iommu().stats_by_requester()[DMA0];
    EXPECT_EQ(s.ats_requests, 4u);
    EXPECT_EQ(s.translations, 0u);   // no untranslated request reached the IOMMU
    EXPECT_EQ(m->dma().translation_requests(), 4u);
    EXPECT_EQ(m->dma().translated_requests(), 32u);

    std::fill(dev->buffer().begin(), dev->buffer().end(), 0);
    const sc_time repeat = transfer(IOVA, 0, 4 * PAGE_4K, 0);
    EXPECT_EQ(std::memcmp(dev->buffer().data(), pattern.data(), pattern.size()), 0);
    EXPECT_EQ(dev->atc_hits(), 60u);
    EXPECT_EQ(dev->atc_misses(), 4u);
    EXPECT_EQ(m->iommu().stats_by_requester()[DMA0].ats_requests, 4u);   // nothing asked again
    EXPECT_LT(repeat, first);   // no translation round trips in front of the reads

    // Writes need W: the read-write pages allow them, from the same entries.
    transfer(0, IOVA + PAGE_4K, 256, dma_device::CONTROL_DIR_TO_HOST);
    EXPECT_EQ(reg(dma_device::STATUS, 4), dma_device::STATUS_DONE);
    EXPECT_EQ(dev->atc_misses(), 4u);
    EXPECT_EQ(m->dram().read64(HPA + PAGE_4K), m->dram().read64(HPA));   // buffer[0..] holds page 0's bytes

    // Reset (platform reboot) empties the device-TLB and its BAR0 counters.
    dev->reset();
    EXPECT_EQ(dev->device_tlb().occupancy(), 0u);
    EXPECT_EQ(dev->regs().get(dma_device::ATC_HITS, 8), 0u);
    EXPECT_EQ(dev->atc_hits(), 62u);   // statistics describe the whole run
  });
}

TEST_F(ats_pri, device_tlb_invalidations_from_the_queue_drop_entries) {
  run_thread([&] {
    bring_up();
    enable_ats();
    enable_qi();
    transfer(IOVA, 0, 4 * PAGE_4K, 0);
    ASSERT_EQ(dev->device_tlb().occupancy(), 4u);
    // One 4 KiB page (S = 0), then a requester nobody has: logged and ignored.
    invalidate({device_tlb_desc(DMA0, IOVA + PAGE_4K), device_tlb_desc(0x0200, IOVA)});
    EXPECT_EQ(dev->device_tlb().occupancy(), 3u);
    EXPECT_EQ(dev->atc_invalidations(), 1u);
    EXPECT_EQ(dev->atc_entries_invalidated(), 1u);
    transfer(IOVA, 0, 4 * PAGE_4K, 0);
    EXPECT_EQ(dev->atc_misses(), 5u);   // only the invalidated page is asked again
    // 16 KiB (S = 1, address bit 12 set, bit 13 clear): all four pages.
    invalidate({device_tlb_desc(DMA0, (IOVA + PAGE_4K) | QI_DIOTLB_HI_S)});
    EXPECT_EQ(dev->device_tlb().occupancy(), 0u);
    EXPECT_EQ(dev->atc_invalidations(), 2u);
    EXPECT_EQ(dev->atc_entries_invalidated(), 5u);
    transfer(IOVA, 0, 4 * PAGE_4K, 0);
    EXPECT_EQ(dev->atc_misses(), 9u);
    EXPECT_EQ(dev->translation_requests(), 9u);
  });
}

class small_atc : public ats_pri {
 protected:
  void overrides() override { env->params().set_override("dma.atc_entries", "2"); }
};

TEST_F(small_atc, a_working_set_larger_than_the_device_tlb_misses_on_every_page) {
  run_thread([&] {
    bring_up();
    enable_ats();
    transfer(IOVA, 0, 4 * PAGE_4K, 0);
    transfer(IOVA, 0, 4 * PAGE_4K, 0);
    EXPECT_EQ(dev->device_tlb().capacity(), 2u);
    EXPECT_EQ(dev->atc_misses(), 8u);   // LRU over 4 pages in 2 entries: every first touch misses
    EXPECT_EQ(dev->device_tlb().occupancy(), 2u);
  });
}

class atc_param : public test::sc_fixture {};

TEST_F(atc_param, zero_entries_are_refused_naming_the_parameter) {
  env->params().set_override("dma.atc_entries", "0");
  try {
    dma_device d("dma_x", dma_profile());
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "parameter dma.atc_entries: 0 is not in 1..65536");
  }
}

TEST(atc, lru_replacement_overlap_and_invalidation) {
  pcie::atc c(2);
  pcie::atc_entry e;
  e.size_bytes = PAGE_4K;
  e.read = true;
  e.untranslated = 0x1000, e.translated = 0x91000;
  c.insert(e);
  e.untranslated = 0x2000, e.translated = 0x92000;
  c.insert(e);
  ASSERT_NE(c.lookup(0x1fff), nullptr);   // 0x1000 becomes most recently used
  EXPECT_EQ(c.lookup(0x1fff)->translated, 0x91000u);
  e.untranslated = 0x3000, e.translated = 0x93000;
  c.insert(e);                             // evicts 0x2000
  EXPECT_EQ(c.lookup(0x2000), nullptr);
  EXPECT_NE(c.lookup(0x1000), nullptr);
  EXPECT_NE(c.lookup(0x3000), nullptr);
  // A 2 MiB entry supersedes the 4 KiB ones it covers.
  e.untranslated = 0, e.translated = 0x40000000, e.size_bytes = 2ull << 20;
  c.insert(e);
  EXPECT_EQ(c.occupancy(), 1u);
  EXPECT_EQ(c.lookup(0x1ff000)->translated, 0x40000000u);
  EXPECT_EQ(c.invalidate(0x1000, PAGE_4K), 1u);
  EXPECT_EQ(c.occupancy(), 0u);
  c.insert(e);
  EXPECT_EQ(c.invalidate(0, ~0ull), 1u);   // everything, without wrapping
  EXPECT_EQ(c.invalidate(0x400000, PAGE_4K), 0u);
}

TEST_F(ats_pri, stu_makes_entries_at_least_that_large) {
  run_thread([&] {
    bring_up();
    enable_ats(1);   // 8 KiB: pages 0 and 1 share an entry
    transfer(IOVA, 0, 4 * PAGE_4K, 0);
    EXPECT_EQ(dev->atc_misses(), 2u);
    EXPECT_EQ(dev->device_tlb().occupancy(), 2u);
  });
}

// ---------------------------------------------------------------------------
// Translated requests and the context's TT

TEST_F(ats_pri, translated_requests_from_a_context_without_device_tlb_are_blocked) {
  std::vector<uint8_t> ones(PAGE_4K, 0x11);
  run_thread([&] {
    bring_up();
    enable_ats();
    enable_qi();
    transfer(IOVA, 0, PAGE_4K, 0);   // the device caches page 0's translation
    ASSERT_EQ(dev->device_tlb().occupancy(), 1u);
    // Software takes device-TLBs away (TT = 0) and flushes the context cache, but not
    // the device-TLB: the device's next requests go out translated and must not pass.
    set_context(translation_type::multi_level);
    invalidate({{QI_CC_TYPE | (uint64_t{CC_GLOBAL} << QI_GRAN_SHIFT), 0}});
    std::fill(dev->buffer().begin(), dev->buffer().end(), 0x5a);
    transfer(0, IOVA, 512, dma_device::CONTROL_DIR_TO_HOST);
    EXPECT_EQ(err_code(), dma_device::ERR_DMA);
    EXPECT_EQ(reg(dma_device::ERR_ADDR), IOVA);
    EXPECT_EQ(m->dram().read64(HPA), 0u);   // memory untouched
    EXPECT_EQ(m->iommu().stats_by_requester()[DMA0].faults, 1u);
    const uint64_t hi = vtd(FRCD_REG_OFFSET + 8, 8);
    EXPECT_EQ((hi & FRCD_HI_FR_MASK) >> FRCD_HI_FR_SHIFT, static_cast<uint64_t>(fault_reason::invalid_context));
    EXPECT_EQ(hi & FRCD_HI_SID_MASK, DMA0);
    EXPECT_EQ(vtd(FRCD_REG_OFFSET, 8), HPA);   // the address the request carried
    // A translation request from that context: Unsupported Request, no entry cached.
    dev->invalidate_atc(0, ~0ull);
    transfer(IOVA, 0, 64, 0);
    EXPECT_EQ(err_code(), dma_device::ERR_DMA);
    EXPECT_EQ(dev->device_tlb().occupancy(), 0u);
    EXPECT_EQ(dev->requests_issued(), 9u);   // the first transfer's 8 and the blocked write
  });
  EXPECT_EQ(m->dram().read64(HPA + 8), 0u);
}

// ---------------------------------------------------------------------------
// PRI

// The host side is played by the test, as a driver would: it sets up the page request
// queue (intel_iommu_enable_prq()'s register writes), takes the event MSI, reads the
// descriptors from memory (prq_event_thread()) and answers with Page Group Response
// descriptors through the invalidation queue.
class pri_host : public ats_pri {
 protected:
  static constexpr uint64_t PRQ = 0x2100000;   // one page (PQS 0): 128 descriptors
  static constexpr uint32_t PRQ_MSI_ADDR = 0xfee00000, PRQ_MSI_DATA = 0x25;

  void SetUp() override {
    ats_pri::SetUp();
    prq_event = std::make_unique<sc_core::sc_event>("prq_event");   // in this test's SystemC context
    m->set_msi_handler([this](uint64_t addr, uint32_t data) {
      msis.push_back({addr, data});
      prq_event->notify(sc_core::SC_ZERO_TIME);
    });
  }
  void TearDown() override {
    prq_event.reset();
    ats_pri::TearDown();
  }
  void enable_prq() {
    set_vtd(PQH_REG, 8, 0);
    set_vtd(PQT_REG, 8, 0);
    set_vtd(PQA_REG, 8, PRQ);
    set_vtd(PEDATA_REG, 4, PRQ_MSI_DATA);
    set_vtd(PEADDR_REG, 4, PRQ_MSI_ADDR);
    set_vtd(PEUADDR_REG, 4, 0);
    set_vtd(PECTL_REG, 4, 0);
  }
  // Waits for a page request event not seen yet, then: PPR cleared, every descriptor
  // from PQH to PQT decoded, PQH moved to PQT.
  std::vector<page_request> take_requests() {
    while (msis.size() == msis_taken) sc_core::wait(*prq_event);
    msis_taken = msis.size();
    prs_at_event = static_cast<uint32_t>(vtd(PRS_REG));
    set_vtd(PRS_REG, 4, PRS_PPR);
    const uint64_t tail = vtd(PQT_REG, 8);
    std::vector<page_request> out;
    for (uint64_t head = vtd(PQH_REG, 8); head != tail; head = (head + PRQ_DESCRIPTOR_BYTES) % PAGE_4K) {
      const uint64_t qw0 = m->dram().read64(PRQ + head), qw1 = m->dram().read64(PRQ + head + 8);
      page_request r;
      r.source_id = static_cast<uint16_t>(qw0 >> PRD_RID_SHIFT);
      r.iova = qw1 & PRD_HI_ADDR_MASK;
      r.write = (qw1 & PRD_HI_WRITE) != 0;
      r.group = static_cast<uint16_t>((qw1 >> PRD_HI_PRGI_SHIFT) & PRD_HI_PRGI_MASK);
      r.last_in_group = (qw1 & PRD_HI_LPIG) != 0;
      out.push_back(r);
    }
    set_vtd(PQH_REG, 8, tail);
    return out;
  }
  // The transfer may have ended while the response was polled for (read without an
  // MMIO access, which would take time in which it could end unseen).
  void wait_transfer_end() {
    while (dev->regs().get(dma_device::STATUS, 4) & dma_device::STATUS_BUSY) sc_core::wait(dev->transfer_end());
  }
  // A Page Group Response for DMA0's group, then a wait descriptor.
  void respond(uint16_t group, unsigned code) {
    invalidate({{QI_PGRP_RESP_TYPE | (uint64_t{code} << QI_PGRP_RESP_CODE_SHIFT) |
                     (uint64_t{DMA0} << QI_PGRP_RID_SHIFT),
                 QI_PGRP_HI_LPIG | (uint64_t{group} << QI_PGRP_HI_IDX_SHIFT)}});
  }

  struct msi {
    uint64_t addr;
    uint32_t data;
  };
  std::vector<msi> msis;
  size_t msis_taken = 0;
  uint32_t prs_at_event = 0;
  std::unique_ptr<sc_core::sc_event> prq_event;
};

TEST_F(pri_host, page_requests_made_good_let_the_transfer_finish) {
  for (unsigned i = 0; i < 1024; ++i) dev->buffer()[i] = static_cast<uint8_t>(i ^ 0xa5);
  const uint64_t page4 = HOLE - PAGE_4K;   // not mapped either
  run_thread([&] {
    bring_up();
    enable_ats();
    enable_pri(32);
    enable_qi();
    enable_prq();
    transfer(IOVA, 0, 64, 0);   // page request group 0 goes to a transfer without faults
    // 1 KiB to host memory: half in page 4, half in page 5, neither present.
    start(0, HOLE - 512, 1024, dma_device::CONTROL_DIR_TO_HOST);
    std::vector<page_request> asked = take_requests();
    // The event: PEADDR / PEDATA, with PRS.PPR set; one descriptor behind PQT.
    ASSERT_EQ(msis.size(), 1u);
    EXPECT_EQ(msis[0].addr, PRQ_MSI_ADDR);
    EXPECT_EQ(msis[0].data, PRQ_MSI_DATA);
    EXPECT_EQ(prs_at_event, PRS_PPR);
    EXPECT_EQ(vtd(PQT_REG, 8), uint64_t{PRQ_DESCRIPTOR_BYTES});
    // Its bytes: type 1 and requester 01:00.0; page 4, group 1, LPIG, W; no private data.
    EXPECT_EQ(m->dram().read64(PRQ), 0x01000001u);
    EXPECT_EQ(m->dram().read64(PRQ + 8), page4 | (1u << 3) | PRD_HI_LPIG | PRD_HI_WRITE);
    EXPECT_EQ(m->dram().read64(PRQ + 16), 0u);
    EXPECT_EQ(m->dram().read64(PRQ + 24), 0u);
    ASSERT_EQ(asked.size(), 1u);
    EXPECT_EQ(asked[0].source_id, DMA0);
    EXPECT_EQ(asked[0].iova, page4);
    EXPECT_TRUE(asked[0].write);
    EXPECT_EQ(asked[0].group, 1u);
    EXPECT_TRUE(asked[0].last_in_group);
    EXPECT_EQ(m->iommu().pending_page_requests(), 1u);
    EXPECT_TRUE(reg(dma_device::STATUS, 4) & dma_device::STATUS_BUSY);   // waiting for the answer
    EXPECT_EQ(reg(dma_device::PAGE_REQS), 1u);
    // The host's fault handler: map the page, answer the group through the queue.
    tb->map(slpt, page4, HPA + 4 * PAGE_4K, PAGE_4K, true, true);
    respond(asked[0].group, QI_RESP_SUCCESS);
    asked = take_requests();   // the second half faults next, in the same group
    ASSERT_EQ(asked.size(), 1u);
    EXPECT_EQ(asked[0].iova, HOLE);
    EXPECT_EQ(asked[0].group, 1u);
    EXPECT_EQ(m->dram().read64(PRQ + 40), HOLE | (1u << 3) | PRD_HI_LPIG | PRD_HI_WRITE);
    EXPECT_EQ(msis.size(), 2u);   // PPR was cleared: a new event
    tb->map(slpt, HOLE, HPA + 5 * PAGE_4K, PAGE_4K, true, true);
    respond(asked[0].group, QI_RESP_SUCCESS);
    wait_transfer_end();
    EXPECT_EQ(reg(dma_device::STATUS, 4), dma_device::STATUS_DONE);
    EXPECT_EQ(m->iommu().pending_page_requests(), 0u);
    EXPECT_EQ(vtd(PRS_REG), 0u);
  });
  EXPECT_EQ(dev->page_requests(), 2u);
  EXPECT_EQ(dev->page_request_failures(), 0u);
  EXPECT_EQ(dev->translation_requests(), 5u);   // page 0, then pages 4 and 5 twice each
  std::vector<uint8_t> back(1024);
  m->dram().read(HPA + 5 * PAGE_4K - 512, back.data(), 1024);
  EXPECT_EQ(std::memcmp(back.data(), dev->buffer().data(), 1024), 0);
  EXPECT_EQ(dev->regs().get(dma_device::PAGE_REQS, 8), 2u);
  EXPECT_EQ(m->iommu().prq_descriptors_written(), 2u);
  EXPECT_EQ(m->iommu().stats_by_requester()[DMA0].page_requests, 2u);
}

TEST_F(pri_host, a_failed_page_request_ends_the_transfer_and_memory_stays_untouched) {
  run_thread([&] {
    bring_up();
    enable_ats();
    enable_pri(1);
    enable_qi();
    enable_prq();
    std::fill(dev->buffer().begin(), dev->buffer().end(), 0x77);
    start(0, HOLE, 256, dma_device::CONTROL_DIR_TO_HOST);
    const std::vector<page_request> asked = take_requests();
    ASSERT_EQ(asked.size(), 1u);
    respond(asked[0].group, QI_RESP_INVALID);
    wait_transfer_end();
    EXPECT_EQ(err_code(), dma_device::ERR_PAGE_REQUEST_FAILED);
    EXPECT_EQ(reg(dma_device::ERR_ADDR), HOLE);
    EXPECT_EQ(dev->page_request_failures(), 1u);
    EXPECT_EQ(dev->requests_issued(), 0u);
  });
  EXPECT_EQ(m->dram().read64(HPA + 5 * PAGE_4K), 0u);
}

TEST_F(pri_host, without_pri_a_denied_translation_ends_the_transfer) {
  run_thread([&] {
    bring_up();
    enable_ats();
    enable_prq();
    const sc_time took = transfer(0, HOLE, 256, dma_device::CONTROL_DIR_TO_HOST);
    EXPECT_EQ(err_code(), dma_device::ERR_ATS_DENIED);
    EXPECT_EQ(reg(dma_device::ERR_ADDR), HOLE);
    // The error is known when the completion is back: up and down the link at least.
    EXPECT_GE(took, 2 * m->links().at(0)->hop_latency());
    // Read-only pages deny writes the same way.
    tb->map(slpt, HOLE, HPA + 5 * PAGE_4K, PAGE_4K, true, false);
    transfer(0, HOLE, 256, dma_device::CONTROL_DIR_TO_HOST);
    EXPECT_EQ(err_code(), dma_device::ERR_ATS_DENIED);
    transfer(HOLE, 0, 256, 0);   // reads are allowed
    EXPECT_EQ(reg(dma_device::STATUS, 4), dma_device::STATUS_DONE);
    EXPECT_EQ(vtd(PQT_REG, 8), 0u);
  });
  EXPECT_TRUE(msis.empty());
  EXPECT_EQ(dev->page_requests(), 0u);
}

TEST_F(pri_host, a_reset_while_waiting_for_a_page_response_abandons_the_transfer) {
  run_thread([&] {
    bring_up();
    enable_ats();
    enable_pri(1);
    enable_qi();
    enable_prq();
    start(0, HOLE, 256, dma_device::CONTROL_DIR_TO_HOST);
    const std::vector<page_request> asked = take_requests();
    ASSERT_EQ(asked.size(), 1u);
    dev->reset();
    sc_core::wait(sc_time(1, sc_core::SC_US));
    EXPECT_EQ(dev->transfers() + dev->failed_transfers(), 0u);   // it never ends
    EXPECT_EQ(dev->regs().get(dma_device::STATUS, 4), 0u);
    // The answer arrives after the reset: the device forgot its bus, nobody takes it.
    respond(asked[0].group, QI_RESP_SUCCESS);
    // Probed again, the engine runs the next transfer (its thread is free).
    bring_up();
    enable_ats();
    transfer(IOVA, 0, 256, 0);
    EXPECT_EQ(reg(dma_device::STATUS, 4), dma_device::STATUS_DONE);
    EXPECT_EQ(dev->transfers(), 1u);
  });
}

// A full queue (PQT + 1 == PQH) takes nothing more: PRS.PRO goes on with an event, and
// the unit answers a group's last request itself with Success, so the device asks
// again; while PRO is set requests are dropped without an event, even with room.
TEST_F(pri_host, a_full_queue_sets_pro_and_the_unit_answers_the_group_itself) {
  constexpr uint16_t OTHER = 0x0200;   // no such device: the platform drops its answers
  constexpr uint64_t SLOTS = PAGE_4K / PRQ_DESCRIPTOR_BYTES;
  run_thread([&] {
    bring_up();
    enable_ats();
    enable_pri(1);
    enable_qi();
    enable_prq();
    for (uint16_t g = 0; g < SLOTS - 1; ++g) m->iommu().page_request(OTHER, 0x100000 + g * PAGE_4K, false, g, true);
    sc_core::wait(sc_time(20, sc_core::SC_US));
    EXPECT_EQ(vtd(PQT_REG, 8), (SLOTS - 1) * PRQ_DESCRIPTOR_BYTES);   // one slot always stays free
    EXPECT_EQ(vtd(PRS_REG), PRS_PPR);
    EXPECT_EQ(msis.size(), 1u);
    // No room: PRO, but no second event while PPR is still pending.
    m->iommu().page_request(OTHER, 0x200000, false, 150, true);
    sc_core::wait(sc_time(1, sc_core::SC_US));
    EXPECT_EQ(vtd(PRS_REG), PRS_PPR | PRS_PRO);
    EXPECT_EQ(msis.size(), 1u);
    EXPECT_EQ(m->iommu().prq_overflows(), 1u);
    set_vtd(PRS_REG, 4, PRS_PPR | PRS_PRO);   // seen and cleared, but not drained
    EXPECT_EQ(vtd(PRS_REG), 0u);
    // The device's request finds no room: nothing written, PRO and a new event, and
    // Success from the unit: the device translates again, is denied again, gives up.
    transfer(0, HOLE, 256, dma_device::CONTROL_DIR_TO_HOST);
    EXPECT_EQ(err_code(), dma_device::ERR_PAGE_REQUEST_FAILED);
    EXPECT_EQ(dev->page_requests(), 1u);
    EXPECT_EQ(dev->translation_requests(), 2u);
    EXPECT_EQ(vtd(PRS_REG), PRS_PRO);
    EXPECT_EQ(vtd(PQT_REG, 8), (SLOTS - 1) * PRQ_DESCRIPTOR_BYTES);
    ASSERT_EQ(msis.size(), 2u);
    EXPECT_EQ(msis[1].data, PRQ_MSI_DATA);
    EXPECT_EQ(m->iommu().prq_overflows(), 2u);
    EXPECT_EQ(m->iommu().pending_page_requests(), SLOTS - 1);   // the device's group was answered
    // Drained, but PRO still set: dropped, no event.
    set_vtd(PQH_REG, 8, vtd(PQT_REG, 8));
    m->iommu().page_request(OTHER, 0x300000, true, 200, true);
    sc_core::wait(sc_time(1, sc_core::SC_US));
    EXPECT_EQ(vtd(PQT_REG, 8), (SLOTS - 1) * PRQ_DESCRIPTOR_BYTES);
    EXPECT_EQ(msis.size(), 2u);
    EXPECT_EQ(m->iommu().prq_overflows(), 3u);
    // PRO cleared with the queue empty (as Linux does): requests land again, in the
    // last slot, and PQT wraps.
    set_vtd(PRS_REG, 4, PRS_PRO);
    EXPECT_EQ(vtd(PRS_REG), 0u);
    m->iommu().page_request(OTHER, 0x400000, true, 201, true);
    sc_core::wait(sc_time(1, sc_core::SC_US));
    EXPECT_EQ(vtd(PQT_REG, 8), 0u);
    EXPECT_EQ(m->dram().read64(PRQ + (SLOTS - 1) * PRQ_DESCRIPTOR_BYTES + 8),
              0x400000u | (201u << 3) | PRD_HI_LPIG | PRD_HI_WRITE);
    EXPECT_EQ(vtd(PRS_REG), PRS_PPR);
    EXPECT_EQ(msis.size(), 3u);
  });
  EXPECT_EQ(m->iommu().prq_descriptors_written(), SLOTS);
  EXPECT_EQ(m->iommu().stats_by_requester()[0x0200].page_requests, SLOTS + 2);
}

}  // namespace
}  // namespace iovsim
