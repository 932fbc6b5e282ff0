// Unit parsing shared by the scenario reader and the models (no SystemC here).
#pragma once

#include <cstdint>
#include <string>

namespace iovsim::kit {

// Parses a simulated time: "0", "250ns", "1.5ms", "2s", "100us", "10ps" into
// picoseconds. False for anything else, negatives and overflow.
bool parse_time_ps(const std::string& text, long long& picoseconds);

}  // namespace iovsim::kit
