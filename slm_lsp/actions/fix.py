"""Fixes for diagnostics: the block to rewrite, the prompt, and the checks a rewrite must pass.

Pure: the document text and tree in, a ``Block`` and a validated replacement (or a reason why
there is none) out. A rewrite is offered only if it changes the code, adds no syntax error to
the rest of the file, and replaces nothing but the block's own lines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from ..completion import postprocess
from ..documents import char_offset, utf8_offset
from ..languages import line_comment, new_parser
from .targets import enclosing_statement, error_nodes_outside

if TYPE_CHECKING:
    from tree_sitter import Tree

MAX_BLOCK_LINES = 30
PREFIX_CHARS = 3000


@attrs.frozen
class Block:
    """Whole lines ``[start, end)`` (code-point offsets) that a fix may rewrite."""

    start: int
    end: int  # just after the block's last line break (or the end of the text)
    start_byte: int
    end_byte: int
    indent: str

    def text_of(self, text: str) -> str:
        return text[self.start:self.end]


def _line_bounds(text: str, a: int, b: int) -> tuple[int, int]:
    start = text.rfind("\n", 0, a) + 1
    probe = max(a, b - 1) if b > a else a
    end = text.find("\n", probe)
    return start, (len(text) if end < 0 else end + 1)


def find_block(text: str, tree: Tree | None, a: int, b: int) -> Block:
    """The smallest statement or block around ``[a, b)`` as whole lines; the diagnostic's own
    lines when there is no tree or the statement is too large to rewrite."""
    data = text.encode("utf-8", "surrogatepass")
    node = enclosing_statement(tree, utf8_offset(text, a), utf8_offset(text, b))
    if node is not None and node.end_point.row - node.start_point.row < MAX_BLOCK_LINES:
        start, end = _line_bounds(text, char_offset(data, node.start_byte),
                                  char_offset(data, node.end_byte))
    else:
        start, end = _line_bounds(text, a, b)
    first = text[start:end].split("\n", 1)[0]
    return Block(start, end, utf8_offset(text, start), utf8_offset(text, end),
                 postprocess.indent_of(first))


def plain_prompt(text: str, block: Block, message: str, language_id: str) -> str:
    """For models without FIM: the code before, the faulty block quoted in comments with the
    diagnostic, then the start of the corrected block for the model to continue."""
    mark = line_comment(language_id)
    ind = block.indent
    before = text[max(0, block.start - PREFIX_CHARS):block.start]
    quoted = "".join(f"{ind}{mark} {line}\n" for line in
                     block.text_of(text).rstrip("\n").split("\n"))
    return (f"{before}{ind}{mark} Problem: {message.strip().splitlines()[0]}\n"
            f"{ind}{mark} Faulty code:\n{quoted}{ind}{mark} Corrected code:\n{ind}")


def fim_parts(text: str, block: Block, message: str, language_id: str) -> tuple[str, str]:
    """For FIM models: the prefix (with the diagnostic as a comment) and the suffix around the
    block, which is the hole."""
    mark = line_comment(language_id)
    head = text[max(0, block.start - PREFIX_CHARS):block.start]
    head += f"{block.indent}{mark} fixed: {message.strip().splitlines()[0]}\n{block.indent}"
    return head, text[block.end:block.end + PREFIX_CHARS]


def shape(raw: str, block: Block, original: str, markers: tuple[str, ...] = ()) -> str:
    """The model's text cut to a block at the original's indentation, ending in a newline."""
    text = postprocess.cut_markers(raw, markers)
    text = postprocess.trim_trailing_space(text.replace("\r", ""))
    lines = text.split("\n")
    limit = max(3, 2 * original.count("\n") + 2)
    body = postprocess.cut_block(
        block.indent + lines[0].lstrip(" \t") + "\n" + "\n".join(lines[1:]), "", limit)
    body = body.rstrip()
    if not body.strip():
        return ""
    if not body.startswith(block.indent):
        body = block.indent + body.lstrip(" \t")
    tail = "\n" if original.endswith("\n") else ""
    return body + tail


def _same_code(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def check(text: str, tree: Tree | None, block: Block, candidate: str, language_id: str
          ) -> str:
    """Why ``candidate`` cannot replace the block ("" when it can)."""
    original = block.text_of(text)
    if not candidate.strip():
        return "the model gave no code"
    if _same_code(candidate, original):
        return "the model changed nothing"
    if candidate.count("\n") > 2 * original.count("\n") + 4:
        return "the rewrite is much longer than the block"
    parser = new_parser(language_id)
    if parser is not None:
        new_text = text[:block.start] + candidate + text[block.end:]
        allowed = error_nodes_outside(tree, block.start_byte, block.end_byte)
        if postprocess.error_count(parser, new_text) > allowed:
            return "the rewrite does not parse"
    return ""


def apply(text: str, block: Block, candidate: str) -> str:
    """The document with the block replaced (what the client will show after the edit)."""
    return text[:block.start] + candidate + text[block.end:]
