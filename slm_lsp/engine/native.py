"""The glue to llama.cpp's native library that the in-process engine needs beyond
llama-cpp-python's ``Llama``: thread settings, safe model parameters, a way to stop a batch part
way, llama.cpp's log routed to ours, and the small calls on ``Llama``'s own context, model and
batch that its public API does not offer.

The only module of ``slm_lsp`` that touches llama-cpp-python's private internals (``Llama._ctx``,
``._model``, ``._batch``, the ``llama_cpp.llama_cpp`` bindings and their C calls); each use is
a small named function whose comment says why there is no public way. ``pyproject.toml`` pins
llama-cpp-python to the release they were checked against (0.3.36): moving the pin means
checking every function here. ``tests/project/test_llama_cpp_internals.py`` keeps them here.
"""

from __future__ import annotations

import ctypes
import logging
import os
import threading
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

log = logging.getLogger("slm_lsp.llama")

# llama.cpp's OpenMP threads spin at every barrier by default. On a laptop where anything else
# runs, a spinning thread waits for a descheduled one and decoding gets 10-30x slower; threads
# that sleep at once are slow on an idle machine (a wake-up per barrier). A short spin, then
# sleep, is close to the best of both (SmolLM2, 2 threads, 2 cores, ms/token):
#   idle: spin 300k (default) 12, spin 1k 14, sleep at once 42
#   both cores busy elsewhere: spin 300k 500-1500, spin 1k 33, sleep at once 22
# Must be set before libgomp loads (llama_cpp is imported lazily); the user's values win.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("GOMP_SPINCOUNT", "1000")


