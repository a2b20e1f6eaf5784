"""Engines are built in one place: ``engine/factory.py``.

The completion engine, the rewrite model and the vocabulary check each need a model built with
the same care (the model chosen, its format, its context); a second place that builds one
drifts from the first. The host (``engine/host.py``) owns what it builds, and releases it.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "slm_lsp"
FACTORY = PACKAGE / "engine" / "factory.py"
ENGINES = {"LocalEngine", "LlamaServerEngine", "OpenAIEngine", "OllamaEngine"}


def _constructions(source: str) -> list[int]:
    """The lines of ``source`` that call an engine class (``LocalEngine(...)``,
    ``local.LocalEngine(...)``)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name in ENGINES:
                lines.append(node.lineno)
    return lines


def test_the_reader_sees_an_engine_being_built():
    source = "from x import local\n\nengine = local.LocalEngine('a.gguf', fmt)\nLocalEngine\n"
    assert _constructions(source) == [3]


def test_engines_are_built_only_in_the_factory():
    outside = [f"{path.relative_to(PACKAGE.parent)}:{line}"
               for path in sorted(PACKAGE.rglob("*.py")) if path != FACTORY
               for line in _constructions(path.read_text(encoding="utf-8"))]
    assert outside == [], "engines built outside engine/factory.py: " + ", ".join(outside)
    assert _constructions(FACTORY.read_text(encoding="utf-8"))
