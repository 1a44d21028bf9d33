#!/usr/bin/env bash
# Installs the build into a temporary prefix, then builds examples/c_api_generate.c against it twice, as an app
# would: with CMake's find_package(edgeformer) and with pkg-config. Runs both on stories260K when it is present.
# usage: install_test.sh BUILD_DIR SOURCE_DIR SHARED_DIR
set -euo pipefail
build=$1 source=$2 shared=${EDGEFORMER_SHARED:-$3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build" --prefix "$work/prefix" >/dev/null
test -f "$work/prefix/include/edgeformer/edgeformer.h"
test -x "$work/prefix/bin/edgeformer"

mkdir -p "$work/app"
cp "$source/examples/c_api_generate.c" "$work/app/"
cat > "$work/app/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.20)
project(app C CXX)
find_package(edgeformer 0.1 CONFIG REQUIRED)
add_executable(app c_api_generate.c)
target_link_libraries(app PRIVATE edgeformer::edgeformer)
set_target_properties(app PROPERTIES LINKER_LANGUAGE CXX)
CMAKE
cmake -S "$work/app" -B "$work/app/build" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/app/build" >/dev/null

PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" cc -o "$work/app-pkgconfig" "$source/examples/c_api_generate.c" \
  $(PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" pkg-config --cflags --libs edgeformer)

model=$shared/models/stories260K
if [ ! -f "$model/stories260K.bin" ]; then
  echo "install_test: $model not found (set EDGEFORMER_SHARED): built the apps, did not run them"
  exit 0
fi
"$work/prefix/bin/edgeformer-convert" "$model/stories260K.bin" --tokenizer "$model/tok512.bin" -o "$work/m.eft" >/dev/null
for app in "$work/app/build/app" "$work/app-pkgconfig"; do
  text=$("$app" "$work/m.eft" "Once upon a time" 12)
  case "$text" in
    *"there was a little girl"*) echo "ok: $(basename "$app"): $text" ;;
    *) echo "unexpected output from $app: $text" >&2; exit 1 ;;
  esac
done
