// Frame-size mixes for the traffic generator. Sizes are quoted the way generators and
// RFC 2544 do, whole Ethernet frames including the FCS (64, 594, 1518); a frame's
// byte count is without_fcs() of that (headers.h).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <vector>

namespace iovsim::net {

struct size_weight {
  uint32_t wire_bytes;  // FCS included
  uint32_t weight;
};

// A deterministic sequence, no RNG: the sizes are interleaved by smooth weighted round
// robin (every step each size gains its weight and the richest is sent, paying the
// total), so each period of sum(weights) frames holds every size `weight` times and
// small and large frames alternate rather than arrive in bursts. Ties go to the size
// listed first.
class size_mix {
 public:
  static size_mix fixed(uint32_t wire_bytes) { return size_mix({{wire_bytes, 1}}); }
  // "Simple IMIX" 7:4:1: the IP sizes 40/576/1500 of the Internet Mix as Ethernet frames
  // (Wikipedia, "Internet Mix"; the profile Ostinato and most testers call IMIX; RFC 6985
  // names such mixes "IMIX genomes"). Mean 361.8 bytes.
  static size_mix simple_imix() { return size_mix({{64, 7}, {594, 4}, {1518, 1}}); }

  explicit size_mix(const std::vector<size_weight>& sizes) {
    uint64_t total = 0;
    for (const size_weight& s : sizes) {
      if (s.weight == 0) throw std::invalid_argument("size mix: a size has weight 0");
      total += s.weight;
    }
    if (total == 0) throw std::invalid_argument("size mix: no sizes");
    if (total > MAX_PERIOD) throw std::invalid_argument("size mix: weights add up to more than 65536");
    std::vector<int64_t> credit(sizes.size(), 0);
    for (uint64_t n = 0; n < total; ++n) {
      size_t best = 0;
      for (size_t i = 0; i < sizes.size(); ++i) {
        credit[i] += sizes[i].weight;
        if (credit[i] > credit[best]) best = i;
      }
      credit[best] -= static_cast<int64_t>(total);
      m_pattern.push_back(sizes[best].wire_bytes);
    }
  }

  // The size of frame number `index` (0, 1, 2...) of a stream.
  uint32_t wire_bytes(uint64_t index) const { return m_pattern[index % m_pattern.size()]; }
  uint32_t period() const { return static_cast<uint32_t>(m_pattern.size()); }
  const std::vector<uint32_t>& pattern() const { return m_pattern; }
  double mean_wire_bytes() const {
    uint64_t sum = 0;
    for (uint32_t b : m_pattern) sum += b;
    return static_cast<double>(sum) / static_cast<double>(m_pattern.size());
  }

 private:
  static constexpr uint64_t MAX_PERIOD = 65536;
  std::vector<uint32_t> m_pattern;
};

}  // namespace iovsim::net
