"""What a code action works on, found in the tree: definitions, their parameters, whether they
are documented, and the smallest statement around a diagnostic.

Pure: tree-sitter nodes and byte offsets in, plain data out.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import attrs

from ..languages import Language, rules_for
from ..syntax.diagnostics import outer_error_nodes
from ..syntax.tree import ancestors

if TYPE_CHECKING:
    from tree_sitter import Node, Tree

_CLASS_TYPES = {"class_definition", "class_declaration", "abstract_class_declaration"}
_PARAM_SKIP = {"self", "cls", "this"}
_STATEMENT = re.compile(r"(statement|definition|declaration|_item|_clause|ERROR)$")
_BLOCK_PARENTS = {"module", "program", "source_file", "block", "statement_block",
                  "class_body", "declaration_list", "statement_list", "compilation_unit"}


@attrs.frozen
class ActionTarget:
    """A function, method or class: where it starts and the facts a docstring or test needs."""

    kind: str  # "function", "method" or "class"
    name: str
    params: tuple[str, ...]
    returns: bool
    start_byte: int  # start of the whole declaration (export, decorators, modifiers included)
    start_row: int
    body_byte: int  # start of the body's first statement (Python) or of the body block
    body_row: int
    end_byte: int
    documented: bool
    one_line: bool  # the body sits on the signature's line (`def f(): return 1`)


def _text(node: Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text else ""


def _arrow_in_variable(node: Node) -> Node | None:
    """The arrow function or function expression a `const f = ...` declarator holds."""
    if node.type != "variable_declarator":
        return None
    value = node.child_by_field_name("value")
    if value is not None and value.type in ("arrow_function", "function_expression",
                                            "function"):
        return value
    return None


def _param_names(params: Node | None, rules: Language) -> tuple[str, ...]:
    if params is None:
        return ()
    names: list[str] = []
    for child in params.named_children:
        if child.type in ("comment", "self_parameter"):
            continue
        if rules.params == "grouped":
            names.extend(_text(c) for c in child.named_children if c.type == "identifier")
            continue
        if rules.params == "named":
            name = child.child_by_field_name("name")
            names.append(_text(name))
            continue
        if child.type == "identifier":
            names.append(_text(child))
            continue
        if rules.params == "pattern":
            names.append(_text(child.child_by_field_name("pattern")))
            continue
        ident = child.child_by_field_name("name") or child.child_by_field_name("pattern")
        if ident is None or ident.type not in ("identifier", "shorthand_property_identifier"):
            ident = _first_identifier(child)
        names.append(_text(ident))
    return tuple(n for n in names if n and n not in _PARAM_SKIP)


def _first_identifier(node: Node) -> Node | None:
    stack = [node]
    while stack:
        n = stack.pop(0)
        if n.type == "identifier":
            return n
        stack.extend(n.named_children)
    return None


def _has_value_return(body: Node | None) -> bool:
    """A ``return <value>`` in the body, not counting nested functions."""
    if body is None:
        return False
    stack = list(body.named_children)
    while stack:
        n = stack.pop()
        if n.type == "return_statement" and n.named_child_count > 0:
            return True
        if n.type in ("function_definition", "function_declaration", "arrow_function",
                      "function_expression", "class_definition", "lambda"):
            continue
        stack.extend(n.named_children)
    return False


def _python_documented(body: Node | None) -> bool:
    if body is None or not body.named_children:
        return False
    first = body.named_children[0]
    return first.type == "expression_statement" and bool(first.named_children) and \
        first.named_children[0].type in ("string", "concatenated_string")


def _comment_above(outer: Node) -> bool:
    """A comment that ends on the line just above the declaration (or its attributes)."""
    below = outer
    prev = outer.prev_sibling
    while prev is not None and prev.type in ("attribute_item", "decorator", "annotation"):
        below, prev = prev, prev.prev_sibling
    if prev is None or "comment" not in prev.type:
        return False
    return below.start_point.row - prev.end_point.row <= 1


def _outer(node: Node) -> Node:
    """The node a comment above must precede: the export, decorated or variable statement."""
    outer = node
    while outer.parent is not None and outer.parent.type in (
            "export_statement", "decorated_definition", "variable_declarator",
            "lexical_declaration", "variable_declaration"):
        outer = outer.parent
    return outer


def definition_of(node: Node, language_id: str) -> ActionTarget | None:
    """The facts of a definition node (or of a `const f = () => ...` declarator)."""
    rules = rules_for(language_id)
    if rules is None:
        return None
    fn = _arrow_in_variable(node)
    head = fn if fn is not None else node
    name = _text(node.child_by_field_name("name"))
    if not name:
        return None
    params = head.child_by_field_name("parameters")
    body = head.child_by_field_name("body")
    if body is None:
        return None
    kind = "class" if node.type in _CLASS_TYPES else "function"
    if kind == "function" and node.parent is not None and node.parent.type in (
            "class_body", "block") and \
            node.parent.parent is not None and node.parent.parent.type == "class_definition":
        kind = "method"
    if node.type in ("method_definition", "method_declaration", "constructor_declaration"):
        kind = "method"
    if rules.docstring is not None and rules.docstring.inside_body:
        returns = head.child_by_field_name("return_type") is not None or \
            _has_value_return(body)
        documented = _python_documented(body)
        first = body.named_children[0] if body.named_children else body
        body_byte, body_row = first.start_byte, first.start_point.row
    else:
        if rules.returns:  # the signature's field that names the result's type
            kind_node = head.child_by_field_name(rules.returns)
            returns = kind_node is not None and _text(kind_node) != "void"
        else:
            returns = _has_value_return(body) or (
                fn is not None and body.type not in ("statement_block",))
        documented = _comment_above(_outer(node))
        body_byte, body_row = body.start_byte, body.start_point.row
    outer = _outer(node)
    return ActionTarget(
        kind=kind, name=name,
        params=_param_names(params, rules) if kind != "class" else (),
        returns=returns and kind != "class",
        start_byte=outer.start_byte, start_row=outer.start_point.row,
        body_byte=body_byte, body_row=body_row, end_byte=node.end_byte,
        documented=documented, one_line=body_row == head.start_point.row,
    )


def _is_definition(node: Node, language_id: str) -> bool:
    rules = rules_for(language_id)
    if rules is None:
        return False
    return node.type in rules.definitions or (
        rules.variable_functions and _arrow_in_variable(node) is not None)


def definition_at(tree: Tree | None, byte: int, language_id: str) -> ActionTarget | None:
    """The innermost definition whose declaration contains ``byte``."""
    if tree is None:
        return None
    for node in ancestors(tree.root_node.descendant_for_byte_range(byte, byte)):
        if _is_definition(node, language_id):
            found = definition_of(node, language_id)
            if found is not None:
                return found
    return None


def definitions(tree: Tree | None, language_id: str, *, top_level: bool = True
                ) -> list[ActionTarget]:
    """All definitions in document order (only the module's own when ``top_level``)."""
    if tree is None:
        return []
    found: list[ActionTarget] = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if _is_definition(node, language_id):
            d = definition_of(node, language_id)
            if d is not None:
                found.append(d)
            if top_level:
                continue
        if node.type in ("ERROR",):
            continue
        stack.extend(reversed(node.named_children))
    return found


def enclosing_statement(tree: Tree | None, start_byte: int, end_byte: int) -> Node | None:
    """The smallest statement, declaration or block item that covers the byte range."""
    if tree is None:
        return None
    node = None
    for node in ancestors(tree.root_node.descendant_for_byte_range(
            start_byte, max(start_byte, end_byte))):
        parent = node.parent
        if parent is None:
            break
        if _STATEMENT.search(node.type) or parent.type in _BLOCK_PARENTS:
            if node.end_byte > node.start_byte:
                return node
    if node is not None and node.type == "ERROR":
        return node
    return None


def error_nodes_outside(tree: Tree | None, start_byte: int, end_byte: int) -> int:
    """ERROR and MISSING nodes that are not wholly inside ``[start_byte, end_byte)`` (one that
    straddles the block counts: a rewrite inside cannot remove it)."""
    return sum(1 for node in outer_error_nodes(tree)
               if node.end_byte <= start_byte or node.start_byte >= end_byte
               or node.start_byte < start_byte or node.end_byte > end_byte)
