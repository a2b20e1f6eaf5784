"""The next-edit benchmark's frozen data: ``data/nextedit/sequences.jsonl.gz`` and its lock.

The lock, ``sequences.sha256``, is ``sha256sum`` output for the data file (``cd
benchmarks/data/nextedit && sha256sum -c sequences.sha256``); ``load`` refuses data that does
not match it, and ``tests/harness/test_nextedit_data.py`` pins the lock's own digest, so the
sequences change only with a reviewed lock (and figures before and after are not comparable).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "nextedit"
NAME = "sequences.jsonl.gz"
LOCK = "sequences.sha256"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_lock(folder: Path = DATA) -> None:
    (folder / LOCK).write_text(f"{digest(folder / NAME)}  {NAME}\n", encoding="utf-8")


def check(folder: Path = DATA) -> str:
    """Empty when the data matches its lock, else what is wrong."""
    lock, data = folder / LOCK, folder / NAME
    if not lock.is_file() or not data.is_file():
        return f"missing: {lock if not lock.is_file() else data}"
    want = lock.read_text(encoding="utf-8").split()[0]
    have = digest(data)
    return "" if have == want else f"{NAME} is {have}, the lock says {want}"


def load(folder: Path = DATA) -> list[dict]:
    """The sequences, in their frozen order; raises ValueError when the data is not the
    locked one."""
    problem = check(folder)
    if problem:
        raise ValueError(problem)
    with gzip.open(folder / NAME, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
