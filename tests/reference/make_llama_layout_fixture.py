"""Fixtures for the decoders laid out as LLaMA with more biases or another head size, with float64 references.

    /usr/bin/python3 tests/reference/make_llama_layout_fixture.py [OUTPUT_ROOT]   (default tests/fixtures)

Needs PyTorch (Debian's python3-torch). Writes two seeded random-weight checkpoints in the Hugging Face layout,
config.json + model.safetensors + reference.json each:
- qwen2-tiny: model_type qwen2 (Qwen2ForCausalLM): q, k and v biases, no o bias, tied embeddings, grouped-query
  attention, rope_theta 1e6;
- qwen3-tiny: model_type qwen3 (Qwen3ForCausalLM): an RMSNorm of each head of q and of k before RoPE, head_dim 16
  while hidden_size / heads is 12, no biases, tied embeddings;
- llama-bias-tiny: model_type llama with attention_bias and mlp_bias (q, k, v, o and the feed-forward's three
  biases), head_dim 16 while hidden_size / heads is 12, an untied lm_head.
- mistral-tiny: model_type mistral (MistralForCausalLM): a sliding window of 8 on every layer (a query sees the keys
  of its last 8 positions, itself included), explicit head_dim;
- phi3-tiny: model_type phi3 (Phi3ForCausalLM): fused qkv_proj and gate_up_proj, partial_rotary_factor 0.5 (the
  first half of each head rotates), LongRoPE (short factors up to original_max_position_embeddings 32, long ones
  past it, cos / sin scaled by sqrt(1 + ln(128 / 32) / ln 32)) and a sliding window of 24.
The forward pass follows transformers' modeling_llama.py / modeling_qwen2.py / modeling_mistral.py /
modeling_phi3.py (RMSNorm, rotate-half RoPE on position ids 0.., repeat_kv, softmax(QK^T / sqrt(head_dim) + causal
and window mask) V, SwiGLU), in float64 on the float32 weights. LongRoPE's frequencies follow the forward call's
length; a call is the whole sequence here, and no greedy continuation crosses the original context (where
transformers' Phi-3 generate() recomputes the cache). It is checked for its own mistakes: causality (appending
tokens leaves earlier logits unchanged), a token-by-token KV-cache formulation against the full recompute, and each
feature (every bias kind, the head size, the window) changing the logits when it is removed.
"""
import math
import os
import sys

import torch
import torch.nn.functional as F

from fixture_io import RandomParameters, rounded, write_checkpoint, write_reference

WEIGHT_STD = 0.25  # peaked attention and logits far apart, so that a wrong detail changes the greedy ids
GREEDY_STEPS = 12
CHECK_TOLERANCE = 1e-10

MODELS = {
    "qwen2-tiny": {
        "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 48, "intermediate_size": 96,
        "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 128,
        "max_position_embeddings": 64, "rope_theta": 1000000.0, "rms_norm_eps": 1e-6, "hidden_act": "silu",
        "tie_word_embeddings": True, "use_sliding_window": False, "sliding_window": 64, "max_window_layers": 2,
        "bos_token_id": 1, "eos_token_id": 2, "attention_dropout": 0.0, "initializer_range": WEIGHT_STD,
        "torch_dtype": "float32", "use_cache": True,
    },
    "qwen3-tiny": {
        "architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "hidden_size": 48, "intermediate_size": 96,
        "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
        "vocab_size": 128, "max_position_embeddings": 64, "rope_theta": 1000000.0, "rms_norm_eps": 1e-6,
        "hidden_act": "silu", "attention_bias": False, "tie_word_embeddings": True, "use_sliding_window": False,
        "sliding_window": None, "max_window_layers": 2, "bos_token_id": 1, "eos_token_id": 2,
        "attention_dropout": 0.0, "initializer_range": WEIGHT_STD, "torch_dtype": "float32", "use_cache": True,
    },
    "llama-bias-tiny": {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 48, "intermediate_size": 80,
        "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
        "vocab_size": 128, "max_position_embeddings": 64, "rope_theta": 10000.0, "rms_norm_eps": 1e-5,
        "hidden_act": "silu", "attention_bias": True, "mlp_bias": True, "tie_word_embeddings": False,
        "bos_token_id": 1, "eos_token_id": 2, "attention_dropout": 0.0, "pretraining_tp": 1,
        "initializer_range": WEIGHT_STD, "torch_dtype": "float32", "use_cache": True,
    },
    "mistral-tiny": {
        "architectures": ["MistralForCausalLM"], "model_type": "mistral", "hidden_size": 48, "intermediate_size": 96,
        "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 12,
        "vocab_size": 128, "max_position_embeddings": 64, "rope_theta": 10000.0, "rms_norm_eps": 1e-5,
        "hidden_act": "silu", "sliding_window": 8, "tie_word_embeddings": False, "bos_token_id": 1,
        "eos_token_id": 2, "attention_dropout": 0.0, "initializer_range": WEIGHT_STD, "torch_dtype": "float32",
        "use_cache": True,
    },
    "phi3-tiny": {
        "architectures": ["Phi3ForCausalLM"], "model_type": "phi3", "hidden_size": 64, "intermediate_size": 96,
        "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 128,
        "max_position_embeddings": 128, "original_max_position_embeddings": 32, "partial_rotary_factor": 0.5,
        "rope_theta": 10000.0, "rope_scaling": {"type": "longrope", "short_factor": [1.0, 1.2, 1.7, 2.5],
                                                "long_factor": [1.0, 2.0, 5.0, 12.0]},
        "rms_norm_eps": 1e-5, "hidden_act": "silu", "sliding_window": 24, "tie_word_embeddings": False,
        "bos_token_id": 1, "eos_token_id": 2, "attention_dropout": 0.0, "resid_pdrop": 0.0, "embd_pdrop": 0.0,
        "initializer_range": WEIGHT_STD, "torch_dtype": "float32", "use_cache": True,
    },
}
PROMPT_LENGTHS = (1, 9, 40)


