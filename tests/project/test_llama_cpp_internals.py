"""llama-cpp-python's private internals are reached in one module only: ``engine/native.py``.

The engine needs calls ``Llama`` does not offer publicly (several sequences in one context, a
batch laid out by hand, one output's logits, a token's attributes), so it reaches into
``Llama._ctx``, ``._model`` and ``._batch`` and into the low-level bindings
(``llama_cpp.llama_cpp``, whose C calls the package also re-exports as ``llama_cpp.llama_*``).
Those change between releases without notice: they stay behind small named functions in
``engine/native.py``, and ``pyproject.toml`` pins the release they were checked against.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "slm_lsp"
NATIVE = PACKAGE / "engine" / "native.py"
PRIVATE_ATTRIBUTES = {"_ctx", "_model", "_batch", "_stack", "_lib", "_internals"}
LOW_LEVEL_PREFIXES = ("llama_", "ggml_", "LLAMA_", "GGML_")


def _reach_ins(source: str) -> list[str]:
    """Where ``source`` uses a private name of llama-cpp-python: ``x._ctx``-style attributes,
    the ``llama_cpp.llama_cpp`` or ``llama_cpp._internals`` modules, and low-level calls through
    the package (``llama_cpp.llama_decode``)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Attribute):
            if node.attr in PRIVATE_ATTRIBUTES:
                found.append(f"{line}: .{node.attr}")
            elif isinstance(node.value, ast.Name) and node.value.id == "llama_cpp" and (
                    node.attr == "llama_cpp" or node.attr.startswith(LOW_LEVEL_PREFIXES)):
                found.append(f"{line}: llama_cpp.{node.attr}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(("llama_cpp.llama_cpp", "llama_cpp._")):
                    found.append(f"{line}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("llama_cpp"):
            module = node.module or ""
            names = {alias.name for alias in node.names}
            if module.startswith(("llama_cpp.llama_cpp", "llama_cpp._")) or (
                    module == "llama_cpp" and ("llama_cpp" in names or any(
                        n.startswith(LOW_LEVEL_PREFIXES + ("_",)) for n in names))):
                found.append(f"{line}: from {module} import {', '.join(sorted(names))}")
    return sorted(found, key=lambda hit: int(hit.split(":", 1)[0]))


def test_the_reader_sees_each_kind_of_reach_in():
    source = (
        "import llama_cpp\nimport llama_cpp.llama_cpp as lc\nfrom llama_cpp import llama_cpp\n"
        "from llama_cpp import Llama\n"
        "n = llm._ctx.ctx\nv = llm._model.vocab\nb = llm._batch\n"
        "llama_cpp.llama_token_to_piece(v, 1)\nt = llama_cpp.GGML_TYPE_Q8_0\n"
        "llm.tokenize(b'x')\nself._models = {}\n")
    assert _reach_ins(source) == [
        "2: import llama_cpp.llama_cpp", "3: from llama_cpp import llama_cpp",
        "5: ._ctx", "6: ._model", "7: ._batch", "8: llama_cpp.llama_token_to_piece",
        "9: llama_cpp.GGML_TYPE_Q8_0"]


def test_llama_cpp_internals_are_used_only_in_engine_native():
    outside = [f"{path.relative_to(PACKAGE.parent)}:{hit}"
               for path in sorted(PACKAGE.rglob("*.py")) if path != NATIVE
               for hit in _reach_ins(path.read_text(encoding="utf-8"))]
    assert outside == [], ("llama-cpp-python's private internals outside engine/native.py "
                           "(add a named function there):\n" + "\n".join(outside))


def test_the_release_those_internals_were_checked_against_is_pinned():
    # The dependency, and the ``server`` and ``test`` extras.
    pyproject = (PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8")
    pins = re.findall(r'"llama-cpp-python(?:\[\w+\])?([^"]*)"', pyproject)
    assert len(pins) == 3 and all(re.fullmatch(r"==[0-9.]+", pin) for pin in pins), pins
    assert len(set(pins)) == 1, pins
