// The IOTLB's reach, through the simulator controls that reshape the IOTLB
// (vtd_unit::configure_iotlb, `iommu config`, `iommu stats reset`) and the DMA test
// driver's working-set options (`dmatest --buffers N --static --pages 4k|2m|1g`), on
// a booted host with a DMA test device behind VT-d.
#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include <functional>
#include <stdexcept>
#include <string>

#include "drivers-sim/host.h"
#include "platform/platform.h"
#include "scenarios/loader.h"
#include "tests/unit/sc_fixture.h"

namespace iovsim::host {
namespace {

const char* const DMA_BEHIND_VTD = R"(
  kernel_cmdline: "intel_iommu=on"
  root_port { name: "rp1" device: 1 }
  endpoint { name: "dma0" profile: "iovsim_dma" attach: "rp1" }
)";
constexpr uint16_t DMA0 = 0x0100;   // 01:00.0

class iotlb_reach : public test::sc_fixture {
 protected:
  void boot(const std::function<void(host_system&, iommu::vtd_unit&)>& body) {
    pb::Platform spec;
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(DMA_BEHIND_VTD, &spec));
    platform::machine m(spec, scen::builtin_profiles());
    host_system h(m, 1);
    run_thread([&] {
      h.boot();
      body(h, m.iommu());
    });
  }
};

std::string out(host_system& h, const std::string& line) {
  const cmd_result r = h.run(line);
  EXPECT_EQ(r.status, 0) << line << "\n" << r.err;
  EXPECT_EQ(r.err, "") << line;
  return r.out;
}

uint64_t misses(iommu::vtd_unit& u) { return u.stats_by_requester()[DMA0].misses; }

TEST_F(iotlb_reach, configure_iotlb_replaces_an_empty_iotlb_and_keeps_statistics) {
  boot([](host_system& h, iommu::vtd_unit& u) {
    EXPECT_EQ(u.tlb().config().entries, 1024u);
    out(h, "dmatest --size 4096 --count 8 --static");
    EXPECT_EQ(u.tlb().occupancy(), 8u);   // one 4 KiB page per buffer of the default ring of 8
    EXPECT_EQ(misses(u), 8u);

    u.configure_iotlb({64, 4, iommu::replacement::random});
    EXPECT_EQ(u.tlb().config().entries, 64u);
    EXPECT_EQ(u.tlb().config().ways, 4u);
    EXPECT_EQ(u.tlb().config().policy, iommu::replacement::random);
    EXPECT_EQ(u.tlb().sets(), 16u);
    EXPECT_EQ(u.tlb().occupancy(), 0u);
    EXPECT_EQ(misses(u), 8u);   // counts of the replaced IOTLB stay in the statistics

    out(h, "dmatest --size 4096 --count 8 --static");
    EXPECT_EQ(misses(u), 16u);
    u.reset_stats();
    EXPECT_EQ(misses(u), 0u);
    EXPECT_EQ(u.stats_by_requester()[DMA0].translations, 0u);
    EXPECT_EQ(u.tlb().occupancy(), 8u);   // a reset keeps the entries (lazy unmaps have not flushed yet)

    EXPECT_THROW(u.configure_iotlb({0, 1, iommu::replacement::lru}), std::invalid_argument);
    EXPECT_THROW(u.configure_iotlb({64, 7, iommu::replacement::lru}), std::invalid_argument);
    EXPECT_THROW(u.configure_iotlb({8, 16, iommu::replacement::lru}), std::invalid_argument);
    EXPECT_THROW(u.configure_iotlb({(1u << 20) + 8, 8, iommu::replacement::lru}), std::invalid_argument);
    EXPECT_EQ(u.tlb().config().entries, 64u);   // a refused shape changes nothing
  });
}

