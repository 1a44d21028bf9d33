#!/usr/bin/env bash
# Cross-builds edgeformer for aarch64 Linux with its tests, runs the test suite under qemu on three CPUs (max: NEON,
# dot product, i8mm; neoverse-n1: dot product; cortex-a72: NEON only), then checks that a model converted on this
# (x86) machine generates the same greedy tokens there as here.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BUILD_DIR:-$root/build-aarch64}
sysroot=$build_dir/sysroot
if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi

"$root/scripts/setup.sh"
dpkg --print-foreign-architectures | grep -qx arm64 || { $sudo dpkg --add-architecture arm64; $sudo apt-get update -qq; }
need=()
# GoogleTest for arm64 installs beside the amd64 one (Multi-Arch: same).
for package in g++-aarch64-linux-gnu qemu-user libgtest-dev:arm64 libgmock-dev:arm64; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || need+=("$package")
done
if [ ${#need[@]} -gt 0 ]; then
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# pthreadpool for arm64 cannot be installed beside the amd64 one (not Multi-Arch): unpack it into a private root.
if [ ! -f "$sysroot/usr/lib/aarch64-linux-gnu/libpthreadpool.so" ]; then
  mkdir -p "$sysroot" "$build_dir/debs"
  (cd "$build_dir/debs" && apt-get download libpthreadpool-dev:arm64 libpthreadpool0:arm64)
  for deb in "$build_dir"/debs/*.deb; do dpkg -x "$deb" "$sysroot"; done
fi

# The host's arch-independent CMake packages (nlohmann-json) and the arm64 GoogleTest are named explicitly: the
# toolchain file searches the target's roots only.
cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE="$root/toolchains/aarch64-linux-gnu.cmake" -DEDGEFORMER_SYSROOT="$sysroot" \
  -DEDGEFORMER_BUILD_BENCH=OFF -DGTest_DIR=/usr/lib/aarch64-linux-gnu/cmake/GTest \
  -Dnlohmann_json_DIR=/usr/share/cmake/nlohmann_json >/dev/null
cmake --build "$build_dir" -j"$(nproc)"

# The whole suite through qemu (CMAKE_CROSSCOMPILING_EMULATOR), once per CPU; QEMU_CPU picks the model. cli_test
# and install_test run host tools against the binaries and stay on x86.
for cpu in max neoverse-n1 cortex-a72; do
  echo "== aarch64 tests under qemu -cpu $cpu"
  QEMU_CPU=$cpu ctest --test-dir "$build_dir" -j"$(nproc)" -E "cli_test|install_test" --output-on-failure | tail -3
done

aarch64-linux-gnu-strip -o "$build_dir/edgeformer.stripped" "$build_dir/runtime/edgeformer"
echo "aarch64 edgeformer CLI (runtime linked in), stripped: $(stat -c %s "$build_dir/edgeformer.stripped") bytes"

shared=${EDGEFORMER_SHARED:-$root/../shared}
model_dir=$shared/models/stories260K
if [ ! -f "$model_dir/stories260K.bin" ]; then
  echo "cross-aarch64: $model_dir not found; built, not run"
  exit 0
fi
"$root/scripts/build.sh" >/dev/null
"$root/build/converter/edgeformer-convert" "$model_dir/stories260K.bin" --tokenizer "$model_dir/tok512.bin" \
  -o "$build_dir/stories260K.eft" >/dev/null
host=$("$root/build/runtime/edgeformer" generate "$build_dir/stories260K.eft" -n 256 --json)
for cpu in max cortex-a72; do
  target=$(qemu-aarch64 -cpu "$cpu" -L /usr/aarch64-linux-gnu "$build_dir/runtime/edgeformer" generate \
    "$build_dir/stories260K.eft" -n 256 --json)
  python3 - "$host" "$target" "$cpu" <<'PY'
import json, sys
host, target, cpu = json.loads(sys.argv[1])["ids"], json.loads(sys.argv[2])["ids"], sys.argv[3]
assert host == target, f"aarch64 ({cpu}) generated {target[:16]}... but x86 {host[:16]}..."
print(f"aarch64 under qemu -cpu {cpu}: {len(target)} greedy tokens identical to x86")
PY
done
