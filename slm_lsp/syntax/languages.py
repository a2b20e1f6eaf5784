"""Grammars by LSP languageId (and file extension), from the official tree-sitter wheels."""

from __future__ import annotations

import importlib
import logging
from functools import cache
from pathlib import PurePath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Language, Parser

log = logging.getLogger(__name__)

# languageId -> (module, function that returns the language pointer)
_GRAMMARS: dict[str, tuple[str, str]] = {
    "python": ("tree_sitter_python", "language"),
    "javascript": ("tree_sitter_javascript", "language"),
    "javascriptreact": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "typescriptreact": ("tree_sitter_typescript", "language_tsx"),
    "go": ("tree_sitter_go", "language"),
    "rust": ("tree_sitter_rust", "language"),
    "java": ("tree_sitter_java", "language"),
    "c": ("tree_sitter_c", "language"),
    "cpp": ("tree_sitter_cpp", "language"),
}

_EXTENSIONS: dict[str, str] = {
    ".py": "python", ".pyi": "python",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascriptreact",
    ".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "typescriptreact",
    ".go": "go", ".rs": "rust", ".java": "java",
    ".c": "c", ".h": "c",
    ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".hpp": "cpp", ".hh": "cpp", ".hxx": "cpp",
}

# Comment syntax by language, for snippets written as comments and for docstrings.
LINE_COMMENT: dict[str, str] = {
    "python": "#", "go": "//", "rust": "//", "java": "//", "c": "//", "cpp": "//",
    "javascript": "//", "javascriptreact": "//", "typescript": "//", "typescriptreact": "//",
}


def language_for_path(path: str) -> str:
    """The languageId an editor would give a file, from its extension ("plaintext" if unknown)."""
    return _EXTENSIONS.get(PurePath(path).suffix.lower(), "plaintext")


@cache
def grammar(language_id: str) -> Language | None:
    """The tree-sitter Language for a languageId, or None when we have no grammar for it."""
    entry = _GRAMMARS.get(language_id)
    if entry is None:
        return None
    module_name, func = entry
    try:
        from tree_sitter import Language

        module = importlib.import_module(module_name)
        return Language(getattr(module, func)())
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
    return sorted(_GRAMMARS)


_FAMILY = {"javascriptreact": "javascript", "typescriptreact": "typescript"}


def family(language_id: str) -> str:
    """The grammar family of a languageId (``typescriptreact`` reads as ``typescript``)."""
    return _FAMILY.get(language_id, language_id)