TEST_F(iotlb_reach, iommu_config_command) {
  boot([](host_system& h, iommu::vtd_unit& u) {
    EXPECT_EQ(out(h, "iommu config entries=64"), "");
    EXPECT_EQ(u.tlb().config().entries, 64u);
    EXPECT_EQ(u.tlb().config().ways, 8u);   // the associativity is kept when it divides
    out(h, "iommu config entries=12");
    EXPECT_EQ(u.tlb().config().ways, 12u);  // else fully associative
    out(h, "iommu config entries=256 ways=4 policy=random");
    EXPECT_EQ(u.tlb().config().ways, 4u);
    EXPECT_EQ(u.tlb().config().policy, iommu::replacement::random);

    struct bad {
      const char* line;
      const char* err;
    };
    for (const bad& b : {
             bad{"iommu config entries=48 ways=7", "iommu: iotlb ways: 7 does not divide iotlb entries = 48\n"},
             bad{"iommu config entries=0", "iommu: iotlb entries: 0 is not in 1..1048576\n"},
             bad{"iommu config entries=lots", "iommu: entries \"lots\" is not a number\n"},
             bad{"iommu config entries=64 policy=fifo", "iommu: policy \"fifo\" is not lru or random\n"},
             bad{"iommu config entries=64 sets=8", "iommu: unknown setting \"sets\"\n"},
             bad{"iommu config 64", "iommu: \"64\" is not KEY=VALUE\n"},
         }) {
      const cmd_result r = h.run(b.line);
      EXPECT_EQ(r.status, 2) << b.line;
      EXPECT_EQ(r.err, b.err) << b.line;
      EXPECT_EQ(r.errno_name, "EINVAL") << b.line;
    }
    const cmd_result r = h.run("iommu config ways=4");
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(r.err.rfind("usage: iommu stats", 0), 0u) << r.err;
    EXPECT_EQ(u.tlb().config().entries, 256u);   // nothing refused was applied

    out(h, "dmatest --size 4096 --count 4 --static");
    EXPECT_EQ(misses(u), 4u);
    EXPECT_EQ(out(h, "iommu stats reset"), "");
    EXPECT_EQ(out(h, "iommu stats"),
              "translation enabled\n"
              "requester  translations     hits   misses    walks  evictions  faults\n"
              "01:00.0              0        0        0        0          0       0\n");
  });
}

// 8 buffers of 64 KiB: 128 pages of 4 KiB, streamed twice (16 transfers).
TEST_F(iotlb_reach, working_set_past_the_reach_misses_on_every_page_unless_large_pages) {
  boot([](host_system& h, iommu::vtd_unit& u) {
    const std::string run = "dmatest --size 65536 --buffers 8 --count 16 --static --pages ";
    out(h, "iommu config entries=1024");
    u.reset_stats();
    std::string o = out(h, run + "4k");
    EXPECT_NE(o.find("16 transfers of 65536 bytes to host, static mapping"), std::string::npos) << o;
    EXPECT_NE(o.find("\ndmatest: 0000:01:00.0: working set 8 buffers x 65536 bytes (512 KiB), 4 KiB pages\n"),
              std::string::npos)
        << o;
    EXPECT_EQ(misses(u), 128u);   // first touch only

    out(h, "iommu config entries=64");
    u.reset_stats();
    out(h, run + "4k");
    EXPECT_EQ(misses(u), 256u);   // 128 pages through 8 sets x 8 ways, LRU: every access misses

    out(h, "iommu config entries=64");
    u.reset_stats();
    o = out(h, run + "2m");
    EXPECT_NE(o.find("0 errors\ndmatest: 0000:01:00.0: working set 8 buffers x 65536 bytes (512 KiB), 2 MiB pages\n"),
              std::string::npos)
        << o;
    EXPECT_EQ(misses(u), 1u);   // one 2 MiB page holds the whole ring
    EXPECT_EQ(u.tlb().occupancy(), 0u);   // unmapped and invalidated at the end of the run

    out(h, "iommu config entries=64");
    u.reset_stats();
    o = out(h, "dmatest --size 65536 --buffers 40 --count 40 --static --pages 1g");
    EXPECT_NE(o.find("working set 40 buffers x 65536 bytes (2560 KiB), 1 GiB pages"), std::string::npos) << o;
    EXPECT_EQ(misses(u), 1u);
    EXPECT_EQ(u.stats_by_requester()[DMA0].faults, 0u);

    // The summary line alone without the new options (other scenarios' outputs).
    o = out(h, "dmatest --size 4096 --count 8 --static");
    EXPECT_EQ(o.find("working set"), std::string::npos) << o;
  });
}

TEST_F(iotlb_reach, dmatest_refuses_bad_working_set_options) {
  boot([](host_system& h, iommu::vtd_unit&) {
    for (const char* line : {"dmatest --buffers 0", "dmatest --buffers 65537", "dmatest --pages 4m --static",
                             "dmatest --pages", "dmatest --buffers x"}) {
      const cmd_result r = h.run(line);
      EXPECT_EQ(r.status, 2) << line;
      EXPECT_EQ(r.err.rfind("usage: dmatest", 0), 0u) << line << ": " << r.err;
    }
    for (const char* line : {"dmatest --pages 2m", "dmatest --pages 1g --static --addr 0x1000"}) {
      const cmd_result r = h.run(line);
      EXPECT_EQ(r.status, 2) << line;
      EXPECT_EQ(r.err, "dmatest: --pages 2m|1g maps the ring once: it needs --static and no --addr\n") << line;
    }
  });
}

}  // namespace
}  // namespace iovsim::host
