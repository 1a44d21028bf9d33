#!/usr/bin/python3
"""Writes a tiny random-weight Marian (MarianMTModel, opus-mt layout) checkpoint, plus PyTorch reference outputs.

The forward pass is written with torch.nn.functional primitives (no `transformers`), following MarianMTModel's
semantics: shared token embeddings scaled by sqrt(d_model), sinusoidal positions (sin on the first half of the
features, cos on the second, positions from 0), post-LayerNorm encoder and decoder layers, "swish" (SiLU) feed-forward
activations, encoder self-attention with the additive padding mask, decoder causal self-attention plus
cross-attention over the encoder output, and logits = shared embeddings^T + final_logits_bias. It runs in float64 on
the float32 weights.

Decoding starts from decoder_start_token_id (= pad) and never emits the pad token (opus-mt's bad_words_ids):
- greedy: the argmax until EOS or the length limit;
- beam search with N beams: at each step the best 2N (beam, token) continuations by summed log-probability; an EOS
  among the first N finishes a hypothesis (score = summed log-probability / generated tokens incl. EOS), the other
  continuations fill the N live beams; it stops when N hypotheses are finished, or at the length limit, where the
  live beams finish as they are. The best finished score wins (ties: the earliest).

Text goes through MarianTokenizer's steps: a SentencePiece unigram model trained here (source.spm = target.spm,
with Debian's python3-sentencepiece) segments it, vocab.json maps the pieces to the model's ids, EOS ends the
source; the target ids decode to their pieces joined, U+2581 as spaces.

Usage: /usr/bin/python3 tests/reference/make_marian_fixture.py [OUTPUT_DIR]   (default tests/fixtures/marian-tiny)
Needs PyTorch and SentencePiece (Debian's python3-torch, python3-sentencepiece). Cross-checks the forward pass against
a loop-based second formulation.
"""
import json
import math
import os
import sys

import sentencepiece
import torch
import torch.nn.functional as F

from fixture_io import RandomParameters, compact_json, read_safetensors, rounded, write_safetensors

VOCAB, DIM, LAYERS, HEADS, FFN, POSITIONS = 64, 32, 2, 4, 64, 32
EOS, PAD = 0, VOCAB - 1
LAYER_NORM_EPS = 1e-5  # nn.LayerNorm's default, as Marian's layers use
MAX_NEW_TOKENS = 12
TEACHER_FORCED_TOKENS = 16
BEAMS = 4
WEIGHT_STD = 0.2
EOS_BIAS = 2.5
CHECK_TOLERANCE = 1e-12
UNK = 1
SPM_PIECES = 60  # ids 0 (</s>) and 1 (<unk>), then the pieces; 60..62 are unused, 63 is <pad>
CORPUS = [
    "the cat sat on the mat.", "a dog runs in the park.", "the model translates a short sentence.",
    "small models run on the edge.", "we read the text and write the answer.", "the sun is warm and the sea is blue.",
    "she reads a book on the train.", "they play in the garden after school.", "the river runs to the sea.",
    "good morning, how are you?", "i like tea and you like coffee.", "it is a fine day for a walk.",
] * 20
TEXTS = ["the cat runs to the sea.", "Good morning!", "a", "  the  model   reads  ", "zebra quiz"]


def hf_config():
    """config.json with the keys of the hub's Helsinki-NLP/opus-mt-en-de config, resized to the tiny model."""
    return {
        "activation_dropout": 0.0, "activation_function": "swish", "add_bias_logits": False,
        "add_final_layer_norm": False, "architectures": ["MarianMTModel"], "attention_dropout": 0.0,
        "bad_words_ids": [[PAD]], "bos_token_id": 0, "classif_dropout": 0.0, "classifier_dropout": 0.0,
        "d_model": DIM, "decoder_attention_heads": HEADS, "decoder_ffn_dim": FFN, "decoder_layerdrop": 0.0,
        "decoder_layers": LAYERS, "decoder_start_token_id": PAD, "decoder_vocab_size": VOCAB, "dropout": 0.1,
        "encoder_attention_heads": HEADS, "encoder_ffn_dim": FFN, "encoder_layerdrop": 0.0,
        "encoder_layers": LAYERS, "eos_token_id": EOS, "forced_eos_token_id": EOS, "init_std": 0.02,
        "is_encoder_decoder": True, "max_length": 512, "max_position_embeddings": POSITIONS,
        "model_type": "marian", "normalize_before": False, "normalize_embedding": False, "num_beams": BEAMS,
        "num_hidden_layers": LAYERS, "pad_token_id": PAD, "scale_embedding": True,
        "share_encoder_decoder_embeddings": True, "static_position_embeddings": True, "torch_dtype": "float32",
        "use_cache": True, "vocab_size": VOCAB,
    }


