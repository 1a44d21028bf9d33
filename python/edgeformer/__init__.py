"""edgeformer: convert transformer checkpoints to .eft files and run them, with NumPy in and out.

    import edgeformer
    edgeformer.convert("gpt2-folder", "gpt2.eft", quant="int8")
    model = edgeformer.Model("gpt2.eft")
    for piece in model.generate("Once upon a time", max_tokens=40, stream=True):
        print(piece, end="")

Everything runs in the C++ library (the native module _edgeformer); this package only shapes its calls. Arrays
returned are copies: a session's arena is reused by its next call, so a view would change under the caller.
"""
import codecs
import json
import os
from typing import Dict, Iterator, List, Optional, Sequence, Union

import numpy as np

from . import _edgeformer
from .errors import (ConversionError, EdgeformerError, InternalError, InvalidArgumentError, InvalidModelError,
                     ModelIOError, OutOfMemoryError, OutOfRangeError, UnsupportedError)

__all__ = ["convert", "inspect", "Model", "Session", "EdgeformerError", "InvalidArgumentError", "InvalidModelError",
           "ModelIOError", "OutOfRangeError", "OutOfMemoryError", "UnsupportedError", "InternalError",
           "ConversionError", "Chat"]

PathLike = Union[str, os.PathLike]


def convert(src: Optional[PathLike], dst: PathLike, quant: str = "f32", kv: str = "f32",
            max_seq: Optional[int] = None, prefill_chunk: Optional[int] = None,
            tokenizer: Optional[PathLike] = None, synthetic: Optional[str] = None,
            chat_template: Optional[PathLike] = None) -> dict:
    """Converts a checkpoint to an .eft file, as `edgeformer-convert` does, and returns its summary.

    src: a Hugging Face folder or a llama2.c .bin (None with `synthetic`, a spec such as
    "llama:dim=64,layers=2,heads=4,kv_heads=4,ffn=128,vocab=512"). quant: f32, int8 or int4; kv: f32, f16 or int8.
    chat_template: a .jinja file in place of the folder's chat template (docs/chat.md).
    The summary holds what the CLI prints (entries, ops, params, bytes, chat_template) and `notes` (e.g. a missing
    tokenizer, or a chat template that could not be reduced).
    """
    for name, value in (("max_seq", max_seq), ("prefill_chunk", prefill_chunk)):
        if value is not None and (not isinstance(value, int) or value < 1):
            raise InvalidArgumentError(f"{name}: expected a positive integer, got {value!r}")
    return _edgeformer.convert("" if src is None else os.fspath(src), os.fspath(dst), quant, kv, max_seq or 0,
                               prefill_chunk or 0, "" if tokenizer is None else os.fspath(tokenizer),
                               synthetic or "", "" if chat_template is None else os.fspath(chat_template))


def inspect(path: PathLike, check_weights: bool = False) -> dict:
    """What `edgeformer inspect --json` prints for the model at `path` (with `check_weights`, as with --check)."""
    return Model(path).info(check_weights=check_weights)


def _check_threads(threads: int) -> int:
    if not isinstance(threads, int) or isinstance(threads, bool) or not 1 <= threads <= 256:
        raise InvalidArgumentError(f"threads must be an integer in 1..256, got {threads!r}")
    return threads


