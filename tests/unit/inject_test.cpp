// IOMMU groups in sysfs and fault injection, driven through the host shell the way a
// user types them: /sys/kernel/iommu_groups and the iommu_group links (with
// intel_iommu on, pass-through, strict, and off), `readlink`, and `inject`:
// dropped IOTLB invalidations leave a stale translation a later DMA goes through,
// an unmap in the middle of a dmatest run makes the device fault.
#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "drivers-sim/host.h"
#include "platform/platform.h"
#include "scenarios/loader.h"
#include "tests/unit/host_fixture.h"

namespace iovsim::host {
namespace {

const std::string DEV = "/sys/bus/pci/devices/0000:01:00.0/";
const std::string GROUPS = "/sys/kernel/iommu_groups";

std::string dma_platform(const std::string& cmdline, const std::string& profile = "iovsim_dma") {
  return "kernel_cmdline: \"" + cmdline + R"(" root_port { name: "rp1" device: 1 }
    endpoint { name: "dma0" profile: ")" + profile + R"(" attach: "rp1" })";
}

class inject : public test::host_fixture {
 protected:
  void boot(const std::string& platform_text, const std::function<void(host_system&)>& body) {
    host_fixture::boot(platform_text, 1, body);
  }
};
using test::dmesg;
using test::out;

iommu::requester_stats dma0_stats(host_system& h) {
  const auto all = h.machine().iommu().stats_by_requester();
  auto it = all.find(0x0100);
  return it == all.end() ? iommu::requester_stats{} : it->second;
}

// ---- Task 1: sysfs ---------------------------------------------------------------

TEST_F(inject, iommu_groups_in_sysfs_follow_the_kernel) {
  boot(dma_platform("intel_iommu=on"), [](host_system& h) {
    EXPECT_EQ(out(h, "ls /sys/kernel"), "iommu_groups\n");
    EXPECT_EQ(out(h, "ls " + GROUPS), "0\n1\n2\n");   // host bridge, root port, the device
    EXPECT_EQ(out(h, "ls " + GROUPS + "/2"), "devices\nreserved_regions\ntype\n");
    EXPECT_EQ(out(h, "ls " + GROUPS + "/2/devices"), "0000:01:00.0\n");
    EXPECT_EQ(out(h, "cat " + GROUPS + "/2/type"), "DMA-FQ\n");   // v6.1's lazy default
    EXPECT_EQ(out(h, "cat " + GROUPS + "/2/reserved_regions"), "0x00000000fee00000 0x00000000feefffff msi\n");
    EXPECT_EQ(out(h, "cat " + GROUPS + "/0/reserved_regions"), "0x00000000fee00000 0x00000000feefffff msi\n");
    // The device's link to its group, and the group's link back to the device.
    EXPECT_EQ(out(h, "ls " + DEV + " | grep iommu"), "iommu_group\n");
    EXPECT_EQ(out(h, "readlink " + DEV + "iommu_group"), "../../../../kernel/iommu_groups/2\n");
    EXPECT_EQ(out(h, "readlink -f " + DEV + "iommu_group"), "/sys/kernel/iommu_groups/2\n");
    EXPECT_EQ(out(h, "ls " + DEV + "iommu_group"), "devices\nreserved_regions\ntype\n");
    EXPECT_EQ(out(h, "cat " + DEV + "iommu_group/type"), "DMA-FQ\n");
    EXPECT_EQ(out(h, "readlink " + GROUPS + "/2/devices/0000:01:00.0"),
              "../../../../devices/pci0000:00/0000:00:01.0/0000:01:00.0\n");
    EXPECT_EQ(out(h, "readlink -f " + GROUPS + "/2/devices/0000:01:00.0"),
              "/sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0\n");
    EXPECT_EQ(out(h, "cat " + GROUPS + "/2/devices/0000:01:00.0/vendor"), "0x1234\n");
    EXPECT_EQ(out(h, "cat " + DEV + "iommu_group/devices/0000:01:00.0/iommu_group/type"), "DMA-FQ\n");
    EXPECT_EQ(out(h, "cat /sys/bus/pci/devices/*/iommu_group/type | uniq -c"), "      3 DMA-FQ\n");
    // A link to a directory reads as one; a plain file is no link.
    cmd_result r = h.run("cat " + DEV + "iommu_group");
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, "cat: " + DEV + "iommu_group: Is a directory\n");
    r = h.run("readlink " + GROUPS + "/2/type");
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.errno_name, "EINVAL");
    r = h.run("readlink -v " + GROUPS + "/7");
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, "readlink: " + GROUPS + "/7: No such file or directory\n");
    EXPECT_EQ(h.run("ls " + GROUPS + "/3").status, 2);
    EXPECT_EQ(h.run("cat " + GROUPS + "/2/name").errno_name, "ENOENT");   // only groups given a name have it
    EXPECT_EQ(out(h, "ls /sys"), "bus\nclass\ndevices\nkernel\nmodule\n");

