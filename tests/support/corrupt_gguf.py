"""Copies of a real GGUF with one scalar of its header changed, as a corrupt download or a
hostile file would have it (the tensors stay as they are)."""

from __future__ import annotations

import shutil
from pathlib import Path

import gguf


def patched_copy(source: Path, dest: Path, **values: int) -> Path:
    """Copy ``source`` to ``dest`` with each metadata key (``__`` for ``.``) set to its value,
    in place: the value keeps its type and size, so every offset in the file stays valid."""
    shutil.copyfile(source, dest)
    reader = gguf.GGUFReader(dest, "r+")
    for name, value in values.items():
        key = name.replace("__", ".")
        field = reader.fields[key]
        field.parts[field.data[0]][0] = value
    reader.data.flush()
    del reader
    return dest
