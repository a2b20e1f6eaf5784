"""What one completion request sees of its document: a copy taken on the event loop.

The copy is cheap (the text is an immutable string, ``Tree.copy`` shares the parse and only
takes a reference), so it is taken before the document can change under the request; the
work that reads it (snippets, the prompt, the filters' parses) runs on the inference thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from ..context.recent import Chunk
from ..documents import Document, window_around
from ..engine.base import Snippet
from .trigger import Trigger

if TYPE_CHECKING:
    from tree_sitter import Tree

# A document longer than this (code points) without a tree is seen through a window of
# WINDOW_BEFORE/WINDOW_AFTER code points around the cursor (from/to a line boundary when one
# is near): far more than any prompt budget holds.
LARGE_DOCUMENT = 256 * 1024
WINDOW_BEFORE = 64 * 1024
WINDOW_AFTER = 16 * 1024


@attrs.frozen
class Snapshot:
    """A document at a cursor, with the trigger decided there."""

    uri: str
    version: int
    text: str
    offset: int
    language_id: str
    path: str
    trigger: Trigger
    snippets: tuple[Snippet, ...] = ()  # cross-file context, filled in when the trigger fires
    baseline_errors: int | None = None  # syntax errors in the document as it is (filters)
    # The user asked for candidates (the editor's cycle: an Invoked request where an answer
    # was just given): several, best first; otherwise one greedy answer.
    candidates: bool = False
    recent: tuple[Chunk, ...] = ()  # the ring of recently edited places, oldest first
    # The document's parse, a copy of its own (trees are not shared across threads).
    tree: Tree | None = attrs.field(default=None, eq=False)
    base: int = 0  # offset of ``text`` in the document (a large document's window)

    @classmethod
    def of(cls, doc: Document, offset: int, trigger: Trigger, *, path: str = "",
           snippets: tuple[Snippet, ...] = (), candidates: bool = False,
           recent: tuple[Chunk, ...] = ()) -> Snapshot:
        tree = doc.tree.copy() if doc.tree is not None else None
        text, base = doc.text, 0
        if tree is None and len(text) > LARGE_DOCUMENT:
            # No tree to keep in step with: the request sees a window around the cursor,
            # so that nothing after this costs time in proportion to the document.
            text, base = window_around(text, offset, WINDOW_BEFORE, WINDOW_AFTER)
        return cls(doc.uri, doc.version, text, offset - base, doc.language_id, path,
                   trigger, snippets, None, candidates, recent, tree, base)

    @property
    def prefix(self) -> str:
        return self.text[: self.offset]

    @property
    def suffix(self) -> str:
        return self.text[self.offset:]
