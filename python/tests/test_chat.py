"""Chat in the Python package: formatting as the C++ API and the CLI do, and a multi-turn chat that keeps the cache."""
import json
import subprocess

import pytest

import edgeformer
from conftest import SHARED, STORIES, cli

TEMPLATE = SHARED / "chat-templates" / "TinyLlama--TinyLlama-1.1B-Chat-v1.0.jinja"


@pytest.fixture(scope="module")
def chat_model(tmp_path_factory):
    if not (STORIES / "stories260K.bin").exists() or not TEMPLATE.exists():
        pytest.skip("../shared/models/stories260K or ../shared/chat-templates not found (set EDGEFORMER_SHARED)")
    path = tmp_path_factory.mktemp("chat") / "chat.eft"
    summary = edgeformer.convert(STORIES / "stories260K.bin", path, tokenizer=STORIES / "tok512.bin",
                                 chat_template=TEMPLATE)
    assert summary["chat_template"].startswith("reduced from")
    return path


def test_format_chat_lays_out_the_template(chat_model):
    model = edgeformer.Model(chat_model)
    assert model.chat_template_status == ""
    messages = [{"role": "system", "content": "Tell stories."}, {"role": "user", "content": "A cat"}]
    text = model.format_chat_text(messages)
    assert text == "<|system|>\nTell stories.\n</s>\n\n<|user|>\nA cat\n</s>\n\n<|assistant|>\n"
    assert model.format_chat(messages) == model.tokenize(text, add_bos=False)
    with pytest.raises(edgeformer.InvalidArgumentError, match="robot"):
        model.format_chat([{"role": "robot", "content": "x"}])
    with pytest.raises(edgeformer.InvalidArgumentError):
        model.format_chat([{"role": "user"}])


def test_chat_keeps_the_cache_and_replies_as_the_cli(chat_model):
    model = edgeformer.Model(chat_model)
    chat = model.chat(system="Tell stories.")
    first = chat.send("Once upon a time", max_tokens=12)
    assert chat.last_turn["reused_tokens"] == 0
    assert chat.stop == "length"
    second = chat.send("And then?", max_tokens=12)
    assert chat.last_turn["reused_tokens"] > 0
    assert [m["role"] for m in chat.messages] == ["system", "user", "assistant", "user", "assistant"]
    assert chat.messages[2]["content"] == first and chat.messages[4]["content"] == second
    turns = [json.loads(line) for line in subprocess.run(
        [cli(), "chat", str(chat_model), "--system", "Tell stories.", "-n", "12", "--json"],
        input="Once upon a time\nAnd then?\n", capture_output=True, text=True, check=True).stdout.splitlines()]
    assert [t["text"] for t in turns] == [first, second]


def test_a_model_without_a_template_refuses_chat(stories):
    model = edgeformer.Model(stories["stories-f32"])
    assert "no chat template" in model.chat_template_status
    with pytest.raises(edgeformer.UnsupportedError):
        model.chat()
