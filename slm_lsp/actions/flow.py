"""What a piece of code reads, writes and how it leaves: the data flow a refactoring needs.

Pure: tree-sitter nodes in, plain data out. ``analyze`` walks a region (a run of statements or
one expression) in evaluation order and records every use of a variable name: a read, a write
(assignment, declaration, loop target, import), whether it surely happens whenever the region
runs (not only in a branch, a loop body or a closure), and the statements that would leave the
region (``return``, ``yield``, ``break``/``continue`` to a loop outside it, ``?`` in Rust).
Python, JavaScript/TypeScript, Go and Rust.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from ..languages import Refactoring, rules_for
from .flow_go_rust import GoRules, RustRules
from .flow_js import JsRules
from .flow_python import PythonRules

if TYPE_CHECKING:
    from tree_sitter import Node

MAX_DEPTH = 120  # nesting levels walked (each costs a few Python frames)

_CONDITIONAL = {
    # Children of these run only sometimes, or many times: a write there is not sure.
    "if_statement", "elif_clause", "else_clause", "except_clause", "finally_clause",
    "try_statement", "match_statement", "case_clause", "conditional_expression",
    "switch_statement", "switch_case", "switch_default", "catch_clause", "ternary_expression",
    "expression_switch_statement", "type_switch_statement", "select_statement",
    "communication_case", "expression_case", "default_case", "type_case",
    "if_expression", "match_expression", "match_arm", "if_let_expression", "let_chain",
}
_IDENT = {"identifier", "shorthand_property_identifier"}


@attrs.frozen
class Use:
    """One use of a variable name."""

    name: str
    byte: int
    read: bool = False
    write: bool = False
    sure: bool = True  # happens whenever the region runs (not in a branch, loop or closure)
    declare: str = ""  # the declaring keyword ("let", "const", "var", ":=", "let mut"), if any
    nested: bool = False  # inside a function nested in the region (a closure)


@attrs.frozen
class Flow:
    """The data and control flow of a region."""

    uses: tuple[Use, ...] = ()
    escapes: tuple[str, ...] = ()  # "return", "yield", "break", "continue", "?", "goto"...
    awaits: bool = False
    this: bool = False  # reads `this`/`self`/`super` of the enclosing method (JS, Rust)
    problems: tuple[str, ...] = ()  # what forbids moving the region into another function

    def reads(self) -> list[str]:
        return _unique(u.name for u in self.uses if u.read)

    def writes(self) -> list[str]:
        return _unique(u.name for u in self.uses if u.write and not u.nested)

    def read_first(self, name: str) -> bool:
        """Is ``name`` (maybe) read before it is surely written?"""
        for u in self.uses:
            if u.name != name:
                continue
            if u.read:
                return True
            if u.write and u.sure and not u.nested:
                return False
        return False

    def surely_written(self, name: str) -> bool:
        return any(u.name == name and u.write and u.sure and not u.nested for u in self.uses)

    def declared(self, name: str) -> str:
        """The keyword that declares ``name`` in the region ("" if it is only assigned)."""
        for u in self.uses:
            if u.name == name and u.declare and not u.nested:
                return u.declare
        return ""


def _unique(names) -> list[str]:
    seen: dict[str, None] = {}
    for n in names:
        seen.setdefault(n, None)
    return list(seen)


def _text(node: Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text else ""


@attrs.frozen
class _Ctx:
    sure: bool = True
    bound: frozenset[str] = frozenset()  # names local to a nested function
    nested: bool = False
    loops: int = 0  # loops inside the region around here
    switches: int = 0  # switch/select statements inside the region around here
    labels: frozenset[str] = frozenset()
    declare: str = ""


class _Walker(PythonRules, JsRules, GoRules, RustRules):
    """Walks a region in evaluation order; the language rules come from the mixins."""

    def __init__(self, rules: Refactoring, cache: dict | None = None):
        self.rules = rules
        # Sub-walks (a nested function's locals, an if's branches) by node id: a function
        # nested in others is walked once for its locals, not once per enclosing function.
        self.cache: dict = {} if cache is None else cache
        self.depth = 0
        self.uses: list[Use] = []
        self.escapes: list[str] = []
        self.problems: list[str] = []
        self.nonlocals: list[str] = []  # `nonlocal` names of functions nested in the region
        self.declared_free: set[str] = set()  # `global`/`nonlocal` names of this scope
        self.awaits = False
        self.this = False

    # -- recording -------------------------------------------------------------------------
    text = staticmethod(_text)

    def add(self, name: str, byte: int, ctx: _Ctx, *, read: bool = False, write: bool = False,
            sure: bool | None = None) -> None:
        self.uses.append(Use(name, byte, read=read, write=write,
                             sure=ctx.sure if sure is None else sure, nested=ctx.nested))

    def short_circuit(self, node: Node, ctx: _Ctx) -> None:
        """``a && b``, ``a || b``, ``a ?? b``: the right side runs only sometimes."""
        op = node.child_by_field_name("operator")
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        short = op is not None and op.type in ("&&", "||", "??")
        if left is not None:
            self.visit(left, ctx)
        if right is not None:
            self.visit(right, attrs.evolve(ctx, sure=ctx.sure and not short))

    def read(self, node: Node, ctx: _Ctx) -> None:
        name = _text(node)
        if name and name not in ctx.bound:
            self.uses.append(Use(name, node.start_byte, read=True, sure=ctx.sure,
                                 nested=ctx.nested))

    def write(self, node: Node, ctx: _Ctx, *, read: bool = False, declare: str = "") -> None:
        name = _text(node)
        if name and name not in ctx.bound:
            self.uses.append(Use(name, node.start_byte, read=read, write=True, sure=ctx.sure,
                                 declare=declare or ctx.declare, nested=ctx.nested))

    def escape(self, what: str, ctx: _Ctx) -> None:
        if not ctx.nested:
            self.escapes.append(what)

    # -- walking ---------------------------------------------------------------------------
    def run(self, nodes: list[Node]) -> Flow:
        for node in nodes:
            self.visit(node, _Ctx())
        own = {u.name for u in self.uses if u.write and not u.nested}
        for name in self.nonlocals:
            if name not in own:
                self.problems.append(f"a nested function declares `nonlocal {name}`, a name "
                                     "bound outside the selection")
        return Flow(tuple(self.uses), tuple(_unique(self.escapes)), self.awaits, self.this,
                    tuple(_unique(self.problems)))

    def children(self, node: Node, ctx: _Ctx) -> None:
        for child in node.named_children:
            self.visit(child, ctx)

    def visit_field(self, node: Node, field: str, ctx: _Ctx) -> Node | None:
        """Visit ``node``'s child in ``field``, if it has one; return that child."""
        child = node.child_by_field_name(field)
        if child is not None:
            self.visit(child, ctx)
        return child

    def assign(self, node: Node, ctx: _Ctx, value: str = "right", target: str = "left", *,
               read: bool = False, declare: str = "") -> None:
        """An assignment, in the order it runs: the ``value`` field is evaluated, then the
        names of the ``target`` field are bound (and read first with ``read``: ``+=``)."""
        self.visit_field(node, value, ctx)
        left = node.child_by_field_name(target)
        if left is not None:
            self.targets(left, ctx, read=read, declare=declare)

    def visit(self, node: Node, ctx: _Ctx) -> None:
        if self.depth > MAX_DEPTH:
            self.problems.append("the code is nested too deeply")
            return
        self.depth += 1
        try:
            self._visit(node, ctx)
        finally:
            self.depth -= 1

    def _visit(self, node: Node, ctx: _Ctx) -> None:
        t = node.type
        if t == "comment" or t == "line_comment" or t == "block_comment":
            return
        if t in self.rules.functions:
            self.function(node, ctx)
            return
        handler = getattr(self, f"{self.rules.handlers}_{t}", None)
        if handler is not None:
            handler(node, ctx)
            return
        if t in self.rules.loops:
            self.loop(node, ctx)
            return
        if t in self.rules.breakable:
            self.children(node, attrs.evolve(ctx, switches=ctx.switches + 1, sure=False))
            return
        if t in _CONDITIONAL:
            self.conditional(node, ctx)
            return
        if t in _IDENT:
            self.read(node, ctx)
            return
        if t in ("break_statement", "continue_statement", "break_expression",
                 "continue_expression"):
            label = node.child_by_field_name("label") or next(
                (c for c in node.named_children if c.type in ("label", "statement_identifier",
                                                              "label_name")), None)
            inside = ctx.loops + (ctx.switches if t.startswith("break") else 0)
            if (label is not None and _text(label).lstrip("'") not in ctx.labels) or (
                    label is None and inside == 0):
                self.escape("break" if t.startswith("break") else "continue", ctx)
            self.children(node, ctx)
            return
        if t in ("return_statement", "return_expression"):
            self.escape("return", ctx)
        elif t in ("yield", "yield_expression"):
            self.escape("yield", ctx)
        elif t in ("await", "await_expression"):
            if not ctx.nested:
                self.awaits = True
        self.children(node, ctx)

    def conditional(self, node: Node, ctx: _Ctx) -> None:
        """The first child (a condition) runs surely, the rest only sometimes."""
        first = True
        for child in node.named_children:
            if first and child.type not in ("block", "statement_block"):
                self.visit(child, ctx)
            else:
                self.visit(child, attrs.evolve(ctx, sure=False))
            first = False
        if node.type in ("if_statement", "if_expression") and not ctx.nested:
            self.join_branches(node, ctx)

    def join_branches(self, node: Node, ctx: _Ctx) -> None:
        """A name that every branch of an ``if`` with an ``else`` surely assigns is surely
        assigned by the ``if``."""
        branches = [node.child_by_field_name("consequence")]
        if self.rules.if_clauses:
            clauses = [c for c in node.named_children if c.type in ("elif_clause",
                                                                     "else_clause")]
            if not clauses or clauses[-1].type != "else_clause":
                return
            branches += [c.child_by_field_name("consequence") or c.child_by_field_name("body")
                         for c in clauses]
        else:
            other = node.child_by_field_name("alternative")
            if other is None:
                return
            if other.type == "else_clause":
                other = other.named_children[0] if other.named_children else None
            branches.append(other)
        common: set[str] | None = None
        for branch in branches:
            if branch is None:
                return
            key = ("sure", branch.id)
            if key not in self.cache:
                sub = _Walker(self.rules, self.cache)
                sub.visit(branch, _Ctx())
                self.cache[key] = {u.name for u in sub.uses if u.write and u.sure and
                                   not u.nested and (self.rules.binds_by_assignment or
                                                     u.declare in ("", "var"))}
            sure = self.cache[key]
            common = sure if common is None else common & sure
        for name in sorted(common or ()):
            self.add(name, node.end_byte, ctx, write=True)

    def loop(self, node: Node, ctx: _Ctx) -> None:
        inner = attrs.evolve(ctx, sure=False, loops=ctx.loops + 1)
        if any(c.type == "async" or (c.type == "await" and self.rules.for_await)
               for c in node.children) and not ctx.nested:
            self.awaits = True
        rest = []
        for i, child in enumerate(node.children):  # the head runs first, and surely
            if not child.is_named:
                continue
            field = node.field_name_for_child(i)
            if field in ("right", "value") and node.type != "while_statement":
                self.visit(child, ctx)  # the iterable
            elif field == "condition" and node.type in ("while_statement", "while_expression"):
                self.visit(child, ctx)  # evaluated at least once
            else:
                rest.append((field, child))
        for field, child in rest:
            if field in ("left", "pattern"):
                self.targets(child, inner, declare=self.loop_declare(node))
            else:
                self.visit(child, inner)

    def loop_declare(self, node: Node) -> str:
        if self.rules.loop_declare_field:
            return _text(node.child_by_field_name(self.rules.loop_declare_field))
        return self.rules.loop_declare

    def function(self, node: Node, ctx: _Ctx) -> None:
        """A nested function: its name is written here; its body may run later (a closure)."""
        name = node.child_by_field_name("name")
        if name is not None and node.type in ("function_definition", "function_declaration",
                                              "generator_function_declaration", "function_item"):
            self.write(name, ctx, declare="function")
        if node.parent is not None and node.parent.type == "decorated_definition":
            for dec in (node.parent.named_children if node.parent is not None and
                        node.parent.type == "decorated_definition" else []):
                if dec.type == "decorator":
                    self.visit(dec, ctx)
        params = node.child_by_field_name("parameters")
        local = set(self.param_names(params))
        body = node.child_by_field_name("body")
        if body is not None:
            local |= self.locals_of(body)
        inner = attrs.evolve(ctx, sure=False, nested=True, loops=0, switches=0,
                             labels=frozenset(),
                             bound=ctx.bound | frozenset(local), declare="")
        if params is not None:
            for p in params.named_children:  # defaults and types are evaluated here
                for field in ("value", "right", "default"):
                    value = p.child_by_field_name(field)
                    if value is not None:
                        self.visit(value, ctx)
        if node.type == "arrow_function" or self.rules.closures_share_self:
            lexical_this = True
        else:
            lexical_this = False
        before = self.this
        if body is not None:
            self.visit(body, inner)
        if not lexical_this:
            self.this = before  # `this` inside a nested function is its own

    def param_names(self, params: Node | None) -> list[str]:
        if params is None:
            return []
        collector = _Walker(self.rules)
        for p in params.named_children:
            if p.type in ("comment", "self_parameter"):
                continue
            if p.type in ("keyword_separator", "positional_separator"):
                continue
            target = (p.child_by_field_name("pattern") or p.child_by_field_name("name")
                      or p.child_by_field_name("left") or p)
            if target.type in ("typed_parameter", "dictionary_splat_pattern") and \
                    target.named_children:
                target = target.named_children[0]
            if self.rules.grouped_params:
                for c in p.named_children:
                    if c.type == "identifier":
                        collector.write(c, _Ctx())
                continue
            if target.type in _IDENT:
                collector.write(target, _Ctx())
            else:
                collector.targets(target, _Ctx())
        return [u.name for u in collector.uses if u.write]

    def locals_of(self, body: Node) -> set[str]:
        """Names a nested function's body binds for itself."""
        key = ("locals", body.id)
        if key in self.cache:
            return self.cache[key]
        collector = _Walker(self.rules, self.cache)
        collector.visit(body, _Ctx())
        if self.rules.binds_by_assignment:
            found = {u.name for u in collector.uses if u.write and not u.nested} - \
                collector.declared_free
        else:
            found = {u.name for u in collector.uses if u.declare and not u.nested}
        self.cache[key] = found
        return found

    def param_names_of_target(self, node: Node) -> list[str]:
        """The names an assignment target (or a pattern) binds."""
        collector = _Walker(self.rules)
        collector.targets(node, _Ctx())
        return [u.name for u in collector.uses if u.write]

    def targets(self, node: Node, ctx: _Ctx, *, read: bool = False, declare: str = "") -> None:
        """Assignment targets: names are written, anything else (``a.b``, ``a[i]``) is read."""
        t = node.type
        if t in ("identifier", "shorthand_property_identifier_pattern"):
            self.write(node, ctx, read=read, declare=declare)
        elif t in ("pattern_list", "tuple_pattern", "list_pattern", "tuple", "list",
                   "list_splat_pattern", "array_pattern", "object_pattern", "rest_pattern",
                   "parenthesized_expression", "expression_list", "as_pattern_target",
                   "tuple_struct_pattern", "struct_pattern", "ref_pattern", "reference_pattern",
                   "mut_pattern", "slice_pattern", "list_splat", "or_pattern",
                   "captured_pattern", "field_pattern", "remaining_field_pattern"):
            for i, child in enumerate(node.children):
                if not child.is_named:
                    continue
                field = node.field_name_for_child(i)
                if field == "type" or child.type in ("type_identifier", "scoped_type_identifier",
                                                     "field_identifier", "mutable_specifier"):
                    continue
                if t == "field_pattern" and field == "name" and node.child_by_field_name(
                        "pattern") is not None:
                    continue
                if t == "field_pattern" and child.type == "shorthand_field_identifier":
                    self.write(child, ctx, read=read, declare=declare)
                    continue
                self.targets(child, ctx, read=read, declare=declare)
        elif t == "pair_pattern":
            value = node.child_by_field_name("value")
            if value is not None:
                self.targets(value, ctx, read=read, declare=declare)
        elif t in ("assignment_pattern", "object_assignment_pattern"):
            right = node.child_by_field_name("right")
            if right is not None:
                self.visit(right, ctx)
            left = node.child_by_field_name("left")
            if left is not None:
                self.targets(left, ctx, read=read, declare=declare)
        elif t == "shorthand_field_identifier":
            self.write(node, ctx, read=read, declare=declare)
        else:
            self.visit(node, ctx)


def refactoring(language_id: str) -> Refactoring | None:
    """The language's refactoring rules, or None when it has none."""
    rules = rules_for(language_id)
    return rules.refactor if rules is not None else None


def analyze(nodes: list[Node], language_id: str, cache: dict | None = None) -> Flow:
    """The flow of a region: a run of sibling statements, or one expression. Walks of one
    tree may share a ``cache``."""
    rules = refactoring(language_id)
    if rules is None:
        return Flow(problems=(f"{language_id} is not supported",))
    return _Walker(rules, cache).run(nodes)


def function_locals(function: Node, language_id: str, cache: dict | None = None
                    ) -> tuple[list[str], Flow]:
    """A function's parameters and the flow of its body (every local it binds or reads)."""
    rules = refactoring(language_id)
    assert rules is not None
    walker = _Walker(rules, cache)
    params = walker.param_names(function.child_by_field_name("parameters"))
    if rules.receivers:
        receiver = function.child_by_field_name("receiver")
        params = walker.param_names(receiver) + params
    body = function.child_by_field_name("body")
    flow = analyze([body], language_id, walker.cache) if body is not None else Flow()
    return params, flow
