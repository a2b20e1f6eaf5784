"""Java: its rules and Javadoc (JSDoc's block with ``@return``); no refactoring or test
convention yet."""

from __future__ import annotations

from .base import Grammar, Language, NextEdits
from .javascript import JsDoc


def JavaDoc() -> JsDoc:  # noqa: N802 - a convention, named like the others
    """Javadoc: JSDoc's block with ``@return``."""
    return JsDoc(returns_tag="@return the result")


# Next edits: Java's names, bindings and scopes (a field is followed where it is written
# `this.field` or `obj.field`).
NEXT_EDITS = NextEdits(
    names=frozenset({"identifier", "type_identifier"}),
    member_access=frozenset({("field_access", "field")}),
    member_declarations=frozenset({("variable_declarator", "name")}),
    scopes=frozenset({"method_declaration", "constructor_declaration", "lambda_expression",
                      "block", "for_statement", "enhanced_for_statement", "catch_clause"}),
    classes=frozenset({"class_declaration", "record_declaration", "enum_declaration"}),
    parameters=frozenset({"formal_parameters"}),
    bindings=frozenset({
        ("formal_parameter", "name"), ("variable_declarator", "name"),
        ("enhanced_for_statement", "name"), ("catch_formal_parameter", "name"),
        ("lambda_expression", "parameters"), ("inferred_parameters", "")}),
    calls={"method_invocation": ("name", "arguments"),
           "object_creation_expression": ("type", "arguments")},
    variadic=frozenset({"spread_parameter"}),
    open_params=frozenset({"spread_parameter"}),
)

JAVA = Language(
    id="java", family="java", name="Java",
    grammar=Grammar("tree_sitter_java"),
    extensions=(".java",),
    word_chars="$",
    symbol_nodes={"class_declaration": "class", "interface_declaration": "type",
                  "enum_declaration": "type", "record_declaration": "class",
                  "annotation_type_declaration": "type"},
    builtins=frozenset({"System", "Integer", "List", "Map", "ArrayList", "HashMap", "Override",
                        "Exception", "Math", "out", "println", "Arrays", "Collections"}),
    imports="classes",
    package_files=".java",
    definitions=frozenset({"method_declaration", "class_declaration",
                           "constructor_declaration"}),
    params="named",
    returns="type",
    docstring=JavaDoc(),
    next_edits=NEXT_EDITS,
)

LANGUAGES = (JAVA,)
