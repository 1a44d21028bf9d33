#!/usr/bin/env bash
# cli_attention_page_test.sh CONVERT EDGEFORMER FIXTURES OUT_DIR: the pages `edgeformer attention` writes for the BERT
# fixture (encoder self-attention) and the Marian fixture (the translation's cross-attention) through the browser
# test (attention_page_test.mjs: every drawn cell against the page's JSON, the selectors, the hover). Exits 77 (a
# skip) where run_attention_page_test.sh does.
set -euo pipefail
[ $# -eq 4 ] || { echo "usage: cli_attention_page_test.sh CONVERT EDGEFORMER FIXTURES OUT_DIR" >&2; exit 2; }
convert=$1 edgeformer=$2 fixtures=$3 out=$4
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
"$convert" "$fixtures/bert-tiny-sentence" -o "$out/bert.eft" >/dev/null
"$edgeformer" attention "$out/bert.eft" "the quick brown fox jumps over the lazy dog" --html "$out/bert.html"
"$here/run_attention_page_test.sh" "$out/bert.html" "$out/bert-screenshot.png"
"$convert" "$fixtures/marian-tiny" -o "$out/marian.eft" >/dev/null
"$edgeformer" attention "$out/marian.eft" "the cat sat on the mat" -n 12 --html "$out/marian.html"
"$here/run_attention_page_test.sh" "$out/marian.html" "$out/marian-screenshot.png"
