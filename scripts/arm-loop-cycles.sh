#!/usr/bin/env bash
# The ARM kernels' inner loops under llvm-mca: cycles per iteration predicted for cortex-a55, cortex-a76 and
# neoverse-n1 against each loop's ideal (its multiplies at the core's published issue rate), as a markdown table
# (docs/performance.md, "ARM inner loops under llvm-mca"):
#   scripts/arm-loop-cycles.sh [--all] [--dump DIR]   BUILD_DIR (default build-arm-loops) holds the configure and
#                                                     the assembly; --all adds the loops that stream no operand,
#                                                     --dump writes each loop body as llvm-mca reads it
# Needs g++-aarch64-linux-gnu and llvm-14 (llvm-mca-14); tools/arm_loop_cycles.py does the work.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BUILD_DIR:-$root/build-arm-loops}
mca=${LLVM_MCA:-llvm-mca-14}
command -v aarch64-linux-gnu-g++ >/dev/null || { echo "arm-loop-cycles: needs g++-aarch64-linux-gnu" >&2; exit 2; }
command -v "$mca" >/dev/null || { echo "arm-loop-cycles: needs $mca (Debian: llvm-14)" >&2; exit 2; }

# The kernels library alone, configured as the aarch64 build configures it (the top level's language settings and
# warnings, the toolchain file, Release): its compile commands are the build's, per file.
mkdir -p "$build_dir/project"
cat >"$build_dir/project/CMakeLists.txt" <<EOF
cmake_minimum_required(VERSION 3.20)
project(edgeformer_arm_kernels CXX)
set(CMAKE_CXX_STANDARD 17)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_POSITION_INDEPENDENT_CODE ON)
add_compile_options(-Wall -Wextra)
add_subdirectory("$root/kernels" kernels)
EOF
cmake -S "$build_dir/project" -B "$build_dir/cmake" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE="$root/toolchains/aarch64-linux-gnu.cmake" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
mkdir -p "$build_dir/asm"
/usr/bin/python3 "$root/tools/arm_loop_cycles.py" --compile-commands "$build_dir/cmake/compile_commands.json" \
  --work "$build_dir/asm" --mca "$mca" "$@"
