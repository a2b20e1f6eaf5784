"""SHA-256 digests of model files, remembered by (path, size, mtime).

Digests are costly (seconds per GB), so each one is kept in ``verified.json`` inside the models
directory with what it was verified against when the file was pulled (``models.toml``'s pinned
digest, the hub's), until the file changes.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from slm_lsp.models.stamped import StampedRecords

DIGEST_CACHE = "verified.json"
_RECORDS = StampedRecords(DIGEST_CACHE)


def cached_sha256(path: Path) -> str | None:
    """The remembered digest of ``path`` if the file has not changed since, else None."""
    digest = (_RECORDS.get(path) or {}).get("sha256")
    return digest if isinstance(digest, str) else None


def verified_by(path: Path) -> str:
    """What the file's digest was verified against when it was pulled ("the hub"), if it has
    not changed since; else ""."""
    source = (_RECORDS.get(path) or {}).get("verified_by")
    return source if isinstance(source, str) else ""


def remember_sha256(path: Path, digest: str, verified_by: str = "") -> None:
    """Record the digest of ``path`` as it is now, and what it was checked against, if
    anything (best effort: a read-only cache is fine)."""
    fields = {"sha256": digest, **({"verified_by": verified_by} if verified_by else {})}
    _RECORDS.put(path, **fields)


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
