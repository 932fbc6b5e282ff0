// The pcie-bench engine on a booted host: the built-in driver (drivers-sim/misc/
// pciebench.h) maps its buffer through the DMA API, the IOMMU translates what it reads,
// and the `pciebench` shell verb writes pcie-bench's CSV. The bare-bench tests of the
// engine itself: pciebench_timing_test.cpp and pciebench_rules_test.cpp.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <systemc>
#include <tlm>
#include <vector>

#include "drivers-sim/host.h"
#include "drivers-sim/misc/pciebench.h"
#include "models/kit/pcie_ext.h"
#include "models/memory/dram.h"
#include "models/pcie/capabilities.h"
#include "models/pcie/link.h"
#include "models/pcie/pci_regs.h"
#include "models/testdev/pciebench_device.h"
#include "platform/platform.h"
#include "scenarios/loader.h"
#include "tests/unit/host_fixture.h"
#include "tests/unit/pciebench_test_util.h"
#include "tests/unit/sc_fixture.h"

namespace iovsim {
namespace {

using namespace test::pcb;

// ---------------------------------------------------------------------------
// A booted host with the engine behind a root port: the built-in driver maps its
// buffer through the DMA API; the shell verb writes pcie-bench's CSV.

const char* const PCIEBENCH_HOST = R"(
  root_port { name: "rp1" device: 1 }
  endpoint { name: "pcb0" profile: "iovsim_pciebench" attach: "rp1" }
)";
std::string platform_with(const std::string& cmdline) {
  return "kernel_cmdline: \"" + cmdline + "\"\n" + PCIEBENCH_HOST;
}
constexpr uint16_t PCB0 = 0x0100;  // 01:00.0

class pciebench_host : public test::host_fixture {};
using test::out;

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> v;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) v.push_back(l);
  return v;
}
std::vector<std::string> fields(const std::string& row) {
  std::vector<std::string> v;
  std::istringstream in(row);
  for (std::string f; std::getline(in, f, ',');) v.push_back(f);
  return v;
}

const std::string BW_HEADER = "Test,PAT,Cache,HO,DO,WinSZ,SZ,Time(cyc),Time,Bytes,Trans,BW (GB/s),Trans/s";
const std::string LAT_HEADER =
    "Test,PAT,Cache,HO,DO,WinSZ,SZ,TAvg,Avg,Med,Min,Max,95%,99.9%,TAvg(ns),Avg(ns),Med(ns),Min(ns),Max(ns),95%(ns),"
    "99.9%(ns),#outliers,#samples";

pciebench_device& engine(host::host_system& h) {
  for (pcie::endpoint* ep : h.machine().endpoints())
    if (auto* d = dynamic_cast<pciebench_device*>(ep)) return *d;
  throw std::runtime_error("no pcie-bench engine");
}

