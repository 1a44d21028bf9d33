"""Converts the GPT-2 fixture, runs it with edgeformer, and compares its logits with a PyTorch forward pass.

    PYTHONPATH=build/python /usr/bin/python3 examples/python/compare_with_pytorch.py

Needs Debian's python3-torch. The PyTorch side is the fixture's own float64 reference (tests/reference), written
with torch.nn.functional from transformers' modeling_gpt2.py: independent of edgeformer's code.
"""
import json
import pathlib
import sys
import tempfile

import numpy as np
import torch

import edgeformer

ROOT = pathlib.Path(__file__).resolve().parents[2]
FOLDER = ROOT / "tests" / "fixtures" / "gpt2-tiny"
sys.path.insert(0, str(ROOT / "tests" / "reference"))
from fixture_io import read_safetensors  # noqa: E402
from make_gpt2_fixture import gpt2_forward  # noqa: E402

prompt = [5, 17, 3, 88, 41]

# 1. Convert the Hugging Face folder and run the prompt through the model's prefill entry.
with tempfile.TemporaryDirectory() as tmp:
    summary = edgeformer.convert(FOLDER, f"{tmp}/gpt2.eft")
    session = edgeformer.Model(f"{tmp}/gpt2.eft").session()
    ours = session.run("prefill", tokens=np.array(prompt, np.int32), position=np.array([0], np.int32))["logits"][0]

# 2. The same prompt through PyTorch, in float64 on the same float32 weights.
config = json.loads((FOLDER / "config.json").read_text())
_, _, tensors = read_safetensors(FOLDER / "model.safetensors")
with torch.no_grad():
    theirs = gpt2_forward({name: t.double() for name, t in tensors.items()}, config, prompt)[0][-1].numpy()

# 3. Compare.
difference = np.abs(ours - theirs).max() / np.abs(theirs).max()
print(f"{summary['architecture']}: {summary['params']} params")
print(f"last-token logits: largest difference {difference:.2e} of the largest logit; "
      f"top-1 {int(ours.argmax())} (edgeformer) vs {int(theirs.argmax())} (PyTorch)")
assert difference < 1e-4 and ours.argmax() == theirs.argmax()
