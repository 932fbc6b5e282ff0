#include <cstdint>
#include <cstring>

#include "scenarios/utf8.h"

namespace iovsim::scen {

namespace {
// The length of the well-formed sequence at text[i], or 0.
size_t sequence_at(const std::string& text, size_t i) {
  const auto b = [&](size_t k) { return i + k < text.size() ? static_cast<unsigned char>(text[i + k]) : 0u; };
  const auto cont = [&](size_t k) { return (b(k) & 0xC0u) == 0x80u; };
  const unsigned c = b(0);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    const unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;  // no overlongs, no surrogates
    return b(1) >= lo && b(1) <= hi && cont(2) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    const unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;  // U+10000..U+10FFFF
    return b(1) >= lo && b(1) <= hi && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}
}  // namespace

size_t first_invalid_utf8(const std::string& text) {
  for (size_t i = 0; i < text.size();) {
    // ASCII, eight bytes at a time: outputs are mostly ASCII (a rack's are megabytes).
    uint64_t word = 0;
    if (i + 8 <= text.size() && (std::memcpy(&word, text.data() + i, 8), (word & 0x8080808080808080ull) == 0)) {
      i += 8;
      continue;
    }
    const size_t n = sequence_at(text, i);
    if (!n) return i;
    i += n;
  }
  return std::string::npos;
}

std::string to_valid_utf8(const std::string& text) {
  if (first_invalid_utf8(text) == std::string::npos) return text;
  std::string out;
  out.reserve(text.size() + 16);
  for (size_t i = 0; i < text.size();) {
    const size_t n = sequence_at(text, i);
    if (n) {
      out.append(text, i, n);
      i += n;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

}  // namespace iovsim::scen
