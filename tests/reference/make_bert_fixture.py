#!/usr/bin/python3
"""Writes two tiny random-weight BERT checkpoints in the Hugging Face layouts, plus PyTorch reference outputs.

- bert-tiny-classifier: a BertForSequenceClassification folder (tensors prefixed "bert.", pooler, 3-label
  classifier with id2label, hidden_act gelu (erf), vocab.txt + tokenizer_config.json);
- bert-tiny-sentence: a sentence-transformers folder around a BertModel (unprefixed tensors, pooler weights that
  sentence-transformers ignores, modules.json with mean Pooling and Normalize, max_seq_length 24 of 32 positions).

The forward pass is written with torch.nn.functional primitives (no `transformers`), following BertModel's semantics
(post-LayerNorm blocks, absolute positions restarting at 0 for each sequence, token types, the extended attention
mask that adds finfo(float32).min to padded keys, the tanh pooler over [CLS]) and sentence-transformers' (mean of
the unpadded token rows, then F.normalize). It runs in float64 on the float32 weights.

Text inputs go through a WordPiece tokenizer written here from BertTokenizer's rules (lower-case, strip accents,
split whitespace and punctuation, longest piece first), truncating to max_seq_length as sentence-transformers does.

Usage: /usr/bin/python3 tests/reference/make_bert_fixture.py [OUTPUT_PARENT]   (default tests/fixtures)
Needs PyTorch (Debian's python3-torch). Cross-checks the forward pass against a loop-based second formulation.
"""
import json
import math
import os
import sys
import unicodedata

import torch
import torch.nn.functional as F

from fixture_io import RandomParameters, compact_json, read_safetensors, rounded, write_safetensors

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", ",", "!", "?", "'", "a", "the", "cat", "dog", "sat", "on",
         "mat", "run", "##s", "##ing", "##ed", "is", "was", "good", "bad", "movie", "film", "very", "not", "i", "you",
         "it", "and", "to", "of", "in", "play", "##er", "happy", "sad", "edge", "##former", "fast", "slow", "model",
         "un", "##believ", "##able", "cafe", "##e"]
PAD, UNK, CLS, SEP = 0, 1, 2, 3
DIM, LAYERS, HEADS, INNER, POSITIONS, TOKEN_TYPES = 32, 2, 4, 64, 32, 2
LAYER_NORM_EPS = 1e-12
SENTENCE_MAX_SEQ = 24
LABELS = {"0": "negative", "1": "neutral", "2": "positive"}
WEIGHT_STD = 0.2
CHECK_TOLERANCE = 1e-12

TEXTS = [
    "The cat sat on the mat.",
    "Dogs run!",
    "I was not happy, it was a bad film.",
    "edgeformer is fast",
    "Unbelievable CAFÉ",
    "a",
    "xyz",
    # 30 words: truncated to max_seq_length (22 pieces between [CLS] and [SEP]).
    "the cat and the dog play in the mat and the cat is happy and the dog is sad and it was a very good movie to "
    "play",
]


def hf_bert_config(architecture, labels=None):
    """config.json with the keys and defaults of the hub's bert-base-uncased config, resized to the tiny model."""
    config = {
        "architectures": [architecture],
        "attention_probs_dropout_prob": 0.1,
        "classifier_dropout": None,
        "gradient_checkpointing": False,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": DIM,
        "initializer_range": 0.02,
        "intermediate_size": INNER,
        "layer_norm_eps": LAYER_NORM_EPS,
        "max_position_embeddings": POSITIONS,
        "model_type": "bert",
        "num_attention_heads": HEADS,
        "num_hidden_layers": LAYERS,
        "pad_token_id": PAD,
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
        "type_vocab_size": TOKEN_TYPES,
        "use_cache": True,
        "vocab_size": len(VOCAB),
    }
    if labels:
        config["id2label"] = labels
        config["label2id"] = {name: int(i) for i, name in labels.items()}
    return config


