"""The glue to llama.cpp's native library that the in-process engine needs beyond
llama-cpp-python's ``Llama``: thread settings, safe model parameters, a way to stop a batch part
way, and llama.cpp's log routed to ours."""

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
    ("libllama 0.5.0-dev, ggml 0.25.3, commit 0c1e570"); "" when they say nothing."""
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

    def install(self, ctx) -> bool:
        """Make ``ctx`` (a ``llama_context_p``) stop when the flag is raised; False when this
        platform's C library cannot be found (batches then run to their end)."""
        import llama_cpp

        try:
            libc = ctypes.cdll.msvcrt if os.name == "nt" else ctypes.CDLL(None)
            address = ctypes.cast(libc.strlen, ctypes.c_void_p).value
        except (OSError, AttributeError, TypeError):
            return False
        self._callback = llama_cpp.ggml_abort_callback(address)
        llama_cpp.llama_set_abort_callback(ctx, self._callback, ctypes.cast(self._buf,
                                                                            ctypes.c_void_p))
        return True


# ggml_log_level: NONE 0, DEBUG 1, INFO 2, WARN 3, ERROR 4, CONT 5 (continues the last line)
_LEVELS = {1: logging.DEBUG, 2: logging.DEBUG, 3: logging.INFO, 4: logging.WARNING}
_log_state = {"level": logging.DEBUG, "callback": None}
_ABORTING: weakref.WeakSet[AbortFlag] = weakref.WeakSet()


def route_logs(quiet: AbortFlag | None = None) -> None:
    """Send llama.cpp's messages to our log instead of raw stderr (once per process).

    Warnings become info and errors warnings: the model file and the settings are ours to
    report. While ``quiet`` is raised (a batch being aborted on purpose), they are debug.
    """
    import llama_cpp

    if quiet is not None:
        _ABORTING.add(quiet)
    if _log_state["callback"] is not None:
        return

    @llama_cpp.llama_log_callback
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
    llama_cpp.llama_log_set(callback, ctypes.c_void_p(0))
