// Frames and the pool they come from (DESIGN.md section 10: no allocation per packet
// in steady state). A frame's bytes run from the destination MAC to the end of the
// payload, without the FCS: the wire charges FCS, preamble, SFD and gap in time, and
// pcap stores frames without FCS. No SystemC and no clock here.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

namespace iovsim::net {

// The largest frame a buffer holds, FCS excluded. Linux ixgbe caps a frame at
// IXGBE_MAX_JUMBO_FRAME_SIZE = 9728 bytes including FCS (drivers/net/ethernet/intel/
// ixgbe/ixgbe.h; max MTU 9728 - 14 - 4 = 9710). Keeping the full 9728 leaves room for
// that MTU plus one 802.1Q tag; which sizes a port accepts is the MAC model's policy.
constexpr uint32_t MAX_FRAME_BYTES = 9728;

class frame_pool;

// Only a frame_pool makes frames; they are never copied (clone() copies the bytes).
struct frame {
  frame(const frame&) = delete;
  frame& operator=(const frame&) = delete;

  uint64_t id = 0;        // allocation order within its pool, from 1 (0: none)
  uint64_t born_ps = 0;   // creation time, set by whoever builds the frame
  uint32_t rss_hash = 0;  // set by the RSS stage of a receiving NIC
  uint16_t vlan_tci = 0;  // a tag stripped off the bytes (vlan_present)
  bool vlan_present = false;

  uint8_t* data() { return m_data; }
  const uint8_t* data() const { return m_data; }
  uint32_t size() const { return m_size; }
  static constexpr uint32_t capacity() { return MAX_FRAME_BYTES; }
  // Sets the byte count; new bytes are not cleared (builders write every byte).
  // Throws std::length_error past capacity().
  void resize(uint32_t bytes);
  void assign(const uint8_t* bytes, uint32_t n);  // resize(n) and copy
  void reset();                                   // size 0, metadata cleared, id kept

 private:
  friend class frame_pool;
  frame() = default;
  uint8_t* m_data = nullptr;
  uint32_t m_size = 0;
  bool m_out = false;            // handed out by the pool (catches a double return)
  frame_pool* m_pool = nullptr;  // null once the pool is gone (see ~frame_pool)
};

class frame_pool {
 public:
  struct returner {
    void operator()(frame* f) const noexcept;
  };
  using frame_ptr = std::unique_ptr<frame, returner>;

  // Preallocates `count` frames. When all are out, get() adds a chunk of the same
  // size (at least 16): it never fails, and grown() tells a benchmark that the pool
  // was sized too small for its steady state.
  explicit frame_pool(uint32_t count);
  // The pool must outlive its frames. If some are still out, it says so on stderr,
  // counts it (destroyed_with_frames_out) and keeps their storage alive so the late
  // returns are harmless: a model torn down by an error must not crash on top of it.
  ~frame_pool();
  frame_pool(const frame_pool&) = delete;
  frame_pool& operator=(const frame_pool&) = delete;

  frame_ptr get();                  // an empty frame (size 0) with the next id
  frame_ptr clone(const frame& f);  // same bytes and metadata, a new id

  uint32_t in_use() const { return m_in_use; }
  uint32_t capacity() const { return m_capacity; }
  uint32_t peak_in_use() const { return m_peak_in_use; }
  uint64_t gets() const { return m_gets; }
  uint32_t grown() const { return m_grown; }
  static uint64_t destroyed_with_frames_out();

 private:
  struct chunk {
    std::unique_ptr<uint8_t[]> bytes;  // never value-initialised: untouched pages stay unmapped
    std::unique_ptr<frame[]> frames;
    uint32_t count = 0;
  };
  void add_chunk(uint32_t count);
  void put(frame* f) noexcept;

  std::vector<chunk> m_chunks;
  std::vector<frame*> m_free;  // LIFO: a returned frame is reused while its bytes are in cache
  uint32_t m_chunk_frames;
  uint32_t m_capacity = 0;
  uint32_t m_in_use = 0;
  uint32_t m_peak_in_use = 0;
  uint32_t m_grown = 0;
  uint64_t m_gets = 0;
};

using frame_ptr = frame_pool::frame_ptr;

}  // namespace iovsim::net
