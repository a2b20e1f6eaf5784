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
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Shape:
    """The hyperparameters of a model to write: the tiny test model by default; the benchmarks
    (``benchmarks/realsize.py``) give the published shapes of real models."""

    arch: str = ARCH
    n_layer: int = N_LAYER
    n_embd: int = N_EMBD
    n_head: int = N_HEAD
    n_head_kv: int = N_HEAD_KV
    n_ff: int = N_FF
    n_ctx: int = N_CTX
    norm: str = "rms"  # "rms" (RMSNorm) or "layer" (LayerNorm with bias)
    gated_ffn: bool = True  # gate/up/down (SwiGLU); False: up/down (GELU)
    qkv_bias: bool = False
    linear_bias: bool = False  # biases on the attention output and the FFN (StarCoder2)
    tied_output: bool = False  # no output.weight: the output reuses the token embeddings
    norm_eps: float = 1e-5
    rope_base: float | None = None
    rope_linear_factor: float | None = None
    weight_type: str = "f32"  # the matrices' type: "f32" or "f16" (the output is always f16)

    @property
    def head_dim(self) -> int:
        return self.n_embd // self.n_head


TINY = Shape()


def write_tiny_model(vocab_file: Path, out: Path, *, seed: int = 0, name: str = "tiny") -> None:
    """Write a random-weight ``llama`` GGUF to ``out`` with the tokenizer of ``vocab_file``."""
    write_model(vocab_file, out, TINY, seed=seed, name=name)


def write_model(vocab_file: Path, out: Path, shape: Shape, *, seed: int = 0,
                name: str = "random") -> None:
    """Write a random-weight F16 GGUF of ``shape`` with the tokenizer of ``vocab_file``.

    Tensors are written one at a time as they are made (never the whole model in memory), so
    a model of billions of parameters needs only its largest tensor's worth of RAM.
    """
    _, fields = read_metadata(vocab_file)
    token_types = np.asarray(fields["tokenizer.ggml.token_type"].value)
    n_vocab = len(token_types)

    writer = gguf.GGUFWriter(out, shape.arch)
    writer.add_name(name)
    writer.add_context_length(shape.n_ctx)
    writer.add_embedding_length(shape.n_embd)
    writer.add_block_count(shape.n_layer)
    writer.add_feed_forward_length(shape.n_ff)
    writer.add_head_count(shape.n_head)
    writer.add_head_count_kv(shape.n_head_kv)
    writer.add_rope_dimension_count(shape.head_dim)
    if shape.rope_base is not None:
        writer.add_rope_freq_base(shape.rope_base)
    if shape.rope_linear_factor is not None:
        writer.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
        writer.add_rope_scaling_factor(shape.rope_linear_factor)
    if shape.norm == "layer":
        writer.add_layer_norm_eps(shape.norm_eps)
    else:
        writer.add_layer_norm_rms_eps(shape.norm_eps)
    writer.add_vocab_size(n_vocab)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    for key, field in fields.items():
        if key.startswith("tokenizer."):  # copied with their exact types
            writer.add_key_value(key, field.value, field.type, sub_type=field.sub_type)

    plan = list(_tensor_plan(shape, n_vocab))
    for tensor_name, dims, dtype, _ in plan:
        writer.add_tensor_info(tensor_name, dims, np.dtype(dtype),
                               int(np.prod(dims)) * np.dtype(dtype).itemsize)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    rng = np.random.default_rng(seed)
    for _, dims, dtype, make in plan:
        array = make(rng, token_types)
        assert array.shape == tuple(dims) and array.dtype == dtype
        writer.write_tensor_data(array)
        del array
    writer.close()


def _tensor_plan(shape: Shape, n_vocab: int):
    """``(name, numpy shape, dtype, make(rng, token_types))`` for every tensor, in file order
    (numpy shape = GGUF ne reversed). The random draws happen in this order."""
    d, ff = shape.n_embd, shape.n_ff
    kv = shape.head_dim * shape.n_head_kv

    wtype = np.float16 if shape.weight_type == "f16" else np.float32

    def matrix(rows: int, cols: int):
        return (rows, cols), wtype, lambda rng, _: (
            rng.standard_normal((rows, cols)) / np.sqrt(cols)).astype(wtype)

    def ones(n: int):
        return (n,), np.float32, lambda rng, _: np.ones(n, dtype=np.float32)

    def zeros(n: int):
        return (n,), np.float32, lambda rng, _: np.zeros(n, dtype=np.float32)

    def embedding(rng, token_types):
        emb = rng.standard_normal((n_vocab, d)).astype(np.float16)
        if shape.tied_output:  # the output rows too: specials score 0
            emb[~np.isin(token_types, TEXT_TYPES)] = 0.0
        return emb

    def output(rng, token_types):
        out = (rng.standard_normal((n_vocab, d)) / np.sqrt(d)).astype(np.float32)
        out[~np.isin(token_types, TEXT_TYPES)] = 0.0  # specials score 0, far below the best
        return out.astype(np.float16)

    def norm(prefix: str):
        yield f"{prefix}.weight", *ones(d)
        if shape.norm == "layer":
            yield f"{prefix}.bias", *zeros(d)

    yield "token_embd.weight", (n_vocab, d), np.float16, embedding
    for i in range(shape.n_layer):
        b = f"blk.{i}"
        yield from norm(f"{b}.attn_norm")
        yield f"{b}.attn_q.weight", *matrix(d, d)
        yield f"{b}.attn_k.weight", *matrix(kv, d)
        yield f"{b}.attn_v.weight", *matrix(kv, d)
        if shape.qkv_bias:
            yield f"{b}.attn_q.bias", *zeros(d)
            yield f"{b}.attn_k.bias", *zeros(kv)
            yield f"{b}.attn_v.bias", *zeros(kv)
        yield f"{b}.attn_output.weight", *matrix(d, d)
        if shape.linear_bias:
            yield f"{b}.attn_output.bias", *zeros(d)
        yield from norm(f"{b}.ffn_norm")
        if shape.gated_ffn:
            yield f"{b}.ffn_gate.weight", *matrix(ff, d)
        yield f"{b}.ffn_up.weight", *matrix(ff, d)
        if shape.linear_bias:
            yield f"{b}.ffn_up.bias", *zeros(ff)
        yield f"{b}.ffn_down.weight", *matrix(d, ff)
        if shape.linear_bias:
            yield f"{b}.ffn_down.bias", *zeros(d)
    yield from norm("output_norm")
    if not shape.tied_output:
        yield "output.weight", (n_vocab, d), np.float16, output


def require_tiny_model(vocab: str, *, seed: int = 0, out_dir: Path = DEFAULT_DIR) -> Path:
    """:func:`tiny_model` in the shared test cache, or skip the calling test when the
    vocabulary or llama-cpp-python is unavailable."""
    import pytest

    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")
    try:
        return tiny_model(vocab, out_dir, seed=seed)
    except VocabUnavailable as exc:
        pytest.skip(f"vocabulary {vocab} unavailable: {exc}")
