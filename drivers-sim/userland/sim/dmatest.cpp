// `dmatest [-s BDF] [--size N] [--count N] [--buffers N] [--from-host] [--static
// [--pages 4k|2m|1g]] [--addr A]`: one run of the iovsim_dma driver, reported as
// throughput and host CPU time per buffer. In the spirit of Linux's dmatest module,
// which is driven through module parameters instead.
#include <fmt/format.h>

#include "drivers-sim/userland/sim/sim.h"
#include "models/kit/sim_env.h"
#include "models/kit/units.h"
#include "models/testdev/dma_device.h"

namespace iovsim::host {

namespace {
uint64_t round_up(uint64_t v, uint64_t to) { return (v + to - 1) / to * to; }

std::string page_name(uint64_t bytes) {
  return bytes == PAGE_1G ? "1 GiB" : bytes == PAGE_2M ? "2 MiB" : "4 KiB";
}
}  // namespace

cmd_result dmatest_verb(sim_host& host, const std::vector<std::string>& argv) {
  dmatest_options opt;
  const std::string usage =
      "usage: dmatest [-s BDF] [--size BYTES] [--count N] [--buffers N] [--from-host] [--static [--pages 4k|2m|1g]] "
      "[--addr BUSADDR]\n";
  uint64_t buffers = opt.buffers;
  for (size_t i = 1; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    auto value = [&](uint64_t& v) { return i + 1 < argv.size() && kit::parse_u64(argv[++i], v); };
    if (a == "-s" && i + 1 < argv.size()) opt.bdf = argv[++i];
    else if (a == "--size" && value(opt.size) && opt.size >= 1 && opt.size <= pcie::dma_device::BUFFER_BYTES) continue;
    else if (a == "--count" && value(opt.count) && opt.count >= 1) continue;
    else if (a == "--buffers" && value(buffers) && buffers >= 1 && buffers <= DMATEST_MAX_BUFFERS) opt.working_set_shown = true;
    else if (a == "--pages" && i + 1 < argv.size() && (argv[i + 1] == "4k" || argv[i + 1] == "2m" || argv[i + 1] == "1g")) {
      const std::string& p = argv[++i];
      opt.page_bytes = p == "1g" ? PAGE_1G : p == "2m" ? PAGE_2M : PAGE_4K;
      opt.working_set_shown = true;
    }
    else if (a == "--from-host") opt.to_host = false;
    else if (a == "--static") opt.dynamic = false;
    else if (a == "--addr" && value(opt.addr)) opt.raw = true;
    else return cmd_result{2, "", usage, "EINVAL"};
  }
  opt.buffers = static_cast<unsigned>(buffers);
  if (opt.page_bytes > PAGE_4K && (opt.dynamic || opt.raw))
    return cmd_result{2, "", "dmatest: --pages 2m|1g maps the ring once: it needs --static and no --addr\n", "EINVAL"};
  pci_dev* dev = nullptr;
  for (pci_dev* d : host.pci().devices())
    if (d->driver == "iovsim_dma" && (opt.bdf.empty() || d->bdf() == opt.bdf || d->short_bdf() == opt.bdf)) {
      dev = d;
      break;
    }
  if (!dev) return cmd_result{1, "", "dmatest: no DMA test device bound to iovsim_dma\n", "ENODEV"};
  const dmatest_result r = host.dmatest().run(*dev, opt);
  const double secs = r.elapsed.to_seconds();
  const double gbps = secs > 0 ? static_cast<double>(r.bytes) * 8 / secs / 1e9 : 0;
  const double cpu_us = r.transfers ? r.cpu.to_seconds() * 1e6 / static_cast<double>(r.transfers + r.errors) : 0;
  std::string out = fmt::format(
      "dmatest: {}: {} transfers of {} bytes {} host, {} mapping: {:.3f} ms, {:.3f} Gb/s, host CPU {:.3f} us/buffer, "
      "{} errors\n",
      dev->bdf(), r.transfers, opt.size, opt.to_host ? "to" : "from",
      opt.raw ? "raw address" : (opt.dynamic ? "per-buffer" : "static"), secs * 1e3, gbps, cpu_us, r.errors);
  if (r.errors)
    out += fmt::format("dmatest: {}: transfer failed: status 0x{:x} at bus address 0x{:x}\n", dev->bdf(),
                       r.last_status, r.err_addr);
  if (r.writes_after_unmap)
    out += fmt::format("dmatest: {}: {} DMA writes landed in buffers already unmapped (stale translations)\n",
                       dev->bdf(), r.writes_after_unmap);
  kit::sim_env::current().log("dma", "host.dmatest", out.substr(0, out.size() - 1));
  if (opt.working_set_shown) {
    const std::string ws =
        fmt::format("dmatest: {}: working set {} buffers x {} bytes ({} KiB), {} pages", dev->bdf(), opt.buffers,
                    opt.size, opt.buffers * round_up(opt.size, PAGE_4K) / 1024, page_name(opt.page_bytes));
    kit::sim_env::current().log("dma", "host.dmatest", ws);
    out += ws + "\n";
  }
  return cmd_result{r.errors ? 1 : 0, out, "", r.errors ? "EIO" : ""};
}

}  // namespace iovsim::host
