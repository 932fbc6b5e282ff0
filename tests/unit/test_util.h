// Small helpers shared by unit tests.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>

namespace iovsim::test {

// The message of the std::invalid_argument `f` throws, or "(accepted)".
inline std::string invalid_argument_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(accepted)";
}

}  // namespace iovsim::test
