// Device- and port-profile validation: every value a model will put in config space
// must be one the hardware could hold (PCI IDs, BARs, SR-IOV routing IDs, link).
#include <cstdint>
#include <map>

#include <fmt/format.h>

#include "scenarios/loader_internal.h"

namespace iovsim::scen {

namespace gp = google::protobuf;

namespace {

bool is_power_of_two(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

// Receive address registers beyond 1 MiB of BAR0: no part puts them there (RAL(0) is at
// 0x5400 on the 82576/I350, 0xA200 on the 82599/X540).
constexpr uint64_t MAX_MAC_RAL_OFFSET = 0xFFFF8;

std::string loc_text(const std::string& file, source_location loc) {
  return fmt::format("{}:{}:{}", file, loc.line, loc.col);
}

// 16-bit PCI IDs; 0xFFFF is what a config read of an absent function returns.
void check_id(const locator& at, const gp::Message& msg, const char* field, uint32_t value,
              const std::string& who, bool reject_ffff = true) {
  if (value > 0xFFFF)
    at.fail(msg, field, -1, fmt::format("{}: {} 0x{:X} does not fit in 16 bits", who, field, value));
  if (reject_ffff && value == 0xFFFF)
    at.fail(msg, field, -1,
            fmt::format("{}: {} 0xFFFF is not a valid ID (it reads as \"no device\")", who, field));
}

void check_link(const locator& at, const pb::Link& link, const std::string& who) {
  if (link.gen() < 1 || link.gen() > 5)
    at.fail(link, "gen", -1, fmt::format("{}: link gen {} out of range 1..5", who, link.gen()));
  const uint32_t w = link.width();
  if (w != 1 && w != 2 && w != 4 && w != 8 && w != 12 && w != 16 && w != 32)
    at.fail(link, "width", -1,
            fmt::format("{}: link width {} is not one of 1, 2, 4, 8, 12, 16, 32", who, w));
  const uint32_t mps = link.max_payload_bytes();
  if (mps < 128 || mps > 4096 || !is_power_of_two(mps))
    at.fail(link, "max_payload_bytes", -1,
            fmt::format("{}: max_payload_bytes {} is not a power of two in 128..4096", who, mps));
}

// BARs of a function or VF BARs of an SR-IOV capability (`what` is "BAR" or "VF BAR").
void check_bars(const locator& at, const gp::Message& owner, const char* field,
                const gp::RepeatedPtrField<pb::Bar>& bars, const std::string& who,
                const char* what) {
  int slot_owner[6] = {-1, -1, -1, -1, -1, -1};  // BAR index using each register
  for (int i = 0; i < bars.size(); ++i) {
    const pb::Bar& bar = bars[i];
    const locator b = at.nested(owner, field, i);
    const uint32_t idx = bar.index();
    if (idx > 5)
      b.fail(bar, "index", -1, fmt::format("{}: {} index {} out of range 0..5", who, what, idx));
    if (bar.io() && bar.is_64bit())
      b.fail(bar, "io", -1, fmt::format("{}: {} {} cannot be both I/O and 64-bit", who, what, idx));
    if (bar.io() && std::string(what) == "VF BAR")
      b.fail(bar, "io", -1,
             fmt::format("{}: VF BAR {} is an I/O BAR; VF BARs are memory only", who, idx));
    const uint64_t size = bar.size_bytes();
    if (!is_power_of_two(size))
      b.fail(bar, "size_bytes", -1,
             fmt::format("{}: {} {} size {} is not a power of two", who, what, idx, size));
    const uint64_t min = bar.io() ? 4 : 16;
    if (size < min)
      b.fail(bar, "size_bytes", -1,
             fmt::format("{}: {} {} size {} is below the minimum of {} bytes for {} BAR", who,
                         what, idx, size, min, bar.io() ? "an I/O" : "a memory"));
    if (bar.is_64bit() && idx > 4)
      b.fail(bar, "index", -1,
             fmt::format("{}: 64-bit {} {} has no room for its upper half (index must be <= 4)",
                         who, what, idx));
    for (uint32_t slot = idx; slot <= idx + (bar.is_64bit() ? 1 : 0); ++slot) {
      const int other = slot_owner[slot];
      if (other < 0) continue;
      if (static_cast<uint32_t>(other) == idx)
        b.fail(bar, "index", -1, fmt::format("{}: {} {} is defined twice", who, what, idx));
      if (slot == idx)
        b.fail(bar, "index", -1,
               fmt::format("{}: {} {} is the upper half of 64-bit {} {}", who, what, idx, what,
                           other));
      b.fail(bar, "index", -1,
             fmt::format("{}: 64-bit {} {} needs index {}, which {} {} uses", who, what, idx,
                         slot, what, other));
    }
    slot_owner[idx] = static_cast<int>(idx);
    if (bar.is_64bit()) slot_owner[idx + 1] = static_cast<int>(idx);
  }
}

// The first rule that applies to NumVFs n with ARI Capable Hierarchy `ari`, or -1.
int find_rule(const pb::Sriov& sriov, uint32_t n, bool ari) {
  for (int k = 0; k < sriov.offset_stride_size(); ++k) {
    const pb::OffsetStrideRule& r = sriov.offset_stride(k);
    if (r.ari() == pb::OffsetStrideRule::ARI_ONLY && !ari) continue;
    if (r.ari() == pb::OffsetStrideRule::NO_ARI_ONLY && ari) continue;
    if (r.min_numvfs() != 0 && n < r.min_numvfs()) continue;
    if (r.max_numvfs() != 0 && n > r.max_numvfs()) continue;
    return k;
  }
  return -1;
}

void check_sriov(const locator& at, const pb::DeviceProfile& d, const std::string& who) {
  const pb::Sriov& sriov = d.sriov();
  const locator sr = at.nested(d, "sriov");
  const uint32_t total = sriov.total_vfs();
  if (total < 1 || total > 65535)
    sr.fail(sriov, "total_vfs", -1, fmt::format("{}: total_vfs {} out of range 1..65535", who, total));
  if (sriov.initial_vfs() > total)
    sr.fail(sriov, "initial_vfs", -1,
            fmt::format("{}: initial_vfs {} exceeds total_vfs {}", who, sriov.initial_vfs(), total));
  if (sriov.vf_device_id() == 0)
    sr.fail(sr.self(), fmt::format("{}: SR-IOV capability has no vf_device_id", who));
  check_id(sr, sriov, "vf_device_id", sriov.vf_device_id(), who);

  for (int k = 0; k < sriov.offset_stride_size(); ++k) {
    const pb::OffsetStrideRule& r = sriov.offset_stride(k);
    const locator rl = sr.nested(sriov, "offset_stride", k);
    if (r.min_numvfs() != 0 && r.max_numvfs() != 0 && r.min_numvfs() > r.max_numvfs())
      rl.fail(rl.self(), fmt::format("{}: offset_stride rule {} has min_numvfs {} > max_numvfs {}",
                                     who, k + 1, r.min_numvfs(), r.max_numvfs()));
    if (r.first_vf_offset() > 0xFFFF)
      rl.fail(r, "first_vf_offset", -1,
              fmt::format("{}: offset_stride rule {} first_vf_offset {} does not fit in 16 bits",
                          who, k + 1, r.first_vf_offset()));
    if (r.vf_stride() > 0xFFFF)
      rl.fail(r, "vf_stride", -1,
              fmt::format("{}: offset_stride rule {} vf_stride {} does not fit in 16 bits", who,
                          k + 1, r.vf_stride()));
  }

  // Every NumVFs the kernel may write must give an offset and stride, both with ARI
  // Capable Hierarchy set and clear (REFERENCE.md §2: probe walks TotalVFs..1), and
  // every VF's routing ID must exist: PF devfn + offset + stride * (n - 1) <= 0xFFFF.
  const uint32_t pfs = d.functions();
  for (int pass = 0; pass < 2; ++pass) {
    const bool ari = pass == 0;
    for (uint32_t n = 1; n <= total; ++n) {
      const int k = find_rule(sriov, n, ari);
      if (k < 0)
        sr.fail(sr.self(), fmt::format("{}: NumVFs {} with ARI {} is not covered by any "
                                       "offset_stride rule",
                                       who, n, ari ? "set" : "clear"));
      const pb::OffsetStrideRule& r = sriov.offset_stride(k);
      const locator rl = sr.nested(sriov, "offset_stride", k);
      if (n > 1 && r.vf_stride() == 0)
        rl.fail(r, "vf_stride", -1,
                fmt::format("{}: offset_stride rule {} has vf_stride 0 but applies to NumVFs {} "
                            "(stride must be >= 1 with more than one VF)",
                            who, k + 1, n));
      for (uint32_t pf = 0; pf < pfs; ++pf) {
        const int64_t offset = int64_t{r.first_vf_offset()} + int64_t{r.offset_per_pf()} * pf;
        if (offset < 1 || offset > 0xFFFF)
          rl.fail(rl.self(), fmt::format("{}: offset_stride rule {} gives PF {} a First VF "
                                         "Offset of {} (must be 1..65535)",
                                         who, k + 1, pf, offset));
        const int64_t last = int64_t{pf} + offset + int64_t{r.vf_stride()} * (n - 1);
        if (last > 0xFFFF)
          rl.fail(rl.self(), fmt::format("{}: PF {} with {} VFs and ARI {}: last VF routing ID "
                                         "0x{:X} does not fit in 16 bits",
                                         who, pf, n, ari ? "set" : "clear", last));
      }
    }
  }

  if ((sriov.supported_page_sizes() & 1u) == 0)
    sr.fail(sriov, "supported_page_sizes", -1,
            fmt::format("{}: supported_page_sizes 0x{:X} lacks bit 0 (4 KiB pages)", who,
                        sriov.supported_page_sizes()));
  if (sriov.vf_bars_size() == 0)
    sr.fail(sr.self(), fmt::format("{}: SR-IOV capability has no VF BAR", who));
  check_bars(sr, sriov, "vf_bars", sriov.vf_bars(), who, "VF BAR");
  if (sriov.vf_msix_vectors() > 2048)
    sr.fail(sriov, "vf_msix_vectors", -1,
            fmt::format("{}: vf_msix_vectors {} exceeds 2048 (the MSI-X table size limit)", who,
                        sriov.vf_msix_vectors()));
}

void check_device(const locator& at, const pb::DeviceProfile& d) {
  const std::string who = fmt::format("device profile \"{}\"", d.name());
  check_id(at, d, "vendor_id", d.vendor_id(), who);
  check_id(at, d, "device_id", d.device_id(), who);
  check_id(at, d, "subsystem_vendor_id", d.subsystem_vendor_id(), who, false);
  check_id(at, d, "subsystem_id", d.subsystem_id(), who, false);
  if (d.revision() > 0xFF)
    at.fail(d, "revision", -1, fmt::format("{}: revision 0x{:X} does not fit in 8 bits", who, d.revision()));
  if (d.class_code() > 0xFFFFFF)
    at.fail(d, "class_code", -1,
            fmt::format("{}: class_code 0x{:X} does not fit in 24 bits", who, d.class_code()));
  if (d.functions() < 1 || d.functions() > 8)
    at.fail(d, "functions", -1, fmt::format("{}: functions {} out of range 1..8", who, d.functions()));
  if (!d.model().empty() && d.model() != "nic" && d.model() != "ixgbe" && d.model() != "dma_test" &&
      d.model() != "pciebench")
    at.fail(d, "model", -1,
            fmt::format("{}: unknown device model \"{}\" (nic, ixgbe, dma_test, pciebench)", who, d.model()));
  if ((d.model() == "dma_test" || d.model() == "pciebench") && (d.functions() != 1 || d.has_sriov()))
    at.fail(d, "model", -1, fmt::format("{}: the {} model has one function and no SR-IOV", who, d.model()));
  check_bars(at, d, "bars", d.bars(), who, "BAR");
  if (d.has_sriov()) check_sriov(at, d, who);
  if (d.has_link()) check_link(at.nested(d, "link"), d.link(), who);
  if (d.msix_vectors() > 2048)
    at.fail(d, "msix_vectors", -1,
            fmt::format("{}: msix_vectors {} exceeds 2048 (the MSI-X table size limit)", who,
                        d.msix_vectors()));
  if (d.mac_ral_offset() != 0) {
    // RAL(0)/RAH(0) sit in BAR0 after CTRL and STATUS; the model keeps BAR0's registers
    // up to them in a register bank, so the offset also bounds its memory (a 4 GiB
    // offset made a 12 GiB bank; found by fuzz_profile).
    uint64_t bar0 = 0;
    for (const pb::Bar& b : d.bars())
      if (b.index() == 0 && !b.io()) bar0 = b.size_bytes();
    const uint64_t ral = d.mac_ral_offset();
    if (ral % 4 != 0 || ral < 0x10 || ral > MAX_MAC_RAL_OFFSET)
      at.fail(
          d, "mac_ral_offset", -1,
          fmt::format("{}: mac_ral_offset 0x{:X} is not a dword offset in 0x10..0x{:X}", who, ral, MAX_MAC_RAL_OFFSET));
    if (ral + 8 > bar0)
      at.fail(d, "mac_ral_offset", -1,
              fmt::format("{}: mac_ral_offset 0x{:X}: RAL(0) and RAH(0) do not fit in memory BAR 0 ({} bytes)", who,
                          ral, bar0));
  }
  if (d.mac_base() > 0xFFFFFFFFFFFFull)
    at.fail(d, "mac_base", -1,
            fmt::format("{}: mac_base 0x{:X} does not fit in 48 bits", who, d.mac_base()));
}

void check_port(const locator& at, const pb::PortProfile& p) {
  const std::string who = fmt::format("port profile \"{}\"", p.name());
  check_id(at, p, "vendor_id", p.vendor_id(), who);
  check_id(at, p, "device_id", p.device_id(), who);
  if (p.revision() > 0xFF)
    at.fail(p, "revision", -1, fmt::format("{}: revision 0x{:X} does not fit in 8 bits", who, p.revision()));
  if (p.has_link()) check_link(at.nested(p, "link"), p.link(), who);
}

}  // namespace

void validate_and_merge(const pb::ProfileLibrary& lib, const locator& where, profile_set& into) {
  std::map<std::string, size_t> devices, ports;  // name -> index in `into`
  for (int i = 0; i < into.library.device_size(); ++i) devices[into.library.device(i).name()] = i;
  for (int i = 0; i < into.library.port_size(); ++i) ports[into.library.port(i).name()] = i;

  for (int i = 0; i < lib.device_size(); ++i) {
    const pb::DeviceProfile& d = lib.device(i);
    const locator at = where.nested(lib, "device", i);
    if (d.name().empty()) at.fail(at.self(), "device profile has no name");
    if (const auto it = devices.find(d.name()); it != devices.end())
      at.fail(d, "name", -1,
              fmt::format("device profile \"{}\" is already defined at {}", d.name(),
                          loc_text(into.device_file[it->second], into.device_loc[it->second])));
    check_device(at, d);
    devices[d.name()] = static_cast<size_t>(into.library.device_size());
    *into.library.add_device() = d;
    into.device_file.push_back(where.file());
    into.device_loc.push_back(at.self());
  }
  for (int i = 0; i < lib.port_size(); ++i) {
    const pb::PortProfile& p = lib.port(i);
    const locator at = where.nested(lib, "port", i);
    if (p.name().empty()) at.fail(at.self(), "port profile has no name");
    if (const auto it = ports.find(p.name()); it != ports.end())
      at.fail(p, "name", -1,
              fmt::format("port profile \"{}\" is already defined at {}", p.name(),
                          loc_text(into.port_file[it->second], into.port_loc[it->second])));
    check_port(at, p);
    ports[p.name()] = static_cast<size_t>(into.library.port_size());
    *into.library.add_port() = p;
    into.port_file.push_back(where.file());
    into.port_loc.push_back(at.self());
  }
  std::map<std::string, size_t> hosts;
  for (int i = 0; i < into.library.host_size(); ++i) hosts[into.library.host(i).name()] = i;
  for (int i = 0; i < lib.host_size(); ++i) {
    const pb::HostProfile& h = lib.host(i);
    const locator at = where.nested(lib, "host", i);
    if (h.name().empty()) at.fail(at.self(), "host profile has no name");
    if (const auto it = hosts.find(h.name()); it != hosts.end())
      at.fail(h, "name", -1,
              fmt::format("host profile \"{}\" is already defined at {}", h.name(),
                          loc_text(into.host_file[it->second], into.host_loc[it->second])));
    for (int j = 0; j < h.param_size(); ++j)
      if (h.param(j).name().empty() || h.param(j).value().empty())
        at.nested(h, "param", j)
            .fail(at.nested(h, "param", j).self(),
                  fmt::format("host profile \"{}\": a param needs a name and a value", h.name()));
    hosts[h.name()] = static_cast<size_t>(into.library.host_size());
    *into.library.add_host() = h;
    into.host_file.push_back(where.file());
    into.host_loc.push_back(at.self());
  }
}

}  // namespace iovsim::scen
