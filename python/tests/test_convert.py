"""edgeformer.convert and inspect: the files and summaries the CLI makes."""
import json
import subprocess

import pytest

import edgeformer
from conftest import FIXTURES, STORIES, convert_cli, cli


@pytest.mark.parametrize("folder,args", [("gpt2-tiny", ["--quant", "int8"]), ("bert-tiny-sentence", []),
                                         ("bert-tiny-classifier", ["--quant", "int4"]),
                                         ("marian-tiny", ["--quant", "int8", "--kv", "int8"])])
def test_convert_writes_the_cli_file_and_summary(tmp_path, folder, args):
    cli_path, py_path = tmp_path / "cli.eft", tmp_path / "py.eft"
    printed = subprocess.run([convert_cli(), str(FIXTURES / folder), "-o", str(cli_path), *args], check=True,
                             capture_output=True, text=True).stdout
    options = dict(zip(args[::2], args[1::2]))
    summary = edgeformer.convert(FIXTURES / folder, py_path, quant=options.get("--quant", "f32"),
                                 kv=options.get("--kv", "f32"))
    assert cli_path.read_bytes() == py_path.read_bytes()
    assert f"wrote {cli_path} ({summary['file_bytes']} bytes)" in printed
    assert f"architecture  {summary['architecture']}" in printed
    assert f"params        {summary['params']}" in printed
    assert f"arena bytes   {summary['arena_bytes']}" in printed
    assert f"tokenizer     {summary['tokenizer']}" in printed
    assert summary["operators"] == sum(entry["operators"] for entry in summary["entries"])


def test_convert_llama2c_and_synthetic(tmp_path):
    if not (STORIES / "stories260K.bin").exists():
        pytest.skip("../shared/models/stories260K not found")
    summary = edgeformer.convert(STORIES / "stories260K.bin", tmp_path / "s.eft", quant="int4", kv="f16",
                                 max_seq=64, prefill_chunk=16, tokenizer=STORIES / "tok512.bin")
    assert summary["max_context"] == 64 and summary["quantization"] == "int4"
    assert [entry["max_rows"] for entry in summary["entries"]] == [16, 1]
    synthetic = edgeformer.convert(None, tmp_path / "syn.eft",
                                   synthetic="llama:dim=32,layers=1,heads=2,kv_heads=2,ffn=48,vocab=64")
    assert "model has no tokenizer" in " ".join(synthetic["notes"]) or synthetic["tokenizer"] == "None"


def test_inspect_is_the_cli_json(models):
    path = models["classifier-f32"]
    printed = json.loads(subprocess.run([cli(), "inspect", str(path), "--json"], check=True, capture_output=True,
                                        text=True).stdout)
    info = edgeformer.inspect(path)
    for key in ("load_ms",):
        printed.pop(key), info.pop(key)
    assert info == printed
    assert info["labels"] and info["entries"][0]["name"] == "encode"
    assert edgeformer.inspect(path, check_weights=True)["weight_issues"] == []


def test_conversion_errors_name_the_problem(tmp_path):
    with pytest.raises(edgeformer.ConversionError, match="config.json"):
        edgeformer.convert(tmp_path, tmp_path / "x.eft")
    with pytest.raises(edgeformer.ConversionError, match="expected f32, int8 or int4"):
        edgeformer.convert(FIXTURES / "gpt2-tiny", tmp_path / "x.eft", quant="int9")
    with pytest.raises(edgeformer.ConversionError, match="expected f32, f16 or int8"):
        edgeformer.convert(FIXTURES / "gpt2-tiny", tmp_path / "x.eft", kv="bf16")
    with pytest.raises(edgeformer.InvalidArgumentError, match="max_seq"):
        edgeformer.convert(FIXTURES / "gpt2-tiny", tmp_path / "x.eft", max_seq=0)
    with pytest.raises(edgeformer.ConversionError, match="not supported"):
        edgeformer.convert(None, tmp_path / "x.eft", synthetic="marian:dim=8")
    assert not (tmp_path / "x.eft").exists()


def test_convert_a_hugging_face_llama_folder_as_the_cli(tmp_path):
    folder = STORIES / "hf"
    if not (folder / "config.json").exists():
        pytest.skip("../shared/models/stories260K/hf not found")
    cli_path, py_path = tmp_path / "cli.eft", tmp_path / "py.eft"
    subprocess.run([convert_cli(), str(folder), "-o", str(cli_path), "--quant", "int8", "--kv", "f16"], check=True,
                   capture_output=True)
    edgeformer.convert(folder, py_path, quant="int8", kv="f16")
    assert cli_path.read_bytes() == py_path.read_bytes()
    golden = json.loads((folder / "expected_greedy_60.json").read_text())
    f32 = tmp_path / "f32.eft"
    edgeformer.convert(folder, f32)
    ids = edgeformer.Model(f32).generate_ids(golden["prompt_token_ids"], max_tokens=60)
    assert ids == golden["greedy_next_token_ids"][:len(ids)] and len(ids) > 0