def physical_cores() -> int:
    """Physical cores (llama.cpp is fastest with one thread per physical core)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            pairs = set()
            phys = core = None
            for line in fh:
                if line.startswith("physical id"):
                    phys = line.split(":")[1].strip()
                elif line.startswith("core id"):
                    core = line.split(":")[1].strip()
                elif not line.strip() and core is not None:
                    pairs.add((phys, core))
                    phys = core = None
            if core is not None:
                pairs.add((phys, core))
            if pairs:
                return max(1, min(len(pairs), os.cpu_count() or 1))
    except OSError:
        pass
    return max(1, (os.cpu_count() or 2) // 2 or 1)


def build_info() -> str:
    """The llama.cpp build that llama-cpp-python runs, as its libraries report it
    ("libllama 0.5.0-dev, ggml 0.25.3, commit 0c1e570"); "" when they say nothing. The version
    functions are not among the bindings: they are looked up in the loaded library itself
    (the bindings' private ``_lib``)."""
    try:
        from llama_cpp import llama_cpp as lib
    except Exception:  # noqa: BLE001 - no llama.cpp: nothing to say
        return ""
    parts = []
    for label, name in (("libllama", "llama_version"), ("ggml", "ggml_version"),
                        ("commit", "ggml_commit")):
        try:
            fn = getattr(lib._lib, name)
        except AttributeError:  # an older build without it
            continue
        fn.argtypes, fn.restype = [], ctypes.c_char_p
        value = (fn() or b"").decode("utf-8", "replace")
        if value:
            parts.append(f"{label} {value}")
    return ", ".join(parts)


def _cpu_has_amx() -> bool:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            return " amx_int8" in fh.read(1 << 16)
    except OSError:
        return False


_PARAMS_LOCK = threading.RLock()  # the patches below nest


@contextmanager
def _default_params(factory: str, **fields) -> Iterator[None]:
    """While inside, llama.cpp's ``factory`` (``llama_model_default_params`` or
    ``llama_context_default_params``, which ``Llama`` starts from) returns its defaults with
    ``fields`` set: the parameters ``Llama`` takes no argument for."""
    import llama_cpp.llama_cpp as lc

    with _PARAMS_LOCK:
        default = getattr(lc, factory)

        def params():
            p = default()
            for name, value in fields.items():
                setattr(p, name, value)
            return p

        setattr(lc, factory, params)
        try:
            yield
        finally:
            setattr(lc, factory, default)


def context_sequences(n_seq: int):
    """While inside, contexts are made for ``n_seq`` sequences in one unified KV cache.

    ``Llama`` sets neither field (only for embeddings). Several sequences let the engine
    decode an Invoked request's candidates in one batch over the prompt's shared cells, and
    run work that must not touch the live cache (speculation, code actions) beside it. Unified:
    every sequence may use all ``n_ctx`` cells (split buffers would give each a fixed share).
    """
    return _default_params("llama_context_default_params", n_seq_max=n_seq, kv_unified=True)


def plain_cpu_buffers():
    """While inside, models load without llama.cpp's extra weight buffers (see ``new_llama``)."""
    return _default_params("llama_model_default_params", use_extra_bufts=False)


def new_llama(*, repack: bool = False, sequences: int = 1, **kwargs):
    """``Llama(**kwargs)``, by default without llama.cpp's extra weight buffers.

    With them (``repack``), llama.cpp copies the Q4_0/Q4_K weights into a layout its CPU
    kernels read faster, while the mapped file's pages stay resident too: a 1.3B Q4_K_M model
    (873 MB) then takes about 480 MB more, a 3B one about 1 GB more. Measured side by side on 2
    cores (``benchmarks/buffers.py``, LATENCY.md), the copy bought no speed, so models load
    without it. On CPUs with AMX it is never used: the AMX matmul of those buffers crashes the
    process on some machines (seen on virtualised Sapphire Rapids).
    """
    from llama_cpp import Llama

    with context_sequences(sequences):
        if repack and not _cpu_has_amx():
            return Llama(**kwargs)
        with plain_cpu_buffers():
            return Llama(**kwargs)


def cache_types_q8_0() -> dict[str, int]:
    """``Llama`` arguments for a KV cache quantized to Q8_0. ``Llama`` takes ``type_k`` and
    ``type_v`` as ggml type numbers and names no constants for them: they are the C enum's,
    from the low-level bindings."""
    import llama_cpp.llama_cpp as lc

    return {"type_k": lc.GGML_TYPE_Q8_0, "type_v": lc.GGML_TYPE_Q8_0}


def fill_batch(batch, entries: Sequence[tuple[int, int, int, bool]]) -> None:
    """Fill ``batch`` (a ``llama_batch``) with ``(token, position, sequence, logits)``
    entries: ``Llama``'s own helpers put every token in sequence 0."""
    batch.n_tokens = len(entries)
    for i, (tok, pos, seq, logits) in enumerate(entries):
        batch.token[i] = tok
        batch.pos[i] = pos
        batch.seq_id[i][0] = seq
        batch.n_seq_id[i] = 1
        batch.logits[i] = logits


# -- Llama's context, model and batch --------------------------------------------------------
# ``Llama`` keeps its llama.cpp context, model and batch in private attributes (``_ctx``,
# ``_model``, ``_batch``), and its public calls (``eval``, ``tokenize``, ``detokenize``) work on
# one sequence with its own batch layout. The engine decodes several sequences in one context,
# with the logits it chooses, so it needs the calls below; none has a public equivalent in
# llama-cpp-python 0.3.36 (we found no upstream report asking for them).


def context_pointer(llm):
    """``llm``'s ``llama_context *``, for C calls on the context (the abort callback, copying a
    sequence's cells out and back). ``Llama`` exposes only its wrapper, as ``_ctx``."""
    return llm._ctx.ctx


def adds_bos(llm) -> bool:
    """Whether the model wants a BOS token before a prompt (its GGUF says). ``Llama.tokenize``
    decides it inside; only the private model wrapper (``_model``) answers it alone."""
    return bool(llm._model.add_bos_token())


def is_control(llm, tok: int) -> bool:
    """Whether ``tok`` is a control token (``LLAMA_TOKEN_ATTR_CONTROL``): it ends a generation.
    Token attributes are asked of the private model wrapper (``_model``); ``Llama`` has no call."""
    import llama_cpp.llama_cpp as lc

    return bool(llm._model.token_get_attr(tok) & lc.LLAMA_TOKEN_ATTR_CONTROL)


class Pieces:
    """The bytes of single tokens, leading spaces kept and special tokens rendered as nothing
    (``llama_token_to_piece`` on the model's vocabulary, ``_model.vocab``). ``Llama.detokenize``
    works on whole sequences and may drop the leading space of the first piece, which a
    streamed answer must keep."""

    def __init__(self) -> None:
        self._buf = ctypes.create_string_buffer(64)

    def __call__(self, llm, tok: int) -> bytes:
        import llama_cpp.llama_cpp as lc

        buf = self._buf
        n = lc.llama_token_to_piece(llm._model.vocab, tok, buf, len(buf), 0, False)
        if n < 0:  # longer than the buffer
            buf = self._buf = ctypes.create_string_buffer(-n)
            n = lc.llama_token_to_piece(llm._model.vocab, tok, buf, len(buf), 0, False)
        return buf.raw[:n]


def kv_shape(llm) -> tuple[int, int]:
    """(layers, width of a token's K or V in one layer): what a token's KV cache costs. The
    model's hyperparameters are asked of the C model (``_model.model``); ``Llama`` exposes
    none of them but the context length."""
    import llama_cpp.llama_cpp as lc

    model = llm._model.model
    layers = lc.llama_model_n_layer(model)
    heads = max(1, lc.llama_model_n_head(model))
    return layers, lc.llama_model_n_embd(model) // heads * lc.llama_model_n_head_kv(model)


def copy_cells(llm, src: int, dst: int, start: int, end: int) -> None:
    """Let sequence ``dst`` share ``src``'s cells at positions ``[start, end)`` (no copy in a
    unified cache). ``Llama`` knows only sequence 0: the context wrapper (``_ctx``) has it."""
    llm._ctx.kv_cache_seq_cp(src, dst, start, end)


def drop_cells(llm, seq: int, start: int = -1, end: int = -1) -> None:
    """Remove sequence ``seq``'s cells at positions ``[start, end)`` (-1: open ended).
    ``Llama`` only resets its one sequence whole: ``_ctx`` has the call, which takes a sequence
    of -1 for sequence 0, not for every one; so ``seq`` must be a sequence."""
    if seq < 0:
        raise ValueError("drop_cells drops one sequence's cells")
    llm._ctx.kv_cache_seq_rm(seq, start, end)


def decode(llm, entries: Sequence[tuple[int, int, int, bool]]) -> None:
    """One ``llama_decode`` of ``(token, position, sequence, logits)`` entries, in ``Llama``'s
    own batch (``_batch``, sized ``n_batch``) through its context wrapper (``_ctx``), which
    raises ``RuntimeError`` when the decode fails or is aborted. ``Llama.eval`` puts every
    token in sequence 0 and wants logits for all or the last."""
    fill_batch(llm._batch.batch, entries)
    llm._ctx.decode(llm._batch)


def output_logits(llm, i: int = -1):
    """The logits of the ``i``-th output of the last batch, as a numpy view valid until the
    next decode. ``Llama.scores`` holds only what ``eval`` wrote; the context wrapper
    (``_ctx``) reads any output."""
    import numpy as np

    return np.ctypeslib.as_array(llm._ctx.get_logits_ith(i), shape=(llm.n_vocab(),))


# -- a sequence's cells, copied out and back (``places``) ------------------------------------
# llama-cpp-python's public ``save_state``/``load_state`` copy the whole context; these copy one
# sequence, with llama.cpp's own calls from the low-level bindings (they take the context
# pointer, ``context_pointer``).


def sequence_size(ctx, seq: int) -> int:
    """The bytes a copy of sequence ``seq`` of ``ctx`` takes (``llama_state_seq_get_size``)."""
    import llama_cpp.llama_cpp as lc

    return lc.llama_state_seq_get_size(ctx, seq)


def read_sequence(ctx, seq: int, buf, size: int) -> int:
    """Copy sequence ``seq`` of ``ctx`` into ``buf`` (``size`` bytes); the bytes written."""
    import llama_cpp.llama_cpp as lc

    return lc.llama_state_seq_get_data(ctx, buf, size, seq)


def write_sequence(ctx, seq: int, buf, size: int) -> bool:
    """Copy ``buf`` (``size`` bytes from ``read_sequence``) back into the empty sequence
    ``seq`` of ``ctx``; False when llama.cpp refused it."""
    import llama_cpp.llama_cpp as lc

    return lc.llama_state_seq_set_data(ctx, buf, size, seq) > 0


class AbortFlag:
    """Stops llama.cpp in the middle of a batch, between two nodes of the compute graph.

    llama.cpp asks ``abort_callback(data)`` after each graph node. A Python callback there would
    take the GIL hundreds of times per token, and wait for it whenever the event loop runs; so
    the callback is C's own ``strlen`` over a two-byte buffer: 0 while the flag is down, 1 once
    it is raised (any thread may raise it). ``llama_decode`` then returns 2 and drops the
    batch's positions from the KV cache; what was evaluated before the batch stays valid.
    """

    def __init__(self) -> None:
        self._buf = ctypes.create_string_buffer(2)

    @property
    def raised(self) -> bool:
        return self._buf.raw[0] != 0

    def raise_(self) -> None:
        self._buf[0] = 1

    def clear(self) -> None:
        self._buf[0] = 0

    def install(self, llm) -> bool:
        """Make ``llm``'s context stop when the flag is raised; False when this platform's C
        library cannot be found (batches then run to their end). ``Llama`` has no abort
        callback: it is set on the C context (``context_pointer``) with the low-level call."""
        import llama_cpp.llama_cpp as lc

        ctx = context_pointer(llm)

        try:
            libc = ctypes.cdll.msvcrt if os.name == "nt" else ctypes.CDLL(None)
            address = ctypes.cast(libc.strlen, ctypes.c_void_p).value
        except (OSError, AttributeError, TypeError):
            return False
        self._callback = lc.ggml_abort_callback(address)
        lc.llama_set_abort_callback(ctx, self._callback, ctypes.cast(self._buf, ctypes.c_void_p))
        return True


# ggml_log_level: NONE 0, DEBUG 1, INFO 2, WARN 3, ERROR 4, CONT 5 (continues the last line)
_LEVELS = {1: logging.DEBUG, 2: logging.DEBUG, 3: logging.INFO, 4: logging.WARNING}
_log_state = {"level": logging.DEBUG, "callback": None}
_ABORTING: weakref.WeakSet[AbortFlag] = weakref.WeakSet()


def route_logs(quiet: AbortFlag | None = None) -> None:
    """Send llama.cpp's messages to our log instead of raw stderr (once per process).

    Warnings become info and errors warnings: the model file and the settings are ours to
    report. While ``quiet`` is raised (a batch being aborted on purpose), they are debug.
    ``Llama`` has no log hook of its own (only ``verbose``): the callback is set with the
    low-level ``llama_log_set``.
    """
    import llama_cpp.llama_cpp as lc

    if quiet is not None:
        _ABORTING.add(quiet)
    if _log_state["callback"] is not None:
        return

    @lc.llama_log_callback
    def callback(level: int, text: bytes, _user: ctypes.c_void_p) -> None:
        try:
            lvl = _log_state["level"] if level == 5 else _LEVELS.get(level, logging.DEBUG)
            _log_state["level"] = lvl
            if lvl > logging.DEBUG and any(f.raised for f in _ABORTING):
                lvl = logging.DEBUG
            line = text.decode("utf-8", "replace").rstrip()
            if line and log.isEnabledFor(lvl):
                log.log(lvl, "llama.cpp: %s", line)
        except Exception:  # noqa: BLE001 - never raise into C
            pass

    _log_state["callback"] = callback
    lc.llama_log_set(callback, ctypes.c_void_p(0))
