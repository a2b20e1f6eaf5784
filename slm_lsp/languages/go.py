"""Go: its rules, its doc comment (``// Name ...``), how an extracted function is written, and
``go test``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from .base import Grammar, Language, NextEdits, Refactoring, Tests
from .doc_comments import Insertion, Style
from .extract_text import Writer
from .lines import text_indent, text_line_start
from .test_conventions import Convention, TestPlan, call_of, kept

if TYPE_CHECKING:
    from .definition import Definition
    from .extract_text import FunctionPlan, VariablePlan

KEYWORDS = frozenset("""break case chan const continue default defer else fallthrough for func go
goto if import interface map package range return select struct switch type var append cap
close complex copy delete imag len make new panic print println real recover bool byte error
float32 float64 int int8 int16 int32 int64 rune string uint uint8 uint16 uint32 uint64 uintptr
true false nil iota any comparable min max clear""".split())


# -- doc comment -------------------------------------------------------------------------------
@attrs.frozen
class GoDoc:
    """``// Name does ...`` above the declaration, starting with the name."""

    inside_body: bool = False
    styled: bool = False
    stops: tuple[str, ...] = ("\n",)

    def render(self, d: Definition, given: str, summary: str, *, text: str, body_offset: int,
               start_offset: int, style: Style, unit: str) -> Insertion:
        indent = text_indent(text, start_offset)
        if not given:
            first = f"{d.name} returns the result." if d.returns else f"{d.name} ..."
        elif summary.split(" ", 1)[0].rstrip(".,:") == d.name:
            first = summary
        else:
            first = f"{d.name} {summary[:1].lower()}{summary[1:]}"
        return Insertion(text_line_start(text, start_offset), f"{indent}// {first}\n")

    def opening(self, d: Definition, *, text: str, body_offset: int, start_offset: int
                ) -> tuple[str, str]:
        where = text_line_start(text, start_offset)
        indent = text_indent(text, start_offset)
        return text[:where] + f"{indent}// {d.name} ", "\n" + text[where:]


# -- extract function / variable ---------------------------------------------------------------
class GoText(Writer):
    keyword = "func "
    assign = " := "

    def params(self, plan: FunctionPlan, r: Refactoring) -> str:
        types = dict(plan.types)
        return ", ".join(f"{p} {types[p]}" for p in plan.params)

    def definition(self, plan: FunctionPlan, name: str, data: bytes, unit: str,
                   r: Refactoring) -> str:
        body = self.body(plan, data, unit, r)
        base, inner, rets = plan.base_indent, plan.base_indent + unit, list(plan.returns)
        types = dict(plan.types)
        result = ""
        if len(rets) == 1:
            result = f" {types[rets[0]]}"
        elif rets:
            result = f" ({', '.join(types[r] for r in rets)})"
        tail = f"\n{inner}return {', '.join(rets)}" if rets else ""
        return f"{base}func {name}({self.params(plan, r)}){result} {{\n{body}{tail}\n{base}}}\n\n"

    def call(self, plan: FunctionPlan, expr: str, data: bytes) -> str:
        rets = list(plan.returns)
        if not rets:
            return expr
        op = {":=": " := ", "var": " = "}.get(plan.declare, " = ")
        return f"{'var ' if plan.declare == 'var' else ''}{', '.join(rets)}{op}{expr}"

    def variable(self, plan: VariablePlan, name: str, expr: str, data: bytes) -> str:
        return f"{plan.indent}{name} := {expr}\n"

    def declare_all(self, kinds: list[str]) -> str:
        return ":=" if all(k == ":=" for k in kinds) else "var"


