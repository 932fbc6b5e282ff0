// `pciebench [-s BDF] TEST [--size N[,N...]] [--window N[,N...]] [--pattern seq|rand]
// [--cache hwarm|dwarm|cold|dthrash] [--host-off N] [--dev-off N] [--count N]
// [--in-flight N] [--long] [--no-header] [--csv FILE]`: the experiments of pcie-bench (Neugebauer
// et al., SIGCOMM 2018) on the iovsim_pciebench engine. TEST is a pcie-bench test name
// (LAT_DMA_RD, LAT_DMA_WRRD, BW_DMA_RD, BW_DMA_WR, BW_DMA_RW) or its short form
// (lat_rd, lat_wrrd, bw_rd, bw_wr, bw_rw). Lists of sizes and windows run every
// combination, one CSV row each, in pcie-bench's own columns under one header: what
// nfp_pciebench.py writes for a sweep; `--csv FILE` also writes them as FILE in the
// run's output folder, to plot beside the published files. Defaults follow pcie-bench: host-warm cache,
// sequential, offsets 0, an 8 KiB window, 64-byte transfers.
#include <fmt/format.h>

#include <sstream>

#include "drivers-sim/userland/sim/sim.h"
#include "models/kit/sim_env.h"
#include "models/kit/units.h"
#include "models/testdev/pciebench_device.h"

namespace iovsim::host {

namespace {
using pcie::pciebench_device;

bool parse_test(const std::string& s, uint32_t& test) {
  static const std::pair<const char*, uint32_t> names[] = {
      {"LAT_DMA_RD", pciebench_device::LAT_DMA_RD}, {"LAT_DMA_WRRD", pciebench_device::LAT_DMA_WRRD},
      {"BW_DMA_RD", pciebench_device::BW_DMA_RD},   {"BW_DMA_WR", pciebench_device::BW_DMA_WR},
      {"BW_DMA_RW", pciebench_device::BW_DMA_RW},   {"lat_rd", pciebench_device::LAT_DMA_RD},
      {"lat_wrrd", pciebench_device::LAT_DMA_WRRD}, {"bw_rd", pciebench_device::BW_DMA_RD},
      {"bw_wr", pciebench_device::BW_DMA_WR},       {"bw_rw", pciebench_device::BW_DMA_RW}};
  for (const auto& [name, value] : names)
    if (s == name) {
      test = value;
      return true;
    }
  return false;
}

// "64,128,4K": sizes with K/M/G suffixes (powers of 1024).
bool parse_list(const std::string& s, std::vector<uint64_t>& out) {
  out.clear();
  std::istringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    uint64_t v = 0;
    if (!kit::parse_u64(item, v, true)) return false;
    out.push_back(v);
  }
  return !out.empty();
}
}  // namespace