// 8. The verb: one CSV row per window x size under pcie-bench's bandwidth header, the
// columns consistent with each other and the times with the link model.
TEST_F(pciebench_host, bw_verb_prints_one_row_per_window_and_size) {
  boot(PCIEBENCH_HOST, 1, [](host::host_system& h) {
    EXPECT_EQ(test::dmesg(h, "pcie-bench engine"),
              std::vector<std::string>{"iovsim_pciebench 0000:01:00.0: pcie-bench engine at 1200 MHz, 16 x 4 MiB host "
                                       "buffer"});
    const std::string o = out(h, "pciebench BW_DMA_WR --size 64,256 --window 8K,16K --count 1000 --in-flight 88");
    const std::vector<std::string> l = lines(o);
    ASSERT_EQ(l.size(), 5u) << o;
    EXPECT_EQ(l[0], BW_HEADER);
    platform::machine& m = h.machine();
    const pcie::pcie_link& link = *m.links()[0];
    EXPECT_EQ(link.config().mps, 256u);
    const uint64_t khz = engine(h).regs().get(pbd::CLOCK_KHZ, 4);
    const uint64_t windows[] = {8192, 8192, 16384, 16384}, sizes[] = {64, 256, 64, 256};
    for (size_t i = 0; i < 4; ++i) {
      const std::vector<std::string> f = fields(l[i + 1]);
      ASSERT_EQ(f.size(), 13u) << l[i + 1];
      EXPECT_EQ(l[i + 1].rfind(fmt::format("BW_DMA_WR,Seq,HWarm,0,0,{},{},", windows[i], sizes[i]), 0), 0u) << l[i + 1];
      const uint64_t cyc = std::stoull(f[7]);
      const double ns = std::stod(f[8]);
      EXPECT_EQ(std::stoull(f[9]), 1000 * sizes[i]);  // Bytes
      EXPECT_EQ(std::stoull(f[10]), 1000u);           // Trans
      EXPECT_NEAR(ns, static_cast<double>(cyc) * 1e6 / static_cast<double>(khz), 1e-9 * ns);
      EXPECT_NEAR(std::stod(f[11]), 8.0 * 1000 * sizes[i] / ns, 1e-9 * std::stod(f[11]));
      EXPECT_NEAR(std::stod(f[12]), 1000 / ns * 1e9, 1e-9 * std::stod(f[12]));
      // The link is never idle: 1000 writes' serialisation plus one write's latency,
      // give or take the counter's cycle.
      const sc_time run = 999.0 * link.wire_time(pcie::write_wire(link.config(), sizes[i]).wire_bytes) +
                          idle_write_latency(link, m.dram(), sizes[i]);
      const uint64_t expect = counter(run, khz);
      EXPECT_TRUE(cyc == expect || cyc == expect + 1) << cyc << " vs " << expect;
    }
    EXPECT_EQ(engine(h).runs(), 4u);

    // Without the header; read-write runs count half their transfers (nfpbench.py).
    const std::vector<std::string> rw = lines(out(h, "pciebench bw_rw --count 1000 --no-header --pattern rand"));
    ASSERT_EQ(rw.size(), 1u);
    const std::vector<std::string> f = fields(rw[0]);
    ASSERT_EQ(f.size(), 13u);
    EXPECT_EQ(rw[0].rfind("BW_DMA_RW,Rand,HWarm,0,0,8192,64,", 0), 0u) << rw[0];
    EXPECT_EQ(f[9], "32000");
    EXPECT_EQ(f[10], "500");
    for (const auto& [cache, name] :
         std::vector<std::pair<std::string, std::string>>{{"cold", "Cold"}, {"dwarm", "DWarm"}, {"hwarm", "HWarm"}}) {
      const std::string row = out(h, "pciebench BW_DMA_RD --count 200 --no-header --cache " + cache);
      EXPECT_EQ(row.rfind("BW_DMA_RD,Seq," + name + ",0,0,8192,64,", 0), 0u) << row;
    }
  });
}

TEST_F(pciebench_host, lat_verb_prints_the_latency_columns) {
  boot(PCIEBENCH_HOST, 1, [](host::host_system& h) {
    const std::string o = out(h, "pciebench LAT_DMA_RD --size 64 --count 500 --host-off 8");
    const std::vector<std::string> l = lines(o);
    ASSERT_EQ(l.size(), 2u) << o;
    EXPECT_EQ(l[0], LAT_HEADER);
    EXPECT_EQ(l[1].rfind("LAT_DMA_RD,Seq,HWarm,8,0,8192,64,", 0), 0u) << l[1];
    const std::vector<std::string> f = fields(l[1]);
    ASSERT_EQ(f.size(), 23u);
    platform::machine& m = h.machine();
    const uint64_t khz = engine(h).regs().get(pbd::CLOCK_KHZ, 4);
    const uint64_t whole = counter(idle_read_latency(*m.links()[0], m.dram(), 64), khz);
    EXPECT_EQ(std::stoull(f[10]), whole);      // Min
    EXPECT_EQ(std::stoull(f[11]), whole + 1);  // Max
    const double med = std::stod(f[9]);
    EXPECT_TRUE(med == whole || med == whole + 0.5 || med == whole + 1) << med;
    EXPECT_EQ(f[21], "0");    // #outliers
    EXPECT_EQ(f[22], "500");  // #samples
    // TAvg: the whole run's cycles over the samples, whole cycles.
    EXPECT_TRUE(std::stoull(f[7]) == whole || std::stoull(f[7]) == whole + 1) << f[7];
    EXPECT_NEAR(std::stod(f[17]), std::stod(f[10]) * 1e6 / khz, 1e-6);  // Min(ns)

    EXPECT_EQ(lines(out(h, "pciebench lat_wrrd --count 10"))[1].rfind("LAT_DMA_WRRD,Seq,HWarm,0,0,8192,64,", 0), 0u);
  });
}

