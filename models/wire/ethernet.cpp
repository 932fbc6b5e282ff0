#include "models/wire/ethernet.h"

#include <fmt/format.h>

namespace iovsim::wire {

bool is_supported_rate(uint32_t mbps) {
  for (const uint32_t r : SUPPORTED_RATES_MBPS)
    if (r == mbps) return true;
  return false;
}

std::string supported_rates_text() {
  std::string out;
  for (const uint32_t r : SUPPORTED_RATES_MBPS) out += (out.empty() ? "" : ", ") + std::to_string(r);
  return out;
}

sc_core::sc_time serialization_time(uint64_t bytes, uint32_t mbps) {
  // 8 bits at mbps * 10^6 bit/s: 8 * 10^6 / mbps ps per byte, a whole number for
  // every supported rate (8000, 800, 320, 200, 80).
  return sc_core::sc_time(static_cast<double>(bytes * 8'000'000ull / mbps), sc_core::SC_PS);
}

}  // namespace iovsim::wire
