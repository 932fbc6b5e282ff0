#include "drivers-sim/misc/dmatest.h"

#include <fmt/format.h>

#include <cerrno>
#include <systemc>

#include "drivers-sim/misc/engine_model.h"
#include "models/kit/sim_env.h"
#include "models/kit/units.h"
#include "models/pcie/pci_regs.h"
#include "models/testdev/dma_device.h"

namespace iovsim::host {

using pcie::dma_device;

namespace {
uint64_t round_up(uint64_t v, uint64_t to) { return (v + to - 1) / to * to; }

}  // namespace

dmatest_driver::dmatest_driver(platform::machine* machine, allocator alloc_buffer, kernel_log& log,
                               std::vector<pci_device_id> ids)
    : m_ids(std::move(ids)), m_machine(machine), m_alloc(std::move(alloc_buffer)), m_log(log) {}

int dmatest_driver::probe(pci_dev& dev) {
  if (!m_machine) return -ENODEV;  // the test engine is driven through its model: hosts only
  platform::host_bus& bus = m_machine->cpu();
  const uint32_t cmd = bus.cfg_read(dev.bus, dev.devfn, pcie::CFG_COMMAND, 2);
  if (!(cmd & pcie::COMMAND_MEMORY))
    m_log.print(fmt::format("iovsim_dma {}: enabling device ({:04x} -> {:04x})", dev.bdf(), cmd,
                            cmd | pcie::COMMAND_MEMORY));
  bus.cfg_write(dev.bus, dev.devfn, pcie::CFG_COMMAND, 2, cmd | pcie::COMMAND_MEMORY | pcie::COMMAND_MASTER);
  const uint64_t id = bus.mmio_read(dev.bars[0].start + dma_device::ID, 4);
  m_log.print(fmt::format("iovsim_dma {}: DMA test engine, id {:08x}", dev.bdf(), id));
  return 0;
}

// One run's mappings as the driver holds them, shared with the thread of an unmap
// injection (which may outlive the run by a delta: it only touches this state then).
struct dmatest_driver::run_state {
  dmatest_driver* driver = nullptr;
  dma_mapper* mapper = nullptr;
  pci_dev* dev = nullptr;
  bool to_device = false, translated = false;
  uint64_t size = 0;
  std::vector<uint64_t> phys, iova;
  std::vector<char> live;                  // static ring: the mapping is in place
  bool region_live = false;                // --pages: the large region is mapped
  uint64_t region = 0, region_bytes = 0, region_bus = UINT64_MAX;
  bool dyn_live = false;                   // per-buffer: the buffer mapped now
  uint64_t dyn_phys = 0, dyn_bus = 0;
  bool running = true, busy = false;       // busy: the injection is unmapping
  sc_core::sc_event end, idle;
  std::shared_ptr<unmap_injection> injection;
};

void dmatest_driver::unmap_later(const std::shared_ptr<run_state>& run) {
  unmap_injection& inj = *run->injection;
  sc_core::wait(inj.after, run->end);
  if (!run->running) {
    inj.st = unmap_injection::state::expired;
    kit::sim_env::current().log("inject", "host.inject", fmt::format("unmap: {}: the dmatest run ended before {}", inj.bdf,
                                                           inj.after.to_string()));
    return;
  }
  run->busy = true;
  inj.st = unmap_injection::state::fired;
  inj.fired_at = sc_core::sc_time_stamp();
  unmap_all(*run);
  kit::sim_env::current().log("inject", "host.inject", fmt::format("unmap: {}: {} DMA mapping{} unmapped {} into its dmatest run",
                                                         inj.bdf, inj.mappings, inj.mappings == 1 ? "" : "s",
                                                         inj.after.to_string()));
  run->busy = false;
  run->idle.notify();
}

// What a driver freeing its buffers does: every mapping in place goes, one by one
// (each unmap waits for its IOTLB flush); the run goes on with the stale addresses.
void dmatest_driver::unmap_all(run_state& run) {
  unsigned n = 0;
  for (size_t i = 0; i < run.iova.size() && run.running; ++i) {
    if (!run.live[i]) continue;
    run.live[i] = false;
    run.mapper->unmap(*run.dev, run.iova[i], run.size, run.to_device);
    if (run.translated) run.driver->retire(run.phys[i], run.size, run.iova[i]);
    ++n;
  }
  if (run.region_live && run.running) {
    run.region_live = false;
    run.mapper->unmap_large(*run.dev, run.region, run.region_bytes);
    if (run.translated) run.driver->retire(run.region, run.region_bytes, run.region_bus);
    ++n;
  }
  if (run.dyn_live && run.running) {
    run.dyn_live = false;
    run.mapper->unmap(*run.dev, run.dyn_bus, run.size, run.to_device);
    if (run.translated) run.driver->retire(run.dyn_phys, run.size, run.dyn_bus);
    ++n;
  }
  run.injection->mappings = n;
}

void dmatest_driver::retire(uint64_t phys, uint64_t len, uint64_t iova) {
  retired_buffer& b = m_retired[phys];
  b = retired_buffer{phys + len, iova, sc_core::sc_time_stamp(), false};
  while (m_retired.size() > MAX_RETIRED) m_retired.erase(m_retired.begin());
}

void dmatest_driver::unretire(uint64_t phys) {
  if (!m_retired.empty()) m_retired.erase(phys);
}

void dmatest_driver::observe(uint64_t addr, unsigned len, uint16_t requester) {
  if (m_retired.empty()) return;
  auto it = m_retired.upper_bound(addr);
  if (it == m_retired.begin()) return;
  --it;
  if (addr >= it->second.end) return;
  ++m_writes_after_unmap;
  if (it->second.reported) return;
  it->second.reported = true;
  kit::sim_env::current().log(
      "dma", "host.dmatest",
      fmt::format("{:02x}:{:02x}.{} wrote {} bytes at 0x{:x}, in a DMA buffer unmapped at [{}] (bus address "
                  "0x{:x}): the write went through a stale translation",
                  requester >> 8, (requester >> 3) & 0x1f, requester & 7, len, addr,
                  kit::format_sim_time(it->second.when),
                  it->second.iova + (addr - it->first)));
}

dmatest_result dmatest_driver::run(pci_dev& dev, const dmatest_options& opt) {
  dmatest_result r;
  dma_device* model = engine_model<dma_device>(m_machine, dev);
  if (!model || !dev.bars[0].assigned) return r;
  platform::host_bus& bus = m_machine->cpu();
  const uint64_t regs = dev.bars[0].start;
  const sc_core::sc_time cpu_before = m_mapper ? m_mapper->cpu_time(dev) : sc_core::SC_ZERO_TIME;
  const uint64_t stale_before = m_writes_after_unmap;
  // A ring of buffers, reused (a driver's receive ring): the DMA working set.
  const unsigned RING = opt.buffers;
  auto run = std::make_shared<run_state>();
  run->driver = this;
  run->mapper = m_mapper;
  run->dev = &dev;
  run->to_device = !opt.to_host;
  run->translated = m_mapper && m_mapper->translated(dev);
  run->size = opt.size;
  std::vector<uint64_t>& phys = run->phys;
  std::vector<uint64_t>& iova = run->iova;
  phys.assign(RING, 0);
  iova.assign(RING, UINT64_MAX);
  run->live.assign(RING, 0);
  // Large pages: the whole ring in one region aligned to the page size and mapped at
  // its physical address, as VFIO maps a guest's memory (buffers a 4 KiB stride apart).
  const bool large = !opt.dynamic && !opt.raw && opt.page_bytes > PAGE_4K;
  const uint64_t stride = round_up(opt.size, PAGE_4K);
  const uint64_t region_bytes = large ? round_up(stride * RING, opt.page_bytes) : 0;
  uint64_t region = 0, region_bus = UINT64_MAX;
  if (large) {
    region = m_alloc(region_bytes, opt.page_bytes);
    if (region) region_bus = m_mapper ? m_mapper->map_large(dev, region, region_bytes) : region;
    run->region = region;
    run->region_bytes = region_bytes;
    run->region_bus = region_bus;
    run->region_live = m_mapper && region_bus != UINT64_MAX;
    for (unsigned i = 0; i < RING; ++i) {
      phys[i] = region + i * stride;
      if (region_bus != UINT64_MAX) iova[i] = region_bus + i * stride;
    }
  } else {
    for (unsigned i = 0; i < RING; ++i) phys[i] = opt.raw ? opt.addr : m_alloc(opt.size, PAGE_4K);
  }
  if (!opt.dynamic && !opt.raw && !large)
    for (unsigned i = 0; i < RING; ++i) {
      iova[i] = m_mapper ? m_mapper->map(dev, phys[i], opt.size, !opt.to_host) : phys[i];
      run->live[i] = m_mapper && iova[i] != UINT64_MAX;
    }

  sc_core::sc_time cpu = sc_core::SC_ZERO_TIME;
  const sc_core::sc_time start = sc_core::sc_time_stamp();
  // An armed `inject unmap` for this device: its thread counts from now.
  if (m_unmap && m_unmap->bdf == dev.bdf()) {
    run->injection = std::move(m_unmap);
    run->injection->st = unmap_injection::state::running;
    sc_core::sc_spawn([run] { unmap_later(run); });
  }
  for (uint64_t n = 0; n < opt.count; ++n) {
    const unsigned slot = static_cast<unsigned>(n % RING);
    uint64_t bus_addr = opt.raw ? opt.addr : iova[slot];
    if (opt.dynamic && !opt.raw) {
      bus_addr = m_mapper ? m_mapper->map(dev, phys[slot], opt.size, !opt.to_host) : phys[slot];
      if (m_mapper && bus_addr != UINT64_MAX) {
        run->dyn_live = true;
        run->dyn_phys = phys[slot];
        run->dyn_bus = bus_addr;
        unretire(phys[slot]);
      }
    }
    if (bus_addr == UINT64_MAX) {
      ++r.errors;
      break;
    }
    // Program and start; the host thread then sleeps until the completion interrupt.
    sc_core::wait(submit_cost());
    cpu += submit_cost();
    bus.mmio_write(regs + (opt.to_host ? dma_device::DST_ADDR : dma_device::SRC_ADDR), 8, bus_addr);
    bus.mmio_write(regs + (opt.to_host ? dma_device::SRC_ADDR : dma_device::DST_ADDR), 8, 0);
    bus.mmio_write(regs + dma_device::LENGTH, 4, opt.size);
    bus.mmio_write(regs + dma_device::CONTROL, 4,
                   dma_device::CONTROL_START | dma_device::CONTROL_IRQ_EN |
                       (opt.to_host ? dma_device::CONTROL_DIR_TO_HOST : 0));
    sc_core::wait(model->transfer_end());
    sc_core::wait(irq_cost());
    cpu += irq_cost();
    const uint32_t status = static_cast<uint32_t>(bus.mmio_read(regs + dma_device::STATUS, 4));
    bus.mmio_write(regs + dma_device::STATUS, 4, status & (dma_device::STATUS_DONE | dma_device::STATUS_ERROR));
    r.last_status = status;
    if (run->dyn_live) {
      run->dyn_live = false;
      m_mapper->unmap(dev, bus_addr, opt.size, !opt.to_host);
      if (run->translated) retire(phys[slot], opt.size, bus_addr);
    }
    if (status & dma_device::STATUS_ERROR) {
      ++r.errors;
      r.err_addr = bus.mmio_read(regs + dma_device::ERR_ADDR, 8);
      break;
    }
    ++r.transfers;
    r.bytes += opt.size;
  }
  r.elapsed = sc_core::sc_time_stamp() - start;
  run->running = false;
  run->end.notify();
  while (run->busy) sc_core::wait(run->idle);   // an injected unmap finishes its current step
  if (run->region_live) {
    run->region_live = false;
    m_mapper->unmap_large(dev, region, region_bytes);
    if (run->translated) retire(region, region_bytes, region_bus);
  }
  for (unsigned i = 0; i < RING; ++i)
    if (run->live[i]) {
      run->live[i] = false;
      m_mapper->unmap(dev, iova[i], opt.size, !opt.to_host);
      if (run->translated) retire(phys[i], opt.size, iova[i]);
    }
  r.cpu = cpu + (m_mapper ? m_mapper->cpu_time(dev) - cpu_before : sc_core::SC_ZERO_TIME);
  r.writes_after_unmap = m_writes_after_unmap - stale_before;
  return r;
}

}  // namespace iovsim::host
