"""JavaScript and JSX (``javascript``, ``javascriptreact``)."""

from __future__ import annotations

import attrs

from ..actions.doc_comments import JsDoc
from ..actions.extract_text import JsText
from ..actions.test_conventions import JsTests
from .base import Grammar, Language, Refactoring, Tests

KEYWORDS = frozenset("""break case catch class const continue debugger default delete do else
export extends false finally for function if import in instanceof new null return super switch
this throw true try typeof var void while with yield let static enum await implements package
protected interface private public arguments eval undefined NaN Infinity""".split())

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
)
JAVASCRIPTREACT = attrs.evolve(JAVASCRIPT, id="javascriptreact", name="JavaScript (JSX)",
                               extensions=(".jsx",), fence="jsx",
                               tests=Tests(JsTests(".jsx")))

LANGUAGES = (JAVASCRIPT, JAVASCRIPTREACT)
