// One receive queue of the NIC core: a descriptor ring in host memory the driver
// fills with buffers (RDBAL/RDBAH, RDLEN, RDT), consumed by the hardware from RDH.
// Per frame, the pipeline SimBricks' NIC models spell out (fetch, process, DMA, write
// back), each step a DMA through the function's requester ID:
//   fetch      descriptors into the queue's on-chip descriptor buffer (`cache`
//              entries), by the RXDCTL thresholds (82598 data sheet 3.5.2.6 "Receive
//              Descriptor Fetching", 4.4.3.5.6 RXDCTL; the 82599's RXDCTL has the
//              same fields, ixgbe_type.h): when the buffer is empty, as soon as
//              software has any out; when fewer than PTHRESH are left, once
//              software has HTHRESH out. A fetch takes as many as the buffer has
//              room for (up to the end of the ring: one contiguous read), so one
//              round trip brings a whole buffer and, with PTHRESH, the next one is
//              under way before this one is used up. Several fetches may be in
//              flight; each descriptor is usable when the read that brought it
//              completed.
//   data       the frame into the buffer the next descriptor names
//   write-back the descriptor in its write-back form, right behind the data
// The queue runs in order; its steps are timed by the path's reservations, and the
// caller takes one event when the write-back is done (the interrupt cause). Every
// DMA is asked for now (or when the descriptor arrives): none is reserved ahead of
// time on the shared path, where it would hold back what other queues ask for now.
// One buffer holds one frame here (SRRCTL.BSIZEPKT, 2 KiB by default): a larger frame
// is dropped and counted, as multi-buffer frames are not modelled yet.
#pragma once

#include <array>
#include <cstdint>
#include <systemc>
#include <vector>

#include "models/net/frame.h"
#include "models/nic/descriptors.h"
#include "models/nic/dma_port.h"

namespace iovsim::nic {

// A ring as its registers describe it.
struct ring_state {
  uint64_t base = 0;       // RDBAL/RDBAH (TDBAL/TDBAH): 128-byte aligned
  uint32_t len_bytes = 0;  // RDLEN (TDLEN): a multiple of 128
  uint32_t head = 0, tail = 0;
  bool enabled = false;  // RXDCTL.ENABLE (TXDCTL.ENABLE)
  uint32_t count() const { return len_bytes / DESCRIPTOR_BYTES; }
  // Descriptors software handed over that the hardware has not consumed.
  uint32_t pending() const { return count() ? (tail + count() - head) % count() : 0; }
};

// Why a frame did not reach host memory (conservation: every frame is delivered or
// dropped with one of these). The queue's own reasons, then the switch's
// (nic_switch.h): no pool's address filter accepted it, a VLAN filter (VFTA, or no
// accepting pool is a member of its VLAN / takes it untagged), every accepting pool's
// receive is disabled (PFVFRE).
enum class rx_drop : uint8_t {
  none,
  queue_disabled,
  no_descriptor,
  buffer_too_small,
  dma_fault,
  l2_filter,
  vlan_filter,
  pool_disabled,
  packet_buffer_full,  // the port's receive packet buffer had no room: the whole frame, every copy
  count
};
const char* rx_drop_name(rx_drop d);

class rx_queue {
 public:
  // `cache`: the on-chip descriptor buffer, in descriptors (at least 1).
  rx_queue(dma_port& dma, uint16_t requester_id, uint32_t cache);

  ring_state ring;
  uint32_t buffer_bytes = 2048;  // SRRCTL.BSIZEPKT x 1 KiB
  uint16_t requester_id;

  // Software changed the ring (base, length, enable, or reset): the prefetched
  // descriptors are forgotten and the hardware starts again at RDH.
  void restart();
  // RXDCTL.PTHRESH [6:0] and HTHRESH [14:8], in descriptors, as software wrote them
  // (0 at reset; Linux's ixgbe leaves them so on the 82599).
  void set_thresholds(uint32_t pthresh, uint32_t hthresh) {
    m_pthresh = pthresh;
    m_hthresh = hthresh;
  }

  // `f` for this queue, now. On success `done` is when its write-back is in memory.
  // A descriptor fetch that completes with an error (an IOMMU fault, a UR: a read has
  // a completion) drops the frame; the fetch is tried again for the next one. The
  // data and the write-back are posted writes: no completion comes back, so the
  // hardware cannot see the IOMMU drop them (PCIe base spec 2.4.1; QEMU igb_core.c
  // igb_write_to_rx_buffers() ignores pci_dma_write()'s result the same way). The
  // descriptor is consumed and written back as if the data had landed, and the queue
  // moves on: a bad buffer costs one frame, not the queue. The model knows, so the
  // frame counts as dropped (dma_fault) and `fault_addr` says where; consumed() is
  // true then, `done` is when the write-back went out (the interrupt cause).
  // `vlan`: a tag the switch stripped, written back with status VP when `vlan_stripped`.
  rx_drop receive(const net::frame& f, uint8_t rss_type, uint32_t rss_hash, sc_core::sc_time& done,
                  uint64_t& fault_addr, bool vlan_stripped = false, uint16_t vlan = 0);
  // The last receive() used up a descriptor (delivered, or its posted writes dropped).
  bool consumed() const { return m_consumed; }

  uint64_t frames() const { return m_frames; }
  uint64_t bytes() const { return m_bytes; }
  uint64_t drops(rx_drop d) const { return m_drops[static_cast<size_t>(d)]; }
  uint64_t descriptor_fetches() const { return m_fetches; }

 private:
  rx_drop drop(rx_drop d) {
    ++m_drops[static_cast<size_t>(d)];
    return d;
  }

  uint32_t descriptors_available() const;  // handed over beyond those fetched
  // Fetches as the thresholds say, asked for at `at`; false when a fetch failed.
  bool top_up(const sc_core::sc_time& at, uint64_t& fault_addr);
  bool fetch(const sc_core::sc_time& at, uint64_t& fault_addr);

  struct cached {
    uint64_t buffer;         // the descriptor's packet buffer address
    sc_core::sc_time ready;  // when the read that brought it completed
  };
  dma_port& m_dma;
  uint32_t m_capacity;
  uint32_t m_pthresh = 0, m_hthresh = 0;
  std::vector<cached>
      m_cache;  // a ring of m_capacity (sized at the first fetch): descriptors fetched, from ring.head on
  uint32_t m_cache_first = 0, m_cached = 0;
  uint32_t m_fetch_next = 0;       // the next descriptor index to fetch
  std::vector<uint8_t> m_scratch;  // descriptor bytes of one fetch
  uint64_t m_frames = 0, m_bytes = 0, m_fetches = 0;
  bool m_consumed = false;
  bool m_fetch_failed = false;  // the fetch made when the cache ran dry completed with an error
  uint64_t m_fetch_fault_addr = 0;
  std::array<uint64_t, static_cast<size_t>(rx_drop::count)> m_drops{};
};

}  // namespace iovsim::nic
