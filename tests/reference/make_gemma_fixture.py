"""Fixtures for Gemma, Gemma 2 and Gemma 3 (text), with float64 references.

    /usr/bin/python3 tests/reference/make_gemma_fixture.py [OUTPUT_ROOT]   (default tests/fixtures)

Needs PyTorch (Debian's python3-torch). Writes seeded random-weight checkpoints in the Hugging Face layout,
config.json + model.safetensors + reference.json each:
- gemma-tiny: model_type gemma (GemmaForCausalLM): RMSNorm scaling by (1 + weight), embeddings times
  sqrt(hidden_size), GeGLU with the tanh GELU, head_dim 16 while hidden_size / heads is 12, multi-query attention,
  tied embeddings;
- gemma2-tiny: model_type gemma2 (Gemma2ForCausalLM): norms of the attention's and the feed-forward's outputs,
  scores scaled by query_pre_attn_scalar^-0.5 and soft-capped (attn_logit_softcapping), soft-capped logits
  (final_logit_softcapping), a sliding window of 8 on the even layers;
- gemma3-tiny: model_type gemma3_text (Gemma3ForCausalLM): q and k normed per head (with (1 + weight)), sliding
  layers (all but every sliding_window_pattern-th) with their own RoPE base rope_local_base_freq, global layers with
  rope_theta and linear rope_scaling.
The forward pass follows transformers' modeling_gemma.py / modeling_gemma2.py / modeling_gemma3.py, in float64 on
the float32 weights. It is checked for its own mistakes: causality, a token-by-token KV-cache formulation against
the full recompute, and each feature changing the logits when it is removed.
"""
import math
import os
import sys

import torch
import torch.nn.functional as F

from fixture_io import RandomParameters, rounded, write_checkpoint, write_reference
from make_llama_layout_fixture import rotate_half, theta_rotary

WEIGHT_STD = 0.25
GREEDY_STEPS = 12
CHECK_TOLERANCE = 1e-10
PROMPT_LENGTHS = (1, 9, 40)

COMMON = {
    "hidden_size": 48, "intermediate_size": 96, "num_attention_heads": 4, "vocab_size": 128,
    "max_position_embeddings": 64, "rms_norm_eps": 1e-6, "hidden_act": "gelu_pytorch_tanh",
    "hidden_activation": "gelu_pytorch_tanh", "tie_word_embeddings": True, "bos_token_id": 2, "eos_token_id": 1,
    "pad_token_id": 0, "attention_bias": False, "attention_dropout": 0.0, "initializer_range": WEIGHT_STD,
    "torch_dtype": "float32", "use_cache": True,
}
MODELS = {
    "gemma-tiny": dict(COMMON, architectures=["GemmaForCausalLM"], model_type="gemma", num_hidden_layers=2,
                       num_key_value_heads=1, head_dim=16, rope_theta=10000.0, hidden_act="gelu"),
    "gemma2-tiny": dict(COMMON, architectures=["Gemma2ForCausalLM"], model_type="gemma2", num_hidden_layers=2,
                        num_key_value_heads=2, head_dim=16, rope_theta=10000.0, query_pre_attn_scalar=24,
                        attn_logit_softcapping=3.0, final_logit_softcapping=4.0, sliding_window=8),
    "gemma3-tiny": dict(COMMON, architectures=["Gemma3ForCausalLM"], model_type="gemma3_text", num_hidden_layers=3,
                        num_key_value_heads=2, head_dim=16, rope_theta=1000000.0, rope_local_base_freq=10000.0,
                        rope_scaling={"rope_type": "linear", "factor": 2.0}, query_pre_attn_scalar=16,
                        sliding_window=8, sliding_window_pattern=2, final_logit_softcapping=None,
                        attn_logit_softcapping=None),
}


def later(cfg):
    return cfg["model_type"] in ("gemma2", "gemma3_text")


def sliding(cfg, layer):
    """Gemma 2: the even layers; Gemma 3: all but every sliding_window_pattern-th."""
    if cfg["model_type"] == "gemma2":
        return layer % 2 == 0
    if cfg["model_type"] == "gemma3_text":
        return (layer + 1) % cfg["sliding_window_pattern"] != 0
    return False


