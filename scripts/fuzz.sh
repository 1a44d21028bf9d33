#!/usr/bin/env bash
# Builds the libFuzzer targets (clang-14, ASan + UBSan) and runs each for SECONDS (default 60; give hours with
# e.g. `scripts/fuzz.sh 14400`). New inputs are kept in build-fuzz/fuzz/work/TARGET, findings are written to
# build-fuzz/fuzz/findings/ and fail the run; a finding becomes a regression input in fuzz/regressions/TARGET/.
# Prints one line per target: executions, corpus size, findings.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
build="${BUILD_DIR:-$root/build-fuzz}"
targets=(model_load tokenizer npy inference jinja_template)
# A tree of its own holds the fuzz targets alone; an existing tree configured with EDGEFORMER_FUZZ (CI's sanitizer
# tree, which has the tests too) is reused as it is.
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DEDGEFORMER_FUZZ=ON -DEDGEFORMER_BUILD_TESTS=OFF \
    -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 >/dev/null
elif ! grep -q '^EDGEFORMER_FUZZ:BOOL=ON' "$build/CMakeCache.txt"; then
  echo "fuzz.sh: $build was configured without -DEDGEFORMER_FUZZ=ON" >&2
  exit 2
fi
cmake --build "$build" -j"$(nproc)" --target "${targets[@]/%/_fuzzer}" >/dev/null

export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
findings=0
printf '%-12s %12s %10s %8s %9s\n' target executions exec/s corpus findings
for target in "${targets[@]}"; do
  work="$build/fuzz/work/$target"
  mkdir -p "$work" "$build/fuzz/findings"
  log="$build/fuzz/$target.log"
  status=0
  # -rss_limit_mb also limits a single allocation: a hostile input must not make the library ask for gigabytes.
  "$build/fuzz/${target}_fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$build/fuzz/findings/$target-" "$work" "$build/fuzz/corpus/$target" >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  corpus=$(find "$work" -type f | wc -l)
  found=0
  if [ "$status" -ne 0 ]; then
    found=1
    findings=$((findings + 1))
    echo "== $target: finding (exit $status), see $log" >&2
    grep -E "ERROR|SUMMARY|artifact" "$log" >&2 || true
  fi
  printf '%-12s %12s %10s %8s %9s\n' "$target" "${runs:-?}" "${rate:-?}" "$corpus" "$found"
done
exit $((findings > 0))
