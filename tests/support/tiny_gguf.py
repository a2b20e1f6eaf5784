"""Tiny random-weight models around real tokenizers, for tests that need a loadable GGUF.

:func:`tiny_model` writes a two-layer ``llama`` model (n_embd 64, 4 heads, ff 128) whose
tokenizer is copied key for key from one of llama.cpp's vocab-only GGUFs
(:mod:`tests.support.vocab`). The text it generates is nonsense, but it is made of the real
vocabulary, it is deterministic under greedy decoding (the weights come from ``seed``), and
prompts are tokenized exactly as the real model family tokenizes them: FIM markers are the
real single special tokens with the real ids.

The output projection has zero rows for every special token (control, user-defined, unknown,
unused), so the model never ends on its own: generation runs until the caller's token cap,
stop string, deadline or cancellation. That makes timing and cancellation tests reliable.
"""

from __future__ import annotations

import os
from pathlib import Path

import gguf
import numpy as np

from .vocab import VocabUnavailable, read_metadata, vocab_path

ARCH = "llama"
N_LAYER = 2
N_EMBD = 64
N_HEAD = 4
N_HEAD_KV = 4
N_FF = 128
N_CTX = 2048
# Part of the cache key: bump it when the writer changes what it writes.
WRITER_VERSION = 1
# Token types whose text is ordinary output; the model may generate only these.
TEXT_TYPES = (gguf.TokenType.NORMAL, gguf.TokenType.BYTE)
DEFAULT_DIR = Path(__file__).resolve().parents[1] / ".cache" / "tiny"


def tiny_model(vocab: str, out_dir: Path, *, seed: int = 0) -> Path:
    """The tiny model for ``vocab`` (a name from :data:`tests.support.vocab.VOCABS`) and
    ``seed``, written into ``out_dir`` once and reused after (safe across processes)."""
    out_dir = Path(out_dir)
    out = out_dir / f"tiny-{vocab}-s{seed}-w{WRITER_VERSION}.gguf"
    if out.is_file():
        return out
    source = vocab_path(vocab)
    from filelock import FileLock

    out_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(str(out) + ".lock"):
        if not out.is_file():
            part = out.with_name(f"{out.name}.{os.getpid()}.part")
            write_tiny_model(source, part, seed=seed, name=f"tiny-random-{vocab}")
            os.replace(part, out)
    return out


def write_tiny_model(vocab_file: Path, out: Path, *, seed: int = 0, name: str = "tiny") -> None:
    """Write a random-weight ``llama`` GGUF to ``out`` with the tokenizer of ``vocab_file``."""
    _, fields = read_metadata(vocab_file)
    token_types = np.asarray(fields["tokenizer.ggml.token_type"].value)
    n_vocab = len(token_types)

    writer = gguf.GGUFWriter(out, ARCH)
    writer.add_name(name)
    writer.add_context_length(N_CTX)
    writer.add_embedding_length(N_EMBD)
    writer.add_block_count(N_LAYER)
    writer.add_feed_forward_length(N_FF)
    writer.add_head_count(N_HEAD)
    writer.add_head_count_kv(N_HEAD_KV)
    writer.add_rope_dimension_count(N_EMBD // N_HEAD)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_vocab_size(n_vocab)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    for key, field in fields.items():
        if key.startswith("tokenizer."):  # copied with their exact types
            writer.add_key_value(key, field.value, field.type, sub_type=field.sub_type)

    for tensor_name, array in _random_tensors(n_vocab, token_types, seed):
        writer.add_tensor(tensor_name, array)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def _random_tensors(n_vocab: int, token_types: np.ndarray, seed: int):
    """Yield ``(name, array)`` for every tensor of the model (numpy shape = GGUF ne reversed)."""
    rng = np.random.default_rng(seed)

    def matrix(rows: int, cols: int) -> np.ndarray:
        return (rng.standard_normal((rows, cols)) / np.sqrt(cols)).astype(np.float32)

    yield "token_embd.weight", rng.standard_normal((n_vocab, N_EMBD)).astype(np.float16)
    for i in range(N_LAYER):
        yield f"blk.{i}.attn_norm.weight", np.ones(N_EMBD, dtype=np.float32)
        yield f"blk.{i}.attn_q.weight", matrix(N_EMBD, N_EMBD)
        yield f"blk.{i}.attn_k.weight", matrix(N_EMBD // N_HEAD * N_HEAD_KV, N_EMBD)
        yield f"blk.{i}.attn_v.weight", matrix(N_EMBD // N_HEAD * N_HEAD_KV, N_EMBD)
        yield f"blk.{i}.attn_output.weight", matrix(N_EMBD, N_EMBD)
        yield f"blk.{i}.ffn_norm.weight", np.ones(N_EMBD, dtype=np.float32)
        yield f"blk.{i}.ffn_gate.weight", matrix(N_FF, N_EMBD)
        yield f"blk.{i}.ffn_up.weight", matrix(N_FF, N_EMBD)
        yield f"blk.{i}.ffn_down.weight", matrix(N_EMBD, N_FF)
    yield "output_norm.weight", np.ones(N_EMBD, dtype=np.float32)
    output = matrix(n_vocab, N_EMBD)
    output[~np.isin(token_types, TEXT_TYPES)] = 0.0  # specials score 0, far below the best text
    yield "output.weight", output.astype(np.float16)


def require_tiny_model(vocab: str, *, seed: int = 0, out_dir: Path = DEFAULT_DIR) -> Path:
    """:func:`tiny_model` in the shared test cache, or skip the calling test when the
    vocabulary or llama-cpp-python is unavailable."""
    import pytest

    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")
    try:
        return tiny_model(vocab, out_dir, seed=seed)
    except VocabUnavailable as exc:
        pytest.skip(f"vocabulary {vocab} unavailable: {exc}")
