// fuzz_nic: the NIC data path under a buggy or hostile driver. A small machine (an
// X540 behind root port 00:01.0, no IOMMU set up: DMA goes to DRAM untranslated, or
// beyond it) whose two ports are cabled to each other, driven the way a driver could:
// registers of the PF and VF BARs (the modelled ones, anywhere else), descriptors and
// buffers planted in DRAM where the rings point, SR-IOV VF counts, frames of any bytes
// and length arriving from the wire, the link going down and up, time passing.
//
// The input is a sequence of operations, each an opcode byte and its operands:
//   0 pf write   port, register (selector: a modelled register or, from 0xc0, any
//                offset of BAR0 from 4 bytes), width, value (value_of())
//   1 pf read    port, register, width
//   2 vf write   port, VF (modulo the VFs there are), register of VF BAR0, width, value
//   3 vf read    port, VF, register, width
//   4 descriptor scratch page, slot (16 bytes), address (value_of()), two dwords
//   5 VFs        port, count (0: SR-IOV off), ARI
//   6 frame      port it arrives at, length (2 bytes, up to 9728), kind (broadcast,
//                the port's MAC, a VF-looking MAC, any), bytes from the input
//   7 wait       16-bit count of 10 ns; from 0xf000 up, milliseconds
//   8 queue      a sane ring: port, function (PF or VF), queue, RX/TX, scratch page,
//                ring length, tail: what a driver's configure step writes
//   9 any BAR    a write anywhere in a region of the NIC (MSI-X tables too), 8 bytes
//  10 link       a wire end down or up
// Findings, beyond the common ones (crash, UB, leak, SystemC report, hang): a port
// whose receive counters do not balance (offered + replicas = delivered + drops), an
// injected frame the port did not let go of, a MMIO read wider than asked.
#include <fmt/format.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "models/kit/sim_env.h"
#include "models/net/frame.h"
#include "models/nic/nic_device.h"
#include "models/nic/nic_regs.h"
#include "models/pcie/pci_regs.h"
#include "models/pcie/sriov.h"
#include "models/wire/wire.h"
#include "tests/fuzz/fuzz_common.h"
#include "tests/fuzz/fuzz_machine.h"

using namespace iovsim;
using fuzz::fuzz_machine;

namespace {

constexpr unsigned MAX_OPS = 192;
constexpr unsigned SCRATCH_PAGES = 64;

const char* const PLATFORM = R"(
  memory_bytes: 268435456
  root_port { name: "rp1" device: 1 }
  endpoint { name: "x540" profile: "x540" attach: "rp1" }
)";

// Registers a driver touches: per-queue blocks of a few queues (the first ones, a
// VF pool's, the last), interrupts, RSS, the receive-address table, the mailbox.
std::vector<uint32_t> pf_registers() {
  using namespace nic;
  std::vector<uint32_t> r = {CTRL,           STATUS,   CTRL_EXT,  EICR,       EICS,          EIMS,          EIMC,
                             EIAM,           EITR0,    EITR0 + 4, IVAR0,      IVAR0 + 4,     IVAR_MISC,     LINKS,
                             GPRC,           GPTC,     MRQC,      RETA0,      RETA0 + 4,     RSSRK0,        RAL0,
                             RAL0 + 4,       RAL0 + 8, RAL0 + 12, MPSAR_LO0,  MPSAR_LO0 + 4, MPSAR_LO0 + 8, PFMAILBOX0,
                             PFMAILBOX0 + 4, PFMBMEM0, PFMBICR0,  SRRCTL_LOW0};
  for (const unsigned q : {0u, 1u, 2u, 3u, 62u, 63u}) {
    for (const uint32_t f : {Q_BAL, Q_BAH, Q_LEN, Q_H, Q_T, Q_DCTL}) {
      r.push_back(RX_QUEUE0 + QUEUE_STRIDE * q + f);
      r.push_back(TX_QUEUE0 + QUEUE_STRIDE * q + f);
    }
    r.push_back(q < 16 ? SRRCTL_LOW0 + 4 * q : RX_QUEUE0 + QUEUE_STRIDE * q + RX_SRRCTL);
  }
  for (const unsigned q : {64u, 126u, 127u})
    for (const uint32_t f : {Q_BAL, Q_BAH, Q_LEN, Q_H, Q_T, Q_DCTL, RX_SRRCTL})
      r.push_back(RX_QUEUE_HIGH0 + QUEUE_STRIDE * (q - 64) + f);
  for (const unsigned q : {126u, 127u})
    for (const uint32_t f : {Q_BAL, Q_BAH, Q_LEN, Q_H, Q_T, Q_DCTL}) r.push_back(TX_QUEUE0 + QUEUE_STRIDE * q + f);
  return r;
}

