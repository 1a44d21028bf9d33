#!/usr/bin/env bash
# Every test: install what is missing, build (Release) and run the whole suite with ctest; then the suite again under
# AddressSanitizer + UndefinedBehaviorSanitizer (clang-14); the concurrency test under ThreadSanitizer; a reduced
# set under valgrind's memcheck; each libFuzzer target for FUZZ_SECONDS (default 45), built in the sanitizer tree;
# and the suite cross-built for aarch64 (under qemu on three CPUs) and for 32-bit ARMv7. Each stage prints its time.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
jobs=$(nproc)
clang=(-DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14)
stage_start=$SECONDS
stage() {
  echo "== (previous stage: $((SECONDS - stage_start)) s; total $((SECONDS / 60)) min) $*"
  stage_start=$SECONDS
}

stage "Release build and tests"
BUILD_DIR="$root/build" "$root/scripts/build.sh"
ctest --test-dir "$root/build" --output-on-failure -j"$jobs"

stage "AddressSanitizer + UndefinedBehaviorSanitizer build (with the fuzz targets) and tests"
BUILD_DIR="$root/build-sanitize" "$root/scripts/build.sh" -DEDGEFORMER_FUZZ=ON "${clang[@]}"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir "$root/build-sanitize" --output-on-failure -j"$jobs"

stage "ThreadSanitizer: sessions sharing one model on parallel threads"
cmake -S "$root" -B "$root/build-tsan" -DCMAKE_BUILD_TYPE=Release -DEDGEFORMER_TSAN=ON -DEDGEFORMER_BUILD_BENCH=OFF \
  "${clang[@]}" >/dev/null
cmake --build "$root/build-tsan" -j"$jobs" --target concurrency_test
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 "$root/build-tsan/tests/concurrency_test"

stage "valgrind memcheck (reduced set; AVX2 kernels, since valgrind has no AVX-512)"
"$root/scripts/memcheck.sh" "$root/build"

stage "libFuzzer, ${FUZZ_SECONDS:-45} s per target"
BUILD_DIR="$root/build-sanitize" "$root/scripts/fuzz.sh" "${FUZZ_SECONDS:-45}"

stage "aarch64: cross-built, the suite under qemu (max; the kernels and goldens on neoverse-n1, cortex-a72)"
"$root/scripts/cross-test.sh" aarch64

stage "ARMv7: cross-built, the suite under qemu (cortex-a7) and the goldens"
"$root/scripts/cross-test.sh" armv7
stage "done"
