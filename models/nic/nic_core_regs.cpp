// The register views of the NIC core: the PF's BAR0 and a VF's BAR0 declared as data
// (kit::reg_bank), each handler reading or writing the one piece of core state the
// register shows. Offsets: nic_regs.h.
#include <fmt/format.h>

#include <map>
#include <tuple>

#include "models/nic/nic_core.h"
#include "models/nic/nic_regs.h"

namespace iovsim::nic {

namespace {

uint32_t lo32(uint64_t v) { return static_cast<uint32_t>(v); }

// A bank's index is its function: 0 the PF, 1 + v VF v.
interrupt_block& irq_of(kit::reg_bank& b) { return nic_core::of(b).irq(b.index()); }

// One of a function's interrupt registers (EICR/EICS/EIMS/EIMC/EIAM and the VF's VT*
// twins) as a view onto its interrupt_block.
enum class irq_reg { icr, ics, ims, imc, iam };
kit::reg_def interrupt_reg(irq_reg kind, const std::string& name, uint32_t offset) {
  auto w32 = [](uint64_t v) { return static_cast<uint32_t>(v); };
  kit::reg_def r = kit::reg(name, offset, 4).rw();
  switch (kind) {
    case irq_reg::icr:
      return r.doc("interrupt causes (write 1 to clear)")
          .on_read_fn([offset](kit::reg_bank& b) { b.set(offset, 4, irq_of(b).read_icr()); })
          .on_write_fn([w32](kit::reg_bank& b, uint64_t, uint64_t v) { irq_of(b).write_icr(w32(v)); });
    case irq_reg::ics:
      return r.doc("set interrupt causes").on_write_fn([offset, w32](kit::reg_bank& b, uint64_t, uint64_t v) {
        irq_of(b).write_ics(w32(v));
        b.set(offset, 4, 0);
      });
    case irq_reg::ims:
      return r.doc("interrupt mask set (reads the mask)")
          .on_read_fn([offset](kit::reg_bank& b) { b.set(offset, 4, irq_of(b).read_ims()); })
          .on_write_fn([w32](kit::reg_bank& b, uint64_t, uint64_t v) { irq_of(b).write_ims(w32(v)); });
    case irq_reg::imc:
      return r.doc("interrupt mask clear").on_write_fn([offset, w32](kit::reg_bank& b, uint64_t, uint64_t v) {
        irq_of(b).write_imc(w32(v));
        b.set(offset, 4, 0);
      });
    case irq_reg::iam:
      return r.doc("auto-mask: vectors masked when they fire")
          .on_write_fn([w32](kit::reg_bank& b, uint64_t, uint64_t v) { irq_of(b).write_iam(w32(v)); });
  }
  return r;
}

kit::reg_def throttle_reg(const std::string& name, uint32_t offset, unsigned vector) {
  return kit::reg(name, offset, 4)
      .rw(EITR_INTERVAL_MASK)
      .doc("interrupt throttle: interval [11:3] in 2 us")
      .on_write_fn(
          [vector](kit::reg_bank& b, uint64_t, uint64_t v) { irq_of(b).write_itr(vector, static_cast<uint32_t>(v)); });
}
}  // namespace

// Queue i of function fn's register view: the PF's queue i; a VF's, its pool's queue i
// in the current VT mode (the pool moves with NumVFs) or, beyond the pool or the port,
// the spare queue that nothing serves.
unsigned nic_core::view_queue(unsigned fn, unsigned i) const {
  if (!fn) return i;
  const unsigned q = pool_base(fn) + i;
  return i < queues_per_pool() && queue_exists(q) ? q : m_cfg.queues;
}

ring_state& nic_core::view_ring(kit::reg_bank& b, unsigned i, bool rx) {
  nic_core& c = nic_core::of(b);
  const unsigned q = c.view_queue(b.index(), i);
  return rx ? c.m_rx[q]->ring : c.m_tx_queues[q]->ring;
}

// Queue `n` of a view: RDBAL..RXDCTL at `rx_base` (or TDBAL..TXDCTL at `tx_base`), with
// SRRCTL at +0x14 when `srrctl_in_block` and `after_tail` declaring what sits between
// the tail and the control register (a VF's packet counters).
void nic_core::add_queue_regs(kit::reg_bank& bank, const std::string& prefix, uint32_t rx_base, uint32_t tx_base,
                              unsigned n, bool srrctl_in_block, const std::function<void()>& after_tail) {
  const bool rx = rx_base != 0;
  const uint32_t base = rx ? rx_base : tx_base;
  const std::string p = fmt::format("{}{}", prefix, rx ? "R" : "T");
  // Every handler finds its queue when called: (bank, view queue n, direction).
  const auto changed = [](kit::reg_bank& b, unsigned i, bool is_rx) {
    nic_core& c = nic_core::of(b);
    c.ring_changed(c.view_queue(b.index(), i), !is_rx);
  };
  bank.add(kit::reg(fmt::format("{}DBAL{}", p, n), base + Q_BAL, 4)
               .rw(0xffffff80)
               .doc("descriptor ring base, low (128-byte aligned)")
               .on_read_fn([base, n, rx](kit::reg_bank& b) { b.set(base + Q_BAL, 4, lo32(view_ring(b, n, rx).base)); })
               .on_write_fn([n, rx, changed](kit::reg_bank& b, uint64_t, uint64_t v) {
                 ring_state& ring = view_ring(b, n, rx);
                 ring.base = (ring.base & ~0xffffffffull) | (v & 0xffffff80);
                 changed(b, n, rx);
               }));
  bank.add(kit::reg(fmt::format("{}DBAH{}", p, n), base + Q_BAH, 4)
               .rw()
               .doc("descriptor ring base, high")
               .on_read_fn([base, n, rx](kit::reg_bank& b) { b.set(base + Q_BAH, 4, view_ring(b, n, rx).base >> 32); })
               .on_write_fn([n, rx, changed](kit::reg_bank& b, uint64_t, uint64_t v) {
                 ring_state& ring = view_ring(b, n, rx);
                 ring.base = (ring.base & 0xffffffffull) | (v << 32);
                 changed(b, n, rx);
               }));
  bank.add(kit::reg(fmt::format("{}DLEN{}", p, n), base + Q_LEN, 4)
               .rw(0x000fff80)
               .doc("ring length in bytes (a multiple of 128)")
               .on_read_fn([base, n, rx](kit::reg_bank& b) { b.set(base + Q_LEN, 4, view_ring(b, n, rx).len_bytes); })
               .on_write_fn([n, rx, changed](kit::reg_bank& b, uint64_t, uint64_t v) {
                 view_ring(b, n, rx).len_bytes = static_cast<uint32_t>(v & 0x000fff80);
                 changed(b, n, rx);
               }));
  bank.add(kit::reg(fmt::format("{}DH{}", p, n), base + Q_H, 4)
               .rw(0xffff)
               .doc("head: the next descriptor the hardware uses")
               .on_read_fn([base, n, rx](kit::reg_bank& b) { b.set(base + Q_H, 4, view_ring(b, n, rx).head); })
               .on_write_fn([n, rx, changed](kit::reg_bank& b, uint64_t, uint64_t v) {
                 ring_state& ring = view_ring(b, n, rx);
                 ring.head = ring.count() ? static_cast<uint32_t>(v & 0xffff) % ring.count() : 0;
                 changed(b, n, rx);
               }));
  if (rx && srrctl_in_block) {
    bank.add(kit::reg(fmt::format("{}SRRCTL{}", prefix, n), base + RX_SRRCTL, 4)
                 .rw()
                 .doc("receive buffer size (BSIZEPKT, KiB) and descriptor type")
                 .on_read_fn([base, n](kit::reg_bank& b) {
                   nic_core& c = nic_core::of(b);
                   b.set(base + RX_SRRCTL, 4, c.m_srrctl[c.view_queue(b.index(), n)]);
                 })
                 .on_write_fn([n](kit::reg_bank& b, uint64_t, uint64_t v) {
                   nic_core& c = nic_core::of(b);
                   c.write_srrctl(c.view_queue(b.index(), n), v);
                 }));
  }
  bank.add(kit::reg(fmt::format("{}DT{}", p, n), base + Q_T, 4)
               .rw(0xffff)
               .doc("tail: one past the last descriptor software handed over (the doorbell)")
               .on_read_fn([base, n, rx](kit::reg_bank& b) { b.set(base + Q_T, 4, view_ring(b, n, rx).tail); })
               .on_write_fn([n, rx](kit::reg_bank& b, uint64_t, uint64_t v) {
                 nic_core& c = nic_core::of(b);
                 const unsigned q = c.view_queue(b.index(), n);
                 ring_state& ring = view_ring(b, n, rx);
                 ring.tail = ring.count() ? static_cast<uint32_t>(v & 0xffff) % ring.count() : 0;
                 if (rx || !c.queue_exists(q)) return;
                 // The doorbell: DMA for this queue goes out as its owner (bus numbers
                 // and pools may have changed since the ring was set up).
                 c.m_tx_queues[q]->requester_id = c.m_requester_id(c.owner(q));
                 c.m_tx->doorbell(c.m_tx_queues[q].get());
               }));
  if (after_tail) after_tail();
  bank.add(kit::reg(fmt::format("{}XDCTL{}", p, n), base + Q_DCTL, 4)
               .rw()
               .doc(rx ? "queue control: ENABLE (bit 25), VME (bit 30) strip the VLAN tag"
                       : "queue control: ENABLE (bit 25)")
               .on_write_fn([n, rx, changed](kit::reg_bank& b, uint64_t, uint64_t v) {
                 nic_core& c = nic_core::of(b);
                 const unsigned q = c.view_queue(b.index(), n);
                 ring_state& ring = view_ring(b, n, rx);
                 const bool on = v & DCTL_ENABLE;
                 if (rx && c.queue_exists(q) && on != ring.enabled) c.m_rx_rings_on += on ? 1 : -1;
                 ring.enabled = on;
                 if (rx) c.m_vlan_strip[q] = (v & RXDCTL_VME) != 0;
                 // PTHRESH [6:0], HTHRESH [14:8]: when descriptors are fetched.
                 const auto pthresh = static_cast<uint32_t>(v & DCTL_PTHRESH_MASK);
                 const auto hthresh = static_cast<uint32_t>((v >> DCTL_HTHRESH_SHIFT) & DCTL_PTHRESH_MASK);
                 if (rx) {
                   c.m_rx[q]->set_thresholds(pthresh, hthresh);
                 } else {
                   c.m_tx_queues[q]->pthresh = pthresh;
                   c.m_tx_queues[q]->hthresh = hthresh;
                 }
                 changed(b, n, rx);
               }));
}

// SRRCTL: BSIZEPKT [4:0] is the receive buffer size in KiB (0 keeps the 2 KiB default).
void nic_core::write_srrctl(unsigned q, uint64_t value) {
  m_srrctl[q] = static_cast<uint32_t>(value);
  const uint32_t kib = value & SRRCTL_BSIZEPKT_MASK;
  m_rx[q]->buffer_bytes = (kib ? kib : 2) * 1024;
}

// The PF's BAR0 of a port of this configuration. Its handlers act on the bank's core
// (context) and function (index 0).
void nic_core::build_pf_regs(kit::reg_bank& r, const config& cfg) {
  r.add(kit::reg("CTRL", CTRL, 4)
            .rw()
            .doc("device control: RST (bit 26) resets the port")
            .on_write_fn([](kit::reg_bank& b, uint64_t, uint64_t v) {
              if (v & CTRL_RST) nic_core::of(b).reset();  // self-clearing: reset() restores CTRL's reset value
            }));
  r.add(kit::reg("STATUS", STATUS, 4).doc("device status"));
  add_pf_mailbox_regs(r, cfg, 0);  // CTRL_EXT
  add_pf_mailbox_regs(r, cfg, 1);  // PFMBICR
  r.add(interrupt_reg(irq_reg::icr, "EICR", EICR));
  r.add(interrupt_reg(irq_reg::ics, "EICS", EICS));
  for (unsigned i = 0; i < EITR_COUNT; ++i) r.add(throttle_reg(fmt::format("EITR{}", i), EITR0 + 4 * i, i));
  r.add(interrupt_reg(irq_reg::ims, "EIMS", EIMS));
  r.add(interrupt_reg(irq_reg::imc, "EIMC", EIMC));
  r.add(interrupt_reg(irq_reg::iam, "EIAM", EIAM));
  for (unsigned i = 0; i < (cfg.queues + 1) / 2; ++i)
    r.add(kit::reg(fmt::format("IVAR{}", i), IVAR0 + 4 * i, 4).rw().doc("vectors of queues 2n and 2n+1 (RX, TX)"));
  add_pf_mailbox_regs(r, cfg, 2);  // IVAR_MISC
  // QPRDC(n) sits at +0x30 of RX queue 16+n's block: clear on read
  // (ixgbe_update_stats() adds each read to hw_rx_no_dma_resources).
  const auto add_qprdc = [&r](unsigned n) {
    r.add(kit::reg(fmt::format("QPRDC{}", n), QPRDC0 + QUEUE_STRIDE * n, 4)
              .doc("receive queue drop packet count: no free descriptor (clear on read; RQSMR maps all queues to 0)")
              .on_read_fn([n](kit::reg_bank& b) {
                nic_core& c = nic_core::of(b);
                uint64_t v = 0;
                if (n == 0) {
                  const uint64_t total = c.rx_dropped(rx_drop::no_descriptor);
                  v = total - c.m_qprdc_cleared;
                  c.m_qprdc_cleared = total;
                }
                b.set(QPRDC0 + QUEUE_STRIDE * n, 4, lo32(v));
              }));
  };
  // Pool x's counters sit in RX queue block x (PVFGPRC, PVFGORC_LSB) and block 64 + x
  // (PVFMPRC, PVFGORC_MSB), between the tail and RXDCTL (ixgbe_type.h IXGBE_PVF*).
  using pool_value = uint64_t (*)(const pool_counters&);
  const auto pool_stat = [&r](const std::string& name, uint32_t off, const char* doc, pool_value value, unsigned pool) {
    r.add(kit::reg(name, off, 4).doc(doc).on_read_fn([off, value, pool](kit::reg_bank& b) {
      b.set(off, 4, static_cast<uint32_t>(value(nic_core::of(b).m_switch.counters[pool])));
    }));
  };
  const auto low_stats = [&pool_stat](unsigned x) {
    return [&pool_stat, x] {
      pool_stat(
          fmt::format("PVFGPRC{}", x), PVFGPRC0 + QUEUE_STRIDE * x, "good packets received by pool x",
          [](const pool_counters& c) { return c.rx_packets; }, x);
      pool_stat(
          fmt::format("PVFGORC_LSB{}", x), PVFGORC_LSB0 + QUEUE_STRIDE * x,
          "good octets received by pool x, low 32 bits", [](const pool_counters& c) { return c.rx_octets; }, x);
    };
  };
  const auto high_stats = [&pool_stat](unsigned x) {
    return [&pool_stat, x] {
      pool_stat(
          fmt::format("PVFMPRC{}", x), PVFMPRC0 + QUEUE_STRIDE * x, "multicast packets received by pool x",
          [](const pool_counters& c) { return c.rx_multicast; }, x);
      pool_stat(
          fmt::format("PVFGORC_MSB{}", x), PVFGORC_MSB0 + QUEUE_STRIDE * x,
          "good octets received by pool x, bits 35:32",
          [](const pool_counters& c) -> uint64_t { return (c.rx_octets >> 32) & 0xf; }, x);
    };
  };
  const unsigned low_queues = std::min(cfg.queues, 64u);
  for (unsigned q = 0; q < low_queues; ++q) {
    add_queue_regs(r, "", RX_QUEUE0 + QUEUE_STRIDE * q, 0, q, q >= 16, low_stats(q));
    if (q >= 16 && q < 16 + QPRDC_COUNT) add_qprdc(q - 16);
  }
  for (unsigned n = low_queues > 16 ? low_queues - 16 : 0; n < QPRDC_COUNT; ++n) add_qprdc(n);
  // Queues 0-15 keep SRRCTL in a block of their own (above, it sits in each queue's block).
  for (unsigned q = 0; q < std::min(cfg.queues, 16u); ++q)
    r.add(kit::reg(fmt::format("SRRCTL{}", q), SRRCTL_LOW0 + 4 * q, 4)
              .rw()
              .doc("receive buffer size (BSIZEPKT, KiB)")
              .on_read_fn([q](kit::reg_bank& b) { b.set(SRRCTL_LOW0 + 4 * q, 4, nic_core::of(b).m_srrctl[q]); })
              .on_write_fn([q](kit::reg_bank& b, uint64_t, uint64_t v) { nic_core::of(b).write_srrctl(q, v); }));
  for (unsigned n = 0; n < MPC_COUNT; ++n)
    r.add(kit::reg(fmt::format("MPC{}", n), MPC0 + 4 * n, 4)
              .doc("missed packets: the receive packet buffer was full (clear on read)")
              .on_read_fn([n](kit::reg_bank& b) {
                nic_core& c = nic_core::of(b);
                uint64_t v = 0;
                if (n == 0) {
                  const uint64_t total = c.rx_dropped(rx_drop::packet_buffer_full);
                  v = total - c.m_mpc_cleared;
                  c.m_mpc_cleared = total;
                }
                b.set(MPC0 + 4 * n, 4, lo32(v));
              }));
  r.add(kit::reg("GPRC", GPRC, 4).doc("good packets received").on_read_fn([](kit::reg_bank& b) {
    b.set(GPRC, 4, lo32(nic_core::of(b).m_rx_delivered));
  }));
  r.add(kit::reg("GPTC", GPTC, 4).doc("good packets transmitted").on_read_fn([](kit::reg_bank& b) {
    b.set(GPTC, 4, lo32(nic_core::of(b).m_tx->frames_sent()));
  }));
  r.add(
      kit::reg("LINKS", LINKS, 4).doc("link status: LINK_UP (bit 30), speed [29:28]").on_read_fn([](kit::reg_bank& b) {
        b.set(LINKS, 4, nic_core::of(b).m_link_up ? LINKS_UP | LINKS_SPEED_10G : 0);
      }));
  r.add(kit::reg("RTTDQSEL", RTTDQSEL, 4).rw(0x7f).doc("the transmit queue RTTBCNRC shows and sets"));
  r.add(kit::reg("RTTBCNRC", RTTBCNRC, 4)
            .rw(RTTBCNRC_RS_ENA | RTTBCNRC_RF_MASK)
            .doc("rate limiter of the selected queue: RS_ENA (bit 31), rate factor [23:0] (10.14)")
            .on_read_fn([](kit::reg_bank& b) {
              nic_core& c = nic_core::of(b);
              const auto q = static_cast<unsigned>(b.get(RTTDQSEL, 4)) % c.m_cfg.queues;
              b.set(RTTBCNRC, 4, c.m_tx_queues[q]->rate_limit);
            })
            .on_write_fn([](kit::reg_bank& b, uint64_t, uint64_t v) {
              nic_core& c = nic_core::of(b);
              const auto q = static_cast<unsigned>(b.get(RTTDQSEL, 4)) % c.m_cfg.queues;
              c.m_tx_queues[q]->rate_limit = static_cast<uint32_t>(v);
              c.m_tx->doorbell(c.m_tx_queues[q].get());  // a held queue may be free now
            }));
  add_pf_mailbox_regs(r, cfg, 3);  // PFMAILBOX
  const auto switch_of = [](kit::reg_bank& b) -> nic_switch& { return nic_core::of(b).m_switch; };
  nic_switch::add_regs(r, 0, switch_of);  // FCTRL .. MTA
  const auto invalidate = [](kit::reg_bank& b, uint64_t, uint64_t) { nic_core::of(b).m_switch.invalidate(); };
  r.add(kit::reg("MRQC", MRQC, 4)
            .rw()
            .doc("multiple receive queues: MRQE [3:0] (RSS, VMDq, VMDq+RSS), RSS field selection")
            .on_write_fn(invalidate));
  for (unsigned i = 0; i < 32; ++i)
    r.add(kit::reg(fmt::format("RETA{}", i), RETA0 + 4 * i, 4).rw().doc("RSS redirection: 4 entries"));
  for (unsigned i = 0; i < 10; ++i)
    r.add(kit::reg(fmt::format("RSSRK{}", i), RSSRK0 + 4 * i, 4)
              .rw()
              .doc("RSS key, 4 bytes")
              .on_write_fn([](kit::reg_bank& b, uint64_t, uint64_t) { nic_core::of(b).m_rss_stale = true; }));
  for (unsigned q = 0; q < cfg.queues; ++q) add_queue_regs(r, "", 0, TX_QUEUE0 + QUEUE_STRIDE * q, q, false, nullptr);
  nic_switch::add_regs(r, 1, switch_of);  // VMVIR .. SSVPC
  nic_switch::add_regs(r, 2, switch_of);  // VFTA
  for (unsigned i = 0; i < cfg.rar_entries; ++i) {
    r.add(kit::reg(fmt::format("RAL{}", i), RAL0 + 8 * i, 4)
              .rw()
              .doc("receive address, low 32 bits")
              .on_write_fn(invalidate));
    r.add(kit::reg(fmt::format("RAH{}", i), RAL0 + 8 * i + 4, 4)
              .field("RAH", 0, 16)
              .field("AV", 31)
              .doc("receive address, high 16 bits; AV: valid")
              .on_write_fn(invalidate));
  }
  for (unsigned i = 0; i < cfg.rar_entries; ++i) {
    r.add(kit::reg(fmt::format("MPSAR_LO{}", i), MPSAR_LO0 + 8 * i, 4)
              .rw()
              .doc("pools 0-31 of receive address n")
              .on_write_fn(invalidate));
    r.add(kit::reg(fmt::format("MPSAR_HI{}", i), MPSAR_LO0 + 8 * i + 4, 4)
              .rw()
              .doc("pools 32-63")
              .on_write_fn(invalidate));
  }
  // RX queues 64-127 have their block at 0xD000 (RDBAL(n) = 0x0D000 + 0x40(n - 64)).
  for (unsigned q = 64; q < cfg.queues; ++q)
    add_queue_regs(r, "", RX_QUEUE_HIGH0 + QUEUE_STRIDE * (q - 64), 0, q, true, high_stats(q - 64));
  nic_switch::add_regs(r, 3, switch_of);  // VMOLR .. PFUTA
  nic_switch::add_regs(r, 4, switch_of);  // GCR_EXT
  add_pf_mailbox_regs(r, cfg, 4);         // PFMBMEM
}

// Every VF's BAR0 (16 KiB): handlers act on the bank's core (context) and function
// (index 1 + v).
void nic_core::build_vf_regs(kit::reg_bank& r) {
  r.add(kit::reg("VFCTRL", VFCTRL, 4)
            .rw()
            .doc("VF control: RST (bit 26) resets the VF's queues")
            .on_write_fn([](kit::reg_bank& b, uint64_t, uint64_t v) {
              if (!(v & CTRL_RST)) return;
              nic_core& c = nic_core::of(b);
              const unsigned fn = b.index();
              for (unsigned i = 0; i < c.queues_per_pool(); ++i) {
                const unsigned q = c.pool_base(fn) + i;
                if (!c.queue_exists(q)) break;
                if (c.m_rx[q]->ring.enabled) --c.m_rx_rings_on;
                c.m_rx[q]->ring = ring_state{};
                c.m_rx[q]->restart();
                c.m_tx_queues[q]->ring = ring_state{};
                c.m_tx_queues[q]->restart();
              }
              irq_of(b).reset();
              c.mailbox_reset_vf(fn - 1);
              b.set(VFCTRL, 4, 0);
            }));
  r.add(kit::reg("VFSTATUS", VFSTATUS, 4).doc("VF status"));
  r.add(kit::reg("VFLINKS", VFLINKS, 4).doc("the port's link, as the VF sees it").on_read_fn([](kit::reg_bank& b) {
    b.set(VFLINKS, 4, nic_core::of(b).m_link_up ? LINKS_UP | LINKS_SPEED_10G : 0);
  }));
  r.add(interrupt_reg(irq_reg::icr, "VTEICR", VTEICR));
  r.add(interrupt_reg(irq_reg::ics, "VTEICS", VTEICS));
  r.add(interrupt_reg(irq_reg::ims, "VTEIMS", VTEIMS));
  r.add(interrupt_reg(irq_reg::imc, "VTEIMC", VTEIMC));
  r.add(interrupt_reg(irq_reg::iam, "VTEIAM", VTEIAM));
  for (unsigned i = 0; i < VF_MAX_QUEUES / 2; ++i)
    r.add(kit::reg(fmt::format("VTIVAR{}", i), VTIVAR0 + 4 * i, 4).rw().doc("vectors of queues 2i and 2i+1 (RX, TX)"));
  r.add(kit::reg("VTIVAR_MISC", VTIVAR_MISC, 4).rw().doc("the mailbox's vector"));
  add_vf_mailbox_regs(r);
  for (unsigned i = 0; i < VF_VECTORS; ++i) r.add(throttle_reg(fmt::format("VTEITR{}", i), VTEITR0 + 4 * i, i));
  // The pool's counters (ixgbevf regs.h), free running as on the 82599.
  const auto counter = [&r](const char* name, uint32_t off, const char* doc, uint64_t (*value)(const pool_counters&)) {
    r.add(kit::reg(name, off, 4).doc(doc).on_read_fn([off, value](kit::reg_bank& b) {
      b.set(off, 4, static_cast<uint32_t>(value(nic_core::of(b).m_switch.counters[b.index() - 1])));
    }));
  };
  const auto rx_counters = [&counter] {
    counter("VFGPRC", VFGPRC, "good packets received by the VF's pool",
            [](const pool_counters& c) { return c.rx_packets; });
    counter("VFGORC_LSB", VFGORC_LSB, "good octets received, low 32 bits",
            [](const pool_counters& c) { return c.rx_octets; });
    counter("VFGORC_MSB", VFGORC_MSB, "good octets received, bits 35:32",
            [](const pool_counters& c) -> uint64_t { return (c.rx_octets >> 32) & 0xf; });
  };
  const auto tx_counters = [&counter] {
    counter("VFGPTC", VFGPTC, "good packets transmitted by the VF's pool",
            [](const pool_counters& c) { return c.tx_packets; });
    counter("VFGOTC_LSB", VFGOTC_LSB, "good octets transmitted, low 32 bits",
            [](const pool_counters& c) { return c.tx_octets; });
    counter("VFGOTC_MSB", VFGOTC_MSB, "good octets transmitted, bits 35:32",
            [](const pool_counters& c) -> uint64_t { return (c.tx_octets >> 32) & 0xf; });
  };
  for (unsigned i = 0; i < VF_MAX_QUEUES; ++i) {
    add_queue_regs(r, "VF", VF_RX_QUEUE0 + QUEUE_STRIDE * i, 0, i, true,
                   i == 0 ? std::function<void()>(rx_counters) : nullptr);
    if (i == 0)
      counter("VFMPRC", VFMPRC, "multicast packets received by the VF's pool",
              [](const pool_counters& c) { return c.rx_multicast; });
  }
  for (unsigned i = 0; i < VF_MAX_QUEUES; ++i)
    add_queue_regs(r, "VF", 0, VF_TX_QUEUE0 + QUEUE_STRIDE * i, i, false,
                   i == 0 ? std::function<void()>(tx_counters) : nullptr);
}

// One layout per shape, shared by every port of that shape alive (the 32 ports of a
// rack build it once); every VF's is the same.
std::shared_ptr<const kit::reg_layout> nic_core::pf_layout(const config& cfg) {
  using key = std::tuple<unsigned, unsigned, unsigned, uint32_t>;
  static std::map<key, std::weak_ptr<const kit::reg_layout>> cache;
  const key k{cfg.queues, cfg.max_vfs, cfg.rar_entries, cfg.register_bytes};
  if (auto l = cache[k].lock()) return l;
  kit::reg_bank proto("82599.bar0", cfg.register_bytes);
  build_pf_regs(proto, cfg);
  cache[k] = proto.layout();
  return proto.layout();
}

std::shared_ptr<const kit::reg_layout> nic_core::vf_layout() {
  static std::weak_ptr<const kit::reg_layout> cache;
  if (auto l = cache.lock()) return l;
  kit::reg_bank proto("82599.vf.bar0", VF_BAR0_BYTES);
  build_vf_regs(proto);
  cache = proto.layout();
  return proto.layout();
}

}  // namespace iovsim::nic
