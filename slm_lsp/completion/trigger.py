"""Whether to complete at a position, and how much: nothing, one line, or a block.

Decided from the line around the cursor and, where the language has a grammar, the syntax node
at the cursor. Invoked requests (the user asked) are more generous than automatic ones.
"""

from __future__ import annotations

import re
from enum import Enum

import attrs

from ..documents import Document
from ..syntax.tree import ancestors


class Mode(str, Enum):
    NONE = "none"
    LINE = "line"
    BLOCK = "block"


# Text right of the cursor that still allows a completion: closing brackets, quotes, separators.
_CLOSERS_ONLY = re.compile(r"^[\s)\]}>\"'`;:,.]*$")
_WORD = re.compile(r"\w")
_OPENS_BLOCK = re.compile(r"(:|\{|\(|\[|=>|\bdo|\bthen|->)\s*(#.*|//.*)?$")

_STRING_OR_COMMENT = {
    "string", "string_content", "string_fragment", "template_string", "raw_string_literal",
    "interpreted_string_literal", "string_literal", "char_literal", "comment", "line_comment",
    "block_comment", "doc_comment", "character_literal", "text_block",
}


@attrs.frozen
class Trigger:
    mode: Mode
    reason: str
    line_prefix: str  # text of the cursor's line before the cursor
    line_suffix: str  # text of the cursor's line after the cursor


def _in_string_or_comment(doc: Document, offset: int) -> bool:
    for node in ancestors(doc.node_at(offset)):
        if node.type in _STRING_OR_COMMENT:
            return True
        if node.type in ("block", "statement_block", "function_definition", "module"):
            return False
    return False


def decide(doc: Document, offset: int, *, invoked: bool) -> Trigger:
    """The completion mode for a cursor at ``offset`` in ``doc``."""
    before, after = doc.around_cursor(offset)
    t = lambda mode, why: Trigger(mode, why, before, after)  # noqa: E731

    right_is_code = not _CLOSERS_ONLY.match(after)
    if right_is_code and before and _WORD.match(before[-1]) and _WORD.match(after[0]):
        return t(Mode.LINE if invoked else Mode.NONE, "inside a word")
    if _in_string_or_comment(doc, offset):
        return t(Mode.LINE, "in a string or comment")
    if right_is_code:
        return t(Mode.LINE, "code to the right of the cursor")
    if before.strip() == "":
        return t(Mode.BLOCK, "empty line")
    if not after.strip() and _OPENS_BLOCK.search(before.rstrip()):
        # The rest of the line after `(`/`{`... may still be one line; the model decides and
        # the block filter cuts it.
        return t(Mode.BLOCK, "after a line that opens a block")
    return t(Mode.LINE, "end of a line")
