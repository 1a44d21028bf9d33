#!/usr/bin/env python3
"""Summarizes compare.sh's raw measurements: per workload and thread count, each runtime's time per encode or per
decode step (median and min over the rounds), the speed ratio edgeformer / ORT of each round and peak RSS. Prints a
markdown table and writes every raw measurement with the summary as one JSON file.

usage: summarize.py RAW.jsonl --json OUT.json --ort-version V --commit C --gen N
"""
import argparse
import datetime
import json
import os
import statistics
import subprocess

parser = argparse.ArgumentParser()
parser.add_argument("raw")
parser.add_argument("--json", required=True)
parser.add_argument("--ort-version", required=True)
parser.add_argument("--commit", required=True)
parser.add_argument("--gen", type=int, required=True)
args = parser.parse_args()


def cpu():
    model = "unknown"
    for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
        if line.startswith("Model name:"):
            model = line.split(":", 1)[1].strip()
    flags = set()
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                flags.update(line.split(":", 1)[1].split())
    return {"model_name": model, "cpus": os.cpu_count(),
            "flags": {name: name in flags for name in ("avx2", "avx512_vnni", "avx_vnni")}}


# Both runtimes' time is the one `edgeformer bench` reports, 1000 / (its mean rate over repetitions); for ORT the
# same statistic of bench.js's timed runs (outputs pre-allocated, as edgeformer writes into its arena).
def ort_ms(result):
    times = result["prealloc"]["times_ms"]
    return len(times) / sum(1 / t for t in times)


def edgeformer_ms(result):
    if result["encoder"]:
        return 1000 * result["prompt_tokens"] / result["prefill_tokens_per_s"]
    return 1000 / result["decode_tokens_per_s"]


records = [json.loads(line) for line in open(args.raw) if line.strip()]
groups = {}
for r in records:
    groups.setdefault((r["workload"], r["threads"]), {}).setdefault(r["round"], {})[r["runtime"]] = r["result"]

summary = []
for (workload, threads), rounds in groups.items():
    complete = [p for _, p in sorted(rounds.items()) if "ort" in p and "edgeformer" in p]
    pairs = [(ort_ms(p["ort"]), edgeformer_ms(p["edgeformer"])) for p in complete]
    ratios = [o / e for o, e in pairs]
    tokens = complete[0]["edgeformer"]["prompt_tokens"] if complete else 0
    summary.append({
        "workload": workload, "threads": threads, "rounds": len(pairs),
        "test": f"encode {tokens} tokens" if complete and complete[0]["edgeformer"]["encoder"]
        else f"decode step, {tokens} cached",
        "ort_ms": [o for o, _ in pairs], "edgeformer_ms": [e for _, e in pairs], "ratio": ratios,
        "ort_peak_rss_mib": max((p["ort"]["maxrss_mb"] for p in complete), default=0),
        "edgeformer_peak_rss_mib": max((p["edgeformer"]["peak_rss_bytes"] for p in complete), default=0) / 2**20,
    })

machine = cpu()
isas = sorted({r["result"]["isa"] for r in records if r["runtime"] == "edgeformer"})
loads = [float(r["loadavg"].split()[0]) for r in records]
header = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "cpu": machine,
          "onnxruntime_node": args.ort_version, "edgeformer_commit": args.commit, "edgeformer_isa": isas,
          "decode_steps_averaged": args.gen, "loadavg_1min_range": [min(loads), max(loads)] if loads else []}
with open(args.json, "w") as f:
    json.dump({"header": header, "summary": summary, "measurements": records}, f, indent=1)

flags = ", ".join(f"{name} {'yes' if on else 'no'}" for name, on in machine["flags"].items())
print(f"CPU: {machine['model_name']} ({machine['cpus']} CPUs; {flags}). {header['date']}; "
      f"onnxruntime-node {args.ort_version}, edgeformer {args.commit} ({'/'.join(isas)} kernels).")
if loads:
    print(f"1-minute load average before the runs: {min(loads):.2f}-{max(loads):.2f}.")
print("A run's time is 1000 / its mean rate over repetitions (what `edgeformer bench` reports), for ORT over "
      "bench.js's timed runs with pre-allocated outputs; the speed ratio is ORT ms / edgeformer ms, per round. "
      f"edgeformer's decode step is the mean over positions 128..{127 + args.gen}, ORT's is at position 128.\n")
print("| workload | test | threads | rounds | ORT ms, median (min) | edgeformer ms, median (min) "
      "| speed edgeformer / ORT, median (min-max) | peak RSS MiB, ORT / edgeformer |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
for s in summary:
    if not s["rounds"]:
        continue
    o, e, q = s["ort_ms"], s["edgeformer_ms"], s["ratio"]
    print(f"| {s['workload']} | {s['test']} | {s['threads']} | {s['rounds']} "
          f"| {statistics.median(o):.2f} ({min(o):.2f}) | {statistics.median(e):.2f} ({min(e):.2f}) "
          f"| {statistics.median(q):.2f} ({min(q):.2f}-{max(q):.2f}) "
          f"| {s['ort_peak_rss_mib']:.0f} / {s['edgeformer_peak_rss_mib']:.0f} |")
