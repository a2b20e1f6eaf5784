"""What a model's header promises, checked before llama.cpp sees the file; and the context size
that fits it and the machine.

llama.cpp trusts a model's hyper-parameters: a file that says ``block_count = 0`` or whose
tensors disagree with its widths trips a ``GGML_ASSERT`` that aborts the whole process. So the
header is read first (``gguf_check.read_header``, no load) and a model is refused with a
"cannot load" message unless:

* the layer count, embedding width, head counts and trained context length are present,
  positive and bounded, and the widths divide as attention needs (heads into the width, KV
  heads into the heads);
* the tensors agree: the token embedding is ``embedding_length`` wide, the layers are exactly
  ``blk.0`` .. ``blk.<block_count-1>``, each attention and feed-forward weight has the model's
  width on the side that meets the residual stream, every dimension is positive and quantized
  rows are whole blocks.

The context size (``nCtx``) is then capped twice, each time with a warning that says what was
used: by the context the model was trained for, and by memory: the KV cache it needs
(2 x layers x KV width x 2 bytes per token, computed here, before anything is allocated) must
fit in half of the memory available beside the model's weights.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import attrs

from .gguf_check import GGML_BLOCKS, ArrayInfo, GGUFCheckError, GGUFHeader, read_header

MAX_LAYERS = 1024
MAX_WIDTH = 1 << 17
MAX_HEADS = 4096
MAX_CONTEXT = 1 << 24
MIN_CONTEXT = 256  # the smallest context the settings accept
KV_BYTES = 2  # llama.cpp keeps K and V in f16 by default
MEMORY_SHARE = 0.5  # of what is available beside the weights, the most the KV cache may take
_PER_LAYER_KEYS = ("attention.head_count", "attention.head_count_kv", "feed_forward_length")
_BLOCK = re.compile(r"^blk\.(\d+)\.")


class ModelCannotLoad(GGUFCheckError):
    """The model's header is inconsistent: llama.cpp would fail or abort on it."""


@attrs.frozen
class Hyper:
    """The hyper-parameters that size a model, as its header states them."""

    arch: str
    n_layer: int
    n_embd: int
    n_head: tuple[int, ...]  # per layer
    n_head_kv: tuple[int, ...]  # per layer
    key_length: int
    value_length: int
    n_ctx_train: int

    def kv_bytes_per_token(self) -> int:
        """Bytes of KV cache one token of context takes, over all layers."""
        return KV_BYTES * sum(kv * (self.key_length + self.value_length)
                              for kv in self.n_head_kv)


@attrs.frozen
class ContextPlan:
    """The context size to load with, and why it differs from the one asked for."""

    n_ctx: int
    warnings: tuple[str, ...] = ()


def _int(meta: dict[str, Any], key: str, path: Path, *, default: int | None = None,
         low: int = 1, high: int = MAX_WIDTH) -> int:
    value = meta.get(key, default)
    if value is None:
        raise ModelCannotLoad(path, f"cannot load {path.name}: its header lacks {key}")
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ModelCannotLoad(path, f"cannot load {path.name}: {key} = {value!r} is not "
                                    f"in {low}..{high}; the file is corrupt")
    return value


def _per_layer(meta: dict[str, Any], key: str, n_layer: int, path: Path, *,
               default: tuple[int, ...] | None = None, low: int = 1) -> tuple[int, ...]:
    value = meta.get(key)
    if value is None and default is not None:
        return default
    if isinstance(value, list):
        if len(value) != n_layer or not all(
                isinstance(v, int) and not isinstance(v, bool) and low <= v <= MAX_WIDTH
                for v in value):
            raise ModelCannotLoad(path, f"cannot load {path.name}: {key} has {len(value)} "
                                        f"values for {n_layer} layers, or one out of range")
        return tuple(value)
    return (_int(meta, key, path, low=1),) * n_layer  # only per-layer lists may hold a 0


def hyperparameters(header: GGUFHeader, path: str | os.PathLike[str]) -> Hyper:
    """The checked hyper-parameters of a parsed header; raises ``ModelCannotLoad``."""
    path = Path(path)
    meta = header.metadata
    arch = meta.get("general.architecture")
    if not isinstance(arch, str) or not re.fullmatch(r"[\w.-]{1,64}", arch):
        raise ModelCannotLoad(path, f"cannot load {path.name}: no general.architecture")
    p = f"{arch}."
    n_layer = _int(meta, p + "block_count", path, high=MAX_LAYERS)
    n_embd = _int(meta, p + "embedding_length", path)
    n_ctx_train = _int(meta, p + "context_length", path, high=MAX_CONTEXT)
    n_head = _per_layer(meta, p + "attention.head_count", n_layer, path)
    if max(n_head) > MAX_HEADS:
        raise ModelCannotLoad(path, f"cannot load {path.name}: {max(n_head)} attention heads")
    n_head_kv = _per_layer(meta, p + "attention.head_count_kv", n_layer, path,
                           default=n_head, low=0)
    for layer, (h, kv) in enumerate(zip(n_head, n_head_kv, strict=True)):
        if kv > h or (kv and h % kv):
            raise ModelCannotLoad(path, f"cannot load {path.name}: layer {layer} has {h} "
                                        f"attention heads, not a multiple of its {kv} KV heads")
    if p + "attention.key_length" not in meta and n_embd % n_head[0]:
        raise ModelCannotLoad(path, f"cannot load {path.name}: embedding width {n_embd} does "
                                    f"not divide into {n_head[0]} heads")
    head_dim = n_embd // n_head[0]
    key_length = _int(meta, p + "attention.key_length", path, default=head_dim)
    value_length = _int(meta, p + "attention.value_length", path, default=key_length)
    if p + "feed_forward_length" in meta:
        _per_layer(meta, p + "feed_forward_length", n_layer, path, low=0)
    hyper = Hyper(arch, n_layer, n_embd, n_head, n_head_kv, key_length, value_length,
                  n_ctx_train)
    _check_tensors(header, hyper, path)
    return hyper