class Session:
    """One context of a model: its own arena, KV cache and position. One call at a time (one per thread)."""

    def __init__(self, model: "Model", threads: int = 1, max_arena_bytes: int = 0):
        self._model = model
        self._native = _edgeformer.Session(model._native, _check_threads(threads), max_arena_bytes)

    def prefill(self, ids: Sequence[int]) -> None:
        """Appends token ids to the context and computes the logits after the last one."""
        self._native.prefill(ids)

    def decode(self, token: int) -> None:
        """Appends one token and computes the logits after it."""
        self._native.decode(int(token))

    @property
    def logits(self) -> Optional[np.ndarray]:
        """The logits after the last token (float32 [vocab], a copy), or None before any."""
        return self._native.logits

    def encode(self, ids: Sequence[int], token_types: Optional[Sequence[int]] = None,
               mask: Optional[Sequence[int]] = None) -> None:
        """Runs an encoder on one sequence (or an encoder-decoder's source, which the decoder then reads)."""
        self._native.encode(ids, token_types, mask)

    def output(self, name: str) -> np.ndarray:
        """An output of the last encode: "hidden", "embedding", "pooled" or "logits" (a copy)."""
        return self._native.encode_output(name)

    def run(self, entry: str, **arrays: np.ndarray) -> Dict[str, np.ndarray]:
        """Runs an entry on arrays by input name, with their exact dtypes; returns its outputs by name (copies)."""
        return self._native.run(entry, arrays)

    def translate(self, source: Sequence[int], beam: int = 1, max_tokens: int = 0) -> List[int]:
        """An encoder-decoder's target ids for source ids (ending with EOS): greedy, or beam search."""
        if not isinstance(beam, int) or not 1 <= beam <= 64:
            raise InvalidArgumentError(f"beam must be an integer in 1..64, got {beam!r}")
        return self._native.translate(source, beam, max_tokens)

    def reset(self) -> None:
        """Forgets the context."""
        self._native.reset()

    @property
    def position(self) -> int:
        return self._native.position

    @property
    def max_context(self) -> int:
        return self._native.max_context


Message = Dict[str, str]


class Chat:
    """A multi-turn chat on one session, laid out by the model's chat template: each turn prefills only what the KV
    cache does not hold yet, and replies as the whole conversation prefilled at once would (docs/chat.md)."""

    def __init__(self, model: "Model", system: Optional[str] = None, temperature: float = 0.0, top_k: int = 0,
                 top_p: float = 1.0, seed: int = 0, reply_room: int = 0, thinking: bool = True,
                 date: Optional[str] = None, threads: int = 1):
        if not (0.0 <= temperature <= 100.0) or top_k < 0 or not (1e-6 <= top_p <= 1.0) or seed < 0 or reply_room < 0:
            raise InvalidArgumentError("temperature must be in [0, 100], top_k >= 0, top_p in [1e-6, 1], seed >= 0, "
                                       "reply_room >= 0")
        self._model = model
        self._session = model.session(threads)
        self._native = _edgeformer.Chat(self._session._native, system or "", temperature, top_k, top_p, seed,
                                        reply_room, thinking, date or "")
        self.last_turn: Dict[str, int] = {}

    def send(self, text: str, max_tokens: int = 512, stream: bool = False) -> Union[str, Iterator[str]]:
        """Adds a user message and returns the reply (or with stream=True an iterator of its pieces). `last_turn`
        then holds the turn's prompt_tokens, reused_tokens and dropped_messages (the oldest messages dropped to make
        room), and `stop` why the reply ended: eos, context or length."""
        if not isinstance(max_tokens, int) or max_tokens < 1:
            raise InvalidArgumentError(f"max_tokens must be a positive integer, got {max_tokens!r}")
        self.last_turn = self._native.add_user(text)
        pieces = self._reply(max_tokens)
        return pieces if stream else "".join(pieces)

    def _reply(self, max_tokens: int) -> Iterator[str]:
        text = codecs.getincrementaldecoder("utf-8")(errors="replace")
        for _ in range(max_tokens):
            previous = self._native.previous
            token = self._native.next()
            if token is None:
                break
            piece = text.decode(self._model._native.detokenize(previous, [token]))
            if piece:
                yield piece
        else:
            self._native.end_reply()
        tail = text.decode(b"", final=True)
        if tail:
            yield tail

    @property
    def stop(self) -> str:
        return "length" if self._native.stop == "none" else self._native.stop

    @property
    def messages(self) -> List[Message]:
        """The conversation so far, as {"role", "content"} dicts."""
        return self._native.messages

    def set_history(self, messages: Sequence[Message]) -> None:
        """Replaces the conversation (e.g. one read from a file); the next send() prefills it."""
        self._native.set_history(list(messages))


