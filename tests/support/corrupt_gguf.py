"""Copies of a real GGUF with one scalar of its header changed, as a corrupt download or a
hostile file would have it (the tensors stay as they are)."""

from __future__ import annotations

import functools
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import gguf
import numpy as np


def patched_copy(source: Path, dest: Path, **values: int) -> Path:
    """Copy ``source`` to ``dest`` with each metadata key (``__`` for ``.``) set to its value,
    in place: the value keeps its type and size, so every offset in the file stays valid."""
    shutil.copyfile(source, dest)
    _set(dest, values)
    return dest


@functools.cache
def _offsets(path: Path, stamp: tuple[int, int]) -> dict[str, tuple[int, np.dtype]]:
    """Where each scalar's value sits in the file, and its type (the header read once)."""
    reader = gguf.GGUFReader(path)
    out = {}
    for key, field in reader.fields.items():
        if len(field.data) == 1:
            index = field.data[0]
            start = field.offset + sum(int(p.nbytes) for p in field.parts[:index])
            out[key] = (start, field.parts[index].dtype)
    return out


def _set(path: Path, values: dict[str, int]) -> dict[str, int]:
    """Set scalars in place; returns what they were."""
    st = path.stat()
    where = _offsets(path, (st.st_size, st.st_ino))
    old = {}
    with open(path, "r+b") as fh:
        for name, value in values.items():
            offset, dtype = where[name.replace("__", ".")]
            fh.seek(offset)
            old[name] = np.frombuffer(fh.read(dtype.itemsize), dtype)[0].item()
            fh.seek(offset)
            fh.write(np.array(value, dtype).tobytes())
    return old


@contextmanager
def patched(path: Path, **values: int) -> Iterator[Path]:
    """``path`` with the values set while inside, as it was after."""
    old = _set(path, values)
    try:
        yield path
    finally:
        _set(path, old)
