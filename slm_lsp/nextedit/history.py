"""What the user changed: each document's last text, and the workspace's last edits.

Each change of a document becomes an ``Edit`` (the common prefix and suffix of the text before
and after it kept). Consecutive changes of one burst (typing a new name letter by letter: each
change touches the region the previous ones changed) are merged into one edit, so a rename
typed letter by letter reads as one ``count`` -> ``total`` edit.
"""

from __future__ import annotations

import re
import time
from collections import deque

import attrs

from .edits import Edit

KEEP = 10  # edits kept per workspace
MAX_WORD_GAP = 32
_WORD = re.compile(r"^\w+$")
# Changes further apart than this are two edits even when they touch.
BURST_GAP_S = 30.0


def _common_prefix(a: str, b: str) -> int:
    """The length of the common prefix of ``a`` and ``b`` (slices compared at C speed, the
    length found by bisection)."""
    lo, hi = 0, min(len(a), len(b))
    if a[:hi] == b[:hi]:
        return hi
    while lo < hi:  # a[:lo] == b[:lo] and a[:hi] != b[:hi]
        mid = (lo + hi + 1) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _common_suffix(a: str, b: str, limit: int) -> int:
    """The length (at most ``limit``) of the common suffix of ``a`` and ``b``."""
    lo, hi = 0, limit
    la, lb = len(a), len(b)
    if a[la - hi:] == b[lb - hi:] or hi == 0:
        return hi
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[la - mid:la - lo] == b[lb - mid:lb - lo]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def fast_diff(uri: str, version: int, before: str, after: str, at: float = 0.0) -> Edit | None:
    """``edits.diff_edit``'s answer (the one change that turns ``before`` into ``after``),
    computed with slice comparisons: a keystroke in a large file costs microseconds."""
    if before == after:
        return None
    a = _common_prefix(before, after)
    b = _common_suffix(before, after, min(len(before), len(after)) - a)
    return Edit(uri, version, a, before[a:len(before) - b], after[a:len(after) - b], at)


def merge(first: Edit, second: Edit, between: str, after: str) -> Edit | None:
    """``first`` then ``second`` (which touches the region ``first`` changed) as one edit of
    the text before ``first``; ``between`` is the text after ``first``, ``after`` the text after
    ``second``. None when together they change nothing (typed, then deleted).

    The common prefix is trimmed, not the common suffix: the end of what was typed stays the
    end of the edit, where the next letter goes (`name` typed over with `attr_name in`: the
    `in` is typed, not the end of the `plugin` it replaced)."""
    lo = min(first.start, second.start)
    hi = max(first.end, second.start + len(second.old))  # in ``between``
    old = between[lo:first.start] + first.old + between[first.end:hi]
    new = after[lo:hi + len(second.new) - len(second.old)]
    if old == new:
        return None
    a = _common_prefix(old, new)
    return Edit(second.uri, second.version, lo + a, old[a:], new[a:], second.at)


def slid(first: Edit, second: Edit, between: str) -> Edit:
    """``second`` moved back toward ``first``'s end when it is an insertion or a deletion the
    diff could have placed earlier: typing `]` before a `]` reads as an insertion after it."""
    change = second.new or second.old
    if (second.new and second.old) or not change:
        return second
    start = second.start
    while start > first.end and between[start - 1] == change[-1]:
        change = between[start - 1] + change[:-1]
        start -= 1
    if start != first.end:
        return second
    return attrs.evolve(second, start=start, new=change if second.new else "",
                        old=change if second.old else "")


def touches(first: Edit, second: Edit, between: str) -> bool:
    """``second`` (an edit of ``between``, the text after ``first``) overlaps or borders what
    ``first`` changed, or only part of a word lies between them (replacing `count` by `t`
    leaves `t`, so the change was `coun` deleted, and the next letter goes after the `t`)."""
    if first.uri != second.uri or second.at - first.at > BURST_GAP_S:
        return False
    if second.start > first.end:
        gap = between[first.end:second.start]
    elif second.start + len(second.old) < first.start:
        gap = between[second.start + len(second.old):first.start]
    else:
        return True
    return len(gap) <= MAX_WORD_GAP and _WORD.match(gap) is not None


class EditHistory:
    """The last text of every open document and the last ``keep`` edits of the workspace."""

    def __init__(self, keep: int = KEEP):
        self.keep = keep
        self._texts: dict[str, str] = {}
        self._edits: deque[Edit] = deque(maxlen=keep)

    def opened(self, uri: str, text: str) -> None:
        self._texts[uri] = text

    def changed(self, uri: str, version: int, text: str, at: float | None = None) -> Edit | None:
        """Record the document's new text; returns the edit it made (merged with the last
        one when they are one burst), None when the text did not change."""
        before = self._texts.get(uri)
        self._texts[uri] = text
        if before is None:
            return None
        edit = fast_diff(uri, version, before, text, time.monotonic() if at is None else at)
        if edit is None:
            return None
        last = self._edits[-1] if self._edits else None
        if last is not None and last.uri == edit.uri:
            edit = slid(last, edit, before)
        if last is not None and touches(last, edit, before):
            self._edits.pop()
            merged = merge(last, edit, before, text)
            if merged is not None:
                self._edits.append(merged)
            return merged
        self._edits.append(edit)
        return edit

    def closed(self, uri: str) -> None:
        self._texts.pop(uri, None)

    def text(self, uri: str) -> str | None:
        return self._texts.get(uri)

    def recent(self) -> list[Edit]:
        """The workspace's last edits, oldest first (bursts merged)."""
        return list(self._edits)

    def last(self) -> Edit | None:
        return self._edits[-1] if self._edits else None
