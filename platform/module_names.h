// How scenario names become SystemC module names, and the names the machine keeps for
// its own models. A switch or endpoint is a top-level module named after it; SystemC
// renames (and warns about) a second module of the same name, so the loader refuses
// scenario names that would collide. No SystemC here: the loader uses it too.
#pragma once

#include <cctype>
#include <string>

namespace iovsim::platform {

// Letters, digits and '_' stay; anything else becomes '_' (SystemC names may not hold
// '.', spaces and the like).
inline std::string module_name(const std::string& s) {
  std::string out;
  for (const char c : s) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '_') ? c : '_';
  return out.empty() ? "unnamed" : out;
}

// Top-level modules every run has: the machine's (platform.cpp: CPU port, DRAM, VT-d
// unit, DMA router, root complex) and the scenario engine's host thread.
constexpr const char* MACHINE_MODULES[] = {"cpu", "mem", "dmar0", "dma", "rc", "host"};

}  // namespace iovsim::platform
