#include "tests/fuzz/fuzz_machine.h"

#include <google/protobuf/text_format.h>

#include <algorithm>

#include "firmware/bios.h"
#include "models/kit/sim_env.h"
#include "models/pcie/pci_regs.h"
#include "platform/hal/pci_access.h"
#include "scenarios/loader.h"
#include "tests/fuzz/fuzz_common.h"

namespace iovsim::fuzz {

namespace {

const char* const PLATFORM = R"(
  memory_bytes: 268435456
  root_port { name: "rp1" device: 1 }
  endpoint { name: "x540" profile: "x540" attach: "rp1" }
  root_port { name: "rp2" device: 2 }
  switch { name: "sw" attach: "rp2" downstream { name: "dp0" device: 0 } downstream { name: "dp1" device: 1 } }
  endpoint { name: "i350" profile: "i350" attach: "dp0" }
  endpoint { name: "dma_ats" profile: "iovsim_dma_ats" attach: "dp1" }
  root_port { name: "rp3a" device: 3 function: 0 }
  root_port { name: "rp3b" device: 3 function: 1 }
  endpoint { name: "dma_plain" profile: "iovsim_dma" attach: "rp3b" }
)";

pb::Platform platform_spec(const char* text) {
  pb::Platform spec;
  if (!google::protobuf::TextFormat::ParseFromString(text ? text : PLATFORM, &spec)) fuzz_fail("bad fuzz platform");
  return spec;
}

class bios_hal : public fw::hal {
 public:
  explicit bios_hal(platform::host_bus& bus) : m_bus(bus) {}
  platform::host_bus& bus() override { return m_bus; }
  void log(const std::string&, const std::string&) override {}

 private:
  platform::host_bus& m_bus;
};

constexpr uint8_t CAP_IDS[] = {pcie::CAP_ID_PM, pcie::CAP_ID_MSI, pcie::CAP_ID_EXP, pcie::CAP_ID_MSIX};
constexpr uint16_t ECAP_IDS[] = {pcie::ECAP_ID_AER, pcie::ECAP_ID_DSN,   pcie::ECAP_ID_ARI,
                                 pcie::ECAP_ID_ATS, pcie::ECAP_ID_SRIOV, pcie::ECAP_ID_PRI};

// Devfns of bus 0 that nothing answers on this machine.
constexpr unsigned ABSENT_BUS0_DEVFNS[] = {0x08 | 1, 0x10 | 7, 0xf8, 0xff};

}  // namespace

fuzz_machine::fuzz_machine(const char* platform_text)
    : m_machine(platform_spec(platform_text), scen::builtin_profiles()) {}

void fuzz_machine::bring_up() {
  bios_hal hal(m_machine.cpu());
  fw::run_bios(hal, fw::bios_options{});
  for (const function_ref& f : functions()) {
    const uint32_t cmd = bus().cfg_read(f.bus, f.devfn, pcie::CFG_COMMAND, 2);
    bus().cfg_write(f.bus, f.devfn, pcie::CFG_COMMAND, 2, cmd | pcie::COMMAND_MEMORY | pcie::COMMAND_MASTER);
  }
  for (auto& slot : m_machine.rc().ports()) m_bus0.push_back(slot.port.get());
  for (const function_ref& f : functions())
    if (f.model) m_chains.emplace_back(f.model, chain_of(*f.model));
}

std::vector<function_ref> fuzz_machine::functions() {
  std::vector<function_ref> out;
  for (auto& slot : m_machine.rc().ports()) out.push_back({0, slot.devfn, slot.port.get(), nullptr});
  // The switch hangs below the second root port; its ports on the buses they route.
  for (auto& sw : m_machine.switches()) {
    auto& rp2 = *m_machine.rc().ports().at(1).port;
    out.push_back({rp2.secondary_bus(), 0, &sw->upstream_port(), nullptr});
    for (auto& slot : sw->ports())
      out.push_back({sw->upstream_port().secondary_bus(), slot.devfn, slot.port.get(), nullptr});
  }
  for (pcie::endpoint* ep : m_machine.endpoints()) {
    const unsigned bus = ep->captured_bus();
    for (auto& pf : ep->pfs()) {
      out.push_back({bus, pf->function_number(), pf.get(), pf->has_sriov() ? pf.get() : nullptr});
      for (auto& vf : pf->vfs()) {
        const unsigned rid = (bus << 8) + vf->routing_offset();
        out.push_back({(rid >> 8) & 0xff, rid & 0xff, vf.get(), nullptr});
      }
    }
  }
  return out;
}

