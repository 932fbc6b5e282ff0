#include "drivers-sim/misc/pciebench.h"

#include <fmt/format.h>

#include <cerrno>
#include <systemc>

#include "drivers-sim/misc/engine_model.h"
#include "models/kit/sim_env.h"
#include "models/pcie/pci_regs.h"
#include "models/testdev/pciebench_device.h"

namespace iovsim::host {

using pcie::pciebench_device;

namespace {
// Python's repr() of a float, as pcie-bench's CSV files hold them: the shortest text
// that reads back the same, with ".0" on whole numbers.
std::string py_float(double v) {
  std::string s = fmt::format("{}", v);
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  return s;
}

double cycles_to_ns(double cycles, uint64_t clock_khz) { return cycles * 1e6 / static_cast<double>(clock_khz); }
}  // namespace

std::string pciebench_test_name(uint32_t test) {
  switch (test) {
    case pciebench_device::LAT_DMA_RD:
      return "LAT_DMA_RD";
    case pciebench_device::LAT_DMA_WRRD:
      return "LAT_DMA_WRRD";
    case pciebench_device::BW_DMA_RD:
      return "BW_DMA_RD";
    case pciebench_device::BW_DMA_WR:
      return "BW_DMA_WR";
    case pciebench_device::BW_DMA_RW:
      return "BW_DMA_RW";
    default:
      return fmt::format("TEST_{}", test);
  }
}

const char* pciebench_cache_name(pciebench_cache c) {
  switch (c) {
    case pciebench_cache::host_warm:
      return "HWarm";
    case pciebench_cache::device_warm:
      return "DWarm";
    case pciebench_cache::device_thrash:
      return "DThrash";
    default:
      return "Cold";
  }
}

bool pciebench_is_latency(uint32_t test) {
  return test == pciebench_device::LAT_DMA_RD || test == pciebench_device::LAT_DMA_WRRD;
}

std::string pciebench_csv_header(bool latency) {
  return latency ? "Test,PAT,Cache,HO,DO,WinSZ,SZ,TAvg,Avg,Med,Min,Max,95%,99.9%,TAvg(ns),Avg(ns),Med(ns),Min(ns),"
                   "Max(ns),95%(ns),99.9%(ns),#outliers,#samples"
                 : "Test,PAT,Cache,HO,DO,WinSZ,SZ,Time(cyc),Time,Bytes,Trans,BW (GB/s),Trans/s";
}

std::string pciebench_csv_row(const pciebench_options& opt, const pciebench_result& r) {
  std::string row = fmt::format("{},{},{},{},{},{},{},", pciebench_test_name(opt.test), opt.random ? "Rand" : "Seq",
                                pciebench_cache_name(opt.cache), opt.host_off, opt.dev_off, opt.window, opt.size);
  const uint64_t cycles = r.end_ts - r.start_ts;
  if (!pciebench_is_latency(opt.test)) {
    // Payload Gb/s and transfers per second over the run; BW_DMA_RW counts half its
    // transfers (nfpbench.py bw_test).
    const uint64_t trans = opt.test == pciebench_device::BW_DMA_RW ? r.transfers / 2 : r.transfers;
    const double ns = cycles_to_ns(static_cast<double>(cycles), r.clock_khz);
    const double gbps = ns > 0 ? 8.0 * static_cast<double>(trans * opt.size) / ns : 0;
    const double rate = ns > 0 ? static_cast<double>(trans) / (ns / 1e9) : 0;
    return row + fmt::format("{},{},{},{},{},{}", cycles, py_float(ns), trans * opt.size, trans, py_float(gbps),
                             py_float(rate));
  }
  // TAvg: the whole run over its samples, in whole cycles as pcie-bench's integer
  // division gives it; the rest from the samples.
  const uint64_t tavg = r.samples ? cycles / r.samples : 0;
  const double avg = r.samples ? static_cast<double>(r.lat_sum) / static_cast<double>(r.samples) : 0;
  auto ns = [&](double c) { return py_float(cycles_to_ns(c, r.clock_khz)); };
  return row + fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}", tavg, py_float(avg), py_float(r.lat_med),
                           r.lat_min, r.lat_max, py_float(r.lat_p95), py_float(r.lat_p999),
                           ns(static_cast<double>(tavg)), ns(avg), ns(r.lat_med), ns(static_cast<double>(r.lat_min)),
                           ns(static_cast<double>(r.lat_max)), ns(r.lat_p95), ns(r.lat_p999), r.outliers, r.samples);
}

