"""A fixture for scaled RoPE (config.json's rope_scaling), with float64 references for each scaling type.

    /usr/bin/python3 tests/reference/make_rope_scaling_fixture.py [OUTPUT_ROOT]   (default tests/fixtures)

Needs PyTorch (Debian's python3-torch). Writes llama-rope-tiny: one seeded random-weight LlamaForCausalLM
checkpoint (model.safetensors) and reference.json, which holds per scaling type the config.json keys to set
(rope_scaling, and the context keys the type reads) and what the model computes with them. Types, as
transformers' modeling_rope_utils.py defines them (read from its source, written here independently in float64):
linear (under the legacy key `type`), dynamic (NTK), llama3, yarn and longrope. The prompts pass the original
context, so that every part of each type matters.

transformers recomputes the frequencies of dynamic and longrope per forward call, from the call's length (its last
position + 1): the prompt is one call, then each generated token one call, and the keys cached by earlier calls
keep their rotation. The references follow those calls. Checked for their own mistakes: for the static types a
token-by-token KV-cache formulation equals the one-call forward and appending tokens leaves earlier logits
unchanged; every type changes the logits of the long prompt against unscaled RoPE; dynamic and longrope leave a
prompt within the original context as unscaled (short factors aside).
"""
import math
import os
import sys

import torch

from fixture_io import rounded, write_checkpoint, write_reference
from make_llama_layout_fixture import attend, finish_layer, layer_kv, logits_of, make_weights

GREEDY_STEPS = 12
CHECK_TOLERANCE = 1e-10
ORIGINAL_CONTEXT = 32
PROMPT_LENGTHS = (9, 40)

CONFIG = {
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 32, "intermediate_size": 64,
    "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 16, "vocab_size": 96,
    "max_position_embeddings": 128, "rope_theta": 10000.0, "rms_norm_eps": 1e-5, "hidden_act": "silu",
    "attention_bias": False, "mlp_bias": False, "tie_word_embeddings": True, "bos_token_id": 1, "eos_token_id": 2,
    "attention_dropout": 0.0, "pretraining_tp": 1, "initializer_range": 0.25, "torch_dtype": "float32",
    "use_cache": True, "rope_scaling": None,
}
HEAD_DIM = CONFIG["head_dim"]
PAIRS = HEAD_DIM // 2

VARIANTS = {
    "linear": {"rope_scaling": {"type": "linear", "factor": 4.0}},
    # dynamic NTK's original context is max_position_embeddings.
    "dynamic": {"rope_scaling": {"rope_type": "dynamic", "factor": 2.0}, "max_position_embeddings": ORIGINAL_CONTEXT},
    # Wavelengths 2 pi / inv_freq: pair 0 (6.3) is kept, pairs 1 and 2 (20, 63) are blended, the rest divided.
    "llama3": {"rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                "original_max_position_embeddings": 64}},
    # The correction range is pairs [0, 2]: pair 0 extrapolated, pair 1 half way, the rest interpolated.
    "yarn": {"rope_scaling": {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": ORIGINAL_CONTEXT,
                              "beta_fast": 32.0, "beta_slow": 1.0}},
    # Phi-3's layout: the original context at the top level, factor = max_position_embeddings / it.
    "longrope": {"rope_scaling": {"rope_type": "longrope",
                                  "short_factor": [1.0, 1.1, 1.3, 1.6, 2.0, 2.4, 2.9, 3.5],
                                  "long_factor": [1.0, 1.4, 2.2, 3.5, 5.0, 7.5, 11.0, 16.0]},
                 "original_max_position_embeddings": ORIGINAL_CONTEXT},
}


def theta_frequencies(theta, dim=HEAD_DIM):
    return 1.0 / (theta ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim))


def rotary_of(cfg, length):
    """(inv_freq, scale) of a forward call whose last position is length - 1."""
    scaling, theta = cfg["rope_scaling"], cfg["rope_theta"]
    inv = theta_frequencies(theta)
    if scaling is None:
        return inv, 1.0
    kind = scaling.get("rope_type", scaling.get("type"))
    if kind == "linear":
        return inv / scaling["factor"], 1.0
    if kind == "dynamic":
        original, factor = cfg["max_position_embeddings"], scaling["factor"]
        seq = max(length, original)
        base = theta * ((factor * seq / original) - (factor - 1)) ** (HEAD_DIM / (HEAD_DIM - 2))
        return theta_frequencies(base), 1.0
    if kind == "llama3":
        factor, low, high = scaling["factor"], scaling["low_freq_factor"], scaling["high_freq_factor"]
        original = scaling["original_max_position_embeddings"]
        out = inv.clone()
        for i, f in enumerate(inv.tolist()):
            wavelength = 2 * math.pi / f
            if wavelength > original / low:
                out[i] = f / factor
            elif wavelength >= original / high:
                smooth = (original / wavelength - low) / (high - low)
                out[i] = (1 - smooth) * f / factor + smooth * f
        return out, 1.0
    if kind == "yarn":
        factor, original = scaling["factor"], scaling["original_max_position_embeddings"]
        fast, slow = scaling["beta_fast"], scaling["beta_slow"]

        def correction(rotations):
            return HEAD_DIM * math.log(original / (rotations * 2 * math.pi)) / (2 * math.log(theta))

        low, high = max(math.floor(correction(fast)), 0), min(math.ceil(correction(slow)), HEAD_DIM - 1)
        if low == high:
            high += 0.001
        ramp = ((torch.arange(PAIRS, dtype=torch.float64) - low) / (high - low)).clamp(0, 1)
        keep = 1 - ramp
        return inv / factor * (1 - keep) + inv * keep, 0.1 * math.log(factor) + 1.0
    if kind == "longrope":
        original = cfg["original_max_position_embeddings"]
        factor = cfg["max_position_embeddings"] / original
        scale = math.sqrt(1 + math.log(factor) / math.log(original)) if factor > 1 else 1.0
        ext = scaling["long_factor"] if length > original else scaling["short_factor"]
        return inv / torch.tensor(ext, dtype=torch.float64), scale
    raise ValueError(kind)


