// The host shell's lspci against the real one: every config space built here is
// written with lspci_dump(), read back by pciutils' `lspci -F`, and the two outputs
// must be equal byte for byte. What -F cannot know (sizes, driver, IOMMU group) is
// checked against the formats of pciutils 3.9.0 lspci.c / ls-kernel.c.
#include "drivers-sim/userland/lspci/lspci.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

namespace iovsim::host {
namespace {

// Little-endian config space with capability lists linked as they are added.
class config_builder {
 public:
  explicit config_builder(size_t size = 4096) : m_bytes(size) {}

  config_builder& u8(unsigned off, uint32_t v) { m_bytes.at(off) = static_cast<uint8_t>(v); return *this; }
  config_builder& u16(unsigned off, uint32_t v) { return u8(off, v).u8(off + 1, v >> 8); }
  config_builder& u32(unsigned off, uint32_t v) { return u16(off, v).u16(off + 2, v >> 16); }

  config_builder& header(uint16_t vendor, uint16_t device, uint32_t class_rev, uint8_t type) {
    return u16(0x00, vendor).u16(0x02, device).u32(0x08, class_rev).u8(0x0e, type);
  }
  config_builder& cap(unsigned off, uint8_t id, uint16_t flags = 0) {
    u8(m_last_cap ? m_last_cap + 1 : (m_bytes[0x0e] & 0x7f) == 2 ? 0x14 : 0x34, off);
    u16(0x06, m_bytes[0x06] | 0x10 | (m_bytes[0x07] << 8));
    m_last_cap = off;
    return u8(off, id).u8(off + 1, 0).u16(off + 2, flags);
  }
  config_builder& ext_cap(unsigned off, uint16_t id, uint8_t version = 1) {
    if (m_last_ext) u32(m_last_ext, (m_bytes[m_last_ext] | m_bytes[m_last_ext + 1] << 8 |
                                     (m_bytes[m_last_ext + 2] & 0xf) << 16) | off << 20);
    m_last_ext = off;
    return u32(off, id | version << 16);
  }
  std::vector<uint8_t> bytes() const { return m_bytes; }

