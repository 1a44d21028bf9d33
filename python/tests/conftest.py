"""Shared fixtures: the repository's model fixtures converted once per session through Python, the CLI beside."""
import os
import pathlib

import pytest

import edgeformer

SOURCE = pathlib.Path(os.environ.get("EDGEFORMER_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
FIXTURES = SOURCE / "tests" / "fixtures"
SHARED = pathlib.Path(os.environ.get("EDGEFORMER_SHARED", os.environ.get("EDGEFORMER_DEFAULT_SHARED",
                                                                         SOURCE.parent / "shared")))
STORIES = SHARED / "models" / "stories260K"


def cli() -> str:
    """The edgeformer CLI of this build (EDGEFORMER_CLI), to compare against."""
    path = os.environ.get("EDGEFORMER_CLI")
    if not path:
        pytest.skip("EDGEFORMER_CLI is not set (ctest sets it)")
    return path


def convert_cli() -> str:
    return str(pathlib.Path(cli()).parents[1] / "converter" / "edgeformer-convert")


@pytest.fixture(scope="session")
def models(tmp_path_factory):
    """Every fixture family converted through edgeformer.convert, f32 and int8: name -> path."""
    out = tmp_path_factory.mktemp("models")
    paths = {}
    for name, folder in (("gpt2", "gpt2-tiny"), ("bert", "bert-tiny-sentence"), ("classifier", "bert-tiny-classifier"),
                         ("marian", "marian-tiny")):
        for quant in ("f32", "int8"):
            path = out / f"{name}-{quant}.eft"
            edgeformer.convert(FIXTURES / folder, path, quant=quant)
            paths[f"{name}-{quant}"] = path
    if (STORIES / "stories260K.bin").exists():
        for quant in ("f32", "int8"):
            path = out / f"stories-{quant}.eft"
            edgeformer.convert(STORIES / "stories260K.bin", path, quant=quant, tokenizer=STORIES / "tok512.bin")
            paths[f"stories-{quant}"] = path
    return paths


@pytest.fixture
def stories(models):
    if "stories-f32" not in models:
        pytest.skip("../shared/models/stories260K not found (set EDGEFORMER_SHARED)")
    return models