cmd_result pciebench_verb(sim_host& host, const std::vector<std::string>& argv) {
  const std::string usage =
      "usage: pciebench [-s BDF] LAT_DMA_RD|LAT_DMA_WRRD|BW_DMA_RD|BW_DMA_WR|BW_DMA_RW [--size N[,N...]] "
      "[--window N[,N...]] [--pattern seq|rand] [--cache hwarm|dwarm|cold|dthrash] [--host-off N] [--dev-off N] "
      "[--count N] [--in-flight N] [--long] [--no-header] [--csv FILE]\n";
  auto bad = [&](const std::string& why) { return cmd_result{2, "", "pciebench: " + why + "\n" + usage, "EINVAL"}; };
  pciebench_options opt;
  std::vector<uint64_t> sizes{opt.size}, windows{opt.window};
  bool have_test = false, header = true;
  std::string csv;
  for (size_t i = 1; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    const bool has_value = i + 1 < argv.size();
    uint64_t v = 0;
    if (a == "-s" && has_value) {
      opt.bdf = argv[++i];
    } else if (a == "--size" && has_value) {
      if (!parse_list(argv[++i], sizes)) return bad("--size takes sizes in bytes: \"" + argv[i] + "\"");
    } else if (a == "--window" && has_value) {
      if (!parse_list(argv[++i], windows)) return bad("--window takes sizes in bytes: \"" + argv[i] + "\"");
    } else if (a == "--pattern" && has_value) {
      const std::string& p = argv[++i];
      if (p != "seq" && p != "rand") return bad("--pattern is seq or rand");
      opt.random = p == "rand";
    } else if (a == "--cache" && has_value) {
      const std::string& c = argv[++i];
      if (c == "hwarm")
        opt.cache = pciebench_cache::host_warm;
      else if (c == "dwarm")
        opt.cache = pciebench_cache::device_warm;
      else if (c == "cold")
        opt.cache = pciebench_cache::cold;
      else if (c == "dthrash")
        opt.cache = pciebench_cache::device_thrash;
      else
        return bad("--cache is hwarm, dwarm, cold or dthrash");
    } else if (a == "--host-off" && has_value) {
      if (!kit::parse_u64(argv[++i], v) || v >= 4096) return bad("--host-off is 0..4095");
      opt.host_off = static_cast<uint32_t>(v);
    } else if (a == "--dev-off" && has_value) {
      if (!kit::parse_u64(argv[++i], v) || v >= pciebench_device::BUFFER_BYTES) return bad("--dev-off is 0..8191");
      opt.dev_off = static_cast<uint32_t>(v);
    } else if (a == "--count" && has_value) {
      if (!kit::parse_u64(argv[++i], opt.count, true) || opt.count == 0) return bad("--count is at least 1");
    } else if (a == "--in-flight" && has_value) {
      if (!kit::parse_u64(argv[++i], v) || v == 0 || v > pciebench_device::MAX_IN_FLIGHT)
        return bad(fmt::format("--in-flight is 1..{}", pciebench_device::MAX_IN_FLIGHT));
      opt.in_flight = static_cast<uint32_t>(v);
    } else if (a == "--long") {
      opt.long_run = true;
    } else if (a == "--no-header") {
      header = false;
    } else if (a == "--csv" && has_value) {
      csv = argv[++i];
    } else if (!have_test && parse_test(a, opt.test)) {
      have_test = true;
    } else {
      return bad("unexpected \"" + a + "\"");
    }
  }
  if (!have_test) return bad("which test?");
  // The firmware's and the host tool's checks (pcie_dma.c, nfpbench.py), per point.
  for (uint64_t s : sizes)
    if (s == 0 || s + opt.host_off > 4096 || s + opt.dev_off > pciebench_device::BUFFER_BYTES)
      return bad(
          fmt::format("a transfer of {} bytes at host offset {} must fit in 4096 bytes (and the device's "
                      "8 KiB buffer at its offset)",
                      s, opt.host_off));
  for (uint64_t w : windows) {
    if (w % 64 || w == 0 || w > pciebench_device::MAX_CHUNKS * pciebench_device::CHUNK_BYTES)
      return bad(fmt::format("the window must be a multiple of 64 bytes up to {} MiB: {}",
                             pciebench_device::MAX_CHUNKS * pciebench_device::CHUNK_BYTES >> 20, w));
    for (uint64_t s : sizes)
      if (s + opt.host_off > w)
        return bad(fmt::format("a transfer of {} bytes at host offset {} does not fit in a {}-byte window", s,
                               opt.host_off, w));
  }
  // The engine keeps every latency sample: at most its journal's.
  if (pciebench_is_latency(opt.test) && opt.count > pciebench_device::JOURNAL_MAX)
    return bad(fmt::format("a latency test keeps at most {} samples (--count)", pciebench_device::JOURNAL_MAX));
  pci_dev* dev = nullptr;
  for (pci_dev* d : host.pci().devices())
    if (d->driver == "iovsim_pciebench" && (opt.bdf.empty() || d->bdf() == opt.bdf || d->short_bdf() == opt.bdf)) {
      dev = d;
      break;
    }
  if (!dev) return cmd_result{1, "", "pciebench: no pcie-bench engine bound to iovsim_pciebench\n", "ENODEV"};

  std::string out = header ? pciebench_csv_header(pciebench_is_latency(opt.test)) + "\n" : "";
  for (uint64_t w : windows)
    for (uint64_t s : sizes) {
      pciebench_options point = opt;
      point.window = w;
      point.size = static_cast<uint32_t>(s);
      pciebench_result r;
      const std::string why = host.pciebench().run(*dev, point, r);
      if (!why.empty()) return cmd_result{1, out, "pciebench: " + why + "\n", "EINVAL"};
      if (!r.ok) {
        const std::string err = fmt::format("pciebench: {}: {} failed: status 0x{:x} at bus address 0x{:x}\n",
                                            dev->bdf(), pciebench_test_name(point.test), r.status, r.err_addr);
        kit::sim_env::current().log("dma", "host.pciebench", err.substr(0, err.size() - 1));
        return cmd_result{1, out, err, "EIO"};
      }
      out += pciebench_csv_row(point, r) + "\n";
    }
  if (!csv.empty()) {
    world_access* w = host.world();
    const std::string why = w ? w->write_output(csv, out) : "this machine has no output folder";
    if (!why.empty()) return cmd_result{1, out, "pciebench: --csv: " + why + "\n", "EIO"};
  }
  return cmd_result{0, out, "", ""};
}

}  // namespace iovsim::host
