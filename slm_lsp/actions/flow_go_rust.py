"""How Go and Rust read and bind names: the rules ``flow._Walker`` applies to them."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from tree_sitter import Node

    from .flow import _Ctx


class GoRules:
    """Handlers for Go nodes (``go_<node type>``)."""

    def go_short_var_declaration(self, node: Node, ctx: _Ctx) -> None:
        self.assign(node, ctx, declare=":=")

    def go_assignment_statement(self, node: Node, ctx: _Ctx) -> None:
        op = next((c.type for c in node.children if not c.is_named), "=")
        self.assign(node, ctx, read=op != "=")

    def go_inc_statement(self, node: Node, ctx: _Ctx) -> None:
        for child in node.named_children:
            self.targets(child, ctx, read=True)

    go_dec_statement = go_inc_statement

    def go_var_spec(self, node: Node, ctx: _Ctx, declare: str = "var") -> None:
        self.visit_field(node, "value", ctx)
        for name in node.children_by_field_name("name"):
            self.write(name, ctx, declare=declare)

    def go_const_spec(self, node: Node, ctx: _Ctx) -> None:
        self.go_var_spec(node, ctx, declare="const")

    def go_range_clause(self, node: Node, ctx: _Ctx) -> None:
        right = node.child_by_field_name("right")
        if right is not None:
            self.visit(right, ctx)
        left = node.child_by_field_name("left")
        if left is not None:
            declare = ":=" if any(c.type == ":=" for c in node.children) else ""
            self.targets(left, attrs.evolve(ctx, sure=False), declare=declare)

    def go_for_statement(self, node: Node, ctx: _Ctx) -> None:
        inner = attrs.evolve(ctx, sure=False, loops=ctx.loops + 1)
        for child in node.named_children:
            if child.type == "range_clause":
                self.go_range_clause(child, ctx)
            elif child.type == "for_clause":
                init = child.child_by_field_name("initializer")
                if init is not None:
                    self.visit(init, ctx)
                for field in ("condition", "update"):
                    part = child.child_by_field_name(field)
                    if part is not None:
                        self.visit(part, inner)
            else:
                self.visit(child, inner)

    def go_selector_expression(self, node: Node, ctx: _Ctx) -> None:
        self.visit_field(node, "operand", ctx)

    def go_keyed_element(self, node: Node, ctx: _Ctx) -> None:
        key = node.child_by_field_name("key")
        value = node.child_by_field_name("value")
        if key is not None and not (key.named_child_count == 1 and
                                    key.named_children[0].type == "identifier"):
            self.visit(key, ctx)  # `Name:` in a struct literal is a field, not a variable
        if value is not None:
            self.visit(value, ctx)

    def go_defer_statement(self, node: Node, ctx: _Ctx) -> None:
        if not ctx.nested:
            self.problems.append("a `defer` would run when the new function returns")
        self.children(node, ctx)

    def go_go_statement(self, node: Node, ctx: _Ctx) -> None:
        self.children(node, ctx)

    def go_goto_statement(self, node: Node, ctx: _Ctx) -> None:
        self.escape("goto", ctx)

    def go_labeled_statement(self, node: Node, ctx: _Ctx) -> None:
        label = node.child_by_field_name("label")
        self.children(node, attrs.evolve(ctx, labels=ctx.labels | {self.text(label)}))

    def go_unary_expression(self, node: Node, ctx: _Ctx) -> None:
        op = node.child_by_field_name("operator")
        if op is not None and op.type == "&" and not ctx.nested:
            operand = node.child_by_field_name("operand")
            if operand is not None and operand.type == "identifier":
                self.add(self.text(operand), operand.start_byte, ctx, read=True, write=True,
                         sure=False)
                return
        self.children(node, ctx)

    def go_fallthrough_statement(self, node: Node, ctx: _Ctx) -> None:
        if ctx.loops == 0:
            self.escape("fallthrough", ctx)

    def go_binary_expression(self, node: Node, ctx: _Ctx) -> None:
        self.short_circuit(node, ctx)


class RustRules:
    """Handlers for Rust nodes (``rust_<node type>``)."""

    def rust_let_declaration(self, node: Node, ctx: _Ctx) -> None:
        self.visit_field(node, "value", ctx)
        self.visit_field(node, "alternative", attrs.evolve(ctx, sure=False))
        pattern = node.child_by_field_name("pattern")
        mutable = any(c.type == "mutable_specifier" for c in node.named_children)
        if pattern is not None:
            self.targets(pattern, ctx, declare="let mut" if mutable else "let")

    def rust_assignment_expression(self, node: Node, ctx: _Ctx) -> None:
        self.assign(node, ctx)

    def rust_compound_assignment_expr(self, node: Node, ctx: _Ctx) -> None:
        self.assign(node, ctx, read=True)

    def rust_field_expression(self, node: Node, ctx: _Ctx) -> None:
        self.visit_field(node, "value", ctx)

    def rust_try_expression(self, node: Node, ctx: _Ctx) -> None:
        self.escape("?", ctx)
        self.children(node, ctx)

    def rust_self(self, node: Node, ctx: _Ctx) -> None:
        self.this = True

    def rust_field_initializer(self, node: Node, ctx: _Ctx) -> None:
        self.visit_field(node, "value", ctx)

    def rust_shorthand_field_initializer(self, node: Node, ctx: _Ctx) -> None:
        self.children(node, ctx)

    def rust_macro_invocation(self, node: Node, ctx: _Ctx) -> None:
        for tree in (c for c in node.named_children if c.type == "token_tree"):
            stack = list(tree.named_children)
            while stack:
                n = stack.pop(0)
                if n.type == "identifier":
                    self.read(n, ctx)
                elif n.type == "string_literal":
                    # `format!("{x}")` reads x inside the string (inline format arguments).
                    for m in re.finditer(rb"(?<!\{)\{([A-Za-z_]\w*)", n.text or b""):
                        self.add(m.group(1).decode(), n.start_byte + m.start(1), ctx,
                                 read=True)
                elif n.type == "self":
                    self.this = True
                else:
                    stack.extend(n.named_children)

    def rust_match_pattern(self, node: Node, ctx: _Ctx) -> None:
        for i, child in enumerate(node.children):
            if not child.is_named:
                continue
            if node.field_name_for_child(i) == "condition":
                self.visit(child, ctx)
            else:
                self.targets(child, ctx, declare="let")

    def rust_let_condition(self, node: Node, ctx: _Ctx) -> None:
        self.visit_field(node, "value", ctx)
        pattern = node.child_by_field_name("pattern")
        if pattern is not None:
            self.targets(pattern, attrs.evolve(ctx, sure=False), declare="let")

    def rust_scoped_identifier(self, node: Node, ctx: _Ctx) -> None:
        return  # a path (`std::mem::swap`, `Self::new`), not a local

    def rust_loop_label(self, node: Node, ctx: _Ctx) -> None:
        return

    def rust_for_expression(self, node: Node, ctx: _Ctx) -> None:
        label = next((c for c in node.children if c.type == "label"), None)
        if label is not None:
            ctx = attrs.evolve(ctx, labels=ctx.labels | {self.text(label).lstrip("'")})
        self.loop(node, ctx)

    def rust_while_expression(self, node: Node, ctx: _Ctx) -> None:
        self.rust_for_expression(node, ctx)

    def rust_loop_expression(self, node: Node, ctx: _Ctx) -> None:
        self.rust_for_expression(node, ctx)

    def rust_binary_expression(self, node: Node, ctx: _Ctx) -> None:
        self.short_circuit(node, ctx)

