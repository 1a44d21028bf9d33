#!/usr/bin/env bash
# Runs a reduced set of the tests of a Release build (BUILD, default build/) under valgrind's memcheck: the C API,
# the loader's corrupt-file classes, the tokenizer and the stories260K goldens, the concurrency test and the fuzz
# replays. Any memcheck error or definite leak fails. The slow fuzz-style loops are left to the sanitizer build.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
# valgrind 3.19 cannot run AVX-512 instructions.
export EDGEFORMER_ISA=avx2
memcheck=(valgrind --tool=memcheck --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --quiet)
run() {
  echo "-- memcheck: $*"
  "${memcheck[@]}" "$@"
}
run "$build/tests/c_api_test"
run "$build/runtime/test/model_loader_test" --gtest_filter='-*Fuzz*'
run "$build/runtime/test/tokenizer_sampler_test" --gtest_filter='-*LongText*'
run "$build/tests/stories260k_test" --gtest_filter='*Llama2cF32Greedy*:*PrefillOfThePrompt*:*QuantizedTeacherForced*:*ContextOverflow*'
run "$build/tests/concurrency_test"
for target in model_load tokenizer npy inference; do
  run "$build/fuzz/${target}_replay" "$build/fuzz/corpus/$target"
done
