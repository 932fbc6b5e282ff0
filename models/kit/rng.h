// Deterministic random streams (DESIGN.md section 3): one per model, seeded from the
// run seed and an FNV-1a hash of the model's hierarchical name. Values are derived
// with our own functions, never std::*_distribution (which differ across libraries).
#pragma once

#include <cstdint>
#include <string>

namespace iovsim::kit {

constexpr uint64_t fnv1a64(const char* s, size_t n) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < n; ++i) {
    h ^= static_cast<uint8_t>(s[i]);
    h *= 0x100000001b3ULL;
  }
  return h;
}
inline uint64_t fnv1a64(const std::string& s) { return fnv1a64(s.data(), s.size()); }

// splitmix64: small, fast, and good enough for modelling choices.
class rng_stream {
 public:
  rng_stream(uint64_t seed, const std::string& name) : m_state(seed ^ fnv1a64(name)) {}
  uint64_t next() {
    uint64_t z = (m_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n) without modulo bias worth noting for n << 2^64 (Lemire).
  uint64_t below(uint64_t n) {
    return n == 0 ? 0 : static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
  }

 private:
  uint64_t m_state;
};

}  // namespace iovsim::kit