pciebench_driver::pciebench_driver(platform::machine* machine, allocator alloc, kernel_log& log,
                                   std::vector<pci_device_id> ids)
    : m_ids(std::move(ids)), m_machine(machine), m_alloc(std::move(alloc)), m_log(log) {}

int pciebench_driver::probe(pci_dev& dev) {
  if (!m_machine) return -ENODEV;  // the engine is driven through its model: hosts only
  platform::host_bus& bus = m_machine->cpu();
  const uint32_t cmd = bus.cfg_read(dev.bus, dev.devfn, pcie::CFG_COMMAND, 2);
  bus.cfg_write(dev.bus, dev.devfn, pcie::CFG_COMMAND, 2, cmd | pcie::COMMAND_MEMORY | pcie::COMMAND_MASTER);
  const uint64_t id = bus.mmio_read(dev.bars[0].start + pciebench_device::ID, 4);
  if (id != pciebench_device::ID_VALUE) {
    m_log.print(fmt::format("iovsim_pciebench {}: unexpected engine id {:08x}", dev.bdf(), id));
    return -ENODEV;
  }
  if (m_dma) m_dma->set_dma_mask(dev, 64);
  buffer& b = m_buffers[dev.bdf()];
  if (!ensure_chunks(dev, b, MIN_CHUNKS)) {
    m_log.print(fmt::format("iovsim_pciebench {}: cannot allocate the DMA buffer", dev.bdf()));
    m_buffers.erase(dev.bdf());
    return -ENOMEM;
  }
  const uint64_t khz = bus.mmio_read(dev.bars[0].start + pciebench_device::CLOCK_KHZ, 4);
  m_log.print(fmt::format("iovsim_pciebench {}: pcie-bench engine at {} MHz, {} x {} MiB host buffer", dev.bdf(),
                          khz / 1000, b.phys.size(), CHUNK_BYTES >> 20));
  return 0;
}

void pciebench_driver::remove(pci_dev& dev) {
  auto it = m_buffers.find(dev.bdf());
  if (it == m_buffers.end()) return;
  if (m_dma)
    for (uint64_t bus : it->second.bus) m_dma->unmap_single(dev, bus, CHUNK_BYTES, dma_direction::bidirectional);
  m_buffers.erase(it);
}

bool pciebench_driver::ensure_chunks(pci_dev& dev, buffer& b, uint64_t chunks) {
  while (b.phys.size() < chunks) {
    // Physically contiguous and aligned to its size, as the buddy allocator gives an
    // order-10 block (dma_alloc_coherent of 4 MiB).
    const uint64_t phys = m_alloc(CHUNK_BYTES, CHUNK_BYTES);
    if (!phys) return false;
    const uint64_t bus = m_dma ? m_dma->map_static(dev, phys, CHUNK_BYTES, dma_direction::bidirectional) : phys;
    if (dma_mapping_error(bus)) return false;
    b.phys.push_back(phys);
    b.bus.push_back(bus);
  }
  return true;
}

