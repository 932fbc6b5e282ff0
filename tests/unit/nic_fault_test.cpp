// Descriptors that point outside mapped memory (issue 10), with DMA remapping on: a
// driver-like test plants RX and TX descriptors whose buffers are not mapped in the
// function's IOMMU domain. The frame is lost with reason dma_fault, the IOMMU records
// the fault, the kernel's intel_iommu prints its DMAR line, nothing crashes, and the
// queue goes on with the next (good) descriptor: the data write is posted, the NIC
// cannot see it fail (rx_queue::receive()).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "models/nic/descriptors.h"
#include "models/nic/nic_device.h"
#include "models/nic/nic_regs.h"
#include "tests/unit/nic_host_fixture.h"

namespace iovsim::host {
namespace {

using test::dmesg;
using test::out;

const char* const X540_IOMMU = R"(
  kernel_cmdline: "intel_iommu=on"
  root_port { name: "rp1" device: 1 }
  endpoint { name: "nic" profile: "x540" attach: "rp1" }
)";

// Physical pages near the end of DRAM, which the kernel's allocator has not handed
// out on a freshly booted host, and an IOVA nothing maps in the PF's domain.
constexpr uint64_t UNMAPPED_IOVA = 0x5000;

using recorder = test::frame_recorder;
using test::raw_frame;

class nic_fault : public test::nic_host_fixture {};

// The driver of port 1 is loaded but its interface stays down: the test drives that
// port's queue 0 itself, through PF BAR0, with memory it maps through the DMA API.
struct port1 {
  host_system& h;
  nic::nic_device& nic;
  pci_dev& dev;
  uint64_t phys;  // 4 pages: ring, two buffers, spare
  uint64_t iova;  // their mapping in the function's domain
  uint64_t bar0;

