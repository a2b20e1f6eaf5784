"""Walking a tree-sitter tree: down through every named node, and up safely.

``Node.parent`` costs time proportional to the node's depth (tree-sitter finds parents by
walking down from the root), so walking up from a node in pathologically deep code (a fuzzer's
100,000 nested brackets) is quadratic. Real code is never nested this deep: every upward walk
stops after ``MAX_ANCESTORS`` steps.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Node


MAX_ANCESTORS = 256


def ancestors(node: Node | None, limit: int = MAX_ANCESTORS) -> Iterator[Node]:
    """``node`` and its parents, innermost first, at most ``limit`` of them."""
    for _ in range(limit):
        if node is None:
            return
        yield node
        node = node.parent


def descendants(node: Node | None) -> Iterator[Node]:
    """``node`` and every named node under it, in document order (an explicit stack: deep code
    does not hit the recursion limit)."""
    if node is None:
        return
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.named_children))
