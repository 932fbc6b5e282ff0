// What every libFuzzer target of tests/fuzz shares: SystemC set up for many runs in
// one process (a fresh context per input, SystemC warnings and errors are findings),
// the checks on error messages, and a thread to run host-side code in.
//
// An input that breaks a rule calls fuzz_fail(), which prints why and aborts, so
// libFuzzer saves it as a crash reproducer. Exceptions that escape a model are
// findings too: they abort through the same path.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <systemc>

namespace iovsim::fuzz {

// Prints "fuzz: <what>" and aborts (libFuzzer keeps the input as a crash).
[[noreturn]] void fuzz_fail(const std::string& what);

// Once per process (LLVMFuzzerInitialize, defined in fuzz_common.cpp for every
// target, calls it): no banner, SystemC warnings and errors abort through fuzz_fail
// (a model must turn whatever software does into modelled behaviour, not a report).
void init_systemc();

// A located input error must be one line `FILE:LINE:COL: message` (LINE, COL >= 1),
// or `FILE: message` when `allow_unlocated`; fails otherwise.
void check_error_line(const std::string& message, bool allow_unlocated);

// A message shown to the user: one line, no control characters.
void check_one_line(const std::string& message, const char* what);

// Runs `body` in an SC_THREAD of a fresh module (with a stack as large as the scenario
// engine's) and simulates until nothing is left to do. Exceptions escaping the
// simulation are findings. Call after kit::fresh_systemc_context() with every model
// already built.
void simulate(const std::function<void()>& body);

// After a run, once its modules are gone: no timed notification may be left (one
// still pending belongs to an object that outlived its run). Asking SystemC also
// frees the cancelled ones, as kit::release_systemc_context() does for every run.
void after_run();

// IOVSIM_FUZZ_VERBOSE=1 in the environment: the register-level targets print every
// operation they decode (to read a reproducer) with trace().
bool verbose();
void trace(const std::string& line);

// The directory relative profile_file names are resolved against.
std::string source_dir();

}  // namespace iovsim::fuzz
