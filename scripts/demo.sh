#!/usr/bin/env bash
# The main demo: install what is missing, build, convert stories260K (llama2.c) to .eft and tell a story.
# The model comes from $EDGEFORMER_MODELS, else ../shared/models, else its public home on Hugging Face.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
build_dir=${BUILD_DIR:-$root/build}

model_dir=""
for candidate in "${EDGEFORMER_MODELS:-}" "${EDGEFORMER_SHARED:-$root/../shared}/models"; do
  if [ -n "$candidate" ] && [ -f "$candidate/stories260K/stories260K.bin" ]; then
    model_dir="$candidate/stories260K"
    break
  fi
done
if [ -z "$model_dir" ]; then
  model_dir="$build_dir/models/stories260K"
  mkdir -p "$model_dir"
  for file in stories260K.bin tok512.bin; do
    [ -f "$model_dir/$file" ] || curl -fL --retry 3 -o "$model_dir/$file" \
      "https://huggingface.co/karpathy/tinyllamas/resolve/main/stories260K/$file"
  done
fi

"$build_dir/converter/edgeformer-convert" "$model_dir/stories260K.bin" --tokenizer "$model_dir/tok512.bin" \
  -o "$build_dir/stories260K.eft"
echo
"$build_dir/runtime/edgeformer" generate "$build_dir/stories260K.eft" --prompt "${PROMPT:-Once upon a time}" \
  -n "${TOKENS:-200}" "$@"
