"""The plain data of next edits: what the user changed, and what to propose next."""

from __future__ import annotations

import attrs


@attrs.frozen
class Edit:
    """One change the user made to a document: at character offset ``start`` of the text
    before the change (version ``version - 1`` or earlier), ``old`` became ``new``."""

    uri: str
    version: int  # the document's version after the change
    start: int
    old: str
    new: str
    at: float = 0.0  # time.monotonic() when the server heard of it

    @property
    def end(self) -> int:
        """Where the change ends in the text after it."""
        return self.start + len(self.new)

    def applied(self, text: str) -> str:
        """``text`` (the text before the change) with the change made."""
        return text[:self.start] + self.new + text[self.start + len(self.old):]


@attrs.frozen
class Proposal:
    """A next edit: in document ``uri`` at ``version``, the characters ``[start, end)`` become
    ``text``. ``label`` is what the user reads ("Rename `count` to `total`"); ``source`` is
    "syntax" (from the syntax tree) or "model"; ``reason`` is "rename", "signature" or "model"."""

    uri: str
    version: int
    start: int
    end: int
    text: str
    label: str
    source: str
    reason: str


def diff_edit(uri: str, version: int, before: str, after: str, at: float = 0.0) -> Edit | None:
    """The one change that turns ``before`` into ``after`` (their common prefix and suffix
    kept), or None when they are the same. Slices are compared, not characters: a keystroke
    in a large file costs microseconds."""
    if before == after:
        return None
    a = common_prefix(before, after)
    b = common_suffix(before, after, min(len(before), len(after)) - a)
    return Edit(uri, version, a, before[a:len(before) - b], after[a:len(after) - b], at)


def common_prefix(a: str, b: str) -> int:
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


def common_suffix(a: str, b: str, limit: int) -> int:
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