std::string pciebench_driver::run(pci_dev& dev, const pciebench_options& opt, pciebench_result& r) {
  r = pciebench_result{};
  pciebench_device* model = engine_model<pciebench_device>(m_machine, dev);
  auto it = m_buffers.find(dev.bdf());
  if (!model || it == m_buffers.end() || !dev.bars[0].assigned) return "the device is not bound to iovsim_pciebench";
  const uint64_t chunks = (opt.window + CHUNK_BYTES - 1) / CHUNK_BYTES;
  if (chunks > pciebench_device::MAX_CHUNKS)
    return fmt::format("a window of {} bytes is more than the engine's {} chunks of 4 MiB", opt.window,
                       pciebench_device::MAX_CHUNKS);
  if (!ensure_chunks(dev, it->second, chunks)) return "cannot allocate a host buffer that large";
  const buffer& b = it->second;
  platform::host_bus& bus = m_machine->cpu();
  const uint64_t regs = dev.bars[0].start;
  uint32_t flags = opt.random ? pciebench_device::FLAG_RANDOM : 0;
  if (opt.long_run) flags |= pciebench_device::FLAG_LONG;
  if (opt.cache == pciebench_cache::device_warm) flags |= pciebench_device::FLAG_WARM;
  if (opt.cache == pciebench_cache::device_thrash) flags |= pciebench_device::FLAG_THRASH;
  // HWarm: nfpbench.py writes the window from the CPU first. No model holds host
  // caches, so nothing the device sees changes; the label is kept for the columns.
  bus.mmio_write(regs + pciebench_device::TEST, 4, opt.test);
  bus.mmio_write(regs + pciebench_device::FLAGS, 4, flags);
  bus.mmio_write(regs + pciebench_device::SIZE, 4, opt.size);
  bus.mmio_write(regs + pciebench_device::HOST_OFF, 4, opt.host_off);
  bus.mmio_write(regs + pciebench_device::WINDOW, 8, opt.window);
  bus.mmio_write(regs + pciebench_device::DEV_OFF, 4, opt.dev_off);
  bus.mmio_write(regs + pciebench_device::IN_FLIGHT, 4, opt.in_flight);
  bus.mmio_write(regs + pciebench_device::COUNT, 8, opt.count);
  bus.mmio_write(regs + pciebench_device::CHUNKS, 4, b.bus.size());
  for (size_t i = 0; i < b.bus.size(); ++i) bus.mmio_write(regs + pciebench_device::CHUNK_ADDR + 8 * i, 8, b.bus[i]);
  bus.mmio_write(regs + pciebench_device::CONTROL, 4, pciebench_device::CONTROL_START);
  // A run the engine refused ended within the write (run_end already fired): wait only
  // while it is busy. The engine's own view, which takes no simulated time, so a run
  // shorter than an MMIO read cannot end unseen.
  while (model->regs().get(pciebench_device::STATUS, 4) & pciebench_device::STATUS_BUSY)
    sc_core::wait(model->run_end());
  auto rd = [&](uint32_t off, unsigned len = 8) { return bus.mmio_read(regs + off, len); };
  r.status = static_cast<uint32_t>(rd(pciebench_device::STATUS, 4));
  bus.mmio_write(regs + pciebench_device::STATUS, 4,
                 r.status & (pciebench_device::STATUS_DONE | pciebench_device::STATUS_ERROR));
  r.ok = r.status & pciebench_device::STATUS_DONE;
  r.clock_khz = rd(pciebench_device::CLOCK_KHZ, 4);
  if (!r.ok) {
    r.err_addr = rd(pciebench_device::ERR_ADDR);
    return "";
  }
  r.start_ts = rd(pciebench_device::START_TS);
  r.end_ts = rd(pciebench_device::END_TS);
  r.transfers = rd(pciebench_device::TRANSFERS);
  if (pciebench_is_latency(opt.test)) {
    const double scale = 1.0 / (1u << pciebench_device::PCT_FRAC_BITS);
    r.lat_min = rd(pciebench_device::LAT_MIN);
    r.lat_max = rd(pciebench_device::LAT_MAX);
    r.lat_sum = rd(pciebench_device::LAT_SUM);
    r.lat_med = static_cast<double>(rd(pciebench_device::LAT_MED)) * scale;
    r.lat_p95 = static_cast<double>(rd(pciebench_device::LAT_P95)) * scale;
    r.lat_p999 = static_cast<double>(rd(pciebench_device::LAT_P999)) * scale;
    r.outliers = rd(pciebench_device::OUTLIERS);
    r.samples = rd(pciebench_device::SAMPLES);
  }
  return "";
}

}  // namespace iovsim::host
