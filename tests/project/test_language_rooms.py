"""A language's rules live in ``slm_lsp/languages/`` only.

Outside that package no code compares a languageId with a language's name (``==``, ``!=``,
``in``/``not in`` a tuple, set or list of names, ``.startswith("typescript")``) or keys a table
by language names: it asks the language's rules object (``languages.rules_for``). Read
statically with ``ast``.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "slm_lsp"
ROOM = PACKAGE / "languages"
NAMES = {"python", "javascript", "javascriptreact", "typescript", "typescriptreact", "go",
         "rust", "java", "c", "cpp"}


def _names(node: ast.AST) -> list[str]:
    """The language names a comparison's operand holds (a constant or a literal collection)."""
    if isinstance(node, ast.Constant) and node.value in NAMES:
        return [node.value]
    if isinstance(node, (ast.Tuple, ast.Set, ast.List)):
        return [e.value for e in node.elts if isinstance(e, ast.Constant) and e.value in NAMES]
    return []


def branches(source: str, filename: str = "<source>") -> list[str]:
    """Where ``source`` branches on a language's name: ``line: what``."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Compare):
            for operand in [node.left, *node.comparators]:
                for name in _names(operand):
                    found.append(f"{node.lineno}: compares with {name!r}")
        elif isinstance(node, ast.Dict):
            for key in node.keys:
                for name in _names(key) if key is not None else []:
                    found.append(f"{key.lineno}: a table keyed by {name!r}")
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store):
            for name in _names(node.slice):
                found.append(f"{node.lineno}: a table keyed by {name!r}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr in ("startswith", "endswith", "get"):
            for arg in node.args[:1]:
                for name in _names(arg):
                    found.append(f"{node.lineno}: {node.func.attr}({name!r})")
    return found


def test_the_scan_sees_each_way_of_branching_on_a_language():
    source = """
if lang == "python": pass
if "go" != lang: pass
if lang in ("go", "rust"): pass
if lang not in {"java"}: pass
QUOTES = {"python": '\"\"\"'}
TABLE["javascriptreact"] = TABLE["javascript"]
lang.startswith("typescript")
FAMILY.get("rust")
"""
    assert [line.split(": ", 1)[0] for line in branches(source)] == [
        "2", "3", "4", "4", "5", "6", "7", "8", "9"]


def test_the_scan_leaves_other_strings_alone():
    source = """
if style == "google": pass
if kind in ("function", "class"): pass
FIELDS = {"name": 1, "type": 2}
rules = rules_for("python")
"""
    assert branches(source) == []


def test_only_the_languages_package_branches_on_a_language():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if ROOM in path.parents:
            continue
        rel = path.relative_to(PACKAGE.parent)
        found += [f"{rel}:{where}" for where in branches(path.read_text("utf-8"), str(path))]
    assert not found, ("branches on a language's name outside slm_lsp/languages/ (ask "
                       "languages.rules_for instead):\n" + "\n".join(found))
