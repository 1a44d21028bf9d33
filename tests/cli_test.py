#!/usr/bin/env python3
"""The command-line tools as a user runs them: edgeformer-convert, edgeformer inspect / generate / run.

Standard library only. Usage: cli_test.py CONVERT_BINARY EDGEFORMER_BINARY SHARED_DIR (EDGEFORMER_SHARED overrides SHARED_DIR)
"""
import json
import os
import struct
import subprocess
import sys
import tempfile
import unittest

CONVERT, EDGEFORMER, SHARED = sys.argv[1:4]
SHARED = os.environ.get("EDGEFORMER_SHARED") or SHARED
STORIES = os.path.join(SHARED, "models", "stories260K")


def run(*args, check=True):
    result = subprocess.run(args, capture_output=True, text=True, errors="replace")
    if check and result.returncode != 0:
        raise AssertionError(f"{args} failed ({result.returncode}): {result.stderr}")
    return result


def write_npy(path, dtype, shape, values):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (
        dtype, "".join(f"{d}, " for d in shape))
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    code = {"<i4": "i", "<i8": "q", "<f4": "f"}[dtype]
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack(f"<{len(values)}{code}", *values))


def read_npy(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data[:6] == b"\x93NUMPY", "not an npy file"
    length = struct.unpack("<H", data[8:10])[0]
    header = data[10:10 + length].decode()
    shape = tuple(int(x) for x in header.split("'shape': (")[1].split(")")[0].split(",") if x.strip())
    count = 1
    for d in shape:
        count *= d
    assert "'<f4'" in header, header
    return shape, struct.unpack(f"<{count}f", data[10 + length:10 + length + 4 * count])


GPT2_FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "gpt2-tiny")


class Gpt2Cli(unittest.TestCase):
    """A Hugging Face gpt2 folder (the PyTorch-generated test fixture) through convert, inspect and generate."""

    def test_convert_inspect_and_generate_the_reference_continuation(self):
        with open(os.path.join(GPT2_FIXTURE, "reference.json")) as f:
            prompt = json.load(f)["prompts"][0]
        with tempfile.TemporaryDirectory() as tmp:
            for quant in ("f32", "int8"):
                out = os.path.join(tmp, quant + ".eft")
                self.assertIn("gpt2: dim 32", run(CONVERT, GPT2_FIXTURE, "-o", out, "--quant", quant).stdout)
                info = json.loads(run(EDGEFORMER, "inspect", out, "--json").stdout)
                self.assertEqual((info["architecture"], info["quantization"]), ("gpt2", quant))
                self.assertEqual(info["ops"]["LayerNorm"], 10)
                self.assertEqual(info["max_context"], 32)
                ids = ",".join(str(i) for i in prompt["ids"])
                result = json.loads(run(EDGEFORMER, "generate", out, "--prompt-ids", ids, "-n",
                                        str(len(prompt["greedy"])), "--json").stdout)
                self.assertEqual(result["ids"], prompt["greedy"], quant)


BERT_CLASSIFIER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "bert-tiny-classifier")
BERT_SENTENCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "bert-tiny-sentence")


def assert_close(test, got, want, what, relative=1e-4):
    scale = max(abs(w) for w in want)
    test.assertEqual(len(got), len(want), what)
    for i, (g, w) in enumerate(zip(got, want)):
        test.assertLessEqual(abs(g - w), relative * scale, f"{what} element {i}: {g} vs {w}")


