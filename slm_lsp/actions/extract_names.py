"""Names for extracted code: the model's proposal if it is a fresh, valid identifier in the
language's style, else a plain fallback (``extracted``, ``extracted_1``...)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..languages import rules_for

if TYPE_CHECKING:
    from tree_sitter import Tree

FALLBACK = "extracted"


def _text(node) -> str:
    return node.text.decode("utf-8", "replace") if node.text else ""


def names_in(tree: Tree) -> set[str]:
    """Every identifier-like word in the document: a fresh name collides with none of them."""
    out: set[str] = set()
    stack = [tree.root_node]
    while stack:
        n = stack.pop()
        if n.child_count == 0:
            if "identifier" in n.type or n.type in ("self", "this"):
                out.add(_text(n))
        else:
            stack.extend(n.children)
    return out


def reserved(language_id: str) -> set[str]:
    rules = rules_for(language_id)
    return set(rules.refactor.reserved) if rules is not None and rules.refactor else set()


def _words(candidate: str) -> list[str]:
    return [w for w in re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", candidate) if w]


def snake_case(candidate: str) -> str:
    """``candidate`` in snake_case: ``calculateTotal`` -> ``calculate_total``."""
    return "_".join(w.lower() for w in _words(candidate))


def _snake(language_id: str) -> bool:
    rules = rules_for(language_id)
    return rules is not None and rules.refactor is not None and rules.refactor.snake_case


def style(candidate: str, language_id: str) -> str:
    """``candidate`` in the language's convention for functions and variables."""
    words = _words(candidate)
    if not words:
        return ""
    if _snake(language_id):
        return snake_case(candidate)
    head, *rest = words
    return head.lower() + "".join(w[:1].upper() + w[1:].lower() for w in rest)


def fresh_name(proposal: str, taken: set[str], language_id: str) -> tuple[str, bool]:
    """The model's proposal if it is a fresh, valid identifier (in the language's style), else
    the fallback (``extracted``, ``extracted_1``...). The flag says whether it was the model's."""
    banned = taken | reserved(language_id)
    m = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)", proposal or "")
    if m:
        name = style(m.group(1), language_id)
        if 2 <= len(name) <= 40 and name.isidentifier() and name not in banned and \
                not name[0].isdigit():
            return name, True
    name, i = FALLBACK, 1
    sep = "_" if _snake(language_id) else ""
    while name in banned:
        name = f"{FALLBACK}{sep}{i}"
        i += 1
    return name, False
