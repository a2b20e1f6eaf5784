"""What extract function and extract variable share: the refusal, the selection without its
white space, and the reason a selection would leave its function. (Their byte-level line
helpers are ``languages/lines.py``: the writers use them too.)"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .flow import Flow


class Refused(ValueError):
    """The selection cannot be extracted safely; the message says why, for the user."""


def trim(data: bytes, a: int, b: int) -> tuple[int, int]:
    """The selection without the white space around it."""
    while a < b and data[a:a + 1] in (b" ", b"\t", b"\n", b"\r"):
        a += 1
    while b > a and data[b - 1:b] in (b" ", b"\t", b"\n", b"\r"):
        b -= 1
    return a, b


def escape_reason(f: Flow) -> str:
    words = {"return": "`return`", "yield": "`yield`", "break": "`break`",
             "continue": "`continue`", "?": "the `?` operator", "goto": "`goto`",
             "fallthrough": "`fallthrough`"}
    what = ", ".join(words.get(e, e) for e in f.escapes)
    return f"the selection contains {what}, which would leave the new function instead"
