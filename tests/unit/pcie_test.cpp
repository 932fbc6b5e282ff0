// PCIe models: configuration-space capability chains, BAR sizing, SR-IOV physical
// and virtual functions built from the built-in profiles (through an endpoint and a
// stub initiator on its upstream socket), and bridge routing.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <tlm>

#include "models/kit/pcie_ext.h"
#include "models/pcie/bridge.h"
#include "models/pcie/capabilities.h"
#include "models/pcie/endpoint.h"
#include "models/pcie/sriov.h"
#include "scenarios/loader.h"
#include "tests/unit/sc_fixture.h"

namespace iovsim::pcie {
namespace {

using kit::tlp_kind;

const pb::DeviceProfile& device(const std::string& name) {
  for (const auto& p : scen::builtin_profiles().device())
    if (p.name() == name) return p;
  throw std::runtime_error("no built-in device profile " + name);
}

const pb::PortProfile& port(const std::string& name) {
  for (const auto& p : scen::builtin_profiles().port())
    if (p.name() == name) return p;
  throw std::runtime_error("no built-in port profile " + name);
}

// A function whose header and BARs the test chooses.
class test_function : public pci_function {
 public:
  explicit test_function(const std::array<bar_info, 6>& bars = {}) : pci_function("tf") {
    build_type0_header({0x8086, 0x1234, 2, 0x020000, 0x8086, 0x0001}, bars, false, 1);
  }
};

class pcie : public test::sc_fixture {};

// ---------------------------------------------------------------------------
// Configuration space

TEST_F(pcie, capability_chain_links_in_declaration_order) {
  test_function f;
  config_space& c = f.cfg();
  EXPECT_EQ(c.read(CFG_STATUS, 2) & STATUS_CAP_LIST, 0u);
  EXPECT_EQ(c.find_cap(CAP_ID_PM), 0u);
  EXPECT_EQ(add_pm_cap(c), 0x40u);
  EXPECT_EQ(add_msi_cap(c, 0, true, true), 0x48u);     // PM is 8 bytes
  EXPECT_EQ(add_pcie_cap(c, pcie_cap_params{}), 0x60u);  // 64-bit maskable MSI is 0x18
  EXPECT_EQ(add_msix_cap(c, 64, 4, 0, 4, 0x2000), 0x9cu);
  EXPECT_EQ(c.read(CFG_STATUS, 2) & STATUS_CAP_LIST, STATUS_CAP_LIST);
  EXPECT_EQ(c.read(CFG_CAP_PTR, 1), 0x40u);
  // ID and next pointer of each capability, read as a 16-bit config read.
  EXPECT_EQ(c.read(0x40, 2), 0x4801u);
  EXPECT_EQ(c.read(0x48, 2), 0x6005u);
  EXPECT_EQ(c.read(0x60, 2), 0x9c10u);
  EXPECT_EQ(c.read(0x9c, 2), 0x0011u);
  EXPECT_EQ(c.find_cap(CAP_ID_MSIX), 0x9cu);
  EXPECT_EQ(c.find_cap(CAP_ID_EXP), 0x60u);
  EXPECT_EQ(c.find_cap(0x09), 0u);
  // MSI-X: table size N-1, table/PBA offset and BIR read-only.
  EXPECT_EQ(c.read(0x9e, 2), 63u);
  EXPECT_EQ(c.read(0xa0, 4), 0x4u);
  EXPECT_EQ(c.read(0xa4, 4), 0x2004u);
  // The links are read-only for software.
  c.write(0x40, 4, 0xffffffff);
  c.write(CFG_CAP_PTR, 1, 0);
  EXPECT_EQ(c.read(0x40, 2), 0x4801u);
  EXPECT_EQ(c.read(CFG_CAP_PTR, 1), 0x40u);
  // No room left for a 0x70-byte capability below 0x100.
  EXPECT_THROW(c.add_cap(0x09, 0x70), std::logic_error);
}

TEST_F(pcie, extended_capability_chain) {
  test_function f;
  config_space& c = f.cfg();
  EXPECT_EQ(c.find_ext_cap(ECAP_ID_AER), 0u);
  EXPECT_EQ(add_aer_cap(c), 0x100u);
  EXPECT_EQ(add_ari_cap(c, 3), 0x148u);
  EXPECT_EQ(add_dsn_cap(c, 0x0011223344556677ull), 0x150u);
  // Header: ID [15:0], version [19:16], next [31:20].
  EXPECT_EQ(c.read(0x100, 4), 0x14810001u);
  EXPECT_EQ(c.read(0x148, 4), 0x1501000eu);
  EXPECT_EQ(c.read(0x150, 4), 0x00010003u);
  EXPECT_EQ(c.find_ext_cap(ECAP_ID_DSN), 0x150u);
  EXPECT_EQ(c.find_ext_cap(ECAP_ID_ARI), 0x148u);
  EXPECT_EQ(c.find_ext_cap(ECAP_ID_SRIOV), 0u);
  EXPECT_EQ(c.read(0x14c, 2), 0x0300u);  // ARI next function 3
  EXPECT_EQ(c.read(0x154, 4), 0x44556677u);
  EXPECT_EQ(c.read(0x158, 4), 0x00112233u);
  // AER: uncorrectable status is write-1-to-clear, severity has its spec default.
  EXPECT_EQ(c.read(0x10c, 4), 0x00062030u);
  c.set(0x104, 4, 0x00001010);
  c.write(0x104, 4, 0x00000010);
  EXPECT_EQ(c.read(0x104, 4), 0x00001000u);
  EXPECT_THROW(c.add_ext_cap(0x0b, 1, 0x1000), std::logic_error);
}

TEST_F(pcie, bar_sizing_by_writing_all_ones) {
  std::array<bar_info, 6> bars{};
  bars[0] = {0x20000, false, false, false};        // 128 KiB, 32-bit
  bars[1] = {32, false, false, true};              // I/O
  bars[2] = {0x200000, true, true, false};         // 2 MiB, 64-bit prefetchable (BAR2+3)
  bars[4] = {0x200000000ull, true, false, false};  // 8 GiB, 64-bit (BAR4+5)
  test_function f(bars);
  config_space& c = f.cfg();
  // Reset values: the type bits only.
  EXPECT_EQ(c.read(0x10, 4), 0x0u);
  EXPECT_EQ(c.read(0x14, 4), 0x1u);
  EXPECT_EQ(c.read(0x18, 4), 0xcu);
  EXPECT_EQ(c.read(0x20, 4), 0x4u);
  for (uint32_t reg = 0x10; reg <= 0x24; reg += 4) c.write(reg, 4, 0xffffffff);
  EXPECT_EQ(c.read(0x10, 4), 0xfffe0000u);
  EXPECT_EQ(c.read(0x14, 4), 0xffffffe1u);
  EXPECT_EQ(c.read(0x18, 4), 0xffe0000cu);
  EXPECT_EQ(c.read(0x1c, 4), 0xffffffffu);
  EXPECT_EQ(c.read(0x20, 4), 0x00000004u);
  EXPECT_EQ(c.read(0x24, 4), 0xfffffffeu);
  // An unimplemented BAR reads 0 after the probe.
  test_function none;
  none.cfg().write(0x10, 4, 0xffffffff);
  EXPECT_EQ(none.cfg().read(0x10, 4), 0u);
}

TEST_F(pcie, bar_decoding_needs_memory_space_enable) {
  std::array<bar_info, 6> bars{};
  bars[0] = {0x20000, false, false, false};
  bars[1] = {32, false, false, true};
  bars[2] = {0x200000, true, true, false};
  test_function f(bars);
  config_space& c = f.cfg();
  c.write(0x10, 4, 0x90000000);
  c.write(0x14, 4, 0x0000e000);
  c.write(0x18, 4, 0x00200000);
  c.write(0x1c, 4, 0x3800);
  EXPECT_EQ(f.bar_base(0), 0x90000000u);
  EXPECT_EQ(f.bar_base(2), 0x380000200000ull);
  int bar = -1;
  uint64_t off = 0;
  EXPECT_FALSE(f.decode_mem(0x90001234, bar, off));
  c.write(CFG_COMMAND, 2, COMMAND_MEMORY);
  ASSERT_TRUE(f.decode_mem(0x90001234, bar, off));
  EXPECT_EQ(bar, 0);
  EXPECT_EQ(off, 0x1234u);
  ASSERT_TRUE(f.decode_mem(0x3800003fffffull, bar, off));
  EXPECT_EQ(bar, 2);
  EXPECT_EQ(off, 0x1fffffu);
  EXPECT_FALSE(f.decode_mem(0x90020000, bar, off));       // one past BAR0
  EXPECT_FALSE(f.decode_mem(0x380000400000ull, bar, off));  // one past BAR2
  EXPECT_FALSE(f.decode_mem(0xe000, bar, off));            // I/O is not memory
}

// ---------------------------------------------------------------------------
// SR-IOV physical function

TEST_F(pcie, x540_sriov_registers) {
  endpoint ep("nic", device("x540"));
  ASSERT_EQ(ep.pfs().size(), 2u);
  physical_function& pf = *ep.pfs()[0];
  const uint32_t sr = pf.sriov_offset();
  ASSERT_NE(sr, 0u);
  EXPECT_EQ(sr, pf.cfg().find_ext_cap(ECAP_ID_SRIOV));
  EXPECT_EQ(pf.cfg_read(sr, 4) & 0xfffff, 0x10010u);  // ID 0x10, version 1
  EXPECT_EQ(pf.cfg_read(CFG_VENDOR_ID, 4), 0x15288086u);
  EXPECT_EQ(pf.cfg_read(CFG_HEADER_TYPE, 1), 0x80u);  // two functions
  EXPECT_EQ(pf.cfg_read(sr + SRIOV_TOTAL_VF, 2), 64u);
  EXPECT_EQ(pf.cfg_read(sr + SRIOV_INITIAL_VF, 2), 64u);
  EXPECT_EQ(pf.cfg_read(sr + SRIOV_VF_DID, 2), 0x1515u);
  EXPECT_EQ(pf.cfg_read(sr + SRIOV_SUP_PGSIZE, 4), 0x553u);
  EXPECT_EQ(pf.cfg_read(sr + SRIOV_SYS_PGSIZE, 4), 1u);
  EXPECT_EQ(pf.cfg_read(sr + SRIOV_FUNC_LINK, 1), 0u);
  EXPECT_EQ(ep.pfs()[1]->cfg_read(ep.pfs()[1]->sriov_offset() + SRIOV_FUNC_LINK, 1), 1u);
  // Without ARI Capable Hierarchy: offset 384, stride 2; with it: 128, 2.
  EXPECT_EQ(pf.cfg_read(sr + SRIOV_VF_OFFSET, 2), 384u);
  EXPECT_EQ(pf.cfg_read(sr + SRIOV_VF_STRIDE, 2), 2u);
  pf.cfg_write(sr + SRIOV_CTRL, 2, SRIOV_CTRL_ARI);
  EXPECT_EQ(pf.cfg_read(sr + SRIOV_VF_OFFSET, 2), 128u);
  EXPECT_EQ(pf.cfg_read(sr + SRIOV_VF_STRIDE, 2), 2u);
  pf.cfg_write(sr + SRIOV_CTRL, 2, 0);
  EXPECT_EQ(pf.vf_offset(), 384u);
  // VF BAR0 and BAR3: 16 KiB, 64-bit prefetchable.
  pf.cfg_write(sr + SRIOV_BAR, 4, 0xffffffff);
  pf.cfg_write(sr + SRIOV_BAR + 4, 4, 0xffffffff);
  EXPECT_EQ(pf.cfg_read(sr + SRIOV_BAR, 4), 0xffffc00cu);
  EXPECT_EQ(pf.cfg_read(sr + SRIOV_BAR + 4, 4), 0xffffffffu);
  EXPECT_EQ(pf.cfg_read(sr + SRIOV_BAR + 8, 4), 0u);
  // Migration is not supported: its control bits are read-only zero.
  pf.cfg_write(sr + SRIOV_CTRL, 2, SRIOV_CTRL_VFM | SRIOV_CTRL_INTR);
  EXPECT_EQ(pf.cfg_read(sr + SRIOV_CTRL, 2), 0u);
}

TEST_F(pcie, x82599_offset_stride_and_ari) {
  endpoint ep("nic", device("82599"));
  physical_function& pf1 = *ep.pfs()[1];
  const uint32_t sr = pf1.sriov_offset();
  EXPECT_EQ(pf1.cfg_read(CFG_VENDOR_ID, 4), 0x10fb8086u);
  EXPECT_EQ(pf1.cfg_read(sr + SRIOV_VF_DID, 2), 0x10edu);
  EXPECT_EQ(pf1.cfg_read(sr + SRIOV_TOTAL_VF, 2), 64u);
  EXPECT_EQ(pf1.vf_offset(), 384u);
  // ARI Capable Hierarchy is RsvdP in PF1: writing it there changes nothing...
  pf1.cfg_write(sr + SRIOV_CTRL, 2, SRIOV_CTRL_ARI);
  EXPECT_EQ(pf1.cfg_read(sr + SRIOV_CTRL, 2), 0u);
  EXPECT_EQ(pf1.vf_offset(), 384u);
  // ...the bit in the lowest-numbered PF places the VFs of both (SR-IOV 3.3.3.5).
  physical_function& pf0 = *ep.pfs()[0];
  pf0.cfg_write(pf0.sriov_offset() + SRIOV_CTRL, 2, SRIOV_CTRL_ARI);
  EXPECT_EQ(pf0.cfg_read(pf0.sriov_offset() + SRIOV_CTRL, 2), SRIOV_CTRL_ARI);
  EXPECT_EQ(pf1.vf_offset(), 128u);
  EXPECT_EQ(pf1.vf_stride(), 2u);
  EXPECT_TRUE(pf1.ari_capable_hierarchy());
  // The ARI capability chains PF0 to PF1 and PF1 ends the list.
  const uint32_t ari0 = ep.pfs()[0]->cfg().find_ext_cap(ECAP_ID_ARI);
  const uint32_t ari1 = pf1.cfg().find_ext_cap(ECAP_ID_ARI);
  EXPECT_EQ(ep.pfs()[0]->cfg_read(ari0 + 4, 2) >> 8, 1u);
  EXPECT_EQ(pf1.cfg_read(ari1 + 4, 2) >> 8, 0u);
}

TEST_F(pcie, renumber_demo_offset_stride_follow_numvfs) {
  endpoint ep("nic", device("renumber_demo"));
  physical_function& pf = *ep.pfs()[0];
  const uint32_t sr = pf.sriov_offset();
  EXPECT_EQ(pf.cfg_read(CFG_HEADER_TYPE, 1), 0u);
  const std::pair<unsigned, unsigned> expect[] = {{4, 1}, {4, 1}, {4, 1}, {4, 1}, {4, 1},
                                                   {8, 2}, {8, 2}, {8, 2}, {8, 2}};
  for (unsigned n : {5u, 0u, 1u, 4u, 8u, 6u, 2u, 3u, 7u}) {
    pf.cfg_write(sr + SRIOV_NUM_VF, 2, n);
    EXPECT_EQ(pf.cfg_read(sr + SRIOV_NUM_VF, 2), n);
    EXPECT_EQ(pf.cfg_read(sr + SRIOV_VF_OFFSET, 2), expect[n].first) << "NumVFs " << n;
    EXPECT_EQ(pf.cfg_read(sr + SRIOV_VF_STRIDE, 2), expect[n].second) << "NumVFs " << n;
  }
  // The same with ARI Capable Hierarchy (the rules apply to both).
  pf.cfg_write(sr + SRIOV_CTRL, 2, SRIOV_CTRL_ARI);
  EXPECT_EQ(pf.vf_offset(), 8u);
  EXPECT_EQ(pf.vf_stride(), 2u);
}

TEST_F(pcie, numvfs_is_read_only_while_vf_enable_is_set) {
  endpoint ep("nic", device("renumber_demo"));
  physical_function& pf = *ep.pfs()[0];
  const uint32_t sr = pf.sriov_offset();
  pf.cfg_write(sr + SRIOV_NUM_VF, 2, 3);
  pf.cfg_write(sr + SRIOV_CTRL, 2, SRIOV_CTRL_VFE);
  pf.cfg_write(sr + SRIOV_NUM_VF, 2, 6);
  EXPECT_EQ(pf.cfg_read(sr + SRIOV_NUM_VF, 2), 3u);
  EXPECT_EQ(pf.vf_offset(), 4u);  // unchanged: NumVFs did not change
  EXPECT_EQ(pf.vfs().size(), 3u);
  // ARI Capable Hierarchy cannot change either while VFs exist.
  pf.cfg_write(sr + SRIOV_CTRL, 2, SRIOV_CTRL_VFE | SRIOV_CTRL_ARI);
  EXPECT_EQ(pf.sriov_ctrl(), SRIOV_CTRL_VFE);
  pf.cfg_write(sr + SRIOV_CTRL, 2, 0);
  EXPECT_TRUE(pf.vfs().empty());
  pf.cfg_write(sr + SRIOV_NUM_VF, 2, 6);
  EXPECT_EQ(pf.cfg_read(sr + SRIOV_NUM_VF, 2), 6u);
  EXPECT_EQ(pf.vf_offset(), 8u);
}

TEST_F(pcie, vf_enable_creates_vfs_at_their_routing_ids) {
  endpoint ep("nic", device("x540"));
  physical_function& pf0 = *ep.pfs()[0];
  physical_function& pf1 = *ep.pfs()[1];
  const uint32_t sr = pf1.sriov_offset();
  pf0.cfg_write(pf0.sriov_offset() + SRIOV_CTRL, 2, SRIOV_CTRL_ARI);  // the device's ARI setting
  pf1.cfg_write(sr + SRIOV_NUM_VF, 2, 4);
  EXPECT_TRUE(pf1.vfs().empty());  // NumVFs alone creates nothing
  pf1.cfg_write(sr + SRIOV_CTRL, 2, SRIOV_CTRL_VFE);
  ASSERT_EQ(pf1.vfs().size(), 4u);
  EXPECT_TRUE(pf0.vfs().empty());
  for (unsigned i = 0; i < 4; ++i) {
    virtual_function& vf = *pf1.vfs()[i];
    EXPECT_EQ(vf.index(), i);
    EXPECT_EQ(vf.routing_offset(), 1u + 128u + 2u * i);  // 01:10.1, 01:10.3, ...
    EXPECT_EQ(vf.name(), "nic.pf1.vf" + std::to_string(i));
    EXPECT_EQ(ep.function_at(vf.routing_offset()), &vf);
    EXPECT_EQ(&vf.pf(), &pf1);
  }
  EXPECT_EQ(ep.function_at(1), &pf1);
  EXPECT_EQ(ep.function_at(0x80), nullptr);  // PF0 has no VFs
  EXPECT_EQ(ep.vfs_created(), 4u);
  ASSERT_FALSE(env->log_lines().empty());
  EXPECT_EQ(env->log_lines().back(), "[0.000000000] nic.pf1: VF Enable set: 4 VFs at routing ID offset 128 stride 2");
  // Clearing VF Enable removes them.
  pf1.cfg_write(sr + SRIOV_CTRL, 2, 0);
  EXPECT_TRUE(pf1.vfs().empty());
  EXPECT_EQ(ep.function_at(0x81), nullptr);
  EXPECT_EQ(env->log_lines().back(), "[0.000000000] nic.pf1: VF Enable cleared: VFs removed");
  // Without ARI the VFs sit at offset 384: the next bus.
  pf0.cfg_write(pf0.sriov_offset() + SRIOV_NUM_VF, 2, 2);
  pf0.cfg_write(pf0.sriov_offset() + SRIOV_CTRL, 2, SRIOV_CTRL_VFE);
  ASSERT_EQ(pf0.vfs().size(), 2u);
  EXPECT_EQ(pf0.vfs()[1]->routing_offset(), 386u);
}

TEST_F(pcie, vf_config_space) {
  endpoint ep("nic", device("x540"));
  physical_function& pf = *ep.pfs()[0];
  const uint32_t sr = pf.sriov_offset();
  pf.cfg_write(sr + SRIOV_NUM_VF, 2, 1);
  pf.cfg_write(sr + SRIOV_CTRL, 2, SRIOV_CTRL_VFE);
  ASSERT_EQ(pf.vfs().size(), 1u);
  virtual_function& vf = *pf.vfs()[0];
  EXPECT_EQ(vf.cfg_read(CFG_VENDOR_ID, 4), 0xffffffffu);  // SR-IOV spec 3.4.1.1/2
  EXPECT_EQ(vf.cfg_read(CFG_REVISION, 4), 0x02000001u);   // class 020000, rev 01
  EXPECT_EQ(vf.cfg_read(CFG_SUBSYS_VENDOR, 4), 0x00018086u);
  EXPECT_EQ(vf.cfg_read(CFG_BAR0, 4), 0u);                // VF BARs live in the PF
  vf.cfg_write(CFG_COMMAND, 2, COMMAND_MEMORY | COMMAND_MASTER);
  EXPECT_EQ(vf.cfg_read(CFG_COMMAND, 2), COMMAND_MASTER);  // MSE is the PF's VF MSE
  const uint32_t msix = vf.cfg().find_cap(CAP_ID_MSIX);
  ASSERT_NE(msix, 0u);
  EXPECT_EQ(vf.cfg_read(msix + 2, 2), 2u);       // 3 vectors
  EXPECT_EQ(vf.cfg_read(msix + 4, 4), 3u);       // table in VF BAR3
  EXPECT_EQ(vf.cfg_read(msix + 8, 4), 0x2003u);  // PBA 8 KiB into BAR3
  const uint32_t exp = vf.cfg().find_cap(CAP_ID_EXP);
  ASSERT_NE(exp, 0u);
  EXPECT_NE(vf.cfg_read(exp + EXP_DEVCAP, 4) & EXP_DEVCAP_FLR, 0u);
  EXPECT_NE(vf.cfg().find_ext_cap(ECAP_ID_ARI), 0u);
  EXPECT_EQ(vf.cfg().find_ext_cap(ECAP_ID_SRIOV), 0u);
}

TEST_F(pcie, vf_bar_decoding_is_a_slice_of_the_vf_bar_with_vf_mse) {
  endpoint ep("nic", device("x540"));
  physical_function& pf = *ep.pfs()[0];
  const uint32_t sr = pf.sriov_offset();
  pf.cfg_write(sr + SRIOV_BAR, 4, 0x00400000);       // VF BAR0 = 0x3800_0040_0000
  pf.cfg_write(sr + SRIOV_BAR + 4, 4, 0x3800);
  pf.cfg_write(sr + SRIOV_BAR + 12, 4, 0x00500000);  // VF BAR3 = 0x3800_0050_0000
  pf.cfg_write(sr + SRIOV_BAR + 16, 4, 0x3800);
  EXPECT_EQ(pf.vf_bar_base(0), 0x380000400000ull);
  EXPECT_EQ(pf.vf_bar_base(3), 0x380000500000ull);
  pf.cfg_write(sr + SRIOV_NUM_VF, 2, 4);
  pf.cfg_write(sr + SRIOV_CTRL, 2, SRIOV_CTRL_VFE);
  ASSERT_EQ(pf.vfs().size(), 4u);
  int bar = -1;
  uint64_t off = 0;
  EXPECT_FALSE(pf.vfs()[2]->decode_vf_mem(0x380000408010ull, bar, off));  // no VF MSE yet
  pf.cfg_write(sr + SRIOV_CTRL, 2, SRIOV_CTRL_VFE | SRIOV_CTRL_MSE);
  ASSERT_TRUE(pf.vfs()[2]->decode_vf_mem(0x380000408010ull, bar, off));  // base + 2 * 16 KiB
  EXPECT_EQ(bar, 0);
  EXPECT_EQ(off, 0x10u);
  EXPECT_FALSE(pf.vfs()[1]->decode_vf_mem(0x380000408010ull, bar, off));
  EXPECT_FALSE(pf.vfs()[3]->decode_vf_mem(0x380000408010ull, bar, off));
  ASSERT_TRUE(pf.vfs()[3]->decode_vf_mem(0x38000050fffcull, bar, off));
  EXPECT_EQ(bar, 3);
  EXPECT_EQ(off, 0x3ffcu);
  // The PF itself does not decode its VFs' addresses.
  EXPECT_FALSE(pf.decode_mem(0x380000408010ull, bar, off));
}

// A stub initiator on the endpoint's upstream socket: config TLPs and memory requests.
struct stub_initiator {
  tlm::tlm_generic_payload trans;
  kit::pcie_ext ext;
  stub_initiator() { trans.set_extension(&ext); }
  ~stub_initiator() { trans.clear_extension(&ext); }
  uint32_t access(endpoint& ep, tlp_kind kind, unsigned bus, unsigned devfn, unsigned reg, unsigned len, bool write,
                  uint32_t value = 0) {
    uint64_t data = value;
    ext = kit::pcie_ext{};
    ext.kind = kind;
    ext.target_id = kit::make_rid(bus, devfn);
    trans.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
    trans.set_address(kind == tlp_kind::mem ? reg : kit::ecam_address(bus, devfn, reg));
    trans.set_data_ptr(reinterpret_cast<unsigned char*>(&data));
    trans.set_data_length(len);
    trans.set_streaming_width(len);
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    ep.upstream.get_base_export()->b_transport(trans, delay);
    return static_cast<uint32_t>(data);
  }
};

TEST_F(pcie, endpoint_captures_its_bus_and_routes_type1_to_vfs) {
  endpoint ep("nic", device("x540"));
  stub_initiator cpu;
  EXPECT_EQ(ep.captured_bus(), 0u);
  EXPECT_EQ(cpu.access(ep, tlp_kind::cfg0, 3, 1, CFG_VENDOR_ID, 4, false), 0x15288086u);
  EXPECT_EQ(ep.captured_bus(), 0u);  // a read does not capture
  physical_function& pf0 = *ep.pfs()[0];
  const uint32_t sr = pf0.sriov_offset();
  cpu.access(ep, tlp_kind::cfg0, 3, 0, sr + SRIOV_NUM_VF, 2, true, 2);
  EXPECT_EQ(ep.captured_bus(), 3u);
  cpu.access(ep, tlp_kind::cfg0, 3, 0, sr + SRIOV_CTRL, 2, true, SRIOV_CTRL_VFE);
  ASSERT_EQ(pf0.vfs().size(), 2u);
  // VF 1 at routing ID 03:00.0 + 386 = 04:10.2, reached by a Type 1 request.
  EXPECT_EQ(cpu.access(ep, tlp_kind::cfg1, 4, 0x82, CFG_REVISION, 4, false), 0x02000001u);
  EXPECT_FALSE(cpu.ext.unsupported_request);
  EXPECT_EQ(cpu.access(ep, tlp_kind::cfg1, 4, 0x82, CFG_VENDOR_ID, 4, false), 0xffffffffu);
  EXPECT_FALSE(cpu.ext.unsupported_request);  // a real 0xFFFF, not a UR
  EXPECT_EQ(cpu.access(ep, tlp_kind::cfg1, 4, 0x84, CFG_VENDOR_ID, 4, false), 0xffffffffu);
  EXPECT_TRUE(cpu.ext.unsupported_request);  // no VF 2
  EXPECT_EQ(cpu.access(ep, tlp_kind::cfg0, 3, 2, CFG_VENDOR_ID, 4, false), 0xffffffffu);
  EXPECT_TRUE(cpu.ext.unsupported_request);  // no function 2
  // Memory: PF0 BAR0 decodes once programmed and enabled; RAL0/RAH0 hold the MAC.
  cpu.access(ep, tlp_kind::cfg0, 3, 0, CFG_BAR0, 4, true, 0x00000000);
  cpu.access(ep, tlp_kind::cfg0, 3, 0, CFG_BAR0 + 4, 4, true, 0x3800);
  EXPECT_EQ(cpu.access(ep, tlp_kind::mem, 0, 0, 0xa200, 4, false), 0u);
  EXPECT_EQ(cpu.trans.get_response_status(), tlm::TLM_ADDRESS_ERROR_RESPONSE);
  cpu.access(ep, tlp_kind::cfg0, 3, 0, CFG_COMMAND, 2, true, COMMAND_MEMORY);
  // mac_base 00:1b:21:a1:00:00: RAL = a1211b00, RAH = address valid | 0000.
  const uint64_t bar0 = 0x380000000000ull;
  tlm::tlm_generic_payload& t = cpu.trans;
  uint64_t data = 0;
  t.set_address(bar0 + 0xa200);
  t.set_command(tlm::TLM_READ_COMMAND);
  t.set_data_ptr(reinterpret_cast<unsigned char*>(&data));
  t.set_data_length(8);
  cpu.ext = kit::pcie_ext{};
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  ep.upstream.get_base_export()->b_transport(t, delay);
  EXPECT_EQ(t.get_response_status(), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(data, 0x80000000a1211b00ull);
  // A conventional reset forgets the bus, the VFs and every register.
  pf0.cfg_write(sr + SRIOV_CTRL, 2, SRIOV_CTRL_ARI | SRIOV_CTRL_VFE);
  EXPECT_EQ(pf0.sriov_ctrl(), SRIOV_CTRL_VFE);  // ARI cannot change while enabled
  pf0.cfg_write(sr + SRIOV_CTRL, 2, 0);
  pf0.cfg_write(sr + SRIOV_CTRL, 2, SRIOV_CTRL_ARI);
  pf0.cfg_write(sr + SRIOV_NUM_VF, 2, 2);
  pf0.cfg_write(sr + SRIOV_CTRL, 2, SRIOV_CTRL_ARI | SRIOV_CTRL_VFE);
  ASSERT_EQ(pf0.vfs().size(), 2u);
  EXPECT_EQ(pf0.vf_offset(), 128u);
  ep.reset();
  EXPECT_EQ(ep.captured_bus(), 0u);
  EXPECT_TRUE(pf0.vfs().empty());
  EXPECT_EQ(pf0.num_vfs(), 0u);
  EXPECT_EQ(pf0.sriov_ctrl(), 0u);
  EXPECT_EQ(pf0.bar_base(0), 0u);
  EXPECT_EQ(pf0.cfg_read(CFG_COMMAND, 2), 0u);
  EXPECT_EQ(pf0.vf_offset(), 384u);
}

// ---------------------------------------------------------------------------
// Bridges

TEST_F(pcie, bridge_header_and_config_routing) {
  bridge_function rp("rp", port("generic_root_port"), port_type::root_port, 1);
  EXPECT_EQ(rp.cfg_read(CFG_VENDOR_ID, 4), 0x000c1b36u);
  EXPECT_EQ(rp.cfg_read(CFG_REVISION, 4) >> 8, 0x060400u);
  EXPECT_EQ(rp.cfg_read(CFG_HEADER_TYPE, 1), 0x01u);
  EXPECT_EQ(rp.cfg_read(CFG_PREF_BASE, 2), 0x0001u);  // 64-bit prefetchable window
  kit::tlp_kind kind = tlp_kind::mem;
  EXPECT_EQ(rp.route_cfg(1, 0, kind), cfg_route::not_mine);  // no secondary bus yet
  rp.cfg_write(CFG_PRIMARY_BUS, 4, 0x00040200);  // primary 0, secondary 2, subordinate 4
  EXPECT_EQ(rp.secondary_bus(), 2u);
  EXPECT_EQ(rp.subordinate_bus(), 4u);
  EXPECT_EQ(rp.route_cfg(2, 0, kind), cfg_route::forward);
  EXPECT_EQ(kind, tlp_kind::cfg0);
  EXPECT_EQ(rp.route_cfg(2, 1, kind), cfg_route::forward);  // function 1 of device 0
  EXPECT_EQ(rp.route_cfg(2, 8, kind), cfg_route::unsupported);     // device 1: only device 0
  EXPECT_EQ(rp.route_cfg(2, 0x80, kind), cfg_route::unsupported);
  kind = tlp_kind::mem;
  EXPECT_EQ(rp.route_cfg(3, 8, kind), cfg_route::forward);
  EXPECT_EQ(kind, tlp_kind::cfg1);
  EXPECT_EQ(rp.route_cfg(4, 0, kind), cfg_route::forward);
  EXPECT_EQ(rp.route_cfg(5, 0, kind), cfg_route::not_mine);
  EXPECT_EQ(rp.route_cfg(1, 0, kind), cfg_route::not_mine);
  // ARI forwarding: the 8-bit function number reaches the device.
  const uint32_t exp = rp.cfg().find_cap(CAP_ID_EXP);
  EXPECT_EQ(rp.cfg_read(exp + EXP_DEVCAP2, 4) & EXP_DEVCAP2_ARI, EXP_DEVCAP2_ARI);
  EXPECT_FALSE(rp.ari_forwarding_enabled());
  rp.cfg_write(exp + EXP_DEVCTL2, 2, EXP_DEVCTL2_ARI);
  EXPECT_TRUE(rp.ari_forwarding_enabled());
  kind = tlp_kind::mem;
  EXPECT_EQ(rp.route_cfg(2, 0x80, kind), cfg_route::forward);
  EXPECT_EQ(kind, tlp_kind::cfg0);
}

TEST_F(pcie, ports_without_ari_forwarding_and_upstream_ports) {
  pb::PortProfile plain = port("generic_root_port");
  plain.set_ari_forwarding(false);
  bridge_function rp("rp", plain, port_type::root_port, 1);
  const uint32_t exp = rp.cfg().find_cap(CAP_ID_EXP);
  EXPECT_EQ(rp.cfg_read(exp + EXP_DEVCAP2, 4) & EXP_DEVCAP2_ARI, 0u);
  rp.cfg_write(exp + EXP_DEVCTL2, 2, EXP_DEVCTL2_ARI);
  EXPECT_FALSE(rp.ari_forwarding_enabled());  // not writable without the capability
  rp.cfg_write(CFG_SECONDARY_BUS, 1, 2);
  rp.cfg_write(CFG_SUBORDINATE_BUS, 1, 2);
  kit::tlp_kind kind;
  EXPECT_EQ(rp.route_cfg(2, 8, kind), cfg_route::unsupported);
  // A switch upstream port's secondary bus is the internal bus: every device is there.
  bridge_function up("up", port("plx_pex8747"), port_type::upstream, 0);
  up.cfg_write(CFG_SECONDARY_BUS, 1, 5);
  up.cfg_write(CFG_SUBORDINATE_BUS, 1, 9);
  kind = tlp_kind::mem;
  EXPECT_EQ(up.route_cfg(5, 9 << 3, kind), cfg_route::forward);
  EXPECT_EQ(kind, tlp_kind::cfg0);
  const uint32_t up_exp = up.cfg().find_cap(CAP_ID_EXP);
  EXPECT_EQ(up.cfg_read(up_exp + EXP_FLAGS, 2) >> 4 & 0xf, 5u);
  EXPECT_EQ(up.cfg_read(up_exp + EXP_DEVCAP2, 4) & EXP_DEVCAP2_ARI, 0u);  // a downstream-port feature
}

TEST_F(pcie, bridge_memory_windows_and_mse) {
  bridge_function rp("rp", port("generic_root_port"), port_type::root_port, 1);
  // Non-prefetchable window 0x9000_0000-0x90ff_ffff, prefetchable 0x3800_0000_0000-0x3800_008f_ffff.
  rp.cfg_write(CFG_MEM_BASE, 2, 0x9000);
  rp.cfg_write(CFG_MEM_LIMIT, 2, 0x90f0);
  rp.cfg_write(CFG_PREF_BASE, 2, 0x0000);
  rp.cfg_write(CFG_PREF_LIMIT, 2, 0x0080);
  rp.cfg_write(CFG_PREF_BASE_UPPER, 4, 0x3800);
  rp.cfg_write(CFG_PREF_LIMIT_UPPER, 4, 0x3800);
  EXPECT_EQ(rp.cfg_read(CFG_PREF_LIMIT, 2), 0x0081u);  // type bits stay
  EXPECT_FALSE(rp.forwards_mem(0x90000000));          // no Memory Space Enable
  rp.cfg_write(CFG_COMMAND, 2, COMMAND_MEMORY);
  EXPECT_TRUE(rp.forwards_mem(0x90000000));
  EXPECT_TRUE(rp.forwards_mem(0x90ffffff));
  EXPECT_FALSE(rp.forwards_mem(0x91000000));
  EXPECT_FALSE(rp.forwards_mem(0x8fffffff));
  EXPECT_TRUE(rp.forwards_mem(0x380000000000ull));
  EXPECT_TRUE(rp.forwards_mem(0x3800008fffffull));
  EXPECT_FALSE(rp.forwards_mem(0x380000900000ull));
  EXPECT_FALSE(rp.forwards_mem(0x37ffffffffffull));
  // Closed windows (base above limit) forward nothing.
  rp.cfg_write(CFG_MEM_BASE, 2, 0xfff0);
  rp.cfg_write(CFG_MEM_LIMIT, 2, 0);
  rp.cfg_write(CFG_PREF_BASE, 2, 0xfff0);
  rp.cfg_write(CFG_PREF_LIMIT, 2, 0);
  rp.cfg_write(CFG_PREF_BASE_UPPER, 4, 0);
  rp.cfg_write(CFG_PREF_LIMIT_UPPER, 4, 0);
  EXPECT_FALSE(rp.forwards_mem(0x90000000));
  EXPECT_FALSE(rp.forwards_mem(0xfff00000));
  EXPECT_FALSE(rp.forwards_mem(0x380000000000ull));
}

}  // namespace
}  // namespace iovsim::pcie
