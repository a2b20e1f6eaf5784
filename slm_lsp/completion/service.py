"""One inline completion, end to end: trigger -> cache -> context -> prompt -> engine -> filters.

``CompletionService.complete`` is the path of one request, read top to bottom. Its first stages
run on the event loop, where the document cannot change under them and which they never keep
waiting: whether to complete here at all (the settings and the trigger), a copy of the document
(``Snapshot``) and the cache. The rest runs on the inference thread, as the newest request
(``Scheduler``): the cross-file snippets, then ``ModelCompleter`` (one per loaded engine) builds
the prompt, runs the engine and the filters. One stats record follows the request from the
cache lookup to the answer. After a model answer, idle time goes to the completion that follows
accepting it (speculation) and, after a first answer from a short window, to the full prompt.
"""

from __future__ import annotations

import functools
import time
from typing import TYPE_CHECKING, Any

import attrs

from .. import paths
from ..context.snippets import select_snippets
from ..context.window import Anchors, LineTokens
from ..documents import Document, DocumentStore
from ..engine.base import Cancel, Engine, Generation, GenerationRequest, Snippet
from ..formats import PromptFormat
from ..prompts.fim import Prompt
from ..settings import Settings
from .cache import CompletionCache
from .filters import (
    block_stop,
    clean,
    complete_lines,
    gate_confidence,
    line_stop,
    rank_candidates,
)
from .postprocess import tree_error_count
from .prompt import RecentHeads, build_prompt
from .scheduler import Scheduler
from .snapshot import Snapshot
from .stats import CompletionStats, work_done
from .trigger import Mode, decide

if TYPE_CHECKING:
    from ..context.index import SymbolIndex
    from ..context.recent import RecentPlaces
    from ..engine.host import EngineHost

# A prompt evaluation that takes longer than this (a huge cold prompt on a busy machine) gives
# up; decoding has its own budget (`completion.timeBudgetMs`) from its first token.
PROMPT_DEADLINE_S = 30.0
AUTOMATIC_EVAL_BATCH = 32
# The smallest window a first answer at a new place is given (see `first_answer_tokens`).
FIRST_ANSWER_MIN_TOKENS = 64
WARM_EVAL_BATCH = 32  # a cancel loses at most this much of a background evaluation
# What a keystroke may evaluate without a short window: the cursor line, a few tokens more.
KEYSTROKE_S = 0.15
KEYSTROKE_MIN_TOKENS = 16
# An Invoked request (the user asked, and waits for it) may spend this many times
# `completion.firstAnswerMs` on its prompt before it answers from a short window instead.
INVOKED_ANSWER_FACTOR = 4
# The editor's cycle (an Invoked request where an answer was just given): the greedy answer
# and the continuations of the next few first tokens, decoded in the same batches, go through
# the filters; up to ``MAX_ITEMS`` different survivors are offered, best first.
INVOKED_ALTERNATIVES = 3
MAX_ITEMS = 3
# When the filters drop the greedy answer, its candidates are decoded in what is left of the
# request's time budget (``completion.timeBudgetMs``), if at least this many seconds.
MIN_CANDIDATES_S = 0.1


@attrs.define
class Completion:
    """The text to insert at the cursor, and how it was made."""

    text: str
    source: str  # "model", "type-through", "cache"
    mode: Mode
    generation: Generation | None = None
    prompt: Prompt | None = None
    dropped: str = ""  # why a model answer was discarded, for logs and benchmarks
    build_ms: float = 0.0  # building the prompt
    post_ms: float = 0.0  # the filters after the model
    # "short": a first answer from a short window; the full one is evaluated in idle time.
    window: str = "full"
    more: tuple[str, ...] = ()  # further candidates after ``text``, best first (Invoked)

    @property
    def items(self) -> list[str]:
        """Every candidate to offer, best first (none when ``text`` is empty)."""
        return [self.text, *self.more] if self.text else []


