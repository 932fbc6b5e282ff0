// The NIC core of one port (QEMU igb's split: the core owns every piece of state; the
// PF's BAR0 and each VF's BAR0 are register views onto it, a VF keeps nothing of its
// own). What it holds:
//  - queue pairs (`queues`), each an rx_queue and a tx_queue, grouped into pools as
//    software set the VT mode (GCR_EXT: 64 pools of 2 queues, 32 of 4, 16 of 8; the
//    config's `queues_per_pool` until it does): pool v (queues v*qpp..) is VF v's,
//    the pools after the VFs' the PF's (ixgbe's VMDQ_P(0), REFERENCE.md section 3).
//    The PF's view addresses every queue by its absolute index (RDBAL(n)...), a VF's
//    view its own pool's (VFRDBAL(0)...).
//  - the embedded switch (nic_switch.h): receive addresses, multicast/unicast hash
//    tables, VLAN filters, per-pool offload bits, anti-spoofing, port VLANs, local
//    switching, all decoded from the registers. Each pool a frame goes to gets a copy
//    of its own: its own descriptor, data DMA and write-back by that function's
//    requester ID, counted in the books as a replica.
//  - RSS (MRQC field selection, RSSRK key, RETA) over the PF's queues, or inside the
//    PF's pool in VT mode with MRQC's VMDq+RSS modes; VFs receive on their pool's
//    first queue (VF RSS through PSRTYPE.RQPL is not modelled).
//  - interrupts per function (PF EICR/EIMS/EITR..., VF VTEICR/...), queues mapped to
//    vectors by IVAR / VTIVAR, moderated, sent through `msix(fn, vector)`.
//  - the port's transmit engine (with the per-queue rate limiter, RTTBCNRC) and the
//    wire it is cabled to.
// Functions are numbered 0 (PF) and 1 + v (VF v); `requester_id(fn)` gives the
// routing ID DMA goes out with.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <systemc>
#include <vector>

#include "models/kit/param.h"
#include "models/kit/reg_bank.h"
#include "models/kit/ring.h"
#include "models/kit/series.h"
#include "models/kit/stats.h"
#include "models/net/frame.h"
#include "models/net/toeplitz.h"
#include "models/nic/dma_port.h"
#include "models/nic/interrupts.h"
#include "models/nic/nic_switch.h"
#include "models/nic/rx_queue.h"
#include "models/nic/tx_engine.h"
#include "models/wire/wire.h"

namespace iovsim::nic {

class nic_core : public sc_core::sc_module, public wire::wire_end {
 public:
  struct config {
    unsigned queues = 128;         // queue pairs (82599, X540: 128, enough for 63 VF pools of 2 and the PF's)
    unsigned queues_per_pool = 2;  // before software sets GCR_EXT.VT_MODE: 64 pools of 2
    unsigned max_vfs = 63;
    unsigned rar_entries = 128;     // receive-address registers (profile mac_filters)
    uint64_t mac = 0;               // the port's permanent address, in RAL/RAH(0) at reset
    // The part of the PF's BAR0 the register map covers: every register modelled lies
    // below 80 KiB (the last, PFMBMEM(63), ends at 0x13FFF); the rest reads 0 and
    // ignores writes.
    uint32_t register_bytes = 0x14000;
  };
  nic_core(sc_core::sc_module_name name, const config& cfg, dma_port& dma,
           std::function<uint16_t(unsigned)> requester_id, std::function<void(unsigned fn, unsigned vector)> msix);

  // The PF's BAR0 and VF v's BAR0 (16 KiB).
  uint64_t pf_read(uint32_t offset, unsigned len) { return m_pf_regs.read(offset, len); }
  void pf_write(uint32_t offset, unsigned len, uint64_t value) { m_pf_regs.write(offset, len, value); }
  uint64_t vf_read(unsigned vf, uint32_t offset, unsigned len);
  void vf_write(unsigned vf, uint32_t offset, unsigned len, uint64_t value);
  kit::reg_bank& pf_regs() { return m_pf_regs; }
  // The core a bank of its register layouts belongs to (the handlers' context).
  static nic_core& of(kit::reg_bank& bank) { return bank.context<nic_core>(); }