    // iommu.strict=1: DMA domains; iommu=pt: the identity domain, groups all the same.
    EXPECT_EQ(out(h, "reboot intel_iommu=on iommu.strict=1"), "");
    EXPECT_EQ(out(h, "cat " + DEV + "iommu_group/type"), "DMA\n");
    EXPECT_EQ(out(h, "reboot intel_iommu=on iommu=pt"), "");
    EXPECT_EQ(out(h, "cat " + DEV + "iommu_group/type"), "identity\n");
    EXPECT_EQ(out(h, "cat " + DEV + "iommu_group/reserved_regions"), "0x00000000fee00000 0x00000000feefffff msi\n");

    // Without intel_iommu the kset is there (iommu_init() makes it) but empty.
    EXPECT_EQ(out(h, "reboot quiet"), "");
    EXPECT_EQ(out(h, "ls " + GROUPS), "");
    EXPECT_EQ(h.run("ls " + DEV + " | grep -c iommu").out, "0\n");
    r = h.run("ls " + GROUPS + "/2");
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(r.err, "ls: cannot access '" + GROUPS + "/2': No such file or directory\n");
    EXPECT_EQ(h.run("readlink " + DEV + "iommu_group").status, 1);
    EXPECT_EQ(h.run("cat " + DEV + "iommu_group/type").errno_name, "ENOENT");
  });
}

TEST_F(inject, vfs_join_groups_and_links_resolve) {
  const std::string platform = R"(kernel_cmdline: "intel_iommu=on" root_port { name: "rp1" device: 1 }
    endpoint { name: "nic" profile: "x540" attach: "rp1" })";
  boot(platform, [](host_system& h) {
    const std::string pf = "/sys/bus/pci/devices/0000:01:00.0/";
    ASSERT_EQ(out(h, "echo 2 > " + pf + "sriov_numvfs"), "");
    EXPECT_EQ(out(h, "readlink " + pf + "virtfn1"), "../0000:01:10.2\n");
    EXPECT_EQ(out(h, "readlink /sys/bus/pci/devices/0000:01:10.2/physfn"), "../0000:01:00.0\n");
    EXPECT_EQ(out(h, "readlink " + pf + "driver"), "../../../../bus/pci/drivers/ixgbe\n");
    EXPECT_EQ(out(h, "readlink /sys/class/net/enp1s0f0/device"), "../../../0000:01:00.0\n");
    EXPECT_EQ(out(h, "readlink -f /sys/class/net/enp1s0f0/device/virtfn1/physfn"),
              "/sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0\n");
    // Groups 0-2 at boot (host bridge, root port, and the two PFs together: the X540
    // has no ACS and is not on Linux's multifunction quirk list), then one per VF.
    EXPECT_EQ(out(h, "ls " + GROUPS + "/2/devices"), "0000:01:00.0\n0000:01:00.1\n");
    EXPECT_EQ(out(h, "readlink " + pf + "virtfn1/iommu_group"), "../../../../kernel/iommu_groups/4\n");
    EXPECT_EQ(out(h, "ls " + GROUPS + "/4/devices"), "0000:01:10.2\n");
    EXPECT_EQ(out(h, "echo 0 > " + pf + "sriov_numvfs"), "");
    EXPECT_EQ(out(h, "ls " + GROUPS), "0\n1\n2\n");
  });
}

// ---- Task 2: inject drop-invalidation ------------------------------------------------

// Strict unmaps (every unmap flushes at once) and, unless `ats`, no device-TLB: the
// IOTLB is the only cache that can go stale.
std::string strict_platform(bool ats) {
  return ats ? dma_platform("intel_iommu=on iommu.strict=1", "iovsim_dma_ats")
             : dma_platform("intel_iommu=on iommu.strict=1 pci=noats");
}

// The bus address of the first dropped page-selective invalidation `inject status` lists.
std::string first_dropped_page(host_system& h) {
  const std::string status = out(h, "inject status");
  const size_t at = status.find("1 page at 0x");
  EXPECT_NE(at, std::string::npos) << status;
  if (at == std::string::npos) return "0x0";
  return status.substr(at + 10, status.find('\n', at) - at - 10);
}