 private:
  std::vector<uint8_t> m_bytes;
  unsigned m_last_cap = 0, m_last_ext = 0;
};

lspci_device make(uint8_t bus, uint8_t dev, uint8_t fn, const config_builder& b, std::string vendor,
                  std::string device, std::string sub_vendor = "", std::string sub = "") {
  lspci_device d;
  d.bus = bus;
  d.dev = dev;
  d.fn = fn;
  d.config = b.bytes();
  d.irq = d.config[0x3c];   // what lspci -F reports as the IRQ
  d.vendor_name = std::move(vendor);
  d.device_name = std::move(device);
  d.subsys_vendor_name = std::move(sub_vendor);
  d.subsys_name = std::move(sub);
  return d;
}

const char* const INTEL = "Intel Corporation";

// PCIe capability: flags, DevCap, DevCtl, LnkCap, LnkCtl, LnkSta, DevCap2, DevCtl2.
void express(config_builder& b, unsigned off, uint16_t flags, uint32_t devcap, uint16_t devctl,
             uint32_t lnkcap, uint16_t lnksta, uint32_t devcap2, uint16_t devctl2) {
  b.cap(off, 0x10, flags).u32(off + 4, devcap).u16(off + 8, devctl).u32(off + 0x0c, lnkcap);
  b.u16(off + 0x12, lnksta).u32(off + 0x24, devcap2).u16(off + 0x28, devctl2).u16(off + 0x30, 2);
}

// An X540 port (ixgbe): PM, MSI, MSI-X, PCIe v2 endpoint, AER, DSN, ARI, SR-IOV.
lspci_device x540_pf(uint8_t fn) {
  config_builder b;
  b.header(0x8086, 0x1528, 0x02000001, 0x80).u16(0x04, 0x0406).u16(0x2c, 0x8086).u16(0x2e, 0x0001);
  b.u32(0x10, 0x9210000c + fn * 0x400000).u32(0x20, 0x9240000c + fn * 0x400000);
  b.u8(0x3c, 34 + fn).u8(0x3d, 1 + fn);
  b.cap(0x40, 0x01, 0x4823).u16(0x44, 0x2008);
  b.cap(0x50, 0x05, 0x0180);
  b.cap(0x70, 0x11, 0x003f).u32(0x74, 4).u32(0x78, 0x2004);
  express(b, 0xa0, 0x0002, 0x10008cc2, 0x2830, 0x00437c82, 0x1082, 0x0000001f, 0x0000);
  b.ext_cap(0x100, 0x01, 2).u32(0x108, 0x00180000).u32(0x10c, 0x00062030).u32(0x118, 0xa0);
  b.ext_cap(0x140, 0x03).u32(0x144, 0xff0a9cb8 + fn).u32(0x148, 0xa0369fff);
  b.ext_cap(0x150, 0x0e).u16(0x154, fn ? 0 : 0x0100);
  b.ext_cap(0x160, 0x10).u16(0x168, 0x0019).u16(0x16c, 64).u16(0x16e, 64).u16(0x170, 7);
  b.u16(0x172, fn).u16(0x174, 0x80).u16(0x176, 2).u16(0x17a, 0x1515).u32(0x17c, 0x553).u32(0x180, 1);
  b.u32(0x184, 0x9220000c + fn * 0x20000).u32(0x190, 0x9230000c + fn * 0x20000);
  return make(3, 0, fn, b, INTEL, "Ethernet Controller 10-Gigabit X540-AT2", INTEL,
              "Ethernet Converged Network Adapter X540-T2");
}

// VF i of PF 0 (REFERENCE.md 2: rid = PF devfn + offset + stride * i; bytes 0-3 as
// the kernel shows them).
lspci_device x540_vf(int i) {
  config_builder b;
  b.header(0x8086, 0x1515, 0x02000001, 0x00).u16(0x04, 0x0004).u16(0x2c, 0x8086).u16(0x2e, 0x0001);
  b.cap(0x70, 0x11, 0x0002).u32(0x74, 3).u32(0x78, 0x2003);
  express(b, 0xa0, 0x0002, 0x10008cc2, 0x2850, 0x00437c82, 0x1082, 0x0000001f, 0x0000);
  b.ext_cap(0x100, 0x01, 2);
  b.ext_cap(0x150, 0x0e);
  int rid = 0x80 + 2 * i;
  return make(3, rid >> 3, rid & 7, b, INTEL, "X540 Ethernet Controller Virtual Function", INTEL, "");
}

// A type-1 port: bus numbers, a memory window (base and limit in MiB), PCIe of the
// given type, MSI, Subsystem ID, PM, AER, ACS.
lspci_device port(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t vendor, uint16_t device, uint8_t secondary,
                  uint8_t subordinate, uint16_t window, uint16_t window_limit, uint16_t exp_flags,
                  uint32_t devcap2, uint16_t devctl2) {
  config_builder b;
  b.header(vendor, device, 0x06040000 | (vendor == 0x8086 ? 7 : 0xba), 0x01).u16(0x04, 0x0547);
  b.u8(0x18, bus).u8(0x19, secondary).u8(0x1a, subordinate).u16(0x1c, 0x00f0);
  b.u16(0x20, window << 4).u16(0x22, window_limit << 4);
  b.u16(0x24, 0xfff1).u16(0x26, 0x0001).u16(0x3e, 0x0003).u8(0x3c, 0xff).u8(0x3d, 1);
  express(b, 0x40, exp_flags, 0x00008021, 0x0027, 0x00013c82 | secondary << 24, 0x3082, devcap2, devctl2);
  if (exp_flags & 0x100) b.u32(0x54, 0x00041060).u16(0x5a, 0x0040);   // slot 8, hot-plug, present
  b.cap(0x80, 0x05, 0x0080);
  b.cap(0x90, 0x0d).u16(0x94, vendor).u16(0x96, 0);
  b.cap(0xe0, 0x01, 0x0003).u16(0xe4, 0x0008);
  b.ext_cap(0x100, 0x01, 2);
  b.ext_cap(0x140, 0x0d).u16(0x144, 0x001f).u16(0x146, 0x001d);
  std::string name = vendor == 0x10b5 ? "PEX 8747 48-Lane, 5-Port PCI Express Gen 3 (8.0 GT/s) Switch"
                   : device == 0x3c0a ? "Xeon E5/Core i7 IIO PCI Express Root Port 3c"
                                      : "Xeon E5/Core i7 IIO PCI Express Root Port 2a";
  return make(bus, dev, fn, b, vendor == 0x10b5 ? "PLX Technology, Inc." : INTEL, name);
}

lspci_device virtio_net() {
  config_builder b;
  b.header(0x1af4, 0x1041, 0x02000001, 0x00).u16(0x04, 0x0507).u16(0x2c, 0x1af4).u16(0x2e, 0x1100);
  b.u32(0x10, 0x93000004).u8(0x3c, 11).u8(0x3d, 1);
  b.cap(0x84, 0x09, 0x0110).u8(0x88, 0).u32(0x8c, 0x3000).u32(0x90, 0x1000);
  b.cap(0x98, 0x11, 0x8002).u32(0x9c, 0x2000).u32(0xa0, 0x2800);
  express(b, 0xac, 0x0002, 0x00008000, 0x2810, 0x00000011, 0x0011, 0, 0);
  return make(7, 0, 0, b, "Red Hat, Inc.", "Virtio 1.0 network device", "Red Hat, Inc.", "");
}

// The platform: host bridge, root port 00:03.2 with the X540 and its VFs, root
// port 00:02.0 with a PLX switch (upstream 05:00.0, downstream 06:00.0) and virtio.
std::vector<lspci_device> platform() {
  config_builder host;
  host.header(0x8086, 0x3c00, 0x06000007, 0x00).u16(0x04, 0x0006);
  express(host, 0x90, 0x0042, 0x00008000, 0x0000, 0x00000041, 0x0041, 0x00000000, 0x0000);   // DMI x4
  std::vector<lspci_device> devs{
      make(0, 0, 0, host, INTEL, "Xeon E5/Core i7 DMI2"),
      port(0, 3, 2, 0x8086, 0x3c0a, 3, 4, 0x920, 0x92f, 0x0042, 0x0000003f, 0x0020),   // ARI forwarding on
      port(0, 2, 0, 0x8086, 0x3c04, 5, 7, 0x930, 0x93f, 0x0042, 0x0000001f, 0x0000),
      port(5, 0, 0, 0x10b5, 0x8747, 6, 7, 0x930, 0x930, 0x0052, 0x00000000, 0x0000),   // switch upstream
      port(6, 0, 0, 0x10b5, 0x8747, 7, 7, 0x930, 0x930, 0x0162, 0x00000020, 0x0000),   // downstream, slot
      x540_pf(0), x540_pf(1), virtio_net()};
  for (int i = 0; i < 7; ++i) devs.push_back(x540_vf(i));
  return devs;
}

// Runs a shell command and returns its standard output.
std::string capture(const std::string& command) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (!p) return out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  pclose(p);
  return out;
}

bool real_lspci_available() {
  return capture("lspci --version 2>/dev/null").rfind("lspci version 3.9", 0) == 0;
}

// `lspci -F dump ARGS` over our own dump of the devices.
std::string real_lspci(const std::vector<lspci_device>& devs, const std::string& args) {
  char path[] = "/tmp/iovsim_lspci_XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return "mkstemp failed";
  close(fd);
  {
    std::ofstream f(path);
    for (const auto& d : devs) f << lspci_dump(d);
  }
  std::string out = capture("lspci -F " + std::string(path) + " " + args + " 2>/dev/null");
  std::remove(path);
  return out;
}

std::vector<std::string> split_args(const std::string& args) {
  std::vector<std::string> v;
  size_t i = 0;
  while (i < args.size()) {
    size_t j = args.find(' ', i);
    if (j == std::string::npos) j = args.size();
    if (j > i) v.push_back(args.substr(i, j - i));
    i = j + 1;
  }
  return v;
}

void expect_same_as_real(const std::vector<lspci_device>& devs, const std::vector<std::string>& cases) {
  ASSERT_TRUE(real_lspci_available()) << "pciutils' lspci 3.9 is required (apt-get install pciutils)";
  for (const auto& args : cases) {
    lspci_result ours = lspci(devs, split_args(args));
    EXPECT_EQ(ours.status, 0) << args;
    std::string real = real_lspci(devs, args);
    EXPECT_FALSE(real.empty()) << "lspci " << args;
    EXPECT_EQ(ours.out, real) << "lspci " << args;
  }
}

TEST(lspci_real, one_line_forms_match) {
  expect_same_as_real(platform(), {"", "-n", "-nn", "-D", "-k", "-nnk"});
}

TEST(lspci_real, verbose_forms_match) {
  expect_same_as_real(platform(), {"-v", "-vv", "-vvv", "-nnvv", "-vn"});
}

TEST(lspci_real, hex_dumps_match) {
  expect_same_as_real(platform(), {"-x", "-xxx", "-xxxx", "-vx"});
}

TEST(lspci_real, trees_match) {
  expect_same_as_real(platform(), {"-t", "-vt", "-t -n", "-vt -n", "-vt -nn", "-tv -s 03:00.1",
                                   "-t -d 10b5:", "-t -s 07:", "-t -d ::0604", "-tD"});
}

TEST(lspci_real, filters_match) {
  expect_same_as_real(platform(), {"-s 03:", "-s 03:00.1 -vv", "-s .0", "-s 0:3.2 -vvv", "-d 8086:1515",
                                   "-d ::0604", "-d :1528 -v", "-s *:*.2", "-d ::02xx", "-s 0000:07:00.0 -vv",
                                   "-d 1af4: -vvv", "-s 6: -vv"});
}

TEST(lspci_real, usage_errors_say_what_lspci_says) {
  ASSERT_TRUE(real_lspci_available()) << "pciutils' lspci 3.9 is required";
  for (std::string args : {"-Z", "-s", "-s zz:1", "-d xyz", "-d 1:2:3:4:5", "stray", "-vZ"}) {
    lspci_result ours = lspci(platform(), split_args(args));
    EXPECT_EQ(ours.status, 2) << args;
    EXPECT_TRUE(ours.out.empty()) << args;
    EXPECT_EQ(ours.err, capture("lspci -F /dev/null " + args + " 2>&1 >/dev/null")) << args;
  }
}

// Random register contents under fixed capability layouts, seeded: every flag and
// field of the decoded capabilities is compared with the real decoder.
TEST(lspci_real, random_register_contents_match) {
  std::mt19937 rng(20240611);
  auto rnd = [&](uint32_t n) { return static_cast<uint32_t>(rng() % n); };
  const uint16_t ext_ids[] = {0x01, 0x03, 0x04, 0x0b, 0x0d, 0x0e, 0x0f, 0x10, 0x13, 0x17,
                              0x18, 0x19, 0x1b, 0x1d, 0x23, 0x26, 0x2a, 0x00};
  for (int round = 0; round < 25; ++round) {
    std::vector<lspci_device> devs;
    for (uint8_t fn = 0; fn < 4; ++fn) {
      config_builder b;
      for (unsigned off = 0x04; off < 0x1000; ++off) b.u8(off, rnd(256));
      bool bridge = rnd(4) == 0;
      b.header(0xbeef, 0x1000 + fn, bridge ? 0x06040000 : 0x02000000 | rnd(256), bridge ? 1 : 0);
      b.u16(0x06, 0).u8(0x34, 0).u16(bridge ? 0x3e : 0x2c, bridge ? rnd(0x1000) : 0xf00d);
      b.cap(0x40, 0x01, rnd(0x10000)).cap(0x50, 0x05, rnd(0x10000)).cap(0x70, 0x11, rnd(0x10000));
      uint16_t type = std::array<uint16_t, 9>{0, 1, 4, 5, 6, 7, 8, 9, 10}[rnd(9)];
      b.cap(0x80, 0x10, (rnd(0x100) << 8) | type << 4 | (1 + rnd(2)));
      b.cap(0xc0, rnd(2) ? 0x09 : 0x15, rnd(0x10000)).u8(0xc1, 0);
      unsigned where = 0x100;
      for (int k = 0; k < 6; ++k, where += 0x80) b.ext_cap(where, ext_ids[rnd(18)], rnd(3));
      devs.push_back(make(0x40, 0, fn, b, "", ""));
    }
    for (const std::string args : {"-vv", "-vvv"}) {
      lspci_result ours = lspci(devs, {args});
      ASSERT_EQ(ours.out, real_lspci(devs, args)) << "round " << round << " lspci " << args;
    }
  }
}

TEST(lspci, one_line_form_of_an_x540_port) {
  lspci_result r = lspci(platform(), {"-s", "03:00.1"});
  EXPECT_EQ(r.out, "03:00.1 Ethernet controller: Intel Corporation Ethernet Controller 10-Gigabit X540-AT2 "
                   "(rev 01)\n");
  r = lspci(platform(), {"-nn", "-s", "03:00.1"});
  EXPECT_EQ(r.out, "03:00.1 Ethernet controller [0200]: Intel Corporation Ethernet Controller 10-Gigabit "
                   "X540-AT2 [8086:1528] (rev 01)\n");
}

TEST(lspci, sriov_capability_of_the_pf) {
  std::string out = lspci(platform(), {"-vvv", "-s", "03:00.0"}).out;
  for (const char* line : {
           "\tCapabilities: [160 v1] Single Root I/O Virtualization (SR-IOV)\n",
           "\t\tIOVCtl:\tEnable+ Migration- Interrupt- MSE+ ARIHierarchy+ 10BitTagReq-\n",
           "\t\tInitial VFs: 64, Total VFs: 64, Number of VFs: 7, Function Dependency Link: 00\n",
           "\t\tVF offset: 128, stride: 2, Device ID: 1515\n",
           "\t\tSupported Page Size: 00000553, System Page Size: 00000001\n",
           "\t\tRegion 0: Memory at 0000000092200000 (64-bit, prefetchable)\n",
           "\t\tRegion 3: Memory at 0000000092300000 (64-bit, prefetchable)\n",
           "\tCapabilities: [150 v1] Alternative Routing-ID Interpretation (ARI)\n",
           "\t\tARICap:\tMFVC- ACS-, Next Function: 1\n"})
    EXPECT_NE(out.find(line), std::string::npos) << line;
}

TEST(lspci, root_port_forwards_ari) {
  std::string out = lspci(platform(), {"-vv", "-s", "00:03.2"}).out;
  EXPECT_NE(out.find("\tBus: primary=00, secondary=03, subordinate=04, sec-latency=0\n"), std::string::npos);
  EXPECT_NE(out.find("\tMemory behind bridge: 92000000-92ffffff [size=16M] [32-bit]\n"), std::string::npos);
  EXPECT_NE(out.find(" ARIFwd+\n\t\t\t AtomicOpsCap:"), std::string::npos);
  EXPECT_NE(out.find("OBFF Disabled, ARIFwd+\n"), std::string::npos);
}

TEST(lspci, tree_of_the_platform) {
  EXPECT_EQ(lspci(platform(), {"-t"}).out,
            "-[0000:00]-+-00.0\n"
            "           +-02.0-[05-07]----00.0-[06-07]----00.0-[07]----00.0\n"
            "           \\-03.2-[03-04]--+-00.0\n"
            "                           +-00.1\n"
            "                           +-10.0\n"
            "                           +-10.2\n"
            "                           +-10.4\n"
            "                           +-10.6\n"
            "                           +-11.0\n"
            "                           +-11.2\n"
            "                           \\-11.4\n");
}

// Fields only the kernel knows, in lspci's words (lspci.c show_bases/show_size,
// show_verbose, ls-kernel.c show_kernel).
TEST(lspci, kernel_view_of_pf_and_vf) {
  auto devs = platform();
  lspci_device& pf = devs[5];
  pf.bars[0] = {0x92100000, 2 << 20, 0};
  pf.bars[4] = {0x92400000, 16 << 10, 0};
  pf.driver = "ixgbe";
  pf.modules = {"ixgbe"};
  pf.iommu_group = "22";
  lspci_device& vf = devs[8];   // 03:10.0, BAR registers read 0
  vf.bars[0] = {0x92200000, 16 << 10, 0xc};
  vf.bars[3] = {0x92300000, 16 << 10, 0xc};
  vf.driver = "vfio-pci";
  vf.modules = {"ixgbevf"};
  std::string out = lspci(devs, {"-vv", "-s", "03:00.0"}).out;
  for (const char* line : {"\tInterrupt: pin A routed to IRQ 34\n", "\tIOMMU group: 22\n",
                           "\tRegion 0: Memory at 92100000 (64-bit, prefetchable) [size=2M]\n",
                           "\tRegion 4: Memory at 92400000 (64-bit, prefetchable) [size=16K]\n",
                           "\tKernel driver in use: ixgbe\n\tKernel modules: ixgbe\n\n"})
    EXPECT_NE(out.find(line), std::string::npos) << line;
  EXPECT_EQ(out.find("Region 1:"), std::string::npos);
  out = lspci(devs, {"-v", "-s", "03:00.0"}).out;
  EXPECT_NE(out.find("\tFlags: bus master, fast devsel, latency 0, IRQ 34, IOMMU group 22\n"), std::string::npos);
  out = lspci(devs, {"-vv", "-s", "03:10.0"}).out;
  EXPECT_NE(out.find("\tRegion 0: Memory at 92200000 (64-bit, prefetchable) [virtual] [size=16K]\n"
                     "\tRegion 3: Memory at 92300000 (64-bit, prefetchable) [virtual] [size=16K]\n"),
            std::string::npos);
  EXPECT_EQ(lspci(devs, {"-k", "-s", "03:10.0"}).out,
            "03:10.0 Ethernet controller: Intel Corporation X540 Ethernet Controller Virtual Function (rev 01)\n"
            "\tSubsystem: Intel Corporation Device 0001\n"
            "\tKernel driver in use: vfio-pci\n\tKernel modules: ixgbevf\n");
}

TEST(lspci, output_is_deterministic_and_sorted) {
  auto devs = platform();
  std::string first = lspci(devs, {"-vvv"}).out;
  std::reverse(devs.begin(), devs.end());
  EXPECT_EQ(lspci(devs, {"-vvv"}).out, first);
  EXPECT_EQ(lspci(devs, {"-vvv"}).out, first);
  EXPECT_EQ(first.rfind("00:00.0 Host bridge", 0), 0u);
}

TEST(lspci, dump_is_what_lspci_F_reads) {
  std::string dump = lspci_dump(x540_pf(0));
  EXPECT_EQ(dump.rfind("03:00.0 Ethernet controller: Intel Corporation Ethernet Controller 10-Gigabit "
                       "X540-AT2 (rev 01)\n00: 86 80 28 15 06 04 10 00 01 00 00 02 00 00 80 00\n", 0), 0u);
  EXPECT_NE(dump.find("\n100: 01 00 02 14 "), std::string::npos);
  EXPECT_EQ(std::count(dump.begin(), dump.end(), '\n'), 1 + 256 + 1);
  EXPECT_EQ(dump.substr(dump.size() - 2), "\n\n");
}

TEST(lspci, bad_inputs_give_lspci_errors) {
  lspci_result r = lspci(platform(), {"-m"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err.rfind("lspci: invalid option -- 'm'\nUsage: lspci [<switches>]\n", 0), 0u);
  auto devs = platform();
  devs[0].config.resize(32);
  r = lspci(devs, {});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "lspci: Unable to read the standard configuration space header of device 0000:00:00.0\n");
  EXPECT_EQ(r.out.rfind("00:02.0 PCI bridge", 0), 0u);
  EXPECT_EQ(lspci({}, {"--version"}).out, "lspci version 3.9.0\n");
}

}  // namespace
}  // namespace iovsim::host