def make_weights(cfg):
    dim, inner, vocab, hd = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"], cfg["head_dim"]
    heads, kv_heads = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    random = RandomParameters(WEIGHT_STD)
    norm = random.bias  # Gemma stores the norm weight w of (1 + w): near 0

    def output_norm(n):  # large, as trained Gemma 2 / 3 have them: the layers' outputs outweigh the embedding
        return 2.0 + 0.3 * torch.randn(n)

    w = {"model.embed_tokens.weight": random.matrix(vocab, dim)}
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        w[p + "input_layernorm.weight"] = norm(dim)
        for name, rows in (("q", heads * hd), ("k", kv_heads * hd), ("v", kv_heads * hd)):
            w[p + f"self_attn.{name}_proj.weight"] = random.matrix(rows, dim)
        if cfg["model_type"] == "gemma3_text":
            w[p + "self_attn.q_norm.weight"] = norm(hd)
            w[p + "self_attn.k_norm.weight"] = norm(hd)
        w[p + "self_attn.o_proj.weight"] = random.matrix(dim, heads * hd)
        w[p + "post_attention_layernorm.weight"] = output_norm(dim) if later(cfg) else norm(dim)
        if later(cfg):
            w[p + "pre_feedforward_layernorm.weight"] = norm(dim)
            w[p + "post_feedforward_layernorm.weight"] = output_norm(dim)
        for name, shape in (("gate", (inner, dim)), ("up", (inner, dim)), ("down", (dim, inner))):
            w[p + f"mlp.{name}_proj.weight"] = random.matrix(*shape)
    w["model.norm.weight"] = norm(dim)
    return {name: t.to(torch.float32).contiguous() for name, t in w.items()}


def gemma_norm(x, weight, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * (1.0 + weight)


def gelu_tanh(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))


def rotary(cfg, layer):
    """Gemma 3's sliding layers: the local base, unscaled; global layers: rope_theta, with linear scaling."""
    hd = cfg["head_dim"]
    if cfg["model_type"] == "gemma3_text" and sliding(cfg, layer):
        return theta_rotary(cfg["rope_local_base_freq"], hd)
    inv, scale = theta_rotary(cfg["rope_theta"], hd)
    scaling = cfg.get("rope_scaling")
    return (inv / scaling["factor"], scale) if scaling else (inv, scale)


def rope(x, positions, rot):
    inv_freq, _ = rot
    angles = torch.outer(positions.to(torch.float64), inv_freq)
    emb = torch.cat((angles, angles), dim=-1)
    return x * emb.cos() + rotate_half(x) * emb.sin()


def layer_kv(w, cfg, i, x, positions, drop=()):
    p = f"model.layers.{i}.self_attn."
    hd, heads, kv_heads, eps = cfg["head_dim"], cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["rms_norm_eps"]
    h = gemma_norm(x, w[f"model.layers.{i}.input_layernorm.weight"], eps)
    q = F.linear(h, w[p + "q_proj.weight"]).view(len(x), heads, hd)
    k = F.linear(h, w[p + "k_proj.weight"]).view(len(x), kv_heads, hd)
    if p + "q_norm.weight" in w and "qk_norm" not in drop:
        q, k = gemma_norm(q, w[p + "q_norm.weight"], eps), gemma_norm(k, w[p + "k_norm.weight"], eps)
    v = F.linear(h, w[p + "v_proj.weight"]).view(len(x), kv_heads, hd).transpose(0, 1)
    rot = rotary(cfg, i) if "local_rope" not in drop else theta_rotary(cfg["rope_theta"], hd)
    return rope(q.transpose(0, 1), positions, rot), rope(k.transpose(0, 1), positions, rot), v


def attend(cfg, layer, q, k, v, causal_offset, drop=()):
    groups = q.shape[0] // k.shape[0]
    k, v = k.repeat_interleave(groups, dim=0), v.repeat_interleave(groups, dim=0)
    scalar = cfg.get("query_pre_attn_scalar") or cfg["head_dim"]
    scores = q @ k.transpose(-1, -2) * scalar ** -0.5
    cap = cfg.get("attn_logit_softcapping")
    if cap and "softcap" not in drop:
        scores = torch.tanh(scores / cap) * cap
    t, s = q.shape[1], k.shape[1]
    query = (causal_offset + torch.arange(t))[:, None]
    hidden = torch.arange(s)[None, :] > query
    if sliding(cfg, layer) and "window" not in drop:
        hidden = hidden | (query - torch.arange(s)[None, :] >= cfg["sliding_window"])
    out = F.softmax(scores.masked_fill(hidden, float("-inf")), dim=-1) @ v
    return out.transpose(0, 1).reshape(t, -1)


def finish_layer(w, cfg, i, x, attended, drop=()):
    p, eps = f"model.layers.{i}.", cfg["rms_norm_eps"]
    o = F.linear(attended, w[p + "self_attn.o_proj.weight"])
    mlp = lambda h: F.linear(gelu_tanh(F.linear(h, w[p + "mlp.gate_proj.weight"])) * F.linear(h, w[p + "mlp.up_proj.weight"]),
                             w[p + "mlp.down_proj.weight"])
    if not later(cfg):
        x = x + o
        return x + mlp(gemma_norm(x, w[p + "post_attention_layernorm.weight"], eps))
    if "output_norms" not in drop:
        o = gemma_norm(o, w[p + "post_attention_layernorm.weight"], eps)
    x = x + o
    f = mlp(gemma_norm(x, w[p + "pre_feedforward_layernorm.weight"], eps))
    if "output_norms" not in drop:
        f = gemma_norm(f, w[p + "post_feedforward_layernorm.weight"], eps)
    return x + f


