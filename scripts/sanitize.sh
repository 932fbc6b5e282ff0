#!/usr/bin/env bash
# The sanitizer suite, run by CI after the main one: clang with AddressSanitizer
# (LeakSanitizer on) and UBSan (any undefined behaviour stops the run), the whole
# test suite (unit tests, every scenario twice, the bad-input corpus), then each
# libFuzzer target for a short while on its seed corpus (scripts/fuzz.sh --smoke).
# usage: scripts/sanitize.sh [--no-fuzz]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
jobs=$(nproc 2>/dev/null || echo 2)
# -O1: a fraction of -O2's compile time, and the sanitized tests still run fast.
cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS=-O1 \
  -DCMAKE_CXX_COMPILER=clang++ -DIOVSIM_SANITIZE=ON -DIOVSIM_FUZZ=ON >/dev/null
cmake --build build-sanitize -j "$jobs"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:check_initialization_order=1:strict_init_order=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build-sanitize && ctest --output-on-failure -j "$jobs")
if [ "${1:-}" != "--no-fuzz" ]; then
  IOVSIM_FUZZ_BUILD=build-sanitize bash scripts/fuzz.sh --smoke
fi