std::vector<uint32_t> vf_registers() {
  using namespace nic;
  std::vector<uint32_t> r = {VFCTRL,  VFSTATUS, VFLINKS,     VTEICR,  VTEICS,    VTEIMS, VTEIMC, VTEIAM,
                             VTEITR0, VTIVAR0,  VTIVAR_MISC, VFMBMEM, VFMAILBOX, VFGPRC, VFGPTC};
  for (const unsigned q : {0u, 1u})
    for (const uint32_t f : {Q_BAL, Q_BAH, Q_LEN, Q_H, Q_T, Q_DCTL}) {
      r.push_back(VF_RX_QUEUE0 + QUEUE_STRIDE * q + f);
      r.push_back(VF_TX_QUEUE0 + QUEUE_STRIDE * q + f);
    }
  r.push_back(VF_RX_QUEUE0 + VF_SRRCTL);
  return r;
}

uint64_t scratch_page(unsigned n) { return fuzz_machine::SCRATCH_BASE + (n % SCRATCH_PAGES) * 4096ull; }

// A value from a selector byte: scratch pages (rings, buffers), ring lengths, the
// enable bits, buffer sizes, valid IVAR entries, the end of DRAM and beyond; from 0x80
// up the next 8 input bytes.
uint64_t value_of(fuzz::byte_reader& in) {
  const uint8_t sel = in.u8();
  if (sel >= 0x80) return in.u64();
  if (sel < 0x40) return scratch_page(sel);
  if (sel < 0x48) return 128u << (sel & 7);  // RDLEN / TDLEN: 8..1024 descriptors
  if (sel < 0x4c) return nic::DCTL_ENABLE >> (sel & 3 ? 0 : 1);
  if (sel < 0x54) return 0x80u | (sel & 7) | (sel & 4 ? 0x8000u : 0);  // IVAR entries
  if (sel < 0x58) return fuzz_machine::MEMORY_BYTES - 16 * (sel & 3);
  if (sel < 0x5c) return fuzz_machine::MEMORY_BYTES + (sel & 3) * 4096ull;
  if (sel < 0x60) return 0xfee00000u | (sel & 3) << 12;  // MSI addresses
  if (sel < 0x68) return nic::TXD_DTYP_DATA | nic::TXD_CMD_DEXT | nic::TXD_CMD_EOP | nic::TXD_CMD_RS | (sel & 7) * 200u;
  return sel & 0x1f;  // small: heads, tails, SRRCTL.BSIZEPKT
}

struct bench {
  fuzz_machine& m;
  nic::nic_device& nic;
  wire::wire& cable;
  std::vector<uint32_t> pf_regs = pf_registers(), vf_regs = vf_registers();
  net::frame_pool pool{8};
  unsigned n_vfs[2] = {0, 0};

  uint64_t pf_bar0(unsigned port) { return nic.pfs()[port]->bar_base(0); }
  uint64_t vf_bar0(unsigned port, unsigned vf) {
    pcie::physical_function& pf = *nic.pfs()[port];
    return pf.vf_bar_base(0) + vf * pf.vf_bars()[0].size;
  }
  uint32_t pf_offset(fuzz::byte_reader& in) {
    const uint8_t sel = in.u8();
    if (sel >= 0xc0) return in.u32() % static_cast<uint32_t>(nic.pfs()[0]->bar(0).size);
    return pf_regs[sel % pf_regs.size()];
  }
  uint32_t vf_offset(fuzz::byte_reader& in) {
    const uint8_t sel = in.u8();
    if (sel >= 0xc0) return in.u32() % nic::VF_BAR0_BYTES;
    return vf_regs[sel % vf_regs.size()];
  }
};

void check_read(uint64_t v, unsigned len) {
  if (v > fuzz::width_mask(len)) fuzz::fuzz_fail("MMIO read wider than asked");
}

