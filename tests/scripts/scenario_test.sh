#!/usr/bin/env bash
# A scenario as a test: it runs and its expectations hold (exit 0), a second run is
# byte-identical (determinism), and the outputs equal the golden files.
# usage: scenario_test.sh IOVSIM SCENARIO GOLDEN_DIR WORK_DIR
# IOVSIM_UPDATE_GOLDEN=1 replaces the golden files with this run's outputs.
# run-info.json (wall time, the run's speed) is never compared nor kept as golden.
set -uo pipefail
iovsim=$1 scenario=$2 golden=$3 work=$4
rm -rf "$work" && mkdir -p "$work"
if ! "$iovsim" run "$scenario" --out "$work/a" >"$work/a.log" 2>&1; then
  echo "FAIL: $scenario: first run failed"; cat "$work/a.log"; exit 1
fi
cat "$work/a.log"
if ! "$iovsim" run "$scenario" --out "$work/b" >"$work/b.log" 2>&1; then
  echo "FAIL: $scenario: second run failed"; cat "$work/b.log"; exit 1
fi
if ! diff -r -x run-info.json "$work/a" "$work/b" >"$work/determinism.diff"; then
  echo "FAIL: $scenario: the second run differs from the first (not deterministic)"
  head -40 "$work/determinism.diff"; exit 1
fi
if [ "${IOVSIM_UPDATE_GOLDEN:-0}" = 1 ]; then
  rm -rf "$golden" && mkdir -p "$golden" && cp -r "$work/a/." "$golden/" && rm -f "$golden/run-info.json"
  echo "golden files updated: $golden"; exit 0
fi
if ! diff -r -x run-info.json "$golden" "$work/a" >"$work/golden.diff"; then
  echo "FAIL: $scenario: outputs differ from $golden (IOVSIM_UPDATE_GOLDEN=1 ctest -R scenario accepts them)"
  head -60 "$work/golden.diff"; exit 1
fi
echo "ok: expectations hold, deterministic, matches golden"
