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

from .edits import Edit, common_prefix, diff_edit

KEEP = 10  # edits kept per workspace
MAX_WORD_GAP = 32
_WORD = re.compile(r"^\w+$")
# Changes further apart than this are two edits even when they touch.
BURST_GAP_S = 30.0


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
    a = common_prefix(old, new)
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
        """Record the document's new text and the edit it made (merged with the last one when
        they are one burst); returns this change alone (the common prefix and suffix of the
        texts before and after it kept), None when the text did not change or was unknown."""
        before = self._texts.get(uri)
        self._texts[uri] = text
        if before is None:
            return None
        change = diff_edit(uri, version, before, text, time.monotonic() if at is None else at)
        if change is None:
            return None
        last = self._edits[-1] if self._edits else None
        edit = slid(last, change, before) if last is not None and last.uri == uri else change
        if last is not None and touches(last, edit, before):
            self._edits.pop()
            merged = merge(last, edit, before, text)
            if merged is not None:
                self._edits.append(merged)
        else:
            self._edits.append(edit)
        return change

    def closed(self, uri: str) -> None:
        self._texts.pop(uri, None)

    def recent(self) -> list[Edit]:
        """The workspace's last edits, oldest first (bursts merged)."""
        return list(self._edits)

    def last(self) -> Edit | None:
        return self._edits[-1] if self._edits else None
