#!/usr/bin/env bash
# The output folder is input too: a file in the way, a folder that cannot be made, a
# full disk, a folder holding something else each give one clear line and exit 2;
# an earlier run's folder is emptied so it holds exactly one run.
# usage: out_dir_test.sh IOVSIM SCENARIO WORK_DIR
set -uo pipefail
iovsim=$1 scenario=$2 work=$3
rm -rf "$work" && mkdir -p "$work" || exit 1
fail() { echo "FAIL: $*"; exit 1; }
# want_error EXPECTED_STDERR ARGS...: exit 2, exactly that message.
want_error() {
  local want=$1; shift
  local err rc
  err=$("$iovsim" run "$scenario" "$@" 2>&1 >/dev/null); rc=$?
  [ "$rc" = 2 ] || fail "iovsim run $* exited $rc, expected 2 ($err)"
  [ "$err" = "$want" ] || fail "iovsim run $*: expected '$want', got '$err'"
}

echo file >"$work/file"
want_error "iovsim: --out $work/file: a file is in the way (the output is a folder)" --out "$work/file"
want_error "iovsim: --out $work/file/sub: cannot create the folder: Not a directory" --out "$work/file/sub"
mkdir "$work/mine" && echo keep >"$work/mine/notes.txt"
want_error "iovsim: --out $work/mine: the folder is not empty and holds no earlier run (no results.json); --force empties it" \
  --out "$work/mine"
[ -f "$work/mine/notes.txt" ] || fail "a refused folder lost its files"

# An earlier run's folder holds this run only: stray files of the last one go.
"$iovsim" run "$scenario" --out "$work/run" >/dev/null || fail "first run"
touch "$work/run/old.pcap" "$work/run/config/0000_09_00_0.txt"
"$iovsim" run "$scenario" --out "$work/run" >/dev/null || fail "second run"
[ ! -e "$work/run/old.pcap" ] && [ ! -e "$work/run/config/0000_09_00_0.txt" ] || fail "stale files survived a rerun"
"$iovsim" run "$scenario" --out "$work/mine" --force >/dev/null || fail "--force run"
[ ! -e "$work/mine/notes.txt" ] && [ -f "$work/mine/results.json" ] || fail "--force did not empty the folder"

# Input refused after the folder was prepared (an unknown --set): the earlier run's
# files are gone and the folder is left empty, so the next run takes it.
want_error '--set: unknown parameter "nope" (not a scenario variable either; iovsim list --params shows the parameters)' --out "$work/run" --set nope=1
[ -d "$work/run" ] && [ -z "$(ls -A "$work/run")" ] || fail "a refused run left files in $work/run"
"$iovsim" run "$scenario" --out "$work/run" >/dev/null || fail "the run after a refused one"
# A --set value a model refuses names the --set, not a scenario line.
want_error '--set host.nic.rx_ring=5: parameter host.nic.rx_ring: 5 is not in 8..8192' --out "$work/set" \
  --set host.nic.rx_ring=5

# A full disk (here a file-size limit: writes fail with EFBIG instead of ENOSPC).
err=$(bash -c "trap '' XFSZ; ulimit -f 8; exec \"$iovsim\" run \"$scenario\" --out \"$work/full\"" 2>&1 >/dev/null)
rc=$?
[ "$rc" = 2 ] || fail "full disk: exit $rc, expected 2 ($err)"
[[ "$err" == "iovsim: cannot write $work/full/"*": File too large" ]] || fail "full disk: got '$err'"

# Bytes that are not UTF-8 on a command's output: the files stay UTF-8 and JSON.
binary=$(dirname "$0")/../scenarios/binary_output.pbtxt
"$iovsim" run "$binary" --out "$work/binary" >/dev/null; rc=$?
[ "$rc" = 1 ] || fail "binary_output: exit $rc, expected 1 (its second step fails on purpose)"
for f in $(find "$work/binary" -type f); do
  iconv -f UTF-8 -t UTF-8 "$f" >/dev/null 2>&1 || fail "$f is not UTF-8"
done
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["scenario"] == "binary_output", d["scenario"]' \
  "$work/binary/results.json" || fail "results.json is not JSON"
grep -qF "$(printf '\xef\xbf\xbd')" "$work/binary/results.json" || fail "the stray bytes are not U+FFFD in results.json"
echo ok
