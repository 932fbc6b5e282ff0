#!/usr/bin/env bash
# Install what is missing, build, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh
cd build && ctest --output-on-failure -j "$(nproc 2>/dev/null || echo 2)"
