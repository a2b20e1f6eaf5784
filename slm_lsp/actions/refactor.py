"""What a selection offers to refactor: listed at once from the tree, never the model."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..syntax.tree import ancestors
from .extract import Refused, plan_expression_function, plan_function, selected_statements
from .extract_variable import plan_variable, selected_expression
from .flow import refactoring

if TYPE_CHECKING:
    from tree_sitter import Tree

TITLES = {"extract_function": "Extract function", "extract_variable": "Extract variable"}
# Bytes of the top-level definition around the selection (or of the selection) up to which
# listing checks the extraction in full; larger ones are checked when the action is resolved.
CHECK_LIMIT = 60_000


def offers(tree: Tree, data: bytes, a: int, b: int, language_id: str
           ) -> list[tuple[str, str]]:
    """The extractions that fit the selection, as (kind, reason it is disabled or "").

    Cheap enough for listing: the tree only, never the model."""
    if refactoring(language_id) is None:
        return []
    try:
        return _offers(tree, data, a, b, language_id)
    except RecursionError:  # pathologically nested code: nothing to offer
        return []


def _offers(tree: Tree, data: bytes, a: int, b: int, language_id: str
            ) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    top = None
    for n in ancestors(tree.root_node.named_descendant_for_byte_range(a, a)):
        if n.parent is None:
            break
        top = n
    check = b - a <= CHECK_LIMIT and (top is None or top.end_byte - top.start_byte <=
                                      CHECK_LIMIT)
    if selected_statements(tree, data, a, b, language_id) is not None:
        try:
            if check:
                plan_function(tree, data, a, b, language_id, quick=True)
            out.append(("extract_function", ""))
        except Refused as exc:
            out.append(("extract_function", str(exc)))
        return out
    expr = selected_expression(tree, data, a, b, language_id)
    if expr is not None:
        try:
            plan_variable(tree, data, a, b, language_id)
            out.append(("extract_variable", ""))
        except Refused as exc:
            out.append(("extract_variable", str(exc)))
        if not refactoring(language_id).typed_signatures:  # it would need the value's type
            try:
                if check:
                    plan_expression_function(tree, data, expr, language_id)
                out.append(("extract_function", ""))
            except Refused as exc:
                out.append(("extract_function", str(exc)))
    return out
