"""The languages the server knows: one rules object (``base.Language``) per LSP languageId,
defined by one module per family. The choice of a language's behaviour is made here only.

Adding a language: a module beside ``python.py`` that builds its ``Language`` objects (grammar,
extensions, comment, symbols; docstring, refactoring and test conventions when it has them,
defined in the module on the bases of ``doc_comments.py``, ``extract_text.py`` and
``test_conventions.py``), its name in ``_FAMILIES``, and its tests. Nothing in this package
imports the features that use it.
"""

from __future__ import annotations

import importlib
import logging
from functools import cache
from pathlib import PurePath
from typing import TYPE_CHECKING

from . import c, go, java, javascript, python, rust, typescript
from .base import (
    SYMBOLS_BRACED,
    SYMBOLS_INDENTED,
    Grammar,
    Language,
    NextEdits,
    Refactoring,
    Tests,
)

if TYPE_CHECKING:
    from tree_sitter import Language as TsLanguage
    from tree_sitter import Parser

__all__ = ["SYMBOLS_BRACED", "SYMBOLS_INDENTED", "Grammar", "Language", "NextEdits",
           "Refactoring", "Tests",
           "all_languages", "grammar", "language_for_path", "line_comment", "new_parser",
           "rules_for", "supported_languages"]

log = logging.getLogger(__name__)

_FAMILIES = (python, javascript, typescript, go, rust, java, c)
_BY_ID: dict[str, Language] = {lang.id: lang for family in _FAMILIES
                               for lang in family.LANGUAGES}
_BY_EXTENSION: dict[str, str] = {ext: lang.id for lang in _BY_ID.values()
                                 for ext in lang.extensions}


def rules_for(language_id: str) -> Language | None:
    """The rules of a languageId, or None for a language the server does not know."""
    return _BY_ID.get(language_id)


def all_languages() -> list[Language]:
    return list(_BY_ID.values())


def language_for_path(path: str) -> str:
    """The languageId an editor would give a file, from its extension ("plaintext" if unknown)."""
    return _BY_EXTENSION.get(PurePath(path).suffix.lower(), "plaintext")


def line_comment(language_id: str, default: str = "#") -> str:
    """The language's line comment marker (``default`` for an unknown language)."""
    rules = _BY_ID.get(language_id)
    return rules.line_comment if rules is not None else default


@cache
def grammar(language_id: str) -> TsLanguage | None:
    """The tree-sitter Language for a languageId, or None when we have no grammar for it."""
    rules = _BY_ID.get(language_id)
    if rules is None:
        return None
    try:
        from tree_sitter import Language as TsLanguage

        module = importlib.import_module(rules.grammar.module)
        return TsLanguage(getattr(module, rules.grammar.function)())
    except (ImportError, AttributeError, ValueError) as exc:
        log.warning("grammar for %s is not available: %s", language_id, exc)
        return None


def new_parser(language_id: str) -> Parser | None:
    """A parser for the language, or None when it has no grammar."""
    lang = grammar(language_id)
    if lang is None:
        return None
    from tree_sitter import Parser

    return Parser(lang)


def supported_languages() -> list[str]:
    return sorted(_BY_ID)
