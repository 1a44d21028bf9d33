#!/usr/bin/env bash
# Installs the Debian (bookworm) packages edgeformer builds with, if any is missing. Safe to run again.
set -euo pipefail

packages=(
  build-essential cmake pkg-config clang-14 libclang-rt-14-dev libfuzzer-14-dev valgrind
  libflatbuffers-dev flatbuffers-compiler flatbuffers-compiler-dev
  libpthreadpool-dev nlohmann-json3-dev libsentencepiece-dev libpng-dev
  libgtest-dev libgmock-dev libbenchmark-dev libxnnpack-dev
  curl ca-certificates python3
  python3-dev python3-numpy python3-pytest python3-pip python3-setuptools pybind11-dev
  chromium
)
# The attention page's browser test runs on node, with npm to fetch playwright-core. Debian's nodejs and npm only where
# there is no node: one from elsewhere stays (NodeSource's nodejs bundles npm and conflicts with Debian's).
command -v node >/dev/null || packages+=(nodejs npm)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
