"""The in-process engine: llama-cpp-python, one long-lived context per model.

Each request evaluates only the prompt tokens after the longest common prefix with what is in
the KV cache (generated tokens included, so accepting a suggestion and typing on reuses them).
Decoding is greedy, one token at a time, checking for cancellation, the deadline and the stop
conditions between tokens. ``native`` holds what it needs of llama.cpp's C API beyond ``Llama``
(every call on ``Llama``'s private context, model and batch): this module uses only ``Llama``'s
public API and those functions.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

import numpy as np

from ..errors import ModelLoadError
from ..formats import PromptFormat
from . import native
from .base import (
    Cancel,
    Engine,
    Generation,
    GenerationRequest,
    ModelInfo,
    StopReason,
)
from .native import AbortFlag, new_llama, physical_cores, route_logs
from .places import KEEP_TOKENS, MIN_TOKENS, Places, SequenceCopy, common_prefix

CANCEL_BATCH = 64
# The context's sequences: the live one (the prompt the user is typing in, which the next
# keystroke reuses), one for work aside from it, and the candidates of an Invoked request.
LIVE, ASIDE = 0, 1
SEQUENCES = 4

log = logging.getLogger(__name__)


class LocalEngine(Engine):
    """A GGUF model run in process."""

    def __init__(self, path: str, fmt: PromptFormat, *, name: str = "", n_ctx: int = 2048,
                 n_threads: int = 0, n_batch: int = 256, kv_reuse: bool = True,
                 detect_format: bool = False, kv_cache_mb: int = 1024,
                 kv_cache_type: str = "f16", flash_attn: bool = False):
        self.path = path
        self.fmt = fmt
        # True: ``fmt`` is only a guess (a user's file); the vocabulary decides at load.
        self.detect_format = detect_format
        self.format_reason = ""
        self.n_ctx = n_ctx
        self.n_threads = n_threads or physical_cores()
        self.n_batch = n_batch
        self.kv_reuse = kv_reuse  # off: every request evaluates its whole prompt
        # The KV cache's memory: the live context's cells, and the rest for the places kept.
        self.kv_cache_mb = kv_cache_mb
        self.kv_cache_type = kv_cache_type
        # Flash attention computes each token's attention alone: a batch of tokens gets the
        # logits each gets evaluated one at a time where the weights' kernels do too (see
        # ``Lookup``); a quantized V cache needs it. Off by default: with it, a kept place
        # copied back predicted another next token than a fresh evaluation (a near tie on the
        # embedded model, tests/stages/test_engine_places.py), not yet understood.
        self.flash_attn = flash_attn or kv_cache_type == "q8_0"
        self.places = Places(0)
        self.kv_bytes_per_token = 0
        self.prompt_rate = 0.0  # prompt tokens evaluated per second, a running average
        self.info = ModelInfo(name=name or os.path.basename(path), path=path, n_ctx=n_ctx)
        self._llm = None
        self._cached: list[int] = []  # tokens whose KV is in the context, in order
        self._prompt_len = 0  # how many of them are the last prompt's (the rest: its answer)
        self._pieces = native.Pieces()
        self._breaking: np.ndarray | None = None
        self._lock = threading.Lock()
        self._abort = AbortFlag()
        self._seq = LIVE  # the sequence being decoded (``_aside``: ASIDE)
        self._cancel: Cancel | None = None  # the running request's
        self.load_warnings: tuple[str, ...] = ()  # what the load changed (nCtx capped...)

    # -- loading ---------------------------------------------------------------------------
    def load(self, progress: Callable[[float], None] | None = None) -> None:
        from ..models.gguf_check import check_gguf
        from ..models.validate import available_memory, check_model, plan_context
        from .probe import ensure_loadable

        check_gguf(self.path)
        plan = plan_context(check_model(self.path), self.n_ctx, path=self.path,
                            model_bytes=os.path.getsize(self.path), available=available_memory())
        self.n_ctx, self.load_warnings = plan.n_ctx, plan.warnings
        ensure_loadable(self.path)  # a first load in a child process: an abort stays there
        if progress:
            progress(0.05)
        try:
            route_logs(self._abort)
            kv = {"flash_attn": self.flash_attn}
            if self.kv_cache_type == "q8_0":
                kv.update(native.cache_types_q8_0())
            self._llm = new_llama(
                model_path=self.path, n_ctx=self.n_ctx, n_threads=self.n_threads,
                n_threads_batch=self.n_threads, n_batch=self.n_batch, n_ubatch=self.n_batch,
                use_mmap=True, logits_all=False, verbose=False, sequences=SEQUENCES, **kv,
            )
        except Exception as exc:  # llama.cpp raises ValueError/RuntimeError for bad files
            raise ModelLoadError(f"could not load {self.path}: {exc}") from exc
        if progress:
            progress(0.8)
        if not self._abort.install(self._llm):
            log.info("no C library to stop batches part way; a cancel waits for the batch")
        self._check_format()
        self.info.special_tokens = {m: self._marker_id(m) for m in self.fmt.markers}
        self.info.size_bytes = os.path.getsize(self.path)
        self.info.n_ctx = self._llm.n_ctx()
        self._size_places()
        self._breaking_tokens()
        self._warm_up()
        if progress:
            progress(1.0)

    def _size_places(self) -> None:
        """The places kept get what the budget leaves after the live context's cells."""
        layers, kv_dim = native.kv_shape(self._llm)
        per_value = 34 / 32 if self.kv_cache_type == "q8_0" else 2
        self.kv_bytes_per_token = int(2 * layers * kv_dim * per_value)
        live = self.kv_bytes_per_token * self.info.n_ctx
        budget = self.kv_cache_mb * 2**20 if self.kv_reuse else 0
        self.places = Places(budget - live)
        log.info("KV cache %s: %.0f KB per token; live context %d tokens (%.0f MB), "
                 "%.0f MB for places kept", self.kv_cache_type, self.kv_bytes_per_token / 1024,
                 self.info.n_ctx, live / 2**20, max(0, budget - live) / 2**20)

    def load_vocab(self) -> None:
        """Load only the vocabulary (for counting tokens and checking the format)."""
        from llama_cpp import Llama

        from ..models.gguf_check import check_gguf

        check_gguf(self.path)
        try:
            route_logs()  # llama.cpp's context notes go to our log, not the user's terminal
            self._llm = Llama(model_path=self.path, vocab_only=True, verbose=False)
        except Exception as exc:
            raise ModelLoadError(f"could not read {self.path}: {exc}") from exc
        self._check_format()

    def _marker_id(self, marker: str) -> int:
        ids = self._llm.tokenize(marker.encode(), add_bos=False, special=True)
        return ids[0] if len(ids) == 1 else -1

    def _check_format(self) -> None:
        """The prompt format checked against (or, for a user's file, taken from) this model's
        vocabulary: ``models.vocab``, the one check ``doctor`` and ``models add`` run too."""
        from ..models import vocab

        def tokenize(marker: str) -> list[int]:
            return self._llm.tokenize(marker.encode(), add_bos=False, special=True)

        try:
            choice = vocab.resolve(self.path, None if self.detect_format else self.fmt,
                                   tokenize, model="" if self.detect_format else self.info.name)
        except ModelLoadError:
            self.close()
            raise
        self.fmt, self.format_reason = choice.fmt, choice.reason
        log.info("%s: prompt format %s (%s)", os.path.basename(self.path), self.fmt.name,
                 self.format_reason)

    def _warm_up(self) -> None:
        """Evaluate a short prompt so the first real request does not pay for cold pages, and
        a first measure of the prompt evaluation speed."""
        try:
            self.generate(GenerationRequest(prompt=_WARM_UP, max_tokens=2), Cancel())
        except Exception:  # noqa: BLE001 - warm-up is best effort
            log.debug("warm-up failed", exc_info=True)

    def close(self) -> None:
        llm, self._llm = self._llm, None
        self._cached = []
        self._prompt_len = 0
        self.places.clear()
        if llm is not None:
            llm.close()

    # -- chat ------------------------------------------------------------------------------
    def chat_template(self) -> str:
        """The model's chat template (``tokenizer.chat_template`` in its GGUF), or ""."""
        if self._llm is None:
            return ""
        return str((self._llm.metadata or {}).get("tokenizer.chat_template", "") or "")

    def chat_parts(self, messages: list[dict[str, str]]) -> tuple[tuple[str, bool], ...]:
        """``messages`` laid out by the model's own chat template, as prompt parts: the
        template's text is parsed for special tokens, the messages' text never is (code that
        contains ``<|im_end|>`` cannot end a turn)."""
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        template = self.chat_template()
        if not template:
            raise ModelLoadError(f"{os.path.basename(self.path)} has no chat template")
        llm = self._llm
        eos = self._piece(llm.token_eos()).decode("utf-8", "ignore") if llm.token_eos() >= 0 \
            else ""
        holes = [f"\x00slm-hole-{i}\x00" for i in range(len(messages))]
        # BOS is added by the tokenizer (see ``_prompt_tokens``), not by the template.
        formatter = Jinja2ChatFormatter(template=template, eos_token=eos, bos_token="",
                                        add_generation_prompt=True)
        rendered = formatter(messages=[{"role": m["role"], "content": hole}
                                       for m, hole in zip(messages, holes, strict=True)]).prompt
        parts: list[tuple[str, bool]] = []
        for hole, message in zip(holes, messages, strict=True):
            head, sep, rendered = rendered.partition(hole)
            if not sep:
                raise ModelLoadError("the chat template dropped a message")
            if head:
                parts.append((head, True))
            parts.append((message["content"], False))
        if rendered:
            parts.append((rendered, True))
        return tuple(parts)

    # -- tokens ----------------------------------------------------------------------------
    def tokenize(self, text: str) -> list[int]:
        """Token ids of code text (special-token parsing off, no BOS)."""
        if not text:
            return []
        return self._llm.tokenize(text.encode("utf-8", "replace"), add_bos=False, special=False)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenize(text))

    @property
    def cached_tokens(self) -> tuple[int, ...]:
        return tuple(self._cached)

    def estimate(self, request: GenerationRequest) -> tuple[int, float]:
        """(prompt tokens that are not in any cache, prompt tokens per second): what evaluating
        ``request`` would cost now."""
        if self._llm is None:
            return 0, 0.0
        tokens = self._prompt_tokens(request)
        if not self.kv_reuse:
            return len(tokens), self.prompt_rate
        cached = max(common_prefix(self._cached, tokens), self.places.best(tokens)[1])
        return len(tokens) - cached, self.prompt_rate

    def _prompt_tokens(self, request: GenerationRequest) -> list[int]:
        llm = self._llm
        tokens: list[int] = []
        if native.adds_bos(llm) and llm.token_bos() >= 0:
            tokens.append(llm.token_bos())
        parts = request.parts or ((request.prompt, False),)
        for text, marker in parts:
            if marker:
                tokens.extend(llm.tokenize(text.encode(), add_bos=False, special=True))
            else:
                tokens.extend(self.tokenize(text))
        room = self.n_ctx - request.max_tokens - 1
        if len(tokens) > room:
            # Keep the tail: the cursor is there. The context builder keeps prompts in budget;
            # this only guards against a model with a smaller context than configured.
            head = tokens[:1] if tokens and tokens[0] == llm.token_bos() else []
            tokens = head + tokens[len(tokens) - (room - len(head)):]
        return tokens

    # -- generation ------------------------------------------------------------------------
    def generate(self, request: GenerationRequest, cancel: Cancel) -> Generation:
        if self._llm is None:
            raise ModelLoadError("the model is not loaded")
        with self._lock:
            self._abort.clear()
            unwatch = cancel.watch(self._abort.raise_)  # a cancel stops the batch in flight
            try:
                if request.keep_cache or not self.kv_reuse:
                    return self._generate(request, cancel)
                return self._aside(request, cancel)
            finally:
                unwatch()
                self._abort.clear()

    def _aside(self, request: GenerationRequest, cancel: Cancel) -> Generation:
        """``request`` without touching the live cache (speculation, code actions): in a
        sequence of its own that shares the live prompt's common head and is dropped after.
        Where the free cells would not hold it, the live sequence is copied out and back."""
        tokens = self._prompt_tokens(request)
        common = min(common_prefix(self._cached, tokens), len(tokens) - 1)
        needed = len(tokens) - common + request.max_tokens + 1
        live, prompt_len = self._cached, self._prompt_len
        if len(live) + needed <= self.info.n_ctx:
            native.copy_cells(self._llm, LIVE, ASIDE, 0, common)
            self._seq, self._cached = ASIDE, live[:common]
            try:
                return self._generate(request, cancel)
            finally:
                native.drop_cells(self._llm, ASIDE)
                self._seq, self._cached, self._prompt_len = LIVE, live, prompt_len
        ctx = native.context_pointer(self._llm)
        saved = SequenceCopy.of(ctx, LIVE)
        try:
            return self._generate(request, cancel)
        finally:
            native.drop_cells(self._llm, LIVE)
            self._cached = live if saved is not None and saved.put(ctx, LIVE) else []
            self._prompt_len = min(prompt_len, len(self._cached))
            self._llm.n_tokens = len(self._cached)

    def _piece(self, tok: int) -> bytes:
        """The bytes of one token, leading spaces kept, special tokens rendered as nothing."""
        return self._pieces(self._llm, tok)

    def _ends(self, tok: int) -> bool:
        """Whether ``tok`` ends a generation (a control token, or end of text)."""
        return native.is_control(self._llm, tok) or tok == self._llm.token_eos()

    def _breaking_tokens(self) -> np.ndarray:
        """Ids of tokens that start with a line break, or end generation (computed once)."""
        if self._breaking is None:
            llm = self._llm
            ids = []
            for tok in range(llm.n_vocab()):
                if native.is_control(llm, tok) or self._piece(tok).lstrip(b" \t")[:1] in (
                        b"\n", b"\r"):
                    ids.append(tok)
            ids.append(llm.token_eos())
            self._breaking = np.array(sorted(set(ids)), dtype=np.int64)
        return self._breaking

    def _reuse(self, tokens: list[int]) -> int:
        """Make the KV cache hold the longest cached prefix of ``tokens``; returns its length.

        The live context's prefix, or a kept place's when that shares clearly more (see
        ``places``). A move that would drop many cached tokens keeps them as a place first.
        A sequence aside (``_aside``) only reuses what it shares with the live one.
        """
        llm = self._llm
        seq = self._seq
        if not self.kv_reuse:
            self._cached.clear()
            native.drop_cells(llm, seq)
            llm.n_tokens = 0
            return 0
        common = common_prefix(self._cached, tokens)
        place, kept = self.places.best(tokens) if seq == LIVE else (None, 0)
        if place is not None and kept >= common + MIN_TOKENS:
            self._keep_live(common)
            native.drop_cells(llm, seq)
            self._cached = []
            if self.places.restore(place, native.context_pointer(llm), seq):
                self._cached = list(place.tokens)
                self._prompt_len = place.prompt_tokens
                common = kept
            else:
                common = 0
        elif seq == LIVE:
            self._keep_live(common)
        if common == len(tokens):
            common -= 1  # re-evaluate the last token to get fresh logits
        common = max(common, 0)
        if common < len(self._cached):
            native.drop_cells(llm, seq, common)
            del self._cached[common:]
        llm.n_tokens = common
        return common

    def _keep_live(self, common: int) -> None:
        """Keep the live cache as a place when the next prompt goes elsewhere: it would drop
        ``KEEP_TOKENS`` or more of the last prompt (typing in place drops only the cursor
        line's tail and the last answer). Prompts that share a head (the recent places, a
        file's first lines) still keep their own windows."""
        prompt = min(self._prompt_len, len(self._cached))
        if prompt - common >= KEEP_TOKENS:
            self.places.keep(native.context_pointer(self._llm), LIVE, self._cached, prompt)

    def _decode(self, entries: list[tuple[int, int, int, bool]]) -> bool:
        """One ``llama_decode`` of ``(token, position, sequence, logits)`` entries; False
        when a cancel aborted it (the batch is then dropped whole)."""
        while True:
            try:
                native.decode(self._llm, entries)
                return True
            except RuntimeError:
                if not self._abort.raised:
                    raise
                # Aborted: a flag raised for a request that had already ended is cleared and
                # the batch runs again; a cancel of this one ends it.
                self._abort.clear()
                if self._cancel is not None and self._cancel.is_set():
                    return False

    def _eval(self, tokens: list[int], cancel: Cancel,
              deadline: float | None = None, batch: int = 0, *,
              logits_all: bool = False) -> bool:
        """Evaluate tokens in the current sequence, in batches; False when cancelled
        part-way (or past ``deadline``).

        A cancel stops the batch in flight within a graph node (see ``AbortFlag``) and loses
        only that batch: the batches before it stay in the KV cache for the next request,
        which mostly shares them. Batches are at most ``CANCEL_BATCH`` tokens for that reason.
        ``logits_all``: logits after every token of a single batch (drafts), not only the last.
        """
        step = len(tokens) if logits_all else min(self.n_batch, batch or CANCEL_BATCH)
        i = 0
        while i < len(tokens):
            if cancel.is_set() or (deadline is not None and time.monotonic() > deadline):
                return False
            chunk = tokens[i:i + step]
            pos = len(self._cached)
            if not self._decode([(tok, pos + j, self._seq, logits_all or j == len(chunk) - 1)
                                 for j, tok in enumerate(chunk)]):
                return False
            self._cached.extend(chunk)
            self._llm.n_tokens = len(self._cached)
            i += step
        return True

    def _logits(self, i: int = -1) -> np.ndarray:
        """The logits of the ``i``-th output of the last batch (a view, valid until the next)."""
        return native.output_logits(self._llm, i)

    def _drop_tail(self, n: int) -> None:
        """Remove the last ``n`` tokens from the KV cache."""
        keep = len(self._cached) - n
        native.drop_cells(self._llm, self._seq, keep)
        del self._cached[keep:]
        self._llm.n_tokens = keep

    def _generate(self, request: GenerationRequest, cancel: Cancel) -> Generation:
        """Greedy decoding of ``request`` in the current sequence (with its candidates, when
        asked for, decoded in the same batches)."""
        t0 = time.perf_counter()
        self._cancel = cancel
        tokens = self._prompt_tokens(request)
        common = self._reuse(tokens)
        todo = tokens[common:]
        ok = self._eval(todo, cancel, request.deadline, request.eval_batch)
        self._prompt_len = len(self._cached)  # a cancelled prompt: the part evaluated
        t1 = time.perf_counter()
        if ok and len(todo) >= 32:
            rate = len(todo) / max(t1 - t0, 1e-6)
            self.prompt_rate = rate if not self.prompt_rate else (
                0.7 * self.prompt_rate + 0.3 * rate)
        gen = Generation(text="", stop_reason="cancelled", prompt_tokens=len(tokens),
                         evaluated_tokens=len(todo), prompt_ms=(t1 - t0) * 1000)
        if not ok:
            gen.stop_reason = "cancelled" if cancel.is_set() else "time"
            return gen
        # Decoding has its own budget, counted from the first token; ``request.deadline``
        # bounds the prompt evaluation (and decoding only when no budget is given).
        deadline = request.deadline
        if request.decode_budget_s is not None:
            deadline = time.monotonic() + request.decode_budget_s
        logits = self._logits()
        if request.require_text:
            logits = logits.copy()
            logits[self._breaking_tokens()] = -np.inf
        streams = [_Stream(self, request, gen)]
        if request.alternatives > 0 and request.max_tokens > 0:
            streams += self._candidate_streams(request, logits)
        if not request.greedy:  # known already: only the candidates are decoded
            streams[0].finish()
            gen.stop_reason = "stop"
        if len(streams) > 1:
            self._decode_together(streams, logits, cancel, deadline)
        elif request.greedy:
            self._decode_greedy(streams[0], tokens, logits, cancel, deadline)
        gen.decode_ms = (time.perf_counter() - t1) * 1000
        if gen.stop_reason != "cancelled":
            gen.alternatives = [s.gen for s in streams[1:] if s.gen.tokens]
        return gen

    def _decode_greedy(self, stream: _Stream, context: list[int], logits: np.ndarray,
                       cancel: Cancel, deadline: float | None) -> None:
        """One sequence, greedily, with prompt lookup drafts when the request asks for them."""
        request = stream.request
        gen = stream.gen
        lookup = Lookup(context) if request.draft_tokens > 0 else None
        # Draft tokens evaluated beyond the output, each with the logits that follow it: the
        # next token is always the argmax of the logits after the tokens really chosen, and a
        # draft token is only taken when it is that argmax.
        ahead: list[tuple[int, np.ndarray]] = []
        for _ in range(request.max_tokens):
            if cancel.is_set():
                gen.stop_reason = "cancelled"
                break
            if deadline is not None and time.monotonic() > deadline:
                gen.stop_reason = "time"
                break
            tok = int(np.argmax(logits))
            if not stream.take(tok, logits):
                break
            if ahead and ahead[0][0] == tok:  # the draft was right: already evaluated
                logits = ahead.pop(0)[1]
                gen.accepted += 1
                lookup.add(tok)
                continue
            if ahead:
                self._drop_tail(len(ahead))
                ahead = []
            draft = lookup.draft(tok, request.draft_tokens) if lookup is not None else []
            if not self._eval([tok, *draft], cancel, logits_all=bool(draft)):
                gen.stop_reason = "cancelled"
                break
            if draft:
                after = [self._logits(i).copy() for i in range(len(draft) + 1)]
                logits = after[0]
                ahead = list(zip(draft, after[1:], strict=True))
                gen.drafted += len(draft)
            else:
                logits = self._logits()
            if lookup is not None:
                lookup.add(tok)
        if ahead:  # what the draft guessed beyond the answer is not kept
            self._drop_tail(len(ahead))
        stream.finish()

    def _candidate_streams(self, request: GenerationRequest,
                           logits: np.ndarray) -> list[_Stream]:
        """Streams for the next most likely first tokens after the greedy one, each in a
        sequence of its own that shares the prompt's cells (no copy: a unified cache tags
        them with both sequences)."""
        greedy = int(np.argmax(logits))
        order = np.argsort(-logits)[: 4 * request.alternatives + 8]
        seqs = range(self._seq + 1, SEQUENCES)
        firsts = [int(t) for t in order if int(t) != greedy and np.isfinite(logits[t])
                  and not self._ends(int(t))][: min(request.alternatives, len(seqs))]
        free = self.info.n_ctx - len(self._cached) - request.max_tokens
        firsts = firsts[: max(0, free // request.max_tokens)]  # callers ask for tokens
        streams = []
        for seq, tok in zip(seqs, firsts, strict=False):
            native.copy_cells(self._llm, self._seq, seq, 0, len(self._cached))
            streams.append(_Stream(self, request, Generation(text="", stop_reason="length"),
                                   seq=seq, first=tok))
        return streams

    def _decode_together(self, streams: list[_Stream], logits: np.ndarray,
                         cancel: Cancel, deadline: float | None) -> None:
        """The greedy stream and its candidates, one token of each per batch: the weights
        are read once per step for all of them (the greedy stream sits out when it is known
        already). Each ends at its own stop, the token cap or
        the deadline; the candidates' KV is dropped after."""
        main = streams[0]
        start = len(self._cached)
        for s in streams:
            s.logits = logits
        step = 0
        try:
            while step < main.request.max_tokens:
                if cancel.is_set():
                    main.gen.stop_reason = "cancelled"
                    break
                if deadline is not None and time.monotonic() > deadline:
                    for s in streams:
                        if s.active:
                            s.gen.stop_reason = "time"
                    break
                entries, fed = [], []
                for s in streams:
                    if not s.active:
                        continue
                    tok = s.first if step == 0 and s.first is not None else int(
                        np.argmax(s.logits))
                    if s.take(tok, s.logits):
                        entries.append((tok, start + step, s.seq, True))
                        fed.append((s, tok))
                if not entries:
                    break
                if not self._decode(entries):
                    main.gen.stop_reason = "cancelled"
                    break
                for i, (s, tok) in enumerate(fed):
                    s.logits = self._logits(i)
                    if s.seq == self._seq:
                        self._cached.append(tok)
                step += 1
        finally:
            self._llm.n_tokens = len(self._cached)
            for s in streams[1:]:
                native.drop_cells(self._llm, s.seq)
            for s in streams:
                s.finish()


class _Stream:
    """One sequence being decoded: the text so far, and why it ended."""

    def __init__(self, engine: LocalEngine, request: GenerationRequest, gen: Generation, *,
                 seq: int | None = None, first: int | None = None):
        self.engine = engine
        self.request = request
        self.gen = gen
        gen.stop_reason = "length"
        self.seq = engine._seq if seq is None else seq
        self.first = first  # the first token, chosen for it (a candidate), or None: greedy
        self.out = bytearray()
        self.active = True
        self.logits: np.ndarray | None = None  # what its next token is chosen from (batched)

    def take(self, tok: int, logits: np.ndarray) -> bool:
        """Add ``tok``, chosen from ``logits``; False when it ends the answer (it is then not
        evaluated: the next prompt rarely goes on with it)."""
        gen, request = self.gen, self.request
        if self.engine._ends(tok):
            return self._end("stop")
        top = float(np.max(logits))
        gen.logprobs.append(float(logits[tok]) - top
                            - float(np.log(np.sum(np.exp(logits - top)))))
        gen.tokens += 1
        piece = self.engine._piece(tok)
        gen.pieces.append(piece.decode("utf-8", "ignore"))
        self.out += piece
        gen.text = self.out.decode("utf-8", "ignore")
        cut = _first_stop(gen.text, request.stop)
        if cut is not None:
            gen.text = gen.text[:cut]
            return self._end("stop")
        if request.should_stop is not None and request.should_stop(gen.text):
            return self._end("stop")  # this token ends the answer
        return True

    def _end(self, reason: StopReason) -> bool:
        self.gen.stop_reason = reason
        self.active = False
        return False

    def finish(self) -> None:
        self.active = False


class Lookup:
    """Drafts from the context: the tokens that followed the latest earlier occurrence of the
    last few tokens (prompt lookup decoding). Code repeats itself: names, calls, whole lines."""

    NGRAMS = (3, 2)

    def __init__(self, context: list[int]):
        self.tokens = list(context)
        self._last: dict[tuple[int, ...], int] = {}  # n-gram -> where its latest copy ends
        for i in range(len(self.tokens)):
            self._index(i + 1)

    def _index(self, end: int) -> None:
        for n in self.NGRAMS:
            if end >= n:
                self._last[tuple(self.tokens[end - n:end])] = end

    def add(self, tok: int) -> None:
        self.tokens.append(tok)
        self._index(len(self.tokens))

    def draft(self, tok: int, limit: int) -> list[int]:
        """What followed the last n-gram ending in ``tok`` (not yet added), at most ``limit``."""
        seq = self.tokens
        for n in self.NGRAMS:
            if len(seq) < n - 1:
                continue
            key = (*seq[len(seq) - (n - 1):], tok) if n > 1 else (tok,)
            end = self._last.get(key)
            if end is not None and end < len(seq):
                return seq[end:end + limit]
        return []


_WARM_UP = (
    "import os\nimport sys\n\n\ndef main(argv):\n    \"\"\"Print each argument's length.\"\"\"\n"
    "    for arg in argv[1:]:\n        print(arg, len(arg), os.path.exists(arg))\n"
    "    return 0\n\n\nif __name__ == \"__main__\":\n    sys.exit(main(sys.argv))\n"
)


def _first_stop(text: str, stops: tuple[str, ...]) -> int | None:
    cuts = [i for i in (text.find(s) for s in stops if s) if i >= 0]
    return min(cuts) if cuts else None
