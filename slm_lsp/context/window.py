"""Prefix and suffix windows around the cursor, under budgets counted in the model's tokens.

Windows are cut at line boundaries. The prefix window's first line moves in steps of
``ANCHOR_LINES`` (fewer in a window too short to lose that many lines), not on every keystroke,
and stays where the previous window of the document put it while that still fits
(``Anchors``), so the head of the prompt stays byte-identical while the user types and the
engine can reuse its KV cache.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable

import attrs

ANCHOR_LINES = 16
UNCACHED_LINE = 4096


def anchor_step(lines: int) -> int:
    """The step in which the head of a window of ``lines`` whole lines moves: ``ANCHOR_LINES``,
    or, in a shorter window, the largest power of two at most half of it. Snapping the head
    forward to a step drops up to a step less one line, so a short window (a first answer's)
    never loses most of its lines to the snap."""
    step = 1
    while step * 2 <= min(ANCHOR_LINES, lines // 2):
        step *= 2
    return step


def _tail_within(text: str, count_tokens: Callable[[str], int], budget: int) -> tuple[str, int]:
    """The longest tail of ``text`` (one long line) within ``budget`` tokens, and its count."""
    cut = min(len(text), max(budget, 1) * 8)  # no token is shorter than 1/8 of a char budget
    while True:
        tail = text[len(text) - cut:]
        used = count_tokens(tail)
        if used <= budget or cut == 0:
            return tail, used
        cut = min(cut - 1, int(cut * budget / used * 0.9))


def _head_within(text: str, count_tokens: Callable[[str], int], budget: int) -> tuple[str, int]:
    """The longest head of ``text`` within ``budget`` tokens, and its count."""
    cut = min(len(text), max(budget, 1) * 8)
    while True:
        head = text[:cut]
        used = count_tokens(head)
        if used <= budget or cut == 0:
            return head, used
        cut = min(cut - 1, int(cut * budget / used * 0.9))


@attrs.frozen
class Window:
    """The code the model sees from the current file."""

    before_line: str  # whole lines before the cursor's line (the stable head)
    line_prefix: str  # the cursor's line up to the cursor
    suffix: str  # from the cursor to the end of the suffix window
    first_line: int  # 0-based line where the prefix window starts
    prefix_tokens: int
    suffix_tokens: int

    @property
    def prefix(self) -> str:
        return self.before_line + self.line_prefix


class LineTokens:
    """Token counts of single lines, cached: a keystroke changes one line, so a window costs
    dictionary look-ups plus one tokenization. The sum over lines is the budget measure (BPE
    merges across a line break are rare enough for budgeting)."""

    def __init__(self, count_tokens: Callable[[str], int], capacity: int = 50_000):
        self._count = count_tokens
        self._cache: dict[str, int] = {}
        self._capacity = capacity

    def __call__(self, line: str) -> int:
        if len(line) > UNCACHED_LINE:
            return self._count(line)  # a minified line would pin megabytes in the cache
        n = self._cache.get(line)
        if n is None:
            if len(self._cache) >= self._capacity:
                self._cache.clear()
            n = self._cache[line] = self._count(line) if line else 0
        return n


class Anchors:
    """The first line of each document's last prefix window (the most recent documents)."""

    def __init__(self, capacity: int = 64):
        self._first: dict[str, int] = {}
        self._capacity = capacity

    def get(self, uri: str) -> int | None:
        return self._first.get(uri)

    def set(self, uri: str, first_line: int) -> None:
        self._first.pop(uri, None)
        if len(self._first) >= self._capacity:
            del self._first[next(iter(self._first))]
        self._first[uri] = first_line


def _line_starts(text: str) -> list[int]:
    starts = [0]
    pos = text.find("\n")
    while pos != -1:
        starts.append(pos + 1)
        pos = text.find("\n", pos + 1)
    return starts


def build_window(
    text: str,
    offset: int,
    count_tokens: Callable[[str], int],
    prefix_budget: int,
    suffix_budget: int,
    hint: int | None = None,
) -> Window:
    """Cut the prefix and suffix windows for a cursor at ``offset`` in ``text``.

    ``count_tokens`` counts one line (pass a ``LineTokens`` to reuse counts across requests).
    ``hint`` is the first line of the previous window of this document: it is kept while the
    window from it fits the budget and wastes less than an anchor step of it. Without it, the
    head would flip between two anchors as the cursor's line gains and loses tokens (BPE
    merges), and each flip costs a whole prompt evaluation.
    """
    starts = _line_starts(text)
    cur = bisect.bisect_right(starts, offset) - 1
    line_start = starts[cur]
    line_prefix = text[line_start:offset]
    end_of = lambda i: starts[i + 1] if i + 1 < len(starts) else len(text)  # noqa: E731

    # Prefix: whole lines back from the cursor's line while they fit, then the first line
    # snapped forward to an anchor so the head moves in steps.
    if len(line_prefix) > UNCACHED_LINE:  # a minified line: only its tail fits anyway
        line_prefix, used = _tail_within(line_prefix, count_tokens, prefix_budget)
    else:
        used = count_tokens(line_prefix)
    first = cur
    while first > 0:
        cost = count_tokens(text[starts[first - 1]:starts[first]])
        if used + cost > prefix_budget:
            break
        used += cost
        first -= 1
    if first > 0:
        step = anchor_step(cur - first)
        anchored = -(-first // step) * step
        if hint is not None and first <= hint <= min(cur, anchored + step):
            anchored = hint
        if anchored <= cur:
            for i in range(first, anchored):
                used -= count_tokens(text[starts[i]:starts[i + 1]])
            first = anchored
    before_line = text[starts[first]:line_start]

    # Suffix: the rest of the cursor's line, then whole lines while they fit.
    suffix_end = end_of(cur)
    suffix = text[offset:suffix_end]
    if suffix_budget <= 0:
        return Window(before_line, line_prefix, "", first, used, 0)
    if len(suffix) > UNCACHED_LINE:
        suffix, s_used = _head_within(suffix, count_tokens, suffix_budget)
        return Window(before_line, line_prefix, suffix, first, used, s_used)
    s_used = count_tokens(suffix)
    nxt = cur + 1
    while nxt < len(starts) and starts[nxt] < len(text):
        cost = count_tokens(text[starts[nxt]:end_of(nxt)])
        if s_used + cost > suffix_budget:
            break
        s_used += cost
        nxt += 1
    suffix = text[offset:end_of(nxt - 1)] if nxt - 1 > cur else suffix
    return Window(before_line, line_prefix, suffix, first, used, s_used)
