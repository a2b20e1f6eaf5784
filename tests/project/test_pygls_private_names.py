"""pygls' private names are reached in one module only: ``slm_lsp/protocol.py``.

pygls (pinned in ``pyproject.toml``) leaves gaps that our protocol layer closes by overriding or
reading private names; each is listed in ``docs/pygls-gaps.md`` with the upstream report, or
why there is none. Anywhere else, such a reach-in would escape that list: the rest of the
server asks ``SlmProtocol``'s methods instead.

A private name is one pygls' own source uses with a leading underscore (``_request_futures``,
``_stop_event``...). It counts when read on another object (``ls.protocol._workspace``), through
``getattr(x, "_name")``, or on ``self`` in a class derived from a pygls class.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pygls

PACKAGE = Path(__file__).resolve().parents[2] / "slm_lsp"
PROTOCOL = PACKAGE / "protocol.py"
PYGLS_BASES = {"LanguageServer", "LanguageServerProtocol", "JsonRPCProtocol", "Server",
               "Workspace", "TextDocument"}


def _pygls_private_names() -> set[str]:
    names = set()
    for path in Path(pygls.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "name", "")
            if isinstance(name, str) and name.startswith("_") and not name.startswith("__"):
                names.add(name)
    return names


def _reach_ins(source: str, private: set[str]) -> list[str]:
    """Where ``source`` uses one of pygls' ``private`` names."""
    tree = ast.parse(source)
    derived: set[int] = set()  # ids of the nodes inside classes derived from pygls classes
    for cls in ast.walk(tree):
        if isinstance(cls, ast.ClassDef) and any(
                (getattr(b, "id", None) or getattr(b, "attr", None)) in PYGLS_BASES
                for b in cls.bases):
            derived.update(id(n) for n in ast.walk(cls))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in private:
            on_self = isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")
            if not on_self or id(node) in derived:
                found.append(f"{node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") in (
                "getattr", "setattr", "hasattr") and len(node.args) >= 2 and isinstance(
                node.args[1], ast.Constant) and node.args[1].value in private:
            found.append(f"{node.lineno}: {ast.unparse(node)}")
    return sorted(found, key=lambda hit: int(hit.split(":", 1)[0]))


def test_the_reader_sees_reach_ins_and_leaves_our_own_names():
    private = {"_request_futures", "_workspace", "_stop_event"}
    source = (
        "class Mine:\n    def f(self):\n        return self._workspace\n"
        "class Server(LanguageServer):\n    def g(self):\n        return self._stop_event\n"
        "def h(ls):\n    a = ls.protocol._workspace\n"
        "    return getattr(ls.protocol, '_request_futures', {})\n")
    assert _reach_ins(source, private) == [
        "6: self._stop_event", "8: ls.protocol._workspace",
        "9: getattr(ls.protocol, '_request_futures', {})"]


def test_pygls_private_names_are_used_only_in_protocol_py():
    private = _pygls_private_names()
    assert {"_request_futures", "_stop_event", "_workspace"} <= private
    outside = [f"{path.relative_to(PACKAGE.parent)}:{hit}"
               for path in sorted(PACKAGE.rglob("*.py")) if path != PROTOCOL
               for hit in _reach_ins(path.read_text(encoding="utf-8"), private)]
    assert outside == [], ("pygls private names outside protocol.py (add a method to "
                           "SlmProtocol and an entry to docs/pygls-gaps.md):\n"
                           + "\n".join(outside))


def test_each_private_name_protocol_py_uses_is_listed_in_the_gaps_doc():
    private = _pygls_private_names()
    used = {hit.split(": ", 1)[1].rsplit(".", 1)[-1].split("(")[0]
            for hit in _reach_ins(PROTOCOL.read_text(encoding="utf-8"), private)}
    doc = (PACKAGE.parent / "docs" / "pygls-gaps.md").read_text(encoding="utf-8")
    missing = sorted(name for name in used if f"{name}`" not in doc)
    assert missing == [], f"not in docs/pygls-gaps.md: {missing}"
