"""The prompt for a snapshot: the windows around the cursor, recent places and cross-file
snippets under their token budgets, in the model's format (what `slm-lsp prompt` prints)."""

from __future__ import annotations

import time
from collections import OrderedDict

from ..context.recent import Chunk, select
from ..context.window import Anchors, LineTokens, build_window
from ..engine.base import Engine, Snippet
from ..formats import PromptFormat
from ..prompts.fim import Prompt, render
from ..settings import Settings
from .snapshot import Snapshot

RECENT_HEADS = 64  # places whose recent-places section is remembered (see `RecentHeads`)
RECENT_HEADS_S = 300.0  # for this long after it was first shown


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
    if not fmt.is_fim:
        # A model without FIM sees no suffix: the prefix is all it has, and it gets the
        # suffix's tokens too (the prompt costs what a FIM prompt of these budgets costs).
        prefix, suffix = prefix + suffix, 0
    window = build_window(snap.text, snap.offset, counter, prefix, suffix,
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