def _check_tensors(header: GGUFHeader, hyper: Hyper, path: Path) -> None:
    def bad(why: str) -> ModelCannotLoad:
        return ModelCannotLoad(path, f"cannot load {path.name}: {why}; the file is corrupt")

    blocks: set[int] = set()
    n_embd = hyper.n_embd
    by_name = {t.name: t for t in header.tensors}
    if len(by_name) != len(header.tensors):
        raise bad("two tensors share a name")
    for t in header.tensors:
        if not t.shape or any(d <= 0 or d > 1 << 40 for d in t.shape):
            raise bad(f"tensor {t.name} has shape {t.shape}")
        block = GGML_BLOCKS.get(t.ggml_type)
        if block is not None and t.shape[0] % block[0]:
            raise bad(f"tensor {t.name}'s rows ({t.shape[0]}) are not whole blocks of "
                      f"{block[0]}")
        m = _BLOCK.match(t.name)
        if m:
            blocks.add(int(m.group(1)))
            kind = t.name[m.end():]
            if kind in ("attn_q.weight", "attn_k.weight", "attn_v.weight", "attn_qkv.weight",
                        "ffn_up.weight", "ffn_gate.weight") and t.shape[0] != n_embd:
                raise bad(f"{t.name} is {t.shape[0]} wide, the model {n_embd}")
            if kind in ("attn_output.weight", "ffn_down.weight") and (
                    len(t.shape) < 2 or t.shape[1] != n_embd):
                raise bad(f"{t.name} has shape {t.shape}, the model is {n_embd} wide")
    if blocks != set(range(hyper.n_layer)):
        found = f"{len(blocks)} layers of tensors" if blocks else "no layer tensors"
        raise bad(f"block_count is {hyper.n_layer} but the file has {found}")
    embd = by_name.get("token_embd.weight")
    if embd is None:
        raise bad("there is no token_embd.weight tensor")
    if embd.shape[0] != n_embd:
        raise bad(f"token_embd.weight is {embd.shape[0]} wide, the model {n_embd}")
    tokens = header.metadata.get("tokenizer.ggml.tokens")
    n_vocab = tokens.count if isinstance(tokens, ArrayInfo) else \
        len(tokens) if isinstance(tokens, list) else None
    if n_vocab is not None and len(embd.shape) > 1 and embd.shape[1] != n_vocab:
        raise bad(f"token_embd.weight has {embd.shape[1]} rows for {n_vocab} tokens")


def check_model(path: str | os.PathLike[str]) -> Hyper:
    """Read ``path``'s header and check its hyper-parameters; raises a ``GGUFCheckError``."""
    header = read_header(path)
    arch = header.metadata.get("general.architecture")
    per_layer = [f"{arch}.{k}" for k in _PER_LAYER_KEYS]
    if any(isinstance(header.metadata.get(k), ArrayInfo) for k in per_layer):
        header = read_header(path, keep_arrays=per_layer)  # per-layer values: read them
    return hyperparameters(header, path)


def available_memory() -> int | None:
    """Bytes of memory this process can still get: MemAvailable, bounded by a cgroup limit."""
    avail = None
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        pass
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = int(Path("/sys/fs/cgroup/memory.current").read_text().strip())
        if limit != "max":
            room = max(0, int(limit) - used)
            avail = room if avail is None else min(avail, room)
    except (OSError, ValueError):
        pass
    return avail


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit in ("B", "KB") else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"  # pragma: no cover


def plan_context(hyper: Hyper, requested: int, *, model_bytes: int = 0,
                 available: int | None = None, path: str | os.PathLike[str] = "") -> ContextPlan:
    """The context size to use for ``requested`` (``nCtx``): at most the trained context, and
    with a KV cache that fits the memory available. Raises ``ModelCannotLoad`` when even the
    smallest context does not fit."""
    warnings = []
    n_ctx = requested
    if n_ctx > hyper.n_ctx_train:
        n_ctx = hyper.n_ctx_train
        warnings.append(f"nCtx {requested} is more than the {hyper.n_ctx_train} tokens the "
                        f"model was trained for; using {n_ctx}")
    per_token = hyper.kv_bytes_per_token()
    if available is not None and per_token > 0:
        budget = max(0.0, (available - model_bytes) * MEMORY_SHARE)
        fits = int(budget // per_token) // 256 * 256
        if n_ctx > fits:
            smallest = min(MIN_CONTEXT, n_ctx)
            if fits < smallest:
                raise ModelCannotLoad(
                    Path(path), f"cannot load the model: its KV cache needs "
                    f"{_size(per_token * smallest)} for {smallest} tokens and only "
                    f"{_size(available)} of memory is available")
            warnings.append(f"nCtx {n_ctx} needs a {_size(per_token * n_ctx)} KV cache, more "
                            f"than fits in the {_size(available)} of memory available; "
                            f"using {fits}")
            n_ctx = fits
    return ContextPlan(n_ctx, tuple(warnings))