std::vector<mmio_region> fuzz_machine::regions() {
  std::vector<mmio_region> out;
  out.push_back({"dmar0", platform::DMAR_BASE, iommu::VTD_REG_WINDOW_BYTES});
  for (pcie::endpoint* ep : m_machine.endpoints()) {
    for (auto& pf : ep->pfs()) {
      for (int i = 0; i < 6; ++i) {
        const pcie::bar_info& b = pf->bar(i);
        if (b.size && !b.io && pf->bar_base(i))
          out.push_back({pf->name() + ".bar" + std::to_string(i), pf->bar_base(i), b.size});
      }
      for (auto& vf : pf->vfs())
        for (int i = 0; i < 6; ++i) {
          const pcie::bar_info& b = pf->vf_bars()[static_cast<size_t>(i)];
          if (b.size && pf->vf_bar_base(i))
            out.push_back({vf->name() + ".bar" + std::to_string(i), pf->vf_bar_base(i) + vf->index() * b.size, b.size});
        }
    }
  }
  return out;
}

void fuzz_machine::set_vfs(const function_ref& pf, unsigned num_vfs, bool ari) {
  const uint32_t at = hal::find_ext_capability(bus(), pf.bus, pf.devfn, pcie::ECAP_ID_SRIOV);
  if (!at) return;
  // VF Enable first goes off: NumVFs is read-only while it is set (SR-IOV spec 3.3.7).
  bus().cfg_write(pf.bus, pf.devfn, at + pcie::SRIOV_CTRL, 2, ari ? pcie::SRIOV_CTRL_ARI : 0);
  if (num_vfs == 0) return;
  bus().cfg_write(pf.bus, pf.devfn, at + pcie::SRIOV_NUM_VF, 2, num_vfs);
  bus().cfg_write(pf.bus, pf.devfn, at + pcie::SRIOV_CTRL, 2,
                  pcie::SRIOV_CTRL_VFE | pcie::SRIOV_CTRL_MSE | (ari ? pcie::SRIOV_CTRL_ARI : 0));
}

fuzz_machine::chain fuzz_machine::chain_of(pcie::pci_function& fn) const {
  chain c;
  for (uint8_t id : CAP_IDS) c.caps.push_back(fn.cfg().find_cap(id));
  for (uint16_t id : ECAP_IDS) c.caps.push_back(fn.cfg().find_ext_cap(id));
  return c;
}

void fuzz_machine::check() {
  // Bus 0 belongs to the root complex: nothing software writes moves it.
  for (unsigned devfn : ABSENT_BUS0_DEVFNS)
    for (unsigned len : {1u, 2u, 4u}) {
      const uint32_t v = bus().cfg_read(0, devfn, pcie::CFG_VENDOR_ID, len);
      if (v != width_mask(len))
        fuzz_fail("config read of absent 00:" + std::to_string(devfn) + " gave " + std::to_string(v));
    }
  for (auto& slot : m_machine.rc().ports()) {
    const uint32_t id = bus().cfg_read(0, slot.devfn, pcie::CFG_VENDOR_ID, 4);
    if (id != slot.port->cfg().get(pcie::CFG_VENDOR_ID, 4) || id == 0xffffffff)
      fuzz_fail("root port " + slot.port->name() + " reads ID " + std::to_string(id));
  }
  for (pcie::endpoint* ep : m_machine.endpoints())
    for (auto& pf : ep->pfs()) {
      if (pf->has_sriov()) {
        const unsigned want = (pf->sriov_ctrl() & pcie::SRIOV_CTRL_VFE)
                                  ? std::min<unsigned>(pf->num_vfs(), pf->profile().sriov().total_vfs())
                                  : 0;
        if (pf->vfs().size() != want)
          fuzz_fail(pf->name() + " has " + std::to_string(pf->vfs().size()) + " VFs, its SR-IOV control asks for " +
                    std::to_string(want));
      }
      // A VF's Vendor and Device ID read 0xFFFF (SR-IOV spec 3.4.1.1-2).
      for (auto& vf : pf->vfs())
        if (vf->cfg_read(pcie::CFG_VENDOR_ID, 4) != 0xffffffff) fuzz_fail(vf->name() + " has a vendor ID");
    }
  for (auto& [fn, c] : m_chains)
    if (chain_of(*fn).caps != c.caps) fuzz_fail(fn->name() + ": capability chain changed by a software write");
}

int run_on_machine(const uint8_t* data, size_t size, void (*run)(fuzz_machine& m, byte_reader& in)) {
  kit::fresh_systemc_context();
  {
    kit::sim_env env(1);
    fuzz_machine m;
    byte_reader in(data, size);
    simulate([&] { run(m, in); });
  }
  after_run();
  return 0;
}

}  // namespace iovsim::fuzz
