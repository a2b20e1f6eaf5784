"""Rust: its rules, its doc comment (``///`` with ``# Arguments``), how an extracted function
is written, and the ``#[cfg(test)]`` module."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from .base import Grammar, Language, NextEdits, Refactoring, Tests
from .doc_comments import Insertion, Style
from .extract_text import Writer
from .lines import text_indent, text_line_start
from .test_conventions import Convention, TestPlan, call_of

if TYPE_CHECKING:
    from .definition import Definition
    from .extract_text import FunctionPlan, VariablePlan

KEYWORDS = frozenset("""as break const continue crate else enum extern false fn for if impl in
let loop match mod move mut pub ref return self Self static struct super trait true type unsafe
use where while async await dyn abstract become box do final macro override priv typeof
unsized virtual yield try union""".split())


# -- doc comment -------------------------------------------------------------------------------
@attrs.frozen
class RustDoc:
    """``///`` lines above the item, with an ``# Arguments`` list."""

    inside_body: bool = False
    styled: bool = False
    stops: tuple[str, ...] = ("\n",)

    def render(self, d: Definition, given: str, summary: str, *, text: str, body_offset: int,
               start_offset: int, style: Style, unit: str) -> Insertion:
        indent = text_indent(text, start_offset)
        lines = [f"{indent}/// {summary}"]
        if d.params:
            lines += [f"{indent}///", f"{indent}/// # Arguments", f"{indent}///"]
            lines += [f"{indent}/// * `{p}` - The {p}." for p in d.params]
        return Insertion(text_line_start(text, start_offset), "\n".join(lines) + "\n")

    def opening(self, d: Definition, *, text: str, body_offset: int, start_offset: int
                ) -> tuple[str, str]:
        where = text_line_start(text, start_offset)
        return text[:where] + f"{text_indent(text, start_offset)}/// ", "\n" + text[where:]


# -- extract function / variable ---------------------------------------------------------------
class RustText(Writer):
    keyword = "fn "
    variable_keyword = "let "

    def params(self, plan: FunctionPlan, r: Refactoring) -> str:
        types = dict(plan.types)
        return ", ".join(f"{'mut ' if p in plan.mutable else ''}{p}: {types[p]}"
                         for p in plan.params)

    def definition(self, plan: FunctionPlan, name: str, data: bytes, unit: str,
                   r: Refactoring) -> str:
        body = self.body(plan, data, unit, r)
        base, inner, rets = plan.base_indent, plan.base_indent + unit, list(plan.returns)
        types = dict(plan.types)
        result = ""
        if len(rets) == 1:
            result = f" -> {types[rets[0]]}"
        elif rets:
            result = f" -> ({', '.join(types[r] for r in rets)})"
        tail = ""
        if rets:
            tail = f"\n{inner}{rets[0] if len(rets) == 1 else '(' + ', '.join(rets) + ')'}"
        return (f"{base}{'async ' if plan.is_async else ''}fn {name}({self.params(plan, r)})"
                f"{result} {{\n{body}{tail}\n{base}}}\n\n")

    def awaited(self, expr: str) -> str:
        return f"{expr}.await"

    def call(self, plan: FunctionPlan, expr: str, data: bytes) -> str:
        rets = list(plan.returns)
        if not rets:
            return f"{expr};"
        names = [f"mut {r}" if d == "let mut" else r
                 for r, d in zip(rets, plan.return_declares, strict=False)]
        if plan.declare == "let":
            bound = names[0] if len(names) == 1 else f"({', '.join(names)})"
            return f"let {bound} = {expr};"
        bound = rets[0] if len(rets) == 1 else f"({', '.join(rets)})"
        return f"{bound} = {expr};"

    def variable(self, plan: VariablePlan, name: str, expr: str, data: bytes) -> str:
        return f"{plan.indent}let {name} = {expr};\n"

    def declare_all(self, kinds: list[str]) -> str:
        return "let"


