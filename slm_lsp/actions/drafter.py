"""Asking the model for a draft: one small request per piece of an action.

Runs on the inference thread. FIM models get the text before and after the hole in their own
template; plain models get the text before it and continue. Every call honours the action's
cancel event and its deadline, and never raises for bad output: it returns text, maybe empty.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

from ..engine.base import Cancel, Engine, GenerationRequest
from ..formats import PromptFormat

log = logging.getLogger(__name__)

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
HEAD_CHARS = 2400
TAIL_CHARS = 800


class Cancelled(Exception):
    """The action was cancelled while the model ran."""


class Drafter:
    """Drafts text with one engine under one cancel event and one deadline."""

    def __init__(self, engine: Engine | None, fmt: PromptFormat | None,
                 cancel: Cancel, deadline: float | None = None,
                 max_tokens: int = 256):
        self.engine = engine
        self.fmt = fmt
        self.cancel = cancel
        self.deadline = deadline
        self.max_tokens = max_tokens
        self.calls = 0

    @property
    def available(self) -> bool:
        return self.engine is not None and self.fmt is not None

    @property
    def is_fim(self) -> bool:
        return bool(self.fmt is not None and self.fmt.is_fim)

    def time_left(self) -> float:
        return float("inf") if self.deadline is None else self.deadline - time.monotonic()

    def parts(self, head: str, tail: str | None) -> tuple[tuple[str, bool], ...]:
        """The prompt as (text, is_marker) parts: a FIM layout when the format has one and a
        tail is given, else the head alone."""
        head = head[-HEAD_CHARS:]
        if not self.is_fim or tail is None:
            return ((head, False),)
        fmt = self.fmt
        assert fmt is not None
        values = {"fim_prefix": fmt.fim_prefix, "fim_suffix": fmt.fim_suffix,
                  "fim_middle": fmt.fim_middle, "pre": head, "suf": tail[:TAIL_CHARS]}
        out: list[tuple[str, bool]] = []
        pos = 0
        for m in _PLACEHOLDER.finditer(fmt.template):
            if m.start() > pos:
                out.append((fmt.template[pos:m.start()], False))
            name = m.group(1)
            if values.get(name):
                out.append((values[name], name.startswith("fim_")))
            pos = m.end()
        if pos < len(fmt.template):
            out.append((fmt.template[pos:], False))
        return tuple(out)

    def draft(self, head: str, tail: str | None = None, *, stops: tuple[str, ...] = (),
              max_tokens: int | None = None,
              should_stop: Callable[[str], bool] | None = None) -> str:
        """The model's continuation of ``head`` (filling the hole before ``tail`` for FIM
        models); "" when there is no model, no time left, or the model fails."""
        if self.cancel.is_set():
            raise Cancelled
        if not self.available or self.time_left() <= 0.2:
            return ""
        assert self.engine is not None and self.fmt is not None
        parts = self.parts(head, tail)
        request = GenerationRequest(
            prompt="".join(t for t, _ in parts), parts=parts,
            max_tokens=min(max_tokens or self.max_tokens, self.max_tokens),
            stop=tuple(self.fmt.stop) + stops, deadline=self.deadline,
            should_stop=should_stop, require_text=True, keep_cache=False)
        self.calls += 1
        try:
            gen = self.engine.generate(request, self.cancel)
        except Exception:  # noqa: BLE001 - a failing model means "no draft", not a failure
            log.warning("the model failed on an action draft", exc_info=True)
            return ""
        if gen.stop_reason == "cancelled" or self.cancel.is_set():
            raise Cancelled
        text = gen.text
        for marker in self.fmt.markers:
            if marker and marker in text:
                text = text.split(marker, 1)[0]
        return text