  // SR-IOV VF Enable with `n` VFs (0: disabled): the queues are pooled.
  void set_num_vfs(unsigned n);
  unsigned num_vfs() const { return m_num_vfs; }
  // Conventional reset: registers, queues and interrupts to their reset state.
  void reset();

  void connect(wire::wire& w, unsigned side);
  void frame_arrived(net::frame_ptr f) override;
  void link_changed(bool up) override { m_link_up = up; }
  bool link_up() const { return m_link_up; }

  // The switch: its decisions, per-pool counters, SSVPC.
  nic_switch& sw() { return m_switch; }
  const nic_switch& sw() const { return m_switch; }
  // The pool layout as the registers set it now.
  unsigned queues_per_pool() const { return m_switch.queues_per_pool(); }
  unsigned pool_of_queue(unsigned queue) const;
  unsigned function_of_pool(unsigned pool) const;  // 0 the PF, 1 + v VF v

  // Conservation (DESIGN.md 9): frames offered by the wire + frames looped back from
  // local pools + copies made for more pools = delivered + dropped (per reason).
  uint64_t rx_offered() const { return m_rx_offered; }
  uint64_t rx_looped() const { return m_rx_looped; }
  uint64_t rx_replicas() const { return m_rx_replicas; }
  uint64_t rx_delivered() const { return m_rx_delivered; }
  uint64_t rx_dropped(rx_drop reason) const { return m_rx_dropped[static_cast<size_t>(reason)]; }
  uint64_t tx_frames() const { return m_tx->frames_sent(); }  // onto the wire
  // Transmitted frames the switch kept off the wire: delivered locally only (a
  // unicast for a local pool), and dropped by anti-spoofing (per reason).
  uint64_t tx_local_only() const { return m_tx_local_only; }
  uint64_t tx_dropped(tx_drop reason) const { return m_tx_dropped[static_cast<size_t>(reason)]; }
  uint64_t mailbox_messages() const { return m_mbx_messages; }
  rx_queue& rxq(unsigned q) { return *m_rx[q]; }
  tx_queue& txq(unsigned q) { return *m_tx_queues[q]; }
  interrupt_block& irq(unsigned fn) { return *m_irq[fn]; }
  const config& cfg() const { return m_cfg; }

 private:
  unsigned owner(unsigned queue) const;  // the function whose pool holds `queue`
  unsigned pool_base(unsigned fn) const;
  unsigned vector_of(unsigned fn, unsigned queue, bool tx) const;
  void rx_done(unsigned fn, unsigned queue, const sc_core::sc_time& at);
  // Every pool of `v` gets its copy (RSS and VLAN stripping per pool); returns when
  // the last copy's write-back is in memory (zero when none was written).
  sc_core::sc_time switch_frame(const net::frame& f, const nic_switch::verdict& v);
  // One copy to one queue of function `fn`; false when it was dropped. `done`: when
  // its write-back is in memory.
  bool deliver(const net::frame& f, unsigned fn, unsigned queue, uint8_t rss_type, uint32_t rss_hash, bool strip,
               uint16_t tci, sc_core::sc_time& done);
  tx_engine::action tx_decide(tx_queue& q, net::frame& f);
  tx_engine::action tx_switch(tx_queue& q, net::frame& f);
  void tx_local(tx_queue& q, const net::frame& f);
  bool queue_exists(unsigned q) const { return q < m_cfg.queues; }
  // The register views (nic_core_regs.cpp) are layouts shared by every core of a
  // shape: handlers act on the bank's context (the core) and index (the function).
  static const config& checked(config& cfg, const char* name);
  static std::shared_ptr<const kit::reg_layout> pf_layout(const config& cfg);
  static std::shared_ptr<const kit::reg_layout> vf_layout();
  static void build_pf_regs(kit::reg_bank& r, const config& cfg);
  static void build_vf_regs(kit::reg_bank& r);
  static void add_queue_regs(kit::reg_bank& bank, const std::string& prefix, uint32_t rx_base, uint32_t tx_base,
                             unsigned index, bool srrctl_in_block, const std::function<void()>& after_tail);
  unsigned view_queue(unsigned fn, unsigned i) const;
  static ring_state& view_ring(kit::reg_bank& b, unsigned i, bool rx);
  void ring_changed(unsigned q, bool tx);
  void update_rss_key() const;
  void write_srrctl(unsigned q, uint64_t value);
  // The PF-VF mailbox (nic_core_mbx.cpp): 16 words per VF both sides see, the lock
  // bits, the VF's read-to-clear status bits, the PF's per-VF request/ack causes.
  struct mailbox {
    std::array<uint32_t, 16> mem{};
    bool vfu = false, pfu = false;  // who holds the buffer
    bool pfsts = false, pfack = false, rstd = false;
  };
  static void add_pf_mailbox_regs(kit::reg_bank& r, const config& cfg, unsigned part);
  static void add_vf_mailbox_regs(kit::reg_bank& r);
  void mailbox_reset_vf(unsigned vf);
  void pf_other_cause();               // the PF's "other" vector (IVAR_MISC)
  void vf_mailbox_cause(unsigned vf);  // the VF's mailbox vector (VTIVAR_MISC)
  // The time series (nic_core_series.cpp): a function's tracks and what they read.
  void add_series_tracks();
  void wake_series_tracks(unsigned vfs);          // VFs 0..vfs-1 are (or were) enabled: their tracks are read
  void wake_ring_gauge(unsigned vf) const;        // software touched an enabled VF's registers
  static constexpr unsigned TRACKS_PER_FUNCTION = 4;  // rx bytes, tx bytes, rx drops, the ring gauge
  kit::series_track& function_track(unsigned fn, unsigned k) const;
  std::string function_label(unsigned fn) const;  // its address: "01:00.0" ("b 01:00.0" in a world)
  double rx_free_descriptors(unsigned fn) const;  // handed to the hardware, over its enabled RX rings

