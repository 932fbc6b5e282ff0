// UTF-8 well-formedness (RFC 3629): scenario and profile files must be UTF-8, and
// every output is, whatever bytes a shell command printed.
#pragma once

#include <string>

namespace iovsim::scen {

// Offset of the first byte that does not start a well-formed sequence (no overlong
// forms, no surrogates, nothing above U+10FFFF), or npos.
size_t first_invalid_utf8(const std::string& text);

// `text` with each byte that is not part of a well-formed sequence replaced by
// U+FFFD, as iconv's and Python's "replace" do.
std::string to_valid_utf8(const std::string& text);

}  // namespace iovsim::scen
