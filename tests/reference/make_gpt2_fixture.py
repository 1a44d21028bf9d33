#!/usr/bin/python3
"""Writes a tiny random-weight GPT-2 checkpoint in the Hugging Face layout, plus PyTorch reference outputs for it.

The forward pass is written here with torch.nn.functional primitives (no `transformers`), following the semantics of
Hugging Face's GPT2LMHeadModel, and is evaluated in float64 on the float32 weights so that the reference is more
precise than any float32 implementation under test.

Usage: /usr/bin/python3 tests/reference/make_gpt2_fixture.py [OUTPUT_DIR]   (default tests/fixtures/gpt2-tiny)
Needs PyTorch (Debian's python3-torch). Writes OUTPUT_DIR/config.json, model.safetensors and reference.json, then
reads the safetensors file back and cross-checks the forward pass against a second, loop-based formulation.
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

from fixture_io import RandomParameters, SIGNIFICANT_DIGITS, compact_json, read_safetensors, rounded, write_safetensors

CONFIG = {
    "vocab_size": 96,
    "n_positions": 32,
    "n_embd": 32,
    "n_layer": 2,
    "n_head": 4,
    "bos_token_id": 95,
    "eos_token_id": 95,
}
LAYER_NORM_EPSILON = 1e-5
WEIGHT_STD = 0.2  # large enough that activations, and so the logits, are far from zero
GREEDY_STEPS = 12
PROMPT_LENGTHS = (1, 7, CONFIG["n_positions"])  # the last one fills the whole context
CHECK_TOLERANCE = 1e-12


def hf_config():
    """config.json with the keys and defaults of the hub's gpt2 config, resized to the tiny model."""
    return {
        "activation_function": "gelu_new",
        "architectures": ["GPT2LMHeadModel"],
        "attn_pdrop": 0.1,
        "bos_token_id": CONFIG["bos_token_id"],
        "embd_pdrop": 0.1,
        "eos_token_id": CONFIG["eos_token_id"],
        "initializer_range": WEIGHT_STD,
        "layer_norm_epsilon": LAYER_NORM_EPSILON,
        "model_type": "gpt2",
        "n_ctx": CONFIG["n_positions"],
        "n_embd": CONFIG["n_embd"],
        "n_head": CONFIG["n_head"],
        "n_inner": None,
        "n_layer": CONFIG["n_layer"],
        "n_positions": CONFIG["n_positions"],
        "reorder_and_upcast_attn": False,
        "resid_pdrop": 0.1,
        "scale_attn_by_inverse_layer_idx": False,
        "scale_attn_weights": True,
        "summary_activation": None,
        "summary_first_dropout": 0.1,
        "summary_proj_to_labels": True,
        "summary_type": "cls_index",
        "summary_use_proj": True,
        "task_specific_params": {"text-generation": {"do_sample": True, "max_length": 50}},
        "tie_word_embeddings": True,
        "torch_dtype": "float32",
        "use_cache": True,
        "vocab_size": CONFIG["vocab_size"],
    }


def inner_size(cfg):
    return cfg.get("n_inner") or 4 * cfg["n_embd"]


# ---------------------------------------------------------------------------------------------------------------------
# Weights
# ---------------------------------------------------------------------------------------------------------------------

def make_weights(cfg):
    """float32 tensors named and shaped as in the hub's gpt2 model.safetensors (Conv1D weights are [in, out])."""
    vocab, positions, embd, inner = cfg["vocab_size"], cfg["n_positions"], cfg["n_embd"], inner_size(cfg)

    random = RandomParameters(WEIGHT_STD)
    matrix, norm_weight, bias = random.matrix, random.norm_weight, random.bias
    weights = {"wte.weight": matrix(vocab, embd), "wpe.weight": matrix(positions, embd)}
    for i in range(cfg["n_layer"]):
        p = f"h.{i}."
        weights[p + "ln_1.weight"] = norm_weight(embd)
        weights[p + "ln_1.bias"] = bias(embd)
        weights[p + "attn.c_attn.weight"] = matrix(embd, 3 * embd)
        weights[p + "attn.c_attn.bias"] = bias(3 * embd)
        weights[p + "attn.c_proj.weight"] = matrix(embd, embd)
        weights[p + "attn.c_proj.bias"] = bias(embd)
        weights[p + "ln_2.weight"] = norm_weight(embd)
        weights[p + "ln_2.bias"] = bias(embd)
        weights[p + "mlp.c_fc.weight"] = matrix(embd, inner)
        weights[p + "mlp.c_fc.bias"] = bias(inner)
        weights[p + "mlp.c_proj.weight"] = matrix(inner, embd)
        weights[p + "mlp.c_proj.bias"] = bias(embd)
    weights["ln_f.weight"] = norm_weight(embd)
    weights["ln_f.bias"] = bias(embd)
    return {name: t.to(torch.float32).contiguous() for name, t in weights.items()}