// A static ring of 8 buffers, every slot used once: all 8 translations are cached
// when the run unmaps them (8 page-selective invalidations).
const char* const STATIC_RING = "dmatest --static --count 8";

TEST_F(inject, dropped_invalidation_leaves_a_stale_iotlb_entry_a_dma_goes_through) {
  boot(strict_platform(false), [](host_system& h) {
    EXPECT_EQ(out(h, "inject drop-invalidation --count 8"),
              "inject: the next 8 IOTLB invalidations will not be submitted\n");
    EXPECT_NE(out(h, STATIC_RING).find("8 transfers of 1500 bytes to host, static mapping"), std::string::npos);
    const std::string status = out(h, "inject status");
    EXPECT_EQ(status.substr(0, status.find('\n') + 1), "drop-invalidation: 0 pending, 8 dropped\n");
    EXPECT_EQ(std::count(status.begin(), status.end(), '\n'), 11) << status;
    EXPECT_NE(status.find("] domain 3: page-selective, 1 page at 0xf"), std::string::npos) << status;
    const std::string slot0 = first_dropped_page(h);
    const uint64_t waits = h.iommu_driver().invalidation_waits();
    const iommu::requester_stats before = dma0_stats(h);

    // A DMA to the unmapped slot 0 must fault; the stale IOTLB entry lets it through.
    const cmd_result r = h.run("dmatest --count 1 --addr " + slot0);
    EXPECT_EQ(r.status, 0) << r.err << r.out;
    EXPECT_NE(r.out.find("1 transfers of 1500 bytes to host, raw address mapping"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(", 0 errors\n"), std::string::npos);
    // 1500 bytes in MPS writes (256 B: the firmware aligned the hierarchy's MPS to what
    // both ends support): all 6 of them reached the freed buffer.
    EXPECT_NE(r.out.find("dmatest: 0000:01:00.0: 6 DMA writes landed in buffers already unmapped (stale "
                         "translations)\n"),
              std::string::npos)
        << r.out;
    const iommu::requester_stats after = dma0_stats(h);
    EXPECT_EQ(after.faults, 0u);
    EXPECT_EQ(after.walks, before.walks);   // every request hit the IOTLB
    EXPECT_EQ(after.hits, before.hits + 6);
    EXPECT_EQ(h.iommu_driver().invalidation_waits(), waits);   // no flush in between
    EXPECT_EQ(out(h, "run 1ms"), "");
    EXPECT_TRUE(dmesg(h, "DMAR: [DMA Write").empty());
    EXPECT_NE(out(h, "inject status").find("DMA writes into unmapped buffers: 6\n"), std::string::npos);
    bool logged_drop = false, logged_write = false;
    for (const auto& l : kit::sim_env::current().log_lines()) {
      logged_drop |= l.find("host.inject: IOTLB invalidation not submitted: domain 3: page-selective, 1 page at " +
                            slot0) != std::string::npos;
      logged_write |=
          l.find("host.dmatest: 01:00.0 wrote 256 bytes at 0x") != std::string::npos &&
          l.find("(bus address " + slot0 + "): the write went through a stale translation") != std::string::npos;
    }
    EXPECT_TRUE(logged_drop);
    EXPECT_TRUE(logged_write);
  });
}

TEST_F(inject, without_the_injection_the_same_dma_faults) {
  boot(strict_platform(false), [](host_system& h) {
    // Where slot 0 lives (the same in every boot): found with a drop that is then undone.
    EXPECT_EQ(out(h, "inject drop-invalidation"), "inject: the next IOTLB invalidation will not be submitted\n");
    EXPECT_NE(out(h, "dmatest --static --count 1 --buffers 1").find(", 0 errors"), std::string::npos);
    const std::string slot0 = first_dropped_page(h);
    EXPECT_EQ(out(h, "reboot"), "");

    EXPECT_NE(out(h, STATIC_RING).find(", 0 errors"), std::string::npos);
    const cmd_result r = h.run("dmatest --count 1 --addr " + slot0);
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.errno_name, "EIO");
    EXPECT_NE(r.out.find("transfer failed: status 0x304 at bus address " + slot0), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("unmapped (stale"), std::string::npos);
    EXPECT_EQ(out(h, "run 1ms"), "");
    EXPECT_EQ(dmesg(h, "DMAR: [DMA Write"),
              (std::vector<std::string>{"DMAR: [DMA Write NO_PASID] Request device [01:00.0] fault addr " + slot0 +
                                        " [fault reason 0x05] PTE Write access is not set"}));
    EXPECT_EQ(dma0_stats(h).faults, 1u);
    EXPECT_EQ(out(h, "inject status"), "drop-invalidation: 0 pending, 0 dropped\nunmap: none\n"
                                       "DMA writes into unmapped buffers: 0\n");
  });
}

