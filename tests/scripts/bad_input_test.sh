#!/usr/bin/env bash
# A broken input must give exactly its expected one-line error and exit 2, never crash,
# whether it is validated or run.
# usage: bad_input_test.sh IOVSIM SOURCE_DIR RELATIVE_INPUT   (paths in messages are relative)
set -uo pipefail
iovsim=$1 src=$2 input=$3
cd "$src" || exit 1
expected=$(cat "${input%.pbtxt}.err")
for verb in validate run; do
  actual=$("$iovsim" "$verb" "$input" 2>&1 >/dev/null)
  rc=$?
  if [ "$rc" != 2 ]; then echo "FAIL: iovsim $verb $input exited $rc, expected 2"; exit 1; fi
  if [ "$actual" != "$expected" ]; then
    printf 'FAIL: iovsim %s %s\n  expected: %s\n  actual:   %s\n' "$verb" "$input" "$expected" "$actual"; exit 1
  fi
done
echo "ok: $expected"