# ---------------------------------------------------------------------------------------------------------------------
# Forward pass (GPT2LMHeadModel semantics); the primitives are parameters so that a second formulation can be plugged in
# ---------------------------------------------------------------------------------------------------------------------

def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def conv1d(x, weight, bias):
    return x @ weight + bias  # GPT-2's Conv1D: weight is [in, out]


def layer_norm(x, weight, bias, eps):
    return F.layer_norm(x, (x.shape[-1],), weight, bias, eps)


def causal_attention(q, k, v, n_head):
    """q, k, v: [T, n_embd] -> [T, n_embd]; all heads at once with batched matmul."""
    seq, embd = q.shape
    head_dim = embd // n_head

    def split(t):
        return t.reshape(seq, n_head, head_dim).transpose(0, 1)  # [H, T, D]

    q, k, v = split(q), split(k), split(v)
    scores = (q @ k.transpose(-1, -2)) / math.sqrt(head_dim)
    future = torch.ones(seq, seq, dtype=torch.bool).triu(1)
    scores = scores.masked_fill(future, float("-inf"))
    out = F.softmax(scores, dim=-1) @ v
    return out.transpose(0, 1).reshape(seq, embd)


def gpt2_forward(w, cfg, ids, attention=causal_attention, norm=layer_norm, act=gelu_new, linear=conv1d):
    """Returns (logits [T, vocab], hidden [T, n_embd] after ln_f) for one sequence of token ids."""
    eps, embd = cfg["layer_norm_epsilon"], cfg["n_embd"]
    ids = torch.as_tensor(ids, dtype=torch.long)
    if not 1 <= len(ids) <= cfg["n_positions"]:
        raise ValueError(f"sequence length {len(ids)} outside 1..{cfg['n_positions']}")
    x = w["wte.weight"][ids] + w["wpe.weight"][: len(ids)]
    for i in range(cfg["n_layer"]):
        p = f"h.{i}."
        h = norm(x, w[p + "ln_1.weight"], w[p + "ln_1.bias"], eps)
        qkv = linear(h, w[p + "attn.c_attn.weight"], w[p + "attn.c_attn.bias"])
        q, k, v = qkv.split(embd, dim=-1)
        x = x + linear(attention(q, k, v, cfg["n_head"]), w[p + "attn.c_proj.weight"], w[p + "attn.c_proj.bias"])
        h = norm(x, w[p + "ln_2.weight"], w[p + "ln_2.bias"], eps)
        h = act(linear(h, w[p + "mlp.c_fc.weight"], w[p + "mlp.c_fc.bias"]))
        x = x + linear(h, w[p + "mlp.c_proj.weight"], w[p + "mlp.c_proj.bias"])
    hidden = norm(x, w["ln_f.weight"], w["ln_f.bias"], eps)
    return hidden @ w["wte.weight"].T, hidden  # tied head, no bias


def greedy(w, cfg, prompt, steps):
    """Re-runs the full forward on the growing sequence (no cache) and stops when the context is full."""
    seq, margins = list(prompt), []
    for _ in range(steps):
        if len(seq) >= cfg["n_positions"]:
            break
        logits, _ = gpt2_forward(w, cfg, seq)
        top2 = torch.topk(logits[-1], 2).values
        margins.append(float(top2[0] - top2[1]))  # how safe the argmax is for a float32 implementation
        seq.append(int(torch.argmax(logits[-1])))
    return seq[len(prompt):], margins


# ---------------------------------------------------------------------------------------------------------------------
# Second formulation, used only to cross-check the one above
# ---------------------------------------------------------------------------------------------------------------------

def loop_attention(q, k, v, n_head):
    """One head and one query position at a time, with an explicit max-subtracted softmax over keys 0..t."""
    seq, embd = q.shape
    head_dim = embd // n_head
    out = torch.zeros_like(q)
    for head in range(n_head):
        cols = slice(head * head_dim, (head + 1) * head_dim)
        for t in range(seq):
            scores = torch.stack([torch.dot(q[t, cols], k[s, cols]) for s in range(t + 1)]) / math.sqrt(head_dim)
            probs = torch.exp(scores - scores.max())
            probs = probs / probs.sum()
            out[t, cols] = (probs[:, None] * v[: t + 1, cols]).sum(dim=0)
    return out


def manual_layer_norm(x, weight, bias, eps):
    mean = x.mean(dim=-1, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=-1, keepdim=True)  # biased variance, as nn.LayerNorm
    return (x - mean) / torch.sqrt(var + eps) * weight + bias


def torch_gelu_tanh(x):
    return F.gelu(x, approximate="tanh")


def linear_transposed(x, weight, bias):
    return F.linear(x, weight.T, bias)  # nn.Linear layout [out, in]


def max_abs_diff(a, b):
    return float((a - b).abs().max())


