#!/usr/bin/env bash
# The main job: install what is missing, build, run the demo scenario and print its summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh
./build/iovsim run scenarios/library/x540_sriov_setup.pbtxt --out out/x540_sriov_setup
cat out/x540_sriov_setup/summary.txt
