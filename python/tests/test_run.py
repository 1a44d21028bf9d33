"""Model and Session against the C++ API (through the CLI, bit for bit) and the PyTorch fixtures."""
import json
import subprocess
import sys

import numpy as np
import pytest

import edgeformer
from conftest import FIXTURES, SOURCE, cli

F32_BUDGET = 1e-4  # relative to the largest magnitude, as the C++ family tests


def reference(folder):
    return json.loads((FIXTURES / folder / "reference.json").read_text())


def close(got, want):
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=0, atol=F32_BUDGET * max(1.0, np.abs(want).max()))


def test_run_outputs_equal_the_cpp_api_bit_for_bit(models, tmp_path):
    path = models["gpt2-int8"]
    tokens = np.array([5, 17, 3, 88, 41], dtype=np.int32)
    position = np.array([0], dtype=np.int32)
    np.save(tmp_path / "tokens.npy", tokens)
    np.save(tmp_path / "position.npy", position)
    subprocess.run([cli(), "run", str(path), "--entry", "prefill", "--input", f"tokens={tmp_path / 'tokens.npy'}",
                    "--input", f"position={tmp_path / 'position.npy'}", "--out", str(tmp_path)], check=True,
                   capture_output=True)
    cpp = np.load(tmp_path / "logits.npy")
    session = edgeformer.Model(path).session()
    out = session.run("prefill", tokens=tokens, position=position)
    assert out["logits"].dtype == np.float32 and np.array_equal(out["logits"], cpp)
    # The same logits through prefill (the session's own entry choice) and as a copy that the next call keeps.
    session.reset()
    session.prefill(tokens)
    logits = session.logits
    assert np.array_equal(logits, cpp[0])
    session.decode(int(np.argmax(logits)))
    assert np.array_equal(logits, cpp[0]) and not np.array_equal(session.logits, logits)


@pytest.mark.parametrize("name", ["stories-f32", "stories-int8", "gpt2-f32"])
@pytest.mark.parametrize("options", [{}, {"temperature": 0.8, "top_p": 0.9, "seed": 7},
                                     {"temperature": 1.0, "top_k": 20, "seed": 3}])
def test_generation_is_the_clis(stories, name, options):
    path = stories[name]
    flags = []
    for key, flag in (("temperature", "--temperature"), ("top_k", "--top-k"), ("top_p", "--top-p"), ("seed", "--seed")):
        if key in options:
            flags += [flag, str(options[key])]
    prompt = [1, 5, 9, 30, 7] if name.startswith("gpt2") else None
    args = ["--prompt-ids", ",".join(map(str, prompt))] if prompt else ["--prompt", "Once upon a time"]
    printed = json.loads(subprocess.run([cli(), "generate", str(path), *args, "-n", "48", "--json", *flags],
                                        check=True, capture_output=True, text=True).stdout)
    model = edgeformer.Model(path)
    ids = prompt if prompt else model.tokenize("Once upon a time")
    assert model.generate_ids(ids, max_tokens=48, **options) == printed["ids"]
    if not prompt:
        assert model.generate("Once upon a time", max_tokens=48, **options) == printed["text"]
        assert "".join(model.generate("Once upon a time", max_tokens=48, stream=True, **options)) == printed["text"]


def test_gpt2_logits_and_greedy_match_pytorch(models):
    model = edgeformer.Model(models["gpt2-f32"])
    for prompt in reference("gpt2-tiny")["prompts"]:
        session = model.session()
        session.prefill(prompt["ids"])
        close(session.logits, prompt["logits_last"])
        assert model.generate_ids(prompt["ids"], max_tokens=len(prompt["greedy"])) == prompt["greedy"]


