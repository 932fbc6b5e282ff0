// Unit parsing shared by the scenario reader and the models (no SystemC here).
#pragma once

#include <cstdint>
#include <string>

namespace iovsim::kit {

// Parses a simulated time: "0", "250ns", "1.5ms", "2s", "100us", "10ps" into
// picoseconds. False for anything else, negatives and overflow.
bool parse_time_ps(const std::string& text, long long& picoseconds);

// Parses a whole unsigned number the way strtoull with base 0 does (decimal, 0x hex,
// 0 octal), the whole text and nothing else; an optional K, M or G suffix (binary
// units) when `suffixes` is set. False on anything else, a sign or overflow.
bool parse_u64(const std::string& text, uint64_t& value, bool suffixes = false);

}  // namespace iovsim::kit
