"""SHA-256 digests of model files, remembered by (path, size, mtime).

Digests are costly (seconds per GB), so each one is kept in ``verified.json`` inside the models
directory with what it was verified against when the file was pulled (``models.toml``'s pinned
digest, the hub's), until the file changes.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from slm_lsp.models.registry import models_dir

DIGEST_CACHE = "verified.json"


def _cache_file() -> Path:
    return models_dir() / DIGEST_CACHE


def _stamp(path: Path) -> dict[str, Any]:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _load_cache() -> dict[str, Any]:
    try:
        data = json.loads(_cache_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def cached_sha256(path: Path) -> str | None:
    """The remembered digest of ``path`` if the file has not changed since, else None."""
    entry = _load_cache().get(str(Path(path).resolve()))
    if isinstance(entry, dict) and entry.get("stamp") == _stamp(path):
        digest = entry.get("sha256")
        return digest if isinstance(digest, str) else None
    return None


def verified_by(path: Path) -> str:
    """What the file's digest was verified against when it was pulled ("the hub"), if it has
    not changed since; else ""."""
    entry = _load_cache().get(str(Path(path).resolve()))
    if isinstance(entry, dict) and entry.get("stamp") == _stamp(path):
        source = entry.get("verified_by")
        return source if isinstance(source, str) else ""
    return ""


def remember_sha256(path: Path, digest: str, verified_by: str = "") -> None:
    """Record the digest of ``path`` as it is now, and what it was checked against, if
    anything (best effort: a read-only cache is fine)."""
    cache = _load_cache()
    key = str(Path(path).resolve())
    cache = {k: v for k, v in cache.items() if k == key or Path(k).exists()}
    cache[key] = {"stamp": _stamp(path), "sha256": digest}
    if verified_by:
        cache[key]["verified_by"] = verified_by
    target = _cache_file()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(cache, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, target)
    except OSError:
        pass


def file_sha256(path: str | os.PathLike[str], use_cache: bool = True) -> str:
    """The SHA-256 of a file, from the digest cache when the file is unchanged."""
    path = Path(path)
    if use_cache:
        known = cached_sha256(path)
        if known:
            return known
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    hexdigest = digest.hexdigest()
    if use_cache:
        remember_sha256(path, hexdigest)
    return hexdigest
