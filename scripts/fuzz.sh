#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz: clang, ASan + UBSan) if needed and runs them
# on their seed corpora, with their dictionaries, for SECONDS each, one at a time.
#
#   bash scripts/fuzz.sh [TARGET|all] [SECONDS]    # default: all, 30 s each
#   bash scripts/fuzz.sh --smoke                   # CI: every target ~20 s (under 3 min)
#
# TARGET: fuzz_scenario fuzz_profile fuzz_shell fuzz_config fuzz_mmio fuzz_frame fuzz_nic fuzz_sriov (the fuzz_ prefix
# may be left out). Each run works on a copy of tests/fuzz/corpus/TARGET (the checked-in
# seeds stay as they are) plus, read-only, tests/fuzz/regressions/TARGET. Prints per
# target the executions per second and the coverage reached (cov: edges, ft: features);
# exits 1 when any target found a crash, leak, undefined behaviour, timeout or
# out-of-memory, naming the reproducer (kept under BUILD/fuzz/artifacts/TARGET/).
# To check a reproducer again: BUILD/tests/fuzz/TARGET FILE (IOVSIM_FUZZ_VERBOSE=1
# makes fuzz_config, fuzz_mmio, fuzz_nic and fuzz_shell print what they decode). A fixed bug's
# reproducer goes into tests/fuzz/regressions/TARGET/ (ctest fuzz.TARGET.regressions).
#
# Environment: IOVSIM_FUZZ_BUILD (build folder, default build-fuzz), JOBS (default 2),
# FUZZ_ARGS (more libFuzzer options).
set -uo pipefail
cd "$(dirname "$0")/.."
ALL=(fuzz_scenario fuzz_profile fuzz_shell fuzz_config fuzz_mmio fuzz_frame fuzz_nic fuzz_sriov)
build=${IOVSIM_FUZZ_BUILD:-build-fuzz}
jobs=${JOBS:-2}
seconds=30
targets=()
for arg in "$@"; do
  case "$arg" in
    --smoke) seconds=20; targets=("${ALL[@]}") ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    all) targets=("${ALL[@]}") ;;
    ''|*[!0-9]*) targets+=("fuzz_${arg#fuzz_}") ;;
    *) seconds=$arg ;;
  esac
done
[ ${#targets[@]} -eq 0 ] && targets=("${ALL[@]}")
for t in "${targets[@]}"; do
  [[ " ${ALL[*]} " == *" $t "* ]] || { echo "fuzz.sh: unknown target $t (${ALL[*]})" >&2; exit 2; }
done

command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ is needed (bash scripts/deps.sh)" >&2; exit 2; }
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang \
        -DIOVSIM_SANITIZE=ON -DIOVSIM_FUZZ=ON >/dev/null || exit 2
fi
cmake --build "$build" -j "$jobs" --target "${targets[@]}" >/dev/null || {
  echo "fuzz.sh: build failed (cmake --build $build --target ${targets[*]})" >&2; exit 2; }

# Per target: the longest input, and the time one input may take (a boot under ASan
# is a fraction of a second; more is a hang).
max_len() { case $1 in fuzz_shell) echo 512 ;; fuzz_config|fuzz_mmio|fuzz_nic|fuzz_sriov) echo 4096 ;; fuzz_frame) echo 9800 ;; *) echo 16384 ;; esac; }
timeout_s() { case $1 in fuzz_shell|fuzz_profile) echo 60 ;; *) echo 30 ;; esac; }

status=0
summary=()
for t in "${targets[@]}"; do
  work=$(mktemp -d)
  artifacts="$build/fuzz/artifacts/$t"
  log="$build/fuzz/$t.log"
  mkdir -p "$work/corpus" "$artifacts"
  cp -r "tests/fuzz/corpus/$t/." "$work/corpus/" 2>/dev/null
  regressions=()
  [ -d "tests/fuzz/regressions/$t" ] && regressions=("tests/fuzz/regressions/$t")
  before=$(ls "$artifacts" | wc -l)
  echo "== $t: ${seconds}s"
  # shellcheck disable=SC2086
  "$build/tests/fuzz/$t" -max_total_time="$seconds" -print_final_stats=1 -dict="tests/fuzz/$t.dict" \
      -max_len="$(max_len "$t")" -timeout="$(timeout_s "$t")" -rss_limit_mb=3072 \
      -artifact_prefix="$artifacts/" ${FUZZ_ARGS:-} "$work/corpus" "${regressions[@]}" >"$log" 2>&1
  rc=$?
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\).*/cov \1 ft \2/p' <<<"$last")
  execs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  units=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  corpus=$(ls "$work/corpus" | wc -l)
  line="$t: ${execs:-?} exec/s, ${units:-?} runs, ${cov:-no coverage line}, corpus $corpus"
  if [ $rc -ne 0 ] || [ "$(ls "$artifacts" | wc -l)" -gt "$before" ]; then
    status=1
    line="$line, FAILED (exit $rc)"
    grep -E '^(fuzz:|==[0-9]+==ERROR|SUMMARY:)' "$log" | head -5
    sed -n 's/.*Test unit written to \(.*\)/  reproducer: \1/p' "$log"
    echo "  log: $log"
  fi
  echo "$line"
  summary+=("$line")
  rm -rf "$work"
done
echo "== summary"
printf '%s\n' "${summary[@]}"
exit $status
