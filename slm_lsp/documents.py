"""Open documents: text, version, and a tree-sitter tree kept up to date incrementally.

Positions arrive in the client's negotiated encoding (UTF-16 by default, UTF-8 or UTF-32 when
negotiated). They are converted once, here, to code-point offsets into ``Document.text``; the
tree works in UTF-8 bytes. Out-of-range positions are clamped, never an error: a line past the
end is the end of the document, a column past the end of its line is the end of that line, and
a UTF-16 column inside a surrogate pair is the start of that character.
"""

from __future__ import annotations

import bisect
import logging
import re
from typing import TYPE_CHECKING, Literal

import attrs

from .languages import new_parser

if TYPE_CHECKING:
    from tree_sitter import Node, Point, Tree

log = logging.getLogger(__name__)

Encoding = Literal["utf-8", "utf-16", "utf-32"]

# Documents larger than this are kept as text only: parsing them on each keystroke costs more
# than the tree is worth for completion.
MAX_PARSE_BYTES = 1024 * 1024

_NEWLINE = re.compile(r"\r\n|\r|\n")
_LF = re.compile("\n")
# The trigger looks at this much of the cursor's line on each side (a minified file can be one
# line of megabytes).
LINE_CONTEXT = 4096


def utf8_offset(text: str, offset: int) -> int:
    """The UTF-8 byte offset of a code-point offset in ``text`` (tree-sitter counts bytes)."""
    return len(text[:offset].encode("utf-8", "surrogatepass"))


def char_offset(data: bytes, byte: int) -> int:
    """The code-point offset of a UTF-8 byte offset in ``data``."""
    return len(data[:byte].decode("utf-8", "surrogatepass"))


def units_to_chars(line: str, units: int, encoding: Encoding) -> int:
    """Code points in ``line`` covered by ``units`` client units (clamped, rounded down).

    Each code point is at least one unit, so only the first ``units`` code points are looked
    at, and they are measured by the codec (C speed), not one by one."""
    if units <= 0:
        return 0
    head = line[:units]
    if encoding == "utf-32" or head.isascii():
        return len(head)
    if encoding == "utf-16":
        data = head.encode("utf-16-le", "surrogatepass")[: 2 * units]
        return len(data.decode("utf-16-le", "ignore"))
    data = head.encode("utf-8", "surrogatepass")[:units]
    return len(data.decode("utf-8", "ignore"))


def chars_to_units(line: str, chars: int, encoding: Encoding) -> int:
    """Client units of the first ``chars`` code points of ``line``."""
    head = line[:chars]
    if encoding == "utf-32" or head.isascii():
        return len(head)
    if encoding == "utf-16":
        return len(head.encode("utf-16-le", "surrogatepass")) // 2
    return len(head.encode("utf-8", "surrogatepass"))


def window_around(text: str, offset: int, before: int, after: int) -> tuple[str, int]:
    """About ``before`` code points of ``text`` before ``offset`` and ``after`` after it, cut
    at line boundaries when there are some in range; returns the window and where it starts."""
    if len(text) <= before + after:
        return text, 0
    lo = max(0, offset - before)
    if lo:
        nl = text.find("\n", lo, offset)
        lo = nl + 1 if nl != -1 else lo
    hi = min(len(text), offset + after)
    if hi < len(text):
        nl = text.rfind("\n", offset, hi)
        hi = nl + 1 if nl != -1 else hi
    return text[lo:hi], lo


