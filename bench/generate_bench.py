#!/usr/bin/env python3
"""End-to-end numbers for the README: runs `edgeformer generate --json` repeatedly, one run at a time, and prints a
markdown table of min / median (and max) per model and thread count.

usage: generate_bench.py EDGEFORMER_BINARY MODEL.eft [MODEL.eft ...] [--runs N] [--threads 1,2]
                         [--prompt TEXT | --prompt-ids 1,2,3] [-n N]
"""
import argparse
import json
import os
import statistics
import subprocess

parser = argparse.ArgumentParser()
parser.add_argument("binary")
parser.add_argument("models", nargs="+")
parser.add_argument("--runs", type=int, default=7)
parser.add_argument("--threads", default="1,2")
parser.add_argument("--prompt", default="Once upon a time, there was a little girl named Lily. She loved to play "
                                        "outside in the park. One day, she saw a big red ball.")
parser.add_argument("--prompt-ids", help="comma-separated ids, for models without a tokenizer")
parser.add_argument("-n", type=int, default=256)
args = parser.parse_args()

print("| model | threads | load ms | prefill tokens/s | decode tokens/s | peak RSS MiB |")
print("| --- | --- | --- | --- | --- | --- |")
for model in args.models:
    for threads in args.threads.split(","):
        rows = []
        for _ in range(args.runs):
            prompt = ["--prompt-ids", args.prompt_ids] if args.prompt_ids else ["--prompt", args.prompt]
            out = subprocess.run([args.binary, "generate", model, *prompt, "-n", str(args.n), "--threads", threads,
                                  "--json"], capture_output=True, text=True, check=True)
            rows.append(json.loads(out.stdout))

        def cell(key, scale=1.0, digits=0, lower_is_better=False):
            values = sorted(r[key] * scale for r in rows)
            best = values[0] if lower_is_better else values[-1]
            return f"{best:.{digits}f} / {statistics.median(values):.{digits}f}"

        first = rows[0]
        name = f"{os.path.basename(model)} ({first['prefill_tokens']}-token prompt, {first['decode_tokens']} decoded)"
        print(f"| {name} | {threads} | {cell('load_ms', digits=2, lower_is_better=True)} | "
              f"{cell('prefill_tokens_per_s')} | {cell('decode_tokens_per_s')} | "
              f"{cell('peak_rss_bytes', 1 / 1048576, 1, lower_is_better=True)} |")
