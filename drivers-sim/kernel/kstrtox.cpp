#include "drivers-sim/kernel/kstrtox.h"

#include <cctype>
#include <cerrno>

namespace iovsim::host {

int kstrtoull(std::string text, unsigned long long max, unsigned long long& out) {
  if (!text.empty() && text.back() == '\n') text.pop_back();
  if (!text.empty() && text[0] == '+') text.erase(0, 1);
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text[0]))) return EINVAL;
  unsigned base = 10;
  size_t i = 0;
  if (text.size() > 1 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    i = 2;
  } else if (text[0] == '0') {
    base = 8;
  }
  if (i >= text.size()) return EINVAL;
  unsigned long long v = 0;
  bool overflow = false;
  for (; i < text.size(); ++i) {
    const int c = std::tolower(static_cast<unsigned char>(text[i]));
    unsigned d;
    if (c >= '0' && c <= '9') d = static_cast<unsigned>(c - '0');
    else if (c >= 'a' && c <= 'f') d = static_cast<unsigned>(c - 'a' + 10);
    else return EINVAL;
    if (d >= base) return EINVAL;
    if (v > (~0ull - d) / base) overflow = true;
    else v = v * base + d;
  }
  if (overflow || v > max) return ERANGE;
  out = v;
  return 0;
}

}  // namespace iovsim::host
