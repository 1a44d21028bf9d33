"""Every error class with its message, bad arguments refused, no leak over many sessions, threads."""
import os
import threading
import time

import numpy as np
import pytest

import edgeformer
from edgeformer import _edgeformer


def test_error_classes_carry_the_runtime_message(models, tmp_path):
    with pytest.raises(edgeformer.ModelIOError):
        edgeformer.Model(tmp_path / "missing.eft")
    corrupt = tmp_path / "corrupt.eft"
    corrupt.write_bytes(b"not a model at all, just bytes" * 4)
    with pytest.raises(edgeformer.InvalidModelError, match="not an .eft model"):
        edgeformer.Model(corrupt)
    truncated = tmp_path / "truncated.eft"
    truncated.write_bytes(models["gpt2-f32"].read_bytes()[:4096])
    with pytest.raises(edgeformer.InvalidModelError, match="truncated|outside"):
        edgeformer.Model(truncated)
    model = edgeformer.Model(models["gpt2-f32"])
    session = model.session()
    with pytest.raises(edgeformer.OutOfRangeError, match="vocabulary"):
        session.prefill([model.vocab_size])
    with pytest.raises(edgeformer.OutOfRangeError, match="context"):
        session.prefill(list(range(1, 50)) * 40)
    with pytest.raises(edgeformer.UnsupportedError, match="encode"):
        model.embed("a text")
    with pytest.raises(edgeformer.OutOfMemoryError, match="cap"):
        model.session(max_arena_bytes=1024)
    assert issubclass(edgeformer.InvalidArgumentError, ValueError)
    assert issubclass(edgeformer.OutOfRangeError, edgeformer.EdgeformerError)


def test_bad_arguments_are_refused_clearly(models):
    model = edgeformer.Model(models["gpt2-f32"])
    session = model.session()
    with pytest.raises(edgeformer.InvalidArgumentError, match="expected int32, got float64"):
        session.run("prefill", tokens=np.array([1.0, 2.0]), position=np.array([0], dtype=np.int32))
    default_ints = session.run("prefill", tokens=np.array([1, 2]), position=np.array([0]))  # int64, narrowed
    assert default_ints["logits"].shape == (1, model.vocab_size)
    with pytest.raises(edgeformer.OutOfRangeError, match="does not fit int32"):
        session.run("prefill", tokens=np.array([2 ** 40]), position=np.array([0]))
    with pytest.raises(edgeformer.InvalidArgumentError, match="expected shape"):
        session.run("prefill", tokens=np.zeros((2, 3), dtype=np.int32), position=np.array([0], dtype=np.int32))
    with pytest.raises(edgeformer.InvalidArgumentError, match="needs the input 'position'"):
        session.run("prefill", tokens=np.array([1], dtype=np.int32))
    with pytest.raises(edgeformer.InvalidArgumentError, match="has no input 'bogus'"):
        session.run("prefill", tokens=np.array([1], dtype=np.int32), position=np.array([0], dtype=np.int32),
                    bogus=np.zeros(1))
    with pytest.raises(edgeformer.InvalidArgumentError, match="no entry named"):
        session.run("nope")
    with pytest.raises(edgeformer.InvalidArgumentError, match="integer ids"):
        session.prefill([0.5, 1.5])
    with pytest.raises(edgeformer.OutOfRangeError, match="int32"):
        session.prefill([2 ** 40])
    with pytest.raises(edgeformer.InvalidArgumentError, match="threads"):
        model.session(threads=100000)
    with pytest.raises(edgeformer.InvalidArgumentError, match="threads"):
        _edgeformer.Session(model._native, 100000, 0)
    with pytest.raises(edgeformer.InvalidArgumentError, match="top_p"):
        model.generate([1, 2], top_p=0.0)
    model.close()
    with pytest.raises(edgeformer.InvalidArgumentError, match="closed"):
        model.tokenize("x")
    with pytest.raises(edgeformer.InvalidArgumentError, match="closed"):
        model.session()
    session.prefill([1, 2, 3])  # a session keeps its model alive
    assert session.logits is not None


def resident_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_no_leak_over_ten_thousand_sessions(models):
    model = edgeformer.Model(models["gpt2-int8"])
    tokens = np.array([5, 17, 3], dtype=np.int32)
    position = np.array([0], dtype=np.int32)

    def cycle():
        session = model.session()
        session.run("prefill", tokens=tokens, position=position)
        session.prefill([7])
        del session

    for _ in range(500):
        cycle()
    before = resident_bytes()
    for _ in range(10000):
        cycle()
    growth = resident_bytes() - before
    assert growth < 4 * 1024 * 1024, f"RSS grew by {growth} bytes over 10,000 session cycles"


def test_two_threads_run_two_sessions_at_once(stories):
    model = edgeformer.Model(stories["stories-int8"])
    prompt = model.tokenize("Once upon a time")
    alone = model.generate_ids(prompt, max_tokens=64)
    results = [None, None]

    def work(i):
        results[i] = model.generate_ids(prompt, max_tokens=64)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [alone, alone]


def test_the_gil_is_released_while_a_session_runs(tmp_path):
    path = tmp_path / "wide.eft"
    edgeformer.convert(None, path, synthetic="llama:dim=256,layers=4,heads=4,kv_heads=4,ffn=768,vocab=1000")
    session = edgeformer.Model(path).session()
    prompt = list(range(1, 400))
    start = time.perf_counter()
    session.prefill(prompt)
    alone = time.perf_counter() - start
    session.reset()
    done = threading.Event()
    thread = threading.Thread(target=lambda: (session.prefill(prompt), done.set()))
    ticks = 0
    thread.start()
    while not done.is_set():
        ticks += 1  # Python runs here only while the prefill has let go of the GIL
    thread.join()
    assert alone > 0.01 and ticks > 1000


def test_one_session_refuses_a_second_thread(tmp_path):
    path = tmp_path / "wide.eft"
    edgeformer.convert(None, path, synthetic="llama:dim=256,layers=4,heads=4,kv_heads=4,ffn=768,vocab=1000")
    session = edgeformer.Model(path).session()
    prompt = list(range(1, 400))
    refused = []
    for _ in range(20):
        session.reset()
        thread = threading.Thread(target=session.prefill, args=(prompt,))
        thread.start()
        time.sleep(0.002)
        try:
            session.decode(1)
        except edgeformer.InvalidArgumentError as e:
            refused.append(str(e))
        thread.join()
        if refused:
            break
    assert refused and "another thread" in refused[0]
