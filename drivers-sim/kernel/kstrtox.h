// lib/kstrtox.c: how the kernel reads numbers written to sysfs files and module
// parameters. kstrtoull(s, 0, ...) takes an optional '+', then 0x hex, 0 octal or
// decimal digits, and one trailing newline; nothing else.
#pragma once

#include <cstdint>
#include <string>

namespace iovsim::host {

// 0, EINVAL (not a number) or ERANGE (above `max`).
int kstrtoull(std::string text, unsigned long long max, unsigned long long& out);

}  // namespace iovsim::host
