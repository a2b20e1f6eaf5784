"""How JavaScript and TypeScript read and bind names: the rules ``flow._Walker`` applies."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from tree_sitter import Node

    from .flow import _Ctx


class JsRules:
    """Handlers for JavaScript/TypeScript nodes (``js_<node type>``)."""

    def js_lexical_declaration(self, node: Node, ctx: _Ctx) -> None:
        kind = node.child_by_field_name("kind")
        keyword = self.text(kind) if kind is not None else self.text(node.children[0])
        self.children(node, attrs.evolve(ctx, declare=keyword))

    def js_variable_declaration(self, node: Node, ctx: _Ctx) -> None:
        self.children(node, attrs.evolve(ctx, declare="var"))

    def js_variable_declarator(self, node: Node, ctx: _Ctx) -> None:
        value = node.child_by_field_name("value")
        if value is not None:
            self.visit(value, attrs.evolve(ctx, declare=""))
        name = node.child_by_field_name("name")
        if name is not None:
            self.targets(name, ctx, declare=ctx.declare or "var")

    def js_assignment_expression(self, node: Node, ctx: _Ctx) -> None:
        self.assign(node, attrs.evolve(ctx, declare=""))

    def js_augmented_assignment_expression(self, node: Node, ctx: _Ctx) -> None:
        op = next((c.type for c in node.children if not c.is_named and c.type.endswith("=")),
                  "")
        short = op in ("&&=", "||=", "??=")  # the right side may not run
        self.assign(node, attrs.evolve(ctx, declare="", sure=ctx.sure and not short), read=True)

    def js_update_expression(self, node: Node, ctx: _Ctx) -> None:
        arg = node.child_by_field_name("argument")
        if arg is not None:
            self.targets(arg, attrs.evolve(ctx, declare=""), read=True)

    def js_member_expression(self, node: Node, ctx: _Ctx) -> None:
        self.visit_field(node, "object", ctx)

    def js_pair(self, node: Node, ctx: _Ctx) -> None:
        key = node.child_by_field_name("key")
        if key is not None and key.type == "computed_property_name":
            self.visit(key, ctx)
        self.visit_field(node, "value", ctx)

    def js_binary_expression(self, node: Node, ctx: _Ctx) -> None:
        self.short_circuit(node, ctx)

    def js_call_expression(self, node: Node, ctx: _Ctx) -> None:
        function = node.child_by_field_name("function")
        if function is not None and function.type == "super" and not ctx.nested:
            self.problems.append("it calls the parent constructor (`super()`)")
        self.children(node, ctx)

    def js_this(self, node: Node, ctx: _Ctx) -> None:
        self.this = True

    js_super = js_this

    def js_identifier(self, node: Node, ctx: _Ctx) -> None:
        if self.text(node) == "arguments" and not ctx.nested:
            self.problems.append("it uses `arguments`")
        self.read(node, ctx)

    def js_class_declaration(self, node: Node, ctx: _Ctx) -> None:
        name = node.child_by_field_name("name")
        if name is not None:
            self.write(name, ctx, declare="class")
        for child in node.named_children:
            if child != name:
                self.visit(child, attrs.evolve(ctx, sure=False, nested=True))

    def js_labeled_statement(self, node: Node, ctx: _Ctx) -> None:
        label = node.child_by_field_name("label")
        body = node.child_by_field_name("body")
        if body is not None:
            self.visit(body, attrs.evolve(ctx, labels=ctx.labels | {self.text(label)}))

    def js_catch_clause(self, node: Node, ctx: _Ctx) -> None:
        param = node.child_by_field_name("parameter")
        names = set(self.param_names_of_target(param)) if param is not None else set()
        body = node.child_by_field_name("body")
        if body is not None:
            self.visit(body, attrs.evolve(ctx, sure=False, bound=ctx.bound | frozenset(names)))

    def js_import_statement(self, node: Node, ctx: _Ctx) -> None:
        self.problems.append("it contains an import")

    def js_export_statement(self, node: Node, ctx: _Ctx) -> None:
        self.problems.append("it contains an export")

    def js_ternary_expression(self, node: Node, ctx: _Ctx) -> None:
        cond = node.child_by_field_name("condition")
        if cond is not None:
            self.visit(cond, ctx)
        for field in ("consequence", "alternative"):
            part = node.child_by_field_name(field)
            if part is not None:
                self.visit(part, attrs.evolve(ctx, sure=False))

    def js_for_statement(self, node: Node, ctx: _Ctx) -> None:
        init = node.child_by_field_name("initializer")
        if init is not None:
            self.visit(init, ctx)
        inner = attrs.evolve(ctx, sure=False, loops=ctx.loops + 1)
        cond = node.child_by_field_name("condition")
        if cond is not None:
            self.visit(cond, ctx)
        for field in ("increment", "body"):
            part = node.child_by_field_name(field)
            if part is not None:
                self.visit(part, inner)