  port1(host_system& hs)
      : h(hs),
        nic(*dynamic_cast<nic::nic_device*>(hs.machine().endpoints().at(0))),
        dev(*hs.pci().find("01:00.1")),
        phys(hs.machine().dram().size_bytes() - (16u << 20)),
        iova(hs.dma().map_static(dev, phys, 4 * 4096, dma_direction::bidirectional)),
        bar0(nic.pfs()[1]->bar_base(0)) {}
  void wr(uint32_t off, uint32_t v) { h.machine().cpu().mmio_write(bar0 + off, 4, v); }
  void put_desc(unsigned slot, uint64_t buffer, uint32_t cmd = 0, uint32_t olinfo = 0) {
    uint8_t d[16];
    nic::put_le64(d, buffer);
    nic::put_le32(d + 8, cmd);
    nic::put_le32(d + 12, olinfo);
    h.machine().cpu().mem_write(phys + 16 * slot, d, 16);
  }
  uint32_t desc_dword(unsigned slot, unsigned dword) {
    uint8_t b[4];
    h.machine().cpu().mem_read(phys + 16 * slot + 4 * dword, b, 4);
    return nic::le32(b);
  }
  // Queue 0 (RX or TX) on the ring page with `n` descriptors handed over.
  void start(bool tx, uint32_t n) {
    const uint32_t block = (tx ? nic::TX_QUEUE0 : nic::RX_QUEUE0);
    wr(block + nic::Q_DCTL, 0);
    wr(block + nic::Q_BAL, static_cast<uint32_t>(iova));
    wr(block + nic::Q_BAH, static_cast<uint32_t>(iova >> 32));
    wr(block + nic::Q_LEN, 128 * 8);
    wr(block + nic::Q_H, 0);
    wr(block + nic::Q_T, 0);
    wr(block + nic::Q_DCTL, nic::DCTL_ENABLE);
    wr(block + nic::Q_T, n);
  }
};

TEST_F(nic_fault, rx_buffer_outside_the_domain_loses_one_frame_and_the_queue_goes_on) {
  boot(X540_IOMMU, 1, [](host_system& h) {
    recorder rec;
    h.net().set_packet_handler(&rec);
    bring_up(h, {"enp1s0f0"});
    netdev& a = *h.net().find("enp1s0f0");
    port1 p(h);
    ASSERT_FALSE(dma_mapping_error(p.iova));
    ASSERT_NE(p.iova, UNMAPPED_IOVA);
    // Descriptor 0: a buffer nothing maps; descriptor 1: the second page (mapped).
    p.put_desc(0, UNMAPPED_IOVA);
    p.put_desc(1, p.iova + 4096);
    p.start(false, 2);
    nic::nic_core& core = p.nic.core(1);
    const uint64_t faults_before = h.machine().iommu().totals().faults;

    const std::vector<uint8_t> f1 = raw_frame(core.cfg().mac, a.mac, 200, 1),
                               f2 = raw_frame(core.cfg().mac, a.mac, 300, 2);
    ASSERT_EQ(a.ops->start_xmit(a, f1.data(), 200), 0);
    out(h, "run 1ms");
    EXPECT_EQ(core.rx_dropped(nic::rx_drop::dma_fault), 1u);
    EXPECT_EQ(core.rx_delivered(), 0u);
    EXPECT_EQ(h.machine().iommu().totals().faults, faults_before + 1);
    // The NIC cannot see a posted write fail: descriptor 0 is written back (DD) and
    // consumed, as on hardware.
    EXPECT_EQ(p.desc_dword(0, 2) & nic::RXD_STAT_DD, nic::RXD_STAT_DD);
    EXPECT_EQ(core.rxq(0).ring.head, 1u);
    // intel_iommu's dmar_fault() line for the PF, at the unmapped address.
    const std::vector<std::string> lines = dmesg(h, "Request device [01:00.1] fault addr 0x5000");
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_NE(lines[0].find("DMAR: [DMA Write NO_PASID]"), std::string::npos) << lines[0];

    // The next frame lands in the good buffer.
    ASSERT_EQ(a.ops->start_xmit(a, f2.data(), 300), 0);
    out(h, "run 1ms");
    EXPECT_EQ(core.rx_delivered(), 1u);
    EXPECT_EQ(core.rx_dropped(nic::rx_drop::dma_fault), 1u);
    EXPECT_EQ(p.desc_dword(1, 3) & 0xffff, 300u);
    std::vector<uint8_t> got(300);
    h.machine().cpu().mem_read(p.phys + 4096, got.data(), 300);
    EXPECT_EQ(got, f2);
    // Conservation: everything offered is delivered or dropped with a reason.
    uint64_t drops = 0;
    for (size_t r = 0; r < static_cast<size_t>(nic::rx_drop::count); ++r)
      drops += core.rx_dropped(static_cast<nic::rx_drop>(r));
    EXPECT_EQ(core.rx_offered() + core.rx_replicas(), core.rx_delivered() + drops);
  });
}

TEST_F(nic_fault, tx_buffer_outside_the_domain_is_not_sent_and_the_next_frame_is) {
  boot(X540_IOMMU, 1, [](host_system& h) {
    recorder rec;
    h.net().set_packet_handler(&rec);
    bring_up(h, {"enp1s0f0"});
    netdev& a = *h.net().find("enp1s0f0");
    port1 p(h);
    ASSERT_FALSE(dma_mapping_error(p.iova));
    const std::vector<uint8_t> good = raw_frame(a.mac, p.nic.core(1).cfg().mac, 120, 3);
    h.machine().cpu().mem_write(p.phys + 2 * 4096, good.data(), 120);
    const uint32_t cmd =
        nic::TXD_DTYP_DATA | nic::TXD_CMD_DEXT | nic::TXD_CMD_EOP | nic::TXD_CMD_IFCS | nic::TXD_CMD_RS;
    p.put_desc(0, UNMAPPED_IOVA, cmd | 100, 100u << nic::TXD_PAYLEN_SHIFT);
    p.put_desc(1, p.iova + 2 * 4096, cmd | 120, 120u << nic::TXD_PAYLEN_SHIFT);
    p.start(true, 2);
    out(h, "run 1ms");
    nic::tx_queue& q = p.nic.core(1).txq(0);
    EXPECT_EQ(q.dma_faults, 1u);
    EXPECT_EQ(q.frames, 1u);
    EXPECT_EQ(q.ring.head, 2u);
    // Both descriptors asked for status: both are done (the bad one was consumed).
    EXPECT_EQ(p.desc_dword(0, 3) & nic::TXD_STAT_DD, nic::TXD_STAT_DD);
    EXPECT_EQ(p.desc_dword(1, 3) & nic::TXD_STAT_DD, nic::TXD_STAT_DD);
    const std::vector<std::string> lines = dmesg(h, "Request device [01:00.1] fault addr 0x5000");
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_NE(lines[0].find("DMAR: [DMA Read NO_PASID]"), std::string::npos) << lines[0];
    // Port 0's driver got the good frame, only it.
    ASSERT_EQ(rec.frames.size(), 1u);
    EXPECT_EQ(rec.frames[0].dev, "enp1s0f0");
    EXPECT_EQ(rec.frames[0].bytes, good);
  });
}

}  // namespace
}  // namespace iovsim::host