def make_weights(prefix, labels):
    random = RandomParameters(WEIGHT_STD)
    matrix, norm_weight, bias = random.matrix, random.norm_weight, random.bias
    p = prefix
    w = {p + "embeddings.word_embeddings.weight": matrix(len(VOCAB), DIM),
         p + "embeddings.position_embeddings.weight": matrix(POSITIONS, DIM),
         p + "embeddings.token_type_embeddings.weight": matrix(TOKEN_TYPES, DIM),
         p + "embeddings.LayerNorm.weight": norm_weight(DIM),
         p + "embeddings.LayerNorm.bias": bias(DIM)}
    for i in range(LAYERS):
        q = f"{p}encoder.layer.{i}."
        for name in ("query", "key", "value"):
            w[q + f"attention.self.{name}.weight"] = matrix(DIM, DIM)
            w[q + f"attention.self.{name}.bias"] = bias(DIM)
        w[q + "attention.output.dense.weight"] = matrix(DIM, DIM)
        w[q + "attention.output.dense.bias"] = bias(DIM)
        w[q + "attention.output.LayerNorm.weight"] = norm_weight(DIM)
        w[q + "attention.output.LayerNorm.bias"] = bias(DIM)
        w[q + "intermediate.dense.weight"] = matrix(INNER, DIM)
        w[q + "intermediate.dense.bias"] = bias(INNER)
        w[q + "output.dense.weight"] = matrix(DIM, INNER)
        w[q + "output.dense.bias"] = bias(DIM)
        w[q + "output.LayerNorm.weight"] = norm_weight(DIM)
        w[q + "output.LayerNorm.bias"] = bias(DIM)
    w[p + "pooler.dense.weight"] = matrix(DIM, DIM)
    w[p + "pooler.dense.bias"] = bias(DIM)
    if labels:
        w["classifier.weight"] = matrix(len(labels), DIM)
        w["classifier.bias"] = bias(len(labels))
    return {name: t.to(torch.float32).contiguous() for name, t in w.items()}


# ---------------------------------------------------------------------------------------------------------------------
# WordPiece (BertTokenizer's rules)
# ---------------------------------------------------------------------------------------------------------------------

