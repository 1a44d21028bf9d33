"""python3 -m edgeformer: the CLI's commands over the Python package.

    python3 -m edgeformer convert FOLDER -o model.eft [--quant int8] [--kv f16] [--max-seq N] [--tokenizer F]
    python3 -m edgeformer inspect model.eft [--check]
    python3 -m edgeformer generate model.eft [--prompt TEXT | --prompt-ids 1,2,3] [-n N] [--temperature T] ...
    python3 -m edgeformer embed|classify model.eft TEXT [TEXT ...]
    python3 -m edgeformer translate model.eft TEXT [--beam N] [-n N]
    python3 -m edgeformer tokenize model.eft TEXT
"""
import argparse
import json
import sys

import numpy as np

import edgeformer


def ids(text):
    try:
        return [int(x) for x in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected ids like 1,2,3, got {text!r}")


def parser():
    p = argparse.ArgumentParser(prog="python3 -m edgeformer", description="edgeformer's commands, in Python")
    commands = p.add_subparsers(dest="command", required=True)
    c = commands.add_parser("convert", help="a checkpoint to an .eft file (as edgeformer-convert)")
    c.add_argument("input", nargs="?")
    c.add_argument("-o", "--output", required=True)
    c.add_argument("--quant", default="f32", choices=["f32", "int8", "int4"])
    c.add_argument("--kv", default="f32", choices=["f32", "f16", "int8"])
    c.add_argument("--max-seq", type=int)
    c.add_argument("--prefill-chunk", type=int)
    c.add_argument("--tokenizer")
    c.add_argument("--synthetic")
    i = commands.add_parser("inspect", help="the model's description, as JSON")
    i.add_argument("model")
    i.add_argument("--check", action="store_true", help="read every weight (NaN, Inf, wrong row sums)")
    g = commands.add_parser("generate", help="continue a prompt")
    g.add_argument("model")
    g.add_argument("--prompt")
    g.add_argument("--prompt-ids", type=ids)
    g.add_argument("-n", type=int, default=256)
    g.add_argument("--temperature", type=float, default=0.0)
    g.add_argument("--top-k", type=int, default=0)
    g.add_argument("--top-p", type=float, default=1.0)
    g.add_argument("--seed", type=int, default=0)
    for name in ("embed", "classify"):
        e = commands.add_parser(name, help=f"{name} texts with an encoder")
        e.add_argument("model")
        e.add_argument("texts", nargs="+")
    t = commands.add_parser("translate", help="translate a text with an encoder-decoder")
    t.add_argument("model")
    t.add_argument("text")
    t.add_argument("--beam", type=int, default=1)
    t.add_argument("-n", type=int, default=0)
    k = commands.add_parser("tokenize", help="a text's token ids")
    k.add_argument("model")
    k.add_argument("text")
    for sub in (g, t, *[commands.choices[n] for n in ("embed", "classify")]):
        sub.add_argument("--threads", type=int, default=1)
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        if args.command == "convert":
            summary = edgeformer.convert(args.input, args.output, quant=args.quant, kv=args.kv, max_seq=args.max_seq,
                                         prefill_chunk=args.prefill_chunk, tokenizer=args.tokenizer,
                                         synthetic=args.synthetic)
            for note in summary.pop("notes"):
                print(f"note: {note}", file=sys.stderr)
            print(json.dumps(summary, indent=2))
        elif args.command == "inspect":
            print(json.dumps(edgeformer.inspect(args.model, check_weights=args.check), indent=2))
        elif args.command == "generate":
            model = edgeformer.Model(args.model)
            prompt = args.prompt_ids if args.prompt_ids is not None else args.prompt
            if isinstance(prompt, str):
                print(prompt, end="", flush=True)  # as the CLI, which prints the prompt first
            for piece in model.generate(prompt, max_tokens=args.n, temperature=args.temperature, top_k=args.top_k,
                                        top_p=args.top_p, seed=args.seed, stream=True, threads=args.threads):
                print(piece, end="", flush=True)
            print()
        elif args.command == "embed":
            np.set_printoptions(precision=6, suppress=True)
            print(edgeformer.Model(args.model).embed(args.texts, threads=args.threads))
        elif args.command == "classify":
            model = edgeformer.Model(args.model)
            labels = model.labels
            for text, row in zip(args.texts, model.classify(args.texts, threads=args.threads)):
                print(text)
                for index in np.argsort(-row, kind="stable"):
                    label = labels[index] if index < len(labels) else f"LABEL_{index}"
                    print(f"  {label:<20} {row[index]:.4f}")
        elif args.command == "translate":
            print(edgeformer.Model(args.model).translate(args.text, beam=args.beam, max_tokens=args.n,
                                                          threads=args.threads))
        elif args.command == "tokenize":
            print(",".join(map(str, edgeformer.Model(args.model).tokenize(args.text))))
    except edgeformer.EdgeformerError as e:
        print(f"edgeformer: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