void inject(bench& b, fuzz::byte_reader& in) {
  const unsigned port = in.u8() & 1;
  const uint32_t len = in.u16() % (net::MAX_FRAME_BYTES + 1);
  const uint8_t kind = in.u8();
  net::frame_ptr f = b.pool.get();
  f->resize(len);
  uint8_t* d = f->data();
  for (uint32_t i = 0; i < len; ++i) d[i] = static_cast<uint8_t>(i * 7 + kind);
  // The destination: broadcast, the port's own address, one of the addresses ixgbe
  // gives VFs (the port's with a low byte of its choosing), anything.
  uint64_t dst = 0;
  switch (kind % 4) {
    case 0:
      dst = 0xffffffffffffull;
      break;
    case 1:
      dst = b.nic.core(port).cfg().mac;
      break;
    case 2:
      dst = (b.nic.core(port).cfg().mac & ~0xffull) | (kind >> 2);
      break;
    default:
      dst = in.u64();
      break;
  }
  for (uint32_t i = 0; i < 6 && i < len; ++i) d[i] = static_cast<uint8_t>(dst >> (40 - 8 * i));
  // Then up to 64 bytes of the input (headers the parser and RSS see).
  const unsigned n = in.u8() % 65;
  for (uint32_t i = 0; i < n && 6 + i < len; ++i) d[6 + i] = in.u8();
  fuzz::trace(fmt::format("frame at port {} len {} kind 0x{:02x}", port, len, kind));
  b.nic.core(port).frame_arrived(std::move(f));
}

// What a driver's configure step writes for one queue: base, length, head and tail,
// buffer size, enable.
void sane_queue(bench& b, fuzz::byte_reader& in) {
  auto& cpu = b.m.hw().cpu();
  const unsigned port = in.u8() & 1;
  const uint8_t who = in.u8();
  const bool vf = who & 0x80 && b.n_vfs[port] > 0;
  const unsigned q = vf ? who & 1 : who & 0x7f;
  const bool tx = in.u8() & 1;
  const uint64_t ring = scratch_page(in.u8());
  const uint32_t len = 128u << (in.u8() % 6);
  const uint32_t tail = in.u8();
  uint64_t block = 0;
  if (vf) {
    block = b.vf_bar0(port, who % b.n_vfs[port]) + (tx ? nic::VF_TX_QUEUE0 : nic::VF_RX_QUEUE0) + nic::QUEUE_STRIDE * q;
  } else if (tx) {
    block = b.pf_bar0(port) + nic::TX_QUEUE0 + nic::QUEUE_STRIDE * q;
  } else {
    block = b.pf_bar0(port) +
            (q < 64 ? nic::RX_QUEUE0 + nic::QUEUE_STRIDE * q : nic::RX_QUEUE_HIGH0 + nic::QUEUE_STRIDE * (q - 64));
  }
  fuzz::trace(fmt::format("queue port {} {} q{} {} ring 0x{:x} len {} tail {}", port, vf ? "vf" : "pf", q,
                          tx ? "tx" : "rx", ring, len, tail));
  cpu.mmio_write(block + nic::Q_DCTL, 4, 0);
  cpu.mmio_write(block + nic::Q_BAL, 4, ring & 0xffffffff);
  cpu.mmio_write(block + nic::Q_BAH, 4, ring >> 32);
  cpu.mmio_write(block + nic::Q_LEN, 4, len);
  cpu.mmio_write(block + nic::Q_H, 4, 0);
  if (!tx) cpu.mmio_write(block + nic::RX_SRRCTL, 4, 1 + in.u8() % 16);
  cpu.mmio_write(block + nic::Q_DCTL, 4, nic::DCTL_ENABLE);
  cpu.mmio_write(block + nic::Q_T, 4, tail);
}

void check_port(bench& b, unsigned p) {
  nic::nic_core& c = b.nic.core(p);
  uint64_t drops = 0;
  for (size_t r = 0; r < static_cast<size_t>(nic::rx_drop::count); ++r)
    drops += c.rx_dropped(static_cast<nic::rx_drop>(r));
  if (c.rx_offered() + c.rx_replicas() != c.rx_delivered() + drops)
    fuzz::fuzz_fail(fmt::format("port {}: offered {} + replicas {} != delivered {} + dropped {}", p, c.rx_offered(),
                                c.rx_replicas(), c.rx_delivered(), drops));
}