def sinusoids(positions, dim):
    """MarianSinusoidalPositionalEmbedding: row p = [sin(p w_0) .. sin(p w_{d/2-1}), cos(p w_0) .. cos(p w_{d/2-1})],
    w_i = 1 / 10000^(2i / d)."""
    table = torch.zeros(positions, dim, dtype=torch.float64)
    for p in range(positions):
        for i in range(dim // 2):
            angle = p / math.pow(10000, 2 * i / dim)
            table[p, i], table[p, dim // 2 + i] = math.sin(angle), math.cos(angle)
    return table


def make_weights():
    random = RandomParameters(WEIGHT_STD)
    matrix, norm_weight, bias = random.matrix, random.norm_weight, random.bias
    w = {"model.shared.weight": matrix(VOCAB, DIM)}
    for side in ("encoder", "decoder"):
        for i in range(LAYERS):
            p = f"model.{side}.layers.{i}."
            attentions = ("self_attn", "encoder_attn") if side == "decoder" else ("self_attn",)
            for attention in attentions:
                for proj in ("k_proj", "v_proj", "q_proj", "out_proj"):
                    w[p + f"{attention}.{proj}.weight"] = matrix(DIM, DIM)
                    w[p + f"{attention}.{proj}.bias"] = bias(DIM)
                w[p + f"{attention}_layer_norm.weight"] = norm_weight(DIM)
                w[p + f"{attention}_layer_norm.bias"] = bias(DIM)
            w[p + "fc1.weight"] = matrix(FFN, DIM)
            w[p + "fc1.bias"] = bias(FFN)
            w[p + "fc2.weight"] = matrix(DIM, FFN)
            w[p + "fc2.bias"] = bias(DIM)
            w[p + "final_layer_norm.weight"] = norm_weight(DIM)
            w[p + "final_layer_norm.bias"] = bias(DIM)
        w[f"model.{side}.embed_positions.weight"] = sinusoids(POSITIONS, DIM)
    w["final_logits_bias"] = bias(VOCAB).reshape(1, VOCAB)
    w["final_logits_bias"][0, EOS] += EOS_BIAS  # so that some translations end with EOS within the length limit
    return {name: t.to(torch.float32).contiguous() for name, t in w.items()}


# ---------------------------------------------------------------------------------------------------------------------
# Forward pass; attention and norm are parameters so that a second formulation can be plugged in
# ---------------------------------------------------------------------------------------------------------------------

def layer_norm(x, weight, bias):
    return F.layer_norm(x, (x.shape[-1],), weight, bias, LAYER_NORM_EPS)


def attention(q, k, v, key_mask, causal):
    """q [B, Tq, D], k/v [B, Tk, D], key_mask [B, Tk] of 0/1 -> [B, Tq, D], with the additive masks of HF's BART."""
    batch, tq, _ = q.shape
    tk = k.shape[1]
    head_dim = DIM // HEADS

    def split(t, n):
        return t.reshape(batch, n, HEADS, head_dim).transpose(1, 2)

    scores = (split(q, tq) * head_dim ** -0.5) @ split(k, tk).transpose(-1, -2)
    big = torch.finfo(torch.float32).min
    scores = scores + (1.0 - key_mask[:, None, None, :]) * big
    if causal:
        scores = scores + torch.ones(tq, tk, dtype=torch.bool).triu(1) * big
    return (F.softmax(scores, dim=-1) @ split(v, tk)).transpose(1, 2).reshape(batch, tq, DIM)


def project(w, prefix, x):
    return F.linear(x, w[prefix + ".weight"], w[prefix + ".bias"])


def attend(w, prefix, x, memory, key_mask, causal, attn):
    return project(w, prefix + ".out_proj", attn(project(w, prefix + ".q_proj", x), project(w, prefix + ".k_proj", memory),
                                                 project(w, prefix + ".v_proj", memory), key_mask, causal))


def embed(w, ids, start):
    positions = sinusoids(POSITIONS, DIM).to(w["model.shared.weight"].dtype)
    return w["model.shared.weight"][ids] * math.sqrt(DIM) + positions[start:start + ids.shape[1]]


def encode(w, ids, mask, attn=attention, norm=layer_norm):
    x = embed(w, ids, 0)
    mask = mask.to(x.dtype)
    for i in range(LAYERS):
        p = f"model.encoder.layers.{i}."
        x = norm(x + attend(w, p + "self_attn", x, x, mask, False, attn), w[p + "self_attn_layer_norm.weight"],
                 w[p + "self_attn_layer_norm.bias"])
        h = project(w, p + "fc2", F.silu(project(w, p + "fc1", x)))
        x = norm(x + h, w[p + "final_layer_norm.weight"], w[p + "final_layer_norm.bias"])
    return x


def decode(w, memory, source_mask, target, attn=attention, norm=layer_norm):
    """Logits [B, T, VOCAB] for the decoder inputs `target` [B, T] (a full re-run, no cache)."""
    x = embed(w, target, 0)
    source_mask = source_mask.to(x.dtype)
    self_mask = torch.ones(target.shape, dtype=x.dtype)
    for i in range(LAYERS):
        p = f"model.decoder.layers.{i}."
        x = norm(x + attend(w, p + "self_attn", x, x, self_mask, True, attn), w[p + "self_attn_layer_norm.weight"],
                 w[p + "self_attn_layer_norm.bias"])
        x = norm(x + attend(w, p + "encoder_attn", x, memory, source_mask, False, attn),
                 w[p + "encoder_attn_layer_norm.weight"], w[p + "encoder_attn_layer_norm.bias"])
        h = project(w, p + "fc2", F.silu(project(w, p + "fc1", x)))
        x = norm(x + h, w[p + "final_layer_norm.weight"], w[p + "final_layer_norm.bias"])
    return x @ w["model.shared.weight"].T + w["final_logits_bias"][0]


def next_log_probs(w, memory, mask, target):
    logits = decode(w, memory, mask, torch.tensor([target]))[0, -1]
    log_probs = F.log_softmax(logits, dim=-1)
    log_probs[PAD] = float("-inf")  # bad_words_ids: the pad (= decoder start) token is never generated
    return log_probs


def length_limit(source):
    # The decoder's positions bound the target: start token + MAX_NEW_TOKENS at most, within POSITIONS.
    return min(MAX_NEW_TOKENS, POSITIONS - 1)


def greedy(w, source):
    ids, mask = torch.tensor([source]), torch.ones(1, len(source), dtype=torch.long)
    memory = encode(w, ids, mask)
    target, margins = [PAD], []
    while len(target) - 1 < length_limit(source):
        log_probs = next_log_probs(w, memory, mask, target)
        top2 = torch.topk(log_probs, 2).values
        margins.append(float(top2[0] - top2[1]))
        token = int(torch.argmax(log_probs))
        if token == EOS:
            break
        target.append(token)
    return target[1:], margins


def beam_search(w, source, beams):
    ids, mask = torch.tensor([source]), torch.ones(1, len(source), dtype=torch.long)
    memory = encode(w, ids, mask)
    live = [(0.0, [PAD])]
    finished = []  # (normalized score, order, tokens without start and EOS)
    while live and len(finished) < beams:
        candidates = []
        for b, (score, tokens) in enumerate(live):
            log_probs = next_log_probs(w, memory, mask, tokens)
            for t in range(VOCAB):
                if log_probs[t] != float("-inf"):
                    candidates.append((score + float(log_probs[t]), b, t))
        candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
        at_limit = len(live[0][1]) >= length_limit(source)  # this step's token is the last one allowed
        next_live = []
        for rank, (score, b, t) in enumerate(candidates[:2 * beams]):
            tokens = live[b][1]
            if t == EOS:
                if rank < beams:
                    finished.append((score / len(tokens), len(finished), tokens[1:]))
            elif at_limit:
                finished.append((score / len(tokens), len(finished), tokens[1:] + [t]))
            else:
                next_live.append((score, tokens + [t]))
            if len(next_live) == beams or len(finished) >= beams:
                break
        live = [] if at_limit else next_live
    best = max(finished, key=lambda f: (f[0], -f[1]))
    return best[2]


# ---------------------------------------------------------------------------------------------------------------------
# Second formulation, used only to cross-check the one above
# ---------------------------------------------------------------------------------------------------------------------

def loop_attention(q, k, v, key_mask, causal):
    batch, tq, _ = q.shape
    head_dim = DIM // HEADS
    out = torch.zeros_like(q)
    for b in range(batch):
        for head in range(HEADS):
            cols = slice(head * head_dim, (head + 1) * head_dim)
            for t in range(tq):
                keys = [s for s in range(k.shape[1]) if key_mask[b, s] > 0 and (not causal or s <= t)]
                scores = torch.stack([torch.dot(q[b, t, cols], k[b, s, cols]) for s in keys]) / math.sqrt(head_dim)
                probs = torch.exp(scores - scores.max())
                out[b, t, cols] = (probs[:, None] / probs.sum() * v[b, keys, cols]).sum(dim=0)
    return out


def manual_layer_norm(x, weight, bias):
    mean = x.mean(dim=-1, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + LAYER_NORM_EPS) * weight + bias


def cross_check(w, ids, mask, target):
    target = target.expand(ids.shape[0], -1)
    memory = encode(w, ids, mask)
    alt_memory = encode(w, ids, mask, attn=loop_attention, norm=manual_layer_norm)
    logits = decode(w, memory, mask, target)
    alt_logits = decode(w, alt_memory, mask, target, attn=loop_attention, norm=manual_layer_norm)
    checks = {"encoder vs second formulation": float((memory - alt_memory).abs().max()),
              "decoder vs second formulation": float((logits - alt_logits).abs().max())}
    # Causality: position t of the full decoder run equals the last position of a run on the prefix.
    checks["decoder full run vs prefix runs"] = max(
        float((logits[:, t] - decode(w, memory, mask, target[:, :t + 1])[:, -1]).abs().max())
        for t in range(target.shape[1]))
    for name, diff in checks.items():
        print(f"  check {name}: max |diff| = {diff:.3e} {'ok' if diff <= CHECK_TOLERANCE else 'FAILED'}")
    if any(diff > CHECK_TOLERANCE for diff in checks.values()):
        raise SystemExit("cross-checks failed")


def train_tokenizer(out_dir):
    """source.spm and target.spm (one model) and vocab.json, in the layout of the hub's opus-mt folders."""
    corpus = os.path.join(out_dir, "corpus.txt")
    with open(corpus, "w") as f:
        f.write("\n".join(CORPUS) + "\n")
    prefix = os.path.join(out_dir, "spm")
    sentencepiece.SentencePieceTrainer.Train(
        f"--input={corpus} --model_prefix={prefix} --model_type=unigram --vocab_size={SPM_PIECES} "
        f"--eos_id={EOS} --unk_id={UNK} --bos_id=-1 --pad_id=-1 --character_coverage=1.0 --minloglevel=2 "
        "--seed_sentencepiece_size=1000 --num_threads=1")
    os.remove(corpus)
    os.remove(prefix + ".vocab")
    os.replace(prefix + ".model", os.path.join(out_dir, "source.spm"))
    with open(os.path.join(out_dir, "source.spm"), "rb") as f:
        model_bytes = f.read()
    with open(os.path.join(out_dir, "target.spm"), "wb") as f:
        f.write(model_bytes)
    sp = sentencepiece.SentencePieceProcessor(model_proto=model_bytes)
    vocab = {sp.id_to_piece(i): i for i in range(sp.get_piece_size())}
    vocab["<pad>"] = PAD
    with open(os.path.join(out_dir, "vocab.json"), "w") as f:
        json.dump(vocab, f, indent=2, ensure_ascii=False)
        f.write("\n")
    return sp, vocab


def marian_encode(sp, vocab, text):
    """MarianTokenizer: source pieces -> vocab ids (unknown pieces -> <unk>), then EOS."""
    return [vocab.get(piece, UNK) for piece in sp.encode(text, out_type=str)] + [EOS]


def marian_decode(vocab, ids):
    pieces = {i: piece for piece, i in vocab.items()}
    return "".join(pieces[i] for i in ids).replace("\u2581", " ").strip()


def main():
    if sys.byteorder != "little":
        raise SystemExit("the safetensors reader here assumes a little-endian host")
    torch.set_num_threads(1)
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join("tests", "fixtures", "marian-tiny")
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(0)
    weights = make_weights()
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(hf_config(), f, indent=2, sort_keys=True)
        f.write("\n")
    st_path = os.path.join(out_dir, "model.safetensors")
    write_safetensors(st_path, weights)
    names, _, loaded = read_safetensors(st_path)
    if names != list(weights) or any(not torch.equal(loaded[n], weights[n]) for n in weights):
        raise SystemExit("safetensors read-back differs")
    w = {name: t.double() for name, t in loaded.items()}

    # Sources end with EOS, as MarianTokenizer makes them: one token (EOS alone), short ones, the maximum length.
    gen = torch.Generator().manual_seed(3)
    def source(n):
        return torch.randint(1, PAD, (n - 1,), generator=gen).tolist() + [EOS]
    sources = [[EOS], source(2), source(6), source(11), source(POSITIONS)]

    # The encoder over a right-padded batch of all sources, and the decoder teacher-forced on a random target for each.
    seq = max(len(s) for s in sources)
    ids = torch.full((len(sources), seq), PAD, dtype=torch.long)
    mask = torch.zeros((len(sources), seq), dtype=torch.long)
    for b, s in enumerate(sources):
        ids[b, :len(s)], mask[b, :len(s)] = torch.tensor(s), 1
    memory = encode(w, ids, mask)
    forced = []
    for b, s in enumerate(sources):
        target = torch.tensor([[PAD] + torch.randint(1, PAD, (TEACHER_FORCED_TOKENS - 1,), generator=gen).tolist()])
        logits = decode(w, memory[b:b + 1, :len(s)], mask[b:b + 1, :len(s)], target)
        forced.append({"source": s, "target": target[0].tolist(), "logits": [rounded(row) for row in logits[0]]})

    sp, vocab = train_tokenizer(out_dir)
    texts = []
    for text in TEXTS:
        ids_of_text = marian_encode(sp, vocab, text)
        tokens, _ = greedy(w, ids_of_text)
        beam = beam_search(w, ids_of_text, BEAMS)
        texts.append({"text": text, "source": ids_of_text, "greedy": tokens, "greedy_text": marian_decode(vocab, tokens),
                      "beam": beam, "beam_text": marian_decode(vocab, beam)})
        print(f"  text {text!r}: source {ids_of_text}, greedy {marian_decode(vocab, tokens)!r}")

    translations = []
    for s in sources:
        tokens, margins = greedy(w, s)
        beam = beam_search(w, s, BEAMS)
        print(f"  source of {len(s)}: greedy {tokens} (smallest margin {min(margins):.4f}), beam {beam}")
        translations.append({"source": s, "greedy": tokens, "beam": beam, "greedy_min_margin": min(margins)})
    reference = {
        "generator": "tests/reference/make_marian_fixture.py",
        "precision": "float64 forward on the float32 weights, rounded to 7 significant digits",
        "beams": BEAMS, "max_new_tokens": MAX_NEW_TOKENS,
        "encoder": {"ids": ids.tolist(), "mask": mask.tolist(),
                    "hidden": [rounded(memory[b].reshape(-1)) for b in range(len(sources))]},
        "teacher_forced": forced,
        "translations": translations,
        "texts": texts,
    }
    ref_path = os.path.join(out_dir, "reference.json")
    with open(ref_path, "w") as f:
        f.write(compact_json(reference) + "\n")
    with open(ref_path) as f:
        json.load(f)
    print("cross-checks:")
    cross_check(w, ids[2:4], mask[2:4], torch.tensor([forced[0]["target"]]))
    print(f"wrote {out_dir}")


if __name__ == "__main__":
    main()