  config m_cfg;
  dma_port& m_dma;
  std::function<uint16_t(unsigned)> m_requester_id;
  std::function<void(unsigned, unsigned)> m_msix;
  net::frame_pool m_pool{64};  // frames in the transmit buffer; grows if a run needs more
  // Built from RSSRK when a frame first needs it after software wrote the key (ixgbe
  // writes it in ten words: one build, not ten), never per frame.
  mutable std::unique_ptr<net::toeplitz> m_rss;  // 36 KiB of tables: made when a frame first needs them
  mutable bool m_rss_stale = true;
  net::frame_ptr m_strip;  // a copy with its VLAN tag stripped, reused frame after frame
  // The receive packet buffer (82599 data sheet 1.3: 512 KB of Rx packet buffer, all of
  // it one traffic class without DCB): a frame from the wire waits there until the last
  // of its copies is written to host memory. Frames leave in arrival order (when each
  // would release its space, made monotonic); a frame that does not fit is dropped
  // whole, once, before any copy (the MAC's missed packets). With replication this is
  // what caps delivery at what PCIe carries: every pool sees the same frames.
  struct buffered {
    sc_core::sc_time leaves;
    uint32_t bytes;
  };
  kit::grow_ring<buffered> m_rx_buffer{64};
  uint64_t m_rx_buffered = 0;
  sc_core::sc_time m_rx_buffer_last;
  kit::scope m_scope{name(), "nic"};

 public:
  kit::param<unsigned> rx_buffer_bytes{m_scope,
                                       "rx_buffer_bytes",
                                       512 * 1024,
                                       "bytes",
                                       "receive packet buffer: frames from the wire waiting for their DMA",
                                       {16 * 1024, 1u << 24}};
  // The per-queue on-chip receive descriptor buffer: what one fetch can fill. The
  // 82599's size is not in the sources at hand; RXDCTL.PTHRESH takes values up to 32
  // (82598 data sheet 4.4.3.5.6), a threshold below the buffer's size: at least 32.
  kit::param<unsigned> rx_desc_cache{m_scope,
                                     "rx_desc_cache",
                                     32,
                                     "descriptors",
                                     "per-queue on-chip receive descriptor buffer (what one fetch can fill)",
                                     {1, 256}};

