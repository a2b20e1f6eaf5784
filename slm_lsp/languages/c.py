"""C and C++ (``c``, ``cpp``): completion, symbols and includes; no code-action rules yet."""

from __future__ import annotations

from .base import Grammar, Language

_SYMBOLS = {"function_definition": "function", "struct_specifier": "type",
            "union_specifier": "type", "enum_specifier": "type", "type_definition": "type",
            "preproc_def": "macro", "preproc_function_def": "macro", "declaration": "function"}
_BUILTINS = frozenset({
    "printf", "fprintf", "malloc", "calloc", "realloc", "free", "memcpy", "memset", "strlen",
    "size_t", "NULL", "stdout", "stderr", "std", "cout", "endl", "vector", "uint8_t", "uint32_t",
    "int32_t", "uint64_t", "int64_t", "sizeof"})

C = Language(
    id="c", family="c", name="C",
    grammar=Grammar("tree_sitter_c"),
    extensions=(".c", ".h"),
    symbol_nodes=_SYMBOLS,
    symbol_group="c",
    builtins=_BUILTINS,
    imports="includes",
)
CPP = Language(
    id="cpp", family="cpp", name="C++",
    grammar=Grammar("tree_sitter_cpp"),
    extensions=(".cc", ".cpp", ".cxx", ".hpp", ".hh", ".hxx"),
    symbol_nodes={**_SYMBOLS, "class_specifier": "class"},
    symbol_group="c",
    builtins=_BUILTINS,
    imports="includes",
)

LANGUAGES = (C, CPP)