class Model:
    """An .eft model, mapped and validated once and shared by its sessions."""

    def __init__(self, path: PathLike):
        self._native = _edgeformer.Model(os.fspath(path))

    def close(self) -> None:
        """Releases the model; sessions made from it keep working until they go."""
        self._native.close()

    @property
    def closed(self) -> bool:
        return self._native.closed

    def info(self, check_weights: bool = False) -> dict:
        """The model's description, as `edgeformer inspect --json` prints it."""
        return json.loads(self._native.info_json(check_weights))

    def session(self, threads: int = 1, max_arena_bytes: int = 0) -> Session:
        return Session(self, threads, max_arena_bytes)

    @property
    def vocab_size(self) -> int:
        return self._native.vocab_size

    @property
    def bos_id(self) -> int:
        return self._native.bos_id

    @property
    def eos_id(self) -> int:
        return self._native.eos_id

    @property
    def stop_ids(self) -> List[int]:
        """Every id that ends generation: eos_id first, then e.g. Llama 3's <|eot_id|> or Qwen's <|im_end|>."""
        return list(self._native.stop_ids)

    @property
    def labels(self) -> List[str]:
        return list(self._native.labels)

    def tokenize(self, text: str, add_bos: bool = True) -> List[int]:
        """Token ids of `text`; special tokens typed in it are matched as the model's tokenizer does."""
        return self._native.tokenize(text, add_bos)

    def detokenize(self, ids: Sequence[int], previous: int = -1) -> str:
        """The text of `ids` (following `previous`); markers such as BOS and EOS give no text."""
        return self._native.detokenize(previous, list(ids)).decode("utf-8", errors="replace")

    @property
    def chat_template_status(self) -> str:
        """Empty when the model holds a reduced chat template; else why not."""
        return self._native.chat_template_status

    def format_chat(self, messages: Sequence[Message], add_generation_prompt: bool = True, thinking: bool = True,
                    date: Optional[str] = None) -> List[int]:
        """The ids of a conversation ({"role", "content"} dicts) laid out by the model's chat template, as
        transformers' apply_chat_template(tokenize=True) gives them, except that what system and user messages say
        stays text (special-token text in them opens no turn)."""
        return self._native.format_chat(list(messages), add_generation_prompt, thinking, date or "")

    def format_chat_text(self, messages: Sequence[Message], add_generation_prompt: bool = True,
                         thinking: bool = True, date: Optional[str] = None) -> str:
        """The conversation's text, as apply_chat_template(tokenize=False) renders it."""
        return self._native.format_chat_text(list(messages), add_generation_prompt, thinking, date or "")

    def chat(self, system: Optional[str] = None, **options) -> Chat:
        """A multi-turn Chat on a new session of this model (options as Chat's)."""
        return Chat(self, system, **options)

    def generate(self, prompt: Union[str, Sequence[int], None] = None, max_tokens: int = 256,
                 temperature: float = 0.0, top_k: int = 0, top_p: float = 1.0, seed: int = 0,
                 stream: bool = False, threads: int = 1) -> Union[str, Iterator[str]]:
        """Continues `prompt` (text, ids, or None for BOS alone) as `edgeformer generate` does: the same tokens for
        the same options. Returns the text, or with stream=True an iterator of its pieces as they come."""
        if not isinstance(max_tokens, int) or max_tokens < 0:
            raise InvalidArgumentError(f"max_tokens must be a non-negative integer, got {max_tokens!r}")
        if not (0.0 <= temperature <= 100.0) or top_k < 0 or not (1e-6 <= top_p <= 1.0) or seed < 0:
            raise InvalidArgumentError("temperature must be in [0, 100], top_k >= 0, top_p in [1e-6, 1], seed >= 0")
        if prompt is None:
            if self.bos_id < 0:
                raise InvalidArgumentError("this model names no BOS token: give prompt ids")
            ids = [self.bos_id]
        elif isinstance(prompt, str):
            ids = self.tokenize(prompt, add_bos=True)
        else:
            ids = list(prompt)
        pieces = self._generate(ids, max_tokens, temperature, top_k, top_p, seed, threads)
        return pieces if stream else "".join(pieces)

    def generate_ids(self, prompt: Sequence[int], max_tokens: int = 256, temperature: float = 0.0, top_k: int = 0,
                     top_p: float = 1.0, seed: int = 0, threads: int = 1) -> List[int]:
        """The generated ids (without the prompt) for prompt ids, as `generate` samples them."""
        session = self.session(threads)
        generator = _edgeformer.Generator(session._native, temperature, top_k, top_p, seed)
        generator.start(list(prompt))
        ids = []
        while len(ids) < max_tokens:
            token = generator.next()
            if token is None:
                break
            ids.append(token)
        return ids

    def _generate(self, ids, max_tokens, temperature, top_k, top_p, seed, threads) -> Iterator[str]:
        session = self.session(threads)
        generator = _edgeformer.Generator(session._native, temperature, top_k, top_p, seed)
        generator.start(ids)
        # A byte-level piece may end inside a UTF-8 character: decode incrementally.
        text = codecs.getincrementaldecoder("utf-8")(errors="replace")
        for _ in range(max_tokens):
            previous = generator.previous
            token = generator.next()
            if token is None:
                break
            if self._native.has_tokenizer:
                piece = text.decode(self._native.detokenize(previous, [token]))
                if piece:
                    yield piece
        tail = text.decode(b"", final=True)
        if tail:
            yield tail

    def _encode_texts(self, texts: Sequence[str], output: str, threads: int) -> np.ndarray:
        if isinstance(texts, str):
            texts = [texts]
        max_tokens = self._native.encoder_max_tokens(output)
        if max_tokens == 0:
            raise UnsupportedError(f"the model has no encode/{output} output")
        session = self.session(threads)
        rows = []
        for text in texts:
            ids, _ = _edgeformer.truncate_keeping_last(self.tokenize(text, add_bos=True), max_tokens)
            session.encode(ids)
            rows.append(session.output(output)[0])
        return np.stack(rows) if rows else np.zeros((0, 0), dtype=np.float32)

    def embed(self, texts: Union[str, Sequence[str]], threads: int = 1) -> np.ndarray:
        """Sentence embeddings, float32 [texts, dim], as `edgeformer embed` computes them (cut to the model's
        longest sequence, keeping [SEP] last)."""
        return self._encode_texts(texts, "embedding", threads)

    def classify(self, texts: Union[str, Sequence[str]], threads: int = 1) -> np.ndarray:
        """Class probabilities, float64 [texts, labels] in the order of `labels`, as `edgeformer classify` computes
        them: a softmax, or a sigmoid each for a multi-label model."""
        logits = self._encode_texts(texts, "logits", threads)
        return np.array([_edgeformer.class_probabilities(row.tolist(), self._native.multi_label) for row in logits])

    def translate(self, texts: Union[str, Sequence[str]], beam: int = 1, max_tokens: int = 0,
                  threads: int = 1) -> Union[str, List[str]]:
        """Translations, as `edgeformer translate` makes them: one string for a string, a list for a list."""
        single = isinstance(texts, str)
        session = self.session(threads)
        results = []
        for text in [texts] if single else texts:
            source, _ = _edgeformer.truncate_keeping_last(self.tokenize(text, add_bos=True), session.max_context)
            target = session.translate(source, beam, max_tokens)
            results.append(self._native.translation_text(target).decode("utf-8", errors="replace"))
        return results[0] if single else results