class CompletionService:
    """Completions for the open documents, with whichever engine the host has loaded."""

    def __init__(self, settings: Settings, host: EngineHost, documents: DocumentStore,
                 recent: RecentPlaces):
        self._settings = settings
        self.host = host
        self.documents = documents
        self.recent = recent
        self.index: SymbolIndex | None = None  # the workspace's symbols, once it is indexed
        self.stats = CompletionStats()
        self.scheduler = Scheduler(host, self.stats)
        self.model: ModelCompleter | None = None  # the loaded engine's, made at first use
        self._answered: dict[str, tuple[int, int]] = {}  # uri -> (version, offset) last answered

    @property
    def settings(self) -> Settings:
        return self._settings

    @settings.setter
    def settings(self, settings: Settings) -> None:
        self._settings = settings
        if self.model is not None:
            self.model.settings = settings

    async def complete(self, doc: Document, offset: int, *, invoked: bool,
                       candidates: bool = False, path: str = "",
                       request_id: Any = None) -> Completion | None:
        """The completion at ``offset`` (code points) of ``doc``, or None: nothing to offer,
        or the document moved on while it was computed. ``invoked``: the user asked (else it
        is as-you-type); ``candidates``: several, best first; ``path``: the file's name as the
        prompt shows it. Raises EngineError when the engine fails, CancelledError when the
        request is cancelled."""
        started = time.perf_counter()
        settings = self.settings.completion
        # 1. Trigger: whether to complete here at all, and how much (on the event loop).
        if not settings.enable or doc.language_id in settings.disabled_languages:
            return None
        if not invoked and not settings.automatic:
            return None
        trigger = decide(doc, offset, invoked=invoked)
        if trigger.mode is Mode.NONE:
            return None
        # Candidates are the editor's cycle: an Invoked request where an answer was just
        # given (the ghost text shown as the user typed, or the first Invoked answer). A first
        # request costs one greedy answer; the others only when the user asks for them, or when
        # the filters drop the greedy answer.
        place = (doc.version, offset)
        cycle = candidates and invoked and self._answered.get(doc.uri) == place
        snap = Snapshot.of(doc, offset, trigger, path=path, candidates=cycle,
                           recent=self.recent.chunks())
        snapshot_ms = time.perf_counter() - started
        model = await self._model_ready()
        if model is None:
            return None  # no model: a failed load was reported once, when it failed
        if not invoked:  # the same text as a request the user asked for: after its answer
            await self.scheduler.after_asked(snap.uri, place)
        self.stats.count("requests")
        rec = self.stats.record(id=request_id, uri=snap.uri, version=snap.version,
                                source="cache", stopReason=None, promptTokens=0,
                                evaluatedTokens=0, tokens=0, promptMs=0.0, decodeMs=0.0,
                                waitMs=0.0, stopMs=None, snapshotMs=_ms(snapshot_ms),
                                buildMs=0.0, postMs=0.0)
        try:
            # 2. Cache: type-through of the suggestion shown, or an answer for this context.
            hit = None if invoked and candidates else model.cached(snap)
            # The cycle's first item is the answer shown there (a batch can round a near tie
            # the other way than the single sequence that wrote it).
            shown = model.cached(snap) if snap.candidates else None
            if hit is not None:
                self.stats.count("cache")
                result = Completion(hit, "cache", trigger.mode)
            else:
                # 3.-6. Context, prompt, engine, filters: on the inference thread.
                rec["source"] = "model"
                snap, result = await self.scheduler.run(snap.uri, functools.partial(
                    self._generate, model, snap, rec, time.perf_counter(),
                    automatic=not invoked), asked_at=place if invoked else None)
                if (candidates or not invoked) and not snap.candidates and not result.text \
                        and result.dropped != "cancelled":
                    # The greedy answer did not survive the filters: the candidates now (the
                    # prompt is cached: only their decoding is paid), as the user asked or
                    # types. Else the ghost text would be empty where a next-best answer is good.
                    snap, result = await self.scheduler.run(snap.uri, functools.partial(
                        self._generate, model, attrs.evolve(snap, candidates=True), rec,
                        time.perf_counter(), automatic=not invoked, dropped=result),
                        asked_at=place if invoked else None)
                if result.dropped == "cancelled":
                    return None  # pre-empted by a newer request or a change of the document
                self._remember(model, snap, result, shown=True)
                if result.window == "short":
                    self._warm(model, snap)
        finally:
            if request_id is not None:
                rec["handlerMs"] = _ms(time.perf_counter() - started)
        if shown:
            result = attrs.evolve(result, text=shown, more=tuple(
                t for t in result.items if t != shown)[:MAX_ITEMS - 1])
        if not result.text:
            return None
        current = self.documents.get(snap.uri)
        if current is None or current.version != snap.version:
            return None  # the document moved on: this answer is for text that is gone
        if result.source == "model":
            self._speculate(model, snap, result.text)
        self._answered[snap.uri] = place
        return result

    def _generate(self, model: ModelCompleter, snap: Snapshot, rec: dict[str, Any],
                  submitted: float, cancel: Cancel, *, automatic: bool,
                  dropped: Completion | None = None) -> tuple[Snapshot, Completion]:
        """Stages 3 to 6 of a request, on the inference thread: the snapshot with its context,
        and the completion. Fills the request's record when the work really ends (for a
        cancelled request, after its handler has answered)."""
        started = time.perf_counter()
        result = None
        try:
            if cancel.is_set():  # pre-empted while it waited for the inference thread
                result = Completion("", "model", snap.trigger.mode, dropped="cancelled")
                return snap, result
            # 3. Context: definitions from other files of the symbols used near the cursor.
            if dropped is None:  # (after a drop, its prompt is used again)
                snap = attrs.evolve(snap, snippets=self._snippets(snap, model.engine))
            context_ms = (time.perf_counter() - started) * 1000
            # 4.-6. Prompt, engine, filters.
            result = model.complete(snap, cancel, automatic=automatic, dropped=dropped)
            assert result is not None  # the trigger fired
            result.build_ms += context_ms
            return snap, result
        finally:
            work_done(rec, result, cancel, started - submitted, time.perf_counter())

    def _snippets(self, snap: Snapshot, engine: Engine) -> tuple[Snippet, ...]:
        ctx = self.settings.context
        if self.index is None or not ctx.cross_file:
            return ()
        return select_snippets(self.index, snap.text, snap.offset, snap.language_id,
                               paths.path_of_uri(snap.uri) or snap.uri, ctx.snippet_tokens,
                               engine.count_tokens, tree=snap.tree)

    async def _model_ready(self) -> ModelCompleter | None:
        """The loaded engine's completer, waiting (bounded) for a load in progress."""
        loaded = await self.host.wait_ready()
        if loaded is None:
            self.model = None
            return None
        if self.model is None or self.model.engine is not loaded.engine:
            self.model = ModelCompleter(loaded.engine, loaded.fmt, self.settings)
        return self.model

    def _remember(self, model: ModelCompleter, snap: Snapshot, result: Completion, *,
                  shown: bool) -> None:
        """Keep a model answer for its context; ``shown`` ones also serve type-through."""
        if self.settings.completion.cache:
            model.cache.remember(snap.uri, snap.prefix, snap.suffix, snap.trigger.mode.value,
                                 result.text, shown=shown)

    # -- idle time -----------------------------------------------------------------------
    def _speculate(self, model: ModelCompleter, snap: Snapshot, accepted: str) -> None:
        """In idle time, compute the completion that follows accepting ``accepted``."""
        if not self.settings.completion.speculative:
            return

        def job(cancel: Cancel) -> tuple[Snapshot, Completion | None]:
            # The document as it would be: parsed here, on the inference thread.
            offset = snap.offset + len(accepted)
            doc = Document(uri=snap.uri, text=snap.prefix + accepted + snap.suffix,
                           language_id=snap.language_id)
            nxt = Snapshot.of(doc, offset, decide(doc, offset, invoked=False), path=snap.path,
                              snippets=snap.snippets, recent=snap.recent)
            return nxt, model.complete(nxt, cancel, speculative=True)

        def done(answer: tuple[Snapshot, Completion | None]) -> None:
            nxt, result = answer
            if result is not None and result.dropped != "cancelled":
                self._remember(model, nxt, result, shown=False)
                self.stats.count("speculated")

        self.scheduler.when_idle("speculation", job, done)

    def _warm(self, model: ModelCompleter, snap: Snapshot) -> None:
        """In idle time, evaluate the full prompt of a place that got a first answer from a
        short window. Any request pre-empts it; what it evaluated stays cached."""

        def job(cancel: Cancel) -> bool:
            model.warm(snap, cancel)
            return not cancel.is_set()

        def done(warmed: bool) -> None:
            if warmed:
                self.stats.count("warmed")

        self.scheduler.when_idle("warming", job, done)

    # -- the documents -------------------------------------------------------------------
    def document_changed(self, uri: str) -> None:
        """The document moved on: whatever runs for it now answers text that is gone."""
        self.scheduler.document_changed(uri)

    def document_closed(self, uri: str) -> None:
        self.scheduler.document_closed(uri)
        self._answered.pop(uri, None)
        if self.model is not None:
            self.model.cache.forget(uri)

    def cancel_all(self) -> None:
        """Stop whatever runs or waits for idle time (at shutdown)."""
        self.scheduler.cancel_all()