def is_punctuation(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def basic_tokens(text):
    text = unicodedata.normalize("NFD", text.lower())
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    words = []
    for word in text.split():
        current = ""
        for ch in word:
            if is_punctuation(ch):
                if current:
                    words.append(current)
                words.append(ch)
                current = ""
            else:
                current += ch
        if current:
            words.append(current)
    return words


def wordpiece(text, max_length):
    ids_of = {piece: i for i, piece in enumerate(VOCAB)}
    pieces = []
    for word in basic_tokens(text):
        start, word_pieces = 0, []
        while start < len(word):
            end = len(word)
            while end > start:
                candidate = ("##" if start > 0 else "") + word[start:end]
                if candidate in ids_of:
                    break
                end -= 1
            if end == start:
                word_pieces = [UNK]
                break
            word_pieces.append(ids_of[("##" if start > 0 else "") + word[start:end]])
            start = end
        pieces.extend(word_pieces)
    return [CLS] + pieces[: max_length - 2] + [SEP]


# ---------------------------------------------------------------------------------------------------------------------
# Forward pass (BertModel semantics); attention and norm are parameters so that a second formulation can be plugged in
# ---------------------------------------------------------------------------------------------------------------------

def layer_norm(x, weight, bias):
    return F.layer_norm(x, (x.shape[-1],), weight, bias, LAYER_NORM_EPS)


def batched_attention(q, k, v, mask):
    """q, k, v: [B, T, DIM]; mask [B, T] of 0/1 -> [B, T, DIM], with BertModel's additive extended mask."""
    batch, seq, _ = q.shape
    head_dim = DIM // HEADS

    def split(t):
        return t.reshape(batch, seq, HEADS, head_dim).transpose(1, 2)  # [B, H, T, D]

    scores = split(q) @ split(k).transpose(-1, -2) / math.sqrt(head_dim)
    scores = scores + (1.0 - mask[:, None, None, :]) * torch.finfo(torch.float32).min
    return (F.softmax(scores, dim=-1) @ split(v)).transpose(1, 2).reshape(batch, seq, DIM)


def bert_forward(w, prefix, ids, types, mask, attention=batched_attention, norm=layer_norm):
    """Returns last_hidden_state [B, T, DIM] and the pooler output [B, DIM]."""
    p = prefix
    seq = ids.shape[1]
    x = (w[p + "embeddings.word_embeddings.weight"][ids] + w[p + "embeddings.position_embeddings.weight"][:seq] +
         w[p + "embeddings.token_type_embeddings.weight"][types])
    x = norm(x, w[p + "embeddings.LayerNorm.weight"], w[p + "embeddings.LayerNorm.bias"])
    mask = mask.to(x.dtype)
    for i in range(LAYERS):
        q = f"{p}encoder.layer.{i}."

        def dense(name, h):
            return F.linear(h, w[q + name + ".weight"], w[q + name + ".bias"])

        attended = attention(dense("attention.self.query", x), dense("attention.self.key", x),
                             dense("attention.self.value", x), mask)
        x = norm(x + dense("attention.output.dense", attended), w[q + "attention.output.LayerNorm.weight"],
                 w[q + "attention.output.LayerNorm.bias"])
        h = F.gelu(dense("intermediate.dense", x))  # exact (erf) GELU: hidden_act "gelu"
        x = norm(x + dense("output.dense", h), w[q + "output.LayerNorm.weight"], w[q + "output.LayerNorm.bias"])
    pooled = torch.tanh(F.linear(x[:, 0], w[p + "pooler.dense.weight"], w[p + "pooler.dense.bias"]))
    return x, pooled


def sentence_embedding(hidden, mask):
    """sentence-transformers' mean Pooling then Normalize."""
    m = mask.to(hidden.dtype)[:, :, None]
    mean = (hidden * m).sum(dim=1) / torch.clamp(m.sum(dim=1), min=1e-9)
    return F.normalize(mean, p=2, dim=1)


def padded(sequences, types=None):
    """A right-padded batch: ids, token types and the attention mask, each [B, T]."""
    seq = max(len(s) for s in sequences)
    ids = torch.full((len(sequences), seq), PAD, dtype=torch.long)
    token_types = torch.zeros((len(sequences), seq), dtype=torch.long)
    mask = torch.zeros((len(sequences), seq), dtype=torch.long)
    for b, s in enumerate(sequences):
        ids[b, : len(s)] = torch.tensor(s)
        mask[b, : len(s)] = 1
        if types is not None:
            token_types[b, : len(s)] = torch.tensor(types[b])
    return ids, token_types, mask


# ---------------------------------------------------------------------------------------------------------------------
# Second formulation, used only to cross-check the one above
# ---------------------------------------------------------------------------------------------------------------------

def loop_attention(q, k, v, mask):
    """One sequence, head and query at a time, over the unmasked keys only, with an explicit softmax."""
    batch, seq, _ = q.shape
    head_dim = DIM // HEADS
    out = torch.zeros_like(q)
    for b in range(batch):
        keys = [t for t in range(seq) if mask[b, t] > 0]
        for head in range(HEADS):
            cols = slice(head * head_dim, (head + 1) * head_dim)
            for t in range(seq):
                scores = torch.stack([torch.dot(q[b, t, cols], k[b, s, cols]) for s in keys]) / math.sqrt(head_dim)
                probs = torch.exp(scores - scores.max())
                probs = probs / probs.sum()
                out[b, t, cols] = (probs[:, None] * v[b, keys, cols]).sum(dim=0)
    return out


def manual_layer_norm(x, weight, bias):
    mean = x.mean(dim=-1, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + LAYER_NORM_EPS) * weight + bias


def cross_check(w64, prefix, batch):
    ids, types, mask = batch
    hidden, pooled = bert_forward(w64, prefix, ids, types, mask)
    alt_hidden, alt_pooled = bert_forward(w64, prefix, ids, types, mask, attention=loop_attention,
                                          norm=manual_layer_norm)
    checks = {"hidden vs second formulation": float((hidden - alt_hidden).abs().max()),
              "pooled vs second formulation": float((pooled - alt_pooled).abs().max())}
    # Padding changes nothing for the tokens: each sequence alone gives the rows it has in the padded batch.
    worst = 0.0
    for b in range(ids.shape[0]):
        n = int(mask[b].sum())
        alone, _ = bert_forward(w64, prefix, ids[b:b + 1, :n], types[b:b + 1, :n], mask[b:b + 1, :n])
        worst = max(worst, float((alone[0] - hidden[b, :n]).abs().max()))
    checks["padded batch vs each sequence alone"] = worst
    for name, diff in checks.items():
        print(f"  check {name}: max |diff| = {diff:.3e} {'ok' if diff <= CHECK_TOLERANCE else 'FAILED'}")
    if any(diff > CHECK_TOLERANCE for diff in checks.values()):
        raise SystemExit("cross-checks failed")


# ---------------------------------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------------------------------

def write_json(path, obj, pretty=False):
    with open(path, "w") as f:
        f.write((json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) if pretty else compact_json(obj)) + "\n")
    with open(path) as f:
        json.load(f)


def write_checkpoint(out_dir, config, weights):
    os.makedirs(out_dir, exist_ok=True)
    write_json(os.path.join(out_dir, "config.json"), config, pretty=True)
    with open(os.path.join(out_dir, "vocab.txt"), "w") as f:
        f.write("\n".join(VOCAB) + "\n")
    write_json(os.path.join(out_dir, "tokenizer_config.json"),
               {"do_lower_case": True, "tokenize_chinese_chars": True, "strip_accents": None, "unk_token": "[UNK]",
                "cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]", "mask_token": "[MASK]",
                "model_max_length": POSITIONS, "tokenizer_class": "BertTokenizer"}, pretty=True)
    st_path = os.path.join(out_dir, "model.safetensors")
    write_safetensors(st_path, weights)
    names, _, loaded = read_safetensors(st_path)
    if names != list(weights) or any(not torch.equal(loaded[n], weights[n]) for n in weights):
        raise SystemExit(f"{st_path}: read-back differs from what was written")
    return {name: t.double() for name, t in loaded.items()}