def embed(w, cfg, ids, drop=()):
    x = w["model.embed_tokens.weight"][torch.as_tensor(ids)]
    return x if "embed_scale" in drop else x * cfg["hidden_size"] ** 0.5


def logits_of(w, cfg, x, drop=()):
    logits = gemma_norm(x, w["model.norm.weight"], cfg["rms_norm_eps"]) @ w["model.embed_tokens.weight"].T
    cap = cfg.get("final_logit_softcapping")
    if cap and "final_softcap" not in drop:
        logits = torch.tanh(logits / cap) * cap
    return logits


def forward(w, cfg, ids, drop=()):
    positions = torch.arange(len(ids))
    x = embed(w, cfg, ids, drop)
    for i in range(cfg["num_hidden_layers"]):
        q, k, v = layer_kv(w, cfg, i, x, positions, drop)
        x = finish_layer(w, cfg, i, x, attend(cfg, i, q, k, v, 0, drop), drop)
    return logits_of(w, cfg, x, drop)


def forward_cached(w, cfg, ids):
    caches = [(None, None)] * cfg["num_hidden_layers"]
    out = []
    for t, token in enumerate(ids):
        x = embed(w, cfg, [token])
        for i in range(cfg["num_hidden_layers"]):
            q, k, v = layer_kv(w, cfg, i, x, torch.tensor([t]))
            past_k, past_v = caches[i]
            k = k if past_k is None else torch.cat((past_k, k), dim=1)
            v = v if past_v is None else torch.cat((past_v, v), dim=1)
            caches[i] = (k, v)
            x = finish_layer(w, cfg, i, x, attend(cfg, i, q, k, v, t))
        out.append(logits_of(w, cfg, x)[0])
    return torch.stack(out)


def greedy(w, cfg, prompt, steps):
    ids, out = list(prompt), []
    for _ in range(steps):
        out.append(int(forward(w, cfg, ids)[-1].argmax()))
        ids.append(out[-1])
    return out


def self_check(w, cfg, prompts):
    long = prompts[-1]
    full = forward(w, cfg, long)
    if (full - forward_cached(w, cfg, long)).abs().max() > CHECK_TOLERANCE:
        raise SystemExit("the KV-cache formulation differs from the full recompute")
    if (forward(w, cfg, long[:10]) - full[:10]).abs().max() > CHECK_TOLERANCE:
        raise SystemExit("not causal: later tokens changed earlier logits")
    features = ["embed_scale"]
    if later(cfg):
        features += ["output_norms", "window"]
    if cfg.get("attn_logit_softcapping"):
        features.append("softcap")
    if cfg.get("final_logit_softcapping"):
        features.append("final_softcap")
    if cfg["model_type"] == "gemma3_text":
        features += ["qk_norm", "local_rope"]
    for feature in features:
        if (forward(w, cfg, long, drop=(feature,))[-1] - full[-1]).abs().max() < 1e-2:
            raise SystemExit(f"{cfg['model_type']}: the {feature} feature does not change the logits")


def main():
    if sys.byteorder != "little":
        raise SystemExit("the safetensors reader here assumes a little-endian host")
    torch.set_num_threads(1)
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join("tests", "fixtures")
    for seed, (name, cfg) in enumerate(MODELS.items()):
        torch.manual_seed(100 + seed)
        out_dir = os.path.join(root, name)
        weights = make_weights(cfg)
        bos = cfg["bos_token_id"]
        prompts = [[bos]] + [[bos] + torch.randint(3, cfg["vocab_size"], (n - 1,)).tolist() for n in PROMPT_LENGTHS[1:]]
        w64 = write_checkpoint(out_dir, cfg, weights)
        self_check(w64, cfg, prompts)
        entries = [{"ids": p, "logits_last": rounded(forward(w64, cfg, p)[-1]), "greedy": greedy(w64, cfg, p, GREEDY_STEPS),
                    "token_by_token": True} for p in prompts]
        reference = {
            "generator": "tests/reference/make_gemma_fixture.py",
            "precision": "float64 forward on the float32 weights, rounded to 7 significant digits",
            "greedy_steps": GREEDY_STEPS,
            "prompts": entries,
        }
        write_reference(out_dir, reference)
        print(f"{name}: {len(weights)} tensors, greedy after the long prompt {entries[-1]['greedy']}")


if __name__ == "__main__":
    main()
