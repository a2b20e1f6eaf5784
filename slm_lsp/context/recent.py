"""Recent places as context: a bounded ring of code chunks from where the user last edited or
asked for a completion, in any open file (a document's chunks leave when it is closed).

As in llama.vim's ring buffer, a chunk is a run of whole lines around a place, taken when the
user leaves that place (so it holds what they wrote there), and the ring changes only then: the
prompt section it fills (the head, before the current file's window) stays byte-identical
while the user types in one place, and the engine keeps reusing its KV cache. A chunk that
overlaps a newer one of the same document is replaced by it; the oldest chunk goes first.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import attrs

from ..engine.base import Snippet

CHUNK_LINES = 24  # lines around a place (llama.vim: 64, for larger models and contexts)
RING_CHUNKS = 8


@attrs.frozen
class Chunk:
    uri: str
    path: str
    language_id: str
    first_line: int  # 0-based
    text: str

    @property
    def last_line(self) -> int:
        return self.first_line + self.text.rstrip("\n").count("\n")


@attrs.define
class _Place:
    uri: str
    path: str
    language_id: str
    line: int


class RecentPlaces:
    """The ring of chunks, fed with the places the user visits (on the event loop)."""

    def __init__(self, text_of: Callable[[str], str | None], capacity: int = RING_CHUNKS,
                 chunk_lines: int = CHUNK_LINES):
        self._text_of = text_of  # the current text of an open document, None once closed
        self.capacity = capacity
        self.chunk_lines = chunk_lines
        self._ring: deque[Chunk] = deque()
        self._here: _Place | None = None

    def visit(self, uri: str, path: str, language_id: str, line: int) -> None:
        """The user edits or completes at ``line`` of ``uri``. Leaving the previous place (another
        document, or more than half a chunk away) puts that place's chunk in the ring."""
        here = self._here
        if here is not None and here.uri == uri and abs(here.line - line) <= \
                self.chunk_lines // 2:
            here.line = line
            return
        if here is not None:
            self._push(here)
        self._here = _Place(uri, path, language_id, line)

    def _push(self, place: _Place) -> None:
        text = self._text_of(place.uri)
        if text is None:
            return
        lines = text.split("\n")
        first = max(0, min(place.line, len(lines) - 1) - self.chunk_lines // 2)
        body = lines[first:first + self.chunk_lines]
        while body and not body[-1].strip():
            body.pop()
        while body and not body[0].strip():
            body.pop(0)
            first += 1
        if not body:
            return
        chunk = Chunk(place.uri, place.path, place.language_id, first, "\n".join(body) + "\n")
        self._ring = deque(c for c in self._ring if c.text != chunk.text and not (
            c.uri == chunk.uri and c.first_line <= chunk.last_line and
            chunk.first_line <= c.last_line))
        self._ring.append(chunk)
        while len(self._ring) > self.capacity:
            self._ring.popleft()

    def forget(self, uri: str) -> None:
        """A closed document leaves the ring: its chunks are of a file no longer open."""
        if self._here is not None and self._here.uri == uri:
            self._here = None
        self._ring = deque(c for c in self._ring if c.uri != uri)

    def chunks(self) -> tuple[Chunk, ...]:
        """The ring, oldest first (a snapshot, for the inference thread)."""
        return tuple(self._ring)

    def __len__(self) -> int:
        return len(self._ring)


def select(chunks: tuple[Chunk, ...], uri: str, language_id: str, first_line: int,
           last_line: int, budget: int, count_tokens: Callable[[str], int]
           ) -> tuple[Snippet, ...]:
    """The chunks to show: those of the document's language, newest first while they fit
    ``budget`` tokens, leaving out those of the current document that overlap its window
    (lines ``first_line..last_line``, already in the prompt); returned oldest first, so that a
    new chunk changes the section's tail."""
    picked: list[Chunk] = []
    used = 0
    for chunk in reversed(chunks):
        if chunk.language_id != language_id:
            continue
        if chunk.uri == uri and chunk.first_line <= last_line and first_line <= \
                chunk.last_line:
            continue
        cost = count_tokens(chunk.text)
        if used + cost > budget:
            continue
        used += cost
        picked.append(chunk)
    return tuple(Snippet(c.path, c.text) for c in reversed(picked))
