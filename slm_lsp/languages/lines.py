"""Where a line starts and how it is indented: in a document's bytes (the tree's offsets, as
extract function and extract variable use them) and in its text (code points, as the doc
comment conventions use them)."""

from __future__ import annotations


def line_start(data: bytes, byte: int) -> int:
    """The offset of the first byte of the line that holds ``byte``."""
    return data.rfind(b"\n", 0, byte) + 1


def indent_at(data: bytes, byte: int) -> str:
    """The white space between the start of ``byte``'s line and ``byte``, up to its first
    other character."""
    start = line_start(data, byte)
    line = data[start:byte]
    return line[: len(line) - len(line.lstrip(b" \t"))].decode()


def text_line_start(text: str, offset: int) -> int:
    """The offset of the first character of the line that holds ``offset``."""
    return text.rfind("\n", 0, offset) + 1


def text_indent(text: str, offset: int) -> str:
    """The indentation of the line that holds ``offset``."""
    start = text_line_start(text, offset)
    line = text[start:]
    return line[: len(line) - len(line.lstrip(" \t"))]