# -- tests -------------------------------------------------------------------------------------
class GoTests(Convention):
    """``<file>_test.go`` in the same package."""

    body_indent = "\t"
    test_def = re.compile(r"^func\s+(\w+)", re.M)
    assertion = re.compile(r"\bt\.(Error|Errorf|Fatal|Fatalf|Fail|FailNow)\(")

    def place(self, root: str, src: Path, language_id: str, text: str | None) -> TestPlan:
        return TestPlan(str(src.with_name(f"{src.stem}_test.go")), language_id, "", "go")

    def adapt(self, p: TestPlan, text: str) -> TestPlan:
        m = re.search(r"^package\s+(\w+)", text, re.M)
        return attrs.evolve(p, module=m.group(1) if m else "main")

    def public(self, defs: list[Definition]) -> list[Definition]:
        return [d for d in defs if d.name[:1].isupper() and d.kind == "function"]

    def test_name(self, d: Definition) -> str:
        return f"Test{d.name[:1].upper()}{d.name[1:]}"

    def skeleton_body(self, d: Definition, indent: str) -> str:
        return f'{indent}// TODO: check {call_of(d)}\n{indent}t.Skip("write the assertion")\n'

    def header(self, p: TestPlan, names: list[str], existing: str, have: set[str] = frozenset()
               ) -> str:
        lines = [] if existing else [f"package {p.module}", ""]
        if not re.search(r'^\s*(import\s+)?"testing"', existing, re.M):
            lines.append('import "testing"')
        return kept(lines, existing)

    def wrap_test(self, d: Definition, p: TestPlan, body: str) -> str:
        return f"func {self.test_name(d)}(t *testing.T) {{\n{body}}}\n"


# -- the rules ---------------------------------------------------------------------------------
# Next edits: Go's names, bindings and scopes (a block is a scope; a struct's fields are not in
# a class body, so they are not followed).
NEXT_EDITS = NextEdits(
    names=frozenset({"identifier", "type_identifier"}),
    members=frozenset({"field_identifier"}),
    scopes=frozenset({"function_declaration", "method_declaration", "func_literal", "block",
                      "for_statement", "if_statement", "expression_switch_statement",
                      "type_switch_statement"}),
    parameters=frozenset({"parameter_list"}),
    bindings=frozenset({
        ("parameter_declaration", "name"), ("variadic_parameter_declaration", "name"),
        ("short_var_declaration", "left"), ("var_spec", "name"), ("const_spec", "name"),
        ("range_clause", "left"), ("function_declaration", "name"), ("type_spec", "name")}),
    patterns=frozenset({"expression_list"}),
    definitions=frozenset({("function_declaration", "name")}),
    calls={"call_expression": ("function", "arguments")},
    splats=frozenset({"variadic_argument"}),
    variadic=frozenset({"variadic_parameter_declaration"}),
    open_params=frozenset({"variadic_parameter_declaration"}),
)

GO = Language(
    id="go", family="go", name="Go",
    grammar=Grammar("tree_sitter_go"),
    extensions=(".go",),
    symbol_nodes={"function_declaration": "function", "method_declaration": "function",
                  "type_spec": "type", "type_alias": "type", "const_spec": "constant"},
    builtins=frozenset({"append", "cap", "close", "complete", "copy", "delete", "imag", "len",
                        "make", "panic", "print", "println", "real", "recover", "fmt",
                        "error", "int", "int64", "float64", "byte", "rune", "bool", "any",
                        "ctx", "context"}),
    imports="packages",
    package_files=".go",
    definitions=frozenset({"function_declaration", "method_declaration"}),
    params="grouped",
    returns="result",
    docstring=GoDoc(),
    refactor=Refactoring(
        handlers="go",
        functions=frozenset({"function_declaration", "method_declaration", "func_literal"}),
        loops=frozenset({"for_statement"}),
        breakable=frozenset({"expression_switch_statement", "type_switch_statement",
                             "select_statement"}),
        blocks=frozenset({"source_file", "statement_list"}),
        expressions=frozenset({
            "call_expression", "binary_expression", "selector_expression", "index_expression",
            "composite_literal", "interpreted_string_literal", "raw_string_literal",
            "int_literal", "float_literal", "parenthesized_expression", "unary_expression",
            "slice_expression", "identifier", "func_literal", "type_conversion_expression"}),
        writer=GoText(),
        reserved=KEYWORDS,
        grouped_params=True,
        receivers=True,
        top_level_statements=False,
        typed_signatures=True,
    ),
    tests=Tests(GoTests(), "go"),
    next_edits=NEXT_EDITS,
)

LANGUAGES = (GO,)