def hidden_rows(hidden, mask):
    """Every row of every sequence, padding rows included (BertModel computes them too)."""
    return [rounded(hidden[b].reshape(-1)) for b in range(hidden.shape[0])]


def make_classifier(parent):
    out_dir = os.path.join(parent, "bert-tiny-classifier")
    config = hf_bert_config("BertForSequenceClassification", LABELS)
    weights = make_weights("bert.", LABELS)
    w64 = write_checkpoint(out_dir, config, weights)
    # A padded batch: one sequence at the maximum length, a sentence pair (token types 1 on its second segment), a
    # single token; then the texts one at a time.
    gen = torch.Generator().manual_seed(7)
    longest = [CLS] + torch.randint(5, len(VOCAB), (POSITIONS - 2,), generator=gen).tolist() + [SEP]
    pair = wordpiece("the cat sat", POSITIONS) + wordpiece("it was happy", POSITIONS)[1:]
    pair_types = [0] * 5 + [1] * (len(pair) - 5)
    sequences, types = [longest, pair, [CLS]], [[0] * POSITIONS, pair_types, [0]]
    batch = padded(sequences, types)
    hidden, pooled = bert_forward(w64, "bert.", *batch)
    logits = F.linear(pooled, w64["classifier.weight"], w64["classifier.bias"])
    texts = []
    for text in TEXTS:
        ids = wordpiece(text, POSITIONS)
        t_ids, t_types, t_mask = padded([ids])
        _, t_pooled = bert_forward(w64, "bert.", t_ids, t_types, t_mask)
        t_logits = F.linear(t_pooled, w64["classifier.weight"], w64["classifier.bias"])[0]
        top2 = torch.topk(t_logits, 2).values
        texts.append({"text": text, "ids": ids, "logits": rounded(t_logits),
                      "probabilities": rounded(F.softmax(t_logits, dim=0)), "top1_margin": float(top2[0] - top2[1])})
    reference = {
        "generator": "tests/reference/make_bert_fixture.py",
        "precision": "float64 forward on the float32 weights, rounded to 7 significant digits",
        "batch": {"ids": batch[0].tolist(), "token_types": batch[1].tolist(), "mask": batch[2].tolist(),
                  "hidden": hidden_rows(hidden, batch[2]), "pooled": [rounded(p) for p in pooled],
                  "logits": [rounded(l) for l in logits]},
        "texts": texts,
    }
    write_json(os.path.join(out_dir, "reference.json"), reference)
    print("classifier cross-checks:")
    cross_check(w64, "bert.", batch)
    print(f"wrote {out_dir}")


def make_sentence(parent):
    out_dir = os.path.join(parent, "bert-tiny-sentence")
    config = hf_bert_config("BertModel")
    weights = make_weights("", None)
    w64 = write_checkpoint(out_dir, config, weights)
    write_json(os.path.join(out_dir, "modules.json"), [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}],
        pretty=True)
    os.makedirs(os.path.join(out_dir, "1_Pooling"), exist_ok=True)
    write_json(os.path.join(out_dir, "1_Pooling", "config.json"), {
        "word_embedding_dimension": DIM, "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False}, pretty=True)
    write_json(os.path.join(out_dir, "sentence_bert_config.json"),
               {"max_seq_length": SENTENCE_MAX_SEQ, "do_lower_case": False}, pretty=True)
    sequences = [wordpiece(text, SENTENCE_MAX_SEQ) for text in TEXTS]
    batch = padded(sequences)
    hidden, _ = bert_forward(w64, "", *batch)
    embeddings = sentence_embedding(hidden, batch[2])
    reference = {
        "generator": "tests/reference/make_bert_fixture.py",
        "precision": "float64 forward on the float32 weights, rounded to 7 significant digits",
        "max_seq_length": SENTENCE_MAX_SEQ,
        "texts": [{"text": t, "ids": s, "embedding": rounded(e)} for t, s, e in zip(TEXTS, sequences, embeddings)],
        "batch": {"ids": batch[0].tolist(), "mask": batch[2].tolist(), "hidden": hidden_rows(hidden, batch[2])},
        "similarity": [rounded(row) for row in embeddings @ embeddings.T],
    }
    write_json(os.path.join(out_dir, "reference.json"), reference)
    print("sentence cross-checks:")
    cross_check(w64, "", batch)
    print(f"wrote {out_dir}")


def main():
    if sys.byteorder != "little":
        raise SystemExit("the safetensors reader here assumes a little-endian host")
    torch.set_num_threads(1)
    parent = sys.argv[1] if len(sys.argv) > 1 else os.path.join("tests", "fixtures")
    torch.manual_seed(0)
    make_classifier(parent)
    torch.manual_seed(1)
    make_sentence(parent)


if __name__ == "__main__":
    main()
