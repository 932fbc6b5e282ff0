// IOVSIM_ASAN is defined when AddressSanitizer instruments this translation unit
// (gcc says so with __SANITIZE_ADDRESS__, clang with __has_feature).
#pragma once

#if defined(__SANITIZE_ADDRESS__)
#define IOVSIM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define IOVSIM_ASAN 1
#endif
#endif