TEST_F(pciebench_host, verb_refuses_bad_arguments) {
  boot(PCIEBENCH_HOST, 1, [](host::host_system& h) {
    struct bad {
      const char* line;
      const char* first;
    };
    for (const bad& b : {
             bad{"pciebench BW_DMA_RD --size 5000",
                 "pciebench: a transfer of 5000 bytes at host offset 0 must fit in 4096 bytes (and the device's 8 KiB "
                 "buffer at its offset)"},
             bad{"pciebench BW_DMA_RD --size 4000 --host-off 100",
                 "pciebench: a transfer of 4000 bytes at host offset 100 must fit in 4096 bytes (and the device's 8 "
                 "KiB buffer at its offset)"},
             bad{"pciebench BW_DMA_RD --window 100",
                 "pciebench: the window must be a multiple of 64 bytes up to 256 "
                 "MiB: 100"},
             bad{"pciebench BW_DMA_RD --window 512M",
                 "pciebench: the window must be a multiple of 64 bytes up to 256 MiB: 536870912"},
             bad{"pciebench BW_DMA_RD --size 128 --window 64",
                 "pciebench: a transfer of 128 bytes at host offset 0 does not fit in a 64-byte window"},
             bad{"pciebench BW_DMA_RD --size 64,128 --window 64",
                 "pciebench: a transfer of 128 bytes at host offset 0 does not fit in a 64-byte window"},
             bad{"pciebench LAT_DMA_RD --count 16777217",
                 "pciebench: a latency test keeps at most 16777216 samples (--count)"},
             bad{"pciebench BW_DMA_FOO", "pciebench: unexpected \"BW_DMA_FOO\""},
             bad{"pciebench LAT_CMD_RD", "pciebench: unexpected \"LAT_CMD_RD\""},
             bad{"pciebench --size 64", "pciebench: which test?"},
             bad{"pciebench BW_DMA_RD --in-flight 0", "pciebench: --in-flight is 1..256"},
             bad{"pciebench BW_DMA_RD --in-flight 257", "pciebench: --in-flight is 1..256"},
             bad{"pciebench BW_DMA_RD --count 0", "pciebench: --count is at least 1"},
             bad{"pciebench BW_DMA_RD --pattern zigzag", "pciebench: --pattern is seq or rand"},
             bad{"pciebench BW_DMA_RD --cache hot", "pciebench: --cache is hwarm, dwarm, cold or dthrash"},
             bad{"pciebench BW_DMA_RD --size 64,x", "pciebench: --size takes sizes in bytes: \"64,x\""},
             bad{"pciebench BW_DMA_RD BW_DMA_WR", "pciebench: unexpected \"BW_DMA_WR\""},
         }) {
      const host::cmd_result r = h.run(b.line);
      EXPECT_EQ(r.status, 2) << b.line;
      EXPECT_EQ(r.out, "") << b.line;
      EXPECT_EQ(r.errno_name, "EINVAL") << b.line;
      EXPECT_EQ(r.err.substr(0, r.err.find('\n')), b.first) << b.line;
      EXPECT_NE(r.err.find("\nusage: pciebench "), std::string::npos) << b.line;
    }
    EXPECT_EQ(engine(h).runs(), 0u);
    EXPECT_EQ(engine(h).requests_issued(), 0u);
  });
}

// --csv writes the rows into the run's output folder, which only a scenario run has: a
// host alone runs the experiment, prints the rows and says it could not write them.
TEST_F(pciebench_host, csv_needs_an_output_folder) {
  boot(PCIEBENCH_HOST, 1, [](host::host_system& h) {
    const host::cmd_result r = h.run("pciebench BW_DMA_WR --count 10 --csv bw.csv");
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.errno_name, "EIO");
    EXPECT_EQ(lines(r.out).size(), 2u) << r.out;
    EXPECT_EQ(r.err, "pciebench: --csv: this machine has no output folder\n");
  });
}

// The verb finds the engine by -s (full or short BDF) and says so when there is none.
TEST_F(pciebench_host, verb_picks_the_engine_by_bdf) {
  boot(PCIEBENCH_HOST, 1, [](host::host_system& h) {
    EXPECT_EQ(lines(out(h, "pciebench -s 01:00.0 BW_DMA_WR --count 10 --no-header")).size(), 1u);
    EXPECT_EQ(lines(out(h, "pciebench -s 0000:01:00.0 BW_DMA_WR --count 10 --no-header")).size(), 1u);
    const host::cmd_result r = h.run("pciebench -s 02:00.0 BW_DMA_WR --count 10");
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, "pciebench: no pcie-bench engine bound to iovsim_pciebench\n");
    EXPECT_EQ(r.errno_name, "ENODEV");
    EXPECT_EQ(engine(h).runs(), 2u);
  });
}

// 9. The same runs in two fresh simulations print the same bytes.
TEST_F(pciebench_host, the_same_runs_print_the_same_csv) {
  const std::string cmds[] = {"pciebench BW_DMA_RD --size 64,1000 --window 16K --pattern rand --count 2000",
                              "pciebench LAT_DMA_WRRD --size 128 --window 64K --pattern rand --count 300"};
  std::vector<std::string> first, second;
  boot(PCIEBENCH_HOST, 1, [&](host::host_system& h) {
    for (const std::string& c : cmds) first.push_back(out(h, c));
  });
  restart();
  boot(PCIEBENCH_HOST, 1, [&](host::host_system& h) {
    for (const std::string& c : cmds) second.push_back(out(h, c));
  });
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(lines(first[0]).size(), 3u);
  EXPECT_EQ(first, second);
}