def cross_check(w64, w32, cfg, prompts):
    """Raises if the two formulations disagree beyond CHECK_TOLERANCE; prints the float32 gap for information."""
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(5, 7, generator=gen, dtype=torch.float64) * 3
    checks = {
        "gelu_new vs F.gelu(tanh)": max_abs_diff(gelu_new(x), torch_gelu_tanh(x)),
        "layer_norm vs manual": max_abs_diff(layer_norm(x, x[0], x[1], 1e-5), manual_layer_norm(x, x[0], x[1], 1e-5)),
    }
    embd = cfg["n_embd"]
    qkv = torch.randn(cfg["n_positions"], 3 * embd, generator=gen, dtype=torch.float64) * 2
    q, k, v = qkv.split(embd, dim=-1)
    checks["attention batched vs loop"] = max_abs_diff(causal_attention(q, k, v, cfg["n_head"]),
                                                       loop_attention(q, k, v, cfg["n_head"]))
    longest = max(prompts, key=len)
    logits, hidden = gpt2_forward(w64, cfg, longest)
    alt_logits, alt_hidden = gpt2_forward(w64, cfg, longest, attention=loop_attention, norm=manual_layer_norm,
                                          act=torch_gelu_tanh, linear=linear_transposed)
    checks["forward logits vs second formulation"] = max_abs_diff(logits, alt_logits)
    checks["forward hidden vs second formulation"] = max_abs_diff(hidden, alt_hidden)
    # Causality: position t of the full run must equal the last position of a run on the prefix of length t + 1.
    checks["full run vs prefix runs"] = max(max_abs_diff(logits[t], gpt2_forward(w64, cfg, longest[: t + 1])[0][-1])
                                            for t in range(len(longest)))
    for name, diff in checks.items():
        status = "ok" if diff <= CHECK_TOLERANCE else "FAILED"
        print(f"  check {name}: max |diff| = {diff:.3e} {status}")
    failed = [name for name, diff in checks.items() if diff > CHECK_TOLERANCE]
    if failed:
        raise SystemExit(f"cross-checks failed: {', '.join(failed)}")
    logits32, _ = gpt2_forward(w32, cfg, longest)
    gap = max_abs_diff(logits32.double(), logits)
    print(f"  info: float32 forward vs float64 reference, max |logit diff| = {gap:.3e}")


# ---------------------------------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------------------------------

def main():
    if sys.byteorder != "little":
        raise SystemExit("the safetensors reader here assumes a little-endian host")
    torch.set_num_threads(1)  # the model is tiny; do not take cores from other work on the machine
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join("tests", "fixtures", "gpt2-tiny")
    os.makedirs(out_dir, exist_ok=True)

    torch.manual_seed(0)
    config = hf_config()
    weights = make_weights(config)
    # Prompts come from the same seeded stream, after the weights; the 1-token prompt is the BOS token.
    prompts = [[config["bos_token_id"]]] + [torch.randint(0, config["vocab_size"], (n,)).tolist()
                                            for n in PROMPT_LENGTHS[1:]]

    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
        f.write("\n")
    st_path = os.path.join(out_dir, "model.safetensors")
    write_safetensors(st_path, weights)

    # Read the file back and use what it holds, so the reference is computed from exactly the committed bytes.
    names, metadata, loaded = read_safetensors(st_path)
    if names != list(weights) or metadata != {"format": "pt"}:
        raise SystemExit("safetensors read-back: names, order or metadata differ from what was written")
    for name, tensor in weights.items():
        if not torch.equal(loaded[name], tensor):
            raise SystemExit(f"safetensors read-back: {name} differs")
    print(f"safetensors read-back ok: {len(names)} tensors, {os.path.getsize(st_path)} bytes")

    w64 = {name: t.double() for name, t in loaded.items()}
    w32 = {name: t.clone() for name, t in loaded.items()}
    entries = []
    for prompt in prompts:
        logits, hidden = gpt2_forward(w64, config, prompt)
        continuation, margins = greedy(w64, config, prompt, GREEDY_STEPS)
        if margins:
            print(f"  prompt of {len(prompt)}: greedy {continuation}, smallest top-2 logit margin {min(margins):.4f}")
        entries.append({
            "ids": prompt,
            "logits_last": rounded(logits[-1]),
            "logits_all_sum": rounded(logits.sum(dim=-1)),
            "greedy": continuation,
            "hidden_last": rounded(hidden[-1]),
        })
    reference = {
        "generator": "tests/reference/make_gpt2_fixture.py",
        "precision": f"float64 forward on the float32 weights, rounded to {SIGNIFICANT_DIGITS} significant digits",
        "greedy_steps": GREEDY_STEPS,
        "prompts": entries,
    }
    ref_path = os.path.join(out_dir, "reference.json")
    with open(ref_path, "w") as f:
        f.write(compact_json(reference) + "\n")
    with open(ref_path) as f:
        json.load(f)  # the hand-formatted file must still be valid JSON

    print("cross-checks:")
    cross_check(w64, w32, config, prompts)
    print(f"wrote {out_dir}/config.json, model.safetensors, reference.json")


if __name__ == "__main__":
    main()
