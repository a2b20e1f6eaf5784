"""``docs/architecture.md`` names only modules that exist.

Every module the document names must be there: a path (``engine/local.py``,
``slm_lsp/server.py``, ``benchmarks/buffers.py``, a bare ``places.py``), a dotted module
(``models.vocab``, ``slm_lsp.engine.probe``, ``server.Feature``: a module, or a name defined in
one), and in the layout block each package's ``name.py`` entries, inside that package.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "slm_lsp"
DOC = ROOT / "docs" / "architecture.md"
PATH = re.compile(r"(?<![\w./-])((?:[\w-]+/)*\w+\.py)\b")
DOTTED = re.compile(r"`((?:slm_lsp\.)?[a-z_]+(?:\.[A-Za-z_]\w*)+)`")
FILE_SUFFIXES = {"py", "toml", "md", "json", "scm", "lua", "ts"}
ROOMS = {p.stem for p in PACKAGE.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}


def _path_exists(name: str) -> bool:
    if "/" not in name:
        return any(PACKAGE.rglob(name)) or (ROOT / name).exists()
    return (ROOT / name).exists() or (PACKAGE / name).exists()


def _module(parts: list[str]) -> Path | None:
    base = PACKAGE.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def _dotted_exists(name: str) -> bool:
    """A module (``models.vocab``), or a name defined at the top of one (``server.Feature``)."""
    parts = name.split(".")
    if parts[-1] in FILE_SUFFIXES:
        return True  # a file name (``models.toml``, ``server.py``): checked as a path
    if parts[0] == "slm_lsp":
        parts = parts[1:]
    if not parts or parts[0] not in ROOMS:
        return True  # not one of ours (``llama_cpp.server``, ``tree.edit``)
    if _module(parts) is not None:
        return True
    module = _module(parts[:-1])
    if module is None:
        return False
    defined = re.compile(rf"^(?:class|def|async def)\s+{re.escape(parts[-1])}\b|"
                         rf"^{re.escape(parts[-1])}\s*[:=]", re.M)
    return bool(defined.search(module.read_text(encoding="utf-8")))


def _layout_misses(text: str) -> list[str]:
    """``name.py`` entries of the layout block's package lines that are not in that package."""
    block = text.split("## Layout", 1)[1].split("```", 2)[1]
    misses, package = [], None
    for line in block.splitlines():
        head = re.match(r"^  (\w+)(/|\.py)\s", line)
        if head:
            package = head[1] if head[2] == "/" else None
        elif not line.startswith("    "):
            package = None
        if package is None:
            continue
        body = line[len(head[0]):] if head else line
        misses += [f"{package}/{n}" for n in re.findall(r"\b(\w+\.py)\b", body)
                   if not (PACKAGE / package / n).exists()]
    return misses


def test_the_reader_finds_paths_and_dotted_names():
    text = ("`engine/local.py` and places.py; `models.vocab`, `server.Feature`, "
            "`engine.nothing_here`; see http://x/y.py")
    assert PATH.findall(text) == ["engine/local.py", "places.py"]
    assert DOTTED.findall(text) == ["models.vocab", "server.Feature", "engine.nothing_here"]
    assert [_dotted_exists(n) for n in DOTTED.findall(text)] == [True, True, False]


def test_every_module_the_architecture_doc_names_exists():
    text = DOC.read_text(encoding="utf-8")
    missing = sorted({n for n in PATH.findall(text) if not _path_exists(n)}
                     | {n for n in DOTTED.findall(text) if not _dotted_exists(n)}
                     | set(_layout_misses(text)))
    assert missing == [], f"docs/architecture.md names modules that do not exist: {missing}"