class BenchRoofline(unittest.TestCase):
    """`edgeformer bench`'s work counts against the multiply-adds and bytes of the models' shapes, counted by hand."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def bench(self, spec, *args):
        model = os.path.join(self.tmp.name, spec.split(":")[0] + ".eft")
        run(CONVERT, "--synthetic", spec, "-o", model)
        return json.loads(run(EDGEFORMER, "bench", model, "--reps", "1", "--json", *args).stdout)

    def test_decoder_prompt_operations_and_decode_bytes(self):
        dim, layers, heads, kv_heads, ffn, vocab = 32, 2, 4, 2, 64, 100
        head_dim, kv_width = dim // heads, kv_heads * dim // heads
        out = self.bench(f"llama:dim={dim},layers={layers},heads={heads},kv_heads={kv_heads},ffn={ffn},vocab={vocab},"
                         "context=64", "--prompt-len", "16", "--gen", "8")
        # q, k, v, o, gate, up, down per layer, then the (untied) head.
        macs_per_row = layers * (2 * dim * dim + 2 * dim * kv_width + 3 * dim * ffn) + dim * vocab
        attention_per_key = layers * 2 * heads * head_dim  # q.k and p.v
        self.assertEqual(out["prefill_ops"], 2 * (macs_per_row * 16 + attention_per_key * 16 * 17 // 2))
        # f32 weights of every layer and the head, the two norms per layer and the final one, one embedding row, and
        # K and V (f32) of the keys a step sees at the middle of positions 16..23 (20.5 on average).
        weights = 4 * macs_per_row + 4 * dim * (2 * layers + 1) + 4 * dim
        cache_per_key = layers * 2 * kv_width * 4
        self.assertEqual(out["decode_bytes_per_token"], weights + cache_per_key * 41 // 2)
        self.assertGreater(out["decode_bytes_per_s"], 0)
        self.assertGreater(out["read_bandwidth_bytes_per_s"], 0)
        if out["isa"] != "scalar":
            self.assertEqual(out["peak_loop"], "fmla" if out["isa"].startswith("neon") else "vfmadd ymm"
                             if out["isa"] in ("avx2", "avxvnni") else "vfmadd zmm")
            self.assertGreater(out["peak_ops_per_s"], 0)

    def test_encoder_operations_see_every_row(self):
        dim, layers, heads, ffn = 32, 2, 4, 64
        out = self.bench(f"bert:dim={dim},layers={layers},heads={heads},ffn={ffn},vocab=100,context=64",
                         "--prompt-len", "48")
        macs_per_row = layers * (4 * dim * dim + 2 * dim * ffn)
        self.assertEqual(out["prefill_ops"], 2 * (macs_per_row * 48 + layers * 2 * dim * 48 * 48))
        self.assertEqual(out["decode_bytes_per_token"], 0)


class BertCli(unittest.TestCase):
    """Hugging Face bert folders (the PyTorch-generated fixtures) through convert, inspect, embed, classify and run."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.sentence = os.path.join(cls.tmp.name, "sentence.eft")
        cls.classifier = os.path.join(cls.tmp.name, "classifier.eft")
        run(CONVERT, BERT_SENTENCE, "-o", cls.sentence)
        cls.classifier_output = run(CONVERT, BERT_CLASSIFIER, "-o", cls.classifier).stdout
        with open(os.path.join(BERT_SENTENCE, "reference.json")) as f:
            cls.sentence_ref = json.load(f)
        with open(os.path.join(BERT_CLASSIFIER, "reference.json")) as f:
            cls.classifier_ref = json.load(f)

    def test_inspect_lists_the_encode_entry_and_its_tensors(self):
        self.assertIn("bert: dim 32", self.classifier_output)
        self.assertIn("3 labels", self.classifier_output)
        info = json.loads(run(EDGEFORMER, "inspect", self.classifier, "--json").stdout)
        self.assertEqual(info["architecture"], "bert")
        (entry,) = info["entries"]
        self.assertEqual(entry["name"], "encode")
        self.assertEqual([t["name"] for t in entry["inputs"]], ["encode/tokens", "encode/token_types", "encode/mask"])
        self.assertEqual([t["name"] for t in entry["outputs"]], ["encode/hidden", "encode/pooled", "encode/logits"])
        self.assertEqual(info["labels"], ["negative", "neutral", "positive"])
        text = run(EDGEFORMER, "inspect", self.sentence).stdout
        self.assertIn("entry encode", text)
        self.assertIn("encode/embedding: f32[1, 32]", text)

    def test_embed_prints_the_reference_embeddings_and_their_cosine_similarities(self):
        texts = self.sentence_ref["texts"]
        result = json.loads(run(EDGEFORMER, "embed", self.sentence, *[t["text"] for t in texts], "--json").stdout)
        for got, want in zip(result["embeddings"], texts):
            assert_close(self, got["embedding"], want["embedding"], want["text"])
            self.assertEqual(got["tokens"], len(want["ids"]))
        self.assertEqual([e["truncated"] for e in result["embeddings"]], [False] * (len(texts) - 1) + [True])
        for got, want in zip(result["similarity"], self.sentence_ref["similarity"]):
            assert_close(self, got, want, "similarity")
        text = run(EDGEFORMER, "embed", self.sentence, texts[0]["text"], texts[1]["text"]).stdout
        self.assertIn("cosine similarity", text)

    def test_classify_prints_label_probabilities(self):
        texts = self.classifier_ref["texts"]
        result = json.loads(run(EDGEFORMER, "classify", self.classifier, *[t["text"] for t in texts],
                                "--json").stdout)["results"]
        labels = ["negative", "neutral", "positive"]
        for got, want in zip(result, texts):
            assert_close(self, [got["probabilities"][label] for label in labels], want["probabilities"], want["text"])
            probabilities = want["probabilities"]
            self.assertEqual(got["label"], labels[probabilities.index(max(probabilities))])
        self.assertIn("positive", run(EDGEFORMER, "classify", self.classifier, texts[0]["text"]).stdout)

    def test_commands_refuse_a_model_without_their_head(self):
        for command, model in (("embed", self.classifier), ("classify", self.sentence)):
            result = run(EDGEFORMER, command, model, "text", check=False)
            self.assertEqual(result.returncode, 1)
            self.assertIn("no encode/", result.stderr)
        self.assertNotEqual(run(EDGEFORMER, "embed", self.sentence, check=False).returncode, 0)

    def test_bench_measures_encoding(self):
        model = os.path.join(self.tmp.name, "synthetic-bert.eft")
        run(CONVERT, "--synthetic", "bert:dim=32,layers=2,heads=4,ffn=64,vocab=100,context=64", "-o", model)
        result = json.loads(run(EDGEFORMER, "bench", model, "--prompt-len", "48", "--reps", "2", "--json").stdout)
        self.assertTrue(result["encoder"])
        self.assertEqual((result["prompt_tokens"], result["generated_tokens"]), (48, 0))
        self.assertGreater(result["prefill_tokens_per_s"], 0)
        too_long = run(EDGEFORMER, "bench", model, "--prompt-len", "65", check=False)
        self.assertNotEqual(too_long.returncode, 0)
        self.assertIn("encoder", too_long.stderr)

    def test_run_takes_a_padded_batch(self):
        batch = self.classifier_ref["batch"]
        shape = (len(batch["ids"]), len(batch["ids"][0]))
        flat = lambda rows: [v for row in rows for v in row]
        inputs = []
        for name in ("tokens", "token_types", "mask"):
            path = os.path.join(self.tmp.name, name + ".npy")
            key = {"tokens": "ids"}.get(name, name)
            write_npy(path, "<i8", shape, flat(batch[key]))
            inputs += ["--input", f"{name}={path}"]
        out = os.path.join(self.tmp.name, "out")
        run(EDGEFORMER, "run", self.classifier, *inputs, "--out", out)
        hidden_shape, hidden = read_npy(os.path.join(out, "hidden.npy"))
        self.assertEqual(hidden_shape, (shape[0], shape[1], 32))
        logits_shape, logits = read_npy(os.path.join(out, "logits.npy"))
        self.assertEqual(logits_shape, (shape[0], 1, 3))
        per_item = shape[1] * 32
        for b in range(shape[0]):
            assert_close(self, hidden[b * per_item:(b + 1) * per_item], batch["hidden"][b], f"hidden {b}")
            assert_close(self, logits[3 * b:3 * b + 3], batch["logits"][b], f"logits {b}")
        # A batch whose inputs disagree on the batch size is refused.
        short = os.path.join(self.tmp.name, "short.npy")
        write_npy(short, "<i8", (1, shape[1]), [0] * shape[1])
        result = run(EDGEFORMER, "run", self.classifier, *inputs[:4], "--input", f"mask={short}", "--out", out,
                     check=False)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("batch", result.stderr)


