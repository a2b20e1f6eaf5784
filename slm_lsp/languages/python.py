"""Python."""

from __future__ import annotations

import builtins
import keyword

from ..actions.doc_comments import PythonDocstring
from ..actions.extract_text import PythonText
from ..actions.test_conventions import Pytest
from .base import SYMBOLS_INDENTED, Grammar, Language, Refactoring, Tests

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
)

LANGUAGES = (PYTHON,)