def head_dim(cfg):
    return cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]


def biases(cfg):
    """(q/k/v, o, mlp): which linear layers have a bias."""
    if cfg["model_type"] == "qwen2":
        return True, False, False
    mlp_bias = cfg["model_type"] == "llama" and cfg.get("mlp_bias", False)
    return cfg.get("attention_bias", False), cfg.get("attention_bias", False), mlp_bias


def make_weights(cfg):
    dim, inner, vocab = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    hd, heads, kv_heads = head_dim(cfg), cfg["num_attention_heads"], cfg["num_key_value_heads"]
    qkv_bias, o_bias, mlp_bias = biases(cfg)
    random = RandomParameters(WEIGHT_STD)
    w = {"model.embed_tokens.weight": random.matrix(vocab, dim)}
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        w[p + "input_layernorm.weight"] = random.norm_weight(dim)
        for name, rows in (("q", heads * hd), ("k", kv_heads * hd), ("v", kv_heads * hd)):
            w[p + f"self_attn.{name}_proj.weight"] = random.matrix(rows, dim)
            if qkv_bias:
                w[p + f"self_attn.{name}_proj.bias"] = random.bias(rows)
        if cfg["model_type"] == "qwen3":
            w[p + "self_attn.q_norm.weight"] = random.norm_weight(hd)
            w[p + "self_attn.k_norm.weight"] = random.norm_weight(hd)
        w[p + "self_attn.o_proj.weight"] = random.matrix(dim, heads * hd)
        if o_bias:
            w[p + "self_attn.o_proj.bias"] = random.bias(dim)
        w[p + "post_attention_layernorm.weight"] = random.norm_weight(dim)
        for name, shape in (("gate", (inner, dim)), ("up", (inner, dim)), ("down", (dim, inner))):
            w[p + f"mlp.{name}_proj.weight"] = random.matrix(*shape)
            if mlp_bias:
                w[p + f"mlp.{name}_proj.bias"] = random.bias(shape[0])
    w["model.norm.weight"] = random.norm_weight(dim)
    if not cfg["tie_word_embeddings"]:
        w["lm_head.weight"] = random.matrix(vocab, dim)
    if cfg["model_type"] == "phi3":  # Phi-3 stores q, k, v as one projection, and gate and up as one
        for i in range(cfg["num_hidden_layers"]):
            p = f"model.layers.{i}."
            w[p + "self_attn.qkv_proj.weight"] = torch.cat([w.pop(p + f"self_attn.{n}_proj.weight") for n in "qkv"])
            w[p + "mlp.gate_up_proj.weight"] = torch.cat([w.pop(p + f"mlp.{n}_proj.weight") for n in ("gate", "up")])
    return {name: t.to(torch.float32).contiguous() for name, t in w.items()}


def rms_norm(x, weight, eps):
    return weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def theta_rotary(theta, hd):
    """(inv_freq, scale) of unscaled RoPE: inv_freq = 1 / theta^(2i / hd)."""
    return 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd)), 1.0


def rotary_of(cfg, length):
    """(inv_freq, scale) of a forward call over positions 0 .. length - 1: theta's over the rotated part of a head,
    or LongRoPE's (Phi-3) short or long factors and attention factor."""
    dim = int(head_dim(cfg) * cfg.get("partial_rotary_factor", 1.0))
    inv, scale = theta_rotary(cfg["rope_theta"], dim)
    scaling = cfg.get("rope_scaling")
    if scaling is None:
        return inv, scale
    assert scaling["type"] == "longrope"
    original = cfg["original_max_position_embeddings"]
    factor = cfg["max_position_embeddings"] / original
    factors = scaling["long_factor"] if length > original else scaling["short_factor"]
    return inv / torch.tensor(factors, dtype=torch.float64), math.sqrt(1 + math.log(factor) / math.log(original))


