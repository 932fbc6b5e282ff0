#include "drivers-sim/dmatest.h"

#include <fmt/format.h>

#include <cerrno>
#include <systemc>

#include "models/kit/sim_env.h"
#include "models/kit/units.h"
#include "models/pcie/config_space.h"
#include "models/pcie/dma_device.h"

namespace iovsim::host {

using pcie::dma_device;

namespace {
dma_device* model_of(platform::machine& m, const pci_dev& dev) {
  for (pcie::endpoint* ep : m.endpoints())
    if (auto* d = dynamic_cast<dma_device*>(ep); d && ep->captured_bus() == dev.bus && dev.fn() == 0) return d;
  return nullptr;
}

uint64_t round_up(uint64_t v, uint64_t to) { return (v + to - 1) / to * to; }

constexpr uint64_t PAGE_4K = 4096, PAGE_2M = 2ull << 20, PAGE_1G = 1ull << 30;
constexpr uint64_t MAX_BUFFERS = 65536;

std::string page_name(uint64_t bytes) {
  return bytes == PAGE_1G ? "1 GiB" : bytes == PAGE_2M ? "2 MiB" : "4 KiB";
}

bool parse_number(const std::string& s, uint64_t& v) { return kit::parse_u64(s, v); }
}  // namespace

dmatest_driver::dmatest_driver(platform::machine& machine, allocator alloc_buffer, kernel_log& log)
    : m_machine(machine), m_alloc(std::move(alloc_buffer)), m_log(log) {
  auto& params = kit::sim_env::current().params();
  // An MSI taken by the host: entry, handler, EOI. Linux interrupt latency on
  // servers is a few microseconds (cyclictest-style measurements).
  m_irq_cost = params.time("host.irq_cost", sc_core::sc_time(2, sc_core::SC_US),
                           "host CPU time to take a device interrupt and run its handler");
  // Filling a descriptor and ringing the doorbell: a few hundred instructions.
  m_submit_cost = params.time("host.dma_submit_cost", sc_core::sc_time(200, sc_core::SC_NS),
                              "host CPU time to post one DMA request to a device");
}

void dmatest_driver::bind(pci_dev& dev) {
  platform::host_bus& bus = m_machine.cpu();
  const uint32_t cmd = bus.cfg_read(dev.bus, dev.devfn, pcie::CFG_COMMAND, 2);
  if (!(cmd & pcie::COMMAND_MEMORY))
    m_log.print(fmt::format("iovsim_dma {}: enabling device ({:04x} -> {:04x})", dev.bdf(), cmd,
                            cmd | pcie::COMMAND_MEMORY));
  bus.cfg_write(dev.bus, dev.devfn, pcie::CFG_COMMAND, 2, cmd | pcie::COMMAND_MEMORY | pcie::COMMAND_MASTER);
  dev.driver = "iovsim_dma";
  const uint64_t id = bus.mmio_read(dev.bars[0].start + dma_device::ID, 4);
  m_log.print(fmt::format("iovsim_dma {}: DMA test engine, id {:08x}", dev.bdf(), id));
}

dmatest_result dmatest_driver::run(pci_dev& dev, const dmatest_options& opt) {
  dmatest_result r;
  dma_device* model = model_of(m_machine, dev);
  platform::host_bus& bus = m_machine.cpu();
  if (!model || !dev.bars[0].assigned) return r;
  const uint64_t regs = dev.bars[0].start;
  const sc_core::sc_time cpu_before = m_mapper ? m_mapper->cpu_time(dev) : sc_core::SC_ZERO_TIME;
  // A ring of buffers, reused (a driver's receive ring): the DMA working set.
  const unsigned RING = opt.buffers;
  std::vector<uint64_t> phys(RING), iova(RING, UINT64_MAX);
  // Large pages: the whole ring in one region aligned to the page size and mapped at
  // its physical address, as VFIO maps a guest's memory (buffers a 4 KiB stride apart).
  const bool large = !opt.dynamic && !opt.raw && opt.page_bytes > PAGE_4K;
  const uint64_t stride = round_up(opt.size, PAGE_4K);
  const uint64_t region_bytes = large ? round_up(stride * RING, opt.page_bytes) : 0;
  uint64_t region = 0, region_bus = UINT64_MAX;
  if (large) {
    region = m_alloc(region_bytes, opt.page_bytes);
    if (region) region_bus = m_mapper ? m_mapper->map_large(dev, region, region_bytes) : region;
    for (unsigned i = 0; i < RING; ++i) {
      phys[i] = region + i * stride;
      if (region_bus != UINT64_MAX) iova[i] = region_bus + i * stride;
    }
  } else {
    for (unsigned i = 0; i < RING; ++i) phys[i] = opt.raw ? opt.addr : m_alloc(opt.size, PAGE_4K);
  }
  if (!opt.dynamic && !opt.raw && !large)
    for (unsigned i = 0; i < RING; ++i) iova[i] = m_mapper ? m_mapper->map(dev, phys[i], opt.size, !opt.to_host) : phys[i];

  sc_core::sc_time cpu = sc_core::SC_ZERO_TIME;
  const sc_core::sc_time start = sc_core::sc_time_stamp();
  for (uint64_t n = 0; n < opt.count; ++n) {
    const unsigned slot = static_cast<unsigned>(n % RING);
    uint64_t bus_addr = opt.raw ? opt.addr : iova[slot];
    if (opt.dynamic && !opt.raw)
      bus_addr = m_mapper ? m_mapper->map(dev, phys[slot], opt.size, !opt.to_host) : phys[slot];
    if (bus_addr == UINT64_MAX) {
      ++r.errors;
      break;
    }
    // Program and start; the host thread then sleeps until the completion interrupt.
    sc_core::wait(m_submit_cost);
    cpu += m_submit_cost;
    bus.mmio_write(regs + (opt.to_host ? dma_device::DST_ADDR : dma_device::SRC_ADDR), 8, bus_addr);
    bus.mmio_write(regs + (opt.to_host ? dma_device::SRC_ADDR : dma_device::DST_ADDR), 8, 0);
    bus.mmio_write(regs + dma_device::LENGTH, 4, opt.size);
    bus.mmio_write(regs + dma_device::CONTROL, 4,
                   dma_device::CONTROL_START | dma_device::CONTROL_IRQ_EN |
                       (opt.to_host ? dma_device::CONTROL_DIR_TO_HOST : 0));
    sc_core::wait(model->transfer_end());
    sc_core::wait(m_irq_cost);
    cpu += m_irq_cost;
    const uint32_t status = static_cast<uint32_t>(bus.mmio_read(regs + dma_device::STATUS, 4));
    bus.mmio_write(regs + dma_device::STATUS, 4, status & (dma_device::STATUS_DONE | dma_device::STATUS_ERROR));
    r.last_status = status;
    if (opt.dynamic && !opt.raw && m_mapper) m_mapper->unmap(dev, bus_addr, opt.size, !opt.to_host);
    if (status & dma_device::STATUS_ERROR) {
      ++r.errors;
      r.err_addr = bus.mmio_read(regs + dma_device::ERR_ADDR, 8);
      break;
    }
    ++r.transfers;
    r.bytes += opt.size;
  }
  r.elapsed = sc_core::sc_time_stamp() - start;
  if (large && m_mapper && region_bus != UINT64_MAX) m_mapper->unmap_large(dev, region, region_bytes);
  if (!opt.dynamic && !opt.raw && !large && m_mapper)
    for (unsigned i = 0; i < RING; ++i) m_mapper->unmap(dev, iova[i], opt.size, !opt.to_host);
  r.cpu = cpu + (m_mapper ? m_mapper->cpu_time(dev) - cpu_before : sc_core::SC_ZERO_TIME);
  return r;
}

cmd_result dmatest_driver::command(const std::vector<std::string>& argv, const std::vector<pci_dev*>& devices) {
  dmatest_options opt;
  const std::string usage =
      "usage: dmatest [-s BDF] [--size BYTES] [--count N] [--buffers N] [--from-host] [--static [--pages 4k|2m|1g]] "
      "[--addr BUSADDR]\n";
  uint64_t buffers = opt.buffers;
  for (size_t i = 1; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    auto value = [&](uint64_t& v) { return i + 1 < argv.size() && parse_number(argv[++i], v); };
    if (a == "-s" && i + 1 < argv.size()) opt.bdf = argv[++i];
    else if (a == "--size" && value(opt.size) && opt.size >= 1 && opt.size <= dma_device::BUFFER_BYTES) continue;
    else if (a == "--count" && value(opt.count) && opt.count >= 1) continue;
    else if (a == "--buffers" && value(buffers) && buffers >= 1 && buffers <= MAX_BUFFERS) opt.working_set_shown = true;
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
  for (pci_dev* d : devices)
    if (d->driver == "iovsim_dma" && (opt.bdf.empty() || d->bdf() == opt.bdf || d->short_bdf() == opt.bdf)) {
      dev = d;
      break;
    }
  if (!dev) return cmd_result{1, "", "dmatest: no DMA test device bound to iovsim_dma\n", "ENODEV"};
  const dmatest_result r = run(*dev, opt);
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
  kit::sim_env::current().log("host.dmatest", out.substr(0, out.size() - 1));
  if (opt.working_set_shown) {
    const std::string ws =
        fmt::format("dmatest: {}: working set {} buffers x {} bytes ({} KiB), {} pages", dev->bdf(), opt.buffers,
                    opt.size, opt.buffers * round_up(opt.size, PAGE_4K) / 1024, page_name(opt.page_bytes));
    kit::sim_env::current().log("host.dmatest", ws);
    out += ws + "\n";
  }
  return cmd_result{r.errors ? 1 : 0, out, "", r.errors ? "EIO" : ""};
}

}  // namespace iovsim::host
