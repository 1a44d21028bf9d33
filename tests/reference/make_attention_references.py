#!/usr/bin/env python3
"""Attention probabilities of the BERT, GPT-2, LLaMA, Mistral and Marian fixtures, for the capture tests.

Each fixture's own reference forward pass (make_*_fixture.py, torch.nn.functional in float64 on the committed
float32 weights) runs with its attention function wrapped: the wrapper computes softmax(QK^T / sqrt(d) + mask) as
the fixture's reference does, records the probabilities, and returns probabilities @ V, which must equal the
unwrapped attention's output (so the recorded matrices are the ones the reference model used). Writes
`attention.json` into each fixture folder:

    {"cases": [{"kind": "encoder" | "decoder" | "cross", "ids": [...] (decoders), "source"/"target"/"mask": [...],
                "queries": Q, "keys": K, "probabilities": [layer][head][Q * K]}]}

Usage (Debian's python3-torch): /usr/bin/python3 tests/reference/make_attention_references.py tests/fixtures
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_bert_fixture as bert  # noqa: E402
import make_gpt2_fixture as gpt2  # noqa: E402
import make_llama_layout_fixture as llama  # noqa: E402
import make_marian_fixture as marian  # noqa: E402
from fixture_io import compact_json, read_safetensors, rounded  # noqa: E402

TOLERANCE = 1e-12


def load(folder):
    _, _, tensors = read_safetensors(os.path.join(folder, "model.safetensors"))
    with open(os.path.join(folder, "config.json")) as f:
        config = json.load(f)
    return {name: t.double() for name, t in tensors.items()}, config


def reference(folder):
    with open(os.path.join(folder, "reference.json")) as f:
        return json.load(f)


class Recorder:
    """Wraps an attention function; `record(probabilities [H, Q, K])` is called once per layer, in order."""

    def __init__(self):
        self.layers = []

    def check(self, got, want):
        if (got - want).abs().max() > TOLERANCE:
            raise SystemExit("the recording attention differs from the fixture's own")
        return got


def as_case(kind, layers, extra):
    heads, queries, keys = layers[0].shape
    return dict(kind=kind, queries=queries, keys=keys, **extra,
                probabilities=[[rounded(layer[h].reshape(-1)) for h in range(heads)] for layer in layers])


def gpt2_case(folder, ids):
    w, cfg = load(folder)
    rec = Recorder()

    def recording(q, k, v, n_head):
        seq, embd = q.shape
        hd = embd // n_head
        qh, kh, vh = (t.reshape(seq, n_head, hd).transpose(0, 1) for t in (q, k, v))
        scores = (qh @ kh.transpose(-1, -2)) / math.sqrt(hd)
        scores = scores.masked_fill(torch.ones(seq, seq, dtype=torch.bool).triu(1), float("-inf"))
        p = F.softmax(scores, dim=-1)
        rec.layers.append(p)
        return rec.check((p @ vh).transpose(0, 1).reshape(seq, embd), gpt2.causal_attention(q, k, v, n_head))

    gpt2.gpt2_forward(w, cfg, ids, attention=recording)
    return as_case("decoder", rec.layers, {"ids": ids})


def llama_case(folder, ids):
    w, cfg = load(folder)
    rec = Recorder()
    original = llama.attend

    def recording(q, k, v, causal_offset, window=None):
        groups = q.shape[0] // k.shape[0]
        kk, vv = k.repeat_interleave(groups, dim=0), v.repeat_interleave(groups, dim=0)
        scores = q @ kk.transpose(-1, -2) / math.sqrt(q.shape[-1])
        t, s = q.shape[1], kk.shape[1]
        query = (causal_offset + torch.arange(t))[:, None]
        hidden = torch.arange(s)[None, :] > query
        if window is not None:
            hidden = hidden | (query - torch.arange(s)[None, :] >= window)
        p = F.softmax(scores.masked_fill(hidden, float("-inf")), dim=-1)
        rec.layers.append(p)
        return rec.check((p @ vv).transpose(0, 1).reshape(t, -1), original(q, k, v, causal_offset, window))

    llama.attend = recording
    try:
        llama.forward(w, cfg, ids)
    finally:
        llama.attend = original
    return as_case("decoder", rec.layers, {"ids": ids})


def bert_cases(folder):
    w, _ = load(folder)
    batch = reference(folder)["batch"]
    cases = []
    for ids, mask in zip(batch["ids"], batch["mask"]):
        rec = Recorder()

        def recording(q, k, v, m):
            b, seq, _ = q.shape
            hd = bert.DIM // bert.HEADS
            qh, kh, vh = (t.reshape(b, seq, bert.HEADS, hd).transpose(1, 2) for t in (q, k, v))
            scores = qh @ kh.transpose(-1, -2) / math.sqrt(hd)
            scores = scores + (1.0 - m[:, None, None, :]) * torch.finfo(torch.float32).min
            p = F.softmax(scores, dim=-1)
            rec.layers.append(p[0])
            return rec.check((p @ vh).transpose(1, 2).reshape(b, seq, bert.DIM), bert.batched_attention(q, k, v, m))

        t = torch.tensor([ids])
        bert.bert_forward(w, "", t, torch.zeros_like(t), torch.tensor([mask]), attention=recording)
        cases.append(as_case("encoder", rec.layers, {"ids": ids, "mask": mask}))
    return cases


def marian_cases(folder):
    w, _ = load(folder)
    forced = max(reference(folder)["teacher_forced"], key=lambda c: len(c["source"]))
    source, target = forced["source"], forced["target"]
    by_kind = {"encoder": [], "decoder": [], "cross": []}

    def recording(q, k, v, key_mask, causal):
        b, tq, _ = q.shape
        tk = k.shape[1]
        hd = marian.DIM // marian.HEADS

        def split(t, n):
            return t.reshape(b, n, marian.HEADS, hd).transpose(1, 2)

        scores = (split(q, tq) * hd ** -0.5) @ split(k, tk).transpose(-1, -2)
        big = torch.finfo(torch.float32).min
        scores = scores + (1.0 - key_mask[:, None, None, :]) * big
        if causal:
            scores = scores + torch.ones(tq, tk, dtype=torch.bool).triu(1) * big
        p = F.softmax(scores, dim=-1)
        kind = "decoder" if causal else "cross" if decoding else "encoder"
        by_kind[kind].append(p[0])
        out = (p @ split(v, tk)).transpose(1, 2).reshape(b, tq, marian.DIM)
        return Recorder().check(out, marian.attention(q, k, v, key_mask, causal))

    ids, mask = torch.tensor([source]), torch.ones(1, len(source))
    decoding = False
    memory = marian.encode(w, ids, mask, attn=recording)
    decoding = True
    marian.decode(w, memory, mask, torch.tensor([target]), attn=recording)
    return [as_case(kind, layers, {"source": source, "target": target}) for kind, layers in by_kind.items()]


def write(folder, cases):
    with open(os.path.join(folder, "attention.json"), "w") as f:
        f.write(compact_json({"generator": "tests/reference/make_attention_references.py",
                              "precision": "float64 reference forward, rounded to 7 significant digits",
                              "cases": cases}) + "\n")


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: make_attention_references.py FIXTURES_DIR")
    torch.set_num_threads(1)
    root = sys.argv[1]
    gpt2_folder = os.path.join(root, "gpt2-tiny")
    write(gpt2_folder, [gpt2_case(gpt2_folder, reference(gpt2_folder)["prompts"][1]["ids"])])
    for name in ("llama-bias-tiny", "mistral-tiny"):  # Mistral's window of 8 is shorter than the 40-token prompt
        folder = os.path.join(root, name)
        prompts = reference(folder)["prompts"]
        write(folder, [llama_case(folder, prompts[1]["ids"]), llama_case(folder, prompts[2]["ids"])])
    bert_folder = os.path.join(root, "bert-tiny-sentence")
    write(bert_folder, bert_cases(bert_folder))
    marian_folder = os.path.join(root, "marian-tiny")
    write(marian_folder, marian_cases(marian_folder))


if __name__ == "__main__":
    main()