def rope(x, positions, rotary):
    """x [heads, T, hd] at `positions`; the first 2 * len(inv_freq) elements of each head rotate (cos / sin of the
    concatenated halves of positions * inv_freq, times scale), the rest pass."""
    inv_freq, scale = rotary
    rd = 2 * len(inv_freq)
    angles = torch.outer(positions.to(torch.float64), inv_freq)
    emb = torch.cat((angles, angles), dim=-1)
    x_rot, x_pass = x[..., :rd], x[..., rd:]
    return torch.cat((x_rot * (emb.cos() * scale) + rotate_half(x_rot) * (emb.sin() * scale), x_pass), dim=-1)


def linear(x, w, name, use_bias=True):
    bias = w.get(name + ".bias") if use_bias else None
    return F.linear(x, w[name + ".weight"], bias)


def layer_kv(w, cfg, i, x, positions, drop=(), rotary=None):
    """This layer's q, k, v for rows x at `positions`: q [heads, T, hd], k / v [kv_heads, T, hd], RoPE applied
    (rotary: (inv_freq, scale), theta's by default)."""
    p = f"model.layers.{i}.self_attn."
    hd, heads, kv_heads = head_dim(cfg), cfg["num_attention_heads"], cfg["num_key_value_heads"]
    h = rms_norm(x, w[f"model.layers.{i}.input_layernorm.weight"], cfg["rms_norm_eps"])
    if p + "qkv_proj.weight" in w:  # Phi-3: q, k and v are slices of one projection
        q, k, v = F.linear(h, w[p + "qkv_proj.weight"]).split((heads * hd, kv_heads * hd, kv_heads * hd), dim=-1)
    else:
        q, k, v = (linear(h, w, p + f"{name}_proj", "qkv" not in drop) for name in "qkv")
    q, k = q.reshape(len(x), heads, hd), k.reshape(len(x), kv_heads, hd)
    if p + "q_norm.weight" in w and "qk_norm" not in drop:  # Qwen3: each head normed before RoPE
        q = rms_norm(q, w[p + "q_norm.weight"], cfg["rms_norm_eps"])
        k = rms_norm(k, w[p + "k_norm.weight"], cfg["rms_norm_eps"])
    q, k = q.transpose(0, 1), k.transpose(0, 1)
    v = v.reshape(len(x), kv_heads, hd).transpose(0, 1)
    rotary = rotary or theta_rotary(cfg["rope_theta"], hd)
    return rope(q, positions, rotary), rope(k, positions, rotary), v


def finish_layer(w, cfg, i, x, attended, drop=()):
    p = f"model.layers.{i}."
    x = x + linear(attended, w, p + "self_attn.o_proj", "o" not in drop)
    h = rms_norm(x, w[p + "post_attention_layernorm.weight"], cfg["rms_norm_eps"])
    use = "mlp" not in drop
    if p + "mlp.gate_up_proj.weight" in w:  # Phi-3: gate and up are the halves of one projection
        gate, up = F.linear(h, w[p + "mlp.gate_up_proj.weight"]).chunk(2, dim=-1)
        return x + linear(F.silu(gate) * up, w, p + "mlp.down_proj", use)
    gated = F.silu(linear(h, w, p + "mlp.gate_proj", use)) * linear(h, w, p + "mlp.up_proj", use)
    return x + linear(gated, w, p + "mlp.down_proj", use)


def attend(q, k, v, causal_offset, window=None):
    """q [heads, T, hd] over k / v [kv_heads, S, hd]; query t sees keys 0 .. causal_offset + t, and with a sliding
    window only the last `window` of them (transformers' mask: key j visible to query i when i - j < window)."""
    groups = q.shape[0] // k.shape[0]
    k, v = k.repeat_interleave(groups, dim=0), v.repeat_interleave(groups, dim=0)
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    t, s = q.shape[1], k.shape[1]
    query = (causal_offset + torch.arange(t))[:, None]
    hidden = torch.arange(s)[None, :] > query
    if window is not None:
        hidden = hidden | (query - torch.arange(s)[None, :] >= window)
    out = F.softmax(scores.masked_fill(hidden, float("-inf")), dim=-1) @ v
    return out.transpose(0, 1).reshape(t, -1)


def window(cfg, drop=()):
    """The sliding window of every layer (Mistral, Phi-3), or None."""
    return None if "window" in drop else cfg.get("sliding_window") if cfg["model_type"] in ("mistral", "phi3") else None


