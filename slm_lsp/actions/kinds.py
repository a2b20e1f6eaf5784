"""The code-action kinds, in one table: the only place each kind string is written.

The key names an action in its ``data`` and in ``compute``'s dispatch; the value is the LSP
``CodeActionKind`` it is listed with, filtered by (``context.only``) and advertised as
(``codeActionProvider.codeActionKinds``).
"""

from __future__ import annotations

from lsprotocol import types

KIND_FIX = types.CodeActionKind.QuickFix.value
KIND_DOCSTRING = "refactor.rewrite.slm.docstring"
KIND_TESTS = "source.slm.tests"
KIND_EXTRACT_FUNCTION = "refactor.extract.slm.function"
KIND_EXTRACT_VARIABLE = "refactor.extract.slm.variable"
KIND_REWRITE = "refactor.rewrite.slm.selection"

KINDS: dict[str, str] = {"fix": KIND_FIX, "docstring": KIND_DOCSTRING, "tests": KIND_TESTS,
                         "extract_function": KIND_EXTRACT_FUNCTION,
                         "extract_variable": KIND_EXTRACT_VARIABLE, "rewrite": KIND_REWRITE}

# What the server advertises: every kind it may list.
ADVERTISED: list[str] = list(KINDS.values())
