"""Java: its rules and Javadoc (JSDoc's block with ``@return``); no refactoring or test
convention yet."""

from __future__ import annotations

from .base import Grammar, Language
from .javascript import JsDoc


def JavaDoc() -> JsDoc:  # noqa: N802 - a convention, named like the others
    """Javadoc: JSDoc's block with ``@return``."""
    return JsDoc(returns_tag="@return the result")


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
)

LANGUAGES = (JAVA,)