void run(bench& b, fuzz::byte_reader& in) {
  fuzz_machine& m = b.m;
  m.bring_up();
  auto& cpu = m.hw().cpu();
  b.cable.set_port_up(0, true);
  b.cable.set_port_up(1, true);
  for (unsigned n = 0; n < MAX_OPS && !in.empty(); ++n) {
    switch (in.u8() % 11) {
      case 0: {
        const unsigned port = in.u8() & 1;
        const uint32_t off = b.pf_offset(in);
        const unsigned len = fuzz::mmio_width(in.u8());
        const uint64_t v = value_of(in);
        fuzz::trace(fmt::format("pf{} write 0x{:x}/{} = 0x{:x}", port, off, len, v));
        cpu.mmio_write(b.pf_bar0(port) + off, len, v);
        break;
      }
      case 1: {
        const unsigned port = in.u8() & 1;
        const uint32_t off = b.pf_offset(in);
        const unsigned len = fuzz::mmio_width(in.u8());
        check_read(cpu.mmio_read(b.pf_bar0(port) + off, len), len);
        break;
      }
      case 2:
      case 3: {
        const bool write = (in.u8() & 1) == 0;
        const unsigned port = in.u8() & 1;
        const unsigned vf = in.u8();
        const uint32_t off = b.vf_offset(in);
        const unsigned len = fuzz::mmio_width(in.u8());
        if (b.n_vfs[port] == 0) break;
        const uint64_t at = b.vf_bar0(port, vf % b.n_vfs[port]) + off;
        if (write) {
          const uint64_t v = value_of(in);
          fuzz::trace(fmt::format("vf {}.{} write 0x{:x}/{} = 0x{:x}", port, vf % b.n_vfs[port], off, len, v));
          cpu.mmio_write(at, len, v);
        } else {
          check_read(cpu.mmio_read(at, len), len);
        }
        break;
      }
      case 4: {
        const uint64_t at = scratch_page(in.u8()) + (in.u8() % 256) * 16ull;
        uint8_t d[16];
        nic::put_le64(d, value_of(in));
        nic::put_le32(d + 8, static_cast<uint32_t>(value_of(in)));
        nic::put_le32(d + 12, in.u32());
        fuzz::trace(fmt::format("descriptor at 0x{:x}", at));
        cpu.mem_write(at, d, sizeof d);
        break;
      }
      case 5: {
        const unsigned port = in.u8() & 1;
        const uint8_t c = in.u8();
        const unsigned count = c % 65;
        fuzz::trace(fmt::format("port {}: {} VFs", port, count));
        for (const fuzz::function_ref& f : m.functions())
          if (f.pf && f.pf == b.nic.pfs()[port].get()) m.set_vfs(f, count, c & 0x80);
        b.n_vfs[port] = static_cast<unsigned>(b.nic.pfs()[port]->vfs().size());
        // What sriov_enable() does next: the VFs' memory space and bus mastering on.
        for (const fuzz::function_ref& f : m.functions())
          if (dynamic_cast<pcie::virtual_function*>(f.model))
            m.bus().cfg_write(f.bus, f.devfn, pcie::CFG_COMMAND, 2, pcie::COMMAND_MEMORY | pcie::COMMAND_MASTER);
        break;
      }
      case 6:
        inject(b, in);
        break;
      case 7: {
        const unsigned t = in.u16();
        const sc_core::sc_time d =
            t >= 0xf000 ? sc_core::sc_time(t - 0xf000 + 1, sc_core::SC_MS) : sc_core::sc_time(10.0 * t, sc_core::SC_NS);
        fuzz::trace(fmt::format("wait {}", d.to_string()));
        sc_core::wait(d);
        break;
      }
      case 8:
        sane_queue(b, in);
        break;
      case 9: {
        const std::vector<fuzz::mmio_region> regions = m.regions();
        const fuzz::mmio_region& r = regions[in.u8() % regions.size()];
        const uint64_t off = in.u32() % r.size;
        const unsigned len = fuzz::mmio_width(in.u8());
        const uint64_t v = value_of(in);
        fuzz::trace(fmt::format("write {}+0x{:x}/{} = 0x{:x}", r.name, off, len, v));
        cpu.mmio_write(r.base + off, len, v);
        break;
      }
      default: {
        const uint8_t c = in.u8();
        fuzz::trace(fmt::format("link {} {}", c & 1, c & 2 ? "up" : "down"));
        b.cable.set_port_up(c & 1, c & 2);
        break;
      }
    }
  }
  // Let DMA, the wire and interrupts finish; a frame still on the wire is counted when
  // it arrives.
  sc_core::wait(sc_core::sc_time(2, sc_core::SC_MS));
  for (unsigned p = 0; p < 2; ++p) check_port(b, p);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kit::fresh_systemc_context();
  {
    kit::sim_env env(1);
    fuzz_machine m(PLATFORM);
    nic::nic_device* nic = nullptr;
    for (pcie::endpoint* ep : m.hw().endpoints())
      if (auto* n = dynamic_cast<nic::nic_device*>(ep)) nic = n;
    if (!nic || nic->ports() != 2) fuzz::fuzz_fail("no dual-port X540");
    wire::wire cable("cable", 10000);
    nic->core(0).connect(cable, 0);
    nic->core(1).connect(cable, 1);
    bench b{m, *nic, cable};
    fuzz::byte_reader in(data, size);
    fuzz::simulate([&] { run(b, in); });
    // Every injected frame back in its pool (the port copies what it keeps).
    if (b.pool.in_use() != 0) fuzz::fuzz_fail("the NIC kept an injected frame");
  }
  fuzz::after_run();
  return 0;
}
