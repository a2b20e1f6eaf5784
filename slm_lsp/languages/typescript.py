"""TypeScript and TSX (``typescript``, ``typescriptreact``): JavaScript's rules where the
languages agree (its JSDoc, writer and test convention), its own grammar, definitions and
symbols, and the types its code writes."""

from __future__ import annotations

import attrs

from .base import Grammar, Language, Tests
from .javascript import BUILTINS, NEXT_EDITS, REFACTOR, JsDoc, JsTests

TYPESCRIPT = Language(
    id="typescript", family="typescript", name="TypeScript",
    grammar=Grammar("tree_sitter_typescript", "language_typescript"),
    extensions=(".ts", ".mts", ".cts"),
    word_chars="$",
    symbol_nodes={"function_declaration": "function",
                  "generator_function_declaration": "function",
                  "class_declaration": "class", "abstract_class_declaration": "class",
                  "interface_declaration": "type", "type_alias_declaration": "type",
                  "enum_declaration": "type", "function_signature": "function"},
    symbol_group="js",  # a .ts file imports .js files and the other way round
    builtins=BUILTINS,
    imports="relative",
    definitions=frozenset({"function_declaration", "method_definition", "class_declaration",
                           "abstract_class_declaration", "generator_function_declaration"}),
    variable_functions=True,
    docstring=JsDoc(),
    # Parameters keep their written types in an extracted function's signature.
    refactor=attrs.evolve(REFACTOR, annotated_params=True),
    # Tests import the module by its name without extension, as an ES module.
    tests=Tests(JsTests(".ts", typed=True)),
    # A class's name is a type_identifier where it is declared and written as a type.
    next_edits=attrs.evolve(NEXT_EDITS, names=NEXT_EDITS.names | {"type_identifier"}),
)
TYPESCRIPTREACT = attrs.evolve(
    TYPESCRIPT, id="typescriptreact", name="TypeScript (TSX)",
    grammar=Grammar("tree_sitter_typescript", "language_tsx"), extensions=(".tsx",),
    fence="tsx", tests=Tests(JsTests(".tsx", typed=True)))

LANGUAGES = (TYPESCRIPT, TYPESCRIPTREACT)