MARIAN_FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "marian-tiny")


class MarianCli(unittest.TestCase):
    """A Hugging Face marian folder (the PyTorch-generated fixture) through convert, inspect and translate."""

    def test_translate_reproduces_the_reference_greedy_and_beam_outputs(self):
        with open(os.path.join(MARIAN_FIXTURE, "reference.json")) as f:
            ref = json.load(f)
        with tempfile.TemporaryDirectory() as tmp:
            model = os.path.join(tmp, "marian.eft")
            self.assertIn("marian: dim 32, layers 2+2", run(CONVERT, MARIAN_FIXTURE, "-o", model).stdout)
            info = json.loads(run(EDGEFORMER, "inspect", model, "--json").stdout)
            self.assertEqual([e["name"] for e in info["entries"]], ["encode", "prefill", "decode"])
            self.assertEqual([t["name"] for t in info["entries"][0]["inputs"]], ["encode/tokens", "encode/mask"])
            for translation in ref["translations"]:
                ids = ",".join(str(i) for i in translation["source"])
                for beams, key in (("1", "greedy"), (str(ref["beams"]), "beam")):
                    result = json.loads(run(EDGEFORMER, "translate", model, "--source-ids", ids, "--beam", beams,
                                            "-n", str(ref["max_new_tokens"]), "--json").stdout)
                    self.assertEqual(result["ids"], translation[key], f"{key} of {ids}")
            for text in ref["texts"]:
                for beams, key in (("1", "greedy"), (str(ref["beams"]), "beam")):
                    result = json.loads(run(EDGEFORMER, "translate", model, text["text"], "--beam", beams,
                                            "-n", str(ref["max_new_tokens"]), "--json").stdout)
                    self.assertEqual(result["source_ids"], text["source"], text["text"])
                    self.assertEqual((result["ids"], result["text"]), (text[key], text[key + "_text"]), text["text"])
            # Through run: encode then prefill in one session, inputs named ENTRY/NAME, outputs ENTRY.NAME.npy.
            forced = ref["teacher_forced"][3]
            arrays = {"encode/tokens": forced["source"], "encode/mask": [1] * len(forced["source"]),
                      "prefill/tokens": forced["target"], "prefill/position": [0]}
            inputs = []
            for name, values in arrays.items():
                path = os.path.join(tmp, name.replace("/", "_") + ".npy")
                write_npy(path, "<i4", (len(values),), values)
                inputs += ["--input", f"{name}={path}"]
            out = os.path.join(tmp, "out")
            run(EDGEFORMER, "run", model, "--entry", "encode", "--entry", "prefill", *inputs, "--out", out)
            shape, logits = read_npy(os.path.join(out, "prefill.logits.npy"))
            self.assertEqual(shape, (1, 64))
            assert_close(self, logits, forced["logits"][-1], "prefill logits")
            self.assertTrue(os.path.exists(os.path.join(out, "encode.hidden.npy")))
            for bad in (("--beam", "0"), ("--source-ids", "x")):
                result = run(EDGEFORMER, "translate", model, "--source-ids", "5,0", *bad, check=False)
                self.assertNotEqual(result.returncode, 0)
                self.assertIn(bad[0], result.stderr)


