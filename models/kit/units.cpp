#include "models/kit/units.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>

namespace iovsim::kit {

bool parse_time_ps(const std::string& text, long long& picoseconds) {
  if (text == "0") {
    picoseconds = 0;
    return true;
  }
  size_t i = 0;
  // Digits accumulate in 128 bits; whether the result fits in 63 bits of
  // picoseconds is decided once the unit is known.
  unsigned __int128 whole = 0;
  unsigned long long frac = 0, frac_div = 1;
  bool digits = false;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    if (whole > static_cast<unsigned __int128>(INT64_MAX)) return false;
    whole = whole * 10 + static_cast<unsigned>(text[i++] - '0');
    digits = true;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      if (frac_div < 1'000'000'000'000ULL) {
        frac = frac * 10 + static_cast<unsigned>(text[i] - '0');
        frac_div *= 10;
      }
      ++i;
      digits = true;
    }
  }
  if (!digits) return false;
  const std::string unit = text.substr(i);
  unsigned long long scale;
  if (unit == "ps") scale = 1;
  else if (unit == "ns") scale = 1'000;
  else if (unit == "us") scale = 1'000'000;
  else if (unit == "ms") scale = 1'000'000'000;
  else if (unit == "s") scale = 1'000'000'000'000;
  else return false;
  const unsigned __int128 ps = whole * scale +
                               static_cast<unsigned __int128>(frac) * scale / frac_div;
  if (ps > static_cast<unsigned __int128>(INT64_MAX)) return false;
  picoseconds = static_cast<long long>(ps);
  return true;
}

bool parse_u64(const std::string& text, uint64_t& value, bool suffixes) {
  std::string digits = text;
  uint64_t mult = 1;
  if (suffixes && !digits.empty() && (digits.back() == 'K' || digits.back() == 'M' || digits.back() == 'G')) {
    mult = digits.back() == 'K' ? 1ull << 10 : digits.back() == 'M' ? 1ull << 20 : 1ull << 30;
    digits.pop_back();
  }
  if (digits.empty() || !std::isdigit(static_cast<unsigned char>(digits[0]))) return false;
  errno = 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(digits.c_str(), &end, 0);
  if (errno != 0 || end != digits.c_str() + digits.size()) return false;
  if (v > UINT64_MAX / mult) return false;
  value = v * mult;
  return true;
}

}  // namespace iovsim::kit