class CachedModel:
    """The model over forward calls: each call's rows get the call's rotary, keys and values stay cached."""

    def __init__(self, w, cfg):
        self.w, self.cfg = w, cfg
        self.caches = [(None, None)] * cfg["num_hidden_layers"]
        self.length = 0

    def call(self, ids):
        start, end = self.length, self.length + len(ids)
        positions = torch.arange(start, end)
        rotary = rotary_of(self.cfg, end)
        x = self.w["model.embed_tokens.weight"][torch.as_tensor(ids)]
        for i in range(self.cfg["num_hidden_layers"]):
            q, k, v = layer_kv(self.w, self.cfg, i, x, positions, rotary=rotary)
            past_k, past_v = self.caches[i]
            k = k if past_k is None else torch.cat((past_k, k), dim=1)
            v = v if past_v is None else torch.cat((past_v, v), dim=1)
            self.caches[i] = (k, v)
            x = finish_layer(self.w, self.cfg, i, x, attend(q, k, v, start))
        self.length = end
        return logits_of(self.w, self.cfg, x)


def one_call(w, cfg, ids):
    return CachedModel(w, cfg).call(ids)


def greedy(w, cfg, prompt, steps):
    model = CachedModel(w, cfg)
    logits = model.call(prompt)[-1]
    out = []
    for _ in range(steps):
        out.append(int(logits.argmax()))
        logits = model.call([out[-1]])[-1]
    return out


def self_check(w, cfg, name, prompts):
    long = prompts[-1]
    full = one_call(w, cfg, long)
    unscaled = dict(cfg, rope_scaling=None)
    if (full[-1] - one_call(w, unscaled, long)[-1]).abs().max() < 1e-2:
        raise SystemExit(f"{name}: the scaling does not change the logits")
    if name in ("dynamic", "longrope"):
        short = prompts[0]
        within = one_call(w, cfg, short)
        if name == "dynamic" and (within - one_call(w, unscaled, short)).abs().max() > CHECK_TOLERANCE:
            raise SystemExit("dynamic: a prompt within the original context is not unscaled")
        if name == "longrope" and (within - one_call(w, dict(cfg, max_position_embeddings=10**6), short)).abs().max() \
                < CHECK_TOLERANCE:
            raise SystemExit("longrope: the attention factor does not matter")
        return
    model = CachedModel(w, cfg)
    by_token = torch.stack([model.call([t])[0] for t in long])
    if (full - by_token).abs().max() > CHECK_TOLERANCE:
        raise SystemExit(f"{name}: the token-by-token formulation differs from the one-call forward")
    if (one_call(w, cfg, long[:10]) - full[:10]).abs().max() > CHECK_TOLERANCE:
        raise SystemExit(f"{name}: not causal")


def main():
    if sys.byteorder != "little":
        raise SystemExit("the safetensors reader here assumes a little-endian host")
    torch.set_num_threads(1)
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join("tests", "fixtures")
    torch.manual_seed(7)
    out_dir = os.path.join(root, "llama-rope-tiny")
    weights = make_weights(CONFIG)
    prompts = [[CONFIG["bos_token_id"]] + torch.randint(3, CONFIG["vocab_size"], (n - 1,)).tolist()
               for n in PROMPT_LENGTHS]
    w64 = write_checkpoint(out_dir, CONFIG, weights)
    variants = []
    for name, keys in VARIANTS.items():
        cfg = dict(CONFIG, **keys)
        self_check(w64, cfg, name, prompts)
        entries = [{"ids": p, "logits_last": rounded(one_call(w64, cfg, p)[-1]), "greedy": greedy(w64, cfg, p, GREEDY_STEPS)}
                   for p in prompts]
        variants.append({"name": name, "config": keys, "prompts": entries})
        print(f"{name}: greedy after the long prompt {entries[-1]['greedy']}")
    reference = {
        "generator": "tests/reference/make_rope_scaling_fixture.py",
        "precision": "float64 forward on the float32 weights, rounded to 7 significant digits",
        "calls": "the prompt in one forward call, then one call per generated token",
        "max_context": 128,
        "greedy_steps": GREEDY_STEPS,
        "variants": variants,
    }
    write_reference(out_dir, reference)


if __name__ == "__main__":
    main()
