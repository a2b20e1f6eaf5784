"""How Python code reads and binds names: the rules ``flow._Walker`` applies to Python."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from tree_sitter import Node

    from .flow import _Ctx


class PythonRules:
    """Handlers for Python nodes (``python_<node type>``)."""

    def python_assignment(self, node: Node, ctx: _Ctx) -> None:
        right = node.child_by_field_name("right")
        if right is not None:
            self.visit(right, ctx)
        kind = node.child_by_field_name("type")
        if kind is not None:
            self.visit(kind, ctx)
        left = node.child_by_field_name("left")
        if left is not None and (right is not None or kind is None):
            self.targets(left, ctx)

    def python_augmented_assignment(self, node: Node, ctx: _Ctx) -> None:
        self.assign(node, ctx, read=True)

    def python_named_expression(self, node: Node, ctx: _Ctx) -> None:
        self.assign(node, ctx, "value", "name")

    def python_attribute(self, node: Node, ctx: _Ctx) -> None:
        self.visit_field(node, "object", ctx)

    def python_keyword_argument(self, node: Node, ctx: _Ctx) -> None:
        self.visit_field(node, "value", ctx)

    def python_boolean_operator(self, node: Node, ctx: _Ctx) -> None:
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is not None:
            self.visit(left, ctx)
        if right is not None:
            self.visit(right, attrs.evolve(ctx, sure=False))

    def python_conditional_expression(self, node: Node, ctx: _Ctx) -> None:
        parts = node.named_children
        if len(parts) == 3:
            self.visit(parts[1], ctx)
            self.visit(parts[0], attrs.evolve(ctx, sure=False))
            self.visit(parts[2], attrs.evolve(ctx, sure=False))
        else:
            self.children(node, attrs.evolve(ctx, sure=False))

    def _as_pattern(self, node: Node, ctx: _Ctx) -> None:
        """``expr as name`` (``with``, ``except``): the expression, then the name bound."""
        parts = node.named_children
        if parts:
            self.visit(parts[0], ctx)
        alias = node.child_by_field_name("alias")
        if alias is not None:
            self.targets(alias, ctx)

    def python_with_item(self, node: Node, ctx: _Ctx) -> None:
        value = node.child_by_field_name("value")
        if value is not None and value.type == "as_pattern":
            self._as_pattern(value, ctx)
        elif value is not None:
            self.visit(value, ctx)

    def python_with_statement(self, node: Node, ctx: _Ctx) -> None:
        if any(c.type == "async" for c in node.children) and not ctx.nested:
            self.awaits = True
        self.children(node, ctx)

    def python_except_clause(self, node: Node, ctx: _Ctx) -> None:
        inner = attrs.evolve(ctx, sure=False)
        for child in node.named_children:
            if child.type == "as_pattern":
                self._as_pattern(child, inner)
            else:
                self.visit(child, inner)

    def _imports(self, node: Node, ctx: _Ctx, part: int) -> None:
        """Bind the names an import binds: the alias, else the ``part`` of the dotted name
        (``import a.b`` binds ``a``; ``from m import a`` binds ``a``)."""
        for name in node.children_by_field_name("name"):
            if name.type == "aliased_import":
                alias = name.child_by_field_name("alias")
                if alias is not None:
                    self.write(alias, ctx, declare="import")
            elif name.named_children:
                self.write(name.named_children[part], ctx, declare="import")

    def python_import_statement(self, node: Node, ctx: _Ctx) -> None:
        self._imports(node, ctx, 0)

    def python_import_from_statement(self, node: Node, ctx: _Ctx) -> None:
        if any(c.type == "wildcard_import" for c in node.named_children):
            self.problems.append("`import *` binds names that cannot be known")
            return
        self._imports(node, ctx, -1)

    def python_global_statement(self, node: Node, ctx: _Ctx) -> None:
        self.declared_free = self.declared_free | {self.text(c) for c in node.named_children}
        if not ctx.nested:
            self.problems.append("it declares `global` names")

    def python_nonlocal_statement(self, node: Node, ctx: _Ctx) -> None:
        names = {self.text(c) for c in node.named_children}
        self.declared_free = self.declared_free | names
        if ctx.nested:
            self.nonlocals.extend(sorted(names))
        else:
            self.problems.append("it declares `nonlocal` names")

    def python_class_definition(self, node: Node, ctx: _Ctx) -> None:
        name = node.child_by_field_name("name")
        if name is not None:
            self.write(name, ctx, declare="class")
        for field in ("superclasses",):
            part = node.child_by_field_name(field)
            if part is not None:
                self.visit(part, ctx)
        body = node.child_by_field_name("body")
        if body is not None:
            local = self.locals_of(body)
            self.visit(body, attrs.evolve(ctx, sure=False, nested=True,
                                          bound=ctx.bound | frozenset(local)))

    def python_decorated_definition(self, node: Node, ctx: _Ctx) -> None:
        definition = node.child_by_field_name("definition")
        if definition is not None:
            self.visit(definition, ctx)

    def python_delete_statement(self, node: Node, ctx: _Ctx) -> None:
        for child in node.named_children:
            self.targets(child, ctx)

    def _comprehension(self, node: Node, ctx: _Ctx) -> None:
        clauses = [c for c in node.named_children if c.type == "for_in_clause"]
        bound: set[str] = set()
        for clause in clauses:
            left = clause.child_by_field_name("left")
            if left is not None:
                bound |= set(self.param_names_of_target(left))
        inner = attrs.evolve(ctx, sure=False, bound=ctx.bound | frozenset(bound))
        for child in node.named_children:
            if child.type == "for_in_clause":
                right = child.child_by_field_name("right")
                if right is not None:
                    # The first iterable is evaluated in the enclosing scope, surely.
                    self.visit(right, ctx if clauses and child == clauses[0] else inner)
            else:
                self.visit(child, inner)

    python_list_comprehension = python_set_comprehension = _comprehension
    python_dictionary_comprehension = python_generator_expression = _comprehension

    def python_for_statement(self, node: Node, ctx: _Ctx) -> None:
        if any(c.type == "async" for c in node.children) and not ctx.nested:
            self.awaits = True
        self.loop(node, ctx)

    def python_case_pattern(self, node: Node, ctx: _Ctx) -> None:
        for child in node.named_children:
            if child.type == "identifier":
                self.write(child, ctx)
            elif child.type == "dotted_name":
                if len(child.named_children) > 1:
                    self.read(child.named_children[0], ctx)
                elif child.named_children:
                    self.write(child.named_children[0], ctx)
            else:
                self.python_case_pattern(child, ctx)