class AttentionCli(unittest.TestCase):
    """`edgeformer attention` on the fixtures: its JSON against make_attention_references.py's PyTorch probabilities,
    the files it writes, and its errors."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.bert = os.path.join(cls.tmp.name, "bert.eft")
        cls.gpt2 = os.path.join(cls.tmp.name, "gpt2.eft")
        cls.marian = os.path.join(cls.tmp.name, "marian.eft")
        run(CONVERT, BERT_SENTENCE, "-o", cls.bert)
        run(CONVERT, GPT2_FIXTURE, "-o", cls.gpt2)
        run(CONVERT, MARIAN_FIXTURE, "-o", cls.marian)

    def assert_rows_match(self, maps, case, queries, keys):
        """The JSON's matrices equal the reference case's rows [0, queries) and columns [0, keys)."""
        for layer, reference_layer in zip(maps["layers"], case["probabilities"]):
            for head in layer["heads"]:
                want = reference_layer[head["head"]]
                for q in range(queries):
                    for k in range(keys):
                        self.assertAlmostEqual(head["weights"][q][k], want[q * case["keys"] + k], delta=1e-5)

    def test_encoder_json_matches_pytorch_and_files_are_written(self):
        with open(os.path.join(BERT_SENTENCE, "attention.json")) as f:
            case = json.load(f)["cases"][0]
        tokens = sum(case["mask"])
        ids = ",".join(str(i) for i in case["ids"][:tokens])
        page, png = os.path.join(self.tmp.name, "bert.html"), os.path.join(self.tmp.name, "bert.png")
        maps = json.loads(run(EDGEFORMER, "attention", self.bert, "--ids", ids, "--json", "--html", page,
                              "--png", png).stdout)
        self.assertEqual(maps["kind"], "encoder")
        self.assertEqual(len(maps["queries"]), tokens)
        self.assertEqual(maps["queries"][0], "[CLS]")
        self.assertEqual([layer["layer"] for layer in maps["layers"]], [0, 1])
        self.assertEqual([head["head"] for head in maps["layers"][0]["heads"]], [0, 1, 2, 3])
        self.assert_rows_match(maps, case, tokens, tokens)
        with open(png, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        with open(page) as f:
            self.assertIn('id="attention-data"', f.read())

    def test_decoder_prompt_and_generated_tokens(self):
        with open(os.path.join(GPT2_FIXTURE, "attention.json")) as f:
            case = json.load(f)["cases"][0]
        ids = ",".join(str(i) for i in case["ids"])
        maps = json.loads(run(EDGEFORMER, "attention", self.gpt2, "--ids", ids, "--json", "--layer", "1",
                              "--head", "2").stdout)
        self.assertEqual([layer["layer"] for layer in maps["layers"]], [1])
        self.assertEqual([head["head"] for head in maps["layers"][0]["heads"]], [2])
        want = case["probabilities"][1][2]
        got = maps["layers"][0]["heads"][0]["weights"]
        for q in range(case["queries"]):
            for k in range(case["keys"]):
                self.assertAlmostEqual(got[q][k], want[q * case["keys"] + k], delta=1e-5)
        more = json.loads(run(EDGEFORMER, "attention", self.gpt2, "--ids", ids, "-n", "5", "--json").stdout)
        self.assertEqual(len(more["queries"]), len(case["ids"]) + 5)
        for row in more["layers"][0]["heads"][0]["weights"]:
            self.assertAlmostEqual(sum(row), 1.0, delta=1e-5)

    def test_translation_captures_the_alignment(self):
        with open(os.path.join(MARIAN_FIXTURE, "reference.json")) as f:
            ref = json.load(f)
        text, limit = ref["texts"][0], str(ref["max_new_tokens"])
        maps = json.loads(run(EDGEFORMER, "attention", self.marian, text["text"], "-n", limit, "--json").stdout)
        self.assertEqual(maps["kind"], "cross")
        self.assertEqual(len(maps["keys"]), len(text["source"]))
        self.assertEqual(len(maps["queries"]), len(text["greedy"]) + 1)  # the translation's tokens and EOS
        for layer in maps["layers"]:
            for head in layer["heads"]:
                for row in head["weights"]:
                    self.assertAlmostEqual(sum(row), 1.0, delta=1e-5)
        encoder = json.loads(run(EDGEFORMER, "attention", self.marian, text["text"], "--kind", "encoder",
                                 "--json").stdout)
        self.assertEqual(len(encoder["queries"]), len(text["source"]))

    def test_bad_arguments_are_errors(self):
        for args, word in ((("--ids", "1,2", "--layer", "9", "--json"), "--layer"),
                           (("--ids", "1,2", "--head", "4", "--json"), "--head"),
                           (("--ids", "1,2"), "nothing to write"),
                           (("--ids", "1,2", "--kind", "cross", "--json"), "kind"),
                           (("--ids", "1,2", "--png", "/nonexistent/dir/a.png"), "/nonexistent/dir/a.png")):
            result = run(EDGEFORMER, "attention", self.gpt2, *args, check=False)
            self.assertNotEqual(result.returncode, 0, args)
            self.assertIn(word, result.stderr, args)


@unittest.skipUnless(os.path.exists(os.path.join(STORIES, "stories260K.bin")),
                     "../shared/models/stories260K not found (set EDGEFORMER_SHARED)")
class Cli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.model = os.path.join(cls.tmp.name, "stories.eft")
        cls.convert_output = run(CONVERT, os.path.join(STORIES, "stories260K.bin"), "-o", cls.model).stdout
        with open(os.path.join(STORIES, "expected_greedy_256.json")) as f:
            cls.golden = json.load(f)["output_ids"]

    def test_quantized_weights_and_kv_cache_options(self):
        out = os.path.join(self.tmp.name, "q.eft")
        run(CONVERT, os.path.join(STORIES, "stories260K.bin"), "-o", out, "--quant", "int4", "--kv", "int8")
        info = json.loads(run(EDGEFORMER, "inspect", out, "--json").stdout)
        self.assertEqual((info["quantization"], info["kv_cache"]), ("int4", "int8"))
        self.assertEqual(json.loads(run(EDGEFORMER, "generate", out, "-n", "8", "--json").stdout)["ids"][:1],
                         self.golden[:1])
        for flag, value in (("--kv", "int3"), ("--quant", "int2")):
            result = run(CONVERT, os.path.join(STORIES, "stories260K.bin"), "-o", out, flag, value, check=False)
            self.assertNotEqual(result.returncode, 0)
            self.assertIn(flag + ": expected", result.stderr)

    def test_convert_prints_what_it_wrote(self):
        for word in ("architecture", "ops", "params", "weight bytes", "arena bytes", "KV-cache bytes"):
            self.assertIn(word, self.convert_output)
        self.assertIn('stop ids      2 "\\n</s>\\n"', self.convert_output)

    def test_convert_refuses_a_tokenizer_the_input_does_not_take(self):
        out = os.path.join(self.tmp.name, "refused.eft")
        tok512 = os.path.join(STORIES, "tok512.bin")
        synthetic = ("--synthetic", "llama:dim=16,layers=1,heads=2,kv_heads=2,ffn=32,context=16,vocab=512")
        for args in ((os.path.join(STORIES, "hf"),), synthetic):
            result = run(CONVERT, *args, "--tokenizer", tok512, "-o", out, check=False)
            self.assertEqual(result.returncode, 1, args)
            for word in ("tok512.bin", "tokenizer.json", "vocab.txt", ".model", "tok*.bin goes with a llama2.c"):
                self.assertIn(word, result.stderr, args)
            self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
            self.assertFalse(os.path.exists(out))

    def test_convert_errors_are_one_line_and_leave_no_file(self):
        out = os.path.join(self.tmp.name, "bad.eft")
        unsupported = os.path.join(self.tmp.name, "t5")
        os.makedirs(unsupported, exist_ok=True)
        with open(os.path.join(unsupported, "config.json"), "w") as f:
            json.dump({"model_type": "t5"}, f)
        # A folder of an unsupported family, and a bert folder without weights (the MiniLM tokenizer's).
        for folder, word in ((unsupported, "model_type"), (os.path.join(SHARED, "tokenizers", "minilm"),
                                                           "model.safetensors")):
            result = run(CONVERT, folder, "-o", out, check=False)
            self.assertEqual(result.returncode, 1)
            self.assertIn(word, result.stderr)
            self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
            self.assertFalse(os.path.exists(out))
        self.assertNotEqual(run(CONVERT, STORIES + "/stories260K.bin", "-o", out, "--quant", "int3",
                                check=False).returncode, 0)

    def test_inspect_json(self):
        info = json.loads(run(EDGEFORMER, "inspect", self.model, "--json").stdout)
        for key in ("architecture", "quantization", "params", "weight_bytes", "arena_bytes", "state_bytes",
                    "ops", "entries"):
            self.assertIn(key, info)
        self.assertEqual(info["architecture"], "llama")
        self.assertEqual(info["kv_cache"], "f32")
        self.assertEqual(info["stop_ids"], [2])
        self.assertEqual(info["params"], 260032)
        self.assertEqual(info["ops"]["Attention"], 10)
        entries = {e["name"]: e for e in info["entries"]}
        self.assertEqual(set(entries), {"prefill", "decode"})
        self.assertEqual([t["name"] for t in entries["decode"]["inputs"]], ["decode/tokens", "decode/position"])
        self.assertEqual(entries["decode"]["outputs"][0]["shape"], [1, 512])
        self.assertEqual(entries["prefill"]["inputs"][0]["dtype"], "i32")

    def test_inspect_check_finds_a_nan_weight(self):
        good = run(EDGEFORMER, "inspect", self.model, "--check")
        self.assertIn("every weight is finite", good.stdout)
        self.assertEqual(json.loads(run(EDGEFORMER, "inspect", self.model, "--check", "--json").stdout)
                         ["weight_issues"], [])
        # The token embedding follows the 7-int header of the llama2.c file and is stored unchanged in the .eft.
        with open(os.path.join(STORIES, "stories260K.bin"), "rb") as f:
            embedding_start = f.read(28 + 64)[28:]
        with open(self.model, "rb") as f:
            data = bytearray(f.read())
        at = data.find(embedding_start)
        self.assertGreater(at, 0)
        data[at + 4:at + 8] = struct.pack("<f", float("nan"))
        broken = os.path.join(self.tmp.name, "nan.eft")
        with open(broken, "wb") as f:
            f.write(data)
        result = run(EDGEFORMER, "inspect", broken, "--check", "--json", check=False)
        self.assertEqual(result.returncode, 1)
        self.assertEqual(json.loads(result.stdout)["weight_issues"],
                         [{"tensor": "token_embedding", "nan": 1, "inf": 0, "wrong_row_sums": 0}])

    def test_generate_json_reproduces_the_golden(self):
        out = json.loads(run(EDGEFORMER, "generate", self.model, "-n", "256", "--json").stdout)
        self.assertEqual(out["ids"], self.golden)
        self.assertTrue(out["text"].startswith("Once upon a time, there was a little girl named Lily."))
        for key in ("load_ms", "prefill_tokens_per_s", "decode_tokens_per_s", "arena_bytes", "state_bytes",
                    "peak_rss_bytes"):
            self.assertGreater(out[key], 0, key)

    def test_generate_streams_text(self):
        result = run(EDGEFORMER, "generate", self.model, "--prompt", "Once upon a time", "-n", "20")
        self.assertTrue(result.stdout.startswith("Once upon a time"), result.stdout)
        self.assertIn("tokens/s", result.stderr)

    def test_generate_rejects_bad_arguments(self):
        for args in (["--threads", "0"], ["-n", "x"], ["--prompt-ids", "1,99999"], ["--top-p", "2"],
                     ["--prompt-ids", "1,,2"]):
            result = run(EDGEFORMER, "generate", self.model, *args, check=False)
            self.assertNotEqual(result.returncode, 0, args)
            self.assertIn("error", result.stderr, args)

    def test_run_prefill_on_npy_arrays(self):
        tokens = os.path.join(self.tmp.name, "tokens.npy")
        position = os.path.join(self.tmp.name, "position.npy")
        prompt = [1] + self.golden[:9]
        write_npy(tokens, "<i8", [len(prompt)], prompt)
        write_npy(position, "<i4", [1], [0])
        out_dir = os.path.join(self.tmp.name, "out")
        run(EDGEFORMER, "run", self.model, "--entry", "prefill", "--input", f"tokens={tokens}",
            "--input", f"position={position}", "--out", out_dir)
        shape, logits = read_npy(os.path.join(out_dir, "logits.npy"))
        self.assertEqual(shape, (1, 512))
        self.assertEqual(max(range(512), key=lambda i: logits[i]), self.golden[9])

    def test_run_rejects_mismatched_arrays(self):
        tokens = os.path.join(self.tmp.name, "wide.npy")
        write_npy(tokens, "<f4", [2], [1.0, 2.0])
        result = run(EDGEFORMER, "run", self.model, "--entry", "decode", "--input", f"tokens={tokens}",
                     "--input", f"position={tokens}", "--out", self.tmp.name, check=False)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("dtype", result.stderr)

    def test_bench_json(self):
        out = json.loads(run(EDGEFORMER, "bench", self.model, "--prompt-len", "16", "--gen", "8", "--reps", "2",
                             "--json").stdout)
        for key in ("prefill_tokens_per_s", "decode_tokens_per_s", "load_ms", "first_prefill_ms", "arena_bytes",
                    "state_bytes", "peak_rss_bytes"):
            self.assertGreater(out[key], 0, key)
        self.assertEqual((out["prompt_tokens"], out["generated_tokens"], out["repetitions"]), (16, 8, 2))
        profiled = json.loads(run(EDGEFORMER, "bench", self.model, "--prompt-len", "16", "--gen", "8", "--reps", "2",
                                  "--profile", "--json").stdout)
        ops = {p["op"]: p for p in profiled["profile"]}
        # 2 repetitions x (1 prefill + 8 decodes) x 5 layers
        self.assertEqual(ops["Attention"]["calls"], 2 * 9 * 5)
        self.assertGreater(ops["FullyConnected"]["seconds"], 0)
        table = run(EDGEFORMER, "bench", self.model, "--prompt-len", "8", "--gen", "4", "--reps", "1").stdout
        self.assertIn("| pp8 |", table)
        self.assertIn("| tg4 |", table)
        too_long = run(EDGEFORMER, "bench", self.model, "--prompt-len", "500", "--gen", "100", check=False)
        self.assertNotEqual(too_long.returncode, 0)
        self.assertIn("context", too_long.stderr)

    def test_missing_model_is_an_error(self):
        result = run(EDGEFORMER, "inspect", "/nonexistent.eft", check=False)
        self.assertEqual(result.returncode, 1)
        self.assertIn("/nonexistent.eft", result.stderr)


CHAT_TEMPLATES = os.path.join(SHARED, "chat-templates")


@unittest.skipUnless(os.path.isdir(STORIES) and os.path.isdir(CHAT_TEMPLATES),
                     "../shared/models/stories260K or ../shared/chat-templates not found")
class ChatCli(unittest.TestCase):
    """edgeformer chat and generate --chat on stories260K with TinyLlama's chat template."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.model = os.path.join(cls.tmp.name, "chat.eft")
        cls.convert_output = run(CONVERT, os.path.join(STORIES, "stories260K.bin"), "-o", cls.model, "--chat-template",
                                 os.path.join(CHAT_TEMPLATES, "TinyLlama--TinyLlama-1.1B-Chat-v1.0.jinja")).stdout

    def chat(self, *args, stdin="", check=True):
        return subprocess.run([EDGEFORMER, "chat", self.model, *args], input=stdin, capture_output=True, text=True,
                              errors="replace", check=check)

    def test_convert_says_the_template_was_reduced(self):
        self.assertIn("chat template reduced from", self.convert_output)

    def test_turns_keep_the_cache(self):
        turns = [json.loads(line) for line in
                 self.chat("--json", "-n", "12", "--system", "Tell stories.", stdin="Once upon a time\nAnd then?\n")
                 .stdout.splitlines()]
        self.assertEqual([t["turn"] for t in turns], [0, 1])
        self.assertEqual(turns[0]["reused_tokens"], 0)
        # The second turn prefills only its own message (and the end of the first reply), not the conversation.
        self.assertEqual(turns[1]["reused_tokens"], turns[0]["prompt_tokens"] + len(turns[0]["ids"]) - 1)
        self.assertLess(turns[1]["prefill_tokens"], turns[1]["prompt_tokens"] // 2)
        for t in turns:
            self.assertEqual(len(t["ids"]), 12)
            self.assertGreater(t["decode_tokens_per_s"], 0)
        # The text streamed without --json is the same reply.
        streamed = self.chat("-n", "12", "--system", "Tell stories.", stdin="Once upon a time\n").stdout
        self.assertEqual(streamed, turns[0]["text"] + "\n")

    def test_messages_file_and_generate_chat_reply_alike(self):
        conversation = os.path.join(self.tmp.name, "conv.json")
        with open(conversation, "w") as f:
            json.dump([{"role": "system", "content": "Tell stories."}, {"role": "user", "content": "A cat"}], f)
        from_file = json.loads(self.chat("--messages", conversation, "--json", "-n", "10").stdout)
        generated = json.loads(run(EDGEFORMER, "generate", self.model, "--chat", "--system", "Tell stories.",
                                   "--prompt", "A cat", "-n", "10", "--json").stdout)
        self.assertEqual(from_file["ids"], generated["ids"])
        self.assertEqual(from_file["prompt_tokens"], len(generated["prompt_ids"]))

    def test_bad_input_is_an_error_naming_it(self):
        conversation = os.path.join(self.tmp.name, "bad.json")
        for content, word in (('[{"role": "robot", "content": "x"}]', "robot"),
                              ('[{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}]',
                               "end with a user message"),
                              ('{"messages": 3', "not valid JSON")):
            with open(conversation, "w") as f:
                f.write(content)
            result = self.chat("--messages", conversation, check=False)
            self.assertNotEqual(result.returncode, 0)
            self.assertIn(word, result.stderr)
        # A message longer than the context is refused and the chat goes on with the next one.
        result = self.chat("--json", "-n", "4", stdin="word " * 600 + "\nHello\n", check=False)
        self.assertEqual(result.returncode, 1)
        self.assertIn("does not fit", result.stderr)
        self.assertEqual(len(result.stdout.splitlines()), 1)

    def test_a_model_without_a_template_is_refused(self):
        plain = os.path.join(self.tmp.name, "plain.eft")
        run(CONVERT, os.path.join(STORIES, "stories260K.bin"), "-o", plain)
        result = subprocess.run([EDGEFORMER, "chat", plain], input="hi\n", capture_output=True, text=True)
        self.assertEqual(result.returncode, 1)
        self.assertIn("no chat template", result.stderr)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