TEST_F(inject, dropped_invalidation_also_skips_the_device_tlb) {
  // With ATS the device caches the translation itself; the IOTLB flush goes with a
  // device-TLB invalidation, and both are left out.
  boot(strict_platform(true), [](host_system& h) {
    EXPECT_EQ(out(h, "inject drop-invalidation --count 8"),
              "inject: the next 8 IOTLB invalidations will not be submitted\n");
    EXPECT_NE(out(h, STATIC_RING).find(", 0 errors"), std::string::npos);
    const std::string slot0 = first_dropped_page(h);
    const cmd_result r = h.run("dmatest --count 1 --addr " + slot0);
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("6 DMA writes landed in buffers already unmapped"), std::string::npos) << r.out;
    EXPECT_EQ(dma0_stats(h).ats_requests, 8u);   // the stale device-TLB entry: no new translation request
  });
  restart();
  boot(strict_platform(true), [](host_system& h) {
    EXPECT_EQ(out(h, "inject drop-invalidation"), "inject: the next IOTLB invalidation will not be submitted\n");
    EXPECT_NE(out(h, "dmatest --static --count 1 --buffers 1").find(", 0 errors"), std::string::npos);
    const std::string slot0 = first_dropped_page(h);
    EXPECT_EQ(out(h, "reboot"), "");
    EXPECT_NE(out(h, STATIC_RING).find(", 0 errors"), std::string::npos);
    // Flushed: the device asks again, and the answer gives no permission (not a fault).
    const cmd_result r = h.run("dmatest --count 1 --addr " + slot0);
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.out.find("transfer failed: status 0x404 at bus address " + slot0), std::string::npos) << r.out;
  });
}

TEST_F(inject, lazy_unmaps_drop_the_flush_queue_flush) {
  // DMA-FQ (the default): unmaps queue their IOVAs; the one domain-selective flush
  // comes 10 ms later (IOVA_FQ_TIMEOUT) and is the one dropped.
  boot(dma_platform("intel_iommu=on pci=noats"), [](host_system& h) {
    EXPECT_EQ(out(h, "inject drop-invalidation"), "inject: the next IOTLB invalidation will not be submitted\n");
    EXPECT_NE(out(h, STATIC_RING).find(", 0 errors"), std::string::npos);
    EXPECT_EQ(out(h, "inject status | head -n 1"), "drop-invalidation: 1 pending, 0 dropped\n");
    EXPECT_EQ(out(h, "run 20ms"), "");
    const std::vector<std::string> status = {out(h, "inject status | head -n 1"), out(h, "inject status | grep domain")};
    EXPECT_EQ(status[0], "drop-invalidation: 0 pending, 1 dropped\n");
    EXPECT_EQ(status[1].substr(0, 8), "  [0.010") << status[1];   // 10 ms after the first queued unmap
    EXPECT_EQ(status[1].substr(status[1].find(']')), "] domain 3: domain-selective\n");
  });
}

// A reboot while the flush-queue timer waits out its 10 ms: the old kernel's timer
// thread leaves at once, so the new kernel's timer for the same domain does not meet
// it (a duplicate SystemC process name, a warning this test main turns into a failure;
// found by fuzz_shell), and the new timer still flushes 10 ms after its first unmap.
TEST_F(inject, reboot_during_a_flush_queue_timeout) {
  boot(dma_platform("intel_iommu=on pci=noats"), [](host_system& h) {
    EXPECT_NE(out(h, "dmatest --size 1500 --count 4").find(", 0 errors"), std::string::npos);
    EXPECT_EQ(out(h, "reboot"), "");
    EXPECT_NE(out(h, "dmatest --size 1500 --count 4").find(", 0 errors"), std::string::npos);
    EXPECT_EQ(out(h, "inject drop-invalidation"), "inject: the next IOTLB invalidation will not be submitted\n");
    EXPECT_EQ(out(h, "run 20ms"), "");
    EXPECT_EQ(out(h, "inject status | grep domain").substr(0, 3), "  [") << "the new kernel's timer flushed";
  });
}