// 5. Through VT-d: the driver's buffer is mapped with 4 KiB pages under sp_off, so a
// sequential pass over N pages misses the (larger, cold) IOTLB N times; 2 MiB pages
// make it one miss per 2 MiB.
TEST_F(pciebench_host, iotlb_misses_follow_the_pages_of_the_window) {
  struct point {
    const char* cmd;
    uint64_t misses_4k, misses_2m;
  };
  const point points[] = {
      // 64 B reads over 32 pages, twice: the second pass hits.
      {"pciebench BW_DMA_RD --size 64 --window 128K --count 4096", 32, 1},
      // A page per 4 KiB read, 128 pages twice.
      {"pciebench BW_DMA_RD --size 4096 --window 512K --count 256", 128, 1},
      // Two chunks: 8 MiB in 4 KiB reads, once.
      {"pciebench BW_DMA_RD --size 4096 --window 8M --count 2048", 2048, 4},
  };
  for (const bool sp : {false, true}) {
    if (sp) restart();
    boot(platform_with(sp ? "intel_iommu=on" : "intel_iommu=on,sp_off"), 1, [&](host::host_system& h) {
      iommu::vtd_unit& u = h.machine().iommu();
      ASSERT_TRUE(u.translation_enabled());
      for (const point& p : points) {
        out(h, "iommu config entries=1024");  // a fresh, cold IOTLB
        u.reset_stats();
        out(h, p.cmd);
        const auto st = u.stats_by_requester()[PCB0];
        EXPECT_EQ(st.misses, sp ? p.misses_2m : p.misses_4k) << p.cmd << (sp ? " (superpages)" : " (sp_off)");
        EXPECT_EQ(st.faults, 0u) << p.cmd;
      }
      if (!sp) {
        // An IOTLB smaller than the window: LRU through 8 sets of 8 ways misses every page
        // of the second pass too.
        out(h, "iommu config entries=64");
        u.reset_stats();
        out(h, "pciebench BW_DMA_RD --size 4096 --window 512K --count 256");
        EXPECT_EQ(u.stats_by_requester()[PCB0].misses, 256u);
      }
    });
  }
}

// Runs the engine refuses at START end before the driver waits for them: the driver
// must see the error (ERR_PARAMS for a latency journal past 16 Mi samples, which the
// verb refuses itself but the driver passes on; ERR_NO_BUS_MASTER with Bus Master
// Enable off) and report it, not wait for the end of a run that already ended.
TEST_F(pciebench_host, runs_refused_at_start_are_reported_not_waited_for) {
  boot(PCIEBENCH_HOST, 1, [](host::host_system& h) {
    // The work in a thread of its own; if it still waits after 10 ms, the end-of-run
    // event it waits for is notified by hand so that it returns (and the test ends).
    auto run_bounded = [&h](const std::function<void()>& work) {
      bool done = false;
      sc_core::sc_event finished;
      sc_core::sc_spawn([&] {
        work();
        done = true;
        finished.notify();
      });
      sc_core::wait(sc_time(10, sc_core::SC_MS), finished);
      const bool in_time = done;
      if (!done) {
        const_cast<sc_core::sc_event&>(engine(h).run_end()).notify();
        sc_core::wait(finished);
      }
      return in_time;
    };
    host::cmd_result r = h.run("pciebench LAT_DMA_RD --count 16777217");
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("a latency test keeps at most 16777216 samples"), std::string::npos) << r.err;

    host::pci_dev* dev = nullptr;
    for (host::pci_dev* d : h.pci().devices())
      if (d->driver == "iovsim_pciebench") dev = d;
    ASSERT_NE(dev, nullptr);
    host::pciebench_options opt;
    opt.test = pcie::pciebench_device::LAT_DMA_RD;
    opt.count = pcie::pciebench_device::JOURNAL_MAX + 1;
    host::pciebench_result res;
    std::string why;
    EXPECT_TRUE(run_bounded([&] { why = h.pciebench().run(*dev, opt, res); })) << "the driver still waits for the run";
    EXPECT_EQ(why, "");
    EXPECT_FALSE(res.ok);
    EXPECT_EQ(res.status, 0x104u);

    platform::machine& m = h.machine();
    const uint32_t cmd = m.cpu().cfg_read(1, 0, pcie::CFG_COMMAND, 2);
    m.cpu().cfg_write(1, 0, pcie::CFG_COMMAND, 2, cmd & ~uint32_t{pcie::COMMAND_MASTER});
    EXPECT_TRUE(run_bounded([&] { r = h.run("pciebench BW_DMA_WR --count 10"); }))
        << "the driver still waits for the run";
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("BW_DMA_WR failed: status 0x204"), std::string::npos) << r.err;
  });
}

}  // namespace
}  // namespace iovsim
