#!/usr/bin/env bash
# Every test: install what is missing, build (Release) and run the whole suite with ctest, then build again with
# AddressSanitizer + UndefinedBehaviorSanitizer (clang-14) and run the suite once more.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
jobs=$(nproc)

echo "== Release build and tests"
BUILD_DIR="$root/build" "$root/scripts/build.sh"
ctest --test-dir "$root/build" --output-on-failure -j"$jobs"

echo "== AddressSanitizer + UndefinedBehaviorSanitizer build and tests"
BUILD_DIR="$root/build-sanitize" "$root/scripts/build.sh" -DEDGEFORMER_SANITIZE=ON -DEDGEFORMER_BUILD_BENCH=OFF \
  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir "$root/build-sanitize" --output-on-failure -j"$jobs"
