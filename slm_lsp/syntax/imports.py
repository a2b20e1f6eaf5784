"""Import specifiers of a file, as written, from its tree (top level only).

Python ``import a.b`` / ``from .x import y`` (both ``.x`` and ``.x.y``), JS/TS ``import ... from``,
``export ... from`` and ``require()``, Go import paths, Rust ``mod x;`` (as ``mod:x``) and ``use``
paths, C/C++ ``#include "x.h"`` (not ``<x.h>``) and Java ``import`` names. They are resolved to
workspace files by ``context.snippets.resolve_imports``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..languages import SYMBOLS_INDENTED, rules_for
from .tree import descendants

if TYPE_CHECKING:
    from tree_sitter import Node, Tree


def _text(data: bytes, a: int, b: int) -> str:
    return data[a:b].decode("utf-8", "replace")


def _name(node: Node | None) -> str:
    return (node.text or b"").decode("utf-8", "replace") if node is not None else ""


def _py_imports(root: Node, data: bytes) -> Iterator[str]:
    for node in root.named_children:
        if node.type == "import_statement":
            for child in node.children_by_field_name("name"):
                target = child.child_by_field_name("name") \
                    if child.type == "aliased_import" else child
                yield _text(data, target.start_byte, target.end_byte)
        elif node.type == "import_from_statement":
            module = node.child_by_field_name("module_name")
            if module is None:
                continue
            base = _text(data, module.start_byte, module.end_byte)
            yield base
            for child in node.children_by_field_name("name"):
                target = child.child_by_field_name("name") \
                    if child.type == "aliased_import" else child
                sub = _text(data, target.start_byte, target.end_byte)
                yield base + sub if base.endswith(".") else f"{base}.{sub}"


def _string_content(node: Node, data: bytes) -> str:
    return _text(data, node.start_byte, node.end_byte).strip("\"'`<>")


def _brace_imports(root: Node, data: bytes, style: str) -> Iterator[str]:
    """``style`` is the language's import convention (``Language.imports``)."""
    stack = list(reversed(root.named_children))
    while stack:
        node = stack.pop()
        t = node.type
        if t in ("preproc_ifdef", "preproc_if", "preproc_else", "preproc_elif",
                 "import_declaration") and style in ("includes", "packages"):
            stack.extend(reversed(node.named_children))
        elif t == "import_spec_list":
            stack.extend(reversed(node.named_children))
        elif t == "preproc_include":
            path = node.child_by_field_name("path")
            if path is not None and path.type == "string_literal":
                yield _string_content(path, data)
        elif t == "import_spec":
            yield _string_content(node.child_by_field_name("path"), data)
        elif t in ("import_statement", "export_statement") and style == "relative":
            source = node.child_by_field_name("source")
            if source is not None:
                yield _string_content(source, data)
        elif t in ("lexical_declaration", "variable_declaration", "expression_statement"):
            for call in descendants(node):
                fn = call.child_by_field_name("function") if call.type == "call_expression" \
                    else None
                if fn is not None and fn.text in (b"require", b"import"):
                    args = call.child_by_field_name("arguments")
                    if args is not None and args.named_children and \
                            args.named_children[0].type == "string":
                        yield _string_content(args.named_children[0], data)
        elif t == "mod_item" and node.child_by_field_name("body") is None:
            yield "mod:" + _name(node.child_by_field_name("name"))
        elif t == "use_declaration":
            arg = node.child_by_field_name("argument")
            if arg is not None:
                yield _text(data, arg.start_byte, arg.end_byte)
        elif t == "import_declaration" and style == "classes":
            yield " ".join(_text(data, c.start_byte, c.end_byte) for c in node.named_children)


def extract_imports(tree: Tree | None, data: bytes, language_id: str) -> tuple[str, ...]:
    """Only the import specifiers of a file (cheap: top-level nodes only)."""
    if tree is None:
        return ()
    rules = rules_for(language_id)
    root = tree.root_node
    if rules is None:
        return ()
    if rules.symbols == SYMBOLS_INDENTED:
        return tuple(dict.fromkeys(_py_imports(root, data)))
    return tuple(dict.fromkeys(_brace_imports(root, data, rules.imports)))
