"""One completion, end to end: trigger -> cache -> context -> prompt -> engine -> filters.

Everything here is plain data in, plain data out; it runs on the inference worker thread with
a snapshot of the document, so the event loop never waits on the model.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict
from typing import TYPE_CHECKING

import attrs

from ..context.recent import Chunk, select
from ..context.window import Anchors, LineTokens, build_window
from ..documents import Document, window_around
from ..engine.base import Engine, Generation, GenerationRequest, Snippet
from ..models.registry import PromptFormat
from ..prompts.fim import Prompt, render
from ..settings import Settings
from . import postprocess as pp
from .cache import CompletionCache
from .trigger import Mode, Trigger, decide

if TYPE_CHECKING:
    from tree_sitter import Tree

log = logging.getLogger(__name__)

# A prompt evaluation that takes longer than this (a huge cold prompt on a busy machine) gives
# up; decoding has its own budget (`completion.timeBudgetMs`) from its first token.
PROMPT_DEADLINE_S = 30.0
AUTOMATIC_EVAL_BATCH = 8
# The smallest window a first answer at a new place is given (see `first_answer_tokens`).
FIRST_ANSWER_MIN_TOKENS = 64
WARM_EVAL_BATCH = 32  # a cancel loses at most this much of a background evaluation
# What a keystroke may evaluate without a short window: the cursor line, a few tokens more.
KEYSTROKE_S = 0.15
KEYSTROKE_MIN_TOKENS = 16
# Invoked requests: the greedy answer and the continuations of the next few first tokens go
# through the filters; up to ``MAX_ITEMS`` different survivors are offered, best first.
INVOKED_ALTERNATIVES = 3
MAX_ITEMS = 3
RECENT_HEADS = 64  # places whose recent-places section is remembered (see `RecentHeads`)
RECENT_HEADS_S = 300.0  # for this long after it was first shown


# A document longer than this (code points) without a tree is seen through a window of
# WINDOW_BEFORE/WINDOW_AFTER code points around the cursor (from/to a line boundary when one
# is near): far more than any prompt budget holds.
LARGE_DOCUMENT = 256 * 1024
WINDOW_BEFORE = 64 * 1024
WINDOW_AFTER = 16 * 1024


@attrs.frozen
class Snapshot:
    """What a request needs from a document, copied on the event loop."""

    uri: str
    version: int
    text: str
    offset: int
    language_id: str
    path: str
    trigger: Trigger
    snippets: tuple[Snippet, ...] = ()
    baseline_errors: int | None = None  # syntax errors in the document as it is
    # The user asked for candidates (an Invoked inline completion): several, computed afresh;
    # otherwise one greedy answer.
    candidates: bool = False
    recent: tuple[Chunk, ...] = ()  # the ring of recently edited places, oldest first
    # The document's parse, a copy of its own (trees are not shared across threads).
    tree: Tree | None = attrs.field(default=None, eq=False)
    base: int = 0  # offset of ``text`` in the document (a large document's window)

    @classmethod
    def of(cls, doc: Document, offset: int, *, invoked: bool, path: str = "",
           snippets: tuple[Snippet, ...] = (), candidates: bool = False,
           recent: tuple[Chunk, ...] = ()) -> Snapshot:
        tree = doc.tree.copy() if doc.tree is not None else None
        errors = pp.tree_error_count(tree) if tree is not None else None
        trigger = decide(doc, offset, invoked=invoked)
        text, base = doc.text, 0
        if tree is None and len(text) > LARGE_DOCUMENT:
            # No tree to keep in step with: the request sees a window around the cursor,
            # so that nothing after this costs time in proportion to the document.
            text, base = window_around(text, offset, WINDOW_BEFORE, WINDOW_AFTER)
        return cls(doc.uri, doc.version, text, offset - base, doc.language_id, path,
                   trigger, snippets, errors, candidates, recent, tree, base)

    @property
    def prefix(self) -> str:
        return self.text[: self.offset]

    @property
    def suffix(self) -> str:
        return self.text[self.offset:]


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


class RecentHeads:
    """The recent places a window showed, by place, so that a return shows them again.

    The recent places open the prompt: when the user moves on, the ring gains the place they
    left, and a prompt built afresh on returning would start differently from the one the
    engine kept for that place, which would then be evaluated again from its first token. A
    return shows the chunks its first visit showed (as they were then: what the user wrote at
    a place since is shown once they come back there, or at other places), for
    ``RECENT_HEADS_S`` after that visit and while their documents are open, and reuses the
    kept cache; after that the window shows the ring as it is."""

    def __init__(self, size: int = RECENT_HEADS, max_age_s: float = RECENT_HEADS_S):
        self.size = size
        self.max_age_s = max_age_s
        # key -> (chunks shown, their documents, when first shown)
        self._heads: OrderedDict[tuple, tuple[tuple[Snippet, ...], set[str], float]] = \
            OrderedDict()

    def get(self, key: tuple, fresh: tuple[Snippet, ...], ring: tuple[Chunk, ...]
            ) -> tuple[Snippet, ...]:
        heads = self._heads
        now = time.monotonic()
        open_docs = {c.uri for c in ring}
        old = heads.get(key)
        if old is None or now - old[2] > self.max_age_s or not old[1] <= open_docs:
            docs = {c.uri for c in ring if any(c.text == s.text for s in fresh)}
            heads[key] = (fresh, docs, now)
            while len(heads) > self.size:
                heads.popitem(last=False)
        heads.move_to_end(key)
        return heads[key][0]


def build_prompt(snap: Snapshot, fmt: PromptFormat, engine: Engine, settings: Settings,
                 line_tokens: LineTokens | None = None, anchors: Anchors | None = None,
                 budget: int | None = None, heads: RecentHeads | None = None) -> Prompt:
    """The exact prompt for a snapshot (what `slm-lsp prompt` prints). With ``anchors``, the
    window's head stays where this document's previous prompt had it, while it fits. With
    ``budget``, a short window of about that many tokens, without cross-file snippets and
    recent places. With ``heads``, a window shows the recent places it showed before."""
    ctx = settings.context
    counter = line_tokens or LineTokens(engine.count_tokens)
    prefix, suffix = ctx.prefix_tokens, ctx.suffix_tokens
    if budget is not None:
        prefix, suffix = min(prefix, budget * 3 // 4), min(suffix, budget // 4)
    window = build_window(snap.text, snap.offset, counter,
                          prefix, suffix if fmt.is_fim else 0,
                          hint=anchors.get(snap.uri) if anchors is not None else None)
    if anchors is not None:
        anchors.set(snap.uri, window.first_line)
    snippets = snap.snippets if ctx.cross_file and budget is None else ()
    # A short window is all the time allows: no recent places either.
    if (snap.recent or heads is not None) and ctx.recent_tokens > 0 and budget is None:
        # Recent places first: they change only when the user moves, so the head stays put.
        cursor_line = window.first_line + window.before_line.count("\n")
        recent = select(snap.recent, snap.uri, snap.language_id, window.first_line,
                        cursor_line + window.suffix.count("\n"), ctx.recent_tokens,
                        lambda text: sum(counter(line) for line in text.split("\n")))
        if heads is not None:
            recent = heads.get((snap.uri, window.first_line), recent, snap.recent)
        snippets = recent + snippets
    return render(fmt, window, language_id=snap.language_id, path=snap.path, snippets=snippets)


def _line_stop(text: str) -> bool:
    """A line is done once a line break follows some text (leading breaks do not count)."""
    return "\n" in text.lstrip("\n")


def _block_stop(line_prefix: str, max_lines: int):
    """Stop once a finished line has left the block (the filter would cut it anyway)."""

    def stop(text: str) -> bool:
        if "\n" not in text:
            return False
        done = text[: text.rfind("\n")]
        if done.count("\n") + 1 >= max_lines:
            return True
        return len(pp.cut_block(done, line_prefix, max_lines).rstrip()) < len(done.rstrip())

    return stop


def complete_lines(gen: Generation) -> str:
    """The generated text; cut off by the time or token limit, only its complete lines."""
    raw = gen.text
    if gen.stop_reason in ("time", "length") and "\n" in raw:
        raw = raw[: raw.rfind("\n")]
    return raw


def kept_logprob(gen: Generation, text: str) -> float:
    """The mean log-probability of the tokens that wrote ``text`` (the head of the generated
    text the filters kept): the tokens up to where their text covers it."""
    need = len(text.strip())
    if not need:
        return float("-inf")
    probs: list[float] = []
    seen = 0
    for piece, lp in zip(gen.pieces, gen.logprobs, strict=False):
        seen += len(piece if probs else piece.lstrip())  # the filters drop leading space
        probs.append(lp)
        if seen >= need:
            break
    return sum(probs) / len(probs) if probs else float("-inf")


def rank_candidates(candidates: list[tuple[str, Generation]]) -> list[str]:
    """Filtered candidates: empty ones and duplicates dropped; the first (the greedy answer)
    stays first when it survived the filters, the others follow by the mean log-probability
    of their kept tokens. (Measured on the dev split: ranking the greedy answer among the
    others by log-probability lost edit similarity on Gemma 3 270M and gained nothing on
    SmolLM2; see benchmarks/confidence.py.)"""
    scored: dict[str, tuple[float, str]] = {}
    for i, (text, gen) in enumerate(candidates):
        key = "\n".join(line.rstrip() for line in text.strip("\n").split("\n")).strip()
        if not key:
            continue
        score = float("inf") if i == 0 else kept_logprob(gen, text)
        if key not in scored or score > scored[key][0]:
            scored[key] = (score, text)
    return [text for _, text in sorted(scored.values(), key=lambda st: -st[0])]


def gate_confidence(gen: Generation, text: str, threshold: float) -> str:
    """Keep the head of ``text`` whose lines the model was confident about.

    A line is kept while the geometric mean probability of its tokens is at least
    ``threshold``; 0 turns gating off.
    """
    if threshold <= 0 or not gen.pieces:
        return text
    lines: list[list[float]] = [[]]
    for piece, lp in zip(gen.pieces, gen.logprobs, strict=False):
        parts = piece.split("\n")
        lines[-1].append(lp)
        for _ in parts[1:]:
            lines.append([])
    kept = 0
    for probs in lines:
        if probs and math.exp(sum(probs) / len(probs)) < threshold:
            break
        kept += 1
    return "\n".join(text.split("\n")[:kept])


def clean(raw: str, snap: Snapshot, fmt: PromptFormat, settings: Settings,
          markers: tuple[str, ...]) -> str:
    """All filters, in order, on the raw model text."""
    trig = snap.trigger
    unit = pp.detect_indent_unit(snap.text[:20000])
    text = pp.cut_markers(raw, markers + tuple(fmt.stop))
    text = pp.realign(text, trig.line_prefix, unit)
    if trig.mode is Mode.LINE:
        text = pp.first_line(text, trig.line_suffix)
        text = pp.cut_at_outer_closer(text, trig.line_suffix)
    else:
        text = pp.cut_block(text, trig.line_prefix, settings.completion.max_lines)
        text = pp.cut_repetition(text)
        if snap.language_id == "python":
            text = pp.drop_dangling_header(pp.cut_bad_dedent(text, trig.line_prefix))
    next_lines = snap.suffix.split("\n")[1:6]
    text = pp.drop_suffix_overlap(text, trig.line_suffix, next_lines)
    text = pp.balance_closers(text, trig.line_suffix)
    text = pp.normalize_indent(text, unit)
    text = pp.trim_trailing_space(text)
    if trig.mode is Mode.BLOCK and not pp.is_empty(text):
        text = pp.cut_at_construct_end(text, snap.prefix, snap.suffix, snap.language_id,
                                       snap.tree)
        if pp.only_comments(text, snap.language_id):
            return ""  # a block of comments writes no code (and fills no empty body)
    if pp.is_empty(text):
        return ""
    return pp.keep_parsing(text, snap.prefix, snap.suffix, snap.language_id,
                           snap.baseline_errors, snap.tree)


class CompletionService:
    """Turns snapshots into completions with one engine."""

    def __init__(self, engine: Engine, fmt: PromptFormat, settings: Settings):
        self.engine = engine
        self.fmt = fmt
        self.settings = settings
        self.cache = CompletionCache()
        self.markers = tuple(fmt.markers)
        self.line_tokens = LineTokens(engine.count_tokens)
        self.anchors = Anchors()
        self.short_anchors = Anchors()  # the heads of first answers' short windows
        self.heads = RecentHeads()

    def first_answer_tokens(self, request: GenerationRequest) -> int | None:
        """The size of a short window for ``request``, when its full prompt is not cached and
        is too slow to evaluate at a keystroke (None: evaluate it whole).

        The engine knows what it has cached (its live context and the places it keeps) and how
        fast it evaluates prompts here, so the window is sized to the model and the machine."""
        ms = self.settings.completion.first_answer_ms
        estimate = getattr(self.engine, "estimate", None)
        if ms <= 0 or estimate is None:
            return None
        todo, rate = estimate(request)
        if rate <= 0 or todo <= max(KEYSTROKE_MIN_TOKENS, rate * KEYSTROKE_S):
            return None  # cached (typing in place, a return): the full window costs nothing
        allowed = max(FIRST_ANSWER_MIN_TOKENS, int(rate * ms / 1000))
        # A power of two: the measured speed wanders, and a window that changed size at each
        # request would change its head and never be found in the cache again.
        return 1 << (allowed.bit_length() - 1)

    def use_short(self, full: GenerationRequest, short: GenerationRequest) -> bool:
        """Answer from the short window rather than the full one: the short one is cached while
        the full one is still being evaluated in idle time (typing on at a place just
        reached), or the full one would take longer than ``completion.firstAnswerMs``."""
        todo_full, rate = self.engine.estimate(full)
        todo_short, _ = self.engine.estimate(short)
        if todo_short >= todo_full:
            return False
        if todo_short <= max(KEYSTROKE_MIN_TOKENS, rate * KEYSTROKE_S):
            return True
        return todo_full > rate * self.settings.completion.first_answer_ms / 1000

    def warm(self, snap: Snapshot, cancel: threading.Event) -> None:
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
        # The user asked: candidates are computed afresh (the cache holds one answer, and an
        # empty one must not answer an explicit request again and again).
        if not self.settings.completion.cache or snap.candidates:
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
            should_stop=_line_stop if mode is Mode.LINE else _block_stop(
                snap.trigger.line_prefix, settings.completion.max_lines),
            keep_cache=not speculative,
            logprobs=automatic and settings.completion.confidence_threshold > 0,
            # As-you-type requests are pre-empted all the time, and a cancel throws away the
            # batch in flight: small batches keep what was evaluated before the next key.
            eval_batch=AUTOMATIC_EVAL_BATCH if automatic else 0,
            require_text=mode is Mode.BLOCK and not snap.trigger.line_prefix.strip(),
            draft_tokens=settings.completion.draft_tokens,
            alternatives=INVOKED_ALTERNATIVES if snap.candidates and not automatic and
            not speculative else 0,
        )

    def complete(self, snap: Snapshot, cancel: threading.Event, *, automatic: bool = False,
                 speculative: bool = False) -> Completion | None:
        """The completion for a snapshot (None when the trigger says not to complete)."""
        mode = snap.trigger.mode
        if mode is Mode.NONE:
            return None
        if cancel.is_set():  # pre-empted while it waited for the inference thread
            return Completion("", "model", mode, dropped="cancelled")
        hit = None if speculative else self.cached(snap)
        if hit is not None:
            return Completion(hit, "cache", mode)
        settings = self.settings
        t0 = time.perf_counter()
        prompt = build_prompt(snap, self.fmt, self.engine, settings, self.line_tokens,
                              self.anchors, heads=self.heads)
        build_ms = (time.perf_counter() - t0) * 1000
        request = self.request(snap, prompt, automatic=automatic, speculative=speculative)
        window = "full"
        short = None if speculative else self.first_answer_tokens(request)
        if short is not None:
            short_prompt = build_prompt(snap, self.fmt, self.engine, settings, self.line_tokens,
                                        self.short_anchors, budget=short, heads=self.heads)
            short_request = attrs.evolve(request, prompt=short_prompt.text,
                                         parts=short_prompt.parts)
            if self.use_short(request, short_request):
                prompt, request, window = short_prompt, short_request, "short"
            build_ms = (time.perf_counter() - t0) * 1000
        gen = self.engine.generate(request, cancel)
        if gen.stop_reason == "cancelled":
            return Completion("", "model", mode, gen, prompt, dropped="cancelled",
                              build_ms=build_ms, window=window)
        t1 = time.perf_counter()
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
        if settings.completion.cache:
            self.cache.remember(snap.uri, snap.prefix, snap.suffix, mode.value, text,
                                shown=not speculative)
        return Completion(text, "model", mode, gen, prompt, dropped, build_ms,
                          (time.perf_counter() - t1) * 1000, window, more)