# -- tests -------------------------------------------------------------------------------------
class RustTests(Convention):
    """A ``#[cfg(test)]`` module appended to the file itself."""

    body_indent = "        "
    assertion = re.compile(r"\b(assert|assert_eq|assert_ne|debug_assert\w*)!\s*\(|"
                           r"#\[should_panic")

    def place(self, root: str, src: Path, language_id: str, text: str | None) -> TestPlan:
        return TestPlan(str(src), language_id, "", "rust", same_file=True)

    def test_name(self, d: Definition) -> str:
        return f"test_{re.sub(r'(?<!^)(?=[A-Z])', '_', d.name).lower()}"

    def skeleton_body(self, d: Definition, indent: str) -> str:
        return f'{indent}// TODO: check {call_of(d)}\n{indent}todo!("write the assertion");\n'

    def header(self, p: TestPlan, names: list[str], existing: str, have: set[str] = frozenset()
               ) -> str:
        return ""

    def model_prelude(self, p: TestPlan, names: list[str], opening: str) -> tuple[str, str]:
        return "", f"#[cfg(test)]\nmod tests {{\n    use super::*;\n\n{opening}"

    def wrap_test(self, d: Definition, p: TestPlan, body: str) -> str:
        return f"    #[test]\n    fn {self.test_name(d)}() {{\n{body}    }}\n"

    def assemble(self, p: TestPlan, tests: list[str], names: list[str], existing: str = "",
                 existing_mods: str = "") -> str:
        mod = "tests" if not re.search(r"\bmod\s+tests\b", existing_mods) else "generated_tests"
        lead = "\n" if existing and not existing.endswith("\n\n") else ""
        return (f"{lead}#[cfg(test)]\nmod {mod} {{\n    use super::*;\n\n"
                + "\n".join(tests) + "}\n")


# -- the rules ---------------------------------------------------------------------------------
# Next edits: Rust's names, bindings and scopes (an `impl` is the class whose methods use
# `self.field`).
NEXT_EDITS = NextEdits(
    names=frozenset({"identifier", "type_identifier"}),
    members=frozenset({"field_identifier"}),
    member_access=frozenset({("field_expression", "field")}),
    scopes=frozenset({"function_item", "closure_expression", "block", "for_expression",
                      "match_arm"}),
    classes=frozenset({"impl_item"}),
    parameters=frozenset({"parameters", "closure_parameters"}),
    bindings=frozenset({
        ("parameter", "pattern"), ("closure_parameters", ""), ("let_declaration", "pattern"),
        ("for_expression", "pattern"), ("function_item", "name"), ("struct_item", "name"),
        ("enum_item", "name"), ("type_item", "name"), ("trait_item", "name")}),
    patterns=frozenset({"tuple_pattern", "mut_pattern", "reference_pattern"}),
    definitions=frozenset({("function_item", "name")}),
    imports=frozenset({"use_declaration"}),
    calls={"call_expression": ("function", "arguments")},
    ignored_params=frozenset({"self_parameter"}),
)

RUST = Language(
    id="rust", family="rust", name="Rust",
    grammar=Grammar("tree_sitter_rust"),
    extensions=(".rs",),
    symbol_nodes={
        "function_item": "function", "struct_item": "type", "enum_item": "type",
        "union_item": "type", "type_item": "type", "trait_item": "type", "impl_item": "impl",
        "const_item": "constant", "static_item": "constant", "macro_definition": "macro"},
    builtins=frozenset({"Some", "Ok", "Err", "Vec", "Box", "Option", "Result", "HashMap",
                        "Rc", "Arc", "println", "format", "vec", "assert", "assert_eq", "std",
                        "crate", "iter", "clone", "unwrap", "into", "to_string", "f64", "f32",
                        "usize", "i32", "u8"}),
    imports="crates",
    definitions=frozenset({"function_item"}),
    params="pattern",
    returns="return_type",
    docstring=RustDoc(),
    refactor=Refactoring(
        handlers="rust",
        functions=frozenset({"function_item", "closure_expression"}),
        loops=frozenset({"for_expression", "while_expression", "loop_expression"}),
        blocks=frozenset({"source_file", "block"}),
        expressions=frozenset({
            "call_expression", "binary_expression", "field_expression", "index_expression",
            "macro_invocation", "string_literal", "integer_literal", "float_literal",
            "parenthesized_expression", "unary_expression", "struct_expression",
            "array_expression", "tuple_expression", "reference_expression", "identifier",
            "method_call_expression", "await_expression", "if_expression",
            "closure_expression", "range_expression"}),
        writer=RustText(),
        reserved=KEYWORDS,
        snake_case=True,
        loop_declare="let",
        closures_share_self=True,
        top_level_statements=False,
        typed_signatures=True,
        moves_values=True,
        inline_modules=True,
    ),
    tests=Tests(RustTests(), "rust"),
    next_edits=NEXT_EDITS,
)

LANGUAGES = (RUST,)
