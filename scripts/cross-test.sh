#!/usr/bin/env bash
# Cross-builds edgeformer with its tests for ARM Linux and runs the test suite under qemu-user:
#   scripts/cross-test.sh aarch64   three CPUs: max (NEON, dot product, i8mm), neoverse-n1 (dot product),
#                                   cortex-a72 (NEON only)
#   scripts/cross-test.sh armv7     32-bit, on cortex-a7 (NEON + VFPv4)
# then checks that a model converted on this (x86) machine generates the same greedy tokens there as here, and
# prints the size of the stripped runtime library and CLI.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
arch=${1:?usage: cross-test.sh aarch64|armv7}
case "$arch" in
  aarch64) debian_arch=arm64 triplet=aarch64-linux-gnu qemu=qemu-aarch64 cpus=(max neoverse-n1 cortex-a72)
           golden_cpus=(max cortex-a72) ;;
  armv7) debian_arch=armhf triplet=arm-linux-gnueabihf qemu=qemu-arm cpus=(cortex-a7) golden_cpus=(cortex-a7) ;;
  *) echo "cross-test.sh: unknown architecture '$arch' (aarch64 or armv7)" >&2; exit 2 ;;
esac
build_dir=${BUILD_DIR:-$root/build-$arch}
sysroot=$build_dir/sysroot
if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi

"$root/scripts/setup.sh"
# A failed index download (a mirror in the middle of a sync) need not stop the run: the packages may be there.
apt_update() { $sudo apt-get update -qq || echo "cross-test: apt-get update failed; trying with the indexes at hand"; }
dpkg --print-foreign-architectures | grep -qx "$debian_arch" || { $sudo dpkg --add-architecture "$debian_arch"; apt_update; }
need=()
# GoogleTest for the target installs beside the amd64 one (Multi-Arch: same).
for package in "g++-$triplet" qemu-user "libgtest-dev:$debian_arch" "libgmock-dev:$debian_arch"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || need+=("$package")
done
if [ ${#need[@]} -gt 0 ]; then
  apt_update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# pthreadpool for the target cannot be installed beside the amd64 one (not Multi-Arch), nor libpng (the CLI's attention
# pictures) but at the host's exact version: unpack them, with zlib, into a private root. zlib's runtime moves beside
# the others (Debian puts it in /lib), where their RPATH finds it.
if [ ! -f "$sysroot/usr/lib/$triplet/libpthreadpool.so" ] || [ ! -f "$sysroot/usr/lib/$triplet/libpng16.so" ]; then
  mkdir -p "$sysroot" "$build_dir/debs"
  (cd "$build_dir/debs" && apt-get download "libpthreadpool-dev:$debian_arch" "libpthreadpool0:$debian_arch" \
    "libpng-dev:$debian_arch" "libpng16-16:$debian_arch" "zlib1g-dev:$debian_arch" "zlib1g:$debian_arch")
  for deb in "$build_dir"/debs/*.deb; do dpkg -x "$deb" "$sysroot"; done
  cp -a "$sysroot/lib/$triplet/." "$sysroot/usr/lib/$triplet/"
  ln -sf libz.so.1 "$sysroot/usr/lib/$triplet/libz.so"  # it pointed at /lib, outside the root
fi

# The host's arch-independent CMake packages (nlohmann-json) and the target's GoogleTest are named explicitly: the
# toolchain file searches the target's roots only.
cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE="$root/toolchains/$triplet.cmake" -DEDGEFORMER_SYSROOT="$sysroot" \
  -DEDGEFORMER_BUILD_BENCH=OFF -DGTest_DIR="/usr/lib/$triplet/cmake/GTest" \
  -Dnlohmann_json_DIR=/usr/share/cmake/nlohmann_json >/dev/null
cmake --build "$build_dir" -j"$(nproc)"

# The whole suite through qemu (CMAKE_CROSSCOMPILING_EMULATOR) on the first CPU; QEMU_CPU picks the model. cli_test,
# install_test and the CLI's page test run host tools against the binaries and stay on x86. The other CPUs change
# which kernels the dispatcher may pick, so they run what that reaches: every kernel variant against its reference
# (a variant the CPU lacks must skip, not crash) and the end-to-end goldens at the default dispatch. The suffixed
# suites (.scalar, .neon, .neondotprod) already ran each lower path on the first CPU.
excluded="cli_test|install_test|attention_page_cli_browser"
per_cpu='^(Variants/.*|(Stories260k|Bert|Marian|Gpt2)\.[A-Za-z0-9_]+)$'
selected=""
for cpu in "${cpus[@]}"; do
  echo "== $arch tests under qemu -cpu $cpu"
  QEMU_CPU=$cpu ctest --test-dir "$build_dir" -j"$(nproc)" -E "$excluded" ${selected:+-R "$selected"} \
    --output-on-failure | grep -E "tests passed|tests failed|Failed|Timeout|Not Run"
  selected=$per_cpu
done

"$triplet-strip" -o "$build_dir/edgeformer.stripped" "$build_dir/runtime/edgeformer"
"$triplet-g++" -shared -o "$build_dir/libedgeformer.so" -Wl,--whole-archive "$build_dir/runtime/libedgeformer.a" \
  -Wl,--no-whole-archive "$build_dir/kernels/libedgeformer_kernels.a" -L"$sysroot/usr/lib/$triplet" -lpthreadpool \
  -Wl,--gc-sections -s
echo "$arch stripped sizes: CLI (runtime linked in) $(stat -c %s "$build_dir/edgeformer.stripped") bytes," \
  "libedgeformer.so $(stat -c %s "$build_dir/libedgeformer.so") bytes"

shared=${EDGEFORMER_SHARED:-$root/../shared}
model_dir=$shared/models/stories260K
if [ ! -f "$model_dir/stories260K.bin" ]; then
  echo "cross-test: $model_dir not found; built, not run"
  exit 0
fi
"$root/scripts/build.sh" >/dev/null
"$root/build/converter/edgeformer-convert" "$model_dir/stories260K.bin" --tokenizer "$model_dir/tok512.bin" \
  -o "$build_dir/stories260K.eft" >/dev/null
host=$("$root/build/runtime/edgeformer" generate "$build_dir/stories260K.eft" -n 256 --json)
for cpu in "${golden_cpus[@]}"; do
  target=$("$qemu" -cpu "$cpu" -L "/usr/$triplet" "$build_dir/runtime/edgeformer" generate \
    "$build_dir/stories260K.eft" -n 256 --json)
  python3 - "$host" "$target" "$arch" "$cpu" <<'PY'
import json, sys
host, target, arch, cpu = json.loads(sys.argv[1])["ids"], json.loads(sys.argv[2])["ids"], sys.argv[3], sys.argv[4]
assert host == target, f"{arch} ({cpu}) generated {target[:16]}... but x86 {host[:16]}..."
print(f"{arch} under qemu -cpu {cpu}: {len(target)} greedy tokens identical to x86")
PY
done
