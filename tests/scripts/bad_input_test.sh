#!/usr/bin/env bash
# A broken input must give exactly its expected one-line error and exit 2, never crash,
# whether it is validated or run.
# usage: bad_input_test.sh IOVSIM SOURCE_DIR RELATIVE_INPUT   (paths in messages are relative)
set -uo pipefail
iovsim=$1 src=$2 input=$3
cd "$src" || exit 1
expected=$(cat "${input%.pbtxt}.err")
# `run` gets an output folder of its own: tests run in parallel, and the default
# (out/NAME in the source tree) is shared by inputs with the same scenario name.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for verb in validate run; do
  args=()
  [ "$verb" = run ] && args=(--out "$work/out")
  actual=$("$iovsim" "$verb" "$input" "${args[@]}" 2>&1 >/dev/null)
  rc=$?
  if [ "$rc" != 2 ]; then echo "FAIL: iovsim $verb $input exited $rc, expected 2"; exit 1; fi
  if [ "$actual" != "$expected" ]; then
    printf 'FAIL: iovsim %s %s\n  expected: %s\n  actual:   %s\n' "$verb" "$input" "$expected" "$actual"; exit 1
  fi
done
# Refused input leaves no output folder behind.
if [ -e "$work/out" ]; then echo "FAIL: iovsim run $input left $work/out behind"; exit 1; fi
echo "ok: $expected"