 private:
  std::vector<std::unique_ptr<rx_queue>> m_rx;
  std::vector<std::unique_ptr<tx_queue>> m_tx_queues;
  std::vector<uint32_t> m_srrctl;  // per queue
  interrupt_scheduler m_irq_sched{"irq"};
  std::vector<std::unique_ptr<interrupt_block>> m_irq;  // per function
  std::unique_ptr<tx_engine> m_tx;
  kit::reg_bank m_pf_regs;
  nic_switch m_switch;
  mutable std::vector<std::unique_ptr<kit::reg_bank>> m_vf_regs;  // built on first use: vf_regs()
  // VF `vf`'s register bank, built the first time it is needed: a bank just built is
  // in its reset state, the state an untouched VF's would be in.
  kit::reg_bank& vf_regs(unsigned vf) const {
    if (!m_vf_regs[vf]) {
      m_vf_regs[vf] = std::make_unique<kit::reg_bank>(std::string(name()) + ".vf" + std::to_string(vf), vf_layout(),
                                                      const_cast<nic_core*>(this), 1 + vf);
      if (vf < m_num_vfs) wake_ring_gauge(vf);
    }
    return *m_vf_regs[vf];
  }
  unsigned m_num_vfs = 0;
  std::vector<mailbox> m_mbx;         // by VF (max_vfs)
  std::array<uint32_t, 4> m_mbicr{};  // PFMBICR: VFREQ / VFACK bits
  uint64_t m_mbx_messages = 0;
  bool m_link_up = false;
  uint64_t m_rx_offered = 0, m_rx_delivered = 0, m_rx_replicas = 0, m_rx_looped = 0;
  uint64_t m_tx_local_only = 0;
  std::array<uint64_t, static_cast<size_t>(tx_drop::count)> m_tx_dropped{};
  std::vector<uint8_t> m_vlan_strip;                  // per queue: RXDCTL.VME
  int m_rx_rings_on =
      0;  // the port's RX rings with RXDCTL.ENABLE set, not the spare (ring gauges skip a port with none)
  uint64_t m_trace_rx_seq = 0, m_trace_drop_seq = 0;  // trace sampling (trace.sample_every)
  uint64_t m_qprdc_cleared = 0;  // no-descriptor drops QPRDC(0) showed before its last read or reset
  uint64_t m_mpc_cleared = 0;    // packet-buffer drops MPC(0) showed before its last read or reset
  std::array<uint64_t, static_cast<size_t>(rx_drop::count)> m_rx_dropped{};
  // Per function (0 the PF, 1 + v VF v), for the time series only: bytes written to its
  // RX rings and sent from its TX rings, copies its queues dropped. Sized once (tracks
  // read them in place).
  struct function_traffic {
    uint64_t rx_bytes = 0, tx_bytes = 0, rx_drops = 0;
  };
  std::vector<function_traffic> m_fn_traffic;

  kit::stat_group m_stats{name(), "an SR-IOV NIC port"};
  kit::formula m_stat_rx{m_stats,
                         "rx_frames",
                         "frames",
                         "frames written to host memory",
                         [this] { return static_cast<double>(m_rx_delivered); },
                         true};
  kit::formula m_stat_rx_drop{m_stats,
                              "rx_no_descriptor",
                              "frames",
                              "frames dropped: no free RX descriptor",
                              [this] { return static_cast<double>(rx_dropped(rx_drop::no_descriptor)); },
                              true};
  kit::formula m_stat_tx{
      m_stats, "tx_frames", "frames", "frames sent on the wire", [this] { return static_cast<double>(tx_frames()); },
      true};
  kit::formula m_stat_replicas{m_stats,
                               "rx_replicas",
                               "frames",
                               "extra copies the switch made for more pools (each its own DMA)",
                               [this] { return static_cast<double>(m_rx_replicas); },
                               true};
  kit::formula m_stat_looped{m_stats,
                             "rx_looped",
                             "frames",
                             "transmitted frames the switch delivered to local pools",
                             [this] { return static_cast<double>(m_rx_looped); },
                             true};
  kit::formula m_stat_spoofed{m_stats,
                              "tx_anti_spoof_drops",
                              "frames",
                              "transmitted frames dropped by MAC or VLAN anti-spoofing (SSVPC)",
                              [this] { return static_cast<double>(m_switch.ssvpc_total); },
                              true};
  // Plotted over time (kit/series.h): per function throughput, drops and free RX
  // descriptors; per port the drops no function is charged with.
  std::vector<std::unique_ptr<kit::series_track>> m_tracks;
};

}  // namespace iovsim::nic
