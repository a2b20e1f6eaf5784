"""JavaScript and JSX (``javascript``, ``javascriptreact``): their rules, the JSDoc block, how
an extracted function is written, and jest or vitest tests beside the file. TypeScript
(``typescript.py``) shares most of them; Java names the ``/** */`` block too."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from .. import paths
from .base import Grammar, Language, NextEdits, Refactoring, Tests
from .doc_comments import Insertion, Style
from .extract_text import Writer
from .lines import indent_at, text_indent, text_line_start
from .test_conventions import Convention, TestPlan, call_of, inside, kept

if TYPE_CHECKING:
    from .definition import Definition
    from .extract_text import FunctionPlan, VariablePlan

KEYWORDS = frozenset("""break case catch class const continue debugger default delete do else
export extends false finally for function if import in instanceof new null return super switch
this throw true try typeof var void while with yield let static enum await implements package
protected interface private public arguments eval undefined NaN Infinity""".split())


# -- doc comment -------------------------------------------------------------------------------
@attrs.frozen
class JsDoc:
    """A ``/** ... */`` block above the declaration with ``@param`` and return tags."""

    returns_tag: str = "@returns The result."
    inside_body: bool = False
    styled: bool = False
    stops: tuple[str, ...] = ("*/", "@param", "@return", "\n\n")

    def render(self, d: Definition, given: str, summary: str, *, text: str, body_offset: int,
               start_offset: int, style: Style, unit: str) -> Insertion:
        indent = text_indent(text, start_offset)
        lines = [f"{indent}/**", f"{indent} * {summary}"]
        tags = [f"@param {p.lstrip('.')} The {p.lstrip('.')}." for p in d.params]
        if d.returns:
            tags.append(self.returns_tag)
        if tags:
            lines.append(f"{indent} *")
            lines += [f"{indent} * {t}" for t in tags]
        lines.append(f"{indent} */")
        return Insertion(text_line_start(text, start_offset), "\n".join(lines) + "\n")

    def opening(self, d: Definition, *, text: str, body_offset: int, start_offset: int
                ) -> tuple[str, str]:
        where = text_line_start(text, start_offset)
        indent = text_indent(text, start_offset)
        return text[:where] + f"{indent}/**\n{indent} * ", f"\n{indent} */\n" + text[where:]


# -- extract function / variable ---------------------------------------------------------------
def semicolon(data: bytes, plan_end: int) -> str:
    return ";" if data[:plan_end].rstrip().endswith(b";") else ""


def statement_semicolons(data: bytes, at: int) -> bool:
    end = data.find(b"\n", at)
    window = data[max(0, at - 2000):at + 2000]
    lines = [ln.rstrip() for ln in window.split(b"\n") if ln.strip()]
    with_semi = sum(ln.endswith(b";") for ln in lines)
    return with_semi * 3 >= len(lines) or data[at:end if end >= 0 else None].rstrip().endswith(
        b";")


class JsText(Writer):
    keyword = "function "
    variable_keyword = "const "

    def params(self, plan: FunctionPlan, r: Refactoring) -> str:
        types = dict(plan.types)
        if r.annotated_params:
            return ", ".join(f"{p}: {types[p]}" if p in types else p for p in plan.params)
        return ", ".join(plan.params)

    def definition(self, plan: FunctionPlan, name: str, data: bytes, unit: str,
                   r: Refactoring) -> str:
        semi = ";" if plan.expression and statement_semicolons(data, plan.start) else ""
        body = self.body(plan, data, unit, r, semi)
        base, inner, rets = plan.base_indent, plan.base_indent + unit, list(plan.returns)
        params = self.params(plan, r)
        semi = semicolon(data, plan.end)
        if plan.receiver:
            head = (f"{base}{'static ' if plan.static else ''}"
                    f"{'async ' if plan.is_async else ''}{name}({params}) {{\n")
        else:
            head = f"{base}{'async ' if plan.is_async else ''}function {name}({params}) {{\n"
        value = rets[0] if len(rets) == 1 else f"[{', '.join(rets)}]"
        tail = f"\n{inner}return {value}{semi}" if rets else ""
        return head + body + tail + f"\n{base}}}\n\n"

    def call(self, plan: FunctionPlan, expr: str, data: bytes) -> str:
        rets = list(plan.returns)
        semi = semicolon(data, plan.end)
        if not rets:
            return f"{expr}{semi}"
        bound = rets[0] if len(rets) == 1 else f"[{', '.join(rets)}]"
        if plan.declare == "mixed":
            fresh = [r for r, d in zip(rets, plan.return_declares, strict=False) if d]
            indent = indent_at(data, plan.start)
            lead = "" if semi else ";"  # `[a, b] = ...` must not join the line above
            return f"let {', '.join(fresh)}{semi}\n{indent}{lead}{bound} = {expr}{semi}"
        if plan.declare:
            return f"{plan.declare} {bound} = {expr}{semi}"
        lead = "" if semi or len(rets) == 1 else ";"  # `[a, b] = ...` must not join the line above
        return f"{lead}{bound} = {expr}{semi}"

    def variable(self, plan: VariablePlan, name: str, expr: str, data: bytes) -> str:
        semi = ";" if statement_semicolons(data, plan.insert_at) else ""
        return f"{plan.indent}const {name} = {expr}{semi}\n"

    def declare_all(self, kinds: list[str]) -> str:
        return kinds[0] if len(set(kinds)) == 1 and kinds[0] in ("const", "let", "var") \
            else "let"


# -- tests -------------------------------------------------------------------------------------
MAX_PACKAGE_JSON = 1 << 20


def package_json(start: Path, root: Path) -> dict:
    """The nearest ``package.json`` from ``start`` up to the workspace root ({} if none, or
    unreadable)."""
    here = start
    while True:
        candidate = here / "package.json"
        if os.path.lexists(candidate):
            try:
                data = json.loads(paths.read_bytes(candidate, MAX_PACKAGE_JSON, root=str(root)))
            except (OSError, ValueError, RecursionError):
                return {}
            return data if isinstance(data, dict) else {}
        if here == root or here.parent == here or not inside(str(root), str(here.parent)):
            return {}
        here = here.parent


def js_framework(package: dict) -> str:
    """``vitest`` or ``jest`` as the package's dependencies or test script say (jest if
    neither is named: its globals are what most projects assume)."""
    deps = {}
    for key in ("dependencies", "devDependencies"):
        if isinstance(package.get(key), dict):
            deps.update(package[key])
    scripts = package.get("scripts")
    script = str(scripts.get("test", "")) if isinstance(scripts, dict) else ""
    if "vitest" in deps or "vitest" in script:
        return "vitest"
    return "jest"


_ESM_STATEMENT = re.compile(r"^\s*(import\s*[\w{*\"']|import\s*$|export\s)", re.M)
_CJS_STATEMENT = re.compile(r"\brequire\s*\(|\bmodule\.exports\b|\bexports\.\w+\s*=")


def es_module(text: str) -> bool | None:
    """What a JavaScript file's own statements say: True for an ES module (``import``/
    ``export`` statements), False for CommonJS (``require``, ``module.exports``), None when
    they say nothing."""
    if _ESM_STATEMENT.search(text):
        return True
    if _CJS_STATEMENT.search(text):
        return False
    return None


_JS_NAMED = re.compile(r"""(?:import\s*\{([^}]*)\}\s*from|const\s*\{([^}]*)\}\s*=\s*require\()"""
                       r"""\s*["']([^"']+)["']""")
# expect(...) followed by a matcher call: `.toBe(`, `.not.toEqual(`, `.resolves.toThrow(`.
_JS_MATCHER = re.compile(r"\s*\)\s*(\.\s*(not|resolves|rejects)\s*)*\.\s*to[A-Z]\w*\s*\(")


def _expect_calls(body: str) -> list[bool]:
    """For each ``expect(...)`` in a JS body: is it followed by a matcher call?"""
    found = []
    for m in re.finditer(r"\bexpect\s*\(", body):
        depth, i = 1, m.end()
        while i < len(body) and depth:
            depth += (body[i] in "([{") - (body[i] in ")]}")
            i += 1
        found.append(bool(_JS_MATCHER.match(body, i - 1)) if not depth else False)
    return found


@attrs.frozen
class JsTests(Convention):
    """``<name>.test.<ext>`` beside the file, vitest or jest as ``package.json`` says."""

    extension: str = ".js"  # of a source file without one
    typed: bool = False  # TypeScript: always an ES module, imported without its extension

    def place(self, root: str, src: Path, language_id: str, text: str | None) -> TestPlan:
        package = package_json(src.parent, Path(os.path.normpath(root)))
        stem = src.stem
        target = str(src.with_name(f"{stem}.test{src.suffix or self.extension}"))
        esm = es_module(text) if text is not None else None
        if src.suffix in (".mjs", ".cjs"):
            esm = src.suffix == ".mjs"
        elif esm is None:
            esm = package.get("type") == "module"
        commonjs = not self.typed and not esm
        spec = f"./{stem}" if self.typed or commonjs else f"./{src.name}"
        return TestPlan(target, language_id, spec, js_framework(package), commonjs=commonjs)

    def test_name(self, d: Definition) -> str:
        return d.name

    def has_assertion(self, body: str, p: TestPlan) -> bool:
        calls = _expect_calls(body)
        return bool(calls) and all(calls)

    def skeleton_body(self, d: Definition, indent: str) -> str:
        return f'{indent}throw new Error("write the assertion for {call_of(d)}");\n'

    def skeleton_test(self, d: Definition, p: TestPlan) -> str:
        """A ``todo`` test without a body."""
        what = call_of(d).replace('"', "'")
        return (f'describe("{self.test_name(d)}", () => {{\n'
                f'  it.todo("check {what}");\n}});\n')

    def imported_names(self, existing: str, p: TestPlan) -> set[str]:
        found: set[str] = set()
        for named, required, spec in _JS_NAMED.findall(existing):
            if spec == p.module:
                for item in (named or required).split(","):
                    words = item.replace(":", " as ").split()
                    if words:
                        found.add(words[-1])
        return found

    def header(self, p: TestPlan, names: list[str], existing: str, have: set[str] = frozenset()
               ) -> str:
        lines = []
        if p.framework == "vitest":
            lines.append('import { describe, expect, it } from "vitest";')
        if names and p.commonjs:
            lines.append(f'const {{ {", ".join(names)} }} = require("{p.module}");')
        elif names:
            lines.append(f'import {{ {", ".join(names)} }} from "{p.module}";')
        return kept(lines, existing)

    def wrap_test(self, d: Definition, p: TestPlan, body: str) -> str:
        return (f'describe("{self.test_name(d)}", () => {{\n'
                f'  it("works", () => {{\n{body}  }});\n}});\n')


# -- the rules ---------------------------------------------------------------------------------
# Shared with TypeScript, whose refactorings are JavaScript's plus the types it writes.
REFACTOR = Refactoring(
    handlers="js",
    functions=frozenset({"function_declaration", "function_expression", "function",
                         "arrow_function", "method_definition",
                         "generator_function_declaration", "generator_function"}),
    loops=frozenset({"for_statement", "for_in_statement", "while_statement", "do_statement"}),
    breakable=frozenset({"switch_statement"}),
    blocks=frozenset({"program", "statement_block", "switch_case", "switch_default"}),
    expressions=frozenset({
        "call_expression", "binary_expression", "member_expression", "subscript_expression",
        "template_string", "string", "number", "array", "object", "parenthesized_expression",
        "new_expression", "unary_expression", "await_expression", "ternary_expression",
        "identifier", "arrow_function", "function_expression", "as_expression",
        "non_null_expression", "true", "false", "null", "regex"}),
    writer=JsText(),
    reserved=KEYWORDS | {"console", "window", "document", "globalThis", "require", "module",
                         "exports", "Math", "JSON", "Object", "Array", "String", "Number",
                         "Promise"},
    for_await=True,
    loop_declare_field="kind",
    methods="this",
    hoisted_functions=True,
    lexical_declarations=True,
)

BUILTINS = frozenset({
    "console", "Math", "JSON", "Array", "Promise", "Number", "Boolean", "Map", "Set", "Date",
    "RegExp", "Symbol", "window", "document", "require", "module", "exports", "process",
    "globalThis", "parseInt", "parseFloat", "setTimeout", "clearTimeout", "fetch", "Record",
    "Partial", "Readonly", "number", "boolean", "any", "unknown", "void", "never"})

# Next edits: JavaScript's and TypeScript's names, bindings and scopes (declarations are block
# scoped: a block is a scope).
NEXT_EDITS = NextEdits(
    names=frozenset({"identifier"}),
    members=frozenset({"property_identifier", "private_property_identifier"}),
    member_access=frozenset({("member_expression", "property")}),
    member_declarations=frozenset({("field_definition", "property"),
                                   ("public_field_definition", "name"),
                                   ("method_definition", "name")}),
    scopes=frozenset({"function_declaration", "function_expression", "function",
                      "arrow_function", "method_definition", "generator_function_declaration",
                      "generator_function", "statement_block", "for_statement",
                      "for_in_statement", "catch_clause", "class_body"}),
    classes=frozenset({"class_declaration", "class", "abstract_class_declaration"}),
    parameters=frozenset({"formal_parameters"}),
    bindings=frozenset({
        ("formal_parameters", ""), ("assignment_pattern", "left"),
        ("required_parameter", "pattern"), ("optional_parameter", "pattern"),
        ("variable_declarator", "name"), ("function_declaration", "name"),
        ("generator_function_declaration", "name"), ("class_declaration", "name"),
        ("import_specifier", "name"), ("import_specifier", "alias"), ("import_clause", ""),
        ("namespace_import", ""), ("for_in_statement", "left"), ("catch_clause", "parameter"),
        ("arrow_function", "parameter"),
        # TypeScript's declarations of types.
        ("type_alias_declaration", "name"), ("interface_declaration", "name"),
        ("enum_declaration", "name"), ("abstract_class_declaration", "name")}),
    patterns=frozenset({"array_pattern", "rest_pattern"}),
    definitions=frozenset({("function_declaration", "name"), ("class_declaration", "name"),
                           ("generator_function_declaration", "name"),
                           ("type_alias_declaration", "name"), ("interface_declaration", "name"),
                           ("abstract_class_declaration", "name")}),
    imports=frozenset({"import_statement"}),
    calls={"call_expression": ("function", "arguments"),
           "new_expression": ("constructor", "arguments")},
    splats=frozenset({"spread_element"}),
    defaults=frozenset({"assignment_pattern", "optional_parameter"}),
    variadic=frozenset({"rest_pattern"}),
    open_params=frozenset({"rest_pattern"}),
)

JAVASCRIPT = Language(
    id="javascript", family="javascript", name="JavaScript",
    grammar=Grammar("tree_sitter_javascript"),
    extensions=(".js", ".mjs", ".cjs"),
    word_chars="$",
    symbol_nodes={"function_declaration": "function",
                  "generator_function_declaration": "function",
                  "class_declaration": "class"},
    symbol_group="js",
    builtins=BUILTINS,
    imports="relative",
    definitions=frozenset({"function_declaration", "method_definition", "class_declaration",
                           "generator_function_declaration"}),
    variable_functions=True,
    docstring=JsDoc(),
    refactor=REFACTOR,
    tests=Tests(JsTests(".js")),
    next_edits=NEXT_EDITS,
)
JAVASCRIPTREACT = attrs.evolve(JAVASCRIPT, id="javascriptreact", name="JavaScript (JSX)",
                               extensions=(".jsx",), fence="jsx",
                               tests=Tests(JsTests(".jsx")))

LANGUAGES = (JAVASCRIPT, JAVASCRIPTREACT)
