#!/usr/bin/env bash
# Expectations can fail: a scenario whose every expectation is wrong exits 1 and
# reports each one with expected and actual values.
# usage: expect_failure_test.sh IOVSIM SCENARIO WORK_DIR
set -uo pipefail
iovsim=$1 scenario=$2 work=$3
out=$("$iovsim" run "$scenario" --out "$work" 2>&1)
rc=$?
[ "$rc" = 1 ] || { echo "FAIL: exit $rc, expected 1"; echo "$out"; exit 1; }
echo "$out"
n=$(grep -c '^  FAIL ' <<<"$out")
[ "$n" = 8 ] || { echo "FAIL: $n failures reported, expected 8"; exit 1; }
for want in 'output does not contain "64"' 'expected "64' 'output does not match' 'output contains "63"' \
            '1 output lines, expected 2' 'exit status 0, expected 1' 'expected failure with EBUSY, got status 0' \
            'sriov_numvfs: expected "1", got "0"'; do
  grep -qF -- "$want" <<<"$out" || { echo "FAIL: report lacks: $want"; exit 1; }
done
grep -q '"passed": false' "$work/results.json" || { echo "FAIL: results.json does not say the run failed"; exit 1; }
echo "ok"
