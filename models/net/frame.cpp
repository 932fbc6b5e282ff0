#include "models/net/frame.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

namespace iovsim::net {

namespace {
std::atomic<uint64_t> g_destroyed_with_frames_out{0};

// Storage of pools destroyed with frames still out: kept reachable (not leaked, as
// far as LeakSanitizer is concerned) so the late returns touch valid memory.
std::vector<std::unique_ptr<uint8_t[]>>& orphaned_storage() {
  static std::vector<std::unique_ptr<uint8_t[]>> storage;
  return storage;
}
std::vector<std::unique_ptr<frame[]>>& orphaned_frames() {
  static std::vector<std::unique_ptr<frame[]>> frames;
  return frames;
}
}  // namespace

void frame::resize(uint32_t bytes) {
  if (bytes > MAX_FRAME_BYTES)
    throw std::length_error("frame " + std::to_string(id) + ": " + std::to_string(bytes) +
                            " bytes exceed the frame capacity of " + std::to_string(MAX_FRAME_BYTES));
  m_size = bytes;
}

void frame::assign(const uint8_t* bytes, uint32_t n) {
  resize(n);
  if (n) std::memcpy(m_data, bytes, n);
}

void frame::reset() {
  m_size = 0;
  born_ps = 0;
  rss_hash = 0;
  vlan_tci = 0;
  vlan_present = false;
}

void frame_pool::returner::operator()(frame* f) const noexcept {
  if (f->m_pool) f->m_pool->put(f);
}

frame_pool::frame_pool(uint32_t count) : m_chunk_frames(std::max<uint32_t>(count, 16)) {
  if (count) add_chunk(count);
}

frame_pool::~frame_pool() {
  if (m_in_use == 0) return;
  // A lifetime bug in the owner: report it, and detach the frames still out so their
  // owners' destructors do nothing instead of writing into freed memory.
  std::fprintf(stderr, "iovsim: frame pool destroyed with %u frame(s) still in use\n", m_in_use);
  ++g_destroyed_with_frames_out;
  for (chunk& c : m_chunks) {
    for (uint32_t i = 0; i < c.count; ++i) c.frames[i].m_pool = nullptr;
    orphaned_storage().push_back(std::move(c.bytes));
    orphaned_frames().push_back(std::move(c.frames));
  }
}

uint64_t frame_pool::destroyed_with_frames_out() { return g_destroyed_with_frames_out.load(); }

void frame_pool::add_chunk(uint32_t count) {
  chunk c;
  c.bytes.reset(new uint8_t[size_t{count} * MAX_FRAME_BYTES]);
  c.frames.reset(new frame[count]);
  c.count = count;
  m_free.reserve(m_capacity + count);
  // Pushed in reverse so that frames come out in address order on a fresh pool.
  for (uint32_t i = count; i-- > 0;) {
    frame& f = c.frames[i];
    f.m_data = c.bytes.get() + size_t{i} * MAX_FRAME_BYTES;
    f.m_pool = this;
    m_free.push_back(&f);
  }
  m_chunks.push_back(std::move(c));
  m_capacity += count;
}

frame_pool::frame_ptr frame_pool::get() {
  if (m_free.empty()) {
    add_chunk(m_chunk_frames);
    ++m_grown;
  }
  frame* f = m_free.back();
  m_free.pop_back();
  f->m_out = true;
  f->id = ++m_gets;
  if (++m_in_use > m_peak_in_use) m_peak_in_use = m_in_use;
  return frame_ptr(f);
}

frame_pool::frame_ptr frame_pool::clone(const frame& src) {
  frame_ptr f = get();
  f->assign(src.data(), src.size());
  f->born_ps = src.born_ps;
  f->rss_hash = src.rss_hash;
  f->vlan_tci = src.vlan_tci;
  f->vlan_present = src.vlan_present;
  return f;
}

void frame_pool::put(frame* f) noexcept {
  if (!f->m_out) {
    // Only reachable through a released-and-rewrapped pointer: a bug, never silent.
    std::fprintf(stderr, "iovsim: frame %llu returned to its pool twice\n", static_cast<unsigned long long>(f->id));
    std::abort();
  }
  f->m_out = false;
  f->reset();
  m_free.push_back(f);  // never reallocates: reserved to capacity in add_chunk
  --m_in_use;
}

}  // namespace iovsim::net
