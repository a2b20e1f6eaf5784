"""Python: its rules, its docstring (google, numpy or sphinx, as the file writes them), how an
extracted function is written, and pytest."""

from __future__ import annotations

import builtins
import keyword
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from .base import SYMBOLS_INDENTED, Grammar, Language, NextEdits, Refactoring, Tests
from .doc_comments import Insertion, Style
from .extract_text import Writer
from .lines import text_indent, text_line_start
from .test_conventions import Convention, ScaffoldRefused, TestPlan, call_of, kept

if TYPE_CHECKING:
    from .definition import Definition
    from .extract_text import FunctionPlan, VariablePlan


# -- docstring ---------------------------------------------------------------------------------
def _sections(d: Definition, style: Style, indent: str) -> list[str]:
    lines: list[str] = []
    if style == "numpy":
        if d.params:
            lines += ["", "Parameters", "----------"]
            for p in d.params:
                lines += [f"{p}", f"    The {p.lstrip('*')}."]
        if d.returns:
            lines += ["", "Returns", "-------", "object", "    The result."]
    elif style == "sphinx":
        if d.params or d.returns:
            lines.append("")
        lines += [f":param {p.lstrip('*')}: The {p.lstrip('*')}." for p in d.params]
        if d.returns:
            lines.append(":returns: The result.")
    else:
        if d.params:
            lines += ["", "Args:"] + [f"    {p}: The {p.lstrip('*')}." for p in d.params]
        if d.returns:
            lines += ["", "Returns:", "    The result."]
    return lines


@attrs.frozen
class PythonDocstring:
    """A string, the body's first statement, in the file's style (google, numpy, sphinx)."""

    inside_body: bool = True  # a body on the signature's line cannot take one
    styled: bool = True  # the file's own docstring style is followed
    stops: tuple[str, ...] = ('"""', "\n\n", "Args:", "Parameters", ":param")

    def render(self, d: Definition, given: str, summary: str, *, text: str, body_offset: int,
               start_offset: int, style: Style, unit: str) -> Insertion:
        indent = text_indent(text, body_offset)
        if not indent:  # a body on the signature's line is not offered; be safe anyway
            indent = text_indent(text, start_offset) + unit
        sections = _sections(d, style, indent)
        if not sections:
            body = f'{indent}"""{summary}"""\n'
        else:
            lines = [f'{indent}"""{summary}'] + [f"{indent}{s}".rstrip() for s in sections]
            body = "\n".join(lines) + f'\n{indent}"""\n'
        return Insertion(text_line_start(text, body_offset), body)

    def opening(self, d: Definition, *, text: str, body_offset: int, start_offset: int
                ) -> tuple[str, str]:
        head = text[:text_line_start(text, body_offset)] + text_indent(text, body_offset) + '"""'
        tail = '"""\n' + text[text_line_start(text, body_offset):]
        return head, tail


# -- extract function / variable ---------------------------------------------------------------
class PythonText(Writer):
    keyword = "def "

    def params(self, plan: FunctionPlan, r: Refactoring) -> str:
        return ", ".join(([plan.receiver] if plan.receiver else []) + list(plan.params))

    def definition(self, plan: FunctionPlan, name: str, data: bytes, unit: str,
                   r: Refactoring) -> str:
        body = self.body(plan, data, unit, r)
        base, inner, rets = plan.base_indent, plan.base_indent + unit, list(plan.returns)
        head = f"{base}@classmethod\n" if plan.static else ""
        head += f"{base}{'async ' if plan.is_async else ''}def {name}({self.params(plan, r)}):\n"
        tail = f"\n{inner}return {', '.join(rets)}" if rets else ""
        return head + body + tail + ("\n\n" if plan.receiver else "\n\n\n")

    def call(self, plan: FunctionPlan, expr: str, data: bytes) -> str:
        rets = list(plan.returns)
        return f"{', '.join(rets)} = {expr}" if rets else expr

    def variable(self, plan: VariablePlan, name: str, expr: str, data: bytes) -> str:
        return f"{plan.indent}{name} = {expr}\n"

    def declaration(self, kinds: list[str]) -> str:
        return ""  # Python binds by assigning


# -- tests -------------------------------------------------------------------------------------
def python_module(root: str, source: str) -> str:
    """The import path of ``source`` from the workspace root (``src/`` stripped)."""
    rel = Path(os.path.relpath(os.path.normpath(source), os.path.normpath(root)))
    parts = list(rel.with_suffix("").parts)
    if parts and parts[0] == "src" and len(parts) > 1:
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    if not parts or not all(p.isidentifier() for p in parts):
        raise ScaffoldRefused(f"{rel} is not importable as a Python module")
    return ".".join(parts)


