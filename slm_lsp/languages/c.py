"""C and C++ (``c``, ``cpp``): completion, symbols and includes; no code-action rules yet."""

from __future__ import annotations

from .base import Grammar, Language, NextEdits

_SYMBOLS = {"function_definition": "function", "struct_specifier": "type",
            "union_specifier": "type", "enum_specifier": "type", "type_definition": "type",
            "preproc_def": "macro", "preproc_function_def": "macro", "declaration": "function"}
_BUILTINS = frozenset({
    "printf", "fprintf", "malloc", "calloc", "realloc", "free", "memcpy", "memset", "strlen",
    "size_t", "NULL", "stdout", "stderr", "std", "cout", "endl", "vector", "uint8_t", "uint32_t",
    "int32_t", "uint64_t", "int64_t", "sizeof"})

# Next edits: C's and C++'s names, bindings and scopes (a declarator names what it declares).
_NEXT_EDITS = NextEdits(
    names=frozenset({"identifier", "type_identifier"}),
    members=frozenset({"field_identifier"}),
    scopes=frozenset({"function_definition", "compound_statement", "for_statement",
                      "lambda_expression"}),
    parameters=frozenset({"parameter_list"}),
    bindings=frozenset({
        ("parameter_declaration", "declarator"), ("init_declarator", "declarator"),
        ("declaration", "declarator"), ("function_declarator", "declarator")}),
    patterns=frozenset({"pointer_declarator", "array_declarator", "reference_declarator"}),
    calls={"call_expression": ("function", "arguments")},
)

C = Language(
    id="c", family="c", name="C",
    grammar=Grammar("tree_sitter_c"),
    extensions=(".c", ".h"),
    symbol_nodes=_SYMBOLS,
    symbol_group="c",
    builtins=_BUILTINS,
    imports="includes",
    next_edits=_NEXT_EDITS,
)
CPP = Language(
    id="cpp", family="cpp", name="C++",
    grammar=Grammar("tree_sitter_cpp"),
    extensions=(".cc", ".cpp", ".cxx", ".hpp", ".hh", ".hxx"),
    symbol_nodes={**_SYMBOLS, "class_specifier": "class"},
    symbol_group="c",
    builtins=_BUILTINS,
    imports="includes",
    next_edits=_NEXT_EDITS,
)

LANGUAGES = (C, CPP)
