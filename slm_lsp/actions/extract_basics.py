"""What extract function and extract variable share: the block kinds statements live in, the
refusal, the reason a selection would leave its function, and byte-level line helpers."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .flow import Flow

class Refused(ValueError):
    """The selection cannot be extracted safely; the message says why, for the user."""


def line_start(data: bytes, byte: int) -> int:
    return data.rfind(b"\n", 0, byte) + 1


def indent_at(data: bytes, byte: int) -> str:
    start = line_start(data, byte)
    line = data[start:byte]
    return line[: len(line) - len(line.lstrip(b" \t"))].decode()


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
