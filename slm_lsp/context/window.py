"""Prefix and suffix windows around the cursor, under budgets counted in the model's tokens.

Windows are cut at line boundaries. The prefix window's first line moves in steps of
``ANCHOR_LINES``, not on every keystroke, so the head of the prompt stays byte-identical while
the user types and the engine can reuse its KV cache.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

ANCHOR_LINES = 16


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
) -> Window:
    """Cut the prefix and suffix windows for a cursor at ``offset`` in ``text``."""
    starts = _line_starts(text)
    # The cursor's line.
    lo, hi = 0, len(starts) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if starts[mid] <= offset:
            lo = mid
        else:
            hi = mid - 1
    cur = lo
    line_start = starts[cur]
    line_prefix = text[line_start:offset]

    # Prefix: the earliest line whose text to the cursor fits the budget (binary search over
    # lines: token counts grow with the span), then snapped forward to an anchor.
    fits = lambda first: count_tokens(text[starts[first]:offset]) <= prefix_budget  # noqa: E731
    if fits(0):
        first = 0
    else:
        lo, hi = 0, cur
        while lo < hi:
            mid = (lo + hi) // 2
            if fits(mid):
                hi = mid
            else:
                lo = mid + 1
        first = lo
        anchored = -(-first // ANCHOR_LINES) * ANCHOR_LINES
        if anchored <= cur:
            first = anchored
    before_line = text[starts[first]:line_start]
    prefix_tokens = count_tokens(before_line + line_prefix)

    # Suffix: the rest of the cursor's line, then whole lines while they fit.
    suffix_end = starts[cur + 1] if cur + 1 < len(starts) else len(text)
    suffix = text[offset:suffix_end]
    used = count_tokens(suffix) if suffix else 0
    if suffix_budget <= 0:
        suffix, used = "", 0
    else:
        nxt = cur + 1
        step = 8
        while nxt < len(starts) and used < suffix_budget:
            end_line = min(nxt + step, len(starts))
            end = starts[end_line] if end_line < len(starts) else len(text)
            chunk = text[suffix_end:end]
            cost = count_tokens(chunk)
            if used + cost > suffix_budget:
                if step == 1:
                    break
                step = max(1, step // 2)
                continue
            suffix += chunk
            used += cost
            suffix_end = end
            nxt = end_line
    return Window(before_line, line_prefix, suffix, first, prefix_tokens, used)
