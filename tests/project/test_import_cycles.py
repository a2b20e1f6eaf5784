"""No import cycle among ``slm_lsp``'s modules, nor among its packages.

The import graph is read statically with ``ast``: every ``import`` and ``from ... import``,
at module level or inside a function (an import deferred into a function to dodge a cycle is
still a cycle).

Modules: imports under ``if TYPE_CHECKING:`` are left out, as only annotations read them.

Packages (``engine``, ``models``, ``completion``, ``context``, ``syntax``, ``actions``,
``prompts``... and each top-level module, a room of its own): every import counts, at module
level, inside a function or under ``TYPE_CHECKING``. A lazy import still makes one package need
another, and a type named in a package's signatures is part of what it needs: a type two
packages share lives below both (``formats.PromptFormat``, ``errors``).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "slm_lsp"


def _modules() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imported(name: str, path: Path, modules: dict[str, Path], *,
              type_checking: bool = False) -> set[str]:
    """The ``slm_lsp`` modules that module ``name`` (file ``path``) imports at run time (and
    under ``if TYPE_CHECKING:`` too, with ``type_checking``)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking_only(node) and not type_checking:
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            found.add(source)
            found.update(f"{source}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
    # ``import a.b.c`` also runs ``a`` and ``a.b``; packages' __init__ files are empty here, so
    # only the named module counts.
    return {module for module in found if module in modules and module != name}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def test_the_graph_reader_sees_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_the_graph_reader_follows_relative_and_deferred_imports():
    modules = _modules()
    graph = _imported("slm_lsp.setup", modules["slm_lsp.setup"], modules)
    assert {"slm_lsp.server", "slm_lsp.handlers", "slm_lsp.actions.handlers"} <= graph


def test_slm_lsp_has_no_import_cycle():
    modules = _modules()
    graph = {name: _imported(name, path, modules) for name, path in modules.items()}
    cycles = _cycles(graph)
    described = [
        " ; ".join(f"{m} -> {', '.join(sorted(graph[m] & set(cycle)))}" for m in cycle)
        for cycle in cycles
    ]
    assert not cycles, "import cycles:\n" + "\n".join(described)


def _room(module: str) -> str:
    """The package a module belongs to (``slm_lsp.engine.local`` -> ``slm_lsp.engine``); a
    top-level module (``slm_lsp.server``) is a room of its own."""
    return ".".join(module.split(".")[:2])


def _package_graph(modules: dict[str, Path]
                   ) -> tuple[dict[str, set[str]], dict[tuple[str, str], list[str]]]:
    """Which package imports which, and the module imports behind each such edge."""
    graph: dict[str, set[str]] = {}
    because: dict[tuple[str, str], list[str]] = {}
    for name, path in sorted(modules.items()):
        room = _room(name)
        graph.setdefault(room, set())
        for target in sorted(_imported(name, path, modules, type_checking=True)):
            other = _room(target)
            if other != room:
                graph[room].add(other)
                because.setdefault((room, other), []).append(f"{name} -> {target}")
    return graph, because


def test_the_package_graph_counts_deferred_and_type_only_imports(tmp_path):
    package = tmp_path / "slm_lsp"
    for sub in ("low", "high"):
        (package / sub).mkdir(parents=True)
        (package / sub / "__init__.py").write_text("")
    (package / "low" / "a.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..high.b import B\n")
    (package / "high" / "b.py").write_text("def f():\n    from ..low import a\n")
    modules = {"slm_lsp.low": package / "low" / "__init__.py",
               "slm_lsp.low.a": package / "low" / "a.py",
               "slm_lsp.high": package / "high" / "__init__.py",
               "slm_lsp.high.b": package / "high" / "b.py"}
    graph, because = _package_graph(modules)
    assert graph == {"slm_lsp.low": {"slm_lsp.high"}, "slm_lsp.high": {"slm_lsp.low"}}
    assert "slm_lsp.high.b -> slm_lsp.low.a" in because[("slm_lsp.high", "slm_lsp.low")]
    assert _cycles(graph) == [["slm_lsp.high", "slm_lsp.low"]]


def test_slm_lsp_packages_do_not_import_each_other_in_a_cycle():
    graph, because = _package_graph(_modules())
    assert {"slm_lsp.engine", "slm_lsp.models", "slm_lsp.completion", "slm_lsp.context",
            "slm_lsp.syntax", "slm_lsp.actions", "slm_lsp.prompts", "slm_lsp.server"} <= set(graph)
    cycles = _cycles(graph)
    described = []
    for cycle in cycles:
        edges = [f"  {a} -> {b}: {', '.join(because[(a, b)][:3])}"
                 + (" ..." if len(because[(a, b)]) > 3 else "")
                 for a in cycle for b in sorted(graph[a] & set(cycle))]
        described.append(" <-> ".join(cycle) + "\n" + "\n".join(edges))
    assert not cycles, "package import cycles:\n" + "\n".join(described)
