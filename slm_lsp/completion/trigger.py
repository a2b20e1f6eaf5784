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
from .postprocess import indent_width


class Mode(str, Enum):
    NONE = "none"
    LINE = "line"
    BLOCK = "block"


# Text right of the cursor that still allows a completion: closing brackets, quotes, separators.
_CLOSERS_ONLY = re.compile(r"^[\s)\]}>\"'`;:,.]*$")
_WORD = re.compile(r"\w")
_CLOSING = ")]}"
_LOOKAHEAD_LINES = 50  # blank lines after the cursor before the next code, at most
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
    # Block mode where the block already has code after the cursor (an empty line among its
    # statements, or the end of a header whose body is below): the answer is one statement,
    # with its own body, not the rest of the block.
    one_statement: bool = False
    # Line mode on an empty line above code indented deeper than the code before it: the
    # answer is that code's header (code, not a comment).
    header: bool = False


def _in_string_or_comment(doc: Document, offset: int) -> bool:
    for node in ancestors(doc.node_at(offset)):
        if node.type in _STRING_OR_COMMENT:
            return True
        if node.type in ("block", "statement_block", "function_definition", "module"):
            return False
    return False


def _code_width(doc: Document, line: int, step: int) -> tuple[int, str] | None:
    """(indentation width, code) of the nearest line with code from ``line`` on, going
    ``step`` (1: down, -1: up), within ``_LOOKAHEAD_LINES``; None when there is none."""
    stop = doc.line_count if step > 0 else -1
    for nxt in range(line, stop, step)[:_LOOKAHEAD_LINES]:
        text = doc.line_text(nxt)
        code = text.strip()
        if code:
            return indent_width(text), code
    return None


def _empty_line(doc: Document, offset: int, indent: str, rest: str) -> Trigger:
    """The trigger on an empty line (``indent`` and ``rest``: its text before and after the
    cursor), from the code around it.

    As other assistants do, a block is written whole only where it is empty. Among the
    block's statements (the next code is at the cursor's level) the user adds one statement;
    above code indented deeper than the code before it, the user writes that code's header."""
    line, _ = doc.line_col(offset)
    block = Trigger(Mode.BLOCK, "empty line", indent, rest)
    after = _code_width(doc, line + 1, 1)
    if after is None or after[1][0] in _CLOSING:
        return block
    before = _code_width(doc, line - 1, -1)
    opens = before is not None and _OPENS_BLOCK.search(before[1]) is not None
    here = indent_width(indent)
    if after[0] > here and before is not None and after[0] > before[0] and not opens:
        return Trigger(Mode.LINE, "empty line above an indented block", indent, rest,
                       header=True)
    if after[0] >= here:
        return Trigger(Mode.BLOCK, "empty line among statements", indent, rest,
                       one_statement=True)
    return block


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
        return _empty_line(doc, offset, before, after)
    if not after.strip() and _OPENS_BLOCK.search(before.rstrip()):
        # The rest of the line after `(`/`{`... may still be one line; the model decides and
        # the block filter cuts it. Where the block already has code (the next code is
        # indented deeper), the answer is one statement before it, not a second body.
        line, _ = doc.line_col(offset)
        nxt = _code_width(doc, line + 1, 1)
        if nxt is not None and nxt[0] > indent_width(before) and nxt[1][0] not in _CLOSING:
            return Trigger(Mode.BLOCK, "after a block opener whose block has code", before,
                           after, one_statement=True)
        return t(Mode.BLOCK, "after a line that opens a block")
    return t(Mode.LINE, "end of a line")
