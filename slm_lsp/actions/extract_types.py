"""The types an extracted function's signature needs, as the code writes them.

Go and Rust signatures need every parameter's and return value's type; TypeScript's are kept
when written. Only what the code states is used: parameters, ``var x T``, ``let x: T``, and Go's
untyped constants (``n := 0`` is an ``int``). Pure: tree-sitter nodes in, names to types out.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Node

    from ..languages import Refactoring

_RUST_COPY = re.compile(r"^(&.*|[iu](8|16|32|64|128|size)|f32|f64|bool|char|\(\))$")
_GO_LITERAL_TYPES = {"int_literal": "int", "float_literal": "float64",
                     "interpreted_string_literal": "string", "raw_string_literal": "string",
                     "rune_literal": "rune", "true": "bool", "false": "bool"}


def _text(node: Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text else ""


def is_copy(rust_type: str) -> bool:
    """Is a Rust value of this type copied (not moved) when passed? Numbers, ``bool``,
    ``char``, ``()`` and references."""
    return _RUST_COPY.match(rust_type.strip()) is not None


def param_types(fn: Node, r: Refactoring) -> dict[str, str]:
    """The parameters' types as written (Go, Rust, TypeScript)."""
    out: dict[str, str] = {}
    params = fn.child_by_field_name("parameters")
    groups = [params] if params is not None else []
    if r.receivers and fn.child_by_field_name("receiver") is not None:
        groups.append(fn.child_by_field_name("receiver"))
    for group in groups:
        for p in group.named_children:
            kind = p.child_by_field_name("type")
            if kind is None:
                continue
            if r.grouped_params:
                for name in p.children_by_field_name("name"):
                    out[_text(name)] = _text(kind)
            else:
                pattern = p.child_by_field_name("pattern")
                if pattern is not None and pattern.type == "identifier":
                    out[_text(pattern)] = _text(kind).lstrip(":").strip()
    return out


def declared_types(body: Node, r: Refactoring) -> dict[str, str]:
    """``var x T`` / ``let x: T`` / ``let x: T = ...`` / ``x := 0`` (Go literal defaults)."""
    out: dict[str, str] = {}
    stack = [body]
    while stack:
        n = stack.pop()
        if n.type in r.functions:
            continue
        if r.grouped_params and n.type == "var_spec" and n.child_by_field_name("type"):
            for name in n.children_by_field_name("name"):
                out[_text(name)] = _text(n.child_by_field_name("type"))
        elif n.type == "short_var_declaration":
            left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
            if left is not None and right is not None and \
                    len(left.named_children) == len(right.named_children):
                for name, value in zip(left.named_children, right.named_children, strict=False):
                    literal = _GO_LITERAL_TYPES.get(value.type)
                    if literal and name.type == "identifier":
                        out.setdefault(_text(name), literal)
        elif n.type in ("let_declaration", "variable_declarator"):
            pattern = n.child_by_field_name("pattern") or n.child_by_field_name("name")
            kind = n.child_by_field_name("type")
            if pattern is not None and pattern.type == "identifier" and kind is not None:
                out[_text(pattern)] = _text(kind).lstrip(":").strip()
        stack.extend(n.named_children)
    return out
