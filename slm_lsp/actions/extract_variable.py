"""Extract variable, decided by the tree: the selected expression, the statement it moves
before, and whether moving it there keeps how often (and whether) it is evaluated.

Pure: bytes and tree in, a ``VariablePlan`` or ``Refused`` out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from ..languages.lines import indent_at, line_start
from ..syntax.tree import ancestors
from . import flow
from .extract_basics import Refused, escape_reason, trim
from .flow import refactoring

if TYPE_CHECKING:
    from tree_sitter import Node, Tree

    from ..languages import Refactoring

# Parents through which an expression is evaluated only sometimes, or many times.
_DEFERRED = {"lambda", "arrow_function", "function_expression", "func_literal",
             "closure_expression", "list_comprehension", "set_comprehension",
             "dictionary_comprehension", "generator_expression"}


def _rules(language_id: str) -> Refactoring:
    r = refactoring(language_id)
    if r is None:
        raise Refused(f"extracting is not supported for {language_id}")
    return r


def _text(node: Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text else ""


def selected_expression(tree: Tree, data: bytes, a: int, b: int, language_id: str
                        ) -> Node | None:
    """The expression that the selection covers exactly, or None."""
    a, b = trim(data, a, b)
    if a >= b:
        return None
    node = tree.root_node.descendant_for_byte_range(a, b)
    expressions = _rules(language_id).expressions
    for n in ancestors(node):
        if n.start_byte != a or n.end_byte != b:
            if n.start_byte < a or n.end_byte > b:
                return None
            continue
        if n.type in expressions and n.parent is not None and \
                n.parent.type not in ("expression_statement",):
            return n
        if n.type in expressions and n.parent is not None:
            return n  # a whole expression statement's expression: still an expression
    return None


@attrs.frozen
class VariablePlan:
    language_id: str
    start: int  # the expression's bytes
    end: int
    insert_at: int  # start of the enclosing statement's line
    indent: str
    is_async: bool = False


def plan_variable(tree: Tree, data: bytes, a: int, b: int, language_id: str) -> VariablePlan:
    """Naming the selected expression just before its statement. Raises ``Refused``."""
    blocks = _rules(language_id).blocks
    expr = selected_expression(tree, data, a, b, language_id)
    if expr is None:
        raise Refused("select a whole expression to extract a variable")
    statement = None
    child = expr
    for n in ancestors(expr.parent):
        if n.type in _DEFERRED:
            raise Refused("the expression is evaluated later or repeatedly (inside a "
                          f"{n.type.replace('_', ' ')})")
        if n.type in blocks:
            statement = child
            break
        _check_evaluated_once(n, child)
        child = n
    if statement is None or statement == expr:
        raise Refused("the expression is a whole statement; nothing to name")
    if statement.type in ("decorated_definition", "function_definition", "class_definition",
                          "function_declaration", "class_declaration", "function_item",
                          "method_definition", "method_declaration", "impl_item"):
        raise Refused("the expression is part of a definition")
    if data[line_start(data, statement.start_byte):statement.start_byte].strip():
        raise Refused("the statement shares its line with other code")
    check_read(expr, statement, language_id)
    f = flow.analyze([expr], language_id)
    if f.escapes:
        raise Refused(escape_reason(f))
    if any(u.write and not u.nested for u in f.uses):
        raise Refused("the expression assigns a variable")
    return VariablePlan(language_id, expr.start_byte, expr.end_byte,
                        line_start(data, statement.start_byte),
                        indent_at(data, statement.start_byte), f.awaits)


def check_read(expr: Node, statement: Node, language_id: str) -> None:
    """A lone name must be read where it stands (not a name being bound, imported, declared
    ``global``, or a keyword's name)."""
    if expr.type != "identifier":
        return
    uses = flow.analyze([statement], language_id).uses
    if not any(u.byte == expr.start_byte and u.read and not u.write for u in uses):
        raise Refused("select an expression, not a name being bound")


def statement_of(expr: Node, language_id: str) -> Node:
    """The statement (a child of a block) that holds ``expr``."""
    blocks = _rules(language_id).blocks
    child = expr
    for n in ancestors(expr.parent):
        if n.type in blocks:
            return child
        child = n
    return child


def check_not_target(expr: Node) -> None:
    """An expression that is assigned to (``a.b = 1``, ``a[i] += 1``, ``x++``, ``del a.b``)
    cannot become a value."""
    parent = expr.parent
    if parent is None:
        return
    for i, c in enumerate(parent.children):
        if c.id == expr.id:
            field = parent.field_name_for_child(i)
            break
    else:
        return
    if (parent.type in _TARGET_PARENTS and field in ("left", "argument")) or \
            parent.type == "delete_statement":
        raise Refused("the expression is assigned to")


_TARGET_PARENTS = {"assignment", "augmented_assignment", "assignment_expression",
                   "augmented_assignment_expression", "assignment_statement",
                   "compound_assignment_expr", "update_expression", "for_in_statement",
                   "for_statement", "inc_statement", "dec_statement"}


def _check_evaluated_once(parent: Node, child: Node) -> None:
    """Moving ``child`` before the statement is safe only if it is evaluated once, first."""
    field = None
    for i, c in enumerate(parent.children):
        if c.id == child.id:
            field = parent.field_name_for_child(i)
            break
    t = parent.type
    if t in ("assignment", "augmented_assignment", "assignment_expression",
             "augmented_assignment_expression", "assignment_statement",
             "compound_assignment_expr") and field == "left":
        raise Refused("the expression is assigned to")
    if t in ("boolean_operator", "binary_expression") and field == "right":
        op = parent.child_by_field_name("operator")
        if _text(op) in ("and", "or", "&&", "||", "??") or (
                op is None and any(c.type in ("and", "or") for c in parent.children)):
            raise Refused("the expression is evaluated only sometimes (after a short-circuit "
                          "operator)")
    if t in ("conditional_expression", "ternary_expression") and (
            field in ("consequence", "alternative") or
            (t == "conditional_expression" and child.id != parent.named_children[1].id)):
        raise Refused("the expression is evaluated only sometimes (in a conditional "
                      "expression)")
    if t in ("while_statement", "while_expression", "do_statement", "for_statement",
             "elif_clause", "else_clause", "for_clause", "loop_expression", "match_arm",
             "if_let_expression", "except_clause", "catch_clause"):
        if not (t == "for_statement" and field in ("right", "initializer")):
            raise Refused("the expression is evaluated only sometimes or repeatedly")
    if t in ("if_statement", "if_expression") and field not in ("condition", "initializer"):
        raise Refused("the expression is evaluated only sometimes")
    if t in ("for_in_statement", "for_expression", "range_clause") and field not in (
            "right", "value"):
        raise Refused("the expression is evaluated repeatedly (in a loop)")
    if t in ("keyword_argument", "pair") and field in ("name", "key"):
        raise Refused("select an expression, not a name")
