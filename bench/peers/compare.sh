#!/usr/bin/env bash
# edgeformer and ONNX Runtime (CPU, npm onnxruntime-node) side by side on the same random weights: the shared
# peers/ort scripts export BERT-base, GPT-2-small and LLaMA-110M as Hugging Face folders and ONNX graphs and
# quantize the graphs as ORT's dynamic int8 does; edgeformer-convert reads the same folders. Not part of CI.
#
# usage: bench/peers/compare.sh   (settings from the environment)
#   PEERS_DIR          scratch folder, several GB (default: a new mktemp -d); what is there is reused
#   EDGEFORMER_SHARED  the shared folder (default: <repo>/../shared)
#   EDGEFORMER_BUILD   edgeformer's build folder (default: <repo>/build)
#   WORKLOADS          default "bert-base-int8 bert-base-f32 gpt2-small-int8 llama-110M-int8 llama-110M-f32"
#                      (gpt2-small-f32 also runs)
#   THREADS            default "1 2";  ROUNDS  default 5;  GEN  decode steps edgeformer averages over, default 16
# Writes $PEERS_DIR/compare-<time>.jsonl (raw, as it goes), .json (raw + summary) and .md (the table).
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
shared=${EDGEFORMER_SHARED:-$repo/../shared}
build=${EDGEFORMER_BUILD:-$repo/build}
workloads=${WORKLOADS:-bert-base-int8 bert-base-f32 gpt2-small-int8 llama-110M-int8 llama-110M-f32}
threads_list=${THREADS:-1 2}
rounds=${ROUNDS:-5}
gen=${GEN:-16}
export PEERS_DIR=${PEERS_DIR:-$(mktemp -d)}
python=/usr/bin/python3   # export.py needs Debian's torch and onnx, not a virtual environment's python
cli=$build/runtime/edgeformer
convert=$build/converter/edgeformer-convert

fail() { echo "compare.sh: $*" >&2; exit 1; }
[ -f "$shared/peers/ort/export.py" ] || fail "no $shared/peers/ort/export.py (set EDGEFORMER_SHARED)"
[ -x "$cli" ] && [ -x "$convert" ] || fail "no $cli or $convert: build targets edgeformer_cli and edgeformer-convert"
command -v node > /dev/null && command -v npm > /dev/null || fail "needs node and npm (Debian: nodejs npm)"
$python -c 'import torch, onnx, numpy' 2> /dev/null ||
  fail "needs Debian's python3-torch python3-onnx python3-numpy (apt-get install them)"

# Sets family (export.py's name), folder (HF folder and reference inputs), kind (bench.js), graph, quant.
describe() {
  case $1 in
    bert-base-int8 | bert-base-f32) family=bert folder=bert-base kind=bert graph=bert-base ;;
    gpt2-small-int8 | gpt2-small-f32) family=gpt2 folder=gpt2-small kind=decode graph=gpt2-small-decode ;;
    llama-110M-int8 | llama-110M-f32) family=llama folder=llama-110M kind=decode graph=llama-110M-decode ;;
    *) fail "unknown workload $1" ;;
  esac
  quant=${1##*-}
}
for w in $workloads; do describe "$w"; done

echo "compare.sh: scratch folder $PEERS_DIR (set PEERS_DIR to it again to reuse the exports)" >&2
ort=$PEERS_DIR/ort
mkdir -p "$ort" "$PEERS_DIR/eft"
# Staged, not copied into the repository; -f because the shared files are read-only and may be there already.
cp -rf "$shared/peers/ort/." "$ort/"
chmod -R u+w "$ort"
cd "$ort"
if [ ! -f node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1 ]; then
  ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund onnxruntime-node@1.30.0
fi

for w in $workloads; do
  describe "$w"
  # export.py writes the manifest last, so its presence means the family's export finished.
  [ -f "ref/$folder/manifest.json" ] || $python -W ignore export.py "$family"
  if [ "$quant" = int8 ] && [ ! -f "onnx/$graph.int8.onnx" ]; then
    $python quantize.py "onnx/$graph.f32.onnx" "onnx/$graph.int8.onnx.part"
    mv "onnx/$graph.int8.onnx.part" "onnx/$graph.int8.onnx"
  fi
  eft=$PEERS_DIR/eft/$w.eft
  # A rebuilt converter may write a different file: convert again when it or the weights are newer than the .eft.
  if [ ! "$eft" -nt "$convert" ] || [ ! "$eft" -nt "$PEERS_DIR/models/$folder/model.safetensors" ]; then
    q=()
    [ "$quant" = int8 ] && q=(--quant int8)
    "$convert" "$PEERS_DIR/models/$folder" -o "$eft.part" "${q[@]}"
    mv "$eft.part" "$eft"
  fi
done

stamp=$(date -u +%Y%m%dT%H%M%SZ)
raw=$PEERS_DIR/compare-$stamp.jsonl
: > "$raw"
record() {  # workload threads round runtime result-json
  printf '{"workload":"%s","threads":%s,"round":%s,"runtime":"%s","loadavg":"%s","result":%s}\n' \
    "$1" "$2" "$3" "$4" "$(cut -d' ' -f1-3 /proc/loadavg)" "$5" >> "$raw"
}
for w in $workloads; do
  describe "$w"
  # bench.js: warmup runs, timed runs (it times them twice: outputs pre-allocated, then allocated by ORT).
  # edgeformer: a decode step is timed over GEN steps after a 128-token prefill (positions 128..128+GEN-1).
  if [ "$kind" = bert ]; then ort_runs=(3 10) ef_args=(--prompt-len 128 --reps 10)
  else ort_runs=(10 50) ef_args=(--prompt-len 128 --gen "$gen" --reps 5); fi
  for t in $threads_list; do
    for r in $(seq 1 "$rounds"); do
      echo "compare.sh: $w, $t thread(s), round $r of $rounds" >&2
      # bench.js gives ORT intraOpNumThreads = t (interOpNumThreads 1, sequential): the same count as --threads.
      out=$(node bench.js "$folder" "$kind" "onnx/$graph.$quant.onnx" "$t" "${ort_runs[@]}")
      record "$w" "$t" "$r" ort "$out"
      out=$("$cli" bench "$PEERS_DIR/eft/$w.eft" --json --threads "$t" "${ef_args[@]}")
      record "$w" "$t" "$r" edgeformer "$out"
    done
  done
done

ort_version=$(node -p "require('onnxruntime-node/package.json').version")
commit=$(git -C "$repo" describe --always --dirty 2> /dev/null || echo unknown)
$python "$repo/bench/peers/summarize.py" "$raw" --json "${raw%.jsonl}.json" --ort-version "$ort_version" \
  --commit "$commit" --gen "$gen" | tee "${raw%.jsonl}.md"
echo "compare.sh: raw measurements and summary in ${raw%.jsonl}.json" >&2
