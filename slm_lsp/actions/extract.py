"""Extract function, decided by the syntax tree.

Pure: the document's bytes and tree in, a ``Plan`` (or the reason there is none) out; the edits
for a name are ``extract_edits``. The tree decides everything that can be decided: which
statements the selection holds, the parameters (names the selection reads that the enclosing
function binds), the return values (names it writes that are read after it), whether it leaves
the selection (``return``, ``yield``, ``break``...: refused, with the reason), whether the new
function is ``async`` and where it goes (a method when it uses ``self``/``this``, else a
function before the enclosing top-level definition). The model only proposes the name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from ..languages.lines import indent_at, line_start
from ..syntax.tree import ancestors
from . import flow
from .extract_basics import Refused, escape_reason, trim
from .extract_types import declared_types, is_copy, param_types
from .flow import Flow, refactoring

if TYPE_CHECKING:
    from tree_sitter import Node, Tree

    from ..languages import Refactoring

ROOTS = {"module", "program", "source_file"}
_STRINGS = {"string", "template_string", "raw_string_literal", "string_literal",
            "interpreted_string_literal"}


def _rules(language_id: str) -> Refactoring:
    r = refactoring(language_id)
    if r is None:
        raise Refused(f"extracting is not supported for {language_id}")
    return r


def _text(node: Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text else ""


# -- what the selection holds ------------------------------------------------------------------


def selected_statements(tree: Tree, data: bytes, a: int, b: int, language_id: str
                        ) -> list[Node] | None:
    """The run of sibling statements that the selection covers exactly (comments around them
    allowed), or None."""
    a, b = trim(data, a, b)
    if a >= b:
        return None
    blocks = _rules(language_id).blocks
    node = tree.root_node.descendant_for_byte_range(a, b)
    for n in ancestors(node):
        if n.type not in blocks and n.type not in ("module",):
            continue
        inside = [c for c in n.named_children if c.start_byte < b and c.end_byte > a]
        stmts = [c for c in inside if "comment" not in c.type]
        if not stmts:
            continue
        if any(c.start_byte < a or c.end_byte > b for c in inside):
            return None  # a statement is cut by the selection's edge
        if stmts[0].start_byte > a and not _only_comments(data, a, stmts[0].start_byte, inside):
            return None
        return stmts
    return None


def _only_comments(data: bytes, a: int, b: int, inside: list[Node]) -> bool:
    return all("comment" in c.type for c in inside if c.start_byte < b)


# -- scopes ----------------------------------------------------------------------------------
@attrs.frozen
class Scope:
    functions: tuple[Node, ...]  # enclosing functions, innermost first
    anchor: Node  # the top-level statement that holds the selection

    @property
    def function(self) -> Node | None:
        return self.functions[0] if self.functions else None


def scope_of(node: Node, language_id: str) -> Scope:
    functions_types = _rules(language_id).functions
    functions, anchor = [], node
    for n in ancestors(node.parent):
        if n.type in functions_types:
            functions.append(n)
        if n.parent is not None and n.parent.type in ROOTS:
            anchor = n
        if n.type in ROOTS:
            break
    return Scope(tuple(functions), anchor)


def _class_of_method(fn: Node, r: Refactoring) -> Node | None:
    """The class a method belongs to (Python ``def`` in a class body, JS ``method_definition``
    in a class body)."""
    parent = fn.parent
    if r.methods == "self":
        if parent is not None and parent.type == "decorated_definition":
            parent = parent.parent
        if parent is not None and parent.type == "block" and parent.parent is not None and \
                parent.parent.type == "class_definition":
            return parent.parent
        return None
    if r.methods == "this" and fn.type == "method_definition" and parent is not None and \
            parent.type == "class_body":
        return parent
    return None


def _decorators(fn: Node) -> list[str]:
    parent = fn.parent
    if parent is None or parent.type != "decorated_definition":
        return []
    return [_text(d).lstrip("@").strip() for d in parent.named_children if d.type == "decorator"]


@attrs.frozen
class Plan:
    """An extraction, decided: everything but the name."""

    kind: str  # "function" or "variable"
    language_id: str
    start: int  # bytes of the selection (statements or expression)
    end: int
    params: tuple[str, ...] = ()
    returns: tuple[str, ...] = ()
    declare: str = ""  # how the call site declares the returned names ("" = assigns them)
    is_async: bool = False
    receiver: str = ""  # "self"/"cls"/"this": a method, called through it
    static: bool = False
    insert_at: int = 0  # bytes: where the definition goes (a line start)
    base_indent: str = ""  # the definition's indentation
    types: tuple[tuple[str, str], ...] = ()  # Go/Rust/TS: name -> type, as written
    mutable: tuple[str, ...] = ()  # Rust: parameters the body assigns
    return_declares: tuple[str, ...] = ()  # each returned name's declaring keyword, or ""
    # Offsets into the selected lines (counted from the first) that are inside a multi-line
    # string: they keep their text when the body is re-indented.
    verbatim_lines: tuple[int, ...] = ()
    expression: bool = False  # one expression: the function returns it, the call replaces it


def scope_locals(scope: Scope, language_id: str, a: int, b: int
            ) -> tuple[set[str], set[str], list[flow.Use], dict[str, str], set[str]]:
    """For the enclosing functions: the names they bind outside the selection, those bound
    before it, the reads outside it, the written types, and the declaration keywords."""
    r = _rules(language_id)
    bound: set[str] = set()
    before: set[str] = set()
    reads: list[flow.Use] = []
    types: dict[str, str] = {}
    cache: dict = {}
    for i, fn in enumerate(scope.functions):
        params, body = flow.function_locals(fn, language_id, cache)
        bound |= set(params)
        before |= set(params)
        types.update(param_types(fn, r))
        for u in body.uses:
            if a <= u.byte < b:
                continue
            if u.write and not u.nested and (r.binds_by_assignment or u.declare):
                bound.add(u.name)
                if u.byte < a:
                    before.add(u.name)
            if u.read:
                reads.append(u)
        if i == 0 and fn.child_by_field_name("body") is not None:
            types.update(declared_types(fn.child_by_field_name("body"), r))
    return bound, before, reads, types, set()


def _loop_around(node: Node, function: Node | None, r: Refactoring) -> Node | None:
    """The outermost loop between the selection and its function."""
    found = None
    for n in ancestors(node.parent):
        if n == function or n.type in ROOTS:
            break
        if n.type in r.loops:
            found = n
    return found


def plan_function(tree: Tree, data: bytes, a: int, b: int, language_id: str, *,
                  quick: bool = False) -> Plan:
    """The extraction of the selected statements into a function. Raises ``Refused``.

    ``quick`` (listing) skips reading the whole module for a selection at its top level: the
    few refusals that need it are found when the action is resolved."""
    r = _rules(language_id)
    stmts = selected_statements(tree, data, a, b, language_id)
    if stmts is None:
        from .extract_variable import selected_expression

        expr = selected_expression(tree, data, a, b, language_id)
        if expr is not None:
            return plan_expression_function(tree, data, expr, language_id)
        raise Refused("select whole statements or an expression to extract a function")
    start, end = stmts[0].start_byte, stmts[-1].end_byte
    if data[line_start(data, start):start].strip():
        raise Refused("the selection shares its first line with other code")
    f = flow.analyze(stmts, language_id)
    if f.escapes:
        raise Refused(escape_reason(f))
    if f.problems:
        raise Refused(f"cannot extract: {f.problems[0]}")
    scope = scope_of(stmts[0], language_id)
    fn = scope.function
    _refuse_class_body(stmts[0], fn)
    if fn is None and not r.top_level_statements:
        raise Refused("select statements inside a function")
    if fn is not None and fn.type == "lambda":
        raise Refused("cannot extract from a lambda")
    bound, before, reads, types, _ = scope_locals(scope, language_id, start, end)
    loop = _loop_around(stmts[0], fn, r)

    def read_after(name: str) -> bool:
        for u in reads:
            if u.name != name:
                continue
            if u.byte >= end or u.nested or (loop is not None and
                                             loop.start_byte <= u.byte < loop.end_byte):
                return True
        return False

    written = f.writes()
    if fn is None:  # module level
        module_flow = flow.analyze([] if quick else list(tree.root_node.named_children),
                                   language_id)
        outside = [u for u in module_flow.uses if not (start <= u.byte < end)]
        if r.binds_by_assignment:
            returns = written  # module globals keep their values (other modules import them)
            bound_before = {u.name for u in outside if u.write and u.byte < start}
            params = [n for n in written if f.read_first(n) or not f.surely_written(n)]
            for n in params:
                if n not in bound_before:
                    raise Refused(f"`{n}` is assigned only on some paths of the selection")
        else:
            declared = [n for n in written if f.declared(n)]
            returns = [n for n in declared if any(u.name == n and u.read for u in outside)]
            for n in returns:
                if f.declared(n) in ("function", "class"):
                    raise Refused(f"the selection declares `{n}`, which is used elsewhere")
            params = []
    else:
        local = bound | {n for n in written if f.declared(n)}
        if r.binds_by_assignment:
            local |= set(written)
        returns = [n for n in written if n in local and read_after(n) and
                   not (r.lexical_declarations and f.declared(n) and f.declared(n) != "var"
                        and not f.surely_written(n))]
        params = [n for n in f.reads() if n in bound and f.read_first(n)]
        for n in returns:
            if not f.surely_written(n) and n not in params:
                if n in before:
                    params.append(n)
                else:
                    raise Refused(f"`{n}` is assigned only on some paths of the selection")
    receiver, static, insert_at, base = _placement(scope, f, params, data, start, language_id)
    declare = r.writer.declaration([f.declared(n) for n in returns])
    if r.inline_modules and scope.anchor.type == "mod_item" and not receiver:
        raise Refused("extracting out of an inline `mod` is not supported")
    plan = Plan("function", language_id, start, end, tuple(params), tuple(returns), declare,
                f.awaits, receiver, static, insert_at, base,
                tuple(sorted(types.items())),
                tuple(n for n in params if any(u.name == n and u.write for u in f.uses)),
                tuple(f.declared(n) for n in returns),
                _string_lines(stmts))
    if r.typed_signatures:
        _check_types(plan, r)
    return plan


def _refuse_class_body(node: Node, function: Node | None) -> None:
    """Statements of a Python class body bind class attributes: they cannot move into a
    function."""
    for n in ancestors(node.parent):
        if n == function or n.type in ROOTS:
            return
        if n.type == "class_definition":
            raise Refused("the selection is in a class body; extract from a method instead")


def _placement(scope: Scope, f: Flow, params: list[str], data: bytes, start: int,
               language_id: str) -> tuple[str, bool, int, str]:
    """Method or function, and where its definition goes: (receiver, static, the line it is
    inserted at, its indentation). Takes the receiver out of ``params``."""
    r = _rules(language_id)
    fn = scope.function
    receiver, static = "", False
    # Python's `super()` with no arguments works only in a method of the class.
    needs_method = r.methods == "self" and "super" in f.reads()
    if fn is not None:
        cls = _class_of_method(fn, r)
        if r.methods == "self" and cls is not None:
            own = flow.function_locals(fn, language_id)[0]
            decorators = _decorators(fn)
            first = own[0] if own and "staticmethod" not in decorators else ""
            if first and (first in params or needs_method):
                receiver = first
                static = "classmethod" in decorators
                if first in params:
                    params.remove(first)
        elif r.methods == "this" and f.this:
            holder = next((g for g in scope.functions if g.type != "arrow_function"), None)
            if holder is None or _class_of_method(holder, r) is None:
                raise Refused("the selection uses `this` outside a class method")
            fn = holder
            receiver = "this"
            static = any(c.type == "static" for c in holder.children)
        elif f.this:
            raise Refused("the selection uses `self`; extract it inside the impl by hand")
    if needs_method and not receiver:
        raise Refused("the selection calls `super()`, which needs the method's class")
    if receiver:
        anchor = fn.parent if fn.parent is not None and \
            fn.parent.type == "decorated_definition" else fn
        return receiver, static, line_start(data, anchor.start_byte), indent_at(
            data, anchor.start_byte)
    if fn is None and r.hoisted_functions:
        return "", False, line_start(data, start), indent_at(data, start)
    if r.inline_modules and scope.anchor.type == "mod_item":
        raise Refused("extracting out of an inline `mod` is not supported")
    return "", False, line_start(data, scope.anchor.start_byte), ""


def _bound_around(node: Node, function: Node | None, r: Refactoring) -> set[str]:
    """Names bound by comprehensions between ``node`` and its function (Python)."""
    names: set[str] = set()
    walker = flow._Walker(r)
    for n in ancestors(node.parent):
        if n == function or n.type in ROOTS:
            break
        if n.type.endswith("comprehension") or n.type == "generator_expression":
            for clause in (c for c in n.named_children if c.type == "for_in_clause"):
                left = clause.child_by_field_name("left")
                if left is not None:
                    names |= set(walker.param_names_of_target(left))
    return names


def plan_expression_function(tree: Tree, data: bytes, expr: Node, language_id: str) -> Plan:
    """The extraction of one expression into a function that returns it; the call takes its
    place, so it is evaluated exactly when it was. Raises ``Refused``."""
    from .extract_variable import check_not_target, check_read, statement_of

    r = _rules(language_id)
    if r.typed_signatures:
        raise Refused("the type of the expression is not written in the code")
    check_read(expr, statement_of(expr, language_id), language_id)
    check_not_target(expr)
    f = flow.analyze([expr], language_id)
    if f.escapes:
        raise Refused(escape_reason(f))
    if f.problems:
        raise Refused(f"cannot extract: {f.problems[0]}")
    if any(u.write and not u.nested for u in f.uses):
        raise Refused("the expression assigns a variable")
    start, end = expr.start_byte, expr.end_byte
    scope = scope_of(expr, language_id)
    bound = scope_locals(scope, language_id, start, end)[0] if scope.function is not None else set()
    if r.comprehensions:
        bound |= _bound_around(expr, scope.function, r)
    params = [n for n in f.reads() if n in bound]
    receiver, static, insert_at, base = _placement(scope, f, params, data, start, language_id)
    return Plan("function", language_id, start, end, tuple(params), (), "", f.awaits,
                receiver, static, insert_at, base, expression=True)


def _string_lines(stmts: list[Node]) -> tuple[int, ...]:
    """The selected lines (offsets from the first) that begin inside a multi-line string."""
    first = stmts[0].start_point.row
    rows: set[int] = set()
    stack = list(stmts)
    while stack:
        n = stack.pop()
        if n.start_point.row == n.end_point.row:
            continue
        if n.type in _STRINGS:
            rows.update(range(n.start_point.row + 1 - first, n.end_point.row + 1 - first))
            continue
        stack.extend(n.children)
    return tuple(sorted(rows))


def _check_types(plan: Plan, r: Refactoring) -> None:
    types = dict(plan.types)
    for n in (*plan.params, *plan.returns):
        if n not in types:
            raise Refused(f"the type of `{n}` is not written in the code; declare it to "
                          "extract")
        if r.moves_values and n in plan.params and not is_copy(types[n]):
            raise Refused(f"passing `{n}: {types[n]}` to a function would move it")
    if plan.declare == "mixed":
        raise Refused("the selection both declares and assigns the values used after it")