// ---- Task 2: inject unmap ---------------------------------------------------------------

TEST_F(inject, unmap_in_the_middle_of_a_static_run_faults_the_device) {
  std::string transcript[2];
  for (int pass = 0; pass < 2; ++pass) {
    if (pass) restart();
    boot(strict_platform(false), [&](host_system& h) {
      EXPECT_EQ(out(h, "inject unmap --after 20us"),
                "inject: 0000:01:00.0: its DMA mappings will be unmapped 20 us into its next dmatest run\n");
      EXPECT_EQ(out(h, "inject status | grep unmap:"),
                "unmap: 0000:01:00.0, 20 us into a dmatest run: armed for its next run\n");
      const cmd_result r = h.run("dmatest --static --count 100");
      EXPECT_EQ(r.status, 1);
      EXPECT_EQ(r.errno_name, "EIO");
      EXPECT_NE(r.out.find(", 1 errors\n"), std::string::npos) << r.out;
      const size_t at = r.out.find("transfer failed: status 0x304 at bus address 0x");
      ASSERT_NE(at, std::string::npos) << r.out;
      const size_t from = r.out.find("0x", at + 30);
      const std::string addr = r.out.substr(from, r.out.find('\n', from) - from);
      const unsigned done = static_cast<unsigned>(std::stoul(r.out.substr(r.out.find(": ", 10) + 2)));
      EXPECT_GT(done, 0u);   // the run was going when the buffers went
      EXPECT_LT(done, 100u);
      EXPECT_EQ(out(h, "run 1ms"), "");
      EXPECT_EQ(dmesg(h, "DMAR: [DMA Write"),
                (std::vector<std::string>{"DMAR: [DMA Write NO_PASID] Request device [01:00.0] fault addr " + addr +
                                          " [fault reason 0x05] PTE Write access is not set"}));
      const std::string status = out(h, "inject status");
      EXPECT_NE(status.find("unmap: 0000:01:00.0, 20 us into a dmatest run: fired at ["), std::string::npos) << status;
      EXPECT_NE(status.find("], 8 mappings unmapped\n"), std::string::npos) << status;
      EXPECT_NE(status.find("DMA writes into unmapped buffers: 0\n"), std::string::npos) << status;
      // The injection is used up: the next run works with fresh mappings.
      EXPECT_NE(out(h, "dmatest --static --count 20").find(", 0 errors\n"), std::string::npos);
      transcript[pass] = r.out + status;
    });
  }
  EXPECT_EQ(transcript[0], transcript[1]);   // simulated time only: the same every run
}

TEST_F(inject, unmap_under_ats_is_denied_by_the_translation_request) {
  // A device-TLB miss on an unmapped page: the Translation Completion gives no
  // permission (VT-d does not log that as a fault); the device ends the transfer.
  boot(strict_platform(true), [](host_system& h) {
    EXPECT_EQ(out(h, "inject unmap --after 20us"),
              "inject: 0000:01:00.0: its DMA mappings will be unmapped 20 us into its next dmatest run\n");
    const cmd_result r = h.run("dmatest --static --count 100");
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.out.find("transfer failed: status 0x404 at bus address 0x"), std::string::npos) << r.out;
    EXPECT_EQ(out(h, "run 1ms"), "");
    EXPECT_TRUE(dmesg(h, "DMAR: [DMA").empty());
  });
}

TEST_F(inject, unmap_with_dropped_invalidations_lets_the_device_write_freed_buffers) {
  boot(strict_platform(false), [](host_system& h) {
    EXPECT_EQ(out(h, "inject drop-invalidation --count 8"),
              "inject: the next 8 IOTLB invalidations will not be submitted\n");
    // After 40 us every slot has been used once: all eight translations are cached.
    EXPECT_EQ(out(h, "inject unmap -s 01:00.0 --after 40us"),
              "inject: 0000:01:00.0: its DMA mappings will be unmapped 40 us into its next dmatest run\n");
    const std::string o = out(h, "dmatest --static --count 100");
    EXPECT_NE(o.find("100 transfers of 1500 bytes to host, static mapping"), std::string::npos) << o;
    EXPECT_NE(o.find(", 0 errors\n"), std::string::npos);
    EXPECT_NE(o.find("DMA writes landed in buffers already unmapped (stale translations)\n"), std::string::npos) << o;
    EXPECT_EQ(dma0_stats(h).faults, 0u);
    const std::string status = out(h, "inject status");
    EXPECT_NE(status.find("drop-invalidation: 0 pending, 8 dropped\n"), std::string::npos) << status;
    EXPECT_NE(status.find("8 mappings unmapped\n"), std::string::npos) << status;
  });
}

