// errno names and glibc's strerror() texts for the values the simulated host uses
// (EBUSY -> "Device or resource busy"). Plain C++: userland and kernel both use it.
#pragma once

namespace iovsim::host {

// "EBUSY" for EBUSY, "" for 0, "EUNKNOWN" for a value not in the table.
const char* errno_name(int err);
const char* errno_message(int err);

}  // namespace iovsim::host
