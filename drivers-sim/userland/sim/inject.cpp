#include "drivers-sim/userland/sim/inject.h"

#include <fmt/format.h>

#include "models/kit/sim_env.h"
#include "models/kit/units.h"

namespace iovsim::host {

namespace {
const char* const USAGE =
    "usage: inject drop-invalidation [--count N] | inject unmap [-s BDF] --after TIME | inject status | inject clear\n";
constexpr size_t MAX_DROPPED_LINES = 64;   // `inject status` lists the first ones, counts all

cmd_result usage() { return cmd_result{2, "", USAGE, "EINVAL"}; }
cmd_result failure(const std::string& text, const char* err) { return cmd_result{1, "", text + "\n", err}; }
std::string now_stamp() { return "[" + kit::format_sim_time(sc_core::sc_time_stamp()) + "]"; }
}  // namespace

fault_injector::fault_injector(intel_iommu& iommu, dmatest_driver& dmatest) : m_iommu(iommu), m_dmatest(dmatest) {
  m_iommu.set_invalidation_filter(
      [this](const dmar_domain& d, uint64_t iova, uint64_t pages) { return drop(d, iova, pages); });
}

fault_injector::~fault_injector() {
  m_iommu.set_invalidation_filter(nullptr);
  m_dmatest.arm_unmap(nullptr);
}

bool fault_injector::drop(const dmar_domain& d, uint64_t iova, uint64_t pages) {
  if (m_drop_pending == 0) return false;
  --m_drop_pending;
  ++m_dropped;
  const std::string what = pages ? fmt::format("domain {}: page-selective, {} page{} at 0x{:x}", d.id, pages,
                                               pages == 1 ? "" : "s", iova)
                                 : fmt::format("domain {}: domain-selective", d.id);
  if (m_dropped_lines.size() < MAX_DROPPED_LINES) m_dropped_lines.push_back(now_stamp() + " " + what);
  kit::sim_env::current().log("inject", "host.inject", "IOTLB invalidation not submitted: " + what);
  return true;
}

cmd_result fault_injector::command(const std::vector<std::string>& argv, const std::vector<pci_dev*>& devices) {
  if (argv.size() < 2) return usage();
  const std::string& verb = argv[1];
  if (verb == "drop-invalidation") return drop_invalidation(argv);
  if (verb == "unmap") return unmap(argv, devices);
  if (argv.size() != 2) return usage();
  if (verb == "status") return status();
  if (verb == "clear") {
    clear();
    return cmd_result{};
  }
  return usage();
}

cmd_result fault_injector::drop_invalidation(const std::vector<std::string>& argv) {
  uint64_t count = 1;
  for (size_t i = 2; i < argv.size(); ++i) {
    if (argv[i] == "--count" && i + 1 < argv.size() && kit::parse_u64(argv[i + 1], count) && count >= 1) ++i;
    else return usage();
  }
  if (!m_iommu.enabled())
    return failure("inject drop-invalidation: intel_iommu is off: there are no IOTLB invalidations to drop", "ENODEV");
  m_drop_pending = count;
  return cmd_result{0,
                    count == 1 ? "inject: the next IOTLB invalidation will not be submitted\n"
                               : fmt::format("inject: the next {} IOTLB invalidations will not be submitted\n", count),
                    "", ""};
}

cmd_result fault_injector::unmap(const std::vector<std::string>& argv, const std::vector<pci_dev*>& devices) {
  std::string bdf;
  long long after_ps = -1;
  for (size_t i = 2; i < argv.size(); ++i) {
    if (argv[i] == "-s" && i + 1 < argv.size()) bdf = argv[++i];
    else if (argv[i] == "--after" && i + 1 < argv.size() && kit::parse_time_ps(argv[i + 1], after_ps)) ++i;
    else return usage();
  }
  if (after_ps < 0) return usage();
  pci_dev* dev = nullptr;
  for (pci_dev* d : devices)
    if (d->driver == "iovsim_dma" && (bdf.empty() || d->bdf() == bdf || d->short_bdf() == bdf)) {
      dev = d;
      break;
    }
  if (!dev) return failure("inject unmap: no DMA test device bound to iovsim_dma", "ENODEV");
  // Nothing is mapped for a device whose bus addresses are physical (dma-direct).
  if (!m_iommu.enabled())
    return failure(fmt::format("inject unmap: intel_iommu is off: the DMA addresses of {} are physical, there is "
                               "nothing to unmap",
                               dev->bdf()),
                   "ENODEV");
  const dmar_domain* d = m_iommu.domain_of(static_cast<uint16_t>(dev->bus << 8 | dev->devfn));
  if (!d || d->type == dmar_domain::kind::identity)
    return failure(fmt::format("inject unmap: {} is in the identity domain (iommu=pt): its DMA addresses are "
                               "physical, there is nothing to unmap",
                               dev->bdf()),
                   "ENODEV");
  for (auto& u : m_unmaps)
    if (u->st == unmap_injection::state::armed) u->st = unmap_injection::state::cleared;   // replaced
  auto inj = std::make_shared<unmap_injection>();
  inj->bdf = dev->bdf();
  inj->after = sc_core::sc_time(static_cast<double>(after_ps), sc_core::SC_PS);
  m_unmaps.push_back(inj);
  m_dmatest.arm_unmap(inj);
  return cmd_result{0,
                    fmt::format("inject: {}: its DMA mappings will be unmapped {} into its next dmatest run\n",
                                inj->bdf, inj->after.to_string()),
                    "", ""};
}

cmd_result fault_injector::status() const {
  std::string out = fmt::format("drop-invalidation: {} pending, {} dropped\n", m_drop_pending, m_dropped);
  for (const std::string& l : m_dropped_lines) out += "  " + l + "\n";
  if (m_dropped > m_dropped_lines.size()) out += fmt::format("  ({} more)\n", m_dropped - m_dropped_lines.size());
  if (m_unmaps.empty()) out += "unmap: none\n";
  for (const auto& u : m_unmaps) {
    out += fmt::format("unmap: {}, {} into a dmatest run: ", u->bdf, u->after.to_string());
    switch (u->st) {
      case unmap_injection::state::armed: out += "armed for its next run\n"; break;
      case unmap_injection::state::running: out += "running\n"; break;
      case unmap_injection::state::fired:
        out += fmt::format("fired at [{}], {} mapping{} unmapped\n", kit::format_sim_time(u->fired_at), u->mappings,
                           u->mappings == 1 ? "" : "s");
        break;
      case unmap_injection::state::expired: out += "the run ended first\n"; break;
      case unmap_injection::state::cleared: out += "cleared\n"; break;
    }
  }
  out += fmt::format("DMA writes into unmapped buffers: {}\n", m_dmatest.writes_after_unmap());
  return cmd_result{0, out, "", ""};
}

void fault_injector::clear() {
  m_drop_pending = 0;
  m_dropped = 0;
  m_dropped_lines.clear();
  m_dmatest.arm_unmap(nullptr);
  for (auto& u : m_unmaps)
    if (u->st == unmap_injection::state::armed) u->st = unmap_injection::state::cleared;
  m_unmaps.clear();
}

}  // namespace iovsim::host