TEST_F(inject, unmap_that_comes_too_late_and_clear) {
  boot(dma_platform("intel_iommu=on"), [](host_system& h) {
    EXPECT_EQ(out(h, "inject unmap --after 1s"),
              "inject: 0000:01:00.0: its DMA mappings will be unmapped 1 s into its next dmatest run\n");
    EXPECT_NE(out(h, "dmatest --static --count 4").find(", 0 errors\n"), std::string::npos);
    EXPECT_EQ(out(h, "inject status | grep unmap:"),
              "unmap: 0000:01:00.0, 1 s into a dmatest run: the run ended first\n");
    EXPECT_EQ(out(h, "inject drop-invalidation"), "inject: the next IOTLB invalidation will not be submitted\n");
    EXPECT_EQ(out(h, "inject unmap --after 0"),
              "inject: 0000:01:00.0: its DMA mappings will be unmapped 0 s into its next dmatest run\n");
    EXPECT_EQ(out(h, "inject clear"), "");
    EXPECT_EQ(out(h, "inject status"), "drop-invalidation: 0 pending, 0 dropped\nunmap: none\n"
                                       "DMA writes into unmapped buffers: 0\n");
    EXPECT_NE(out(h, "dmatest --static --count 4").find(", 0 errors\n"), std::string::npos);
    // Per-buffer mappings: only the mapping live at that instant goes; nothing breaks.
    EXPECT_EQ(out(h, "inject unmap --after 0"),
              "inject: 0000:01:00.0: its DMA mappings will be unmapped 0 s into its next dmatest run\n");
    const cmd_result r = h.run("dmatest --count 4");
    EXPECT_EQ(out(h, "inject status | grep -c 'fired at'"), "1\n") << r.out;
  });
}

// ---- bad usage and nothing to inject into ---------------------------------------------------

TEST_F(inject, bad_usage_and_no_iommu) {
  boot(dma_platform("intel_iommu=on"), [](host_system& h) {
    const std::string usage =
        "usage: inject drop-invalidation [--count N] | inject unmap [-s BDF] --after TIME | inject status | inject "
        "clear\n";
    for (const char* line : {"inject", "inject bogus", "inject drop-invalidation --count 0",
                             "inject drop-invalidation --count x", "inject drop-invalidation 3", "inject unmap",
                             "inject unmap --after 5 parsecs", "inject unmap --after -1us", "inject unmap -s",
                             "inject status now", "inject clear all"}) {
      const cmd_result r = h.run(line);
      EXPECT_EQ(r.status, 2) << line;
      EXPECT_EQ(r.err, usage) << line;
      EXPECT_EQ(r.errno_name, "EINVAL") << line;
    }
    cmd_result r = h.run("inject unmap -s 00:09.0 --after 1us");
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, "inject unmap: no DMA test device bound to iovsim_dma\n");
    EXPECT_EQ(r.errno_name, "ENODEV");
    EXPECT_NE(out(h, "help inject").find("inject: fault injection (simulator verb): inject drop-invalidation"),
              std::string::npos);
    EXPECT_NE(out(h, "help").find("  inject "), std::string::npos);

    EXPECT_EQ(out(h, "reboot intel_iommu=on iommu=pt"), "");
    r = h.run("inject unmap --after 1us");
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, "inject unmap: 0000:01:00.0 is in the identity domain (iommu=pt): its DMA addresses are "
                     "physical, there is nothing to unmap\n");

    EXPECT_EQ(out(h, "reboot quiet"), "");
    r = h.run("inject unmap --after 1us");
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.errno_name, "ENODEV");
    EXPECT_EQ(r.err, "inject unmap: intel_iommu is off: the DMA addresses of 0000:01:00.0 are physical, there is "
                     "nothing to unmap\n");
    r = h.run("inject drop-invalidation");
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, "inject drop-invalidation: intel_iommu is off: there are no IOTLB invalidations to drop\n");
    EXPECT_EQ(out(h, "inject status"), "drop-invalidation: 0 pending, 0 dropped\nunmap: none\n"
                                       "DMA writes into unmapped buffers: 0\n");
  });
}

}  // namespace
}  // namespace iovsim::host