class ModelCompleter:
    """Prompt -> engine -> filters with one engine, on the inference thread; and what it keeps
    between requests: the completions (``cache``), the windows' heads (``anchors``)."""

    def __init__(self, engine: Engine, fmt: PromptFormat, settings: Settings):
        self.engine = engine
        self.fmt = fmt
        self.settings = settings
        self.cache = CompletionCache()
        self.markers = tuple(fmt.markers)
        self.line_tokens = LineTokens(engine.count_tokens)
        self.anchors = Anchors()
        self.short_anchors = Anchors()  # the heads of first answers' short windows
        self.heads = RecentHeads()  # the recent places each window showed

    def complete(self, snap: Snapshot, cancel: Cancel, *, automatic: bool = False,
                 speculative: bool = False, dropped: Completion | None = None
                 ) -> Completion | None:
        """The model's completion for a snapshot (None when the trigger says not to complete).
        The caller looks up the cache first, and remembers the answer. ``dropped``: the greedy
        answer for this snapshot, which the filters dropped; only the candidates are decoded
        then, over its prompt, in what its decoding left of the time budget."""
        mode = snap.trigger.mode
        if mode is Mode.NONE:
            return None
        if cancel.is_set():  # pre-empted while it waited for the inference thread
            return Completion("", "model", mode, dropped="cancelled")
        settings = self.settings
        if dropped is not None:
            return self._candidates_after(snap, dropped, cancel, automatic=automatic)
        # 4. Prompt.
        t0 = time.perf_counter()
        prompt = build_prompt(snap, self.fmt, self.engine, settings, self.line_tokens,
                              self.anchors, heads=self.heads)
        build_ms = (time.perf_counter() - t0) * 1000
        request = self.request(snap, prompt, automatic=automatic, speculative=speculative)
        window = "full"
        short = None
        if not speculative and settings.completion.first_answer_ms > 0:
            todo, rate = self.engine.estimate(request)  # the full prompt's cost, asked once
            short = self.first_answer_tokens(todo, rate, automatic=automatic)
        if short is not None:
            short_prompt = build_prompt(snap, self.fmt, self.engine, settings, self.line_tokens,
                                        self.short_anchors, budget=short, heads=self.heads)
            short_request = attrs.evolve(request, prompt=short_prompt.text,
                                         parts=short_prompt.parts)
            if self.use_short(todo, rate, short_request, automatic=automatic):
                prompt, request, window = short_prompt, short_request, "short"
            build_ms = (time.perf_counter() - t0) * 1000
        return self._answer(snap, prompt, request, cancel, build_ms, window,
                            automatic=automatic)

    def _candidates_after(self, snap: Snapshot, dropped: Completion, cancel: Cancel, *,
                          automatic: bool) -> Completion:
        """The candidates for a snapshot whose greedy answer the filters dropped: over the
        same prompt (cached), without the greedy answer again, within the time budget its
        decoding left: a request's decoding, candidates included, keeps to one budget."""
        gen, prompt = dropped.generation, dropped.prompt
        budget = self.settings.completion.time_budget_ms / 1000
        left = budget - (gen.decode_ms / 1000 if gen is not None else 0.0)
        if prompt is None or left < MIN_CANDIDATES_S:
            return attrs.evolve(dropped, generation=None)  # nothing more was spent
        request = attrs.evolve(
            self.request(attrs.evolve(snap, candidates=True), prompt, automatic=automatic),
            greedy=False, decode_budget_s=left)
        return self._answer(snap, prompt, request, cancel, 0.0, dropped.window,
                            automatic=automatic)

    def _answer(self, snap: Snapshot, prompt: Prompt, request: GenerationRequest,
                cancel: Cancel, build_ms: float, window: str, *, automatic: bool
                ) -> Completion:
        """Stages 5 and 6: the engine's answer to ``request``, through the filters."""
        mode = snap.trigger.mode
        settings = self.settings
        # 5. Engine.
        gen = self.engine.generate(request, cancel)
        if gen.stop_reason == "cancelled":
            return Completion("", "model", mode, gen, prompt, dropped="cancelled",
                              build_ms=build_ms, window=window)
        # 6. Filters (against the syntax errors the document has now, counted once).
        t1 = time.perf_counter()
        if snap.baseline_errors is None and snap.tree is not None:
            snap = attrs.evolve(snap, baseline_errors=tree_error_count(snap.tree))
        raw = complete_lines(gen)
        if automatic:
            raw = gate_confidence(gen, raw, settings.completion.confidence_threshold)
        text = clean(raw, snap, self.fmt, settings, self.markers)
        dropped = "" if text else ("empty after filters" if raw.strip() else "empty answer")
        more: tuple[str, ...] = ()
        if gen.alternatives:
            ranked = rank_candidates([(text, gen)] + [
                (clean(complete_lines(alt), snap, self.fmt, settings, self.markers), alt)
                for alt in gen.alternatives])
            if ranked:
                text, more, dropped = ranked[0], tuple(ranked[1:MAX_ITEMS]), ""
        return Completion(text, "model", mode, gen, prompt, dropped, build_ms,
                          (time.perf_counter() - t1) * 1000, window, more)

    def answer_ms(self, *, automatic: bool) -> int:
        """How long a request may spend evaluating an uncached prompt before it answers from a
        short window (0: never a short window). As-you-type requests get
        ``completion.firstAnswerMs``; a request the user asked for waits longer, as it does in
        other assistants, for the answer of the full window."""
        ms = self.settings.completion.first_answer_ms
        return ms if automatic else ms * INVOKED_ANSWER_FACTOR

    def first_answer_tokens(self, todo: int, rate: float, *, automatic: bool) -> int | None:
        """The size of a short window, when the full prompt's ``todo`` uncached tokens are too
        slow to evaluate at ``rate`` tokens/s within the request's allowance (`answer_ms`;
        None: evaluate it whole).

        The engine knows what it has cached (its live context and the places it keeps) and how
        fast it evaluates prompts here (``Engine.estimate``), so the window is sized to the
        model and the machine."""
        ms = self.answer_ms(automatic=automatic)
        if ms <= 0 or rate <= 0 or todo <= _keystroke_tokens(rate):
            return None  # cached (typing in place, a return): the full window costs nothing
        allowed = max(FIRST_ANSWER_MIN_TOKENS, int(rate * ms / 1000))
        # A power of two: the measured speed wanders, and a window that changed size at each
        # request would change its head and never be found in the cache again.
        return 1 << (allowed.bit_length() - 1)

    def use_short(self, todo_full: int, rate: float, short: GenerationRequest, *,
                  automatic: bool) -> bool:
        """Answer from the short window rather than the full one (``todo_full`` uncached tokens
        at ``rate``): the full one would take longer than the request's allowance, or,
        as you type, the short one is cached while the full one is still being evaluated in
        idle time (typing on at a place just reached)."""
        todo_short, _ = self.engine.estimate(short)
        if todo_short >= todo_full:
            return False
        if automatic and todo_short <= _keystroke_tokens(rate):
            return True
        return todo_full > rate * self.answer_ms(automatic=automatic) / 1000

    def warm(self, snap: Snapshot, cancel: Cancel) -> None:
        """Evaluate the full prompt at ``snap`` (in idle time, after a first answer from a short
        window), so the next request there only evaluates what changed."""
        if cancel.is_set():
            return
        prompt = build_prompt(snap, self.fmt, self.engine, self.settings, self.line_tokens,
                              self.anchors, heads=self.heads)
        self.engine.generate(GenerationRequest(
            prompt=prompt.text, parts=prompt.parts, max_tokens=0,
            eval_batch=WARM_EVAL_BATCH), cancel)  # no deadline: any request pre-empts it

    def cached(self, snap: Snapshot) -> str | None:
        """An answer from the cache. (An Invoked inline request is computed afresh: the cache
        holds one answer, maybe from a short window, and an empty one must not answer an
        explicit request again and again.)"""
        if not self.settings.completion.cache:
            return None
        return self.cache.lookup(snap.uri, snap.prefix, snap.suffix, snap.trigger.mode.value)

    def request(self, snap: Snapshot, prompt: Prompt, *, automatic: bool = False,
                speculative: bool = False) -> GenerationRequest:
        """What to ask the engine for a snapshot's prompt."""
        settings = self.settings
        mode = snap.trigger.mode
        budget = settings.completion.time_budget_ms / 1000
        max_tokens = settings.completion.max_tokens if mode is Mode.BLOCK else min(
            settings.completion.max_tokens, 48)
        return GenerationRequest(
            prompt=prompt.text, parts=prompt.parts, max_tokens=max_tokens,
            stop=tuple(self.fmt.stop), deadline=time.monotonic() + PROMPT_DEADLINE_S,
            decode_budget_s=budget,
            prefix=snap.prefix, suffix=snap.suffix, snippets=snap.snippets,
            should_stop=line_stop if mode is Mode.LINE else block_stop(
                snap.trigger.line_prefix, settings.completion.max_lines,
                snap.trigger.one_statement),
            keep_cache=not speculative,
            logprobs=automatic and settings.completion.confidence_threshold > 0,
            # As-you-type requests are pre-empted all the time, and a cancel throws away the
            # batch in flight: small batches keep what was evaluated before the next key.
            eval_batch=AUTOMATIC_EVAL_BATCH if automatic else 0,
            # On an empty line the answer is code, not the line break the model may prefer.
            require_text=not (snap.trigger.line_prefix + snap.trigger.line_suffix).strip(),
            draft_tokens=settings.completion.draft_tokens,
            alternatives=INVOKED_ALTERNATIVES if snap.candidates and not speculative else 0,
        )


def _keystroke_tokens(rate: float) -> float:
    """What a keystroke may evaluate at ``rate`` tokens/s without a short window."""
    return max(KEYSTROKE_MIN_TOKENS, rate * KEYSTROKE_S)


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)