def token_by_token_matches(cfg, length):
    """Whether one call per token computes what one call over the prompt does: not once LongRoPE's long factors
    apply, which the earlier tokens' calls did not use."""
    return cfg.get("rope_scaling") is None or length <= cfg["original_max_position_embeddings"]


def logits_of(w, cfg, x):
    head = w["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else w["lm_head.weight"]
    return rms_norm(x, w["model.norm.weight"], cfg["rms_norm_eps"]) @ head.T


def forward(w, cfg, ids, drop=()):
    """Logits [T, vocab] of the whole sequence (no cache)."""
    ids = torch.as_tensor(ids)
    positions = torch.arange(len(ids))
    x = w["model.embed_tokens.weight"][ids]
    for i in range(cfg["num_hidden_layers"]):
        q, k, v = layer_kv(w, cfg, i, x, positions, drop, rotary_of(cfg, len(ids)))
        x = finish_layer(w, cfg, i, x, attend(q, k, v, 0, window(cfg, drop)), drop)
    return logits_of(w, cfg, x)


def forward_cached(w, cfg, ids):
    """The same logits token by token, each layer keeping its keys and values: a second formulation."""
    caches = [(None, None)] * cfg["num_hidden_layers"]
    out = []
    for t, token in enumerate(ids):
        x = w["model.embed_tokens.weight"][torch.tensor([token])]
        for i in range(cfg["num_hidden_layers"]):
            q, k, v = layer_kv(w, cfg, i, x, torch.tensor([t]), rotary=rotary_of(cfg, t + 1))
            past_k, past_v = caches[i]
            k = k if past_k is None else torch.cat((past_k, k), dim=1)
            v = v if past_v is None else torch.cat((past_v, v), dim=1)
            caches[i] = (k, v)
            x = finish_layer(w, cfg, i, x, attend(q, k, v, t, window(cfg)))
        out.append(logits_of(w, cfg, x)[0])
    return torch.stack(out)


def greedy(w, cfg, prompt, steps):
    ids, out = list(prompt), []
    for _ in range(steps):
        if len(ids) >= cfg["max_position_embeddings"]:
            break
        out.append(int(forward(w, cfg, ids)[-1].argmax()))
        ids.append(out[-1])
    return out


def self_check(w, cfg, prompts):
    long = prompts[-1]
    full = forward(w, cfg, long)
    cached = max((p for p in prompts if token_by_token_matches(cfg, len(p))), key=len)
    if (forward(w, cfg, cached) - forward_cached(w, cfg, cached)).abs().max() > CHECK_TOLERANCE:
        raise SystemExit("the KV-cache formulation differs from the full recompute")
    causal = long if token_by_token_matches(cfg, len(long)) else cached
    if (forward(w, cfg, causal[:len(causal) // 2]) - forward(w, cfg, causal)[:len(causal) // 2]).abs().max() \
            > CHECK_TOLERANCE:
        raise SystemExit("not causal: later tokens changed earlier logits")
    qkv_bias, o_bias, mlp_bias = biases(cfg)
    qk_norm = cfg["model_type"] == "qwen3"
    for feature, present in (("qkv", qkv_bias), ("o", o_bias), ("mlp", mlp_bias), ("qk_norm", qk_norm),
                             ("window", window(cfg) is not None)):
        if present and (forward(w, cfg, long, drop=(feature,))[-1] - full[-1]).abs().max() < 1e-2:
            raise SystemExit(f"the {feature} feature does not change the logits")


def main():
    if sys.byteorder != "little":
        raise SystemExit("the safetensors reader here assumes a little-endian host")
    torch.set_num_threads(1)
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join("tests", "fixtures")
    for seed, (name, cfg) in enumerate(MODELS.items()):
        torch.manual_seed(seed)
        out_dir = os.path.join(root, name)
        weights = make_weights(cfg)
        prompts = [[cfg["bos_token_id"]]] + [[cfg["bos_token_id"]] + torch.randint(3, cfg["vocab_size"], (n - 1,)).tolist()
                                             for n in PROMPT_LENGTHS[1:]]
        w64 = write_checkpoint(out_dir, cfg, weights)
        self_check(w64, cfg, prompts)
        entries = []
        for prompt in prompts:
            logits = forward(w64, cfg, prompt)
            entries.append({"ids": prompt, "logits_last": rounded(logits[-1]), "greedy": greedy(w64, cfg, prompt, GREEDY_STEPS),
                            "token_by_token": token_by_token_matches(cfg, len(prompt))})
        reference = {
            "generator": "tests/reference/make_llama_layout_fixture.py",
            "precision": "float64 forward on the float32 weights, rounded to 7 significant digits",
            "greedy_steps": GREEDY_STEPS,
            "prompts": entries,
        }
        write_reference(out_dir, reference)
        print(f"{name}: {len(weights)} tensors, greedy from BOS {entries[0]['greedy']}")


if __name__ == "__main__":
    main()
