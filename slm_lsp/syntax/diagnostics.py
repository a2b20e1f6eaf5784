"""Syntax errors from a tree-sitter tree: ERROR and MISSING nodes as short problems.

Pure: takes a tree, returns plain data with tree-sitter points (row, UTF-8 byte column). The
server converts the points to the client's encoding and publishes them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from tree_sitter import Node, Point, Tree

# At most this many problems per document: after a few, more are noise.
MAX_PROBLEMS = 20


@attrs.frozen
class SyntaxProblem:
    """One syntax error: where it is (tree-sitter points) and a short message."""

    start: Point
    end: Point
    message: str
    start_byte: int = 0
    end_byte: int = 0


def _missing_message(node: Node) -> str:
    kind = node.type
    if kind and not kind[0].isalpha():
        return f"missing `{kind}`"
    return f"missing {kind.replace('_', ' ')}" if kind else "missing token"


def _error_message(node: Node, data: bytes) -> str:
    """``syntax error`` plus the unexpected token when it is short and on one line."""
    text = data[node.start_byte:node.end_byte].decode("utf-8", "replace").strip()
    first = node.children[0] if node.children else None
    if first is not None and first.end_byte - first.start_byte <= 20:
        token = data[first.start_byte:first.end_byte].decode("utf-8", "replace").strip()
        if token and "\n" not in token:
            return f"syntax error: unexpected `{token}`"
    if text and "\n" not in text and len(text) <= 20:
        return f"syntax error: unexpected `{text}`"
    return "syntax error"


def outer_error_nodes(tree: Tree | None) -> Iterator[Node]:
    """The outermost ERROR and MISSING nodes of ``tree`` (not those nested inside them)."""
    if tree is None or not tree.root_node.has_error:
        return
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            yield node
        elif node.has_error:
            stack.extend(node.children)


def syntax_problems(tree: Tree | None, data: bytes, limit: int = MAX_PROBLEMS
                    ) -> list[SyntaxProblem]:
    """The ERROR and MISSING nodes of ``tree`` (outermost first, in document order).

    An ERROR node that spans several lines is reported on its first line only: the whole
    span would paint a wall of squiggles for one stray character.
    """
    if tree is None or not tree.root_node.has_error:
        return []
    from tree_sitter import Point

    found: list[SyntaxProblem] = []
    stack = [tree.root_node]
    while stack and len(found) < limit:
        node = stack.pop()
        if node.is_missing:
            found.append(SyntaxProblem(node.start_point, node.end_point,
                                       _missing_message(node), node.start_byte, node.end_byte))
            continue
        if node.is_error:
            end, end_byte = node.end_point, node.end_byte
            if end.row != node.start_point.row:
                line_end = data.find(b"\n", node.start_byte)
                line_end = len(data) if line_end < 0 else line_end
                end_byte = max(line_end, node.start_byte)
                end = Point(node.start_point.row,
                            node.start_point.column + end_byte - node.start_byte)
            found.append(SyntaxProblem(node.start_point, end, _error_message(node, data),
                                       node.start_byte, end_byte))
            # MISSING nodes inside an ERROR say more than the ERROR itself.
        if node.has_error:
            stack.extend(reversed(node.children))
    found.sort(key=lambda p: (p.start.row, p.start.column))
    return found
