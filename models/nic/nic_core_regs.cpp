// The register views of the NIC core: the PF's BAR0 and a VF's BAR0 declared as data
// (kit::reg_bank), each handler reading or writing the one piece of core state the
// register shows. Offsets: nic_regs.h.
#include <fmt/format.h>

#include "models/nic/nic_core.h"
#include "models/nic/nic_regs.h"

namespace iovsim::nic {

namespace {

uint32_t lo32(uint64_t v) { return static_cast<uint32_t>(v); }

// One of a function's interrupt registers (EICR/EICS/EIMS/EIMC/EIAM and the VF's VT*
// twins) as a view onto its interrupt_block.
enum class irq_reg { icr, ics, ims, imc, iam };
kit::reg_def interrupt_reg(kit::reg_bank& bank, irq_reg kind, const std::string& name, uint32_t offset,
                           std::function<interrupt_block&()> irq) {
  kit::reg_bank* b = &bank;
  auto w32 = [](uint64_t v) { return static_cast<uint32_t>(v); };
  kit::reg_def r = kit::reg(name, offset, 4).rw();
  switch (kind) {
    case irq_reg::icr:
      return r.doc("interrupt causes (write 1 to clear)")
          .on_read_fn([b, offset, irq] { b->set(offset, 4, irq().read_icr()); })
          .on_write_fn([irq, w32](uint64_t, uint64_t v) { irq().write_icr(w32(v)); });
    case irq_reg::ics:
      return r.doc("set interrupt causes").on_write_fn([b, offset, irq, w32](uint64_t, uint64_t v) {
        irq().write_ics(w32(v));
        b->set(offset, 4, 0);
      });
    case irq_reg::ims:
      return r.doc("interrupt mask set (reads the mask)")
          .on_read_fn([b, offset, irq] { b->set(offset, 4, irq().read_ims()); })
          .on_write_fn([irq, w32](uint64_t, uint64_t v) { irq().write_ims(w32(v)); });
    case irq_reg::imc:
      return r.doc("interrupt mask clear").on_write_fn([b, offset, irq, w32](uint64_t, uint64_t v) {
        irq().write_imc(w32(v));
        b->set(offset, 4, 0);
      });
    case irq_reg::iam:
      return r.doc("auto-mask: vectors masked when they fire").on_write_fn([irq, w32](uint64_t, uint64_t v) {
        irq().write_iam(w32(v));
      });
  }
  return r;
}

kit::reg_def throttle_reg(const std::string& name, uint32_t offset, unsigned vector,
                          std::function<interrupt_block&()> irq) {
  return kit::reg(name, offset, 4)
      .rw(EITR_INTERVAL_MASK)
      .doc("interrupt throttle: interval [11:3] in 2 us")
      .on_write_fn([irq, vector](uint64_t, uint64_t v) { irq().write_itr(vector, static_cast<uint32_t>(v)); });
}
}  // namespace

// Queue `n` of a view: RDBAL..RXDCTL at `rx_base` (or TDBAL..TXDCTL at `tx_base`), with
// SRRCTL at +0x14 when `srrctl_in_block` and `after_tail` declaring what sits between
// the tail and the control register (a VF's packet counters). `queue_of()` names the
// core queue the view's queue n is now (a VF's pool moves with NumVFs).
void nic_core::add_queue_regs(kit::reg_bank& bank, const std::string& prefix, uint32_t rx_base, uint32_t tx_base,
                              std::function<unsigned()> queue_of, unsigned n, bool srrctl_in_block,
                              const std::function<void()>& after_tail) {
  const bool rx = rx_base != 0;
  const uint32_t base = rx ? rx_base : tx_base;
  const std::string p = fmt::format("{}{}", prefix, rx ? "R" : "T");
  auto ring = [this, rx, queue_of]() -> ring_state& {
    return rx ? m_rx[queue_of()]->ring : m_tx_queues[queue_of()]->ring;
  };
  auto changed = [this, rx, queue_of] { ring_changed(queue_of(), !rx); };
  kit::reg_bank* b = &bank;
  bank.add(kit::reg(fmt::format("{}DBAL{}", p, n), base + Q_BAL, 4)
               .rw(0xffffff80)
               .doc("descriptor ring base, low (128-byte aligned)")
               .on_read_fn([b, base, ring] { b->set(base + Q_BAL, 4, lo32(ring().base)); })
               .on_write_fn([ring, changed](uint64_t, uint64_t v) {
                 ring().base = (ring().base & ~0xffffffffull) | (v & 0xffffff80);
                 changed();
               }));
  bank.add(kit::reg(fmt::format("{}DBAH{}", p, n), base + Q_BAH, 4)
               .rw()
               .doc("descriptor ring base, high")
               .on_read_fn([b, base, ring] { b->set(base + Q_BAH, 4, ring().base >> 32); })
               .on_write_fn([ring, changed](uint64_t, uint64_t v) {
                 ring().base = (ring().base & 0xffffffffull) | (v << 32);
                 changed();
               }));
  bank.add(kit::reg(fmt::format("{}DLEN{}", p, n), base + Q_LEN, 4)
               .rw(0x000fff80)
               .doc("ring length in bytes (a multiple of 128)")
               .on_read_fn([b, base, ring] { b->set(base + Q_LEN, 4, ring().len_bytes); })
               .on_write_fn([ring, changed](uint64_t, uint64_t v) {
                 ring().len_bytes = static_cast<uint32_t>(v & 0x000fff80);
                 changed();
               }));
  bank.add(kit::reg(fmt::format("{}DH{}", p, n), base + Q_H, 4)
               .rw(0xffff)
               .doc("head: the next descriptor the hardware uses")
               .on_read_fn([b, base, ring] { b->set(base + Q_H, 4, ring().head); })
               .on_write_fn([ring, changed](uint64_t, uint64_t v) {
                 ring().head = ring().count() ? static_cast<uint32_t>(v & 0xffff) % ring().count() : 0;
                 changed();
               }));
  if (rx && srrctl_in_block) {
    bank.add(kit::reg(fmt::format("{}SRRCTL{}", prefix, n), base + RX_SRRCTL, 4)
                 .rw()
                 .doc("receive buffer size (BSIZEPKT, KiB) and descriptor type")
                 .on_read_fn([this, b, base, queue_of] { b->set(base + RX_SRRCTL, 4, m_srrctl[queue_of()]); })
                 .on_write_fn([this, queue_of](uint64_t, uint64_t v) { write_srrctl(queue_of(), v); }));
  }
  bank.add(kit::reg(fmt::format("{}DT{}", p, n), base + Q_T, 4)
               .rw(0xffff)
               .doc("tail: one past the last descriptor software handed over (the doorbell)")
               .on_read_fn([b, base, ring] { b->set(base + Q_T, 4, ring().tail); })
               .on_write_fn([this, rx, ring, queue_of](uint64_t, uint64_t v) {
                 ring().tail = ring().count() ? static_cast<uint32_t>(v & 0xffff) % ring().count() : 0;
                 if (rx || !queue_exists(queue_of())) return;
                 // The doorbell: DMA for this queue goes out as its owner (bus numbers
                 // and pools may have changed since the ring was set up).
                 m_tx_queues[queue_of()]->requester_id = m_requester_id(owner(queue_of()));
                 m_tx->doorbell(m_tx_queues[queue_of()].get());
               }));
  if (after_tail) after_tail();
  bank.add(kit::reg(fmt::format("{}XDCTL{}", p, n), base + Q_DCTL, 4)
               .rw()
               .doc(rx ? "queue control: ENABLE (bit 25), VME (bit 30) strip the VLAN tag"
                       : "queue control: ENABLE (bit 25)")
               .on_write_fn([this, rx, queue_of, ring, changed](uint64_t, uint64_t v) {
                 ring().enabled = v & DCTL_ENABLE;
                 if (rx) m_vlan_strip[queue_of()] = (v & RXDCTL_VME) != 0;
                 // PTHRESH [6:0], HTHRESH [14:8]: when descriptors are fetched.
                 const auto pthresh = static_cast<uint32_t>(v & DCTL_PTHRESH_MASK);
                 const auto hthresh = static_cast<uint32_t>((v >> DCTL_HTHRESH_SHIFT) & DCTL_PTHRESH_MASK);
                 if (rx) {
                   m_rx[queue_of()]->set_thresholds(pthresh, hthresh);
                 } else {
                   m_tx_queues[queue_of()]->pthresh = pthresh;
                   m_tx_queues[queue_of()]->hthresh = hthresh;
                 }
                 changed();
               }));
}

// SRRCTL: BSIZEPKT [4:0] is the receive buffer size in KiB (0 keeps the 2 KiB default).
void nic_core::write_srrctl(unsigned q, uint64_t value) {
  m_srrctl[q] = static_cast<uint32_t>(value);
  const uint32_t kib = value & SRRCTL_BSIZEPKT_MASK;
  m_rx[q]->buffer_bytes = (kib ? kib : 2) * 1024;
}

void nic_core::build_pf_regs() {
  kit::reg_bank& r = m_pf_regs;
  r.add(kit::reg("CTRL", CTRL, 4)
            .rw()
            .doc("device control: RST (bit 26) resets the port")
            .on_write_fn([this](uint64_t, uint64_t v) {
              if (v & CTRL_RST) reset();  // self-clearing: reset() restores CTRL's reset value
            }));
  r.add(kit::reg("STATUS", STATUS, 4).doc("device status"));
  add_pf_mailbox_regs(0);  // CTRL_EXT
  add_pf_mailbox_regs(1);  // PFMBICR
  const std::function<interrupt_block&()> irq = [this]() -> interrupt_block& { return *m_irq[0]; };
  r.add(interrupt_reg(r, irq_reg::icr, "EICR", EICR, irq));
  r.add(interrupt_reg(r, irq_reg::ics, "EICS", EICS, irq));
  for (unsigned i = 0; i < EITR_COUNT; ++i) r.add(throttle_reg(fmt::format("EITR{}", i), EITR0 + 4 * i, i, irq));
  r.add(interrupt_reg(r, irq_reg::ims, "EIMS", EIMS, irq));
  r.add(interrupt_reg(r, irq_reg::imc, "EIMC", EIMC, irq));
  r.add(interrupt_reg(r, irq_reg::iam, "EIAM", EIAM, irq));
  for (unsigned i = 0; i < (m_cfg.queues + 1) / 2; ++i)
    r.add(kit::reg(fmt::format("IVAR{}", i), IVAR0 + 4 * i, 4).rw().doc("vectors of queues 2n and 2n+1 (RX, TX)"));
  add_pf_mailbox_regs(2);  // IVAR_MISC
  // QPRDC(n) sits at +0x30 of RX queue 16+n's block: clear on read
  // (ixgbe_update_stats() adds each read to hw_rx_no_dma_resources).
  const auto add_qprdc = [this, &r](unsigned n) {
    r.add(kit::reg(fmt::format("QPRDC{}", n), QPRDC0 + QUEUE_STRIDE * n, 4)
              .doc("receive queue drop packet count: no free descriptor (clear on read; RQSMR maps all queues to 0)")
              .on_read_fn([this, &r, n] {
                uint64_t v = 0;
                if (n == 0) {
                  const uint64_t total = rx_dropped(rx_drop::no_descriptor);
                  v = total - m_qprdc_cleared;
                  m_qprdc_cleared = total;
                }
                r.set(QPRDC0 + QUEUE_STRIDE * n, 4, lo32(v));
              }));
  };
  // Pool x's counters sit in RX queue block x (PVFGPRC, PVFGORC_LSB) and block 64 + x
  // (PVFMPRC, PVFGORC_MSB), between the tail and RXDCTL (ixgbe_type.h IXGBE_PVF*).
  const auto pool_stat = [this, &r](const std::string& name, uint32_t off, const char* doc,
                                    std::function<uint64_t(const pool_counters&)> value, unsigned pool) {
    r.add(kit::reg(name, off, 4).doc(doc).on_read_fn([this, &r, off, value, pool] {
      r.set(off, 4, static_cast<uint32_t>(value(m_switch.counters[pool])));
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
          [](const pool_counters& c) { return (c.rx_octets >> 32) & 0xf; }, x);
    };
  };
  const unsigned low_queues = std::min(m_cfg.queues, 64u);
  for (unsigned q = 0; q < low_queues; ++q) {
    add_queue_regs(
        r, "", RX_QUEUE0 + QUEUE_STRIDE * q, 0, [q] { return q; }, q, q >= 16, low_stats(q));
    if (q >= 16 && q < 16 + QPRDC_COUNT) add_qprdc(q - 16);
  }
  for (unsigned n = low_queues > 16 ? low_queues - 16 : 0; n < QPRDC_COUNT; ++n) add_qprdc(n);
  // Queues 0-15 keep SRRCTL in a block of their own (above, it sits in each queue's block).
  for (unsigned q = 0; q < std::min(m_cfg.queues, 16u); ++q)
    r.add(kit::reg(fmt::format("SRRCTL{}", q), SRRCTL_LOW0 + 4 * q, 4)
              .rw()
              .doc("receive buffer size (BSIZEPKT, KiB)")
              .on_read_fn([this, &r, q] { r.set(SRRCTL_LOW0 + 4 * q, 4, m_srrctl[q]); })
              .on_write_fn([this, q](uint64_t, uint64_t v) { write_srrctl(q, v); }));
  for (unsigned n = 0; n < MPC_COUNT; ++n)
    r.add(kit::reg(fmt::format("MPC{}", n), MPC0 + 4 * n, 4)
              .doc("missed packets: the receive packet buffer was full (clear on read)")
              .on_read_fn([this, &r, n] {
                uint64_t v = 0;
                if (n == 0) {
                  const uint64_t total = rx_dropped(rx_drop::packet_buffer_full);
                  v = total - m_mpc_cleared;
                  m_mpc_cleared = total;
                }
                r.set(MPC0 + 4 * n, 4, lo32(v));
              }));
  r.add(kit::reg("GPRC", GPRC, 4).doc("good packets received").on_read_fn([this, &r] {
    r.set(GPRC, 4, lo32(m_rx_delivered));
  }));
  r.add(kit::reg("GPTC", GPTC, 4).doc("good packets transmitted").on_read_fn([this, &r] {
    r.set(GPTC, 4, lo32(m_tx->frames_sent()));
  }));
  r.add(kit::reg("LINKS", LINKS, 4).doc("link status: LINK_UP (bit 30), speed [29:28]").on_read_fn([this, &r] {
    r.set(LINKS, 4, m_link_up ? LINKS_UP | LINKS_SPEED_10G : 0);
  }));
  r.add(kit::reg("RTTDQSEL", RTTDQSEL, 4).rw(0x7f).doc("the transmit queue RTTBCNRC shows and sets"));
  r.add(kit::reg("RTTBCNRC", RTTBCNRC, 4)
            .rw(RTTBCNRC_RS_ENA | RTTBCNRC_RF_MASK)
            .doc("rate limiter of the selected queue: RS_ENA (bit 31), rate factor [23:0] (10.14)")
            .on_read_fn([this, &r] {
              const auto q = static_cast<unsigned>(r.get(RTTDQSEL, 4)) % m_cfg.queues;
              r.set(RTTBCNRC, 4, m_tx_queues[q]->rate_limit);
            })
            .on_write_fn([this, &r](uint64_t, uint64_t v) {
              const auto q = static_cast<unsigned>(r.get(RTTDQSEL, 4)) % m_cfg.queues;
              m_tx_queues[q]->rate_limit = static_cast<uint32_t>(v);
              m_tx->doorbell(m_tx_queues[q].get());  // a held queue may be free now
            }));
  add_pf_mailbox_regs(3);  // PFMAILBOX
  m_switch.add_regs(r, 0);  // FCTRL .. MTA
  r.add(kit::reg("MRQC", MRQC, 4)
            .rw()
            .doc("multiple receive queues: MRQE [3:0] (RSS, VMDq, VMDq+RSS), RSS field selection")
            .on_write_fn([this](uint64_t, uint64_t) { m_switch.invalidate(); }));
  for (unsigned i = 0; i < 32; ++i)
    r.add(kit::reg(fmt::format("RETA{}", i), RETA0 + 4 * i, 4).rw().doc("RSS redirection: 4 entries"));
  for (unsigned i = 0; i < 10; ++i)
    r.add(kit::reg(fmt::format("RSSRK{}", i), RSSRK0 + 4 * i, 4)
              .rw()
              .doc("RSS key, 4 bytes")
              .on_write_fn([this](uint64_t, uint64_t) { m_rss_stale = true; }));
  for (unsigned q = 0; q < m_cfg.queues; ++q)
    add_queue_regs(
        r, "", 0, TX_QUEUE0 + QUEUE_STRIDE * q, [q] { return q; }, q, false, nullptr);
  m_switch.add_regs(r, 1);  // VMVIR .. SSVPC
  m_switch.add_regs(r, 2);  // VFTA
  const auto rar_changed = [this](uint64_t, uint64_t) { m_switch.invalidate(); };
  for (unsigned i = 0; i < m_cfg.rar_entries; ++i) {
    r.add(kit::reg(fmt::format("RAL{}", i), RAL0 + 8 * i, 4)
              .rw()
              .doc("receive address, low 32 bits")
              .on_write_fn(rar_changed));
    r.add(kit::reg(fmt::format("RAH{}", i), RAL0 + 8 * i + 4, 4)
              .field("RAH", 0, 16)
              .field("AV", 31)
              .doc("receive address, high 16 bits; AV: valid")
              .on_write_fn(rar_changed));
  }
  for (unsigned i = 0; i < m_cfg.rar_entries; ++i) {
    r.add(kit::reg(fmt::format("MPSAR_LO{}", i), MPSAR_LO0 + 8 * i, 4)
              .rw()
              .doc("pools 0-31 of receive address n")
              .on_write_fn(rar_changed));
    r.add(kit::reg(fmt::format("MPSAR_HI{}", i), MPSAR_LO0 + 8 * i + 4, 4)
              .rw()
              .doc("pools 32-63")
              .on_write_fn(rar_changed));
  }
  // RX queues 64-127 have their block at 0xD000 (RDBAL(n) = 0x0D000 + 0x40(n - 64)).
  for (unsigned q = 64; q < m_cfg.queues; ++q)
    add_queue_regs(
        r, "", RX_QUEUE_HIGH0 + QUEUE_STRIDE * (q - 64), 0, [q] { return q; }, q, true, high_stats(q - 64));
  m_switch.add_regs(r, 3);  // VMOLR .. PFUTA
  m_switch.add_regs(r, 4);  // GCR_EXT
  add_pf_mailbox_regs(4);  // PFMBMEM
}

std::unique_ptr<kit::reg_bank> nic_core::build_vf_regs(unsigned vf) {
  auto bank = std::make_unique<kit::reg_bank>(fmt::format("{}.vf{}", name(), vf), VF_BAR0_BYTES);
  kit::reg_bank& r = *bank;
  const unsigned fn = 1 + vf;
  const std::function<interrupt_block&()> irq = [this, fn]() -> interrupt_block& { return *m_irq[fn]; };
  r.add(kit::reg("VFCTRL", VFCTRL, 4)
            .rw()
            .doc("VF control: RST (bit 26) resets the VF's queues")
            .on_write_fn([this, &r, fn, irq](uint64_t, uint64_t v) {
              if (!(v & CTRL_RST)) return;
              for (unsigned i = 0; i < queues_per_pool(); ++i) {
                const unsigned q = pool_base(fn) + i;
                if (!queue_exists(q)) break;
                m_rx[q]->ring = ring_state{};
                m_rx[q]->restart();
                m_tx_queues[q]->ring = ring_state{};
                m_tx_queues[q]->restart();
              }
              irq().reset();
              mailbox_reset_vf(fn - 1);
              r.set(VFCTRL, 4, 0);
            }));
  r.add(kit::reg("VFSTATUS", VFSTATUS, 4).doc("VF status"));
  r.add(kit::reg("VFLINKS", VFLINKS, 4).doc("the port's link, as the VF sees it").on_read_fn([this, &r] {
    r.set(VFLINKS, 4, m_link_up ? LINKS_UP | LINKS_SPEED_10G : 0);
  }));
  r.add(interrupt_reg(r, irq_reg::icr, "VTEICR", VTEICR, irq));
  r.add(interrupt_reg(r, irq_reg::ics, "VTEICS", VTEICS, irq));
  r.add(interrupt_reg(r, irq_reg::ims, "VTEIMS", VTEIMS, irq));
  r.add(interrupt_reg(r, irq_reg::imc, "VTEIMC", VTEIMC, irq));
  r.add(interrupt_reg(r, irq_reg::iam, "VTEIAM", VTEIAM, irq));
  for (unsigned i = 0; i < VF_MAX_QUEUES / 2; ++i)
    r.add(kit::reg(fmt::format("VTIVAR{}", i), VTIVAR0 + 4 * i, 4).rw().doc("vectors of queues 2i and 2i+1 (RX, TX)"));
  r.add(kit::reg("VTIVAR_MISC", VTIVAR_MISC, 4).rw().doc("the mailbox's vector"));
  add_vf_mailbox_regs(r, vf);
  for (unsigned i = 0; i < VF_VECTORS; ++i) r.add(throttle_reg(fmt::format("VTEITR{}", i), VTEITR0 + 4 * i, i, irq));
  // The pool's counters (ixgbevf regs.h), free running as on the 82599.
  const auto counter = [this, &r, fn](const char* name, uint32_t off, const char* doc,
                                      uint64_t (*value)(const pool_counters&)) {
    r.add(kit::reg(name, off, 4).doc(doc).on_read_fn([this, &r, fn, off, value] {
      r.set(off, 4, static_cast<uint32_t>(value(m_switch.counters[fn - 1])));
    }));
  };
  const auto rx_counters = [&counter] {
    counter("VFGPRC", VFGPRC, "good packets received by the VF's pool",
            [](const pool_counters& c) { return c.rx_packets; });
    counter("VFGORC_LSB", VFGORC_LSB, "good octets received, low 32 bits",
            [](const pool_counters& c) { return c.rx_octets; });
    counter("VFGORC_MSB", VFGORC_MSB, "good octets received, bits 35:32",
            [](const pool_counters& c) { return (c.rx_octets >> 32) & 0xf; });
  };
  const auto tx_counters = [&counter] {
    counter("VFGPTC", VFGPTC, "good packets transmitted by the VF's pool",
            [](const pool_counters& c) { return c.tx_packets; });
    counter("VFGOTC_LSB", VFGOTC_LSB, "good octets transmitted, low 32 bits",
            [](const pool_counters& c) { return c.tx_octets; });
    counter("VFGOTC_MSB", VFGOTC_MSB, "good octets transmitted, bits 35:32",
            [](const pool_counters& c) { return (c.tx_octets >> 32) & 0xf; });
  };
  // Queue i of the view is its pool's queue i in the current VT mode; beyond the pool
  // (or the port), the spare queue that nothing serves.
  const auto queue_of = [this, fn](unsigned i) {
    return [this, fn, i] {
      const unsigned q = pool_base(fn) + i;
      return i < queues_per_pool() && queue_exists(q) ? q : m_cfg.queues;
    };
  };
  for (unsigned i = 0; i < VF_MAX_QUEUES; ++i) {
    add_queue_regs(r, "VF", VF_RX_QUEUE0 + QUEUE_STRIDE * i, 0, queue_of(i), i, true,
                   i == 0 ? std::function<void()>(rx_counters) : nullptr);
    if (i == 0)
      counter("VFMPRC", VFMPRC, "multicast packets received by the VF's pool",
              [](const pool_counters& c) { return c.rx_multicast; });
  }
  for (unsigned i = 0; i < VF_MAX_QUEUES; ++i)
    add_queue_regs(r, "VF", 0, VF_TX_QUEUE0 + QUEUE_STRIDE * i, queue_of(i), i, false,
                   i == 0 ? std::function<void()>(tx_counters) : nullptr);
  return bank;
}

}  // namespace iovsim::nic