@attrs.define
class Document:
    """One open document. Offsets are code points into ``text``."""

    uri: str
    text: str
    version: int = 0
    language_id: str = "plaintext"
    encoding: Encoding = "utf-16"
    tree: Tree | None = None
    _line_starts: list[int] = attrs.Factory(list)
    _parser: object | None = None

    def __attrs_post_init__(self) -> None:
        self._parser = new_parser(self.language_id)
        self._reindex()
        self._parse(old_tree=None)

    # -- positions -------------------------------------------------------------------------
    def _reindex(self) -> None:
        starts = [0]
        if "\r" in self.text:
            starts.extend(m.end() for m in _NEWLINE.finditer(self.text))
        else:
            starts.extend(m.end() for m in _LF.finditer(self.text))
        self._line_starts = starts

    def _splice_lines(self, old: str, a: int, b: int, new: str) -> None:
        """Update the line starts for ``old[a:b]`` replaced by ``new`` (the text already is the
        new one): the lines before stay, the new text's are added, the rest shift."""
        if "\r" in new or "\r" in old[max(a - 1, 0):b + 1]:
            self._reindex()  # a CR next to the edit can join or split a CRLF
            return
        starts = self._line_starts
        lo = bisect.bisect_right(starts, a)
        hi = bisect.bisect_right(starts, b)
        delta = len(new) - (b - a)
        tail = starts[hi:]
        self._line_starts = starts[:lo] + [a + m.end() for m in _LF.finditer(new)] + (
            [p + delta for p in tail] if delta else tail)

    @property
    def line_count(self) -> int:
        return len(self._line_starts)

    def line_text(self, line: int) -> str:
        """The text of ``line`` without its line ending."""
        start = self._line_starts[line]
        end = self._line_starts[line + 1] if line + 1 < len(self._line_starts) else len(self.text)
        return self.text[start:end].rstrip("\r\n")

    def _line_end(self, line: int) -> int:
        """Offset of the end of ``line``'s text (before its line ending)."""
        starts = self._line_starts
        end = starts[line + 1] if line + 1 < len(starts) else len(self.text)
        while end > starts[line] and self.text[end - 1] in "\r\n":
            end -= 1
        return end

    def offset_at(self, line: int, character: int) -> int:
        """Code-point offset of a client position (clamped into the document)."""
        if line < 0:
            return 0
        if line >= len(self._line_starts):
            return len(self.text)
        start = self._line_starts[line]
        if character <= 0:
            return start
        end = min(self._line_end(line), start + character)  # a code point is >= one unit
        return start + units_to_chars(self.text[start:end], character, self.encoding)

    def position_at(self, offset: int) -> tuple[int, int]:
        """Client position (line, units) of a code-point offset."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self._line_starts, offset) - 1
        start = self._line_starts[line]
        end = min(offset, self._line_end(line))
        return line, chars_to_units(self.text[start:end], end - start, self.encoding)

    def around_cursor(self, offset: int, reach: int = LINE_CONTEXT) -> tuple[str, str]:
        """The cursor's line before and after ``offset``, at most ``reach`` code points each."""
        line, _ = self.line_col(offset)
        start, end = self._line_starts[line], self._line_end(line)
        offset = min(offset, end)
        return self.text[max(start, offset - reach):offset], self.text[offset:min(
            end, offset + reach)]

    def line_col(self, offset: int) -> tuple[int, int]:
        """(line, code-point column) of an offset."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self._line_starts, offset) - 1
        return line, offset - self._line_starts[line]

    def byte_offset(self, offset: int) -> int:
        """UTF-8 byte offset of a code-point offset (for tree-sitter)."""
        return utf8_offset(self.text, offset)

    def point(self, offset: int) -> Point:
        from tree_sitter import Point

        line, col = self.line_col(offset)
        start = self._line_starts[line]
        return Point(line, len(self.text[start : start + col].encode("utf-8", "surrogatepass")))

    # -- edits -----------------------------------------------------------------------------
    def apply_change(self, text: str, start: tuple[int, int] | None, end: tuple[int, int] | None
                     ) -> None:
        """Apply one content change; ``start``/``end`` are client positions, None = whole doc."""
        if start is None or end is None:
            self.text = text
            self._reindex()
            self._parse(old_tree=None)
            return
        a = self.offset_at(*start)
        b = max(a, self.offset_at(*end))
        tree = self.tree
        if tree is not None:
            start_byte, start_point = self.byte_offset(a), self.point(a)
            old_end_byte, old_end_point = self.byte_offset(b), self.point(b)
        old = self.text
        self.text = old[:a] + text + old[b:]
        self._splice_lines(old, a, b, text)
        new_end = a + len(text)
        if tree is not None:
            tree.edit(
                start_byte=start_byte,
                old_end_byte=old_end_byte,
                new_end_byte=start_byte + len(text.encode("utf-8", "surrogatepass")),
                start_point=start_point,
                old_end_point=old_end_point,
                new_end_point=self.point(new_end),
            )
        self._parse(old_tree=tree)

    def _parse(self, old_tree: Tree | None) -> None:
        if self._parser is None or len(self.text) > MAX_PARSE_BYTES:
            self.tree = None  # (each code point is at least one UTF-8 byte)
            return
        data = self.text.encode("utf-8", "surrogatepass")
        if len(data) > MAX_PARSE_BYTES:
            self.tree = None
            return
        try:
            self.tree = (
                self._parser.parse(data, old_tree) if old_tree else self._parser.parse(data)
            )
        except Exception:  # noqa: BLE001 - a grammar bug must not lose the document
            log.exception("tree-sitter failed on %s; keeping text only", self.uri)
            self.tree = None

    # -- syntax helpers --------------------------------------------------------------------
    def node_at(self, offset: int) -> Node | None:
        """The smallest named node that contains the offset."""
        if self.tree is None:
            return None
        b = self.byte_offset(offset)
        return self.tree.root_node.named_descendant_for_byte_range(b, b)

    def has_errors(self) -> bool:
        return self.tree is not None and self.tree.root_node.has_error


class DocumentStore:
    """All open documents, by URI."""

    def __init__(self) -> None:
        self._docs: dict[str, Document] = {}
        self.encoding: Encoding = "utf-16"

    def open(self, uri: str, text: str, version: int, language_id: str) -> Document:
        doc = Document(uri=uri, text=text, version=version, language_id=language_id or "plaintext",
                       encoding=self.encoding)
        self._docs[uri] = doc
        return doc

    def get(self, uri: str) -> Document | None:
        return self._docs.get(uri)

    def close(self, uri: str) -> None:
        self._docs.pop(uri, None)

    def __iter__(self):
        return iter(list(self._docs.values()))

    def __len__(self) -> int:
        return len(self._docs)
