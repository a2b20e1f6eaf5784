"""Go."""

from __future__ import annotations

from ..actions.doc_comments import GoDoc
from ..actions.extract_text import GoText
from ..actions.test_conventions import GoTests
from .base import Grammar, Language, Refactoring, Tests

KEYWORDS = frozenset("""break case chan const continue default defer else fallthrough for func go
goto if import interface map package range return select struct switch type var append cap
close complex copy delete imag len make new panic print println real recover bool byte error
float32 float64 int int8 int16 int32 int64 rune string uint uint8 uint16 uint32 uint64 uintptr
true false nil iota any comparable min max clear""".split())

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
)

LANGUAGES = (GO,)