class Pytest(Convention):
    """``<root>/tests/test_<module>.py`` importing the module by its real import path."""

    separator = "\n\n"
    test_def = re.compile(r"^(?:async\s+)?def\s+(\w+)", re.M)
    assertion = re.compile(r"^\s*assert\b|\bpytest\.(raises|approx|fail)\b", re.M)
    _from = re.compile(r"^from\s+([\w.]+)\s+import\s+(\([^)]*\)|[^\n#;]*)", re.M)

    def place(self, root: str, src: Path, language_id: str, text: str | None) -> TestPlan:
        module = python_module(root, str(src))
        target = os.path.join(root, "tests", f"test_{module.rsplit('.', 1)[-1]}.py")
        return TestPlan(os.path.normpath(target), language_id, module, "pytest")

    def public(self, defs: list[Definition]) -> list[Definition]:
        return [d for d in defs if not d.name.startswith("_")]

    def test_name(self, d: Definition) -> str:
        return f"test_{re.sub(r'(?<!^)(?=[A-Z])', '_', d.name).lower()}"

    def numbered(self, name: str, n: int) -> str:
        return f"{name}_{n}"

    def skeleton_body(self, d: Definition, indent: str) -> str:
        what = f"{d.name}(...)" if d.kind == "class" else call_of(d)
        return f'{indent}# TODO: check {what}\n{indent}pytest.skip("write the assertion")\n'

    def imported_names(self, existing: str, p: TestPlan) -> set[str]:
        found: set[str] = set()
        for module, names in self._from.findall(existing):
            if module == p.module:
                for item in names.strip("()").replace("\n", " ").split(","):
                    words = item.split()
                    if words:
                        found.add(words[-1] if "as" in words else words[0])
        return found

    def header(self, p: TestPlan, names: list[str], existing: str, have: set[str] = frozenset()
               ) -> str:
        lines = ["import pytest"]
        if names:
            lines.append(f"from {p.module} import {', '.join(names)}")
        elif not have:
            lines.append(f"import {p.module}")
        return kept(lines, existing)

    def wrap_test(self, d: Definition, p: TestPlan, body: str) -> str:
        return f"def {self.test_name(d)}():\n{body}"

    def after_lead(self, lead: str) -> str:
        return "\n" if lead else ""


# -- the rules ---------------------------------------------------------------------------------
REFACTOR = Refactoring(
    handlers="python",
    functions=frozenset({"function_definition", "lambda"}),
    loops=frozenset({"for_statement", "while_statement"}),
    blocks=frozenset({"module", "block"}),
    expressions=frozenset({
        "call", "binary_operator", "attribute", "subscript", "string", "integer", "float",
        "list", "dictionary", "set", "tuple", "parenthesized_expression",
        "comparison_operator", "boolean_operator", "not_operator", "unary_operator", "await",
        "concatenated_string", "list_comprehension", "set_comprehension",
        "dictionary_comprehension", "generator_expression", "conditional_expression",
        "identifier", "true", "false", "none", "lambda"}),
    writer=PythonText(),
    reserved=frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) |
    frozenset(dir(builtins)) | {"self", "cls"},
    snake_case=True,
    binds_by_assignment=True,
    if_clauses=True,
    comprehensions=True,
    methods="self",
    multiline_parentheses=True,
)

NEXT_EDITS = NextEdits(
    names=frozenset({"identifier"}),
    member_places=frozenset({("attribute", "attribute"), ("keyword_argument", "name")}),
    member_access=frozenset({("attribute", "attribute")}),
    # A method, a class attribute.
    member_declarations=frozenset({("function_definition", "name"), ("assignment", "left")}),
    scopes=frozenset({"function_definition", "lambda", "class_definition", "list_comprehension",
                      "set_comprehension", "dictionary_comprehension", "generator_expression"}),
    classes=frozenset({"class_definition"}),
    parameters=frozenset({"parameters", "lambda_parameters"}),
    bindings=frozenset({
        ("parameters", ""), ("lambda_parameters", ""), ("default_parameter", "name"),
        ("typed_default_parameter", "name"), ("assignment", "left"),
        ("augmented_assignment", "left"), ("for_statement", "left"), ("for_in_clause", "left"),
        ("named_expression", "name"), ("as_pattern", "alias"), ("global_statement", ""),
        ("nonlocal_statement", ""), ("function_definition", "name"),
        ("class_definition", "name"), ("import_from_statement", "name"),
        ("import_statement", "name"), ("aliased_import", "alias")}),
    patterns=frozenset({"pattern_list", "tuple_pattern", "list_pattern", "tuple", "list",
                        "list_splat_pattern", "dictionary_splat_pattern", "typed_parameter",
                        "as_pattern_target", "dotted_name", "parenthesized_expression"}),
    definitions=frozenset({("function_definition", "name"), ("class_definition", "name")}),
    imports=frozenset({"import_from_statement", "import_statement"}),
    calls={"call": ("function", "arguments")},
    keyword_argument="keyword_argument",
    splats=frozenset({"list_splat", "dictionary_splat"}),
    defaults=frozenset({"default_parameter", "typed_default_parameter"}),
    variadic=frozenset({"list_splat_pattern"}),
    keyword_marker=frozenset({"keyword_separator"}),
    ignored_params=frozenset({"positional_separator", "dictionary_splat_pattern"}),
    receiver_names=frozenset({"self", "cls"}),
    open_params=frozenset({"list_splat_pattern", "dictionary_splat_pattern"}),
)

PYTHON = Language(
    id="python", family="python", name="Python",
    grammar=Grammar("tree_sitter_python"),
    extensions=(".py", ".pyi"),
    line_comment="#",
    indentation_blocks=True,
    symbols=SYMBOLS_INDENTED,
    builtins=frozenset(dir(builtins)),
    imports="modules",
    definitions=frozenset({"function_definition", "class_definition"}),
    docstring=PythonDocstring(),
    refactor=REFACTOR,
    tests=Tests(Pytest(), "pytest"),
    next_edits=NEXT_EDITS,
)

LANGUAGES = (PYTHON,)
