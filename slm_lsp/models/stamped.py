"""Small JSON records about model files, kept in the models directory and valid while the file
is unchanged (same real path, size and modification time).

The digest cache (``digests.py``) and the list of files known to load (``engine/probe.py``)
are two such records: each costs seconds to recompute, and each is void as soon as the file
changes.
Writing is best effort: a read-only models directory only means the work is done again.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


class StampedRecords:
    """``records.json`` in the models directory: real path -> {"stamp": ..., **fields}."""

    def __init__(self, file_name: str) -> None:
        self.file_name = file_name

    def file(self) -> Path:
        from .registry import models_dir

        return models_dir() / self.file_name

    def get(self, path: Path) -> dict[str, Any] | None:
        """The fields recorded for ``path``, if it has not changed since; else None."""
        entry = self._load().get(str(Path(path).resolve()))
        if isinstance(entry, dict) and entry.get("stamp") == stamp(path):
            return entry
        return None

    def put(self, path: Path, **fields: Any) -> None:
        """Record ``fields`` for ``path`` as it is now; records of files gone are dropped."""
        key = str(Path(path).resolve())
        records = {k: v for k, v in self._load().items() if k == key or Path(k).exists()}
        records[key] = {"stamp": stamp(path), **fields}
        target = self.file()
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(records, indent=1, sort_keys=True), encoding="utf-8")
            os.replace(tmp, target)
        except OSError:
            pass

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.file().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}


def stamp(path: Path) -> dict[str, int]:
    st = Path(path).stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}