def test_embeddings_match_pytorch(models):
    ref = reference("bert-tiny-sentence")
    model = edgeformer.Model(models["bert-f32"])
    embeddings = model.embed([t["text"] for t in ref["texts"]])
    assert embeddings.dtype == np.float32 and embeddings.shape == (len(ref["texts"]), len(ref["texts"][0]["embedding"]))
    for row, text in zip(embeddings, ref["texts"]):
        close(row, text["embedding"])
    int8 = edgeformer.Model(models["bert-int8"]).embed([t["text"] for t in ref["texts"]])
    cosines = np.sum(int8 * embeddings, axis=1) / np.linalg.norm(int8, axis=1) / np.linalg.norm(embeddings, axis=1)
    assert cosines.min() > 0.99


def test_classification_matches_pytorch_and_the_cli(models):
    ref = reference("bert-tiny-classifier")
    model = edgeformer.Model(models["classifier-f32"])
    texts = [t["text"] for t in ref["texts"]]
    probabilities = model.classify(texts)
    for row, text in zip(probabilities, ref["texts"]):
        close(row, text["probabilities"])
    printed = json.loads(subprocess.run([cli(), "classify", str(models["classifier-f32"]), *texts, "--json"],
                                        check=True, capture_output=True, text=True).stdout)
    for row, result in zip(probabilities, printed["results"]):
        assert [result["probabilities"][label] for label in model.labels] == pytest.approx(list(row), rel=1e-5)  # the CLI prints 6 digits


def test_translations_match_pytorch(models):
    ref = reference("marian-tiny")
    model = edgeformer.Model(models["marian-f32"])
    texts = [t["text"] for t in ref["texts"]]
    assert model.translate(texts, max_tokens=ref["max_new_tokens"]) == [t["greedy_text"] for t in ref["texts"]]
    assert model.translate(texts, beam=ref["beams"], max_tokens=ref["max_new_tokens"]) == \
        [t["beam_text"] for t in ref["texts"]]
    session = model.session()
    for t in ref["texts"]:
        assert session.translate(t["source"], beam=1, max_tokens=ref["max_new_tokens"]) == t["greedy"]
    assert model.translate(texts[0]) == model.translate([texts[0]])[0]


def test_tokenize_round_trip(stories):
    model = edgeformer.Model(stories["stories-f32"])
    ids = model.tokenize("Once upon a time, a cat.")
    assert ids[0] == model.bos_id
    assert model.detokenize(ids[1:], previous=ids[0]) == "Once upon a time, a cat."


def test_stop_ids_come_from_the_folder(tmp_path):
    folder = tmp_path / "qwen2"
    folder.mkdir()
    config = json.loads((FIXTURES / "qwen2-tiny" / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps(dict(config, eos_token_id=[2, 7])))
    (folder / "model.safetensors").symlink_to(FIXTURES / "qwen2-tiny" / "model.safetensors")
    (folder / "generation_config.json").write_text(json.dumps({"eos_token_id": [9, 2]}))
    edgeformer.convert(folder, tmp_path / "m.eft")
    assert edgeformer.Model(tmp_path / "m.eft").stop_ids == [2, 9, 7]


def test_python_m_edgeformer_mirrors_the_cli(stories):
    path = str(stories["stories-f32"])
    printed = subprocess.run([cli(), "generate", path, "--prompt", "Once upon a time", "-n", "24"], check=True,
                             capture_output=True, text=True).stdout
    ours = subprocess.run([sys.executable, "-m", "edgeformer", "generate", path, "--prompt", "Once upon a time", "-n",
                           "24"], check=True, capture_output=True, text=True).stdout
    assert ours.strip() == printed.strip()
    failed = subprocess.run([sys.executable, "-m", "edgeformer", "inspect", path + ".missing"], capture_output=True,
                            text=True)
    assert failed.returncode == 1 and "edgeformer: error:" in failed.stderr


def test_the_pytorch_example_agrees():
    pytest.importorskip("torch", reason="python3-torch is not installed: the example needs it")
    printed = subprocess.run([sys.executable, str(SOURCE / "examples" / "python" / "compare_with_pytorch.py")],
                             check=True, capture_output=True, text=True).stdout
    assert "top-1" in printed
