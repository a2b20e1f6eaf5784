"""The prompt for a snapshot: the windows around the cursor, recent places and cross-file
snippets under their token budgets, in the model's format (what `slm-lsp prompt` prints)."""

from __future__ import annotations

from ..context.recent import select
from ..context.window import Anchors, LineTokens, build_window
from ..engine.base import Engine
from ..models.registry import PromptFormat
from ..prompts.fim import Prompt, render
from ..settings import Settings
from .snapshot import Snapshot


def build_prompt(snap: Snapshot, fmt: PromptFormat, engine: Engine, settings: Settings,
                 line_tokens: LineTokens | None = None, anchors: Anchors | None = None,
                 budget: int | None = None) -> Prompt:
    """The exact prompt for a snapshot (what `slm-lsp prompt` prints). With ``anchors``, the
    window's head stays where this document's previous prompt had it, while it fits. With
    ``budget``, a short window of about that many tokens and no cross-file snippets."""
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
    if snap.recent and ctx.recent_tokens > 0:
        # Recent places first: they change only when the user moves, so the head stays put.
        cursor_line = window.first_line + window.before_line.count("\n")
        snippets = select(snap.recent, snap.uri, snap.language_id, window.first_line,
                          cursor_line + window.suffix.count("\n"), ctx.recent_tokens,
                          lambda text: sum(counter(line) for line in text.split("\n"))
                          ) + snippets
    return render(fmt, window, language_id=snap.language_id, path=snap.path, snippets=snippets)

